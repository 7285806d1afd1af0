"""numba kernels for route timing: the one schedule rule every backend shares.

A route is simulated forward from the shift start: travel, wait for the
appointment window, serve; breaks follow the rule documented on
:class:`fsdispatch.Break`. Kernels take only :class:`KernelData` groups and
arrays; hot helpers take just the small groups they need (numba
reference-counts every array of a tuple argument on each call).
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import njit, prange

EARTH_RADIUS_KM = 6371.0088

# numba's default "workqueue" threading layer must not run parallel regions
# from two threads at once (an embedding web service may compile concurrently)
_PARALLEL_LOCK = threading.Lock()


@njit(cache=True)
def _geo_km(tv, a, b):
    """Straight-line km between nodes (before the detour factor)."""
    if tv.kind == 1:
        dx = tv.x[a] - tv.x[b]
        dy = tv.y[a] - tv.y[b]
        return math.sqrt(dx * dx + dy * dy)
    s1 = math.sin(0.5 * (tv.y[b] - tv.y[a]))
    s2 = math.sin(0.5 * (tv.x[b] - tv.x[a]))
    h = s1 * s1 + tv.coslat[a] * tv.coslat[b] * s2 * s2
    if h > 1.0:
        h = 1.0
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@njit(cache=True)
def _round_secs(rounding, secs):
    if rounding == 0:
        return np.int64(math.floor(secs + 0.5))
    if rounding == 1:
        return np.int64(math.ceil(secs - 1e-9))
    return np.int64(math.floor(secs + 1e-9))


@njit(cache=True)
def travel(tv, a, b):
    """``(seconds, km)`` from node ``a`` to node ``b`` (one distance computation)."""
    if a == b:
        return np.int64(0), 0.0
    if tv.kind == 0:
        ra = tv.node_row[a]
        rb = tv.node_row[b]
        d = tv.dist[ra, rb] if tv.dist.shape[0] else 0.0
        return tv.dur[ra, rb], d
    km = _geo_km(tv, a, b) * tv.detour
    return _round_secs(tv.rounding, km * tv.sec_per_km), km


@njit(cache=True)
def travel_time(tv, a, b):
    """Travel time in whole seconds from node ``a`` to node ``b``."""
    if a == b:
        return np.int64(0)
    if tv.kind == 0:
        return tv.dur[tv.node_row[a], tv.node_row[b]]
    return _round_secs(tv.rounding, _geo_km(tv, a, b) * tv.detour * tv.sec_per_km)


@njit(cache=True)
def earliest_start(win, j, ready):
    """Earliest service start of ticket ``j`` for a technician ready at ``ready``.

    The first window whose end is not before ``ready``; if none, ``ready``
    itself (late: infeasible for hard windows, costed for soft ones).
    """
    for w in range(win.ptr[j], win.ptr[j + 1]):
        if ready <= win.end[w]:
            if ready < win.start[w]:
                return win.start[w]
            return ready
    return ready


@njit(cache=True)
def window_late(win, j, start):
    """Seconds by which ``start`` is after ticket ``j``'s last window end (>= 0)."""
    last = win.end[win.ptr[j + 1] - 1]
    return start - last if start > last else np.int64(0)


@njit(cache=True)
def hard_late(win, j, start):
    """Whether starting ``j`` at ``start`` breaks its hard window."""
    return (not win.soft[j]) and start > win.end[win.ptr[j + 1] - 1]


@njit(cache=True)
def sla_late(cost, j, start, end):
    """SLA lateness in seconds: response (start) plus resolution (end)."""
    late = np.int64(0)
    if start > cost.response_by[j]:
        late += start - cost.response_by[j]
    if end > cost.resolve_by[j]:
        late += end - cost.resolve_by[j]
    return late


@njit(cache=True)
def visit_cost(win, cost, j, start, end):
    """Soft-window and SLA lateness cost of serving ``j`` over ``[start, end]``."""
    c = cost.sla_w[j] * sla_late(cost, j, start, end)
    if win.soft[j]:
        c += cost.late_w[j] * window_late(win, j, start)
    return c


