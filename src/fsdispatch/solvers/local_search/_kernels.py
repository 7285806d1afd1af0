"""numba kernels of the ``ls`` backend: ruin-and-recreate under simulated annealing (private).

All timing and insertion pricing comes from the shared kernels
(:mod:`fsdispatch.evaluate._kernels` via the insertion helpers of
:mod:`fsdispatch.solvers._greedy_kernels`); this module decides only what to
remove, where to re-insert and what to accept.

A solution is a :class:`Sol`: a :class:`RouteState` (route sequences with
their timing caches) plus per-route cost and work and each ticket's route.
The search keeps two of them, ``cur`` (the accepted solution) and ``cand``
(the one being changed); an iteration changes a few routes of ``cand`` and
then either copies them into ``cur`` (accept) or back from it (reject), so an
iteration costs time proportional to the routes it touches, not to the size
of the problem.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from ...evaluate._kernels import earliest_start, hard_late, travel, visit_cost
from ...kernels.balance import spread_of, spread_push, spread_stats
from ...kernels.consts import NONE, ONE, ZERO
from ...kernels.jit import internal
from ...kernels.sort import argsort_stable
from .._greedy_kernels import (
    INF,
    RouteState,
    apply_pickup,
    best_insertion,
    earliest_free,
    insertion_work,
    make_work,
    pickup_option,
    preference_cost,
    rebuild_route,
    resources_ok,
    route_cost,
    route_lateness,
    timing_delta,
)
from .._parts_kernels import add_parts, parts_fit, parts_valid

OP_STRINGS, OP_RANDOM, OP_WORST, OP_ROUTE, OP_LOADED = 0, 1, 2, 3, 4
NUM_OPS = 5
OP_NAMES = ("strings", "random", "worst", "route", "loaded")
SORT_RANDOM, SORT_FAR, SORT_CLOSE, SORT_TIGHT, SORT_DEMAND = 0, 1, 2, 3, 4
NUM_SORTS = 5


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


# ---------------------------------------------------------------- costs


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
    return tot + balance_term(kd, cd, sol, tech_work, balance_w)


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


# ---------------------------------------------------------------- cost-free slack


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
    day), so all its positions get -1 and are always priced exactly.
    """
    n = st.length[r]
    rt = kd.rt
    if kd.brk.ptr[r + 1] > kd.brk.ptr[r]:
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


@njit(cache=True)
def best_insertion_slack(kd, r, j, sol, wk, buf):
    """Cheapest feasible position of ``j`` in route ``r``: ``(cost, position)``.

    Like :func:`~fsdispatch.solvers._greedy_kernels.best_insertion` (same
    result), but a position whose push on the rest of the route stays within
    the cost-free slack is priced in O(1); only the others are simulated, in
    order of their lower bound, while they can still beat the best.
    """
    st = sol.st
    rt = kd.rt
    if not resources_ok(kd, st, r, j):
        return INF, -1
    n = st.length[r]
    if n + 1 >= st.seq.shape[1]:
        return INF, -1
    tv = kd.tv
    win = kd.win
    cost = kd.cost
    tin = buf.sin
    tout = buf.sout
    lbs = buf.slb
    order = buf.spos
    tech = rt.tech[r]
    service_row = kd.tech.service[tech]
    seq_r = st.seq[r]
    legt_r = st.legt[r]
    legd_r = st.legd[r]
    ticket_node = kd.ticket_node
    lstart_r = st.lstart[r]
    fslack_r = sol.fslack[r]
    w_travel = kd.w.travel
    w_dist = kd.w.dist
    max_close_r = rt.max_close[r]
    end_node = rt.end_node[r]
    node = ticket_node[j]
    nbr = kd.brk.ptr[r + 1] - kd.brk.ptr[r]
    others = route_lateness(st, r) if nbr > 0 else 0.0
    svc = np.int64(service_row[j])
    labour = kd.tech.labour[tech]
    base = preference_cost(kd.res, kd.w.pref, tech, j) + labour * svc
    first_open = win.start[win.ptr[j]]
    symmetric = tv.kind != 0
    prev = st.start_n[r]
    t_prev, km_prev = travel(tv, prev, node)
    best = INF
    best_p = NONE
    nslow = ZERO
    buf.stats[4] += 1
    buf.stats[5] += n + 1
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
        dt = t_in + t_out - legt_r[p]
        det = base + w_travel * dt + w_dist * (k_in + k_out - legd_r[p]) + labour * dt
        before = earliest_free(st, r, p, nbr)  # the route's timing when it has no breaks
        ready = before + t_in
        limit = lstart_r[p] if p < n else max_close_r
        if (ready if ready > first_open else first_open) + svc + t_out > limit:
            continue  # cannot be feasible (a proof: see best_insertion)
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
    for q in range(nslow):
        if lbs[q] >= best:
            break
        p = order[q]
        buf.stats[6] += 1
        c = timing_delta(kd, st, wk, r, j, p, tin[q], tout[q])
        if c == INF:
            continue
        dt = tin[q] + tout[q] - legt_r[p]
        _t, k_in = travel(tv, kd.ticket_node[seq_r[p - 1]] if p > 0 else st.start_n[r], node)
        _t, k_out = travel(tv, node, kd.ticket_node[seq_r[p]] if p < n else rt.end_node[r])
        c += base + kd.w.travel * dt + kd.w.dist * (k_in + k_out - legd_r[p]) + labour * dt
        if c < best or (c == best and p < best_p):
            best = c
            best_p = p
    return best, best_p


