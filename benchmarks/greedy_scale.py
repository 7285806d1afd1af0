"""Greedy compile+solve time and peak memory at 200, 2 000 and 10 000 tickets.

Each size runs in a fresh subprocess so that peak RSS belongs to that size
alone. JIT warm-up (loading the numba cache, or compiling on a first run) is
measured apart by solving a tiny scenario first in the same process.

    python benchmarks/greedy_scale.py            # all sizes, prints a table
    python benchmarks/greedy_scale.py --sizes 20x200 200x2000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one(num_technicians: int, num_tickets: int, seed: int, max_candidates: int | None) -> dict:
    import fsdispatch as fd

    tic = time.perf_counter()
    fd.solve(fd.generate_scenario(2, 5, seed=0), "greedy")  # JIT warm-up / cache load
    warm = time.perf_counter() - tic
    tic = time.perf_counter()
    scenario = fd.generate_scenario(num_technicians, num_tickets, seed=seed)
    gen = time.perf_counter() - tic
    tic = time.perf_counter()
    problem = fd.compile_scenario(scenario)
    comp = time.perf_counter() - tic
    options = {} if max_candidates is None else {"max_candidates": max_candidates}
    tic = time.perf_counter()
    result = fd.solve(problem, "greedy", **options)
    solve = time.perf_counter() - tic
    ev = result.evaluation
    return {
        "technicians": num_technicians, "tickets": num_tickets, "warmup_s": warm,
        "generate_s": gen, "compile_s": comp, "solve_s": solve,
        "backend_s": result.runtime, "total_s": comp + solve,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "assigned": ev.kpis.assigned, "feasible": ev.is_feasible,
        "objective": ev.objective, "travel_min": ev.kpis.travel_time_min,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["20x200", "200x2000", "1000x10000"],
                        help="TECHNICIANSxTICKETS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-candidates", type=int, default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        t, n = (int(v) for v in args.one.split("x"))
        print(json.dumps(one(t, n, args.seed, args.max_candidates)))
        return
    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--one", size, "--seed", str(args.seed)]
        if args.max_candidates is not None:
            cmd += ["--max-candidates", str(args.max_candidates)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    head = (f"{'techs':>6} {'tickets':>8} {'warm-up s':>9} {'compile s':>9} {'solve s':>8} "
            f"{'total s':>8} {'peak MB':>8} {'assigned':>9} {'feasible':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['technicians']:>6} {r['tickets']:>8} {r['warmup_s']:>9.2f} "
              f"{r['compile_s']:>9.2f} {r['solve_s']:>8.2f} {r['total_s']:>8.2f} "
              f"{r['peak_rss_mb']:>8.0f} {r['assigned']:>9} {r['feasible']!s:>8}")


if __name__ == "__main__":
    main()
