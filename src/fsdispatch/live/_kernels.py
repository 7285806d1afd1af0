"""numba kernels of live dispatch (private).

They loop over routes inside one compiled call (a Python-level call of an
insertion kernel costs ~50 µs of argument unboxing, more than the pricing
itself) and reuse the greedy backend's exact insertion pricing, so every
figure matches the shared evaluator.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..evaluate._kernels import (
    make_time_work,
    time_route,
    travel,
    travel_time,
    visit_cost,
)
from ..kernels.balance import spread_change
from ..kernels.consts import NONE, ZERO
from ..kernels.insertion import (
    best_insertion,
    insertion_work,
    make_work,  # (route_feasible_prefix allocates its own scratch)
    pickup_option,
    position_cost,
)
from ..kernels.jit import internal
from ..kernels.parts import add_parts
from ..kernels.reach import reach_route_from
from ..kernels.routes import (
    INF,
    insert_at,
    preference_cost,
    rebuild_route,
    resources_ok,
    state_spread,
)
from ..kernels.sort import argsort_stable
from ..kernels.timing import max_breaks

# status codes of price_routes
OK, NO_RESOURCES, NO_POSITION = 0, 1, 2


@njit(cache=True)
def price_routes(kd, routes, j, st, wk, cost_out, pos_out, status_out):
    """Cheapest feasible insertion of ``j`` in each of ``routes``: the evaluator's objective
    change, the load-balance term included.

    ``status_out``: 0 priced, 1 no room (capacity, tickets per day or van
    stock already used by planned jobs), 2 no feasible position (windows,
    breaks, shift end).
    """
    balanced = kd.w.balance > 0.0
    if balanced:
        loads, stats = state_spread(kd, st)
    else:
        loads, stats = np.zeros(0), np.zeros(6)
    for k in range(routes.shape[0]):
        r = routes[k]
        if not resources_ok(kd, st, r, j):
            cost_out[k] = INF
            pos_out[k] = -1
            status_out[k] = NO_RESOURCES
            continue
        c, p = best_insertion(kd, r, j, st, wk)
        if balanced and c < INF:
            c += spread_change(kd.w.balance, loads, stats, kd.rt.tech[r],
                               insertion_work(kd, r, j, p, st))
        cost_out[k] = c
        pos_out[k] = p
        status_out[k] = OK if c < INF else NO_POSITION


@njit(cache=True)
def price_pickups(kd, routes, j, st, wk, cost_out, depot_out, pos_out):
    """For each of ``routes``, the cheapest way to serve ``j`` by starting the route with a
    depot stop (:func:`~fsdispatch.kernels.insertion.pickup_option`): the routing
    cost of the change, the depot and the position (``inf``, -1, -1 when none)."""
    for k in range(routes.shape[0]):
        c, d, p = pickup_option(kd, routes[k], j, st, wk)
        cost_out[k] = c
        depot_out[k] = d
        pos_out[k] = p


@njit(cache=True)
def balance_change(kd, r, j, p, st):
    """Change of the load-balance term when ``j`` goes in at position ``p`` of route ``r``."""
    loads, stats = state_spread(kd, st)
    return spread_change(kd.w.balance, loads, stats, kd.rt.tech[r],
                         insertion_work(kd, r, j, p, st))


@njit(cache=True)
def remove_at(kd, r, p, st, scratch):
    """Remove the visit at position ``p`` of route ``r`` (inverse of ``insert_at``)."""
    j = st.seq[r, p]
    n = st.length[r]
    for k in range(p, n - 1):
        st.seq[r, k] = st.seq[r, k + 1]
    st.seq[r, n - 1] = -1
    st.length[r] = n - 1
    rebuild_route(kd, r, st, scratch)
    st.load[r] -= kd.res.demand[j]
    st.group_count[kd.rt.group[r]] -= 1
    add_parts(kd, st, r, j, NONE)
    return j


@njit(cache=True)
def insertion_detail(kd, r, j, p, st, scratch, starts_out):
    """Time route ``r`` with ``j`` inserted at position ``p``, from scratch (the evaluator's
    :func:`~fsdispatch.evaluate._kernels.time_route`).

    Fills ``starts_out[0..n]`` with the service start of every visit of the
    new route (``j`` at ``p``) and returns ``(feasible, arrival_j, start_j,
    end_j, travel_added_s, km_added, lateness_cost_added, overtime_added_s,
    return_time, labour_cost, preference_cost)``; travel is counted from the
    route's start (the depot, after a stop first thing), as in the state.
    """
    rt = kd.rt
    n = st.length[r]
    tech = rt.tech[r]
    m = n + 1
    seq = np.empty(m, dtype=np.int64)
    for k in range(m):
        if k == p:
            seq[k] = j
        elif k < p:
            seq[k] = st.seq[r, k]
        else:
            seq[k] = st.seq[r, k - 1]
    d = st.pick[r]
    ok, ret, trav, km, arrival, start, end = _time_visits(kd, r, seq, d, rt.open[r],
                                                          rt.start_node[r])
    if d >= 0:  # the way to the depot is the stop's, not the tickets' (under
        # time-dependent travel the state's driven seconds hold it too: kept in both)
        t_d, km_d = travel(kd.tv, rt.start_node[r], kd.dep.node[d])
        if kd.tv.td == 0:
            trav -= t_d
        km -= km_d
    late_c = 0.0
    for k in range(m):
        late_c += visit_cost(kd.win, kd.cost, seq[k], start[k], end[k])
        starts_out[k] = start[k]
    a_j = arrival[p]
    s_j = start[p]
    e_j = end[p]
    old_trav = np.int64(0)
    old_km = 0.0
    old_late = 0.0
    if n > 0:
        for k in range(n + 1):
            old_trav += st.legt[r, k]
            old_km += st.legd[r, k]
        for k in range(n):
            old_late += st.vcost[r, k]
        if kd.tv.td != 0:  # time-dependent travel: the legs' own seconds, as ``trav`` is
            old_trav = st.rtrav[r]
    old_ot = st.ret[r] - rt.close[r] if (n > 0 and st.ret[r] > rt.close[r]) else 0
    new_ot = ret - rt.close[r] if ret > rt.close[r] else 0
    svc = np.int64(kd.tech.service[tech, j])
    labour = kd.tech.labour[tech] * (svc + trav - old_trav)
    pref = preference_cost(kd.res, kd.w.pref, tech, j)
    return (ok, a_j, s_j, e_j, trav - old_trav, km - old_km, late_c - old_late,
            np.int64(new_ot - old_ot), ret, labour, pref)


@njit(cache=True)
def first_start(kd, r, visits, d, t_open, start_node):
    """Service start of ``visits[0]`` when the technician of route ``r`` leaves
    ``start_node`` at ``t_open`` for it (via depot ``d`` first when ``d >= 0``) and then
    serves the rest of ``visits``: the schedule rule's timing, breaks included."""
    return _time_visits(kd, r, visits, d, t_open, start_node)[5][0]


