"""Crew jobs in the simulator, and what one day's desk hands to the next.

A crew ticket (``crew_size = k``) is dispatched by the live desk as ``k`` member
tickets (``T``, ``T~crew2``, ...; :mod:`fsdispatch.live.crew`), each on its own
technician's route, pinned to one common start. The simulator drives each member like
any ticket (``start_travel``, ``arrive``), but the work starts only when **all**
members are on site: a member who arrives first waits (on site, its expected end moved
by ``report_overrun``), and when the last one arrives one service time is drawn for the
crew and every member completes at its end. The ticket's record (SLA, completion,
follow-up) is the crew ticket's; each member's visit is a visit of its technician.

A member interrupted (its technician falls ill) interrupts the crew: the partners on the
way or on site stop too, and the desk places the crew again, whole (or holds it).

At midnight, open crews move to the next day's desk as crew tickets (the new desk
places them first); :func:`week_done` is each technician's work of the week so far,
carried into the next day's scenario (``Technician.week_work_done``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain import Technician, Ticket
from ..live import TicketState
from ..units import DAY
from .events import JobCompletes, JobOverruns, TechnicianReady
from .events import TechnicianStatus as Status

if TYPE_CHECKING:
    from ..live import Dispatcher
    from .state import Visit

__all__ = ["CrewSync", "week_done"]

S = TicketState


def week_done(tech: Technician, day: datetime, visits: list[Visit], first: datetime,
              to_internal: Any) -> int:
    """The technician's work (travel plus service, leaving to finishing) in ``day``'s
    calendar week before ``day``: the visits of earlier days that week, and the scenario's
    ``week_work_done`` when that week holds the run's start ``first`` (the next day's desk
    caps ``max_weekly_work`` with it)."""
    if tech.max_weekly_work is None and tech.weekly_overtime_after is None:
        return tech.week_work_done
    monday = (day - timedelta(days=day.weekday())).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
    lo, hi = to_internal(monday), to_internal(day)
    done = sum(v.end - v.depart for v in visits
               if v.technician_id == tech.id and lo <= v.depart < hi)
    if monday <= first < monday + timedelta(days=7):
        done += tech.week_work_done
    return min(max(done, 0), 7 * DAY)


class CrewSync:
    """The simulator's crew bookkeeping (see the module docstring)."""

    def __init__(self, sim: Any, priorities: tuple[int, int, int]) -> None:
        self.sim = sim
        self.p_complete, self.p_overrun, self.p_ready = priorities
        self.crew_of: dict[str, str] = {}  # member ticket id -> crew ticket id
        self.waiting: dict[str, list[tuple[str, str, int]]] = {}  # crew -> (tech, member, gen)
        self.done: dict[str, int] = {}  # crew -> members completed
        self.member: dict[str, str] = {}  # technician -> the member ticket it is on

    def key(self, ticket_id: str) -> str:
        """The ticket id the simulator's records use (a member's crew ticket)."""
        return self.crew_of.get(ticket_id, ticket_id)

    def learn(self, d: Dispatcher) -> None:
        """Note the crews of a desk (their member ids)."""
        for member, crew in d.live_state.crew_of.items():
            self.crew_of[member] = crew

    def carry(self, old: Dispatcher, carried: dict[str, Ticket]) -> None:
        """Open crews of ``old`` move to the next desk whole, as crew tickets; their member
        entries leave ``carried``."""
        self.learn(old)
        for crew, ids in old.live_state.crews.items():
            for t in ids:
                carried.pop(t, None)
            states = [old.state(t) for t in ids]
            if all(s.is_open or s == S.ON_HOLD for s in states):
                carried[crew] = self.sim.tickets[crew]

    def cancellable(self, d: Dispatcher, ticket_id: str) -> bool:
        """Whether a customer's cancellation still applies (a crew: no member started)."""
        if ticket_id not in d.live_state.crews:
            return d.state(ticket_id).is_open
        states = [d.state(t) for t in d.live_state.crews[ticket_id]]
        return all(s.is_open or s == S.ON_HOLD for s in states)

    def arrive(self, d: Dispatcher, tech: str, member: str, gen: int) -> bool:
        """A member is on site: ``False`` for a one-technician ticket (the simulator goes
        on); for a crew, the work starts when the last member arrives (``True``)."""
        crew = self.crew_of.get(member)
        if crew is None:
            return False
        sim = self.sim
        now = sim.engine.now
        rec = sim.records[crew]
        if rec.first_on_site is None:
            rec.first_on_site = now
        here = self.waiting.setdefault(crew, [])
        here.append((tech, member, gen))
        ids = d.live_state.crews[crew]
        if len(here) < len(ids):
            return True  # waits on site for the others
        del self.waiting[crew]
        rec.visits += 1
        a = sim.arrivals[crew]
        planned = max(sim.planned_service.get(m, int(a.ticket.duration)) for _t, m, _g in here)
        real = max(round(planned * a.duration_factor), 60)
        end = sim.to_dt(now + planned)  # what the desk expects: the crew's planned service
        for t, m, g in here:
            if d.live_state.jobs[m].expected_end != end:
                d.report_overrun(m, expected_end=end, actor="simulator")
            if real > planned + 300:
                sim.engine.schedule(now + planned, JobOverruns(t, m, now + real, g),
                                    self.p_overrun)
            sim.engine.schedule(now + real, JobCompletes(t, m, g), self.p_complete)
        return True

    def complete(self, member: str) -> bool:
        """A member finished: whether the crew ticket is now done (its last member)."""
        crew = self.crew_of.get(member)
        if crew is None:
            return True
        self.done[crew] = self.done.get(crew, 0) + 1
        return self.done[crew] == sum(1 for c in self.crew_of.values() if c == crew)

    def interrupt_partners(self, tech: str, member: str) -> list[str]:
        """The member ``tech`` was on is interrupted: its partners on the way or on site
        stop too (their visits end ``interrupted``); returns their member ids."""
        crew = self.crew_of.get(member)
        if crew is None:
            return []
        sim = self.sim
        self.waiting.pop(crew, None)
        out = []
        for other, m in list(self.member.items()):
            if other == tech or self.crew_of.get(m) != crew or other not in sim.open_visit:
                continue
            sim.gen[other] = sim.gen.get(other, 0) + 1  # its pending events are void
            v = sim.open_visit.pop(other)
            now = sim.engine.now
            if now < v.arrive:
                sim.techrec[other].travel -= v.arrive - now
                v.travel -= v.arrive - now
                v.arrive = now
            else:
                sim.techrec[other].service += now - v.arrive
            v.end, v.outcome = now, "interrupted"
            sim.visits.append(v)
            sim.status[other] = Status.OFF
            sim.engine.schedule(now, TechnicianReady(other), self.p_ready)
            out.append(m)
        return out
