"""evaluate(): the single source of truth for feasibility, KPIs and the objective."""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

import numpy as np

from ..domain.scenario import Scenario
from ..domain.ticket import Priority
from ..errors import InfeasiblePlanError, ValidationError
from ..plan import Plan
from ..problem.compile import compile_scenario
from ..problem.crew import crew_sizes
from ..problem.problem import NO_DEADLINE, Incompatibility, Problem
from ..problem.reasons import INCOMPATIBILITY, incompatibility_text
from ..problem.rows import context_of, route_weeks
from .crew import crew_members, synchronise
from .evaluation import (
    Evaluation,
    Kpis,
    TechnicianKpis,
    Violation,
    VisitTimes,
)
from .groups import served_counts, team_kpis, territory_kpis
from .timing import Timing, namers, time_plan, visit_arrays, waiting

__all__ = ["check_plan", "evaluate"]

def _as_problem(problem: Problem | Scenario) -> Problem:
    if isinstance(problem, Scenario):
        return compile_scenario(problem)
    if not isinstance(problem, Problem):
        raise ValidationError(f"expected a Problem or Scenario, got {type(problem).__name__}",
                              field="problem", value=type(problem).__name__)
    return problem


def evaluate(problem: Problem | Scenario, plan: Plan) -> Evaluation:
    """Check every rule of ``plan`` and compute its KPIs and objective.

    Parameters
    ----------
    problem:
        The compiled problem (a :class:`Scenario` is compiled first).
    plan:
        The plan to judge; timings are derived by the shared schedule rule.

    Returns
    -------
    Evaluation
        Violations (empty iff feasible), KPIs, objective and its components.
    """
    if not isinstance(plan, Plan):
        raise ValidationError(f"evaluate() expects a Plan, got {type(plan).__name__}",
                              entity="Plan", field="plan", value=type(plan).__name__)
    problem = _as_problem(problem)
    if len(plan.routes) != problem.num_routes:
        raise ValidationError(
            f"Plan: routes has {len(plan.routes)} entries, expected {problem.num_routes} "
            "(one per technician shift)", entity="Plan", field="routes",
            value=len(plan.routes))
    violations: list[Violation] = []
    clean_routes = _check_references(problem, plan, violations)
    if plan.mode == "assignment":
        return _evaluate_assignment(problem, plan, clean_routes, violations)
    return _evaluate_routes(problem, plan, clean_routes, violations)


def _evaluate_routes(problem: Problem, plan: Plan, clean_routes: list[list[int]],
                     violations: list[Violation]) -> Evaluation:
    """Judge a routed plan: time it by the schedule rule, then check and sum it up."""
    kd = problem.data
    num_tickets, num_routes = problem.num_tickets, problem.num_routes
    ptr, visits = visit_arrays(clean_routes)
    nv = visits.shape[0]
    pick = _pickups_of(problem, plan, visits, violations)
    tm = time_plan(kd, num_routes, ptr, visits, pick)
    _synced_kd, tm = synchronise(problem, kd, ptr, visits, pick, tm, violations)
    route_of_visit = np.repeat(np.arange(num_routes, dtype=np.int64), np.diff(ptr))

    last_end = kd.win.end[kd.win.ptr[1:] - 1] if num_tickets else np.zeros(0, dtype=np.int64)
    wlate = np.maximum(tm.start - last_end[visits], 0) if nv else np.zeros(0, dtype=np.int64)
    slate = np.maximum(tm.start - kd.cost.response_by[visits], 0) + \
        np.maximum(tm.end - kd.cost.resolve_by[visits], 0)
    wait = waiting(kd, ptr, tm)  # (excludes breaks taken between arrival and start)

    counts = np.diff(ptr)
    picked_units = _resource_violations(problem, visits, route_of_visit, counts, violations,
                                        pick)
    _timing_violations(problem, visits, route_of_visit, counts, pick, tm, wlate, violations)
    used = counts > 0
    overtime = np.where(used, np.maximum(tm.ret - kd.rt.close, 0), 0)
    brk_taken = np.where(tm.brk >= 0, kd.brk.dur, 0)
    times = VisitTimes(route=route_of_visit, ticket=visits, arrival=tm.arrival, start=tm.start,
                       end=tm.end, wait=wait, window_late=wlate, sla_late=slate,
                       route_return=tm.ret, break_start=tm.brk, pickup_depot=pick,
                       pickup_start=tm.pick_start)
    ftf = _expected_fix(problem, visits, route_of_visit, pick)
    return _summarise(problem, plan, violations, visits, route_of_visit, counts, tm.trav,
                      tm.dist, tm.serv, overtime, brk_taken, slate, wlate, times, tm.pserv,
                      picked_units, ftf)


