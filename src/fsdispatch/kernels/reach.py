"""Reachability: which routes can serve which tickets alone, and what it implies (numba;
private).

:func:`reachability` fills the (routes × tickets) matrix: a route reaches a
ticket when its technician is compatible, the demand fits, the day cap allows
one more visit, the window is reachable from the shift start, the breaks can
be placed and the technician is back by the shift end plus the allowed
overtime (:func:`fsdispatch.kernels.timing.one_visit_feasible`). The compiler
fills all of it, a grown problem one column (:func:`reach_serial`), the live
refresh the rows of routes that changed (:func:`reach_route`).

:func:`ticket_side` gives what the matrix implies for each ticket: the routes
per ticket, the ``SHIFT`` incompatibility of technicians none of whose shifts
reaches an otherwise compatible ticket, and the unservable reason of each
ticket no route reaches. The compiler, the one-ticket growth of a problem and
the live refresh all call it (through
:func:`fsdispatch.problem.reasons.routes_and_reasons`).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit, prange

from .jit import internal
from .timing import one_visit_feasible, travel_time

# numba's default "workqueue" threading layer must not run parallel regions
# from two threads at once (an embedding web service may compile concurrently)
_PARALLEL_LOCK = threading.Lock()

__all__ = ["PARALLEL_CELLS", "cached_travel_time", "reach_route", "reach_route_from",
           "reach_serial", "reachability", "splice_rows", "ticket_side"]


@njit(cache=True)
def ticket_side(reach, r_tech, pre, outside, by_best, shift_code, outside_code, no_shift_code):
    """Compatibility, routes per ticket and unservable reasons from a reachability matrix.

    ``compat`` is ``pre`` with ``shift_code`` where a technician may serve a
    ticket but none of its routes reaches it; ``(t_ptr, t_routes)`` lists the
    routes reaching each ticket (ascending); ``unservable`` is 0 for a ticket some
    route reaches, else ``outside_code`` for a ticket outside the horizon, else
    ``no_shift_code`` when a technician fails only on shifts (or there is none),
    else ``by_best`` of the highest incompatibility code among the technicians
    (the one blocking those furthest along). Called through
    :func:`fsdispatch.problem.reasons.routes_and_reasons`.
    """
    # row-major passes only (the matrices are C-ordered): a column walk of a wide day
    # (300 routes x 3 000 tickets) missed the cache at every cell
    num_r, n = reach.shape
    num_t = pre.shape[0]
    compat = pre.copy()
    t_ptr = np.zeros(n + 1, dtype=np.int64)
    reached = np.zeros((num_t, n), dtype=np.bool_)  # some route of technician t reaches j
    for r in range(num_r):
        row = reach[r]
        t = r_tech[r]
        for j in range(n):
            if row[j]:
                t_ptr[j + 1] += 1
                reached[t, j] = True
    for j in range(n):
        t_ptr[j + 1] += t_ptr[j]
    t_routes = np.empty(t_ptr[n], dtype=np.int64)
    fill = t_ptr[:n].copy()
    for r in range(num_r):  # routes ascending within each ticket
        row = reach[r]
        for j in range(n):
            if row[j]:
                t_routes[fill[j]] = r
                fill[j] += 1
    any_shift = np.zeros(n, dtype=np.bool_)
    best = np.zeros(n, dtype=np.int8)
    for t in range(num_t):
        for j in range(n):
            c = compat[t, j]
            if c == 0 and not reached[t, j]:
                c = shift_code
                compat[t, j] = c
            if c == shift_code:
                any_shift[j] = True
            if c > best[j]:
                best[j] = c
    unservable = np.zeros(n, dtype=np.int8)
    for j in range(n):
        if t_ptr[j + 1] == t_ptr[j]:
            if outside[j]:
                unservable[j] = outside_code
            elif num_t == 0 or any_shift[j]:
                unservable[j] = no_shift_code
            else:
                unservable[j] = by_best[best[j]]
    return compat, t_ptr, t_routes, unservable



@njit(cache=True)
def splice_rows(ptr, flat, rows, sub_ptr, sub_flat):
    """CSR ``(ptr, flat)`` with its rows ``rows`` replaced by the rows of ``(sub_ptr,
    sub_flat)`` (row ``k`` of the sub CSR replaces row ``rows[k]``).

    ``rows`` must be strictly ascending and within ``0 .. len(ptr) - 2``; ``sub_ptr`` has
    ``len(rows) + 1`` entries. Returns the new ``(ptr, flat)``; the inputs are not written.
    """
    n = ptr.shape[0] - 1
    num = rows.shape[0]
    new_ptr = np.empty(n + 1, dtype=np.int64)
    new_ptr[0] = 0
    k = 0
    for j in range(n):
        if k < num and rows[k] == j:
            cnt = sub_ptr[k + 1] - sub_ptr[k]
            k += 1
        else:
            cnt = ptr[j + 1] - ptr[j]
        new_ptr[j + 1] = new_ptr[j] + cnt
    out = np.empty(new_ptr[n], dtype=np.int64)
    # the kept rows between two replaced ones are one block in both: copied as slices
    lo = 0  # first row of the current block of kept rows
    for k in range(num + 1):
        hi = rows[k] if k < num else n
        if hi > lo:
            out[new_ptr[lo]:new_ptr[hi]] = flat[ptr[lo]:ptr[hi]]
        if k < num:
            j = rows[k]
            out[new_ptr[j]:new_ptr[j + 1]] = sub_flat[sub_ptr[k]:sub_ptr[k + 1]]
            lo = j + 1
    return new_ptr, out

@internal
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


@internal
def reach_route(tv, win, brk, rt, service, compat, demand, ticket_node, r, out, tt):
    """Fill row ``r`` of the reachability matrix (see :func:`reachability`), with travel
    times memoised in ``tt`` (see :func:`cached_travel_time`; an empty ``tt``: none)."""
    # (flags as np.bool_ and np.int64, not literals: one signature for every caller)
    reach_route_from(tv, win, brk, rt, service, compat, demand, ticket_node, r, out[r], tt,
                     rt.open[r], np.bool_(False), np.int64(0), np.bool_(False))


@internal
def reach_route_from(tv, win, brk, rt, service, compat, demand, ticket_node, r, row, tt,
                     open_t, recheck, j_lo, stop):
    """Reachability of tickets ``j_lo..`` by route ``r`` free from ``open_t`` (the route's
    other data as in ``rt``), into ``row`` (one entry per ticket); returns how many
    entries a recheck cleared.

    Plain (``recheck`` false): sets ``row[j] = 1`` where reachable (the caller zeroes the
    row). ``recheck``: only entries already 1 are evaluated, and cleared where not
    reachable; with ``open_t`` later than the start the row was filled from, this is
    the row at ``open_t``, since a later start never reaches more tickets (each step
    of :func:`~fsdispatch.kernels.timing.one_visit_feasible` is non-decreasing in
    the start time and every test is a deadline). ``stop``: return at the first
    entry cleared (the row is then partly rechecked: a probe).
    """
    tech = rt.tech[r]
    cleared = 0
    if rt.group_cap[rt.group[r]] < 1:
        if recheck:
            for j in range(j_lo, ticket_node.shape[0]):
                if row[j] != 0:
                    cleared += 1
                    row[j] = 0
        return cleared
    base = brk.ptr[r]
    nbr = brk.ptr[r + 1] - base
    max_close = rt.max_close[r]
    start_node = rt.start_node[r]
    end_node = rt.end_node[r]
    same_end = end_node == start_node and tv.kind != 0
    for j in range(j_lo, ticket_node.shape[0]):
        if recheck and row[j] == 0:
            continue
        ok = False
        if compat[tech, j] == 0 and demand[j] <= rt.capacity[r]:
            node = ticket_node[j]
            t_out = cached_travel_time(tv, tt, start_node, node)
            if win.soft[j] or open_t + t_out <= win.end[win.ptr[j + 1] - 1]:
                t_back = t_out if same_end else cached_travel_time(tv, tt, node, end_node)
                svc = np.int64(service[tech, j])
                ok = open_t + t_out + svc + t_back <= max_close and one_visit_feasible(
                    tv, start_node, node, end_node, win, brk, base, nbr, j, svc, open_t, t_out,
                    t_back, max_close)
        if ok:
            row[j] = 1
        elif recheck:
            row[j] = 0
            cleared += 1
            if stop:
                return cleared
    return cleared


@njit(cache=True, parallel=True)
def _reach_all(tv, win, brk, rt, service, compat, demand, ticket_node, out):
    for r in prange(out.shape[0]):
        # prange counts in uint64: pass an int64 (one signature for the route kernels)
        reach_route(tv, win, brk, rt, service, compat, demand, ticket_node,
                        np.int64(r), out, np.empty((0, 0), dtype=np.int32))


@njit(cache=True)
def reach_serial(tv, win, brk, rt, service, compat, demand, ticket_node, out):
    """:func:`reachability`, route by route on one thread (same rule, same result)."""
    memo = np.empty((0, 0), dtype=np.int32)  # no travel memo
    for r in range(out.shape[0]):
        reach_route(tv, win, brk, rt, service, compat, demand, ticket_node, r, out,
                        memo)


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
