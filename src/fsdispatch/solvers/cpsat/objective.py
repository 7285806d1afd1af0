"""The evaluator's objective in CP-SAT's integers.

CP-SAT needs integer coefficients; the evaluator's objective is float
(weights per minute applied to seconds, km). :func:`choose_scale` picks the
smallest scale ``S`` (from 1 to 6·10⁵) that makes every coefficient an
integer; the model minimises ``S × objective`` exactly. When no scale does
(e.g. irrational km), coefficients are rounded *down* at ``S = 6·10⁵``, so the
model's objective never exceeds ``S ×`` the evaluator's and
``best_objective_bound / S`` stays a valid lower bound (the backend then
claims ``OPTIMAL`` only if the evaluator's objective of its plan meets it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ortools.sat.python import cp_model

from ...problem.assignment import AssignmentData
from ...problem.objective import choice_cost
from ...problem.problem import NO_DEADLINE, Problem
from .._exact import RoutingData, tech_loads, week_rows
from .variables import AssignmentVars, RoutingVars

__all__ = ["Terms", "assignment_objective", "choose_scale", "routing_objective"]

SCALES = (1, 60, 600, 3600, 6000, 36000, 60000, 360000, 600000)

Terms = list[tuple[float, Any]]


def _near_int(value: float) -> bool:
    return abs(value - round(value)) <= 1e-6 * max(1.0, abs(value))


def choose_scale(coefs: Iterable[float]) -> tuple[int, bool]:
    """``(scale, exact)``: the smallest scale making every coefficient integral."""
    values = [c for c in coefs if c]
    for s in SCALES:
        if all(_near_int(c * s) for c in values):
            return s, True
    return SCALES[-1], False


def scaled(coef: float, scale: int) -> int:
    """``coef × scale`` as an integer: exact when integral, else rounded down."""
    v = coef * scale
    return round(v) if _near_int(v) else math.floor(v)


def _choice(problem: Problem, r: int, j: int) -> float:
    """Preference miss and soft out-of-territory cost of route ``r`` serving ``j``."""
    return choice_cost(problem.data, int(problem.data.rt.tech[r]), j)


def _balance(model: cp_model.CpModel, problem: Problem, loads: dict[int, list[tuple[int, Any]]],
             upper: int) -> Any:
    """A ``spread`` variable ≥ max − min of the technicians' workloads (plus recent work)."""
    kd = problem.data
    techs = sorted(set(kd.rt.tech.tolist()))
    recent = [int(t.recent_workload) for t in problem.scenario.technicians]
    top = model.new_int_var(0, upper + max(recent, default=0), "load_max")
    low = model.new_int_var(0, upper + max(recent, default=0), "load_min")
    for t in techs:
        expr = sum(c * var for c, var in loads.get(t, [])) + recent[t]
        model.add(top >= expr)
        model.add(low <= expr)
    spread = model.new_int_var(0, upper + max(recent, default=0), "load_spread")
    model.add(spread == top - low)
    return spread


def _weekly(model: cp_model.CpModel, problem: Problem,
            rloads: dict[int, list[tuple[int, Any]]]) -> Terms:
    """The weekly rules over the routes' work terms ``rloads``: per technician-week, its
    work (``week_work_done`` plus its routes') ``<= max_weekly_work``, and a weekly-overtime
    variable ``>=`` the planned work beyond ``weekly_overtime_after`` (less the work done),
    priced by the overtime weight (returned as objective terms)."""
    w_ot = float(problem.data.w.overtime)
    terms: Terms = []
    for row in week_rows(problem):
        items = [(c, var) for r in row.routes for c, var in rloads.get(r, [])]
        if not items:
            continue
        planned = sum(c * var for c, var in items)
        name = f"{row.tech}_{row.week}"
        if row.cap < NO_DEADLINE:
            model.add(planned <= max(row.cap - row.done, 0))
        if row.after < NO_DEADLINE and w_ot:
            # the weekly overtime the plan adds: planned work beyond what is left below
            # the threshold after the work done before the horizon
            room = max(row.after - row.done, 0)
            wot = model.new_int_var(0, max(row.upper - room, 0), f"wot{name}")
            model.add(wot >= planned - room)
            terms.append((w_ot, wot))
    return terms


def _penalties(problem: Problem, u: Any) -> Terms:
    """Every ticket's unassigned penalty, paid when its drop literal ``u[j]`` is set."""
    penalty = problem.data.cost.penalty
    return [(float(penalty[j]), u[j]) for j in range(problem.num_tickets)]


def _workload_terms(model: cp_model.CpModel, problem: Problem,
                    rloads: dict[int, list[tuple[int, Any]]], upper: int) -> Terms:
    """The terms over the routes' work ``rloads``, for either mode: the weekly rules
    (:func:`_weekly`) and, with a balance weight, the load spread (``upper`` bounds the
    work of all routes)."""
    terms = _weekly(model, problem, rloads)
    balance = float(problem.data.w.balance)
    if balance and problem.num_routes:
        terms.append((balance, _balance(model, problem, tech_loads(problem, rloads), upper)))
    return terms


