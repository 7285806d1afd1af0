"""The search state of the ``ls`` backend (private): solutions, buffers, marks and copies.

A solution is a :class:`Sol`: a :class:`~fsdispatch.kernels.routes.RouteState` (route
sequences with their timing caches) plus per-route cost and work and each ticket's route.
The search keeps two of them, ``cur`` (the accepted solution) and ``cand`` (the one
being changed); an iteration changes a few routes of ``cand`` and then either copies
them into ``cur`` (accept) or back from it (reject), so an iteration costs time
proportional to the routes it touches, not to the size of the problem.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit

from ...evaluate._kernels import earliest_start, hard_late, travel, visit_cost
from ...kernels.balance import spread_of
from ...kernels.consts import NONE, ONE, ZERO
from ...kernels.insertion import detour_cost, insertion_base, route_timing_delta, too_late
from ...kernels.jit import internal, leaf_internal
from ...kernels.parts import add_parts
from ...kernels.routes import (
    INF,
    RouteState,
    free_at,
    load_fits,
    rebuild_route,
    resources_fit,
    resources_ok,
    route_cost,
    route_lateness,
    row_lateness,
)
from ...kernels.weekly import week_extra, week_fits, week_state, weeks_cost, weeks_fit

leaf_inline: Any = njit(cache=True, no_cpython_wrapper=True, _nrt=False,  # type: ignore[call-overload]
                        inline="always")
"""A :data:`~fsdispatch.kernels.jit.leaf_internal` inlined into its caller at numba IR
level: :func:`price_slack` takes the ~80 arrays of its groups; a call per route copied
them all (slower than the reference counts it saves)."""

OP_STRINGS, OP_RANDOM, OP_WORST, OP_ROUTE, OP_LOADED, OP_SPLIT = 0, 1, 2, 3, 4, 5
NUM_OPS = 6
OP_NAMES = ("strings", "random", "worst", "route", "loaded", "split")


class Sol(NamedTuple):
    """A solution: route state plus costs (R routes, N tickets)."""

    st: RouteState
    rcost: np.ndarray  #: (R,) float64 objective contribution of each route
    rwork: np.ndarray  #: (R,) int64 travel + service seconds of each route
    route_of: np.ndarray  #: (N,) int64 route of each ticket, -1 if unassigned
    fslack: np.ndarray  #: (R, W + 1) int64 cost-free push of each arrival (-1: not known)


class Params(NamedTuple):
    """Search parameters (all scalars)."""

    avg_removed: float  #: mean number of tickets a ruin removes
    max_string: int  #: longest string removed from one route
    max_empty: int  #: empty routes priced per re-inserted ticket
    max_unassigned: int  #: unassigned tickets retried per iteration
    use_all_routes: bool  #: price every able route (small problems)
    balance_w: float  #: load-balance weight (per second of spread)
    descent: bool  #: 2-opt* / 2-opt descent on every new best
    moves: bool  #: the descent also relocates, swaps and opens unused routes
    blink: float  #: share of insertion positions recreate skips at random (SISR blinks)
    split_rate: float  #: share of SISR strings removed as split strings (some visits kept)
    sort_weights: np.ndarray  #: (NUM_SORTS,) float64 weights of recreate's orders


class Cand(NamedTuple):
    """Per-ticket candidate data."""

    near_ptr: np.ndarray  #: (N + 1,) CSR of able routes nearest first
    near_route: np.ndarray  #: able routes ordered by travel from their start
    nb_ptr: np.ndarray  #: (N + 1,) CSR of neighbour tickets nearest first
    nb: np.ndarray  #: neighbour tickets
    recent: np.ndarray  #: (T,) float64 recent workload seconds (load balance)
    has_shift: np.ndarray  #: (T,) bool technician has a shift
    servable: np.ndarray  #: (N,) bool some route can serve the ticket alone
    depot_dist: np.ndarray  #: (N,) float64 travel from the nearest able route start
    locked: np.ndarray  #: (N,) bool ticket stays in its route (never removed)


class Buf(NamedTuple):
    """Scratch buffers of the search."""

    touched: np.ndarray  #: (R,) bool
    tlist: np.ndarray  #: (R,) routes touched this iteration
    dirty: np.ndarray  #: (R,) bool changed since the best was last saved
    changed: np.ndarray  #: (N,) bool ticket moved this iteration
    clist: np.ndarray  #: (N,) tickets moved this iteration
    pool: np.ndarray  #: (N,) tickets to re-insert
    keys: np.ndarray  #: (N,) float64 sort keys
    stamp: np.ndarray  #: (R,) int64 route candidate stamps
    counts: np.ndarray  #: (5,) int64 [ntouched, nchanged, npool, stamp_clock, unused]
    tech_work: np.ndarray  #: (T,) float64
    spread: np.ndarray  #: (6,) float64 spread_stats of tech_work while re-inserting
    op_weight: np.ndarray  #: (NUM_OPS,) float64 adaptive operator weights
    op_score: np.ndarray  #: (NUM_OPS,) float64 scores in the current segment
    op_used: np.ndarray  #: (NUM_OPS,) float64 uses in the current segment
    stats: np.ndarray  #: (8,) int64 [iterations, accepted, new best, infeasible,
    #: routes priced, positions priced, positions simulated, iteration of the last new best,
    #: insertions that broke a rule (always 0 unless pricing is wrong)]
    sin: np.ndarray  #: (W + 2,) int64 travel into ``j`` of positions to simulate
    sout: np.ndarray  #: (W + 2,) int64 travel out of ``j``
    slb: np.ndarray  #: (W + 2,) float64 their lower bounds
    spos: np.ndarray  #: (W + 2,) int64 their positions
    droutes: np.ndarray  #: (R,) int64 routes an iteration changed (descent starts there)
    rlist: np.ndarray  #: (R,) int64 the routes one insertion prices (:func:`price_routes`)
    rweek: np.ndarray  #: (R, 2) int64 their :func:`week_state` (weekly rules only)


@internal
def route_loads(kd, cd, sol, tech_work):
    """Technicians' work (their routes' ``rwork``) plus recent workload into ``tech_work``."""
    for t in range(tech_work.shape[0]):  # (element loops: a slice copy compiles
        tech_work[t] = cd.recent[t]      # numba's shape-mismatch error path)
    for r in range(sol.rwork.shape[0]):
        tech_work[kd.rt.tech[r]] += sol.rwork[r]


@internal
def balance_term(kd, cd, sol, tech_work, weight):
    """``weight × (max − min)`` of technicians' work plus recent workload."""
    if weight == 0.0:
        return 0.0
    route_loads(kd, cd, sol, tech_work)
    return spread_of(weight, tech_work, cd.has_shift)


