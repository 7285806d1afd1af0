"""CP-SAT decision variables of the routing and assignment models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from ...problem.assignment import AssignmentData
from ...problem.problem import Problem
from .. import _exact
from .._exact import RoutingData, arc_ok

__all__ = ["AssignmentVars", "RoutingVars", "assignment_vars", "routing_vars"]


@dataclass
class RoutingVars(_exact.VanFlowVars):
    """Variables of the routing model.

    ``x[r, j]`` ticket ``j`` on route ``r``; ``u[j]`` ticket unassigned;
    ``arcs[r][(a, b)]`` circuit arcs of route ``r`` over local nodes (0 = the
    shift's start/end, ``k >= 1`` = ``rd.cands[r][k - 1]``); ``used[r]``;
    ``start``, ``end``, ``dep`` per ticket (service start, end, departure);
    ``dep0``/``ret`` per route (leaving the start, back at the end);
    ``brk[b] = (needed, start)`` per break.

    Depot stops (see ``docs/optimality.md``): ``stops[r][(j, d)]`` a stop at
    depot ``d`` right before ticket ``j`` on route ``r``; ``stop_any[r, j]``
    (their sum); ``via[r][(a, b, d)]`` the circuit arc ``a -> b`` (local
    nodes) taken through depot ``d`` (= arc ∧ stop); ``pstart[r, j, d]`` the
    pick-up start; ``bound_units[r, s]`` the domain bound of the van stock.
    Van stock: see :class:`~fsdispatch.solvers._exact.VanFlowVars`.
    """

    x: dict[tuple[int, int], Any] = field(default_factory=dict)
    u: dict[int, Any] = field(default_factory=dict)
    arcs: dict[int, dict[tuple[int, int], Any]] = field(default_factory=dict)
    used: dict[int, Any] = field(default_factory=dict)
    start: dict[int, Any] = field(default_factory=dict)
    end: dict[int, Any] = field(default_factory=dict)
    dep: dict[int, Any] = field(default_factory=dict)
    dep0: dict[int, Any] = field(default_factory=dict)
    ret: dict[int, Any] = field(default_factory=dict)
    brk: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    stops: dict[int, dict[tuple[int, int], Any]] = field(default_factory=dict)
    stop_any: dict[tuple[int, int], Any] = field(default_factory=dict)
    via: dict[int, dict[tuple[int, int, int], Any]] = field(default_factory=dict)
    pstart: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    bound_units: dict[tuple[int, int], int] = field(default_factory=dict)


def routing_vars(model: cp_model.CpModel, problem: Problem, rd: RoutingData) -> RoutingVars:
    """Create the routing model's variables (only for pairs the compiled problem allows)."""
    kd = problem.data
    v = RoutingVars()
    horizon = rd.horizon
    for j in range(problem.num_tickets):
        v.u[j] = model.new_bool_var(f"u{j}")
        if problem.routes_for(j).shape[0] == 0:
            continue
        spans = rd.windows(problem, j)
        v.start[j] = model.new_int_var_from_domain(cp_model.Domain.from_intervals(
            [list(s) for s in spans]), f"s{j}")
        max_svc = int(rd.service[:, j].max())
        v.end[j] = model.new_int_var(0, horizon + max_svc, f"e{j}")
        v.dep[j] = model.new_int_var(0, horizon + max_svc, f"d{j}")
    for r in range(problem.num_routes):
        cands = rd.cands[r].tolist()
        v.used[r] = model.new_bool_var(f"used{r}")
        arcs: dict[tuple[int, int], Any] = {}
        for k, j in enumerate(cands, start=1):
            v.x[r, j] = model.new_bool_var(f"x{r}_{j}")
            arcs[0, k] = model.new_bool_var(f"a{r}_0_{j}")
            arcs[k, 0] = model.new_bool_var(f"a{r}_{j}_0")
        for ka, a in enumerate(cands, start=1):
            for kb, b in enumerate(cands, start=1):
                if ka != kb and arc_ok(problem, rd, r, a, b):
                    arcs[ka, kb] = model.new_bool_var(f"a{r}_{a}_{b}")
        v.arcs[r] = arcs
        lo, hi = int(kd.rt.open[r]), int(kd.rt.max_close[r])
        v.dep0[r] = model.new_int_var(lo, hi, f"d0_{r}")
        v.ret[r] = model.new_int_var(lo, hi, f"ret{r}")
        for b in range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1])):
            es = max(int(kd.brk.earliest[b]), lo)
            ls = int(kd.brk.latest[b])
            need = model.new_bool_var(f"need{b}")
            if ls < es:  # can never be taken: the route must end before it is needed
                bs = model.new_constant(es)
                model.add(need == 0)
            else:
                bs = model.new_int_var(es, ls, f"bs{b}")
            v.brk[b] = (need, bs)
    _depot_vars(model, problem, rd, v)
    return v


