"""Several ``ls`` searches at once: threads of this process, or tasks of an executor.

``LocalSearchSolver(workers=N)`` runs ``N`` searches from the same greedy start,
each with its own random stream, and keeps the best plan (ties: the lowest
worker). Worker 0 uses the solve's ``seed`` exactly as a one-worker search does.
On threads the workers meet ``exchanges`` times (:class:`Exchange`): each one
whose best plan is worse than the best of all continues from that one (an island
model with the best plan migrating). The result is deterministic for a seed and
an iteration count; with ``exchanges=0`` the searches are independent and more
workers never return a worse plan than one for the same ``max_iterations``.

Without an executor the workers are threads: the search kernel releases the GIL,
so each worker uses a core while sharing the problem, the neighbour lists and
the start plan (nothing is copied or pickled). With ``executor=`` (any
:class:`concurrent.futures.Executor`, e.g. a Dask client's) each worker is a
task running a whole one-worker solve (its own greedy start, the same plan)
with the time left when the task starts, measured on the submitting machine's
clock; the problem is pickled to each task.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ...problem.problem import Problem
from ..base import BackendOutput, Limits, ProgressCallback, ProgressEvent

if TYPE_CHECKING:
    from .solver import LocalSearchSolver, _Run, _Shared

__all__ = ["Exchange", "Port", "run_threads", "solve_islands", "worker_rngs", "worker_seeds"]


def worker_seeds(seed: int | None, workers: int) -> list[int | None]:
    """The seed of each worker: ``seed`` for worker 0, independent streams spawned from it
    for the others (fresh entropy when ``seed`` is ``None``)."""
    children = np.random.SeedSequence(seed).spawn(workers - 1)
    return [seed, *(int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                    for c in children)]


def worker_rngs(seed: int | None, workers: int) -> list[np.random.Generator]:
    """One random generator per worker (see :func:`worker_seeds`)."""
    return [np.random.default_rng(s) for s in worker_seeds(seed, workers)]


class _Progress:
    """The best of every worker, reported through one callback (under a lock: callbacks
    need not be thread-safe)."""

    def __init__(self, name: str, tic: float, workers: int,
                 progress: ProgressCallback | None) -> None:
        self.name, self.tic, self.progress = name, tic, progress
        self.done = [0] * workers
        self.best = [float("inf")] * workers
        self.assigned = [0] * workers
        self.lock = threading.Lock()

    def reporter(self, k: int) -> Any:
        def report(done: int, best: float, assigned: int) -> None:
            with self.lock:
                self.done[k], self.best[k], self.assigned[k] = done, best, assigned
                if self.progress is not None:
                    w = min(range(len(self.best)), key=lambda i: (self.best[i], i))
                    self.progress(ProgressEvent(self.name, time.perf_counter() - self.tic,
                                                sum(self.done), best_objective=self.best[w],
                                                assigned=self.assigned[w]))
        return report


class Exchange:
    """Where the workers of one solve meet to share their best plans.

    Each worker offers its best plan at each of ``times`` meeting points; when every
    worker still searching has offered, the best offer (ties: the lowest worker) is
    the meeting's result, and every worker whose best is worse continues from it.
    A worker that stops searching leaves, so the others never wait for it. The
    meeting points are the same iteration counts for every worker under an
    iteration limit, which keeps the result deterministic for a seed.
    """

    def __init__(self, workers: int, times: int) -> None:
        self.times = times
        self.active = workers
        self.cond = threading.Condition()
        self.offers: dict[int, tuple[float, Any]] = {}
        self.generation = 0
        self.result: tuple[int, float, Any] | None = None

    def _close(self) -> None:
        """(lock held) The meeting's result: the best offer; wake the waiting workers."""
        k = min(self.offers, key=lambda i: (self.offers[i][0], i))
        self.result = (k, *self.offers[k])
        self.offers = {}
        self.generation += 1
        self.cond.notify_all()

    def meet(self, k: int, best: float, plan: Any) -> tuple[int, float, Any]:
        """Offer worker ``k``'s best objective and plan; returns the meeting's best
        ``(worker, objective, plan)`` once every active worker has offered."""
        with self.cond:
            generation = self.generation
            self.offers[k] = (best, plan)
            if len(self.offers) >= self.active:
                self._close()
            else:
                while self.generation == generation:
                    self.cond.wait()
            assert self.result is not None
            return self.result

    def leave(self) -> None:
        """A worker stops searching: later meetings do not wait for it."""
        with self.cond:
            self.active -= 1
            if self.offers and len(self.offers) >= self.active:
                self._close()