@njit(cache=True)
def total_objective(kd, cd, sol, tech_work, balance_w):
    """Objective of a solution, as the evaluator computes it."""
    tot = 0.0
    for r in range(sol.rcost.shape[0]):
        tot += sol.rcost[r]
    for j in range(sol.route_of.shape[0]):
        if sol.route_of[j] < 0:
            tot += kd.cost.penalty[j]
    return tot + balance_term(kd, cd, sol, tech_work, balance_w) + weeks_cost(kd, sol.rwork)


@internal
def refresh_route(kd, r, sol):
    """Rebuild route ``r``'s caches and cost; returns whether it is feasible."""
    scratch = np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64)
    ok = rebuild_route(kd, r, sol.st, scratch)
    free_slack(kd, r, sol.st, sol.fslack)
    c, work = route_cost(kd, r, sol.st)
    sol.rcost[r] = c
    sol.rwork[r] = work
    return ok


@njit(cache=True)
def init_sol(kd, sol):
    """Fill route costs and ``route_of`` from the route sequences; returns feasibility."""
    ok = True
    sol.route_of[:] = -1
    for r in range(sol.st.length.shape[0]):
        for k in range(sol.st.length[r]):
            sol.route_of[sol.st.seq[r, k]] = r
        if not refresh_route(kd, r, sol):
            ok = False
    return ok


