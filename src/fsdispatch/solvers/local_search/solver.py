"""The ``ls`` backend: numba ruin-and-recreate local search (ALNS / SISR style)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

import attrs
import numpy as np

from ..._debug import assert_mode, check_close, objective_of
from ...errors import InternalCheckError, UnsupportedProblemError, ValidationError
from ...kernels.structs import as_struct
from ...plan import Plan, UnassignedReason
from ...problem.crew import has_crews
from ...problem.problem import Problem
from .._crew import solve_with_crews
from ..base import BackendOutput, Capabilities, Limits, ProgressCallback, ProgressEvent, SolveStatus
from ..greedy import GreedySolver, make_state, parts_left_out, week_left_out
from .neighbours import nearest_tickets

__all__ = ["DEFAULT_ITERATIONS", "LocalSearchSolver", "warm_up"]

logger = logging.getLogger(__name__)

DEFAULT_ITERATIONS = 20_000
"""Iterations when neither ``time_limit`` nor ``max_iterations`` is given."""

_CHUNK_SECONDS = 0.05
_REASONS_SHARE = 0.04
"""Share of the time limit kept after the search for the unassigned tickets' reasons."""
_RESERVE = 0.1
"""Share of the time left after the neighbour lists that the greedy start leaves for the
search state and the unassigned reasons (the search gets whatever the greedy start does
not use)."""


def warm_up(depots: bool = True, traffic: bool = False) -> float:
    """Compile (or load from the on-disk cache) every kernel ``ls`` uses; returns seconds.

    Runs the whole backend once on a tiny generated day, so the time limit of
    the first real solve in a process is spent searching, not compiling;
    ``depots`` also loads the greedy start's depot-stop kernels; ``traffic``: the
    kernels of a day with time-dependent travel (of another type: a static day's
    compile the schedule rule's static variant). Later calls return 0 at once.
    """
    from .._warm import warm_ls

    return warm_ls(depots, traffic)


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0:
        raise ValidationError.for_field("LocalSearchSolver", None, attribute.name, value,
                                        "must be a finite number >= 0")


def _count(minimum: int) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
            raise ValidationError.for_field("LocalSearchSolver", None, attribute.name, value,
                                            f"must be an integer >= {minimum}")
    return check


def _executor(value: Any) -> None:
    if value is not None and not callable(getattr(value, "submit", None)):
        raise ValidationError.for_field("LocalSearchSolver", None, "executor", value,
                                        "must be a concurrent.futures.Executor (with submit)")


def _temperature(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = isinstance(value, tuple | list) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        for v in value)
    if not ok or value[1] > value[0]:
        raise ValidationError.for_field("LocalSearchSolver", None, "temperature", value,
                                        "must be (start, end) with start >= end >= 0")


