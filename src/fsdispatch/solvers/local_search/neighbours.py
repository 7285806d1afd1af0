"""Granular neighbourhoods: each ticket's nearest other tickets.

Geometric travel models use a KD-tree (scipy) on the ticket coordinates —
planar km as they are, latitude/longitude as points on the unit sphere — so
the cost is ``O(N log N)`` and no distance matrix is built. Explicit travel
matrices are ranked by their symmetrised durations row by row.
"""

from __future__ import annotations

import numpy as np

from ...problem.problem import TRAVEL_EUCLIDEAN, TRAVEL_MATRIX, Problem

__all__ = ["nearest_tickets"]


def nearest_tickets(problem: Problem, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other tickets of every ticket, nearest first.

    Parameters
    ----------
    problem:
        The compiled problem.
    k:
        Neighbours per ticket (fewer when there are fewer tickets).

    Returns
    -------
    ptr, nb:
        CSR int64 arrays: the neighbours of ticket ``j`` are
        ``nb[ptr[j]:ptr[j + 1]]``. Tickets at the same location count as
        neighbours at distance 0.
    """
    kd = problem.data
    num_tickets = problem.num_tickets
    k = int(min(max(k, 0), max(num_tickets - 1, 0)))
    ptr = np.arange(num_tickets + 1, dtype=np.int64) * k
    if k == 0:
        return ptr, np.zeros(0, dtype=np.int64)
    nodes = kd.ticket_node
    tv = kd.tv
    if tv.kind == TRAVEL_MATRIX:
        rows = tv.node_row[nodes]
        nb = np.empty((num_tickets, k), dtype=np.int64)
        block = 1024  # rows at a time: memory stays O(block × N), not O(N²)
        for lo in range(0, num_tickets, block):
            hi = min(lo + block, num_tickets)
            dur = (tv.dur[np.ix_(rows[lo:hi], rows)].astype(np.float64)
                   + tv.dur[np.ix_(rows, rows[lo:hi])].T)
            dur[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
            part = np.argpartition(dur, k - 1, axis=1)[:, :k]
            dist = np.take_along_axis(dur, part, axis=1)
            order = np.argsort(dist, axis=1, kind="stable")
            nb[lo:hi] = np.take_along_axis(part, order, axis=1)
        return ptr, nb.ravel()
    from scipy.spatial import cKDTree

    if tv.kind == TRAVEL_EUCLIDEAN:
        points = np.column_stack([tv.x[nodes], tv.y[nodes]])
    else:  # haversine: longitude/latitude radians -> unit sphere
        lon, lat = tv.x[nodes], tv.y[nodes]
        points = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                  np.sin(lat)])
    tree = cKDTree(points)
    _dist, idx = tree.query(points, k=k + 1)
    idx = np.asarray(idx, dtype=np.int64).reshape(num_tickets, k + 1)
    # drop the ticket itself, wherever ties among equal points put it
    keys = np.where(idx == np.arange(num_tickets)[:, None], k + 1, np.arange(k + 1))
    order = np.argsort(keys, axis=1, kind="stable")
    out = np.take_along_axis(idx, order, axis=1)[:, :k]
    return ptr, np.ascontiguousarray(out).ravel()
