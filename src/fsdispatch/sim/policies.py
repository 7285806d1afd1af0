"""Dispatch policies: one small protocol, each deciding through the live dispatcher API.

A policy never moves technicians itself: it plans through
:class:`~fsdispatch.Dispatcher` (``insert``, ``add``, ``reoptimize``,
``recommend``…); the simulator's technicians then drive the live plan.
Writing one takes a few lines::

    class Mine(BasePolicy):
        name = "mine"

        def on_ticket(self, view, ticket_id):
            view.dispatcher.insert(ticket_id, max_moved=0)
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

from .state import SimView

__all__ = [
    "BasePolicy",
    "BatchReoptimize",
    "GrabPoolPolicy",
    "GreedyInsertion",
    "ManualZones",
    "NearestIdle",
    "Policy",
    "get_policy",
]


@runtime_checkable
class Policy(Protocol):
    """What the simulator calls; every hook decides through ``view.dispatcher``.

    Attributes
    ----------
    name:
        Label in results.
    tick:
        Seconds between :meth:`on_tick` calls during working hours, or ``None``.

    A policy may also set ``use_positions = True``: the simulator's position
    pings (``simulate(positions=...)``) then reach its dispatcher.
    """

    name: str
    tick: int | None

    def start_day(self, view: SimView) -> None:
        """A new working day: open tickets carried over are registered as open."""

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """A ticket arrived (or is open again) and is registered as open, unplanned."""

    def on_idle(self, view: SimView, technician_id: str) -> None:
        """A technician on shift has nothing planned."""

    def on_tick(self, view: SimView) -> None:
        """Periodic call (every :attr:`tick` seconds during working hours)."""


class BasePolicy:
    """No-op hooks: subclass and override what you need."""

    name = "base"
    tick: int | None = None
    #: Feed the simulator's position pings to the dispatcher (``simulate(positions=...)``).
    use_positions: bool = False

    def start_day(self, view: SimView) -> None:
        """Do nothing."""

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """Do nothing."""

    def on_idle(self, view: SimView, technician_id: str) -> None:
        """Do nothing."""

    def on_tick(self, view: SimView) -> None:
        """Do nothing."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class GreedyInsertion(BasePolicy):
    """Morning plan with a backend, then each arrival inserted at once (bounded disruption).

    Parameters
    ----------
    morning_solver:
        Backend of the morning plan (default ``"greedy"``).
    max_moved:
        Disruption bound of :meth:`Dispatcher.insert` (other tickets moved).
    use_positions:
        Use the simulator's position pings (``simulate(positions=...)``).
    """

    name = "greedy-insertion"

    def __init__(self, morning_solver: str = "greedy", max_moved: int = 2,
                 time_limit: float = 1.0, *, use_positions: bool = False) -> None:
        self.use_positions = use_positions
        self.morning_solver = morning_solver
        self.max_moved = max_moved
        self.time_limit = time_limit

    def start_day(self, view: SimView) -> None:
        """Plan the carried-over backlog."""
        assert view.dispatcher is not None
        view.dispatcher.plan_day(solver=self.morning_solver, time_limit=self.time_limit,
                                 seed=view.solver_seed())

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """Insert now."""
        assert view.dispatcher is not None
        view.dispatcher.insert(ticket_id, max_moved=self.max_moved, actor="policy")


class BatchReoptimize(BasePolicy):
    """Collect arrivals and re-plan the rest of the day every ``interval`` seconds.

    Parameters
    ----------
    solver:
        Any registered backend (``"greedy"``, ``"ls"``, ``"cpsat"``, ``"milp"``).
    interval:
        Seconds between re-plans (default 1 h).
    time_limit:
        Wall-clock limit per re-plan (seconds).
    urgent_insert:
        Insert P1 tickets at once instead of waiting for the batch.
    """

    def __init__(self, solver: str = "ls", interval: int = 3600, time_limit: float = 0.5,
                 urgent_insert: bool = True) -> None:
        self.solver = solver
        self.tick = int(interval)
        self.time_limit = time_limit
        self.urgent_insert = urgent_insert
        self.name = f"batch-{solver}"

    def start_day(self, view: SimView) -> None:
        """Morning plan with the backend."""
        self.on_tick(view)

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """Urgent (P1) tickets are inserted at once; others wait for the batch."""
        d = view.dispatcher
        assert d is not None
        if self.urgent_insert and int(d.ticket(ticket_id).priority) == 1:
            d.insert(ticket_id, actor="policy")

    def on_tick(self, view: SimView) -> None:
        """Re-plan everything not started."""
        d = view.dispatcher
        assert d is not None
        d.reoptimize(solver=self.solver, time_limit=self.time_limit, seed=view.solver_seed(),
                     actor="policy")