def _timing_violations(problem: Problem, visits: np.ndarray, route_of_visit: np.ndarray,
                       counts: np.ndarray, pick: np.ndarray, tm: Timing, wlate: np.ndarray,
                       violations: list[Violation]) -> None:
    """Depot stops after closing, hard windows missed, late returns, breaks out of window."""
    kd = problem.data
    index = problem.index
    tids = index.ticket_ids

    label, tech_of = namers(index)

    dep = problem.depots
    for k in np.flatnonzero(pick >= 0).tolist():
        d = int(pick[k])
        last = int(dep.win.end[dep.win.ptr[d + 1] - 1])
        if tm.pick_start[k] > last:
            j, r = int(visits[k]), int(route_of_visit[k])
            violations.append(Violation(
                "depot_closed", f"depot stop at {index.depot_ids[d]!r} before ticket "
                f"{tids[j]!r} starts {int(tm.pick_start[k] - last)} s after the depot's last "
                f"pick-up time (route {label(r)})", ticket_id=tids[j],
                technician_id=tech_of(r), route=label(r), value=int(tm.pick_start[k] - last)))
    if visits.shape[0]:
        hard_late = (~kd.win.soft[visits]) & (wlate > 0)
        for k in np.flatnonzero(hard_late).tolist():
            j, r = int(visits[k]), int(route_of_visit[k])
            violations.append(Violation(
                "window", f"ticket {tids[j]!r} starts {int(wlate[k])} s after its last "
                f"window ends (route {label(r)})", ticket_id=tids[j],
                technician_id=tech_of(r), route=label(r), value=int(wlate[k])))
    ret = tm.ret
    for r in np.flatnonzero((counts > 0) & (ret > kd.rt.max_close)).tolist():
        violations.append(Violation(
            "shift_end", f"route {label(int(r))} returns {int(ret[r] - kd.rt.max_close[r])} s "
            "after shift end plus allowed overtime", technician_id=tech_of(int(r)),
            route=label(int(r)), value=int(ret[r] - kd.rt.max_close[r])))
    for r in np.flatnonzero(tm.blate).tolist():
        violations.append(Violation(
            "break", f"route {label(int(r))}: a break cannot start within its window",
            technician_id=tech_of(int(r)), route=label(int(r))))


def _evaluate_assignment(problem: Problem, plan: Plan, clean_routes: list[list[int]],
                         violations: list[Violation]) -> Evaluation:
    """Judge an assignment-only plan (``plan.mode == "assignment"``).

    No sequence is given, so per visit the figures of
    :func:`~fsdispatch.problem.assignment.assignment_data` stand in for the
    schedule: the travel estimate, the serve-first start (for SLA and
    soft-window lateness) and the work per route against the shift's hours.
    """
    from ..problem.assignment import assignment_data

    kd = problem.data
    index = problem.index
    tids = index.ticket_ids
    num_routes = problem.num_routes
    ad = assignment_data(problem)
    ptr, visits = visit_arrays(clean_routes)
    nv = visits.shape[0]
    counts = np.diff(ptr)
    route_of_visit = np.repeat(np.arange(num_routes, dtype=np.int64), counts)
    tech_of_visit = kd.rt.tech[route_of_visit] if nv else np.zeros(0, dtype=np.int64)

    label, tech_of = namers(index)

    _resource_violations(problem, visits, route_of_visit, counts, violations)
    if nv:
        codes = kd.tech.compat[tech_of_visit, visits]
        able = ad.able[route_of_visit, visits]
        for k in np.flatnonzero(~able & ((codes == 0) | (codes == Incompatibility.SHIFT))).tolist():
            j, r = int(visits[k]), int(route_of_visit[k])
            violations.append(Violation(
                "unreachable", f"route {label(r)} cannot serve ticket {tids[j]!r} within its "
                "windows and the shift (even as its only visit)", ticket_id=tids[j],
                technician_id=tech_of(r), route=label(r)))
    trav = np.bincount(route_of_visit, weights=ad.travel[route_of_visit, visits],
                       minlength=num_routes).astype(np.int64)
    dist = np.bincount(route_of_visit, weights=ad.km[route_of_visit, visits],
                       minlength=num_routes)
    svc = (kd.tech.service[tech_of_visit, visits].astype(np.int64) if nv
           else np.zeros(0, dtype=np.int64))
    serv = np.bincount(route_of_visit, weights=svc, minlength=num_routes).astype(np.int64)
    work = trav + serv
    for r in np.flatnonzero(work > ad.limit).tolist():
        violations.append(Violation(
            "shift_hours", f"route {label(int(r))} holds {int(work[r])} s of service and travel "
            f"estimate, more than its {int(ad.limit[r])} s of working time plus overtime",
            technician_id=tech_of(int(r)), route=label(int(r)), value=int(work[r])))
    overtime = np.where(counts > 0, np.maximum(work - ad.hours, 0), 0)
    used = counts > 0
    brk_route = np.repeat(np.arange(num_routes), np.diff(kd.brk.ptr)) if num_routes else \
        np.zeros(0, dtype=np.int64)
    brk_taken = np.where(used[brk_route], kd.brk.dur, 0) if brk_route.size else \
        np.zeros(0, dtype=np.int64)
    start = ad.start[route_of_visit, visits] if nv else np.zeros(0, dtype=np.int64)
    slate = ad.sla_late[route_of_visit, visits] if nv else np.zeros(0, dtype=np.int64)
    wlate = ad.window_late[route_of_visit, visits] if nv else np.zeros(0, dtype=np.int64)
    brk_start = np.full(kd.brk.dur.shape[0], -1, dtype=np.int64)
    times = VisitTimes(route=route_of_visit, ticket=visits, arrival=start.copy(), start=start,
                       end=start + svc, wait=np.zeros(nv, dtype=np.int64), window_late=wlate,
                       sla_late=slate, route_return=kd.rt.open + np.where(used, work, 0),
                       break_start=brk_start)
    return _summarise(problem, plan, violations, visits, route_of_visit, counts, trav, dist,
                      serv, overtime, brk_taken, slate, wlate, times)


