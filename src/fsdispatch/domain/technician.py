"""Technicians, their shifts and breaks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from ..units import (
    MAX_BREAK_DURATION,
    MAX_FACTOR,
    MAX_OVERTIME,
    MAX_QUANTITY,
    MAX_RECENT_WORKLOAD,
    MAX_TICKETS_PER_DAY,
    MAX_WEEKLY_WORK,
    MAX_WEIGHT,
    MIN_FACTOR,
)
from ._validate import (
    check_aware,
    check_id,
    check_int,
    check_levels,
    check_number,
    check_quantities,
    fail,
    frozen_dict,
    optional_seconds,
    seconds,
    str_tuple,
    to_tuple,
    warn,
)
from .location import Location
from .ticket import TimeWindow

__all__ = ["Break", "Shift", "Technician"]


@attrs.frozen
class Break:
    """A break of ``duration`` that must lie entirely within ``window``.

    The break starts no earlier than ``window.start`` and ends no later than
    ``window.end``. Scheduling rule (the evaluator's, shared by every backend
    and live dispatch): a shift's breaks are taken in the order listed, each
    at a location — before leaving a stop or on arrival at the next one
    (also while waiting for a customer's window), never during travel or
    service — and placed so that the technician is back as early as the
    route's windows and breaks allow; so a feasible timing is found whenever
    one exists for the order of the visits. A break whose window opens at or
    after the technician is back at the end location is not needed. See
    ``docs/concepts.md`` (the schedule rule).
    """

    window: TimeWindow
    duration: int = attrs.field(converter=seconds)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.window, TimeWindow):
            fail("Break", None, "window", self.window, "must be a TimeWindow")
        check_int("Break", None, "duration", self.duration, minimum=0, strict_minimum=True,
                  maximum=MAX_BREAK_DURATION)
        span = (self.window.end - self.window.start).total_seconds()
        if self.duration > span:
            fail("Break", None, "duration", self.duration,
                 f"must fit in its window of {int(span)} seconds")


@attrs.frozen
class Shift:
    """One working window of a technician, e.g. one day.

    Parameters
    ----------
    start, end:
        Timezone-aware bounds: the technician leaves the start location no
        earlier than ``start`` and must be back at the end location by ``end``
        (plus the technician's ``max_overtime``).
    start_location, end_location:
        Override the technician's start/end location for this shift.
    breaks:
        Breaks to take during the shift, sorted by window start. A break must
        be able to start within the shift and to end by the latest return:
        ``window.end - duration >= start`` (checked here) and
        ``window.start + duration <= end + max_overtime`` (checked by
        :class:`Technician`, which knows ``max_overtime``). A window may open
        before ``start`` or close after ``end``: only its part within working
        time is used. A break as long as the shift is accepted with a
        :class:`~fsdispatch.errors.FsdispatchWarning`.
    """

    start: datetime
    end: datetime
    start_location: Location | None = None
    end_location: Location | None = None
    breaks: tuple[Break, ...] = attrs.field(default=(), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        check_aware("Shift", None, "start", self.start)
        check_aware("Shift", None, "end", self.end)
        if self.end <= self.start:
            fail("Shift", None, "end", self.end.isoformat(),
                 f"must be after start {self.start.isoformat()}")
        length = (self.end - self.start).total_seconds()
        for k, brk in enumerate(self.breaks):
            if not isinstance(brk, Break):
                fail("Shift", None, f"breaks[{k}]", brk, "must be a Break")
            if k and brk.window.start < self.breaks[k - 1].window.start:
                fail("Shift", None, f"breaks[{k}].window.start", brk.window.start.isoformat(),
                     "breaks must be sorted by window start")
            if brk.window.end - timedelta(seconds=brk.duration) < self.start:
                fail("Shift", None, f"breaks[{k}].window",
                     f"{brk.window.start.isoformat()}..{brk.window.end.isoformat()}",
                     f"must let the {brk.duration}-second break start at or after the shift "
                     f"start {self.start.isoformat()} (the window closes too early)")
            if brk.duration >= length:
                warn(f"Shift {self.start.isoformat()}..{self.end.isoformat()}: breaks[{k}] "
                     f"lasts {brk.duration} seconds, as long as the whole shift "
                     f"({int(length)} seconds); the technician cannot work")


@attrs.frozen
class Technician:
    """A field technician.

    Parameters
    ----------
    id:
        Unique technician id.
    start_location:
        Home or depot where shifts start by default.
    shifts:
        Working windows in the horizon (at least one to be dispatchable).
    end_location:
        Where shifts end by default; ``None`` means ``start_location``.
    skills:
        Skill id -> level held, within [1, 100].
    service_factor:
        Multiplies every ticket's nominal duration (a senior at 0.8 is 20 %
        faster); within [0.01, 10], default 1.
    skill_factors:
        Optional per-skill factor within [0.01, 10]: a ticket's service time is
        ``duration × service_factor × max(skill_factors[s] for s in required skills)``
        (skills absent from this mapping count as 1). The scenario rejects a
        skill no technician, ticket or skill catalogue knows.
    max_tickets_per_day:
        Cap on visits per calendar day (in the horizon start's timezone), within
        [0, 10 000]; ``None`` = no cap.
    max_overtime:
        How long after shift end (seconds, within [0, 1 day]) the technician may
        still return, counted as overtime; default 0.
    cost_per_hour:
        Labour cost per working hour (travel + service), within [0, 10⁹],
        reported as a KPI and weighted by the objective's ``labour`` weight.
    van_stock:
        Part sku -> quantity (within [0, 10⁹]) in the van at the start of the horizon.
    capacity:
        Generic capacity per shift (units of ticket ``demand``, within [0, 10⁹]);
        ``None`` = unlimited.
    recent_workload:
        Work (seconds, within [0, 365 days]) done in the recent past, used by the
        load-balance term for fairness over weeks.
    territories:
        Territory names the technician covers (non-empty strings). Empty (the
        default): the technician covers every territory. See ``Ticket.territory``.
    team:
        Team name for the per-team KPIs (a non-empty string), or ``None``.
    certifications:
        Skill id -> timezone-aware ``datetime`` until which the technician's
        certification for that skill is valid. Each key must be a skill of
        ``skills``; skills not listed need no certification. Validity is per
        shift (route): a certified skill counts on a shift whose start falls on
        a calendar day (in the horizon start's timezone, as for
        ``max_tickets_per_day``) on or before the day of ``valid_until``; on
        later shifts it is treated as absent. A technician whose certification
        lapses before its first shift is incompatible with tickets needing the
        skill (reason ``certification_expired``); one whose certification lapses
        mid-horizon serves them on the valid days only (on a live route, the day
        of the rest of the shift).
    max_weekly_work:
        Hard cap on the technician's work — travel plus service seconds, the workload of
        the load-balance term and the KPIs — per calendar week, within [0, 7 days];
        ``None`` (the default) = no cap. A week is an ISO week: Monday 00:00 to the next
        Monday 00:00 in the horizon start's timezone (the calendar rule of
        ``max_tickets_per_day``); each shift counts in the week of its start. Every
        backend, live dispatch and the evaluator (violation ``weekly_hours``) keep it.
    weekly_overtime_after:
        Work per calendar week (seconds, within [0, 7 days]) beyond which the work is
        *weekly overtime*, priced by the objective's ``overtime`` weight per minute like
        shift overtime and reported as the ``weekly_overtime_min`` KPI; ``None`` (the
        default) = none. Independent of ``max_overtime`` (a shift's allowance past its
        end): one minute may count as both.
    week_work_done:
        Work (seconds, within [0, 7 days]) already done in the calendar week of the
        horizon start, before the horizon: it counts towards ``max_weekly_work`` and
        ``weekly_overtime_after`` for that first week only (the plan may add
        ``max(0, max_weekly_work − week_work_done)``; only the weekly overtime the plan
        adds is priced). Default 0. (It is separate from ``recent_workload``, a
        fairness memory of any length.)
    """

    id: str
    start_location: Location
    shifts: tuple[Shift, ...] = attrs.field(default=(), converter=to_tuple)
    end_location: Location | None = None
    skills: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_dict)
    service_factor: float = 1.0
    skill_factors: Mapping[str, float] = attrs.field(factory=dict, converter=frozen_dict)
    max_tickets_per_day: int | None = None
    max_overtime: int = attrs.field(default=0, converter=seconds)
    cost_per_hour: float = 0.0
    van_stock: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_dict)
    capacity: int | None = None
    recent_workload: int = attrs.field(default=0, converter=seconds)
    territories: tuple[str, ...] = attrs.field(default=(), converter=str_tuple)
    team: str | None = None
    certifications: Mapping[str, datetime] = attrs.field(factory=dict, converter=frozen_dict)
    max_weekly_work: int | None = attrs.field(default=None, converter=optional_seconds)
    weekly_overtime_after: int | None = attrs.field(default=None, converter=optional_seconds)
    week_work_done: int = attrs.field(default=0, converter=seconds)

    def __attrs_post_init__(self) -> None:
        check_id("Technician", self.id)
        tid = self.id
        self._check_coverage()
        if not isinstance(self.start_location, Location):
            fail("Technician", tid, "start_location", self.start_location, "must be a Location")
        if self.end_location is not None and not isinstance(self.end_location, Location):
            fail("Technician", tid, "end_location", self.end_location, "must be a Location")
        for k, shift in enumerate(self.shifts):
            if not isinstance(shift, Shift):
                fail("Technician", tid, f"shifts[{k}]", shift, "must be a Shift")
            if k and shift.start < self.shifts[k - 1].end:
                fail("Technician", tid, f"shifts[{k}].start", shift.start.isoformat(),
                     f"must not be before the previous shift's end "
                     f"{self.shifts[k - 1].end.isoformat()} (sorted, non-overlapping)")
        check_levels("Technician", tid, "skills", self.skills, minimum=1)
        check_number("Technician", tid, "service_factor", self.service_factor,
                     minimum=MIN_FACTOR, maximum=MAX_FACTOR)
        if not isinstance(self.skill_factors, Mapping):
            fail("Technician", tid, "skill_factors", self.skill_factors,
                 "must be a mapping of skill id to factor")
        for skill, factor in self.skill_factors.items():
            if not isinstance(skill, str) or not skill:
                fail("Technician", tid, "skill_factors", skill,
                     "keys must be non-empty skill ids")
            check_number("Technician", tid, f"skill_factors[{skill!r}]", factor,
                         minimum=MIN_FACTOR, maximum=MAX_FACTOR)
        if self.max_tickets_per_day is not None:
            check_int("Technician", tid, "max_tickets_per_day", self.max_tickets_per_day,
                      minimum=0, maximum=MAX_TICKETS_PER_DAY)
        check_int("Technician", tid, "max_overtime", self.max_overtime, minimum=0,
                  maximum=MAX_OVERTIME)
        check_number("Technician", tid, "cost_per_hour", self.cost_per_hour, minimum=0.0,
                     maximum=MAX_WEIGHT)
        check_quantities("Technician", tid, "van_stock", self.van_stock, minimum=0)
        if self.capacity is not None:
            check_int("Technician", tid, "capacity", self.capacity, minimum=0,
                      maximum=MAX_QUANTITY)
        check_int("Technician", tid, "recent_workload", self.recent_workload, minimum=0,
                  maximum=MAX_RECENT_WORKLOAD)
        self._check_weekly()
        for k, shift in enumerate(self.shifts):
            latest_end = shift.end + timedelta(seconds=self.max_overtime)
            for j, brk in enumerate(shift.breaks):
                if brk.window.start + timedelta(seconds=brk.duration) > latest_end:
                    fail("Technician", tid, f"shifts[{k}].breaks[{j}].window",
                         f"{brk.window.start.isoformat()}..{brk.window.end.isoformat()}",
                         f"must let the {brk.duration}-second break end by the shift end "
                         f"{shift.end.isoformat()} plus max_overtime {self.max_overtime} "
                         "seconds")

    def _check_coverage(self) -> None:
        """Territories, team and certifications (typed errors naming field and value)."""
        tid = self.id
        if not isinstance(self.territories, tuple):
            fail("Technician", tid, "territories", self.territories,
                 "must be a list of territory names")
        for k, name in enumerate(self.territories):
            if not isinstance(name, str) or not name.strip():
                fail("Technician", tid, f"territories[{k}]", name,
                     "must be a non-empty string (a territory name)")
        if len(set(self.territories)) != len(self.territories):
            dup = next(t for k, t in enumerate(self.territories)
                       if t in self.territories[:k])
            fail("Technician", tid, "territories", dup, "must list each territory once")
        if self.team is not None and (not isinstance(self.team, str) or not self.team.strip()):
            fail("Technician", tid, "team", self.team, "must be a non-empty string or None")
        if not isinstance(self.certifications, Mapping):
            fail("Technician", tid, "certifications", self.certifications,
                 "must be a mapping of skill id to a timezone-aware datetime")
        for skill, until in self.certifications.items():
            if not isinstance(skill, str) or skill not in self.skills:
                fail("Technician", tid, "certifications", skill,
                     "keys must be skills the technician holds (in skills)")
            check_aware("Technician", tid, f"certifications[{skill!r}]", until)

    def _check_weekly(self) -> None:
        """``max_weekly_work``, ``weekly_overtime_after`` and ``week_work_done`` in
        ``[0, 7 days]`` seconds."""
        for name in ("max_weekly_work", "weekly_overtime_after", "week_work_done"):
            value = getattr(self, name)
            if value is not None:
                check_int("Technician", self.id, name, value, minimum=0,
                          maximum=MAX_WEEKLY_WORK, in_seconds=True)

    def shift_start_location(self, shift: Shift) -> Location:
        """Where ``shift`` starts."""
        return shift.start_location or self.start_location

    def shift_end_location(self, shift: Shift) -> Location:
        """Where ``shift`` ends."""
        return shift.end_location or self.end_location or self.start_location

    def service_multiplier(self, required_skills: Mapping[str, int]) -> float:
        """Factor applied to a ticket's nominal duration for this technician."""
        factor = 1.0
        if self.skill_factors and required_skills:
            factor = max(self.skill_factors.get(s, 1.0) for s in required_skills)
        return self.service_factor * factor


def window_of(start: datetime, end: datetime) -> TimeWindow:
    """Shorthand for :class:`TimeWindow`."""
    return TimeWindow(start, end)
