"""Shared pieces of the exact backends (``cpsat``, ``milp``).

Both models work on the same compiled data prepared here (candidate shifts
per ticket from ``problem.ticket_routes``, a small travel matrix computed by
the shared ``travel()`` kernel), and both hand their plan to
:func:`finish_plan`, which re-checks it with the shared evaluator, repairs it
if the model's relaxed break handling disagrees with the schedule rule, gives
every unassigned ticket a reason, and decides whether ``OPTIMAL`` may be
claimed (only when the evaluator's objective meets the proven bound).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import attrs
import numpy as np

from ..errors import BackendUnavailableError, ValidationError
from ..evaluate.evaluation import Evaluation
from ..evaluate.evaluator import evaluate
from ..plan import PLAN_MODES, Plan, UnassignedReason
from ..problem.crew import has_crews
from ..problem.problem import NO_DEADLINE, Problem
from ..problem.rows import route_weeks
from ._crew import exact_run, solve_with_crews
from .base import BackendOutput, Capabilities, Limits, ProgressCallback, SolveStatus

__all__ = [
    "CAPABILITIES",
    "ExactBackend",
    "ExactStart",
    "ResourceRows",
    "RoutingData",
    "StopRoute",
    "VanFlowVars",
    "arc_ok",
    "assigned_routes",
    "check_mode",
    "chosen_pickups",
    "depot_opening",
    "exact_warm_up",
    "finish_plan",
    "follow_circuits",
    "objective_tolerance",
    "resource_rows",
    "routes_by_technician",
    "routing_data",
    "solver_library",
    "stop_ok",
    "stop_routes",
    "stop_skus",
    "ticket_need",
    "trivial_output",
    "unservable_penalty",
    "warm_start",
]

logger = logging.getLogger(__name__)


def exact_warm_up(problem: Problem | None, solver_module: str) -> float:
    """An exact backend's warm-up: load the greedy kernels of its warm start and import
    its solver library (``solver_module``) before the clock starts; returns seconds."""
    import importlib

    from ._warm import is_traffic_day
    from .greedy import warm_up

    tic = time.perf_counter()
    warm_up(problem is None or problem.num_depots > 0, traffic=is_traffic_day(problem))
    try:
        importlib.import_module(solver_module)
    except ImportError:  # pragma: no cover - solve() says what to install
        pass
    return time.perf_counter() - tic


def solver_library(backend: str, module: str, library: str, package: str) -> Any:
    """Import an exact backend's solver library (``module``), or say what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - the libraries are dependencies
        raise BackendUnavailableError(
            f"solver {backend!r} needs {library}; install it with: pip install {package}"
        ) from exc


def warm_start(problem: Problem, mode: str) -> Plan:
    """The greedy plan: an exact backend's warm start and fallback."""
    from .greedy import GreedySolver

    if mode == "routing" and problem.crew_member_of is not None:
        from ._crew import member_start

        start = member_start(problem)
        if start is not None:  # crews split into members: the crew greedy plan
            return start
    return GreedySolver(mode=mode).solve(problem, Limits(), None, None).plan


def trivial_output(problem: Problem, mode: str, greedy: Plan,
                   stats: dict[str, Any]) -> BackendOutput | None:
    """When no ticket can be served, the all-unassigned plan (optimal); else ``None``."""
    if problem.num_routes and (problem.unservable == 0).any():
        return None
    total_penalty = float(problem.data.cost.penalty.sum())
    plan, status, extra = finish_plan(problem, [[] for _ in range(problem.num_routes)],
                                      mode, True, total_penalty, greedy)
    stats.update(extra, trivial=True)
    return BackendOutput(plan=plan, status=status, bound=total_penalty,
                         objective=total_penalty, stats=stats)


def unservable_penalty(problem: Problem) -> float:
    """The penalty the unservable tickets pay in every plan: a floor under any bound."""
    return float(problem.data.cost.penalty[problem.unservable != 0].sum())


