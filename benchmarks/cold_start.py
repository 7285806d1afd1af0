"""Cold start: wall seconds of a new user's first commands on an empty numba cache.

Each run is a fresh process with its own empty ``NUMBA_CACHE_DIR`` (nothing compiled),
as on a new machine after ``pip install``; the warm run repeats the command on the
cache the cold run left. ``--ahead`` compares the default (the search's kernels
compiled in a second process while the greedy start compiles, see
``fsdispatch.solvers._ahead``) with ``FSDISPATCH_COMPILE_AHEAD=0`` in the same run::

    python benchmarks/cold_start.py                  # README command and first 5 s ls
    python benchmarks/cold_start.py --ahead --repeat 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "metro_day.json"
COMMANDS = {
    "README: solve (greedy)": ["solve", str(EXAMPLE), "--quiet"],
    "first ls, 5 s limit": ["solve", str(EXAMPLE), "--solver", "ls", "--time-limit", "5",
                            "--quiet"],
}


_CLI = "import sys; from fsdispatch.cli import main; sys.exit(main(sys.argv[1:]))"


def _run(args: list[str], cache: str, ahead: bool) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache,
               FSDISPATCH_COMPILE_AHEAD="1" if ahead else "0")
    tic = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CLI, *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - tic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="cold runs per command")
    parser.add_argument("--ahead", action="store_true",
                        help="also run with FSDISPATCH_COMPILE_AHEAD=0 (same run)")
    ns = parser.parse_args()
    modes = [True, False] if ns.ahead else [True]
    print(f"cores: {len(os.sched_getaffinity(0))}, repeat: {ns.repeat}")
    print(f"{'command':<26} {'compile ahead':>13} {'cold s (median)':>16} {'warm s':>8}")
    for name, args in COMMANDS.items():
        for ahead in modes:
            cold, warm = [], []
            for _ in range(ns.repeat):
                with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
                    cold.append(_run(args, cache, ahead))
                    warm.append(_run(args, cache, ahead))
            print(f"{name:<26} {'on' if ahead else 'off':>13} "
                  f"{statistics.median(cold):>16.1f} {statistics.median(warm):>8.1f}")


if __name__ == "__main__":
    main()