def _summarise(problem: Problem, plan: Plan, violations: list[Violation], visits: np.ndarray,
               route_of_visit: np.ndarray, counts: np.ndarray, trav: np.ndarray,
               dist: np.ndarray, serv: np.ndarray, overtime: np.ndarray, brk_taken: np.ndarray,
               slate: np.ndarray, wlate: np.ndarray, times: VisitTimes,
               pserv: np.ndarray | None = None, picked_units: int = 0,
               ftf: np.ndarray | None = None) -> Evaluation:
    """KPIs and objective from per-route totals and per-visit lateness (both modes).

    ``pserv`` is per-route time spent at depot stops; it counts as work.
    """
    kd = problem.data
    index = problem.index
    num_tickets = problem.num_tickets
    nv = visits.shape[0]
    tech_of_visit = kd.rt.tech[route_of_visit] if nv else np.zeros(0, dtype=np.int64)
    used = counts > 0
    # --- KPIs and objective
    served = np.zeros(num_tickets, dtype=np.bool_)
    served[visits] = True
    tt = _per_technician(problem, counts, trav, dist, serv, overtime, brk_taken, pserv)
    tech_work, tech_shift, tech_break = tt.work, tt.shift, tt.brk
    recent, rate = kd.tech.recent, kd.tech.cost_per_hour
    has_shift = tech_shift > 0
    loads = (tech_work + recent)[has_shift]
    spread = float(loads.max() - loads.min()) if loads.size else 0.0
    pref_requests, pref_hits, pref_misses = _preferences(kd, visits, tech_of_visit)
    out_terr = _out_of_territory(kd, visits, tech_of_visit)
    serv_of_visit = kd.tech.service[tech_of_visit, visits].astype(np.float64)
    rwork = trav + serv + (pserv if pserv is not None else 0)
    week_ot = _weekly(problem, np.where(used, rwork, 0).astype(np.int64), violations)

    unserved = ~served
    components = {
        "unassigned": float(kd.cost.penalty[unserved].sum()),
        "sla_lateness": float((kd.cost.sla_w[visits] * slate).sum()),
        "window_lateness": float((kd.cost.late_w[visits] * np.where(kd.win.soft[visits], wlate, 0))
                                 .sum()),
        "travel_time": float(kd.w.travel * trav.sum()),
        "distance": float(kd.w.dist * dist.sum()),
        "overtime": float(kd.w.overtime * (overtime.sum() + week_ot.sum())),
        "labour": float((kd.tech.labour * tech_work).sum()),
        "load_balance": float(kd.w.balance * spread),
        "preference": float(kd.w.pref * pref_misses),
        "out_of_territory": float(kd.res.terr_w[visits][out_terr].sum()),
    }
    objective = float(sum(components.values()))

    has_deadline = (kd.cost.response_by < NO_DEADLINE) | (kd.cost.resolve_by < NO_DEADLINE)
    met = np.zeros(num_tickets, dtype=np.bool_)
    met[visits] = slate == 0
    sla_tickets = int(has_deadline.sum())
    sla_met = int((has_deadline & met).sum())
    lateness = slate + wlate
    by_prio = {
        p.name: (int((served & (kd.cost.priority == p.value)).sum()),
                 int((kd.cost.priority == p.value).sum())) for p in Priority}
    reasons = Counter(plan.unassigned[j].value for j in plan.unassigned
                      if 0 <= j < num_tickets and not served[j])
    total_shift = float(tech_shift.sum())
    money = _money(problem, visits, tech_of_visit, wlate, tt)
    kpis = Kpis(
        num_tickets=num_tickets,
        assigned=int(served.sum()),
        unassigned=int(num_tickets - served.sum()),
        assigned_by_priority=by_prio,
        unassigned_by_reason=dict(sorted(reasons.items())),
        sla_tickets=sla_tickets,
        sla_met=sla_met,
        sla_attainment_pct=100.0 * sla_met / sla_tickets if sla_tickets else 100.0,
        total_lateness_min=float(lateness.sum()) / 60.0,
        max_lateness_min=float(lateness.max()) / 60.0 if nv else 0.0,
        travel_time_min=float(trav.sum()) / 60.0,
        distance_km=float(dist.sum()),
        service_min=float(serv.sum()) / 60.0,
        work_min=float(tech_work.sum()) / 60.0,
        idle_min=float(np.maximum(tech_shift - tech_work - tech_break, 0).sum()) / 60.0,
        utilisation_pct=100.0 * float(tech_work.sum()) / total_shift if total_shift else 0.0,
        overtime_min=float(overtime.sum()) / 60.0,
        load_spread_min=spread / 60.0,
        load_std_min=float(loads.std()) / 60.0 if loads.size else 0.0,
        preferred_requests=pref_requests,
        preferred_hits=pref_hits,
        labour_cost=float(sum(c * w / 3600.0 for c, w in
                              zip(rate.tolist(), tech_work.tolist(), strict=True))),
        routes_used=int(used.sum()),
        depot_stops=int((times.pickup_depot >= 0).sum()),
        parts_picked=int(picked_units),
        expected_first_time_fix_pct=100.0 * float(ftf.mean()) if ftf is not None and ftf.size
        else 100.0,
        expected_revisits=float((1.0 - ftf).sum()) if ftf is not None else 0.0,
        **money.kpis(int(served.sum()), visits),
        out_of_territory=int(out_terr.sum()),
        weekly_overtime_min=float(week_ot.sum()) / 60.0,
        by_territory=territory_kpis(problem, visits, out_terr, served, serv_of_visit, money),
        by_team=team_kpis(problem, tt, money, visits, tech_of_visit, ftf),
    )
    return Evaluation(objective=objective, components=components,
                      violations=tuple(violations), kpis=kpis,
                      technicians=_technician_kpis(index.technician_ids, tt, money, week_ot),
                      times=times)


