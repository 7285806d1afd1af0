"""Weekly hours: what the weekly cap costs in run time and in the plan.

For generated multi-day horizons (``generate_scenario(T, N, seed=3, days=D)``), greedy and
``ls`` solve each horizon without weekly rules and with every technician capped at
``--cap`` hours per calendar week (and weekly overtime after ``--after`` hours); the
table gives the solve time (the better of two runs, so kernels are warm), tickets
served, the largest technician-week of work (hours) and the objective::

    python benchmarks/weekly.py                            # 10x150 over 5 days, 30x600 over 5 days
    python benchmarks/weekly.py --sizes 10x150x5 --cap 20 --after 16 --ls-iterations 2000

The cap makes each insertion check the technician's week (the work of its routes in the
week, once per route priced); the "time" columns show that overhead.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import attrs

import fsdispatch as fd


def capped(scenario: fd.Scenario, cap_h: float | None, after_h: float | None) -> fd.Problem:
    techs = tuple(attrs.evolve(
        t, max_weekly_work=None if cap_h is None else int(cap_h * 3600),
        weekly_overtime_after=None if after_h is None else int(after_h * 3600))
        for t in scenario.technicians)
    return fd.compile_scenario(attrs.evolve(scenario, technicians=techs))


def max_week_hours(problem: fd.Problem, plan: fd.Plan) -> float:
    """The largest technician-week of work in the plan (evaluator's work of its routes)."""
    scenario = problem.scenario
    tz = scenario.horizon.start.tzinfo
    groups: dict[tuple[int, tuple[int, int]], list[int]] = defaultdict(list)
    for r, (t, k) in enumerate(problem.index.routes):
        iso = scenario.technicians[t].shifts[k].start.astimezone(tz).isocalendar()
        groups[(t, (iso[0], iso[1]))].append(r)
    best = 0.0
    for routes in groups.values():
        only = [list(x) if r in routes else [] for r, x in enumerate(plan.routes)]
        best = max(best, fd.evaluate(problem, fd.Plan(only, {})).kpis.work_min / 60.0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10x150x5,30x600x5",
                    help="comma-separated TxNxDAYS (technicians, tickets, days)")
    ap.add_argument("--cap", type=float, default=24.0, help="max_weekly_work, hours")
    ap.add_argument("--after", type=float, default=20.0, help="weekly_overtime_after, hours")
    ap.add_argument("--ls-iterations", type=int, default=1000)
    args = ap.parse_args()
    warm = fd.generate_scenario(2, 6, seed=0, days=2)
    for name in ("greedy", "ls"):  # compile the kernels once, weekly rules on and off
        for cap in (None, 8.0):
            fd.solve(capped(warm, cap, cap), name, seed=0, max_iterations=20)
    print("| size | backend | weekly | time s | served | max week h | objective |")
    print("|---|---|---|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        t, n, d = (int(x) for x in size.split("x"))
        base = fd.generate_scenario(t, n, seed=3, days=d)
        for name in ("greedy", "ls"):
            for label, cap, after in (("off", None, None), ("on", args.cap, args.after)):
                problem = capped(base, cap, after)
                limits = {"max_iterations": args.ls_iterations} if name == "ls" else {}
                took = float("inf")
                for _ in range(2):  # (the better of two runs: the first may compile)
                    tic = time.perf_counter()
                    result = fd.solve(problem, name, seed=1, **limits)
                    took = min(took, time.perf_counter() - tic)
                assert result.evaluation.is_feasible, result.evaluation.violations[:3]
                print(f"| {size} | {name} | {label} | {took:.2f} | "
                      f"{result.evaluation.kpis.assigned}/{n} | "
                      f"{max_week_hours(problem, result.plan):.1f} | {result.objective:,.0f} |")


if __name__ == "__main__":
    main()