class Port:
    """One worker's side of an :class:`Exchange`: when it meets the others, and what it
    does with the best plan."""

    def __init__(self, exchange: Exchange, k: int) -> None:
        self.exchange, self.k = exchange, k
        self.met = 0  # meetings attended
        self.left = False

    def _point(self, m: int, total: int | None, span: float) -> float:
        return (total if total is not None else span) * (m + 1) / (self.exchange.times + 1)

    def due(self, done: int, total: int | None, elapsed: float, span: float) -> bool:
        """Whether the next meeting point is reached (``done`` iterations of ``total``,
        or ``elapsed`` seconds of the search's ``span`` without an iteration limit)."""
        if self.met >= self.exchange.times:
            return False
        at = done if total is not None else elapsed
        return at >= self._point(self.met, total, span)

    def clamp(self, n: int, done: int, total: int | None) -> int:
        """``n`` iterations, cut so that a chunk ends at the next meeting point."""
        if total is None or self.met >= self.exchange.times:
            return n
        return max(min(n, int(self._point(self.met, total, 0.0)) - done), 1)

    def meet(self, w: Any, adopt: Any) -> None:
        """Offer ``w``'s best plan; adopt the meeting's best (``adopt(plan)``) when better."""
        self.met += 1
        mine = float(w.obj[1])
        plan = (w.best_seq.copy(), w.best_len.copy(), w.best_pick.copy())
        k, best, theirs = self.exchange.meet(self.k, mine, plan)
        if k != self.k and best < mine - 1e-9 * max(abs(mine), 1.0):
            adopt(theirs)

    def leave(self) -> None:
        """The worker stopped searching (once)."""
        if not self.left:
            self.left = True
            self.exchange.leave()


def _own_copy(value: Any) -> Any:
    """``value`` (a tuple of arrays, possibly nested) with every array copied."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_own_copy(v) for v in value))
    return value


def private(shared: _Shared) -> _Shared:
    """``shared`` with its own copy of every array the search kernel reads.

    Compiled code counts references to every array it touches, atomically: two
    threads reading the same arrays write the same counters all the time, and the
    cores then pass those cache lines back and forth (two threads did a third of one
    thread's iterations). With its own copies a worker shares nothing.
    """
    problem = shared.problem
    data = _own_copy(getattr(problem.data, "fields", problem.data))
    return attrs.evolve(shared, problem=attrs.evolve(problem, data=data),
                        **{name: getattr(shared, name).copy() for name in (
                            "near_ptr", "near_route", "nb_ptr", "nb", "depot_dist",
                            "locked")})


def run_threads(solver: LocalSearchSolver, shared: _Shared, seed: int | None,
                progress: ProgressCallback | None) -> list[_Run]:
    """``solver.workers`` searches from ``shared`` on as many threads (each with its own
    copy of the arrays it reads); their runs in worker order. An exception in any worker
    is raised here."""
    rngs = worker_rngs(seed, solver.workers)
    views = [shared] + [private(shared) for _ in range(1, solver.workers)]
    board = _Progress(solver.name, shared.tic, solver.workers, progress)
    runs: list[_Run | None] = [None] * solver.workers
    errors: list[BaseException] = []
    exchange = Exchange(solver.workers, solver.exchanges) if solver.exchanges else None

    def work(k: int) -> None:
        port = Port(exchange, k) if exchange is not None else None
        try:
            runs[k] = solver.run_search(views[k], rngs[k], None, board.reporter(k), port)
        except BaseException as exc:  # (re-raised in the caller)
            if port is not None:
                port.leave()  # (no other worker waits for this one)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,), name=f"fsdispatch-ls-{k}",
                                daemon=True) for k in range(1, solver.workers)]
    for t in threads:
        t.start()
    work(0)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for r in runs if r is not None]


def _island(solver: LocalSearchSolver, problem: Problem, limits: Limits, seed: int | None,
            deadline: float | None) -> BackendOutput:
    """One worker as an executor task: a one-worker solve with the time left."""
    if deadline is not None:
        limits = attrs.evolve(limits, time_limit=max(deadline - time.time(), 0.0))
    return solver.solve(problem, limits, seed, None)


def solve_islands(solver: LocalSearchSolver, problem: Problem, limits: Limits,
                  seed: int | None, progress: ProgressCallback | None) -> BackendOutput:
    """``solver.workers`` one-worker solves as tasks of ``solver.executor``; the best plan
    (ties: the lowest worker) with every worker's objective in its stats."""
    tic = time.perf_counter()
    one = attrs.evolve(solver, workers=1, executor=None)
    deadline = time.time() + limits.time_limit if limits.time_limit is not None else None
    executor = solver.executor
    assert executor is not None
    seeds = worker_seeds(seed, solver.workers)
    futures = [executor.submit(_island, one, problem, limits, s, deadline) for s in seeds]
    outs: Sequence[BackendOutput] = [f.result() for f in futures]
    objs = [float("inf") if o.objective is None else float(o.objective) for o in outs]
    k = min(range(len(outs)), key=lambda i: (objs[i], i))
    best = outs[k]
    stats = dict(best.stats)
    stats.update(workers=solver.workers, best_worker=k, worker_objectives=objs,
                 iterations_all_workers=sum(int(o.stats.get("iterations", 0)) for o in outs))
    if progress is not None:
        progress(ProgressEvent(solver.name, time.perf_counter() - tic,
                               stats["iterations_all_workers"], best_objective=objs[k],
                               assigned=sum(len(r) for r in best.plan.routes)))
    return attrs.evolve(best, stats=stats)
