"""``ls`` solution quality on Solomon / Gehring–Homberger at a fixed iteration count.

Deterministic for a seed and iteration count (the table does not depend on the
machine's load): per-instance gap to the DIMACS best known distance, routes used
against the BKS routes, CPU seconds, and per-class mean / max gaps. Every plan is
scored by ``fsdispatch.evaluate``.

    python benchmarks/ls_quality.py                                  # all 56, 10 000 iterations
    python benchmarks/ls_quality.py --instances "R2*,RC2*" --iterations 3000
    python benchmarks/ls_quality.py --set gh200 --instances "R2_2_*" --options '{"descent": false}'
    python benchmarks/ls_quality.py --field --iterations 2000      # generated field-service days

``--field`` solves generated field-service days (skills, parts, breaks, SLAs,
priorities; :func:`fsdispatch.generate_scenario`) instead and prints each day's
improvement of ``ls`` over the greedy start (higher is better).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from collections import defaultdict
from pathlib import Path

import fsdispatch as fd
from fsdispatch.bench.runner import SETS, list_instances, load_bks
from fsdispatch.io.solomon import read_solomon
from fsdispatch.solvers.local_search import LocalSearchSolver

DATA = Path(__file__).resolve().parent / "data"


def _bks_routes(set_dir: Path) -> dict[str, int]:
    with (set_dir / "bks.csv").open(newline="") as handle:
        return {row["instance"].upper(): int(row["bks_dimacs_routes"])
                for row in csv.DictReader(handle) if row.get("bks_dimacs_routes")}


def _klass(name: str) -> str:
    m = re.match(r"(RC|R|C)(\d)", name)
    return m.group(1) + m.group(2) if m else name


FIELD_DAYS = ((8, 60, 1), (20, 200, 1), (20, 200, 2), (50, 500, 1), (30, 300, 1), (10, 100, 1))
"""(technicians, tickets, generator seed) of the ``--field`` days."""


def _field(args: argparse.Namespace, solver: object, limits: dict[str, float]) -> None:
    """Greedy vs ``ls`` objectives on the generated field-service days."""
    print("| day | greedy obj | ls obj | improvement % | assigned | CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    gains = []
    for techs, tickets, gen_seed in FIELD_DAYS:
        problem = fd.compile_scenario(fd.generate_scenario(techs, tickets, seed=gen_seed))
        greedy = fd.solve(problem, "greedy", seed=args.seed).evaluation
        cpu = time.process_time()
        r = fd.solve(problem, solver, seed=args.seed, **limits)
        cpu = time.process_time() - cpu
        ev = r.evaluation
        assert ev.is_feasible and greedy.is_feasible, (techs, tickets, gen_seed)
        gain = 100.0 * (greedy.objective - ev.objective) / abs(greedy.objective)
        gains.append(gain)
        print(f"| {techs}x{tickets} s{gen_seed} | {greedy.objective:.1f} | {ev.objective:.1f} "
              f"| {gain:.2f} | {ev.kpis.assigned} | {cpu:.1f} |", flush=True)
    print(f"\nmean improvement over greedy: {sum(gains) / len(gains):.2f} %")


def main(argv: list[str] | None = None) -> None:
    """Solve each instance with ``ls`` and print per-instance and per-class tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="solomon", help="solomon or gh200")
    ap.add_argument("--instances", default="all", help="comma-separated patterns (default all)")
    ap.add_argument("--iterations", type=int, default=10_000)
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds per instance instead of an iteration count")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--options", default="{}", help="LocalSearchSolver options as JSON")
    ap.add_argument("--quiet", action="store_true", help="only the per-class table")
    ap.add_argument("--field", action="store_true",
                    help="generated field-service days instead of a benchmark set")
    args = ap.parse_args(argv)
    set_dir = DATA / SETS[args.set]
    paths = list_instances(args.set, args.instances.split(","), data_dir=DATA)
    bks, bks_routes = load_bks(set_dir), _bks_routes(set_dir)
    options = json.loads(args.options)
    solver = LocalSearchSolver(**options) if options else "ls"
    limits = ({"time_limit": args.time_limit} if args.time_limit is not None
              else {"max_iterations": args.iterations})
    budget = f"{args.time_limit} s" if args.time_limit is not None \
        else f"{args.iterations:,} iterations"
    if args.field:
        print(f"field-service days, {budget}, seed {args.seed}, options {options}\n")
        _field(args, solver, limits)
        return
    print(f"{len(paths)} {args.set} instances, {budget}, seed {args.seed}, options {options}\n")
    if not args.quiet:
        print("| instance | gap % | routes | BKS routes | CPU s | iterations |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
    by_class: dict[str, list[float]] = defaultdict(list)
    cpu_all = 0.0
    for path in paths:
        inst = path.stem.upper()
        problem = fd.compile_scenario(read_solomon(path))
        cpu = time.process_time()
        r = fd.solve(problem, solver, seed=args.seed, **limits)
        cpu = time.process_time() - cpu
        cpu_all += cpu
        ev = r.evaluation
        assert ev.is_feasible, inst
        gap = 100.0 * (ev.objective - bks[inst]) / bks[inst]
        by_class[_klass(inst)].append(gap)
        routes = sum(1 for route in r.plan.routes if route)
        if not args.quiet:
            print(f"| {inst} | {gap:.2f} | {routes} | {bks_routes.get(inst, '')} | {cpu:.1f} "
                  f"| {r.stats.get('iterations', '')} |", flush=True)
    print("\n| class | n | mean gap % | max gap % |")
    print("| --- | ---: | ---: | ---: |")
    gaps = [g for v in by_class.values() for g in v]
    for k, v in sorted(by_class.items()):
        print(f"| {k} | {len(v)} | {sum(v) / len(v):.2f} | {max(v):.2f} |")
    print(f"| all | {len(gaps)} | {sum(gaps) / len(gaps):.2f} | {max(gaps):.2f} |")
    print(f"\nCPU {cpu_all:.0f} s")


if __name__ == "__main__":
    main()
