"""SLA watch: business-hours calendars, SLA clocks, at-risk thresholds and escalation rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import attrs

from ..domain._validate import check_aware, fail
from ..domain.sla import SlaPolicy
from ..domain.ticket import Priority, Ticket
from ..errors import FsdispatchError, ValidationError
from ..problem.problem import NO_DEADLINE

if TYPE_CHECKING:
    from .dispatcher import Dispatcher

__all__ = ["BusinessCalendar", "EscalationRule", "SlaStatus", "SlaWatch"]

_MAX_DAYS = 3660


def _days(value: Any) -> frozenset[int]:
    return frozenset(value)


def _dates(value: Any) -> frozenset[date]:
    return frozenset(value)


def _priority_or_raw(value: Any) -> Any:
    """attrs converter: a :class:`Priority` when ``value`` names one, else ``value``
    unchanged (the rule's validation then names the bad value)."""
    if value is None:
        return None
    try:
        return Priority.parse(value)
    except ValidationError:
        return value


_ACTIONS = ("notify", "notify_supervisor", "reassign", "raise_priority")


@attrs.frozen
class BusinessCalendar:
    """Working time for SLA clocks: working weekdays, daily hours and holidays.

    Parameters
    ----------
    working_days:
        Weekday numbers (Monday 0 … Sunday 6) that are working days (default Mon–Fri).
    start, end:
        Daily working hours (local ``time`` in ``tz``; default 08:00–18:00).
    holidays:
        Dates (in ``tz``) that are not working days.
    tz:
        Time zone of the hours and dates (default UTC).
    """

    working_days: frozenset[int] = attrs.field(default=frozenset(range(5)), converter=_days)
    start: time = time(8)
    end: time = time(18)
    holidays: frozenset[date] = attrs.field(factory=frozenset, converter=_dates)
    tz: tzinfo = UTC

    def __attrs_post_init__(self) -> None:
        if not self.working_days or not all(isinstance(d, int) and 0 <= d <= 6
                                            for d in self.working_days):
            fail("BusinessCalendar", None, "working_days", sorted(self.working_days),
                 "must hold weekday numbers 0 (Monday) .. 6 (Sunday)")
        if not isinstance(self.start, time) or not isinstance(self.end, time) \
                or self.end <= self.start:
            fail("BusinessCalendar", None, "end", self.end, f"must be after start {self.start}")

    def _open(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.working_days or day in self.holidays:
            return None
        return (datetime.combine(day, self.start, self.tz),
                datetime.combine(day, self.end, self.tz))

    def is_working(self, when: datetime) -> bool:
        """Whether ``when`` falls in working time."""
        check_aware("BusinessCalendar", None, "when", when)
        span = self._open(when.astimezone(self.tz).date())
        return span is not None and span[0] <= when < span[1]

    def add(self, when: datetime, seconds: int | timedelta) -> datetime:
        """The instant ``seconds`` of working time after ``when``."""
        check_aware("BusinessCalendar", None, "when", when)
        left = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        day = when.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            span = self._open(day)
            if span is not None:
                lo = max(span[0], when)
                if lo < span[1]:
                    avail = (span[1] - lo).total_seconds()
                    if left <= avail:
                        return lo + timedelta(seconds=left)
                    left -= avail
            day += timedelta(days=1)
        raise ValidationError("BusinessCalendar: no working time within ten years",
                              entity="BusinessCalendar", field="working_days")

    def elapsed(self, a: datetime, b: datetime) -> int:
        """Seconds of working time in ``[a, b)`` (0 if ``b <= a``)."""
        check_aware("BusinessCalendar", None, "a", a)
        check_aware("BusinessCalendar", None, "b", b)
        if b <= a:
            return 0
        total = 0.0
        day = a.astimezone(self.tz).date()
        last = b.astimezone(self.tz).date()
        while day <= last:
            span = self._open(day)
            if span is not None:
                lo, hi = max(span[0], a), min(span[1], b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return round(total)


@attrs.frozen
class EscalationRule:
    """Escalate when a ticket has used ``at`` of an SLA target (0.8 = 80 %).

    Parameters
    ----------
    level:
        Escalation level (1, 2, …), in the event data.
    at:
        Fraction of the target used (``>= 1`` means breached).
    action:
        ``"notify"``, ``"notify_supervisor"`` (an event only), ``"reassign"``
        (the dispatcher also tries to give the ticket an earlier technician) or
        ``"raise_priority"`` (the ticket's priority becomes ``priority`` if that
        is more urgent: the live plan is re-priced with it, an unplanned ticket
        is inserted, and with ``reassign=True`` a planned one may move to a
        technician who can start earlier).
    clock:
        ``"response"``, ``"resolution"`` or ``"any"``.
    on_predicted:
        Also fire when the planned ETA already misses the deadline.
    priority:
        The new priority of ``"raise_priority"`` (``Priority``, ``1``..``4`` or
        ``"P1"``..``"P4"``); required by that action and refused by the others.
    reassign:
        With ``"raise_priority"``: also try an earlier technician for a planned ticket.
    """

    level: int
    at: float
    action: str = "notify_supervisor"
    clock: str = "any"
    on_predicted: bool = False
    priority: Priority | None = attrs.field(default=None, converter=_priority_or_raw)
    reassign: bool = False

    def __attrs_post_init__(self) -> None:
        if isinstance(self.level, bool) or not isinstance(self.level, int) or self.level < 1:
            fail("EscalationRule", None, "level", self.level, "must be an integer >= 1")
        if not isinstance(self.at, int | float) or self.at <= 0:
            fail("EscalationRule", None, "at", self.at, "must be a fraction > 0")
        if self.action not in _ACTIONS:
            fail("EscalationRule", None, "action", self.action,
                 "must be 'notify', 'notify_supervisor', 'reassign' or 'raise_priority'")
        if self.clock not in ("response", "resolution", "any"):
            fail("EscalationRule", None, "clock", self.clock,
                 "must be 'response', 'resolution' or 'any'")
        if self.priority is not None and not isinstance(self.priority, Priority):
            fail("EscalationRule", None, "priority", self.priority,
                 "must be P1..P4 (or 1..4)")
        if self.action == "raise_priority" and self.priority is None:
            fail("EscalationRule", None, "priority", None,
                 "must be given for action 'raise_priority'")
        if self.action != "raise_priority" and self.priority is not None:
            fail("EscalationRule", None, "priority", self.priority.name,
                 f"is only used by action 'raise_priority' (action is {self.action!r})")
        if not isinstance(self.reassign, bool):
            fail("EscalationRule", None, "reassign", self.reassign, "must be True or False")


@attrs.frozen
class SlaStatus:
    """One ticket's SLA clocks at ``now``.

    ``*_used`` is the fraction of the target consumed (working time with a
    calendar); ``*_remaining`` the time left before the deadline (negative
    once breached; ``None`` without a deadline or once met).
    ``predicted_breach``: the planned ETA already misses a deadline.
    """

    ticket_id: str
    state: str
    response_by: datetime | None
    resolve_by: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    response_used: float | None
    resolution_used: float | None
    response_remaining: timedelta | None
    resolution_remaining: timedelta | None
    at_risk: bool
    breached: bool
    predicted_breach: bool

    @property
    def used(self) -> float:
        """The larger of the two fractions used (0 without targets)."""
        return max(self.response_used or 0.0, self.resolution_used or 0.0)


def _rules(value: Any) -> tuple[EscalationRule, ...]:
    return tuple(sorted(value, key=lambda r: (r.at, r.level)))


@attrs.define
class SlaWatch:
    """SLA clocks of a dispatcher's tickets, at-risk flags and escalations.

    Parameters
    ----------
    calendar:
        :class:`BusinessCalendar` for the clocks; ``None`` = around the clock.
        With a calendar, the dispatcher derives each new ticket's deadlines
        from the SLA policy in working time (explicit deadlines are kept).
    at_risk:
        Fraction of a target used from which a ticket is at risk (default 0.8).
    rules:
        :class:`EscalationRule` s; each fires once per ticket, as an event.
    """

    calendar: BusinessCalendar | None = None
    at_risk: float = 0.8
    rules: tuple[EscalationRule, ...] = attrs.field(
        factory=lambda: (EscalationRule(1, 0.8, "notify_supervisor"),
                         EscalationRule(2, 1.0, "reassign")), converter=_rules)
    _fired: set[tuple[str, int]] = attrs.field(factory=set, init=False, repr=False)

    def with_deadlines(self, ticket: Ticket, policy: SlaPolicy | None, *,
                       default_created: datetime) -> Ticket:
        """The ticket with explicit deadlines from ``policy`` in working time (calendar only)."""
        if self.calendar is None or policy is None:
            return ticket
        if ticket.response_by is not None and ticket.resolve_by is not None:
            return ticket
        created = ticket.created_at or default_created
        target = policy.target_for(ticket.priority, ticket.customer_tier)
        if target is None:
            return ticket
        changes: dict[str, Any] = {"created_at": created}
        if ticket.response_by is None and target.response is not None:
            changes["response_by"] = self.calendar.add(created, target.response)
        if ticket.resolve_by is None and target.resolution is not None:
            changes["resolve_by"] = self.calendar.add(created, target.resolution)
        return attrs.evolve(ticket, **changes)

    def _elapsed(self, a: datetime, b: datetime) -> int:
        if self.calendar is not None:
            return self.calendar.elapsed(a, b)
        return max(round((b - a).total_seconds()), 0)

    def status(self, dispatcher: Dispatcher) -> Iterator[SlaStatus]:
        """SLA status of every ticket not cancelled or closed, at ``dispatcher.now``."""
        from .lifecycle import TicketState

        now = dispatcher.now
        etas = dispatcher.etas()
        problem = dispatcher.problem
        to_dt = dispatcher.scenario.horizon.to_datetime
        for tid in dispatcher.lifecycle.tickets():
            state = dispatcher.state(tid)
            if state in (TicketState.CANCELLED, TicketState.CLOSED):
                continue
            ticket = dispatcher.ticket(tid)
            created = ticket.created_at or dispatcher.live_state.registered_at.get(tid, now)
            response_by, resolve_by = ticket.response_by, ticket.resolve_by
            if (response_by is None or resolve_by is None) and problem.index.has_ticket(tid):
                j = problem.index.ticket_idx(tid)
                if response_by is None and problem.data.cost.response_by[j] < NO_DEADLINE:
                    response_by = to_dt(int(problem.data.cost.response_by[j]))
                if resolve_by is None and problem.data.cost.resolve_by[j] < NO_DEADLINE:
                    resolve_by = to_dt(int(problem.data.cost.resolve_by[j]))
            elif response_by is None or resolve_by is None:
                pol = dispatcher.scenario.deadlines(ticket)
                response_by = response_by or pol[0]
                resolve_by = resolve_by or pol[1]
            job = dispatcher.live_state.jobs.get(tid)
            responded = job.started_at if job is not None else None
            resolved = job.completed_at if job is not None else None
            eta = etas.get(tid)
            r_used, r_left, r_pred = self._clock(created, response_by, responded, now,
                                                 eta.start if eta else None)
            s_used, s_left, s_pred = self._clock(created, resolve_by, resolved, now,
                                                 eta.end if eta else None)
            used = max(r_used or 0.0, s_used or 0.0)
            breached = used >= 1.0
            yield SlaStatus(tid, state.value, response_by, resolve_by, responded, resolved,
                            r_used, s_used, r_left, s_left,
                            at_risk=not breached and (used >= self.at_risk or r_pred or s_pred),
                            breached=breached, predicted_breach=r_pred or s_pred)

    def _clock(self, created: datetime, deadline: datetime | None, met: datetime | None,
               now: datetime, planned: datetime | None,
               ) -> tuple[float | None, timedelta | None, bool]:
        if deadline is None:
            return None, None, False
        target = max(self._elapsed(created, deadline), 1)
        until = met if met is not None else now
        used = self._elapsed(created, until) / target
        if until > deadline:
            used = max(used, 1.0 + 1e-9)
        remaining = None if met is not None else deadline - now
        predicted = met is None and planned is not None and planned > deadline
        return used, remaining, predicted

    def check(self, dispatcher: Dispatcher) -> Iterable[SlaStatus]:
        """:meth:`status`, firing each escalation rule once per ticket (events, reassignment)."""
        out = list(self.status(dispatcher))
        for status in out:
            for rule in self.rules:
                if (status.ticket_id, rule.level) in self._fired:
                    continue
                if rule.clock == "response":
                    used = status.response_used or 0.0
                elif rule.clock == "resolution":
                    used = status.resolution_used or 0.0
                else:
                    used = status.used
                if used < rule.at and not (rule.on_predicted and status.predicted_breach):
                    continue
                self._fired.add((status.ticket_id, rule.level))
                dispatcher.escalate(status.ticket_id, rule.level,
                                    f"{used:.0%} of the SLA target used ({rule.action})")
                if rule.action == "reassign":
                    _reassign(dispatcher, status.ticket_id)
                elif rule.action == "raise_priority":
                    _raise(dispatcher, status.ticket_id, rule)
        return out


def _raise(dispatcher: Dispatcher, ticket_id: str, rule: EscalationRule) -> None:
    """Raise the ticket's priority to the rule's (if more urgent), then place an unplanned
    ticket (and, with ``rule.reassign``, move a planned one earlier if possible)."""
    assert rule.priority is not None
    if int(rule.priority) < int(dispatcher.ticket(ticket_id).priority):
        dispatcher.set_priority(ticket_id, rule.priority, actor="sla-watch",
                                reason=f"escalation level {rule.level}")
    if not dispatcher.state(ticket_id).is_open:
        return
    if rule.reassign or dispatcher.eta(ticket_id) is None:
        _reassign(dispatcher, ticket_id)


def _reassign(dispatcher: Dispatcher, ticket_id: str) -> None:
    """Give an open ticket an earlier technician if one exists (best effort)."""
    if not dispatcher.state(ticket_id).is_open:
        return
    try:
        current = dispatcher.eta(ticket_id)
        if current is None:
            dispatcher.insert(ticket_id, actor="sla-watch")
            return
        rec = dispatcher.recommend(ticket_id, k=1)
        best = rec.best
        if best is not None and best.technician_id != current.technician_id \
                and best.eta.start < current.start:
            dispatcher.move(ticket_id, best.technician_id, pin=False, actor="sla-watch")
    except FsdispatchError:  # a failed attempt leaves the plan as it was
        return
