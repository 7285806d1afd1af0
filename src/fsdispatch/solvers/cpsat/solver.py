"""The ``cpsat`` backend (OR-Tools CP-SAT)."""

from __future__ import annotations

import itertools
import logging
import os
import time
from typing import Any, ClassVar

import attrs
import numpy as np

from ...errors import ValidationError
from ...plan import Plan
from ...problem.problem import Problem
from .. import _exact
from ..base import BackendOutput, Capabilities, Limits, ProgressCallback, ProgressEvent, SolveStatus

_POST_FIXED = 0.05
_POST_EVALUATIONS = 4
"""Time kept after the search for judging, repairing and completing its plan: a fixed
part plus this many evaluations of a plan."""

__all__ = ["CpSatSolver"]

logger = logging.getLogger(__name__)


def _check_workers(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError.for_field("CpSatSolver", None, "workers", value,
                                        "must be an int >= 1 or None")


@attrs.frozen
class CpSatSolver(_exact.ExactBackend):
    """Exact routing (or assignment) with OR-Tools CP-SAT, reporting a proven lower bound.

    Routing model: optional visits per able technician shift × ticket, one
    circuit per shift, windows, service times, shift end + overtime, breaks
    (optional intervals that overlap no service or travel: a relaxation of
    the evaluator's break rule), demand capacity, tickets per day, van stock,
    droppable tickets at their unassigned penalty, SLA and soft-window
    lateness, travel, distance, overtime, labour, preference and load balance
    — the evaluator's objective term by term (see :mod:`.objective` for the
    integer scaling). Depot stops (``Plan.pickups``): an optional stop at a
    depot right before any ticket, in the depot's opening hours, with its
    detour and pick-up time priced as the evaluator does and the van followed
    ticket by ticket under the evaluator's lazy pick-up rule (carried over
    between shifts, depot stock shared by all routes); see
    ``docs/optimality.md``. The greedy plan (with its stops, if any) is the
    warm start (solution hint) and the fallback. ``OPTIMAL`` is claimed only
    when the evaluator's objective of the returned plan meets the proven bound.

    Parameters
    ----------
    mode:
        ``"routing"`` (default) or ``"assignment"`` (technician shift per
        ticket without sequencing; see ``docs/concepts.md``).
    workers:
        CP-SAT search workers (``num_workers``); default ``min(8, cpu count)``.
        Use 1 for reproducible runs under a time limit.
    warm_start:
        Hint the greedy plan (default ``True``).
    log:
        Print CP-SAT's search log.
    """

    _library: ClassVar[tuple[str, str, str]] = ("ortools.sat.python.cp_model", "OR-Tools",
                                                 "ortools")
    _routing_size: ClassVar[tuple[int, int]] = (120, 20)
    mode: str = "routing"
    workers: int | None = attrs.field(default=None, validator=_check_workers)
    warm_start: bool = True
    log: bool = False
    name: str = "cpsat"
    capabilities: Capabilities = attrs.field(default=_exact.CAPABILITIES)

    def _search(self, problem: Problem, limits: Limits, seed: int | None,
                progress: ProgressCallback | None, start: _exact.ExactStart) -> BackendOutput:
        cp_model, tic, greedy, stats = start.library, start.tic, start.greedy, start.stats
        from ...evaluate.evaluator import evaluate
        from ...problem.assignment import assignment_data
        from .._exact import routing_data
        from . import constraints, objective, variables

        model = cp_model.CpModel()
        if self.mode == "assignment":
            ad = assignment_data(problem)
            av = variables.assignment_vars(model, problem, ad)
            constraints.add_assignment_constraints(model, problem, ad, av)
            terms = objective.assignment_objective(model, problem, ad, av)
        else:
            rd = routing_data(problem)
            rv = variables.routing_vars(model, problem, rd)
            constraints.add_routing_constraints(model, problem, rd, rv)
            constraints.add_crew_constraints(model, problem, rv)
            terms = objective.routing_objective(model, problem, rd, rv)
        scale, exact = objective.set_objective(model, terms)
        stats.update(scale=scale, exact_coefficients=exact)
        if self.warm_start:
            if self.mode == "assignment":
                _hint_assignment(model, av, greedy)
            else:
                _hint_routing(model, problem, rd, rv, greedy, evaluate(problem, greedy))
        build_time = time.perf_counter() - tic
        # what follows the search (judging and repairing its plan) is kept inside the limit
        t0 = time.perf_counter()
        evaluate(problem, greedy)
        reserve = _POST_FIXED + _POST_EVALUATIONS * (time.perf_counter() - t0)

        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.num_workers = self.workers or min(8, os.cpu_count() or 1)
        prm.random_seed = int(seed or 0) % (2**31)
        prm.log_search_progress = self.log
        if limits.time_limit is not None:
            left = float(limits.time_limit) - (time.perf_counter() - tic) - reserve
            prm.max_time_in_seconds = max(left, 0.01)
        if limits.rel_gap is not None:
            prm.relative_gap_limit = float(limits.rel_gap)
        native = solver.solve(model)
        name = solver.status_name(native)
        stats.update(native_status=name, build_time=build_time, wall_time=solver.wall_time,
                     num_booleans=solver.num_booleans, num_conflicts=solver.num_conflicts)
        routes: list[list[int]] | None = None
        pickups: dict[int, int] = {}
        model_obj: float | None = None
        if native in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            model_obj = solver.objective_value / scale
            if self.mode == "assignment":
                routes = _exact.assigned_routes(problem, av.x, solver.boolean_value)
            else:
                routes = _exact.follow_circuits(problem, rd, rv.arcs, solver.boolean_value)
                pickups = _exact.chosen_pickups(rv.stops, solver.boolean_value)
                stats["depot_stops"] = len(pickups)
        bound: float | None = None
        if native == cp_model.INFEASIBLE:  # pragma: no cover - dropping is always possible
            logger.warning("CP-SAT model infeasible: a modelling bug (all-unassigned is valid)")
        elif native != cp_model.MODEL_INVALID:
            raw = solver.best_objective_bound
            if np.isfinite(raw):
                bound = float(raw) / scale
                bound -= 1e-12 * max(1.0, abs(bound))  # float rounding of the division
                # every term is >= 0 and unservable tickets always pay their penalty
                bound = max(bound, _exact.unservable_penalty(problem))
        proven = native == cp_model.OPTIMAL and limits.rel_gap is None
        plan, status, extra = _exact.finish_plan(problem, routes, self.mode, proven, bound, greedy,
                                          pickups)
        stats.update(extra)
        stats["stopped_by_limit"] = native != cp_model.OPTIMAL
        if status is SolveStatus.OPTIMAL:
            bound = float(_objective(problem, plan))  # proven: the model optimum is this value
        if progress is not None:
            progress(ProgressEvent(self.name, time.perf_counter() - tic, 1,
                                   best_objective=_objective(problem, plan), bound=bound,
                                   message=name.lower()))
        return BackendOutput(plan=plan, status=status, bound=bound, objective=model_obj,
                             stats=stats)


def _objective(problem: Problem, plan: Plan) -> float:
    from ...evaluate.evaluator import evaluate

    return evaluate(problem, plan).objective


def _hint_assignment(model: Any, av: Any, plan: Plan) -> None:
    on = {(r, j) for r, route in enumerate(plan.routes) for j in route}
    for key, var in av.x.items():
        model.add_hint(var, key in on)
    for j, var in av.u.items():
        model.add_hint(var, j in plan.unassigned)


def _hint_routing(model: Any, problem: Problem, rd: Any, rv: Any, plan: Plan, ev: Any) -> None:
    """Hint the greedy plan: visits, arcs, times and breaks from the evaluator."""
    kd = problem.data
    if not ev.is_feasible:
        return
    times = ev.times
    pick_start = {int(j): int(p) for j, p in zip(times.ticket, times.pickup_start, strict=True)
                  if p >= 0} if times.pickup_start.shape[0] else {}
    start = {int(j): int(s) for j, s in zip(times.ticket, times.start, strict=True)}
    end = {int(j): int(e) for j, e in zip(times.ticket, times.end, strict=True)}
    arrival = {int(j): int(a) for j, a in zip(times.ticket, times.arrival, strict=True)}
    for j, var in rv.u.items():
        model.add_hint(var, j not in start)
    for r, route in enumerate(plan.routes):
        cands = rd.cands[r].tolist()
        local = {j: k for k, j in enumerate(cands, start=1)}
        if any(j not in local for j in route):
            return  # the plan uses a pair the model does not have: no hint
        stops = rv.stops.get(r, {})
        if any(j in plan.pickups and (j, plan.pickups[j]) not in stops for j in route):
            return  # a depot stop the model does not offer: no hint
        on: set[tuple[int, int]] = set()
        seq = [0, *[local[j] for j in route], 0] if route else []
        on.update(itertools.pairwise(seq))
        for key, lit in rv.arcs[r].items():
            model.add_hint(lit, key in on)
        for (j, d), lit in stops.items():
            model.add_hint(lit, plan.pickups.get(j) == d and j in route)
            if plan.pickups.get(j) == d and j in pick_start:
                model.add_hint(rv.pstart[r, j, d], pick_start[j])
        for j in cands:
            if (r, j) in rv.stop_any:
                model.add_hint(rv.stop_any[r, j], j in route and j in plan.pickups)
        for (a, b, d), lit in rv.via.get(r, {}).items():
            j = cands[b - 1]
            model.add_hint(lit, (a, b) in on and plan.pickups.get(j) == d)
        model.add_hint(rv.used[r], bool(route))
        for j in cands:
            model.add_hint(rv.x[r, j], j in route)
        ret = int(times.route_return[r]) if route else int(kd.rt.open[r])
        model.add_hint(rv.ret[r], ret)
        if route:
            first = route[0]
            tt0 = int(rd.tt[rd.start_pos[r], rd.ticket_pos[first]])
            model.add_hint(rv.dep0[r], int(kd.rt.open[r]) if first in plan.pickups
                           else arrival[first] - tt0)
        else:
            model.add_hint(rv.dep0[r], int(kd.rt.open[r]))
        for p, j in enumerate(route):
            nxt_pos = rd.end_pos[r] if p + 1 == len(route) else rd.ticket_pos[route[p + 1]]
            leave = (ret if p + 1 == len(route) else arrival[route[p + 1]]) \
                - int(rd.tt[rd.ticket_pos[j], nxt_pos])
            if p + 1 < len(route) and route[p + 1] in plan.pickups:
                leave = end[j]  # a depot stop follows: any departure up to it works
            model.add_hint(rv.start[j], start[j])
            model.add_hint(rv.end[j], end[j])
            model.add_hint(rv.dep[j], leave)
        for b in range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1])):
            need, bs = rv.brk[b]
            taken = int(times.break_start[b]) >= 0
            model.add_hint(need, taken)
            if taken and not isinstance(bs, int):
                model.add_hint(bs, int(times.break_start[b]))