@internal
def _time_visits(kd, r, visits, d, t_open, start_node):
    """The schedule rule's timing (the evaluator's
    :func:`~fsdispatch.evaluate._kernels.time_route`) of ``visits`` on route ``r``, the
    technician leaving ``start_node`` at ``t_open`` (via depot ``d`` first when
    ``d >= 0``): ``(feasible, return_time, travel_s, km, arrival, start, end)``."""
    m = visits.shape[0]
    picks = np.full(m, -1, dtype=np.int64)
    picks[0] = d
    arrival = np.empty(m, dtype=np.int64)
    start = np.empty(m, dtype=np.int64)
    end = np.empty(m, dtype=np.int64)
    pick_start = np.empty(m, dtype=np.int64)
    brk_out = np.empty(kd.brk.dur.shape[0], dtype=np.int64)
    tw = make_time_work(m, max_breaks(kd.brk))
    ok, ret, trav, km, _serv, _pserv, _blate = time_route(kd, r, visits, picks, ZERO, m,
                                                          t_open, start_node, tw, arrival,
                                                          start, end, pick_start, brk_out)
    return ok, ret, trav, km, arrival, start, end


@njit(cache=True)
def eject_candidates(kd, j, routes_j, t_ptr, t_routes, movable, st, wk, scratch, out):
    """One-ticket ejections making room for ``j``: each row of ``out`` is a candidate.

    For every route ``r`` able to serve ``j`` and every movable visit ``e`` of
    it: remove ``e``, insert ``j`` at its cheapest position in ``r``, then
    insert ``e`` at its cheapest position among its own routes (``r``
    included). Row: ``(total cost change, r, position of e, position of j,
    route of e, new position of e)``. The state is restored after each trial.
    Returns the number of rows written.
    """
    m = ZERO
    for k in range(routes_j.shape[0]):
        r = routes_j[k]
        n = st.length[r]
        for q in range(n):
            e = st.seq[r, q]
            if not movable[e] or m >= out.shape[0]:
                continue
            remove_at(kd, r, q, st, scratch)
            save = position_cost(kd, r, e, q, st, wk)
            c1, p1 = best_insertion(kd, r, j, st, wk)
            if c1 < INF:
                insert_at(kd, r, j, p1, st, scratch)
                best = INF
                best_r = NONE
                best_p = NONE
                for x in range(t_ptr[e], t_ptr[e + 1]):
                    r2 = t_routes[x]
                    if not resources_ok(kd, st, r2, e):
                        continue
                    c2, p2 = best_insertion(kd, r2, e, st, wk)
                    if c2 < best:
                        best = c2
                        best_r = r2
                        best_p = p2
                remove_at(kd, r, p1, st, scratch)
                if best < INF:
                    out[m, 0] = c1 + best - save
                    out[m, 1] = r
                    out[m, 2] = q
                    out[m, 3] = p1
                    out[m, 4] = best_r
                    out[m, 5] = best_p
                    m += 1
            insert_at(kd, r, e, q, st, scratch)
    return m


