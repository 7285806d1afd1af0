"""Changing the live plan by insertion: urgent insertion with bounded disruption, moves by
hand, and the greedy repair after a technician event.

:func:`insert` tries, cheapest first, a plain insertion whose knock-on shifts
stay within the disruption bound, then a route that starts with a depot stop
(for a ticket whose parts no van holds), then an ejection repair (one other
not-started, unpinned ticket moves to its best place elsewhere). Prices come
from :mod:`fsdispatch.live.pricing`, so what ``recommend`` offers is what
``insert`` places. :func:`repair_report` is the delay report of an event
(overrun, absence, clock move): the refresh, the tickets it dropped re-inserted
greedily, and the tickets at risk.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._debug import assert_mode, check_close, objective_of
from ..errors import ValidationError
from ..evaluate.evaluator import evaluate
from ..plan import UnassignedReason
from ..problem.problem import Incompatibility
from .pricing import PricingContext, compat_reason, detail, exact_change, price
from .results import DelayReport, InsertResult, ReplanResult

if TYPE_CHECKING:
    from .eta import Eta
    from .live_problem import LivePlan

__all__ = ["insert", "place_by_hand", "reinsert", "repair_report"]

_EJECT_ROUTES = 8  # routes nearest to the new ticket tried for an ejection repair
_EJECT_TRIES = 6  # cheapest ejections checked against the disruption bound


def _disruption(kd: Any, st: Any, routes: Iterable[int], before_starts: np.ndarray,
                before_routes: np.ndarray, shift_cap: int, j: int) -> int:
    """Tickets of ``routes`` other than ``j`` that changed route or start by > ``shift_cap``."""
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


def _plain(lp: LivePlan, ctx: PricingContext, routes: np.ndarray, before_starts: np.ndarray,
           moved_cap: int, shift_cap: int,
           ) -> tuple[tuple[str, float] | None, set[int], np.ndarray]:
    """The cheapest plain insertion within the bound (made on ``ctx.st``); also the costs."""
    from ..kernels.routes import insert_at

    st = ctx.st
    cost, pos, _status = price(lp, ctx, routes)
    for q in np.lexsort((routes, cost))[:12].tolist():
        if not math.isfinite(cost[q]):
            break
        r, p = int(routes[q]), int(pos[q])
        _det, starts = detail(lp, ctx, r, p)
        n = int(st.length[r])
        old = before_starts[st.seq[r, :n]]
        new = np.concatenate([starts[:p], starts[p + 1:n + 1]])
        if int((np.abs(new - old) > shift_cap).sum()) <= moved_cap:
            insert_at(ctx.kd, r, ctx.j, p, st, lp.scratch())
            return ("insertion", float(cost[q])), {r}, cost
    return None, set(), cost


def _with_stop(lp: LivePlan, ctx: PricingContext, routes: np.ndarray,
               before_starts: np.ndarray, before_routes: np.ndarray, moved_cap: int,
               shift_cap: int) -> tuple[tuple[str, float] | None, set[int]]:
    """Place the ticket (which needs parts) by starting a route with a depot stop, cheapest
    first, within the disruption bound; ``ctx.st`` is changed only on success."""
    from ..kernels.insertion import apply_pickup
    from ..kernels.routes import balance_cost, insert_at
    from ..kernels.weekly import week_within
    from ._kernels import price_pickups, remove_at

    kd, st, j = ctx.kd, ctx.st, ctx.j
    cost = np.empty(routes.shape[0])
    depot = np.empty(routes.shape[0], dtype=np.int64)
    pos = np.empty(routes.shape[0], dtype=np.int64)
    price_pickups(kd, routes, j, st, lp.work(kd, st), cost, depot, pos)
    scratch = lp.scratch()
    balance_before = float(balance_cost(kd, st)) if kd.w.balance > 0 else 0.0
    for q in np.lexsort((routes, cost))[:12].tolist():
        if not math.isfinite(cost[q]):
            break
        r, d, p = int(routes[q]), int(depot[q]), int(pos[q])
        apply_pickup(kd, r, d, st, scratch)
        insert_at(kd, r, j, p, st, scratch)
        if _disruption(kd, st, {r}, before_starts, before_routes, shift_cap, j) <= moved_cap \
                and week_within(kd, st, r):
            total = float(cost[q])
            if kd.w.balance > 0:
                total += float(balance_cost(kd, st)) - balance_before
            return ("depot_stop", total), {r}
        remove_at(kd, r, int(np.flatnonzero(st.seq[r, :st.length[r]] == j)[0]), st, scratch)
        apply_pickup(kd, r, -1, st, scratch)
    return None, set()


def _ejection(lp: LivePlan, ctx: PricingContext, routes: np.ndarray,
              before_starts: np.ndarray, before_routes: np.ndarray, moved_cap: int,
              shift_cap: int) -> tuple[tuple[str, float] | None, set[int]]:
    """Place the ticket by moving one other not-started, unpinned ticket to its best place
    elsewhere, within the disruption bound; ``ctx.st`` is changed only on success."""
    from ..kernels.routes import balance_cost, insert_at
    from ..kernels.weekly import week_within
    from ._kernels import eject_candidates, nearest_routes, remove_at

    kd, st, j = ctx.kd, ctx.st, ctx.j
    problem = lp.problem
    movable = np.ones(kd.ticket_node.shape[0], dtype=np.bool_)
    for t in lp.state.pins:
        if problem.index.has_ticket(t):
            movable[problem.index.ticket_idx(t)] = False
    movable[j] = False
    near = nearest_routes(kd, routes, j, st, _EJECT_ROUTES)
    out = np.empty((256, 6))
    scratch = lp.scratch()
    m = eject_candidates(kd, j, near, problem.ticket_routes_ptr, problem.ticket_routes,
                         movable, st, lp.work(kd, st), scratch, out)
    for row in out[:m][np.argsort(out[:m, 0], kind="stable")][:_EJECT_TRIES]:
        total, r, q, p1, r2, p2 = (float(row[0]), *(int(x) for x in row[1:]))
        e = int(st.seq[r, q])
        remove_at(kd, r, q, st, scratch)
        insert_at(kd, r, j, p1, st, scratch)
        insert_at(kd, r2, e, p2, st, scratch)
        if _disruption(kd, st, {r, r2}, before_starts, before_routes, shift_cap,
                       j) <= moved_cap and week_within(kd, st, r) and week_within(kd, st, r2):
            if kd.w.balance > 0:  # (the candidates' totals price routing terms)
                total += float(balance_cost(kd, st) - balance_cost(kd, lp.st))
            return ("repair", total), {r, r2}
        p_e = int(np.flatnonzero(st.seq[r2, :st.length[r2]] == e)[0])
        remove_at(kd, r2, p_e, st, scratch)
        p_j = int(np.flatnonzero(st.seq[r, :st.length[r]] == j)[0])
        remove_at(kd, r, p_j, st, scratch)
        insert_at(kd, r, e, q, st, scratch)
    return None, set()


def _not_placed_reason(ctx: PricingContext, routes: np.ndarray, cost: np.ndarray) -> str:
    if ctx.unservable:
        return ("no technician can ever serve it: "
                + UnassignedReason.from_code(ctx.unservable).value)
    if not routes.size:
        return "the chosen technician cannot serve it"
    if np.isfinite(cost).any():
        return ("every feasible slot disrupts more than the allowed tickets; "
                "raise max_moved/max_shift or reoptimize()")
    return "no able technician has a feasible slot left today (no_capacity)"


def _left_out_reason(ctx: PricingContext, routes: np.ndarray) -> UnassignedReason:
    """``weekly_hours`` when an able route could take the ticket but for its technician's
    weekly work cap, else ``no_capacity``."""
    from ..kernels.insertion import make_work, week_blocked

    kd, st = ctx.kd, ctx.st
    if kd.week.start.shape[0] and routes.size and kd.res.stock.shape == st.usage.shape:
        wk = make_work(kd, st.seq.shape[1])
        if any(week_blocked(kd, int(r), ctx.j, st, wk) for r in routes.tolist()):
            return UnassignedReason.WEEKLY_HOURS
    return UnassignedReason.NO_CAPACITY


def insert(lp: LivePlan, ctx: PricingContext, moved_cap: int, shift_cap: int,
           technician_id: str | None, actor: str,
           register: Callable[[PricingContext], None]) -> InsertResult:
    """Place the ticket of ``ctx`` with at most ``moved_cap`` other tickets changing
    technician or start by more than ``shift_cap`` seconds (``register`` registers a new
    ticket first); when it cannot be placed, it stays open with a reason."""
    kd, j, tid = ctx.kd, ctx.j, ctx.ticket_id
    routes = np.asarray(ctx.routes, dtype=np.int64)
    if technician_id is not None:
        routes = routes[np.array([lp.route_key[r][0] == technician_id
                                  for r in routes.tolist()], dtype=np.bool_)]
        routes.setflags(write=False)  # read-only, as the live problem's route lists
    ctx.st = st = lp.copy_state()
    before_starts, before_routes = lp.starts()
    chosen, touched, cost = _plain(lp, ctx, routes, before_starts, moved_cap, shift_cap)
    fits = routes.size and kd.res.stock.shape == st.usage.shape
    if chosen is None and fits and kd.dep.node.shape[0] and \
            kd.res.part_ptr[j + 1] > kd.res.part_ptr[j]:
        chosen, touched = _with_stop(lp, ctx, routes, before_starts, before_routes,
                                     moved_cap, shift_cap)
    if chosen is None and fits and moved_cap >= 1:
        chosen, touched = _ejection(lp, ctx, routes, before_starts, before_routes,
                                    moved_cap, shift_cap)
    if chosen is not None and kd.tv.td:  # priced by an estimate: the exact change made
        chosen = (chosen[0], sum(exact_change(kd, lp.st, st)))
    before = lp.route_snapshot(lp.st, kd, touched)
    if ctx.new:
        register(ctx)
        lp.problem = ctx.problem_with_ticket(lp)
        if st.usage.shape != lp.problem.data.res.stock.shape:
            st = lp.restate(lp.problem, st)
    if chosen is None:
        reason = _not_placed_reason(ctx, routes, cost)
        lp.reasons[tid] = (UnassignedReason.from_code(ctx.unservable) if ctx.unservable
                           else _left_out_reason(ctx, routes))
        if ctx.new:
            lp.st = st
        lp.changed()
        tstate = lp.lifecycle.state(tid)
        lp.lifecycle.log.emit(lp.state.now, tid, "unplaced", actor, from_state=tstate,
                              to_state=tstate, reason=reason)
        return InsertResult(tid, False, None, None, "none", math.inf, (), reason)
    if assert_mode():  # debug: the priced cost against the evaluator's objective change
        _check_priced(lp, st, tid, chosen)
    lp.st = st
    lp.reasons.pop(tid, None)
    lp.changed()
    after = lp.route_snapshot(st, lp.problem.data, touched)
    changes = lp.diff(before, after, first=tid)
    lp.sync_lifecycle(before, actor, after=after)
    tech_id, start = after[tid]
    r_new = next(r for r in touched if lp.route_key[r][0] == tech_id
                 and j in st.seq[r, :st.length[r]])
    method, total = chosen
    return InsertResult(tid, True, tech_id, lp.eta(tid, r_new, start), method, total, changes,
                        f"placed with {tech_id} by {method}, "
                        f"{len(changes) - 1} other ticket(s) changed")


def _check_priced(lp: LivePlan, st: Any, tid: str, chosen: tuple[str, float]) -> None:
    """(``FSDISPATCH_ASSERT=1``) The priced total equals the evaluator's objective change."""
    from ..solvers.greedy import state_pickups, state_routes

    problem = lp.problem
    obj_old = objective_of(problem, state_routes(lp.st), state_pickups(lp.st))
    obj_new = objective_of(problem, state_routes(st), state_pickups(st))
    j_new = problem.index.ticket_idx(tid)
    check_close(f"live {chosen[0]} of {tid!r}",
                chosen[1] - float(problem.data.cost.penalty[j_new]), obj_new - obj_old)


