"""numba kernels pricing the insertion of one ticket into a route (private): the
cheapest position and its timing change, and a depot stop at a route's start.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .consts import FALSE, NONE, TRUE, ZERO
from .jit import internal, leaf_internal
from .parts import parts_fit, pickup_leg, pickup_ready, set_pickup
from .routes import (
    INF,
    free_at,
    preference_cost,
    rebuild_route,
    resources_ok,
    route_cost,
    row_lateness,
)
from .structs import struct_of
from .timing import (
    advance,
    choose_end,
    earliest_start,
    hard_late,
    is_static,
    leg_time,
    max_breaks,
    travel,
    travel_time,
    visit_cost,
)
from .weekly import week_extra, week_fits, week_state


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


@internal
def timing_delta(kd, st, wk, r, j, p, t_in, t_out):
    """Lateness and overtime change of inserting ``j`` at position ``p`` of route ``r``.

    ``t_in``/``t_out`` are the travel into and out of ``j``. Returns inf
    when no timing keeps the windows, breaks and shift end. The labels are
    advanced from position ``p`` only until they equal the old ones (the
    rest of the day is then unchanged). Without breaks there is one label:
    the plain forward simulation. (:func:`route_timing_delta` on the route's
    arrays: a caller pricing many positions of one route reads them once.)
    """
    seq_r = st.seq[r]
    prev = kd.ticket_node[seq_r[p - 1]] if p > 0 else st.start_n[r]
    return route_timing_delta(kd.tv, kd.ticket_node, prev, kd.rt.end_node[r], kd.win, kd.cost,
                              kd.brk, kd.w.overtime, kd.tech.service[kd.rt.tech[r]],
                              kd.rt.max_close[r], kd.rt.close[r], kd.brk.ptr[r],
                              kd.brk.ptr[r + 1] - kd.brk.ptr[r], st.length[r], seq_r, st.legt[r],
                              st.free_t[r], st.vcost[r], st.lab[r], st.pcost[r], st.bptr[r],
                              st.ret[r], wk.la, wk.pa, wk.lb, wk.pb, wk.pr, j, p, t_in, t_out)


@leaf_internal
def route_timing_delta(tv, ticket_node, prev, end_node, win, cost, brk, w_overtime,
                       service_row, max_close, close, base, nbr, n, seq_r, legt_r, free_r,
                       vcost_r, lab_r, pcost_r, bptr_r, ret_r, la, pa, lb, pb, pr, j, p, t_in,
                       t_out):
    """:func:`timing_delta` on one route's arrays (``*_r``: its rows of the state; ``base``,
    ``nbr``: its breaks; ``la`` … ``pr``: the scratch label buffers; ``prev``: the node
    before position ``p``, ``end_node``: the route's end). Every leg is timed by its
    departure (:func:`~fsdispatch.kernels.timing.leg_time`: the cached seconds as they are
    under static travel; a static day's ``tv`` compiles the rule's static variant).
    Reference-count free (a leaf): the hot core of every insertion's pricing."""
    svc = np.int64(service_row[j])
    node = ticket_node[j]
    if nbr == 0:
        static = is_static(tv)  # read once: the cached leg seconds are exact
        t0 = lab_r[p, 0]
        s = earliest_start(win, j, t0 + (t_in if static else leg_time(tv, prev, node, t_in, t0)))
        if hard_late(win, j, s):
            return INF
        e = s + svc
        delta = visit_cost(win, cost, j, s, e)
        t = e
        na = node
        for k in range(p, n):
            i = seq_r[k]
            tt = t_out if k == p else legt_r[k]
            nb = ticket_node[i]
            s = earliest_start(win, i, t + (tt if static else leg_time(tv, na, nb, tt, t)))
            na = nb
            if hard_late(win, i, s):
                return INF
            e = s + np.int64(service_row[i])
            delta += visit_cost(win, cost, i, s, e) - vcost_r[k]
            t = e
            if t == free_r[k]:
                return delta
        tt = t_out if p == n else legt_r[n]
        ret = t + (tt if static else leg_time(tv, na, end_node, tt, t))
        if ret > max_close:
            return INF
    else:
        cur = la
        cur_pc = pa
        nxt = lb
        nxt_pc = pb
        pred = pr
        if not advance(tv, prev, node, win, cost, brk, base, nbr, j, svc, t_in, TRUE, lab_r[p],
                       pcost_r[p], cur, cur_pc, pred, TRUE, max_close):
            return INF
        na = node
        for k in range(p, n):
            i = seq_r[k]
            tt = t_out if k == p else legt_r[k]
            nb = ticket_node[i]
            if not advance(tv, na, nb, win, cost, brk, base, nbr, i, np.int64(service_row[i]),
                           tt, TRUE, cur, cur_pc, nxt, nxt_pc, pred, TRUE, max_close):
                return INF
            na = nb
            same = True
            for b in range(nbr + 1):
                if nxt[b] != lab_r[k + 1, b]:
                    same = False
                    break
            if same:  # the rest of the day is as before
                bk = bptr_r[k] - base
                return nxt_pc[bk] - pcost_r[k + 1, bk]
            tmp = cur
            cur = nxt
            nxt = tmp
            tmp_pc = cur_pc
            cur_pc = nxt_pc
            nxt_pc = tmp_pc
        tt = t_out if p == n else legt_r[n]
        bend, ret = choose_end(tv, na, end_node, brk, base, nbr, cur, cur_pc, tt, TRUE,
                               max_close)
        if bend < 0:
            return INF
        old_vc = 0.0
        if n > 0:
            old_vc = pcost_r[n, bptr_r[n - 1] - base]
        delta = cur_pc[bend] - old_vc
    old_ot = ret_r - close if (n > 0 and ret_r > close) else 0
    new_ot = ret - close if ret > close else 0
    return delta + w_overtime * (new_ot - old_ot)


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
    dt = t_in + t_out - st.legt[r, p]
    svc = np.int64(kd.tech.service[tech, j])
    wk_k, wk_tot = week_state(kd, st, r)
    if not week_fits(kd.week, tech, wk_k, wk_tot, dt + svc):
        return INF
    c = timing_delta(kd, st, wk, r, j, p, t_in, t_out)
    if c == INF:
        return INF
    c += week_extra(kd.week, kd.w.overtime, tech, wk_k, wk_tot, dt + svc)
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


