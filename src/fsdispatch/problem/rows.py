"""Row builders of the compiler (the first of them): rules every path that builds or grows
a :class:`~fsdispatch.problem.problem.Problem` applies in the same function.

:func:`~fsdispatch.problem.compile.compile_scenario` builds whole matrices,
:mod:`fsdispatch.problem.extend` one ticket's column and the live desk one
technician's row; each calls the rules here so that they cannot drift apart
(issue #16: one rule, one place).
"""

from __future__ import annotations

import numpy as np

__all__ = ["parts_short"]


def parts_short(van: np.ndarray, qty: np.ndarray, depot_held: np.ndarray) -> np.ndarray:
    """Which technicians can never bring a ticket's parts: the ``PART`` incompatibility.

    ``van`` is ``(T, P)`` units of the ticket's ``P`` skus in each technician's
    van, ``qty`` the ``(P,)`` units the ticket needs, ``depot_held`` ``(D, P)``
    the units each depot holds. A technician is short when the van lacks some
    of it and no single depot holds all that the van lacks (one depot stop per
    route picks up the shortfall).
    """
    short = np.any(van < qty[None, :], axis=1)
    if depot_held.shape[0] and short.any():
        gap = np.maximum(qty[None, :] - van, 0)  # (T, P)
        short &= ~np.any(np.all(depot_held[None, :, :] >= gap[:, None, :], axis=2), axis=1)
    return short
