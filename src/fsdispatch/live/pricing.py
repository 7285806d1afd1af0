"""Pricing one insertion by objective term (private): the one home of the breakdown.

``recommend``'s options, ``insert`` and ``explain`` all price an insertion
with the kernels :func:`~fsdispatch.live._kernels.price_routes` (the total)
and :func:`~fsdispatch.live._kernels.insertion_detail` (its timing and
routing terms); :func:`insertion_terms` turns the latter into the terms of
the evaluator's objective, the load-balance change included, so that the
terms always sum to the priced total.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["TERMS", "insertion_terms"]

TERMS = ("travel", "distance", "lateness", "overtime", "labour", "preference", "load_balance")
"""The objective terms an insertion changes, in the order they are reported (an option with
a depot stop also has ``depot_stop``, the stop's routing cost)."""


def insertion_terms(kd: Any, st: Any, r: int, j: int, p: int,
                    det: tuple[Any, ...]) -> dict[str, float]:
    """The objective change of inserting ticket ``j`` at position ``p`` of route ``r``, by
    term (objective units); ``det`` is ``insertion_detail`` of that insertion."""
    (_ok, _a, _s, _e, d_trav, d_km, d_late, d_ot, _ret, labour, pref) = det
    w = kd.w
    balance = 0.0
    if w.balance > 0:
        from ._kernels import balance_change

        balance = float(balance_change(kd, np.int64(r), np.int64(j), np.int64(p), st))
    return {"travel": float(w.travel * d_trav), "distance": float(w.dist * d_km),
            "lateness": float(d_late), "overtime": float(w.overtime * d_ot),
            "labour": float(labour), "preference": float(pref), "load_balance": balance}
