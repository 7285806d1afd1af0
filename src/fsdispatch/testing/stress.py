"""Crash-isolated stress runs: many random days per backend, each solved in a worker process.

A solver bug that corrupts memory kills the process (SIGSEGV, a heap abort)
instead of raising, so it must not run in the process that reports on it.
:func:`run_stress` drives a pool of worker subprocesses
(``python -m fsdispatch.testing._stress_worker``), sends each a backend and a
seed, and reads one JSON line back per day. When a worker dies (a signal, an
abort, a non-zero exit) or hangs past ``day_timeout``, the day it was solving
is recorded as a crash with its backend, seed, exit code or signal and the
tail of its stderr, and a new worker takes over. Every day that returns is
checked in the worker by the shared evaluator (:func:`check_day`).

Days come from :func:`fsdispatch.testing.days.random_day` (``exact=True`` for
``cpsat`` and ``milp``), so ``(backend, seed)`` reproduces a failure::

    import fsdispatch as fd
    from fsdispatch.testing.days import random_day
    fd.solve(random_day(123), "ls", seed=123, max_iterations=500)

or in a fresh process, with its output: ``python -m fsdispatch.testing._stress_worker
--one ls:123``.
"""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = ["BACKENDS", "LS_ITERATIONS", "TIME_LIMIT", "DayResult", "StressReport",
           "boundscheck_env", "check_day", "exit_text", "run_stress", "solve_day"]

BACKENDS: tuple[str, ...] = ("greedy", "ls", "cpsat", "milp")
"""The backends a stress run knows how to drive."""

EXACT_BACKENDS = frozenset({"cpsat", "milp"})
"""Backends that get the small :data:`~fsdispatch.testing.days.EXACT` days."""

LS_ITERATIONS = 500
"""``ls`` iterations per stress day (the issue's reproduction used 500)."""

TIME_LIMIT = 2.0
"""Seconds per ``cpsat`` / ``milp`` stress day."""

SELF_TEST = frozenset({"__abort__", "__exit__", "__hang__"})
"""Pseudo-backends the worker answers by aborting, exiting with code 3 or hanging (to test
the crash isolation itself)."""


@dataclass(frozen=True)
class DayResult:
    """The outcome of one (backend, seed) day.

    Attributes
    ----------
    backend, seed:
        What was solved: ``random_day(seed, exact=backend in ("cpsat", "milp"))``.
    crashed:
        The worker died (or hung past the day timeout) on this day.
    error:
        ``"ExceptionType: message"`` if the solve raised (an ``IndexError``
        here is an out-of-bounds access caught by ``NUMBA_BOUNDSCHECK=1``).
    infeasible:
        The shared evaluator found violations (first few in ``detail``).
    lost:
        Some ticket is in no route and not unassigned, in two routes, or both
        routed and unassigned, or unassigned without an ``UnassignedReason``.
    mismatch:
        The backend's own objective differs from the evaluator's (greedy and ls only).
    detail:
        Human-readable details: exit code or signal and stderr tail, violations,
        lost ticket indices.
    seconds:
        Worker-side seconds for the day (building, compiling, solving, checking).
    num_technicians, num_tickets:
        The day's size (-1 when the worker crashed).
    """

    backend: str
    seed: int
    crashed: bool = False
    error: str | None = None
    infeasible: bool = False
    lost: bool = False
    mismatch: bool = False
    detail: str = ""
    seconds: float = 0.0
    num_technicians: int = -1
    num_tickets: int = -1

    @property
    def failed(self) -> bool:
        """Anything wrong with this day."""
        return (self.crashed or self.error is not None or self.infeasible or self.lost
                or self.mismatch)

    def describe(self) -> str:
        """One line: backend, seed, what went wrong, details."""
        what = [name for name, bad in (("CRASH", self.crashed), ("error", self.error),
                                       ("infeasible", self.infeasible), ("lost", self.lost),
                                       ("objective mismatch", self.mismatch)) if bad]
        size = (f" ({self.num_technicians} technicians, {self.num_tickets} tickets)"
                if self.num_tickets >= 0 else "")
        text = f"{self.backend} seed {self.seed}{size}: {', '.join(what) or 'ok'}"
        if self.error:
            text += f": {self.error}"
        if self.detail:
            text += f" | {self.detail}"
        return text


