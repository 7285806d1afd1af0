"""numba kernel of assignment mode: travel estimate and serve-first timing per (route, ticket)."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernels.consts import TRUE
from ..kernels.timing import T_INF, advance, choose_end, sla_late, travel, window_late


@njit(cache=True)
def serve_first(tv, win, cost, brk, rt, service, ticket_node, est, km, start, late_cost, sla,
                wlate):
    """Fill the ``(R, N)`` arrays of :class:`~fsdispatch.problem.assignment.AssignmentData`.

    The serve-first start is the schedule rule's start of ``j`` as the
    route's only visit (breaks placed by the rule; the relaxed rule when the
    route cannot serve ``j`` at all).
    """
    for r in range(est.shape[0]):
        tech = rt.tech[r]
        base = brk.ptr[r]
        nbr = brk.ptr[r + 1] - base
        lab0 = np.full(nbr + 1, T_INF, dtype=np.int64)
        lab0[0] = rt.open[r]
        pc0 = np.zeros(nbr + 1)
        lab1 = np.empty(nbr + 1, dtype=np.int64)
        pc1 = np.empty(nbr + 1)
        pred1 = np.empty(nbr + 1, dtype=np.int64)
        for j in range(est.shape[1]):
            node = ticket_node[j]
            t_out, k_out = travel(tv, rt.start_node[r], node)
            t_back, k_back = travel(tv, node, rt.end_node[r])
            est[r, j] = (t_out + t_back + 1) // 2
            km[r, j] = 0.5 * (k_out + k_back)
            svc = np.int64(service[tech, j])
            s = rt.open[r] + t_out
            for strict in (True, False):
                if advance(tv, rt.start_node[r], node, win, cost, brk, base, nbr, j, svc, t_out,
                           TRUE, lab0, pc0, lab1, pc1, pred1, strict, rt.max_close[r]):
                    b, _ret = choose_end(tv, node, rt.end_node[r], brk, base, nbr, lab1, pc1,
                                         t_back, strict, rt.max_close[r])
                    if b >= 0:
                        s = lab1[b] - svc
                        break
            start[r, j] = s
            e = s + svc
            sl = sla_late(cost, j, s, e)
            sla[r, j] = sl
            c = cost.sla_w[j] * sl
            if win.soft[j]:
                wl = window_late(win, j, s)
                wlate[r, j] = wl
                c += cost.late_w[j] * wl
            late_cost[r, j] = c
