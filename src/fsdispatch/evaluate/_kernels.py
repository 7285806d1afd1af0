"""numba kernels of the evaluator: time whole plans by the one schedule rule.

The rule itself (travel, windows, lateness costs, the optimal placement of
breaks) lives in :mod:`fsdispatch.kernels.timing`; it is re-exported here for
the modules that import it from this one. Kernels take only
:class:`KernelData` groups and arrays (``kd`` is a struct numba passes as one
pointer).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..kernels.consts import FALSE, ONE, TRUE, ZERO
from ..kernels.jit import internal
from ..kernels.structs import struct_of
from ..kernels.timing import (
    EARTH_RADIUS_KM,
    T_INF,
    _geo_km,
    _round_secs,
    advance,
    choose_end,
    earliest_start,
    hard_late,
    sla_late,
    travel,
    travel_time,
    visit_cost,
    walk_finish,
    walk_leg,
    window_late,
)

__all__ = [
    "EARTH_RADIUS_KM",
    "T_INF",
    "TimeWork",
    "_geo_km",
    "_round_secs",
    "earliest_start",
    "hard_late",
    "make_time_work",
    "simulate_routes",
    "sla_late",
    "time_route",
    "travel",
    "travel_time",
    "visit_cost",
    "window_late",
]


class TimeWork(NamedTuple):
    """Scratch of :func:`time_route` for routes of up to ``V`` visits (``S = 2V`` stops, a
    depot stop before any visit) and ``B`` breaks."""

    lab: np.ndarray  #: (S + 1, B + 1) int64 labels: free time by breaks taken
    pc: np.ndarray  #: (S + 1, B + 1) float64 lateness cost on the way to each label
    pred: np.ndarray  #: (S + 1, B + 1) int64 breaks taken before the stop on that way
    path: np.ndarray  #: (S + 1,) int64 breaks taken after each stop on the kept way
    kind: np.ndarray  #: (S,) int64 0: a ticket, 1: a depot stop
    sid: np.ndarray  #: (S,) int64 ticket or depot index
    tt: np.ndarray  #: (S + 1,) int64 travel into each stop (the last entry: home)
    vis: np.ndarray  #: (S,) int64 position in ``visits`` of the stop's visit
    nd: np.ndarray  #: (S + 2,) int64 nodes: the start, each stop's, the end location


@internal
def make_time_work(max_visits, max_breaks):
    """:class:`TimeWork` for routes of up to ``max_visits`` visits and ``max_breaks`` breaks."""
    s = 2 * max_visits
    bb = max_breaks + 1
    return struct_of(TimeWork(np.empty((s + 1, bb), dtype=np.int64), np.empty((s + 1, bb)),
                              np.empty((s + 1, bb), dtype=np.int64),
                              np.empty(s + 1, dtype=np.int64), np.empty(s, dtype=np.int64),
                              np.empty(s, dtype=np.int64), np.empty(s + 1, dtype=np.int64),
                              np.empty(s, dtype=np.int64), np.empty(s + 2, dtype=np.int64)))


@internal
def time_route(kd, r, visits, picks, lo, hi, t_open, start_node, tw, arrival, start, end,
               pick_start, brk_out):
    """Time ``visits[lo:hi]`` on route ``r`` by the schedule rule, from ``start_node`` at
    ``t_open`` (the route's shift start and start location, or where a technician is now).

    ``picks[k] >= 0`` puts a stop at that depot right before visit ``k``:
    travel there, wait for an opening window, ``pickup`` seconds there (timed
    like a visit, with no lateness cost). Fills per visit ``arrival``,
    ``start``, ``end`` and ``pick_start`` (-1: no stop), and the route's
    break starts in ``brk_out`` (-1: not needed, or the route is empty).
    When no timing keeps every window, break and the shift end, the relaxed
    rule gives the timing (see :mod:`fsdispatch.kernels.timing`).

    Returns ``(feasible, return_time, travel_s, km, service_s, pickup_s,
    break_late)``; under time-dependent travel ``travel_s`` is the legs' own seconds
    by their departure on the kept timing.
    """
    tv = kd.tv
    brk = kd.brk
    rt = kd.rt
    dep = kd.dep
    base = brk.ptr[r]
    nbr = brk.ptr[r + 1] - base
    for x in range(base, base + nbr):
        brk_out[x] = -1
    for k in range(lo, hi):
        pick_start[k] = -1
    if hi == lo:
        return True, t_open, np.int64(0), 0.0, np.int64(0), np.int64(0), False
    service_row = kd.tech.service[rt.tech[r]]
    cur = start_node
    ns = ZERO  # (typed constants: the helpers compile once)
    trav = np.int64(0)
    dist = 0.0
    serv = np.int64(0)
    pserv = np.int64(0)
    tw.nd[0] = start_node
    for k in range(lo, hi):
        d = picks[k]
        if d >= 0:
            node = dep.node[d]
            t, km = travel(tv, cur, node)
            ns = _add_stop(tw, ns, ONE, d, t, k, node)
            trav += t
            dist += km
            pserv += dep.pickup[d]
            cur = node
        j = visits[k]
        node = kd.ticket_node[j]
        t, km = travel(tv, cur, node)
        ns = _add_stop(tw, ns, ZERO, j, t, k, node)
        trav += t
        dist += km
        serv += np.int64(service_row[j])
        cur = node
    t, km = travel(tv, cur, rt.end_node[r])
    tw.tt[ns] = t
    tw.nd[ns + 1] = rt.end_node[r]
    trav += t
    dist += km
    feasible, bstar = _label_stops(kd, tw, ns, base, nbr, service_row, t_open, rt.max_close[r])
    ret, blate, driven = _lay_stops(kd, tw, ns, base, nbr, service_row, feasible, bstar,
                                    arrival, start, end, pick_start, brk_out)
    if tv.td != 0:
        trav = driven
    return feasible, ret, trav, dist, serv, pserv, blate


@internal
def _add_stop(tw, ns, kind, sid, t, k, node):
    """Record stop ``ns`` of a route being timed: a visit to ticket ``sid`` (``kind`` 0) or
    a stop at depot ``sid`` (1) before visit ``k``, at ``node``, reached after ``t`` s of
    travel. Returns the next stop number."""
    tw.nd[ns + 1] = node
    tw.kind[ns] = kind
    tw.sid[ns] = sid
    tw.tt[ns] = t
    tw.vis[ns] = k
    return ns + 1


@internal
def _label_stops(kd, tw, ns, base, nbr, service_row, t_open, max_close):
    """Label the ``ns`` stops of ``tw`` by break count, by the strict rule and, if it
    fails, the relaxed one. Returns ``(feasible, bstar)``: whether the strict rule held
    and the number of breaks taken before the return."""
    win = kd.win
    cost = kd.cost
    brk = kd.brk
    dep = kd.dep
    lab = tw.lab
    pc = tw.pc
    pred = tw.pred
    tv = kd.tv  # (taken once: the loops pass it on)
    feasible = True
    bstar = np.int64(-1)
    for attempt in range(2):
        strict = attempt == 0
        for b in range(nbr + 1):
            lab[0, b] = T_INF
            pc[0, b] = 0.0
            pred[0, b] = 0
        lab[0, 0] = t_open
        ok = True
        for s in range(ns):
            if tw.kind[s] == 0:
                j = tw.sid[s]
                ok = advance(tv, tw.nd[s], tw.nd[s + 1], win, cost, brk, base, nbr, j,
                             np.int64(service_row[j]), tw.tt[s], TRUE, lab[s], pc[s],
                             lab[s + 1], pc[s + 1], pred[s + 1], strict, max_close)
            else:
                d = tw.sid[s]
                ok = advance(tv, tw.nd[s], tw.nd[s + 1], dep.win, cost, brk, base, nbr, d,
                             dep.pickup[d], tw.tt[s], FALSE, lab[s], pc[s], lab[s + 1],
                             pc[s + 1], pred[s + 1], strict, max_close)
            if not ok:
                break
        if ok:
            bstar, _ret = choose_end(tv, tw.nd[ns], tw.nd[ns + 1], brk, base, nbr, lab[ns],
                                     pc[ns], tw.tt[ns], strict, max_close)
            if bstar >= 0:
                break
        feasible = False
    return feasible, bstar


@internal
def _lay_stops(kd, tw, ns, base, nbr, service_row, feasible, bstar, arrival, start, end,
               pick_start, brk_out):
    """Walk the labels of :func:`_label_stops` back from ``bstar`` and fill the times per
    visit, depot stop and break. Returns ``(return_time, break_late, travel_s)`` (the
    legs' seconds by their departures)."""
    win = kd.win
    brk = kd.brk
    dep = kd.dep
    lab = tw.lab
    path = tw.path
    path[ns] = bstar
    for s in range(ns, 0, -1):
        path[s - 1] = tw.pred[s, path[s]]
    blate = False
    driven = np.int64(0)
    tv = kd.tv
    for s in range(ns):
        b = path[s]
        ready, arr, late, left = walk_leg(tv, tw.nd[s], tw.nd[s + 1], brk, base, b,
                                          path[s + 1] - b, lab[s, b], tw.tt[s], feasible,
                                          brk_out)
        driven += arr - left
        blate = blate or late
        k = tw.vis[s]
        if tw.kind[s] == 0:
            j = tw.sid[s]
            s0 = earliest_start(win, j, ready)
            arrival[k] = arr
            start[k] = s0
            end[k] = s0 + np.int64(service_row[j])
        else:
            pick_start[k] = earliest_start(dep.win, tw.sid[s], ready)
    ret, late, left = walk_finish(tv, tw.nd[ns], tw.nd[ns + 1], brk, base, nbr, path[ns],
                                  lab[ns, path[ns]], tw.tt[ns], brk_out)
    return ret, blate or late, driven + ret - left


@njit(cache=True)
def simulate_routes(kd, pick, ptr, visits, arrival, start, end, pick_start, brk_out, route_ret,
                    route_travel, route_dist, route_service, route_pickup, route_break_late):
    """Time every route of a plan given as CSR ``(ptr, visits)`` (see :func:`time_route`).

    ``pick[k] >= 0`` puts a stop at depot ``pick[k]`` right before visit
    ``k``. Fills per-visit ``arrival``, ``start``, ``end``, ``pick_start``
    (aligned with ``visits``), break starts ``brk_out`` and per route the
    return time, travel seconds, km, service seconds, depot-stop seconds and
    whether a break starts late (only for routes with no feasible timing).
    """
    num_routes = ptr.shape[0] - 1
    max_v = ONE
    max_b = ZERO
    for r in range(num_routes):
        if ptr[r + 1] - ptr[r] > max_v:
            max_v = ptr[r + 1] - ptr[r]
        if kd.brk.ptr[r + 1] - kd.brk.ptr[r] > max_b:
            max_b = kd.brk.ptr[r + 1] - kd.brk.ptr[r]
    tw = make_time_work(max_v, max_b)
    for r in range(num_routes):
        _ok, ret, trav, dist, serv, pserv, blate = time_route(
            kd, r, visits, pick, ptr[r], ptr[r + 1], kd.rt.open[r], kd.rt.start_node[r], tw,
            arrival, start, end, pick_start, brk_out)
        route_ret[r] = ret
        route_travel[r] = trav
        route_dist[r] = dist
        route_service[r] = serv
        route_pickup[r] = pserv
        route_break_late[r] = blate
