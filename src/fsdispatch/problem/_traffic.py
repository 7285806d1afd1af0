"""The compiled arrays of time-dependent travel (private; called by ``compile_scenario``).

A speed profile or a daily list of matrices is unrolled over the problem's
horizon into absolute period starts (seconds from the horizon origin, in its
time zone) with a factor or a matrix per period; see
:mod:`fsdispatch.domain.traffic` for the rule and ``kernels/timing.py``
(``leg_time``) for the kernel. The static ``dur`` / ``travel_time`` become a
lower bound of every departure's travel, so pruning and bounds stay valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..domain.traffic import TimeDependentMatrix, TimeDependentTravel, unroll
from ..units import DAY, Horizon
from .problem import TravelData

__all__ = ["is_time_dependent", "time_dependent_block"]


def is_time_dependent(travel: Any) -> bool:
    """Whether a scenario's ``travel`` is time-dependent (its kernel data then has
    ``TravelData.prof`` set, see :func:`time_dependent_block`)."""
    return isinstance(travel, (TimeDependentTravel, TimeDependentMatrix))


def time_dependent_block(tv: TravelData, travel: Any, horizon: Horizon) -> TravelData:
    """``tv`` (the static arrays of the base model or of the first period's matrix) with
    the time-dependent arrays of ``travel`` filled in (``tv`` itself when static)."""
    lo, hi = 0, horizon.length + 2 * DAY
    if isinstance(travel, TimeDependentTravel):
        starts, factors = unroll(travel.profile, horizon.start, lo, hi)
        fac = np.array(factors, dtype=np.float64)
        lbf = 1.0 / float(fac.max())
        pdur = np.zeros((0, 0, 0), dtype=np.int64)
        dur = tv.dur
        if tv.kind == 0:  # the base durations for the kernel; ``dur`` their lower bound
            pdur = np.ascontiguousarray(tv.dur[None, :, :], dtype=np.int64)
            dur = np.floor(tv.dur * lbf).astype(np.int64)
        return tv._replace(td=1, lbf=lbf, dur=dur,
                           prof=_pack(starts, fac, np.zeros(starts.shape[0]), pdur))
    if isinstance(travel, TimeDependentMatrix):
        starts, which = unroll(travel, horizon.start, lo, hi)
        pdur = np.ascontiguousarray(travel.stacked(), dtype=np.int64)
        return tv._replace(td=2, lbf=1.0, dur=np.ascontiguousarray(pdur.min(axis=0)),
                           prof=_pack(starts, np.ones(starts.shape[0]),
                                      np.array(which, dtype=np.float64), pdur))
    return tv


def _pack(starts: np.ndarray, fac: np.ndarray, which: np.ndarray,
          pdur: np.ndarray) -> np.ndarray:
    """``TravelData.prof``: ``[P, Q, M, starts, factors, matrix of each period, matrices]``."""
    q, m = (pdur.shape[0], pdur.shape[1]) if pdur.size else (0, 0)
    head = np.array([starts.shape[0], q, m], dtype=np.float64)
    out = np.concatenate([head, starts.astype(np.float64), fac, which,
                          pdur.astype(np.float64).ravel()])
    out.setflags(write=False)
    return out


def leg_departure(tv: Any, a: int, b: int, arrival: int, tt: int) -> tuple[int, int]:
    """``(departure, seconds)`` of the leg ``a -> b`` that arrives at ``arrival``: static
    travel leaves ``tt`` (the leg's :func:`~fsdispatch.kernels.timing.travel_time`) before;
    time-dependent travel leaves at the latest time that still arrives by ``arrival``
    (the arrival is non-decreasing in the departure: a search)."""
    if not int(tv.td) or a == b:
        return arrival - tt, tt
    from ..kernels.timing import leg_time

    def arrive(t: int) -> int:
        return t + int(leg_time(tv, a, b, np.int64(tt), np.int64(t)))

    step = max(int(tt), 1)
    lo = arrival - step
    while arrive(lo) > arrival:
        step *= 2
        lo = arrival - step
    hi = arrival  # arrive(lo) <= arrival < arrive(hi + 1) is kept
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if arrive(mid) <= arrival:
            lo = mid
        else:
            hi = mid - 1
    return lo, arrival - lo
