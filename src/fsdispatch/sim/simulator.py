"""The simulator: days of arrivals, technicians driving the live plan, policies deciding.

One :class:`~fsdispatch.Dispatcher` per calendar day holds that day's shifts;
at midnight the open tickets carry over to the next day's dispatcher. The
technicians follow the live plan: a technician who is free takes the first
ticket of their planned route (``start_travel``), arrives after a noisy
travel time (``arrive``), works a noisy service time (``report_overrun`` when
it runs long, then ``complete``). The simulator has no dispatch logic of its own.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import numpy as np

from ..domain import Asset, Scenario, Technician, Ticket
from ..errors import SimulationError, ValidationError
from ..live import Dispatcher, TicketState
from ..random import SeedLike, spawn
from ..units import DAY, HOUR, Horizon
from .crews import CrewSync, week_done
from .demand import FittedDemand
from .engine import Engine
from .events import (
    ArrivesOnSite,
    BreakEnds,
    CustomerCancels,
    CustomerNotHome,
    DayStarts,
    FallsIll,
    JobCompletes,
    JobOverruns,
    PolicyTick,
    Sample,
    TechnicianReady,
    TicketArrives,
    Timer,
)
from .events import TechnicianStatus as Status
from .models import (
    Arrival,
    DemandModel,
    ServiceModel,
    SimConfig,
    bind_to_assets,
    draw_arrivals,
)
from .outcome import SimResult
from .parts import PartsModel, PartsTracker, VanStockPolicy
from .policies import BasePolicy, Policy, get_policy
from .positions import Pinger, PositionPings
from .state import SimView, TechnicianRecord, TicketRecord, Visit

__all__ = ["SimResult", "simulate"]

logger = logging.getLogger(__name__)

# same-time order: day roll-over, completions, arrivals on site, cancellations,
# new tickets, policy ticks, technicians looking for work, samples
_P_DAY, _P_COMPLETE, _P_ARRIVE, _P_CANCEL, _P_TICKET, _P_TICK, _P_READY, _P_SAMPLE = range(8)
_P_SICK = _P_CANCEL
_BUSY = frozenset({Status.TRAVEL, Status.ON_SITE, Status.BREAK, Status.ABSENT, Status.SICK})
#: random streams spawned from a replication seed: arrivals, service outcomes,
#: travel noise, solver, mid-day sickness, parts (the first four as before, so
#: adding a stream changes no earlier draw)
_NUM_STREAMS = 6


def _technicians(scenario: Scenario) -> tuple[Technician, ...]:
    return scenario.technicians


def _config_scenario(config: SimConfig) -> tuple[Scenario, datetime]:
    from ..generate import generate_scenario

    start = config.start or datetime(2026, 1, 5, tzinfo=UTC)
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    demand = config.demand
    scenario = generate_scenario(config.num_technicians, 0, seed=config.workforce_seed,
                                 days=config.days, start_date=start, center=demand.center,
                                 radius_km=demand.radius_km, num_parts=0)
    techs = tuple(attrs.evolve(t, shifts=tuple(s for s in t.shifts
                                               if s.start.weekday() in config.working_days),
                               recent_workload=0, max_tickets_per_day=None)
                  for t in scenario.technicians)
    return attrs.evolve(scenario, technicians=techs), start


class _Sim:
    def __init__(self, scenario: Scenario, origin: datetime, days: int, arrivals: list[Arrival],
                 service: ServiceModel, policy: Policy, seed: SeedLike,
                 streams: list[np.random.Generator], absences: np.ndarray,
                 progress: Callable[[int], None] | None = None,
                 sync_tolerance: int = 300, sickness: np.ndarray | None = None,
                 parts: PartsTracker | None = None,
                 needs: dict[str, tuple[str, ...]] | None = None,
                 positions: PositionPings | None = None) -> None:
        self.scenario = scenario
        self.origin = origin
        self.days = days
        self.service = service
        self.policy = policy
        self.travel_rng = streams[2]
        self.solver_rng = streams[3]
        self.engine = Engine(0)
        self.view = SimView(self)
        self.d: Dispatcher | None = None
        self.owner: dict[str, Dispatcher | None] = {}
        self.pending: dict[str, Ticket] = {}  # open, waiting for a day with shifts
        self.arrivals = {a.ticket.id: a for a in arrivals}
        self.records: dict[str, TicketRecord] = {}
        self.tickets: dict[str, Ticket] = {}
        self.techrec = {t.id: TechnicianRecord(t.id) for t in scenario.technicians}
        self.tech_k = {t.id: k for k, t in enumerate(scenario.technicians)}
        self.team_of = {t.id: t.team for t in scenario.technicians}
        self.status: dict[str, Status] = {}
        self.pos_busy: dict[str, tuple[int, int, str]] = {}  # tech -> (from, to, ticket)
        self.shift: dict[str, tuple[int, int, int]] = {}  # tech -> (start, end, overtime)
        self.brk: dict[str, tuple[int, int, int]] = {}  # tech -> (window start, end, dur)
        self.visits: list[Visit] = []
        self.open_visit: dict[str, Visit] = {}
        self.planned_service: dict[str, int] = {}
        self.visited: set[str] = set()
        self.backlog: list[tuple[int, int]] = []
        self.open_count = 0
        self.absences = absences
        # (num_technicians, days): fraction of the shift at which the technician
        # falls ill, or NaN (drawn up front from the sickness stream)
        self.sickness = sickness
        self.gen: dict[str, int] = {}  # per technician: events of older jobs are void
        self.parts = parts
        self.needs = needs or {}
        self.day_index = -1
        self.day_scenarios: list[Scenario | None] = []
        self.progress = progress
        self.sla = scenario.sla_policy
        self.fresh: dict[int, int] = {}
        self.on_shift: set[str] = set()
        self.wants_idle = getattr(type(policy), "on_idle", None) is not BasePolicy.on_idle
        self.sync_tolerance = sync_tolerance
        self.crews = CrewSync(self, (_P_COMPLETE, _P_ARRIVE, _P_READY))  # sim/crews.py
        e = self.engine
        for kind in ("day", "ticket", "cancel", "ready", "arrive", "overrun", "complete",
                     "not_home", "tick", "sample", "timer", "break_end", "sick"):
            e.on(kind, getattr(self, "_on_" + kind))
        for a in arrivals:
            e.schedule(a.time, TicketArrives(a), _P_TICKET)
            if a.cancel_at is not None:
                e.schedule(a.cancel_at, CustomerCancels(a.ticket.id), _P_CANCEL)
        for d in range(days):
            e.schedule(d * DAY, DayStarts(d), _P_DAY)
        for h in range(0, days * 24 + 1):
            e.schedule(h * HOUR, Sample(), _P_SAMPLE)
        if policy.tick:
            e.schedule(int(policy.tick), PolicyTick(), _P_TICK)
        self.pinger = None if positions is None else Pinger(self, positions, _P_ARRIVE)

    # ------------------------------------------------------------- helpers
    def to_dt(self, t: int) -> datetime:
        return self.origin + timedelta(seconds=int(t))

    def now_dt(self) -> datetime:
        return self.to_dt(self.engine.now)

    def sync(self, d: Dispatcher | None = None) -> Dispatcher:
        """Bring the dispatcher to now before a policy decides.

        ``advance`` (which re-plans what the clock made impossible) when the
        live problem was last rebuilt more than ``sync_tolerance`` ago; else
        only the clock moves (technician events rebuild it all the time).
        """
        d = d or self.d
        assert d is not None
        now = self.now_dt()
        if d.now < now:
            if self.engine.now - self.fresh.get(id(d), -DAY) > self.sync_tolerance:
                d.advance(now)
                self.fresh[id(d)] = self.engine.now
            else:
                d.set_clock(now)
        return d

    def clock(self, d: Dispatcher) -> Dispatcher:
        """Set the clock only, before a technician event (which rebuilds the live problem)."""
        now = self.now_dt()
        if d.now < now:
            d.set_clock(now)
        self.fresh[id(d)] = self.engine.now
        return d

    def record(self, ticket: Ticket, now: int, follow_up_of: str | None) -> TicketRecord:
        resp = reso = None
        if self.sla is not None:
            target = self.sla.target_for(ticket.priority, ticket.customer_tier)
            if target is not None:
                resp = None if target.response is None else int(target.response)
                reso = None if target.resolution is None else int(target.resolution)
        rec = TicketRecord(ticket.id, now, int(ticket.priority), ticket.customer_tier,
                           ticket.category, resp, reso, follow_up_of=follow_up_of)
        self.records[ticket.id] = rec
        self.tickets[ticket.id] = ticket
        return rec

    def _first_scheduled(self, event: Any) -> None:
        if event.kind == "transition" and event.to_state == TicketState.SCHEDULED:
            rec = self.records.get(event.ticket_id)
            if rec is not None and rec.first_scheduled is None:
                rec.first_scheduled = self.engine.now

    # ---------------------------------------------------------------- days
    def _on_day(self, ev: DayStarts) -> None:
        day = ev.day
        self.day_index = day
        if self.parts is not None and day > 0:
            self.parts.restock(self.now_dt())
        carried: dict[str, Ticket] = dict(self.pending)
        if self.d is not None:
            old = self.d
            for t in old.lifecycle.tickets():
                if old.state(t).is_open:
                    carried[t] = old.ticket(t)
            self.crews.carry(old, carried)  # open crews move whole, as crew tickets
        start, end = self.to_dt(day * DAY), self.to_dt((day + 1) * DAY)
        techs: list[Technician] = []
        for k, tech in enumerate(self.scenario.technicians):
            shifts = tuple(s for s in tech.shifts if start <= s.start < end)
            busy = tech.id in self.open_visit  # a job running past midnight goes on
            if not shifts:
                if not busy:
                    self.status[tech.id] = Status.OFF
                continue
            if self.absences[k, day]:
                if not busy:
                    self.status[tech.id] = Status.ABSENT
                self.techrec[tech.id].absences += 1
                continue
            techs.append(attrs.evolve(tech, shifts=shifts[:1], week_work_done=week_done(
                tech, start, self.visits, self.scenario.horizon.start, self.to_internal)))
        if not techs:
            self.d = None
            self.on_shift = set()
            self.pending = carried
            self.day_scenarios.append(None)
            for t in carried:
                self.owner[t] = None
            return
        scenario = attrs.evolve(self.scenario, horizon=Horizon(start, end),
                                technicians=tuple(techs), tickets=tuple(carried.values()))
        self.day_scenarios.append(scenario)
        self.on_shift = {t.id for t in techs}
        self.d = Dispatcher(scenario, now=start)
        self.crews.learn(self.d)
        self.d.log.subscribe(self._first_scheduled, kinds={"transition"})
        self.pending = {}
        for t in carried:
            self.owner[t] = self.d
        for tech in techs:
            sh = tech.shifts[0]
            s0, s1 = self.to_internal(sh.start), self.to_internal(sh.end)
            self.shift[tech.id] = (s0, s1, int(tech.max_overtime))
            if sh.breaks:
                b = sh.breaks[0]
                self.brk[tech.id] = (self.to_internal(b.window.start),
                                     self.to_internal(b.window.end), int(b.duration))
            else:
                self.brk.pop(tech.id, None)
            if tech.id not in self.open_visit:
                self.status[tech.id] = Status.OFF
            self.techrec[tech.id].days_worked += 1
            self.techrec[tech.id].shift_time += s1 - s0
            self.engine.schedule(s0, TechnicianReady(tech.id), _P_READY)
            frac = np.nan if self.sickness is None else self.sickness[self.tech_k[tech.id], day]
            if not np.isnan(frac):
                self.engine.schedule(s0 + int(frac * (s1 - s0)), FallsIll(tech.id, day),
                                     _P_SICK)
        self.policy.start_day(self.view)

    def to_internal(self, when: datetime) -> int:
        return int((when - self.origin).total_seconds())

    # ------------------------------------------------------------- tickets
    def _on_ticket(self, ev: TicketArrives) -> None:
        a: Arrival = ev.arrival
        ticket = a.ticket
        if a.follow_up_of is not None:
            ticket = attrs.evolve(ticket, created_at=self.now_dt())
        self.arrivals[ticket.id] = a
        rec = self.record(ticket, self.engine.now, a.follow_up_of)
        rec.parts_needed = self.needs.get(ticket.id, ())
        self.open_count += 1
        if self.progress is not None:
            self.progress(1)
        d = self.d
        if d is None:
            self.pending[ticket.id] = ticket
            self.owner[ticket.id] = None
            return
        self.sync(d)
        if a.follow_up_of is not None and a.follow_up_of in d.lifecycle:
            d.follow_up(a.follow_up_of, ticket, redispatch=False, actor="customer")
        else:
            d.add(ticket, actor="customer")
        self.crews.learn(d)
        self.owner[ticket.id] = d
        self.policy.on_ticket(self.view, ticket.id)
        self.kick()

    def _on_cancel(self, ev: CustomerCancels) -> None:
        t = ev.ticket_id
        rec = self.records.get(t)
        if rec is None or rec.outcome != "open" or t in self.visited:
            return
        if t in self.pending:
            del self.pending[t]
        else:
            d = self.owner.get(t)
            if d is None or not self.crews.cancellable(d, t):
                return
            self.clock(d)
            d.cancel(t, actor="customer", reason="cancelled by the customer")
        rec.cancelled = self.engine.now
        self.open_count -= 1
        self.kick()

    # ---------------------------------------------------------- technicians
    def kick(self) -> None:
        """Idle technicians with planned work start it (the others stay idle)."""
        d = self.d
        if d is None or Status.IDLE not in self.status.values():
            return
        for tech in d.planned_technicians():
            if self.status.get(tech) == Status.IDLE:
                self.engine.schedule(self.engine.now, TechnicianReady(tech), _P_READY)
                self.status[tech] = Status.WAKING

    def _first_planned(self, d: Dispatcher, tech: str) -> str | None:
        route = d.route(tech)
        return route[0] if route else None

    def _on_ready(self, ev: TechnicianReady | BreakEnds) -> None:
        tech = ev.tech
        if self.status.get(tech) in _BUSY:
            return
        now = self.engine.now
        d = self.d
        sh = self.shift.get(tech)
        if d is None or sh is None or tech not in self.on_shift \
                or now >= sh[1] + sh[2] or now < sh[0]:
            self.status[tech] = Status.OFF
            return
        b = self.brk.get(tech)
        if b is not None and b[0] <= now and now + b[2] <= b[1]:
            self.brk.pop(tech)
            self.status[tech] = Status.BREAK
            self.engine.schedule(now + b[2], BreakEnds(tech, self.gen.get(tech, 0)), _P_READY)
            return
        nxt = self._first_planned(d, tech)
        if nxt is None:
            self.status[tech] = Status.IDLE
            if self.wants_idle:
                self.sync(d)
                self.policy.on_idle(self.view, tech)
            if self.status.get(tech) != Status.IDLE:
                return
            nxt = self._first_planned(d, tech)
            if nxt is None:
                return
        self.go(d, tech, nxt)

    def _void(self, ev: BreakEnds | ArrivesOnSite | JobOverruns | JobCompletes
              | CustomerNotHome) -> bool:
        """The event belongs to a job (or break) that sickness interrupted."""
        return ev.gen != self.gen.get(ev.tech, 0)

    def _on_break_end(self, ev: BreakEnds) -> None:
        if self._void(ev):
            return
        self.status[ev.tech] = Status.OFF
        self._on_ready(ev)

    def go(self, d: Dispatcher, tech: str, ticket_id: str) -> None:
        now = self.engine.now
        self.clock(d)
        eta = d.start_travel(ticket_id, tech)
        nominal = max(int((eta.start - self.now_dt()).total_seconds()), 0)
        self.planned_service[ticket_id] = int((eta.end - eta.start).total_seconds())
        sigma = self.service.travel_sigma
        noise = float(np.exp(self.travel_rng.normal(-sigma * sigma / 2, sigma))) if sigma else 1.0
        travel = round(nominal * noise)
        self.status[tech] = Status.TRAVEL
        key = self.crews.key(ticket_id)  # a crew member's visit is on the crew ticket
        visit = Visit(tech, key, self.day_index, now, now + travel, now + travel, "travel",
                      travel)
        self.open_visit[tech] = visit
        self.crews.member[tech] = ticket_id
        self.visited.add(key)
        self.techrec[tech].travel += travel
        self.engine.schedule(now + travel, ArrivesOnSite(tech, ticket_id, self.gen.get(tech, 0)),
                             _P_ARRIVE)
        if self.pinger is not None:  # position pings along the leg (sim/positions.py)
            self.pinger.leg(d, tech, ticket_id, now, travel)

    def _owner(self, ticket_id: str) -> Dispatcher:
        d = self.owner.get(self.crews.key(ticket_id))
        if d is None:
            raise SimulationError(f"ticket {ticket_id!r} has no dispatcher")
        return d

    def _on_arrive(self, ev: ArrivesOnSite) -> None:
        if self._void(ev):
            return
        tech, t = ev.tech, ev.ticket_id
        d = self.clock(self._owner(t))
        now = self.engine.now
        d.arrive(t)
        self.status[tech] = Status.ON_SITE
        if self.crews.arrive(d, tech, t, ev.gen):
            return  # a crew member: the work starts when all are on site (sim/crews.py)
        rec = self.records[t]
        a = self.arrivals[t]
        rec.visits += 1
        if a.not_home and rec.failed_visits == 0 and rec.first_on_site is None:
            rec.failed_visits += 1
            self.engine.schedule(now + self.service.not_home_wait,
                                 CustomerNotHome(tech, t, ev.gen), _P_COMPLETE)
            return
        if rec.first_on_site is None:
            rec.first_on_site = now
        planned = self.planned_service.get(t, int(a.ticket.duration))
        real = max(round(planned * a.duration_factor), 60)
        if real > planned + 300:
            self.engine.schedule(now + planned, JobOverruns(tech, t, now + real, ev.gen),
                                 _P_ARRIVE)
        self.engine.schedule(now + real, JobCompletes(tech, t, ev.gen), _P_COMPLETE)

    def _on_overrun(self, ev: JobOverruns) -> None:
        if self._void(ev):
            return
        t = ev.ticket_id
        d = self.clock(self._owner(t))
        if d.state(t) == TicketState.ON_SITE:
            d.report_overrun(t, expected_end=self.to_dt(ev.end))

    def _finish_visit(self, tech: str, outcome: str) -> None:
        now = self.engine.now
        v = self.open_visit.pop(tech)
        v.end, v.outcome = now, outcome
        self.visits.append(v)
        tr = self.techrec[tech]
        tr.service += now - v.arrive
        sh = self.shift.get(tech)
        if sh is not None and now > sh[1]:
            tr.overtime += now - max(sh[1], v.depart)
        self.status[tech] = Status.OFF
        self.engine.schedule(now, TechnicianReady(tech), _P_READY)

    def _on_not_home(self, ev: CustomerNotHome) -> None:
        if self._void(ev):
            return
        tech, t = ev.tech, ev.ticket_id
        d = self.sync(self._owner(t))
        d.hold(t, reason="customer not at home", actor=tech)
        d.release(t, redispatch=False, actor="dispatcher")
        self.visited.discard(t)
        self._finish_visit(tech, "not_home")
        self._reopen(d, t)

    def _reopen(self, d: Dispatcher, t: str) -> None:
        """A released (open) ticket: the policy is asked; from an earlier day's desk it
        moves to today's."""
        if d is self.d:
            if t not in self.crews.crew_of:  # (a crew is placed again whole by the desk)
                self.policy.on_ticket(self.view, t)
            return
        # the visit began on an earlier day: the ticket (a crew: whole) moves to today's desk
        ticket = self.tickets[self.crews.key(t)] if t in self.crews.crew_of else d.ticket(t)
        d.cancel(t, actor="simulator", reason="moved to the next day's desk")
        t = ticket.id
        if self.d is None:
            self.pending[t] = ticket
            self.owner[t] = None
            return
        self.sync(self.d)
        self.d.add(ticket, actor="simulator")
        self.crews.learn(self.d)
        self.owner[t] = self.d
        self.policy.on_ticket(self.view, t)
        self.kick()

    def _on_sick(self, ev: FallsIll) -> None:
        """The technician falls ill: absent for the rest of the day, the job in progress
        interrupted (open again), their planned tickets re-planned by the desk."""
        tech = ev.tech
        now = self.engine.now
        if tech not in self.on_shift or self.day_index != ev.day:
            return
        self.gen[tech] = self.gen.get(tech, 0) + 1  # pending events of this job are void
        tr = self.techrec[tech]
        tr.sick_days += 1
        tr.sick_at.append(now)
        sh = self.shift.get(tech)
        if sh is not None:
            tr.shift_time -= max(sh[1] - now, 0)
        self.on_shift.discard(tech)
        self.brk.pop(tech, None)
        self.status[tech] = Status.SICK
        interrupted: str | None = None
        v = self.open_visit.pop(tech, None)
        if v is not None:
            interrupted = self.crews.member.get(tech, v.ticket_id)  # (a crew: the member)
            if now < v.arrive:  # still on the road: only the time driven counts
                tr.travel -= v.arrive - now
                v.travel -= v.arrive - now
                v.arrive = now
            else:
                tr.service += now - v.arrive
            v.end, v.outcome = now, "interrupted"
            self.visits.append(v)
            self.records[v.ticket_id].interruptions += 1
        d = self.d
        planned: list[str] = []
        if d is not None:
            self.clock(d)
            planned = list(d.route(tech))
            d.technician_absent(tech, actor="simulator")
        if interrupted is not None:
            od = self._owner(interrupted)
            self.clock(od)
            if od is not d:  # a job from an earlier day's desk: that desk puts it on hold
                od.hold(interrupted, reason=f"technician {tech} fell ill", actor="simulator")
            for partner in self.crews.interrupt_partners(tech, interrupted):  # crew stops
                od.hold(partner, reason=f"crew member {tech} fell ill", actor="simulator")
            od.release(interrupted, redispatch=False, actor="simulator")
            self.visited.discard(interrupted)
            self._reopen(od, interrupted)
        if d is not None:
            for t in planned:  # what the desk's repair could not place is offered again
                if t != interrupted and d.state(t).is_open and d.assignment(t) is None:
                    self.policy.on_ticket(self.view, t)
        self.kick()

    def _on_complete(self, ev: JobCompletes) -> None:
        if self._void(ev):
            return
        tech, t = ev.tech, ev.ticket_id
        d = self.clock(self._owner(t))
        d.complete(t)
        if not self.crews.complete(t):  # a crew ticket is done with its last member
            self.techrec[tech].visits_done += 1
            self._finish_visit(tech, "done")
            return
        t = self.crews.key(t)
        now = self.engine.now
        rec = self.records[t]
        rec.completed = now
        rec.technician_id = tech
        self.open_count -= 1
        self.techrec[tech].visits_done += 1
        a = self.arrivals[t]
        missing: tuple[str, ...] = ()
        if self.parts is not None:
            if a.follow_up_of is None:
                missing = self.parts.visit(tech, t, rec.parts_needed, self.now_dt())
            else:
                self.parts.deliver(tech, t, self.now_dt())
        if (missing or self.service.ftf_fails(a, self.team_of.get(tech))) \
                and a.follow_up_of is None:
            rec.needs_follow_up = True
            fu_id = f"{t}-F1"
            if missing:  # a stock-out: the follow-up's parts are known and ordered now
                rec.stockout = True
                assert self.parts is not None
                self.parts.order(fu_id, rec.parts_needed, self.now_dt())
                self.needs[fu_id] = rec.parts_needed
            fu = Arrival(time=now + self.service.follow_up_delay,
                         ticket=attrs.evolve(a.ticket, id=fu_id, created_at=None,
                                             response_by=None, resolve_by=None),
                         duration_factor=a.follow_up_factor, follow_up_of=t)
            self.engine.schedule(fu.time, TicketArrives(fu), _P_TICKET)
        else:
            orig = self.records.get(a.follow_up_of) if a.follow_up_of else rec
            if orig is not None:
                orig.resolved = now
        self._finish_visit(tech, "done")

    # ------------------------------------------------------------- policy
    def _on_tick(self, ev: PolicyTick) -> None:
        now = self.engine.now
        tick = self.policy.tick
        assert tick
        if self.d is not None and any(s[0] <= now < s[1] for tech, s in self.shift.items()
                                      if tech in self.on_shift):
            self.sync()
            self.policy.on_tick(self.view)
            self.kick()
        if now + tick < self.days * DAY:
            self.engine.schedule(now + tick, PolicyTick(), _P_TICK)

    def _on_timer(self, ev: Timer) -> None:
        ev.callback(self.view)
        self.kick()

    def _on_sample(self, ev: Sample) -> None:
        self.backlog.append((self.engine.now, self.open_count))
        if self.parts is not None:
            self.parts.sample()

    def run(self) -> None:
        self.engine.run(self.days * DAY)
        for _tech, v in list(self.open_visit.items()):
            v.end, v.outcome = self.engine.now, "open_at_horizon"
            self.visits.append(v)