@njit(cache=True)
def step(win, brk, r, t, b, j, svc, tt, brk_out):
    """Leave the current stop (free at ``t``, next pending break ``b``) to serve ticket ``j``.

    ``tt`` is the travel time to ``j`` and ``svc`` its service time for this
    route's technician. Returns ``(arrival, start, end, b, break_late)``; break
    starts are written to ``brk_out[b]``.

    Break rule, for each pending break in order: take it while waiting at the
    customer if it fits before the service start; else before leaving if its
    window is already open; else on arrival if serving first would push it
    past its latest start; otherwise keep it pending.
    """
    dep = t
    ready = t + tt
    bend = brk.ptr[r + 1]
    late = False
    while b < bend:
        es = brk.earliest[b]
        d = brk.dur[b]
        ls = brk.latest[b]
        s = earliest_start(win, j, ready)
        at = ready if ready > es else es
        if at + d <= s:  # the break fits while waiting at the customer
            bs = at
            ready = bs + d
        elif dep >= es:  # window already open: take it before leaving
            bs = dep
            dep += d
            ready += d
        elif s + svc > ls:  # the job would push it past its latest start
            bs = at
            ready = bs + d
        else:
            break
        brk_out[b] = bs
        if bs > ls:
            late = True
        b += 1
    s = earliest_start(win, j, ready)
    return dep + tt, s, s + svc, b, late


@njit(cache=True)
def finish(brk, r, t, b, tt, brk_out):
    """Return to the end location (``tt`` seconds away); returns ``(return_time, break_late)``.

    Pending breaks whose window opens before the technician would be back are
    taken before the last leg; later ones are not needed (marked ``-1``).
    """
    bend = brk.ptr[r + 1]
    late = False
    while b < bend:
        es = brk.earliest[b]
        if es >= t + tt:
            brk_out[b] = -1
        else:
            bs = t if t > es else es
            brk_out[b] = bs
            if bs > brk.latest[b]:
                late = True
            t = bs + brk.dur[b]
        b += 1
    return t + tt, late


@njit(cache=True)
def simulate_routes(kd, dep, pick, ptr, visits, arrival, start, end, pick_start, brk_out,
                    route_ret, route_travel, route_dist, route_service, route_pickup,
                    route_break_late):
    """Simulate every route of a plan given as CSR ``(ptr, visits)``.

    ``pick[k] >= 0`` puts a stop at depot ``pick[k]`` right before visit
    ``k``: travel there, wait for an opening window of ``dep.win``, spend
    ``dep.pickup`` seconds (breaks follow the same rule as at a customer),
    then travel on to the ticket.

    Fills per-visit ``arrival``, ``start``, ``end`` (aligned with ``visits``),
    ``pick_start`` (start of the depot stop before the visit, -1 if none),
    break starts ``brk_out`` (-1 when not needed or the route is empty) and
    per-route return time, travel seconds, km, service seconds, depot-stop
    seconds and a break-lateness flag.
    """
    tv = kd.tv
    win = kd.win
    brk = kd.brk
    rt = kd.rt
    service = kd.tech.service
    ticket_node = kd.ticket_node
    num_routes = ptr.shape[0] - 1
    for r in range(num_routes):
        for bb in range(brk.ptr[r], brk.ptr[r + 1]):
            brk_out[bb] = -1
        lo = ptr[r]
        hi = ptr[r + 1]
        tech = rt.tech[r]
        if hi == lo:
            route_ret[r] = rt.open[r]
            route_travel[r] = 0
            route_dist[r] = 0.0
            route_service[r] = 0
            route_pickup[r] = 0
            route_break_late[r] = False
            continue
        cur = rt.start_node[r]
        t = rt.open[r]
        b = brk.ptr[r]
        trav = np.int64(0)
        dist = 0.0
        serv = np.int64(0)
        pserv = np.int64(0)
        blate = False
        for k in range(lo, hi):
            j = visits[k]
            node = ticket_node[j]
            d = pick[k]
            pick_start[k] = -1
            if d >= 0:
                dnode = dep.node[d]
                tt, km = travel(tv, cur, dnode)
                trav += tt
                dist += km
                psvc = dep.pickup[d]
                _a, ps, pe, b, late = step(dep.win, brk, r, t, b, d, psvc, tt, brk_out)
                blate = blate or late
                pick_start[k] = ps
                pserv += psvc
                cur = dnode
                t = pe
            tt, km = travel(tv, cur, node)
            trav += tt
            dist += km
            svc = np.int64(service[tech, j])
            a, s, e, b, late = step(win, brk, r, t, b, j, svc, tt, brk_out)
            blate = blate or late
            arrival[k] = a
            start[k] = s
            end[k] = e
            serv += svc
            cur = node
            t = e
        tt, km = travel(tv, cur, rt.end_node[r])
        ret, late = finish(brk, r, t, b, tt, brk_out)
        trav += tt
        dist += km
        route_ret[r] = ret
        route_travel[r] = trav
        route_dist[r] = dist
        route_service[r] = serv
        route_pickup[r] = pserv
        route_break_late[r] = blate or late