# ---------------------------------------------------------------- copying


@internal
def copy_route(kd, src, dst, r):
    """Copy route ``r`` (sequence, caches, costs, resources of its technician) ``src`` → ``dst``."""
    a = src.st
    b = dst.st
    n = a.length[r]
    m = b.length[r]
    top = n if n > m else m
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
    b.length[r] = n
    b.ret[r] = a.ret[r]
    b.load[r] = a.load[r]
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
def touch(buf, r):
    if not buf.touched[r]:
        buf.touched[r] = True
        buf.tlist[buf.counts[0]] = r
        buf.counts[0] += 1


@internal
def mark_changed(buf, j):
    if not buf.changed[j]:
        buf.changed[j] = True
        buf.clist[buf.counts[1]] = j
        buf.counts[1] += 1


# ---------------------------------------------------------------- ruin


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
def random_assigned(rng, sol):
    """A random routed ticket, or -1 if none."""
    n = sol.route_of.shape[0]
    if n == 0:
        return -1
    for _ in range(64):
        j = rng.integers(0, n)
        if sol.route_of[j] >= 0:
            return j
    start = rng.integers(0, n)
    for q in range(n):
        j = (start + q) % n
        if sol.route_of[j] >= 0:
            return j
    return -1


@internal
def ruin_strings(kd, cd, rng, sol, buf, prm, num_assigned, num_used):
    """Adjacent string removal (SISR): strings from routes near a random seed ticket."""
    st = sol.st
    avg_len = num_assigned / num_used if num_used > 0 else 1.0
    ls_max = prm.max_string if prm.max_string < avg_len else avg_len
    if ls_max < 1.0:
        ls_max = 1.0
    ks_max = 4.0 * prm.avg_removed / (1.0 + ls_max) - 1.0
    if ks_max < 1.0:
        ks_max = 1.0
    ks = int(rng.random() * ks_max) + 1
    seed = random_assigned(rng, sol)
    if seed < 0:
        return True
    done = ZERO
    ok = True
    lo_nb = cd.nb_ptr[seed]
    hi_nb = cd.nb_ptr[seed + 1]
    for q in range(lo_nb - 1, hi_nb):
        if done >= ks:
            break
        c = seed if q < lo_nb else cd.nb[q]
        r = sol.route_of[c]
        if r < 0 or buf.touched[r]:
            continue
        n = st.length[r]
        l_max = ls_max if ls_max < n else float(n)
        length = int(rng.random() * l_max) + 1
        if length > n:
            length = n
        p = position_of(st, r, c)
        first = p - int(rng.integers(0, length))
        if first < 0:
            first = ZERO
        if first + length > n:
            first = n - length
        ok = remove_span(kd, cd, sol, buf, r, first, first + length) and ok
        done += 1
    return ok


@internal
def ruin_random(kd, cd, rng, sol, buf, prm, num_assigned):
    """Remove about ``avg_removed`` random routed tickets."""
    q = int(rng.random() * 2.0 * prm.avg_removed) + 1
    if q > num_assigned:
        q = num_assigned
    ok = True
    for _ in range(q):
        j = random_assigned(rng, sol)
        if j < 0:
            break
        r = sol.route_of[j]
        p = position_of(sol.st, r, j)
        ok = remove_span(kd, cd, sol, buf, r, p, p + 1) and ok
    return ok