@internal
def free_slack(kd, r, st, fslack):
    """Fill ``fslack[r, k]``: how far the arrival at position ``k`` (``k = n``: the return)
    may move later without changing any cost or breaking any rule of route ``r``.

    Going backwards, a visit absorbs a push in its waiting time, and passes on
    at most the room its start has before its current window closes, before
    an SLA deadline it still meets, and before what follows runs out of
    room; the return may move until the shift end (or, when overtime costs
    nothing, until the overtime allowance ends). On a route with breaks any
    insertion may move a break (the schedule rule places them for the whole
    day), so all its positions get -1 and are always priced exactly; so do all
    positions under time-dependent travel (a push changes the later legs' times).
    """
    n = st.length[r]
    rt = kd.rt
    if kd.brk.ptr[r + 1] > kd.brk.ptr[r] or kd.tv.td != 0:
        for k in range(n + 1):
            fslack[r, k] = -1
        return
    win = kd.win
    cost = kd.cost
    service_row = kd.tech.service[rt.tech[r]]
    ret = (st.free_t[r, n - 1] if n > 0 else st.open_t[r]) + st.legt[r, n]
    if kd.w.overtime > 0.0:
        room = rt.close[r] - ret
    else:
        room = rt.max_close[r] - ret
    nxt = room if room > 0 else np.int64(0)
    fslack[r, n] = nxt
    for k in range(n - 1, -1, -1):
        j = st.seq[r, k]
        e = st.free_t[r, k]
        s = e - np.int64(service_row[j])
        arrival = (st.free_t[r, k - 1] if k > 0 else st.open_t[r]) + st.legt[r, k]
        own = np.int64(0)
        for w in range(win.ptr[j], win.ptr[j + 1]):
            if win.start[w] <= s <= win.end[w]:
                own = win.end[w] - s
                break
        if cost.sla_w[j] > 0.0:
            room = cost.response_by[j] - s
            if room < own:
                own = room
            room = cost.resolve_by[j] - e
            if room < own:
                own = room
        if own < 0:
            own = np.int64(0)
        if nxt < own:
            own = nxt
        wait = s - arrival
        nxt = own + (wait if wait > 0 else np.int64(0))
        fslack[r, k] = nxt


@leaf_internal
def blinked(key, p, rate):
    """Whether insertion position ``p`` blinks (is skipped) for the draw ``key``: a
    splitmix64 hash of ``(key, p)`` below ``rate`` (SISR's blinks; deterministic for the
    key, no random stream consumed per position)."""
    z = np.uint64(key) + np.uint64(p + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0) < rate


@internal
def slack_groups(kd):
    """The groups and arrays of ``kd`` that :func:`price_slack` reads, as one tuple (read
    once per caller: every read of a group reference-counts its arrays)."""
    return (kd.tv, kd.win, kd.cost, kd.brk, kd.w, kd.week, kd.tech, kd.res, kd.rt,
            kd.ticket_node)


@internal
def slack_arrays(sol):
    """The route arrays of ``sol`` that :func:`price_slack` reads, as one tuple."""
    st = sol.st
    return (st.seq, st.length, st.legt, st.legd, st.lstart, st.lab, st.free_t, st.vcost,
            st.pcost, st.bptr, st.ret, st.start_n, sol.fslack, st.load, st.group_count)


@internal
def slack_scratch(wk, buf):
    """The scratch arrays :func:`price_slack` writes, as one tuple."""
    return (wk.la, wk.pa, wk.lb, wk.pb, wk.pr, buf.sin, buf.sout, buf.slb, buf.spos,
            buf.stats)


