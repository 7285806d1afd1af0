"""CP-SAT constraints of the routing and assignment models.

Routing: one circuit per technician shift over the tickets it can serve;
service starts in a window (or late, for soft windows) and no earlier than
arrival; breaks are optional intervals inside their windows that overlap no
service and no travel leg (a relaxation of the evaluator's break rule: every
schedule the rule produces satisfies it, so the bound stays valid); shift end
plus overtime; demand capacity, tickets per day, van stock.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from ...problem.assignment import AssignmentData
from ...problem.problem import Problem
from .._exact import RoutingData
from .variables import AssignmentVars, RoutingVars

__all__ = ["add_assignment_constraints", "add_resource_constraints", "add_routing_constraints"]


def add_resource_constraints(model: cp_model.CpModel, problem: Problem,
                             x: dict[tuple[int, int], cp_model.IntVar],
                             u: dict[int, cp_model.IntVar]) -> None:
    """Each ticket once or unassigned; demand capacity, tickets per day, van stock."""
    kd = problem.data
    by_ticket: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_route: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (r, j), var in x.items():
        by_ticket[j].append(var)
        by_route[r].append((j, var))
    for j in range(problem.num_tickets):
        model.add_exactly_one([*by_ticket[j], u[j]])
    by_group: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_tech: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for r, items in by_route.items():
        demand = [(int(kd.res.demand[j]), var) for j, var in items if kd.res.demand[j]]
        if demand and sum(d for d, _ in demand) > kd.rt.capacity[r]:
            model.add(sum(d * var for d, var in demand) <= int(kd.rt.capacity[r]))
        by_group[int(kd.rt.group[r])].extend(var for _, var in items)
        by_tech[int(kd.rt.tech[r])].extend(items)
    for g, vars_ in by_group.items():
        if len(vars_) > kd.rt.group_cap[g]:
            model.add(sum(vars_) <= int(kd.rt.group_cap[g]))
    for t, items in by_tech.items():
        use: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for j, var in items:
            for p in range(int(kd.res.part_ptr[j]), int(kd.res.part_ptr[j + 1])):
                use[int(kd.res.part_sku[p])].append((int(kd.res.part_qty[p]), var))
        for s, terms in use.items():
            if sum(q for q, _ in terms) > kd.res.stock[t, s]:
                model.add(sum(q * var for q, var in terms) <= int(kd.res.stock[t, s]))


def add_routing_constraints(model: cp_model.CpModel, problem: Problem, rd: RoutingData,
                            v: RoutingVars) -> None:
    """Circuits, timing, breaks, shift end and resources (see the module docstring)."""
    kd = problem.data
    add_resource_constraints(model, problem, v.x, v.u)
    svc_terms: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (r, j), var in v.x.items():
        svc_terms[j].append((int(rd.service[r, j]), var))
    for j, start in v.start.items():
        model.add(v.end[j] == start + sum(s * var for s, var in svc_terms[j]))
        model.add(v.dep[j] >= v.end[j])
    for r in range(problem.num_routes):
        cands = rd.cands[r].tolist()
        arcs = v.arcs[r]
        used = v.used[r]
        sp, ep = int(rd.start_pos[r]), int(rd.end_pos[r])
        circuit = [(0, 0, used.Not())]
        for k, j in enumerate(cands, start=1):
            circuit.append((k, k, v.x[r, j].Not()))
        circuit.extend((a, b, lit) for (a, b), lit in arcs.items())
        model.add_circuit(circuit)
        has_breaks = kd.brk.ptr[r + 1] > kd.brk.ptr[r]
        if not has_breaks:
            model.add(v.dep0[r] == int(kd.rt.open[r]))
        out_terms: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for (a, b), lit in arcs.items():
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb = ep if b == 0 else int(rd.ticket_pos[cands[b - 1]])
            tt = int(rd.tt[pa, pb])
            src = v.dep0[r] if a == 0 else v.dep[cands[a - 1]]
            if b == 0:
                model.add(v.ret[r] >= src + tt).only_enforce_if(lit)
            else:
                model.add(v.start[cands[b - 1]] >= src + tt).only_enforce_if(lit)
            out_terms[a].append((tt, lit))
        for j in cands:
            model.add_implication(v.x[r, j], used)
        if has_breaks:
            _add_breaks(model, problem, rd, v, r, cands, out_terms)


def _add_breaks(model: cp_model.CpModel, problem: Problem, rd: RoutingData, v: RoutingVars,
                r: int, cands: list[int],
                out_terms: dict[int, list[tuple[int, cp_model.IntVar]]]) -> None:
    """Breaks of route ``r`` as optional intervals overlapping no service or travel."""
    kd = problem.data
    used = v.used[r]
    horizon = rd.horizon
    intervals = []
    for k in range(len(cands) + 1):
        terms = out_terms.get(k, [])
        max_tt = max((t for t, _ in terms), default=0)
        size = model.new_int_var(0, max_tt, f"out{r}_{k}")
        model.add(size == sum(t * lit for t, lit in terms))
        src = v.dep0[r] if k == 0 else v.dep[cands[k - 1]]
        present = used if k == 0 else v.x[r, cands[k - 1]]
        end = model.new_int_var(0, horizon + max_tt, f"oe{r}_{k}")
        intervals.append(model.new_optional_interval_var(src, size, end, present, f"leg{r}_{k}"))
        if k:
            j = cands[k - 1]
            intervals.append(model.new_optional_fixed_size_interval_var(
                v.start[j], int(rd.service[r, j]), v.x[r, j], f"svc{r}_{j}"))
    for b in range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1])):
        need, bs = v.brk[b]
        dur = int(kd.brk.dur[b])
        model.add_implication(need, used)
        model.add(bs + dur <= v.ret[r]).only_enforce_if(need)
        model.add(v.ret[r] <= int(kd.brk.earliest[b])).only_enforce_if([used, need.Not()])
        intervals.append(model.new_optional_fixed_size_interval_var(bs, dur, need, f"brk{b}"))
    model.add_no_overlap(intervals)


def add_assignment_constraints(model: cp_model.CpModel, problem: Problem, ad: AssignmentData,
                               v: AssignmentVars) -> None:
    """Resources plus work (service + travel estimate) within the shift's hours + overtime."""
    add_resource_constraints(model, problem, v.x, v.u)
    terms: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (r, j), var in v.x.items():
        terms[r].append((int(ad.work[r, j]), var))
    for r in range(problem.num_routes):
        model.add(v.work[r] == sum(w * var for w, var in terms[r]))
