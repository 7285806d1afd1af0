"""Node moves of the ``ls`` descent (private): relocate, swap and moves into an unused
route, each staged in ``cand`` and settled on the exact objective (:func:`settle`).

Each move is one of HGS's granular neighbourhood moves (Vidal 2022): ticket ``a`` is
moved next to one of its nearest tickets ``b``, exchanged with it, or it and the rest
of its route open an unused route. Every move is priced by rebuilding the routes it
changes with the shared schedule rule, so every field-service rule holds.
"""

from __future__ import annotations

from numba import njit

from ...kernels.consts import NONE, ONE
from ...kernels.jit import internal
from ...kernels.routes import route_resources
from ._state import insert_ticket, mark_changed, position_of, remove_span, settle, touch


@internal
def _fits(kd, st, r, j):
    """Whether ticket ``j`` may go to route ``r`` at all (skills, width)."""
    return kd.tech.compat[kd.rt.tech[r], j] == 0 and st.length[r] + 1 < st.seq.shape[1]


@njit(cache=True)
def try_relocate(kd, cd, cur, cand, buf, prm, cur_obj, a, b, after):
    """Move ``a`` right after (``after`` = 1) or before (0) ``b`` (same route or another).

    (``after`` and ``tail`` are int64 flags: literal booleans would compile one
    specialisation each.)"""
    st = cand.st
    r1 = cand.route_of[a]
    r2 = cand.route_of[b]
    if r1 < 0 or r2 < 0 or a == b or cd.locked[a]:
        return cur_obj
    p1 = position_of(st, r1, a)
    pb = position_of(st, r2, b)
    if r1 == r2:
        if (after == 1 and p1 == pb + 1) or (after == 0 and p1 == pb - 1):
            return cur_obj  # already there
    elif not _fits(kd, st, r2, a):
        return cur_obj
    remove_span(kd, cd, cand, buf, r1, p1, p1 + 1)
    pb = position_of(st, r2, b)
    insert_ticket(kd, cand, buf, r2, a, pb + 1 if after == 1 else pb)
    return settle(kd, cd, cur, cand, buf, prm, cur_obj)


@njit(cache=True)
def try_swap(kd, cd, cur, cand, buf, prm, cur_obj, a, b):
    """Exchange ``a`` and ``b`` of two different routes."""
    st = cand.st
    r1 = cand.route_of[a]
    r2 = cand.route_of[b]
    if r1 < 0 or r2 < 0 or r1 == r2 or cd.locked[a] or cd.locked[b]:
        return cur_obj
    if kd.tech.compat[kd.rt.tech[r2], a] != 0 or kd.tech.compat[kd.rt.tech[r1], b] != 0:
        return cur_obj
    p1 = position_of(st, r1, a)
    p2 = position_of(st, r2, b)
    touch(buf, r1)
    touch(buf, r2)
    route_resources(kd, st, r1, NONE)
    route_resources(kd, st, r2, NONE)
    st.seq[r1, p1] = b
    st.seq[r2, p2] = a
    cand.route_of[a] = r2
    cand.route_of[b] = r1
    mark_changed(buf, a)
    mark_changed(buf, b)
    route_resources(kd, st, r1, ONE)
    route_resources(kd, st, r2, ONE)
    return settle(kd, cd, cur, cand, buf, prm, cur_obj)


@internal
def empty_route_for(kd, cd, sol, j):
    """The nearest unused route able to serve ``j`` (of its nearest routes), or -1."""
    for q in range(cd.near_ptr[j], cd.near_ptr[j + 1]):
        r = cd.near_route[q]
        if r >= 0 and sol.st.length[r] == 0:
            return r
    return NONE


@njit(cache=True)
def try_to_empty(kd, cd, cur, cand, buf, prm, cur_obj, a, tail):
    """Open an unused route with ``a`` alone (``tail`` = 0), or (1) with ``a`` and every
    visit after it in its route (2-opt* with an empty route)."""
    st = cand.st
    r1 = cand.route_of[a]
    if r1 < 0 or cd.locked[a]:
        return cur_obj
    re = empty_route_for(kd, cd, cand, a)
    if re < 0:
        return cur_obj
    p1 = position_of(st, r1, a)
    n1 = st.length[r1]
    hi = n1 if tail == 1 else p1 + 1
    if p1 == 0 and hi == n1:
        return cur_obj  # the whole route: the same route elsewhere
    for k in range(p1, hi):
        if cd.locked[st.seq[r1, k]] or kd.tech.compat[kd.rt.tech[re], st.seq[r1, k]] != 0:
            return cur_obj
    if hi - p1 + 1 >= st.seq.shape[1]:
        return cur_obj
    touch(buf, r1)
    touch(buf, re)
    route_resources(kd, st, r1, NONE)
    for k in range(p1, hi):
        j = st.seq[r1, k]
        st.seq[re, k - p1] = j
        cand.route_of[j] = re
        mark_changed(buf, j)
    st.length[re] = hi - p1
    for k in range(hi, n1):
        st.seq[r1, k - (hi - p1)] = st.seq[r1, k]
    for k in range(n1 - (hi - p1), n1):
        st.seq[r1, k] = -1
    st.length[r1] = n1 - (hi - p1)
    route_resources(kd, st, r1, ONE)
    route_resources(kd, st, re, ONE)
    return settle(kd, cd, cur, cand, buf, prm, cur_obj)