@njit(cache=True)
def best_insertion_slack(kd, r, j, sol, wk, buf, blink, key):
    """Cheapest feasible position of ``j`` in route ``r``: ``(cost, position)``; like
    :func:`~fsdispatch.kernels.insertion.best_insertion`, but a position whose push stays
    within the cost-free slack is priced in O(1), the others simulated by lower bound
    while they can win. Positions blink (are skipped) at rate ``blink`` (:func:`blinked`
    of the int64 ``key``; 0.0: none). (One route: loops over routes call
    :func:`price_slack` with the groups read once.)"""
    st = sol.st
    if not resources_ok(kd, st, r, j):
        return INF, -1
    nbr = kd.brk.ptr[r + 1] - kd.brk.ptr[r]
    others = route_lateness(st, r) if nbr > 0 else 0.0
    wk_k, wk_tot = week_state(kd, st, r)
    return price_slack(slack_groups(kd), slack_arrays(sol), slack_scratch(wk, buf), r, j,
                       blink, key, others, wk_k, wk_tot)


@leaf_inline
def price_slack(grp, arr, scr, r, j, blink, key, others, wk_k, wk_tot):
    """:func:`best_insertion_slack` of ``j`` in route ``r`` once :func:`resources_ok`
    (but for :func:`load_fits`, checked here) has passed: ``others`` is the route's
    lateness when it has breaks (else 0.0), ``(wk_k, wk_tot)`` its
    :func:`week_state`. ``grp``, ``arr``, ``scr``: :func:`slack_groups`,
    :func:`slack_arrays`, :func:`slack_scratch` (a leaf: no reference counts)."""
    tv, win, cost, brk, w, week, techs, res, rt, ticket_node = grp
    (seq, length, legt, legd, lstart, lab, free_t, vcost, pcost, bptr, ret, start_n,
     fslack, load, group_count) = arr
    la, pa, lb, pb, pr, tin, tout, lbs, order, stats = scr
    if not load_fits(rt, res.demand, load, group_count, r, j) \
            or length[r] + 1 >= seq.shape[1]:
        return INF, -1
    n = length[r]
    seq_r = seq[r]
    legt_r = legt[r]
    legd_r = legd[r]
    lstart_r = lstart[r]
    fslack_r = fslack[r]
    max_close_r = rt.max_close[r]
    end_node = rt.end_node[r]
    lab_r = lab[r]
    node = ticket_node[j]
    nbr = brk.ptr[r + 1] - brk.ptr[r]
    tech = rt.tech[r]
    svc, labour, base = insertion_base(techs, res, w.pref, tech, j)
    first_open = win.start[win.ptr[j]]
    symmetric = tv.kind != 0
    prev = start_n[r]
    t_prev, km_prev = travel(tv, prev, node)
    best = INF
    best_p = NONE
    nslow = ZERO
    stats[4] += 1
    stats[5] += n + 1
    for p in range(n + 1):
        t_in = t_prev
        k_in = km_prev
        nxt = ticket_node[seq_r[p]] if p < n else end_node
        t_out, k_out = travel(tv, node, nxt)
        if p < n:
            if symmetric:
                t_prev = t_out
                km_prev = k_out
            else:
                t_prev, km_prev = travel(tv, nxt, node)
        if blink > 0.0 and blinked(key, p, blink):
            continue
        dt = t_in + t_out - legt_r[p]
        det = detour_cost(w, base, labour, dt, k_in + k_out - legd_r[p])
        if wk_k >= 0:  # the technician's week: its cap, its weekly overtime
            if not week_fits(week, tech, wk_k, wk_tot, dt + svc):
                continue
            det += week_extra(week, w.overtime, tech, wk_k, wk_tot, dt + svc)
        before = free_at(lab_r, p, nbr)  # the route's timing when it has no breaks
        ready = before + t_in
        limit = lstart_r[p] if p < n else max_close_r
        if too_late(ready, first_open, svc, t_out, limit):
            continue  # cannot be feasible
        s = earliest_start(win, j, ready)  # breaks ignored: a lower bound
        if hard_late(win, j, s):
            continue
        own = det + visit_cost(win, cost, j, s, s + svc)
        push = s + svc + t_out - (before + legt_r[p])
        if 0 <= push <= fslack_r[p]:  # a route without breaks (else the slack is -1)
            if own < best:
                best = own
                best_p = p
        else:
            tin[nslow] = t_in
            tout[nslow] = t_out
            lbs[nslow] = own - others if push >= 0 else -INF
            order[nslow] = p
            nslow += 1
    # simulate the others, lowest bound first, while they can win
    for a in range(1, nslow):
        k = a
        while k > 0 and lbs[k - 1] > lbs[k]:
            lbs[k - 1], lbs[k] = lbs[k], lbs[k - 1]
            order[k - 1], order[k] = order[k], order[k - 1]
            tin[k - 1], tin[k] = tin[k], tin[k - 1]
            tout[k - 1], tout[k] = tout[k], tout[k - 1]
            k -= 1
    if nslow == 0:
        return best, best_p
    service_row, close, b0 = techs.service[tech], rt.close[r], brk.ptr[r]
    free_r, vcost_r, pcost_r, bptr_r = free_t[r], vcost[r], pcost[r], bptr[r]
    ret_r, start_r = ret[r], start_n[r]
    for q in range(nslow):
        if lbs[q] >= best:
            break
        p = order[q]
        stats[6] += 1
        prev = ticket_node[seq_r[p - 1]] if p > 0 else start_r
        c = route_timing_delta(tv, ticket_node, prev, end_node, win, cost, brk, w.overtime,
                               service_row, max_close_r, close, b0, nbr, n, seq_r, legt_r,
                               free_r, vcost_r, lab_r, pcost_r, bptr_r, ret_r, la, pa, lb, pb,
                               pr, j, p, tin[q], tout[q])
        if c == INF:
            continue
        dt = tin[q] + tout[q] - legt_r[p]
        _t, k_in = travel(tv, ticket_node[seq_r[p - 1]] if p > 0 else start_r, node)
        _t, k_out = travel(tv, node, ticket_node[seq_r[p]] if p < n else end_node)
        c += detour_cost(w, base, labour, dt, k_in + k_out - legd_r[p])
        c += week_extra(week, w.overtime, tech, wk_k, wk_tot, dt + svc)
        if c < best or (c == best and p < best_p):
            best = c
            best_p = p
    return best, best_p