@njit(cache=True)
def route_starts(rt_tech, service, seq, length, free_t, starts_out, route_out):
    """Service start and route of every planned ticket (-1 where not planned).

    Plain arrays (``kd.rt.tech``, ``kd.tech.service`` and the state's
    ``seq``, ``length``, ``free_t``): unboxing the whole kernel data would
    cost more than the loop.
    """
    for r in range(length.shape[0]):
        tech = rt_tech[r]
        for k in range(length[r]):
            i = seq[r, k]
            starts_out[i] = free_t[r, k] - np.int64(service[tech, i])
            route_out[i] = r


@internal
def route_feasible_prefix(kd, r, seq, st, scratch):
    """Append ``seq`` to empty route ``r`` visit by visit, skipping any that breaks a rule.

    Returns a bool mask of the visits kept (the technician's compatibility,
    capacity, day cap, stock, windows, breaks and shift end all hold).
    """
    keep = np.zeros(seq.shape[0], dtype=np.bool_)
    tech = kd.rt.tech[r]
    wk = make_work(kd, st.seq.shape[1])
    for k in range(seq.shape[0]):
        j = seq[k]
        if kd.tech.compat[tech, j] != 0:
            continue
        if not resources_ok(kd, st, r, j):
            continue
        if st.length[r] + 1 >= st.seq.shape[1]:
            continue
        c = position_cost(kd, r, j, st.length[r], st, wk)
        if c < INF:
            insert_at(kd, r, j, st.length[r], st, scratch)
            keep[k] = True
    return keep


