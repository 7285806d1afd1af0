"""The schedule rule: when each stop of a route is served and where its breaks go (private).

Every consumer — the evaluator, compile's reachability, greedy, ``ls``, the
exact backends' checks and live dispatch — times routes with these kernels,
so they all agree on one rule.

**The rule.** For a given order of stops, a technician serves each stop as
early as its window allows. Breaks (in the order the shift lists them) are
placed optimally: among all timings that respect every window, every break's
window and the shift end, the rule takes the one that returns earliest. A
break is taken at a location: before leaving a stop, or on arrival at the
next one before its service (also while waiting for the customer's window);
never during travel or service. A break is not needed when its window opens
at or after the moment the technician is back at the end location. So a
feasible timing is found whenever one exists for the order: a service may
wait for a break to be taken first, and a break may be kept for after a
later job.

**How.** A dynamic programme over labels: ``lab[k, b]`` is the earliest time
the technician is free after the ``k``-th stop having taken exactly the
first ``b`` breaks (``T_INF`` if impossible). An earlier time with the same
breaks taken is never worse (waiting is allowed), so one label per ``b``
suffices. Each label also carries the lateness cost of the visits on the way
to it, which decides ties: equal times keep the cheaper way, then the one
that took its breaks later (so the visits before are served no later: a
break is not taken early for nothing, and adding a visit at the end of a
route re-times none before it when the added waiting could hold the break
as well). The day ends with the label whose return is earliest (then
cheapest, then the fewest breaks taken before the last leg); tracing its
predecessors back gives every visit's times. Without breaks there is one
label and the rule is the plain forward simulation.

When no feasible timing exists, the evaluator times the route with the same
programme in *relaxed* mode (windows, breaks and the shift end may be
overrun; the earliest return wins) and reports what that timing breaks.
"""

from __future__ import annotations

import math

import numpy as np

from .consts import FALSE, TRUE, ZERO
from .jit import internal, leaf, leaf_internal

EARTH_RADIUS_KM = 6371.0088

T_INF = np.int64(2**62)
"""Label of an impossible state (also ``problem.NO_DEADLINE``)."""


# ---------------------------------------------------------------- travel


@leaf_internal
def _geo_km(tv, a, b):
    """Straight-line km between nodes (before the detour factor)."""
    if tv.kind == 1:
        dx = tv.x[a] - tv.x[b]
        dy = tv.y[a] - tv.y[b]
        return math.sqrt(dx * dx + dy * dy)
    s1 = math.sin(0.5 * (tv.y[b] - tv.y[a]))
    s2 = math.sin(0.5 * (tv.x[b] - tv.x[a]))
    h = s1 * s1 + tv.coslat[a] * tv.coslat[b] * s2 * s2
    if h > 1.0:
        h = 1.0
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@leaf_internal
def _round_secs(rounding, secs):
    if rounding == 0:
        return np.int64(math.floor(secs + 0.5))
    if rounding == 1:
        return np.int64(math.ceil(secs - 1e-9))
    return np.int64(math.floor(secs + 1e-9))


@leaf
def travel(tv, a, b):
    """``(seconds, km)`` from node ``a`` to node ``b`` (one distance computation).

    Under time-dependent travel (``tv.td > 0``) the seconds are a lower bound over
    every departure (see :func:`leg_time` for a departure's own)."""
    if a == b:
        return np.int64(0), 0.0
    if tv.kind == 0:
        ra = tv.node_row[a]
        rb = tv.node_row[b]
        d = tv.dist[ra, rb] if tv.dist.shape[0] else 0.0
        return tv.dur[ra, rb], d
    km = _geo_km(tv, a, b) * tv.detour
    secs = _round_secs(tv.rounding, km * tv.sec_per_km)
    if tv.td == 1:
        secs = np.int64(math.floor(secs * tv.lbf))
    return secs, km


