"""Assignment-only mode: the travel estimate and per-(route, ticket) figures, defined once.

In assignment mode a plan gives each ticket a technician shift (a route)
without sequencing. The evaluator and every backend judge such a plan with
the figures computed here, so there is exactly one definition of the travel
estimate and of the capacity in minutes (see ``docs/concepts.md``,
"Assignment-only mode").
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

from .problem import Problem

__all__ = ["AssignmentData", "assignment_data"]


class AssignmentData(NamedTuple):
    """Per-(route, ticket) figures of assignment mode. R routes, N tickets.

    Attributes
    ----------
    able:
        bool ``(R, N)``: the route can serve the ticket on its own (the compiled
        ``problem.ticket_routes``: skills, parts, windows, shift, breaks).
    travel:
        int64 ``(R, N)``: the travel estimate in seconds, half the round trip
        from the route's start location to the ticket and back to its end
        location, ``(t(start, j) + t(j, end) + 1) // 2``.
    km:
        float64 ``(R, N)``: the same estimate in km, ``(d(start, j) + d(j, end)) / 2``.
    work:
        int64 ``(R, N)``: service seconds of the route's technician plus ``travel``.
    start:
        int64 ``(R, N)``: serve-first start: the ticket's service start if it
        were the route's first visit (the shared schedule rule, breaks included).
    late_cost:
        float64 ``(R, N)``: SLA and soft-window lateness cost of the serve-first
        start (an optimistic estimate: no other visit delays it).
    sla_late, window_late:
        int64 ``(R, N)``: the serve-first SLA and soft-window lateness in seconds.
    hours:
        int64 ``(R,)``: working seconds of the shift, ``close − open − Σ breaks``.
    limit:
        int64 ``(R,)``: ``hours`` plus the technician's allowed overtime; the
        work assigned to a route must not exceed it.
    """

    able: np.ndarray
    travel: np.ndarray
    km: np.ndarray
    work: np.ndarray
    start: np.ndarray
    late_cost: np.ndarray
    sla_late: np.ndarray
    window_late: np.ndarray
    hours: np.ndarray
    limit: np.ndarray


_CACHE: weakref.WeakKeyDictionary[Problem, AssignmentData] = weakref.WeakKeyDictionary()


def assignment_data(problem: Problem) -> AssignmentData:
    """The assignment-mode figures of ``problem`` (computed once per problem, then cached).

    Parameters
    ----------
    problem:
        The compiled problem.

    Returns
    -------
    AssignmentData
        Read-only arrays; see :class:`AssignmentData` for the definitions.
    """
    cached = _CACHE.get(problem)
    if cached is not None:
        return cached
    kd = problem.data
    num_routes, num_tickets = problem.num_routes, problem.num_tickets
    able = np.zeros((num_routes, num_tickets), dtype=np.bool_)
    for j in range(num_tickets):
        able[problem.routes_for(j), j] = True
    travel = np.zeros((num_routes, num_tickets), dtype=np.int64)
    km = np.zeros((num_routes, num_tickets))
    start = np.zeros((num_routes, num_tickets), dtype=np.int64)
    late_cost = np.zeros((num_routes, num_tickets))
    sla = np.zeros((num_routes, num_tickets), dtype=np.int64)
    wlate = np.zeros((num_routes, num_tickets), dtype=np.int64)
    if num_routes and num_tickets:
        from ._assignment_kernels import serve_first

        serve_first(kd.tv, kd.win, kd.cost, kd.brk, kd.rt, kd.tech.service, kd.ticket_node,
                    travel, km, start, late_cost, sla, wlate)
    service = kd.tech.service[kd.rt.tech].astype(np.int64) if num_routes else \
        np.zeros((0, num_tickets), dtype=np.int64)
    brk_total = np.zeros(num_routes, dtype=np.int64)
    if num_routes:
        brk_total = np.add.reduceat(np.append(kd.brk.dur, 0), kd.brk.ptr[:-1])
        brk_total[np.diff(kd.brk.ptr) == 0] = 0
    hours = np.maximum(kd.rt.close - kd.rt.open - brk_total, 0).astype(np.int64)
    limit = hours + (kd.rt.max_close - kd.rt.close)
    out = AssignmentData(able=able, travel=travel, km=km, work=service + travel, start=start,
                         late_cost=late_cost, sla_late=sla, window_late=wlate, hours=hours,
                         limit=limit.astype(np.int64))
    for arr in out:
        arr.setflags(write=False)
    _CACHE[problem] = out
    return out
