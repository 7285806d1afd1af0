"""What the live dispatcher knows at ``now`` besides the plan: :class:`LiveState`.

One object holds the desk's state: the clock, the registered tickets, the
jobs in progress and done, where technicians are and until when they are
busy, parts picked up at depot stops, absences, breaks taken, pins and
forbidden pairs. The dispatcher changes it (through the methods here, one
per kind of change); everything else — the live problem
(:mod:`fsdispatch.live.live_problem`), the SLA watch, the simulator — only
reads it, through :attr:`fsdispatch.live.Dispatcher.live_state`.

It also derives the live *rows* of the day from it: a technician's rest of
the day (:meth:`LiveState.live_technician`), a ticket under its pins and
forbids (:meth:`LiveState.live_ticket`), and the depots less what stops took.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from ..domain._validate import check_aware, frozen_dict
from ..domain.location import Location
from ..domain.scenario import Scenario
from ..domain.technician import Shift, Technician
from ..domain.ticket import Ticket, TimeWindow
from ..errors import UnknownReferenceError, ValidationError
from .results import Pin

__all__ = ["Job", "LiveState"]


@attrs.define(eq=False)
class Job:
    """A job in progress or done: who, where, how long, and its timestamps."""

    technician_id: str
    location: Location
    service: int
    started_at: datetime | None = None
    expected_end: datetime | None = None
    completed_at: datetime | None = None
    en_route_at: datetime | None = None


@attrs.define(eq=False)
class LiveState:
    """The live desk's state at :attr:`now` (everything but the plan).

    Read it, do not write it: the :class:`~fsdispatch.live.Dispatcher` is the
    only writer (its events keep the live problem in step with these fields).

    Attributes
    ----------
    scenario:
        The scenario the desk started from.
    now:
        The clock (timezone-aware).
    techs, tickets:
        Technicians and registered tickets by id (tickets in registration order).
    registered_at, reg_rank:
        When each ticket was registered, and its registration rank.
    jobs, jobs_of, current:
        Jobs in progress or done by ticket id; each technician's jobs; the job a
        technician is on now.
    tver:
        Per technician, a version counter of its jobs and work done (the
        incremental refresh re-derives a technician's resources when it moves).
    last_pos, busy_until, relocated:
        Where a technician's next leg starts (where they last finished, or a
        fresh position ping), until when a running break keeps them busy, and
        the technicians whose position or busy time changed since the live
        problem last looked.
    plan_pos, pings, moved, position_max_age:
        Where each technician last finished (the plan's position); the latest
        position ping per technician, ``(location, at)``; the technicians whose
        start is a ping now, with when it goes stale; the age after which a ping
        goes stale (see :mod:`fsdispatch.live.positions`).
    done_work:
        Seconds worked today per technician (added to ``recent_workload``).
    week_done:
        Work (travel plus service seconds, from leaving to finishing) of jobs finished
        or interrupted in the dispatcher's run, per technician, counted when the job was
        started in the horizon start's calendar week: added to ``week_work_done`` (with
        the expected work of the job in progress), so ``max_weekly_work`` caps the week
        with the work already done (:meth:`week_work_done`).
    picked, handed_out:
        Parts picked up at depot stops already made (technician -> sku -> units)
        and units each depot handed out.
    absent:
        Absences: technician -> (since, until or ``None``).
    breaks_taken:
        ``(technician id, shift number, break index)`` of breaks already taken.
    pins, forbidden:
        Pins by ticket id; technicians a ticket must never go to.
    crews, crew_of:
        Crew jobs (``crew_size > 1``): crew ticket id -> its member ticket ids (the
        member tickets are registered, see :mod:`fsdispatch.live.crew`); member id ->
        crew ticket id.
    """

    scenario: Scenario
    now: datetime
    techs: dict[str, Technician]
    tickets: dict[str, Ticket] = attrs.field(factory=dict)
    registered_at: dict[str, datetime] = attrs.field(factory=dict)
    reg_rank: dict[str, int] = attrs.field(factory=dict)
    jobs: dict[str, Job] = attrs.field(factory=dict)
    jobs_of: dict[str, list[str]] = attrs.field(factory=dict)
    tver: dict[str, int] = attrs.field(factory=dict)
    current: dict[str, str] = attrs.field(factory=dict)
    last_pos: dict[str, Location] = attrs.field(factory=dict)
    busy_until: dict[str, datetime] = attrs.field(factory=dict)
    relocated: set[str] = attrs.field(factory=set)
    plan_pos: dict[str, Location] = attrs.field(factory=dict)
    pings: dict[str, tuple[Location, datetime]] = attrs.field(factory=dict)
    moved: dict[str, datetime] = attrs.field(factory=dict)
    position_max_age: timedelta = timedelta(minutes=15)
    done_work: dict[str, int] = attrs.field(factory=dict)
    week_done: dict[str, int] = attrs.field(factory=dict)
    picked: dict[str, dict[str, int]] = attrs.field(factory=dict)
    handed_out: dict[str, dict[str, int]] = attrs.field(factory=dict)
    absent: dict[str, tuple[datetime, datetime | None]] = attrs.field(factory=dict)
    breaks_taken: set[tuple[str, int, int]] = attrs.field(factory=set)
    pins: dict[str, Pin] = attrs.field(factory=dict)
    forbidden: dict[str, set[str]] = attrs.field(factory=dict)
    crews: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    crew_of: dict[str, str] = attrs.field(factory=dict)
    crew_waiting: set[str] = attrs.field(factory=set)
    weekly: bool = attrs.field(init=False)
    """Whether any technician has a weekly rule (else no week work is kept)."""

    @weekly.default
    def _any_weekly(self) -> bool:
        return any(t.max_weekly_work is not None or t.weekly_overtime_after is not None
                   for t in self.techs.values())

    # ------------------------------------------------------------- reading
    def to_internal(self, when: datetime) -> int:
        """``when`` in the scenario's internal seconds."""
        return self.scenario.horizon.to_internal(when)

    def to_datetime(self, seconds: int) -> datetime:
        """Internal seconds as a datetime."""
        return self.scenario.horizon.to_datetime(seconds)

    def technician(self, technician_id: str) -> Technician:
        """The technician with this id (``UnknownReferenceError`` if there is none)."""
        try:
            return self.techs[technician_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown technician id {technician_id!r}",
                                        entity="Technician", entity_id=technician_id) from None

    def ticket(self, ticket_id: str) -> Ticket:
        """The registered ticket with this id (``UnknownReferenceError`` if there is none)."""
        try:
            return self.tickets[ticket_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown ticket id {ticket_id!r}", entity="Ticket",
                                        entity_id=ticket_id) from None

    # ------------------------------------------------------------- changes
    def set_clock(self, now: datetime) -> None:
        """Move the clock forward (never back)."""
        check_aware("Dispatcher", None, "now", now)
        if now < self.now:
            raise ValidationError.for_field("Dispatcher", None, "now", now.isoformat(),
                                            f"must not go back before {self.now.isoformat()}")
        self.now = now
        if self.moved and min(self.moved.values()) <= now:
            self.expire_positions()

    def expire_positions(self) -> None:
        """Position pings gone stale at the clock: those technicians start from the plan's
        position again (the last job's site, else the shift's start)."""
        now = self.now
        for tech_id in [t for t, end in self.moved.items() if end <= now]:
            self.place(tech_id, self.plan_pos.get(tech_id), None)

    def place(self, technician_id: str, where: Location | None,
              until: datetime | None) -> None:
        """The technician's next leg starts at ``where`` (``None``: the shift's start), from a
        position ping in force until ``until`` (``None``: the plan's position)."""
        if where is None:
            self.last_pos.pop(technician_id, None)
        else:
            self.last_pos[technician_id] = where
        if until is None:
            self.moved.pop(technician_id, None)
        else:
            self.moved[technician_id] = until
        self._touch(technician_id)  # re-derived whole by the refresh, as a rebuild would

    def add_ticket(self, ticket: Ticket) -> None:
        """Register a ticket at the clock (its id is new)."""
        self.tickets[ticket.id] = ticket
        self.registered_at[ticket.id] = self.now
        self.reg_rank[ticket.id] = len(self.reg_rank)

    def _touch(self, technician_id: str) -> None:
        self.tver[technician_id] = self.tver.get(technician_id, 0) + 1
        self.relocated.add(technician_id)

    def start_job(self, ticket_id: str, technician_id: str, service: int,
                  expected_end: datetime) -> Job:
        """The technician leaves for the ticket now: a job in progress."""
        job = Job(technician_id, self.tickets[ticket_id].location, service,
                  en_route_at=self.now, expected_end=expected_end)
        self.jobs[ticket_id] = job
        self.jobs_of.setdefault(technician_id, []).append(ticket_id)
        self.current[technician_id] = ticket_id
        self._touch(technician_id)
        return job

    def start_work(self, ticket_id: str) -> Job:
        """The technician is on site and starts the work now."""
        job = self.jobs[ticket_id]
        job.started_at = self.now
        job.expected_end = self.now + timedelta(seconds=job.service)
        self.relocated.add(job.technician_id)
        return job

    def delay(self, ticket_id: str, expected_end: datetime) -> Job:
        """A job in progress now ends at ``expected_end``."""
        job = self.jobs[ticket_id]
        job.expected_end = expected_end
        self.relocated.add(job.technician_id)
        return job

    def _add_work(self, job: Job) -> None:
        start = job.started_at or self.now
        self.done_work[job.technician_id] = self.done_work.get(job.technician_id, 0) + \
            max(int((self.now - start).total_seconds()), 0)
        self._add_week(job, self.now)

    def _first_week(self) -> tuple[datetime, datetime]:
        """The horizon start's calendar week (Monday 00:00 to the next, in its timezone):
        the week ``Technician.week_work_done`` counts in (``problem/rows.py: week_block``)."""
        start = self.scenario.horizon.start
        day = start.date() - timedelta(days=start.weekday())
        monday = datetime(day.year, day.month, day.day, tzinfo=start.tzinfo)
        return monday, monday + timedelta(days=7)

    def _add_week(self, job: Job, end: datetime) -> None:
        """Count a job's work (leaving to ``end``) towards its technician's first week."""
        left = job.en_route_at or job.started_at
        if left is None or not self.weekly:
            return
        lo, hi = self._first_week()
        if lo <= left < hi:
            self.week_done[job.technician_id] = self.week_done.get(job.technician_id, 0) + \
                max(int((end - left).total_seconds()), 0)


    def week_work_done(self, tech: Technician) -> int:
        """The technician's work in the horizon start's week before its live route: the
        scenario's ``week_work_done``, the jobs finished or interrupted in this run, and the
        job in progress until its expected end (capped at 7 days, the field's range)."""
        done = tech.week_work_done + self.week_done.get(tech.id, 0)
        cur = self.current.get(tech.id)
        if cur is not None and self.weekly:
            job = self.jobs[cur]
            left = job.en_route_at or job.started_at
            lo, hi = self._first_week()
            if left is not None and lo <= left < hi:
                end = max(job.expected_end or self.now, self.now)
                done += max(int((end - left).total_seconds()), 0)
        return min(done, 7 * 86400)

    def finish_job(self, ticket_id: str) -> Job:
        """The work is done now; the technician is free at the ticket's location."""
        job = self.jobs[ticket_id]
        job.completed_at = self.now
        self._add_work(job)
        self.current.pop(job.technician_id, None)
        self.last_pos[job.technician_id] = self.plan_pos[job.technician_id] = job.location
        self.moved.pop(job.technician_id, None)  # a later event than any ping
        self._touch(job.technician_id)
        return job

    def free(self, ticket_id: str) -> None:
        """Detach an in-progress job from its technician (hold, cancel, absence)."""
        job = self.jobs.get(ticket_id)
        if job is None:
            return
        if job.started_at is not None:
            self.last_pos[job.technician_id] = self.plan_pos[job.technician_id] = job.location
            self.moved.pop(job.technician_id, None)  # a later event than any ping
            self._add_work(job)
        else:  # stopped on the way: from the last fresh ping since they left, if any
            self._add_week(job, self.now)
            ping = self.pings.get(job.technician_id)
            if ping is not None and job.en_route_at is not None and \
                    ping[1] >= job.en_route_at and ping[1] + self.position_max_age > self.now:
                self.place(job.technician_id, ping[0], ping[1] + self.position_max_age)
        self.current.pop(job.technician_id, None)
        del self.jobs[ticket_id]
        self.jobs_of[job.technician_id].remove(ticket_id)
        self._touch(job.technician_id)

    def record_pickup(self, technician_id: str, depot_id: str,
                      units: Mapping[str, int]) -> None:
        """A depot stop was made: ``units`` moved from the depot into the technician's van."""
        mine = self.picked.setdefault(technician_id, {})
        out = self.handed_out.setdefault(depot_id, {})
        for sku, q in units.items():
            mine[sku] = mine.get(sku, 0) + q
            out[sku] = out.get(sku, 0) + q

    # ------------------------------------------------------------ live rows
    def resources(self, tech: Technician) -> tuple[Any, ...]:
        """``(van_stock, max_tickets_per_day, capacity, recent_workload)`` left to a
        technician after the jobs it took today (``None``: as in the scenario)."""
        done = self.jobs_of.get(tech.id, ())
        van_stock = mtpd = capacity = recent = None
        picked = self.picked.get(tech.id)  # parts picked up at depot stops already made
        if picked:
            van_stock = dict(tech.van_stock)
            for sku, q in picked.items():
                van_stock[sku] = van_stock.get(sku, 0) + q
        if done:
            used: dict[str, int] = {}
            demand = 0
            for t in done:
                ticket = self.tickets[t]
                demand += ticket.demand
                for sku, q in ticket.parts.items():
                    used[sku] = used.get(sku, 0) + q
            if used:
                van = tech.van_stock if van_stock is None else van_stock
                van_stock = {s: max(q - used.get(s, 0), 0) for s, q in van.items()}
            if tech.max_tickets_per_day is not None:
                mtpd = max(tech.max_tickets_per_day - len(done), 0)
            if tech.capacity is not None and demand:
                capacity = max(tech.capacity - demand, 0)
        if self.done_work.get(tech.id):
            recent = tech.recent_workload + self.done_work[tech.id]
        return (None if van_stock is None else frozen_dict(van_stock)), mtpd, capacity, recent

    def live_technician(self, tech: Technician,
                        ) -> tuple[Technician, list[int], list[list[int]]]:
        """The technician's rest of the day; also full shift numbers and kept break indices."""
        avail = self.now
        pos = self.last_pos.get(tech.id)
        cur = self.current.get(tech.id)
        if cur is not None:
            job = self.jobs[cur]
            pos = job.location
            if job.expected_end is not None and job.expected_end > avail:
                avail = job.expected_end
        busy = self.busy_until.get(tech.id)
        if busy is not None and busy > avail:
            avail = busy
        absent = self.absent.get(tech.id)
        shifts: list[Shift] = []
        numbers: list[int] = []
        kept_breaks: list[list[int]] = []
        min_len = timedelta(minutes=1)
        for k, sh in enumerate(tech.shifts):
            if absent is not None and sh.end > absent[0] and (absent[1] is None
                                                              or sh.start < absent[1]):
                continue
            if sh.end - avail <= min_len:
                continue  # over (overtime past a late job is not planned)
            numbers.append(k)
            if sh.start >= avail:  # not started yet: as planned
                shifts.append(sh)
                kept_breaks.append(list(range(len(sh.breaks))))
                continue
            # the shift under way: from where the technician is, when free
            keep = [b for b, brk in enumerate(sh.breaks)
                    if (tech.id, k, b) not in self.breaks_taken
                    and brk.window.end - timedelta(seconds=brk.duration) >= avail]
            shifts.append(Shift(avail, sh.end, start_location=pos or sh.start_location,
                                end_location=sh.end_location,
                                breaks=[sh.breaks[b] for b in keep]))
            kept_breaks.append(keep)
        changes: dict[str, Any] = {"shifts": shifts}
        names = ("van_stock", "max_tickets_per_day", "capacity", "recent_workload")
        for name, value in zip(names, self.resources(tech), strict=True):
            if value is not None:
                changes[name] = value
        week = self.week_work_done(tech)
        if week != tech.week_work_done:
            changes["week_work_done"] = week
        return attrs.evolve(tech, **changes), numbers, kept_breaks

    def live_ticket(self, ticket: Ticket) -> Ticket:
        """The ticket under its pin and forbidden technicians (as the live problem has it)."""
        pin = self.pins.get(ticket.id)
        forbidden = self.forbidden.get(ticket.id, set())
        if pin is None and not forbidden:
            return ticket
        excluded = set(ticket.excluded_technicians) | forbidden
        changes: dict[str, Any] = {}
        if pin is not None and pin.technician_id is not None:
            excluded |= set(self.techs) - {pin.technician_id}
        if pin is not None and pin.start is not None and pin.end is not None:
            changes["windows"] = [TimeWindow(pin.start, pin.end)]
            changes["window_kind"] = "hard"
        changes["excluded_technicians"] = tuple(t for t in self.techs if t in excluded)
        changes["preferred_technicians"] = tuple(t for t in ticket.preferred_technicians
                                                 if t not in excluded)
        return attrs.evolve(ticket, **changes)

    def live_depots(self) -> tuple[Any, ...]:
        """The scenario's depots less what stops already made have taken."""
        if not self.handed_out:
            return self.scenario.depots
        return tuple(attrs.evolve(d, stock={s: max(q - self.handed_out.get(d.id, {}).get(s, 0),
                                                   0) for s, q in d.stock.items()})
                     for d in self.scenario.depots)