class NearestIdle(BasePolicy):
    """Each ticket goes to the nearest idle technician able to do it; if none, it waits.

    An idle technician takes the waiting ticket nearest to them. Candidates come
    from :meth:`Dispatcher.recommend` (so skills, parts and shifts are respected)
    and are ranked by added travel, not by cost.
    """

    name = "nearest-idle"

    def __init__(self, k: int = 50) -> None:
        self.k = k

    def start_day(self, view: SimView) -> None:
        """Nothing planned ahead: technicians pull work when idle."""

    def _options(self, view: SimView, ticket_id: str) -> list[tuple[float, str]]:
        d = view.dispatcher
        assert d is not None
        rec = d.recommend(ticket_id, k=self.k)
        return [(o.travel_added.total_seconds(), o.technician_id) for o in rec.options]

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """Give it to the nearest idle technician, if any."""
        idle = set(view.idle_technicians())
        if not idle:
            return
        d = view.dispatcher
        assert d is not None
        for _, tech in sorted(o for o in self._options(view, ticket_id) if o[1] in idle):
            res = d.insert(ticket_id, technician_id=tech, max_moved=0, actor="policy")
            if res.placed:
                return

    def on_idle(self, view: SimView, technician_id: str) -> None:
        """Take the nearest waiting ticket this technician can do."""
        d = view.dispatcher
        assert d is not None
        best: tuple[float, str] | None = None
        for t in view.open_tickets():
            if d.assignment(t) is not None:
                continue
            for travel, tech in self._options(view, t):
                if tech == technician_id and (best is None or travel < best[0]):
                    best = (travel, t)
        if best is not None:
            d.insert(best[1], technician_id=technician_id, max_moved=0, actor="policy")


class ManualZones(BasePolicy):
    """A dispatcher's baseline: fixed zones (sectors around the centre), round-robin inside.

    Technicians belong to the zone of their home; a ticket goes to the next
    technician of its zone (round-robin) who can take it without moving
    anyone, else to any technician of another zone, else it waits for the
    next morning's plan of the backlog (greedy).

    Parameters
    ----------
    zones:
        Number of angular sectors.
    """

    name = "manual-zones"

    def __init__(self, zones: int = 4) -> None:
        self.zones = zones
        self._rr: dict[int, int] = {}

    def _zone(self, x: float, y: float, cx: float, cy: float) -> int:
        angle = math.atan2(y - cy, x - cx) % (2 * math.pi)
        return int(angle / (2 * math.pi) * self.zones) % self.zones

    def start_day(self, view: SimView) -> None:
        """Morning: the backlog is dealt round-robin too."""
        d = view.dispatcher
        assert d is not None
        techs = d.scenario.technicians
        cx = sum(t.start_location.x for t in techs) / max(len(techs), 1)
        cy = sum(t.start_location.y for t in techs) / max(len(techs), 1)
        self._center = (cx, cy)
        self._members: dict[int, list[str]] = {}
        for t in techs:
            z = self._zone(t.start_location.x, t.start_location.y, cx, cy)
            self._members.setdefault(z, []).append(t.id)
        for ticket_id in view.open_tickets():
            if d.assignment(ticket_id) is None:
                self.on_ticket(view, ticket_id)

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """Round-robin within the ticket's zone, then other zones."""
        d = view.dispatcher
        assert d is not None
        loc = d.ticket(ticket_id).location
        z = self._zone(loc.x, loc.y, *self._center)
        order = [z] + [o for o in sorted(self._members) if o != z]
        for zone in order:
            members = self._members.get(zone, [])
            n = len(members)
            start = self._rr.get(zone, 0)
            for k in range(n):
                tech = members[(start + k) % n]
                res = d.insert(ticket_id, technician_id=tech, max_moved=0, actor="policy")
                if res.placed:
                    self._rr[zone] = (start + k + 1) % n
                    return


class GrabPoolPolicy(BasePolicy):
    """Tickets are offered to the ``k`` best technicians; the first idle one claims it.

    Uses :class:`~fsdispatch.GrabPool`; unclaimed offers are auto-dispatched
    when they time out (checked every ``tick``).
    """

    name = "grab-pool"

    def __init__(self, k: int = 3, timeout: int = 1800) -> None:
        self.k = k
        self.timeout = timeout
        self.tick = 600
        self._pool: Any = None
        self._owner: object = None

    def _get(self, view: SimView) -> Any:
        from ..live import GrabPool

        if self._owner is not view.dispatcher:
            assert view.dispatcher is not None
            self._pool = GrabPool(view.dispatcher, timeout=self.timeout, k=self.k)
            self._owner = view.dispatcher
        return self._pool

    def start_day(self, view: SimView) -> None:
        """Morning plan of the backlog (greedy)."""
        assert view.dispatcher is not None
        view.dispatcher.plan_day(solver="greedy")

    def on_ticket(self, view: SimView, ticket_id: str) -> None:
        """Publish; an idle offered technician claims it at once."""
        pool = self._get(view)
        d = view.dispatcher
        assert d is not None
        offer = pool.publish(ticket_id)
        idle = set(view.idle_technicians())
        for tech in offer.eligible:
            if tech in idle and pool.claim(ticket_id, tech).accepted:
                return

    def on_tick(self, view: SimView) -> None:
        """Expire offers past their timeout (auto-dispatch)."""
        self._get(view).expire()


_POLICIES = {
    "greedy-insertion": GreedyInsertion,
    "batch-greedy": lambda: BatchReoptimize("greedy"),
    "batch-ls": lambda: BatchReoptimize("ls"),
    "nearest-idle": NearestIdle,
    "manual-zones": ManualZones,
}


def get_policy(name: str | Policy) -> Policy:
    """A policy by name (``greedy-insertion``, ``batch-greedy``, ``batch-ls``,
    ``nearest-idle``, ``manual-zones``) or the policy itself."""
    if not isinstance(name, str):
        return name
    from ..errors import SimulationError

    try:
        factory = _POLICIES[name]
    except KeyError:
        raise SimulationError(f"unknown policy {name!r}; available: "
                              f"{', '.join(sorted(_POLICIES))}") from None
    policy: Policy = factory()  # type: ignore[operator]
    return policy
