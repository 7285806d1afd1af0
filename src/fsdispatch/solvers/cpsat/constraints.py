"""CP-SAT constraints of the routing and assignment models.

Routing: one circuit per technician shift over the tickets it can serve;
service starts in a window (or late, for soft windows) and no earlier than
arrival; breaks are optional intervals inside their windows that overlap no
service and no travel leg (a relaxation of the evaluator's break rule: every
schedule the rule produces satisfies it, so the bound stays valid); shift end
plus overtime; demand capacity, tickets per day, van stock.

Depot stops (routing only; see ``docs/optimality.md``): an optional stop at
depot ``d`` right before ticket ``j`` replaces the arc into ``j`` by
``prev -> d -> j``; the pick-up starts inside an opening window, no earlier
than the arrival, and the ticket starts no earlier than the pick-up's end
plus the leg from the depot. For the skus in a technician's scope the van
is followed ticket by ticket through the circuit (carried over between
shifts), the pick-up is the evaluator's lazy rule
``max(vin, seg) - vin`` and the depot totals stay within their stock.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ortools.sat.python import cp_model

from ...problem.assignment import AssignmentData
from ...problem.crew import crew_groups
from ...problem.problem import Problem
from .._exact import RoutingData, resource_rows, routes_by_technician, ticket_need
from .variables import AssignmentVars, RoutingVars

__all__ = ["add_assignment_constraints", "add_crew_constraints", "add_resource_constraints",
           "add_routing_constraints", "add_van_flow"]


def add_resource_constraints(model: cp_model.CpModel, problem: Problem,
                             x: dict[tuple[int, int], cp_model.IntVar],
                             u: dict[int, cp_model.IntVar],
                             flow: dict[int, list[int]] | None = None) -> None:
    """Each ticket once or unassigned; demand capacity, tickets per day, van stock.

    ``flow`` maps a technician to the skus whose stock the depot-stop model
    follows instead (no plain van-stock sum for those).
    """
    rows = resource_rows(problem, x, flow)
    for j in range(problem.num_tickets):
        model.add_exactly_one([*rows.once.get(j, []), u[j]])
    for _r, demand, cap in rows.capacity:
        model.add(sum(d * var for d, var in demand) <= cap)
    for _g, vars_, cap in rows.day:
        model.add(sum(vars_) <= cap)
    for _t, _s, terms, stock in rows.stock:
        model.add(sum(q * var for q, var in terms) <= stock)


def add_routing_constraints(model: cp_model.CpModel, problem: Problem, rd: RoutingData,
                            v: RoutingVars) -> None:
    """Circuits, timing, breaks, shift end and resources (see the module docstring)."""
    kd = problem.data
    flow = {int(kd.rt.tech[r]): skus for r, skus in v.skus.items()}
    add_resource_constraints(model, problem, v.x, v.u, flow)
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
                stop = v.stop_any.get((r, cands[b - 1]))
                model.add(v.start[cands[b - 1]] >= src + tt).only_enforce_if(
                    [lit] if stop is None else [lit, stop.Not()])
            out_terms[a].append((tt, lit))
        for j in cands:
            model.add_implication(v.x[r, j], used)
        if v.stops.get(r):
            _add_stops(model, problem, rd, v, r, cands, out_terms)
        if has_breaks:
            _add_breaks(model, problem, rd, v, r, cands, out_terms)
    if v.skus:
        add_van_flow(model, problem, rd, v)


def _add_stops(model: cp_model.CpModel, problem: Problem, rd: RoutingData, v: RoutingVars,
               r: int, cands: list[int],
               out_terms: dict[int, list[tuple[int, cp_model.IntVar]]]) -> None:
    """Depot stops of route ``r``: which arc they sit on, their timing and the out-legs."""
    dep = problem.depots
    sp = int(rd.start_pos[r])
    stops = v.stops[r]
    by_ticket: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (j, _d), lit in stops.items():
        by_ticket[j].append(lit)
        model.add_implication(lit, v.x[r, j])
    for j, lits in by_ticket.items():
        model.add(v.stop_any[r, j] == sum(lits))
    incoming: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (a, b, d), w in v.via[r].items():
        j = cands[b - 1]
        arc = v.arcs[r][a, b]
        model.add_implication(w, arc)
        model.add_implication(w, stops[j, d])
        incoming[j, d].append(w)
        pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
        dp = int(rd.depot_pos[d])
        src = v.dep0[r] if a == 0 else v.dep[cands[a - 1]]
        tt_ad = int(rd.tt[pa, dp])
        model.add(v.pstart[r, j, d] >= src + tt_ad).only_enforce_if(w)
        # the out-leg of a now ends at the depot (for the break no-overlap)
        out_terms[a].append((tt_ad - int(rd.tt[pa, rd.ticket_pos[j]]), w))
    for (j, d), lit in stops.items():
        model.add(sum(incoming[j, d]) == lit)
        dp = int(rd.depot_pos[d])
        model.add(v.start[j] >= v.pstart[r, j, d] + int(dep.pickup[d])
                  + int(rd.tt[dp, rd.ticket_pos[j]])).only_enforce_if(lit)


def add_van_flow(model: cp_model.CpModel, problem: Problem, rd: RoutingData,
                 v: RoutingVars) -> None:
    """The evaluator's van-stock rule with lazy pick-ups, for the skus in scope.

    Per route and sku: ``vin`` of the first ticket is the van at the shift's
    start, ``vin`` of each next ticket the ``vout`` of the one before, and
    ``vend`` the last ``vout`` (``vstart`` when the route is unused); the van
    carries over to the technician's next shift. ``seg`` is the ticket's
    need plus the next ticket's ``seg`` unless a stop comes first; a stop
    picks ``max(vin, seg) - vin``, split over depots by the stop's depot;
    ``vout = vin + pick - need >= 0``; depot totals ≤ stock.
    """
    kd = problem.data
    res = kd.res
    dstock = problem.depots.stock
    depot_use: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for t, routes in routes_by_technician(problem, v.skus).items():
        for pos, r in enumerate(routes):
            for s in v.skus[r]:
                if pos == 0:
                    model.add(v.vstart[r, s] == int(res.stock[t, s]))
                else:
                    model.add(v.vstart[r, s] == v.vend[routes[pos - 1], s])
                model.add(v.vend[r, s] == v.vstart[r, s]).only_enforce_if(v.used[r].Not())
            _route_flow(model, problem, rd, v, r, depot_use)
    for (d, s), terms in depot_use.items():
        if len(terms) > 1:  # each term's domain already stops at the depot's stock
            model.add(sum(terms) <= int(dstock[d, s]))


def _route_flow(model: cp_model.CpModel, problem: Problem, rd: RoutingData, v: RoutingVars,
                r: int, depot_use: dict[tuple[int, int], list[cp_model.IntVar]]) -> None:
    cands = rd.cands[r].tolist()
    by_ticket: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (j, d), lit in v.stops.get(r, {}).items():
        by_ticket[j].append((d, lit))
    for s in v.skus[r]:
        needs = {j: ticket_need(problem, j, s) for j in cands}
        for j in cands:
            need = needs[j]
            key = (r, j, s)
            stop = v.stop_any.get((r, j))
            if stop is None:
                model.add(v.vout[key] == v.vin[key] - need)
                continue
            model.add(v.vout[key] == v.vin[key] + v.pick[key] - need)
            model.add_max_equality(v.top[key], [v.vin[key], v.seg[key]])
            model.add(v.pick[key] == v.top[key] - v.vin[key]).only_enforce_if(stop)
            model.add(v.pick[key] == 0).only_enforce_if(stop.Not())
            per_depot = [v.pick_at[r, j, d, s] for d, _ in by_ticket[j]
                         if (r, j, d, s) in v.pick_at]
            model.add(v.pick[key] == sum(per_depot))
            for d, lit in by_ticket[j]:
                at = v.pick_at.get((r, j, d, s))
                if at is None:  # the depot holds none of s: the stop may not need it
                    model.add(v.pick[key] == 0).only_enforce_if(lit)
                else:
                    model.add(at == 0).only_enforce_if(lit.Not())
                    depot_use[d, s].append(at)
        for (a, b), lit in v.arcs[r].items():
            if a == 0 and b == 0:
                continue
            if a == 0:
                model.add(v.vin[r, cands[b - 1], s] == v.vstart[r, s]).only_enforce_if(lit)
                continue
            ja = cands[a - 1]
            need_a = needs[ja]
            if b == 0:
                model.add(v.vend[r, s] == v.vout[r, ja, s]).only_enforce_if(lit)
                model.add(v.seg[r, ja, s] == need_a).only_enforce_if(lit)
                continue
            jb = cands[b - 1]
            model.add(v.vin[r, jb, s] == v.vout[r, ja, s]).only_enforce_if(lit)
            stop = v.stop_any.get((r, jb))
            if stop is None:
                model.add(v.seg[r, ja, s] == need_a + v.seg[r, jb, s]).only_enforce_if(lit)
            else:
                model.add(v.seg[r, ja, s] == need_a + v.seg[r, jb, s]).only_enforce_if(
                    [lit, stop.Not()])
                model.add(v.seg[r, ja, s] == need_a).only_enforce_if([lit, stop])


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
        legs = [tt for tt, _ in terms]
        a_pos = int(rd.start_pos[r]) if k == 0 else int(rd.ticket_pos[cands[k - 1]])
        legs.extend(int(rd.tt[a_pos, rd.depot_pos[d]]) for (a, _b, d) in v.via.get(r, {})
                    if a == k)
        max_tt = max(legs, default=0)
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
    # the evaluator never puts a break inside a pick-up (it is served like a visit)
    for (j, d), lit in v.stops.get(r, {}).items():
        intervals.append(model.new_optional_fixed_size_interval_var(
            v.pstart[r, j, d], int(problem.depots.pickup[d]), lit, f"pick{r}_{j}_{d}"))
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


def add_crew_constraints(model: cp_model.CpModel, problem: Problem, v: RoutingVars) -> None:
    """Crews of a split problem (``problem.crew_member_of``; see ``docs/crew.md``).

    The members of a crew are served all or none (one ``u``), start at one moment (one
    start) and go to distinct technicians (at most one member per technician).
    """
    crews = crew_groups(problem)
    if not crews:
        return
    tech = problem.data.rt.tech
    for members in crews.values():
        lead = members[0]
        if any(m not in v.start for m in members):  # a member no route can serve
            for m in members:
                model.add(v.u[m] == 1)
            continue
        for m in members[1:]:
            model.add(v.u[m] == v.u[lead])
            model.add(v.start[m] == v.start[lead])
        per_tech: dict[int, list[Any]] = defaultdict(list)
        for (r, j), lit in v.x.items():
            if j in members:
                per_tech[int(tech[r])].append(lit)
        for lits in per_tech.values():
            if len(lits) > 1:
                model.add(sum(lits) <= 1)
