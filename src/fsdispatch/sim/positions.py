"""Position pings in the simulator: technicians report where they are along their legs.

With ``simulate(..., positions=PositionPings(every=300))`` each simulated leg
(a technician driving to a ticket, with its noisy realised travel time) emits
a :class:`PositionPing` every ``every`` seconds of driving, at the point
reached by linear interpolation between the leg's origin and the ticket
(``f = elapsed / realised travel``). With a :class:`~fsdispatch.MatrixTravel`
there is no point between two matrix locations, so the ping is at the nearer
end: the origin for the first half of the leg, then the ticket.

Every ping is recorded (``SimResult.positions``); it reaches the dispatcher
(:meth:`~fsdispatch.Dispatcher.update_position`) only when the policy's
``use_positions`` is true, so two runs with the same seed compare a policy
that uses positions with one that does not. On a leg slower than planned, the
pings re-time the arrival (the rule of :mod:`fsdispatch.live.positions`) and
the rest of the technician's day follows before they arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ..domain.location import Location
from ..domain.traffic import matrix_of
from ..errors import ValidationError

if TYPE_CHECKING:
    from ..live import Dispatcher

__all__ = ["PositionPing", "PositionPings"]


@attrs.frozen
class PositionPings:
    """The option of :func:`~fsdispatch.sim.simulate` that emits position pings along legs.

    Parameters
    ----------
    every:
        Seconds of driving between two pings of a leg (default 300, at least 1).
    """

    every: int = 300

    def __attrs_post_init__(self) -> None:
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValidationError.for_field(
                "PositionPings", None, "every", self.every, "must be an integer >= 1 (seconds)"
            )


@attrs.frozen(slots=True)
class PositionPing:
    """A technician reports a position (a simulator event and a record of the run).

    Attributes
    ----------
    tech, ticket_id:
        Who reports, and the ticket they are driving to.
    time:
        Simulation seconds of the ping.
    location:
        Where they are.
    gen:
        The technician's job generation (a ping of a job that sickness interrupted is void).
    """

    kind: ClassVar[str] = "ping"
    tech: str
    ticket_id: str
    time: int
    location: Location
    gen: int


def _between(a: Location, b: Location, f: float, matrix: bool) -> Location:
    if matrix:
        return a if f < 0.5 else b
    return attrs.evolve(a, x=a.x + f * (b.x - a.x), y=a.y + f * (b.y - a.y), id=None)


class Pinger:
    """Schedules the pings of each leg and feeds them to the dispatcher (private to the
    simulator: ``_Sim`` calls :meth:`leg` when a technician leaves, and the engine
    calls :meth:`on_ping`)."""

    def __init__(self, sim: Any, option: PositionPings, priority: int) -> None:
        self.sim = sim
        self.priority = priority
        self.every = option.every
        self.use = bool(getattr(sim.policy, "use_positions", False))
        self.matrix = matrix_of(sim.scenario.travel) is not None
        self.records: list[PositionPing] = []
        sim.engine.on(PositionPing.kind, self.on_ping)

    def leg(self, d: Dispatcher, tech: str, ticket_id: str, start: int, travel: int) -> None:
        """A technician left at ``start`` for ``ticket_id``, arriving after ``travel`` s."""
        if travel <= self.every:
            return
        state = d.live_state
        origin = state.last_pos.get(tech)
        if origin is None:
            techn = state.techs[tech]
            origin = (
                techn.shift_start_location(techn.shifts[0])
                if techn.shifts
                else techn.start_location
            )
        dest = state.tickets[ticket_id].location
        gen = self.sim.gen.get(tech, 0)
        for t in range(self.every, travel, self.every):
            where = _between(origin, dest, t / travel, self.matrix)
            self.sim.engine.schedule(
                start + t, PositionPing(tech, ticket_id, start + t, where, gen), self.priority
            )

    def on_ping(self, ev: PositionPing) -> None:
        """Record the ping; with a policy that uses positions, tell the ticket's dispatcher."""
        sim = self.sim
        visit = sim.open_visit.get(ev.tech)
        if (
            ev.gen != sim.gen.get(ev.tech, 0)
            or visit is None
            or visit.ticket_id != ev.ticket_id
            or visit.outcome != "travel"
        ):
            return  # the leg was interrupted (sickness, cancellation)
        self.records.append(ev)
        if not self.use:
            return
        d = sim.owner.get(ev.ticket_id)
        if d is None or ev.tech not in d.live_state.techs:
            return
        now = sim.now_dt()
        if d.now < now:
            d.set_clock(now)
        d.update_position(ev.tech, ev.location, now)