class _TechTotals(NamedTuple):
    """Per technician (summed over their routes): float arrays of shape ``(T,)``."""

    travel: np.ndarray
    dist: np.ndarray
    service: np.ndarray
    tickets: np.ndarray
    overtime: np.ndarray
    shift: np.ndarray
    brk: np.ndarray
    work: np.ndarray  #: travel, service and depot stops


class _Money(NamedTuple):
    """Cost and on-time figures per technician: arrays of shape ``(T,)``."""

    labour: np.ndarray  #: cost_per_hour × work hours
    travel: np.ndarray  #: travel_per_km × km + travel_per_hour × travel hours
    parts: np.ndarray  #: Σ unit_cost × quantity of the parts of the tickets served
    appointments: np.ndarray  #: visits to tickets with appointment windows
    on_time: np.ndarray  #: ... whose service starts inside one of them
    visit_appointment: np.ndarray  #: bool per visit: its ticket has appointment windows
    visit_on_time: np.ndarray  #: bool per visit: ... and service starts inside one

    def kpis(self, served: int, visits: np.ndarray) -> dict[str, Any]:
        """The plan-level fields of :class:`Kpis` (``served``: tickets served; appointment
        and on-time tickets count a crew ticket once, :func:`served_counts`)."""
        travel, parts = float(self.travel.sum()), float(self.parts.sum())
        total = float(self.labour.sum()) + travel + parts
        _n, appt, ontime = served_counts(visits, np.zeros(visits.shape[0], np.int64), 1,
                                         self.visit_appointment, self.visit_on_time)
        appointments, on_time = int(appt[0]), int(ontime[0])
        return {"travel_cost": travel, "parts_cost": parts, "total_cost": total,
                "cost_per_ticket": total / served if served else 0.0,
                "appointment_tickets": appointments, "on_time_tickets": on_time,
                "on_time_pct": 100.0 * on_time / appointments if appointments else 100.0}


def _money(problem: Problem, visits: np.ndarray, tech_of_visit: np.ndarray,
           wlate: np.ndarray, tt: _TechTotals) -> _Money:
    """Labour, travel and parts cost and on-time visits per technician.

    Parts cost of a ticket is ``Σ unit_cost × quantity`` of its ``parts`` (skus not in
    the catalogue cost 0); a visit is on time when its ticket has appointment windows
    (windows that leave part of the horizon out) and service starts inside one of them
    (no window lateness).
    """
    kd = problem.data
    ctx = context_of(problem)
    num_techs = problem.num_technicians
    per_km, per_hour = ctx.travel_rates
    parts: np.ndarray
    if ctx.sku_cost.any() and kd.res.part_sku.size:
        sku_cost = np.zeros(len(problem.index.sku_ids))  # skus grown after the compile cost 0
        sku_cost[:ctx.sku_cost.shape[0]] = ctx.sku_cost
        ticket_parts = np.bincount(
            np.repeat(np.arange(problem.num_tickets), np.diff(kd.res.part_ptr)),
            weights=kd.res.part_qty * sku_cost[kd.res.part_sku], minlength=problem.num_tickets)
        parts = np.bincount(tech_of_visit, weights=ticket_parts[visits], minlength=num_techs)
    else:
        parts = np.zeros(num_techs)
    # a promise: windows that leave part of the horizon out (no windows compile to [0, end])
    ptr, hlen = kd.win.ptr, ctx.horizon_length
    first, last = ptr[visits], ptr[visits + 1] - 1
    has_window = ((last > first) | (kd.win.start[first] > 0) | (kd.win.end[last] < hlen)
                  if visits.size else np.zeros(0, dtype=np.bool_))
    return _Money(
        labour=kd.tech.cost_per_hour * tt.work / 3600.0,
        travel=per_km * tt.dist + per_hour * tt.travel / 3600.0,
        parts=parts,
        appointments=np.bincount(tech_of_visit[has_window], minlength=num_techs),
        on_time=np.bincount(tech_of_visit[has_window & (wlate == 0)], minlength=num_techs),
        visit_appointment=has_window, visit_on_time=has_window & (wlate == 0))