def place_by_hand(lp: LivePlan, ticket_id: str, technician_id: str, position: int | None,
                  shift: int | None) -> None:
    """Move an open ticket to a technician (at ``position``, else its cheapest place) on
    the live plan, or raise ``ValidationError`` saying why it cannot go there."""
    from ..kernels.insertion import make_work, week_allows
    from ..kernels.routes import insert_at, resources_ok
    from ._kernels import insertion_detail, price_routes, remove_at

    problem = lp.problem
    kd = problem.data
    j = problem.index.ticket_idx(ticket_id)
    st = lp.copy_state()
    r_old = lp.route_of(ticket_id)
    scratch = lp.scratch()
    if r_old is not None:
        remove_at(kd, r_old, int(np.flatnonzero(st.seq[r_old, :st.length[r_old]] == j)[0]),
                  st, scratch)
    routes = np.array([r for r, (t, k) in enumerate(lp.route_key)
                       if t == technician_id and (shift is None or k == shift)],
                      dtype=np.int64)

    def refuse(why: str) -> ValidationError:
        return ValidationError.for_field("Ticket", ticket_id, "technician_id", technician_id,
                                         why)

    if not routes.size:
        raise refuse("has no remaining shift" + ("" if shift is None else f" number {shift}"))
    code = Incompatibility(int(problem.compatible[kd.rt.tech[routes[0]], j]))
    if code not in (Incompatibility.OK, Incompatibility.SHIFT):
        raise refuse("cannot serve it: "
                     + compat_reason(lp, code, lp.state.tickets[ticket_id]))
    best_r, best_p = -1, -1
    if position is None:
        cost = np.empty(routes.shape[0])
        pos = np.empty(routes.shape[0], dtype=np.int64)
        status = np.empty(routes.shape[0], dtype=np.int64)
        price_routes(kd, routes, j, st, make_work(kd, st.seq.shape[1]), cost, pos, status)
        if np.isfinite(cost).any():
            k = int(np.argmin(cost))
            best_r, best_p = int(routes[k]), int(pos[k])
    else:
        buf = np.empty(st.seq.shape[1] + 2, dtype=np.int64)
        for r in routes.tolist():
            if 0 <= position <= st.length[r] and resources_ok(kd, st, r, j) and \
                    week_allows(kd, r, j, position, st) and \
                    insertion_detail(kd, r, j, position, st, scratch, buf)[0]:
                best_r, best_p = r, position
                break
    if best_r < 0:
        raise refuse("cannot take it" + ("" if position is None else f" at position {position}")
                     + " without breaking a window, a break, the shift end or a resource limit")
    insert_at(kd, best_r, j, best_p, st, scratch)
    lp.st = st
    lp.reasons.pop(ticket_id, None)
    lp.changed()