@leaf
def travel_time(tv, a, b):
    """Travel time in whole seconds from node ``a`` to node ``b`` (static; under
    time-dependent travel a lower bound over every departure)."""
    if a == b:
        return np.int64(0)
    if tv.kind == 0:
        return tv.dur[tv.node_row[a], tv.node_row[b]]
    secs = _round_secs(tv.rounding, _geo_km(tv, a, b) * tv.detour * tv.sec_per_km)
    if tv.td == 1:
        return np.int64(math.floor(secs * tv.lbf))
    return secs


@leaf_internal
def _base_secs(tv, a, b):
    """The static model's seconds of a speed-profile model (factor 1)."""
    if tv.kind == 0:
        p = np.int64(tv.prof[0])
        m = np.int64(tv.prof[2])
        return np.int64(tv.prof[3 + 3 * p + tv.node_row[a] * m + tv.node_row[b]])
    return _round_secs(tv.rounding, _geo_km(tv, a, b) * tv.detour * tv.sec_per_km)


@leaf_internal
def _period(prof, n, t):
    """The last period ``k`` with ``start[k] <= t`` (0 when none) of the ``n`` periods of
    ``prof`` (``TravelData.prof``)."""
    lo = 0
    hi = n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if np.int64(prof[3 + mid]) <= t:
            lo = mid
        else:
            hi = mid
    return lo


@leaf_internal
def _td_secs(tv, a, b, t):
    """Seconds of the trip ``a -> b`` leaving at ``t`` (Ichoua–Gendreau–Potvin: FIFO).

    In period ``k`` the whole trip would take ``length`` seconds (the static time
    over the period's speed factor, or the period matrix's cell); the trip goes
    through periods until its remaining fraction is done. Rounded to the nearest
    second. The same operations as :func:`fsdispatch.domain.traffic.arrival_seconds`.
    """
    base = 0.0
    if tv.td == 1:
        base = float(_base_secs(tv, a, b))
        if base == 0.0:
            return np.int64(0)
    prof = tv.prof
    n = np.int64(prof[0])
    m = np.int64(prof[2])
    cell = tv.node_row[a] * m + tv.node_row[b]
    k = _period(prof, n, t)
    q = 1.0
    el = np.int64(0)
    cur = t
    while True:
        if tv.td == 1:
            length = base / prof[3 + n + k]
        else:
            length = prof[3 + 3 * n + np.int64(prof[3 + 2 * n + k]) * m * m + cell]
        need = q * length
        if k + 1 >= n:
            return np.int64(math.floor(float(el) + need + 0.5))
        nxt = np.int64(prof[3 + k + 1])
        if need <= float(nxt - cur):
            return np.int64(math.floor(float(el) + need + 0.5))
        span = nxt - cur
        q -= float(span) / length
        el += span
        cur = nxt
        k += 1


@leaf
def leg_time(tv, a, b, tt, t):
    """Seconds of the leg ``a -> b`` leaving at ``t``; ``tt`` is :func:`travel_time`
    of the leg, returned as is by static travel.

    A static day's travel group has no profile (``tv.prof`` ``None``): it is another
    numba type, and every kernel that times legs with it compiles the rule's *static
    variant* (numba prunes :func:`_leg`'s ``is None`` branch by the argument's type): the
    leg costs ``tt`` and nothing else, no test in the hot loops. The variant is chosen
    above every kernel's entry point, by the kernel data a day compiles to: a static day
    compiles only the static variant, a traffic day only the time-dependent one — one
    body, two type specialisations, the same rule.
    """
    return _leg(tv.prof, tv, a, b, tt, t)


@leaf_internal
def _leg(prof, tv, a, b, tt, t):
    """:func:`leg_time` with the profile as an argument (its ``None`` prunes by type)."""
    if prof is None:
        return tt
    if tv.td == 0 or a == b:
        return tt
    return _td_secs(tv, a, b, t)


@leaf
def is_static(tv):
    """Whether legs cost their cached static seconds: a static day's group (no profile,
    a compile-time constant) or a group without time-dependent travel."""
    return _static(tv.prof, tv.td)


@leaf_internal
def _static(prof, td):
    if prof is None:
        return True
    return td == 0


