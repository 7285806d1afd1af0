"""numba kernels of insertion-based construction (private).

All timing comes from the shared schedule rule in
:mod:`fsdispatch.kernels.timing`; this module keeps each route's labels (the
rule's dynamic programme) as caches and decides *where* to insert.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..kernels.balance import spread_push
from ..kernels.consts import NONE, ZERO
from ..kernels.insertion import (
    apply_pickup,
    best_insertion,
    detour_cost,
    insertion_base,
    insertion_work,
    make_work,
    pickup_option,
    position_cost,
    route_insertion,
    route_rows,
    week_blocked,
    work_rows,
)
from ..kernels.jit import internal
from ..kernels.parts import parts_fit
from ..kernels.routes import (
    INF,
    earliest_free,
    insert_at,
    resources_ok,
    route_lateness,
    start_travel,
    state_spread,
)
from ..kernels.sort import argsort_stable
from ..kernels.timing import earliest_start, travel, visit_cost
from ..kernels.weekly import week_state


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
    for j in range(lo, hi):
        size = out_ptr[j + 1] - out_ptr[j]
        a = ptr[j]
        b = ptr[j + 1]
        o = out_ptr[j]
        if b - a <= size:
            for k in range(b - a):  # element loops: a slice copy compiles numba's
                out[o + k] = routes[a + k]  # shape-mismatch error path (~1.5 s cold)
            continue
        nearest = argsort_stable(start_travel(kd, routes, a, b, kd.ticket_node[j]))
        chosen = np.empty(size)
        for k in range(size):
            chosen[k] = routes[a + nearest[k]]
        order = argsort_stable(chosen)
        for k in range(size):
            out[o + k] = routes[a + nearest[order[k]]]


@internal
def _offer(v, c, b1, b2, c1, c2):
    """The two best entries ``(b1, b2, c1, c2)`` (costs, entries) after offering entry ``c``
    at cost ``v``; of equal costs the entry offered first wins."""
    if v < b1 or (v == b1 and c1 < 0):
        return v, b1, c, c1
    if v < b2 or (v == b2 and c2 < 0):
        return b1, v, c1, c
    return b1, b2, c1, c2


@internal
def _top2(j, cd):
    b1, b2, c1, c2 = INF, INF, NONE, NONE
    cost = cd.cost
    for c in range(cd.ptr[j], cd.ptr[j + 1]):
        b1, b2, c1, c2 = _offer(cost[c], c, b1, b2, c1, c2)
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
    # best_insertion with the kernel data's groups read once (a leaf per entry)
    tv, win, kcost, brk, w, week, tnode = kd.tv, kd.win, kd.cost, kd.brk, kd.w, kd.week, \
        kd.ticket_node
    techs, res, rt = kd.tech, kd.res, kd.rt
    bufs = work_rows(wk)
    width = st.seq.shape[1]
    route, ccost, cpos, stale = cd.route, cd.cost, cd.pos, cd.stale
    for j in range(lo, hi):
        if not active[j]:
            continue
        for c in range(cd.ptr[j], cd.ptr[j + 1]):
            r = route[c]
            cost, pos = INF, NONE
            if st.length[r] + 1 < width and resources_ok(kd, st, r, j):
                wk_k, wk_tot = week_state(kd, st, r)
                cost, pos = route_insertion(tv, win, kcost, brk, w, week, tnode, techs, res, rt,
                                            route_rows(st, r), bufs, r, j, wk_k, wk_tot)
            ccost[c] = cost
            cpos[c] = pos
            stale[c] = False
        _top2(j, cd)


@internal
def _reprice_after_insert(kd, r, j, p, active, cd, st, wk, stamp, steps, dirty, nd):
    """Update candidate entries on route ``r`` after ``j`` went in at position ``p``."""
    # every struct field read once: a field read in the loop reference-counts its arrays
    tv = kd.tv
    win = kd.win
    kcost = kd.cost
    w = kd.w
    techs = kd.tech
    res = kd.res
    tnode = kd.ticket_node
    tech = kd.rt.tech[r]
    rc_entry = cd.rc_entry
    ticket = cd.ticket
    bestc = cd.bestc
    bestc2 = cd.bestc2
    cpos = cd.pos
    ccost = cd.cost
    stale = cd.stale
    lstart_r = st.lstart[r]
    legt_r = st.legt[r]
    legd_r = st.legd[r]
    node_j = tnode[j]
    n = st.length[r]
    prev = tnode[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
    nxt = tnode[st.seq[r, p + 1]] if p + 1 < n else kd.rt.end_node[r]
    max_close = kd.rt.max_close[r]
    nbr = kd.brk.ptr[r + 1] - kd.brk.ptr[r]
    others = route_lateness(st, r) if nbr > 0 else 0.0
    free_p = earliest_free(st, r, p, nbr)
    free_p1 = earliest_free(st, r, p + 1, nbr)
    # best_insertion's leaf on the route's rows, read once for all its entries
    brk, week, rt = kd.brk, kd.week, kd.rt
    rows = route_rows(st, r)
    bufs = work_rows(wk)
    room = n + 1 < st.seq.shape[1]
    wk_k, wk_tot = week_state(kd, st, r)
    for e in range(cd.rc_ptr[r], cd.rc_ptr[r + 1]):
        cc = rc_entry[e]
        i = ticket[cc]
        if not active[i]:
            continue
        fits = resources_ok(kd, st, r, i)
        if bestc[i] == cc or bestc2[i] == cc or cpos[cc] == p or not fits:
            cost, pos = INF, NONE
            if fits and room:
                cost, pos = route_insertion(tv, win, kcost, brk, w, week, tnode, techs, res, rt,
                                            rows, bufs, r, i, wk_k, wk_tot)
            ccost[cc] = cost
            cpos[cc] = pos
            stale[cc] = False
        else:
            if cpos[cc] > p:
                cpos[cc] += 1
            # old positions can only have become dearer; the two new ones around j may be
            # cheaper and are priced exactly, unless their lower bound
            # (the one best_insertion prunes by: the detour's travel, distance and labour,
            # the service's labour and preference, i's own lateness at its earliest start)
            # already reaches the entry's cost
            node_i = tnode[i]
            d_ij, km_ij = travel(tv, node_i, node_j)
            svc_i, labour, base = insertion_base(techs, res, w.pref, tech, i)
            improved = False
            for q in (p, p + 1):
                if q == p:
                    t_in, k_in = travel(tv, prev, node_i)
                    t_out = d_ij
                    k_out = km_ij
                    ready = free_p + t_in
                    limit = lstart_r[p]
                else:
                    t_in = d_ij
                    k_in = km_ij
                    t_out, k_out = travel(tv, node_i, nxt)
                    ready = free_p1 + t_in
                    limit = lstart_r[p + 1] if p + 1 < n else max_close
                s_lb = earliest_start(win, i, ready)
                if s_lb + svc_i + t_out > limit:
                    continue  # provably infeasible (breaks ignored)
                dt = t_in + t_out - legt_r[q]
                lb = detour_cost(w, base, labour, dt, k_in + k_out - legd_r[q]) \
                    + visit_cost(win, kcost, i, s_lb, s_lb + svc_i) - others
                if lb < ccost[cc]:
                    v = position_cost(kd, r, i, q, st, wk)
                    if v < ccost[cc]:
                        ccost[cc] = v
                        cpos[cc] = q
                        improved = True
            if improved:
                stale[cc] = False
            elif ccost[cc] != INF:
                stale[cc] = True
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
        b1, b2, c1, c2 = INF, INF, NONE, NONE
        for c in range(cd.ptr[j], cd.ptr[j + 1]):
            v = cd.cost[c]
            if v == INF:
                continue
            r = cd.route[c]
            v += spread_push(w, loads, stats, kd.rt.tech[r],
                             insertion_work(kd, r, j, cd.pos[c], st))
            # (v is finite here: ties with an empty slot cannot arise)
            b1, b2, c1, c2 = _offer(v, c, b1, b2, c1, c2)
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
        # sibling routes of the technician share its parts, day cap and weekly work
        check = res.part_ptr[j + 1] > res.part_ptr[j] \
            or st.group_count[rt.group[r]] >= rt.group_cap[rt.group[r]]
        weekly = kd.week.start.shape[0] > 0
        if check or weekly:
            nd = _siblings_after_insert(kd, r, tech, active, cd, st, stamp, steps, dirty, nd,
                                        check, weekly)
        nd = _reprice_after_insert(kd, r, j, p, active, cd, st, wk, stamp, steps, dirty, nd)
        for k in range(nd):
            refresh_best(kd, dirty[k], cd, st, wk)
            stamp[dirty[k]] = -1
    return left


@internal
def _siblings_after_insert(kd, r, tech, active, cd, st, stamp, steps, dirty, nd, check,
                           weekly):
    """After an insertion into route ``r``, the entries of the technician's other routes:
    with ``check``, those whose ticket no longer fits the shared parts or day cap are
    dropped; with ``weekly``, the rest become stale (the week's work grew: their weekly
    cap room shrank and their weekly overtime may have grown, so their costs are now
    lower bounds). Each changed ticket is listed once in ``dirty``."""
    for rr in range(cd.tech_route_ptr[tech], cd.tech_route_ptr[tech + 1]):
        if rr == r:
            continue
        for e in range(cd.rc_ptr[rr], cd.rc_ptr[rr + 1]):
            cc = cd.rc_entry[e]
            i = cd.ticket[cc]
            if not active[i] or cd.cost[cc] == INF:
                continue
            if check and not resources_ok(kd, st, rr, i):
                cd.cost[cc] = INF
                cd.pos[cc] = -1
                cd.stale[cc] = False
            elif weekly:
                cd.stale[cc] = True
            else:
                continue
            if stamp[i] != steps:
                stamp[i] = steps
                dirty[nd] = i
                nd += 1
    return nd


@njit(cache=True)
def weekly_blocked(kd, ptr, routes, st, tickets, out):
    """``out[q]``: some able route (CSR ``ptr``/``routes``) could take ticket
    ``tickets[q]`` but for its technician's weekly work cap (:func:`week_blocked`)."""
    wk = make_work(kd, st.seq.shape[1])
    for q in range(tickets.shape[0]):
        j = tickets[q]
        out[q] = False
        for k in range(ptr[j], ptr[j + 1]):
            if week_blocked(kd, routes[k], j, st, wk):
                out[q] = True
                break


