"""The ``ls`` backend's search (private): ruin-and-recreate under simulated annealing,
the descent on new bests, and the setup and reasons kernels of the solver.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...kernels.consts import ONE, ZERO
from ...kernels.insertion import best_insertion, make_work, pickup_option
from ...kernels.jit import internal
from ...kernels.routes import INF, start_travel
from ...kernels.sort import argsort_stable
from ...kernels.weekly import weeks_cost, weeks_fit
from ._state import (
    NUM_OPS,
    OP_LOADED,
    OP_RANDOM,
    OP_ROUTE,
    OP_SPLIT,
    OP_STRINGS,
    OP_WORST,
    balance_term,
    count_assigned,
    refresh_touched,
    reset_marks,
    save_best,
    sync,
)
from .moves import try_relocate, try_swap, try_to_empty
from .operators import (
    add_unassigned,
    balance_relocate,
    pick_weighted,
    recreate,
    ruin_loaded,
    ruin_random,
    ruin_route,
    ruin_strings,
    ruin_worst,
    try_two_opt,
    try_two_opt_star,
)


@internal
def improve_visit(kd, cd, cur, cand, buf, prm, cur_obj, a, max_nb):
    """The first improving granular move of ticket ``a`` (routed): towards each of its
    ``max_nb`` nearest routed tickets ``b``, 2-opt* (``b`` follows ``a``), relocate
    ``a`` after or before ``b`` and swap ``a`` with ``b``; then ``a`` alone, or with the
    rest of its route, into an unused route. Returns the new current objective."""
    lo = cd.nb_ptr[a]
    hi = cd.nb_ptr[a + 1]
    if hi - lo > max_nb:
        hi = lo + max_nb
    r = cur.route_of[a]
    for e in range(lo, hi):
        b = cd.nb[e]
        rb = cur.route_of[b]
        if rb < 0:
            continue
        if rb != r:
            new_obj = try_two_opt_star(kd, cd, cur, cand, buf, prm, cur_obj, a, b)
            if new_obj < cur_obj:
                return new_obj
        if prm.moves:
            new_obj = try_relocate(kd, cd, cur, cand, buf, prm, cur_obj, a, b, ONE)
            if new_obj < cur_obj:
                return new_obj
            new_obj = try_relocate(kd, cd, cur, cand, buf, prm, cur_obj, a, b, ZERO)
            if new_obj < cur_obj:
                return new_obj
            if rb != r:
                new_obj = try_swap(kd, cd, cur, cand, buf, prm, cur_obj, a, b)
                if new_obj < cur_obj:
                    return new_obj
    if prm.moves:
        new_obj = try_to_empty(kd, cd, cur, cand, buf, prm, cur_obj, a, ZERO)
        if new_obj < cur_obj:
            return new_obj
        new_obj = try_to_empty(kd, cd, cur, cand, buf, prm, cur_obj, a, ONE)
        if new_obj < cur_obj:
            return new_obj
    return cur_obj


@internal
def descend(kd, cd, cur, cand, buf, prm, cur_obj, routes, num_routes, max_nb, max_span):
    """First-improvement descent around ``routes``: the granular moves of
    :func:`improve_visit` (towards ``max_nb`` nearest tickets) for each of their visits,
    and intra-route 2-opt (segments of up to ``max_span`` visits); with a load-balance
    weight each pass starts with :func:`.operators.balance_relocate`.

    Returns the new current objective; ``cur`` and ``cand`` stay equal.
    """
    improved = True
    passes = ZERO
    while improved and passes < 3:
        if prm.balance_w > 0.0:  # the balance term moves only with the extreme technicians
            new_obj = balance_relocate(kd, cd, cur, cand, buf, prm, cur_obj, np.int64(8))
            if new_obj < cur_obj:
                cur_obj = new_obj
        improved = False
        passes += 1
        for q in range(num_routes):
            r = routes[q]
            k = ZERO
            while k < cur.st.length[r]:
                new_obj = improve_visit(kd, cd, cur, cand, buf, prm, cur_obj,
                                        cur.st.seq[r, k], max_nb)
                if new_obj < cur_obj:
                    cur_obj = new_obj
                    improved = True
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


@internal
def adapt_weights(buf, reaction, balance_w):
    """ALNS: each operator's weight moves towards its mean score of the segment (new best
    33, better 9, accepted 1), at least 0.05; ``loaded`` only with a balance weight."""
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


@njit(cache=True, nogil=True)
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
        op = pick_weighted(rng, buf.op_weight)
        if op == OP_STRINGS:
            ok = ruin_strings(kd, cd, rng, cand, buf, prm, num_assigned, num_used)
        elif op == OP_SPLIT:  # two seeds' strings: room for a new route to gather
            ok = ruin_strings(kd, cd, rng, cand, buf, prm, num_assigned, num_used)
            ok = ruin_strings(kd, cd, rng, cand, buf, prm, num_assigned, num_used) and ok
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
        if not recreate(kd, cd, rng, cand, buf, wk, prm, op == OP_SPLIT):
            buf.stats[8] += 1  # an insertion priced feasible was not: a bug, never accepted
            sync(kd, cur, cand, buf)
            reset_marks(buf)
            continue
        if not weeks_fit(kd, cand.rwork):
            buf.stats[8] += 1  # an insertion priced within the weekly cap was not: a bug
            sync(kd, cur, cand, buf)
            reset_marks(buf)
            continue
        delta = weeks_cost(kd, cand.rwork) - weeks_cost(kd, cur.rwork)
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
            adapt_weights(buf, reaction, balance_w)
    obj[0] = cur_obj
    obj[1] = best_obj
    return cur_obj, best_obj


@njit(cache=True)
def nearest_routes(kd, ptr, routes, out_ptr, out, near, lo, hi):
    """For tickets ``lo <= j < hi``: fill ``out[out_ptr[j]:out_ptr[j + 1]]`` with the able
    routes (CSR ``ptr``/``routes``) ordered by travel from their start, as many as the slot
    holds, and ``near[j]`` with the travel time from the nearest one."""
    for j in range(lo, hi):
        a = ptr[j]
        b = ptr[j + 1]
        if b == a:
            continue
        d = start_travel(kd, routes, a, b, kd.ticket_node[j])
        order = argsort_stable(d)
        near[j] = d[order[0]]
        for q in range(out_ptr[j + 1] - out_ptr[j]):
            out[out_ptr[j] + q] = routes[a + order[q]]


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
