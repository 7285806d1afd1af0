"""Solomon quality at a fixed iteration count (deterministic): greedy and ``ls`` objectives.

A speed change that must not change results is checked by running this under two
checkouts (``PYTHONPATH=/tmp/old/src`` and ``PYTHONPATH=src``) and comparing the
tables: with the same seed and iteration count they should be identical.

    python benchmarks/quality_iters.py                       # 4 instances, 2 000 ls it.
    python benchmarks/quality_iters.py --instances C101,R211 --iterations 5000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import fsdispatch as fd
from fsdispatch.io.solomon import read_solomon

DATA = Path(__file__).parent / "data" / "solomon"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", default="C101,R101,RC201,R211")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'instance':<9} {'greedy obj':>12} {'ls obj':>12} {'ls cpu s':>9} {'feasible':>8}")
    for name in args.instances.split(","):
        problem = fd.compile_scenario(read_solomon(DATA / f"{name}.txt"))
        greedy = fd.solve(problem, "greedy").evaluation
        cpu = time.process_time()
        ls = fd.solve(problem, "ls", max_iterations=args.iterations, seed=args.seed).evaluation
        cpu = time.process_time() - cpu
        print(f"{name:<9} {greedy.objective:>12.2f} {ls.objective:>12.2f} {cpu:>9.2f} "
              f"{(greedy.is_feasible and ls.is_feasible)!s:>8}", flush=True)


if __name__ == "__main__":
    main()
