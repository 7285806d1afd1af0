"""PuLP decision variables of the routing and assignment MILPs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from ...problem.assignment import AssignmentData
from ...problem.problem import Problem
from .. import _exact
from .._exact import RoutingData, arc_ok

__all__ = ["AssignmentVars", "RoutingVars", "assignment_vars", "routing_vars"]


@dataclass
class RoutingVars(_exact.VanFlowVars):
    """``x[r, j]``, ``u[j]``, ``y[r][(a, b)]`` arcs over local nodes (0 = depot, ``k`` =
    ``rd.cands[r][k - 1]``), ``used[r]``, service ``start[j]``, window choice ``z[j]``,
    ``ret[r]`` return time.

    Depot stops, as in the cpsat model: ``stops[r][(j, d)]`` binary, ``via[r][(a, b, d)]``
    (arc ∧ stop), ``pstart[r, j, d]`` with a window choice ``pwin[r, j, d]`` when the
    depot has several opening windows; van flow per route, ticket and sku in scope as
    :class:`~fsdispatch.solvers._exact.VanFlowVars`, with the selector ``topsel`` of
    ``top = max(vin, seg)``; ``units`` the big-M of each route and sku."""

    x: dict[tuple[int, int], Any] = field(default_factory=dict)
    u: dict[int, Any] = field(default_factory=dict)
    y: dict[int, dict[tuple[int, int], Any]] = field(default_factory=dict)
    used: dict[int, Any] = field(default_factory=dict)
    start: dict[int, Any] = field(default_factory=dict)
    z: dict[int, list[tuple[Any, int, int]]] = field(default_factory=dict)
    ret: dict[int, Any] = field(default_factory=dict)
    stops: dict[int, dict[tuple[int, int], Any]] = field(default_factory=dict)
    via: dict[int, dict[tuple[int, int, int], Any]] = field(default_factory=dict)
    pstart: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    pwin: dict[tuple[int, int, int], list[tuple[Any, int, int]]] = field(default_factory=dict)
    units: dict[tuple[int, int], int] = field(default_factory=dict)
    topsel: dict[tuple[int, int, int], Any] = field(default_factory=dict)

    def stop_any(self, r: int, j: int) -> Any:
        """The number of stops right before ``j`` on ``r`` (0 or 1), or ``None`` if none
        is possible."""
        lits = [lit for (jj, _d), lit in self.stops.get(r, {}).items() if jj == j]
        return pulp.lpSum(lits) if lits else None


def routing_vars(problem: Problem, rd: RoutingData) -> RoutingVars:
    """Create the routing MILP's variables (only pairs the compiled problem allows)."""
    kd = problem.data
    v = RoutingVars()
    for j in range(problem.num_tickets):
        v.u[j] = pulp.LpVariable(f"u{j}", cat="Binary")
        if problem.routes_for(j).shape[0] == 0:
            continue
        spans = rd.windows(problem, j)
        lo = min(a for a, _ in spans)
        hi = max(b for _, b in spans)
        v.start[j] = pulp.LpVariable(f"s{j}", lowBound=lo, upBound=hi)
        if len(spans) > 1:
            v.z[j] = [(pulp.LpVariable(f"z{j}_{k}", cat="Binary"), a, b)
                      for k, (a, b) in enumerate(spans)]
    for r in range(problem.num_routes):
        cands = rd.cands[r].tolist()
        v.used[r] = pulp.LpVariable(f"used{r}", cat="Binary")
        arcs: dict[tuple[int, int], Any] = {}
        for k, j in enumerate(cands, start=1):
            v.x[r, j] = pulp.LpVariable(f"x{r}_{j}", cat="Binary")
            arcs[0, k] = pulp.LpVariable(f"y{r}_0_{k}", cat="Binary")
            arcs[k, 0] = pulp.LpVariable(f"y{r}_{k}_0", cat="Binary")
        for ka, a in enumerate(cands, start=1):
            for kb, b in enumerate(cands, start=1):
                if ka != kb and arc_ok(problem, rd, r, a, b):
                    arcs[ka, kb] = pulp.LpVariable(f"y{r}_{ka}_{kb}", cat="Binary")
        v.y[r] = arcs
        v.ret[r] = pulp.LpVariable(f"ret{r}", lowBound=int(kd.rt.open[r]),
                                   upBound=int(kd.rt.max_close[r]))
    _depot_vars(problem, rd, v)
    return v


