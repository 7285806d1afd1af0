"""Pricing a ticket in the live plan: the context, each route's cheapest insertion, the
options of ``recommend`` and why every other technician is out.

One place breaks an insertion into the evaluator's objective terms
(:func:`insertion_terms`), for ``recommend``'s :class:`~fsdispatch.live.CostBreakdown`
and for ``explain``: the kernels :func:`~fsdispatch.live._kernels.price_routes` (the
total) and :func:`~fsdispatch.live._kernels.insertion_detail` (its timing and routing
terms) price it, and the terms always sum to the priced total, the load-balance change
included. A ticket's :class:`PricingContext` is made once per question and read by
:mod:`fsdispatch.live.insertion` as well.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..domain.ticket import Ticket
from ..errors import TransitionError, ValidationError
from ..plan import UnassignedReason
from ..problem.extend import TicketRows, append_ticket, ticket_rows
from ..problem.objective import territory_cost
from ..problem.problem import NO_DEADLINE, Incompatibility
from ..problem.reasons import INCOMPATIBILITY
from .eta import Eta
from .results import CostBreakdown, Exclusion, Option, Recommendation

if TYPE_CHECKING:
    from ..problem.problem import Problem
    from .live_problem import LivePlan

__all__ = ["TERMS", "PricingContext", "exact_change", "insertion_terms", "pricing_context",
           "recommend"]

TERMS = ("travel", "distance", "lateness", "overtime", "labour", "preference", "load_balance",
         "out_of_territory")
"""The objective terms an insertion changes, in the order they are reported (an option with
a depot stop also has ``depot_stop``, the stop's routing cost)."""

_NO_ROOM = "no room: the day's ticket cap, capacity or van stock is used by planned work"
_NO_POSITION = "no feasible slot in the planned day (windows, breaks, shift end)"
_COMPAT_ENUM = {int(c): c for c in Incompatibility}


def insertion_terms(kd: Any, st: Any, r: int, j: int, p: int,
                    det: tuple[Any, ...]) -> dict[str, float]:
    """The objective change of inserting ticket ``j`` at position ``p`` of route ``r``, by
    term (objective units); ``det`` is ``insertion_detail`` of that insertion."""
    (_ok, _a, _s, _e, d_trav, d_km, d_late, d_ot, _ret, labour, pref) = det
    w = kd.w
    terr = territory_cost(kd, int(kd.rt.tech[r]), j)  # (the kernels' preference_cost holds it)
    balance = 0.0
    if w.balance > 0:
        from ._kernels import balance_change

        balance = float(balance_change(kd, np.int64(r), np.int64(j), np.int64(p), st))
    return {"travel": float(w.travel * d_trav), "distance": float(w.dist * d_km),
            "lateness": float(d_late), "overtime": float(w.overtime * d_ot),
            "labour": float(labour), "preference": float(pref) - terr, "load_balance": balance,
            "out_of_territory": terr}


def exact_change(kd: Any, before: Any, after: Any) -> tuple[float, float]:
    """``(routing, load balance)``: the evaluator's objective change (penalties aside) from
    route state ``before`` to ``after`` of kernel data ``kd``, from the states' own
    bookkeeping (:func:`~fsdispatch.kernels.routes.routes_cost`, exact under time-dependent
    travel, where the insertion kernels price by an estimate)."""
    from ..kernels.routes import balance_cost, routes_cost

    routing = float(routes_cost(kd, after)) - float(routes_cost(kd, before))
    balance = float(balance_cost(kd, after)) - float(balance_cost(kd, before)) \
        if kd.w.balance > 0 else 0.0
    return routing, balance


def _exact_terms(lp: LivePlan, ctx: PricingContext, r: int, p: int, depot: int,
                 terms: dict[str, float]) -> None:
    """Time-dependent travel: make the insertion's ``terms`` exact (the load-balance change
    and, after a stop at ``depot``, the stop's routing cost) from the change made on a copy
    of the state."""
    from ..kernels.insertion import apply_pickup
    from ..kernels.routes import insert_at
    from ..solvers.greedy import copy_state

    kd, st = ctx.kd, ctx.st
    trial, scratch = copy_state(st), lp.scratch()
    if depot >= 0:
        apply_pickup(kd, r, depot, trial, scratch)
    insert_at(kd, r, ctx.j, p, trial, scratch)
    routing, balance = exact_change(kd, st, trial)
    terms["load_balance"] = balance
    if depot >= 0:
        terms["depot_stop"] = routing - sum(v for name, v in terms.items()
                                            if name not in ("load_balance", "depot_stop"))


@attrs.define(eq=False)
class PricingContext:
    """One ticket to price against the live plan.

    Attributes
    ----------
    ticket, ticket_id:
        The ticket as given (a new one) or as registered.
    j:
        Its column in ``kd`` (a new ticket is appended as the last column).
    kd:
        Kernel data of the live problem (grown by a new ticket).
    st:
        The route state it is priced against (a planned ticket's copy without it).
    routes, compat, unservable:
        Candidate routes, compatibility code per technician, unservable code.
    new:
        Whether the ticket is not registered yet.
    route:
        The route of a planned ticket (``None``: not planned).
    live, rows, grown, base:
        For a new ticket: as the live problem has it (SLA deadlines), its compiled
        rows, the live problem with it appended (made when first needed), and the live
        problem it was priced on.
    follow_up_of:
        For a new ticket, the ticket it follows up.
    shortest:
        For a new ticket, ``min_service`` of the grown problem (its route width bound).
    """

    ticket: Ticket
    ticket_id: str
    j: int
    kd: Any
    st: Any
    routes: np.ndarray
    compat: np.ndarray
    unservable: int
    new: bool
    route: int | None = None
    live: Ticket | None = None
    rows: TicketRows | None = None
    grown: Problem | None = None
    base: Problem | None = None
    follow_up_of: str | None = None
    shortest: np.ndarray | None = None

    def problem_with_ticket(self, lp: LivePlan) -> Problem:
        """The live problem with this new ticket appended (made once)."""
        assert self.live is not None and self.rows is not None
        if self.base is lp.problem:
            if self.grown is None:
                self.grown = append_ticket(lp.problem, self.live, rows=self.rows)
            if self.shortest is not None:  # its route width bound, known from pricing
                lp.shortest = (self.grown, self.shortest)
            return self.grown
        return append_ticket(lp.problem, self.live, rows=self.rows)


def pricing_context(lp: LivePlan, ticket: Ticket | str, *, sla_watch: Any = None,
                    follow_up_of: str | None = None, actor: str | None = None,
                    ) -> PricingContext:
    """The pricing context of a new ticket or of an open one (``actor`` is ``None`` when
    only asked for prices: a planned ticket is then priced as if taken out of its route)."""
    problem = lp.problem
    state = lp.state
    if isinstance(ticket, Ticket):
        if ticket.id in state.tickets:
            raise ValidationError.for_field("Ticket", ticket.id, "id", ticket.id,
                                            "must be unique (already known to the dispatcher)")
        if follow_up_of is not None:
            lp.lifecycle.state(follow_up_of)
        live = ticket
        if sla_watch is not None and hasattr(sla_watch, "with_deadlines"):
            live = sla_watch.with_deadlines(ticket, state.scenario.sla_policy,
                                            default_created=state.now)
        from ..solvers.greedy import grown_min_service

        rows = ticket_rows(problem, live)
        # the route width bound of the grown problem from the live problem's (no scan of
        # every column); the grown problem is made now only if the state must widen
        shortest = grown_min_service(lp.min_service(problem), rows.compat,
                                     rows.data.tech.service[:, -1])
        grown = None
        if lp.too_narrow(rows.data, shortest, problem.num_tickets + 1):
            grown = append_ticket(problem, live, rows=rows)
            lp.widen(grown, shortest)
        return PricingContext(ticket, ticket.id, problem.num_tickets, rows.data, lp.st,
                              rows.routes, rows.compat, rows.unservable, True, None, live,
                              rows, grown, problem, follow_up_of, shortest)
    if not isinstance(ticket, str):
        raise ValidationError.for_field("Dispatcher", None, "ticket", ticket,
                                        "must be a Ticket or a ticket id")
    tstate = lp.lifecycle.state(ticket)
    if not tstate.is_open or not problem.index.has_ticket(ticket):
        raise TransitionError(f"Ticket {ticket!r} is {tstate.value!r}: only open tickets "
                              "can be priced or inserted.")
    j = problem.index.ticket_idx(ticket)
    st = lp.st
    r = lp.route_of(ticket)
    if r is not None and actor is None:  # recommend: price it as if taken out
        from ._kernels import remove_at

        st = lp.copy_state()
        p = int(np.flatnonzero(st.seq[r, :st.length[r]] == j)[0])
        remove_at(problem.data, r, p, st, lp.scratch())
    return PricingContext(state.tickets[ticket], ticket, j, problem.data, st,
                          problem.routes_for(j), problem.compatible[:, j],
                          int(problem.unservable[j]), False, r)


def price(lp: LivePlan, ctx: PricingContext, routes: np.ndarray,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each route's cheapest insertion of the ticket: ``(cost, position, status)``."""
    from ._kernels import price_routes

    kd, st = ctx.kd, ctx.st
    if kd.res.stock.shape != st.usage.shape:  # the ticket added a part no van holds
        routes = routes[:0]
    cost = np.empty(routes.shape[0])
    pos = np.empty(routes.shape[0], dtype=np.int64)
    status = np.empty(routes.shape[0], dtype=np.int64)
    if routes.size:
        price_routes(kd, routes, ctx.j, st, lp.work(kd, st), cost, pos, status)
    return cost, pos, status


def detail(lp: LivePlan, ctx: PricingContext, r: int, p: int) -> tuple[Any, np.ndarray]:
    """``insertion_detail`` of the ticket at position ``p`` of route ``r``, and the starts."""
    from ._kernels import insertion_detail

    st = ctx.st
    buf = np.empty(st.seq.shape[1] + 2, dtype=np.int64)
    det = insertion_detail(ctx.kd, r, ctx.j, p, st, lp.scratch(), buf)
    return det, buf


def stop_prices(lp: LivePlan, ctx: PricingContext, routes: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Each route's cheapest insertion of the ticket after a depot stop first thing:
    ``(cost, depot, position, routing cost)``, the cost with the exact load-balance
    change (None when no stop can matter: no depot, no parts)."""
    kd, st, j = ctx.kd, ctx.st, ctx.j
    if not routes.size or not kd.dep.node.shape[0] or \
            kd.res.part_ptr[j + 1] == kd.res.part_ptr[j] or \
            kd.res.stock.shape != st.usage.shape:
        return None
    from ._kernels import price_pickups

    routing = np.empty(routes.shape[0])
    depot = np.empty(routes.shape[0], dtype=np.int64)
    pos = np.empty(routes.shape[0], dtype=np.int64)
    price_pickups(kd, routes, j, st, lp.work(kd, st), routing, depot, pos)
    cost = routing.copy()
    if kd.w.balance > 0:  # the balance change of the whole change, exactly: each
        # stop and insertion made on one copy of the state and undone
        from ..kernels.insertion import apply_pickup
        from ..kernels.routes import balance_cost, insert_at
        from ..solvers.greedy import copy_state
        from ._kernels import remove_at

        base = float(balance_cost(kd, st))
        trial, scratch = copy_state(st), lp.scratch()
        for q in np.flatnonzero(np.isfinite(cost)).tolist():
            r, p = int(routes[q]), int(pos[q])
            apply_pickup(kd, r, int(depot[q]), trial, scratch)
            insert_at(kd, r, j, p, trial, scratch)
            cost[q] += float(balance_cost(kd, trial)) - base
            remove_at(kd, r, p, trial, scratch)
            apply_pickup(kd, r, -1, trial, scratch)
    return cost, depot, pos, routing


def _fmt(seconds: int) -> str:
    h, m = divmod(int(seconds) // 60, 60)
    return f"{h} h {m:02d}" if h else f"{m} min"


def _sla_slack(kd: Any, j: int, start: int, end: int) -> int | None:
    """Seconds to the tighter of the response and resolution deadlines (``None``: none)."""
    slack: int | None = None
    if kd.cost.response_by[j] < NO_DEADLINE:
        slack = int(kd.cost.response_by[j]) - int(start)
    if kd.cost.resolve_by[j] < NO_DEADLINE:
        s2 = int(kd.cost.resolve_by[j]) - int(end)
        slack = s2 if slack is None else min(slack, s2)
    return slack


def _load_after(kd: Any, st: Any, r: int, j: int, d_trav: int) -> float:
    """The route's workload in % of its shift after inserting ticket ``j``."""
    n = int(st.length[r])
    t_idx = int(kd.rt.tech[r])
    seq = st.seq[r, :n]
    work = (int(st.rtrav[r]) if kd.tv.td else int(st.legt[r, :n + 1].sum())) if n else 0
    work += int(kd.tech.service[t_idx, seq].sum()) + int(d_trav) + \
        int(kd.tech.service[t_idx, j])
    return 100.0 * work / max(int(kd.rt.close[r] - kd.rt.open[r]), 1)


def option(lp: LivePlan, ctx: PricingContext, r: int, p: int, cost: float,
           depot: int = -1, stop_routing: float = 0.0) -> Option:
    """The :class:`Option` of inserting the ticket at position ``p`` of route ``r`` (after a
    stop at ``depot`` first thing when ``depot >= 0``), priced ``cost``."""
    kd, st, j = ctx.kd, ctx.st, ctx.j
    base = ctx
    if depot >= 0:  # priced on the route as it would be: starting with the stop
        from ..kernels.insertion import apply_pickup
        from ..solvers.greedy import copy_state

        st = copy_state(st)
        apply_pickup(kd, r, depot, st, lp.scratch())
        ctx = attrs.evolve(ctx, st=st)
    det, _ = detail(lp, ctx, r, p)
    start, end, d_trav, d_ot = int(det[2]), int(det[3]), int(det[4]), det[7]
    terms = insertion_terms(kd, st, r, j, p, det)
    if depot >= 0:  # the stop's own routing cost, and the balance change of it all
        routing = sum(v for name, v in terms.items() if name != "load_balance")
        terms["depot_stop"] = stop_routing - routing
        terms["load_balance"] = float(cost) - stop_routing
    if kd.tv.td:  # (time-dependent travel ranks by an estimate; the terms are exact)
        _exact_terms(lp, base, r, p, depot, terms)
    to_dt = lp.state.to_datetime
    tech_id, shift = lp.route_key[r]
    ticket = ctx.ticket
    start_dt = to_dt(start)
    earliest, latest = lp.eta_model.window(start_dt, lp.state.now)
    eta = Eta(ctx.ticket_id, tech_id, start_dt, earliest, latest, to_dt(end))
    slack = _sla_slack(kd, j, start, end)
    load = _load_after(kd, st, r, j, d_trav)
    tech = lp.state.techs[tech_id]
    fit = sum(tech.skills.get(s, 0) - lvl for s, lvl in ticket.required_skills.items())
    preferred = (tech_id in ticket.preferred_technicians) if \
        ticket.preferred_technicians else None
    after = lp.problem.index.ticket_ids[int(st.seq[r, p - 1])] if p > 0 else None
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
    depot_id = lp.problem.index.depot_ids[depot] if depot >= 0 else None
    if depot_id is not None:
        bits.append(f"picks up the parts at depot {depot_id} first")
    where = f"after {after}" if after else "as next stop"
    reason = f"{tech_id}: {where}, " + ", ".join(bits)
    total = float(sum(terms.values())) if kd.tv.td else float(cost)
    return Option(tech_id, shift, p, after, eta, CostBreakdown(total=total, **terms),
                  timedelta(seconds=d_trav), None if slack is None else timedelta(seconds=slack),
                  load, fit, preferred, reason, depot_id)


def compat_reason(lp: LivePlan, code: Incompatibility, ticket: Ticket,
                  tech_id: str | None = None, on_shift: set[str] | None = None) -> str:
    """Why a technician (or, without ``tech_id``, any technician) cannot serve a ticket
    (``on_shift``: the technicians with a live route, when the caller has it)."""
    state = lp.state
    tech = state.techs.get(tech_id) if tech_id else None
    if code == Incompatibility.SKILL:
        miss = [s for s in ticket.required_skills if tech is None or s not in tech.skills]
        return "missing skill " + ", ".join(miss)
    if code == Incompatibility.LEVEL:
        low = [f"{s} {tech.skills.get(s, 0) if tech else '?'} < {lvl}"
               for s, lvl in ticket.required_skills.items()
               if tech is None or tech.skills.get(s, 0) < lvl]
        return "skill level too low: " + ", ".join(low)
    if code == Incompatibility.CERTIFICATION:
        lapsed = [s for s in ticket.required_skills
                  if tech is None or s in tech.certifications]
        return "certification expired: " + ", ".join(lapsed)
    if code == Incompatibility.TERRITORY:
        return f"outside territory {ticket.territory}"
    if code == Incompatibility.PART:
        miss = [f"{q} × {s}" for s, q in ticket.parts.items()
                if tech is None or tech.van_stock.get(s, 0) < q]
        return "no part in van: " + ", ".join(miss)
    if code == Incompatibility.EXCLUDED:
        if tech_id in state.forbidden.get(ticket.id, ()):
            return "forbidden by the dispatcher"
        pin = state.pins.get(ticket.id)
        if pin is not None and pin.technician_id not in (None, tech_id):
            return f"ticket pinned to {pin.technician_id}"
        return "excluded by the customer"
    if code == Incompatibility.CAPACITY:
        return f"demand {ticket.demand} over capacity"
    if tech_id is not None and tech_id in state.absent:
        return "absent"
    if on_shift is None:
        on_shift = {t for t, _ in lp.route_key}
    if tech_id is not None and tech_id not in on_shift:
        return "off shift (no remaining shift today)"
    return "off shift: no remaining shift reaches it within its windows and returns in time"


def _cheapest(lp: LivePlan, ctx: PricingContext, routes: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per route: the cheaper of the plain insertion and one after a depot stop:
    ``(cost, position, status, depot or -1, the stop's routing cost)``."""
    cost, pos, status = price(lp, ctx, routes)
    depot = np.full(routes.shape[0], -1, dtype=np.int64)
    routing = np.zeros(routes.shape[0])
    with_stop = stop_prices(lp, ctx, routes)
    if with_stop is not None:
        stop_cost, stop_depot, stop_pos, stop_routing = with_stop
        better = stop_cost < cost
        cost, pos = np.where(better, stop_cost, cost), np.where(better, stop_pos, pos)
        depot[better] = stop_depot[better]
        routing[better] = stop_routing[better]
    return cost, pos, status, depot, routing


def _exclusions(lp: LivePlan, ctx: PricingContext, techs: np.ndarray, status: np.ndarray,
                seen: set[int]) -> list[Exclusion]:
    """Why each technician without an option is out."""
    best_status: dict[int, int] = {}
    for q in range(techs.shape[0]):
        t = int(techs[q])
        best_status[t] = min(best_status.get(t, 9), int(status[q]))
    excluded: list[Exclusion] = []
    on_shift = {t for t, _ in lp.route_key}  # (once, not per excluded technician)
    for t, tid in enumerate(lp.problem.index.technician_ids):
        if t in seen:
            continue
        code = int(ctx.compat[t])
        if code == Incompatibility.SHIFT and tid in lp.state.absent:
            excluded.append(Exclusion(tid, "absent", "absent"))
        elif code:
            excluded.append(Exclusion(tid, INCOMPATIBILITY[_COMPAT_ENUM[code]].exclusion,
                                      compat_reason(lp, _COMPAT_ENUM[code], ctx.ticket, tid,
                                                    on_shift)))
        elif best_status.get(t) == 1:
            excluded.append(Exclusion(tid, "no_room", _NO_ROOM))
        else:
            excluded.append(Exclusion(tid, "no_position", _NO_POSITION))
    return excluded


def recommend(lp: LivePlan, ctx: PricingContext, k: int) -> Recommendation:
    """The ``k`` cheapest technicians for the ticket (each at its cheapest route and
    position, a depot stop first when cheaper) and why every other one is out."""
    routes = np.asarray(ctx.routes, dtype=np.int64)
    cost, pos, status, depot, routing = _cheapest(lp, ctx, routes)
    techs = ctx.kd.rt.tech[routes] if routes.size else np.zeros(0, dtype=np.int64)
    options: list[Option] = []
    seen: set[int] = set()
    for q in np.lexsort((routes, cost)).tolist():
        if not math.isfinite(cost[q]):
            break
        t = int(techs[q])
        if t in seen:
            continue
        seen.add(t)
        if len(options) < k:
            options.append(option(lp, ctx, int(routes[q]), int(pos[q]), float(cost[q]),
                                  int(depot[q]), float(routing[q])))
    if ctx.kd.tv.td:  # chosen by the estimate, listed by the exact price
        options.sort(key=lambda o: o.cost.total)
    excluded = _exclusions(lp, ctx, techs, status, seen)
    return Recommendation(ctx.ticket_id, tuple(options), tuple(excluded),
                          UnassignedReason.from_code(ctx.unservable).value
                          if ctx.unservable else None)