@njit(cache=True)
def feasible_subplan(kd, ptr, visits, st, scratch):
    """:func:`route_feasible_prefix` for every route of a CSR plan; returns the kept mask."""
    keep = np.zeros(visits.shape[0], dtype=np.bool_)
    for r in range(ptr.shape[0] - 1):
        if ptr[r + 1] > ptr[r]:
            keep[ptr[r]:ptr[r + 1]] = route_feasible_prefix(kd, r, visits[ptr[r]:ptr[r + 1]],
                                                            st, scratch)
    return keep


@njit(cache=True)
def nearest_routes(kd, routes, j, st, k):
    """The ``k`` routes of ``routes`` passing nearest to ticket ``j`` (start or any visit)."""
    node = kd.ticket_node[j]
    d = np.empty(routes.shape[0])
    for q in range(routes.shape[0]):
        r = routes[q]
        best = travel_time(kd.tv, st.start_n[r], node)
        for p in range(st.length[r]):
            t = travel_time(kd.tv, kd.ticket_node[st.seq[r, p]], node)
            if t < best:
                best = t
        d[q] = best
    order = argsort_stable(d)
    return routes[order[:k]]


@njit(cache=True)
def reach_rows(tv, win, brk, rt, service, compat, demand, ticket_node, routes, later, out, tt,
               ahead, until):
    """Recompute rows ``routes`` of a reachability matrix ``out`` (routes × tickets) in place,
    and how long each stays exact; returns how many look-aheads held.

    The same per-route rule as :func:`~fsdispatch.kernels.reach.reachability`
    (on one thread: the incremental refresh recomputes only the routes whose
    start, breaks or resources changed). ``tt`` memoises travel times between
    nodes across refreshes. A route flagged in ``later`` only starts later (same
    place, breaks and resources): since a later start never reaches more tickets,
    only its reachable tickets are checked again.

    ``until[r]`` becomes the latest start from which the row is known to stay the
    same: ``open + ahead`` when every ticket reachable now is still reachable from
    there (a probe, stopped at the first that is not), else the start itself. An
    idle technician's start moves with the clock at every event; their row is
    not redone while it stays within ``until``. ``ahead = 0``: no probes.
    """
    probe = np.empty(out.shape[1], dtype=np.uint8)
    held = 0
    for q in range(routes.shape[0]):
        r = routes[q]
        row = out[r]
        start = rt.open[r]
        if not later[q]:
            row[:] = 0
        reach_route_from(tv, win, brk, rt, service, compat, demand, ticket_node, r, row, tt,
                         start, np.bool_(later[q]), np.int64(0), np.bool_(False))
        until[r] = start
        if ahead > 0:
            probe[:] = row
            if reach_route_from(tv, win, brk, rt, service, compat, demand, ticket_node, r,
                                probe, tt, start + ahead, np.bool_(True), np.int64(0),
                                np.bool_(True)) == 0:
                until[r] = start + ahead
                held += 1
    return held


@njit(cache=True)
def reach_cols_until(tv, win, brk, rt, service, compat, demand, ticket_node, out, tt, until,
                     j_lo):
    """Keep ``until`` (see :func:`reach_rows`) true for the new columns ``j_lo..`` of ``out``
    (filled from each route's start): a route whose new reachable tickets are not all still
    reachable from ``until[r]`` is exact only at its start again."""
    probe = np.empty(out.shape[1], dtype=np.uint8)
    for r in range(out.shape[0]):
        if until[r] <= rt.open[r]:
            continue
        probe[j_lo:] = out[r, j_lo:]
        if reach_route_from(tv, win, brk, rt, service, compat, demand, ticket_node, r, probe,
                            tt, until[r], np.bool_(True), np.int64(j_lo), np.bool_(True)):
            until[r] = rt.open[r]