@leaf_internal
def price_routes(grp, arr, scr, routes, weeks, num, weekly, j, blink, key):
    """The cheapest :func:`price_slack` of ``j`` over ``routes[:num]`` (in that order, the
    first of equal costs): ``(cost, route, position)``; ``weeks[q]`` is route
    ``routes[q]``'s :func:`week_state` when ``weekly``. One call per insertion: the groups
    are passed once, not once per route (a leaf: no reference counts)."""
    brk_ptr = grp[3].ptr
    vcost = arr[7]
    length = arr[1]
    best, best_r, best_p = INF, NONE, NONE
    for q in range(num):
        r = routes[q]
        others = row_lateness(vcost[r], length[r]) if brk_ptr[r + 1] > brk_ptr[r] else 0.0
        wk_k, wk_tot = (weeks[q, 0], weeks[q, 1]) if weekly else (NONE, ZERO)
        c, p = price_slack(grp, arr, scr, r, j, blink, key ^ r, others, wk_k, wk_tot)
        if c < best:
            best, best_r, best_p = c, r, p
    return best, best_r, best_p


@internal
def copy_route(kd, src, dst, r):
    """Copy route ``r`` (sequence, caches, costs, resources of its technician) ``src`` → ``dst``."""
    a = src.st
    b = dst.st
    n = a.length[r]
    m = b.length[r]
    top = n if n > m else m
    b.length[r] = n
    b.ret[r] = a.ret[r]
    b.rtrav[r] = a.rtrav[r]
    b.load[r] = a.load[r]
    for k in range(top + 1):
        if k < b.seq.shape[1]:
            b.seq[r, k] = a.seq[r, k]
            b.free_t[r, k] = a.free_t[r, k]
            b.bptr[r, k] = a.bptr[r, k]
            b.vcost[r, k] = a.vcost[r, k]
            b.lstart[r, k] = a.lstart[r, k]
            b.lrate[r, k] = a.lrate[r, k]
            b.absorb[r, k] = a.absorb[r, k]
        b.legt[r, k] = a.legt[r, k]
        b.legd[r, k] = a.legd[r, k]
    nb = a.lab.shape[2]
    for k in range(n + 1):
        dst.fslack[r, k] = src.fslack[r, k]
        for q in range(nb):
            b.lab[r, k, q] = a.lab[r, k, q]
            b.pcost[r, k, q] = a.pcost[r, k, q]
            b.pred[r, k, q] = a.pred[r, k, q]
    g = kd.rt.group[r]
    b.group_count[g] = a.group_count[g]
    tech = kd.rt.tech[r]
    for s in range(a.usage.shape[1]):
        b.usage[tech, s] = a.usage[tech, s]
        b.rneed[r, s] = a.rneed[r, s]
    b.pick[r] = a.pick[r]
    b.open_t[r] = a.open_t[r]
    b.start_n[r] = a.start_n[r]
    if kd.dep.node.shape[0]:  # the stops of a technician's routes share the van
        for rr in range(a.tech_ptr[tech], a.tech_ptr[tech + 1]):
            for s in range(a.take.shape[1]):
                b.take[rr, s] = a.take[rr, s]
    dst.rcost[r] = src.rcost[r]
    dst.rwork[r] = src.rwork[r]


