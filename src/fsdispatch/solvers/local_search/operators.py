"""The ruin and recreate operators and the 2-opt / 2-opt* moves of the ``ls`` backend
(private).

All timing and insertion pricing comes from the shared kernels
(:mod:`fsdispatch.kernels.routes`, :mod:`fsdispatch.kernels.insertion`); these
operators decide only what to remove and where to re-insert.
"""

from __future__ import annotations

import numpy as np

from ...evaluate._kernels import travel
from ...kernels.balance import spread_push, spread_stats
from ...kernels.consts import NONE, ONE, ZERO
from ...kernels.insertion import apply_pickup, insertion_work, make_work, pickup_option
from ...kernels.jit import internal
from ...kernels.parts import parts_fit
from ...kernels.routes import INF, needs_more_checks, resources_ok, route_resources
from ...kernels.sort import argsort_stable
from ...kernels.weekly import week_state
from ._state import (
    best_insertion_slack,
    insert_ticket,
    mark_changed,
    position_of,
    price_routes,
    refresh_route,
    remove_span,
    route_loads,
    settle,  # accept or undo the staged change (2-opt, 2-opt*)
    slack_arrays,
    slack_groups,
    slack_scratch,
    touch,
)

SORT_RANDOM, SORT_FAR, SORT_CLOSE, SORT_TIGHT, SORT_DEMAND = 0, 1, 2, 3, 4
NUM_SORTS = 5
GUIDED_SHARE = 0.5
"""With a load-balance weight, the share of re-insertions priced with the balance change
(:func:`cheapest_route`'s ``guide``); the others are priced on routing cost alone, so the search
keeps finding good routes while acceptance judges the exact balance term."""


@internal
def pick_weighted(rng, weights):
    """A random index, with probability proportional to ``weights`` (the ruin operator of
    an iteration, the recreate order); a zero weight is never drawn but as the fallback
    of rounding at the last index."""
    tot = 0.0
    for k in range(weights.shape[0]):
        tot += weights[k]
    u = rng.random() * tot
    for k in range(weights.shape[0]):
        u -= weights[k]
        if u < 0.0:
            return k
    return weights.shape[0] - 1


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
        keep = ZERO  # split string: a span of length + keep visits loses all but keep
        if prm.split_rate > 0.0 and length < n and rng.random() < prm.split_rate:
            most = n - length if n - length < length else length
            keep = int(rng.integers(1, most + 1))
        span = length + keep
        first = p - int(rng.integers(0, span))
        if first < 0:
            first = ZERO
        if first + span > n:
            first = n - span
        if keep == 0:
            ok = remove_span(kd, cd, sol, buf, r, first, first + length) and ok
        else:
            ok = remove_split(kd, cd, rng, sol, buf, r, first, length, keep) and ok
        done += 1
    return ok


@internal
def remove_split(kd, cd, rng, sol, buf, r, first, length, keep):
    """Remove ``length`` of the ``length + keep`` visits from position ``first`` of route
    ``r``, keeping a random run of ``keep`` consecutive ones (SISR's split string)."""
    kept = first + int(rng.integers(0, length + 1))  # the kept run starts here
    ok = True
    if kept + keep < first + length + keep:  # the tail after the kept run, first
        ok = remove_span(kd, cd, sol, buf, r, kept + keep, first + length + keep) and ok
    if kept > first:
        ok = remove_span(kd, cd, sol, buf, r, first, kept) and ok
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
def _beyond_empty(is_empty, empty, max_empty):
    """``(skip, empty)``: whether to skip a route, an empty one (``is_empty``) beyond the
    first ``max_empty`` (``empty`` counted so far; empty routes are alike, nearest first)."""
    if not is_empty:
        return False, empty
    if empty >= max_empty:
        return True, empty
    return False, empty + 1