def _depot_vars(model: cp_model.CpModel, problem: Problem, rd: RoutingData,
                v: RoutingVars) -> None:
    """Depot-stop and van-stock variables (only for technicians with skus in scope)."""
    dstock = problem.depots.stock
    for sr in _exact.stop_routes(problem, rd, v.arcs):
        r = sr.route
        v.skus[r] = sr.skus
        stops: dict[tuple[int, int], Any] = {}
        via: dict[tuple[int, int, int], Any] = {}
        for j, kb, d in sr.stops:
            lit = model.new_bool_var(f"p{r}_{j}_{d}")
            stops[j, d] = lit
            v.pstart[r, j, d] = model.new_int_var_from_domain(
                cp_model.Domain.from_intervals([list(w) for w in sr.opening[d]]),
                f"ps{r}_{j}_{d}")
            for a in sr.into.get(kb, ()):
                via[a, kb, d] = model.new_bool_var(f"w{r}_{a}_{kb}_{d}")
            if (r, j) not in v.stop_any:
                v.stop_any[r, j] = model.new_bool_var(f"stop{r}_{j}")
        v.stops[r] = stops
        v.via[r] = via
        for s in sr.skus:
            units = sr.units[s]
            v.bound_units[r, s] = units
            v.vstart[r, s] = model.new_int_var(0, units, f"vs{r}_{s}")
            v.vend[r, s] = model.new_int_var(0, units, f"ve{r}_{s}")
            for j in sr.cands:
                v.vin[r, j, s] = model.new_int_var(0, units, f"vi{r}_{j}_{s}")
                v.vout[r, j, s] = model.new_int_var(0, units, f"vo{r}_{j}_{s}")
                v.seg[r, j, s] = model.new_int_var(0, units, f"g{r}_{j}_{s}")
                if (r, j) in v.stop_any:
                    v.top[r, j, s] = model.new_int_var(0, units, f"mx{r}_{j}_{s}")
                    v.pick[r, j, s] = model.new_int_var(0, units, f"pk{r}_{j}_{s}")
            for (j, d) in stops:
                if dstock[d, s] > 0:
                    v.pick_at[r, j, d, s] = model.new_int_var(0, int(dstock[d, s]),
                                                              f"pd{r}_{j}_{d}_{s}")


@dataclass
class AssignmentVars:
    """Variables of the assignment model: ``x[r, j]``, ``u[j]``, ``work[r]``."""

    x: dict[tuple[int, int], Any] = field(default_factory=dict)
    u: dict[int, Any] = field(default_factory=dict)
    work: dict[int, Any] = field(default_factory=dict)


def assignment_vars(model: cp_model.CpModel, problem: Problem,
                    ad: AssignmentData) -> AssignmentVars:
    """Create the assignment model's variables."""
    v = AssignmentVars()
    for j in range(problem.num_tickets):
        v.u[j] = model.new_bool_var(f"u{j}")
        for r in np.flatnonzero(ad.able[:, j]).tolist():
            v.x[r, j] = model.new_bool_var(f"x{r}_{j}")
    for r in range(problem.num_routes):
        v.work[r] = model.new_int_var(0, max(int(ad.limit[r]), 0), f"work{r}")
    return v
