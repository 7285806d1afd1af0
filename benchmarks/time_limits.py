"""How closely each backend honours ``time_limit`` (construction included), at every size.

For each backend, day size and limit: the wall time of ``fd.solve(problem, ...)`` minus the
one-time warm-up (JIT load, solver import: ``stats["jit_seconds"]``), as a ratio of the
limit; the promise is ratio <= 1.05 for every limit >= 1 s. Problems are compiled before
the clock starts (compilation is reported apart, as ``problem.compile_time``).

    python benchmarks/time_limits.py                      # greedy and ls up to 1,000 x 10,000
    python benchmarks/time_limits.py --sizes 25x200 --backends cpsat,milp --limits 1,2,5
"""

from __future__ import annotations

import argparse
import time
import warnings

import fsdispatch as fd


def main() -> None:
    """Print one row per (backend, size, limit) and the worst ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="greedy,ls")
    parser.add_argument("--sizes", default="25x200,100x1000,300x3000,1000x10000")
    parser.add_argument("--limits", default="1,2,5")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    limits = [float(x) for x in args.limits.split(",")]
    print(f"{'backend':8} {'size':>11} {'limit':>6} {'wall-jit':>9} {'ratio':>6} {'assigned':>9}")
    worst = 0.0
    for size in args.sizes.split(","):
        techs, tickets = (int(x) for x in size.split("x"))
        problem = fd.compile_scenario(fd.generate_scenario(techs, tickets, seed=1))
        for backend in args.backends.split(","):
            for limit in limits:
                for _ in range(args.repeat):
                    tic = time.perf_counter()
                    result = fd.solve(problem, backend, time_limit=limit, seed=0)
                    wall = time.perf_counter() - tic - float(result.stats.get("jit_seconds", 0))
                    worst = max(worst, wall / limit)
                    print(f"{backend:8} {size:>11} {limit:6.1f} {wall:9.3f} {wall / limit:6.3f} "
                          f"{result.evaluation.kpis.assigned:9d}", flush=True)
    print(f"worst ratio: {worst:.3f}")


if __name__ == "__main__":
    main()