def assigned_routes(problem: Problem, x: Mapping[tuple[int, int], Any],
                    is_on: Callable[[Any], bool]) -> list[list[int]]:
    """The assignment model's routes: the tickets whose ``x[r, j]`` is on, per route."""
    routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
    for (r, j), var in x.items():
        if is_on(var):
            routes[r].append(j)
    return routes


def follow_circuits(problem: Problem, rd: RoutingData,
                    arcs: Mapping[int, Mapping[tuple[int, int], Any]],
                    is_on: Callable[[Any], bool]) -> list[list[int]]:
    """The routing model's routes: each route's circuit followed from the depot (node 0)."""
    routes: list[list[int]] = []
    for r in range(problem.num_routes):
        cands = rd.cands[r].tolist()
        succ = {a: b for (a, b), lit in arcs[r].items() if is_on(lit)}
        route: list[int] = []
        node = succ.get(0, 0)
        while node != 0 and len(route) <= len(cands):
            route.append(cands[node - 1])
            node = succ.get(node, 0)
        routes.append(route)
    return routes


def chosen_pickups(stops: Mapping[int, Mapping[tuple[int, int], Any]],
                   is_on: Callable[[Any], bool]) -> dict[int, int]:
    """The model's depot stops: ticket index -> depot index, for each stop that is on."""
    return {j: d for r in stops for (j, d), lit in stops[r].items() if is_on(lit)}


def routes_by_technician(problem: Problem, routes: Iterable[int]) -> dict[int, list[int]]:
    """Each technician's routes among ``routes``, in shift order (the van carries over)."""
    kd, index = problem.data, problem.index
    by_tech: dict[int, list[int]] = defaultdict(list)
    for r in routes:
        by_tech[int(kd.rt.tech[r])].append(r)
    for own in by_tech.values():
        own.sort(key=lambda r: index.routes[r][1])
    return by_tech


def tech_loads(problem: Problem, rloads: Mapping[int, list[Any]]) -> dict[int, list[Any]]:
    """Each technician's work terms from each route's (``rloads``: route -> terms)."""
    loads: dict[int, list[Any]] = defaultdict(list)
    for r, items in rloads.items():
        loads[int(problem.data.rt.tech[r])].extend(items)
    return loads


@attrs.frozen
class WeekRow:
    """One technician-week with a weekly rule, as both exact models add it: the routes
    whose work counts (each in the week of its start), the work done before the horizon,
    the cap (``max_weekly_work``) and the weekly-overtime threshold (``NO_DEADLINE``:
    none), and an upper bound on the week's work (its routes' longest days)."""

    tech: int
    week: int
    routes: list[int]
    done: int
    cap: int
    after: int
    upper: int


def week_rows(problem: Problem) -> list[WeekRow]:
    """The technician-weeks with a weekly cap or weekly-overtime threshold (the rule of
    :func:`fsdispatch.kernels.weekly.week_state`)."""
    kd = problem.data
    week = kd.week
    if week.start.shape[0] == 0:
        return []
    k_of = route_weeks(week.start, kd.rt.open)
    by: dict[tuple[int, int], list[int]] = defaultdict(list)
    for r, k in enumerate(k_of.tolist()):
        if k >= 0:
            by[(int(kd.rt.tech[r]), k)].append(r)
    out = []
    for (t, k), routes in sorted(by.items()):
        cap, after = int(week.cap[t, k]), int(week.after[t, k])
        if cap >= NO_DEADLINE and after >= NO_DEADLINE:
            continue
        upper = int(sum(int(kd.rt.max_close[r] - kd.rt.open[r]) for r in routes))
        out.append(WeekRow(t, k, routes, int(week.done[t, k]), cap, after,
                           upper + int(week.done[t, k])))
    return out


