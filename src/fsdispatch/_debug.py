"""Debug mode (private): ``FSDISPATCH_ASSERT=1`` checks incremental bookkeeping against the
evaluator.

Greedy, ``ls`` and live dispatch price changes incrementally (an insertion's
cost, a move's delta, a search's running objective) instead of judging the
whole plan again. In debug mode every such figure is compared with the shared
evaluator's objective of the plan before and after the change, and a
mismatch raises :class:`~fsdispatch.errors.InternalCheckError`. It is slow
(one full evaluation per change) and meant for tests: CI runs the solver and
property tests with it on.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import InternalCheckError

if TYPE_CHECKING:
    from .plan import Plan
    from .problem.problem import Problem

__all__ = ["assert_mode", "check_close", "objective_of"]

REL_TOL = 1e-9
ABS_TOL = 1e-6


def assert_mode() -> bool:
    """Whether ``FSDISPATCH_ASSERT`` is set (to anything but ``""`` or ``"0"``)."""
    return os.environ.get("FSDISPATCH_ASSERT", "") not in ("", "0")


def objective_of(problem: Problem, routes: Iterable[Iterable[int]],
                 pickups: Mapping[int, int] | None = None, *,
                 with_balance: bool = True) -> float:
    """The evaluator's objective of ``routes`` (every other ticket unassigned); ``with_balance``
    False leaves out the load-balance term (which insertion pricing does not see)."""
    from .evaluate.evaluator import evaluate
    from .plan import Plan, UnassignedReason

    routes = [tuple(int(j) for j in route) for route in routes]
    routed = {j for route in routes for j in route}
    plan: Plan = Plan(routes=routes, pickups=dict(pickups or {}),
                      unassigned={j: UnassignedReason.SOLVER_LIMIT
                                  for j in range(problem.num_tickets) if j not in routed})
    ev = evaluate(problem, plan)
    if not ev.is_feasible:
        raise InternalCheckError(
            f"debug check: an intermediate plan breaks a rule: {ev.violations[0].message}")
    if with_balance:
        return ev.objective
    return ev.objective - float(ev.components.get("load_balance", 0.0))


def check_close(what: str, incremental: float, full: float, **context: Any) -> None:
    """Raise :class:`InternalCheckError` unless ``incremental`` equals ``full``
    (relative 1e-9, absolute 1e-6)."""
    if math.isclose(incremental, full, rel_tol=REL_TOL, abs_tol=ABS_TOL):
        return
    where = ", ".join(f"{k}={v!r}" for k, v in context.items())
    raise InternalCheckError(
        f"debug check failed: {what}: incremental {incremental!r} != evaluator {full!r} "
        f"(difference {incremental - full:+.9g}){'; ' + where if where else ''}")
