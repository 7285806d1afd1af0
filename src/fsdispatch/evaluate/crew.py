"""The evaluator's crew checks and crew-synchronised timing (see ``docs/crew.md``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..problem.crew import clamp_windows, crew_sizes, pin_windows
from ..problem.problem import Problem
from .evaluation import Violation
from .timing import Timing, namers, time_plan

__all__ = ["crew_members", "synchronise"]


def crew_members(problem: Problem, clean_routes: list[list[int]], crew: np.ndarray,
                  violations: list[Violation]) -> None:
    """A routed crew ticket needs ``crew_size`` visits on as many distinct technicians."""
    tids = problem.index.ticket_ids
    tech = problem.data.rt.tech
    label, tech_of = namers(problem.index)
    members: dict[int, list[int]] = {}
    for r, route in enumerate(clean_routes):
        for j in route:
            if crew[j] > 1:
                members.setdefault(j, []).append(r)
    for j, routes in sorted(members.items()):
        if len(routes) < crew[j]:
            violations.append(Violation(
                "crew", f"crew ticket {tids[j]!r} needs {int(crew[j])} technicians, it is "
                f"routed on {len(routes)} ({', '.join(label(r) for r in routes)})",
                ticket_id=tids[j], route=label(routes[0]), value=len(routes)))
        techs = [int(tech[r]) for r in routes]
        for k, t in enumerate(techs):
            if t in techs[:k]:
                violations.append(Violation(
                    "crew", f"crew ticket {tids[j]!r} is served twice by technician "
                    f"{tech_of(routes[k])!r}: its crew must be distinct technicians",
                    ticket_id=tids[j], technician_id=tech_of(routes[k]),
                    route=label(routes[k])))


def synchronise(problem: Problem, kd: Any, ptr: np.ndarray, visits: np.ndarray,
                 pick: np.ndarray, tm: Timing,
                 violations: list[Violation]) -> tuple[Any, Timing]:
    """The crew-synchronised timing of a routed plan (see ``docs/crew.md``).

    *Least common starts* first: the start bound ``S`` of every crew ticket is raised to
    its members' latest start and the routes are timed again with the windows cut to it
    (:func:`~fsdispatch.problem.crew.clamp_windows`), until every crew ticket's members
    start together. When that timing breaks a rule (a member's route may spend the wait
    on a break, which delays the crew), the *met starts*: each crew starts when its last
    member is there (the members' arrivals, at a window), fixed to it
    (:func:`~fsdispatch.problem.crew.pin_windows`) and raised to the latest start while a
    member cannot make it; the met starts are taken when they settle with fewer broken
    rules. Routes whose crew visits wait for each other in a circle never settle: after
    ``crew tickets + 2`` rounds the tickets whose members still start apart are ``crew``
    violations.
    """
    crew = crew_sizes(problem)
    shared = np.flatnonzero(crew[visits] > 1)
    if not shared.size:
        return kd, tm
    base = kd.fields if hasattr(kd, "fields") else kd
    rounds = len(set(visits[shared].tolist())) + 2
    least = _crew_rounds(problem, base, ptr, visits, pick, shared, tm, rounds, pinned=False)
    best = least
    if least[2] or _timing_faults(base, visits, ptr, least[1]):
        met = _crew_rounds(problem, base, ptr, visits, pick, shared, tm, rounds, pinned=True)
        if not met[2] and (least[2] or _timing_faults(base, visits, ptr, met[1])
                           < _timing_faults(base, visits, ptr, least[1])):
            best = met
    tids = problem.index.ticket_ids
    for j, (lo, hi) in sorted(best[2].items()):
        violations.append(Violation(
            "crew", f"crew ticket {tids[j]!r}: its members cannot start together (starts "
            f"{hi - lo} s apart; crew visits wait for each other in a circle?)",
            ticket_id=tids[j], value=int(hi - lo)))
    return best[0], best[1]


def _window_start(win: Any, j: int, ready: int) -> int:
    """Earliest start of ticket ``j`` for a crew ready at ``ready`` (the schedule rule's)."""
    for w in range(int(win.ptr[j]), int(win.ptr[j + 1])):
        if ready <= int(win.end[w]):
            return max(ready, int(win.start[w]))
    return ready


def _crew_rounds(problem: Problem, base: Any, ptr: np.ndarray, visits: np.ndarray,
                 pick: np.ndarray, shared: np.ndarray, tm: Timing, rounds: int, *,
                 pinned: bool) -> tuple[Any, Timing, dict[int, tuple[int, int]]]:
    """Least common starts (``pinned=False``) or met starts (``pinned=True``): returns the
    kernel data, the timing and the crew tickets whose members still start apart."""
    from ..kernels.structs import kernel_data  # numba is imported on first use

    kd: Any = kernel_data(base)
    bound: dict[int, int] = {}
    if pinned:
        for k in shared.tolist():
            j = int(visits[k])
            t = _window_start(base.win, j, int(tm.arrival[k]))
            bound[j] = max(bound.get(j, t), t)
        kd = kernel_data(base._replace(win=pin_windows(base.win, bound)))
        tm = time_plan(kd, problem.num_routes, ptr, visits, pick)
    apart: dict[int, tuple[int, int]] = {}
    for _round in range(rounds):
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for k in shared.tolist():
            j, t = int(visits[k]), int(tm.start[k])
            first[j] = min(first.get(j, t), t)
            last[j] = max(last.get(j, t), t)
        apart = {j: (first[j], last[j]) for j in last
                 if first[j] != last[j] or (pinned and last[j] != bound[j])}
        if not apart:
            break
        for j, (_lo, hi) in apart.items():
            hi = _window_start(base.win, j, hi) if pinned else hi
            bound[j] = max(bound.get(j, hi), hi)
        win = pin_windows(base.win, bound) if pinned else clamp_windows(base.win, bound)
        kd = kernel_data(base._replace(win=win))
        tm = time_plan(kd, problem.num_routes, ptr, visits, pick)
    return kd, tm, apart


def _timing_faults(base: Any, visits: np.ndarray, ptr: np.ndarray, tm: Timing) -> int:
    """Rules a timing breaks: hard windows missed (original windows), late returns and
    breaks out of their windows."""
    win = base.win
    faults = 0
    if visits.shape[0]:
        last_end = win.end[win.ptr[1:] - 1][visits]
        faults += int(((~win.soft[visits]) & (tm.start > last_end)).sum())
    used = np.diff(ptr) > 0
    faults += int((used & (tm.ret > base.rt.max_close)).sum()) + int(tm.blate.sum())
    return faults
