"""Greedy vs cpsat vs milp: objective, proven bound, gap and time.

Two tables (markdown on stdout):

1. generated field-service days of 10/20/40/60 tickets (``generate_scenario``,
   default objective) — routing mode, and the same in assignment mode;
2. Solomon 25-customer instances (the first 25 customers of the 100-customer
   files in ``shared/data/solomon/txt``, DIMACS distance-only convention via
   ``fsdispatch.io.solomon.read_solomon``), fleet capped at ``--fleet``
   identical vehicles. Best-known solutions for 25 customers are not in the
   shared data, so the gap is to the best proven bound of the two exact
   backends (0 % means proven optimal).

Gap = (objective − bound) / objective, with the bound each exact backend
proves (greedy proves none; its gap is to the best bound of the row).

Run::

    python benchmarks/exact_table.py --time-limit 30            # generated days
    python benchmarks/exact_table.py --solomon --time-limit 60  # Solomon-25
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import fsdispatch as fd

SIZES = ((2, 10), (3, 20), (6, 40), (8, 60))
SOLOMON = ("C101", "C201", "R101", "R201", "RC101", "RC201")


def _data_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "shared" / "data" / "solomon" / "txt"
        if cand.is_dir():
            return cand
    return Path(os.environ.get("FSDISPATCH_SOLOMON", "/work/shared/data/solomon/txt"))


def _run(problem: fd.Problem, name: str, time_limit: float, **opts: object) -> fd.SolveResult:
    if name == "cpsat":
        opts.setdefault("workers", 1)
    return fd.solve(problem, name, time_limit=time_limit, seed=0, **opts)


def _row(label: str, results: dict[str, fd.SolveResult]) -> list[str]:
    bounds = [r.bound for r in results.values() if r.bound is not None]
    best_bound = max(bounds) if bounds else None
    cells = [label]
    for name in ("greedy", "cpsat", "milp"):
        r = results.get(name)
        if r is None:
            cells.append("–")
            continue
        bound = r.bound if r.bound is not None else best_bound
        gap = "–" if bound is None or r.objective == 0 else \
            f"{max(0.0, (r.objective - bound) / abs(r.objective)) * 100:.2f} %"
        shown_bound = f"{r.bound:.1f}" if r.bound is not None else "–"
        cells.append(f"{r.objective:.1f} / {shown_bound} / {gap} / {r.runtime:.1f} s / "
                     f"{r.status.value}")
    return cells


def _table(rows: list[list[str]], head: str) -> None:
    print(f"| {head} | greedy | cpsat | milp |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def generated(time_limit: float, mode: str) -> None:
    """Table 1: generated days."""
    rows = []
    for techs, tickets in SIZES:
        problem = fd.compile_scenario(fd.generate_scenario(techs, tickets, seed=1))
        results = {"greedy": fd.solve(problem, "greedy", mode=mode)}
        for name in ("cpsat", "milp"):
            try:
                results[name] = _run(problem, name, time_limit, mode=mode)
            except fd.UnsupportedProblemError:
                pass
        rows.append(_row(f"{techs} techs × {tickets} tickets", results))
    print(f"Generated days, {mode} mode, time limit {time_limit:g} s "
          "(cells: objective / bound / gap / time / status)\n")
    _table(rows, "instance")


def solomon(time_limit: float, fleet: int, customers: int) -> None:
    """Table 2: Solomon instances cut to their first ``customers`` customers."""
    from fsdispatch.io.solomon import read_solomon

    rows = []
    for name in SOLOMON:
        full = read_solomon(_data_dir() / f"{name}.txt")
        scenario = fd.Scenario(full.horizon, full.technicians[:fleet],
                               full.tickets[:customers], travel=full.travel,
                               objective=full.objective, name=f"{name}.{customers}")
        problem = fd.compile_scenario(scenario)
        results = {"greedy": fd.solve(problem, "greedy")}
        for backend in ("cpsat", "milp"):
            results[backend] = _run(problem, backend, time_limit)
        rows.append(_row(f"{name}.{customers}", results))
    print(f"Solomon {customers}-customer instances (DIMACS distance), fleet {fleet}, "
          f"time limit {time_limit:g} s (cells: distance / bound / gap / time / status)\n")
    _table(rows, "instance")


def main() -> None:
    """Print the tables asked for on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--solomon", action="store_true", help="Solomon-25 table instead")
    parser.add_argument("--fleet", type=int, default=12)
    parser.add_argument("--customers", type=int, default=25)
    parser.add_argument("--mode", choices=("routing", "assignment", "both"), default="both")
    args = parser.parse_args()
    # compile the numba kernels once so the first row's times are solve times
    fd.solve(fd.generate_scenario(2, 5, seed=0), "greedy")
    fd.solve(fd.generate_scenario(2, 5, seed=0), "cpsat", workers=1, time_limit=5)
    tic = time.perf_counter()
    if args.solomon:
        solomon(args.time_limit, args.fleet, args.customers)
    else:
        for mode in (("routing", "assignment") if args.mode == "both" else (args.mode,)):
            generated(args.time_limit, mode)
    print(f"(total {time.perf_counter() - tic:.0f} s, fsdispatch {fd.__version__})")


if __name__ == "__main__":
    main()
