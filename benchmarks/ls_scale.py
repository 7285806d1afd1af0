"""Local search (``ls``) on large generated days: improvement over greedy, time and peak memory.

Each size runs in a fresh subprocess so that peak RSS belongs to that size
alone; the JIT warm-up (loading the numba cache) is measured apart.
Targets (issue "Numba local search"): a 3 000-ticket / 300-technician day
improves the greedy objective by at least 10 % within 60 s; a 20 000-ticket /
2 000-technician day runs within 4 GB peak memory.

    python benchmarks/ls_scale.py                          # 300x3000 and 2000x20000, 60 s
    python benchmarks/ls_scale.py --sizes 30x300 --time-limit 10
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one(num_technicians: int, num_tickets: int, seed: int, time_limit: float) -> dict:
    import fsdispatch as fd
    from fsdispatch.solvers.local_search import warm_up

    warm = warm_up()
    tic = time.perf_counter()
    problem = fd.compile_scenario(fd.generate_scenario(num_technicians, num_tickets, seed=seed))
    comp = time.perf_counter() - tic
    greedy = fd.solve(problem, "greedy")
    result = fd.solve(problem, "ls", time_limit=time_limit, seed=seed)
    g, ev = greedy.evaluation, result.evaluation
    return {
        "technicians": num_technicians, "tickets": num_tickets, "warmup_s": warm,
        "compile_s": comp, "greedy_s": greedy.runtime, "ls_s": result.runtime,
        "iterations": result.stats["iterations"],
        "greedy_objective": g.objective, "ls_objective": ev.objective,
        "improvement_pct": 100.0 * (1.0 - ev.objective / g.objective) if g.objective else 0.0,
        "greedy_assigned": g.kpis.assigned, "ls_assigned": ev.kpis.assigned,
        "greedy_travel_min": g.kpis.travel_time_min, "ls_travel_min": ev.kpis.travel_time_min,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "feasible": ev.is_feasible,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["300x3000", "2000x20000"],
                        help="TECHNICIANSxTICKETS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        t, n = (int(v) for v in args.one.split("x"))
        print(json.dumps(one(t, n, args.seed, args.time_limit)))
        return
    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--one", size, "--seed", str(args.seed),
               "--time-limit", str(args.time_limit)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    head = (f"{'techs':>6} {'tickets':>8} {'compile s':>9} {'greedy s':>8} {'ls s':>6} "
            f"{'iters':>7} {'greedy obj':>12} {'ls obj':>12} {'better %':>8} "
            f"{'assigned g/ls':>14} {'travel h g/ls':>14} {'peak MB':>8} {'feasible':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        assigned = f"{r['greedy_assigned']}/{r['ls_assigned']}"
        travel = f"{r['greedy_travel_min'] / 60:.0f}/{r['ls_travel_min'] / 60:.0f}"
        print(f"{r['technicians']:>6} {r['tickets']:>8} {r['compile_s']:>9.2f} "
              f"{r['greedy_s']:>8.2f} {r['ls_s']:>6.1f} {r['iterations']:>7} "
              f"{r['greedy_objective']:>12.0f} {r['ls_objective']:>12.0f} "
              f"{r['improvement_pct']:>8.1f} {assigned:>14} {travel:>14} "
              f"{r['peak_rss_mb']:>8.0f} {r['feasible']!s:>8}")


if __name__ == "__main__":
    main()
