"""numba kernels of insertion-based construction (private).

All timing comes from the shared schedule rule in
:mod:`fsdispatch.kernels.timing`; this module keeps each route's labels (the
rule's dynamic programme) as caches and decides *where* to insert.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..kernels.balance import spread_push, spread_stats
from ..kernels.consts import FALSE, NONE, ONE, TRUE, ZERO
from ..kernels.jit import internal
from ..kernels.sort import argsort_stable
from ..kernels.structs import struct_of
from ..kernels.timing import (
    T_INF,
    advance,
    choose_end,
    earliest_start,
    hard_late,
    max_breaks,
    start_labels,
    travel,
    travel_time,
    visit_cost,
    window_late,
)
from ._parts_kernels import add_parts, parts_fit, pickup_leg, pickup_ready, set_pickup

INF = np.inf


class RouteState(NamedTuple):
    """Arrays of a partial plan with per-position caches (R routes, width W)."""

    seq: np.ndarray  #: (R, W) ticket per position
    length: np.ndarray  #: (R,)
    free_t: np.ndarray  #: (R, W) end of service per position (the route's timing)
    bptr: np.ndarray  #: (R, W) next pending break after each position (the route's timing)
    vcost: np.ndarray  #: (R, W) lateness cost per position (the route's timing)
    lab: np.ndarray  #: (R, W + 1, B + 1) labels after k stops (k = 0: the start; see timing)
    pcost: np.ndarray  #: (R, W + 1, B + 1) float64 lateness cost on the way to each label
    pred: np.ndarray  #: (R, W + 1, B + 1) breaks taken before stop k on that way
    legt: np.ndarray  #: (R, W + 1) travel seconds from node k to k + 1 (0 = start)
    legd: np.ndarray  #: (R, W + 1) travel km from node k to k + 1
    lstart: np.ndarray  #: (R, W) upper bound on the latest feasible start per position
    lrate: np.ndarray  #: (R, W) lateness cost per second of push from k on (lower bound)
    absorb: np.ndarray  #: (R, W) bool: visit k waits or follows a break (may absorb a push)
    ret: np.ndarray  #: (R,) return time
    load: np.ndarray  #: (R,) demand carried
    group_count: np.ndarray  #: (G,) tickets per technician-day
    usage: np.ndarray  #: (T, S) parts used per technician
    open_t: np.ndarray  #: (R,) when the route starts its tickets (after a depot stop)
    start_n: np.ndarray  #: (R,) node the tickets start from (the depot after a stop)
    pick: np.ndarray  #: (R,) depot stopped at first, -1 if none
    pick_was: np.ndarray  #: (R,) scratch: stops before a change
    rneed: np.ndarray  #: (R, S) parts the route's tickets need
    take: np.ndarray  #: (R, S) parts picked up at the route's stop
    dused: np.ndarray  #: (D, S) parts handed out by each depot
    tech_ptr: np.ndarray  #: (T + 1,) routes of technician t: tech_ptr[t]..tech_ptr[t+1]
    tbuf: np.ndarray  #: (max routes per technician,) scratch


class Cands(NamedTuple):
    """Candidate (ticket, route) entries and each ticket's two best."""

    ptr: np.ndarray  #: (N + 1,) entries of ticket j: ptr[j]..ptr[j+1]
    route: np.ndarray  #: (C,)
    ticket: np.ndarray  #: (C,)
    cost: np.ndarray  #: (C,) best insertion cost (a lower bound while stale)
    pos: np.ndarray  #: (C,)
    stale: np.ndarray  #: (C,) bool
    rc_ptr: np.ndarray  #: (R + 1,) entries on route r: rc_entry[rc_ptr[r]:rc_ptr[r+1]]
    rc_entry: np.ndarray  #: (C,)
    tech_route_ptr: np.ndarray  #: (T + 1,)
    best1: np.ndarray  #: (N,)
    best2: np.ndarray  #: (N,)
    bestc: np.ndarray  #: (N,) entry of best1
    bestc2: np.ndarray  #: (N,) entry of best2


@njit(cache=True)
def candidate_routes(kd, ptr, routes, out_ptr, out, lo, hi):
    """Fill ``out[out_ptr[j]:out_ptr[j + 1]]``, for tickets ``lo <= j < hi``, with the able
    routes (CSR ``ptr``/``routes``) whose start is nearest, as many as the slot holds,
    in route order."""
    tv = kd.tv
    start_node = kd.rt.start_node
    for j in range(lo, hi):
        size = out_ptr[j + 1] - out_ptr[j]
        a = ptr[j]
        b = ptr[j + 1]
        o = out_ptr[j]
        if b - a <= size:
            for k in range(b - a):  # element loops: a slice copy compiles numba's
                out[o + k] = routes[a + k]  # shape-mismatch error path (~1.5 s cold)
            continue
        node = kd.ticket_node[j]
        d = np.empty(b - a)
        for k in range(a, b):
            d[k - a] = travel_time(tv, start_node[routes[k]], node)
        nearest = argsort_stable(d)
        chosen = np.empty(size)
        for k in range(size):
            chosen[k] = routes[a + nearest[k]]
        order = argsort_stable(chosen)
        for k in range(size):
            out[o + k] = routes[a + nearest[order[k]]]