@attrs.frozen(eq=False)
class ResourceRows:
    """The resource rows both exact models add, in the order they add them.

    Attributes
    ----------
    once:
        Per ticket, its ``x`` variables (with its ``u``, exactly one is on).
    capacity:
        ``(route, [(demand, var)], capacity)`` for each route whose candidates
        could exceed its demand capacity.
    day:
        ``(group, vars, cap)`` for each tickets-per-day group that could exceed its cap.
    stock:
        ``(technician, sku, [(units, var)], stock)`` for each van-stock sum that
        could exceed the van's stock (not for the skus the depot-stop model follows).
    """

    once: Mapping[int, list[Any]]
    capacity: list[tuple[int, list[tuple[int, Any]], int]]
    day: list[tuple[int, list[Any], int]]
    stock: list[tuple[int, int, list[tuple[int, Any]], int]]


def resource_rows(problem: Problem, x: Mapping[tuple[int, int], Any],
                  flow: Mapping[int, list[int]] | None = None) -> ResourceRows:
    """Each ticket once or unassigned; demand capacity, tickets per day, van stock.

    Rows that cannot bind are left out. ``flow`` maps a technician to the skus
    whose stock the depot-stop model follows instead (no plain van-stock sum for those).
    """
    kd = problem.data
    by_ticket: dict[int, list[Any]] = defaultdict(list)
    by_route: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for (r, j), var in x.items():
        by_ticket[j].append(var)
        by_route[r].append((j, var))
    capacity: list[tuple[int, list[tuple[int, Any]], int]] = []
    by_group: dict[int, list[Any]] = defaultdict(list)
    by_tech: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for r, items in by_route.items():
        demand = [(int(kd.res.demand[j]), var) for j, var in items if kd.res.demand[j]]
        if demand and sum(d for d, _ in demand) > kd.rt.capacity[r]:
            capacity.append((r, demand, int(kd.rt.capacity[r])))
        by_group[int(kd.rt.group[r])].extend(var for _, var in items)
        by_tech[int(kd.rt.tech[r])].extend(items)
    day = [(g, vars_, int(kd.rt.group_cap[g])) for g, vars_ in by_group.items()
           if len(vars_) > kd.rt.group_cap[g]]
    stock: list[tuple[int, int, list[tuple[int, Any]], int]] = []
    for t, items in by_tech.items():
        use: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        for j, var in items:
            for p in range(int(kd.res.part_ptr[j]), int(kd.res.part_ptr[j + 1])):
                use[int(kd.res.part_sku[p])].append((int(kd.res.part_qty[p]), var))
        for s, terms in use.items():
            if flow and s in flow.get(t, ()):
                continue
            if sum(q for q, _ in terms) > kd.res.stock[t, s]:
                stock.append((t, s, terms, int(kd.res.stock[t, s])))
    return ResourceRows(once=by_ticket, capacity=capacity, day=day, stock=stock)


@dataclass(frozen=True)
class ExactStart:
    """What an exact backend's search starts from (see :meth:`ExactBackend.solve`)."""

    library: Any
    """The imported solver library module."""
    tic: float
    """``time.perf_counter()`` when the solve started (after the library import)."""
    greedy: Plan
    """The greedy plan: the warm start and the fallback."""
    stats: dict[str, Any]
    """The solve's stats, ``{"mode": ...}`` so far; the search adds to it."""


