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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .problem import NO_DEADLINE, CostData, WindowData
from .reasons import Incompatibility

__all__ = ["csr", "parts_short", "resource_codes", "service_seconds", "skill_codes",
           "ticket_block"]

_I64 = np.int64


def csr(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, flat)`` int64 arrays of a list of integer rows (compressed sparse rows)."""
    ptr = np.zeros(len(rows) + 1, dtype=_I64)
    np.cumsum([len(r) for r in rows], out=ptr[1:])
    flat = np.fromiter((v for r in rows for v in r), dtype=_I64, count=int(ptr[-1]))
    return ptr, flat


def ticket_block(scenario: Any, tickets: Sequence[Any]) -> tuple[WindowData, CostData,
                                                                  np.ndarray]:
    """The window rows, cost rows and outside-the-horizon flags of ``tickets``.

    ``scenario`` gives the horizon, the objective weights and the SLA policy
    (its technicians and tickets are not read). Windows are int64 seconds from
    the horizon start (no window: the whole horizon); an unassigned ticket
    pays its priority's penalty plus the SLA lateness it would have if served
    at the horizon end, so that dropping a late ticket never looks cheaper
    than serving it late.
    """
    horizon, weights = scenario.horizon, scenario.objective
    to_int, hlen, n = horizon.to_internal, horizon.length, len(tickets)
    starts: list[list[int]] = []
    ends: list[list[int]] = []
    soft = np.zeros(n, dtype=np.bool_)
    late_w = np.zeros(n)
    response_by = np.full(n, NO_DEADLINE, dtype=_I64)
    resolve_by = np.full(n, NO_DEADLINE, dtype=_I64)
    priority = np.fromiter((int(t.priority) for t in tickets), dtype=_I64, count=n)
    outside = np.zeros(n, dtype=np.bool_)
    for i, ticket in enumerate(tickets):
        if ticket.windows:
            starts.append([to_int(w.start) for w in ticket.windows])
            ends.append([to_int(w.end) for w in ticket.windows])
            outside[i] = ends[-1][-1] < 0 or starts[-1][0] > hlen
        else:
            starts.append([0])
            ends.append([hlen])
        soft[i] = ticket.window_kind == "soft"
        late_w[i] = weights.window_lateness * ticket.lateness_cost / 60.0
        response, resolve = scenario.deadlines(ticket)
        if response is not None:
            response_by[i] = to_int(response)
        if resolve is not None:
            resolve_by[i] = to_int(resolve)
    ptr, start = csr(starts)
    _, end = csr(ends)
    sla_w = (np.array(weights.sla_array()) / 60.0)[priority]
    sla_at_end = np.maximum(hlen - response_by, 0) + np.maximum(hlen - resolve_by, 0)
    penalty = np.array(weights.unassigned_array())[priority] + sla_w * sla_at_end
    return (WindowData(ptr=ptr, start=start, end=end, soft=soft),
            CostData(late_w=late_w, response_by=response_by, resolve_by=resolve_by,
                     sla_w=sla_w, penalty=penalty, priority=priority), outside)


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


def service_seconds(durations: np.ndarray, factors: np.ndarray, skill_factor: np.ndarray,
                    has_factors: np.ndarray, needed: np.ndarray,
                    too_long: Callable[[int, int, float], Exception]) -> np.ndarray:
    """Service seconds of technicians × tickets (``(T, N)`` int32, at least 1).

    A ticket's ``duration`` times the technician's ``service_factor``, times —
    for a technician with skill factors (``has_factors``) — the largest of
    their factors for the skills the ticket requires (1 for a skill without
    one, or a ticket that requires none). ``skill_factor`` is ``(T, K)`` (1
    where not set) and ``needed`` ``(N, K)`` required levels over the same
    ``K`` skills. int32 keeps the matrix small; validation bounds duration ×
    factors far below 2³¹ − 1, and ``too_long(t, i, seconds)`` builds the error
    raised if a value still does not fit (defence in depth against a wrap).
    """
    service = factors[:, None] * durations[None, :]
    if needed.shape[1]:
        required = needed > 0  # (N, K)
        for t in np.flatnonzero(has_factors).tolist():  # (one (N, K) pass per technician)
            mult = np.where(required, skill_factor[t][None, :], -np.inf).max(axis=1)
            mult[~np.isfinite(mult)] = 1.0
            service[t] *= mult
    service = np.maximum(np.rint(service), 1.0)
    over = ~(service <= np.iinfo(np.int32).max)  # also catches NaN
    if over.any():
        t_idx, i = (int(k) for k in np.argwhere(over)[0])
        raise too_long(t_idx, i, float(service[t_idx, i]))
    return service.astype(np.int32)
