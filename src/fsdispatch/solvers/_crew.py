"""Crew jobs for the heuristics (``greedy``, ``ls``): place each crew, then plan around it.

A crew ticket of size ``k`` is planned as ``k`` member tickets of the expanded scenario
(:func:`~fsdispatch.problem.crew.expand_crews`). The crews are placed first, one
ticket at a time (most urgent first, then earliest window): each able technician's
best shift offers the start its route could give the member appended at its end;
the ``k`` technicians with the earliest starts form the crew and the latest of their
starts is the common start ``S`` (the others wait). The members are then pinned
(:func:`~fsdispatch.problem.crew.pin_windows`: one hard window ``[S, S]``), so the
ordinary insertion heuristic (and the local search, with the members locked in their
routes) fills the routes around them without ever delaying a crew. The plan is mapped
back: a crew ticket is in its ``k`` routes, or unassigned whole.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from ..plan import Plan
from ..problem.compile import compile_scenario
from ..problem.crew import crew_sizes, expand_crews, pin_windows
from ..problem.problem import Problem
from ..problem.reasons import UnassignedReason
from ..problem.rows import context_of, set_context
from .base import BackendOutput, SolveStatus

__all__ = ["CrewSpace", "crew_space", "solve_with_crews"]

_STARTS: weakref.WeakKeyDictionary[Problem, Plan] = weakref.WeakKeyDictionary()
"""The crew greedy plan of a split problem (``CrewSpace.free``): the exact backends'
warm start and fallback there (see :func:`member_start`)."""

_TRIALS = 6
"""Crews tried per ticket (consecutive technicians by start) before it is left out."""


@attrs.frozen
class CrewSpace:
    """The member-space problem with the crews placed and pinned.

    ``problem``: the expanded problem, crew members pinned to their common start and
    members of crews not placed marked unservable; ``plan``: the routes holding the
    placed members; ``locked``: their member indices; ``member_of``: original ticket
    index of each member-space ticket; ``left``: original crew tickets not placed, with
    the reason; ``free``: the expanded problem without pins, its ``crew_member_of``
    naming the crews (``cpsat`` plans on it).
    """

    problem: Problem
    plan: Plan
    locked: frozenset[int]
    member_of: np.ndarray
    left: dict[int, UnassignedReason]
    free: Problem


def _with_windows(base: Problem, pins: dict[int, int], unservable: np.ndarray) -> Problem:
    from ..kernels.structs import kernel_data

    fields: Any = getattr(base.data, "fields", base.data)
    win = pin_windows(fields.win, pins) if pins else fields.win
    out = attrs.evolve(base, data=kernel_data(fields._replace(win=win)), unservable=unservable)
    set_context(out, context_of(base))
    return out


def _starts(problem: Problem, routes: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(start, end)`` of each route's last visit by the schedule rule (the shift's
    start for both when the route is empty)."""
    from ..evaluate.timing import time_plan, visit_arrays

    ptr, visits = visit_arrays(routes)
    pick = np.full(visits.shape[0], -1, dtype=np.int64)
    tm = time_plan(problem.data, problem.num_routes, ptr, visits, pick)
    start = np.array(problem.data.rt.open, dtype=np.int64)
    end = start.copy()
    for r in range(problem.num_routes):
        if ptr[r + 1] > ptr[r]:
            start[r] = tm.start[ptr[r + 1] - 1]
            end[r] = tm.end[ptr[r + 1] - 1]
    return start, end


def _in_window(win: Any, i: int, t: int) -> bool:
    """Whether ticket ``i`` may start at ``t``: inside one of its windows, or soft ones."""
    if win.soft[i]:
        return True
    lo, hi = int(win.ptr[i]), int(win.ptr[i + 1])
    return any(int(win.start[w]) <= t <= int(win.end[w]) for w in range(lo, hi))


def _why_left(problem: Problem, i: int, k: int, able: int) -> UnassignedReason:
    """A crew ticket not placed: fewer than ``k`` eligible technicians (``no_skill``), fewer
    than ``k`` whose shifts reach it (``no_shift``), else no crew found (``no_capacity``)."""
    from ..problem.problem import Incompatibility

    codes = problem.compatible[:, i]
    eligible = int(((codes == 0) | (codes == Incompatibility.SHIFT)).sum())
    if eligible < k:
        return UnassignedReason.NO_SKILL
    return UnassignedReason.NO_SHIFT if able < k else UnassignedReason.NO_CAPACITY