def _technician_kpis(technician_ids: tuple[str, ...], tt: _TechTotals, money: _Money,
                     week_ot: np.ndarray) -> tuple[TechnicianKpis, ...]:
    return tuple(
        TechnicianKpis(
            technician_id=tid, tickets=int(tt.tickets[t]), travel_min=tt.travel[t] / 60.0,
            distance_km=float(tt.dist[t]), service_min=tt.service[t] / 60.0,
            work_min=tt.work[t] / 60.0, shift_min=tt.shift[t] / 60.0,
            break_min=tt.brk[t] / 60.0,
            idle_min=max(tt.shift[t] - tt.work[t] - tt.brk[t], 0.0) / 60.0,
            utilisation_pct=100.0 * tt.work[t] / tt.shift[t] if tt.shift[t] else 0.0,
            overtime_min=tt.overtime[t] / 60.0, labour_cost=float(money.labour[t]),
            travel_cost=float(money.travel[t]), parts_cost=float(money.parts[t]),
            appointment_visits=int(money.appointments[t]),
            on_time_visits=int(money.on_time[t]), weekly_overtime_min=float(week_ot[t]) / 60.0)
        for t, tid in enumerate(technician_ids))


def _weekly(problem: Problem, rwork: np.ndarray, violations: list[Violation]) -> np.ndarray:
    """The weekly rules: a ``weekly_hours`` violation per technician-week whose work
    (``Technician.week_work_done`` plus its routes' work ``rwork`` in the week, each route
    in the week of its start) exceeds ``max_weekly_work``; returns each technician's
    weekly overtime seconds over its weeks: ``max(0, done + planned − after) − max(0, done
    − after)``, the work beyond ``weekly_overtime_after`` that the plan adds."""
    week = problem.data.week
    rt = problem.data.rt
    num_techs = problem.num_technicians
    if week.start.shape[0] == 0:
        return np.zeros(num_techs, dtype=np.int64)
    k = route_weeks(week.start, rt.open)
    inside = k >= 0
    totals = week.done.astype(np.int64).copy()
    np.add.at(totals, (rt.tech[inside], k[inside]), rwork[inside])
    tech_ids = problem.index.technician_ids
    label, _tech_of = namers(problem.index)
    # (work done before the horizon beyond the cap leaves no room but is not the plan's fault)
    for t, w in zip(*np.nonzero((totals > week.cap) & (totals > week.done)), strict=True):
        t, w = int(t), int(w)
        # (tied to the technician's last working route of the week: a repair drops from it)
        mine = np.flatnonzero((rt.tech == t) & (k == w) & (rwork > 0))
        violations.append(Violation(
            "weekly_hours", f"technician {tech_ids[t]!r} works {int(totals[t, w])} s in "
            f"calendar week {w + 1} of the horizon (from {int(week.start[w])} s), more than "
            f"its max_weekly_work {int(week.cap[t, w])} s", technician_id=tech_ids[t],
            route=label(int(mine[-1])) if mine.size else None, value=int(totals[t, w])))
    # the weekly overtime the plan adds (work done before the horizon is not the plan's)
    return (np.maximum(totals - week.after, 0) - np.maximum(week.done - week.after, 0)).sum(
        axis=1)


def _per_technician(problem: Problem, counts: np.ndarray, trav: np.ndarray, dist: np.ndarray,
                    serv: np.ndarray, overtime: np.ndarray, brk_taken: np.ndarray,
                    pserv: np.ndarray | None) -> _TechTotals:
    kd = problem.data
    num_techs, num_routes = problem.num_technicians, problem.num_routes
    rt_tech = kd.rt.tech
    travel = np.bincount(rt_tech, weights=trav, minlength=num_techs)
    service = np.bincount(rt_tech, weights=serv, minlength=num_techs)
    brk_route = np.repeat(np.arange(num_routes), np.diff(kd.brk.ptr)) if num_routes else \
        np.zeros(0, dtype=np.int64)
    work = travel + service
    if pserv is not None and pserv.any():
        work = work + np.bincount(rt_tech, weights=pserv, minlength=num_techs)
    return _TechTotals(
        travel=travel, dist=np.bincount(rt_tech, weights=dist, minlength=num_techs),
        service=service, tickets=np.bincount(rt_tech, weights=counts, minlength=num_techs),
        overtime=np.bincount(rt_tech, weights=overtime, minlength=num_techs),
        shift=np.bincount(rt_tech, weights=kd.rt.close - kd.rt.open, minlength=num_techs),
        brk=np.bincount(rt_tech[brk_route], weights=brk_taken, minlength=num_techs)
        if brk_route.size else np.zeros(num_techs), work=work)


def _certified_visits(problem: Problem, visits: np.ndarray,
                      route_of_visit: np.ndarray) -> np.ndarray:
    """bool per visit: the certifications its ticket needs are valid on its route's day
    (the compiled ends, problem/rows.py ``certification_ends``)."""
    kd = problem.data
    ends = kd.tech.cert_end
    ok = np.ones(visits.shape[0], dtype=np.bool_)
    if not ends.shape[1] or not visits.shape[0]:
        return ok
    tech = kd.rt.tech[route_of_visit]
    t_open = kd.rt.open[route_of_visit]
    cols = kd.cost.skill_col[visits]  # (V, M)
    for m in range(cols.shape[1]):
        c = cols[:, m]
        has = (c >= 0) & (c < ends.shape[1])
        ok[has] &= ends[tech[has], c[has]] > t_open[has]
    return ok


