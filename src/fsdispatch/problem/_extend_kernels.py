"""numba kernels of :mod:`fsdispatch.problem.extend` (private)."""

from __future__ import annotations

from numba import njit

from ..evaluate._kernels import _reach_route


@njit(cache=True)
def reach_serial(tv, win, brk, rt, service, compat, demand, ticket_node, out):
    """:func:`~fsdispatch.evaluate._kernels.reachability`, route by route on one thread.

    For a handful of tickets (one appended ticket) a parallel region costs
    more to start than the work itself; the per-route rule is the same kernel.
    """
    for r in range(out.shape[0]):
        _reach_route(tv, win, brk, rt, service, compat, demand, ticket_node, r, out)
