"""numba kernel of assignment mode: travel estimate and serve-first timing per (route, ticket)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..evaluate._kernels import sla_late, step, travel, window_late


@njit(cache=True)
def serve_first(tv, win, cost, brk, rt, service, ticket_node, est, km, start, late_cost, sla,
                wlate):
    """Fill the ``(R, N)`` arrays of :class:`~fsdispatch.problem.assignment.AssignmentData`."""
    scratch = np.empty(brk.dur.shape[0] + 1, dtype=np.int64)
    for r in range(est.shape[0]):
        tech = rt.tech[r]
        for j in range(est.shape[1]):
            node = ticket_node[j]
            t_out, k_out = travel(tv, rt.start_node[r], node)
            t_back, k_back = travel(tv, node, rt.end_node[r])
            est[r, j] = (t_out + t_back + 1) // 2
            km[r, j] = 0.5 * (k_out + k_back)
            svc = np.int64(service[tech, j])
            _a, s, e, _b, _late = step(win, brk, r, rt.open[r], brk.ptr[r], j, svc, t_out,
                                       scratch)
            start[r, j] = s
            sl = sla_late(cost, j, s, e)
            sla[r, j] = sl
            c = cost.sla_w[j] * sl
            if win.soft[j]:
                wl = window_late(win, j, s)
                wlate[r, j] = wl
                c += cost.late_w[j] * wl
            late_cost[r, j] = c
