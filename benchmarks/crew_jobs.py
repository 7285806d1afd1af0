"""Crew jobs: how many crews greedy and ls place, and what planning them costs.

Run: ``PYTHONPATH=src python benchmarks/crew_jobs.py`` (prints a table; no targets).
"""

from __future__ import annotations

import time

import numpy as np

import fsdispatch as fd
from fsdispatch.problem.crew import crew_sizes


def main() -> None:
    """Print, per day size and crew share: crews, crews served, feasibility and runtime."""
    print(
        f"{'day':>8} {'crew%':>5} {'solver':>6} {'crews':>5} {'served':>6} "
        f"{'assigned':>8} {'feasible':>8} {'seconds':>7}"
    )
    for techs, tickets in ((10, 60), (25, 200)):
        for share in (0.0, 0.05):
            problem = fd.compile_scenario(
                fd.generate_scenario(techs, tickets, seed=7, crew_fraction=share)
            )
            crew = np.flatnonzero(crew_sizes(problem) > 1)
            for solver in ("greedy", "ls"):
                fd.solve(problem, solver, seed=0, max_iterations=10)  # load the kernels
                tic = time.perf_counter()
                res = fd.solve(
                    problem, solver, seed=0, max_iterations=2000 if solver == "ls" else None
                )
                secs = time.perf_counter() - tic
                served = sum(1 for j in crew.tolist() if j not in res.plan.unassigned)
                print(
                    f"{techs:>3}x{tickets:<4} {share * 100:>5.0f} {solver:>6} "
                    f"{crew.size:>5} {served:>6} {res.evaluation.kpis.assigned:>8} "
                    f"{res.evaluation.is_feasible!s:>8} {secs:>7.2f}"
                )


if __name__ == "__main__":
    main()