@njit(cache=True)
def sync(kd, src, dst, buf):
    """Copy the routes and tickets touched this iteration from ``src`` to ``dst``."""
    for q in range(buf.counts[0]):
        copy_route(kd, src, dst, buf.tlist[q])
    if kd.dep.node.shape[0] and buf.counts[0]:
        for a in range(src.st.dused.shape[0]):
            for b in range(src.st.dused.shape[1]):
                dst.st.dused[a, b] = src.st.dused[a, b]
    for q in range(buf.counts[1]):
        j = buf.clist[q]
        dst.route_of[j] = src.route_of[j]


@internal
def reset_marks(buf):
    """Clear this iteration's touched routes and moved tickets."""
    for q in range(buf.counts[0]):
        buf.touched[buf.tlist[q]] = False
    for q in range(buf.counts[1]):
        buf.changed[buf.clist[q]] = False
    buf.counts[0] = 0
    buf.counts[1] = 0
    buf.counts[2] = 0


@internal
def _mark(flags, items, counts, c, x):
    """Flag ``x`` and list it in ``items`` (``counts[c]`` of them), the first time only."""
    if not flags[x]:
        flags[x] = True
        items[counts[c]] = x
        counts[c] += 1


@internal
def touch(buf, r):
    _mark(buf.touched, buf.tlist, buf.counts, ZERO, r)


@internal
def mark_changed(buf, j):
    _mark(buf.changed, buf.clist, buf.counts, ONE, j)


@internal
def remove_span(kd, cd, sol, buf, r, lo, hi):
    """Remove the unlocked visits at positions ``lo..hi-1`` of route ``r`` into the pool.

    Locked tickets stay where they are. The route's caches are stale until
    :func:`refresh_touched`.
    """
    st = sol.st
    res = kd.res
    n = st.length[r]
    out = lo
    for k in range(lo, n):
        j = st.seq[r, k]
        if k < hi and not cd.locked[j]:
            sol.route_of[j] = -1
            mark_changed(buf, j)
            buf.pool[buf.counts[2]] = j
            buf.counts[2] += 1
            st.load[r] -= res.demand[j]
            st.group_count[kd.rt.group[r]] -= 1
            add_parts(kd, st, r, j, NONE)
        else:
            st.seq[r, out] = j
            out += 1
    for k in range(out, n):
        st.seq[r, k] = -1
    st.length[r] = out
    if out < n:
        touch(buf, r)
    return True