def _depot_vars(problem: Problem, rd: RoutingData, v: RoutingVars) -> None:
    """Depot-stop and van-flow variables (only for technicians with skus in scope)."""
    dstock = problem.depots.stock
    for sr in _exact.stop_routes(problem, rd, v.y):
        r = sr.route
        v.skus[r] = sr.skus
        stops: dict[tuple[int, int], Any] = {}
        via: dict[tuple[int, int, int], Any] = {}
        for j, kb, d in sr.stops:
            stops[j, d] = pulp.LpVariable(f"p{r}_{j}_{d}", cat="Binary")
            wins = sr.opening[d]
            v.pstart[r, j, d] = pulp.LpVariable(f"ps{r}_{j}_{d}", lowBound=wins[0][0],
                                                upBound=wins[-1][1])
            if len(wins) > 1:
                v.pwin[r, j, d] = [(pulp.LpVariable(f"pw{r}_{j}_{d}_{k}", cat="Binary"),
                                    a, b) for k, (a, b) in enumerate(wins)]
            for a in sr.into.get(kb, ()):
                via[a, kb, d] = pulp.LpVariable(f"w{r}_{a}_{kb}_{d}", cat="Binary")
        v.stops[r] = stops
        v.via[r] = via
        stop_tickets = {j for j, _ in stops}
        for s in sr.skus:
            units = sr.units[s]
            v.units[r, s] = units
            v.vstart[r, s] = pulp.LpVariable(f"vs{r}_{s}", lowBound=0, upBound=units)
            v.vend[r, s] = pulp.LpVariable(f"ve{r}_{s}", lowBound=0, upBound=units)
            for j in sr.cands:
                key = (r, j, s)
                v.vin[key] = pulp.LpVariable(f"vi{r}_{j}_{s}", lowBound=0, upBound=units)
                v.vout[key] = pulp.LpVariable(f"vo{r}_{j}_{s}", lowBound=0, upBound=units)
                v.seg[key] = pulp.LpVariable(f"g{r}_{j}_{s}", lowBound=0, upBound=units)
                if j in stop_tickets:
                    v.top[key] = pulp.LpVariable(f"mx{r}_{j}_{s}", lowBound=0, upBound=units)
                    v.topsel[key] = pulp.LpVariable(f"mb{r}_{j}_{s}", cat="Binary")
                    v.pick[key] = pulp.LpVariable(f"pk{r}_{j}_{s}", lowBound=0, upBound=units)
            for (j, d) in stops:
                if dstock[d, s] > 0:
                    v.pick_at[r, j, d, s] = pulp.LpVariable(
                        f"pd{r}_{j}_{d}_{s}", lowBound=0, upBound=int(dstock[d, s]))


@dataclass
class AssignmentVars:
    """``x[r, j]``, ``u[j]`` and the work expression per route."""

    x: dict[tuple[int, int], Any] = field(default_factory=dict)
    u: dict[int, Any] = field(default_factory=dict)
    work: dict[int, Any] = field(default_factory=dict)


def assignment_vars(problem: Problem, ad: AssignmentData) -> AssignmentVars:
    """Create the assignment MILP's variables."""
    v = AssignmentVars()
    for j in range(problem.num_tickets):
        v.u[j] = pulp.LpVariable(f"u{j}", cat="Binary")
        for r in np.flatnonzero(ad.able[:, j]).tolist():
            v.x[r, j] = pulp.LpVariable(f"x{r}_{j}", cat="Binary")
    terms: dict[int, list[Any]] = {r: [] for r in range(problem.num_routes)}
    for (r, j), var in v.x.items():
        terms[r].append(int(ad.work[r, j]) * var)
    for r in range(problem.num_routes):
        v.work[r] = pulp.lpSum(terms[r])
    return v