class ExactBackend:
    """What the ``cpsat`` and ``milp`` backends share: the mode check, the capabilities by
    mode, the warm-up, and the start of :meth:`solve` (crews, the library import, the greedy
    warm start and the trivial case) before the backend's own :meth:`_search`.

    A subclass names its solver library (``_library``: module, name, pip package) and the
    largest routing-mode instance it takes (``_routing_size``: tickets, routes).
    """

    __slots__ = ()
    mode: str
    name: str
    _library: ClassVar[tuple[str, str, str]]
    _routing_size: ClassVar[tuple[int, int]]

    def __attrs_post_init__(self) -> None:
        check_mode(type(self).__name__, self.mode)

    def default_capabilities(self) -> Capabilities:
        """Assignment mode takes up to 2,000 tickets and 200 routes; routing mode (with crews)
        up to ``_routing_size``. Time-dependent travel is not modelled."""
        if self.mode == "assignment":
            return Capabilities(exact=True, max_tickets=2000, max_routes=200,
                                time_dependent=False)
        tickets, routes = self._routing_size
        return Capabilities(exact=True, max_tickets=tickets, max_routes=routes, crews=True,
                            time_dependent=False)

    def warm_up(self, problem: Problem | None = None) -> float:
        """Load the greedy kernels of the warm start and import the solver library before
        the clock starts; returns seconds."""
        return exact_warm_up(problem, self._library[0])

    def solve(self, problem: Problem, limits: Limits, seed: int | None,
              progress: ProgressCallback | None) -> BackendOutput:
        """Build and solve the model; see the class docstring."""
        limits.warn_unsupported(self.name, {"time_limit", "rel_gap"})
        if self.mode == "routing" and has_crews(problem):
            return solve_with_crews(problem, self.name, lambda space: exact_run(
                space, lambda free: self.solve(free, limits, seed, progress)))
        library = solver_library(self.name, *self._library)
        tic = time.perf_counter()
        greedy = warm_start(problem, self.mode)
        stats: dict[str, Any] = {"mode": self.mode}
        trivial = trivial_output(problem, self.mode, greedy, stats)
        if trivial is not None:  # nothing can be served: the all-unassigned plan is optimal
            return trivial
        return self._search(problem, limits, seed, progress,
                            ExactStart(library, tic, greedy, stats))

    def _search(self, problem: Problem, limits: Limits, seed: int | None,
                progress: ProgressCallback | None, start: ExactStart) -> BackendOutput:
        """Build the model and search (the backend's own part of :meth:`solve`)."""
        raise NotImplementedError


CAPABILITIES = attrs.Factory(ExactBackend.default_capabilities, takes_self=True)
"""The default of an exact backend's ``capabilities`` field (by its mode)."""


def check_mode(backend: str, mode: str) -> None:
    """Raise a :class:`ValidationError` unless ``mode`` is a plan mode."""
    if mode not in PLAN_MODES:
        raise ValidationError.for_field(backend, None, "mode", mode,
                                        "must be 'routing' or 'assignment'")


def objective_tolerance(value: float) -> float:
    """Absolute tolerance used to compare a model's objective with the evaluator's."""
    return 1e-6 * max(1.0, abs(value))


@dataclass
class VanFlowVars:
    """The van-stock variables both routing models keep, per route ``r``, ticket ``j`` and
    sku ``s`` in the technician's scope ``skus[r]`` (see ``docs/optimality.md``).

    ``vin``/``vout`` (van before the stop and after the ticket), ``seg`` (parts
    needed from ``j`` up to the route's next stop), ``top = max(vin, seg)``,
    ``pick`` (picked at the stop before ``j``), ``pick_at[r, j, d, s]`` (the
    same, per depot); ``vstart``/``vend`` per route and sku.
    """

    skus: dict[int, list[int]] = field(default_factory=dict)
    vin: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    vout: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    seg: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    top: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    pick: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    pick_at: dict[tuple[int, int, int, int], Any] = field(default_factory=dict)
    vstart: dict[tuple[int, int], Any] = field(default_factory=dict)
    vend: dict[tuple[int, int], Any] = field(default_factory=dict)


