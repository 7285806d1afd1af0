"""numba kernels for parts and depot stops in the routing heuristics (private).

The routing heuristics (``greedy``, ``ls``) place a depot stop only at the
start of a route: the technician leaves the shift start, stops at depot ``d``
(waiting for it to open, ``pickup`` seconds there) and starts the tickets from
the depot. In the plan the stop is attached to the route's first ticket, and
the evaluator's general rule (a stop may precede any ticket) judges it; both
time the stop as the route's first stop with the one schedule rule (breaks
included), so the two timings are identical.

Parts follow the evaluator's lazy rule: each technician's routes are walked in
shift order from the van stock; a route that starts with a depot stop picks up
``max(0, need - van)`` per sku for the whole route, a route without one must
be covered by the van. ``RouteState`` keeps per route the parts it needs
(``rneed``) and takes at its stop (``take``), per depot the units handed out
(``dused``).
"""

from __future__ import annotations

import numpy as np

from .consts import NONE, TRUE, ZERO
from .jit import internal
from .timing import T_INF, start_labels, travel, travel_time


@internal
def _sku_stock(arr, row, s):
    """``arr[row, s]``, or 0 if sku ``s`` is beyond the array (a sku added later); ``arr``
    is a read-only stock array (van or depot)."""
    if s < arr.shape[1]:
        return arr[row, s]
    return np.int64(0)


@internal
def walk_sku(kd, st, tech, s, r_mod, dq, r_pick, d_pick, takes):
    """Walk technician ``tech``'s routes for sku ``s`` under a change; fill ``takes``.

    The change: route ``r_mod`` needs ``dq`` more units, route ``r_pick``
    starts with a stop at depot ``d_pick`` (-1: none). ``takes[k]`` gets the
    pick-up of the technician's ``k``-th route. Returns False if a route
    without a stop runs short.
    """
    van = _sku_stock(kd.res.stock, tech, s)
    lo = st.tech_ptr[tech]
    hi = st.tech_ptr[tech + 1]
    for rr in range(lo, hi):
        need = st.rneed[rr, s]
        if rr == r_mod:
            need += dq
        d = d_pick if rr == r_pick else st.pick[rr]
        if d >= 0:
            tk = need - van if need > van else np.int64(0)
            takes[rr - lo] = tk
            van += tk - need
        else:
            takes[rr - lo] = 0
            if need > van:
                return False
            van -= need
    return True


@internal
def sku_fits(kd, st, tech, s, r_mod, dq, r_pick, d_pick):
    """Whether the change (see :func:`walk_sku`) keeps sku ``s`` within vans and depots."""
    takes = st.tbuf
    if not walk_sku(kd, st, tech, s, r_mod, dq, r_pick, d_pick, takes):
        return False
    lo = st.tech_ptr[tech]
    hi = st.tech_ptr[tech + 1]
    for rr in range(lo, hi):
        d = d_pick if rr == r_pick else st.pick[rr]
        if d < 0 or takes[rr - lo] == 0:
            continue
        tot = st.dused[d, s] if s < st.dused.shape[1] else np.int64(0)
        for r2 in range(lo, hi):
            if st.pick[r2] == d:
                tot -= st.take[r2, s]
            d2 = d_pick if r2 == r_pick else st.pick[r2]
            if d2 == d:
                tot += takes[r2 - lo]
        if tot > _sku_stock(kd.dep.stock, d, s):
            return False
    return True


@internal
def parts_fit(kd, st, r, j, r_pick, d_pick):
    """Whether adding ticket ``j`` (``j < 0``: none) to route ``r`` keeps every sku feasible
    when route ``r_pick`` starts with a stop at depot ``d_pick`` (``r_pick < 0``: stops as
    they are)."""
    res = kd.res
    tech = kd.rt.tech[r]
    if r_pick < 0 or kd.dep.node.shape[0] == 0:
        if j < 0:
            return True
        if kd.dep.node.shape[0] == 0 and st.pick[r] < 0:
            for k in range(res.part_ptr[j], res.part_ptr[j + 1]):
                s = res.part_sku[k]
                if st.usage[tech, s] + res.part_qty[k] > res.stock[tech, s]:
                    return False
            return True
        for k in range(res.part_ptr[j], res.part_ptr[j + 1]):
            if not sku_fits(kd, st, tech, res.part_sku[k], r, res.part_qty[k], NONE, NONE):
                return False
        return True
    # the stop of route r_pick changes: every sku that route (or j) needs
    for s in range(st.rneed.shape[1]):
        dq = np.int64(0)
        if j >= 0:
            for k in range(res.part_ptr[j], res.part_ptr[j + 1]):
                if res.part_sku[k] == s:
                    dq += res.part_qty[k]
        if st.rneed[r_pick, s] + (dq if r == r_pick else 0) == 0 and dq == 0 \
                and st.take[r_pick, s] == 0:
            continue
        if not sku_fits(kd, st, tech, s, r, dq, r_pick, d_pick):
            return False
    return True


