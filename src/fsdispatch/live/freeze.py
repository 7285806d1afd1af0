"""A re-plan with a freeze: nothing that starts before ``now + freeze`` changes.

See :meth:`fsdispatch.live.Dispatcher.reoptimize` and ``docs/live.md`` (Freeze).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..evaluate.evaluation import Evaluation
from ..evaluate.evaluator import evaluate
from ..plan import Plan
from ..problem.problem import Problem
from .results import Pin

if TYPE_CHECKING:
    from .live_problem import LivePlan

__all__ = ["freeze_pins", "keeps", "replan_frozen"]


def replan_frozen(lp: LivePlan, solver: str, time_limit: float | None, seed: int | None,
                  freeze: int, options: Mapping[str, Any]) -> Plan:
    """The plan a re-optimisation with a freeze adopts, as a plan of the pinned problem
    (the caller adopts it, then rebuilds the live problem without the pins).

    Every visit starting before ``now + freeze`` is pinned to its technician and start
    for the re-plan. Its plan is then timed by the evaluator on the live problem
    *without* the pins (the problem it is adopted into): plans hold orders, not
    times, and the schedule rule may place a break differently on a changed route and
    so re-time a frozen visit. Such a plan is not adopted: of the greedy repair of the
    current plan and the current plan itself, the one with the lower objective that
    keeps every frozen visit is (the current plan always does: it is how they were
    timed).
    """
    base, current = lp.problem, lp.plan  # the live problem without the freeze's pins
    held = freeze_pins(lp, freeze)
    try:
        chosen, pinned, warm = lp.replan(solver, time_limit, seed, options)
    finally:
        for tid in held:
            lp.state.pins.pop(tid, None)
    # the pins change windows and technicians, not the tickets: plans of one are plans
    # of the other
    assert pinned.index.ticket_ids == base.index.ticket_ids
    if not held or keeps(base, chosen, held)[0]:
        return chosen
    best = current
    if warm is not chosen:
        ok, objective = keeps(base, warm, held)
        if ok and objective < keeps(base, best, held)[1] - 1e-9:
            best = warm
    return best

def keeps(base: Problem, plan: Plan,
          held: Mapping[str, tuple[str, int]]) -> tuple[bool, float]:
    """Whether ``plan``, timed by the evaluator on ``base`` (the live problem without the
    freeze's pins), is feasible and keeps every held visit's technician and start; and
    its objective there."""
    ev = evaluate(base, plan)
    if not ev.is_feasible:
        return False, ev.objective
    times = _held_times(base, ev)
    return all(times.get(t) == v for t, v in held.items()), ev.objective

def freeze_pins(lp: LivePlan, freeze: int) -> dict[str, tuple[str, int]]:
    """Pin every unpinned visit that starts before ``now + freeze`` to its technician and
    start (the caller removes the pins); returns the visits pinned (ticket id ->
    (technician id, start))."""
    state = lp.state
    limit = state.to_internal(state.now) + freeze
    frozen = {tid: (tech, start) for tid, (tech, start) in lp.snapshot().items()
              if start < limit and tid not in state.pins}
    for tid, (tech, start) in frozen.items():
        state.pins[tid] = Pin(tech, state.to_datetime(start), state.to_datetime(start))
    if frozen:
        lp.rebuild(None)
    return frozen


def _held_times(problem: Problem, ev: Evaluation) -> dict[str, tuple[str, int]]:
    """Ticket id -> (technician id, start) of every visit the evaluation timed."""
    index = problem.index
    times = ev.times
    return {index.ticket_ids[int(j)]: (index.technician_ids[index.routes[int(r)][0]], int(s))
            for j, r, s in zip(times.ticket.tolist(), times.route.tolist(),
                               times.start.tolist(), strict=True)}