def _out_of_territory(kd: Any, visits: np.ndarray, tech_of_visit: np.ndarray) -> np.ndarray:
    """bool per visit: its ticket has a territory its technician does not cover (the
    compiled coverage, problem/rows.py)."""
    terr = kd.res.terr[visits]
    out = terr >= 0
    out[out] = ~kd.res.covers[tech_of_visit[out], terr[out]]
    return out


def _preferences(kd: Any, visits: np.ndarray, tech_of_visit: np.ndarray) -> tuple[int, int, int]:
    """``(requests, hits, misses)``: visits to tickets with preferred technicians, and
    whether one of them serves it (vectorised over the visits' preference entries)."""
    ptr = kd.res.pref_ptr
    lens = (ptr[visits + 1] - ptr[visits]) if visits.shape[0] else np.zeros(0, np.int64)
    asked = lens > 0
    requests = int(np.count_nonzero(asked))
    if not requests:
        return 0, 0, 0
    seg = lens[asked]
    first = np.cumsum(seg) - seg  # where each visit's entries start in the flat list
    flat = np.arange(int(seg.sum())) - np.repeat(first, seg) + np.repeat(ptr[visits[asked]], seg)
    match = kd.res.pref_tech[flat] == np.repeat(tech_of_visit[asked], seg)
    hits = int(np.count_nonzero(np.logical_or.reduceat(match, first)))
    return requests, hits, requests - hits


def _resource_violations(problem: Problem, visits: np.ndarray, route_of_visit: np.ndarray,
                         counts: np.ndarray, violations: list[Violation],
                         pick: np.ndarray | None = None) -> int:
    """Compatibility, day caps, capacity, van stock; returns units picked at depots."""
    kd = problem.data
    index = problem.index
    tids = index.ticket_ids
    num_routes = problem.num_routes
    nv = visits.shape[0]
    tech_of_visit = kd.rt.tech[route_of_visit] if nv else np.zeros(0, dtype=np.int64)

    label, tech_of = namers(index)

    if nv:
        codes = kd.tech.compat[tech_of_visit, visits]
        for k in np.flatnonzero(codes != 0).tolist():
            code = Incompatibility(int(codes[k]))
            kind = INCOMPATIBILITY[code].kind
            if kind is None:
                continue  # SHIFT: judged by the timings (or reachability in assignment mode)
            j, r = int(visits[k]), int(route_of_visit[k])
            violations.append(Violation(
                kind, f"ticket {tids[j]!r} served by {tech_of(r)!r}: "
                f"{_compat_text(problem, code, j, r)}",
                ticket_id=tids[j], technician_id=tech_of(r), route=label(r)))
        for k in np.flatnonzero((codes == 0) & ~_certified_visits(problem, visits,
                                                                   route_of_visit)).tolist():
            j, r = int(visits[k]), int(route_of_visit[k])
            violations.append(Violation(
                "certification", f"ticket {tids[j]!r} served by {tech_of(r)!r} on route "
                f"{label(r)}: certification not valid on the route's day",
                ticket_id=tids[j], technician_id=tech_of(r), route=label(r)))
    if num_routes:
        group_counts = np.bincount(kd.rt.group, weights=counts,
                                   minlength=kd.rt.group_cap.shape[0]).astype(np.int64)
        for g in np.flatnonzero(group_counts > kd.rt.group_cap).tolist():
            r = int(np.flatnonzero(kd.rt.group == g)[0])
            violations.append(Violation(
                "max_tickets", f"technician {tech_of(r)!r} has {int(group_counts[g])} tickets "
                f"on one day, cap {int(kd.rt.group_cap[g])}", technician_id=tech_of(r),
                route=label(r), value=int(group_counts[g])))
        load = np.bincount(route_of_visit, weights=kd.res.demand[visits],
                           minlength=num_routes).astype(np.int64)
        for r in np.flatnonzero(load > kd.rt.capacity).tolist():
            violations.append(Violation(
                "capacity", f"route {label(int(r))} carries demand {int(load[r])}, capacity "
                f"{int(kd.rt.capacity[r])}", technician_id=tech_of(int(r)),
                route=label(int(r)), value=int(load[r])))
    if kd.res.stock.shape[1] and nv:
        if pick is None or not (pick >= 0).any():
            usage = np.zeros_like(kd.res.stock)
            for k in range(nv):
                j = int(visits[k])
                lo, hi = kd.res.part_ptr[j], kd.res.part_ptr[j + 1]
                if hi > lo:
                    usage[tech_of_visit[k], kd.res.part_sku[lo:hi]] += kd.res.part_qty[lo:hi]
            for t, s in zip(*np.nonzero(usage > kd.res.stock), strict=True):
                violations.append(Violation(
                    "part", f"technician {index.technician_ids[t]!r} uses {int(usage[t, s])} × "
                    f"part {index.sku_ids[s]!r}, van holds {int(kd.res.stock[t, s])}",
                    technician_id=index.technician_ids[t], value=int(usage[t, s])))
            return 0
        return _stock_with_pickups(problem, visits, route_of_visit, pick, violations)
    return 0