@internal
def refresh_touched(kd, sol, buf):
    """Rebuild the caches and costs of every route touched so far; returns feasibility."""
    ok = True
    for q in range(buf.counts[0]):
        ok = refresh_route(kd, buf.tlist[q], sol) and ok
    return ok


@internal
def insert_ticket(kd, sol, buf, r, j, p):
    """Insert ``j`` at position ``p`` of route ``r``; returns whether the route stays feasible."""
    st = sol.st
    res = kd.res
    n = st.length[r]
    for k in range(n, p, -1):
        st.seq[r, k] = st.seq[r, k - 1]
    st.seq[r, p] = j
    st.length[r] = n + 1
    st.load[r] += res.demand[j]
    st.group_count[kd.rt.group[r]] += 1
    add_parts(kd, st, r, j, ONE)
    sol.route_of[j] = r
    mark_changed(buf, j)
    touch(buf, r)
    return refresh_route(kd, r, sol)


@internal
def position_of(st, r, j):
    for k in range(st.length[r]):
        if st.seq[r, k] == j:
            return k
    return -1


@internal
def count_assigned(sol):
    num_assigned = ZERO
    for j in range(sol.route_of.shape[0]):
        if sol.route_of[j] >= 0:
            num_assigned += 1
    num_used = ZERO
    for r in range(sol.st.length.shape[0]):
        if sol.st.length[r] > 0:
            num_used += 1
    return num_assigned, num_used


@njit(cache=True)
def save_best(cur, best_seq, best_len, best_pick, buf):
    """Copy the routes changed since the last save into the best arrays."""
    for r in range(best_len.shape[0]):
        if buf.dirty[r]:
            n = cur.st.length[r]
            best_len[r] = n
            best_pick[r] = cur.st.pick[r]
            for k in range(n):
                best_seq[r, k] = cur.st.seq[r, k]
            buf.dirty[r] = False


@njit(cache=True)
def settle(kd, cd, cur, cand, buf, prm, cur_obj):
    """Accept the change staged in ``cand`` if it is feasible and strictly cheaper.

    Returns the new current objective (``cur_obj`` when rejected).
    """
    ok = True
    for q in range(buf.counts[0]):
        r = buf.tlist[q]
        if not resources_fit(kd, cand.st, r):
            ok = False
            break
    if ok:
        ok = refresh_touched(kd, cand, buf)
    if ok:  # the technicians' weekly work caps (no-op without weekly rules)
        ok = weeks_fit(kd, cand.rwork)
    new_obj = cur_obj
    if ok:
        delta = 0.0
        for q in range(buf.counts[0]):
            r = buf.tlist[q]
            delta += cand.rcost[r] - cur.rcost[r]
        new_obj = cur_obj + delta + weeks_cost(kd, cand.rwork) - weeks_cost(kd, cur.rwork)
        if prm.balance_w > 0.0:
            new_obj = new_obj - balance_term(kd, cd, cur, buf.tech_work, prm.balance_w) \
                + balance_term(kd, cd, cand, buf.tech_work, prm.balance_w)
    if ok and new_obj < cur_obj - (abs(cur_obj) * 1e-12 + 1e-9):
        for q in range(buf.counts[0]):
            buf.dirty[buf.tlist[q]] = True
        sync(kd, cand, cur, buf)
        reset_marks(buf)
        return new_obj
    sync(kd, cur, cand, buf)
    reset_marks(buf)
    return cur_obj