def _share(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValidationError.for_field("LocalSearchSolver", None, attribute.name, value,
                                        "must be a number in [0, 1)")


def _sort_weights(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    ok = len(value) == 5 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        for v in value) and sum(value) > 0
    if not ok:
        raise ValidationError.for_field("LocalSearchSolver", None, attribute.name, value,
                                        "must be 5 weights >= 0 (random, far, close, tight, "
                                        "demand), not all 0")


@attrs.frozen
class LocalSearchSolver:
    """Ruin-and-recreate local search in numba kernels, the strong general-purpose backend.

    Starting from the greedy plan (or ``initial_plan``), each iteration
    removes a few tickets — strings of consecutive visits from routes near a
    random ticket (SISR), random tickets, the costliest of a sample, or a
    whole short route; the operator is chosen by adaptive weights (ALNS) —
    and re-inserts them, plus a few unassigned tickets, at their cheapest
    feasible positions (exact insertion pricing with the shared schedule
    rule), most urgent priority first; the ``split`` operator first seeds an
    unused route with one removed ticket (cheapest insertion alone never
    opens a route, so long-route days would keep the greedy start's small
    fleet). The result is accepted by simulated
    annealing; the best plan found is returned. Granular: a ticket is priced
    only on its ``max_routes`` nearest able routes and the routes of its
    ``neighbours`` nearest tickets, so an iteration costs about the same on
    a large day as on a small one.

    Deterministic for a given seed and ``max_iterations`` (a wall-clock
    ``time_limit`` stop is not reproducible). With neither limit it runs
    :data:`DEFAULT_ITERATIONS` iterations. The first solve in a process
    first loads the compiled kernels (:func:`warm_up`, reported as
    ``stats["jit_seconds"]``); the time limit starts after it.

    Parameters
    ----------
    initial_plan:
        Warm start: a feasible plan whose routes are kept as the starting
        point (unassigned tickets are inserted greedily first).
    neighbours:
        Nearest tickets per ticket (granular neighbourhood; default 30).
    max_routes:
        Nearest able routes priced per re-inserted ticket (default 32);
        problems with at most this many routes price every able route.
    avg_removed:
        Mean number of tickets a ruin removes (default 10).
    max_string:
        Longest string of consecutive visits removed from one route (default 10).
    max_empty:
        Empty routes priced per re-inserted ticket (default 2; they are alike).
    max_unassigned:
        Unassigned tickets retried per iteration (default 5).
    temperature:
        ``(start, end)`` simulated-annealing temperatures as multiples of
        the starting plan's mean routing cost per visit (default ``(1.0, 0.01)``).
    descent:
        On every new best plan, run a first-improvement descent with 2-opt*
        (exchange route tails so a ticket is followed by one of its nearest
        neighbours) and intra-route 2-opt (reverse up to 8 visits) on the
        routes the iteration changed (default True).
    moves:
        The descent also relocates a ticket next to one of its nearest tickets,
        swaps it with one, and moves it (alone, or with the rest of its route)
        into an unused route (HGS's granular moves; default False: better
        plans at equal iterations, but each descent costs more, about 1.4x
        the time per iteration on a 300 x 3,000 day, so at a fixed time budget
        it is not clearly better).
    blink:
        SISR's blinks: the share of insertion positions recreate skips at random,
        so it sometimes takes a near-cheapest position (default 0; SISR uses 0.01).
    split_rate:
        Share of the SISR strings removed as split strings: a run of the string's
        visits stays in the route (default 0; SISR uses 0.5).
    sort_weights:
        Weights of recreate's orders of the removed tickets: random, farthest from
        a route start first, nearest first, tightest window first, largest demand
        first (default all 1; SISR's are 4, 2, 1, 0, 4).
    locked:
        Ticket indices that stay in their route of ``initial_plan`` (pinned
        by a dispatcher, or already promised): the search never removes
        them, so their route and their order among themselves are kept,
        while other tickets may be inserted around them.
    workers:
        Searches from the same greedy start (default 1), each with its own
        random stream; the best plan wins (ties: the lowest worker). Worker 0
        starts as the one-worker search with ``seed``. Without ``executor`` they
        run on threads of this process (the search kernel releases the GIL: one
        core each, no copies of the problem) and meet ``exchanges`` times.
        Deterministic for a seed and ``max_iterations``.
    exchanges:
        With several workers on threads: how many times, evenly spread over the
        search (by iterations, or by time under a time limit), the workers meet and
        every worker whose best plan is worse than the best of all continues from
        that one (default 4; 0: independent searches). Deterministic for a seed and
        ``max_iterations``.
    executor:
        Any :class:`concurrent.futures.Executor` (a ``ProcessPoolExecutor``, or
        ``dask.distributed.Client(...).get_executor()`` for a cluster): the
        ``workers`` searches run as its tasks instead, each a whole one-worker
        solve (its own greedy start) given the problem, its seed and the time
        left; ``time_limit`` counts from this call, task start-up included.
    """

    initial_plan: Plan | None = None
    neighbours: int = attrs.field(default=30, validator=_count(1))
    max_routes: int = attrs.field(default=32, validator=_count(1))
    avg_removed: float = attrs.field(default=10.0, validator=_positive)
    max_string: int = attrs.field(default=10, validator=_count(1))
    max_empty: int = attrs.field(default=2, validator=_count(0))
    max_unassigned: int = attrs.field(default=5, validator=_count(0))
    temperature: tuple[float, float] = attrs.field(default=(1.0, 0.01), validator=_temperature)
    locked: frozenset[int] = attrs.field(factory=frozenset, converter=frozenset)
    descent: bool = True
    moves: bool = False
    blink: float = attrs.field(default=0.0, validator=_share)
    split_rate: float = attrs.field(default=0.0, validator=_share)
    sort_weights: tuple[float, ...] = attrs.field(default=(1.0, 1.0, 1.0, 1.0, 1.0),
                                                  converter=tuple, validator=_sort_weights)
    workers: int = attrs.field(default=1, validator=_count(1))
    exchanges: int = attrs.field(default=4, validator=_count(0))
    executor: Executor | None = attrs.field(default=None, eq=False, repr=False,
                                            validator=lambda _i, _a, v: _executor(v))
    name: str = "ls"
    capabilities: Capabilities = attrs.field(factory=lambda: Capabilities(crews=True))

    def warm_up(self, problem: Problem | None = None) -> float:
        """Load the compiled kernels once per process (see :func:`warm_up`): those a day
        like ``problem`` runs (a static day's, all of them, when ``None``); returns seconds."""
        from .._warm import is_traffic_day

        return warm_up(problem is None or problem.num_depots > 0, is_traffic_day(problem))

    def compile_ahead(self, problem: Any = None) -> None:
        """On a cold numba cache, start compiling the search's kernels in a second process
        (while this one compiles the scenario and the greedy start); returns at once.
        ``problem`` (a Scenario or Problem; ``None``: a static day) picks the kernels'
        kind: a traffic day's job compiles only the time-dependent variant."""
        from .. import _ahead as ahead
        from .._greedy_kernels import greedy_steps
        from .._warm import ahead_job, is_traffic_day
        from ._search import search

        if not ahead.cached(greedy_steps):
            ahead.start(ahead_job("ls", is_traffic_day(problem)), search)

    def _start_plan(self, problem: Problem, time_limit: float | None,
                    seed: int | None) -> Plan:
        """The plan the search starts from: greedy insertion (from ``initial_plan``)."""
        return GreedySolver(initial_plan=self.initial_plan).solve(
            problem, Limits(time_limit=time_limit), seed, None).plan

    def solve(self, problem: Problem, limits: Limits, seed: int | None,
              progress: ProgressCallback | None) -> BackendOutput:
        """Improve a starting plan until a limit is reached; see the class docstring."""
        if has_crews(problem):
            if self.initial_plan is not None or self.locked:
                raise UnsupportedProblemError(
                    "ls: crew jobs (crew_size > 1) are planned without an initial_plan")
            return solve_with_crews(problem, self.name, lambda space: attrs.evolve(
                self, initial_plan=space.plan, locked=frozenset[Any](space.locked)).solve(
                    space.problem, limits, seed, progress))
        if self.executor is not None and self.workers > 1:
            from .parallel import solve_islands

            return solve_islands(self, problem, limits, seed, progress)
        limits.warn_unsupported(self.name, {"time_limit", "max_iterations", "no_improvement"})
        jit_seconds = self.warm_up(problem)
        tic = time.perf_counter()
        deadline = tic + limits.time_limit if limits.time_limit is not None else math.inf
        if self.initial_plan is not None:
            _check_initial(problem, self.initial_plan)
        locked = _locked_mask(problem, self.initial_plan, self.locked)

        # --- what depends on the problem only: neighbours and nearest routes (in slices)
        nb_ptr, nb = nearest_tickets(problem, self.neighbours)
        near_ptr, near_route, depot_dist = _nearest_routes(problem, int(self.max_routes),
                                                           deadline)
        prep_time = time.perf_counter() - tic

        # --- starting plan (greedy insertion, from the warm start if given): a complete
        # plan first, then improve it; what is left of the budget after the greedy start
        # keeps a margin for building the search's state and for the unassigned reasons
        tic_greedy = time.perf_counter()
        greedy_limit = None
        if limits.time_limit is not None:
            left = max(deadline - tic_greedy, 0.0)
            greedy_limit = left * (1.0 - _RESERVE)
        start = self._start_plan(problem, greedy_limit, seed)
        greedy_time = time.perf_counter() - tic_greedy

        # --- the search: one, or ``workers`` from the same start on threads
        shared = _Shared(problem=problem, start=start, limits=limits, tic=tic,
                         deadline=deadline, near_ptr=near_ptr, near_route=near_route,
                         nb_ptr=nb_ptr, nb=nb, depot_dist=depot_dist, locked=locked)
        if self.workers == 1:
            run = self.run_search(shared, np.random.default_rng(seed), progress)
            runs = [run]
        else:
            from .parallel import run_threads

            runs = run_threads(self, shared, seed, progress)
        k_best = min(range(len(runs)), key=lambda k: (runs[k].obj[1], k))
        run = runs[k_best]

        # --- the best plan, with a reason for each unassigned ticket
        budget = -1  # route pricings left for checking the unassigned tickets' reasons
        if limits.time_limit is not None:
            pricings = int(run.buf.stats[4])  # (one thread prices the reasons)
            rate = pricings / run.search_time if run.search_time > 0 and pricings else 1e5
            budget = int(rate * max(deadline - time.perf_counter(), 0.0))
        plan = _best_plan(problem, run.best_seq, run.best_len, run.best_pick, budget)
        stats = _search_stats(run.buf, run.start_obj, run.stopped_by, prep_seconds=prep_time,
                              jit_seconds=jit_seconds, greedy_seconds=greedy_time,
                              setup_seconds=run.setup_time, search_seconds=run.search_time)
        if self.workers > 1:
            stats["workers"] = self.workers
            stats["best_worker"] = k_best
            stats["worker_objectives"] = [float(r.obj[1]) for r in runs]
            stats["iterations_all_workers"] = sum(int(r.buf.stats[0]) for r in runs)
        return BackendOutput(plan=plan, status=SolveStatus.FEASIBLE, objective=float(run.obj[1]),
                             stats=stats)

    def run_search(self, shared: _Shared, rng: np.random.Generator,
                   progress: ProgressCallback | None, report: Any = None,
                   port: Any = None) -> _Run:
        """One search from the shared start plan with its own state and random stream.

        ``report(done, best, assigned)`` (several workers) replaces ``progress``; the
        search kernel releases the GIL, so workers on threads search in parallel.
        ``port`` (several workers, :class:`~fsdispatch.solvers.local_search.parallel.Port`)
        meets the other workers at fixed points of the search, where a worker adopts
        a better plan found by another."""
        from ._search import search

        problem, limits, tic = shared.problem, shared.limits, shared.tic
        tic_setup = time.perf_counter()
        w, cd, prm = self._setup(shared)
        start_obj = float(w.obj[0])
        setup_time = time.perf_counter() - tic_setup
        t_start, t_end = self._temperatures(w.cur)  # x the mean routing cost per visit

        # --- the loop, in chunks of about 50 ms (progress, wall clock)
        total = limits.max_iterations
        if total is None and limits.time_limit is None:
            total = DEFAULT_ITERATIONS
        no_improve = limits.no_improvement
        # the search stops early enough for the unassigned tickets' reasons
        search_deadline = shared.deadline - (_REASONS_SHARE * limits.time_limit
                                             if limits.time_limit is not None else 0.0)
        tic_search = time.perf_counter()
        done, chunk, last_best_at = 0, 8, 0
        stopped_by = "iterations"
        can_search = problem.num_tickets > 0 and problem.num_routes > 0 \
            and bool(cd.servable.any()) and bool((shared.near_route >= 0).all())
        check = assert_mode()  # debug: one iteration per call, checked by the evaluator
        while can_search:
            now = time.perf_counter()
            if now >= search_deadline:
                stopped_by = "time_limit"
                break
            if total is not None and done >= total:
                break
            if no_improve is not None and done - last_best_at >= no_improve:
                stopped_by = "no_improvement"
                break
            if port is not None and port.due(done, total, now - tic_search,
                                             search_deadline - tic_search):
                port.meet(w, lambda best: self._adopt(w, shared, cd, prm, best))
            n = _chunk_size(1 if check else chunk, done, last_best_at, total, no_improve,
                            (now - tic_search) / done if done else 0.0,
                            search_deadline - now)
            if port is not None:
                n = port.clamp(n, done, total)
            if total is not None:
                f0, f1 = done / total, (done + n) / total
            else:
                span = limits.time_limit if limits.time_limit else 1.0
                f0 = min((now - tic) / span, 1.0)
                per_it = (now - tic_search) / done if done else 1e-4
                f1 = min(f0 + n * per_it / span, 1.0)
            temp0 = t_start * (t_end / t_start) ** f0 if t_start > 0 else 0.0
            temp1 = t_start * (t_end / t_start) ** f1 if t_start > 0 else 0.0
            t_chunk = time.perf_counter()
            search(problem.data, cd, prm, rng, w.cur, w.cand, w.best_seq, w.best_len,
                   w.best_pick, w.buf, w.obj, n, temp0, temp1, 100, 0.2)
            if check:
                _check_search(problem, w.cur, w.obj, w.best_seq, w.best_len, w.best_pick,
                              w.buf, done)
            elapsed_chunk = time.perf_counter() - t_chunk
            done += n
            last_best_at = int(w.buf.stats[7])
            # resize the chunk to about 50 ms
            chunk = int(min(max(_CHUNK_SECONDS * n / max(elapsed_chunk, 1e-7), 1), 100_000))
            if report is not None:
                report(done, float(w.obj[1]), int(w.best_len.sum()))
            elif progress is not None:
                progress(ProgressEvent(self.name, time.perf_counter() - tic, done,
                                       best_objective=float(w.obj[1]),
                                       assigned=int(w.best_len.sum())))
        if port is not None:
            port.leave()
        return _Run(best_seq=w.best_seq, best_len=w.best_len, best_pick=w.best_pick,
                    obj=w.obj, buf=w.buf, start_obj=start_obj, stopped_by=stopped_by,
                    setup_time=setup_time, search_time=time.perf_counter() - tic_search)

    def _setup(self, shared: _Shared, routes: list[list[int]] | None = None,
               pickups: Mapping[int, int] | None = None) -> tuple[_Worker, Any, Any]:
        """A worker's search state from the shared start plan (or ``routes``), the
        candidate lists and the parameters."""
        from ._state import Cand, total_objective

        problem = shared.problem
        kd = problem.data
        if routes is None:
            routes = [list(r) for r in shared.start.routes]
            pickups = shared.start.pickups
        cur = _make_sol(problem, routes, pickups)
        has_shift = np.bincount(kd.rt.tech, minlength=problem.num_technicians) > 0
        cd = as_struct(Cand(near_ptr=shared.near_ptr, near_route=shared.near_route,
                            nb_ptr=shared.nb_ptr, nb=shared.nb, recent=kd.tech.recent,
                            has_shift=has_shift, servable=problem.unservable == 0,
                            depot_dist=shared.depot_dist, locked=shared.locked))
        prm = self._params(problem)
        buf = _make_buf(problem, cur.st.seq.shape[1])
        best_seq, best_len, best_pick = _saved_best(cur, buf)
        start = total_objective(kd, cd, cur, buf.tech_work, prm.balance_w)
        return _Worker(cur=cur, cand=_copy_sol(cur), buf=buf, best_seq=best_seq,
                       best_len=best_len, best_pick=best_pick,
                       obj=np.array([start, start])), cd, prm

    def _adopt(self, w: _Worker, shared: _Shared, cd: Any, prm: Any,
               best: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Worker ``w`` continues from another worker's best plan ``(seq, len, pick)``
        (its counters and operator weights kept)."""
        seq, length, pick = best
        routes = [seq[r, :length[r]].tolist() for r in range(length.shape[0])]
        pickups = {route[0]: int(pick[r]) for r, route in enumerate(routes)
                   if route and pick[r] >= 0}
        new, _cd, _prm = self._setup(shared, routes, pickups)
        for name in ("stats", "op_weight", "op_score", "op_used"):
            getattr(new.buf, name)[:] = getattr(w.buf, name)
        w.cur, w.cand, w.buf, w.obj = new.cur, new.cand, new.buf, new.obj
        w.best_seq, w.best_len, w.best_pick = new.best_seq, new.best_len, new.best_pick

    def _params(self, problem: Problem) -> Any:
        """The search's scalar parameters for ``problem``."""
        from ._state import Params

        return Params(avg_removed=float(self.avg_removed), max_string=int(self.max_string),
                      max_empty=int(self.max_empty), max_unassigned=int(self.max_unassigned),
                      use_all_routes=problem.num_routes <= self.max_routes,
                      balance_w=float(problem.data.w.balance), descent=bool(self.descent),
                      moves=bool(self.moves), blink=float(self.blink),
                      split_rate=float(self.split_rate),
                      sort_weights=np.array(self.sort_weights, dtype=np.float64))

    def _temperatures(self, cur: Any) -> tuple[float, float]:
        """The annealing's start and end temperatures, relative to the mean routing cost per
        visit of the starting solution ``cur``."""
        num_assigned = int((cur.route_of >= 0).sum())
        per_visit = float(cur.rcost.sum()) / num_assigned if num_assigned else 0.0
        t_start = max(float(self.temperature[0]) * per_visit, 0.0)
        t_end = max(float(self.temperature[1]) * per_visit, 1e-12 * max(per_visit, 1.0))
        return t_start, t_end


@attrs.frozen(eq=False)
class _Shared:
    """What every worker's search shares: the problem, the start plan, the limits, the
    clock and the granular neighbourhoods (read-only)."""

    problem: Problem
    start: Plan
    limits: Limits
    tic: float
    deadline: float
    near_ptr: np.ndarray
    near_route: np.ndarray
    nb_ptr: np.ndarray
    nb: np.ndarray
    depot_dist: np.ndarray
    locked: np.ndarray


@attrs.define(eq=False)
class _Worker:
    """One search's mutable state: current and candidate solutions, scratch buffers, the
    best solution's arrays and the objectives ``[current, best]``."""

    cur: Any
    cand: Any
    buf: Any
    best_seq: np.ndarray
    best_len: np.ndarray
    best_pick: np.ndarray
    obj: np.ndarray


@attrs.frozen(eq=False)
class _Run:
    """One worker's search: its best solution, objectives ``[current, best]``, buffers
    (counters), start objective, why it stopped and its seconds."""

    best_seq: np.ndarray
    best_len: np.ndarray
    best_pick: np.ndarray
    obj: np.ndarray
    buf: Any
    start_obj: float
    stopped_by: str
    setup_time: float
    search_time: float


class _NoStart(LocalSearchSolver):
    """``ls`` from an empty plan, without the greedy start (it compiles only the search's
    own kernels: :func:`compile_search_kernels`)."""

    def warm_up(self, problem: Problem | None = None) -> float:
        return 0.0

    def _start_plan(self, problem: Problem, time_limit: float | None,
                    seed: int | None) -> Plan:
        return Plan(routes=tuple(() for _ in range(problem.num_routes)))


def compile_search_kernels(traffic: bool = False) -> None:
    """Compile (or load) the search's own kernels, not the greedy start's (nor the
    reasons' kernels, which :func:`warm_up` compiles meanwhile): what
    :mod:`fsdispatch.solvers._ahead` runs in a second process on a cold cache while the
    first process compiles the greedy start; ``traffic``: for a day with time-dependent
    travel)."""
    from .._warm import tiny_problem

    _NoStart().solve(tiny_problem(traffic=traffic), Limits(max_iterations=20), 0, None)


def _check_search(problem: Problem, cur: Any, obj: np.ndarray, best_seq: np.ndarray,
                  best_len: np.ndarray, best_pick: np.ndarray, buf: Any, done: int) -> None:
    """Debug mode: the search's running objectives against the evaluator after an iteration."""
    from ..greedy import state_pickups, state_routes

    if int(buf.stats[8]):
        raise InternalCheckError(f"debug check failed: ls iteration {done}: an insertion priced "
                                 "feasible broke a rule")
    check_close("ls current objective", float(obj[0]),
                objective_of(problem, state_routes(cur.st), state_pickups(cur.st)),
                iteration=done)
    best = [best_seq[r, :best_len[r]].tolist() for r in range(best_len.shape[0])]
    picks = {route[0]: int(best_pick[r]) for r, route in enumerate(best)
             if route and best_pick[r] >= 0}
    check_close("ls best objective", float(obj[1]), objective_of(problem, best, picks),
                iteration=done)


def _make_buf(problem: Problem, width: int) -> Any:
    """Scratch buffers of the search for routes of up to ``width`` visits."""
    from ._state import NUM_OPS, OP_LOADED, Buf

    num_tickets, num_routes = problem.num_tickets, problem.num_routes
    return as_struct(Buf(
        touched=np.zeros(num_routes, dtype=np.bool_),
        tlist=np.zeros(num_routes, dtype=np.int64),
        dirty=np.ones(num_routes, dtype=np.bool_),
        changed=np.zeros(num_tickets, dtype=np.bool_),
        clist=np.zeros(num_tickets, dtype=np.int64),
        pool=np.zeros(num_tickets, dtype=np.int64),
        keys=np.zeros(max(num_tickets, 1)),
        stamp=np.zeros(num_routes, dtype=np.int64),
        counts=np.zeros(5, dtype=np.int64),
        tech_work=np.zeros(problem.num_technicians), spread=np.zeros(6),
        op_weight=np.array([1.0 if k != OP_LOADED or problem.data.w.balance > 0 else 0.0
                            for k in range(NUM_OPS)]),
        op_score=np.zeros(NUM_OPS),
        op_used=np.zeros(NUM_OPS),
        stats=np.zeros(9, dtype=np.int64),
        sin=np.zeros(width + 2, dtype=np.int64),
        sout=np.zeros(width + 2, dtype=np.int64),
        slb=np.zeros(width + 2),
        spos=np.zeros(width + 2, dtype=np.int64),
        rlist=np.zeros(num_routes, dtype=np.int64),
        rweek=np.zeros((num_routes, 2), dtype=np.int64),
        droutes=np.zeros(num_routes, dtype=np.int64),
    ))


def _nearest_routes(problem: Problem, max_routes: int,
                    deadline: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ticket, up to ``max_routes`` able routes nearest first (CSR; -1 where the
    deadline cut the slices short) and the travel from the nearest able route start."""
    from ._search import nearest_routes

    num_tickets = problem.num_tickets
    ptr, able = problem.ticket_routes_ptr, problem.ticket_routes
    near_ptr = np.zeros(num_tickets + 1, dtype=np.int64)
    np.cumsum(np.minimum(np.diff(ptr), max_routes), out=near_ptr[1:])
    near_route = np.full(int(near_ptr[-1]), -1, dtype=np.int64)
    depot_dist = np.zeros(num_tickets)
    _in_slices(num_tickets, deadline, lambda lo, hi: nearest_routes(
        problem.data, ptr, able, near_ptr, near_route, depot_dist, lo, hi))
    return near_ptr, near_route, depot_dist


def _chunk_size(n: int, done: int, last_best_at: int, total: int | None,
                no_improve: int | None, per_iteration: float, time_left: float) -> int:
    """Iterations of the next call of the search: at most ``n``, ending by the deadline
    (``time_left`` seconds at ``per_iteration`` seconds each, once measured), the iteration
    limit and the no-improvement limit."""
    if done and math.isfinite(time_left):
        n = min(n, max(int(time_left / max(per_iteration, 1e-9)), 1))
    if total is not None:
        n = min(n, int(total) - done)
    if no_improve is not None:
        n = min(n, max(int(no_improve) - (done - last_best_at), 1))
    return n


def _best_plan(problem: Problem, best_seq: np.ndarray, best_len: np.ndarray,
               best_pick: np.ndarray, budget: int) -> Plan:
    """The best solution as a plan, with a reason for each unassigned ticket (checked with
    at most ``budget`` route pricings; -1: no limit)."""
    best_routes = [tuple(int(j) for j in best_seq[r, :best_len[r]])
                   for r in range(problem.num_routes)]
    best_pickups = {route[0]: int(best_pick[r]) for r, route in enumerate(best_routes)
                    if route and best_pick[r] >= 0}
    return Plan(routes=best_routes, pickups=best_pickups,
                unassigned=unassigned_reasons(problem, best_routes, budget, best_pickups))


def _search_stats(buf: Any, start_obj: float, stopped_by: str,
                  **seconds: float) -> dict[str, Any]:
    """The backend's stats: the search's counters, the start objective, why it stopped
    and the ``seconds`` of each phase."""
    from ._state import OP_NAMES

    stats = buf.stats
    return {
        "prep_seconds": seconds["prep_seconds"],
        "iterations": int(stats[0]),
        "accepted": int(stats[1]),
        "improvements": int(stats[2]),
        "rejected_infeasible": int(stats[3]),
        "insertion_errors": int(stats[8]),
        "routes_priced": int(stats[4]),
        "positions_priced": int(stats[5]),
        "positions_simulated": int(stats[6]),
        "start_objective": float(start_obj),
        "jit_seconds": seconds["jit_seconds"],
        "greedy_seconds": seconds["greedy_seconds"],
        "setup_seconds": seconds["setup_seconds"],
        "search_seconds": seconds["search_seconds"],
        "stopped_by": stopped_by,
        "stopped_by_limit": stopped_by == "time_limit",
        "operator_weights": dict(zip(OP_NAMES, (float(w) for w in buf.op_weight), strict=True)),
    }


def _saved_best(cur: Any, buf: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best solution's arrays (route sequences, lengths, depot stops), holding ``cur``."""
    from ._state import save_best

    num_routes, width = cur.st.seq.shape
    best_seq = np.full((num_routes, width), -1, dtype=np.int64)
    best_len = np.zeros(num_routes, dtype=np.int64)
    best_pick = np.full(num_routes, -1, dtype=np.int64)
    save_best(cur, best_seq, best_len, best_pick, buf)
    return best_seq, best_len, best_pick


def _in_slices(n: int, deadline: float, work: Any) -> bool:
    """Run ``work(lo, hi)`` over ``0..n`` in slices of about 20 ms until done or past the
    deadline; returns whether it finished."""
    lo, size = 0, 64
    while lo < n:
        if time.perf_counter() >= deadline:
            return False
        hi = min(lo + size, n)
        t0 = time.perf_counter()
        work(lo, hi)
        size = int(min(max((hi - lo) * min(max(0.02 / max(time.perf_counter() - t0, 1e-6),
                                                    0.25), 4.0), 1), 1 << 20))
        lo = hi
    return True


def _copy_sol(sol: Any) -> Any:
    """A copy of a solution (its own arrays), without rebuilding it."""
    from ..greedy import copy_state
    from ._state import Sol

    return as_struct(Sol(st=copy_state(sol.st), rcost=sol.rcost.copy(),
                           rwork=sol.rwork.copy(), route_of=sol.route_of.copy(),
                           fslack=sol.fslack.copy()))


def _make_sol(problem: Problem, routes: list[list[int]],
              pickups: Mapping[int, int] | None = None) -> Any:
    from ._state import Sol, init_sol

    st = make_state(problem, routes, pickups)
    sol = as_struct(Sol(st=st, rcost=np.zeros(problem.num_routes),
                          rwork=np.zeros(problem.num_routes, dtype=np.int64),
                          route_of=np.full(problem.num_tickets, -1, dtype=np.int64),
                          fslack=np.zeros((problem.num_routes, st.seq.shape[1] + 1),
                                          dtype=np.int64)))
    if not init_sol(problem.data, sol):
        raise ValidationError("LocalSearchSolver: the starting plan breaks a rule",
                              entity="LocalSearchSolver", field="initial_plan")
    return sol


def _check_initial(problem: Problem, plan: Plan) -> None:
    from ...evaluate.evaluator import evaluate

    evaluation = evaluate(problem, plan)
    if not evaluation.is_feasible:
        head = "; ".join(str(v) for v in evaluation.violations[:3])
        raise ValidationError(
            f"LocalSearchSolver: initial_plan must be feasible, it has "
            f"{len(evaluation.violations)} violation(s): {head}",
            entity="LocalSearchSolver", field="initial_plan",
            value=len(evaluation.violations))


def _locked_mask(problem: Problem, plan: Plan | None, locked: frozenset[int]) -> np.ndarray:
    """Boolean mask of locked tickets; each must be routed in ``plan``."""
    mask = np.zeros(problem.num_tickets, dtype=np.bool_)
    if not locked:
        return mask
    routed = set() if plan is None else {j for route in plan.routes for j in route}
    for j in sorted(locked):
        if not isinstance(j, int | np.integer) or not 0 <= j < problem.num_tickets:
            raise ValidationError.for_field("LocalSearchSolver", None, "locked", j,
                                            "must hold ticket indices of the problem")
        if j not in routed:
            raise ValidationError.for_field(
                "LocalSearchSolver", None, "locked", problem.index.ticket_ids[j],
                "must name tickets routed in initial_plan")
        mask[j] = True
    return mask


def unassigned_reasons(problem: Problem, routes: list[tuple[int, ...]],
             max_pricings: int = -1,
             pickups: Mapping[int, int] | None = None) -> dict[int, UnassignedReason]:
    """Why each ticket left out of ``routes`` is out.

    The compiled reason when no route could ever serve it; ``no_capacity``
    when it fits in no route of the plan; ``not_profitable`` when it fits
    but costs more than its unassigned penalty; ``solver_limit`` when an
    insertion would pay (the search stopped before finding it), or when the
    time left did not allow checking every able route (``max_pricings``).
    """
    routed = np.zeros(problem.num_tickets, dtype=np.bool_)
    for route in routes:
        routed[list(route)] = True
    out: dict[int, UnassignedReason] = {}
    open_tickets = []
    for j in np.flatnonzero(~routed).tolist():
        if problem.unservable[j]:
            out[j] = UnassignedReason.from_code(int(problem.unservable[j]))
        else:
            open_tickets.append(j)
    if open_tickets:
        st = make_state(problem, routes, pickups)
        from ._search import cheapest_able

        costs, checked = cheapest_able(problem.data, problem.ticket_routes_ptr,
                                         problem.ticket_routes, st,
                                         np.array(open_tickets, dtype=np.int64), max_pricings)
        penalty = problem.data.cost.penalty
        blocked = np.array(
            [j for j, c, ok in zip(open_tickets, costs.tolist(), checked.tolist(), strict=True)
             if ok and math.isinf(c)], dtype=np.int64)
        no_part = parts_left_out(problem, st, blocked)
        weekly = week_left_out(problem, st, blocked)
        for j, c, ok in zip(open_tickets, costs.tolist(), checked.tolist(), strict=True):
            if not ok:
                out[j] = UnassignedReason.SOLVER_LIMIT
            elif math.isinf(c):
                out[j] = UnassignedReason.NO_PART if j in no_part \
                    else UnassignedReason.WEEKLY_HOURS if j in weekly \
                    else UnassignedReason.NO_CAPACITY
            elif c >= penalty[j]:
                out[j] = UnassignedReason.NOT_PROFITABLE
            else:  # it would pay: the search ran out of time or iterations before placing it
                out[j] = UnassignedReason.SOLVER_LIMIT
    return out