def parts_flow(problem: Problem, visits: np.ndarray, route_of_visit: np.ndarray,
               pick: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The van-stock rule with depot stops, visit by visit.

    Each technician's routes are walked in shift order starting from the van
    stock. A depot stop before visit ``k`` picks up, per sku, what the van
    lacks for the tickets from ``k`` up to the route's next depot stop
    (``max(0, need - van)``); every ticket then takes its parts from the van.

    Returns ``(picked, van_after, depot_used)``: ``picked`` of shape
    ``(num_visits, num_skus)`` (units taken at the stop before each visit),
    ``van_after`` of shape ``(num_visits, num_skus)`` (van contents after the
    visit; negative means the van ran short) and ``depot_used`` of shape
    ``(num_depots, num_skus)``.
    """
    kd = problem.data
    res = kd.res
    num_skus = res.stock.shape[1]
    nv = visits.shape[0]
    picked = np.zeros((nv, num_skus), dtype=np.int64)
    van_after = np.zeros((nv, num_skus), dtype=np.int64)
    depot_used = np.zeros((problem.num_depots, num_skus), dtype=np.int64)
    need = np.zeros((nv, num_skus), dtype=np.int64)
    for k in range(nv):
        j = int(visits[k])
        lo, hi = res.part_ptr[j], res.part_ptr[j + 1]
        if hi > lo:
            np.add.at(need[k], res.part_sku[lo:hi], res.part_qty[lo:hi])
    van = res.stock.copy()
    # visits are grouped by route and routes by technician in shift order
    for k in range(nv):
        t = int(kd.rt.tech[route_of_visit[k]])
        if pick[k] >= 0:
            seg = need[k].copy()
            q = k + 1
            while q < nv and route_of_visit[q] == route_of_visit[k] and pick[q] < 0:
                seg += need[q]
                q += 1
            take = np.maximum(seg - van[t], 0)
            picked[k] = take
            van[t] += take
            depot_used[int(pick[k])] += take
        van[t] -= need[k]
        van_after[k] = van[t]
    return picked, van_after, depot_used


def _stock_with_pickups(problem: Problem, visits: np.ndarray, route_of_visit: np.ndarray,
                        pick: np.ndarray, violations: list[Violation]) -> int:
    index = problem.index
    kd = problem.data
    tids = index.ticket_ids
    picked, van_after, depot_used = parts_flow(problem, visits, route_of_visit, pick)
    short_reported: set[tuple[int, int]] = set()
    for k, s in zip(*np.nonzero(van_after < 0), strict=True):
        r = int(route_of_visit[k])
        t = int(kd.rt.tech[r])
        if (t, int(s)) in short_reported:
            continue
        short_reported.add((t, int(s)))
        violations.append(Violation(
            "part", f"technician {index.technician_ids[t]!r} has no part "
            f"{index.sku_ids[s]!r} left for ticket {tids[int(visits[k])]!r} "
            f"(short by {int(-van_after[k, s])}; no depot stop makes it up)",
            ticket_id=tids[int(visits[k])], technician_id=index.technician_ids[t],
            route=index.route_label(r), value=int(-van_after[k, s])))
    dstock = problem.depots.stock
    for d, s in zip(*np.nonzero(depot_used > dstock), strict=True):
        takers = sorted({index.route_label(int(route_of_visit[k]))
                         for k in np.flatnonzero((pick == d) & (picked[:, s] > 0)).tolist()})
        violations.append(Violation(
            "depot_stock", f"depot {index.depot_ids[d]!r} hands out {int(depot_used[d, s])} × "
            f"part {index.sku_ids[s]!r}, it holds {int(dstock[d, s])} (stops on routes "
            f"{', '.join(takers)})", route=takers[-1] if takers else None,
            value=int(depot_used[d, s])))
    return int(picked.sum())


def _expected_fix(problem: Problem, visits: np.ndarray, route_of_visit: np.ndarray,
                  pick: np.ndarray) -> np.ndarray | None:
    """Per visit, the probability that the van holds every probable part the job turns out to need.

    A probable part (ticket's ``probable_parts`` or its category's, compiled
    as ``cost.prob_col``/``cost.prob_p`` over the catalogue ``res.prob_sku``)
    counts as on hand when the van still holds a unit of it after the visit's
    known parts (see :func:`parts_flow`); the needs are independent, so the
    probability is the product of ``1 - p`` over the probable parts not on hand.
    ``None`` when no ticket can have probable parts.
    """
    kd = problem.data
    prob_sku = kd.res.prob_sku
    if not prob_sku.shape[0]:
        return None
    nv = visits.shape[0]
    out = np.ones(nv)
    if not nv:
        return out
    _picked, van_after, _used = parts_flow(problem, visits, route_of_visit, pick)
    cols, probs = kd.cost.prob_col, kd.cost.prob_p
    for k in range(nv):
        j = int(visits[k])
        for m in range(cols.shape[1]):
            c = int(cols[j, m])
            if c < 0:
                break
            s = int(prob_sku[c])
            if s < 0 or van_after[k, s] < 1:
                out[k] *= 1.0 - float(probs[j, m])
    return out


def _pickups_of(problem: Problem, plan: Plan, visits: np.ndarray,
                violations: list[Violation]) -> np.ndarray:
    """Depot stop per visit (-1 if none); unknown tickets/depots become violations."""
    tids = problem.index.ticket_ids
    routed = set(visits.tolist())
    for j, d in plan.pickups.items():
        if not 0 <= d < problem.num_depots:
            violations.append(Violation(
                "unknown_id", f"depot stop before ticket index {j} names unknown depot "
                f"index {d}", value=d))
        elif not 0 <= j < problem.num_tickets or j not in routed:
            violations.append(Violation(
                "unknown_id", f"depot stop before ticket index {j}, which is not routed",
                ticket_id=tids[j] if 0 <= j < problem.num_tickets else None, value=j))
    pick = plan.pickup_array(visits)
    pick[(pick < 0) | (pick >= problem.num_depots)] = -1
    return pick


def _check_references(problem: Problem, plan: Plan, violations: list[Violation]) -> list[list[int]]:
    """Unknown ids, duplicates and lost tickets; returns the routes without unknown indices."""
    index = problem.index
    num_tickets = problem.num_tickets
    tids = index.ticket_ids

    label, tech_of = namers(index)

    # --- references and duplicates (done on the raw plan)
    for ref in plan.unknown_ids:
        violations.append(Violation("unknown_id", f"plan references unknown id {ref!r}",
                                    value=ref))
    clean_routes: list[list[int]] = []
    seen: Counter[int] = Counter()
    crew_arr = crew_sizes(problem)
    crew = crew_arr.tolist()
    for r, route in enumerate(plan.routes):
        kept = []
        for j in route:
            if not 0 <= j < num_tickets:
                violations.append(Violation("unknown_id",
                                            f"route {label(r)} visits unknown ticket index {j}",
                                            technician_id=tech_of(r), route=label(r), value=j))
                continue
            seen[j] += 1
            if seen[j] == crew[j] + 1:
                violations.append(Violation(
                    "double_assignment", f"ticket {tids[j]!r} is routed more than once",
                    ticket_id=tids[j], technician_id=tech_of(r), route=label(r)))
            kept.append(j)
        clean_routes.append(kept)
    for j in plan.unassigned:
        if not 0 <= j < num_tickets:
            violations.append(Violation("unknown_id", f"unassigned lists unknown ticket index {j}",
                                        value=j))
        elif seen[j]:
            violations.append(Violation(
                "double_assignment", f"ticket {tids[j]!r} is both routed and unassigned",
                ticket_id=tids[j]))
    for j in range(num_tickets):
        if not seen[j] and j not in plan.unassigned:
            violations.append(Violation(
                "missing", f"ticket {tids[j]!r} is neither routed nor unassigned (lost)",
                ticket_id=tids[j]))
    if problem.crew is not None:
        crew_members(problem, clean_routes, crew_arr, violations)
    return clean_routes


def _compat_text(problem: Problem, code: Incompatibility, j: int, r: int) -> str:
    """Why technician of route ``r`` can never serve ticket ``j`` (the compiled rows)."""
    kd = problem.data
    t = int(kd.rt.tech[r])
    if code == Incompatibility.TERRITORY:
        z = int(kd.res.terr[j])
        return incompatibility_text(code, territory=list(context_of(problem).territory_idx)[z])
    if code in (Incompatibility.SKILL, Incompatibility.LEVEL, Incompatibility.CERTIFICATION):
        ctx = context_of(problem)
        names = ctx.skill_ids
        gaps = []
        for c, need in zip(kd.cost.skill_col[j].tolist(), kd.cost.skill_lvl[j].tolist(),
                           strict=True):
            if c < 0:
                break
            held = ctx.skill_level.get(names[c])
            have = 0 if held is None else int(held[t])
            lapsed = ctx.skill_expired.get(names[c])
            if code == Incompatibility.CERTIFICATION:
                if lapsed is not None and lapsed[t]:
                    gaps.append((names[c], need, have))
            elif have < need:
                gaps.append((names[c], need, have))
        return incompatibility_text(code, skills=gaps)
    lo, hi = kd.res.part_ptr[j], kd.res.part_ptr[j + 1]
    lacks = [(problem.index.sku_ids[s], q) for s, q in
             zip(kd.res.part_sku[lo:hi].tolist(), kd.res.part_qty[lo:hi].tolist(), strict=True)
             if kd.res.stock[t, s] < q]
    return incompatibility_text(code, parts=lacks, demand=int(kd.res.demand[j]),
                                capacity=int(kd.rt.capacity[r]))


def check_plan(problem: Problem | Scenario, plan: Plan) -> Evaluation:
    """Evaluate ``plan``; raise :class:`~fsdispatch.errors.InfeasiblePlanError` on any violation."""
    evaluation = evaluate(problem, plan)
    if not evaluation.is_feasible:
        head = "; ".join(str(v) for v in evaluation.violations[:5])
        more = len(evaluation.violations) - 5
        raise InfeasiblePlanError(
            f"plan has {len(evaluation.violations)} violation(s): {head}"
            + (f" (and {more} more)" if more > 0 else ""), evaluation.violations)
    return evaluation


