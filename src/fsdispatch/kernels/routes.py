"""numba kernels of a partial plan's routes (private): the route state, laying out and
re-timing a route, its cost, resources and load balance.

All timing comes from the shared schedule rule in :mod:`fsdispatch.kernels.timing`;
the route state keeps each route's labels (the rule's dynamic programme) as caches.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .balance import spread_stats
from .consts import FALSE, NONE, ONE, TRUE, ZERO
from .jit import internal, leaf_internal
from .parts import add_parts, parts_fit, parts_valid, pickup_leg, pickup_ready, set_pickup
from .timing import (
    T_INF,
    advance,
    choose_end,
    start_labels,
    travel,
    travel_time,
    visit_cost,
    walk_finish,
    walk_leg,
    window_late,
)

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
    legt: np.ndarray  #: (R, W + 1) travel seconds from node k to k + 1 (0 = start); under
    #: time-dependent travel the static lower bound (the caches' bounds stay valid)
    legd: np.ndarray  #: (R, W + 1) travel km from node k to k + 1
    lstart: np.ndarray  #: (R, W) upper bound on the latest feasible start per position
    lrate: np.ndarray  #: (R, W) lateness cost per second of push from k on (lower bound)
    absorb: np.ndarray  #: (R, W) bool: visit k waits or follows a break (may absorb a push)
    ret: np.ndarray  #: (R,) return time
    rtrav: np.ndarray  #: (R,) travel seconds by the legs' departures (time-dependent travel)
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


@internal
def _lay(kd, r, st, strict):
    """Labels of route ``r`` from its start (after its depot stop, if any) through every
    visit; fills ``legt``/``legd``. Returns ``(b, return_time)`` of the day's end (``b < 0``:
    no timing, under ``strict``)."""
    n = st.length[r]
    base = kd.brk.ptr[r]
    nbr = kd.brk.ptr[r + 1] - base
    lab = st.lab[r]
    pc = st.pcost[r]
    pred = st.pred[r]
    max_close = kd.rt.max_close[r]
    d = st.pick[r]
    tv = kd.tv  # (taken once: the loop below passes it on)
    if d >= 0:
        n0 = kd.rt.start_node[r]
        n1 = kd.dep.node[d]
        tt_d = travel_time(tv, n0, n1)
        ok = start_labels(tv, n0, n1, kd.dep.win, kd.cost, kd.brk, base, nbr, kd.rt.open[r],
                          tt_d, kd.dep.pickup[d], d, lab[0], pc[0], pred[0], strict, max_close)
    else:
        ok = start_labels(tv, NONE, NONE, kd.dep.win, kd.cost, kd.brk, base, nbr,
                          kd.rt.open[r], ZERO, ZERO, NONE, lab[0], pc[0], pred[0], strict,
                          max_close)
    service_row = kd.tech.service[kd.rt.tech[r]]
    cur = st.start_n[r]
    for k in range(n):
        j = st.seq[r, k]
        node = kd.ticket_node[j]
        tt, km = travel(tv, cur, node)
        st.legt[r, k] = tt
        st.legd[r, k] = km
        if ok:
            ok = advance(tv, cur, node, kd.win, kd.cost, kd.brk, base, nbr, j,
                         np.int64(service_row[j]), tt, TRUE, lab[k], pc[k], lab[k + 1], pc[k + 1],
                         pred[k + 1], strict, max_close)
        cur = node
    tt, km = travel(tv, cur, kd.rt.end_node[r])
    st.legt[r, n] = tt
    st.legd[r, n] = km
    if not ok:
        return NONE, T_INF
    return choose_end(tv, cur, kd.rt.end_node[r], kd.brk, base, nbr, lab[n], pc[n], tt, strict,
                      max_close)


@internal
def rebuild_route(kd, r, st, scratch):
    """Recompute the labels and the timing caches of route ``r``; returns False if no timing
    keeps its windows, breaks and shift end (the caches then hold the relaxed timing)."""
    n = st.length[r]
    base = kd.brk.ptr[r]
    nbr = kd.brk.ptr[r + 1] - base
    bend, ret = _lay(kd, r, st, TRUE)
    ok = bend >= 0
    if not ok:
        bend, ret = _lay(kd, r, st, FALSE)
    lab = st.lab[r]
    first = T_INF
    for b in range(nbr + 1):
        if lab[0, b] < first:
            first = lab[0, b]
    st.open_t[r] = first if first < T_INF else kd.rt.open[r]
    if n == 0:  # an unused route: no travel, no break needed (an insertion prices the trip)
        st.ret[r] = st.open_t[r]
        st.rtrav[r] = 0
        st.legt[r, 0] = 0
        st.legd[r, 0] = 0.0
        return first < T_INF
    tech = kd.rt.tech[r]
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
        if s > kd.cost.response_by[j]:
            rate += kd.cost.sla_w[j]
        if e > kd.cost.resolve_by[j]:
            rate += kd.cost.sla_w[j]
        if kd.win.soft[j] and window_late(kd.win, j, s) > 0:
            rate += kd.cost.late_w[j]
        st.lrate[r, k] = rate
        st.vcost[r, k] = visit_cost(kd.win, kd.cost, j, s, e)
        prev_t = e
        prev_b = st.bptr[r, k]
    st.ret[r] = ret
    if kd.tv.td != 0:
        st.rtrav[r] = driven_seconds(kd, r, st, bend, ok, scratch)
    latest_free = kd.rt.max_close[r] - st.legt[r, n]
    for k in range(n - 1, -1, -1):
        j = st.seq[r, k]
        ls = latest_free - np.int64(service_row[j])
        if not kd.win.soft[j]:
            last = kd.win.end[kd.win.ptr[j + 1] - 1]
            if last < ls:
                ls = last
        st.lstart[r, k] = ls
        latest_free = ls - st.legt[r, k]
        if k + 1 < n and not st.absorb[r, k + 1]:
            st.lrate[r, k] += st.lrate[r, k + 1]
    return ok


@internal
def driven_seconds(kd, r, st, bend, strict, scratch):
    """Travel seconds of route ``r`` by each leg's departure on the kept timing (the
    schedule rule's labels traced back from ``bend``; ``scratch`` holds break starts),
    the way to a depot stop first thing included (the evaluator's ``travel_s``)."""
    n = st.length[r]
    base = kd.brk.ptr[r]
    nbr = kd.brk.ptr[r + 1] - base
    lab = st.lab[r]
    if bend < 0:  # (no timing at all: cannot happen relaxed) the static bound
        total = np.int64(0)
        for k in range(n + 1):
            total += st.legt[r, k]
        return total
    node_n = kd.ticket_node[st.seq[r, n - 1]]
    ret, _late, left = walk_finish(kd.tv, node_n, kd.rt.end_node[r], kd.brk, base, nbr, bend,
                                   lab[n, bend], st.legt[r, n], scratch)
    total = ret - left
    b = bend
    for k in range(n, 0, -1):
        bp = st.pred[r, k, b]
        na = kd.ticket_node[st.seq[r, k - 2]] if k > 1 else st.start_n[r]
        nb = kd.ticket_node[st.seq[r, k - 1]]
        _ready, arr, _late, left = walk_leg(kd.tv, na, nb, kd.brk, base, bp, b - bp,
                                            lab[k - 1, bp], st.legt[r, k - 1], strict, scratch)
        total += arr - left
        b = bp
    d = st.pick[r]
    if d >= 0:  # the way to a depot stop first thing, leaving the shift start at its open
        n0 = kd.rt.start_node[r]
        n1 = kd.dep.node[d]
        _ready, arr, _late, left = walk_leg(kd.tv, n0, n1, kd.brk, base, ZERO, b,
                                            kd.rt.open[r], travel_time(kd.tv, n0, n1), strict,
                                            scratch)
        total += arr - left
    return total


@njit(cache=True)
def clear_routes(kd, st, routes):
    """Make routes ``routes`` of ``st`` empty, as a fresh state has every route: no visit,
    no depot stop, and the start labels of an empty route (what the schedule rule gives a
    route without stops: free at the shift start with no break taken). Their
    technicians' part usage and their day groups' counts are zeroed too, so clear every
    route of a technician at once. Not for depot plans (a depot's hand-outs are shared)."""
    rt = kd.rt
    for q in range(routes.shape[0]):
        r = routes[q]
        st.seq[r, :] = NONE
        st.length[r] = ZERO
        st.free_t[r, :] = ZERO
        st.bptr[r, :] = ZERO
        st.vcost[r, :] = 0.0
        st.lab[r, :, :] = ZERO
        st.lab[r, 0, :] = T_INF
        st.lab[r, 0, 0] = rt.open[r]
        st.pcost[r, :, :] = 0.0
        st.pred[r, :, :] = ZERO
        st.legt[r, :] = ZERO
        st.legd[r, :] = 0.0
        st.lstart[r, :] = ZERO
        st.lrate[r, :] = 0.0
        st.absorb[r, :] = FALSE
        st.ret[r] = rt.open[r]
        st.rtrav[r] = ZERO
        st.load[r] = ZERO
        st.open_t[r] = rt.open[r]
        st.start_n[r] = rt.start_node[r]
        st.pick[r] = NONE
        st.pick_was[r] = NONE
        st.rneed[r, :] = ZERO
        st.take[r, :] = ZERO
        st.group_count[rt.group[r]] = ZERO
        st.usage[rt.tech[r], :] = ZERO


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
    return free_at(st.lab[r], k, nbr)


@leaf_internal
def free_at(lab_r, k, nbr):
    """:func:`earliest_free` on one route's labels ``lab_r`` (a leaf: no reference counts)."""
    best = lab_r[k, 0]
    for b in range(1, nbr + 1):
        if lab_r[k, b] < best:
            best = lab_r[k, b]
    return best


@internal
def route_lateness(st, r):
    """Lateness cost of route ``r``'s visits as timed now."""
    return row_lateness(st.vcost[r], st.length[r])


@leaf_internal
def row_lateness(vcost_r, n):
    """:func:`route_lateness` on the route's row of visit costs ``vcost_r`` (``n`` visits)."""
    c = 0.0
    for k in range(n):
        c += vcost_r[k]
    return c


@leaf_internal
def load_fits(rt, demand, load, group_count, r, j):
    """Capacity and the tickets-per-day cap allow adding ``j`` to ``r`` (``rt``: ``kd.rt``,
    ``demand``: ``kd.res.demand``, ``load``/``group_count``: the state's; a leaf, for
    pricing loops that read the groups once)."""
    if load[r] + demand[j] > rt.capacity[r]:
        return False
    return group_count[rt.group[r]] + 1 <= rt.group_cap[rt.group[r]]


@internal
def needs_more_checks(kd, j):
    """Whether :func:`resources_ok` checks more than :func:`load_fits` for ``j``
    (certifications on the day, parts)."""
    return kd.tech.cert_end.shape[1] > 0 or kd.res.part_ptr[j + 1] > kd.res.part_ptr[j]


@njit(cache=True)
def resources_ok(kd, st, r, j):
    """Capacity, tickets-per-day cap, certifications on the route's day and parts (van and
    depot stops) allow adding ``j`` to ``r``."""
    if not load_fits(kd.rt, kd.res.demand, st.load, st.group_count, r, j):
        return False
    if kd.tech.cert_end.shape[1] and not certified(kd, r, j):
        return False
    if kd.res.part_ptr[j + 1] == kd.res.part_ptr[j]:
        return True
    return parts_fit(kd, st, r, j, NONE, NONE)


@internal
def certified(kd, r, j):
    """Every certification ``j`` needs is valid on route ``r``'s day: ``cert_end[tech, skill]``
    after the route's start (the rule of :func:`fsdispatch.problem.rows.certification_ends`;
    a skill column beyond ``cert_end`` needs none)."""
    ends = kd.tech.cert_end
    tech = kd.rt.tech[r]
    t_open = kd.rt.open[r]
    cols = kd.cost.skill_col
    for m in range(cols.shape[1]):
        c = cols[j, m]
        if c < 0:
            break
        if c < ends.shape[1] and ends[tech, c] <= t_open:
            return False
    return True


@internal
def route_cost(kd, r, st):
    """Objective contribution of route ``r`` and its work seconds.

    The same terms as the evaluator: visit lateness (SLA, soft windows),
    travel time and distance (with the way to a first depot stop), overtime,
    labour (the stop's time counts as work), preference misses and the soft
    out-of-territory cost.
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
    if kd.tv.td != 0:
        trav = st.rtrav[r]
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
    if st.pick[r] >= 0:  # (under time-dependent travel rtrav holds the way to the depot)
        lc, lw = pickup_leg(kd, r, st.pick[r], kd.tv.td != 0)
        c += lc
        work += lw
    return c, work


@njit(cache=True)
def routes_cost(kd, st):
    """The sum of :func:`route_cost` over the state's routes (the objective of its routes,
    penalties and load balance aside): the exact bookkeeping under time-dependent travel,
    where an insertion's priced cost is an estimate."""
    tot = 0.0
    for r in range(st.length.shape[0]):
        c, _w = route_cost(kd, r, st)
        tot += c
    return tot