def crew_space(problem: Problem) -> CrewSpace:
    """Place every crew of ``problem`` (see the module docstring)."""
    from ..evaluate import evaluate

    expanded, member_of = expand_crews(problem.scenario)
    big = compile_scenario(expanded)
    crew = crew_sizes(problem)
    kd = problem.data
    tech = kd.rt.tech
    members = {
        int(i): np.flatnonzero(member_of == i).tolist() for i in np.flatnonzero(crew > 1).tolist()
    }
    first_open = np.array(
        [
            int(kd.win.start[kd.win.ptr[i]]) if kd.win.ptr[i + 1] > kd.win.ptr[i] else 0
            for i in range(problem.num_tickets)
        ],
        dtype=np.int64,
    )
    order = sorted(members, key=lambda i: (int(kd.cost.priority[i]), int(first_open[i]), i))
    routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
    pins: dict[int, int] = {}
    left: dict[int, UnassignedReason] = {}
    unservable = big.unservable.copy()
    for i in order:
        k = int(crew[i])
        if problem.unservable[i]:
            left[i] = UnassignedReason.from_code(int(problem.unservable[i]))
            continue
        able = problem.routes_for(i).tolist()
        cur = _with_windows(big, pins, unservable)
        trial = [list(r) for r in routes]
        for r in able:
            trial[r].append(members[i][0])
        starts, _end = _starts(cur, trial)
        _start, free_at = _starts(cur, routes)
        best: dict[int, tuple[int, int]] = {}  # technician -> (start, route)
        for r in able:
            t = int(tech[r])
            if t not in best or int(starts[r]) < best[t][0]:
                best[t] = (int(starts[r]), r)
        ranked = sorted(best.values())
        # crews of technicians next by start; the one using the least of their time (travel
        # and waiting from when each route is free) first
        crews = []
        for lo in range(len(ranked) - k + 1):
            common = ranked[lo + k - 1][0]
            if _in_window(kd.win, i, common):
                used = sum(common - int(free_at[r]) for _s, r in ranked[lo : lo + k])
                crews.append((used, common, [r for _s, r in ranked[lo : lo + k]]))
        crews.sort(key=lambda c: (c[0], c[1]))
        placed = False
        for _used, common, crew_routes in crews[:_TRIALS]:
            try_pins = dict(pins)
            try_routes = [list(r) for r in routes]
            for m, r in zip(members[i], crew_routes, strict=True):
                try_pins[m] = common
                try_routes[r].append(m)
            candidate = _with_windows(big, try_pins, unservable)
            routed = {j for route in try_routes for j in route}
            plan = Plan(
                routes=try_routes,
                unassigned={
                    j: UnassignedReason.NOT_PROFITABLE
                    for j in range(big.num_tickets)
                    if j not in routed
                },
            )
            if evaluate(candidate, plan).is_feasible:
                routes, pins, placed = try_routes, try_pins, True
                break
        if not placed:
            left[i] = _why_left(problem, i, k, len(ranked))
    for i, reason in left.items():
        for m in members[i]:
            unservable[m] = reason.code
    crew_of = np.where(crew_sizes(problem)[member_of] > 1, member_of, -1)
    impossible = big.unservable.copy()  # for the exact backends: crews no crew can serve
    for i, reason in left.items():
        if reason is not UnassignedReason.NO_CAPACITY:
            for m in members[i]:
                impossible[m] = reason.code
    free = attrs.evolve(big, crew_member_of=crew_of, unservable=impossible)
    set_context(free, context_of(big))
    placed_members = frozenset(pins)
    out = _with_windows(big, pins, unservable)
    unassigned = {
        j: UnassignedReason.OPEN for j in range(big.num_tickets) if j not in placed_members
    }
    return CrewSpace(
        problem=out,
        plan=Plan(routes=routes, unassigned=unassigned),
        locked=placed_members,
        member_of=member_of,
        left=left,
        free=free,
    )


