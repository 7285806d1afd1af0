"""Worker process of :func:`fsdispatch.testing.stress.run_stress` (one day at a time).

Protocol: after loading the kernels it writes ``{"ready": true}``; then for
every line ``{"backend": ..., "seed": ...}`` on stdin it solves that day with
:func:`~fsdispatch.testing.stress.check_day` and writes one JSON line (the
:class:`~fsdispatch.testing.stress.DayResult` fields) to stdout. It stops at
the end of stdin. Anything else the process prints (a library, a native
solver) goes to stderr, so it cannot break the protocol.

Reproduce one day in a fresh process::

    python -m fsdispatch.testing._stress_worker --one ls:123
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Sequence


def _self_test(backend: str) -> None:
    """The pseudo-backends that test crash isolation: abort, exit 3, or hang."""
    sys.stderr.write(f"self-test {backend}\n")
    sys.stderr.flush()
    if backend == "__abort__":
        os.abort()
    if backend == "__exit__":
        os._exit(3)
    while True:  # "__hang__"
        time.sleep(60)


def _warm_up() -> None:
    """Load (or compile) the kernels of greedy, ls and the evaluator (on the library's own
    warm-up days, not on stress days: a solver bug must show on a day, with its seed)."""
    from ..generate import generate_scenario
    from ..solvers.local_search import warm_up
    from ..solvers.solve import solve

    warm_up()
    solve(generate_scenario(2, 6, seed=0, name="warm-up"), "greedy")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the worker loop (or ``--one BACKEND:SEED``); returns the exit code."""
    from .stress import LS_ITERATIONS, SELF_TEST, TIME_LIMIT, check_day

    parser = argparse.ArgumentParser(prog="python -m fsdispatch.testing._stress_worker")
    parser.add_argument("--ls-iterations", type=int, default=LS_ITERATIONS)
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    parser.add_argument("--no-warm-up", action="store_true")
    parser.add_argument("--one", default=None, metavar="BACKEND:SEED",
                        help="solve one day here, print what went wrong; exit 1 if anything")
    args = parser.parse_args(argv)

    if args.one:
        backend, _, seed = args.one.partition(":")
        result = check_day(backend, int(seed), ls_iterations=args.ls_iterations,
                           time_limit=args.time_limit)
        print(result.describe())
        return 1 if result.failed else 0

    # the protocol gets its own copy of stdout; fd 1 (print, C libraries) goes to stderr
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    if not args.no_warm_up:
        _warm_up()
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        task = json.loads(line)
        backend, seed = str(task["backend"]), int(task["seed"])
        if backend in SELF_TEST:
            _self_test(backend)
        sys.stderr.write(f"day {backend}:{seed}\n")  # names the day in a crash's stderr
        sys.stderr.flush()
        result = check_day(backend, seed, ls_iterations=args.ls_iterations,
                           time_limit=args.time_limit)
        out.write(json.dumps(dataclasses.asdict(result)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