def _replay(scenario: Scenario, origin: datetime, days: int, service: ServiceModel,
            srng: np.random.Generator) -> list[Arrival]:
    """A scenario's tickets as arrivals at their ``created_at``, outcomes drawn per ticket."""
    out = []
    for ticket in sorted(scenario.tickets, key=lambda t: (t.created_at or origin, t.id)):
        at = 0 if ticket.created_at is None else max(
            int((ticket.created_at - origin).total_seconds()), 0)
        if at >= days * DAY:
            continue
        sigma = float(service.duration_sigma.get(ticket.category, service.default_sigma))
        z = srng.normal(-sigma * sigma / 2, sigma, 2) if sigma > 0 else np.zeros(2)
        u = srng.random(4)
        cancel = int(at + srng.exponential(service.cancel_after)) \
            if u[0] < service.p_cancel else None
        out.append(Arrival(at, ticket, float(np.exp(z[0])), cancel,
                           bool(u[1] < service.p_not_home), bool(u[2] < service.p_ftf_fail),
                           follow_up_factor=float(np.exp(z[1])), ftf_draw=float(u[2])))
    return out


def simulate(scenario_or_config: Scenario | SimConfig, policy: Policy | str = "greedy-insertion",
             seed: SeedLike = 0, *, days: int | None = None,
             demand: DemandModel | FittedDemand | None = None,
             service: ServiceModel | None = None, progress: bool = False,
             sync_tolerance: int = 300, replay: bool = False, parts: PartsModel | None = None,
             van_stock: VanStockPolicy | None = None,
             roster: Sequence[str] | None = None,
             assets: Sequence[Asset] | None = None,
             positions: PositionPings | None = None) -> SimResult:
    """Simulate ``days`` of field service under a dispatch policy.

    Parameters
    ----------
    scenario_or_config:
        A :class:`SimConfig` (workforce generated from its ``workforce_seed``),
        or a :class:`~fsdispatch.Scenario` whose technicians and shifts are the
        workforce (its tickets are the backlog open at the start; the
        simulation starts at the horizon's start, midnight).
    policy:
        A :class:`Policy` or a policy name (see :func:`get_policy`).
    seed:
        Replication seed. Four independent streams are spawned from it —
        arrivals, service outcomes, travel noise and the solver — so two
        policies run with the same seed see the same tickets at the same
        times with the same outcomes (common random numbers).
    days:
        Simulated days (default: the config's, or the scenario's horizon in days).
    demand, service:
        Models (default: the config's, or the defaults). ``demand`` may be a
        :class:`~fsdispatch.sim.FittedDemand` (from :func:`~fsdispatch.sim.fit_demand`).
    progress:
        Show a tqdm bar of arrivals.
    replay:
        With a Scenario: replay its tickets as the demand — each arrives at
        its ``created_at`` (before the start: backlog at time 0) and no
        synthetic demand is added (e.g. a historical CSV read with
        :func:`fsdispatch.read_scenario_csv`). Service outcomes are still drawn.
    parts, van_stock:
        Parts model and van stock policy (default: the config's; none with a
        Scenario). With a parts model, each ticket's part needs are drawn
        from the parts stream, vans are kept in a
        :class:`~fsdispatch.inventory.StockLedger` (``result.ledger``) and a
        visit lacking a needed part gets a follow-up (see ``docs/simulation.md``).
    sync_tolerance:
        Seconds the live problem may be stale when a policy decides (default
        300): within it the dispatcher's clock is moved without
        ``Dispatcher.advance`` (technician events rebuild it anyway); 0 always
        advances (slower, a little more exact).
    roster:
        Ids of a larger pool the workforce is drawn from (a staffing study's
        largest team, see :class:`~fsdispatch.sim.Staffing`): absences and
        sickness are drawn for every member of the roster and each technician
        takes their own row, so nested teams see the same absences for the
        same seed. Default: the workforce itself.
    assets:
        Bind every drawn ticket to its nearest asset (its ``asset_id``, location
        and customer; :func:`~fsdispatch.sim.models.bind_to_assets`), e.g. the
        scenario's ``assets`` or :func:`~fsdispatch.sim.asset_fleet`; follow-ups
        refer to the same asset and :meth:`SimResult.asset_history` lists each
        asset's visits. The assets join the scenario's; the scenario's own
        (backlog) tickets are left as they are, and ``replay=True`` refuses the
        option. Default ``None``: tickets are on no asset (every draw is the same
        either way).
    positions:
        Emit position pings along legs (:class:`~fsdispatch.sim.PositionPings`;
        default off): recorded in ``result.positions``, and fed to the
        dispatcher when the policy's ``use_positions`` is true.

    Returns
    -------
    SimResult
        Records of every ticket, technician and visit; ``.kpis()`` for the KPIs.

    Raises
    ------
    SimulationError
        If an internal invariant breaks (e.g. time going back).
    """
    run = _inputs(scenario_or_config, days, demand, service, parts, van_stock)
    scenario, origin, n_days, service = run.scenario, run.origin, run.days, run.service
    pol = get_policy(policy)
    streams = spawn(seed, _NUM_STREAMS)
    arrivals, scenario = _arrivals(run, scenario_or_config, streams, replay, assets)
    scenario = attrs.evolve(scenario, tickets=())
    absences, sickness = _absences(scenario, roster, service, n_days, streams)
    tracker = None
    needs: dict[str, tuple[str, ...]] = {}
    if run.parts is not None:
        tracker, needs = _parts_tracker(run.parts, run.van_stock, scenario, origin, arrivals,
                                        streams[5])
    bar = None
    cb = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(arrivals), desc=f"simulate {pol.name}", unit="ticket")
        cb = bar.update
    tic = _time.perf_counter()
    sim = _Sim(scenario, origin, n_days, arrivals, service, pol, seed, streams, absences, cb,
               sync_tolerance=int(sync_tolerance), sickness=sickness, parts=tracker,
               needs=needs, positions=positions)
    try:
        sim.run()
    finally:
        if bar is not None:
            bar.close()
    wall = _time.perf_counter() - tic
    return SimResult(policy=pol.name, seed=seed if isinstance(seed, int) else None,
                     tickets=tuple(sim.records.values()),
                     technicians=tuple(sim.techrec.values()), visits=tuple(sim.visits),
                     backlog=tuple(sim.backlog), origin=origin, days=n_days,
                     num_technicians=len(scenario.technicians), events=sim.engine.processed,
                     wall_time=wall, day_scenarios=tuple(sim.day_scenarios),
                     ticket_objects=sim.tickets,
                     parts_summary=None if tracker is None else tracker.summary(n_days),
                     ledger=None if tracker is None else tracker.ledger,
                     technician_objects={t.id: t for t in scenario.technicians},
                     positions=() if sim.pinger is None else tuple(sim.pinger.records))