@internal
def cheapest_route(kd, cd, sol, buf, wk, prm, j, guide, key):
    """Cheapest feasible insertion of ``j``: ``(cost, route, position)``.

    Each position blinks (is skipped) with probability ``prm.blink`` for the draw ``key``.

    Prices every able route (``use_all_routes``) or the nearest able routes
    plus the routes of ``j``'s neighbour tickets; at most ``max_empty`` empty
    routes are priced (they are alike, nearest first). With a guiding
    load-balance weight ``guide`` > 0 a route's cost includes the change of the balance term
    (``buf.tech_work`` and ``buf.spread`` hold the loads and their
    :func:`~fsdispatch.kernels.balance.spread_stats`). The groups the pricing reads are
    read once and passed once (:func:`~._state.price_routes`), not once per route.
    """
    st = sol.st
    rt = kd.rt
    compat = kd.tech.compat
    demand = kd.res.demand[j]
    length = st.length
    route_of = sol.route_of
    stamp = buf.stamp
    near_ptr, near_route, nb_ptr, nb = cd.near_ptr, cd.near_route, cd.nb_ptr, cd.nb
    more = needs_more_checks(kd, j)
    weekly = kd.week.start.shape[0] > 0
    blink = prm.blink
    max_empty = prm.max_empty
    grp = slack_groups(kd)
    arr = slack_arrays(sol)
    scr = slack_scratch(wk, buf)
    rlist = buf.rlist
    rweek = buf.rweek
    buf.counts[3] += 1
    clock = buf.counts[3]
    num = ZERO
    empty = ZERO
    lo = near_ptr[j]
    mid = near_ptr[j + 1]
    hi = mid if prm.use_all_routes else mid + nb_ptr[j + 1] - nb_ptr[j]
    for q in range(lo, hi):  # the routes to price, in order
        if q < mid:  # the nearest able routes, then those of the neighbour tickets
            r = near_route[q]
            stamp[r] = clock
            skip, empty = _beyond_empty(length[r] == 0, empty, max_empty)
            if skip:
                continue
        else:
            r = route_of[nb[nb_ptr[j] + q - mid]]
            if r < 0 or stamp[r] == clock:
                continue
            stamp[r] = clock
            if compat[rt.tech[r], j] != 0 or demand > rt.capacity[r]:
                continue
        if more and not resources_ok(kd, st, r, j):
            continue
        if weekly:
            rweek[num, 0], rweek[num, 1] = week_state(kd, st, r)
        rlist[num] = r
        num += 1
    if guide <= 0.0:
        return price_routes(grp, arr, scr, rlist, rweek, num, weekly, j, blink, key)
    best, best_r, best_p = INF, NONE, NONE
    for q in range(num):  # guided: each route's cost with the change of the balance term
        r = rlist[q]
        c, _r, p = price_routes(grp, arr, scr, rlist[q:q + 1], rweek[q:q + 1], ONE, weekly, j,
                            blink, key)
        if c < INF:
            c += spread_push(guide, buf.tech_work, buf.spread, rt.tech[r],
                             insertion_work(kd, r, j, p, st))
        if c < best:
            best, best_r, best_p = c, r, p
    return best, best_r, best_p


@internal
def open_route(kd, cd, rng, sol, buf, wk, prm):
    """Seed an unused route with a random ticket of the pool (fleet expansion).

    Sequential cheapest insertion almost never opens a route: a lone visit costs
    the whole trip out and back, more than any detour. Here one pooled ticket
    goes to the cheapest of its nearest empty able routes (at least one, at most
    ``max_empty``); the rest of the pool is then inserted as usual and may join
    it. Acceptance judges the result. Returns whether the route stays feasible
    (True when nothing was seeded).
    """
    npool = buf.counts[2]
    if npool == 0:
        return True
    j = buf.pool[rng.integers(0, npool)]
    if kd.dep.node.shape[0] and kd.res.part_ptr[j + 1] > kd.res.part_ptr[j]:
        return True  # (a ticket that needs parts keeps the usual recreate)
    best, best_r, best_p = INF, NONE, NONE
    empty = ZERO
    most = prm.max_empty if prm.max_empty > 0 else 1
    for q in range(cd.near_ptr[j], cd.near_ptr[j + 1]):
        r = cd.near_route[q]
        if sol.st.length[r] != 0:
            continue
        empty += 1
        if empty > most:
            break
        c, p = best_insertion_slack(kd, r, j, sol, wk, buf, 0.0, ZERO)
        if c < best:
            best, best_r, best_p = c, r, p
    if best_r < 0 or best >= kd.cost.penalty[j]:
        return True
    return insert_ticket(kd, sol, buf, best_r, j, best_p)