@dataclass
class StressReport:
    """Every day's :class:`DayResult` of a :func:`run_stress` call, and the wall time."""

    results: list[DayResult] = field(default_factory=list)
    wall_seconds: float = 0.0

    def failures(self) -> list[DayResult]:
        """The days that crashed, raised, were infeasible, lost a ticket or mismatched."""
        return [r for r in self.results if r.failed]

    def rows(self) -> list[dict[str, Any]]:
        """One summary row per backend (in :data:`BACKENDS` order)."""
        out = []
        names = [b for b in BACKENDS if any(r.backend == b for r in self.results)]
        names += sorted({r.backend for r in self.results} - set(names))
        for name in names:
            mine = [r for r in self.results if r.backend == name]
            out.append({
                "backend": name, "days": len(mine),
                "crashes": sum(r.crashed for r in mine),
                "errors": sum(r.error is not None for r in mine),
                "infeasible": sum(r.infeasible for r in mine),
                "lost": sum(r.lost for r in mine),
                "mismatch": sum(r.mismatch for r in mine),
                "seconds": round(sum(r.seconds for r in mine), 1),
            })
        return out

    def table(self) -> str:
        """The per-backend summary as a plain-text table."""
        rows = self.rows()
        cols = ["backend", "days", "crashes", "errors", "infeasible", "lost", "mismatch",
                "seconds"]
        widths = {c: max([len(c)] + [len(str(r[c])) for r in rows]) for c in cols}
        lines = ["  ".join(c.rjust(widths[c]) if c != "backend" else c.ljust(widths[c])
                           for c in cols)]
        for r in rows:
            lines.append("  ".join(str(r[c]).rjust(widths[c]) if c != "backend"
                                   else str(r[c]).ljust(widths[c]) for c in cols))
        lines.append(f"wall time {self.wall_seconds:.1f} s")
        return "\n".join(lines)

    def describe_failures(self, limit: int = 200) -> str:
        """Every failure on its own line (at most ``limit``), for a test's assertion message."""
        bad = self.failures()
        lines = [r.describe() for r in bad[:limit]]
        if len(bad) > limit:
            lines.append(f"... and {len(bad) - limit} more")
        return "\n".join(lines)


# ------------------------------------------------------------------ in the worker
def solve_day(backend: str, seed: int, *, ls_iterations: int = LS_ITERATIONS,
              time_limit: float = TIME_LIMIT) -> tuple[Any, Any]:
    """Solve the stress day of ``(backend, seed)``; returns ``(problem, SolveResult)``.

    ``greedy`` as is; ``ls`` with ``max_iterations=ls_iterations`` and its
    default options (descent on); ``cpsat`` (one worker) and ``milp`` on
    ``random_day(seed, exact=True)`` with ``time_limit`` seconds.
    """
    from ..problem.compile import compile_scenario
    from ..solvers.solve import solve
    from .days import random_day

    if backend not in BACKENDS:
        raise ValueError(f"unknown stress backend {backend!r}; known: {', '.join(BACKENDS)}")
    problem = compile_scenario(random_day(seed, exact=backend in EXACT_BACKENDS))
    if backend == "greedy":
        return problem, solve(problem, "greedy", seed=seed)
    if backend == "ls":
        return problem, solve(problem, "ls", seed=seed, max_iterations=ls_iterations)
    if backend == "cpsat":
        return problem, solve(problem, "cpsat", seed=seed, time_limit=time_limit, workers=1)
    return problem, solve(problem, "milp", seed=seed, time_limit=time_limit)


def _size(backend: str, seed: int) -> tuple[int, int]:
    """Technicians and tickets of a stress day (``(-1, -1)`` if it cannot even be built)."""
    from .days import random_day

    try:
        day = random_day(seed, exact=backend in EXACT_BACKENDS)
    except Exception:  # the generator's own failure is reported by the caller
        return -1, -1
    return len(day.technicians), len(day.tickets)