def _roster_rows(scenario: Scenario, roster: Sequence[str] | None) -> np.ndarray:
    """Each technician's row in the roster's absence and sickness draws."""
    if roster is None:
        return np.arange(len(scenario.technicians))
    where = {tid: k for k, tid in enumerate(roster)}
    missing = [t.id for t in scenario.technicians if t.id not in where]
    if missing or len(where) != len(roster):
        raise ValidationError.for_field("simulate", None, "roster", missing or list(roster),
                                        "must list every technician of the workforce once")
    return np.array([where[t.id] for t in scenario.technicians], dtype=np.int64)


def _arrivals(run: _Inputs, scenario_or_config: Scenario | SimConfig, streams: list[Any],
              replay: bool, assets: Sequence[Asset] | None) -> tuple[list[Arrival], Scenario]:
    """The run's arrivals (replayed, or drawn from its demand and bound to ``assets``), and
    its scenario (with the assets joined)."""
    scenario, origin, n_days, service = run.scenario, run.origin, run.days, run.service
    if replay and isinstance(scenario_or_config, Scenario):
        if assets is not None:
            raise ValidationError.for_field("simulate", None, "assets", "replay=True",
                                            "binds drawn tickets only: with replay the "
                                            "tickets are the scenario's (set their asset_id)")
        arrivals = _replay(scenario, origin, n_days, service, streams[1])
    else:
        if isinstance(run.demand, FittedDemand):
            arrivals = run.demand.draw_arrivals(service, origin, n_days, streams[0],
                                                streams[1], backlog=run.backlog)
        else:
            arrivals = draw_arrivals(run.demand, service, origin, n_days, streams[0],
                                     streams[1], backlog=run.backlog)
        if assets is not None:
            arrivals = bind_to_assets(arrivals, assets)
            scenario = _with_assets(scenario, assets)
        if isinstance(scenario_or_config, Scenario):
            arrivals = [Arrival(0, t, 1.0) for t in scenario.tickets] + arrivals
    return arrivals, scenario


