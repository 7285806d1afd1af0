"""The ``greedy`` backend: priority- and SLA-aware regret insertion."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._debug import assert_mode, check_close, objective_of
from ..errors import InternalCheckError, UnsupportedProblemError, ValidationError
from ..evaluate.evaluator import evaluate
from ..kernels.routes import RouteState, balance_cost, clear_routes, lay_routes, routes_cost
from ..kernels.structs import as_struct
from ..plan import PLAN_MODES, Plan, UnassignedReason
from ..problem.assignment import assignment_data
from ..problem.crew import has_crews
from ..problem.objective import choice_cost
from ..problem.problem import Problem
from ..problem.rows import route_weeks
from ._crew import solve_with_crews
from ._greedy_kernels import (
    Cands,
    balanced_keys,
    candidate_routes,
    fill_beyond_candidates,
    fill_with_pickups,
    greedy_init,
    greedy_steps,
    parts_blocked,
    weekly_blocked,
)
from .base import BackendOutput, Capabilities, Limits, ProgressCallback, ProgressEvent, SolveStatus

__all__ = ["GreedySolver", "assign_greedy", "copy_state", "make_state", "state_pickups",
           "state_routes", "warm_up"]

_CHUNK = 256


def warm_up(depots: bool = True, *, evaluator_ahead: bool = True,
            traffic: bool = False) -> float:
    """Compile (or load from the on-disk cache) the greedy kernels once; returns seconds.

    Runs the backend on a tiny generated day, so the first real solve's time
    limit (or a backend's greedy start) is not spent compiling. With
    ``depots`` the day has a depot, which also loads the depot-stop kernels;
    without, only what a day without depots runs is compiled (a quicker
    cold start). On a cold cache the evaluator's kernels compile in a second
    process meanwhile (:mod:`fsdispatch.solvers._ahead`) unless
    ``evaluator_ahead`` is false. ``traffic``: the kernels of a day with
    time-dependent travel (of another type: a static day's compile the schedule
    rule's static variant). Later calls return 0 at once.
    """
    from ._warm import warm_greedy

    return warm_greedy(depots, evaluator_ahead=evaluator_ahead, traffic=traffic)


def make_state(problem: Problem, routes: Sequence[Sequence[int]] | None = None,
               pickups: Mapping[int, int] | None = None) -> RouteState:
    """Arrays of a partial plan: empty routes, or ``routes``, with their caches built.

    The width leaves room for every route's longest feasible day, so arrays never grow.
    ``pickups`` (ticket -> depot, as in :attr:`Plan.pickups`): the routing heuristics
    stop at a depot only first thing, so a route with any stop starts with the
    stop of its earliest ticket that has one.
    """
    kd = problem.data
    num_routes = problem.num_routes
    width = _route_width(problem)
    if routes:
        width = max(width, max((len(r) for r in routes), default=0) + 1)
    num_techs = problem.num_technicians
    tech_ptr = np.zeros(num_techs + 1, dtype=np.int64)
    np.cumsum(np.bincount(kd.rt.tech, minlength=num_techs), out=tech_ptr[1:])
    num_skus = kd.res.stock.shape[1]
    nb = int(np.diff(kd.brk.ptr).max(initial=0)) + 1
    st = as_struct(RouteState(
        seq=np.empty((num_routes, width), dtype=np.int64),
        length=np.empty(num_routes, dtype=np.int64),
        free_t=np.empty((num_routes, width), dtype=np.int64),
        bptr=np.empty((num_routes, width), dtype=np.int64),
        vcost=np.empty((num_routes, width)),
        lab=np.empty((num_routes, width + 1, nb), dtype=np.int64),
        pcost=np.empty((num_routes, width + 1, nb)),
        pred=np.empty((num_routes, width + 1, nb), dtype=np.int64),
        legt=np.empty((num_routes, width + 1), dtype=np.int64),
        legd=np.empty((num_routes, width + 1)),
        lstart=np.empty((num_routes, width), dtype=np.int64),
        lrate=np.empty((num_routes, width)),
        absorb=np.empty((num_routes, width), dtype=np.bool_),
        ret=np.empty(num_routes, dtype=np.int64),
        rtrav=np.empty(num_routes, dtype=np.int64),
        load=np.empty(num_routes, dtype=np.int64),
        group_count=np.zeros(kd.rt.group_cap.shape[0], dtype=np.int64),
        usage=np.zeros_like(kd.res.stock),
        open_t=np.empty(num_routes, dtype=np.int64),
        start_n=np.empty(num_routes, dtype=np.int64),
        pick=np.empty(num_routes, dtype=np.int64),
        pick_was=np.empty(num_routes, dtype=np.int64),
        rneed=np.empty((num_routes, num_skus), dtype=np.int64),
        take=np.empty((num_routes, num_skus), dtype=np.int64),
        dused=np.zeros((problem.num_depots, num_skus), dtype=np.int64),
        tech_ptr=tech_ptr,
        tbuf=np.zeros(max(int(np.diff(tech_ptr).max(initial=0)), 1), dtype=np.int64),
    ), one_type=True)
    clear_routes(kd, st, np.arange(num_routes, dtype=np.int64))
    if routes:
        routes = list(routes)[:num_routes]
        ptr = np.zeros(num_routes + 1, dtype=np.int64)
        np.cumsum([len(routes[r]) if r < len(routes) else 0 for r in range(num_routes)],
                  out=ptr[1:])
        visits = np.fromiter((int(j) for route in routes for j in route), dtype=np.int64,
                             count=int(ptr[-1]))
        picks = np.full(num_routes, -1, dtype=np.int64)
        for r, route in enumerate(routes):
            stops = [pickups[j] for j in route if j in pickups] if pickups else []
            if stops and 0 <= stops[0] < problem.num_depots:
                picks[r] = int(stops[0])
        lay_routes(kd, st, ptr, visits, picks)
    return st


def parts_left_out(problem: Problem, st: RouteState, tickets: np.ndarray) -> set[int]:
    """Which of ``tickets`` (that fit no route) are kept out by parts alone: some able route
    has room and time for them but the van and the depots no longer hold their parts
    (reason ``no_part`` rather than ``no_capacity``)."""
    tickets = np.asarray(tickets, dtype=np.int64)
    kd = problem.data
    tickets = tickets[kd.res.part_ptr[tickets + 1] > kd.res.part_ptr[tickets]]
    if not tickets.shape[0]:
        return set()
    out = np.zeros(tickets.shape[0], dtype=np.bool_)
    parts_blocked(kd, problem.ticket_routes_ptr, problem.ticket_routes, st, tickets, out)
    return set(tickets[out].tolist())


def week_left_out(problem: Problem, st: RouteState, tickets: np.ndarray) -> set[int]:
    """Which of ``tickets`` (that fit no route) some able route could take but for its
    technician's weekly work cap (reason ``weekly_hours``)."""
    kd = problem.data
    tickets = np.asarray(tickets, dtype=np.int64)
    if kd.week.start.shape[0] == 0 or not tickets.shape[0]:
        return set()
    out = np.zeros(tickets.shape[0], dtype=np.bool_)
    weekly_blocked(kd, problem.ticket_routes_ptr, problem.ticket_routes, st, tickets, out)
    return set(tickets[out].tolist())


def copy_state(st: RouteState) -> RouteState:
    """A deep copy of a state (its own arrays)."""
    fields: Any = getattr(st, "fields", st)
    return as_struct(type(fields)(*(a.copy() for a in fields)), one_type=True)


def state_pickups(st: RouteState) -> dict[int, int]:
    """Depot stops of a state as :attr:`Plan.pickups` (on each route's first ticket)."""
    return {int(st.seq[r, 0]): int(st.pick[r]) for r in np.flatnonzero(st.pick >= 0).tolist()
            if st.length[r] > 0}


def state_routes(st: RouteState) -> list[tuple[int, ...]]:
    """Route sequences of a state as tuples."""
    return [tuple(int(j) for j in st.seq[r, :st.length[r]]) for r in range(st.seq.shape[0])]


def _route_width(problem: Problem) -> int:
    """An upper bound on any feasible route's length (so arrays never grow)."""
    return route_width(problem.data.rt, min_service(problem), problem.num_tickets)


def min_service(problem: Problem) -> np.ndarray:
    """Per technician: the shortest service of a ticket it may serve (at least 1 s), what
    :func:`_route_width` divides each shift by (``2**31 - 1``: no such ticket)."""
    from ._greedy_kernels import tech_min_service

    return tech_min_service(problem.compatible, problem.data.tech.service)


def grown_min_service(shortest: np.ndarray, compat: np.ndarray,
                      service: np.ndarray) -> np.ndarray:
    """:func:`min_service` of a problem grown by one ticket column (``compat``: its codes,
    ``service``: its service seconds per technician) from ``shortest``, the problem's."""
    return np.where(compat == 0, np.minimum(shortest, np.maximum(service, 1)), shortest)


def route_width(rt: Any, shortest: np.ndarray, num_tickets: int) -> int:
    """:func:`_route_width` from the route arrays and :func:`min_service`."""
    from ._greedy_kernels import width_from_min_service

    return int(width_from_min_service(shortest, num_tickets, rt.tech, rt.open, rt.max_close,
                                      rt.group_cap, rt.group))


@attrs.frozen
class GreedySolver:
    """Regret-2 insertion over every able technician shift.

    Each round inserts the most urgent ticket (priority first; then the largest
    regret — how much it loses if its best route is taken —; then the earliest
    SLA deadline) at its cheapest feasible position, pricing travel, SLA and
    soft-window lateness, overtime, labour and preference exactly as the
    evaluator does. Tickets with no feasible insertion are left unassigned with
    a reason. Deterministic (the seed is not used).

    Parameters
    ----------
    max_candidates:
        Per ticket, only the this many able routes whose start is nearest are
        priced (granular neighbourhood; default 24, i.e. all of them for teams
        of up to 24 shifts). Larger values search more and cost time roughly
        linearly (see ``docs/benchmarks.md``).
    initial_plan:
        Routes to start from (kept as they are; only unassigned tickets are inserted).
    mode:
        ``"routing"`` (default: sequenced routes) or ``"assignment"``: give
        each ticket a technician shift without sequencing (see
        :func:`assign_greedy`); the plan's ``mode`` says which.
    """

    max_candidates: int = attrs.field(default=24)
    initial_plan: Plan | None = None
    mode: str = attrs.field(default="routing", validator=attrs.validators.instance_of(str))
    name: str = "greedy"
    capabilities: Capabilities = attrs.field(factory=lambda: Capabilities(crews=True))

    def __attrs_post_init__(self) -> None:
        m = self.max_candidates
        if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
            raise ValidationError.for_field("GreedySolver", None, "max_candidates", m,
                                            "must be an integer >= 1")
        if self.mode not in PLAN_MODES:
            raise ValidationError.for_field("GreedySolver", None, "mode", self.mode,
                                            "must be 'routing' or 'assignment'")

    def warm_up(self, problem: Problem | None = None) -> float:
        """Load the compiled kernels once per process (see :func:`warm_up`): those a day
        like ``problem`` runs (a static day's, all of them, when ``None``); returns seconds."""
        from ._warm import is_traffic_day

        return warm_up(problem is None or problem.num_depots > 0,
                       traffic=is_traffic_day(problem))

    def solve(self, problem: Problem, limits: Limits, seed: int | None,
              progress: ProgressCallback | None) -> BackendOutput:
        """Insert every servable ticket; see the class docstring."""
        if has_crews(problem):
            if self.initial_plan is not None or self.mode != "routing":
                raise UnsupportedProblemError(
                    "greedy: crew jobs (crew_size > 1) are planned in routing mode without "
                    "an initial_plan")
            return solve_with_crews(problem, self.name, lambda space: attrs.evolve(
                self, initial_plan=space.plan).solve(space.problem, limits, seed, progress))
        limits.warn_unsupported(self.name, {"time_limit", "max_iterations"})
        if self.mode == "assignment":
            plan = assign_greedy(problem, self.initial_plan)
            return BackendOutput(plan=plan, status=SolveStatus.FEASIBLE,
                                 stats={"mode": "assignment"})
        tic = time.perf_counter()
        clock = _Clock(tic, limits.time_limit)
        if problem.data.w.balance <= 0:
            return self._build(problem, limits, clock, progress, balanced=False)
        # with a load-balance weight: the balance-guided plan, and the plain one when time
        # is left; the lower objective (the balance term included) wins
        out = self._build(problem, limits, clock, progress, balanced=True)
        if out.stats["stopped_by_limit"] or clock.past():
            return attrs.evolve(out, stats={**out.stats, "balance_guided": True})
        plain = self._build(problem, limits, clock, progress, balanced=False)
        guided = plain.stats["stopped_by_limit"] or \
            evaluate(problem, out.plan).objective <= evaluate(problem, plain.plan).objective
        best = out if guided else plain
        return attrs.evolve(best, stats={**best.stats, "balance_guided": guided})

    def _build(self, problem: Problem, limits: Limits, clock: _Clock,
               progress: ProgressCallback | None, *, balanced: bool) -> BackendOutput:
        """One regret-insertion construction (``balanced``: the load-balance change guides
        the choices; the objective it reports always includes the term)."""
        tic = clock.tic
        kd = problem.data
        num_tickets = problem.num_tickets
        initial = self.initial_plan.routes if self.initial_plan is not None else None
        st = make_state(problem, initial,
                        self.initial_plan.pickups if self.initial_plan is not None else None)
        outcome = np.zeros(num_tickets, dtype=np.int64)
        active = problem.unservable == 0
        for route in initial or ():
            for j in route:
                active[j] = False
                outcome[j] = 1
        ptr, able = problem.ticket_routes_ptr, problem.ticket_routes
        cd, stopped = self._candidates(problem, clock)
        cand_ptr, num_cand = cd.ptr, cd.route.shape[0]
        stamp = np.full(num_tickets, -1, dtype=np.int64)
        acc = np.zeros(1)
        keys = (np.full(num_tickets, np.inf), np.full(num_tickets, np.inf),
                np.full(num_tickets, -1, dtype=np.int64)) \
            if balanced and kd.w.balance > 0 else None
        steps = 0
        # (time-dependent travel prices insertions by estimates: only the final state's
        # bookkeeping is exact, so the per-insertion check does not apply)
        check = _Check.start(problem, st, acc) if assert_mode() and not kd.tv.td else None
        order = np.lexsort((np.arange(num_tickets), kd.cost.priority)).astype(np.int64)
        # with depots, one round per priority level: tickets a depot stop makes servable
        # are placed before less urgent tickets fill the routes
        pending = active.copy()
        levels = sorted(set(kd.cost.priority[pending].tolist())) if problem.num_depots \
            else [None]
        for level in levels:
            if level is not None:
                active[:] = pending & (kd.cost.priority == level)
                pending &= ~active
            # price every candidate (in slices, within the time limit)
            if stopped or not clock.sliced(num_tickets, lambda lo, hi: greedy_init(
                    kd, active, cd, st, lo, hi)):
                stopped = True
                break
            left = int(active.sum())
            chunk = 8  # then sized to about 20 ms a call
            while left:
                if clock.past():
                    stopped = True
                    break
                n = 1 if check else chunk
                if limits.max_iterations is not None:
                    n = min(n, int(limits.max_iterations) - steps)
                    if n <= 0:
                        stopped = True
                        break
                t0 = time.perf_counter()
                if keys is not None:  # the balance change moves with every insertion
                    n = 1
                    balanced_keys(kd, active, cd, st, *keys)
                left = greedy_steps(kd, n, active, outcome, cd, st, stamp, acc,
                                    *(keys or (cd.best1, cd.best2, cd.bestc)))
                chunk = min(clock.resize(n, time.perf_counter() - t0), _CHUNK)
                if check:
                    check.step("insertion")
                steps += n
                if progress is not None:
                    progress(_greedy_event(self.name, time.perf_counter() - tic, steps, left,
                                           outcome, acc, kd, exact=initial is None
                                           and kd.w.balance <= 0))
            if stopped:
                break
            mask = order if level is None else order[kd.cost.priority[order] == level]
            # second chances, in slices within the time limit (in debug mode one ticket per
            # call, each insertion checked); tickets a cut leaves unexamined get solver_limit
            def beyond(part: np.ndarray) -> None:
                fill_beyond_candidates(kd, ptr, able, cand_ptr, st, part, outcome, acc)
                if check:
                    check.step("insertion beyond the candidates")

            def with_stop(part: np.ndarray) -> None:
                fill_with_pickups(kd, ptr, able, st, part, outcome, acc)
                if check:
                    check.step("insertion with a depot stop")

            if num_cand < able.shape[0]:
                wider = np.diff(ptr)[mask] > np.diff(cand_ptr)[mask]
                stopped = clock.slices(mask[wider], 1 if check else 0, beyond, outcome)
            if problem.num_depots and not stopped:
                needs = kd.res.part_ptr[mask + 1] > kd.res.part_ptr[mask]
                stopped = clock.slices(mask[needs], 1 if check else 0, with_stop, outcome)
            if stopped:
                break
        unassigned = _unassigned_reasons(problem, st, outcome)
        plan = Plan(routes=state_routes(st), unassigned=unassigned, pickups=state_pickups(st))
        stats: dict[str, Any] = {"insertions": int((outcome == 1).sum()),
                                 "candidates": int(num_cand), "stopped_by_limit": stopped}
        # own bookkeeping of the objective: the insertions' costs, the penalties and the
        # load-balance term of the final state
        objective = None
        if initial is None:
            unserved = np.array(sorted(unassigned), dtype=np.int64)
            own = float(routes_cost(kd, st)) if kd.tv.td else float(acc[0])
            objective = own + float(kd.cost.penalty[unserved].sum()) + (
                float(balance_cost(kd, st)) if kd.w.balance > 0 else 0.0)
        return BackendOutput(plan=plan, status=SolveStatus.FEASIBLE, objective=objective,
                             stats=stats)


    def _candidates(self, problem: Problem, clock: _Clock) -> tuple[Any, bool]:
        """Per ticket, its ``max_candidates`` nearest able routes (in slices, within the time
        limit) as the candidate entries of the regret insertion; whether the time ran out."""
        kd = problem.data
        num_tickets, num_routes = problem.num_tickets, problem.num_routes
        ptr, able = problem.ticket_routes_ptr, problem.ticket_routes
        cand_ptr = np.zeros(num_tickets + 1, dtype=np.int64)
        np.cumsum(np.minimum(np.diff(ptr), self.max_candidates), out=cand_ptr[1:])
        cand_route = np.zeros(int(cand_ptr[-1]), dtype=np.int64)  # (unused if cut short)
        stopped = not clock.sliced(num_tickets, lambda lo, hi: candidate_routes(
            kd, ptr, able, cand_ptr, cand_route, lo, hi))
        num_cand = cand_route.shape[0]
        rc_ptr = np.zeros(num_routes + 1, dtype=np.int64)
        np.cumsum(np.bincount(cand_route, minlength=num_routes), out=rc_ptr[1:])
        tech_route_ptr = np.zeros(problem.num_technicians + 1, dtype=np.int64)
        np.cumsum(np.bincount(kd.rt.tech, minlength=problem.num_technicians),
                  out=tech_route_ptr[1:])
        cd = as_struct(Cands(
            ptr=cand_ptr, route=cand_route,
            ticket=np.repeat(np.arange(num_tickets, dtype=np.int64), np.diff(cand_ptr)),
            cost=np.full(num_cand, np.inf), pos=np.full(num_cand, -1, dtype=np.int64),
            stale=np.zeros(num_cand, dtype=np.bool_), rc_ptr=rc_ptr,
            rc_entry=np.argsort(cand_route, kind="stable").astype(np.int64),
            tech_route_ptr=tech_route_ptr, best1=np.full(num_tickets, np.inf),
            best2=np.full(num_tickets, np.inf), bestc=np.full(num_tickets, -1, dtype=np.int64),
            bestc2=np.full(num_tickets, -1, dtype=np.int64)))
        return cd, stopped


def _greedy_event(name: str, elapsed: float, steps: int, left: int, outcome: np.ndarray,
                  acc: np.ndarray, kd: Any, *, exact: bool) -> ProgressEvent:
    """A progress event of the construction: tickets inserted so far and, when ``exact``
    (no initial plan, no load-balance weight), the objective of the partial plan (the
    insertions' costs plus the penalty of every ticket not inserted yet; each insertion
    costs at most the penalty it saves, so it never rises)."""
    inserted = outcome == 1
    best = float(acc[0] + kd.cost.penalty[~inserted].sum()) if exact else None
    return ProgressEvent(name, elapsed, steps, best_objective=best,
                         message=f"{left} tickets left", assigned=int(inserted.sum()))


def _unassigned_reasons(problem: Problem, st: RouteState,
                        outcome: np.ndarray) -> dict[int, UnassignedReason]:
    """Why each ticket the construction left out is out, from its ``outcome`` (0: not
    examined, 2: no route could take it, 3: not worth its cost)."""
    no_part = parts_left_out(problem, st, np.flatnonzero(outcome == 2))
    weekly = week_left_out(problem, st, np.flatnonzero(outcome == 2))
    unassigned: dict[int, UnassignedReason] = {}
    for j in range(problem.num_tickets):
        if problem.unservable[j]:
            unassigned[j] = UnassignedReason.from_code(int(problem.unservable[j]))
        elif outcome[j] == 2:
            unassigned[j] = UnassignedReason.NO_PART if j in no_part \
                else UnassignedReason.WEEKLY_HOURS if j in weekly \
                else UnassignedReason.NO_CAPACITY
        elif outcome[j] == 3:
            unassigned[j] = UnassignedReason.NOT_PROFITABLE
        elif outcome[j] == 0:
            unassigned[j] = UnassignedReason.SOLVER_LIMIT
    return unassigned


class _Clock:
    """The time limit of a solve that started at ``tic``, and slices of kernel work sized to
    about 20 ms so that the limit is checked often enough."""

    SLICE = 0.02

    def __init__(self, tic: float, limit: float | None) -> None:
        self.tic = tic
        self.deadline = tic + limit if limit is not None else math.inf

    def past(self) -> bool:
        return time.perf_counter() >= self.deadline

    def resize(self, size: int, seconds: float) -> int:
        """The next slice size, from how long ``size`` units of work took."""
        scale = self.SLICE / max(seconds, 1e-6)
        return int(min(max(size * min(max(scale, 0.25), 4.0), 1), 1 << 20))

    def sliced(self, n: int, work: Any) -> bool:
        """Run ``work(lo, hi)`` over ``0..n`` in adaptive slices; False if cut by the
        deadline."""
        lo, size = 0, 64
        while lo < n:
            if self.past():
                return False
            hi = min(lo + size, n)
            t0 = time.perf_counter()
            work(lo, hi)
            size = self.resize(hi - lo, time.perf_counter() - t0)
            lo = hi
        return True

    def slices(self, tickets: np.ndarray, fixed: int, work: Any, outcome: np.ndarray) -> bool:
        """Run ``work`` on consecutive slices of ``tickets`` (``fixed`` tickets each, else an
        adaptive size) until done or past the deadline; returns whether it was cut, in which
        case the tickets not reached are marked for ``solver_limit`` (outcome 0) if they
        were left out (outcome 2 or 3)."""
        lo, size = 0, fixed or 16
        while lo < tickets.shape[0]:
            if self.past():
                rest = tickets[lo:]
                cut = rest[(outcome[rest] == 2) | (outcome[rest] == 3)]
                outcome[cut] = 0
                return True
            hi = min(lo + size, tickets.shape[0])
            t0 = time.perf_counter()
            work(tickets[lo:hi])
            if not fixed:
                size = self.resize(size, time.perf_counter() - t0)
            lo = hi
        return False


class _Check:
    """Debug mode: each insertion's priced cost (``acc``) against the evaluator's objective
    change (load balance left out: insertion does not price it)."""

    def __init__(self, problem: Problem, st: RouteState, acc: np.ndarray) -> None:
        self.problem, self.st, self.acc = problem, st, acc
        self.obj, self.cost, self.routed = self._now()

    @classmethod
    def start(cls, problem: Problem, st: RouteState, acc: np.ndarray) -> _Check | None:
        """A check from the starting state, or None when that state already breaks a rule
        (an ``initial_plan`` the heuristic cannot represent as given, e.g. a depot stop
        before a route's second ticket: the caller judges the result, not this check)."""
        try:
            return cls(problem, st, acc)
        except InternalCheckError:
            return None

    def _now(self) -> tuple[float, float, set[int]]:
        routes = state_routes(self.st)
        obj = objective_of(self.problem, routes, state_pickups(self.st), with_balance=False)
        return obj, float(self.acc[0]), {j for route in routes for j in route}

    def step(self, what: str) -> None:
        obj, cost, routed = self._now()
        new = sorted(routed - self.routed)
        expected = (cost - self.cost) - float(self.problem.data.cost.penalty[new].sum())
        check_close(f"greedy {what}", expected, obj - self.obj, tickets=new)
        self.obj, self.cost, self.routed = obj, cost, routed


def assign_greedy(problem: Problem, initial: Plan | None = None) -> Plan:
    """Assignment-only greedy: give each ticket the cheapest technician shift that has room.

    Tickets are taken by priority (P1 first), then by unassigned penalty
    (largest first), then by response deadline. Each goes to the able shift
    (``problem.routes_for``) with room left — demand capacity, tickets per
    day, van stock, and work (service + travel estimate) within the shift's
    working time plus overtime — whose marginal objective is lowest: travel
    and distance estimates, serve-first lateness, labour, overtime, a
    non-preferred technician, and the growth of the largest workload (load
    balance). A ticket whose cheapest shift costs more than its unassigned
    penalty is left ``not_profitable``; one with no shift with room,
    ``no_capacity``.

    Parameters
    ----------
    problem:
        The compiled problem.
    initial:
        Assignments to keep (only the other tickets are assigned).

    Returns
    -------
    Plan
        A plan with ``mode == "assignment"``.
    """
    kd = problem.data
    ad = assignment_data(problem)
    num_tickets, num_routes = problem.num_tickets, problem.num_routes
    num_techs = problem.num_technicians
    routes: list[list[int]] = [[] for _ in range(num_routes)]
    work = np.zeros(num_routes, dtype=np.int64)
    load = np.zeros(num_routes, dtype=np.int64)
    group_count = np.zeros(kd.rt.group_cap.shape[0], dtype=np.int64)
    usage = np.zeros_like(kd.res.stock)
    tech_load = kd.tech.recent.copy()
    has_shift = np.bincount(kd.rt.tech, minlength=num_techs) > 0
    placed = np.zeros(num_tickets, dtype=np.bool_)
    week = kd.week  # weekly rules: the work of each technician-week (done included)
    r_week = route_weeks(week.start, kd.rt.open)
    week_work = week.done.copy()
    week_limit = np.maximum(week.cap, week.done)  # (work done beyond the cap: no room)

    def put(r: int, j: int) -> None:
        routes[r].append(j)
        work[r] += ad.work[r, j]
        if r_week[r] >= 0:
            week_work[kd.rt.tech[r], r_week[r]] += ad.work[r, j]
        load[r] += kd.res.demand[j]
        group_count[kd.rt.group[r]] += 1
        lo, hi = kd.res.part_ptr[j], kd.res.part_ptr[j + 1]
        usage[kd.rt.tech[r], kd.res.part_sku[lo:hi]] += kd.res.part_qty[lo:hi]
        tech_load[kd.rt.tech[r]] += ad.work[r, j]
        placed[j] = True

    for r, route in enumerate(initial.routes if initial is not None else ()):
        for j in route:
            put(r, int(j))
    order = sorted((j for j in range(num_tickets) if not placed[j] and not problem.unservable[j]),
                   key=lambda j: (int(kd.cost.priority[j]), -float(kd.cost.penalty[j]),
                                  int(kd.cost.response_by[j]), j))
    unassigned: dict[int, UnassignedReason] = {
        j: UnassignedReason.from_code(int(problem.unservable[j]))
        for j in range(num_tickets) if problem.unservable[j] and not placed[j]}
    w = kd.w
    for j in order:
        best, best_r, weekly = np.inf, -1, False
        lo, hi = kd.res.part_ptr[j], kd.res.part_ptr[j + 1]
        skus, qty = kd.res.part_sku[lo:hi], kd.res.part_qty[lo:hi]
        top = float(tech_load[has_shift].max()) if has_shift.any() else 0.0
        for r in problem.routes_for(j).tolist():
            t = int(kd.rt.tech[r])
            wk = int(ad.work[r, j])
            if (work[r] + wk > ad.limit[r] or load[r] + kd.res.demand[j] > kd.rt.capacity[r]
                    or group_count[kd.rt.group[r]] >= kd.rt.group_cap[kd.rt.group[r]]
                    or np.any(usage[t, skus] + qty > kd.res.stock[t, skus])):
                continue
            k = int(r_week[r])
            if k >= 0 and week_work[t, k] + wk > week_limit[t, k]:
                weekly = True  # room that day, none that week
                continue
            over = max(0, work[r] + wk - ad.hours[r]) - max(0, work[r] - ad.hours[r])
            if k >= 0:  # the weekly overtime it adds
                after = int(week.after[t, k])
                over += max(0, week_work[t, k] + wk - after) - max(0, week_work[t, k] - after)
            cost = (ad.late_cost[r, j] + w.travel * ad.travel[r, j] + w.dist * ad.km[r, j]
                    + kd.tech.labour[t] * wk + w.overtime * over
                    + w.balance * max(0.0, tech_load[t] + wk - top))
            cost += choice_cost(kd, t, j)
            if cost < best:
                best, best_r = cost, r
        if best_r < 0:
            unassigned[j] = UnassignedReason.WEEKLY_HOURS if weekly \
                else UnassignedReason.NO_CAPACITY
        elif best >= kd.cost.penalty[j]:
            unassigned[j] = UnassignedReason.NOT_PROFITABLE
        else:
            put(best_r, j)
    return Plan(routes=routes, unassigned=unassigned, mode="assignment")