def reinsert(lp: LivePlan, ticket_ids: Sequence[str]) -> None:
    """Put tickets back at their cheapest feasible position, most urgent first.

    Nobody else moves (later visits of the receiving route may shift).
    Tickets that fit nowhere stay open (``no_capacity``).
    """
    from ..kernels.routes import insert_at

    problem = lp.problem
    kd = problem.data
    index = problem.index
    order = sorted((index.ticket_idx(t) for t in ticket_ids if index.has_ticket(t)),
                   key=lambda j: (int(kd.cost.priority[j]), int(kd.cost.response_by[j]), j))
    scratch = lp.scratch()
    for j in order:
        tid = index.ticket_ids[j]
        routes = problem.routes_for(j)
        ctx = PricingContext(lp.state.tickets[tid], tid, j, kd, lp.st, routes,
                             problem.compatible[:, j], int(problem.unservable[j]), False)
        cost, pos, _ = price(lp, ctx, routes)
        if routes.size and np.isfinite(cost).any():
            q = int(np.argmin(cost))
            insert_at(kd, int(routes[q]), j, int(pos[q]), lp.st, scratch)
            lp.reasons.pop(tid, None)
        elif not problem.unservable[j]:
            lp.reasons[tid] = UnassignedReason.NO_CAPACITY
    lp.changed()


