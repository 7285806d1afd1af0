"""The evaluator's objective as a PuLP expression (float coefficients, term by term)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pulp

from ...problem.assignment import AssignmentData
from ...problem.objective import choice_cost
from ...problem.problem import NO_DEADLINE, Problem
from .._exact import RoutingData, tech_loads, week_rows
from .variables import AssignmentVars, RoutingVars

__all__ = ["assignment_objective", "routing_objective"]


def _choice(problem: Problem, r: int, j: int) -> float:
    """Preference miss and soft out-of-territory cost of route ``r`` serving ``j``."""
    return choice_cost(problem.data, int(problem.data.rt.tech[r]), j)


def _spread(lp: pulp.LpProblem, problem: Problem, loads: dict[int, list[Any]]) -> Any:
    """A variable ≥ max − min of technicians' workloads (plus recent work)."""
    kd = problem.data
    recent = [int(t.recent_workload) for t in problem.scenario.technicians]
    top = pulp.LpVariable("load_max", lowBound=0)
    low = pulp.LpVariable("load_min", lowBound=0)
    for t in sorted(set(kd.rt.tech.tolist())):
        expr = pulp.lpSum(loads.get(t, [])) + recent[t]
        lp += top >= expr, f"lmax{t}"
        lp += low <= expr, f"lmin{t}"
    return top - low


def _weekly(lp: pulp.LpProblem, problem: Problem, rloads: dict[int, list[Any]]) -> list[Any]:
    """The weekly rules over the routes' work terms ``rloads``: per technician-week, its
    work (``week_work_done`` plus its routes') ``<= max_weekly_work``, and a weekly-overtime
    variable ``>=`` the planned work beyond ``weekly_overtime_after`` (less the work done),
    priced by the overtime weight (returned as objective terms)."""
    w_ot = float(problem.data.w.overtime)
    terms: list[Any] = []
    for row in week_rows(problem):
        items = [term for r in row.routes for term in rloads.get(r, [])]
        if not items:
            continue
        planned = pulp.lpSum(items)
        name = f"{row.tech}_{row.week}"
        if row.cap < NO_DEADLINE:
            lp += planned <= max(row.cap - row.done, 0), f"week{name}"
        if row.after < NO_DEADLINE and w_ot:
            # the weekly overtime the plan adds: planned work beyond what is left below
            # the threshold after the work done before the horizon
            wot = pulp.LpVariable(f"wot{name}", lowBound=0)
            lp += wot >= planned - max(row.after - row.done, 0), f"wotc{name}"
            terms.append(w_ot * wot)
    return terms


