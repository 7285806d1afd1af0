"""Solomon / Gehring–Homberger VRPTW: our solvers vs OR-Tools, PyVRP and VROOM.

Every solver runs in this one process, one after another, on the same compiled
problem at the same time budget; every plan is scored by ``fsdispatch.evaluate``
(DIMACS convention: distance truncated to one decimal), and gaps are to the
DIMACS best known solutions in ``benchmarks/data/*/bks.csv``.

    python benchmarks/solomon.py                                   # one instance per class, 10 s
    python benchmarks/solomon.py --instances all --time-limit 5 --out solomon.csv
    python benchmarks/solomon.py --set gh200 --instances "C1_2_*"
    python benchmarks/solomon.py --set solomon,gh200 --check-bks   # re-check all 116 BKS .sol

``fsdispatch bench`` is the same for one set. A solver that is not available
(``ls`` while it is being written, or a peer whose package is missing; ``pip
install "fsdispatch[bench]"``) is skipped with a note.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fsdispatch.bench import DEFAULT_SOLVERS, BenchReport, check_bks, run_benchmark

DATA = Path(__file__).resolve().parent / "data"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark(s), print the tables; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="solomon",
                        help="comma-separated sets: solomon, gh200 (default: solomon)")
    parser.add_argument("--instances", default=None,
                        help="comma-separated names or patterns, or 'all' "
                        "(default: one instance per class)")
    parser.add_argument("--time-limit", type=float, default=10.0,
                        help="seconds per solver and instance (default: 10)")
    parser.add_argument("--solvers", default=",".join(DEFAULT_SOLVERS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="write all rows as CSV here")
    parser.add_argument("--check-bks", action="store_true",
                        help="only re-check the BKS .sol files with our evaluator")
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.set.split(",") if s.strip()]

    if args.check_bks:
        bad = 0
        for set_name in sets:
            problems = check_bks(set_name, data_dir=DATA)
            bad += len(problems)
            print(f"{set_name}: " + ("every BKS .sol is feasible and scores bks_dimacs"
                                     if not problems else "\n  ".join(problems)))
        return 0 if not bad else 1

    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    instances = args.instances.split(",") if args.instances else None
    rows = []
    skipped: dict[str, str] = {}
    for set_name in sets:
        report = run_benchmark(set_name, instances, solvers=solvers,
                               time_limit=args.time_limit, seed=args.seed, data_dir=DATA,
                               log=lambda line: print(line, flush=True))
        rows.extend(report.rows)
        skipped.update(report.skipped)
    combined = BenchReport(rows=tuple(rows), skipped=skipped, time_limit=args.time_limit)
    print(f"\ntime limit {args.time_limit:g} s per solver and instance, seed {args.seed}\n")
    print(combined.table())
    print()
    print(combined.summary())
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    if args.out:
        combined.to_csv(args.out)
        print(f"\nrows written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
