"""The live dispatcher: the current plan and each technician's state at time ``now``.

:class:`Dispatcher` is the facade of live dispatch. It validates each request,
changes the desk's :class:`~fsdispatch.live.state.LiveState` (the clock,
tickets, jobs, positions, pins), keeps the live problem and plan in step
(:class:`~fsdispatch.live.live_problem.LivePlan`: the scenario of the rest of
the day, incrementally for technician events, by a recompile for pins,
forbids, rejections and re-plans), prices and places tickets
(:mod:`fsdispatch.live.pricing`, :mod:`fsdispatch.live.insertion`) and keeps
every ticket's lifecycle in step with the plan. Completed or in-progress work is
not in the live problem, so frozen work can never be touched; the live plan is
always feasible for the shared evaluator, with every open ticket planned or
unassigned with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
import numpy as np

from ..domain._validate import check_aware
from ..domain.location import Location
from ..domain.scenario import Scenario
from ..domain.ticket import Ticket
from ..errors import (
    InfeasiblePlanError,
    TransitionError,
    UnsupportedProblemError,
    ValidationError,
)
from ..evaluate.evaluation import Evaluation
from ..evaluate.evaluator import check_plan
from ..plan import Plan, UnassignedReason
from ..problem.problem import Problem
from . import crew, insertion, pricing
from ._checks import disruption_bounds, overrun_end
from .escalation import EscalationDesk
from .eta import Eta, EtaModel
from .lifecycle import EventLog, Lifecycle, TicketState
from .live_problem import LivePlan
from .positions import DEFAULT_MAX_AGE as MAX_AGE
from .positions import Position, check_max_age, position, positions, update_position
from .results import Change, DelayReport, InsertResult, Pin, Recommendation, ReplanResult
from .state import LiveState

__all__ = ["Dispatcher"]

S = TicketState


class Dispatcher(EscalationDesk):
    """Live dispatch of one scenario: the plan, technicians' states, pins and events.

    Parameters
    ----------
    scenario:
        The day (or days) to dispatch: technicians, their shifts, and the
        tickets known at the start. More tickets arrive by :meth:`insert`.
    now:
        The dispatcher's clock (timezone-aware; default: the horizon start).
    plan:
        An optional starting plan of ``compile_scenario(scenario)`` (e.g. the
        morning plan); by default every ticket is open until :meth:`reoptimize`.
    log:
        Event log to write to (a new one by default; see :attr:`log`).
    max_moved:
        Default disruption bound of :meth:`insert`: at most this many other
        tickets change technician or start more than ``max_shift`` later or earlier.
    max_shift:
        Seconds (or timedelta) an appointment may shift without counting as disrupted.
    eta_model:
        Width of ETA windows (:class:`EtaModel`).
    sla_watch:
        Optional :class:`~fsdispatch.live.sla.SlaWatch`; with a business
        calendar, its deadlines replace the scenario policy's for new tickets.
    position_max_age:
        Age (timedelta or seconds) after which a position ping falls back to the plan.

    Notes
    -----
    The desk's state is :attr:`live_state` (read it, do not write it).
    Completed and in-progress work is frozen by construction: it is not in
    the live problem. Pinned tickets are constrained in the live scenario
    (other technicians excluded, window narrowed), so every backend respects
    them, and locked for the ``ls`` warm start.
    """

    def __init__(self, scenario: Scenario, *, now: datetime | None = None,
                 plan: Plan | None = None, log: EventLog | None = None, max_moved: int = 2,
                 max_shift: int | timedelta = 30 * 60, eta_model: EtaModel | None = None,
                 sla_watch: Any = None, position_max_age: timedelta | int = MAX_AGE) -> None:
        if not isinstance(scenario, Scenario):
            raise ValidationError.for_field("Dispatcher", None, "scenario", scenario,
                                            "must be a Scenario")
        crew.check_start(scenario, plan)
        self.scenario = scenario
        start = scenario.horizon.start if now is None else now
        check_aware("Dispatcher", None, "now", start)
        self.lifecycle = Lifecycle(log)
        self.log = self.lifecycle.log
        self.eta_model = eta_model or EtaModel()
        self.sla_watch = sla_watch
        self.max_moved, self.max_shift = disruption_bounds(max_moved, max_shift)
        self._state = LiveState(scenario, start, {t.id: t for t in scenario.technicians},
                                position_max_age=check_max_age(position_max_age))
        self._live = LivePlan(self._state, self.lifecycle, self.eta_model)
        self._crew = crew.Desk(self._live, self._register, sla_watch)
        for ticket in scenario.tickets:  # a crew job as its members (live/crew.py)
            crew.register(self._crew, ticket, "scenario")
        self._live.rebuild(self._live.starting_plan(plan) if plan is not None else {})
        self._live.initial_stops = {}
        self._live.sync_lifecycle({}, "dispatcher")
        self._mended(None, "scenario")  # crews first (as greedy does), pinned for re-plans

    # ------------------------------------------------------------ properties
    @property
    def now(self) -> datetime:
        """The dispatcher's clock (move it with :meth:`set_clock` or :meth:`advance`)."""
        return self._state.now

    @now.setter
    def now(self, now: datetime) -> None:
        self.set_clock(now)

    @property
    def live_state(self) -> LiveState:
        """The desk's state at :attr:`now` (tickets, jobs, positions, pins): read-only."""
        return self._state

    @property
    def problem(self) -> Problem:
        """The live problem (the rest of the day at :attr:`now`)."""
        return self._live.problem

    @property
    def plan(self) -> Plan:
        """The live plan (a plan of :attr:`problem`; always feasible)."""
        return self._live.plan

    @property
    def evaluation(self) -> Evaluation:
        """The shared evaluator's verdict on the live plan (cached until the next change)."""
        return self._live.evaluation

    def state(self, ticket_id: str) -> TicketState:
        """Lifecycle state of a ticket."""
        return self.lifecycle.state(ticket_id)

    def ticket(self, ticket_id: str) -> Ticket:
        """The ticket (as registered, before live constraints)."""
        return self._state.ticket(ticket_id)

    def assignment(self, ticket_id: str) -> str | None:
        """Technician planned for (or working on) a ticket, or ``None``."""
        job = self._state.jobs.get(ticket_id)
        if job is not None and job.completed_at is None and self.state(ticket_id).in_progress:
            return job.technician_id
        r = self._live.route_of(ticket_id)
        return None if r is None else self._live.route_key[r][0]

    def route(self, technician_id: str, shift: int | None = None) -> list[str]:
        """Planned (not started) tickets of a technician, in visit order."""
        self._state.technician(technician_id)
        return self._live.technician_route(technician_id, shift)

    def planned_technicians(self) -> list[str]:
        """Technicians with planned (not started) tickets, in route order, each once."""
        keys = self._live.route_key
        return list(dict.fromkeys(keys[r][0] for r in
                                  np.flatnonzero(self._live.st.length > 0).tolist()))

    def frozen(self) -> dict[str, str]:
        """Tickets in progress or done: ticket id -> technician id."""
        return {t: job.technician_id for t, job in self._state.jobs.items()
                if self.state(t) in (S.EN_ROUTE, S.ON_SITE, S.COMPLETED, S.CLOSED)}

    def pins(self) -> dict[str, Pin]:
        """Current pins by ticket id."""
        return dict(self._state.pins)

    # ---------------------------------------------------------------- ETAs
    def etas(self) -> dict[str, Eta]:
        """ETA of every planned ticket and every job in progress, by ticket id."""
        return self._live.etas()

    def eta(self, ticket_id: str) -> Eta | None:
        """ETA of one ticket (``None`` if it is not planned)."""
        self.ticket(ticket_id)
        return self.etas().get(ticket_id)

    def update_position(self, technician_id: str, location: Location,
                        at: datetime | None = None) -> Position:
        """A position ping (``at``: default now): an idle technician's next leg starts there
        (:mod:`fsdispatch.live.positions` has the rule); returns the position as stored."""
        if update_position(self._state, technician_id, location, at):
            self._live.defer(keep_clock=True)
        return position(self._state, technician_id)

    def positions(self) -> Mapping[str, Position]:
        """Every technician's last position ping (read-only; ``stale`` past the max age)."""
        return positions(self._state)

    # ---------------------------------------------------------- recommend
    def recommend(self, ticket: Ticket | str, k: int = 3) -> Recommendation:
        """The ``k`` best technicians for a ticket, and why every other one is out.

        Parameters
        ----------
        ticket:
            A new :class:`~fsdispatch.Ticket` (not registered; nothing changes)
            or the id of an open ticket (planned ones are priced as if taken out
            of their route).
        k:
            Number of technicians to return (each at their cheapest shift and position).

        Returns
        -------
        Recommendation
            Options ranked by the evaluator's cost of the insertion, with ETA,
            cost breakdown and a reason; exclusions per technician.
        """
        self._live.settle()
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValidationError.for_field("recommend", None, "k", k, "must be an integer >= 1")
        if crew.is_crew(self._crew, ticket):  # options naming the crew (live/crew.py)
            return crew.recommend(self._crew, ticket, k)
        ctx = pricing.pricing_context(self._live, ticket, sla_watch=self.sla_watch)
        return pricing.recommend(self._live, ctx, k)

    # -------------------------------------------------------------- insert

    def insert(self, ticket: Ticket | str, *, max_moved: int | None = None,
               max_shift: int | timedelta | None = None, technician_id: str | None = None,
               actor: str = "dispatcher", follow_up_of: str | None = None) -> InsertResult:
        """Plan a ticket now (urgent insertion) with bounded disruption.

        First the cheapest plain insertion whose knock-on shifts stay within
        the bound; else a repair moving one other not-started, unpinned ticket
        to its best place elsewhere (an ejection), within the bound. Frozen
        (in progress, completed) and pinned work is never moved.

        Parameters
        ----------
        ticket:
            A new ticket (registered here, state ``created``) or the id of an
            open unplanned ticket (e.g. rejected, released from hold).
        max_moved, max_shift:
            Disruption bound (defaults: the dispatcher's): at most
            ``max_moved`` other tickets may change technician or start more
            than ``max_shift`` earlier or later.
        technician_id:
            Only consider this technician (a dispatcher's or a grab-pool choice).
        actor:
            Who asks (written to the event log).
        follow_up_of:
            For a new ticket, the original ticket it follows up.

        Returns
        -------
        InsertResult
            Where it went and exactly what changed; when not placed the ticket
            stays open (unassigned with a reason).
        """
        self._live.settle()
        moved_cap, shift_cap = disruption_bounds(
            self.max_moved if max_moved is None else max_moved,
            self.max_shift if max_shift is None else max_shift)
        if technician_id is not None:
            self._state.technician(technician_id)
        if crew.is_crew(self._crew, ticket):  # members pinned together (live/crew.py)
            return crew.insert(self._crew, ticket, moved_cap, shift_cap, technician_id, actor,
                               follow_up_of)
        ctx = pricing.pricing_context(self._live, ticket, sla_watch=self.sla_watch,
                                      follow_up_of=follow_up_of, actor=actor)
        if not ctx.new and ctx.route is not None:
            raise ValidationError.for_field("Ticket", ctx.ticket_id, "state",
                                            self.state(ctx.ticket_id).value,
                                            "is already planned (use move() or reoptimize())")

        def register(c: pricing.PricingContext) -> None:
            self._register(c.ticket, actor=actor, follow_up_of=c.follow_up_of)

        return insertion.insert(self._live, ctx, moved_cap, shift_cap, technician_id, actor,
                                register)

    def add(self, ticket: Ticket, *, follow_up_of: str | None = None,
            actor: str = "dispatcher") -> UnassignedReason:
        """Register a new ticket as open, without planning it (e.g. for the grab pool).

        Returns its unassigned reason: ``open``, or why no technician could ever serve it.
        """
        self._live.settle()
        if crew.is_crew(self._crew, ticket):  # members on hold until placed whole
            return crew.add(self._crew, ticket, actor, follow_up_of)
        ctx = pricing.pricing_context(self._live, ticket, sla_watch=self.sla_watch,
                                      follow_up_of=follow_up_of, actor=actor)
        self._register(ticket, actor=actor, follow_up_of=follow_up_of)
        return self._live.add_open(ctx)

    def reoptimize(self, now: datetime | None = None, *, solver: str = "ls",
                   time_limit: float | None = 1.0, seed: int | None = 0,
                   freeze: timedelta | int | None = None,
                   actor: str = "optimizer", **options: Any) -> ReplanResult:
        """Re-plan the rest of the day from the current state.

        Warm-started from the current plan (repaired if the clock made parts
        of it impossible, then completed greedily); pins are kept (the
        technician and time constraints are in the live problem for every
        backend, and ``ls`` also locks pinned tickets in their route). The
        result replaces the plan only if it is feasible and not worse.

        Parameters
        ----------
        now:
            Advance the clock first (default: keep :attr:`now`).
        solver:
            Any registered backend (``"greedy"``, ``"ls"``, ``"cpsat"``, ``"milp"``).
        time_limit, seed, options:
            Passed to :func:`fsdispatch.solve`.
        freeze:
            A time-based freeze (seconds or a timedelta): every visit planned to
            start before ``now + freeze`` keeps its technician and its start
            (it is pinned there for this re-plan only, and ``ls`` locks it in
            its route); the rest of the day is re-planned around it. Idle time
            inside the frozen period may still receive other work.
        """
        self._live.settle()
        freeze_s = None
        if freeze is not None:
            freeze_s = round(freeze.total_seconds()) if isinstance(freeze, timedelta) \
                else freeze
            if isinstance(freeze_s, bool) or not isinstance(freeze_s, int) or freeze_s < 0:
                raise ValidationError.for_field("reoptimize", None, "freeze", freeze,
                                                "must be seconds >= 0 or a timedelta")
        if now is not None:
            self.set_clock(now)
            self._live.refresh_breaks()
        return self._mended(self._live.reoptimize(solver, time_limit, seed, freeze_s, actor,
                                                  options), actor, retry=True)

    def plan_day(self, *, solver: str = "ls", time_limit: float | None = 1.0,
                 seed: int | None = 0, **options: Any) -> ReplanResult:
        """The morning plan: :meth:`reoptimize` at the current clock."""
        return self.reoptimize(solver=solver, time_limit=time_limit, seed=seed, **options)

    def apply(self, plan: Plan, actor: str = "dispatcher") -> ReplanResult:
        """Adopt a plan of the live problem (e.g. a proposal) after checking it.

        Raises
        ------
        ValidationError
            If the evaluator finds a violation, or a pin is broken.
        """
        self._live.settle()
        try:
            ev = check_plan(self.problem, plan)
        except InfeasiblePlanError as exc:
            raise ValidationError(f"Dispatcher: plan rejected: {exc}", entity="Plan",
                                  field="routes") from exc
        return self._live.adopt(plan, ev.objective, actor)

    # ------------------------------------------------------ manual control
    def pin(self, ticket_id: str, technician_id: str | None = None, *,
            start: datetime | None = None, end: datetime | None = None,
            actor: str = "dispatcher") -> Pin:
        """Pin an open ticket to a technician (default: its current one) and/or a start interval.

        The next optimisation keeps it with that technician and within the
        interval; :meth:`insert` repairs never move it. With ``start`` only,
        the interval is ``[start, start]`` (an exact appointment).
        """
        self._live.settle()
        self._open(ticket_id)
        state = self._state
        if technician_id is None and start is None:
            technician_id = self.assignment(ticket_id)
            if technician_id is None:
                raise ValidationError.for_field("Pin", ticket_id, "technician_id", None,
                                                "must be given for an unplanned ticket")
        if technician_id is not None:
            state.technician(technician_id)
            if technician_id in state.forbidden.get(ticket_id, set()):
                raise ValidationError.for_field("Pin", ticket_id, "technician_id",
                                                technician_id, "is forbidden for this ticket")
        if start is not None:
            check_aware("Pin", ticket_id, "start", start)
            end = start if end is None else end
            check_aware("Pin", ticket_id, "end", end)
            if end < start:
                raise ValidationError.for_field("Pin", ticket_id, "end", end.isoformat(),
                                                f"must not be before start {start.isoformat()}")
        pin = Pin(technician_id, start, end)
        state.pins[ticket_id] = pin
        self._note(ticket_id, "pin", actor, technician_id=technician_id, start=start, end=end)
        self._live.rebuild(None)
        return pin

    def unpin(self, ticket_id: str, actor: str = "dispatcher") -> None:
        """Remove a pin."""
        self._live.settle()
        if self._state.pins.pop(ticket_id, None) is not None:
            self._note(ticket_id, "unpin", actor)
            self._live.rebuild(None)

    def forbid(self, ticket_id: str, technician_id: str, actor: str = "dispatcher") -> None:
        """Never send ``technician_id`` to this ticket (it is taken off that route now)."""
        live = self._live
        live.settle()
        self._open(ticket_id)
        self._state.technician(technician_id)
        pin = self._state.pins.get(ticket_id)
        if pin is not None and pin.technician_id == technician_id:
            raise ValidationError.for_field("Ticket", ticket_id, "forbidden", technician_id,
                                            "is the pinned technician (unpin first)")
        self._state.forbidden.setdefault(ticket_id, set()).add(technician_id)
        self._note(ticket_id, "forbid", actor, technician_id=technician_id)
        before = live.snapshot()
        live.rebuild(None)
        live.sync_lifecycle(before, actor)

    def move(self, ticket_id: str, technician_id: str, position: int | None = None, *,
             shift: int | None = None, pin: bool = True, actor: str = "dispatcher") -> Change:
        """Move an open ticket by hand to a technician (at ``position``, else the cheapest).

        The move is checked against every rule; with ``pin=True`` (default)
        the ticket is then pinned to that technician.

        Raises
        ------
        ValidationError
            If the technician cannot take the ticket there (the message says why).
        """
        live = self._live
        live.settle()
        self._open(ticket_id)
        self._state.technician(technician_id)
        for name, value in (("position", position), ("shift", shift)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise ValidationError.for_field("move", ticket_id, name, value,
                                                "must be an integer >= 0")
        if technician_id in self._state.forbidden.get(ticket_id, set()):
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", technician_id,
                                            "is forbidden for this ticket")
        before = live.snapshot()
        insertion.place_by_hand(live, ticket_id, technician_id, position, shift)
        if pin:
            self._state.pins[ticket_id] = attrs.evolve(self._state.pins.get(ticket_id, Pin()),
                                                       technician_id=technician_id)
            live.rebuild(None)
        after = live.snapshot()
        self._note(ticket_id, "move", actor, technician_id=technician_id)
        live.sync_lifecycle(before, actor)
        mine = [c for c in live.diff(before, after) if c.ticket_id == ticket_id]
        return mine[0] if mine else Change(ticket_id, "shifted", technician_id, technician_id,
                                           None, None)

    # ------------------------------------------------- technician events
    def accept(self, ticket_id: str, actor: str | None = None) -> None:
        """The planned technician accepts the ticket."""
        self._live.settle()
        tech = self.assignment(ticket_id)
        self.lifecycle.transition(ticket_id, S.ACCEPTED, self.now, actor or tech or "technician",
                                  technician_id=tech)

    def reject(self, ticket_id: str, technician_id: str | None = None, *,
               redispatch: bool = True, reason: str = "") -> InsertResult | None:
        """The technician rejects the ticket: it is forbidden for them and re-dispatched.

        Returns the :meth:`insert` result of the re-dispatch (or ``None`` with
        ``redispatch=False``: the ticket stays open).
        """
        self._live.settle()
        tech = technician_id or self.assignment(ticket_id)
        if tech is None:
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", None,
                                            "must be given: the ticket is not planned")
        self.lifecycle.transition(ticket_id, S.REJECTED, self.now, tech, technician_id=tech,
                                  reason=reason)
        self._state.pins.pop(ticket_id, None)
        self._state.forbidden.setdefault(ticket_id, set()).add(tech)
        self._live.rebuild(None)
        return self.insert(ticket_id, actor="dispatcher") if redispatch else None

    def start_travel(self, ticket_id: str, technician_id: str | None = None) -> Eta:
        """The technician leaves for the ticket (en route); returns the ETA sent to the customer.

        The ticket becomes frozen; the technician's remaining day is re-planned
        from the expected end of this job.
        """
        live = self._live
        live.settle()
        state = self._state
        tech = technician_id or self.assignment(ticket_id)
        if tech is None:
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", None,
                                            "must be given: the ticket is not planned")
        state.technician(tech)
        if tech in state.current:
            raise TransitionError(f"Technician {tech!r} is already on ticket "
                                  f"{state.current[tech]!r}; complete or hold it first.")
        if not self.lifecycle.can(ticket_id, S.EN_ROUTE):
            self.lifecycle.transition(ticket_id, S.EN_ROUTE, self.now, tech)  # raises
        start, service = live.travel_start(tech, ticket_id)
        to_dt = state.to_datetime
        state.start_job(ticket_id, tech, service, to_dt(start + service))
        earliest, latest = self.eta_model.window(to_dt(start), self.now)
        eta = Eta(ticket_id, tech, to_dt(start), earliest, latest, to_dt(start + service),
                  "en_route")
        before = live.snapshot()
        self.lifecycle.transition(ticket_id, S.EN_ROUTE, self.now, tech, technician_id=tech,
                                  eta=eta.start, eta_window=(eta.earliest, eta.latest))
        live.defer((ticket_id,), before)
        return eta

    def arrive(self, ticket_id: str) -> None:
        """The technician is on site and starts the work (implies en route if not reported)."""
        if self.state(ticket_id) != S.EN_ROUTE:
            self.start_travel(ticket_id)
        job = self._state.start_work(ticket_id)
        self.lifecycle.transition(ticket_id, S.ON_SITE, self.now, job.technician_id,
                                  technician_id=job.technician_id,
                                  expected_end=job.expected_end)
        self._live.defer()

    def complete(self, ticket_id: str) -> None:
        """The work is done; the technician is free at the ticket's location from now."""
        if self.state(ticket_id) != S.ON_SITE:
            self.lifecycle.transition(ticket_id, S.COMPLETED, self.now, "technician")  # raises
        job = self._state.finish_job(ticket_id)
        self.lifecycle.transition(ticket_id, S.COMPLETED, self.now, job.technician_id,
                                  technician_id=job.technician_id)
        self._live.defer()

    def close(self, ticket_id: str, actor: str = "dispatcher") -> None:
        """Close a completed ticket."""
        self.lifecycle.transition(ticket_id, S.CLOSED, self.now, actor)

    def cancel(self, ticket_id: str, actor: str = "dispatcher", reason: str = "") -> None:
        """Cancel an open or en-route ticket (it leaves the plan)."""
        state = self.state(ticket_id)
        if not self.lifecycle.can(ticket_id, S.CANCELLED):
            self.lifecycle.transition(ticket_id, S.CANCELLED, self.now, actor)  # raises
        if state == S.EN_ROUTE:
            self._state.free(ticket_id)
        self._state.pins.pop(ticket_id, None)
        self.lifecycle.transition(ticket_id, S.CANCELLED, self.now, actor, reason=reason)
        self._live.defer((ticket_id,))
        self._mended(None, actor)  # a crew is cancelled whole

    def hold(self, ticket_id: str, reason: str = "", actor: str = "dispatcher") -> None:
        """Put a ticket on hold (e.g. waiting for parts); a job in progress is interrupted."""
        if self.state(ticket_id).in_progress:
            self._state.free(ticket_id)
        self.lifecycle.transition(ticket_id, S.ON_HOLD, self.now, actor, reason=reason)
        self._live.defer((ticket_id,))
        self._mended(None, actor)  # a crew is held whole

    def release(self, ticket_id: str, *, redispatch: bool = True,
                actor: str = "dispatcher") -> InsertResult | None:
        """Take a ticket off hold; by default it is inserted at once."""
        self._live.settle()
        self.lifecycle.transition(ticket_id, S.CREATED, self.now, actor)
        self._live.reopen(self._state.tickets[ticket_id])
        return self.insert(ticket_id, actor=actor) if redispatch else self._mended(None, actor)

    def follow_up(self, ticket_id: str, ticket: Ticket, *, redispatch: bool = True,
                  actor: str = "dispatcher") -> InsertResult | None:
        """Create a follow-up visit linked to ``ticket_id`` (e.g. after waiting for parts)."""
        self._live.settle()
        self.state(ticket_id)
        if redispatch:
            return self.insert(ticket, follow_up_of=ticket_id, actor=actor)
        self._register(ticket, actor=actor, follow_up_of=ticket_id)
        self._live.reopen(self._state.tickets[ticket.id])
        return None

    def report_overrun(self, ticket_id: str, *, extra: int | timedelta | None = None,
                       expected_end: datetime | None = None, repair: bool = True,
                       actor: str = "technician") -> DelayReport:
        """A job in progress runs late: ETAs are recomputed, tickets at risk listed, a repair made.

        Parameters
        ----------
        ticket_id:
            A ticket en route or on site.
        extra, expected_end:
            The delay (seconds or timedelta added to the expected end) or the
            new expected end.
        repair:
            Apply the repair (re-insert dropped tickets greedily, nobody else
            moves); with ``False`` it is only proposed (``report.proposal``).
        """
        if not self.state(ticket_id).in_progress:
            raise ValidationError.for_field("Ticket", ticket_id, "state",
                                            self.state(ticket_id).value,
                                            "must be en_route or on_site to overrun")
        job = self._state.jobs[ticket_id]
        if expected_end is None:
            expected_end = overrun_end(ticket_id, extra, job.expected_end or self.now)
        check_aware("report_overrun", ticket_id, "expected_end", expected_end)
        old_end = job.expected_end
        self._state.delay(ticket_id, expected_end)
        self._note(ticket_id, "delay", actor, technician_id=job.technician_id, old_end=old_end,
                   expected_end=expected_end)
        return self._mended(insertion.repair_report(self._live, job.technician_id, repair,
                                                   actor, self.max_shift), actor)

    def technician_absent(self, technician_id: str, *, until: datetime | None = None,
                          repair: bool = True, actor: str = "dispatcher") -> DelayReport:
        """A technician is absent from now (until ``until``, default the horizon end).

        Their remaining shifts in that period are dropped; a job in progress
        is put on hold; their planned tickets are re-dispatched greedily (no
        other ticket moves) and the rest listed as at risk.
        """
        self._state.technician(technician_id)
        if until is not None:
            check_aware("technician_absent", technician_id, "until", until)
        cur = self._state.current.get(technician_id)
        if cur is not None:
            self._state.free(cur)
            self.lifecycle.transition(cur, S.ON_HOLD, self.now, actor,
                                      reason=f"technician {technician_id} absent")
        self._state.absent[technician_id] = (self.now, until)
        self.log.emit(self.now, None, "absence", actor, technician_id=technician_id,
                      until=until)
        return self._mended(insertion.repair_report(self._live, technician_id, repair, actor,
                                                   self.max_shift), actor)

    def advance(self, now: datetime, *, repair: bool = True,
                actor: str = "dispatcher") -> DelayReport:
        """Move the clock to ``now``: technicians not yet started wait from now on.

        Planned visits that are no longer possible are dropped and, with
        ``repair``, re-inserted greedily; the report lists the tickets at risk.
        """
        self._live.settle()
        self.set_clock(now)
        self._live.refresh_breaks()
        return self._mended(insertion.repair_report(self._live, None, repair, actor,
                                                   self.max_shift), actor)

    def set_clock(self, now: datetime) -> None:
        """Move the clock to ``now`` (never back) without re-planning: the next technician
        event, :meth:`advance` or :meth:`reoptimize` brings the plan up to date."""
        self._state.set_clock(now)

    # ---------------------------------------------------------- explain / SLA
    def explain(self, ticket_id: str) -> Any:
        """:func:`fsdispatch.live.explain.explain` of a ticket of the live plan."""
        self._live.settle()
        from .explain import explain

        return explain(self.problem, self.plan, ticket_id, evaluation=self.evaluation)

    # ================================================================ internals
    def _open(self, ticket_id: str) -> None:
        state = self.state(ticket_id)
        if not state.is_open:
            raise TransitionError(f"Ticket {ticket_id!r} is {state.value!r}: only open "
                                  "(not started) tickets can be planned, pinned or moved.")

    def _mended(self, report: Any, actor: str, retry: bool = False) -> Any:
        """``report`` after the crews an event broke are placed again (live/crew.py)."""
        crew.mend(self._crew, self.max_moved, self.max_shift, actor, retry)
        return report

    def _note(self, ticket_id: str, kind: str, actor: str, **data: Any) -> None:
        """Log a dispatcher action on a ticket that does not change its state."""
        state = self.state(ticket_id)
        self.log.emit(self.now, ticket_id, kind, actor, from_state=state, to_state=state,
                      **data)

    def _register(self, ticket: Ticket, *, actor: str, follow_up_of: str | None = None) -> None:
        if not isinstance(ticket, Ticket):
            raise ValidationError.for_field("Dispatcher", None, "ticket", ticket,
                                            "must be a Ticket")
        if ticket.crew_size > 1:  # (crew.register registers its members)
            raise UnsupportedProblemError(f"Ticket {ticket.id!r}: crew jobs go by insert()")
        if ticket.id in self._state.tickets:
            raise ValidationError.for_field("Ticket", ticket.id, "id", ticket.id,
                                            "must be unique (already known to the dispatcher)")
        if self.sla_watch is not None and hasattr(self.sla_watch, "with_deadlines"):
            ticket = self.sla_watch.with_deadlines(ticket, self.scenario.sla_policy,
                                                   default_created=self.now)
        self.lifecycle.add(ticket.id, self.now, actor, follow_up_of=follow_up_of,
                           priority=ticket.priority.name)
        self._state.add_ticket(ticket)