@leaf_internal
def preference_cost(res, w_pref, tech, j):
    """The technician-choice terms of serving ``j`` by technician ``tech``: the preference
    miss and the soft out-of-territory cost (:func:`territory_cost`)."""
    c = territory_cost(res, tech, j)
    lo = res.pref_ptr[j]
    hi = res.pref_ptr[j + 1]
    if hi == lo:
        return c
    for k in range(lo, hi):
        if res.pref_tech[k] == tech:
            return c
    return c + w_pref


@internal
def territory_cost(res, tech, j):
    """The out-of-territory cost of serving ``j`` by technician ``tech``: ``res.terr_w[j]``
    (0 unless territories are soft and ``j`` has one) when ``tech`` does not cover ``j``'s
    territory."""
    w = res.terr_w[j]
    if w == 0.0 or res.covers[tech, res.terr[j]]:
        return 0.0
    return w


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
def route_resources(kd, st, r, sign):
    """Add (``sign=1``) or remove (``sign=-1``) route ``r``'s tickets from its resources."""
    res = kd.res
    g = kd.rt.group[r]
    for k in range(st.length[r]):
        j = st.seq[r, k]
        st.load[r] += sign * res.demand[j]
        st.group_count[g] += sign
        add_parts(kd, st, r, j, sign)


