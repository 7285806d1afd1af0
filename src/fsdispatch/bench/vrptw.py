"""A pure-VRPTW view of a compiled :class:`~fsdispatch.Problem`, for peer solvers.

Peer routing solvers (OR-Tools, PyVRP, VROOM) know one depot, capacities,
hard time windows and service times, and minimise an arc cost. This module
checks that a problem is nothing more than that and exports it as plain
integer arrays (node 0 = depot, node ``i + 1`` = ticket ``i``).
"""

from __future__ import annotations

import attrs
import numpy as np

from ..errors import UnsupportedProblemError
from ..evaluate._kernels import travel
from ..problem.problem import NO_DEADLINE, Incompatibility, Problem

__all__ = ["VrptwData", "vrptw_data", "why_not_vrptw"]

_OK_CODES = (Incompatibility.OK, Incompatibility.CAPACITY, Incompatibility.SHIFT)


def why_not_vrptw(problem: Problem) -> str | None:
    """Why ``problem`` is not a pure VRPTW, or ``None`` if it is.

    A pure VRPTW has: at least one route; every route starting and ending at
    one common depot; no breaks, parts, skills, exclusions, preferences,
    per-day ticket caps or overtime; one hard window per ticket; service times
    equal for every technician; no SLA deadlines; and an objective made only of
    distance, travel time and unassigned penalties.
    """
    kd = problem.data
    if problem.num_routes == 0:
        return "it has no technician shift"
    nodes = set(kd.rt.start_node.tolist()) | set(kd.rt.end_node.tolist())
    if len(nodes) != 1:
        return (f"technicians start/end at {len(nodes)} different locations; a VRPTW has one "
                "depot")
    if kd.brk.dur.shape[0]:
        return "the scenario has breaks"
    if kd.res.part_sku.shape[0]:
        return "tickets need parts"
    bad = ~np.isin(problem.compatible, np.array(_OK_CODES, dtype=np.int8))
    if bad.any():
        t, i = (int(v) for v in np.argwhere(bad)[0])
        why = Incompatibility(int(problem.compatible[t, i])).name.lower()
        return (f"technicians differ in what they may serve ({why}: technician "
                f"{problem.index.technician_ids[t]!r}, ticket {problem.index.ticket_ids[i]!r})")
    if problem.num_tickets:
        if np.any(np.diff(kd.win.ptr) != 1):
            return "some tickets have several appointment windows"
        if kd.win.soft.any():
            return "some tickets have soft windows"
        if np.any(kd.tech.service != kd.tech.service[0]):
            return "service times differ between technicians (service or skill factors)"
        has_sla = (kd.cost.response_by != NO_DEADLINE) | (kd.cost.resolve_by != NO_DEADLINE)
        if np.any(has_sla & (kd.cost.sla_w > 0)):
            return "some tickets have SLA deadlines"
    if np.any(kd.rt.max_close != kd.rt.close):
        return "technicians may work overtime"
    if np.any(kd.rt.group_cap < NO_DEADLINE):
        return "technicians have a max_tickets_per_day cap"
    if np.any(kd.tech.labour > 0) or kd.w.balance > 0:
        return "the objective has labour or load-balance terms"
    if kd.w.pref > 0 and kd.res.pref_ptr[-1] > 0:
        return "the objective has a technician-preference term"
    return None


@attrs.frozen(eq=False)
class VrptwData:
    """A pure VRPTW in integer arrays; node 0 is the depot, node ``i + 1`` ticket ``i``.

    Attributes
    ----------
    num_clients:
        Number of tickets ``n``.
    duration:
        int64 array of shape ``(n + 1, n + 1)``: travel seconds.
    cost:
        int64 array of shape ``(n + 1, n + 1)``: arc cost, the objective's
        distance and travel-time terms × ``cost_scale``, rounded.
    cost_scale:
        Multiplier from objective units to ``cost`` (a power of ten chosen so
        that the rounding is exact when possible; 10 for Solomon files).
    demand, service, tw_early, tw_late:
        int64 arrays of shape ``(n + 1,)`` (row 0: the depot, with zero demand
        and service and the span of all shifts).
    penalty:
        int64 array of shape ``(n,)``: cost of leaving a ticket out, × ``cost_scale``.
    capacity, open, close:
        int64 arrays of shape ``(num_routes,)``: per vehicle (= route) capacity
        (capped at the total demand) and shift window.
    servable:
        bool array of shape ``(n,)``: some vehicle can serve the ticket on its
        own (``problem.unservable == 0``); peers may leave the others out.
    """

    num_clients: int
    duration: np.ndarray
    cost: np.ndarray
    cost_scale: float
    demand: np.ndarray
    service: np.ndarray
    tw_early: np.ndarray
    tw_late: np.ndarray
    penalty: np.ndarray
    capacity: np.ndarray
    open: np.ndarray
    close: np.ndarray
    servable: np.ndarray

    @property
    def num_vehicles(self) -> int:
        """Number of vehicles (= routes of the problem)."""
        return int(self.capacity.shape[0])

    @property
    def horizon(self) -> int:
        """Latest time anything can happen (seconds)."""
        return int(max(self.close.max(initial=0), self.tw_late.max(initial=0)))