def check_day(backend: str, seed: int, *, ls_iterations: int = LS_ITERATIONS,
              time_limit: float = TIME_LIMIT) -> DayResult:
    """Solve one stress day in this process and check it with the shared evaluator.

    A Python exception from the solve is recorded in :attr:`DayResult.error`
    (not raised); a memory error kills this process, which is why
    :func:`run_stress` calls this in workers.
    """
    from ..plan import UnassignedReason

    tic = time.perf_counter()
    try:
        problem, result = solve_day(backend, seed, ls_iterations=ls_iterations,
                                    time_limit=time_limit)
    except Exception as exc:  # every exception is a finding, reported with the seed
        error = f"{type(exc).__name__}: {exc}"
        if exc.__cause__ is not None:  # e.g. BackendFailedError from a bounds-checked IndexError
            error += f" (from {type(exc.__cause__).__name__}: {exc.__cause__})"
        num_technicians, num_tickets = _size(backend, seed)
        return DayResult(backend, seed, error=error, seconds=time.perf_counter() - tic,
                         num_technicians=num_technicians, num_tickets=num_tickets)
    ev, plan = result.evaluation, result.plan
    details = []
    infeasible = not ev.is_feasible
    if infeasible:
        details.append("violations: " + "; ".join(str(v) for v in ev.violations[:3]))
    routed = [j for route in plan.routes for j in route]
    counts: dict[int, int] = {}
    for j in routed:
        counts[int(j)] = counts.get(int(j), 0) + 1
    bad = sorted(j for j in range(problem.num_tickets)
                 if counts.get(j, 0) + (j in plan.unassigned) != 1
                 or (j in plan.unassigned and not isinstance(plan.unassigned[j],
                                                             UnassignedReason)))
    bad += sorted(j for j in set(counts) | set(plan.unassigned)
                  if not 0 <= j < problem.num_tickets)
    if bad:
        details.append(f"tickets not accounted for exactly once: {bad[:10]}")
    mismatch = False
    own = result.stats.get("backend_objective")
    if backend in ("greedy", "ls") and own is not None:
        mismatch = not math.isclose(own, ev.objective, rel_tol=1e-9, abs_tol=1e-6)
        if mismatch:
            details.append(f"backend objective {own!r} != evaluator {ev.objective!r}")
    return DayResult(backend, seed, infeasible=infeasible, lost=bool(bad), mismatch=mismatch,
                     detail=" | ".join(details), seconds=time.perf_counter() - tic,
                     num_technicians=problem.num_technicians, num_tickets=problem.num_tickets)


