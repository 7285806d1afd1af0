"""numba kernel of the exact backends: a small travel matrix from the shared ``travel()``."""

from __future__ import annotations

from numba import njit

from ..evaluate._kernels import travel


@njit(cache=True)
def travel_matrix(tv, nodes, tt, km):
    """Fill ``tt[a, b]`` (seconds) and ``km[a, b]`` for nodes ``nodes[a]`` -> ``nodes[b]``."""
    n = nodes.shape[0]
    for a in range(n):
        for b in range(n):
            t, d = travel(tv, nodes[a], nodes[b])
            tt[a, b] = t
            km[a, b] = d
