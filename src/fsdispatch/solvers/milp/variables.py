"""PuLP decision variables of the routing and assignment MILPs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from ...problem.assignment import AssignmentData
from ...problem.problem import Problem
from .._exact import RoutingData, arc_ok

__all__ = ["AssignmentVars", "RoutingVars", "assignment_vars", "routing_vars"]


@dataclass
class RoutingVars:
    """``x[r, j]``, ``u[j]``, ``y[r][(a, b)]`` arcs over local nodes (0 = depot, ``k`` =
    ``rd.cands[r][k - 1]``), ``used[r]``, service ``start[j]``, window choice ``z[j]``,
    ``ret[r]`` return time."""

    x: dict[tuple[int, int], Any] = field(default_factory=dict)
    u: dict[int, Any] = field(default_factory=dict)
    y: dict[int, dict[tuple[int, int], Any]] = field(default_factory=dict)
    used: dict[int, Any] = field(default_factory=dict)
    start: dict[int, Any] = field(default_factory=dict)
    z: dict[int, list[tuple[Any, int, int]]] = field(default_factory=dict)
    ret: dict[int, Any] = field(default_factory=dict)


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
    return v


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