@attrs.frozen(eq=False)
class RoutingData:
    """What both routing models need, derived only from the compiled problem.

    Attributes
    ----------
    nodes:
        int64 ``(K,)``: the problem nodes used (tickets' and routes' start/end).
    tt, km:
        ``(K, K)`` travel seconds (int64) and km (float64) between ``nodes``
        positions, from the shared ``travel()`` kernel.
    ticket_pos, start_pos, end_pos:
        Positions in ``nodes`` of each ticket ``(N,)`` and each route's start
        and end ``(R,)``.
    cands:
        Per route, the tickets it can serve on its own (``problem.routes_for``).
    service:
        int64 ``(R, N)``: service seconds of the route's technician.
    horizon:
        Latest time any route may end (max of shift end + overtime).
    depot_pos:
        int64 ``(D,)``: positions in ``nodes`` of the depots (``problem.depots.node``).
    """

    nodes: np.ndarray
    tt: np.ndarray
    km: np.ndarray
    ticket_pos: np.ndarray
    start_pos: np.ndarray
    end_pos: np.ndarray
    cands: tuple[np.ndarray, ...]
    service: np.ndarray
    horizon: int
    depot_pos: np.ndarray = attrs.field(factory=lambda: np.zeros(0, dtype=np.int64))

    def earliest(self, problem: Problem, j: int) -> int:
        """Earliest possible service start of ticket ``j`` (first window start)."""
        win = problem.data.win
        return int(win.start[win.ptr[j]])

    def latest(self, problem: Problem, j: int) -> int:
        """Latest service start of ticket ``j`` (last window end; horizon for soft windows)."""
        win = problem.data.win
        if win.soft[j]:
            return self.horizon
        return min(int(win.end[win.ptr[j + 1] - 1]), self.horizon)

    def windows(self, problem: Problem, j: int) -> list[tuple[int, int]]:
        """Allowed service-start intervals of ``j``: its windows, plus lateness if soft."""
        win = problem.data.win
        out = [(int(win.start[w]), min(int(win.end[w]), self.horizon))
               for w in range(win.ptr[j], win.ptr[j + 1])]
        out = [(a, b) for a, b in out if a <= b]
        if win.soft[j]:
            last = int(win.end[win.ptr[j + 1] - 1])
            if last < self.horizon:
                out.append((max(last, 0), self.horizon))
        return out


def arc_ok(problem: Problem, rd: RoutingData, r: int, a: int, b: int) -> bool:
    """Whether ticket ``b`` can follow ticket ``a`` on route ``r`` (time-window pruning)."""
    kd = problem.data
    ta = rd.tt[rd.start_pos[r], rd.ticket_pos[a]]
    ea = max(rd.earliest(problem, a), int(kd.rt.open[r]) + int(ta))
    pa, pb = int(rd.ticket_pos[a]), int(rd.ticket_pos[b])
    leg = int(rd.tt[pa, pb])
    if rd.depot_pos.shape[0]:  # a depot stop between a and b may be faster without the
        # triangle inequality (rounded or explicit travel times): keep such arcs
        dp = rd.depot_pos
        via = rd.tt[pa, dp] + problem.depots.pickup + rd.tt[dp, pb]
        leg = min(leg, int(via.min()))
    arrive = ea + int(rd.service[r, a]) + leg
    if arrive > rd.latest(problem, b):
        return False
    sb = max(arrive, rd.earliest(problem, b))
    back = sb + int(rd.service[r, b]) + int(rd.tt[rd.ticket_pos[b], rd.end_pos[r]])
    return back <= int(kd.rt.max_close[r])


def routing_data(problem: Problem) -> RoutingData:
    """Prepare :class:`RoutingData` for ``problem`` (a travel matrix over the nodes used)."""
    kd = problem.data
    nodes = np.unique(np.concatenate([kd.ticket_node, kd.rt.start_node, kd.rt.end_node,
                                      problem.depots.node]))
    tt = np.zeros((nodes.shape[0], nodes.shape[0]), dtype=np.int64)
    km = np.zeros((nodes.shape[0], nodes.shape[0]))
    if nodes.shape[0]:
        from ._exact_kernels import travel_matrix

        travel_matrix(kd.tv, nodes, tt, km)
    cands = [[] for _ in range(problem.num_routes)]  # type: list[list[int]]
    for j in range(problem.num_tickets):
        for r in problem.routes_for(j).tolist():
            cands[r].append(j)
    service = (kd.tech.service[kd.rt.tech].astype(np.int64) if problem.num_routes
               else np.zeros((0, problem.num_tickets), dtype=np.int64))
    horizon = int(kd.rt.max_close.max()) if problem.num_routes else 0
    return RoutingData(nodes=nodes, tt=tt, km=km,
                       ticket_pos=np.searchsorted(nodes, kd.ticket_node),
                       start_pos=np.searchsorted(nodes, kd.rt.start_node),
                       end_pos=np.searchsorted(nodes, kd.rt.end_node),
                       depot_pos=np.searchsorted(nodes, problem.depots.node).astype(np.int64),
                       cands=tuple(np.array(c, dtype=np.int64) for c in cands),
                       service=service, horizon=horizon)


