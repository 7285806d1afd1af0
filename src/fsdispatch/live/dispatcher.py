"""The live dispatcher: the current plan and each technician's state at time ``now``.

The dispatcher keeps a *live problem*: the scenario of the rest of the day,
brought up to date on every structural change — incrementally for technician
events (a job started or finished, a delay, a cancellation, a hold or
release, an absence, a clock move: :mod:`fsdispatch.live._fast`), by a
recompile for pins, forbids, rejections and re-plans. In it each
technician's current shift starts at ``max(now, end of the job in
progress)`` from where the technician is,
breaks already taken are gone, and completed or in-progress tickets are not
there at all — so frozen work can never be touched. The live plan is a
:class:`~fsdispatch.Plan` of that problem, always feasible for the shared
evaluator, with every open ticket planned or unassigned with a reason.

New tickets are priced without recompiling: their rows are appended to the
compiled arrays (:func:`fsdispatch.problem.extend.ticket_rows`) and the
cheapest feasible position in every able route is found by the greedy
backend's exact insertion kernel on a cached route state.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
import numpy as np

from .._debug import assert_mode, check_close, objective_of
from ..domain._validate import check_aware
from ..domain.location import Location
from ..domain.scenario import Scenario
from ..domain.technician import Shift, Technician
from ..domain.ticket import Ticket, TimeWindow
from ..errors import TransitionError, UnknownReferenceError, ValidationError
from ..evaluate.evaluation import Evaluation
from ..evaluate.evaluator import evaluate
from ..plan import Plan, UnassignedReason
from ..problem.compile import compile_scenario
from ..problem.extend import TicketRows, append_ticket, ticket_rows
from ..problem.problem import NO_DEADLINE, Incompatibility, Problem
from ..problem.reasons import INCOMPATIBILITY
from ..units import MINUTE
from .eta import Eta, EtaModel
from .lifecycle import EventLog, Lifecycle, TicketState
from .pricing import insertion_terms
from .results import (
    Change,
    CostBreakdown,
    DelayReport,
    Exclusion,
    InsertResult,
    Option,
    Pin,
    Recommendation,
    ReplanResult,
)

__all__ = ["Dispatcher", "warm_up"]

logger = logging.getLogger(__name__)

S = TicketState
_EJECT_ROUTES = 8  # routes nearest to the new ticket tried for an ejection repair
_EJECT_TRIES = 6  # cheapest ejections checked against the disruption bound

_NO_ROOM = "no room: the day's ticket cap, capacity or van stock is used by planned work"
_NO_POSITION = "no feasible slot in the planned day (windows, breaks, shift end)"
_COMPAT_ENUM = {int(c): c for c in Incompatibility}


@attrs.define
class _Job:
    """A job in progress or done."""

    technician_id: str
    location: Location
    service: int
    started_at: datetime | None = None
    expected_end: datetime | None = None
    completed_at: datetime | None = None
    en_route_at: datetime | None = None


# ---------------------------------------------------------------- dispatcher


def _settled(name: str) -> Any:
    """A live-plan attribute that settles a deferred refresh before it is read."""
    raw = "_raw" + name

    def fget(self: Dispatcher) -> Any:
        if self._pending is not None:
            self._settle()
        return self.__dict__[raw]

    def fset(self: Dispatcher, value: Any) -> None:
        self.__dict__[raw] = value

    return property(fget, fset, doc=f"``{name}`` of the live plan (settled on read).")


class Dispatcher:
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

    Notes
    -----
    Completed and in-progress work is frozen by construction: it is not in
    the live problem. Pinned tickets are constrained in the live scenario
    (other technicians excluded, window narrowed), so every backend respects
    them, and locked for the ``ls`` warm start.
    """

    #: Technician events update the live problem incrementally; ``False`` recompiles it on
    #: every event (the reference the incremental path is tested and benchmarked against).
    _incremental: bool = True
    #: Events that report nothing back defer their refresh to the next read; ``False``
    #: refreshes at once (the reference the deferral is tested and benchmarked against).
    _lazy: bool = True

    # the live problem and plan: a technician event that reports nothing back (arrive,
    # complete, cancel, hold, a re-opened ticket) defers its refresh to the next read
    # (:meth:`_defer`), so events in a row cost one refresh
    _problem: Problem = _settled("_problem")
    _st: Any = _settled("_st")
    _reasons: dict[str, UnassignedReason] = _settled("_reasons")
    _route_key: list[tuple[str, int]] = _settled("_route_key")
    _live_breaks: list[list[int]] = _settled("_live_breaks")

    def __init__(self, scenario: Scenario, *, now: datetime | None = None,
                 plan: Plan | None = None, log: EventLog | None = None, max_moved: int = 2,
                 max_shift: int | timedelta = 30 * MINUTE, eta_model: EtaModel | None = None,
                 sla_watch: Any = None) -> None:
        if not isinstance(scenario, Scenario):
            raise ValidationError.for_field("Dispatcher", None, "scenario", scenario,
                                            "must be a Scenario")
        self.scenario = scenario
        self.now = scenario.horizon.start if now is None else now
        check_aware("Dispatcher", None, "now", self.now)
        self.lifecycle = Lifecycle(log)
        self.log = self.lifecycle.log
        self.eta_model = eta_model or EtaModel()
        self.sla_watch = sla_watch
        self.max_moved, self.max_shift = self._bounds(max_moved, max_shift)
        self._techs: dict[str, Technician] = {t.id: t for t in scenario.technicians}
        self._tickets: dict[str, Ticket] = {}
        self._registered_at: dict[str, datetime] = {}
        self._reg_rank: dict[str, int] = {}  # registration order (the live problem's order)
        self._jobs: dict[str, _Job] = {}
        self._current: dict[str, str] = {}
        self._last_pos: dict[str, Location] = {}
        self._done_work: dict[str, int] = {}
        # parts picked up at depot stops already made: technician -> sku -> units, and
        # units each depot handed out (the live vans and depots account for them)
        self._picked: dict[str, dict[str, int]] = {}
        self._handed_out: dict[str, dict[str, int]] = {}
        self._absent: dict[str, tuple[datetime, datetime | None]] = {}
        self._breaks_taken: set[tuple[str, int, int]] = set()
        self._busy_until: dict[str, datetime] = {}
        # technicians whose position or busy time changed since the live problem last
        # looked (the incremental refresh looks only at those)
        self._relocated: set[str] = set()
        self._pins: dict[str, Pin] = {}
        self._forbidden: dict[str, set[str]] = {}
        # a deferred refresh: (tickets that left the open set, the clock of the last event,
        # the plan before the first event: the lifecycle is synced with the refresh)
        self._pending: tuple[tuple[str, ...], datetime,
                             Mapping[str, tuple[str, int]]] | None = None
        self._reasons = {}
        self._cache: dict[str, Any] = {}
        self._st = None
        self._route_key = []
        self._live_breaks = []
        self._jobs_of: dict[str, list[str]] = {}  # technician -> its jobs (in progress, done)
        self._tver: dict[str, int] = {}  # technician -> version of its jobs / done work
        self._slots: Any = None  # every shift as integers (built on first refresh)
        self._fast: Any = None  # aux state of the incremental refresh
        self._initial_stops: dict[str, int] = {}
        for ticket in scenario.tickets:
            self._register(ticket, actor="scenario")
        keep: dict[tuple[str, int], list[str]] = {}
        if plan is not None:
            full = compile_scenario(scenario)
            if len(plan.routes) != full.num_routes:
                raise ValidationError.for_field("Dispatcher", None, "plan", len(plan.routes),
                                                f"must have {full.num_routes} routes")
            for r, route in enumerate(plan.routes):
                t_idx, k = full.index.routes[r]
                keep[(full.index.technician_ids[t_idx], k)] = [full.index.ticket_ids[j]
                                                              for j in route]
                # depot stops: the heuristics' state keeps one, first thing on the route
                stops = [plan.pickups[j] for j in route if j in plan.pickups]
                if stops and 0 <= stops[0] < full.num_depots:
                    self._initial_stops[full.index.ticket_ids[route[0]]] = stops[0]
        self._rebuild(keep)
        self._initial_stops = {}
        self._sync_lifecycle({}, "dispatcher")

    # ------------------------------------------------------------ properties
    @property
    def problem(self) -> Problem:
        """The live problem (the rest of the day at :attr:`now`)."""
        return self._problem

    @property
    def plan(self) -> Plan:
        """The live plan (a plan of :attr:`problem`; always feasible)."""
        plan = self._cache.get("plan")
        if plan is None:
            from ..solvers.greedy import state_pickups, state_routes

            index = self._problem.index
            unassigned = {index.ticket_idx(t): reason for t, reason in self._reasons.items()}
            plan = Plan(routes=state_routes(self._st), unassigned=unassigned,
                        pickups=state_pickups(self._st))
            self._cache["plan"] = plan
        return plan

    @property
    def evaluation(self) -> Evaluation:
        """The shared evaluator's verdict on the live plan (cached until the next change)."""
        ev = self._cache.get("evaluation")
        if ev is None:
            ev = self._cache["evaluation"] = evaluate(self._problem, self.plan)
        return ev

    def state(self, ticket_id: str) -> TicketState:
        """Lifecycle state of a ticket."""
        return self.lifecycle.state(ticket_id)

    def ticket(self, ticket_id: str) -> Ticket:
        """The ticket (as registered, before live constraints)."""
        try:
            return self._tickets[ticket_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown ticket id {ticket_id!r}", entity="Ticket",
                                        entity_id=ticket_id) from None

    def assignment(self, ticket_id: str) -> str | None:
        """Technician planned for (or working on) a ticket, or ``None``."""
        job = self._jobs.get(ticket_id)
        if job is not None and job.completed_at is None and self.state(ticket_id).in_progress:
            return job.technician_id
        r = self._route_of(ticket_id)
        return None if r is None else self._route_key[r][0]

    def route(self, technician_id: str, shift: int | None = None) -> list[str]:
        """Planned (not started) tickets of a technician, in visit order."""
        self._tech(technician_id)
        out: list[str] = []
        ids = self._problem.index.ticket_ids
        for r, (tech_id, k) in enumerate(self._route_key):
            if tech_id == technician_id and (shift is None or k == shift):
                out.extend(ids[int(j)] for j in self._st.seq[r, :self._st.length[r]])
        return out

    def planned_technicians(self) -> list[str]:
        """Technicians with planned (not started) tickets, in route order, each once."""
        keys = self._route_key
        return list(dict.fromkeys(keys[r][0] for r in
                                  np.flatnonzero(self._st.length > 0).tolist()))

    def frozen(self) -> dict[str, str]:
        """Tickets in progress or done: ticket id -> technician id."""
        return {t: job.technician_id for t, job in self._jobs.items()
                if self.state(t) in (S.EN_ROUTE, S.ON_SITE, S.COMPLETED, S.CLOSED)}

    def pins(self) -> dict[str, Pin]:
        """Current pins by ticket id."""
        return dict(self._pins)

    # ---------------------------------------------------------------- ETAs
    def etas(self) -> dict[str, Eta]:
        """ETA of every planned ticket and every job in progress, by ticket id."""
        out: dict[str, Eta] = {}
        starts, routes = self._starts()
        ids = self._problem.index.ticket_ids
        for j in np.flatnonzero(routes >= 0).tolist():
            out[ids[j]] = self._eta(ids[j], int(routes[j]), int(starts[j]))
        for t, job in self._jobs.items():
            state = self.state(t)
            if state.in_progress:
                start = job.started_at or job.expected_end or self.now
                end = job.expected_end or self.now
                earliest, latest = self.eta_model.window(start, self.now)
                out[t] = Eta(t, job.technician_id, start, min(earliest, start),
                             max(latest, start), end, state.value)
        return out

    def eta(self, ticket_id: str) -> Eta | None:
        """ETA of one ticket (``None`` if it is not planned)."""
        self.ticket(ticket_id)
        return self.etas().get(ticket_id)

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
        self._settle()
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValidationError.for_field("recommend", None, "k", k, "must be an integer >= 1")
        ctx = self._pricing_context(ticket)
        return self._recommend(ctx, k)

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
        self._settle()
        moved_cap, shift_cap = self._bounds(
            self.max_moved if max_moved is None else max_moved,
            self.max_shift if max_shift is None else max_shift)
        if technician_id is not None:
            self._tech(technician_id)
        ctx = self._pricing_context(ticket, follow_up_of=follow_up_of, actor=actor)
        if not ctx["new"] and ctx["route"] is not None:
            raise ValidationError.for_field("Ticket", ctx["ticket_id"], "state",
                                            self.state(ctx["ticket_id"]).value,
                                            "is already planned (use move() or reoptimize())")
        return self._insert(ctx, moved_cap, shift_cap, technician_id, actor)

    def add(self, ticket: Ticket, *, follow_up_of: str | None = None,
            actor: str = "dispatcher") -> UnassignedReason:
        """Register a new ticket as open, without planning it (e.g. for the grab pool).

        Returns its unassigned reason: ``open``, or why no technician could ever serve it.
        """
        self._settle()
        ctx = self._pricing_context(ticket, follow_up_of=follow_up_of, actor=actor)
        self._register(ticket, actor=actor, follow_up_of=follow_up_of)
        self._problem = self._grown(ctx)
        self._widen(self._problem)
        if self._st.usage.shape != self._problem.data.res.stock.shape:
            from ..solvers.greedy import make_state, state_pickups

            st = self._st
            self._st = make_state(self._problem, [list(st.seq[r, :st.length[r]])
                                                  for r in range(st.seq.shape[0])],
                                  state_pickups(st))
        reason = (UnassignedReason.from_code(ctx["unservable"]) if ctx["unservable"]
                  else UnassignedReason.OPEN)
        self._reasons[ticket.id] = reason
        self._cache = {}
        return reason

    # ---------------------------------------------------------- reoptimize
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
        self._settle()
        import time as _time

        freeze_s = None
        if freeze is not None:
            freeze_s = round(freeze.total_seconds()) if isinstance(freeze, timedelta) \
                else freeze
            if isinstance(freeze_s, bool) or not isinstance(freeze_s, int) or freeze_s < 0:
                raise ValidationError.for_field("reoptimize", None, "freeze", freeze,
                                                "must be seconds >= 0 or a timedelta")
        tic = _time.perf_counter()
        if now is not None:
            self._set_clock(now)
            self._refresh_breaks()
        before = self._snapshot()
        self._rebuild(None)
        obj_before = self.evaluation.objective
        frozen = self._freeze_pins(freeze_s) if freeze_s else []
        try:
            chosen, problem = self._replan(solver, time_limit, seed, options)
        finally:
            for tid in frozen:
                self._pins.pop(tid, None)
        self._set_plan(chosen.routes, chosen.unassigned, chosen.pickups)
        if frozen:  # the live problem without the freeze's pins; the plan is kept as it is
            self._rebuild(None)
            problem = self._problem
        changes = self._diff(before, self._snapshot())
        self._sync_lifecycle(before, actor)
        return ReplanResult(objective_before=obj_before,
                            objective_after=self.evaluation.objective, changes=changes,
                            unassigned={problem.index.ticket_ids[j]: r.value
                                        for j, r in sorted(self.plan.unassigned.items())},
                            solver=solver, runtime=_time.perf_counter() - tic)

    def _freeze_pins(self, freeze: int) -> list[str]:
        """Pin every unpinned visit that starts before ``now + freeze`` to its technician and
        start (the caller removes the pins); returns the tickets pinned."""
        limit = self._t(self.now) + freeze
        to_dt = self.scenario.horizon.to_datetime
        frozen = [(tid, tech, start) for tid, (tech, start) in self._snapshot().items()
                  if start < limit and tid not in self._pins]
        for tid, tech, start in frozen:
            self._pins[tid] = Pin(tech, to_dt(start), to_dt(start))
        if frozen:
            self._rebuild(None)
        return [tid for tid, _, _ in frozen]

    def _replan(self, solver: str, time_limit: float | None, seed: int | None,
                options: Mapping[str, Any]) -> tuple[Plan, Problem]:
        """The plan :meth:`reoptimize` adopts, and the live problem it was made for."""
        from ..solvers.solve import solve

        problem = self._problem
        warm = solve(problem, "greedy", initial_plan=self.plan).plan
        chosen = warm
        if solver != "greedy":
            routed = {j for route in warm.routes for j in route}
            opts = dict(options)
            if solver == "ls":
                locked = {problem.index.ticket_idx(t) for t in self._pins
                          if problem.index.has_ticket(t)} & routed
                opts.setdefault("initial_plan", warm)
                opts.setdefault("locked", frozenset(locked))
            result = solve(problem, solver, time_limit=time_limit, seed=seed, **opts)
            if result.evaluation.is_feasible and result.evaluation.kpis.unassigned + \
                    result.evaluation.kpis.assigned == problem.num_tickets and \
                    result.objective <= evaluate(problem, warm).objective + 1e-9:
                chosen = result.plan
        return chosen, problem

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
        self._settle()
        from ..errors import InfeasiblePlanError
        from ..evaluate.evaluator import check_plan

        try:
            ev = check_plan(self._problem, plan)
        except InfeasiblePlanError as exc:
            raise ValidationError(f"Dispatcher: plan rejected: {exc}", entity="Plan",
                                  field="routes") from exc
        before = self._snapshot()
        obj_before = self.evaluation.objective
        self._set_plan(plan.routes, plan.unassigned, plan.pickups)
        changes = self._diff(before, self._snapshot())
        self._sync_lifecycle(before, actor)
        return ReplanResult(obj_before, ev.objective, changes,
                            {self._problem.index.ticket_ids[j]: r.value
                             for j, r in sorted(plan.unassigned.items())}, "apply", 0.0)

    # ------------------------------------------------------ manual control
    def pin(self, ticket_id: str, technician_id: str | None = None, *,
            start: datetime | None = None, end: datetime | None = None,
            actor: str = "dispatcher") -> Pin:
        """Pin an open ticket to a technician (default: its current one) and/or a start interval.

        The next optimisation keeps it with that technician and within the
        interval; :meth:`insert` repairs never move it. With ``start`` only,
        the interval is ``[start, start]`` (an exact appointment).
        """
        self._settle()
        self._open(ticket_id)
        if technician_id is None and start is None:
            technician_id = self.assignment(ticket_id)
            if technician_id is None:
                raise ValidationError.for_field("Pin", ticket_id, "technician_id", None,
                                                "must be given for an unplanned ticket")
        if technician_id is not None:
            self._tech(technician_id)
            if technician_id in self._forbidden.get(ticket_id, set()):
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
        self._pins[ticket_id] = pin
        self.log.emit(self.now, ticket_id, "pin", actor, from_state=self.state(ticket_id),
                      to_state=self.state(ticket_id), technician_id=technician_id,
                      start=start, end=end)
        self._rebuild(None)
        return pin

    def unpin(self, ticket_id: str, actor: str = "dispatcher") -> None:
        """Remove a pin."""
        self._settle()
        if self._pins.pop(ticket_id, None) is not None:
            self.log.emit(self.now, ticket_id, "unpin", actor, from_state=self.state(ticket_id),
                          to_state=self.state(ticket_id))
            self._rebuild(None)

    def forbid(self, ticket_id: str, technician_id: str, actor: str = "dispatcher") -> None:
        """Never send ``technician_id`` to this ticket (it is taken off that route now)."""
        self._settle()
        self._open(ticket_id)
        self._tech(technician_id)
        pin = self._pins.get(ticket_id)
        if pin is not None and pin.technician_id == technician_id:
            raise ValidationError.for_field("Ticket", ticket_id, "forbidden", technician_id,
                                            "is the pinned technician (unpin first)")
        self._forbidden.setdefault(ticket_id, set()).add(technician_id)
        self.log.emit(self.now, ticket_id, "forbid", actor, from_state=self.state(ticket_id),
                      to_state=self.state(ticket_id), technician_id=technician_id)
        before = self._snapshot()
        self._rebuild(None)
        self._sync_lifecycle(before, actor)

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
        self._settle()
        from ..kernels.insertion import make_work
        from ._kernels import insertion_detail, price_routes, remove_at

        self._open(ticket_id)
        self._tech(technician_id)
        if technician_id in self._forbidden.get(ticket_id, set()):
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", technician_id,
                                            "is forbidden for this ticket")
        problem = self._problem
        kd = problem.data
        j = problem.index.ticket_idx(ticket_id)
        before = self._snapshot()
        st = self._copy_state()
        r_old = self._route_of(ticket_id)
        scratch = self._scratch()
        if r_old is not None:
            p_old = int(np.flatnonzero(st.seq[r_old, :st.length[r_old]] == j)[0])
            remove_at(kd, r_old, p_old, st, scratch)
        routes = np.array([r for r, (t, k) in enumerate(self._route_key)
                           if t == technician_id and (shift is None or k == shift)],
                          dtype=np.int64)
        if not routes.size:
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", technician_id,
                                            "has no remaining shift" +
                                            ("" if shift is None else f" number {shift}"))
        code = Incompatibility(int(problem.compatible[kd.rt.tech[routes[0]], j]))
        if code not in (Incompatibility.OK, Incompatibility.SHIFT):
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", technician_id,
                                            f"cannot serve it: {self._compat_reason(code, j)}")
        wk = make_work(kd, st.seq.shape[1])
        best_r, best_p = -1, -1
        if position is None:
            cost = np.empty(routes.shape[0])
            pos = np.empty(routes.shape[0], dtype=np.int64)
            status = np.empty(routes.shape[0], dtype=np.int64)
            price_routes(kd, routes, j, st, wk, cost, pos, status)
            if np.isfinite(cost).any():
                k = int(np.argmin(cost))
                best_r, best_p = int(routes[k]), int(pos[k])
        else:
            buf = np.empty(st.seq.shape[1] + 2, dtype=np.int64)
            for r in routes.tolist():
                if not 0 <= position <= st.length[r]:
                    continue
                from ..kernels.routes import resources_ok

                if not resources_ok(kd, st, r, j):
                    continue
                det = insertion_detail(kd, r, j, position, st, scratch, buf)
                if det[0]:
                    best_r, best_p = r, position
                    break
        if best_r < 0:
            raise ValidationError.for_field(
                "Ticket", ticket_id, "technician_id", technician_id,
                "cannot take it" + ("" if position is None else f" at position {position}")
                + " without breaking a window, a break, the shift end or a resource limit")
        from ..kernels.routes import insert_at

        insert_at(kd, best_r, j, best_p, st, scratch)
        self._st = st
        self._reasons.pop(ticket_id, None)
        self._cache.clear()
        if pin:
            self._pins[ticket_id] = attrs.evolve(self._pins.get(ticket_id, Pin()),
                                                 technician_id=technician_id)
            self._rebuild(None)
        after = self._snapshot()
        self.log.emit(self.now, ticket_id, "move", actor, from_state=self.state(ticket_id),
                      to_state=self.state(ticket_id), technician_id=technician_id)
        self._sync_lifecycle(before, actor)
        changes = self._diff(before, after)
        mine = [c for c in changes if c.ticket_id == ticket_id]
        return mine[0] if mine else Change(ticket_id, "shifted", technician_id, technician_id,
                                           None, None)

    # ------------------------------------------------- technician events
    def accept(self, ticket_id: str, actor: str | None = None) -> None:
        """The planned technician accepts the ticket."""
        self._settle()
        tech = self.assignment(ticket_id)
        self.lifecycle.transition(ticket_id, S.ACCEPTED, self.now, actor or tech or "technician",
                                  technician_id=tech)

    def reject(self, ticket_id: str, technician_id: str | None = None, *,
               redispatch: bool = True, reason: str = "") -> InsertResult | None:
        """The technician rejects the ticket: it is forbidden for them and re-dispatched.

        Returns the :meth:`insert` result of the re-dispatch (or ``None`` with
        ``redispatch=False``: the ticket stays open).
        """
        self._settle()
        tech = technician_id or self.assignment(ticket_id)
        if tech is None:
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", None,
                                            "must be given: the ticket is not planned")
        self.lifecycle.transition(ticket_id, S.REJECTED, self.now, tech, technician_id=tech,
                                  reason=reason)
        self._pins.pop(ticket_id, None)
        self._forbidden.setdefault(ticket_id, set()).add(tech)
        self._rebuild(None, reason=UnassignedReason.OPEN)
        return self.insert(ticket_id, actor="dispatcher") if redispatch else None

    def start_travel(self, ticket_id: str, technician_id: str | None = None) -> Eta:
        """The technician leaves for the ticket (en route); returns the ETA sent to the customer.

        The ticket becomes frozen; the technician's remaining day is re-planned
        from the expected end of this job.
        """
        self._settle()
        from ._kernels import first_start

        tech = technician_id or self.assignment(ticket_id)
        if tech is None:
            raise ValidationError.for_field("Ticket", ticket_id, "technician_id", None,
                                            "must be given: the ticket is not planned")
        self._tech(tech)
        if tech in self._current:
            raise TransitionError(f"Technician {tech!r} is already on ticket "
                                  f"{self._current[tech]!r}; complete or hold it first.")
        if not self.lifecycle.can(ticket_id, S.EN_ROUTE):
            self.lifecycle.transition(ticket_id, S.EN_ROUTE, self.now, tech)  # raises
        problem = self._problem
        j = problem.index.ticket_idx(ticket_id)
        kd = problem.data
        t_idx = problem.index.technician_idx(tech)
        routes = [r for r, (t, _) in enumerate(self._route_key) if t == tech]
        if not routes:
            raise ValidationError.for_field("Technician", tech, "shifts", None,
                                            "has no remaining shift")
        r0 = routes[0]
        now_i = self._t(self.now)
        d_idx = -1
        if self._record_pickup(tech, j) is not None:  # via the depot stop planned first thing
            d_idx = int(self._st.pick[self._route_of_first(j)])
        # the ETA: the schedule rule's start of j first, then the rest of the route (breaks
        # included), leaving from where the technician is now
        st = self._st
        r_j = next((r for r in routes if j in st.seq[r, :st.length[r]].tolist()), r0)
        rest = [int(i) for i in st.seq[r_j, :st.length[r_j]] if int(i) != j]
        start = int(first_start(kd, r_j, np.array([j, *rest], dtype=np.int64), d_idx,
                                max(now_i, int(kd.rt.open[r0])), int(kd.rt.start_node[r0])))
        service = int(kd.tech.service[t_idx, j])
        to_dt = self.scenario.horizon.to_datetime
        job = _Job(tech, self._tickets[ticket_id].location, service, en_route_at=self.now,
                   expected_end=to_dt(start + service))
        self._jobs[ticket_id] = job
        self._jobs_of.setdefault(tech, []).append(ticket_id)
        self._tver[tech] = self._tver.get(tech, 0) + 1
        self._current[tech] = ticket_id
        self._relocated.add(tech)
        earliest, latest = self.eta_model.window(to_dt(start), self.now)
        eta = Eta(ticket_id, tech, to_dt(start), earliest, latest, to_dt(start + service),
                  "en_route")
        before = self._snapshot()
        self.lifecycle.transition(ticket_id, S.EN_ROUTE, self.now, tech, technician_id=tech,
                                  eta=eta.start, eta_window=(eta.earliest, eta.latest))
        self._defer((ticket_id,), before)
        return eta

    def arrive(self, ticket_id: str) -> None:
        """The technician is on site and starts the work (implies en route if not reported)."""
        if self.state(ticket_id) != S.EN_ROUTE:
            self.start_travel(ticket_id)
        job = self._jobs[ticket_id]
        job.started_at = self.now
        job.expected_end = self.now + timedelta(seconds=job.service)
        self._relocated.add(job.technician_id)
        self.lifecycle.transition(ticket_id, S.ON_SITE, self.now, job.technician_id,
                                  technician_id=job.technician_id,
                                  expected_end=job.expected_end)
        self._defer()

    def complete(self, ticket_id: str) -> None:
        """The work is done; the technician is free at the ticket's location from now."""
        if self.state(ticket_id) != S.ON_SITE:
            self.lifecycle.transition(ticket_id, S.COMPLETED, self.now, "technician")  # raises
        job = self._jobs[ticket_id]
        job.completed_at = self.now
        start = job.started_at or self.now
        self._done_work[job.technician_id] = self._done_work.get(job.technician_id, 0) + \
            max(int((self.now - start).total_seconds()), 0)
        self._tver[job.technician_id] = self._tver.get(job.technician_id, 0) + 1
        self._current.pop(job.technician_id, None)
        self._last_pos[job.technician_id] = job.location
        self._relocated.add(job.technician_id)
        self.lifecycle.transition(ticket_id, S.COMPLETED, self.now, job.technician_id,
                                  technician_id=job.technician_id)
        self._defer()

    def close(self, ticket_id: str, actor: str = "dispatcher") -> None:
        """Close a completed ticket."""
        self.lifecycle.transition(ticket_id, S.CLOSED, self.now, actor)

    def cancel(self, ticket_id: str, actor: str = "dispatcher", reason: str = "") -> None:
        """Cancel an open or en-route ticket (it leaves the plan)."""
        state = self.state(ticket_id)
        if not self.lifecycle.can(ticket_id, S.CANCELLED):
            self.lifecycle.transition(ticket_id, S.CANCELLED, self.now, actor)  # raises
        if state == S.EN_ROUTE:
            self._free(ticket_id)
        self._pins.pop(ticket_id, None)
        self.lifecycle.transition(ticket_id, S.CANCELLED, self.now, actor, reason=reason)
        self._defer((ticket_id,))

    def hold(self, ticket_id: str, reason: str = "", actor: str = "dispatcher") -> None:
        """Put a ticket on hold (e.g. waiting for parts); a job in progress is interrupted."""
        if self.state(ticket_id).in_progress:
            self._free(ticket_id)
        self.lifecycle.transition(ticket_id, S.ON_HOLD, self.now, actor, reason=reason)
        self._defer((ticket_id,))

    def release(self, ticket_id: str, *, redispatch: bool = True,
                actor: str = "dispatcher") -> InsertResult | None:
        """Take a ticket off hold; by default it is inserted at once."""
        self._settle()
        self.lifecycle.transition(ticket_id, S.CREATED, self.now, actor)
        self._reopen(self._tickets[ticket_id])
        return self.insert(ticket_id, actor=actor) if redispatch else None

    def follow_up(self, ticket_id: str, ticket: Ticket, *, redispatch: bool = True,
                  actor: str = "dispatcher") -> InsertResult | None:
        """Create a follow-up visit linked to ``ticket_id`` (e.g. after waiting for parts)."""
        self._settle()
        self.state(ticket_id)
        if redispatch:
            return self.insert(ticket, follow_up_of=ticket_id, actor=actor)
        self._register(ticket, actor=actor, follow_up_of=ticket_id)
        self._reopen(self._tickets[ticket.id])
        return None

    def escalate(self, ticket_id: str, level: int = 1, reason: str = "",
                 actor: str = "sla-watch") -> None:
        """Record an escalation: open tickets move to ``escalated``; others get a notice."""
        self._settle()
        state = self.state(ticket_id)
        if state.is_open and state != S.ESCALATED and self.lifecycle.can(ticket_id, S.ESCALATED):
            self.lifecycle.transition(ticket_id, S.ESCALATED, self.now, actor, level=level,
                                      reason=reason)
        else:
            self.log.emit(self.now, ticket_id, "escalation", actor, from_state=state,
                          to_state=state, level=level, reason=reason)

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
        job = self._jobs[ticket_id]
        if expected_end is None:
            if extra is None:
                raise ValidationError.for_field("report_overrun", ticket_id, "extra", None,
                                                "or expected_end must be given")
            seconds = extra.total_seconds() if isinstance(extra, timedelta) else extra
            expected_end = (job.expected_end or self.now) + timedelta(seconds=seconds)
        check_aware("report_overrun", ticket_id, "expected_end", expected_end)
        old_end = job.expected_end
        job.expected_end = expected_end
        self._relocated.add(job.technician_id)
        self.log.emit(self.now, ticket_id, "delay", actor, from_state=self.state(ticket_id),
                      to_state=self.state(ticket_id), technician_id=job.technician_id,
                      old_end=old_end, expected_end=expected_end)
        return self._disrupted(job.technician_id, repair, actor)

    def technician_absent(self, technician_id: str, *, until: datetime | None = None,
                          repair: bool = True, actor: str = "dispatcher") -> DelayReport:
        """A technician is absent from now (until ``until``, default the horizon end).

        Their remaining shifts in that period are dropped; a job in progress
        is put on hold; their planned tickets are re-dispatched greedily (no
        other ticket moves) and the rest listed as at risk.
        """
        self._tech(technician_id)
        if until is not None:
            check_aware("technician_absent", technician_id, "until", until)
        cur = self._current.get(technician_id)
        if cur is not None:
            self._free(cur)
            self.lifecycle.transition(cur, S.ON_HOLD, self.now, actor,
                                      reason=f"technician {technician_id} absent")
        self._absent[technician_id] = (self.now, until)
        self.log.emit(self.now, None, "absence", actor, technician_id=technician_id,
                      until=until)
        return self._disrupted(technician_id, repair, actor)

    def advance(self, now: datetime, *, repair: bool = True,
                actor: str = "dispatcher") -> DelayReport:
        """Move the clock to ``now``: technicians not yet started wait from now on.

        Planned visits that are no longer possible are dropped and, with
        ``repair``, re-inserted greedily; the report lists the tickets at risk.
        """
        self._settle()
        self._set_clock(now)
        self._refresh_breaks()
        return self._disrupted(None, repair, actor)

    # ---------------------------------------------------------- explain / SLA
    def explain(self, ticket_id: str) -> Any:
        """:func:`fsdispatch.live.explain.explain` of a ticket of the live plan."""
        self._settle()
        from .explain import explain

        return explain(self._problem, self.plan, ticket_id, evaluation=self.evaluation)

    def sla_status(self, now: datetime | None = None) -> list[Any]:
        """SLA clocks of every ticket not closed (see :class:`~fsdispatch.live.sla.SlaWatch`).

        Escalation rules of the watch are applied: their events go to the
        log, and ``reassign`` actions re-dispatch the ticket.
        """
        self._settle()
        from .sla import SlaWatch

        watch = self.sla_watch if self.sla_watch is not None else SlaWatch()
        self.sla_watch = watch
        if now is not None:
            self._set_clock(now)
        return list(watch.check(self))

    # ================================================================ internals
    @staticmethod
    def _bounds(max_moved: Any, max_shift: Any) -> tuple[int, int]:
        if isinstance(max_moved, bool) or not isinstance(max_moved, int) or max_moved < 0:
            raise ValidationError.for_field("Dispatcher", None, "max_moved", max_moved,
                                            "must be an integer >= 0")
        if isinstance(max_shift, timedelta):
            max_shift = round(max_shift.total_seconds())
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
            raise ValidationError.for_field("Dispatcher", None, "max_shift", max_shift,
                                            "must be seconds >= 0 or a timedelta")
        return max_moved, max_shift

    def _t(self, when: datetime) -> int:
        return self.scenario.horizon.to_internal(when)

    def _tech(self, technician_id: str) -> Technician:
        try:
            return self._techs[technician_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown technician id {technician_id!r}",
                                        entity="Technician", entity_id=technician_id) from None

    def _open(self, ticket_id: str) -> None:
        state = self.state(ticket_id)
        if not state.is_open:
            raise TransitionError(f"Ticket {ticket_id!r} is {state.value!r}: only open "
                                  "(not started) tickets can be planned, pinned or moved.")

    def _set_clock(self, now: datetime) -> None:
        check_aware("Dispatcher", None, "now", now)
        if now < self.now:
            raise ValidationError.for_field("Dispatcher", None, "now", now.isoformat(),
                                            f"must not go back before {self.now.isoformat()}")
        self.now = now

    def _register(self, ticket: Ticket, *, actor: str, follow_up_of: str | None = None) -> None:
        if not isinstance(ticket, Ticket):
            raise ValidationError.for_field("Dispatcher", None, "ticket", ticket,
                                            "must be a Ticket")
        if ticket.id in self._tickets:
            raise ValidationError.for_field("Ticket", ticket.id, "id", ticket.id,
                                            "must be unique (already known to the dispatcher)")
        if self.sla_watch is not None and hasattr(self.sla_watch, "with_deadlines"):
            ticket = self.sla_watch.with_deadlines(ticket, self.scenario.sla_policy,
                                                   default_created=self.now)
        self.lifecycle.add(ticket.id, self.now, actor, follow_up_of=follow_up_of,
                           priority=ticket.priority.name)
        self._tickets[ticket.id] = ticket
        self._registered_at[ticket.id] = self.now
        self._reg_rank[ticket.id] = len(self._reg_rank)

    def _free(self, ticket_id: str) -> None:
        """Detach an in-progress job from its technician (hold, cancel, absence)."""
        job = self._jobs.get(ticket_id)
        if job is None:
            return
        if job.started_at is not None:
            self._last_pos[job.technician_id] = job.location
            self._done_work[job.technician_id] = self._done_work.get(job.technician_id, 0) + \
                max(int((self.now - job.started_at).total_seconds()), 0)
        self._current.pop(job.technician_id, None)
        self._relocated.add(job.technician_id)
        del self._jobs[ticket_id]
        self._jobs_of[job.technician_id].remove(ticket_id)
        self._tver[job.technician_id] = self._tver.get(job.technician_id, 0) + 1

    # --------------------------------------------------------- live scenario
    def _live_technician(self, tech: Technician) -> tuple[Technician, list[int], list[list[int]]]:
        """The technician's rest of the day; also full shift numbers and kept break indices."""
        now = self.now
        avail = now
        pos = self._last_pos.get(tech.id)
        cur = self._current.get(tech.id)
        if cur is not None:
            job = self._jobs[cur]
            pos = job.location
            if job.expected_end is not None and job.expected_end > avail:
                avail = job.expected_end
        busy = self._busy_until.get(tech.id)
        if busy is not None and busy > avail:
            avail = busy
        absent = self._absent.get(tech.id)
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
            if sh.start >= avail:  # not started yet: as planned
                shifts.append(sh)
                numbers.append(k)
                kept_breaks.append(list(range(len(sh.breaks))))
                continue
            # the shift under way: from where the technician is, when free
            keep = [b for b, brk in enumerate(sh.breaks)
                    if (tech.id, k, b) not in self._breaks_taken
                    and brk.window.end - timedelta(seconds=brk.duration) >= avail]
            shifts.append(Shift(avail, sh.end, start_location=pos or sh.start_location,
                                end_location=sh.end_location,
                                breaks=[sh.breaks[b] for b in keep]))
            numbers.append(k)
            kept_breaks.append(keep)
        changes: dict[str, Any] = {"shifts": shifts}
        from ._fast import tech_resources

        van_stock, mtpd, capacity, recent = tech_resources(self, tech)
        for name, value in (("van_stock", van_stock), ("max_tickets_per_day", mtpd),
                            ("capacity", capacity), ("recent_workload", recent)):
            if value is not None:
                changes[name] = value
        return attrs.evolve(tech, **changes), numbers, kept_breaks

    def _live_ticket(self, ticket: Ticket) -> Ticket:
        pin = self._pins.get(ticket.id)
        forbidden = self._forbidden.get(ticket.id, set())
        if pin is None and not forbidden:
            return ticket
        excluded = set(ticket.excluded_technicians) | forbidden
        changes: dict[str, Any] = {}
        if pin is not None and pin.technician_id is not None:
            excluded |= set(self._techs) - {pin.technician_id}
        if pin is not None and pin.start is not None and pin.end is not None:
            changes["windows"] = [TimeWindow(pin.start, pin.end)]
            changes["window_kind"] = "hard"
        ordered = tuple(t for t in self._techs if t in excluded)
        changes["excluded_technicians"] = ordered
        changes["preferred_technicians"] = tuple(t for t in ticket.preferred_technicians
                                                 if t not in excluded)
        return attrs.evolve(ticket, **changes)

    def _rebuild(self, keep: Mapping[tuple[str, int], Sequence[str]] | None, *,
                 reason: UnassignedReason = UnassignedReason.OPEN) -> list[str]:
        """Recompile the live problem at :attr:`now`; keep what is still feasible of ``keep``.

        ``keep`` (default: the current plan) maps (technician id, shift
        number) to ticket ids in visit order. Returns the tickets of ``keep``
        that could not be kept (now unassigned with reason ``open``).
        """
        from ..solvers.greedy import make_state
        from ._kernels import feasible_subplan

        if keep is None:
            keep = self._routes_by_key()
        old_reasons = dict(self._reasons)
        techs, route_key, live_breaks = [], [], []
        for tech in self._techs.values():
            live, numbers, kept = self._live_technician(tech)
            techs.append(live)
            for k, b in zip(numbers, kept, strict=True):
                route_key.append((tech.id, k))
                live_breaks.append(b)
        tickets = [self._live_ticket(t) for tid, t in self._tickets.items()
                   if self.state(tid).is_open]
        scenario = attrs.evolve(self.scenario, technicians=techs, tickets=tickets,
                                depots=self._live_depots())
        problem = compile_scenario(scenario)
        index = problem.index
        key_to_r = {key: r for r, key in enumerate(route_key)}
        rows: list[list[int]] = [[] for _ in range(problem.num_routes)]
        for key, ids in keep.items():
            r = key_to_r.get((key[0], key[1]))
            if r is None:
                continue
            rows[r] = [index.ticket_idx(t) for t in ids if index.has_ticket(t)]
        ptr = np.zeros(problem.num_routes + 1, dtype=np.int64)
        np.cumsum([len(x) for x in rows], out=ptr[1:])
        visits = np.array([j for x in rows for j in x], dtype=np.int64)
        stops = self._stops_by_ticket()
        st = make_state(problem, None)
        scratch = np.empty(problem.data.brk.dur.shape[0] + 1, dtype=np.int64)
        if stops:  # depot stops of routes whose first ticket has not started stay
            from ..kernels.insertion import apply_pickup

            for r, row in enumerate(rows):
                d = stops.get(index.ticket_ids[row[0]]) if row else None
                if d is not None:
                    apply_pickup(problem.data, r, d, st, scratch)
        kept_mask = feasible_subplan(problem.data, ptr, visits, st, scratch) if \
            visits.size else np.zeros(0, dtype=np.bool_)
        self._problem = problem
        self._st = st
        self._route_key = route_key
        self._live_breaks = live_breaks
        self._cache = {}
        routed = set(visits[kept_mask].tolist())
        dropped = [index.ticket_ids[j] for j in visits[~kept_mask].tolist()]
        self._reasons = {}
        for j in range(problem.num_tickets):
            if j in routed:
                continue
            tid = index.ticket_ids[j]
            if problem.unservable[j]:
                self._reasons[tid] = UnassignedReason.from_code(int(problem.unservable[j]))
            else:
                self._reasons[tid] = old_reasons.get(tid, reason) if tid not in dropped \
                    else UnassignedReason.OPEN
        from . import _fast

        self._fast = _fast.init_state(self)
        return dropped

    def _reopen(self, ticket: Ticket) -> None:
        """A registered ticket is open again (released, or a new follow-up): into the live
        problem (appended, then put in registration order by the refresh), as a rebuild would."""
        problem = self._problem
        if self._fast is None or not self._incremental or problem.index.has_ticket(ticket.id):
            self._rebuild(None, reason=UnassignedReason.OPEN)
            return
        live = self._live_ticket(ticket)
        rows = ticket_rows(problem, live)
        self._problem = _append(problem, live, rows)
        self._widen(self._problem)
        if self._st.usage.shape != self._problem.data.res.stock.shape:
            self._rebuild(None, reason=UnassignedReason.OPEN)
            return
        self._reasons[ticket.id] = UnassignedReason.OPEN
        self._defer()

    def _defer(self, gone: tuple[str, ...] = (),
               before: Mapping[str, tuple[str, int]] | None = None) -> None:
        """Refresh the live plan at the next read of it (:meth:`_settle`), not now.

        Deferred refreshes in a row become one, at the clock of the last event:
        tickets a refresh would drop stay planned if a later event (say, a job
        finished early) makes them feasible again. ``before``: the plan's
        snapshot before the event (taken here if not given); when the refresh
        is settled, the lifecycle follows it (tickets no longer planned go back
        to ``created``).
        """
        pending = self._pending
        if pending is None:
            self._pending = (gone, self.now, self._snapshot() if before is None else before)
        else:
            self._pending = (pending[0] + gone, self.now, pending[2])
        self._cache = {}
        if not self._lazy:
            self._settle()

    def _settle(self) -> None:
        """Run the deferred refresh (at the clock of the event that deferred it)."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        now = self.now
        self.now = pending[1]
        try:
            self._refresh(pending[0])
            self._sync_lifecycle(pending[2], "dispatcher")
        finally:
            self.now = now

    def _refresh(self, gone: tuple[str, ...] = ()) -> list[str]:
        """:meth:`_rebuild` of the current plan, incrementally when possible.

        ``gone``: tickets that just left the open set. Derives the live problem
        from the current one (:mod:`fsdispatch.live._fast`: dropped ticket
        columns, patched routes, reachability of changed routes only) and
        re-lays the plan with the same kernel; falls back to a full rebuild
        for rare changes (a shift coming back, depots). The result equals
        ``_rebuild(None)`` (a property test holds it).
        """
        from . import _fast

        if self._pending is not None:  # (every public method settles first)
            self._settle()
        out = _fast.refresh(self, gone) if self._fast is not None and self._incremental \
            else None
        if out is None:
            return self._rebuild(None)
        problem, ptr, visits, route_key, live_breaks = out
        old_reasons = self._reasons
        st, kept_mask = _fast.lay(self, problem, ptr, visits)
        self._problem = problem
        self._st = st
        self._route_key = route_key
        self._live_breaks = live_breaks
        self._cache = {}
        index = problem.index
        ids = index.ticket_ids
        routed = np.zeros(problem.num_tickets, dtype=np.bool_)
        routed[visits[kept_mask]] = True
        dropped = [ids[j] for j in visits[~kept_mask].tolist()]
        gone_set = set(dropped)
        unservable = problem.unservable
        reasons: dict[str, UnassignedReason] = {}
        for j in np.flatnonzero(~routed).tolist():
            tid = ids[j]
            if unservable[j]:
                reasons[tid] = UnassignedReason.from_code(int(unservable[j]))
            elif tid in gone_set:
                reasons[tid] = UnassignedReason.OPEN
            else:
                reasons[tid] = old_reasons.get(tid, UnassignedReason.OPEN)
        self._reasons = reasons
        return dropped

    def _route_of_first(self, j: int) -> int:
        st = self._st
        return int(np.flatnonzero((st.length > 0) & (st.seq[:, 0] == j))[0])

    def _stops_by_ticket(self) -> dict[str, int]:
        """Depot stops of the current plan: first ticket id of the route -> depot index."""
        st = self._st
        if st is None:
            return dict(self._initial_stops)
        if not self._problem.num_depots:
            return {}
        ids = self._problem.index.ticket_ids
        return {ids[int(st.seq[r, 0])]: int(st.pick[r])
                for r in np.flatnonzero(st.pick >= 0).tolist() if st.length[r] > 0}

    def _live_depots(self) -> tuple[Any, ...]:
        """The scenario's depots less what stops already made have taken."""
        if not self._handed_out:
            return self.scenario.depots
        return tuple(attrs.evolve(d, stock={s: max(q - self._handed_out.get(d.id, {}).get(s, 0),
                                                   0) for s, q in d.stock.items()})
                     for d in self.scenario.depots)

    def _record_pickup(self, tech: str, j: int) -> int | None:
        """If ``j`` is the first ticket of a route starting with a depot stop, the technician
        makes the stop now: the lazy pick-up (what the van lacks for that route) moves from
        the depot into the live van. Returns the route's depot-ready time, or ``None``."""
        st = self._st
        problem = self._problem
        if st is None or not problem.num_depots:
            return None
        for r in np.flatnonzero((st.pick >= 0) & (st.length > 0)).tolist():
            if int(st.seq[r, 0]) != j or self._route_key[r][0] != tech:
                continue
            d = int(st.pick[r])
            t_idx = problem.index.technician_idx(tech)
            van = problem.data.res.stock[t_idx]
            take = np.maximum(st.rneed[r] - van, 0)
            depot_id = problem.index.depot_ids[d]
            for s in np.flatnonzero(take).tolist():
                sku = problem.index.sku_ids[s]
                q = int(take[s])
                mine = self._picked.setdefault(tech, {})
                mine[sku] = mine.get(sku, 0) + q
                out = self._handed_out.setdefault(depot_id, {})
                out[sku] = out.get(sku, 0) + q
            return int(st.open_t[r])
        return None

    def _routes_by_key(self) -> dict[tuple[str, int], list[str]]:
        if self._st is None:
            return {}
        ids = self._problem.index.ticket_ids
        st = self._st
        return {key: [ids[int(j)] for j in st.seq[r, :st.length[r]]]
                for r, key in enumerate(self._route_key)}

    def _set_plan(self, routes: Iterable[Sequence[int]],
                  unassigned: Mapping[int, UnassignedReason],
                  pickups: Mapping[int, int] | None = None) -> None:
        from ..solvers.greedy import make_state

        problem = self._problem
        self._st = make_state(problem, [list(r) for r in routes], pickups)
        ids = problem.index.ticket_ids
        self._reasons = {ids[j]: reason for j, reason in unassigned.items()}
        self._cache = {}

    def _refresh_breaks(self) -> None:
        """Mark breaks the plan placed before now as taken (and a running break as busy time)."""
        if self._st is None:
            return
        kd = self._problem.data
        brk = self._break_starts()
        now_i = self._t(self.now)
        to_dt = self.scenario.horizon.to_datetime
        for r, (tech_id, k) in enumerate(self._route_key):
            if self._st.length[r] == 0:
                continue
            for pos, b in enumerate(range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1]))):
                s = int(brk[b])
                if 0 <= s < now_i:
                    self._breaks_taken.add((tech_id, k, self._live_breaks[r][pos]))
                    end = s + int(kd.brk.dur[b])
                    if end > now_i:
                        self._busy_until[tech_id] = to_dt(end)
                        self._relocated.add(tech_id)

    def _break_starts(self) -> np.ndarray:
        """Break starts of the live plan by the evaluator's schedule rule (-1: not needed)."""
        from ..evaluate._kernels import simulate_routes

        problem, st = self._problem, self._st
        kd = problem.data
        num_routes = st.length.shape[0]
        ptr = np.zeros(num_routes + 1, dtype=np.int64)
        np.cumsum(st.length, out=ptr[1:])
        visits = st.seq[np.arange(st.seq.shape[1])[None, :] < st.length[:, None]]
        nv = visits.shape[0]
        pick = np.full(nv, -1, dtype=np.int64)
        used = st.length > 0
        pick[ptr[:-1][used]] = st.pick[used]  # a stop is first thing on a route
        brk = np.full(kd.brk.dur.shape[0], -1, dtype=np.int64)
        if num_routes:
            z = np.zeros(nv, dtype=np.int64)
            zr = np.zeros(num_routes, dtype=np.int64)
            simulate_routes(kd, pick, ptr, visits, z, z.copy(), z.copy(),
                            z.copy(), brk, zr, zr.copy(), np.zeros(num_routes), zr.copy(),
                            zr.copy(), np.zeros(num_routes, dtype=np.bool_))
        return brk

    # -------------------------------------------------------------- snapshots
    def _starts(self) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cache.get("starts")
        if cached is None:
            from ._kernels import route_starts

            n = self._problem.num_tickets
            starts = np.full(n, -1, dtype=np.int64)
            routes = np.full(n, -1, dtype=np.int64)
            kd, st = self._problem.data, self._st
            route_starts(kd.rt.tech, kd.tech.service, st.seq, st.length, st.free_t, starts,
                         routes)
            cached = self._cache["starts"] = (starts, routes)
        return cached

    def _snapshot(self) -> dict[str, tuple[str, int]]:
        """Planned ticket id -> (technician id, start seconds)."""
        starts, routes = self._starts()
        ids = self._problem.index.ticket_ids
        keys = self._route_key
        sel = np.flatnonzero(routes >= 0)
        return {ids[j]: (keys[r][0], s) for j, r, s in
                zip(sel.tolist(), routes[sel].tolist(), starts[sel].tolist(), strict=True)}

    def _diff(self, before: Mapping[str, tuple[str, int]],
              after: Mapping[str, tuple[str, int]], first: str | None = None,
              ) -> tuple[Change, ...]:
        to_dt = self.scenario.horizon.to_datetime
        out: list[Change] = []
        for tid in sorted(set(before) | set(after), key=lambda t: (t != first, t)):
            b, a = before.get(tid), after.get(tid)
            if b == a:
                continue
            if b is None:
                assert a is not None
                out.append(Change(tid, "inserted", None, a[0], None, to_dt(a[1])))
            elif a is None:
                out.append(Change(tid, "dropped", b[0], None, to_dt(b[1]), None))
            else:
                out.append(Change(tid, "moved" if a[0] != b[0] else "shifted", b[0], a[0],
                                  to_dt(b[1]), to_dt(a[1])))
        return tuple(out)

    def _sync_lifecycle(self, before: Mapping[str, tuple[str, int]], actor: str, *,
                        after: Mapping[str, tuple[str, int]] | None = None) -> None:
        """Transitions for tickets that were planned, re-planned or dropped."""
        if after is None:
            after = self._snapshot()
        to_dt = self.scenario.horizon.to_datetime
        states = self.lifecycle._state
        for tid, now_at in after.items():
            old = before.get(tid)
            state = states[tid]
            if old == now_at and state not in (S.CREATED, S.REJECTED):
                continue  # planned as before: nothing to say
            tech, start = now_at
            if state in (S.CREATED, S.REJECTED, S.ESCALATED) and old is None:
                self.lifecycle.transition(tid, S.SCHEDULED, self.now, actor,
                                          technician_id=tech, start=to_dt(start))
            elif old is not None and old[0] != tech and state.is_open:
                target = S.REASSIGNED if self.lifecycle.can(tid, S.REASSIGNED) else S.SCHEDULED
                self.lifecycle.transition(tid, target, self.now, actor, technician_id=tech,
                                          previous=old[0], start=to_dt(start))
            elif old is not None and state in (S.CREATED, S.REJECTED):
                self.lifecycle.transition(tid, S.SCHEDULED, self.now, actor,
                                          technician_id=tech, start=to_dt(start))
            elif old is not None and abs(old[1] - start) >= 5 * MINUTE:
                self.log.emit(self.now, tid, "eta", actor, from_state=state, to_state=state,
                              technician_id=tech, start=to_dt(start), previous=to_dt(old[1]))
        for tid in before:
            if tid not in after and tid in self._tickets:
                state = self.state(tid)
                if state in (S.SCHEDULED, S.ACCEPTED, S.REASSIGNED):
                    self.lifecycle.transition(tid, S.CREATED, self.now, actor,
                                              reason="no longer planned")

    def _route_of(self, ticket_id: str) -> int | None:
        if not self._problem.index.has_ticket(ticket_id):
            return None
        _, routes = self._starts()
        r = int(routes[self._problem.index.ticket_idx(ticket_id)])
        return None if r < 0 else r

    def _eta(self, ticket_id: str, r: int, start: int) -> Eta:
        to_dt = self.scenario.horizon.to_datetime
        kd = self._problem.data
        j = self._problem.index.ticket_idx(ticket_id)
        start_dt = to_dt(start)
        earliest, latest = self.eta_model.window(start_dt, self.now)
        service = int(kd.tech.service[kd.rt.tech[r], j])
        return Eta(ticket_id, self._route_key[r][0], start_dt, earliest, latest,
                   to_dt(start + service))

    def _copy_state(self) -> Any:
        from ..solvers.greedy import copy_state

        return copy_state(self._st)

    def _scratch(self) -> np.ndarray:
        return np.empty(self._problem.data.brk.dur.shape[0] + 1, dtype=np.int64)

    # ---------------------------------------------------------------- pricing
    def _pricing_context(self, ticket: Ticket | str, *, follow_up_of: str | None = None,
                         actor: str | None = None) -> dict[str, Any]:
        """Kernel data, ticket index, state and candidate routes for pricing ``ticket``."""
        problem = self._problem
        if isinstance(ticket, Ticket):
            if ticket.id in self._tickets:
                raise ValidationError.for_field("Ticket", ticket.id, "id", ticket.id,
                                                "must be unique (already known to the "
                                                "dispatcher)")
            if follow_up_of is not None:
                self.state(follow_up_of)
            live = ticket
            if self.sla_watch is not None and hasattr(self.sla_watch, "with_deadlines"):
                live = self.sla_watch.with_deadlines(ticket, self.scenario.sla_policy,
                                                     default_created=self.now)
            rows = ticket_rows(problem, live)
            j = problem.num_tickets
            grown = _append(problem, live, rows)
            self._widen(grown)
            return {"new": True, "ticket": ticket, "live": live, "rows": rows, "grown": grown,
                    "base": problem,
                    "kd": rows.data, "j": j, "ticket_id": ticket.id, "routes": rows.routes,
                    "compat": rows.compat, "unservable": rows.unservable, "st": self._st,
                    "route": None, "follow_up_of": follow_up_of}
        if not isinstance(ticket, str):
            raise ValidationError.for_field("Dispatcher", None, "ticket", ticket,
                                            "must be a Ticket or a ticket id")
        state = self.state(ticket)
        if not state.is_open or not problem.index.has_ticket(ticket):
            raise TransitionError(f"Ticket {ticket!r} is {state.value!r}: only open tickets "
                                  "can be priced or inserted.")
        j = problem.index.ticket_idx(ticket)
        st = self._st
        r = self._route_of(ticket)
        if r is not None and actor is None:  # recommend: price it as if taken out
            from ._kernels import remove_at

            st = self._copy_state()
            p = int(np.flatnonzero(st.seq[r, :st.length[r]] == j)[0])
            remove_at(problem.data, r, p, st, self._scratch())
        return {"new": False, "ticket": self._tickets[ticket], "live": None, "rows": None,
                "kd": problem.data, "j": j, "ticket_id": ticket,
                "routes": problem.routes_for(j), "compat": problem.compatible[:, j],
                "unservable": int(problem.unservable[j]), "st": st, "route": r,
                "follow_up_of": None}

    def _grown(self, ctx: Mapping[str, Any]) -> Problem:
        """The live problem with the priced new ticket appended (made once, while pricing)."""
        if ctx.get("base") is self._problem:
            grown: Problem = ctx["grown"]
            return grown
        return _append(self._problem, ctx["live"], ctx["rows"])

    def _widen(self, problem: Problem) -> None:
        """Rebuild the route state wider when ``problem`` (grown by a ticket) allows longer
        routes: the width is fixed when the state is made, so a desk that started with few
        tickets could otherwise not insert more."""
        from ..solvers.greedy import _route_width, make_state, state_pickups

        st = self._st
        if st is None or st.usage.shape != problem.data.res.stock.shape or \
                _route_width(problem) <= st.seq.shape[1]:
            return
        self._st = make_state(problem, [list(st.seq[r, :st.length[r]])
                                        for r in range(st.seq.shape[0])], state_pickups(st))
        self._cache.pop("work", None)

    def _work(self, kd: Any, st: Any) -> Any:
        key = ("work", st.seq.shape[1], kd.brk.dur.shape[0])
        wk = self._cache.get("work")
        if wk is None or wk[0] != key:
            from ..kernels.insertion import make_work

            wk = (key, make_work(kd, st.seq.shape[1]))
            self._cache["work"] = wk
        return wk[1]

    def _price(self, ctx: Mapping[str, Any], routes: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from ._kernels import price_routes

        kd, st = ctx["kd"], ctx["st"]
        if kd.res.stock.shape != st.usage.shape:  # the ticket added a part no van holds
            routes = routes[:0]
        cost = np.empty(routes.shape[0])
        pos = np.empty(routes.shape[0], dtype=np.int64)
        status = np.empty(routes.shape[0], dtype=np.int64)
        if routes.size:
            price_routes(kd, routes, ctx["j"], st, self._work(kd, st), cost, pos, status)
        return cost, pos, status

    def _detail(self, ctx: Mapping[str, Any], r: int, p: int) -> tuple[Any, np.ndarray]:
        from ._kernels import insertion_detail

        st = ctx["st"]
        buf = np.empty(st.seq.shape[1] + 2, dtype=np.int64)
        det = insertion_detail(ctx["kd"], r, ctx["j"], p, st, self._scratch(), buf)
        return det, buf

    def _stop_prices(self, ctx: Mapping[str, Any], routes: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Each route's cheapest insertion of the ticket after a depot stop first thing:
        ``(cost, depot, position, routing cost)``, the cost with the exact load-balance
        change (None when no stop can matter: no depot, no parts)."""
        kd, st, j = ctx["kd"], ctx["st"], ctx["j"]
        if not routes.size or not kd.dep.node.shape[0] or \
                kd.res.part_ptr[j + 1] == kd.res.part_ptr[j] or \
                kd.res.stock.shape != st.usage.shape:
            return None
        from ._kernels import price_pickups

        routing = np.empty(routes.shape[0])
        depot = np.empty(routes.shape[0], dtype=np.int64)
        pos = np.empty(routes.shape[0], dtype=np.int64)
        price_pickups(kd, routes, j, st, self._work(kd, st), routing, depot, pos)
        cost = routing.copy()
        if kd.w.balance > 0:  # the balance change of the whole change, exactly: each
            # stop and insertion made on one copy of the state and undone
            from ..kernels.insertion import apply_pickup
            from ..kernels.routes import balance_cost, insert_at
            from ..solvers.greedy import copy_state
            from ._kernels import remove_at

            base = float(balance_cost(kd, st))
            trial, scratch = copy_state(st), self._scratch()
            for q in np.flatnonzero(np.isfinite(cost)).tolist():
                r, p = int(routes[q]), int(pos[q])
                apply_pickup(kd, r, int(depot[q]), trial, scratch)
                insert_at(kd, r, j, p, trial, scratch)
                cost[q] += float(balance_cost(kd, trial)) - base
                remove_at(kd, r, p, trial, scratch)
                apply_pickup(kd, r, -1, trial, scratch)
        return cost, depot, pos, routing

    def _option(self, ctx: Mapping[str, Any], r: int, p: int, cost: float,
                depot: int = -1, stop_routing: float = 0.0) -> Option:
        kd, st, j = ctx["kd"], ctx["st"], ctx["j"]
        if depot >= 0:  # priced on the route as it would be: starting with the stop
            from ..kernels.insertion import apply_pickup
            from ..solvers.greedy import copy_state

            st = copy_state(st)
            apply_pickup(kd, r, depot, st, self._scratch())
            ctx = {**ctx, "st": st}
        det, _ = self._detail(ctx, r, p)
        start, end, d_trav, d_ot = det[2], det[3], det[4], det[7]
        terms = insertion_terms(kd, st, r, j, p, det)
        if depot >= 0:  # the stop's own routing cost, and the balance change of it all
            routing = sum(v for name, v in terms.items() if name != "load_balance")
            terms["depot_stop"] = stop_routing - routing
            terms["load_balance"] = float(cost) - stop_routing
        breakdown = CostBreakdown(total=float(cost), **terms)
        to_dt = self.scenario.horizon.to_datetime
        tech_id, shift = self._route_key[r]
        ticket: Ticket = ctx["ticket"]
        start_dt = to_dt(int(start))
        earliest, latest = self.eta_model.window(start_dt, self.now)
        eta = Eta(ctx["ticket_id"], tech_id, start_dt, earliest, latest, to_dt(int(end)))
        slack: int | None = None
        if kd.cost.response_by[j] < NO_DEADLINE:
            slack = int(kd.cost.response_by[j]) - int(start)
        if kd.cost.resolve_by[j] < NO_DEADLINE:
            s2 = int(kd.cost.resolve_by[j]) - int(end)
            slack = s2 if slack is None else min(slack, s2)
        n = int(st.length[r])
        t_idx = int(kd.rt.tech[r])
        seq = st.seq[r, :n]
        work = int(st.legt[r, :n + 1].sum()) if n else 0
        work += int(kd.tech.service[t_idx, seq].sum()) + int(d_trav) + \
            int(kd.tech.service[t_idx, j])
        span = max(int(kd.rt.close[r] - kd.rt.open[r]), 1)
        load = 100.0 * work / span
        tech = self._techs[tech_id]
        fit = sum(tech.skills.get(s, 0) - lvl for s, lvl in ticket.required_skills.items())
        preferred = (tech_id in ticket.preferred_technicians) if \
            ticket.preferred_technicians else None
        after = self._problem.index.ticket_ids[int(seq[p - 1])] if p > 0 else None
        bits = [f"starts {start_dt:%H:%M}", f"+{d_trav / 60:.0f} min travel"]
        if slack is not None:
            bits.append(f"SLA slack {_fmt(slack)}" if slack >= 0 else
                        f"SLA late by {_fmt(-slack)}")
        bits.append(f"load {load:.0f}% after")
        if preferred:
            bits.append("preferred technician")
        elif preferred is False:
            bits.append("not the preferred technician")
        if fit > 0:
            bits.append(f"over-qualified by {fit} level(s)")
        if d_ot > 0:
            bits.append(f"{d_ot / 60:.0f} min overtime")
        depot_id = self._problem.index.depot_ids[depot] if depot >= 0 else None
        if depot_id is not None:
            bits.append(f"picks up the parts at depot {depot_id} first")
        where = f"after {after}" if after else "as next stop"
        reason = f"{tech_id}: {where}, " + ", ".join(bits)
        return Option(tech_id, shift, p, after, eta, breakdown, timedelta(seconds=int(d_trav)),
                      None if slack is None else timedelta(seconds=slack), load, fit, preferred,
                      reason, depot_id)

    def _compat_reason(self, code: Incompatibility, j: int, ticket: Ticket | None = None,
                       tech_id: str | None = None) -> str:
        ticket = ticket or self._tickets[self._problem.index.ticket_ids[j]]
        tech = self._techs.get(tech_id) if tech_id else None
        if code == Incompatibility.SKILL:
            miss = [s for s in ticket.required_skills if tech is None or s not in tech.skills]
            return "missing skill " + ", ".join(miss)
        if code == Incompatibility.LEVEL:
            low = [f"{s} {tech.skills.get(s, 0) if tech else '?'} < {lvl}"
                   for s, lvl in ticket.required_skills.items()
                   if tech is None or tech.skills.get(s, 0) < lvl]
            return "skill level too low: " + ", ".join(low)
        if code == Incompatibility.PART:
            miss = [f"{q} × {s}" for s, q in ticket.parts.items()
                    if tech is None or tech.van_stock.get(s, 0) < q]
            return "no part in van: " + ", ".join(miss)
        if code == Incompatibility.EXCLUDED:
            if ticket.id in self._forbidden and tech_id in self._forbidden[ticket.id]:
                return "forbidden by the dispatcher"
            pin = self._pins.get(ticket.id)
            if pin is not None and pin.technician_id not in (None, tech_id):
                return f"ticket pinned to {pin.technician_id}"
            return "excluded by the customer"
        if code == Incompatibility.CAPACITY:
            return f"demand {ticket.demand} over capacity"
        if tech_id is not None and tech_id in self._absent:
            return "absent"
        if tech_id is not None and not any(t == tech_id for t, _ in self._route_key):
            return "off shift (no remaining shift today)"
        return "off shift: no remaining shift reaches it within its windows and returns in time"

    def _recommend(self, ctx: Mapping[str, Any], k: int) -> Recommendation:
        kd = ctx["kd"]
        routes = np.asarray(ctx["routes"], dtype=np.int64)
        cost, pos, status = self._price(ctx, routes)
        # a ticket whose parts a depot stop can bring: each route also priced starting
        # with a stop (-1: no stop), the cheaper of the two per route
        depot = np.full(routes.shape[0], -1, dtype=np.int64)
        routing = np.zeros(routes.shape[0])
        with_stop = self._stop_prices(ctx, routes)
        if with_stop is not None:
            stop_cost, stop_depot, stop_pos, stop_routing = with_stop
            better = stop_cost < cost
            cost, pos = np.where(better, stop_cost, cost), np.where(better, stop_pos, pos)
            depot[better] = stop_depot[better]
            routing[better] = stop_routing[better]
        techs = kd.rt.tech[routes] if routes.size else np.zeros(0, dtype=np.int64)
        order = np.lexsort((routes, cost))
        options: list[Option] = []
        seen: set[int] = set()
        for q in order.tolist():
            if not math.isfinite(cost[q]):
                break
            t = int(techs[q])
            if t in seen:
                continue
            seen.add(t)
            if len(options) < k:
                options.append(self._option(ctx, int(routes[q]), int(pos[q]), float(cost[q]),
                                            int(depot[q]), float(routing[q])))
        excluded: list[Exclusion] = []
        ids = self._problem.index.technician_ids
        compat = ctx["compat"]
        best_status: dict[int, int] = {}
        for q in range(routes.shape[0]):
            t = int(techs[q])
            best_status[t] = min(best_status.get(t, 9), int(status[q]))
        ticket = ctx["ticket"]
        for t in range(len(ids)):
            if t in seen:
                continue
            code = int(compat[t])
            tid = ids[t]
            if code:
                if code == Incompatibility.SHIFT and tid in self._absent:
                    excluded.append(Exclusion(tid, "absent", "absent"))
                else:
                    excluded.append(Exclusion(tid, INCOMPATIBILITY[_COMPAT_ENUM[code]].exclusion,
                                              self._compat_reason(
                        _COMPAT_ENUM[code], ctx["j"], ticket, tid)))
            elif best_status.get(t) == 1:
                excluded.append(Exclusion(tid, "no_room", _NO_ROOM))
            else:
                excluded.append(Exclusion(tid, "no_position", _NO_POSITION))
        unservable = ctx["unservable"]
        return Recommendation(ctx["ticket_id"], tuple(options), tuple(excluded),
                              UnassignedReason.from_code(unservable).value if unservable
                              else None)

    # ---------------------------------------------------------------- insert
    def _insert(self, ctx: dict[str, Any], moved_cap: int, shift_cap: int,
                technician_id: str | None, actor: str) -> InsertResult:
        from ..kernels.routes import insert_at
        from ._kernels import eject_candidates, nearest_routes, remove_at

        kd, j, tid = ctx["kd"], ctx["j"], ctx["ticket_id"]
        routes = np.asarray(ctx["routes"], dtype=np.int64)
        if technician_id is not None:
            routes = routes[np.array([self._route_key[r][0] == technician_id
                                      for r in routes.tolist()], dtype=np.bool_)]
            routes.setflags(write=False)  # read-only, as the live problem's route lists
        st = self._copy_state()
        ctx["st"] = st
        before_starts, before_routes = self._starts()
        cost, pos, _status = self._price(ctx, routes)
        scratch = self._scratch()
        chosen: tuple[str, float] | None = None
        touched: set[int] = set()
        order = np.lexsort((routes, cost))
        for q in order[:12].tolist():
            if not math.isfinite(cost[q]):
                break
            r, p = int(routes[q]), int(pos[q])
            _det, starts = self._detail(ctx, r, p)
            n = int(st.length[r])
            old = before_starts[st.seq[r, :n]]
            new = np.concatenate([starts[:p], starts[p + 1:n + 1]])
            if int((np.abs(new - old) > shift_cap).sum()) <= moved_cap:
                insert_at(kd, r, j, p, st, scratch)
                chosen = ("insertion", float(cost[q]))
                touched = {r}
                break
        if chosen is None and routes.size and kd.dep.node.shape[0] and \
                kd.res.part_ptr[j + 1] > kd.res.part_ptr[j] and \
                kd.res.stock.shape == st.usage.shape:
            chosen, touched = self._insert_with_stop(ctx, st, routes, before_starts,
                                                     before_routes, moved_cap, shift_cap)
        if chosen is None and moved_cap >= 1 and routes.size and \
                kd.res.stock.shape == st.usage.shape:
            movable = np.ones(kd.ticket_node.shape[0], dtype=np.bool_)
            index = self._problem.index
            for t in self._pins:
                if index.has_ticket(t):
                    movable[index.ticket_idx(t)] = False
            movable[j] = False
            near = nearest_routes(kd, routes, j, st, _EJECT_ROUTES)
            out = np.empty((256, 6))
            m = eject_candidates(kd, j, near, self._problem.ticket_routes_ptr,
                                 self._problem.ticket_routes, movable, st,
                                 self._work(kd, st), scratch, out)
            for row in out[:m][np.argsort(out[:m, 0], kind="stable")][:_EJECT_TRIES]:
                total, r, q, p1, r2, p2 = (float(row[0]), *(int(x) for x in row[1:]))
                e = int(st.seq[r, q])
                remove_at(kd, r, q, st, scratch)
                insert_at(kd, r, j, p1, st, scratch)
                insert_at(kd, r2, e, p2, st, scratch)
                disrupted = self._disruption(kd, st, {r, r2}, before_starts, before_routes,
                                             shift_cap, j)
                if disrupted <= moved_cap:
                    if kd.w.balance > 0:  # (the candidates' totals price routing terms)
                        from ..kernels.routes import balance_cost

                        total += float(balance_cost(kd, st) - balance_cost(kd, self._st))
                    chosen = ("repair", total)
                    touched = {r, r2}
                    break
                p_e = int(np.flatnonzero(st.seq[r2, :st.length[r2]] == e)[0])
                remove_at(kd, r2, p_e, st, scratch)
                p_j = int(np.flatnonzero(st.seq[r, :st.length[r]] == j)[0])
                remove_at(kd, r, p_j, st, scratch)
                insert_at(kd, r, e, q, st, scratch)
        before = self._route_snapshot(self._st, kd, touched)
        if ctx["new"]:
            self._register(ctx["ticket"], actor=actor, follow_up_of=ctx["follow_up_of"])
            self._problem = self._grown(ctx)
            if st.usage.shape != self._problem.data.res.stock.shape:
                from ..solvers.greedy import make_state, state_pickups

                st = make_state(self._problem, [list(st.seq[r, :st.length[r]])
                                                for r in range(st.seq.shape[0])],
                                state_pickups(st))
        if chosen is None:
            reason = self._not_placed_reason(ctx, routes, cost)
            self._reasons[tid] = (UnassignedReason.from_code(ctx["unservable"])
                                  if ctx["unservable"] else UnassignedReason.NO_CAPACITY)
            self._cache = {}
            if ctx["new"]:
                self._st = st
            self.log.emit(self.now, tid, "unplaced", actor, from_state=self.state(tid),
                          to_state=self.state(tid), reason=reason)
            return InsertResult(tid, False, None, None, "none", math.inf, (), reason)
        if assert_mode():  # debug: the priced cost against the evaluator's objective change
            from ..solvers.greedy import state_pickups, state_routes

            problem = self._problem
            obj_old = objective_of(problem, state_routes(self._st), state_pickups(self._st))
            obj_new = objective_of(problem, state_routes(st), state_pickups(st))
            j_new = problem.index.ticket_idx(tid)
            check_close(f"live {chosen[0]} of {tid!r}",
                        chosen[1] - float(problem.data.cost.penalty[j_new]), obj_new - obj_old)
        self._st = st
        self._reasons.pop(tid, None)
        self._cache = {}
        after = self._route_snapshot(st, self._problem.data, touched)
        changes = self._diff(before, after, first=tid)
        self._sync_lifecycle(before, actor, after=after)
        tech_id, start = after[tid]
        r_new = next(r for r in touched if self._route_key[r][0] == tech_id
                     and j in st.seq[r, :st.length[r]])
        eta = self._eta(tid, r_new, start)
        method, total = chosen
        return InsertResult(tid, True, tech_id, eta, method, total, changes,
                            f"placed with {tech_id} by {method}, "
                            f"{len(changes) - 1} other ticket(s) changed")

    def _insert_with_stop(self, ctx: Mapping[str, Any], st: Any, routes: np.ndarray,
                          before_starts: np.ndarray, before_routes: np.ndarray,
                          moved_cap: int, shift_cap: int,
                          ) -> tuple[tuple[str, float] | None, set[int]]:
        """Place ticket ``ctx["j"]`` (which needs parts) by starting a route with a depot stop,
        cheapest first, within the disruption bound; ``st`` is changed only on success."""
        from ..kernels.insertion import apply_pickup
        from ..kernels.routes import balance_cost, insert_at
        from ._kernels import price_pickups, remove_at

        kd, j = ctx["kd"], ctx["j"]
        cost = np.empty(routes.shape[0])
        depot = np.empty(routes.shape[0], dtype=np.int64)
        pos = np.empty(routes.shape[0], dtype=np.int64)
        price_pickups(kd, routes, j, st, self._work(kd, st), cost, depot, pos)
        scratch = self._scratch()
        balance_before = float(balance_cost(kd, st)) if kd.w.balance > 0 else 0.0
        for q in np.lexsort((routes, cost))[:12].tolist():
            if not math.isfinite(cost[q]):
                break
            r, d, p = int(routes[q]), int(depot[q]), int(pos[q])
            apply_pickup(kd, r, d, st, scratch)
            insert_at(kd, r, j, p, st, scratch)
            if self._disruption(kd, st, {r}, before_starts, before_routes, shift_cap,
                                j) <= moved_cap:
                total = float(cost[q])
                if kd.w.balance > 0:
                    total += float(balance_cost(kd, st)) - balance_before
                return ("depot_stop", total), {r}
            remove_at(kd, r, int(np.flatnonzero(st.seq[r, :st.length[r]] == j)[0]), st,
                      scratch)
            apply_pickup(kd, r, -1, st, scratch)
        return None, set()

    def _route_snapshot(self, st: Any, kd: Any, routes: Iterable[int],
                        ) -> dict[str, tuple[str, int]]:
        """Like :meth:`_snapshot`, for the tickets of some routes of a state only."""
        ids = self._problem.index.ticket_ids
        out: dict[str, tuple[str, int]] = {}
        for r in routes:
            t_idx = int(kd.rt.tech[r])
            tech = self._route_key[r][0]
            for k in range(int(st.length[r])):
                i = int(st.seq[r, k])
                out[ids[i]] = (tech, int(st.free_t[r, k]) - int(kd.tech.service[t_idx, i]))
        return out

    def _reinsert(self, ticket_ids: Sequence[str]) -> None:
        """Put tickets back at their cheapest feasible position, most urgent first.

        Nobody else moves (later visits of the receiving route may shift).
        Tickets that fit nowhere stay open (``no_capacity``).
        """
        from ..kernels.routes import insert_at

        problem = self._problem
        kd = problem.data
        index = problem.index
        order = sorted((index.ticket_idx(t) for t in ticket_ids if index.has_ticket(t)),
                       key=lambda j: (int(kd.cost.priority[j]), int(kd.cost.response_by[j]), j))
        scratch = self._scratch()
        for j in order:
            ctx = {"kd": kd, "st": self._st, "j": j}
            routes = problem.routes_for(j)
            cost, pos, _ = self._price(ctx, routes)
            tid = index.ticket_ids[j]
            if routes.size and np.isfinite(cost).any():
                q = int(np.argmin(cost))
                insert_at(kd, int(routes[q]), j, int(pos[q]), self._st, scratch)
                self._reasons.pop(tid, None)
            elif not problem.unservable[j]:
                self._reasons[tid] = UnassignedReason.NO_CAPACITY
        self._cache = {}

    def _disruption(self, kd: Any, st: Any, routes: Iterable[int], before_starts: np.ndarray,
                    before_routes: np.ndarray, shift_cap: int, j: int) -> int:
        count = 0
        for r in routes:
            t_idx = int(kd.rt.tech[r])
            for k in range(int(st.length[r])):
                i = int(st.seq[r, k])
                if i == j:
                    continue
                start = int(st.free_t[r, k]) - int(kd.tech.service[t_idx, i])
                if int(before_routes[i]) != r or abs(start - int(before_starts[i])) > shift_cap:
                    count += 1
        return count

    def _not_placed_reason(self, ctx: Mapping[str, Any], routes: np.ndarray,
                           cost: np.ndarray) -> str:
        if ctx["unservable"]:
            return ("no technician can ever serve it: "
                    + UnassignedReason.from_code(ctx["unservable"]).value)
        if not routes.size:
            return "the chosen technician cannot serve it"
        if np.isfinite(cost).any():
            return ("every feasible slot disrupts more than the allowed tickets; "
                    "raise max_moved/max_shift or reoptimize()")
        return "no able technician has a feasible slot left today (no_capacity)"

    # -------------------------------------------------------------- disruption
    def _disrupted(self, technician_id: str | None, repair: bool, actor: str) -> DelayReport:
        gone: tuple[str, ...] = ()
        pending = self._pending
        if pending is not None:
            # events whose refresh was deferred come with this one: the report covers
            # everything since the plan was last read (one refresh, not two)
            self._pending = None
            gone, before = pending[0], pending[2]
        else:
            before = self._snapshot()
        old_problem, old_plan = self._problem, self.plan
        dropped = self._refresh(gone)
        mid = self._snapshot()
        proposal = None
        repair_result = None
        if dropped:
            import time as _time

            tic = _time.perf_counter()
            obj_before = evaluate(old_problem, old_plan).objective
            saved_st, saved_reasons = self._st, dict(self._reasons)
            self._st = self._copy_state()
            self._reinsert(dropped)
            proposal = self.plan
            if repair:
                repair_result = ReplanResult(
                    obj_before, self.evaluation.objective, self._diff(mid, self._snapshot()),
                    {t: r.value for t, r in sorted(self._reasons.items())}, "insertion",
                    _time.perf_counter() - tic)
            else:
                self._st, self._reasons = saved_st, saved_reasons
                self._cache = {}
        after = self._snapshot()
        self._sync_lifecycle(before, actor)
        kd = self._problem.data
        index = self._problem.index
        at_risk: list[str] = []
        for tid in sorted(set(before) | set(after)):
            if tid not in self._tickets or not self.state(tid).is_open:
                continue
            a = after.get(tid)
            b = before.get(tid)
            if a == b:
                continue  # untouched by this event
            if a is None:
                at_risk.append(tid)
                continue
            j = index.ticket_idx(tid)
            svc = int(kd.tech.service[index.technician_idx(a[0]), j])
            late = a[1] > kd.cost.response_by[j] or a[1] + svc > kd.cost.resolve_by[j]
            if late or (b is not None and abs(a[1] - b[1]) > self.max_shift):
                at_risk.append(tid)
        starts, routes = self._starts()
        etas: dict[str, Eta] = {}
        for tid in at_risk:  # open tickets: planned ones have an ETA
            if index.has_ticket(tid):
                j = index.ticket_idx(tid)
                if routes[j] >= 0:
                    etas[tid] = self._eta(tid, int(routes[j]), int(starts[j]))
        return DelayReport(technician_id, tuple(at_risk), tuple(dropped), etas, repair_result,
                           None if repair else proposal)


def _append(problem: Problem, ticket: Ticket, rows: TicketRows) -> Problem:
    """append_ticket with rows already computed."""
    return append_ticket(problem, ticket, rows=rows)


def _fmt(seconds: int) -> str:
    h, m = divmod(int(seconds) // 60, 60)
    return f"{h} h {m:02d}" if h else f"{m} min"


_WARM = False


def warm_up() -> float:
    """Load (or compile, on a fresh install) every live-dispatch kernel once per process.

    The first call of each numba kernel in a process loads it from the
    on-disk cache (tens of ms each, a minute of compilation on a fresh
    install). Call this at service start so the first ``recommend`` or
    ``insert`` is as fast as the others. Returns the seconds spent (0 when
    already warm).
    """
    global _WARM
    if _WARM:
        return 0.0
    import time

    from ..generate import generate_scenario
    from ._kernels import eject_candidates, nearest_routes

    tic = time.perf_counter()
    _WARM = True
    scenario = generate_scenario(3, 12, seed=0, name="warm-up")
    d = Dispatcher(scenario)
    d.plan_day(solver="greedy")
    new = attrs.evolve(scenario.tickets[0], id="warm-up-new")
    d.recommend(new, k=2)
    ctx = d._pricing_context(new)
    st = d._copy_state()
    kd = ctx["kd"]
    routes = np.arange(d.problem.num_routes, dtype=np.int64)
    routes.setflags(write=False)  # as the live problem's route lists are
    near = nearest_routes(kd, routes, ctx["j"], st, 2)
    out = np.empty((8, 6))
    eject_candidates(kd, ctx["j"], near, d.problem.ticket_routes_ptr, d.problem.ticket_routes,
                     np.ones(kd.ticket_node.shape[0], dtype=np.bool_), st, d._work(kd, st),
                     d._scratch(), out)
    d.insert(new)
    planned = next(iter(d.etas()), None)
    if planned is not None:
        d.explain(planned)
        d.start_travel(planned)  # the incremental refresh's kernels
        d.arrive(planned)
        d.etas()
        d.complete(planned)
        d.advance(d.now + timedelta(minutes=30))
    # a desk with more routes than the greedy backend prices per ticket, rebuilt with its plan
    busy = generate_scenario(30, 60, seed=1, name="warm-up")
    d = Dispatcher(busy)
    d.plan_day(solver="greedy")
    d._rebuild(None)
    d.insert(attrs.evolve(busy.tickets[0], id="warm-up-new"))
    from ..solvers.base import Limits
    from ..solvers.greedy import GreedySolver

    GreedySolver(max_candidates=2).solve(d.problem, Limits(), 0, None)
    return time.perf_counter() - tic