def _absences(scenario: Scenario, roster: Sequence[str] | None, service: ServiceModel,
              n_days: int, streams: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Absent technician-days, and the time of day each falls ill (``nan``: not ill)."""
    rows = _roster_rows(scenario, roster)
    size = len(scenario.technicians) if roster is None else len(roster)
    absences = (streams[1].random((size, n_days)) < service.p_absent)[rows]
    # sickness: always two draws per technician-day, so the stream does not depend on p_sick
    u_sick, when_sick = streams[4].random((2, size, n_days))
    sickness = np.where(u_sick < service.p_sick, when_sick, np.nan)[rows]
    return absences, sickness


@attrs.frozen
class _Inputs:
    """What a simulation runs on, from a config or a scenario and the overrides."""

    scenario: Scenario
    origin: datetime
    days: int
    demand: DemandModel | FittedDemand
    service: ServiceModel
    backlog: int
    parts: PartsModel | None
    van_stock: VanStockPolicy | None


def _inputs(scenario_or_config: Scenario | SimConfig, days: int | None,
            demand: DemandModel | FittedDemand | None, service: ServiceModel | None,
            parts: PartsModel | None, van_stock: VanStockPolicy | None) -> _Inputs:
    """The workforce scenario (with an SLA policy), origin, days and models of a run."""
    if isinstance(scenario_or_config, SimConfig):
        config = scenario_or_config
        if days is not None:
            config = attrs.evolve(config, days=days)
        scenario, origin = _config_scenario(config)
        run = _Inputs(scenario, origin, config.days, demand or config.demand,
                      service or config.service, config.warmup_backlog,
                      parts or config.parts, van_stock or config.van_stock)
    elif isinstance(scenario_or_config, Scenario):
        scenario = scenario_or_config
        run = _Inputs(scenario, scenario.horizon.start,
                      days or max(1, -(-scenario.horizon.length // DAY)),
                      demand or DemandModel(), service or ServiceModel(), 0, parts, van_stock)
    else:
        raise ValidationError.for_field("simulate", None, "scenario_or_config",
                                        type(scenario_or_config).__name__,
                                        "must be a Scenario or a SimConfig")
    if scenario.sla_policy is None:
        from ..generate import default_sla_policy

        run = attrs.evolve(run, scenario=attrs.evolve(scenario,
                                                      sla_policy=default_sla_policy()))
    return run


def _with_assets(scenario: Scenario, assets: Sequence[Asset]) -> Scenario:
    """``scenario`` holding ``assets`` too (an id it already has must be the same asset)."""
    known = {a.id: a for a in scenario.assets}
    extra = []
    for asset in assets:
        if asset.id in known:
            if known[asset.id] != asset:
                raise ValidationError.for_field("simulate", asset.id, "assets", asset.id,
                                                "is a different asset of the scenario with "
                                                "the same id")
            continue
        known[asset.id] = asset
        extra.append(asset)
    return attrs.evolve(scenario, assets=(*scenario.assets, *extra)) if extra else scenario


def _parts_tracker(parts: PartsModel, van_stock: VanStockPolicy | None, scenario: Scenario,
                   origin: datetime, arrivals: list[Arrival], stream: np.random.Generator
                   ) -> tuple[PartsTracker, dict[str, tuple[str, ...]]]:
    """The vans' stock tracker and each arriving ticket's drawn part needs."""
    drawn = parts.draw(stream, [a.ticket.category for a in arrivals])
    needs = {a.ticket.id: n for a, n in zip(arrivals, drawn, strict=True)}
    depots = getattr(scenario, "depots", ())
    tracker = PartsTracker(parts, van_stock or VanStockPolicy({}, "empty"),
                           [t.id for t in scenario.technicians], origin,
                           depot_id=depots[0].id if depots else "depot",
                           depot_stock=dict(depots[0].stock) if depots else None)
    return tracker, needs
