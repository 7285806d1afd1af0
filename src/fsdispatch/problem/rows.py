"""Row builders of the compiler (the first of them): rules every path that builds or grows
a :class:`~fsdispatch.problem.problem.Problem` applies in the same function.

:func:`~fsdispatch.problem.compile.compile_scenario` builds whole matrices,
:mod:`fsdispatch.problem.extend` one ticket's column and the live desk one
technician's row; each calls the rules here so that they cannot drift apart
(issue #16: one rule, one place). Precedence of the incompatibility codes:
SKILL > LEVEL (:func:`skill_codes`) > PART > EXCLUDED > CAPACITY
(:func:`resource_codes`); SHIFT comes from reachability, later.
"""

from __future__ import annotations

import numpy as np

from .reasons import Incompatibility

__all__ = ["parts_short", "resource_codes", "skill_codes"]


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


def skill_codes(held: np.ndarray, needed: np.ndarray) -> np.ndarray:
    """``SKILL`` / ``LEVEL`` codes of technicians × tickets (``(T, N)`` int8, 0 elsewhere).

    ``held`` is ``(T, K)`` skill levels of the technicians (0: not held), ``needed``
    ``(N, K)`` the levels the tickets require (0: not required). ``SKILL`` (a required
    skill not held) wins over ``LEVEL`` (held below the required level).
    """
    codes = np.zeros((held.shape[0], needed.shape[0]), dtype=np.int8)
    for k in range(needed.shape[1]):
        need = needed[:, k]
        if not need.any():
            continue
        have = held[:, k]
        codes[((have[:, None] > 0) & (have[:, None] < need[None, :])) & (codes == 0)] = \
            Incompatibility.LEVEL
        codes[(have[:, None] == 0) & (need[None, :] > 0)] = Incompatibility.SKILL
    return codes


def resource_codes(codes: np.ndarray, van: np.ndarray, part_ptr: np.ndarray,
                   part_sku: np.ndarray, part_qty: np.ndarray, depot: np.ndarray,
                   excluded: np.ndarray, tech_cap: np.ndarray, demand: np.ndarray) -> None:
    """Add ``PART``, ``EXCLUDED`` and ``CAPACITY`` to ``codes`` (``(T, N)``, in place) where it
    is 0, in that precedence.

    ``van`` is ``(T, S)`` van stock, ``part_*`` the tickets' parts (CSR over the
    ``N`` tickets), ``depot`` ``(D, S)`` depot stock (:func:`parts_short`),
    ``excluded`` ``(T, N)`` bool customer exclusions, ``tech_cap`` ``(T,)`` the
    technicians' capacity and ``demand`` ``(N,)`` the tickets' demand.
    """
    for i in np.flatnonzero(np.diff(part_ptr) > 0).tolist():
        lo, hi = part_ptr[i], part_ptr[i + 1]
        skus = part_sku[lo:hi]
        short = parts_short(van[:, skus], part_qty[lo:hi], depot[:, skus])
        codes[short & (codes[:, i] == 0), i] = Incompatibility.PART
    codes[excluded & (codes == 0)] = Incompatibility.EXCLUDED
    codes[(tech_cap[:, None] < demand[None, :]) & (codes == 0)] = Incompatibility.CAPACITY
