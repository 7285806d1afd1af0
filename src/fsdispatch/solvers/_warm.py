"""One warm-up for the routing backends' numba kernels (private).

The first call of a numba kernel in a process compiles it (or loads it from the
on-disk cache), so a backend's first solve would spend its time limit on that.
:func:`warm_greedy` and :func:`warm_ls` run the backend once on a tiny generated
day (:func:`tiny_problem`) instead, once per process and kind of day:
``greedy.warm_up`` and ``local_search.warm_up`` are these two.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plan import Plan
    from ..problem.problem import Problem

__all__ = ["ahead_job", "compile_evaluator", "is_traffic_day", "tiny_problem", "warm_greedy",
           "warm_ls"]

_DONE: dict[str, set[tuple[bool, bool]]] = {"greedy": set(), "ls": set()}
"""Per backend, the kinds of day (with depots or not, traffic or not) warmed up in this
process."""


def _first(backend: str, depots: bool, traffic: bool) -> bool:
    """Whether ``backend`` has not yet been warmed up for a day like this one (a day with
    depots covers one without, of the same travel kind); marks it warmed up."""
    done = _DONE[backend]
    if (depots, traffic) in done or (True, traffic) in done:
        return False
    done.add((depots, traffic))
    return True


def is_traffic_day(problem: Problem | Any | None) -> bool:
    """Whether ``problem``'s travel is time-dependent: its kernel data is then of the other
    numba type (``TravelData.prof`` set), for which the kernels compile the schedule rule's
    time-dependent variant (``kernels.timing.leg_time``); ``None``: a static day. A
    :class:`~fsdispatch.domain.Scenario` (not compiled yet) is judged by its ``travel``."""
    if problem is None:
        return False
    data = getattr(problem, "data", None)
    if data is not None:
        return data.tv.prof is not None
    from ..problem._traffic import is_time_dependent

    return is_time_dependent(getattr(problem, "travel", None))


def tiny_problem(depots: bool = False, traffic: bool = False) -> Problem:
    """The warm-up day: 2 technicians, 6 tickets (``depots``: one depot holding one unit
    of every part; ``traffic``: travel time-dependent, at a constant speed factor of 1)."""
    from ..domain import Depot, SpeedProfile, TimeDependentTravel
    from ..generate import generate_scenario
    from ..problem.compile import compile_scenario

    scenario = generate_scenario(2, 6, seed=0, name="warm-up")
    if depots:
        skus = [p.sku for p in scenario.parts]
        scenario = scenario.replace(depots=[Depot("warm-up", scenario.tickets[0].location,
                                                  stock={s: 1 for s in skus})])
    if traffic:
        base: Any = scenario.travel  # (a generated day's travel is static)
        scenario = scenario.replace(travel=TimeDependentTravel(base, SpeedProfile.constant(1.0)))
    return compile_scenario(scenario)


def compile_evaluator(traffic: bool = False) -> None:
    """Compile (or load) the evaluator's kernels by judging a one-visit plan of the warm-up
    day (what :mod:`fsdispatch.solvers._ahead` runs in a second process on a cold cache
    while the first compiles the greedy kernels)."""
    from ..evaluate.evaluator import evaluate
    from ..plan import Plan

    problem = tiny_problem(traffic=traffic)
    routes: list[tuple[int, ...]] = [()] * problem.num_routes
    routes[0] = (0,)
    evaluate(problem, Plan(routes=tuple(routes)))


def ahead_job(job: str, traffic: bool) -> str:
    """The name of ``job`` (``"ls"``, ``"evaluate"``) for a day of this travel kind."""
    return f"{job}-traffic" if traffic else job


def warm_greedy(depots: bool = True, *, evaluator_ahead: bool = True,
                traffic: bool = False) -> float:
    """Compile (or load) the greedy kernels once; returns seconds (0 when already warm).

    With ``depots`` the day has a depot, which also loads the depot-stop kernels;
    without, only what a day without depots runs is compiled (a quicker cold start).
    ``traffic``: for a day with time-dependent travel (the kernels' other type: a static
    day compiles only the schedule rule's static variant, a traffic day only the other).
    On a cold cache the evaluator's kernels compile in a second process meanwhile
    (:mod:`fsdispatch.solvers._ahead`) unless ``evaluator_ahead`` is false.
    """
    if not _first("greedy", depots, traffic):
        return 0.0
    import numpy as np

    from ..evaluate._kernels import simulate_routes
    from ..evaluate.evaluator import evaluate
    from . import _ahead as ahead
    from ._greedy_kernels import greedy_steps, parts_blocked
    from .base import Limits
    from .greedy import GreedySolver, make_state

    tic = time.perf_counter()
    # cold cache: the evaluator's kernels compile in a second process meanwhile
    second = None
    if evaluator_ahead and not ahead.cached(greedy_steps):
        second = ahead.start(ahead_job("evaluate", traffic), simulate_routes)
    problem = tiny_problem(depots, traffic)
    # one candidate route per ticket: the second chance beyond the candidates runs too
    plan = GreedySolver(max_candidates=1).solve(problem, Limits(), 0, None).plan
    parts_blocked(problem.data, problem.ticket_routes_ptr, problem.ticket_routes,
                  make_state(problem), np.zeros(0, dtype=np.int64),
                  np.zeros(0, dtype=np.bool_))  # the reasons of tickets left out
    if second is not None:
        second.wait()
    evaluate(problem, plan)  # the evaluator's kernels (solve() judges every plan)
    return time.perf_counter() - tic


def warm_ls(depots: bool = True, traffic: bool = False) -> float:
    """Compile (or load) every kernel ``ls`` uses once; returns seconds (0 when already
    warm). ``depots`` also loads the greedy start's depot-stop kernels; ``traffic``: for a
    day with time-dependent travel (see :func:`warm_greedy`).

    On a cold cache the search's kernels compile in a second process while this one
    compiles the greedy start (:mod:`fsdispatch.solvers._ahead`).
    """
    if not _first("ls", depots, traffic):
        return 0.0
    from . import _ahead as ahead
    from ._greedy_kernels import greedy_steps
    from .base import Limits
    from .greedy import GreedySolver
    from .local_search._search import search
    from .local_search.solver import LocalSearchSolver, unassigned_reasons

    tic = time.perf_counter()
    # cold cache: the search's kernels compile in a second process meanwhile (started
    # already if solve() called compile_ahead(); then this is that process)
    second = None if ahead.cached(greedy_steps) else ahead.start(ahead_job("ls", traffic),
                                                                  search)
    # (the evaluator compiles here, after the greedy start: one second process is enough)
    warm_greedy(depots, evaluator_ahead=second is None, traffic=traffic)
    problem = tiny_problem(traffic=traffic)
    # the reasons of tickets left out (a greedy plan with one ticket taken out), then
    # (when the second process is done with them) the search's kernels
    unassigned_reasons(problem, _one_out(GreedySolver().solve(problem, Limits(), 0, None).plan))
    if second is not None:
        second.wait()
    LocalSearchSolver().solve(problem, Limits(max_iterations=20), 0, None)
    return time.perf_counter() - tic


def _one_out(plan: Plan) -> list[tuple[int, ...]]:
    """The routes of ``plan`` with the last ticket of its longest route taken out."""
    routes = [list(route) for route in plan.routes]
    longest = max(range(len(routes)), key=lambda r: len(routes[r]))
    if routes[longest]:
        routes[longest].pop()
    return [tuple(route) for route in routes]