@internal
def _lay(kd, r, st, strict):
    """Labels of route ``r`` from its start (after its depot stop, if any) through every
    visit; fills ``legt``/``legd``. Returns ``(b, return_time)`` of the day's end (``b < 0``:
    no timing, under ``strict``)."""
    tv = kd.tv
    win = kd.win
    cost = kd.cost
    brk = kd.brk
    rt = kd.rt
    dep = kd.dep
    n = st.length[r]
    base = brk.ptr[r]
    nbr = brk.ptr[r + 1] - base
    lab = st.lab[r]
    pc = st.pcost[r]
    pred = st.pred[r]
    max_close = rt.max_close[r]
    d = st.pick[r]
    if d >= 0:
        tt_d = travel_time(tv, rt.start_node[r], dep.node[d])
        ok = start_labels(dep.win, cost, brk, base, nbr, rt.open[r], tt_d, dep.pickup[d], d,
                          lab[0], pc[0], pred[0], strict, max_close)
    else:
        ok = start_labels(dep.win, cost, brk, base, nbr, rt.open[r], ZERO, ZERO, NONE, lab[0],
                          pc[0], pred[0], strict, max_close)
    service_row = kd.tech.service[rt.tech[r]]
    cur = st.start_n[r]
    for k in range(n):
        j = st.seq[r, k]
        node = kd.ticket_node[j]
        tt, km = travel(tv, cur, node)
        st.legt[r, k] = tt
        st.legd[r, k] = km
        if ok:
            ok = advance(win, cost, brk, base, nbr, j, np.int64(service_row[j]), tt, TRUE,
                         lab[k], pc[k], lab[k + 1], pc[k + 1], pred[k + 1], strict, max_close)
        cur = node
    tt, km = travel(tv, cur, rt.end_node[r])
    st.legt[r, n] = tt
    st.legd[r, n] = km
    if not ok:
        return NONE, T_INF
    return choose_end(brk, base, nbr, lab[n], pc[n], tt, strict, max_close)


@internal
def rebuild_route(kd, r, st, scratch):
    """Recompute the labels and the timing caches of route ``r``; returns False if no timing
    keeps its windows, breaks and shift end (the caches then hold the relaxed timing)."""
    win = kd.win
    cost = kd.cost
    brk = kd.brk
    rt = kd.rt
    n = st.length[r]
    base = brk.ptr[r]
    nbr = brk.ptr[r + 1] - base
    bend, ret = _lay(kd, r, st, TRUE)
    ok = bend >= 0
    if not ok:
        bend, ret = _lay(kd, r, st, FALSE)
    lab = st.lab[r]
    first = T_INF
    for b in range(nbr + 1):
        if lab[0, b] < first:
            first = lab[0, b]
    st.open_t[r] = first if first < T_INF else rt.open[r]
    if n == 0:  # an unused route: no travel, no break needed (an insertion prices the trip)
        st.ret[r] = st.open_t[r]
        st.legt[r, 0] = 0
        st.legd[r, 0] = 0.0
        return first < T_INF
    tech = rt.tech[r]
    service_row = kd.tech.service[tech]
    b = bend
    for k in range(n, 0, -1):
        st.bptr[r, k - 1] = base + b
        st.free_t[r, k - 1] = lab[k, b]
        b = st.pred[r, k, b]
    prev_t = lab[0, 0]
    prev_b = base
    for k in range(n):
        j = st.seq[r, k]
        e = st.free_t[r, k]
        s = e - np.int64(service_row[j])
        st.absorb[r, k] = s > prev_t + st.legt[r, k] or st.bptr[r, k] != prev_b
        rate = 0.0
        if s > cost.response_by[j]:
            rate += cost.sla_w[j]
        if e > cost.resolve_by[j]:
            rate += cost.sla_w[j]
        if win.soft[j] and window_late(win, j, s) > 0:
            rate += cost.late_w[j]
        st.lrate[r, k] = rate
        st.vcost[r, k] = visit_cost(win, cost, j, s, e)
        prev_t = e
        prev_b = st.bptr[r, k]
    st.ret[r] = ret
    latest_free = rt.max_close[r] - st.legt[r, n]
    for k in range(n - 1, -1, -1):
        j = st.seq[r, k]
        ls = latest_free - np.int64(service_row[j])
        if not win.soft[j]:
            last = win.end[win.ptr[j + 1] - 1]
            if last < ls:
                ls = last
        st.lstart[r, k] = ls
        latest_free = ls - st.legt[r, k]
        if k + 1 < n and not st.absorb[r, k + 1]:
            st.lrate[r, k] += st.lrate[r, k + 1]
    return ok


@njit(cache=True)
def lay_routes(kd, st, ptr, visits, picks):
    """Put the CSR routes ``(ptr, visits)`` into an empty state ``st``: route ``r`` starts
    with a stop at depot ``picks[r]`` (-1: none), then its visits in order. Resources are
    added visit by visit and each route is rebuilt once (the same state as inserting the
    visits one by one). Returns whether every route is feasible."""
    scratch = np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64)
    res = kd.res
    rt = kd.rt
    for r in range(ptr.shape[0] - 1):
        d = picks[r]
        if d >= 0:
            set_pickup(kd, st, r, d, pickup_ready(kd, r, d, scratch))
    ok = True
    for r in range(ptr.shape[0] - 1):
        lo = ptr[r]
        hi = ptr[r + 1]
        for k in range(lo, hi):
            j = visits[k]
            st.seq[r, k - lo] = j
            st.load[r] += res.demand[j]
            st.group_count[rt.group[r]] += 1
            add_parts(kd, st, r, j, ONE)
        st.length[r] = hi - lo
        ok = rebuild_route(kd, r, st, scratch) and ok
    return ok


@internal
def earliest_free(st, r, k, nbr):
    """The earliest the technician can be free after ``k`` stops of route ``r`` (any breaks
    taken): a lower bound of the route's timing there."""
    best = st.lab[r, k, 0]
    for b in range(1, nbr + 1):
        if st.lab[r, k, b] < best:
            best = st.lab[r, k, b]
    return best