def _at_risk(lp: LivePlan, before: dict[str, tuple[str, int]],
             after: dict[str, tuple[str, int]], max_shift: int) -> list[str]:
    """Open tickets the event touched that are now unplanned, late, or moved > max_shift."""
    kd = lp.problem.data
    index = lp.problem.index
    states = lp.lifecycle.states
    out: list[str] = []
    for tid in sorted(set(before) | set(after)):
        if tid not in lp.state.tickets or not states[tid].is_open:
            continue
        a, b = after.get(tid), before.get(tid)
        if a == b:
            continue  # untouched by this event
        if a is None:
            out.append(tid)
            continue
        j = index.ticket_idx(tid)
        svc = int(kd.tech.service[index.technician_idx(a[0]), j])
        late = a[1] > kd.cost.response_by[j] or a[1] + svc > kd.cost.resolve_by[j]
        if late or (b is not None and abs(a[1] - b[1]) > max_shift):
            out.append(tid)
    return out


def repair_report(lp: LivePlan, technician_id: str | None, repair: bool, actor: str,
                  max_shift: int) -> DelayReport:
    """Refresh the live plan after an event, re-insert what it dropped (applied with
    ``repair``, else only proposed) and report the tickets at risk."""
    # events whose refresh was deferred come with this one: the report covers
    # everything since the plan was last read (one refresh, not two)
    gone, before = lp.take_pending()
    old_problem, old_plan = lp.problem, lp.plan_later()  # (a Plan only if needed)
    dropped = lp.refresh(gone)
    mid = lp.snapshot()
    proposal = None
    repair_result = None
    if dropped:
        tic = time.perf_counter()
        obj_before = evaluate(old_problem, old_plan()).objective
        saved_st, saved_reasons = lp.st, dict(lp.reasons)
        lp.st = lp.copy_state()
        reinsert(lp, dropped)
        proposal = lp.plan
        if repair:
            repair_result = ReplanResult(
                obj_before, lp.evaluation.objective, lp.diff(mid, lp.snapshot()),
                {t: r.value for t, r in sorted(lp.reasons.items())}, "insertion",
                time.perf_counter() - tic)
        else:
            lp.st, lp.reasons = saved_st, saved_reasons
            lp.changed()
    after = lp.snapshot()
    lp.sync_lifecycle(before, actor)
    at_risk = _at_risk(lp, dict(before), after, max_shift)
    starts, routes = lp.starts()
    index = lp.problem.index
    etas: dict[str, Eta] = {}
    for tid in at_risk:  # open tickets: planned ones have an ETA
        if index.has_ticket(tid):
            j = index.ticket_idx(tid)
            if routes[j] >= 0:
                etas[tid] = lp.eta(tid, int(routes[j]), int(starts[j]))
    return DelayReport(technician_id, tuple(at_risk), tuple(dropped), etas, repair_result,
                       None if repair else proposal)