@internal
def resources_fit(kd, st, r):
    """Compatibility, capacity, day cap and van stock of route ``r`` as it stands (the
    whole-route check; :func:`resources_ok` checks one ticket added)."""
    rt = kd.rt
    res = kd.res
    tech = rt.tech[r]
    if st.load[r] > rt.capacity[r] or st.group_count[rt.group[r]] > rt.group_cap[rt.group[r]]:
        return False
    for k in range(st.length[r]):
        j = st.seq[r, k]
        if kd.tech.compat[tech, j] != 0:
            return False
        if kd.tech.cert_end.shape[1] and not certified(kd, r, j):
            return False
        if kd.dep.node.shape[0] == 0:
            for q in range(res.part_ptr[j], res.part_ptr[j + 1]):
                if st.usage[tech, res.part_sku[q]] > res.stock[tech, res.part_sku[q]]:
                    return False
    if kd.dep.node.shape[0]:
        return parts_valid(kd, st, tech)
    return True


@internal
def start_travel(kd, routes, a, b, node):
    """Travel seconds (as floats) to ``node`` from the start of each route ``routes[a:b]``."""
    d = np.empty(b - a)
    for k in range(a, b):
        d[k - a] = travel_time(kd.tv, kd.rt.start_node[routes[k]], node)
    return d