# ---------------------------------------------------------------- windows and costs


@leaf_internal
def earliest_start(win, j, ready):
    """Earliest service start of stop ``j`` for a technician ready at ``ready``.

    The first window whose end is not before ``ready``; if none, ``ready``
    itself (late: infeasible for hard windows, costed for soft ones).
    """
    for w in range(win.ptr[j], win.ptr[j + 1]):
        if ready <= win.end[w]:
            if ready < win.start[w]:
                return win.start[w]
            return ready
    return ready


@leaf
def window_late(win, j, start):
    """Seconds by which ``start`` is after stop ``j``'s last window end (>= 0)."""
    last = win.end[win.ptr[j + 1] - 1]
    return start - last if start > last else np.int64(0)


@leaf
def hard_late(win, j, start):
    """Whether starting ``j`` at ``start`` breaks its hard window."""
    return (not win.soft[j]) and start > win.end[win.ptr[j + 1] - 1]


@leaf
def sla_late(cost, j, start, end):
    """SLA lateness in seconds: response (start) plus resolution (end)."""
    late = np.int64(0)
    if start > cost.response_by[j]:
        late += start - cost.response_by[j]
    if end > cost.resolve_by[j]:
        late += end - cost.resolve_by[j]
    return late


@leaf_internal
def visit_cost(win, cost, j, start, end):
    """Soft-window and SLA lateness cost of serving ``j`` over ``[start, end]``."""
    c = cost.sla_w[j] * sla_late(cost, j, start, end)
    if win.soft[j]:
        c += cost.late_w[j] * window_late(win, j, start)
    return c


# ---------------------------------------------------------------- the break rule


@leaf_internal
def max_breaks(brk):
    """The most breaks any route has (labels per stop: one more)."""
    most = 0
    for r in range(brk.ptr.shape[0] - 1):
        if brk.ptr[r + 1] - brk.ptr[r] > most:
            most = brk.ptr[r + 1] - brk.ptr[r]
    return most



@leaf_internal
def gap_ready(tv, n_a, n_b, brk, base, b, m, t, tt, strict):
    """Take breaks ``b .. b+m-1`` (of the route whose first break is ``base``) on one leg.

    The technician is free at ``t`` and the leg ``n_a -> n_b`` takes ``tt`` seconds
    (static travel; else :func:`leg_time` by its departure). Each
    break goes before leaving or on arrival, as early as its window allows;
    the split giving the earliest *ready* time (arrival plus the breaks
    taken on arrival) is chosen, preferring breaks on arrival. Returns
    ``(ready, arrival, breaks_before_leaving, late)``; ``ready`` is
    :data:`T_INF` when (``strict``) no split keeps every break in its
    window, and ``late`` says (relaxed) whether a break starts late.
    """
    if m == 0:  # no break on this leg (the common case)
        a0 = t + leg_time(tv, n_a, n_b, tt, t)
        return a0, a0, ZERO, False
    best = T_INF
    best_arr = T_INF
    best_q = -1
    best_late = False
    es = brk.earliest
    ls = brk.latest
    du = brk.dur
    e = t
    late_before = False
    for q in range(m + 1):
        if q > 0:
            x = base + b + q - 1
            bs = e if e > es[x] else es[x]
            if bs > ls[x]:
                if strict:
                    break
                late_before = True
            e = bs + du[x]
        arr = e + leg_time(tv, n_a, n_b, tt, e)
        a = arr
        late = late_before
        ok = True
        for i in range(q, m):
            x = base + b + i
            bs = a if a > es[x] else es[x]
            if bs > ls[x]:
                if strict:
                    ok = False
                    break
                late = True
            a = bs + du[x]
        if ok and a < best:
            best = a
            best_arr = arr
            best_q = q
            best_late = late
    return best, best_arr, np.int64(best_q), best_late