@internal
def _worth_inserting(kd, j, best, best_r, outcome):
    """Whether ``j``'s cheapest insertion (``best`` on route ``best_r``) is worth making;
    if not, records why in ``outcome`` (2: no route can take it, 3: dearer than leaving
    it out)."""
    if best_r < 0:
        outcome[j] = 2
        return False
    if best > kd.cost.penalty[j]:
        outcome[j] = 3
        return False
    return True


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
        if _worth_inserting(kd, j, best, best_r, outcome):
            acc[0] += best
            insert_at(kd, best_r, j, best_p, st, wk.brk)
            outcome[j] = 1


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
        if _worth_inserting(kd, j, best, best_r, outcome):
            acc[0] += best
            if best_d >= 0:
                apply_pickup(kd, best_r, best_d, st, wk.brk)
            insert_at(kd, best_r, j, best_p, st, wk.brk)
            outcome[j] = 1


@njit(cache=True)
def route_width_bound(compat, service, rt_tech, rt_open, rt_max_close, group_cap, group):
    """An upper bound on any feasible route's length (see ``greedy._route_width``)."""
    num_r = rt_tech.shape[0]
    if num_r == 0 or compat.shape[1] == 0:
        return 1
    return width_from_min_service(tech_min_service(compat, service), compat.shape[1], rt_tech,
                                  rt_open, rt_max_close, group_cap, group)


@njit(cache=True)
def tech_min_service(compat, service):
    """Per technician: the shortest service among the tickets it may serve (``compat`` 0),
    at least 1; ``2**31 - 1`` when there is none."""
    num_t, n = compat.shape
    big = np.int64(2147483647)
    min_service = np.empty(num_t, dtype=np.int64)
    for t in range(num_t):
        m = big
        for j in range(n):
            if compat[t, j] == 0 and service[t, j] < m:
                m = np.int64(service[t, j])
        min_service[t] = m if m > 1 else 1
    return min_service


@njit(cache=True)
def width_from_min_service(min_service, n, rt_tech, rt_open, rt_max_close, group_cap, group):
    """The bound of :func:`route_width_bound` from :func:`tech_min_service` (``n``: tickets):
    a route holds at most its shift over its technician's shortest service, its day cap
    and every ticket, plus one."""
    num_r = rt_tech.shape[0]
    if num_r == 0 or n == 0:
        return 1
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
