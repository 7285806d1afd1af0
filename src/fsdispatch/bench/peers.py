"""Peer VRPTW solvers (OR-Tools routing, PyVRP, VROOM), scored by our evaluator.

Each peer gets the same pure-VRPTW data (:func:`~fsdispatch.bench.vrptw_data`:
integer travel seconds, arc costs, demands, windows, service times, vehicle
capacities and shifts), runs single-threaded within a time budget, and its
routes are converted to a :class:`~fsdispatch.Plan` that
:func:`fsdispatch.evaluate` judges — the peer's own cost is kept only as a
diagnostic (``stats["backend_objective"]``).

Peers are optional: PyVRP and VROOM come with ``pip install "fsdispatch[bench]"``;
OR-Tools is a core dependency. A missing package raises
:class:`~fsdispatch.BackendUnavailableError` saying what to install.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np

from ..errors import (
    BackendFailedError,
    BackendUnavailableError,
    FsdispatchError,
    UnsupportedProblemError,
    ValidationError,
)
from ..evaluate.evaluator import evaluate
from ..plan import Plan, UnassignedReason
from ..problem.problem import Problem
from ..solvers.base import SolveResult, SolveStatus
from .vrptw import VrptwData, vrptw_data

__all__ = ["PEERS", "peer_available", "solve_peer"]

PEERS: tuple[str, ...] = ("ortools", "pyvrp", "vroom")
"""Names of the peer solvers."""

_MODULES = {"ortools": "ortools", "pyvrp": "pyvrp", "vroom": "vroom"}
_PIP = {"ortools": "ortools", "pyvrp": "pyvrp", "vroom": "pyvroom"}

Routes = list[list[int]]
"""Per vehicle (= route of the problem), the ticket indices in visit order."""


def peer_available(name: str) -> bool:
    """Whether the peer's Python package can be imported (without importing it)."""
    if name not in _MODULES:
        raise ValidationError(f"unknown peer solver {name!r}; peers: {', '.join(PEERS)}",
                              field="solver", value=name)
    return importlib.util.find_spec(_MODULES[name]) is not None