@internal
def route_lateness(st, r):
    """Lateness cost of route ``r``'s visits as timed now."""
    c = 0.0
    for k in range(st.length[r]):
        c += st.vcost[r, k]
    return c


@internal
def timing_delta(kd, st, wk, r, j, p, t_in, t_out):
    """Lateness and overtime change of inserting ``j`` at position ``p`` of route ``r``.

    ``t_in``/``t_out`` are the travel into and out of ``j``. Returns inf
    when no timing keeps the windows, breaks and shift end. The labels are
    advanced from position ``p`` only until they equal the old ones (the
    rest of the day is then unchanged). Without breaks there is one label:
    the plain forward simulation.
    """
    win = kd.win
    cost = kd.cost
    brk = kd.brk
    rt = kd.rt
    n = st.length[r]
    base = brk.ptr[r]
    nbr = brk.ptr[r + 1] - base
    service_row = kd.tech.service[rt.tech[r]]
    seq_r = st.seq[r]
    legt_r = st.legt[r]
    max_close = rt.max_close[r]
    close = rt.close[r]
    svc = np.int64(service_row[j])
    if nbr == 0:
        free_r = st.free_t[r]
        vcost_r = st.vcost[r]
        s = earliest_start(win, j, st.lab[r, p, 0] + t_in)
        if hard_late(win, j, s):
            return INF
        e = s + svc
        delta = visit_cost(win, cost, j, s, e)
        t = e
        for k in range(p, n):
            i = seq_r[k]
            tt = t_out if k == p else legt_r[k]
            s = earliest_start(win, i, t + tt)
            if hard_late(win, i, s):
                return INF
            e = s + np.int64(service_row[i])
            delta += visit_cost(win, cost, i, s, e) - vcost_r[k]
            t = e
            if t == free_r[k]:
                return delta
        tt = t_out if p == n else legt_r[n]
        ret = t + tt
        if ret > max_close:
            return INF
    else:
        cur = wk.la
        cur_pc = wk.pa
        nxt = wk.lb
        nxt_pc = wk.pb
        pred = wk.pr
        if not advance(win, cost, brk, base, nbr, j, svc, t_in, TRUE, st.lab[r, p],
                       st.pcost[r, p], cur, cur_pc, pred, TRUE, max_close):
            return INF
        for k in range(p, n):
            i = seq_r[k]
            tt = t_out if k == p else legt_r[k]
            if not advance(win, cost, brk, base, nbr, i, np.int64(service_row[i]), tt, TRUE,
                           cur, cur_pc, nxt, nxt_pc, pred, TRUE, max_close):
                return INF
            same = True
            for b in range(nbr + 1):
                if nxt[b] != st.lab[r, k + 1, b]:
                    same = False
                    break
            if same:  # the rest of the day is as before
                bk = st.bptr[r, k] - base
                return nxt_pc[bk] - st.pcost[r, k + 1, bk]
            tmp = cur
            cur = nxt
            nxt = tmp
            tmp_pc = cur_pc
            cur_pc = nxt_pc
            nxt_pc = tmp_pc
        tt = t_out if p == n else legt_r[n]
        bend, ret = choose_end(brk, base, nbr, cur, cur_pc, tt, TRUE, max_close)
        if bend < 0:
            return INF
        old_vc = 0.0
        if n > 0:
            old_vc = st.pcost[r, n, st.bptr[r, n - 1] - base]
        delta = cur_pc[bend] - old_vc
    old_ot = st.ret[r] - close if (n > 0 and st.ret[r] > close) else 0
    new_ot = ret - close if ret > close else 0
    return delta + kd.w.overtime * (new_ot - old_ot)


@njit(cache=True)
def resources_ok(kd, st, r, j):
    """Capacity, tickets-per-day cap and parts (van and depot stops) allow adding ``j`` to ``r``."""
    rt = kd.rt
    if st.load[r] + kd.res.demand[j] > rt.capacity[r]:
        return False
    if st.group_count[rt.group[r]] + 1 > rt.group_cap[rt.group[r]]:
        return False
    if kd.res.part_ptr[j + 1] == kd.res.part_ptr[j]:
        return True
    return parts_fit(kd, st, r, j, NONE, NONE)


@internal
def route_cost(kd, r, st):
    """Objective contribution of route ``r`` and its work seconds.

    The same terms as the evaluator: visit lateness (SLA, soft windows),
    travel time and distance (with the way to a first depot stop), overtime,
    labour (the stop's time counts as work) and preference misses.
    """
    n = st.length[r]
    if n == 0:
        return 0.0, np.int64(0)
    rt = kd.rt
    tech = rt.tech[r]
    service_row = kd.tech.service[tech]
    trav = np.int64(0)
    km = 0.0
    for k in range(n + 1):
        trav += st.legt[r, k]
        km += st.legd[r, k]
    serv = np.int64(0)
    c = 0.0
    for k in range(n):
        j = st.seq[r, k]
        serv += np.int64(service_row[j])
        c += st.vcost[r, k]
        c += preference_cost(kd.res, kd.w.pref, tech, j)
    ret = st.ret[r]
    ot = ret - rt.close[r] if ret > rt.close[r] else np.int64(0)
    work = trav + serv
    c += kd.w.travel * trav + kd.w.dist * km + kd.w.overtime * ot + kd.tech.labour[tech] * work
    if st.pick[r] >= 0:
        lc, lw = pickup_leg(kd, r, st.pick[r])
        c += lc
        work += lw
    return c, work