def _scale(values: np.ndarray) -> float:
    for power in range(5):
        scale = 10.0**power
        scaled = values * scale
        if np.all(np.abs(scaled - np.rint(scaled)) < 1e-6):
            return scale
    return 1000.0


def vrptw_data(problem: Problem) -> VrptwData:
    """Export a pure-VRPTW problem as integer arrays for peer solvers.

    Parameters
    ----------
    problem:
        A compiled problem (see :func:`why_not_vrptw` for what it may hold).

    Returns
    -------
    VrptwData

    Raises
    ------
    UnsupportedProblemError
        The problem is not a pure VRPTW; the message says why.
    """
    why = why_not_vrptw(problem)
    if why is not None:
        raise UnsupportedProblemError(f"peer VRPTW solvers cannot take this problem: {why}")
    kd = problem.data
    n = problem.num_tickets
    nodes = np.concatenate([kd.rt.start_node[:1], kd.ticket_node]).astype(np.int64)
    same = nodes[:, None] == nodes[None, :]
    if kd.tv.kind == 0:  # explicit matrix: slice it
        rows = kd.tv.node_row[nodes]
        duration = np.where(same, 0, kd.tv.dur[np.ix_(rows, rows)]).astype(np.int64)
        dist = (np.where(same, 0.0, kd.tv.dist[np.ix_(rows, rows)]) if kd.tv.dist.shape[0]
                else np.zeros((n + 1, n + 1)))
    else:  # geometric: the evaluator's own kernel, pair by pair
        duration = np.zeros((n + 1, n + 1), dtype=np.int64)
        dist = np.zeros((n + 1, n + 1), dtype=np.float64)
        for a in range(n + 1):
            for b in range(n + 1):
                if not same[a, b]:
                    secs, km = travel(kd.tv, nodes[a], nodes[b])
                    duration[a, b] = secs
                    dist[a, b] = km
    raw_cost = kd.w.dist * dist + kd.w.travel * duration
    scale = _scale(raw_cost)
    cost = np.rint(raw_cost * scale).astype(np.int64)
    demand = np.concatenate([[0], kd.res.demand]).astype(np.int64)
    service = np.concatenate([[0], kd.tech.service[0] if n else []]).astype(np.int64)
    open_ = kd.rt.open.astype(np.int64)
    close = kd.rt.close.astype(np.int64)
    tw_early = np.concatenate([[open_.min()], kd.win.start]).astype(np.int64)
    tw_late = np.concatenate([[close.max()], kd.win.end]).astype(np.int64)
    # a window ending before any shift opens (or starting after all close) is
    # left as is: the peers then leave that ticket out
    penalty = np.rint(np.minimum(kd.cost.penalty, 1e12) * scale).astype(np.int64)
    total = int(demand.sum())
    capacity = np.minimum(kd.rt.capacity, max(total, 1)).astype(np.int64)
    servable = problem.unservable == 0
    for arr in (duration, cost, demand, service, tw_early, tw_late, penalty, capacity, open_,
                close, servable):
        arr.setflags(write=False)
    return VrptwData(num_clients=n, duration=duration, cost=cost, cost_scale=scale,
                     demand=demand, service=service, tw_early=tw_early, tw_late=tw_late,
                     penalty=penalty, capacity=capacity, open=open_, close=close,
                     servable=servable)