# ---------------------------------------------------------------- OR-Tools
def _solve_ortools(data: VrptwData, time_limit: float, seed: int) -> tuple[Routes, float | None]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, num_vehicles = data.num_clients, data.num_vehicles
    manager = pywrapcp.RoutingIndexManager(n + 1, num_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    cost_cb = routing.RegisterTransitMatrix(data.cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    # time transit i -> j = service at i + travel i -> j
    time_matrix = data.duration + data.service[:, None]
    time_cb = routing.RegisterTransitMatrix(time_matrix.tolist())
    horizon = data.horizon
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for i in range(1, n + 1):
        time_dim.CumulVar(manager.NodeToIndex(i)).SetRange(int(data.tw_early[i]),
                                                           int(data.tw_late[i]))
    for v in range(num_vehicles):
        lo, hi = int(data.open[v]), int(data.close[v])
        time_dim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        time_dim.CumulVar(routing.End(v)).SetRange(lo, hi)
    demand_cb = routing.RegisterUnaryTransitVector(data.demand.tolist())
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, data.capacity.tolist(), True,
                                            "Capacity")
    for i in range(1, n + 1):
        routing.AddDisjunction([manager.NodeToIndex(i)], int(data.penalty[i - 1]))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromMilliseconds(max(1, round(time_limit * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return [[] for _ in range(num_vehicles)], None
    routes: Routes = []
    for v in range(num_vehicles):
        route: list[int] = []
        index = routing.Start(v)
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                route.append(node - 1)
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return routes, float(solution.ObjectiveValue())


# ------------------------------------------------------------------- PyVRP
def _solve_pyvrp(data: VrptwData, time_limit: float, seed: int) -> tuple[Routes, float | None]:
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    n = data.num_clients
    model = Model()
    locations = [model.add_location(x=0.0, y=0.0) for _ in range(n + 1)]
    depot = model.add_depot(locations[0], tw_early=int(data.tw_early[0]),
                            tw_late=int(data.tw_late[0]))
    for i in range(1, n + 1):
        model.add_client(locations[i], delivery=[int(data.demand[i])],
                         service_duration=int(data.service[i]), tw_early=int(data.tw_early[i]),
                         tw_late=int(data.tw_late[i]), required=bool(data.servable[i - 1]))
    # vehicles with the same capacity and shift form one vehicle type
    types: dict[tuple[int, int, int], list[int]] = {}
    for v in range(data.num_vehicles):
        key = (int(data.capacity[v]), int(data.open[v]), int(data.close[v]))
        types.setdefault(key, []).append(v)
    for (capacity, lo, hi), members in types.items():
        model.add_vehicle_type(len(members), capacity=[capacity], start_depot=depot,
                               end_depot=depot, tw_early=lo, tw_late=hi)
    cost, duration = data.cost.tolist(), data.duration.tolist()
    for a in range(n + 1):
        row_cost, row_dur, frm = cost[a], duration[a], locations[a]
        for b in range(n + 1):
            if a != b:
                model.add_edge(frm, locations[b], distance=row_cost[b], duration=row_dur[b])
            else:
                model.add_edge(frm, locations[b], distance=0, duration=0)
    result = model.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    pools = [list(members) for members in types.values()]
    routes: Routes = [[] for _ in range(data.num_vehicles)]
    for route in result.best.routes():
        vehicle = pools[route.vehicle_type()].pop(0)
        routes[vehicle] = [int(act.idx) for act in route if act.is_client()]
    return routes, float(result.cost()) if result.best.is_feasible() else None


# -------------------------------------------------------------------- VROOM
def _solve_vroom(data: VrptwData, time_limit: float, seed: int) -> tuple[Routes, float | None]:
    import vroom

    n = data.num_clients
    if max(int(data.cost.max(initial=0)), data.horizon) >= 2**31:
        raise UnsupportedProblemError("VROOM takes 32-bit costs and times; this problem's "
                                      "arc costs or horizon are too large")
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=data.duration.astype(np.uint32))
    problem.set_costs_matrix(profile="car", matrix_input=data.cost.astype(np.uint32))
    for v in range(data.num_vehicles):
        problem.add_vehicle(vroom.Vehicle(
            v + 1, start=0, end=0, capacity=vroom.Amount([int(data.capacity[v])]),
            time_window=vroom.TimeWindow(int(data.open[v]), int(data.close[v]))))
    for i in range(1, n + 1):
        problem.add_job(vroom.Job(
            i, location=i, default_service=int(data.service[i]),
            delivery=vroom.Amount([int(data.demand[i])]),
            time_windows=[vroom.TimeWindow(int(data.tw_early[i]), int(data.tw_late[i]))]))
    solution = problem.solve(exploration_level=5, nb_threads=1,
                             timeout=timedelta(seconds=time_limit))
    routes: Routes = [[] for _ in range(data.num_vehicles)]
    frame = solution.routes
    jobs = frame[frame["type"] == "job"]
    for vehicle_id, job_id in zip(jobs["vehicle_id"].tolist(), jobs["id"].tolist(),
                                  strict=True):
        routes[int(vehicle_id) - 1].append(int(job_id) - 1)
    return routes, float(solution.summary.cost)


_SOLVERS: dict[str, Callable[[VrptwData, float, int], tuple[Routes, float | None]]] = {
    "ortools": _solve_ortools,
    "pyvrp": _solve_pyvrp,
    "vroom": _solve_vroom,
}


def _to_plan(problem: Problem, routes: Routes) -> Plan:
    served = {j for route in routes for j in route}
    unassigned = {j: UnassignedReason.SOLVER_LIMIT for j in range(problem.num_tickets)
                  if j not in served}
    for j in list(unassigned):
        if problem.unservable[j]:
            unassigned[j] = UnassignedReason.from_code(int(problem.unservable[j]))
    return Plan(routes=routes, unassigned=unassigned)


def solve_peer(problem: Problem, solver: str, *, time_limit: float = 10.0,
               seed: int = 0) -> SolveResult:
    """Solve a pure-VRPTW problem with a peer solver and score it with our evaluator.

    Parameters
    ----------
    problem:
        A compiled problem that is a pure VRPTW (one depot, capacities, one hard
        window per ticket; see :func:`~fsdispatch.bench.why_not_vrptw`), e.g. from
        :func:`fsdispatch.read_solomon`.
    solver:
        ``"ortools"`` (routing library, PATH_CHEAPEST_ARC then guided local
        search), ``"pyvrp"`` (iterated local search) or ``"vroom"``
        (exploration level 5; it stops on its own, usually well before the budget).
    time_limit:
        Wall-clock budget in seconds (default 10) for the peer's search.
    seed:
        Random seed (PyVRP uses it; OR-Tools and single-threaded VROOM are
        deterministic and ignore it).

    Returns
    -------
    SolveResult
        ``runtime`` is wall-clock seconds including model building;
        ``stats["backend_objective"]`` is the peer's own cost divided by the
        cost scale (the evaluator's objective is authoritative). ``status`` is
        ``FEASIBLE``, ``ERROR`` if the evaluator finds a violation, or
        ``UNKNOWN`` if the peer returned no solution.

    Raises
    ------
    UnsupportedProblemError
        The problem is not a pure VRPTW.
    BackendUnavailableError
        The peer's package is not installed (the message says what to pip install).
    BackendFailedError
        The peer raised an error (chained).
    """
    if not peer_available(solver):
        raise BackendUnavailableError(
            f"peer solver {solver!r} needs the {_PIP[solver]!r} package, which is not "
            f"installed; install it with: pip install {_PIP[solver]} "
            "(or pip install \"fsdispatch[bench]\")")
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float) \
            or not time_limit > 0:
        raise ValidationError.for_field("solve_peer", None, "time_limit", time_limit,
                                        "must be a number of seconds > 0")
    tic = time.perf_counter()
    data = vrptw_data(problem)
    try:
        routes, cost = _SOLVERS[solver](data, float(time_limit), int(seed))
    except FsdispatchError:
        raise
    except Exception as exc:
        raise BackendFailedError(f"peer solver {solver!r} failed: {exc}") from exc
    runtime = time.perf_counter() - tic
    plan = _to_plan(problem, routes)
    evaluation = evaluate(problem, plan)
    if cost is None and plan.num_assigned == 0 and problem.num_tickets:
        status = SolveStatus.UNKNOWN
    else:
        status = SolveStatus.FEASIBLE if evaluation.is_feasible else SolveStatus.ERROR
    stats: dict[str, Any] = {"cost_scale": data.cost_scale}
    if cost is not None:
        stats["backend_objective"] = cost / data.cost_scale
    return SolveResult(plan=plan, evaluation=evaluation, status=status, bound=None,
                       runtime=runtime, stats=stats, solver=solver, problem=problem)