@internal
def preference_cost(res, w_pref, tech, j):
    """The preference term for serving ``j`` by technician ``tech``."""
    lo = res.pref_ptr[j]
    hi = res.pref_ptr[j + 1]
    if hi == lo:
        return 0.0
    for k in range(lo, hi):
        if res.pref_tech[k] == tech:
            return 0.0
    return w_pref


@internal
def position_cost(kd, r, j, p, st, wk):
    """Exact cost of inserting ``j`` at position ``p`` of route ``r`` (inf if infeasible)."""
    tv = kd.tv
    rt = kd.rt
    n = st.length[r]
    tech = rt.tech[r]
    node = kd.ticket_node[j]
    prev = kd.ticket_node[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
    nxt = kd.ticket_node[st.seq[r, p]] if p < n else rt.end_node[r]
    t_in, k_in = travel(tv, prev, node)
    t_out, k_out = travel(tv, node, nxt)
    c = timing_delta(kd, st, wk, r, j, p, t_in, t_out)
    if c == INF:
        return INF
    dt = t_in + t_out - st.legt[r, p]
    svc = np.int64(kd.tech.service[tech, j])
    return c + preference_cost(kd.res, kd.w.pref, tech, j) + kd.tech.labour[tech] * (svc + dt) \
        + kd.w.travel * dt + kd.w.dist * (k_in + k_out - st.legd[r, p])


@internal
def insertion_work(kd, r, j, p, st):
    """Work seconds (travel + service) that inserting ``j`` at position ``p`` of route ``r``
    adds: the load-balance term's view of an insertion (depot stops aside)."""
    tv = kd.tv
    n = st.length[r]
    node = kd.ticket_node[j]
    prev = kd.ticket_node[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
    nxt = kd.ticket_node[st.seq[r, p]] if p < n else kd.rt.end_node[r]
    dt = travel_time(tv, prev, node) + travel_time(tv, node, nxt) - st.legt[r, p]
    return np.float64(dt + np.int64(kd.tech.service[kd.rt.tech[r], j]))


@internal
def tech_loads(kd, st, loads, has):
    """Each technician's workload for the load-balance term (recent workload plus travel
    and service of its routes) into ``loads``; ``has[t]``: ``t`` has a shift."""
    for t in range(loads.shape[0]):
        loads[t] = kd.tech.recent[t]
        has[t] = False
    for r in range(st.length.shape[0]):
        t = kd.rt.tech[r]
        has[t] = True
        if st.length[r] > 0:
            _c, work = route_cost(kd, r, st)
            loads[t] += work


@njit(cache=True)
def balance_cost(kd, st):
    """The load-balance term of the state (``kd.w.balance × spread``), as the evaluator has it."""
    _loads, stats = state_spread(kd, st)
    if kd.w.balance == 0.0 or stats[0] < stats[1]:  # (no technician with a shift)
        return 0.0
    return kd.w.balance * (stats[0] - stats[1])


@internal
def state_spread(kd, st):
    """The technicians' loads in the state (:func:`tech_loads`) and their
    :func:`~fsdispatch.kernels.balance.spread_stats`: ``(loads, stats)``."""
    num_techs = kd.tech.recent.shape[0]
    loads = np.zeros(num_techs)
    has = np.zeros(num_techs, dtype=np.bool_)
    stats = np.zeros(6)
    tech_loads(kd, st, loads, has)
    spread_stats(loads, has, stats)
    return loads, stats


@njit(cache=True)
def best_insertion(kd, r, j, st, wk):
    """Cheapest feasible position of ``j`` in route ``r``: ``(cost, position)``.

    Each position gets a lower bound (travel detour, ``j``'s own lateness at
    its earliest start, and — on a route without breaks — the lateness its
    push adds to the following visits that cannot absorb it; on a route with
    breaks the insertion may move a break and make other visits earlier, so
    the bound allows all their lateness to vanish); positions are priced
    exactly cheapest bound first and skipped once the bound reaches the best
    exact cost found. An O(1) latest-start test rejects positions that cannot
    be feasible.
    """
    rt = kd.rt
    if not resources_ok(kd, st, r, j):
        return INF, -1
    n = st.length[r]
    if n + 1 >= st.seq.shape[1]:
        return INF, -1
    tv = kd.tv
    win = kd.win
    cost = kd.cost
    tin = wk.tin
    kin = wk.kin
    tout = wk.tout
    kout = wk.kout
    order = wk.order
    tech = rt.tech[r]
    service_row = kd.tech.service[tech]
    seq_r = st.seq[r]
    free_r = st.free_t[r]
    legt_r = st.legt[r]
    legd_r = st.legd[r]
    node = kd.ticket_node[j]
    symmetric = tv.kind != 0
    prev = st.start_n[r]
    for p in range(n + 1):
        if p > 0:
            prev = kd.ticket_node[seq_r[p - 1]]
        tt, km = travel(tv, prev, node)
        tin[p] = tt
        kin[p] = km
    for p in range(n + 1):
        if symmetric and p < n:
            tout[p] = tin[p + 1]
            kout[p] = kin[p + 1]
        else:
            nxt = kd.ticket_node[seq_r[p]] if p < n else rt.end_node[r]
            tt, km = travel(tv, node, nxt)
            tout[p] = tt
            kout[p] = km
    svc = np.int64(service_row[j])
    labour = kd.tech.labour[tech]
    w_travel = kd.w.travel
    w_dist = kd.w.dist
    base = preference_cost(kd.res, kd.w.pref, tech, j) + labour * svc
    first_open = win.start[win.ptr[j]]
    nbr = kd.brk.ptr[r + 1] - kd.brk.ptr[r]
    others = route_lateness(st, r) if nbr > 0 else 0.0
    for p in range(n + 1):
        dt = tin[p] + tout[p] - legt_r[p]
        det = base + w_travel * dt + w_dist * (kin[p] + kout[p] - legd_r[p]) + labour * dt
        kin[p] = det  # kin now holds the exact travel part
        order[p] = p
        ready = earliest_free(st, r, p, nbr) + tin[p]
        limit = st.lstart[r, p] if p < n else rt.max_close[r]
        s_lb = earliest_start(win, j, ready)
        if (ready if ready > first_open else first_open) + svc + tout[p] > limit:
            kout[p] = INF  # cannot be feasible (breaks ignored, so this is a proof)
        else:
            lb = det + visit_cost(win, cost, j, s_lb, s_lb + svc) - others
            if p < n and nbr == 0:
                i = seq_r[p]
                svc_i = np.int64(service_row[i])
                s_old = free_r[p] - svc_i
                s_new = s_lb + svc + tout[p]
                if s_new > s_old:
                    lb += visit_cost(win, cost, i, s_new, s_new + svc_i) - st.vcost[r, p]
                    if p + 1 < n and not st.absorb[r, p + 1]:
                        lb += (s_new - s_old) * st.lrate[r, p + 1]
            kout[p] = lb
        k = p
        while k > 0 and kout[order[k - 1]] > kout[order[k]]:
            tmp = order[k - 1]
            order[k - 1] = order[k]
            order[k] = tmp
            k -= 1
    best = INF
    best_p = NONE
    for q in range(n + 1):
        p = order[q]
        if kout[p] >= best:
            break
        c = timing_delta(kd, st, wk, r, j, p, tin[p], tout[p])
        if c == INF:
            continue
        c += kin[p]
        if c < best or (c == best and p < best_p):
            best = c
            best_p = p
    return best, best_p


class Work(NamedTuple):
    """Scratch buffers of a kernel call."""

    brk: np.ndarray  #: (B + 1,) int64 break starts
    tin: np.ndarray  #: (W + 2,) int64 travel seconds into the inserted ticket per position
    kin: np.ndarray  #: (W + 2,) float64 its km, then the exact travel part of the cost
    tout: np.ndarray  #: (W + 2,) int64 travel seconds out of it
    kout: np.ndarray  #: (W + 2,) float64 km out, then the position's lower bound
    order: np.ndarray  #: (W + 2,) int64 positions in order of their bound
    la: np.ndarray  #: (BB,) int64 labels (BB: most breaks of a route, plus one)
    lb: np.ndarray  #: (BB,) int64 labels
    pa: np.ndarray  #: (BB,) float64 their lateness costs
    pb: np.ndarray  #: (BB,) float64
    pr: np.ndarray  #: (BB,) int64 predecessors


@njit(cache=True)
def make_work(kd, width):
    """Scratch buffers for routes of up to ``width`` visits."""
    w = width + 2
    bb = max_breaks(kd.brk) + 1
    return struct_of(Work(np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64),
                          np.empty(w, dtype=np.int64), np.empty(w),
                          np.empty(w, dtype=np.int64), np.empty(w),
                          np.empty(w, dtype=np.int64),
                          np.empty(bb, dtype=np.int64), np.empty(bb, dtype=np.int64),
                          np.empty(bb), np.empty(bb), np.empty(bb, dtype=np.int64)))


@internal
def _top2(j, cd):
    b1 = INF
    b2 = INF
    c1 = NONE
    c2 = NONE
    for c in range(cd.ptr[j], cd.ptr[j + 1]):
        v = cd.cost[c]
        if v < b1 or (v == b1 and c1 < 0):
            b2 = b1
            c2 = c1
            b1 = v
            c1 = c
        elif v < b2 or (v == b2 and c2 < 0):
            b2 = v
            c2 = c
    cd.best1[j] = b1
    cd.best2[j] = b2
    cd.bestc[j] = c1
    cd.bestc2[j] = c2


@internal
def refresh_best(kd, j, cd, st, wk):
    """Recompute ticket ``j``'s two best entries, re-pricing stale ones that reach the top two."""
    while True:
        _top2(j, cd)
        if not price_stale(kd, j, cd.bestc[j], cd.bestc2[j], cd, st, wk):
            return


@internal
def price_stale(kd, j, c1, c2, cd, st, wk):
    """Price entries ``c1``, ``c2`` of ticket ``j`` exactly if they are stale; returns
    whether one was."""
    again = False
    for c in (c1, c2):
        if c >= 0 and cd.stale[c]:
            cost, pos = best_insertion(kd, cd.route[c], j, st, wk)
            cd.cost[c] = cost
            cd.pos[c] = pos
            cd.stale[c] = False
            again = True
    return again


@njit(cache=True)
def greedy_init(kd, active, cd, st, lo, hi):
    """Price every candidate of every active ticket ``j`` with ``lo <= j < hi``."""
    wk = make_work(kd, st.seq.shape[1])
    for j in range(lo, hi):
        if not active[j]:
            continue
        for c in range(cd.ptr[j], cd.ptr[j + 1]):
            cost, pos = best_insertion(kd, cd.route[c], j, st, wk)
            cd.cost[c] = cost
            cd.pos[c] = pos
            cd.stale[c] = False
        _top2(j, cd)


@njit(cache=True)
def insert_at(kd, r, j, p, st, scratch):
    """Insert ticket ``j`` at position ``p`` of route ``r`` and update the caches."""
    n = st.length[r]
    for k in range(n, p, -1):
        st.seq[r, k] = st.seq[r, k - 1]
    st.seq[r, p] = j
    st.length[r] = n + 1
    rebuild_route(kd, r, st, scratch)
    st.load[r] += kd.res.demand[j]
    st.group_count[kd.rt.group[r]] += 1
    add_parts(kd, st, r, j, ONE)


@internal
def _reprice_after_insert(kd, r, j, p, active, cd, st, wk, stamp, steps, dirty, nd):
    """Update candidate entries on route ``r`` after ``j`` went in at position ``p``."""
    tv = kd.tv
    rt = kd.rt
    win = kd.win
    w_travel = kd.w.travel
    node_j = kd.ticket_node[j]
    n = st.length[r]
    prev = kd.ticket_node[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
    nxt = kd.ticket_node[st.seq[r, p + 1]] if p + 1 < n else rt.end_node[r]
    nbr = kd.brk.ptr[r + 1] - kd.brk.ptr[r]
    others = route_lateness(st, r) if nbr > 0 else 0.0
    free_p = earliest_free(st, r, p, nbr)
    free_p1 = earliest_free(st, r, p + 1, nbr)
    for e in range(cd.rc_ptr[r], cd.rc_ptr[r + 1]):
        cc = cd.rc_entry[e]
        i = cd.ticket[cc]
        if not active[i]:
            continue
        if cd.bestc[i] == cc or cd.bestc2[i] == cc or cd.pos[cc] == p \
                or not resources_ok(kd, st, r, i):
            cost, pos = best_insertion(kd, r, i, st, wk)
            cd.cost[cc] = cost
            cd.pos[cc] = pos
            cd.stale[cc] = False
        else:
            if cd.pos[cc] > p:
                cd.pos[cc] += 1
            # old positions can only have become dearer; the two new ones
            # around j may be cheaper and are priced exactly
            node_i = kd.ticket_node[i]
            d_ij = travel_time(tv, node_i, node_j)
            svc_i = np.int64(kd.tech.service[rt.tech[r], i])
            improved = False
            for q in (p, p + 1):
                if q == p:
                    t_in = travel_time(tv, prev, node_i)
                    t_out = d_ij
                    ready = free_p + t_in
                    limit = st.lstart[r, p]
                else:
                    t_in = d_ij
                    t_out = travel_time(tv, node_i, nxt)
                    ready = free_p1 + t_in
                    limit = st.lstart[r, p + 1] if p + 1 < n else rt.max_close[r]
                s_lb = earliest_start(win, i, ready)
                if s_lb + svc_i + t_out > limit:
                    continue  # provably infeasible (breaks ignored)
                lb = w_travel * (t_in + t_out - st.legt[r, q]) \
                    + visit_cost(win, kd.cost, i, s_lb, s_lb + svc_i) - others
                if lb < cd.cost[cc]:
                    v = position_cost(kd, r, i, q, st, wk)
                    if v < cd.cost[cc]:
                        cd.cost[cc] = v
                        cd.pos[cc] = q
                        improved = True
            if improved:
                cd.stale[cc] = False
            elif cd.cost[cc] != INF:
                cd.stale[cc] = True
        if stamp[i] != steps:
            stamp[i] = steps
            dirty[nd] = i
            nd += 1
    return nd


@internal
def balanced_top2(kd, j, cd, st, wk, loads, stats):
    """Ticket ``j``'s best and second-best entry cost with the load-balance change added,
    and the best entry: ``(best, second, entry)``.

    The change of ``weight × (max − min)`` when the entry's technician takes the
    insertion's work (:func:`insertion_work`) is exact for a fresh entry; a
    stale entry that reaches the top two is priced again first.
    """
    w = kd.w.balance
    while True:
        b1 = INF
        b2 = INF
        c1 = NONE
        c2 = NONE
        for c in range(cd.ptr[j], cd.ptr[j + 1]):
            v = cd.cost[c]
            if v == INF:
                continue
            r = cd.route[c]
            v += spread_push(w, loads, stats, kd.rt.tech[r],
                               insertion_work(kd, r, j, cd.pos[c], st))
            if v < b1:
                b2 = b1
                c2 = c1
                b1 = v
                c1 = c
            elif v < b2:
                b2 = v
                c2 = c
        if not price_stale(kd, j, c1, c2, cd, st, wk):
            return b1, b2, c1


@njit(cache=True)
def balanced_keys(kd, active, cd, st, b1, b2, bc):
    """Each active ticket's best and second-best entry cost with the change of the
    load-balance term added, and its best entry (:func:`balanced_top2`), into ``b1``,
    ``b2``, ``bc`` — what :func:`greedy_steps` selects by for one step when the
    objective has a load-balance weight. Compiled only when a day has one."""
    loads, stats = state_spread(kd, st)
    wk = make_work(kd, st.seq.shape[1])
    for j in range(active.shape[0]):
        if active[j]:
            b1[j], b2[j], bc[j] = balanced_top2(kd, j, cd, st, wk, loads, stats)


@internal
def pick_regret(cost, active, b1, b2):
    """The active ticket to insert next: most urgent priority first; within it the largest
    regret ``min(second best, penalty) − best`` (``inf`` when nothing is left for it), then
    the earliest response deadline."""
    pick = NONE
    pick_prio = 99
    best_regret = -INF
    pick_deadline = np.int64(0)
    for j in range(active.shape[0]):
        if not active[j]:
            continue
        prio = cost.priority[j]
        if prio > pick_prio:
            continue
        if b1[j] == INF:
            regret = INF  # must be settled now: nothing left for it
        else:
            alt = b2[j] if b2[j] < cost.penalty[j] else cost.penalty[j]
            regret = alt - b1[j]
        deadline = cost.response_by[j]
        if (prio < pick_prio or regret > best_regret
                or (regret == best_regret and deadline < pick_deadline)):
            pick = j
            pick_prio = prio
            best_regret = regret
            pick_deadline = deadline
    return pick


@njit(cache=True)
def greedy_steps(kd, max_steps, active, outcome, cd, st, stamp, acc, b1, b2, bc):
    """Run up to ``max_steps`` regret insertions; returns the number of active tickets left.

    Selection: :func:`pick_regret`. ``outcome[j]``: 0 pending, 1 inserted, 2 no
    feasible insertion left, 3 not profitable. ``acc[0]`` accumulates the cost of
    the insertions made (the backend's own objective without the load-balance term, checked against
    the evaluator in tests). The selection reads each ticket's best and
    second-best cost and best entry from ``b1``, ``b2``, ``bc``: the candidate
    cache's own (``cd.best1``, ``cd.best2``, ``cd.bestc``, kept up to date
    here) or, with a load-balance weight, :func:`balanced_keys` made before a
    single step (the balance change moves with every insertion).

    After an insertion into route r, tickets having r among their two best
    are re-priced at once; for the others only the two new positions next to
    the inserted ticket are priced and the entry is marked stale (its cost is
    then a lower bound, re-priced exactly if it ever reaches a ticket's top two).
    """
    cost = kd.cost
    rt = kd.rt
    res = kd.res
    num_tickets = active.shape[0]
    wk = make_work(kd, st.seq.shape[1])
    dirty = np.empty(num_tickets, dtype=np.int64)
    left = ZERO
    for j in range(num_tickets):
        if active[j]:
            left += 1
    steps = ZERO
    while left > 0 and steps < max_steps:
        steps += 1
        j = pick_regret(cost, active, b1, b2)
        active[j] = False
        left -= 1
        if b1[j] == INF:
            outcome[j] = 2
            continue
        if b1[j] > cost.penalty[j]:
            outcome[j] = 3
            continue
        c = bc[j]
        r = cd.route[c]
        p = cd.pos[c]
        if kd.dep.node.shape[0] and res.part_ptr[j + 1] > res.part_ptr[j] \
                and not resources_ok(kd, st, r, j):
            # depot stock is shared by every technician: an insertion elsewhere may have
            # used what this entry counted on; price the ticket's entries again
            for e in range(cd.ptr[j], cd.ptr[j + 1]):
                if cd.cost[e] != INF:
                    cd.stale[e] = True
            cd.cost[c] = INF
            cd.pos[c] = NONE
            cd.stale[c] = False
            refresh_best(kd, j, cd, st, wk)
            active[j] = True
            left += 1
            continue
        acc[0] += cd.cost[c]
        tech = rt.tech[r]
        insert_at(kd, r, j, p, st, wk.brk)
        outcome[j] = 1
        nd = ZERO
        # sibling routes of the technician share its parts and day cap
        if res.part_ptr[j + 1] > res.part_ptr[j] \
                or st.group_count[rt.group[r]] >= rt.group_cap[rt.group[r]]:
            for rr in range(cd.tech_route_ptr[tech], cd.tech_route_ptr[tech + 1]):
                if rr == r:
                    continue
                for e in range(cd.rc_ptr[rr], cd.rc_ptr[rr + 1]):
                    cc = cd.rc_entry[e]
                    i = cd.ticket[cc]
                    if not active[i] or cd.cost[cc] == INF:
                        continue
                    if not resources_ok(kd, st, rr, i):
                        cd.cost[cc] = INF
                        cd.pos[cc] = -1
                        cd.stale[cc] = False
                        if stamp[i] != steps:
                            stamp[i] = steps
                            dirty[nd] = i
                            nd += 1
        nd = _reprice_after_insert(kd, r, j, p, active, cd, st, wk, stamp, steps, dirty, nd)
        for k in range(nd):
            refresh_best(kd, dirty[k], cd, st, wk)
            stamp[dirty[k]] = -1
    return left


@njit(cache=True)
def fill_beyond_candidates(kd, ptr, routes, cand_ptr, st, order, outcome, acc):
    """Second chance for tickets whose candidate list was cut short.

    A ticket left out (``outcome`` 2: no feasible candidate, 3: not
    profitable) that has more able routes than candidates is priced on every
    able route; it goes in at the cheapest feasible position when that pays,
    so a ``no_capacity`` or ``not_profitable`` claim always holds for every
    able route (many identical shifts at one depot would otherwise always
    offer the same nearest few). ``order``: tickets, most urgent first.
    """
    wk = make_work(kd, st.seq.shape[1])
    for q in range(order.shape[0]):
        j = order[q]
        if outcome[j] != 2 and outcome[j] != 3:
            continue
        if ptr[j + 1] - ptr[j] <= cand_ptr[j + 1] - cand_ptr[j]:
            continue
        best = INF
        best_r = NONE
        best_p = NONE
        for k in range(ptr[j], ptr[j + 1]):
            c, p = best_insertion(kd, routes[k], j, st, wk)
            if c < best:
                best = c
                best_r = routes[k]
                best_p = p
        if best_r < 0:
            outcome[j] = 2
        elif best > kd.cost.penalty[j]:
            outcome[j] = 3
        else:
            acc[0] += best
            insert_at(kd, best_r, j, best_p, st, wk.brk)
            outcome[j] = 1


@internal
def pickup_option(kd, r, j, st, wk):
    """Cheapest way to serve ``j`` on route ``r`` by making ``r`` start with a depot stop.

    Returns ``(cost, depot, position)``: the change of route ``r``'s cost
    (the way to the depot, the stop and the later start of its tickets) plus
    the insertion of ``j``; ``(inf, -1, -1)`` when ``r`` already has a stop,
    ``j`` needs no parts, or no depot makes it feasible. ``st`` is left as it was.
    """
    dep = kd.dep
    if dep.node.shape[0] == 0 or st.pick[r] >= 0 \
            or kd.res.part_ptr[j + 1] == kd.res.part_ptr[j]:
        return INF, -1, -1
    rt = kd.rt
    if st.load[r] + kd.res.demand[j] > rt.capacity[r] \
            or st.group_count[rt.group[r]] + 1 > rt.group_cap[rt.group[r]]:
        return INF, -1, -1
    n = st.length[r]
    base, _w = route_cost(kd, r, st)
    best = INF
    best_d = NONE
    best_p = NONE
    changed = False
    for d in range(dep.node.shape[0]):
        ready = pickup_ready(kd, r, d, wk.brk)
        if ready < 0:
            continue
        st.pick[r] = d  # parts_fit sees the stop; takes are refreshed only if applied
        if not parts_fit(kd, st, r, j, NONE, NONE):
            st.pick[r] = -1
            continue
        st.open_t[r] = ready
        st.start_n[r] = dep.node[d]
        changed = True
        if rebuild_route(kd, r, st, wk.brk):
            c_route, _w = route_cost(kd, r, st)
            if n == 0:
                c_route, _w = pickup_leg(kd, r, d)
            c, p = best_insertion(kd, r, j, st, wk)
            if c < INF:
                tot = c_route - base + c
                if tot < best:
                    best = tot
                    best_d = d
                    best_p = p
        st.pick[r] = -1
    if changed:
        st.open_t[r] = rt.open[r]
        st.start_n[r] = rt.start_node[r]
        rebuild_route(kd, r, st, wk.brk)
    return best, best_d, best_p


@njit(cache=True)
def apply_pickup(kd, r, d, st, scratch):
    """Make route ``r`` start with a stop at depot ``d`` (-1: drop its stop); rebuilds it.

    Returns whether the route is feasible afterwards.
    """
    ready = pickup_ready(kd, r, d, scratch) if d >= 0 else np.int64(0)
    set_pickup(kd, st, r, d, ready)
    return rebuild_route(kd, r, st, scratch)


@njit(cache=True)
def fill_with_pickups(kd, ptr, routes, st, order, outcome, acc):
    """Place tickets left out whose parts a depot stop can bring.

    For each ticket left out (``outcome`` 2 or 3) that needs parts, most
    urgent first, every able route is priced both as it is (it may already
    start with a stop) and with a new stop first thing
    (:func:`pickup_option`); the cheapest goes in when it pays.
    """
    wk = make_work(kd, st.seq.shape[1])
    if kd.dep.node.shape[0] == 0:
        return
    for q in range(order.shape[0]):
        j = order[q]
        if outcome[j] != 2 and outcome[j] != 3:
            continue
        if kd.res.part_ptr[j + 1] == kd.res.part_ptr[j]:
            continue
        best = INF
        best_r = NONE
        best_p = NONE
        best_d = NONE
        for k in range(ptr[j], ptr[j + 1]):
            r = routes[k]
            c, p = best_insertion(kd, r, j, st, wk)
            if c < best:
                best = c
                best_r = r
                best_p = p
                best_d = NONE
            c, d, p = pickup_option(kd, r, j, st, wk)
            if c < best:
                best = c
                best_r = r
                best_p = p
                best_d = d
        if best_r < 0:
            outcome[j] = 2
        elif best > kd.cost.penalty[j]:
            outcome[j] = 3
        else:
            acc[0] += best
            if best_d >= 0:
                apply_pickup(kd, best_r, best_d, st, wk.brk)
            insert_at(kd, best_r, j, best_p, st, wk.brk)
            outcome[j] = 1


@njit(cache=True)
def route_width_bound(compat, service, rt_tech, rt_open, rt_max_close, group_cap, group):
    """An upper bound on any feasible route's length (see ``greedy._route_width``)."""
    num_t, n = compat.shape
    num_r = rt_tech.shape[0]
    if num_r == 0 or n == 0:
        return 1
    big = np.int64(2147483647)
    min_service = np.empty(num_t, dtype=np.int64)
    for t in range(num_t):
        m = big
        for j in range(n):
            if compat[t, j] == 0 and service[t, j] < m:
                m = np.int64(service[t, j])
        min_service[t] = m if m > 1 else 1
    best = 1
    for r in range(num_r):
        by_time = (rt_max_close[r] - rt_open[r]) // min_service[rt_tech[r]] + 1
        w = min(by_time, group_cap[group[r]], np.int64(n))
        if w > best:
            best = w
    return best + 1


@njit(cache=True)
def parts_blocked(kd, ptr, routes, st, tickets, out):
    """``out[q]``: ticket ``tickets[q]`` is kept out by parts alone — some able route (CSR
    ``ptr``/``routes``) has room for it (capacity, day cap) and a feasible position in time,
    but the van (and the depots' stock) no longer holds its parts."""
    wk = make_work(kd, st.seq.shape[1])
    rt = kd.rt
    res = kd.res
    for q in range(tickets.shape[0]):
        j = tickets[q]
        out[q] = False
        if res.part_ptr[j + 1] == res.part_ptr[j]:
            continue
        for k in range(ptr[j], ptr[j + 1]):
            r = routes[k]
            if st.load[r] + res.demand[j] > rt.capacity[r] \
                    or st.group_count[rt.group[r]] + 1 > rt.group_cap[rt.group[r]] \
                    or st.length[r] + 1 >= st.seq.shape[1] \
                    or parts_fit(kd, st, r, j, NONE, NONE):
                continue
            for p in range(st.length[r] + 1):
                if position_cost(kd, r, j, p, st, wk) < INF:
                    out[q] = True
                    break
            if out[q]:
                break