# ------------------------------------------------------------------ the parent
def exit_text(code: int | None) -> str:
    """How a child process ended, in words (exit code, or the signal that killed it)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name} ({code})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Worker:
    """One worker subprocess; its stderr goes to a temporary file (read on a crash)."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str] | None,
                 ready_timeout: float) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fsdispatch.testing._stress_worker", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            bufsize=1, env=None if env is None else dict(env))
        line = self._read_line(ready_timeout)
        if not line or json.loads(line).get("ready") is not True:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"stress worker did not start ({exit_text(self.proc.returncode)}"
                               f"): {self.stderr_tail()}")

    def _read_line(self, timeout: float) -> str:
        """The worker's next line; kills it (and sets :attr:`timed_out`) after ``timeout``."""
        assert self.proc.stdout is not None
        self.timed_out = False

        def kill() -> None:
            self.timed_out = True
            self.proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            return self.proc.stdout.readline()
        finally:
            timer.cancel()

    def stderr_tail(self, chars: int = 1500) -> str:
        """The last ``chars`` characters the worker wrote to stderr."""
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace")
        return text[-chars:].strip()

    def run(self, backend: str, seed: int, timeout: float) -> DayResult:
        """Send one day and wait for its result, or record the worker's death."""
        assert self.proc.stdin is not None
        self.stderr.seek(0)
        self.stderr.truncate()
        tic = time.perf_counter()
        try:
            self.proc.stdin.write(json.dumps({"backend": backend, "seed": seed}) + "\n")
            self.proc.stdin.flush()
            line = self._read_line(timeout)
        except (BrokenPipeError, OSError):
            line = ""
        if line:
            return DayResult(**json.loads(line))
        self.proc.kill()  # it closed its output; make sure it is gone
        code = self.proc.wait()
        how = (f"no answer within {timeout:.0f} s (killed)" if self.timed_out
               else exit_text(code))
        return DayResult(backend, seed, crashed=True,
                         detail=f"worker {how}; stderr: {self.stderr_tail() or '(empty)'}",
                         seconds=time.perf_counter() - tic)

    def close(self) -> None:
        """Ask the worker to stop (end of input), then make sure it is gone."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.stderr.close()


def run_stress(backends: Iterable[str], days: int | Mapping[str, int] = 1000, *,
               workers: int = 2, first_seed: int = 0, ls_iterations: int = LS_ITERATIONS,
               time_limit: float = TIME_LIMIT, day_timeout: float = 300.0,
               ready_timeout: float = 1800.0, warm_up: bool = True,
               env: Mapping[str, str] | None = None,
               progress: Callable[[DayResult, int, int], None] | None = None) -> StressReport:
    """Solve ``days`` random days per backend in crash-isolated worker processes.

    Parameters
    ----------
    backends:
        Names from :data:`BACKENDS`.
    days:
        Days per backend (seeds ``first_seed`` … ``first_seed + days - 1``),
        or a mapping backend -> days.
    workers:
        Worker processes solving in parallel (each single-threaded).
    ls_iterations, time_limit:
        ``ls`` iterations per day; ``cpsat`` / ``milp`` seconds per day.
    day_timeout:
        A day without an answer after this many seconds counts as a crash
        (the worker is killed and replaced).
    ready_timeout:
        Seconds a new worker may take to start and load (or compile) the
        numba kernels; the first worker starts alone, so the others load
        what it compiled.
    warm_up:
        Workers load the greedy, ls and evaluator kernels before their first
        day (so a day's time is its own; a fresh cache compiles them once).
    env:
        Environment of the workers (default: this process's), e.g. with
        ``NUMBA_BOUNDSCHECK=1`` and a fresh ``NUMBA_CACHE_DIR``.
    progress:
        Called as ``progress(result, done, total)`` after every day.

    Returns
    -------
    StressReport
        Every day's result; :meth:`StressReport.failures` lists what went wrong.
    """
    names = list(backends)
    for name in names:
        if name not in BACKENDS and name not in SELF_TEST:
            raise ValueError(f"unknown stress backend {name!r}; known: {', '.join(BACKENDS)}")
    counts = {b: (days[b] if isinstance(days, Mapping) else days) for b in names}
    tasks: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
    total = 0
    for name in names:
        for seed in range(first_seed, first_seed + counts[name]):
            tasks.put((name, seed))
            total += 1
    args = ["--ls-iterations", str(ls_iterations), "--time-limit", str(time_limit)]
    if not warm_up:
        args.append("--no-warm-up")
    report = StressReport()
    lock = threading.Lock()
    tic = time.perf_counter()
    pool = [_Worker(args, env, ready_timeout)]  # the first one compiles alone
    pool += [_Worker(args, env, ready_timeout) for _ in range(max(1, workers) - 1)]
    errors: list[BaseException] = []

    def drive(first: _Worker) -> None:
        worker: _Worker | None = first
        try:
            while True:
                try:
                    backend, seed = tasks.get_nowait()
                except queue.Empty:
                    return
                if worker is None:  # the last one died: a new one for the next day
                    worker = _Worker(args, env, ready_timeout)
                result = worker.run(backend, seed, day_timeout)
                if result.crashed:
                    worker.close()
                    worker = None
                with lock:
                    report.results.append(result)
                    if progress is not None:
                        progress(result, len(report.results), total)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            if worker is not None:
                worker.close()

    threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in pool]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"stress run failed: {errors[0]!r}") from errors[0]
    order = {name: k for k, name in enumerate(names)}
    report.results.sort(key=lambda r: (order[r.backend], r.seed))
    report.wall_seconds = time.perf_counter() - tic
    return report


def boundscheck_env(cache_dir: str | None = None) -> dict[str, str]:
    """This process's environment with ``NUMBA_BOUNDSCHECK=1`` and a fresh ``NUMBA_CACHE_DIR``.

    Kernels compiled without bounds checks must not be loaded from the cache,
    so the cache directory is new (``cache_dir`` or a new temporary directory).
    """
    env = dict(os.environ)
    env["NUMBA_BOUNDSCHECK"] = "1"
    env["NUMBA_CACHE_DIR"] = cache_dir or tempfile.mkdtemp(prefix="fsdispatch-numba-")
    return env