@internal
def ruin_worst(kd, cd, rng, sol, buf, prm, num_assigned):
    """Remove the costliest of a random sample of routed tickets (detour + lateness)."""
    st = sol.st
    tv = kd.tv
    q = int(rng.random() * 2.0 * prm.avg_removed) + 1
    if q > num_assigned:
        q = num_assigned
    sample = 4 * q
    if sample > num_assigned:
        sample = num_assigned
    cnt = ZERO
    picked = np.empty(sample, dtype=np.int64)
    for _ in range(sample):
        j = random_assigned(rng, sol)
        if j < 0 or buf.changed[j]:
            continue
        r = sol.route_of[j]
        p = position_of(st, r, j)
        prev = kd.ticket_node[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
        nxt = kd.ticket_node[st.seq[r, p + 1]] if p + 1 < st.length[r] else kd.rt.end_node[r]
        skip_t, skip_km = travel(tv, prev, nxt)
        gain = kd.w.travel * (st.legt[r, p] + st.legt[r, p + 1] - skip_t) \
            + kd.w.dist * (st.legd[r, p] + st.legd[r, p + 1] - skip_km) + st.vcost[r, p]
        buf.keys[cnt] = -gain * (0.75 + 0.5 * rng.random())
        picked[cnt] = j
        cnt += 1
    if cnt == 0:
        return True
    order = argsort_stable(buf.keys[:cnt])
    ok = True
    done = ZERO
    for k in range(cnt):
        if done >= q:
            break
        j = picked[order[k]]
        r = sol.route_of[j]
        if r < 0:
            continue
        p = position_of(st, r, j)
        ok = remove_span(kd, cd, sol, buf, r, p, p + 1) and ok
        done += 1
    return ok


@internal
def ruin_route(kd, cd, rng, sol, buf, num_used):
    """Remove one whole short route (tries to empty a route)."""
    st = sol.st
    if num_used == 0:
        return True
    best_r = NONE
    best_n = 1 << 30
    for _ in range(8):
        j = random_assigned(rng, sol)
        if j < 0:
            break
        r = sol.route_of[j]
        if st.length[r] < best_n:
            best_n = st.length[r]
            best_r = r
    if best_r < 0:
        return True
    return remove_span(kd, cd, sol, buf, best_r, ZERO, st.length[best_r])


@internal
def ruin_loaded(kd, cd, rng, sol, buf, prm):
    """Remove about ``avg_removed`` visits of the most loaded technician (load balance).

    The technician with the largest workload (``buf.tech_work`` after
    :func:`route_loads`) that has a visit gives up a random string of one of
    its routes and some of its other visits at random; re-insertion with the
    balance change priced may place them with others. Used only with a
    load-balance weight.
    """
    st = sol.st
    route_loads(kd, cd, sol, buf.tech_work)
    top = NONE
    for r in range(st.length.shape[0]):
        if st.length[r] == 0:
            continue
        t = kd.rt.tech[r]
        if top < 0 or buf.tech_work[t] > buf.tech_work[top]:
            top = t
    if top < 0:
        return True
    q = int(rng.random() * 2.0 * prm.avg_removed) + 1
    ok = True
    for r in range(st.length.shape[0]):
        if kd.rt.tech[r] != top or st.length[r] == 0 or q <= 0:
            continue
        n = st.length[r]
        length = int(rng.integers(1, n + 1))
        if length > q:
            length = q
        first = int(rng.integers(0, n - length + 1))
        before = st.length[r]
        ok = remove_span(kd, cd, sol, buf, r, first, first + length) and ok
        q -= before - st.length[r]
    return ok


# ---------------------------------------------------------------- recreate


@internal
def add_unassigned(rng, cd, sol, buf, limit, num_open):
    """Add up to ``limit`` unassigned servable tickets to the pool.

    First the unassigned neighbours of the removed tickets (they may fit
    where the ruin made room), then random ones; ``num_open`` is the number
    of unassigned servable tickets (nothing to do when it is 0).
    """
    n = sol.route_of.shape[0]
    if num_open <= 0 or limit <= 0 or n == 0:
        return
    added = ZERO
    removed = buf.counts[2]
    for q in range(removed):
        i = buf.pool[q]
        for k in range(cd.nb_ptr[i], cd.nb_ptr[i + 1]):
            j = cd.nb[k]
            if sol.route_of[j] < 0 and cd.servable[j] and not buf.changed[j]:
                mark_changed(buf, j)
                buf.pool[buf.counts[2]] = j
                buf.counts[2] += 1
                added += 1
                if added * 2 >= limit or added >= num_open:
                    break
        if added * 2 >= limit or added >= num_open:
            break
    tries = 4 * limit
    while added < limit and added < num_open and tries > 0:
        tries -= 1
        j = rng.integers(0, n)
        if sol.route_of[j] < 0 and cd.servable[j] and not buf.changed[j]:
            mark_changed(buf, j)
            buf.pool[buf.counts[2]] = j
            buf.counts[2] += 1
            added += 1


@internal
def balanced_slack(kd, sol, buf, wk, prm, r, j):
    """:func:`best_insertion_slack` of ``j`` in route ``r`` plus, with a load-balance
    weight, the change of the balance term the insertion makes (as construction sees it)."""
    c, p = best_insertion_slack(kd, r, j, sol, wk, buf)
    if c < INF and prm.balance_w > 0.0:
        c += spread_push(prm.balance_w, buf.tech_work, buf.spread, kd.rt.tech[r],
                         insertion_work(kd, r, j, p, sol.st))
    return c, p


@internal
def cheapest_route(kd, cd, sol, buf, wk, prm, j):
    """Cheapest feasible insertion of ``j``: ``(cost, route, position)``.

    Prices every able route (``use_all_routes``) or the nearest able routes
    plus the routes of ``j``'s neighbour tickets; at most ``max_empty`` empty
    routes are priced (they are alike, nearest first). With a load-balance
    weight a route's cost includes the change of the balance term
    (``buf.tech_work`` and ``buf.spread`` hold the loads and their
    :func:`~fsdispatch.kernels.balance.spread_stats`).
    """
    st = sol.st
    rt = kd.rt
    compat = kd.tech.compat
    demand = kd.res.demand[j]
    buf.counts[3] += 1
    clock = buf.counts[3]
    best = INF
    best_r = NONE
    best_p = NONE
    empty = ZERO
    for q in range(cd.near_ptr[j], cd.near_ptr[j + 1]):
        r = cd.near_route[q]
        buf.stamp[r] = clock
        if st.length[r] == 0:
            if empty >= prm.max_empty:
                continue
            empty += 1
        c, p = balanced_slack(kd, sol, buf, wk, prm, r, j)
        if c < best:
            best = c
            best_r = r
            best_p = p
    if not prm.use_all_routes:
        for q in range(cd.nb_ptr[j], cd.nb_ptr[j + 1]):
            r = sol.route_of[cd.nb[q]]
            if r < 0 or buf.stamp[r] == clock:
                continue
            buf.stamp[r] = clock
            if compat[rt.tech[r], j] != 0 or demand > rt.capacity[r]:
                continue
            c, p = balanced_slack(kd, sol, buf, wk, prm, r, j)
            if c < best:
                best = c
                best_r = r
                best_p = p
    return best, best_r, best_p


@internal
def recreate(kd, cd, rng, sol, buf, wk, prm):
    """Greedy re-insertion of the pool in a random one of several orders, most urgent first."""
    npool = buf.counts[2]
    if npool == 0:
        return True
    mode = rng.integers(0, NUM_SORTS)
    for q in range(npool):
        j = buf.pool[q]
        if mode == SORT_RANDOM:
            key = rng.random()
        elif mode == SORT_FAR:
            key = -cd.depot_dist[j]
        elif mode == SORT_CLOSE:
            key = cd.depot_dist[j]
        elif mode == SORT_TIGHT:
            win = kd.win
            key = float(win.end[win.ptr[j + 1] - 1] - win.start[win.ptr[j]])
        else:
            key = -float(kd.res.demand[j])
        buf.keys[q] = key
    order = argsort_stable(buf.keys[:npool])
    ok = True
    if kd.dep.node.shape[0]:
        ok = drop_idle_stops(kd, sol, buf)
    balanced = prm.balance_w > 0.0
    if balanced:  # the loads the balance term sees, kept up to date below
        route_loads(kd, cd, sol, buf.tech_work)
        spread_stats(buf.tech_work, cd.has_shift, buf.spread)
    for prio in range(1, 5):  # most urgent priority first; the key orders within one
        for q in range(npool):
            j = buf.pool[order[q]]
            if kd.cost.priority[j] != prio:
                continue
            c, r, p = cheapest_route(kd, cd, sol, buf, wk, prm, j)
            d = NONE
            if kd.dep.node.shape[0] and kd.res.part_ptr[j + 1] > kd.res.part_ptr[j]:
                c2, r2, d2, p2 = cheapest_stop(kd, cd, sol, wk, prm, j)
                if c2 < c:
                    c, r, d, p = c2, r2, d2, p2
            if r < 0 or c >= kd.cost.penalty[j]:
                continue
            if d >= 0:
                touch(buf, r)
                apply_pickup(kd, r, d, sol.st, wk.brk)
            before = sol.rwork[r]
            ok = insert_ticket(kd, sol, buf, r, j, p) and ok
            if balanced:
                buf.tech_work[kd.rt.tech[r]] += sol.rwork[r] - before
                spread_stats(buf.tech_work, cd.has_shift, buf.spread)
    return ok


@internal
def cheapest_stop(kd, cd, sol, wk, prm, j):
    """Cheapest way to serve ``j`` by adding a depot stop to one of its nearest routes.

    Returns ``(cost, route, depot, position)``; see
    :func:`~fsdispatch.solvers._greedy_kernels.pickup_option`.
    """
    best = INF
    best_r = NONE
    best_d = NONE
    best_p = NONE
    tried = ZERO
    empty = ZERO
    for q in range(cd.near_ptr[j], cd.near_ptr[j + 1]):
        r = cd.near_route[q]
        if sol.st.pick[r] >= 0:
            continue
        if sol.st.length[r] == 0:
            if empty >= prm.max_empty:
                continue
            empty += 1
        tried += 1
        if tried > 8:
            break
        c, d, p = pickup_option(kd, r, j, sol.st, wk)
        if c < best:
            best = c
            best_r = r
            best_d = d
            best_p = p
    return best, best_r, best_d, best_p


@internal
def drop_idle_stops(kd, sol, buf):
    """Drop the depot stop of every touched route that is empty or no longer needs it.

    A stop is kept when dropping it would break the route's timing. Returns
    whether the touched routes are feasible.
    """
    st = sol.st
    ok = True
    scratch = np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64)
    for q in range(buf.counts[0]):
        r = buf.tlist[q]
        d = st.pick[r]
        if d < 0:
            continue
        if st.length[r] > 0 and not parts_fit(kd, st, r, NONE, r, NONE):
            continue
        if apply_pickup(kd, r, NONE, st, scratch) or st.length[r] == 0:
            refresh_route(kd, r, sol)
        else:
            ok = apply_pickup(kd, r, d, st, scratch) and ok
            refresh_route(kd, r, sol)
    return ok