def routing_objective(model: cp_model.CpModel, problem: Problem, rd: RoutingData,
                      v: RoutingVars) -> Terms:
    """Float-coefficient terms of the routing objective (auxiliary variables are added)."""
    kd = problem.data
    w = kd.w
    terms = _penalties(problem, v.u)
    rloads: dict[int, list[tuple[int, Any]]] = defaultdict(list)  # route -> work terms
    for r in range(problem.num_routes):
        t = int(kd.rt.tech[r])
        lab = float(kd.tech.labour[t])
        cands = rd.cands[r].tolist()
        sp, ep = int(rd.start_pos[r]), int(rd.end_pos[r])
        for (a, b), lit in v.arcs[r].items():
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb = ep if b == 0 else int(rd.ticket_pos[cands[b - 1]])
            tt = int(rd.tt[pa, pb])
            terms.append(((w.travel + lab) * tt + w.dist * float(rd.km[pa, pb]), lit))
            rloads[r].append((tt, lit))
        for (a, b, d), lit in v.via.get(r, {}).items():
            # the arc a -> b goes through depot d: its legs replace the direct one
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb, dp = int(rd.ticket_pos[cands[b - 1]]), int(rd.depot_pos[d])
            dtt = int(rd.tt[pa, dp]) + int(rd.tt[dp, pb]) - int(rd.tt[pa, pb])
            dkm = float(rd.km[pa, dp]) + float(rd.km[dp, pb]) - float(rd.km[pa, pb])
            terms.append(((w.travel + lab) * dtt + w.dist * dkm, lit))
            rloads[r].append((dtt, lit))
        for (_j, d), lit in v.stops.get(r, {}).items():
            pick = int(problem.depots.pickup[d])  # pick-up time is work
            terms.append((lab * pick, lit))
            rloads[r].append((pick, lit))
        for j in cands:
            svc = int(rd.service[r, j])
            c = lab * svc + _choice(problem, r, j)
            terms.append((c, v.x[r, j]))
            rloads[r].append((svc, v.x[r, j]))
        if w.overtime and kd.rt.max_close[r] > kd.rt.close[r]:
            ot = model.new_int_var(0, int(kd.rt.max_close[r] - kd.rt.close[r]), f"ot{r}")
            model.add(ot >= v.ret[r] - int(kd.rt.close[r]))
            terms.append((float(w.overtime), ot))
    horizon = rd.horizon + int(rd.service.max(initial=0))  # latest possible service end
    for j, start in v.start.items():
        resp, reso = int(kd.cost.response_by[j]), int(kd.cost.resolve_by[j])
        # deadlines may lie before the horizon start (already breached): widen the domains
        if kd.cost.sla_w[j] and resp < NO_DEADLINE and resp < horizon:
            late = model.new_int_var(0, horizon - min(resp, 0), f"lr{j}")
            # (an unassigned ticket's lateness is in its penalty: its start may lie anywhere)
            model.add(late >= start - resp).only_enforce_if(v.u[j].Not())
            terms.append((float(kd.cost.sla_w[j]), late))
        if kd.cost.sla_w[j] and reso < NO_DEADLINE and reso < horizon:
            late = model.new_int_var(0, horizon - min(reso, 0), f"ls{j}")
            model.add(late >= v.end[j] - reso).only_enforce_if(v.u[j].Not())
            terms.append((float(kd.cost.sla_w[j]), late))
        last = int(kd.win.end[kd.win.ptr[j + 1] - 1])
        if kd.win.soft[j] and kd.cost.late_w[j] and last < horizon:
            late = model.new_int_var(0, horizon - min(last, 0), f"wl{j}")
            model.add(late >= start - last).only_enforce_if(v.u[j].Not())
            terms.append((float(kd.cost.late_w[j]), late))
    return terms + _workload_terms(model, problem, rloads,
                                   int((kd.rt.max_close - kd.rt.open).sum()))


def assignment_objective(model: cp_model.CpModel, problem: Problem, ad: AssignmentData,
                         v: AssignmentVars) -> Terms:
    """Float-coefficient terms of the assignment objective (the evaluator's formula)."""
    w = problem.data.w
    labour = problem.data.tech.labour[problem.data.rt.tech]  # per route
    terms = _penalties(problem, v.u)
    rloads: dict[int, list[tuple[int, Any]]] = defaultdict(list)  # route -> work terms
    for (r, j), var in v.x.items():
        c = (float(ad.late_cost[r, j]) + w.travel * int(ad.travel[r, j])
             + w.dist * float(ad.km[r, j]) + float(labour[r]) * int(ad.work[r, j])
             + _choice(problem, r, j))
        terms.append((c, var))
        rloads[r].append((int(ad.work[r, j]), var))
    if w.overtime:
        for r in range(problem.num_routes):
            if ad.limit[r] > ad.hours[r]:
                ot = model.new_int_var(0, int(ad.limit[r] - ad.hours[r]), f"ot{r}")
                model.add(ot >= v.work[r] - int(ad.hours[r]))
                terms.append((float(w.overtime), ot))
    return terms + _workload_terms(model, problem, rloads, int(max(ad.limit.sum(), 0)))


def set_objective(model: cp_model.CpModel, terms: Terms) -> tuple[int, bool]:
    """Minimise the scaled terms; returns ``(scale, exact)``."""
    scale, exact = choose_scale(c for c, _ in terms)
    model.minimize(sum(scaled(c, scale) * var for c, var in terms if scaled(c, scale)))
    return scale, exact