def stop_skus(problem: Problem) -> dict[int, list[int]]:
    """Per technician, the skus a depot stop may have to supply (the parts model's scope).

    A sku is in scope for technician ``t`` when the tickets ``t`` can serve
    need more of it in total than the van holds and some depot holds it.
    Outside that scope the lazy pick-up rule never picks anything (the van
    covers every remaining need), so plain van-stock sums are exact.
    """
    kd = problem.data
    num_skus = kd.res.stock.shape[1]
    if not problem.num_depots or not num_skus or not problem.num_routes:
        return {}
    held = (problem.depots.stock > 0).any(axis=0)
    need = np.zeros((problem.num_technicians, num_skus), dtype=np.int64)
    for j in range(problem.num_tickets):
        lo, hi = int(kd.res.part_ptr[j]), int(kd.res.part_ptr[j + 1])
        routes = problem.routes_for(j)
        if hi == lo or not routes.shape[0]:
            continue
        for t in np.unique(kd.rt.tech[routes]).tolist():
            np.add.at(need[t], kd.res.part_sku[lo:hi], kd.res.part_qty[lo:hi])
    out: dict[int, list[int]] = {}
    for t in range(problem.num_technicians):
        skus = np.flatnonzero((need[t] > kd.res.stock[t]) & held).tolist()
        if skus:
            out[t] = skus
    return out


def ticket_need(problem: Problem, j: int, s: int) -> int:
    """Units of sku ``s`` ticket ``j`` needs."""
    res = problem.data.res
    lo, hi = int(res.part_ptr[j]), int(res.part_ptr[j + 1])
    return int(res.part_qty[lo:hi][res.part_sku[lo:hi] == s].sum())


def depot_opening(problem: Problem, d: int, horizon: int) -> list[tuple[int, int]]:
    """Allowed pick-up starts at depot ``d`` (its windows, cut to the horizon)."""
    win = problem.depots.win
    out = [(int(win.start[w]), min(int(win.end[w]), horizon))
           for w in range(int(win.ptr[d]), int(win.ptr[d + 1]))]
    return [(a, b) for a, b in out if a <= b]


def stop_ok(problem: Problem, rd: RoutingData, r: int, j: int, d: int,
            opening: list[tuple[int, int]]) -> bool:
    """Whether a stop at depot ``d`` right before ticket ``j`` can fit in route ``r`` at all."""
    kd = problem.data
    dp = int(rd.depot_pos[d])
    arrive = int(kd.rt.open[r]) + int(rd.tt[rd.start_pos[r], dp])
    starts = [max(a, arrive) for a, b in opening if b >= arrive]
    if not starts:
        return False
    at_j = starts[0] + int(problem.depots.pickup[d]) + int(rd.tt[dp, rd.ticket_pos[j]])
    if at_j > rd.latest(problem, j):
        return False
    s = max(at_j, rd.earliest(problem, j))
    back = s + int(rd.service[r, j]) + int(rd.tt[rd.ticket_pos[j], rd.end_pos[r]])
    return back <= int(kd.rt.max_close[r])


@attrs.frozen(eq=False)
class StopRoute:
    """A route whose technician has skus in the depot-stop scope, and its possible stops.

    Attributes
    ----------
    route, tech:
        The route and its technician.
    skus:
        The skus in the technician's scope (:func:`stop_skus`).
    cands:
        The tickets the route can serve (``rd.cands[route]``); local node ``k``
        is ``cands[k - 1]``.
    stops:
        ``(j, k, d)`` for each stop at depot ``d`` that can fit right before
        ticket ``j`` (local node ``k``), in ticket then depot order.
    into:
        Local node -> the local nodes with an arc into it.
    units:
        Per sku, a bound on the units the van can hold (van + all depots + all needs).
    opening:
        Per depot, its allowed pick-up starts.
    """

    route: int
    tech: int
    skus: list[int]
    cands: list[int]
    stops: list[tuple[int, int, int]]
    into: dict[int, list[int]]
    units: dict[int, int]
    opening: Mapping[int, list[tuple[int, int]]]