# ---------------------------------------------------------------- the loop


@internal
def pick_op(rng, weights):
    tot = 0.0
    for k in range(weights.shape[0]):
        tot += weights[k]
    u = rng.random() * tot
    for k in range(weights.shape[0]):
        u -= weights[k]
        if u <= 0.0:
            return k
    return weights.shape[0] - 1


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


# ---------------------------------------------------------------- descent (2-opt*, 2-opt)


@internal
def _route_resources(kd, sol, r, sign):
    """Add (``sign=1``) or remove (``sign=-1``) route ``r``'s tickets from its resources."""
    st = sol.st
    res = kd.res
    g = kd.rt.group[r]
    for k in range(st.length[r]):
        j = st.seq[r, k]
        st.load[r] += sign * res.demand[j]
        st.group_count[g] += sign
        add_parts(kd, st, r, j, sign)


@internal
def _resources_fit(kd, sol, r):
    """Compatibility, capacity, day cap and van stock of route ``r`` as it stands."""
    st = sol.st
    rt = kd.rt
    res = kd.res
    tech = rt.tech[r]
    if st.load[r] > rt.capacity[r] or st.group_count[rt.group[r]] > rt.group_cap[rt.group[r]]:
        return False
    for k in range(st.length[r]):
        j = st.seq[r, k]
        if kd.tech.compat[tech, j] != 0:
            return False
        if kd.dep.node.shape[0] == 0:
            for q in range(res.part_ptr[j], res.part_ptr[j + 1]):
                if st.usage[tech, res.part_sku[q]] > res.stock[tech, res.part_sku[q]]:
                    return False
    if kd.dep.node.shape[0]:
        return parts_valid(kd, st, tech)
    return True