@njit(cache=True)
def relay_plan(kd, ptr, visits, copy_r, old_r, old_group, old_bptr0, old, st, scratch):
    """:func:`feasible_subplan`, copying the routes ``copy_r`` from the old state ``old``.

    A copied route ``r`` (old route ``old_r[r]``) has the same route data and
    the same visits as when it was last laid, and so have all routes of its
    technician: laying it again would keep every visit and rebuild the same
    caches, so they are copied (break pointers shifted to the new numbering,
    visits renumbered through ``visits``). The other routes are laid as
    :func:`feasible_subplan` does; groups and van stock are per technician, so
    the two kinds do not interact. Returns the kept mask.

    ``old`` may be ``st`` itself (the routes the same, ``old_r`` the identity,
    the routes not copied cleared with ``clear_routes``): the copied routes then
    keep their caches, only renumbered and their break pointers shifted.
    """
    keep = np.zeros(visits.shape[0], dtype=np.bool_)
    rt = kd.rt
    num_skus = st.usage.shape[1]
    for r in range(ptr.shape[0] - 1):
        lo = ptr[r]
        hi = ptr[r + 1]
        if hi == lo:
            continue
        if not copy_r[r]:
            ok = route_feasible_prefix(kd, r, visits[lo:hi], st, scratch)
            for k in range(hi - lo):
                keep[lo + k] = ok[k]
            continue
        o = old_r[r]
        n = hi - lo
        shift = kd.brk.ptr[r] - old_bptr0[o]
        for k in range(n):
            st.seq[r, k] = visits[lo + k]
            st.free_t[r, k] = old.free_t[o, k]
            st.bptr[r, k] = old.bptr[o, k] + shift
            st.vcost[r, k] = old.vcost[o, k]
            st.lstart[r, k] = old.lstart[o, k]
            st.lrate[r, k] = old.lrate[o, k]
            st.absorb[r, k] = old.absorb[o, k]
        for k in range(n + 1):
            st.legt[r, k] = old.legt[o, k]
            st.legd[r, k] = old.legd[o, k]
            for q in range(kd.brk.ptr[r + 1] - kd.brk.ptr[r] + 1):  # the route's labels
                st.lab[r, k, q] = old.lab[o, k, q]
                st.pcost[r, k, q] = old.pcost[o, k, q]
                st.pred[r, k, q] = old.pred[o, k, q]
        st.length[r] = n
        st.ret[r] = old.ret[o]
        st.rtrav[r] = old.rtrav[o]
        st.load[r] = old.load[o]
        st.group_count[rt.group[r]] = old.group_count[old_group[o]]
        tech = rt.tech[r]
        for s in range(num_skus):
            st.usage[tech, s] = old.usage[tech, s]
            st.rneed[r, s] = old.rneed[o, s]
        keep[lo:hi] = True
    return keep


@njit(cache=True)
def kept_rows(seq, length, old_r, remap, laid_seq, laid_len, bad_r, laid_ok):
    """The current plan as CSR over new routes, and which routes are as last laid.

    Route ``r`` of the new problem was route ``old_r[r]``; ``remap`` renumbers
    ticket columns (-1: the ticket left). Returns ``(ptr, visits, same)``:
    ``same[r]`` when the route's data did not change (``bad_r``), it lost no
    visit, and its visits are those it had when the plan was last laid
    (``laid_seq`` / ``laid_len``, compared only when ``laid_ok``).
    """
    num = old_r.shape[0]
    total = ZERO
    for r in range(num):
        total += length[old_r[r]]
    ptr = np.zeros(num + 1, dtype=np.int64)
    visits = np.empty(total, dtype=np.int64)
    same = np.zeros(num, dtype=np.bool_)
    k = ZERO
    width = laid_seq.shape[1]
    for r in range(num):
        o = old_r[r]
        n = length[o]
        ok = laid_ok and not bad_r[r] and n == laid_len[o] and n <= width
        kept = ZERO
        for p in range(n):
            j = seq[o, p]
            if ok and laid_seq[o, p] != j:
                ok = False
            v = remap[j]
            if v >= 0:
                visits[k] = v
                k += 1
                kept += 1
        ptr[r + 1] = ptr[r] + kept
        same[r] = ok and kept == n
    return ptr, visits[:k].copy(), same