@leaf
def advance(tv, n_a, n_b, win, cost, brk, base, nbr, j, svc, tt, ticket, src, src_pc, dst, dst_pc,
            dst_pred, strict, max_close):
    """Labels after serving stop ``j`` (``svc`` seconds, ``tt`` away: the leg ``n_a -> n_b``,
    see :func:`gap_ready`) from labels ``src``.

    ``src``/``dst`` (int64) and ``src_pc``/``dst_pc`` (float64) have
    ``nbr + 1`` entries: time and lateness cost by number of breaks taken;
    ``dst_pred[b]`` gets the break count before the stop on the kept way.
    ``ticket``: the stop is a ticket (its lateness is costed) rather than a
    depot stop; ``win`` holds the stop's windows. ``strict`` prunes labels
    that break a hard window, a break's window (the next pending break can
    no longer start in time) or ``max_close``. Returns whether any label is
    possible.
    """
    for b in range(nbr + 1):
        dst[b] = T_INF
        dst_pc[b] = 0.0
        dst_pred[b] = -1
    found = False
    for b in range(nbr + 1):
        t = src[b]
        if t >= T_INF:
            continue
        for m in range(nbr - b + 1):
            ready, _arr, _q, _late = gap_ready(tv, n_a, n_b, brk, base, b, m, t, tt, strict)
            if ready >= T_INF:
                break  # a break of this leg cannot be placed; more breaks cannot help
            s = earliest_start(win, j, ready)
            if strict and hard_late(win, j, s):
                break
            e = s + svc
            if strict and e > max_close:
                break
            nb = b + m
            if strict and nb < nbr and e > brk.latest[base + nb]:
                continue  # the next break could no longer start in its window
            c = src_pc[b]
            if ticket:
                c += visit_cost(win, cost, j, s, e)
            old = dst[nb]
            if e < old or (e == old and (c < dst_pc[nb] or (c == dst_pc[nb]
                                                            and b < dst_pred[nb]))):
                dst[nb] = e
                dst_pc[nb] = c
                dst_pred[nb] = b
                found = True
    return found


@leaf_internal
def finish_gap(tv, n_a, n_b, brk, base, nbr, b, t, tt, strict):
    """Return to the end location (``tt`` away) free at ``t`` with ``b`` breaks taken.

    A pending break whose window opens before the technician would be back is
    taken before the last leg, as early as its window allows; later ones are
    not needed. Returns ``(return_time, late)``; :data:`T_INF` when
    (``strict``) a needed break cannot start in its window.
    """
    e = t
    late = False
    for i in range(b, nbr):
        x = base + i
        needed, bs = break_before(tv, n_a, n_b, brk, x, e, tt)
        if not needed:
            break
        if bs > brk.latest[x]:
            if strict:
                return T_INF, False
            late = True
        e = bs + brk.dur[x]
    return e + leg_time(tv, n_a, n_b, tt, e), late


@leaf_internal
def break_before(tv, n_a, n_b, brk, x, e, tt):
    """Break ``x`` before a leg of ``tt`` seconds from ``e``: ``(needed, start)``. It is
    needed when its window opens before the leg would end; then it starts as early as
    its window allows."""
    es = brk.earliest[x]
    return es < e + leg_time(tv, n_a, n_b, tt, e), (e if e > es else es)


@leaf_internal
def one_visit_feasible(tv, n0, nj, n1, win, brk, base, nbr, j, svc, t0, t_out, t_back,
                       max_close):
    """Whether a route free at ``t0`` with no break taken can serve stop ``j`` alone
    (``t_out`` there, ``svc`` seconds, ``t_back`` to the end location) by ``max_close``.

    The schedule rule's strict programme (:func:`advance` then :func:`choose_end`)
    for a one-stop route, stopping at the first feasible timing: reachability needs
    only whether one exists.
    """
    for m in range(nbr + 1):
        ready, _arr, _q, _late = gap_ready(tv, n0, nj, brk, base, ZERO, m, t0, t_out, TRUE)
        if ready >= T_INF:
            break
        s = earliest_start(win, j, ready)
        if hard_late(win, j, s):
            break
        e = s + svc
        if e > max_close:
            break
        if m < nbr and e > brk.latest[base + m]:
            continue  # the next break could no longer start in its window
        ret, _late = finish_gap(tv, nj, n1, brk, base, nbr, m, e, t_back, TRUE)
        if ret < T_INF and ret <= max_close:
            return True
    return False