@leaf_internal
def insertion_base(techs, res, w_pref, tech, j):
    """``(service, labour, base)`` of ``j`` served by technician ``tech`` (``techs``:
    ``kd.tech``, ``res``: ``kd.res``, small groups: a hot helper): its service seconds, the
    technician's labour cost per second, and the part of an insertion's cost no position
    changes (preference and the labour of the service)."""
    svc = np.int64(techs.service[tech][j])
    labour = techs.labour[tech]
    return svc, labour, preference_cost(res, w_pref, tech, j) + labour * svc


@leaf_internal
def detour_cost(w, base, labour, dt, km):
    """``base`` plus the cost of a detour of ``dt`` seconds and ``km`` (travel, distance
    and the technician's labour)."""
    return base + w.travel * dt + w.dist * km + labour * dt


@leaf_internal
def too_late(ready, first_open, svc, t_out, limit):
    """Whether a visit ready at ``ready`` (not before its first window opens) cannot end
    its service and travel on within ``limit``: a proof of infeasibility (breaks only
    delay it further)."""
    return (ready if ready > first_open else first_open) + svc + t_out > limit


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
    be feasible. (:func:`route_insertion` on the route's rows: a caller pricing
    many tickets on one route reads them once.)
    """
    if not resources_ok(kd, st, r, j) or st.length[r] + 1 >= st.seq.shape[1]:
        return INF, -1
    wk_k, wk_tot = week_state(kd, st, r)
    return route_insertion(kd.tv, kd.win, kd.cost, kd.brk, kd.w, kd.week, kd.ticket_node,
                           kd.tech, kd.res, kd.rt, route_rows(st, r), work_rows(wk), r, j,
                           wk_k, wk_tot)


@internal
def route_rows(st, r):
    """Route ``r``'s rows of the state, read once (a struct's field read reference-counts):
    ``(n, start node, return, seq, free_t, legt, legd, lstart, vcost, lrate, absorb, lab,
    pcost, bptr)``, what :func:`route_insertion` takes."""
    return (st.length[r], st.start_n[r], st.ret[r], st.seq[r], st.free_t[r], st.legt[r],
            st.legd[r], st.lstart[r], st.vcost[r], st.lrate[r], st.absorb[r], st.lab[r],
            st.pcost[r], st.bptr[r])


@internal
def work_rows(wk):
    """The scratch buffers of :class:`Work` that :func:`route_insertion` takes, read once."""
    return wk.tin, wk.kin, wk.tout, wk.kout, wk.order, wk.la, wk.pa, wk.lb, wk.pb, wk.pr


@leaf_internal
def route_insertion(tv, win, cost, brk, w, week, tnode, techs, res, rt, rows, bufs, r, j,
                    wk_k, wk_tot):
    """:func:`best_insertion` of ``j`` into route ``r`` once its resources allow it, on the
    kernel data's groups, the route's rows (:func:`route_rows`), the scratch buffers
    (:func:`work_rows`) and the technician's week (``week_state``). A leaf: no reference
    counts, however many tickets a caller prices on one route."""
    n, prev, ret_r, seq_r, free_r, legt_r, legd_r, lstart_r, vcost_r, lrate_r, absorb_r, \
        lab_r, pcost_r, bptr_r = rows
    tin, kin, tout, kout, order, la, pa, lb_, pb, pr = bufs
    tech = rt.tech[r]
    service_row = techs.service[tech]
    max_close = rt.max_close[r]
    node = tnode[j]
    symmetric = tv.kind != 0
    start_n = prev
    for p in range(n + 1):
        if p > 0:
            prev = tnode[seq_r[p - 1]]
        tt, km = travel(tv, prev, node)
        tin[p] = tt
        kin[p] = km
    end_node = rt.end_node[r]
    for p in range(n + 1):
        if symmetric and p < n:
            tout[p] = tin[p + 1]
            kout[p] = kin[p + 1]
        else:
            nxt = tnode[seq_r[p]] if p < n else end_node
            tt, km = travel(tv, node, nxt)
            tout[p] = tt
            kout[p] = km
    svc, labour, base = insertion_base(techs, res, w.pref, tech, j)
    first_open = win.start[win.ptr[j]]
    b0 = brk.ptr[r]
    nbr = brk.ptr[r + 1] - b0
    others = row_lateness(vcost_r, n) if nbr > 0 else 0.0
    for p in range(n + 1):
        dt = tin[p] + tout[p] - legt_r[p]
        det = detour_cost(w, base, labour, dt, kin[p] + kout[p] - legd_r[p])
        if wk_k >= 0:  # the technician's week: its cap, its weekly overtime
            if week_fits(week, tech, wk_k, wk_tot, dt + svc):
                det += week_extra(week, w.overtime, tech, wk_k, wk_tot, dt + svc)
            else:
                det = INF
        kin[p] = det  # kin now holds the exact travel (and weekly) part
        order[p] = p
        ready = free_at(lab_r, p, nbr) + tin[p]
        limit = lstart_r[p] if p < n else max_close
        s_lb = earliest_start(win, j, ready)
        if det == INF or too_late(ready, first_open, svc, tout[p], limit):
            kout[p] = INF  # cannot be feasible (breaks ignored, so this is a proof)
        else:
            lb = det + visit_cost(win, cost, j, s_lb, s_lb + svc) - others
            if p < n and nbr == 0:
                i = seq_r[p]
                svc_i = np.int64(service_row[i])
                s_old = free_r[p] - svc_i
                s_new = s_lb + svc + tout[p]
                if s_new > s_old:
                    lb += visit_cost(win, cost, i, s_new, s_new + svc_i) - vcost_r[p]
                    if p + 1 < n and not absorb_r[p + 1]:
                        lb += (s_new - s_old) * lrate_r[p + 1]
            kout[p] = lb
        k = p
        while k > 0 and kout[order[k - 1]] > kout[order[k]]:
            tmp = order[k - 1]
            order[k - 1] = order[k]
            order[k] = tmp
            k -= 1
    best = INF
    best_p = NONE
    close = rt.close[r]
    for q in range(n + 1):
        p = order[q]
        if kout[p] >= best:
            break
        prev = tnode[seq_r[p - 1]] if p > 0 else start_n
        c = route_timing_delta(tv, tnode, prev, end_node, win, cost, brk, w.overtime,
                               service_row, max_close, close, b0, nbr, n, seq_r, legt_r, free_r,
                               vcost_r, lab_r, pcost_r, bptr_r, ret_r, la, pa, lb_, pb, pr, j,
                               p, tin[p], tout[p])
        if c == INF:
            continue
        c += kin[p]
        if c < best or (c == best and p < best_p):
            best = c
            best_p = p
    return best, best_p


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
            leg_work = ZERO
            if n == 0:
                c_route, leg_work = pickup_leg(kd, r, d, FALSE)
            c, p = best_insertion(kd, r, j, st, wk)
            if c < INF and n == 0 and not _week_takes(kd, st, r, j, p, leg_work):
                c = INF  # (the week must also take the way to the depot and the stop)
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


@internal
def _week_takes(kd, st, r, j, p, extra):
    """Whether route ``r``'s week takes ``j`` at position ``p`` plus ``extra`` seconds of
    work (an empty route's new depot stop: the state counts no work for an empty route)."""
    wk_k, wk_tot = week_state(kd, st, r)
    if wk_k < 0:
        return True
    dwork = np.int64(insertion_work(kd, r, j, p, st)) + extra
    return week_fits(kd.week, kd.rt.tech[r], wk_k, wk_tot, dwork)


@njit(cache=True)
def apply_pickup(kd, r, d, st, scratch):
    """Make route ``r`` start with a stop at depot ``d`` (-1: drop its stop); rebuilds it.

    Returns whether the route is feasible afterwards.
    """
    ready = pickup_ready(kd, r, d, scratch) if d >= 0 else np.int64(0)
    set_pickup(kd, st, r, d, ready)
    return rebuild_route(kd, r, st, scratch)


@njit(cache=True)
def week_blocked(kd, r, j, st, wk):
    """Whether route ``r`` could take ``j`` at some position (resources and timing) but for
    its technician's weekly work cap: the ``weekly_hours`` reason of a ticket left out."""
    wk_k, wk_tot = week_state(kd, st, r)
    if wk_k < 0 or not resources_ok(kd, st, r, j) or st.length[r] + 1 >= st.seq.shape[1]:
        return False
    tech = kd.rt.tech[r]
    svc = np.int64(kd.tech.service[tech, j])
    node = kd.ticket_node[j]
    n = st.length[r]
    for p in range(n + 1):
        prev = kd.ticket_node[st.seq[r, p - 1]] if p > 0 else st.start_n[r]
        nxt = kd.ticket_node[st.seq[r, p]] if p < n else kd.rt.end_node[r]
        t_in = travel_time(kd.tv, prev, node)
        t_out = travel_time(kd.tv, node, nxt)
        dwork = t_in + t_out - st.legt[r, p] + svc
        if not week_fits(kd.week, tech, wk_k, wk_tot, dwork) \
                and timing_delta(kd, st, wk, r, j, p, t_in, t_out) < INF:
            return True
    return False


@njit(cache=True)
def week_allows(kd, r, j, p, st):
    """Whether inserting ``j`` at position ``p`` of route ``r`` keeps its technician's week
    within ``max_weekly_work`` (the work it adds: the detour's travel plus the service)."""
    wk_k, wk_tot = week_state(kd, st, r)
    if wk_k < 0:
        return True
    dwork = np.int64(insertion_work(kd, r, j, p, st))
    return week_fits(kd.week, kd.rt.tech[r], wk_k, wk_tot, dwork)