@internal
def refresh_sku(kd, st, tech, s):
    """Recompute the pick-ups of ``tech``'s routes for sku ``s`` and the depots' totals."""
    lo = st.tech_ptr[tech]
    hi = st.tech_ptr[tech + 1]
    takes = st.tbuf
    walk_sku(kd, st, tech, s, NONE, ZERO, NONE, NONE, takes)
    for rr in range(lo, hi):
        d_old = st.pick_was[rr]
        if d_old >= 0 and s < st.dused.shape[1]:
            st.dused[d_old, s] -= st.take[rr, s]
        st.take[rr, s] = takes[rr - lo]
        d = st.pick[rr]
        if d >= 0 and s < st.dused.shape[1]:
            st.dused[d, s] += takes[rr - lo]


@internal
def add_parts(kd, st, r, j, sign):
    """Add (``sign=1``) or remove (``sign=-1``) ticket ``j``'s parts on route ``r``."""
    res = kd.res
    tech = kd.rt.tech[r]
    for k in range(res.part_ptr[j], res.part_ptr[j + 1]):
        s = res.part_sku[k]
        st.usage[tech, s] += sign * res.part_qty[k]
        st.rneed[r, s] += sign * res.part_qty[k]
    if kd.dep.node.shape[0] == 0:
        return
    lo = st.tech_ptr[tech]
    hi = st.tech_ptr[tech + 1]
    has_stop = False
    for rr in range(lo, hi):
        st.pick_was[rr] = st.pick[rr]
        if st.pick[rr] >= 0:
            has_stop = True
    if not has_stop:
        return
    for k in range(res.part_ptr[j], res.part_ptr[j + 1]):
        refresh_sku(kd, st, tech, res.part_sku[k])


@internal
def pickup_ready(kd, r, d, scratch):
    """When route ``r`` can leave depot ``d`` after a stop made first thing (the earliest,
    breaks taken or not); -1 when no timing of the stop keeps the depot's opening hours,
    the breaks and the shift's overtime limit."""
    rt = kd.rt
    dep = kd.dep
    brk = kd.brk
    base = brk.ptr[r]
    nbr = brk.ptr[r + 1] - base
    lab = np.empty(nbr + 1, dtype=np.int64)
    pc = np.empty(nbr + 1)
    pred = np.empty(nbr + 1, dtype=np.int64)
    tt = travel_time(kd.tv, rt.start_node[r], dep.node[d])
    if not start_labels(kd.tv, rt.start_node[r], dep.node[d], dep.win, kd.cost, brk, base, nbr,
                        rt.open[r], tt, dep.pickup[d], d, lab, pc, pred, TRUE, rt.max_close[r]):
        return NONE
    first = T_INF
    for b in range(nbr + 1):
        if lab[b] < first:
            first = lab[b]
    return first


@internal
def pickup_leg(kd, r, d, driven):
    """``(cost, work seconds)`` of the way to depot ``d`` and the stop, for route ``r``.

    ``driven``: the way's seconds are counted elsewhere (under time-dependent travel the
    route's driven seconds, ``rtrav``, time it by its departure, as the evaluator does), so
    only its km and the stop are added here; otherwise its static seconds are.
    """
    rt = kd.rt
    tt, km = travel(kd.tv, rt.start_node[r], kd.dep.node[d])
    if driven:
        tt = ZERO
    work = tt + kd.dep.pickup[d]
    tech = rt.tech[r]
    return kd.w.travel * tt + kd.w.dist * km + kd.tech.labour[tech] * work, work


@internal
def set_pickup(kd, st, r, d, ready):
    """Make route ``r`` start with a stop at depot ``d`` (``d < 0``: no stop).

    ``ready`` is :func:`pickup_ready`'s time. Timing caches of the route are
    stale afterwards (rebuild the route); parts totals are refreshed.
    """
    tech = kd.rt.tech[r]
    lo = st.tech_ptr[tech]
    hi = st.tech_ptr[tech + 1]
    for rr in range(lo, hi):
        st.pick_was[rr] = st.pick[rr]
    st.pick[r] = d
    if d >= 0:
        st.open_t[r] = ready
        st.start_n[r] = kd.dep.node[d]
    else:
        st.open_t[r] = kd.rt.open[r]
        st.start_n[r] = kd.rt.start_node[r]
    if kd.dep.node.shape[0] == 0:
        return
    for s in range(st.rneed.shape[1]):
        used = False
        for rr in range(lo, hi):
            if st.rneed[rr, s] != 0 or st.take[rr, s] != 0:
                used = True
                break
        if used:
            refresh_sku(kd, st, tech, s)


@internal
def parts_valid(kd, st, tech):
    """Whether technician ``tech``'s routes as they stand keep every sku within van and depots.

    ``st.take`` and ``st.dused`` must be current (see :func:`add_parts`).
    """
    takes = st.tbuf
    for s in range(st.rneed.shape[1]):
        if not walk_sku(kd, st, tech, s, NONE, ZERO, NONE, NONE, takes):
            return False
    dstock = kd.dep.stock
    for d in range(st.dused.shape[0]):
        for s in range(st.dused.shape[1]):
            if st.dused[d, s] > _sku_stock(dstock, d, s):
                return False
    return True
