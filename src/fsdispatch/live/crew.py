"""Crew jobs in live dispatch: ``recommend`` and ``insert`` of a ticket with ``crew_size > 1``.

The live plan holds a crew job as its member tickets (:func:`~fsdispatch.problem.crew.
expand_crews`' members: ``T``, ``T~crew2``, ...; one visit each), every member **pinned**
to its technician and to the crew's common start ``S`` (the window ``[S, S]``, as the
heuristics pin members with :func:`~fsdispatch.problem.crew.pin_windows`). So every rule
of the live problem applies to each member unchanged, the shared evaluator checks each
member at ``S``, and every backend of :meth:`~fsdispatch.live.Dispatcher.reoptimize`
keeps the crew together (pins are constraints of the live problem; ``ls`` locks them).

Choosing a crew (:func:`crew_options`) reuses the live pricing: each able technician's
cheapest insertion of one member gives a candidate common start ``S``; for each ``S``
the member, pinned to ``[S, S]``, is priced on every route by
:func:`fsdispatch.live.pricing.recommend`, the ``k`` cheapest distinct technicians form
the crew, and the cheapest crew over the candidate starts wins. Each member is then
placed by the ordinary live insertion (:func:`fsdispatch.live.insertion.insert`) with
its pin. A crew that cannot be placed whole is put **on hold** (every member), so no
re-plan ever serves part of it; ``release`` or ``insert`` of its id tries again.

:func:`mend` runs after events that may drop a planned visit (clock moves, overruns,
absences, re-plans): a crew with a member dropped and none started is taken out and
placed again (or put on hold). :func:`crew_view` maps the live plan back to crew
tickets (``crew_size`` k) for the evaluator's own crew rule.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from ..domain.ticket import Ticket, TimeWindow
from ..errors import UnsupportedProblemError, ValidationError
from ..plan import Plan, UnassignedReason
from ..problem.crew import member_id
from . import insertion, pricing
from .eta import Eta
from .lifecycle import TicketState
from .results import Change, CostBreakdown, InsertResult, Option, Pin, Recommendation

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..problem.problem import Problem
    from .live_problem import LivePlan

__all__ = [
    "Desk",
    "add",
    "check_start",
    "crew_options",
    "crew_view",
    "insert",
    "is_crew",
    "mend",
    "recommend",
    "register",
]

S = TicketState
_STARTS = 12
"""Candidate common starts priced per crew (the earliest distinct technicians' starts)."""
_TRIES = 3
"""Crew options tried by ``insert`` before the crew is put on hold."""
_PROBE = "~crew-probe"
_DONE = frozenset({S.COMPLETED, S.CLOSED})


@attrs.define(eq=False)
class Desk:
    """What the crew functions use of a :class:`~fsdispatch.live.Dispatcher`: its live plan,
    its ticket registration (``register(ticket, actor=, follow_up_of=)``) and SLA watch."""

    live: LivePlan
    register: Callable[..., None]
    sla_watch: Any

    @property
    def state(self) -> Any:
        """The desk's :class:`~fsdispatch.live.state.LiveState`."""
        return self.live.state

    def status(self, ticket_id: str) -> TicketState:
        """A ticket's lifecycle state."""
        return self.live.lifecycle.state(ticket_id)


def is_crew(d: Desk, ticket: Ticket | str) -> bool:
    """Whether ``ticket`` is a crew job: a new ticket with ``crew_size > 1`` or the id of a
    registered crew (or of one of its members)."""
    if isinstance(ticket, Ticket):
        return ticket.crew_size > 1
    return isinstance(ticket, str) and ticket in d.state.crew_of


def members(ticket: Ticket) -> tuple[Ticket, ...]:
    """The member tickets of a crew ticket (``crew_size`` 1 each; member 0 keeps its id)."""
    return tuple(attrs.evolve(ticket, id=member_id(ticket.id, m), crew_size=1)
                 for m in range(ticket.crew_size))


def _crew_ticket(d: Desk, ticket: Ticket | str) -> Ticket:
    """The crew ticket (``crew_size`` k) of a new ticket or of a registered crew id."""
    if isinstance(ticket, Ticket):
        return ticket
    state = d.state
    crew_id = state.crew_of[ticket]
    ids = state.crews[crew_id]
    base = state.tickets[crew_id]
    # a technician forbidden for one member (e.g. who rejected it) serves none of the crew
    forbidden = set().union(*(state.forbidden.get(m, set()) for m in ids))
    excluded = tuple(t for t in state.techs if t in forbidden or t in base.excluded_technicians)
    return attrs.evolve(base, crew_size=len(ids), excluded_technicians=excluded,
                        preferred_technicians=tuple(t for t in base.preferred_technicians
                                                    if t not in forbidden))


def _sum_costs(opts: list[Option]) -> CostBreakdown:
    terms = [attrs.asdict(o.cost) for o in opts]
    return CostBreakdown(**{name: float(sum(t[name] for t in terms)) for name in terms[0]})


def _crew_option(d: Desk, ticket: Ticket, opts: list[Option]) -> Option:
    """One crew option from its members' options (all starting at one moment)."""
    first = opts[0]
    start = first.eta.start
    end = max(o.eta.end for o in opts)
    names = tuple(o.technician_id for o in opts)
    eta = Eta(ticket.id, first.technician_id, start, first.eta.earliest, first.eta.latest, end)
    slacks = [o.sla_slack for o in opts if o.sla_slack is not None]
    prefs = [o.preferred for o in opts if o.preferred is not None]
    reason = (f"crew of {len(opts)}: {' + '.join(names)} start together at {start:%H:%M}; "
              + "; ".join(o.reason for o in opts))
    members_ = tuple(attrs.evolve(o, eta=attrs.evolve(o.eta, ticket_id=ticket.id))
                     for o in opts)
    return Option(first.technician_id, first.shift, first.position, first.after, eta,
                  _sum_costs(opts), sum((o.travel_added for o in opts), timedelta()),
                  min(slacks) if slacks else None, max(o.load_after_pct for o in opts),
                  min(o.skill_fit for o in opts), any(prefs) if prefs else None, reason,
                  None, names, members_)


def crew_options(d: Desk, ticket: Ticket, limit: int,
                 technician_id: str | None = None) -> tuple[list[Option], Recommendation]:
    """Up to ``limit`` crew options of ``ticket`` (cheapest first, distinct starts), and the
    one-member recommendation (its exclusions say who can never take a member)."""
    lp = d.live
    k = ticket.crew_size
    n_tech = len(d.state.techs)
    probe = attrs.evolve(ticket, id=ticket.id + _PROBE, crew_size=1)
    ctx = pricing.pricing_context(lp, probe, sla_watch=d.sla_watch)
    base = pricing.recommend(lp, ctx, n_tech)
    starts = sorted({o.eta.start for o in base.options})[:_STARTS]
    found: list[tuple[float, Any, list[Option]]] = []
    for s in starts:
        pinned = attrs.evolve(probe, windows=[TimeWindow(s, s)], window_kind="hard")
        rec = pricing.recommend(lp, pricing.pricing_context(lp, pinned, sla_watch=d.sla_watch),
                                n_tech)
        opts = [o for o in rec.options if o.depot_id is None and o.eta.start == s]
        if technician_id is not None:
            mine = [o for o in opts if o.technician_id == technician_id]
            opts = mine + [o for o in opts if o.technician_id != technician_id]
            if not mine:
                continue
        if len(opts) >= k:
            chosen = opts[:k]
            found.append((sum(o.cost.total for o in chosen), s, chosen))
    found.sort(key=lambda f: (f[0], f[1]))
    return [_crew_option(d, ticket, f[2]) for f in found[:limit]], base


def recommend(d: Desk, ticket: Ticket | str, k: int) -> Recommendation:
    """:meth:`Dispatcher.recommend` of a crew job: up to ``k`` crews (distinct common
    starts), each an :class:`Option` naming its technicians (``crew``) and members."""
    crew_ticket = _crew_ticket(d, ticket)
    options, base = crew_options(d, crew_ticket, k)
    return Recommendation(crew_ticket.id, tuple(options), base.excluded, base.unservable)


def _hold(d: Desk, ids: tuple[str, ...], reason: str, actor: str,
          waiting: bool = False) -> None:
    """Put the (open) members of a crew on hold: no re-plan serves part of a crew.
    ``waiting``: the crew waits to be placed (``reoptimize`` tries again), not held by
    a person."""
    if waiting:
        d.state.crew_waiting.add(d.state.crew_of[ids[0]])
    for tid in ids:
        d.state.pins.pop(tid, None)
        if d.status(tid).is_open:
            d.live.lifecycle.transition(tid, S.ON_HOLD, d.state.now, actor, reason=reason)


def _take_out(d: Desk, ids: tuple[str, ...]) -> None:
    """Unplan and unpin the not-started members ``ids`` (the rest of the plan is kept)."""
    lp = d.live
    gone = set(ids)
    for tid in ids:
        d.state.pins.pop(tid, None)
    keep = {key: [t for t in route if t not in gone] for key, route in lp.routes_by_key().items()}
    before = lp.snapshot()
    lp.rebuild(keep)
    lp.sync_lifecycle(before, "dispatcher")


def check_start(scenario: Any, plan: Plan | None) -> None:
    """A dispatcher's starting plan may not hold crew jobs (the dispatcher places them)."""
    if plan is not None and any(t.crew_size > 1 for t in scenario.tickets):
        raise UnsupportedProblemError("Dispatcher: a starting plan with crew jobs is not "
                                      "supported; the dispatcher places the crews itself")


def register(d: Desk, ticket: Ticket, actor: str, follow_up_of: str | None = None) -> None:
    """Register a ticket; a crew ticket as its members (open, unplanned) and the crew."""
    if ticket.crew_size == 1:
        d.register(ticket, actor=actor, follow_up_of=follow_up_of)
        return
    state = d.state
    ids = tuple(m.id for m in members(ticket))
    for tid in ids:
        if tid in state.tickets:
            raise ValidationError.for_field("Ticket", ticket.id, "id", tid,
                                            "must be unique (already known to the dispatcher)")
    for m in members(ticket):
        d.register(m, actor=actor, follow_up_of=follow_up_of)
    state.crews[ticket.id] = ids
    for tid in ids:
        state.crew_of[tid] = ticket.id


def insert(d: Desk, ticket: Ticket | str, moved_cap: int, shift_cap: int,
           technician_id: str | None, actor: str,
           follow_up_of: str | None = None) -> InsertResult:
    """:meth:`Dispatcher.insert` of a crew job (see the module docstring)."""
    lp = d.live
    state = d.state
    crew_ticket = _crew_ticket(d, ticket)
    if isinstance(ticket, str):
        ids = state.crews[crew_ticket.id]
        open_ids = tuple(t for t in ids if d.status(t).is_open)
        if len(open_ids) == len(ids) and all(lp.route_of(t) is not None for t in ids):
            raise ValidationError.for_field("Ticket", crew_ticket.id, "state", "scheduled",
                                            "is already planned (use reoptimize())")
        if open_ids:  # a crew partly planned (a member rejected, released): placed anew
            _take_out(d, open_ids)
    options, base = crew_options(d, crew_ticket, _TRIES, technician_id)
    if isinstance(ticket, Ticket):
        register(d, crew_ticket, actor, follow_up_of)
    ids = state.crews[crew_ticket.id]
    for tid in ids:  # members on hold (a crew not placed before) are open again
        if d.status(tid) == S.ON_HOLD:
            d.live.lifecycle.transition(tid, S.CREATED, d.state.now, actor)
    for option in options:
        start = option.eta.start
        for tid, tech in zip(ids, option.crew, strict=True):
            state.pins[tid] = Pin(tech, start, start)
        lp.rebuild(None)
        placed: list[InsertResult] = []
        for tid, tech in zip(ids, option.crew, strict=True):
            ctx = pricing.pricing_context(lp, tid, sla_watch=d.sla_watch, actor=actor)
            res = insertion.insert(lp, ctx, moved_cap, shift_cap, tech, actor, lambda c: None)
            if not res.placed:
                break
            placed.append(res)
        if len(placed) == len(ids):
            state.crew_waiting.discard(crew_ticket.id)
            changes: dict[str, Change] = {}
            for res in placed:
                for c in res.changes:
                    changes.setdefault(c.ticket_id, c)
            first = placed[0]
            return InsertResult(crew_ticket.id, True, first.technician_id, option.eta, "crew",
                                float(sum(r.cost for r in placed)), tuple(changes.values()),
                                f"placed with the crew {' + '.join(option.crew)} starting "
                                f"{start:%H:%M}, {len(changes) - len(ids)} other ticket(s) "
                                "changed", option.crew)
        _take_out(d, ids)
    reason = ("no technician can ever serve it: " + base.unservable if base.unservable else
              f"no {crew_ticket.crew_size} able technicians can start it together "
              "within the disruption bound (no_capacity); the crew is on hold")
    if not options and len(base.options) < crew_ticket.crew_size and not base.unservable:
        reason = (f"only {len(base.options)} technician(s) can take a member, the crew "
                  f"needs {crew_ticket.crew_size}; the crew is on hold")
    lp.rebuild(None)
    _hold(d, ids, reason, actor, waiting=True)
    lp.rebuild(None)
    held = d.status(crew_ticket.id)
    lp.lifecycle.log.emit(d.state.now, crew_ticket.id, "unplaced", actor, from_state=held,
                          to_state=held, reason=reason)
    return InsertResult(crew_ticket.id, False, None, None, "none", math.inf, (), reason)


def add(d: Desk, ticket: Ticket, actor: str,
        follow_up_of: str | None = None) -> UnassignedReason:
    """:meth:`Dispatcher.add` of a crew job: its members registered and waiting on hold
    (``insert`` of its id, or the next ``reoptimize``, places the crew whole); ``open``."""
    register(d, ticket, actor, follow_up_of)
    d.live.rebuild(None)
    _hold(d, d.state.crews[ticket.id], "crew job waiting to be placed", actor, waiting=True)
    d.live.rebuild(None)
    return UnassignedReason.OPEN


def mend(d: Desk, moved_cap: int, shift_cap: int, actor: str = "dispatcher",
         retry: bool = False) -> list[str]:
    """Keep every crew whole after an event; returns the crew ids it changed.

    Per crew not under way (no member started): a member cancelled cancels the crew's
    open members; a member put on hold holds the planned ones (the crew waits whole); a
    member no longer planned, or released from hold, takes the crew out and places it
    again (or puts it on hold). A crew under way keeps its open members pinned to their
    technician and start: one that can no longer make it stays unassigned with its reason.
    With ``retry`` (after a re-plan) the crews waiting to be placed are tried again.
    """
    state = d.state
    if not state.crews:
        return []
    lp = d.live
    out: list[str] = []
    for crew_id, ids in list(state.crews.items()):
        st = [d.status(t) for t in ids]
        open_ids = tuple(t for t, s in zip(ids, st, strict=True) if s.is_open)
        if retry and crew_id in state.crew_waiting and all(s == S.ON_HOLD for s in st):
            if insert(d, crew_id, moved_cap, shift_cap, None, actor).placed:
                out.append(crew_id)
            continue
        if not open_ids or any(s.in_progress or s in _DONE for s in st):
            continue
        if S.CANCELLED in st:
            for t in open_ids:
                state.pins.pop(t, None)
                lp.lifecycle.transition(t, S.CANCELLED, state.now, actor,
                                        reason=f"crew job {crew_id} cancelled")
            lp.defer(open_ids)
        elif S.ON_HOLD in st and all(lp.route_of(t) is not None for t in open_ids):
            _take_out(d, open_ids)
            _hold(d, open_ids, f"crew job {crew_id} on hold", actor)
            lp.rebuild(None)
        elif len(open_ids) < len(ids) or not all(lp.route_of(t) is not None for t in ids):
            _take_out(d, open_ids)
            insert(d, crew_id, moved_cap, shift_cap, None, actor)
        else:
            continue
        out.append(crew_id)
    return out


def crew_view(dispatcher: Any) -> tuple[Problem, Plan]:
    """The live problem and plan of a :class:`~fsdispatch.live.Dispatcher` with each crew's
    members merged back into one crew ticket (``crew_size`` = its members in the live
    problem, under their pins): for the shared evaluator's own crew rule (distinct
    technicians, one common start)."""
    from ..problem.compile import compile_scenario

    problem, plan = dispatcher.problem, dispatcher.plan
    state = dispatcher.live_state
    ids = problem.index.ticket_ids
    live = {t.id: t for t in problem.scenario.tickets}
    merged: dict[str, str] = {}
    tickets = []
    for t in problem.scenario.tickets:
        crew_id = state.crew_of.get(t.id)
        if crew_id is None:
            tickets.append(t)
            continue
        mine = [m for m in state.crews[crew_id] if m in live]
        merged[t.id] = mine[0]
        if t.id != mine[0]:
            continue
        techs = {state.pins[m].technician_id for m in mine if m in state.pins}
        excluded = tuple(x for x in state.techs if techs and x not in techs)
        tickets.append(attrs.evolve(t, crew_size=len(mine), excluded_technicians=excluded,
                                    preferred_technicians=()))
    scenario = attrs.evolve(problem.scenario, tickets=tuple(tickets))
    crew_problem = compile_scenario(scenario)
    index = crew_problem.index

    def to_crew(j: int) -> int:
        tid = ids[j]
        return index.ticket_idx(merged.get(tid, tid))

    routes = [[to_crew(j) for j in route] for route in plan.routes]
    unassigned = {to_crew(j): r for j, r in plan.unassigned.items()}
    return crew_problem, Plan(routes=routes, unassigned=unassigned)