@njit(cache=True)
def _reach_route(tv, win, brk, rt, service, compat, demand, ticket_node, r, out):
    """Fill row ``r`` of the reachability matrix (see :func:`reachability`)."""
    _reach_route_tt(tv, win, brk, rt, service, compat, demand, ticket_node, r, out,
                    np.empty((0, 0), dtype=np.int32))


@njit(cache=True)
def cached_travel_time(tv, tt, a, b):
    """:func:`travel_time`, memoised in ``tt`` (node × node, -1 = not yet known) when it
    covers both nodes."""
    if a < tt.shape[0] and b < tt.shape[0]:
        v = np.int64(tt[a, b])
        if v < 0:
            v = travel_time(tv, a, b)
            tt[a, b] = v
        return v
    return travel_time(tv, a, b)


@njit(cache=True)
def _reach_route_tt(tv, win, brk, rt, service, compat, demand, ticket_node, r, out, tt):
    """:func:`_reach_route` with travel times memoised in ``tt`` (see
    :func:`cached_travel_time`)."""
    scratch = np.empty(brk.dur.shape[0] + 1, dtype=np.int64)
    tech = rt.tech[r]
    if rt.group_cap[rt.group[r]] < 1:
        return
    open_t = rt.open[r]
    start_node = rt.start_node[r]
    end_node = rt.end_node[r]
    same_end = end_node == start_node and tv.kind != 0
    for j in range(ticket_node.shape[0]):
        if compat[tech, j] != 0 or demand[j] > rt.capacity[r]:
            continue
        node = ticket_node[j]
        t_out = cached_travel_time(tv, tt, start_node, node)
        if not win.soft[j] and open_t + t_out > win.end[win.ptr[j + 1] - 1]:
            continue
        t_back = t_out if same_end else cached_travel_time(tv, tt, node, end_node)
        svc = np.int64(service[tech, j])
        if open_t + t_out + svc + t_back > rt.max_close[r]:
            continue
        _a, s, e, b, late = step(win, brk, r, open_t, brk.ptr[r], j, svc, t_out, scratch)
        if late or hard_late(win, j, s):
            continue
        ret, late = finish(brk, r, e, b, t_back, scratch)
        if not late and ret <= rt.max_close[r]:
            out[r, j] = 1


@njit(cache=True, parallel=True)
def _reach_all(tv, win, brk, rt, service, compat, demand, ticket_node, out):
    for r in prange(out.shape[0]):
        # prange counts in uint64: pass an int64 (one signature for the route kernels)
        _reach_route(tv, win, brk, rt, service, compat, demand, ticket_node, np.int64(r), out)


@njit(cache=True)
def reach_serial(tv, win, brk, rt, service, compat, demand, ticket_node, out):
    """:func:`reachability`, route by route on one thread (same rule, same result)."""
    for r in range(out.shape[0]):
        _reach_route(tv, win, brk, rt, service, compat, demand, ticket_node, r, out)


PARALLEL_CELLS = 1_000_000
"""Reachability runs in parallel from this many (route, ticket) pairs on: below it a
parallel region costs more to compile on a cold start and to start than it saves."""


def reachability(kd):
    """uint8 matrix ``(num_routes, num_tickets)``: 1 where the route can serve the ticket alone.

    Alone means: compatible technician, demand within capacity, a day cap of
    at least one, the window reachable from the shift start, breaks placeable
    and the technician back by shift end plus allowed overtime. From
    :data:`PARALLEL_CELLS` pairs on, routes are processed in parallel (numba
    ``prange``); the result is the same either way.
    """
    out = np.zeros((kd.rt.tech.shape[0], kd.ticket_node.shape[0]), dtype=np.uint8)
    if out.size >= PARALLEL_CELLS:
        with _PARALLEL_LOCK:
            _reach_all(kd.tv, kd.win, kd.brk, kd.rt, kd.tech.service, kd.tech.compat,
                       kd.res.demand, kd.ticket_node, out)
    elif out.size:
        reach_serial(kd.tv, kd.win, kd.brk, kd.rt, kd.tech.service, kd.tech.compat,
                     kd.res.demand, kd.ticket_node, out)
    return out
