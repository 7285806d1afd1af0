"""The evaluator's timing of a routed plan: the schedule rule per visit, break and route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Timing", "namers", "time_plan", "visit_arrays", "waiting"]


def namers(index: Any) -> tuple[Callable[[int], str], Callable[[int], str]]:
    """``(label, tech_of)``: a route's label and its technician's id, by route index."""

    def label(r: int) -> str:
        return str(index.route_label(r))

    def tech_of(r: int) -> str:
        return str(index.technician_ids[index.routes[r][0]])

    return label, tech_of


def visit_arrays(clean_routes: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, visits)``: the routes' visits as CSR rows."""
    ptr = np.zeros(len(clean_routes) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in clean_routes], out=ptr[1:])
    visits = np.fromiter((j for route in clean_routes for j in route), dtype=np.int64,
                         count=int(ptr[-1]))
    return ptr, visits


class Timing(NamedTuple):
    """The schedule rule's timing of a routed plan (per visit, break and route)."""

    arrival: np.ndarray
    start: np.ndarray
    end: np.ndarray
    pick_start: np.ndarray
    brk: np.ndarray  #: break starts (-1: not taken)
    ret: np.ndarray  #: route return times
    trav: np.ndarray
    dist: np.ndarray
    serv: np.ndarray
    pserv: np.ndarray  #: seconds at depot stops per route
    blate: np.ndarray  #: a break could not start within its window


def time_plan(kd: Any, num_routes: int, ptr: np.ndarray, visits: np.ndarray,
               pick: np.ndarray) -> Timing:
    nv = visits.shape[0]
    tm = Timing(
        arrival=np.zeros(nv, dtype=np.int64), start=np.zeros(nv, dtype=np.int64),
        end=np.zeros(nv, dtype=np.int64), pick_start=np.full(nv, -1, dtype=np.int64),
        brk=np.full(kd.brk.dur.shape[0], -1, dtype=np.int64),
        ret=np.zeros(num_routes, dtype=np.int64), trav=np.zeros(num_routes, dtype=np.int64),
        dist=np.zeros(num_routes), serv=np.zeros(num_routes, dtype=np.int64),
        pserv=np.zeros(num_routes, dtype=np.int64), blate=np.zeros(num_routes, dtype=np.bool_))
    if num_routes:
        from ._kernels import simulate_routes  # numba is imported on first use

        simulate_routes(kd, pick, ptr, visits, tm.arrival, tm.start, tm.end, tm.pick_start,
                        tm.brk, tm.ret, tm.trav, tm.dist, tm.serv, tm.pserv, tm.blate)
    return tm


def waiting(kd: Any, ptr: np.ndarray, tm: Timing) -> np.ndarray:
    """Waiting per visit: arrival to start, less the breaks taken in between."""
    wait = tm.start - tm.arrival
    if kd.brk.dur.shape[0] and tm.start.shape[0]:
        for r in range(ptr.shape[0] - 1):
            blo, bhi = kd.brk.ptr[r], kd.brk.ptr[r + 1]
            if bhi == blo or ptr[r] == ptr[r + 1]:
                continue
            sl = slice(ptr[r], ptr[r + 1])
            for b in range(blo, bhi):
                if tm.brk[b] < 0:
                    continue
                inside = (tm.brk[b] >= tm.arrival[sl]) & (tm.brk[b] < tm.start[sl])
                wait[sl] -= np.where(inside, kd.brk.dur[b], 0)
    return np.maximum(wait, 0)