def stop_routes(problem: Problem, rd: RoutingData,
                arcs: Mapping[int, Mapping[tuple[int, int], Any]]) -> list[StopRoute]:
    """The routes the depot-stop and van-flow variables are made for (both routing models)."""
    kd = problem.data
    scope = stop_skus(problem)
    if not scope:
        return []
    dstock = problem.depots.stock
    opening = {d: depot_opening(problem, d, rd.horizon) for d in range(problem.num_depots)}
    out: list[StopRoute] = []
    for r in range(problem.num_routes):
        t = int(kd.rt.tech[r])
        skus = scope.get(t)
        if not skus:
            continue
        cands = rd.cands[r].tolist()
        depots = [d for d in range(problem.num_depots)
                  if (dstock[d, skus] > 0).any() and opening[d]]
        into: dict[int, list[int]] = {}
        for (a, b) in arcs[r]:
            into.setdefault(b, []).append(a)
        stops = [(j, k, d) for k, j in enumerate(cands, start=1) for d in depots
                 if stop_ok(problem, rd, r, j, d, opening[d])]
        units = {s: int(kd.res.stock[t, s]) + int(dstock[:, s].sum())
                 + sum(ticket_need(problem, j, s) for j in cands) for s in skus}
        out.append(StopRoute(r, t, skus, cands, stops, into, units, opening))
    return out


def _with_reasons(problem: Problem, routes: list[list[int]], mode: str,
                  pickups: dict[int, int] | None = None) -> Plan:
    unassigned: dict[int, UnassignedReason] = {}
    routed = {j for route in routes for j in route}
    for j in range(problem.num_tickets):
        if j in routed:
            continue
        code = int(problem.unservable[j])
        unassigned[j] = (UnassignedReason.from_code(code) if code
                         else UnassignedReason.NOT_PROFITABLE)
    stops = {j: d for j, d in (pickups or {}).items() if j in routed}
    return Plan(routes=routes, unassigned=unassigned, mode=mode, pickups=stops)


def _without_visit(routes: list[list[int]], pickups: dict[int, int], r: int,
                   p: int) -> tuple[list[list[int]], dict[int, int]]:
    """Drop visit ``p`` of route ``r``; a depot stop before it moves to the next visit."""
    out = [list(x) for x in routes]
    stops = dict(pickups)
    j = out[r].pop(p)
    d = stops.pop(j, None)
    if d is not None and p < len(out[r]) and out[r][p] not in stops:
        stops[out[r][p]] = d
    return out, stops


def _repair(problem: Problem, plan: Plan, ev: Evaluation) -> tuple[Plan, Evaluation, int]:
    """Drop visits from routes the evaluator rejects until none is rejected."""
    index = problem.index
    label_to_route = {index.route_label(r): r for r in range(problem.num_routes)}
    routes = [list(r) for r in plan.routes]
    pickups = dict(plan.pickups)
    dropped = 0
    while not ev.is_feasible:
        bad = sorted({label_to_route[v.route] for v in ev.violations if v.route in label_to_route})
        if not bad:  # a violation not tied to a route: give up on this plan
            empty = _with_reasons(problem, [[] for _ in routes], plan.mode)
            return empty, evaluate(problem, empty), dropped + sum(len(r) for r in routes)
        r = bad[0]
        best: tuple[int, float, int] | None = None
        for p in range(len(routes[r])):
            trial, stops = _without_visit(routes, pickups, r, p)
            tev = evaluate(problem, _with_reasons(problem, trial, plan.mode, stops))
            on_r = sum(1 for v in tev.violations if v.route == index.route_label(r))
            key = (on_r, tev.objective, p)
            if best is None or key < best:
                best = key
        assert best is not None
        routes, pickups = _without_visit(routes, pickups, r, best[2])
        dropped += 1
        plan = _with_reasons(problem, routes, plan.mode, pickups)
        ev = evaluate(problem, plan)
    return plan, ev, dropped