@njit(cache=True)
def _settle(kd, cd, cur, cand, buf, prm, cur_obj):
    """Accept the change staged in ``cand`` if it is feasible and strictly cheaper.

    Returns the new current objective (``cur_obj`` when rejected).
    """
    ok = True
    for q in range(buf.counts[0]):
        r = buf.tlist[q]
        if not _resources_fit(kd, cand, r):
            ok = False
            break
    if ok:
        ok = refresh_touched(kd, cand, buf)
    new_obj = cur_obj
    if ok:
        delta = 0.0
        for q in range(buf.counts[0]):
            r = buf.tlist[q]
            delta += cand.rcost[r] - cur.rcost[r]
        new_obj = cur_obj + delta
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


@internal
def try_two_opt_star(kd, cd, cur, cand, buf, prm, cur_obj, a, b):
    """2-opt*: make ``b`` follow ``a`` by swapping the tails of their two routes.

    ``r1 = x… a | y…`` and ``r2 = u… | b…`` become ``x… a b…`` and ``u… y…``.
    """
    r1 = cand.route_of[a]
    r2 = cand.route_of[b]
    if r1 < 0 or r2 < 0 or r1 == r2 or cd.locked[a] or cd.locked[b]:
        return cur_obj
    st = cand.st
    pa = position_of(st, r1, a)
    pb = position_of(st, r2, b)
    n1 = st.length[r1]
    n2 = st.length[r2]
    new1 = pa + 1 + (n2 - pb)
    new2 = pb + (n1 - pa - 1)
    width = st.seq.shape[1]
    if new1 + 1 >= width or new2 + 1 >= width:
        return cur_obj
    for k in range(pa + 1, n1):
        if cd.locked[st.seq[r1, k]]:
            return cur_obj
    for k in range(pb, n2):
        if cd.locked[st.seq[r2, k]]:
            return cur_obj
    touch(buf, r1)
    touch(buf, r2)
    _route_resources(kd, cand, r1, NONE)
    _route_resources(kd, cand, r2, NONE)
    tail1 = st.seq[r1, pa + 1:n1].copy()
    tail2 = st.seq[r2, pb:n2].copy()
    for k in range(tail2.shape[0]):
        j = tail2[k]
        st.seq[r1, pa + 1 + k] = j
        cand.route_of[j] = r1
        mark_changed(buf, j)
    for k in range(tail1.shape[0]):
        j = tail1[k]
        st.seq[r2, pb + k] = j
        cand.route_of[j] = r2
        mark_changed(buf, j)
    for k in range(new1, n1):
        st.seq[r1, k] = -1
    for k in range(new2, n2):
        st.seq[r2, k] = -1
    st.length[r1] = new1
    st.length[r2] = new2
    _route_resources(kd, cand, r1, ONE)
    _route_resources(kd, cand, r2, ONE)
    return _settle(kd, cd, cur, cand, buf, prm, cur_obj)


