"""``ls`` workers on Solomon VRPTW at equal iterations per worker (deterministic).

Each configuration solves every instance with the same seed and the same
``max_iterations`` per worker, so the table does not depend on the machine or its
load: it says what N workers buy when each of them gets as many iterations as one
worker alone (equal wall time when the threads have a free core each; the wall-time
ratio is printed too, measured in this run).

    python benchmarks/ls_workers.py                      # all 56, 10 000 iterations
    python benchmarks/ls_workers.py --instances "R2*" --iterations 2000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import fsdispatch as fd
from fsdispatch.bench.runner import list_instances, load_bks
from fsdispatch.io.solomon import read_solomon

DATA = Path(__file__).resolve().parent / "data"
CONFIGS = {
    "1 worker": {"workers": 1},
    "2 workers, independent": {"workers": 2, "exchanges": 0},
    "2 workers, 4 exchanges": {"workers": 2, "exchanges": 4},
}


def main(argv: list[str] | None = None) -> None:
    """Run each configuration on the instances and print mean / max gaps to the BKS."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default="*", help="comma-separated patterns (default all)")
    ap.add_argument("--iterations", type=int, default=10_000, help="per worker")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    paths = list_instances("solomon", args.instances.split(","), data_dir=DATA)
    bks = load_bks(DATA / "solomon")
    problems = [(p.stem.upper(), fd.compile_scenario(read_solomon(p))) for p in paths]
    fd.solve(problems[0][1], "ls", max_iterations=10, seed=0)  # load the kernels
    print(f"{len(problems)} Solomon instances, {args.iterations:,} iterations per worker, "
          f"seed {args.seed}\n")
    print("| configuration | mean gap % | max gap % | wall s | CPU s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, opts in CONFIGS.items():
        gaps = []
        wall, cpu = time.perf_counter(), time.process_time()
        for inst, problem in problems:
            r = fd.solve(problem, "ls", max_iterations=args.iterations, seed=args.seed, **opts)
            gaps.append(100.0 * (r.evaluation.objective - bks[inst]) / bks[inst])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"| {name} | {sum(gaps) / len(gaps):.2f} | {max(gaps):.2f} | {wall:.0f} "
              f"| {cpu:.0f} |", flush=True)


if __name__ == "__main__":
    main()
