"""PuLP constraints of the routing and assignment MILPs.

Routing: two-index flow per technician shift over the tickets it can serve,
big-M time propagation along used arcs (which also removes subtours, since
every service takes at least a second), a window choice per ticket, shift
end plus overtime, demand capacity, tickets per day and van stock. Breaks are
not modelled (a relaxation: the bound stays valid); the backend re-checks
its plan with the evaluator and repairs it when the break rule disagrees.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pulp

from ...problem.assignment import AssignmentData
from ...problem.problem import Problem
from .._exact import RoutingData
from .variables import AssignmentVars, RoutingVars

__all__ = ["add_assignment_constraints", "add_resource_constraints", "add_routing_constraints"]


def add_resource_constraints(lp: pulp.LpProblem, problem: Problem,
                             x: dict[tuple[int, int], Any], u: dict[int, Any]) -> None:
    """Each ticket once or unassigned; demand capacity, tickets per day, van stock."""
    kd = problem.data
    by_ticket: dict[int, list[Any]] = defaultdict(list)
    by_route: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for (r, j), var in x.items():
        by_ticket[j].append(var)
        by_route[r].append((j, var))
    for j in range(problem.num_tickets):
        lp += pulp.lpSum(by_ticket[j]) + u[j] == 1, f"once{j}"
    by_group: dict[int, list[Any]] = defaultdict(list)
    by_tech: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for r, items in by_route.items():
        demand = [(int(kd.res.demand[j]), var) for j, var in items if kd.res.demand[j]]
        if demand and sum(d for d, _ in demand) > kd.rt.capacity[r]:
            lp += pulp.lpSum(d * var for d, var in demand) <= int(kd.rt.capacity[r]), f"cap{r}"
        by_group[int(kd.rt.group[r])].extend(var for _, var in items)
        by_tech[int(kd.rt.tech[r])].extend(items)
    for g, vars_ in by_group.items():
        if len(vars_) > kd.rt.group_cap[g]:
            lp += pulp.lpSum(vars_) <= int(kd.rt.group_cap[g]), f"day{g}"
    for t, items in by_tech.items():
        use: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        for j, var in items:
            for p in range(int(kd.res.part_ptr[j]), int(kd.res.part_ptr[j + 1])):
                use[int(kd.res.part_sku[p])].append((int(kd.res.part_qty[p]), var))
        for s, terms in use.items():
            if sum(q for q, _ in terms) > kd.res.stock[t, s]:
                lp += (pulp.lpSum(q * var for q, var in terms) <= int(kd.res.stock[t, s]),
                       f"part{t}_{s}")


def add_routing_constraints(lp: pulp.LpProblem, problem: Problem, rd: RoutingData,
                            v: RoutingVars) -> dict[int, Any]:
    """Flow, time propagation, windows and resources; returns the end expression per ticket."""
    kd = problem.data
    add_resource_constraints(lp, problem, v.x, v.u)
    svc: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for (r, j), var in v.x.items():
        svc[j].append((int(rd.service[r, j]), var))
    ends = {j: v.start[j] + pulp.lpSum(s * var for s, var in svc[j]) for j in v.start}
    for j, opts in v.z.items():
        lp += pulp.lpSum(z for z, _, _ in opts) == 1, f"win{j}"
        lp += v.start[j] >= pulp.lpSum(a * z for z, a, _ in opts), f"winlo{j}"
        lp += v.start[j] <= pulp.lpSum(b * z for z, _, b in opts), f"winhi{j}"
    max_tt = int(rd.tt.max(initial=0))
    big = rd.horizon + int(rd.service.max(initial=0)) + max_tt
    for r in range(problem.num_routes):
        cands = rd.cands[r].tolist()
        arcs = v.y[r]
        out: dict[int, list[Any]] = defaultdict(list)
        inc: dict[int, list[Any]] = defaultdict(list)
        for (a, b), lit in arcs.items():
            out[a].append(lit)
            inc[b].append(lit)
        lp += pulp.lpSum(out[0]) == v.used[r], f"dout{r}"
        lp += pulp.lpSum(inc[0]) == v.used[r], f"din{r}"
        sp, ep = int(rd.start_pos[r]), int(rd.end_pos[r])
        for k, j in enumerate(cands, start=1):
            lp += pulp.lpSum(out[k]) == v.x[r, j], f"out{r}_{k}"
            lp += pulp.lpSum(inc[k]) == v.x[r, j], f"in{r}_{k}"
        for (a, b), lit in arcs.items():
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb = ep if b == 0 else int(rd.ticket_pos[cands[b - 1]])
            tt = int(rd.tt[pa, pb])
            src = int(kd.rt.open[r]) if a == 0 else ends[cands[a - 1]]
            dst = v.ret[r] if b == 0 else v.start[cands[b - 1]]
            lp += dst >= src + tt - big * (1 - lit), f"t{r}_{a}_{b}"
    return ends


def add_assignment_constraints(lp: pulp.LpProblem, problem: Problem, ad: AssignmentData,
                               v: AssignmentVars) -> None:
    """Resources plus work (service + travel estimate) within the shift's hours + overtime."""
    add_resource_constraints(lp, problem, v.x, v.u)
    for r in range(problem.num_routes):
        lp += v.work[r] <= int(ad.limit[r]), f"hours{r}"