@internal
def try_two_opt(kd, cd, cur, cand, buf, prm, cur_obj, r, i, k):
    """Intra-route 2-opt: reverse the visits at positions ``i..k`` of route ``r``."""
    st = cand.st
    for q in range(i, k + 1):
        if cd.locked[st.seq[r, q]]:
            return cur_obj
    touch(buf, r)
    lo = i
    hi = k
    while lo < hi:
        tmp = st.seq[r, lo]
        st.seq[r, lo] = st.seq[r, hi]
        st.seq[r, hi] = tmp
        lo += 1
        hi -= 1
    return _settle(kd, cd, cur, cand, buf, prm, cur_obj)


@internal
def descend(kd, cd, cur, cand, buf, prm, cur_obj, routes, num_routes, max_nb, max_span):
    """First-improvement descent with 2-opt* (towards ``max_nb`` nearest tickets) and
    intra-route 2-opt (segments of up to ``max_span`` visits) around ``routes``.

    Returns the new current objective; ``cur`` and ``cand`` stay equal.
    """
    improved = True
    passes = ZERO
    while improved and passes < 3:
        improved = False
        passes += 1
        for q in range(num_routes):
            r = routes[q]
            k = ZERO
            while k < cur.st.length[r]:
                a = cur.st.seq[r, k]
                lo = cd.nb_ptr[a]
                hi = cd.nb_ptr[a + 1]
                if hi - lo > max_nb:
                    hi = lo + max_nb
                for e in range(lo, hi):
                    b = cd.nb[e]
                    if cur.route_of[b] < 0 or cur.route_of[b] == r:
                        continue
                    new_obj = try_two_opt_star(kd, cd, cur, cand, buf, prm, cur_obj, a, b)
                    if new_obj < cur_obj:
                        cur_obj = new_obj
                        improved = True
                        break
                k += 1
            n = cur.st.length[r]
            for i in range(n - 1):
                top = i + max_span
                if top > n:
                    top = n
                for kk in range(i + 1, top):
                    new_obj = try_two_opt(kd, cd, cur, cand, buf, prm, cur_obj, r, i, kk)
                    if new_obj < cur_obj:
                        cur_obj = new_obj
                        improved = True
    return cur_obj


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
def search(kd, cd, prm, rng, cur, cand, best_seq, best_len, best_pick, buf, obj, iters,
           temp_from,
           temp_to, seg_len, reaction):
    """Run ``iters`` ruin-and-recreate iterations; returns ``(current, best)`` objectives.

    ``obj = [current, best]`` objectives on entry. The temperature falls
    geometrically from ``temp_from`` to ``temp_to`` over the ``iters``
    iterations; a candidate is accepted if its objective is below
    ``current − T·ln(U)``. Operator weights adapt every ``seg_len``
    iterations (ALNS: new best 33, better 9, accepted 1).
    """
    wk = make_work(kd, cur.st.seq.shape[1])
    cur_obj = obj[0]
    best_obj = obj[1]
    num_assigned, num_used = count_assigned(cur)
    num_open = ZERO
    for j in range(cur.route_of.shape[0]):
        if cur.route_of[j] < 0 and cd.servable[j]:
            num_open += 1
    balance_w = prm.balance_w
    for it in range(iters):
        frac = it / iters if iters > 1 else 0.0
        temp = temp_from * (temp_to / temp_from) ** frac if temp_from > 0.0 else 0.0
        op = pick_op(rng, buf.op_weight)
        if op == OP_STRINGS:
            ok = ruin_strings(kd, cd, rng, cand, buf, prm, num_assigned, num_used)
        elif op == OP_RANDOM:
            ok = ruin_random(kd, cd, rng, cand, buf, prm, num_assigned)
        elif op == OP_WORST:
            ok = ruin_worst(kd, cd, rng, cand, buf, prm, num_assigned)
        elif op == OP_ROUTE:
            ok = ruin_route(kd, cd, rng, cand, buf, num_used)
        else:
            ok = ruin_loaded(kd, cd, rng, cand, buf, prm)
        ok = refresh_touched(kd, cand, buf) and ok
        buf.stats[0] += 1
        buf.op_used[op] += 1.0
        if not ok:
            # the break rule is not monotone: leaving out a visit can push a break past
            # its latest start (no waiting left to take it in); such a ruin is dropped
            buf.stats[3] += 1
            sync(kd, cur, cand, buf)
            reset_marks(buf)
            continue
        add_unassigned(rng, cd, cand, buf, prm.max_unassigned, num_open)
        if not recreate(kd, cd, rng, cand, buf, wk, prm):
            buf.stats[8] += 1  # an insertion priced feasible was not: a bug, never accepted
            sync(kd, cur, cand, buf)
            reset_marks(buf)
            continue
        delta = 0.0
        for q in range(buf.counts[0]):
            r = buf.tlist[q]
            delta += cand.rcost[r] - cur.rcost[r]
        for q in range(buf.counts[1]):
            j = buf.clist[q]
            was = cur.route_of[j] >= 0
            now = cand.route_of[j] >= 0
            if was and not now:
                delta += kd.cost.penalty[j]
            elif now and not was:
                delta -= kd.cost.penalty[j]
        new_obj = cur_obj + delta
        if balance_w > 0.0:
            new_obj = new_obj - balance_term(kd, cd, cur, buf.tech_work, balance_w) \
                + balance_term(kd, cd, cand, buf.tech_work, balance_w)
        threshold = cur_obj
        if temp > 0.0:
            threshold = cur_obj - temp * math.log(1.0 - rng.random())
        scale = abs(cur_obj) * 1e-12 + 1e-9
        if new_obj < threshold - scale:
            if new_obj < best_obj - scale:
                buf.op_score[op] += 33.0
            elif new_obj < cur_obj - scale:
                buf.op_score[op] += 9.0
            else:
                buf.op_score[op] += 1.0
            for q in range(buf.counts[0]):
                r = buf.tlist[q]
                buf.dirty[r] = True
                num_used += (cand.st.length[r] > 0) - (cur.st.length[r] > 0)
            for q in range(buf.counts[1]):
                j = buf.clist[q]
                moved = (cand.route_of[j] >= 0) - (cur.route_of[j] >= 0)
                num_assigned += moved
                num_open -= moved
            sync(kd, cand, cur, buf)
            buf.stats[1] += 1
            cur_obj = new_obj
            if cur_obj < best_obj - scale:
                if prm.descent:
                    nr = ZERO
                    for q in range(buf.counts[0]):
                        buf.droutes[nr] = buf.tlist[q]  # the routes this iteration changed
                        nr += 1
                    reset_marks(buf)
                    routes = buf.droutes[:nr].copy()
                    cur_obj = descend(kd, cd, cur, cand, buf, prm, cur_obj, routes, nr,
                                      np.int64(10), np.int64(8))
                best_obj = cur_obj
                save_best(cur, best_seq, best_len, best_pick, buf)
                buf.stats[2] += 1
                buf.stats[7] = buf.stats[0]
        else:
            sync(kd, cur, cand, buf)
        reset_marks(buf)
        if seg_len > 0 and (buf.stats[0] % seg_len) == 0:
            for k in range(NUM_OPS):
                if buf.op_used[k] > 0:
                    buf.op_weight[k] = (1.0 - reaction) * buf.op_weight[k] \
                        + reaction * buf.op_score[k] / buf.op_used[k]
                if buf.op_weight[k] < 0.05:
                    buf.op_weight[k] = 0.05
                if k == OP_LOADED and balance_w == 0.0:
                    buf.op_weight[k] = 0.0  # (only with a load-balance weight)
                buf.op_score[k] = 0.0
                buf.op_used[k] = 0.0
    obj[0] = cur_obj
    obj[1] = best_obj
    return cur_obj, best_obj


