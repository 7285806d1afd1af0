"""The ``milp`` backend (PuLP; CBC by default, HiGHS when ``highspy`` is installed)."""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import time
import warnings
from typing import Any, ClassVar

import attrs

from ...errors import BackendUnavailableError, ValidationError
from ...problem.problem import Problem
from .. import _exact
from ..base import BackendOutput, Capabilities, Limits, ProgressCallback, ProgressEvent, SolveStatus

_PROCESS = 0.2
"""Seconds of a solver process's start and stop (outside its own time limit)."""
_POST_EVALUATIONS = 4
"""Evaluations of a plan kept in the time limit for judging and repairing the model's plan."""

__all__ = ["MilpSolver"]

logger = logging.getLogger(__name__)

_BACKENDS = ("auto", "cbc", "highs")


def _check_backend(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in _BACKENDS:
        raise ValidationError.for_field("MilpSolver", None, attribute.name, value,
                                        "must be one of 'auto', 'cbc', 'highs'")


def _check_threads(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError.for_field("MilpSolver", None, attribute.name, value,
                                        "must be an int >= 1")


def highs_available() -> bool:
    """Whether PuLP can use HiGHS through ``highspy`` in this environment."""
    try:
        import pulp

        return bool(pulp.HiGHS(msg=False).available())
    except Exception:  # any failure means "not available"
        return False


@attrs.frozen
class MilpSolver(_exact.ExactBackend):
    """A routing (or assignment) MILP for small instances, reporting bound and gap.

    Two-index arc variables per technician shift, big-M time propagation,
    windows (a choice among a ticket's windows, plus lateness for soft ones),
    shift end + overtime, demand capacity, tickets per day and van stock,
    droppable tickets at their unassigned penalty, and the evaluator's
    objective with float coefficients. Breaks are not modelled (a relaxation;
    the plan is re-checked by the evaluator and repaired if needed, and
    ``OPTIMAL`` is claimed only when its objective meets the proven bound).
    The greedy plan is the fallback. Depot stops (``Plan.pickups``) are
    modelled as in ``cpsat`` with big-M rows (see ``docs/optimality.md``).

    Parameters
    ----------
    mode:
        ``"routing"`` (default) or ``"assignment"``.
    backend:
        ``"auto"`` (HiGHS when ``highspy`` is installed, else CBC), ``"cbc"``
        or ``"highs"``.
    threads:
        Solver threads (default 1).
    log:
        Print the solver's log.
    """

    _library: ClassVar[tuple[str, str, str]] = ("pulp", "PuLP", "pulp")
    _routing_size: ClassVar[tuple[int, int]] = (60, 12)
    mode: str = "routing"
    backend: str = attrs.field(default="auto", validator=_check_backend)
    threads: int = attrs.field(default=1, validator=_check_threads)
    log: bool = False
    name: str = "milp"
    capabilities: Capabilities = attrs.field(default=_exact.CAPABILITIES)

    def _search(self, problem: Problem, limits: Limits, seed: int | None,
                progress: ProgressCallback | None, start: _exact.ExactStart) -> BackendOutput:
        # PuLP 3.x warns about APIs it changes in 4.0 (LpVariable, PULP_CBC_CMD); the
        # calls used here work on PuLP >= 2.8, so keep users' output clean
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._solve(start.library, problem, limits, seed, progress, start.tic,
                               start.greedy, start.stats)

    def _solve(self, pulp: Any, problem: Problem, limits: Limits, seed: int | None,
               progress: ProgressCallback | None, tic: float, greedy: Any,
               stats: dict[str, Any]) -> BackendOutput:
        from ...problem.assignment import assignment_data
        from .._exact import routing_data
        from . import constraints, objective, variables

        lp = pulp.LpProblem("fsdispatch", pulp.LpMinimize)
        if self.mode == "assignment":
            ad = assignment_data(problem)
            av = variables.assignment_vars(problem, ad)
            constraints.add_assignment_constraints(lp, problem, ad, av)
            lp += objective.assignment_objective(lp, problem, ad, av)
        else:
            rd = routing_data(problem)
            rv = variables.routing_vars(problem, rd)
            ends = constraints.add_routing_constraints(lp, problem, rd, rv)
            constraints.add_crew_constraints(lp, problem, rv)
            lp += objective.routing_objective(lp, problem, rd, rv, ends)
        build_time = time.perf_counter() - tic
        time_limit = None
        if limits.time_limit is not None:
            # kept inside the limit: writing the model for the solver process and reading
            # its answer (about as long as building it), then judging and repairing the plan
            from ...evaluate.evaluator import evaluate

            t0 = time.perf_counter()
            evaluate(problem, greedy)
            reserve = _PROCESS + build_time + _POST_EVALUATIONS * (time.perf_counter() - t0)
            time_limit = max(float(limits.time_limit) - (time.perf_counter() - tic) - reserve,
                             0.1)
        use_highs = self.backend == "highs" or (self.backend == "auto" and highs_available())
        if self.backend == "highs" and not highs_available():
            raise BackendUnavailableError(
                "solver 'milp' with backend='highs' needs highspy; install it with: "
                "pip install highspy")
        with tempfile.TemporaryDirectory() as tmp:
            log_path = os.path.join(tmp, "cbc.log")
            if use_highs:
                cmd = pulp.HiGHS(msg=self.log, timeLimit=time_limit, gapRel=limits.rel_gap,
                                 threads=self.threads, random_seed=int(seed or 0))
            else:
                options = [f"randomCbcSeed {int(seed or 0) % (2**31 - 1) + 1}"]
                cmd = pulp.PULP_CBC_CMD(msg=self.log, timeLimit=time_limit,
                                        gapRel=limits.rel_gap, threads=self.threads,
                                        logPath=None if self.log else log_path,
                                        options=options)
            lp.solve(cmd)
            text = ""
            if not use_highs and os.path.exists(log_path):
                with open(log_path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
        sol_status = int(lp.sol_status)
        stats.update(native_status=pulp.constants.LpSolution.get(sol_status, str(sol_status)),
                     engine="highs" if use_highs else "cbc", build_time=build_time)
        model_obj: float | None = None
        routes: list[list[int]] | None = None
        pickups: dict[int, int] = {}
        if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            model_obj = float(pulp.value(lp.objective) or 0.0)
            if self.mode == "assignment":
                routes = _exact.assigned_routes(problem, av.x, _is_on)
            else:
                routes = _exact.follow_circuits(problem, rd, rv.y, _is_on)
                pickups = _exact.chosen_pickups(rv.stops, _is_on)
                stats["depot_stops"] = len(pickups)
        optimal = sol_status == pulp.LpSolutionOptimal and limits.rel_gap is None
        bound = _bound(lp, text, use_highs, sol_status, model_obj)
        if bound is not None:
            bound = max(bound, _exact.unservable_penalty(problem))
        plan, status, extra = _exact.finish_plan(problem, routes, self.mode, optimal, bound, greedy,
                                          pickups)
        stats.update(extra)
        stats["stopped_by_limit"] = sol_status != pulp.LpSolutionOptimal
        if status is SolveStatus.OPTIMAL:
            from ...evaluate.evaluator import evaluate

            bound = evaluate(problem, plan).objective
        if progress is not None:
            progress(ProgressEvent(self.name, time.perf_counter() - tic, 1,
                                   best_objective=model_obj, bound=bound,
                                   message=str(stats["native_status"])))
        return BackendOutput(plan=plan, status=status, bound=bound, objective=model_obj,
                             stats=stats)


def _bound(lp: Any, log_text: str, use_highs: bool, sol_status: int,
           model_obj: float | None) -> float | None:
    """A valid lower bound from the MILP solver (slightly loosened for float tolerances)."""
    value: float | None = None
    if use_highs:
        try:
            value = float(lp.solverModel.getInfo().mip_dual_bound)
        except Exception:  # older PuLP/highspy: no bound exposed
            value = None
    else:
        m = re.findall(r"Lower bound:\s*(-?[0-9.eE+-]+)", log_text)
        if m:
            value = float(m[-1])
        else:
            best = re.findall(r"best possible (-?[0-9.eE+-]+)", log_text)
            if best:
                value = float(best[-1])
    if sol_status == 1 and model_obj is not None:
        value = model_obj if value is None else min(max(value, model_obj), model_obj)
    if value is None or not math.isfinite(value):
        return None
    return value - 1e-7 * max(1.0, abs(value))


def _is_on(var: Any) -> bool:
    """Whether a binary PuLP variable is set in the solution."""
    return (var.value() or 0) > 0.5