def map_back(problem: Problem, space: CrewSpace, plan: Plan) -> Plan:
    """The member-space ``plan`` as a plan of ``problem``: a crew ticket whose members are
    not all routed on distinct technicians (or has a depot stop) is unassigned whole."""
    member_of = space.member_of
    crew = crew_sizes(problem)
    tech = problem.data.rt.tech
    on: dict[int, list[int]] = {}
    for r, route in enumerate(plan.routes):
        for j in route:
            on.setdefault(int(member_of[j]), []).append(int(tech[r]))
    pickups: dict[int, int] = {}
    broken: set[int] = set()
    for j, d in plan.pickups.items():
        i = int(member_of[j])
        if crew[i] > 1:
            broken.add(i)
        else:
            pickups[i] = d
    for i, techs in on.items():
        if crew[i] > 1 and (len(techs) != crew[i] or len(set(techs)) != len(techs)):
            broken.add(i)
    routes = [
        [int(member_of[j]) for j in route if int(member_of[j]) not in broken]
        for route in plan.routes
    ]
    unassigned: dict[int, UnassignedReason] = {}
    for j, reason in plan.unassigned.items():
        i = int(member_of[j])
        if i not in on or i in broken:
            unassigned[i] = space.left.get(i, reason)
    for i in broken:
        unassigned.setdefault(i, UnassignedReason.NO_CAPACITY)
    return Plan(routes=routes, unassigned=unassigned, pickups=pickups)


def _settle(problem: Problem, plan: Plan) -> Plan:
    """``plan`` with the crews the evaluator cannot synchronise left out.

    The members were timed with their starts pinned; the evaluator times the plan with
    the least common starts (``docs/crew.md``), which a route's break may move (the
    schedule rule places breaks for the earliest return, not the earliest crew visit).
    Any violation on a route holding a crew visit unassigns the crew tickets on that
    route (``no_capacity``), until the plan passes or holds no crew.
    """
    from ..evaluate import evaluate

    crew = crew_sizes(problem)
    index = problem.index
    while True:
        violations = evaluate(problem, plan).violations
        if not violations:
            return plan
        labels = {v.route for v in violations if v.route is not None}
        drop = {
            index.ticket_idx(v.ticket_id)
            for v in violations
            if v.ticket_id is not None and index.has_ticket(v.ticket_id)
        }
        drop = {j for j in drop if crew[j] > 1}
        for r, route in enumerate(plan.routes):
            if index.route_label(r) in labels:
                drop |= {j for j in route if crew[j] > 1}
        if not drop:
            return plan  # not a crew's doing: solve() reports it
        plan = Plan(
            routes=[[j for j in route if j not in drop] for route in plan.routes],
            unassigned={**plan.unassigned, **dict.fromkeys(drop, UnassignedReason.NO_CAPACITY)},
            pickups=plan.pickups,
        )


def without_members(problem: Problem) -> Problem:
    """A split problem whose crew members no single insertion may place (marked
    unservable, ``no_capacity``): a crew is placed whole or not at all."""
    crew_of = problem.crew_member_of
    if crew_of is None:
        return problem
    unservable = problem.unservable.copy()
    members = (crew_of >= 0) & (unservable == 0)
    unservable[members] = UnassignedReason.NO_CAPACITY.code
    out = attrs.evolve(problem, unservable=unservable)
    set_context(out, context_of(problem))
    return out


def member_start(problem: Problem) -> Plan | None:
    """The crew greedy plan of a split problem, if :func:`exact_run` made one."""
    return _STARTS.get(problem)


def exact_run(space: CrewSpace, solve: Callable[[Problem], BackendOutput]) -> BackendOutput:
    """Run an exact backend's ``solve`` on ``space.free``, its warm start the crew greedy."""
    from .base import Limits
    from .greedy import GreedySolver

    start = GreedySolver(initial_plan=space.plan).solve(space.problem, Limits(), None, None)
    _STARTS[space.free] = start.plan
    try:
        return solve(space.free)
    finally:
        _STARTS.pop(space.free, None)


def solve_with_crews(
    problem: Problem, name: str, run: Callable[[CrewSpace], BackendOutput]
) -> BackendOutput:
    """Run a backend (``run``: its solve on the crew space) and map its plan back.

    The member-space objective charges an unassigned crew's penalty once per member, so
    no bound or optimality carries over: the status is at best ``FEASIBLE``.
    """
    space = crew_space(problem)
    out = run(space)
    plan = _settle(problem, map_back(problem, space, out.plan))
    stats: dict[str, Any] = {
        **out.stats,
        "crews_placed": len({int(space.member_of[j]) for j in space.locked}),
    }
    status = SolveStatus.FEASIBLE if out.status is SolveStatus.OPTIMAL else out.status
    return BackendOutput(plan=plan, status=status, bound=None, objective=None, stats=stats)
