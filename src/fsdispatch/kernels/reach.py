"""What reachability implies for each ticket (numba; private).

Given which routes can serve which tickets alone (the reachability matrix), the
routes per ticket, the ``SHIFT`` incompatibility of technicians none of whose
shifts reaches an otherwise compatible ticket, and the unservable reason of each
ticket no route reaches. The compiler, the one-ticket growth of a problem and
the live refresh all call it (through
:func:`fsdispatch.problem.reasons.routes_and_reasons`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .consts import ZERO

__all__ = ["ticket_side"]


@njit(cache=True)
def ticket_side(reach, r_tech, pre, outside, by_best, shift_code, outside_code, no_shift_code):
    """Compatibility, routes per ticket and unservable reasons from a reachability matrix.

    ``compat`` is ``pre`` with ``shift_code`` where a technician may serve a
    ticket but none of its routes reaches it; ``(t_ptr, t_routes)`` lists the
    routes reaching each ticket (ascending); ``unservable`` is 0 for a ticket some
    route reaches, else ``outside_code`` for a ticket outside the horizon, else
    ``no_shift_code`` when a technician fails only on shifts (or there is none),
    else ``by_best`` of the highest incompatibility code among the technicians
    (the one blocking those furthest along). Called through
    :func:`fsdispatch.problem.reasons.routes_and_reasons`.
    """
    num_r, n = reach.shape
    num_t = pre.shape[0]
    compat = pre.copy()
    t_ptr = np.zeros(n + 1, dtype=np.int64)
    for j in range(n):
        c = ZERO
        for r in range(num_r):
            c += reach[r, j]
        t_ptr[j + 1] = t_ptr[j] + c
    t_routes = np.empty(t_ptr[n], dtype=np.int64)
    tech_reach = np.zeros(num_t, dtype=np.bool_)
    unservable = np.zeros(n, dtype=np.int8)
    for j in range(n):
        tech_reach[:] = False
        k = t_ptr[j]
        for r in range(num_r):
            if reach[r, j]:
                t_routes[k] = r
                k += 1
                tech_reach[r_tech[r]] = True
        any_shift = False
        best = ZERO
        for t in range(num_t):
            if compat[t, j] == 0 and not tech_reach[t]:
                compat[t, j] = shift_code
            if compat[t, j] == shift_code:
                any_shift = True
            if compat[t, j] > best:
                best = compat[t, j]
        if t_ptr[j + 1] == t_ptr[j]:
            if outside[j]:
                unservable[j] = outside_code
            elif num_t == 0 or any_shift:
                unservable[j] = no_shift_code
            else:
                unservable[j] = by_best[best]
    return compat, t_ptr, t_routes, unservable
