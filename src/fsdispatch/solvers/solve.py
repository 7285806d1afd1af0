"""solve(): the one entry point to every backend."""

from __future__ import annotations

import inspect
import logging
import time
from typing import Any

import attrs
import numpy as np

from ..domain.scenario import Scenario
from ..errors import BackendFailedError, FsdispatchError, UnsupportedProblemError, ValidationError
from ..evaluate.evaluator import evaluate
from ..problem.compile import compile_scenario
from ..problem.problem import Problem
from ..random import SeedLike
from .base import Limits, ProgressCallback, Solver, SolveResult, SolveStatus, print_progress
from .registry import get_solver

__all__ = ["solve"]

logger = logging.getLogger(__name__)


def _seed_int(seed: SeedLike) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**31 - 1))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValidationError.for_field("solve", None, "seed", seed,
                                        "must be a non-negative int, a numpy Generator or None")
    return int(seed)


def solve(problem: Problem | Scenario, solver: str | Solver = "greedy", *,
          time_limit: float | None = None, max_iterations: int | None = None,
          rel_gap: float | None = None, no_improvement: int | None = None,
          limits: Limits | None = None, seed: SeedLike = None,
          progress: ProgressCallback | None = None, display: bool = False,
          **options: Any) -> SolveResult:
    """Solve a dispatch problem with a registered backend and evaluate the plan.

    Parameters
    ----------
    problem:
        A compiled :class:`Problem` or a :class:`Scenario` (compiled here).
    solver:
        Backend name (see :func:`available_solvers`) or a backend instance.
    time_limit, max_iterations, rel_gap, no_improvement:
        Stopping rules (see :class:`Limits`); ``limits`` may be given instead.
    seed:
        ``int``, ``numpy.random.Generator`` or ``None``; same seed, same plan.
    progress:
        Callback receiving :class:`ProgressEvent` objects.
    display:
        Print progress lines (installs :func:`print_progress`).
    **options:
        Backend options (e.g. ``max_candidates`` for greedy).

    Returns
    -------
    SolveResult
        The plan and the shared evaluator's verdict on it. If a backend
        returned a plan that breaks a rule, ``status`` is ``ERROR`` and the
        violations are in ``result.evaluation.violations``.
    """
    # every argument is checked before compiling or solving anything
    if not isinstance(problem, Problem | Scenario):
        raise ValidationError(f"solve() expects a Problem or Scenario, got "
                              f"{type(problem).__name__}", field="problem",
                              value=type(problem).__name__)
    if limits is None:
        limits = Limits(time_limit=time_limit, max_iterations=max_iterations, rel_gap=rel_gap,
                        no_improvement=no_improvement)
    elif not isinstance(limits, Limits):
        raise ValidationError.for_field("solve", None, "limits", limits, "must be a Limits")
    seed_value = _seed_int(seed)
    if progress is not None and not callable(progress):
        raise ValidationError.for_field("solve", None, "progress", progress,
                                        "must be a callable or None")
    if not isinstance(solver, str) and options:
        raise ValidationError("backend options can only be given with a solver name",
                              field="options", value=sorted(options))
    if not isinstance(solver, str) and not isinstance(solver, Solver):
        raise ValidationError.for_field("solve", None, "solver", solver,
                                        "must be a solver name or a backend instance")
    backend = get_solver(solver, **options) if isinstance(solver, str) else solver
    ahead = getattr(backend, "compile_ahead", None)
    if callable(ahead):  # a cold cache: kernels needed later compile meanwhile elsewhere
        ahead(problem)  # (of the day's travel kind: static or time-dependent)
    if isinstance(problem, Scenario):
        problem = compile_scenario(problem)
    why = backend.capabilities.why_not(problem)
    if why is not None:
        raise UnsupportedProblemError(f"solver {backend.name!r} cannot solve this problem: {why}")
    if display and progress is None:
        progress = print_progress
    # backends with numba kernels load them first, outside the time limit and the runtime
    warm = getattr(backend, "warm_up", None)
    jit_seconds = float(_warm_up(warm, problem)) if callable(warm) else 0.0
    tic = time.perf_counter()
    try:
        out = backend.solve(problem, _backend_limits(limits), seed_value, progress)
    except FsdispatchError:
        raise
    except Exception as exc:
        raise BackendFailedError(f"solver {backend.name!r} failed: {exc}") from exc
    runtime = time.perf_counter() - tic
    evaluation = evaluate(problem, out.plan)
    status = out.status
    if not evaluation.is_feasible:
        logger.warning("solver %r returned a plan with %d violation(s)", backend.name,
                       len(evaluation.violations))
        status = SolveStatus.ERROR
    stats = dict(out.stats)
    if callable(warm):
        stats["jit_seconds"] = jit_seconds
    if out.objective is not None:
        stats["backend_objective"] = out.objective
    return SolveResult(plan=out.plan, evaluation=evaluation, status=status, bound=out.bound,
                       runtime=runtime, stats=stats, solver=backend.name, problem=problem)


def _warm_up(warm: Any, problem: Problem) -> float:
    """Call a backend's ``warm_up``, with the problem when it takes one (it then loads only
    the kernels such a problem needs)."""
    params: Any
    try:
        params = inspect.signature(warm).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        params = {}
    return float(warm(problem) if params else warm())


EVALUATION_SHARE = 0.03
"""Share of ``time_limit`` a backend leaves for the shared evaluation of its plan: the whole
:func:`solve` call (construction included; compilation and JIT warm-up excluded) returns
within the limit."""


def _backend_limits(limits: Limits) -> Limits:
    """``limits`` with the time limit a backend gets (see :data:`EVALUATION_SHARE`)."""
    if limits.time_limit is None:
        return limits
    return attrs.evolve(limits, time_limit=limits.time_limit * (1.0 - EVALUATION_SHARE))