@internal
def recreate(kd, cd, rng, sol, buf, wk, prm, open_new):
    """Greedy re-insertion of the pool in a random one of several orders, most urgent first.

    With ``open_new``, one ticket first opens an unused route (:func:`open_route`).
    With a load-balance weight, a random ``GUIDED_SHARE`` of the calls price each
    insertion with the balance change too.
    """
    npool = buf.counts[2]
    if npool == 0:
        return True
    mode = pick_weighted(rng, prm.sort_weights)
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
    if open_new:
        ok = open_route(kd, cd, rng, sol, buf, wk, prm) and ok
    balanced = prm.balance_w > 0.0
    guide = 0.0
    if balanced and rng.random() < GUIDED_SHARE:
        guide = prm.balance_w
    if balanced:  # the loads the balance term sees, kept up to date below
        route_loads(kd, cd, sol, buf.tech_work)
        spread_stats(buf.tech_work, cd.has_shift, buf.spread)
    for prio in range(1, 5):  # most urgent priority first; the key orders within one
        for q in range(npool):
            j = buf.pool[order[q]]
            if kd.cost.priority[j] != prio or sol.route_of[j] >= 0:
                continue
            key = np.int64(rng.integers(0, 1 << 62)) if prm.blink > 0.0 else ZERO
            c, r, p = cheapest_route(kd, cd, sol, buf, wk, prm, j, guide, key)
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
    :func:`~fsdispatch.kernels.insertion.pickup_option`.
    """
    best, best_r, best_d, best_p = INF, NONE, NONE, NONE
    tried = ZERO
    empty = ZERO
    for q in range(cd.near_ptr[j], cd.near_ptr[j + 1]):
        r = cd.near_route[q]
        if sol.st.pick[r] >= 0:
            continue
        skip, empty = _beyond_empty(sol.st.length[r] == 0, empty, prm.max_empty)
        if skip:
            continue
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
    route_resources(kd, cand.st, r1, NONE)
    route_resources(kd, cand.st, r2, NONE)
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
    route_resources(kd, cand.st, r1, ONE)
    route_resources(kd, cand.st, r2, ONE)
    return settle(kd, cd, cur, cand, buf, prm, cur_obj)


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
    return settle(kd, cd, cur, cand, buf, prm, cur_obj)


@internal
def _extreme_technicians(kd, cd, sol, tech_work):
    """``(most, least)`` loaded technicians with a shift (``tech_work`` from
    :func:`route_loads`); the most loaded one must hold a visit. -1 when none."""
    top = NONE
    low = NONE
    for r in range(sol.st.length.shape[0]):
        t = kd.rt.tech[r]
        if sol.st.length[r] > 0 and (top < 0 or tech_work[t] > tech_work[top]):
            top = t
    for t in range(tech_work.shape[0]):
        if cd.has_shift[t] and (low < 0 or tech_work[t] < tech_work[low]):
            low = t
    return top, low


@internal
def _removal_gain(kd, st, r, p):
    """Travel, distance and visit cost saved by taking the visit at ``p`` out of route ``r``
    (a ranking estimate: breaks and the rest of the route are not re-timed)."""
    prev = kd.ticket_node[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
    nxt = kd.ticket_node[st.seq[r, p + 1]] if p + 1 < st.length[r] else kd.rt.end_node[r]
    skip_t, skip_km = travel(kd.tv, prev, nxt)
    return kd.w.travel * (st.legt[r, p] + st.legt[r, p + 1] - skip_t) \
        + kd.w.dist * (st.legd[r, p] + st.legd[r, p + 1] - skip_km) + st.vcost[r, p]


@internal
def balance_relocate(kd, cd, cur, cand, buf, prm, cur_obj, max_tries):
    """Load-balance moves: relocate one visit off the most loaded technician, or onto the
    least loaded one, accepted on the exact objective (balance term included).

    Candidates are every visit of the most loaded technician towards any other
    technician's able route (of the ticket's nearest routes) with less work, and
    every visit of another technician towards the least loaded technician's
    routes; each is priced by its cheapest feasible insertion minus the
    estimated saving of its removal, and the ``max_tries`` cheapest (one per
    ticket) are tried in that order with :func:`settle` until one is accepted.
    Deterministic (no random draw). ``cur`` and ``cand`` are equal on entry and
    on return; returns the new current objective.
    """
    st = cur.st
    n = cur.route_of.shape[0]
    if prm.balance_w == 0.0 or n == 0:
        return cur_obj
    wk = make_work(kd, st.seq.shape[1])
    cost = np.empty(n)
    dest = np.empty(n, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    route_loads(kd, cd, cur, buf.tech_work)
    top, low = _extreme_technicians(kd, cd, cur, buf.tech_work)
    if top < 0 or low < 0 or buf.tech_work[top] <= buf.tech_work[low]:
        return cur_obj
    for j in range(n):
        cost[j] = INF
        dest[j] = NONE
        r1 = cur.route_of[j]
        if r1 < 0 or cd.locked[j]:
            continue
        t1 = kd.rt.tech[r1]
        gain = -1.0
        for q in range(cd.near_ptr[j], cd.near_ptr[j + 1]):
            r2 = cd.near_route[q]
            if r2 < 0:
                continue
            t2 = kd.rt.tech[r2]
            if t2 == t1 or (t1 != top and t2 != low) or buf.tech_work[t2] >= buf.tech_work[t1]:
                continue
            c, p = best_insertion_slack(kd, r2, j, cur, wk, buf, 0.0, ZERO)
            if c == INF:
                continue
            if gain < 0.0:
                gain = _removal_gain(kd, st, r1, position_of(st, r1, j))
            if c - gain < cost[j]:
                cost[j] = c - gain
                dest[j] = r2
                pos[j] = p
    order = argsort_stable(cost)
    for k in range(n):
        j = order[k]
        if dest[j] < 0 or k >= max_tries:
            break
        r1 = cand.route_of[j]
        p1 = position_of(cand.st, r1, j)
        remove_span(kd, cd, cand, buf, r1, p1, p1 + 1)
        insert_ticket(kd, cand, buf, dest[j], j, pos[j])
        new_obj = settle(kd, cd, cur, cand, buf, prm, cur_obj)
        if new_obj < cur_obj:
            return new_obj
    return cur_obj