@leaf_internal
def choose_end(tv, n_a, n_b, brk, base, nbr, lab, pc, tt, strict, max_close):
    """The label the day ends from: earliest return, then cheapest, then breaks taken later.

    Returns ``(b, return_time)``; ``b = -1`` when no label can return (by
    ``max_close`` when ``strict``).
    """
    best_b = -1
    best_r = T_INF
    best_c = 0.0
    for b in range(nbr + 1):
        t = lab[b]
        if t >= T_INF:
            continue
        ret, _late = finish_gap(tv, n_a, n_b, brk, base, nbr, b, t, tt, strict)
        if ret >= T_INF or (strict and ret > max_close):
            continue
        c = pc[b]
        if ret < best_r or (ret == best_r and (c < best_c or (c == best_c and b < best_b))):
            best_b = b
            best_r = ret
            best_c = c
    return np.int64(best_b), best_r


@internal
def start_labels(tv, n_a, n_b, win_d, cost, brk, base, nbr, t0, tt, pickup, d, lab0, pc0, pred0,
                 strict, max_close):
    """Labels at the start of a route: free at ``t0`` with no break taken, or, with a depot
    stop first thing (``d >= 0``, ``tt`` from the shift start, ``pickup`` seconds,
    windows ``win_d``), the labels after that stop. Returns whether any is possible."""
    for b in range(nbr + 1):
        lab0[b] = T_INF
        pc0[b] = 0.0
        pred0[b] = 0
    lab0[0] = t0
    if d < 0:
        return True
    src = lab0.copy()
    src_pc = pc0.copy()
    ok = advance(tv, n_a, n_b, win_d, cost, brk, base, nbr, d, pickup, tt, FALSE, src, src_pc,
                 lab0, pc0, pred0, strict, max_close)
    for b in range(nbr + 1):
        pred0[b] = 0
    return ok


@leaf_internal
def walk_leg(tv, n_a, n_b, brk, base, b, m, t, tt, strict, brk_out):
    """The times of one leg on the kept way (see :func:`gap_ready`): writes the starts of
    breaks ``b .. b+m-1`` into ``brk_out`` (by break index) and returns
    ``(ready, arrival, late, departure)``."""
    ready, arr, q, late = gap_ready(tv, n_a, n_b, brk, base, b, m, t, tt, strict)
    if ready >= T_INF:  # not placeable even relaxed (cannot happen): place them in order
        q = np.int64(0)
    e = t
    for i in range(q):
        x = base + b + i
        bs = e if e > brk.earliest[x] else brk.earliest[x]
        brk_out[x] = bs
        e = bs + brk.dur[x]
    a = e + leg_time(tv, n_a, n_b, tt, e)
    arr = a
    for i in range(q, m):
        x = base + b + i
        bs = a if a > brk.earliest[x] else brk.earliest[x]
        brk_out[x] = bs
        a = bs + brk.dur[x]
    return a, arr, late, e


@leaf_internal
def walk_finish(tv, n_a, n_b, brk, base, nbr, b, t, tt, brk_out):
    """The last leg on the kept way (see :func:`finish_gap`): writes the starts of the breaks
    taken and -1 for those not needed; returns ``(return_time, late, departure)``."""
    e = t
    late = False
    i = b
    while i < nbr:
        x = base + i
        needed, bs = break_before(tv, n_a, n_b, brk, x, e, tt)
        if not needed:
            break
        if bs > brk.latest[x]:
            late = True
        brk_out[x] = bs
        e = bs + brk.dur[x]
        i += 1
    while i < nbr:
        brk_out[base + i] = -1
        i += 1
    return e + leg_time(tv, n_a, n_b, tt, e), late, e
