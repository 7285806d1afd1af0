"""The load-balance term in kernels (private): the one home of its incremental form.

The evaluator's term is ``weight × (max − min)`` of the technicians' workloads
(travel + service seconds planned, plus ``recent_workload``), over technicians
with at least one shift. Insertion-based construction (greedy, the search's
re-insertion, live pricing) needs the *change* of that term when one
technician's workload grows by ``dw``; :func:`spread_change` gives it exactly
from what :func:`spread_stats` keeps (the largest load, the smallest, the
smallest of the others, the technician holding the smallest, the next level
above it and how many share it), and :func:`spread_push` is the variant
construction heuristics use, which shares the lift of a tied minimum among
the tied technicians.
"""

from __future__ import annotations

import numpy as np

from .consts import NONE
from .jit import internal

INF = np.inf


@internal
def spread_stats(loads, has, stats):
    """Fill ``stats`` (float64[6]) with ``(max, min, second min, argmin, next level,
    technicians at the min)`` over ``has``.

    The second minimum is the smallest load of the technicians other than the
    argmin (equal to the minimum on a tie; ``inf`` with fewer than two
    technicians); the next level is the smallest load above the minimum
    (``inf`` if none). With no technician, ``max < min`` and the argmin is -1.
    """
    hi = -INF
    lo = INF
    lo2 = INF
    arg = NONE
    for t in range(loads.shape[0]):
        if not has[t]:
            continue
        v = loads[t]
        if v > hi:
            hi = v
        if v < lo:
            lo2 = lo
            lo = v
            arg = t
        elif v < lo2:
            lo2 = v
    above = INF
    tied = 0
    for t in range(loads.shape[0]):
        if has[t]:
            if lo < loads[t] < above:
                above = loads[t]
            elif loads[t] == lo:
                tied += 1
    stats[0] = hi
    stats[1] = lo
    stats[2] = lo2
    stats[3] = arg
    stats[4] = above
    stats[5] = tied


@internal
def spread_change(weight, loads, stats, t, dw):
    """Exact change of ``weight × (max − min)`` when technician ``t``'s load grows by
    ``dw`` >= 0.

    ``stats`` is :func:`spread_stats` of ``loads``; ``t`` has a shift.
    """
    if weight == 0.0:
        return 0.0
    v = loads[t] + dw
    lift = 0.0
    if t == np.int64(stats[3]):  # the one technician at the minimum
        lift = (stats[2] if stats[2] <= v else v) - stats[1]
    return weight * (_max_rise(stats, v) - lift)


@internal
def _max_rise(stats, v):
    """How much a technician's load ``v`` raises the maximum of :func:`spread_stats`."""
    return v - stats[0] if v > stats[0] else 0.0


@internal
def spread_push(weight, loads, stats, t, dw):
    """:func:`spread_change` as construction heuristics see it: the ``k`` technicians tied
    at the minimum each earn ``1/k`` of lifting it.

    With several technicians at the minimum, raising one of them does not move
    the minimum, so the exact change offers no reason to give any of them
    work (a plateau: greedy would leave idle technicians idle). Here raising
    one of ``k`` tied technicians is credited ``1/k`` of the lift of the
    minimum to the next level (or to its new load, if lower): the credits of
    raising all ``k`` add up to the real lift, and with one technician at the
    minimum this is the exact change. Searches accept moves on the exact
    term; this only guides where they insert.
    """
    if weight == 0.0:
        return 0.0
    v = loads[t] + dw
    lift = 0.0
    if loads[t] == stats[1]:
        lift = ((stats[4] if stats[4] <= v else v) - stats[1]) / stats[5]
    return weight * (_max_rise(stats, v) - lift)


@internal
def spread_of(weight, loads, has):
    """``weight × (max − min)`` of ``loads`` over ``has`` (0 with no technician)."""
    if weight == 0.0:
        return 0.0
    hi = -INF
    lo = INF
    for t in range(loads.shape[0]):
        if has[t]:
            v = loads[t]
            if v > hi:
                hi = v
            if v < lo:
                lo = v
    if hi < lo:
        return 0.0
    return weight * (hi - lo)