def _fill(problem: Problem, plan: Plan) -> Plan:
    """Give unassigned servable tickets a checked reason by trying to insert them (greedy)."""
    from .greedy import GreedySolver

    if problem.crew_member_of is not None:  # crew members are placed by crews, not alone
        from ._crew import without_members

        problem = without_members(problem)
    out = GreedySolver(initial_plan=plan, mode=plan.mode).solve(problem, Limits(), None, None)
    return out.plan


def finish_plan(problem: Problem, routes: list[list[int]] | None, mode: str,
                native_optimal: bool, bound: float | None,
                fallback: Plan | None,
                pickups: dict[int, int] | None = None) -> tuple[Plan, SolveStatus, dict[str, Any]]:
    """Turn a model's routes into the returned plan and status (see the module docstring).

    Parameters
    ----------
    routes:
        The model's routes (``None`` when it found no solution).
    native_optimal:
        The native solver proved its model optimal.
    bound:
        A valid lower bound on the evaluator's objective (or ``None``).
    fallback:
        A feasible plan to fall back to (the greedy warm start).
    pickups:
        The model's depot stops (ticket index -> depot index), kept with the
        routes (a stop before a dropped visit moves to the next visit).

    Returns
    -------
    plan, status, stats
    """
    stats: dict[str, Any] = {}
    candidates: list[tuple[float, int, Plan, str]] = []
    if routes is not None:
        plan = _with_reasons(problem, routes, mode, pickups)
        ev = evaluate(problem, plan)
        stats["model_plan_objective"] = ev.objective
        if not ev.is_feasible:
            kinds = sorted({v.kind for v in ev.violations})
            logger.info("model plan breaks %s under the schedule rule; repairing", kinds)
            stats["repaired_violations"] = kinds
            plan, ev, dropped = _repair(problem, plan, ev)
            stats["repair_dropped"] = dropped
        filled = _fill(problem, plan)
        fev = evaluate(problem, filled)
        if fev.is_feasible and fev.objective <= ev.objective + objective_tolerance(ev.objective):
            plan, ev = filled, fev
        else:
            reasons = dict(filled.unassigned)
            unassigned = {j: reasons.get(j, UnassignedReason.NOT_PROFITABLE)
                          if not problem.unservable[j] else reason
                          for j, reason in plan.unassigned.items()}
            plan = Plan(plan.routes, unassigned, mode=mode, pickups=plan.pickups)
            ev = evaluate(problem, plan)
        candidates.append((ev.objective, 0, plan, "model"))
    if fallback is not None:
        fev = evaluate(problem, fallback)
        if fev.is_feasible:
            candidates.append((fev.objective, 1, fallback, "warm_start"))
    if not candidates:
        empty = _with_reasons(problem, [[] for _ in range(problem.num_routes)], mode)
        empty = Plan(empty.routes, {j: (r if problem.unservable[j]
                                        else UnassignedReason.SOLVER_LIMIT)
                                    for j, r in empty.unassigned.items()}, mode=mode)
        stats["source"] = "none"
        return empty, SolveStatus.UNKNOWN, stats
    objective, _, plan, source = min(candidates, key=lambda c: (c[0], c[1]))
    stats["source"] = source
    status = SolveStatus.FEASIBLE
    if bound is not None and objective <= bound + objective_tolerance(bound):
        status = SolveStatus.OPTIMAL
    elif native_optimal:
        logger.info("model optimal but the evaluator's objective %.6f exceeds the bound "
                    "%.6f (relaxed breaks or inexact scaling): reporting FEASIBLE",
                    objective, bound if bound is not None else float("nan"))
    if bound is not None and objective < bound - objective_tolerance(bound):
        logger.warning("evaluator objective %.6f is below the model bound %.6f: the model is "
                       "not a relaxation (a bug)", objective, bound)
    return plan, status, stats
