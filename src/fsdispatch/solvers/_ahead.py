"""Compile a later phase's kernels in a second process while this one compiles the first
phase's (private).

With an empty numba cache, a process's first solve spends most of its time compiling
kernels, one after another, on one core. When a path has two phases whose kernels
differ (``ls`` = the greedy start, then the search), :func:`start` launches
``python -m fsdispatch.solvers._ahead <job>``, which compiles the later phase's
kernels into the shared on-disk cache while this process compiles (and runs) the
first phase; :meth:`Ahead.wait` then waits for it, and the later phase's kernels load
from the cache instead of compiling here. On two cores this cuts a cold first ``ls``
solve by about 30 % and the README's greedy solve by about 15 %
(``benchmarks/cold_start.py``); it is the same machine code either way.

Nothing depends on it for correctness: if the second process cannot start, fails or
is slow, this process compiles what is missing itself (numba writes cache files
atomically and skips entries whose data is not there yet). It is skipped when the
kernels are already cached (or not cached on disk), on one core, in a worker of a
``multiprocessing`` pool (Dask's included), with ``NUMBA_DISABLE_JIT``, and when
``FSDISPATCH_COMPILE_AHEAD=0``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Ahead", "cached", "start"]

_ENV = "FSDISPATCH_COMPILE_AHEAD"
_WAIT_SECONDS = 600.0
"""Longest wait for the second process (it compiles in well under a minute)."""
_LIVE: dict[str, Ahead] = {}
"""The second processes started and not yet waited for, by job."""


def _jobs() -> dict[str, Callable[[], Any]]:
    """The jobs by name; ``-traffic``: for a day with time-dependent travel (the kernels'
    other type, see ``fsdispatch.solvers._warm.ahead_job``)."""
    from functools import partial

    from ._warm import compile_evaluator
    from .local_search.solver import compile_search_kernels

    return {"ls": compile_search_kernels, "evaluate": compile_evaluator,
            "ls-traffic": partial(compile_search_kernels, True),
            "evaluate-traffic": partial(compile_evaluator, True)}


def cached(dispatcher: Any) -> bool:
    """Whether numba's on-disk cache holds an entry for the kernel ``dispatcher`` (or the
    question cannot be answered; then it is treated as cached: nothing is started)."""
    try:
        if dispatcher.signatures:  # compiled (or loaded) in this process already
            return True
        from numba.core.caching import FunctionCache

        cache = dispatcher._cache  # noqa: SLF001 - numba has no public cache API
        if not isinstance(cache, FunctionCache):  # not cached on disk: nothing to share
            return True
        # the entries of the kernel's index file that match its current source
        return bool(cache._cache_file._load_index())  # noqa: SLF001
    except Exception:  # pragma: no cover - numba internals changed: do not start anything
        return True


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _enabled() -> bool:
    import multiprocessing

    from numba.core import config

    if os.environ.get(_ENV, "1").strip().lower() in {"0", "false", "no", "off"}:
        return False
    if multiprocessing.parent_process() is not None:
        return False  # a pool's worker: its siblings use the other cores already
    return not getattr(config, "DISABLE_JIT", False) and _cores() >= 2


class Ahead:
    """A running second process compiling a job's kernels into the on-disk cache."""

    def __init__(self, job: str, proc: subprocess.Popen[bytes]) -> None:
        self.job = job
        self.proc = proc
        self.started = time.perf_counter()

    def wait(self, timeout: float = _WAIT_SECONDS) -> bool:
        """Wait until the second process ends; ``True`` when it compiled the job.

        On a failure or after ``timeout`` seconds it is stopped and ``False`` is
        returned: this process then compiles what is missing itself.
        """
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop(self.proc)
            code = -1
        if _LIVE.get(self.job) is self:
            del _LIVE[self.job]
        return code == 0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(5)


@atexit.register
def _stop_all() -> None:  # a process that ends early does not leave a compiler running
    for second in list(_LIVE.values()):
        _stop(second.proc)


def start(job: str, needed: Any) -> Ahead | None:
    """Start compiling ``job``'s kernels in a second process when the kernel ``needed``
    (a numba dispatcher of that phase) is not in the on-disk cache; ``None`` when
    nothing was started (cached, one core, disabled, or the process could not start).
    While a job's process runs, starting the job again returns it."""
    if job in _LIVE:
        return _LIVE[job]
    if job not in _jobs() or not _enabled() or not sys.executable or cached(needed):
        return None
    from numba.core import config

    env = dict(os.environ, **{_ENV: "0"})
    cache_dir = getattr(config, "CACHE_DIR", "")
    if cache_dir:  # the same cache, also when it was set from Python
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "fsdispatch.solvers._ahead", job],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
    except OSError:  # pragma: no cover - cannot start a process here
        return None
    second = _LIVE[job] = Ahead(job, proc)
    return second


def main(argv: list[str]) -> int:
    """Entry point of the second process: compile the named jobs' kernels."""
    jobs = _jobs()
    for job in argv:
        jobs[job]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