def routing_objective(lp: pulp.LpProblem, problem: Problem, rd: RoutingData, v: RoutingVars,
                      ends: dict[int, Any]) -> Any:
    """The routing objective (auxiliary lateness/overtime variables are added to ``lp``)."""
    kd = problem.data
    w = kd.w
    terms: list[Any] = [float(kd.cost.penalty[j]) * v.u[j] for j in range(problem.num_tickets)]
    rloads: dict[int, list[Any]] = defaultdict(list)  # route -> work terms
    for r in range(problem.num_routes):
        t = int(kd.rt.tech[r])
        lab = float(kd.tech.labour[t])
        cands = rd.cands[r].tolist()
        sp, ep = int(rd.start_pos[r]), int(rd.end_pos[r])
        for (a, b), lit in v.y[r].items():
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb = ep if b == 0 else int(rd.ticket_pos[cands[b - 1]])
            tt = int(rd.tt[pa, pb])
            c = (w.travel + lab) * tt + w.dist * float(rd.km[pa, pb])
            if c:
                terms.append(c * lit)
            rloads[r].append(tt * lit)
        for (a, b, d), lit in v.via.get(r, {}).items():
            # the arc a -> b goes through depot d: its legs replace the direct one
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb, dp = int(rd.ticket_pos[cands[b - 1]]), int(rd.depot_pos[d])
            dtt = int(rd.tt[pa, dp]) + int(rd.tt[dp, pb]) - int(rd.tt[pa, pb])
            dkm = float(rd.km[pa, dp]) + float(rd.km[dp, pb]) - float(rd.km[pa, pb])
            c = (w.travel + lab) * dtt + w.dist * dkm
            if c:
                terms.append(c * lit)
            rloads[r].append(dtt * lit)
        for (_j, d), lit in v.stops.get(r, {}).items():
            pick = int(problem.depots.pickup[d])  # pick-up time is work
            if lab * pick:
                terms.append(lab * pick * lit)
            rloads[r].append(pick * lit)
        for j in cands:
            svc = int(rd.service[r, j])
            c = lab * svc + _choice(problem, r, j)
            if c:
                terms.append(c * v.x[r, j])
            rloads[r].append(svc * v.x[r, j])
        if w.overtime and kd.rt.max_close[r] > kd.rt.close[r]:
            ot = pulp.LpVariable(f"ot{r}", lowBound=0)
            lp += ot >= v.ret[r] - int(kd.rt.close[r]), f"otc{r}"
            terms.append(float(w.overtime) * ot)
    horizon = rd.horizon + int(rd.service.max(initial=0))
    for j, start in v.start.items():
        resp, reso = int(kd.cost.response_by[j]), int(kd.cost.resolve_by[j])
        if kd.cost.sla_w[j] and resp < NO_DEADLINE and resp < horizon:
            late = pulp.LpVariable(f"lr{j}", lowBound=0)
            # (an unassigned ticket's lateness is in its penalty: released by u[j])
            lp += late >= start - resp - (horizon - min(resp, 0)) * v.u[j], f"lrc{j}"
            terms.append(float(kd.cost.sla_w[j]) * late)
        if kd.cost.sla_w[j] and reso < NO_DEADLINE and reso < horizon:
            late = pulp.LpVariable(f"ls{j}", lowBound=0)
            lp += late >= ends[j] - reso - (horizon - min(reso, 0)) * v.u[j], f"lsc{j}"
            terms.append(float(kd.cost.sla_w[j]) * late)
        last = int(kd.win.end[kd.win.ptr[j + 1] - 1])
        if kd.win.soft[j] and kd.cost.late_w[j] and last < horizon:
            late = pulp.LpVariable(f"wl{j}", lowBound=0)
            lp += late >= start - last - (horizon - min(last, 0)) * v.u[j], f"wlc{j}"
            terms.append(float(kd.cost.late_w[j]) * late)
    terms += _weekly(lp, problem, rloads)
    if w.balance and problem.num_routes:
        terms.append(float(w.balance) * _spread(lp, problem, tech_loads(problem, rloads)))
    return pulp.lpSum(terms)


def assignment_objective(lp: pulp.LpProblem, problem: Problem, ad: AssignmentData,
                         v: AssignmentVars) -> Any:
    """The assignment objective (the evaluator's assignment-mode formula)."""
    kd = problem.data
    w = kd.w
    terms: list[Any] = [float(kd.cost.penalty[j]) * v.u[j] for j in range(problem.num_tickets)]
    rloads: dict[int, list[Any]] = defaultdict(list)  # route -> work terms
    for (r, j), var in v.x.items():
        t = int(kd.rt.tech[r])
        c = (float(ad.late_cost[r, j]) + w.travel * int(ad.travel[r, j])
             + w.dist * float(ad.km[r, j]) + float(kd.tech.labour[t]) * int(ad.work[r, j])
             + _choice(problem, r, j))
        if c:
            terms.append(c * var)
        rloads[r].append(int(ad.work[r, j]) * var)
    if w.overtime:
        for r in range(problem.num_routes):
            if ad.limit[r] > ad.hours[r]:
                ot = pulp.LpVariable(f"ot{r}", lowBound=0)
                lp += ot >= v.work[r] - int(ad.hours[r]), f"otc{r}"
                terms.append(float(w.overtime) * ot)
    terms += _weekly(lp, problem, rloads)
    if w.balance and problem.num_routes:
        terms.append(float(w.balance) * _spread(lp, problem, tech_loads(problem, rloads)))
    return pulp.lpSum(terms)
