"""PuLP constraints of the routing and assignment MILPs.

Routing: two-index flow per technician shift over the tickets it can serve,
big-M time propagation along used arcs (which also removes subtours, since
every service takes at least a second), a window choice per ticket, shift
end plus overtime, demand capacity, tickets per day and van stock. Breaks are
not modelled (a relaxation: the bound stays valid); the backend re-checks
its plan with the evaluator and repairs it when the break rule disagrees.

Depot stops are the cpsat model's (see ``docs/optimality.md``) with big-M
rows for the enforced equalities: stop binaries on the circuit's arcs,
pick-up starts in an opening window, the van followed ticket by ticket with
the evaluator's lazy pick-up ``max(vin, seg) - vin``, depot stock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pulp

from ...problem.assignment import AssignmentData
from ...problem.crew import crew_groups
from ...problem.problem import Problem
from .._exact import RoutingData, resource_rows, routes_by_technician, ticket_need
from .variables import AssignmentVars, RoutingVars

__all__ = ["add_assignment_constraints", "add_crew_constraints", "add_resource_constraints",
           "add_routing_constraints"]


def add_resource_constraints(lp: pulp.LpProblem, problem: Problem,
                             x: dict[tuple[int, int], Any], u: dict[int, Any],
                             flow: dict[int, list[int]] | None = None) -> None:
    """Each ticket once or unassigned; demand capacity, tickets per day, van stock
    (except the skus ``flow`` maps a technician to: the depot-stop model follows those)."""
    rows = resource_rows(problem, x, flow)
    for j in range(problem.num_tickets):
        lp += pulp.lpSum(rows.once.get(j, [])) + u[j] == 1, f"once{j}"
    for r, demand, cap in rows.capacity:
        lp += pulp.lpSum(d * var for d, var in demand) <= cap, f"cap{r}"
    for g, vars_, cap in rows.day:
        lp += pulp.lpSum(vars_) <= cap, f"day{g}"
    for t, s, terms, stock in rows.stock:
        lp += pulp.lpSum(q * var for q, var in terms) <= stock, f"part{t}_{s}"


def add_routing_constraints(lp: pulp.LpProblem, problem: Problem, rd: RoutingData,
                            v: RoutingVars) -> dict[int, Any]:
    """Flow, time propagation, windows and resources; returns the end expression per ticket."""
    kd = problem.data
    add_resource_constraints(lp, problem, v.x, v.u,
                             {int(kd.rt.tech[r]): skus for r, skus in v.skus.items()})
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
        stop = _stop_sums(v, r)
        for (a, b), lit in arcs.items():
            pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
            pb = ep if b == 0 else int(rd.ticket_pos[cands[b - 1]])
            tt = int(rd.tt[pa, pb])
            src = int(kd.rt.open[r]) if a == 0 else ends[cands[a - 1]]
            dst = v.ret[r] if b == 0 else v.start[cands[b - 1]]
            if b and cands[b - 1] in stop:  # direct travel only without a stop before b
                lp += (dst >= src + tt - big * (1 - lit) - big * stop[cands[b - 1]],
                       f"t{r}_{a}_{b}")
            else:
                lp += dst >= src + tt - big * (1 - lit), f"t{r}_{a}_{b}"
        if v.stops.get(r):
            _add_stops(lp, problem, rd, v, r, ends, big)
    if v.skus:
        _add_van_flow(lp, problem, rd, v)
    return ends


def _stop_sums(v: RoutingVars, r: int) -> dict[int, Any]:
    """Per ticket with stop options on route ``r``: the number of stops before it (0/1)."""
    lits: dict[int, list[Any]] = defaultdict(list)
    for (j, _d), lit in v.stops.get(r, {}).items():
        lits[j].append(lit)
    return {j: pulp.lpSum(x) for j, x in lits.items()}


def _add_stops(lp: pulp.LpProblem, problem: Problem, rd: RoutingData, v: RoutingVars, r: int,
               ends: dict[int, Any], big: int) -> None:
    """Which arc each stop sits on, pick-up start in a window, and the ticket after it."""
    kd = problem.data
    dep = problem.depots
    cands = rd.cands[r].tolist()
    sp = int(rd.start_pos[r])
    big2 = big + int(dep.pickup.max(initial=0)) + int(rd.tt.max(initial=0))
    for j, total in _stop_sums(v, r).items():
        lp += total <= v.x[r, j], f"kstopx{r}_{j}"
    incoming: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for (a, b, d), w in v.via[r].items():
        j = cands[b - 1]
        lp += w <= v.y[r][a, b], f"kwy{r}_{a}_{b}_{d}"
        incoming[j, d].append(w)
        pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
        src = int(kd.rt.open[r]) if a == 0 else ends[cands[a - 1]]
        lp += (v.pstart[r, j, d] >= src + int(rd.tt[pa, rd.depot_pos[d]]) - big2 * (1 - w),
               f"kpa{r}_{a}_{b}_{d}")
    for (j, d), lit in v.stops[r].items():
        lp += pulp.lpSum(incoming[j, d]) == lit, f"kwp{r}_{j}_{d}"
        ps = v.pstart[r, j, d]
        dp = int(rd.depot_pos[d])
        lp += (v.start[j] >= ps + int(dep.pickup[d]) + int(rd.tt[dp, rd.ticket_pos[j]])
               - big2 * (1 - lit), f"kpj{r}_{j}_{d}")
        opts = v.pwin.get((r, j, d))
        if opts:
            lp += pulp.lpSum(z for z, _, _ in opts) == lit, f"kpwc{r}_{j}_{d}"
            lp += ps >= pulp.lpSum(a * z for z, a, _ in opts), f"kpwl{r}_{j}_{d}"
            lp += ps <= pulp.lpSum(b * z for z, _, b in opts) + big2 * (1 - lit), \
                f"kpwh{r}_{j}_{d}"


def _eq_if(lp: pulp.LpProblem, lhs: Any, rhs: Any, slack: Any, m: int, name: str) -> None:
    """``lhs == rhs`` when ``slack == 0`` (``slack`` >= 0 elsewhere; ``m`` bounds the gap)."""
    lp += lhs - rhs <= m * slack, f"{name}_u"
    lp += lhs - rhs >= -m * slack, f"{name}_l"


def _add_van_flow(lp: pulp.LpProblem, problem: Problem, rd: RoutingData,
                  v: RoutingVars) -> None:
    """The evaluator's van rule with lazy pick-ups (the cpsat model's ``add_van_flow``)."""
    kd = problem.data
    dstock = problem.depots.stock
    depot_use: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for t, routes in routes_by_technician(problem, v.skus).items():
        for pos, r in enumerate(routes):
            for s in v.skus[r]:
                first = int(kd.res.stock[t, s]) if pos == 0 else v.vend[routes[pos - 1], s]
                lp += v.vstart[r, s] == first, f"kvs{r}_{s}"
                _eq_if(lp, v.vend[r, s], v.vstart[r, s], v.used[r], v.units[r, s],
                       f"kvu{r}_{s}")
            _route_flow(lp, problem, rd, v, r, depot_use)
    for (d, s), terms in depot_use.items():
        if len(terms) > 1:
            lp += pulp.lpSum(terms) <= int(dstock[d, s]), f"kdep{d}_{s}"


def _route_flow(lp: pulp.LpProblem, problem: Problem, rd: RoutingData, v: RoutingVars, r: int,
                depot_use: dict[tuple[int, int], list[Any]]) -> None:
    cands = rd.cands[r].tolist()
    stop = _stop_sums(v, r)
    by_ticket: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for (j, d), lit in v.stops.get(r, {}).items():
        by_ticket[j].append((d, lit))
    for s in v.skus[r]:
        units = v.units[r, s]
        m = 2 * units + 1
        needs = {j: ticket_need(problem, j, s) for j in cands}
        for j in cands:
            key = (r, j, s)
            tag = f"{r}_{j}_{s}"
            if j not in stop:
                lp += v.vout[key] == v.vin[key] - needs[j], f"kvo{tag}"
                continue
            on = stop[j]
            lp += v.vout[key] == v.vin[key] + v.pick[key] - needs[j], f"kvo{tag}"
            top, sel = v.top[key], v.topsel[key]
            lp += top >= v.vin[key], f"kmxa{tag}"
            lp += top >= v.seg[key], f"kmxb{tag}"
            lp += top <= v.vin[key] + m * sel, f"kmxc{tag}"
            lp += top <= v.seg[key] + m * (1 - sel), f"kmxd{tag}"
            _eq_if(lp, v.pick[key], top - v.vin[key], 1 - on, m, f"kpk{tag}")
            lp += v.pick[key] <= units * on, f"kpk0{tag}"
            per_depot = []
            for d, lit in by_ticket[j]:
                at = v.pick_at.get((r, j, d, s))
                if at is None:  # the depot holds none of s
                    lp += v.pick[key] <= units * (1 - lit), f"kpz{tag}_{d}"
                else:
                    lp += at <= int(problem.depots.stock[d, s]) * lit, f"kpd{tag}_{d}"
                    per_depot.append(at)
                    depot_use[d, s].append(at)
            lp += v.pick[key] == pulp.lpSum(per_depot), f"kpks{tag}"
        for (a, b), lit in v.y[r].items():
            if a == 0 and b == 0:
                continue
            tag = f"{r}_{a}_{b}_{s}"
            if a == 0:
                _eq_if(lp, v.vin[r, cands[b - 1], s], v.vstart[r, s], 1 - lit, m, f"kfa{tag}")
                continue
            ja = cands[a - 1]
            if b == 0:
                _eq_if(lp, v.vend[r, s], v.vout[r, ja, s], 1 - lit, m, f"kfe{tag}")
                _eq_if(lp, v.seg[r, ja, s], needs[ja], 1 - lit, m, f"kge{tag}")
                continue
            jb = cands[b - 1]
            _eq_if(lp, v.vin[r, jb, s], v.vout[r, ja, s], 1 - lit, m, f"kfb{tag}")
            if jb in stop:
                _eq_if(lp, v.seg[r, ja, s], needs[ja] + v.seg[r, jb, s], 1 - lit + stop[jb],
                       m, f"kgb{tag}")
                _eq_if(lp, v.seg[r, ja, s], needs[ja], 2 - lit - stop[jb], m, f"kgs{tag}")
            else:
                _eq_if(lp, v.seg[r, ja, s], needs[ja] + v.seg[r, jb, s], 1 - lit, m,
                       f"kgb{tag}")


def add_assignment_constraints(lp: pulp.LpProblem, problem: Problem, ad: AssignmentData,
                               v: AssignmentVars) -> None:
    """Resources plus work (service + travel estimate) within the shift's hours + overtime."""
    add_resource_constraints(lp, problem, v.x, v.u)
    for r in range(problem.num_routes):
        lp += v.work[r] <= int(ad.limit[r]), f"hours{r}"


def add_crew_constraints(lp: pulp.LpProblem, problem: Problem, v: RoutingVars) -> None:
    """Crews of a split problem (``problem.crew_member_of``; see ``docs/crew.md``): the
    members are served all or none, start at one moment and go to distinct technicians."""
    crews = crew_groups(problem)
    if not crews:
        return
    tech = problem.data.rt.tech
    for c, members in crews.items():
        lead = members[0]
        if any(m not in v.start for m in members):  # a member no route can serve
            for m in members:
                lp += v.u[m] == 1, f"crewoff{c}_{m}"
            continue
        for m in members[1:]:
            lp += v.u[m] == v.u[lead], f"crewu{c}_{m}"
            lp += v.start[m] == v.start[lead], f"crews{c}_{m}"
        per_tech: dict[int, list[Any]] = defaultdict(list)
        for (r, j), var in v.x.items():
            if j in members:
                per_tech[int(tech[r])].append(var)
        for t, xs in per_tech.items():
            if len(xs) > 1:
                lp += pulp.lpSum(xs) <= 1, f"crewt{c}_{t}"
