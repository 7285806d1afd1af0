"""Crash-isolated stress run of the solver backends on random days (issue #15).

Each day is ``fsdispatch.testing.days.random_day(seed)`` (``exact=True`` for
cpsat and milp), solved in a worker subprocess; a worker that dies or hangs is
reported with the (backend, seed) it was solving and replaced. Every plan is
checked by the shared evaluator: feasible, no ticket lost, and for greedy and
ls the backend's objective equals the evaluator's.

    python benchmarks/stress.py --backends greedy,ls --days 1000 --workers 2
    python benchmarks/stress.py --backends cpsat,milp --days 1000 --time-limit 2
    NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR=$(mktemp -d) \\
        python benchmarks/stress.py --backends greedy,ls --days 300
    python benchmarks/stress.py --backends greedy,ls --days 300 --boundscheck   # the same

Reproduce one reported day: ``python -m fsdispatch.testing._stress_worker --one ls:SEED``.
Exit code 1 if any day failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from fsdispatch.testing.stress import (
    BACKENDS,
    LS_ITERATIONS,
    TIME_LIMIT,
    DayResult,
    boundscheck_env,
    run_stress,
)


def main() -> int:
    """Parse the command line, run the stress days, print the table and every failure."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help=f"comma-separated, from {', '.join(BACKENDS)} (default: all)")
    parser.add_argument("--days", type=int, default=1000, help="days per backend")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--ls-iterations", type=int, default=LS_ITERATIONS)
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                        help="seconds per cpsat / milp day")
    parser.add_argument("--day-timeout", type=float, default=300.0,
                        help="a day without an answer after this many seconds is a crash")
    parser.add_argument("--boundscheck", action="store_true",
                        help="workers run with NUMBA_BOUNDSCHECK=1 and a fresh NUMBA_CACHE_DIR")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args()

    backends = [b for b in args.backends.split(",") if b]

    def progress(result: DayResult, done: int, total: int) -> None:
        if result.failed:
            print(f"\nday {done}/{total} failed: {result.describe()}", file=sys.stderr,
                  flush=True)
        if not args.quiet and (done % 50 == 0 or done == total):
            print(f"\r{done}/{total} days", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="fsdispatch-numba-") as cache:
        env = boundscheck_env(cache) if args.boundscheck else dict(os.environ)
        if env.get("NUMBA_BOUNDSCHECK"):
            print(f"NUMBA_BOUNDSCHECK={env['NUMBA_BOUNDSCHECK']} "
                  f"NUMBA_CACHE_DIR={env.get('NUMBA_CACHE_DIR', '(default)')} "
                  "(the first worker compiles every kernel: minutes)", file=sys.stderr)
        report = run_stress(backends, days=args.days, workers=args.workers,
                            first_seed=args.first_seed, ls_iterations=args.ls_iterations,
                            time_limit=args.time_limit, day_timeout=args.day_timeout,
                            env=env, progress=progress)
    print(report.table())
    failures = report.failures()
    if failures:
        print(f"\n{len(failures)} failing day(s):")
        print(report.describe_failures(limit=len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