# ---------------------------------------------------------------- set-up helpers


@njit(cache=True)
def nearest_routes(kd, ptr, routes, out_ptr, out, near, lo, hi):
    """For tickets ``lo <= j < hi``: fill ``out[out_ptr[j]:out_ptr[j + 1]]`` with the able
    routes (CSR ``ptr``/``routes``) ordered by travel from their start, as many as the slot
    holds, and ``near[j]`` with the travel time from the nearest one."""
    tv = kd.tv
    start_node = kd.rt.start_node
    for j in range(lo, hi):
        a = ptr[j]
        b = ptr[j + 1]
        if b == a:
            continue
        node = kd.ticket_node[j]
        d = np.empty(b - a)
        for k in range(a, b):
            d[k - a] = travel_time_between(tv, start_node[routes[k]], node)
        order = argsort_stable(d)
        near[j] = d[order[0]]
        for q in range(out_ptr[j + 1] - out_ptr[j]):
            out[out_ptr[j] + q] = routes[a + order[q]]


@internal
def travel_time_between(tv, a, b):
    t, _km = travel(tv, a, b)
    return float(t)


@njit(cache=True)
def cheapest_able(kd, ptr, routes, st, tickets, max_pricings):
    """Cheapest feasible insertion cost of each ticket over all its able routes.

    ``inf`` if it fits nowhere. The scan of a ticket stops at the first
    insertion cheaper than its unassigned penalty (the search missed a
    profitable insertion: the caller reports a solver limit). At most
    ``max_pricings`` route pricings are made (``-1``: no limit); the
    returned ``checked`` flags say which tickets were scanned completely.
    """
    wk = make_work(kd, st.seq.shape[1])
    out = np.full(tickets.shape[0], INF)
    checked = np.zeros(tickets.shape[0], dtype=np.bool_)
    done = ZERO
    for q in range(tickets.shape[0]):
        j = tickets[q]
        if max_pricings >= 0 and done + (ptr[j + 1] - ptr[j]) > max_pricings:
            continue
        penalty = kd.cost.penalty[j]
        for k in range(ptr[j], ptr[j + 1]):
            done += 1
            c, _p = best_insertion(kd, routes[k], j, st, wk)
            if kd.dep.node.shape[0]:
                c2, _d, _p = pickup_option(kd, routes[k], j, st, wk)
                if c2 < c:
                    c = c2
            if c < out[q]:
                out[q] = c
                if c < penalty:
                    break
        checked[q] = True
    return out, checked
