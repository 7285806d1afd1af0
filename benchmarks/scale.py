"""Speed at scale (issue #17): greedy construction and the local search's iteration rate.

Prints one table:

* ``greedy NxM``: compile + greedy solve of a generated day with N technicians and M
  tickets (JIT warm-up apart, numba cache loaded), wall and CPU seconds, objective and
  assigned tickets (the evaluator's); the value column splits the CPU seconds into
  compile and greedy (the issue's target: compile + greedy <= 2 s at 1000 x 10 000);
* ``cli greedy NxM`` (``--cli-sizes``): ``fsdispatch solve day.json`` end to end in a
  fresh process (the numba cache warm), wall and the child's CPU seconds;
* ``ls it/s 300x3000``: local-search iterations per second on a 300 x 3 000 day, with a
  fixed iteration count (``--ls-iterations``, default 20 000). Measure: iterations done
  between the first and the last progress event of the search, divided by the wall
  seconds (and, apart, the process CPU seconds) between them: the greedy start, the
  search's set-up and the unassigned reasons are left out. CPU seconds are the steadier
  figure on a shared machine;
* with ``--long``: ``ls`` for ``--time-limit`` seconds (default 60) on the 300 x 3 000
  day, its improvement over the greedy start (the issue's target: >= 25 %).

Each row runs in a fresh subprocess. To compare two checkouts in one run, point
``PYTHONPATH`` at each (``git worktree add /tmp/scale-old <commit>``)::

    python benchmarks/scale.py                        # greedy at 3 sizes, ls it/s
    python benchmarks/scale.py --sizes 300x3000 --ls-iterations 5000
    python benchmarks/scale.py --long --time-limit 60 # plus the 60 s improvement
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any


def greedy_row(num_technicians: int, num_tickets: int, seed: int) -> dict[str, Any]:
    """Compile + greedy solve of one generated day."""
    import fsdispatch as fd

    fd.solve(fd.generate_scenario(2, 5, seed=0), "greedy")  # JIT warm-up / cache load
    scenario = fd.generate_scenario(num_technicians, num_tickets, seed=seed)
    tic, cpu = time.perf_counter(), time.process_time()
    problem = fd.compile_scenario(scenario)
    compile_s, compile_cpu = time.perf_counter() - tic, time.process_time() - cpu
    result = fd.solve(problem, "greedy")
    wall, cpu = time.perf_counter() - tic, time.process_time() - cpu
    ev = result.evaluation
    return {
        "row": f"greedy {num_technicians}x{num_tickets}",
        "wall_s": wall,
        "cpu_s": cpu,
        "compile_s": compile_s,
        "objective": ev.objective,
        "assigned": ev.kpis.assigned,
        "feasible": ev.is_feasible,
        "value": f"compile {compile_cpu:.2f} + greedy {cpu - compile_cpu:.2f} = {cpu:.2f}",
        "unit": f"cpu s (greedy backend {result.runtime:.2f} wall s)",
    }


def cli_row(num_technicians: int, num_tickets: int, seed: int) -> dict[str, Any]:
    """``fsdispatch solve day.json`` (greedy) end to end in a fresh process: interpreter
    start, imports, reading the JSON, compile, solve, printing; the day is generated to a
    file first (not timed)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        day = os.path.join(tmp, "day.json")
        cli = [sys.executable, "-m", "fsdispatch.cli"]
        subprocess.run([*cli, "generate", "--technicians", str(num_technicians), "--tickets",
                        str(num_tickets), "--seed", str(seed), "--out", day], check=True,
                       capture_output=True)
        subprocess.run([*cli, "solve", "--quiet", day], check=True)  # numba cache warm
        before = os.times()
        tic = time.perf_counter()
        out = subprocess.run([*cli, "solve", "--quiet", "--out", os.path.join(tmp, "plan.json"),
                              day], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - tic
        after = os.times()
    cpu = (after.children_user - before.children_user) \
        + (after.children_system - before.children_system)
    return {
        "row": f"cli greedy {num_technicians}x{num_tickets}",
        "wall_s": wall,
        "cpu_s": cpu,
        "compile_s": float("nan"),
        "objective": float("nan"),
        "assigned": 0,
        "feasible": out.returncode == 0,
        "value": "",
        "unit": "end to end: fsdispatch solve day.json (greedy)",
    }


def ls_rate_row(
    num_technicians: int, num_tickets: int, seed: int, iterations: int
) -> dict[str, Any]:
    """ls iterations per second (between the first and last progress event)."""
    import fsdispatch as fd
    from fsdispatch.solvers.local_search import warm_up

    warm_up()
    problem = fd.compile_scenario(fd.generate_scenario(num_technicians, num_tickets, seed=seed))
    marks: list[tuple[int, float, float]] = []

    def mark(event: Any) -> None:
        marks.append((event.iteration, time.perf_counter(), time.process_time()))

    tic = time.perf_counter()
    result = fd.solve(problem, "ls", max_iterations=iterations, seed=seed, progress=mark)
    wall = time.perf_counter() - tic
    (i0, w0, c0), (i1, w1, c1) = marks[0], marks[-1]
    ev = result.evaluation
    return {
        "row": f"ls it/s {num_technicians}x{num_tickets}",
        "wall_s": wall,
        "cpu_s": float("nan"),
        "compile_s": float("nan"),
        "objective": ev.objective,
        "assigned": ev.kpis.assigned,
        "feasible": ev.is_feasible,
        "value": f"{(i1 - i0) / max(w1 - w0, 1e-9):,.0f} wall, "
        f"{(i1 - i0) / max(c1 - c0, 1e-9):,.0f} cpu",
        "unit": f"it/s ({i1 - i0} it.)",
    }


def ls_long_row(
    num_technicians: int, num_tickets: int, seed: int, time_limit: float
) -> dict[str, Any]:
    """ls for ``time_limit`` seconds: improvement over its greedy start."""
    import fsdispatch as fd
    from fsdispatch.solvers.local_search import warm_up

    warm_up()
    problem = fd.compile_scenario(fd.generate_scenario(num_technicians, num_tickets, seed=seed))
    greedy = fd.solve(problem, "greedy")
    tic = time.perf_counter()
    result = fd.solve(problem, "ls", time_limit=time_limit, seed=seed)
    wall = time.perf_counter() - tic
    g, ev = greedy.evaluation.objective, result.evaluation
    better = 100.0 * (1.0 - ev.objective / g) if g else 0.0
    return {
        "row": f"ls {time_limit:g}s {num_technicians}x{num_tickets}",
        "wall_s": wall,
        "cpu_s": float("nan"),
        "compile_s": float("nan"),
        "objective": ev.objective,
        "assigned": ev.kpis.assigned,
        "feasible": ev.is_feasible,
        "value": f"{better:.1f}",
        "unit": f"% better than greedy ({g:,.0f}); {result.stats['iterations']} it.",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        nargs="*",
        default=["300x3000", "1000x10000", "2000x20000"],
        help="greedy rows, TECHNICIANSxTICKETS",
    )
    parser.add_argument(
        "--cli-sizes",
        nargs="*",
        default=["1000x10000"],
        help="CLI greedy end-to-end rows, TECHNICIANSxTICKETS",
    )
    parser.add_argument("--ls-size", default="300x3000")
    parser.add_argument(
        "--ls-iterations",
        type=int,
        default=20_000,
        help="iterations of the ls rate row (0: no such row)",
    )
    parser.add_argument("--long", action="store_true", help="also run ls for --time-limit s")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, size = args.one
        t, n = (int(v) for v in size.split("x"))
        row = (
            greedy_row(t, n, args.seed)
            if kind == "greedy"
            else cli_row(t, n, args.seed)
            if kind == "cli"
            else ls_rate_row(t, n, args.seed, args.ls_iterations)
            if kind == "rate"
            else ls_long_row(t, n, args.seed, args.time_limit)
        )
        print(json.dumps(row))
        return
    jobs = [("greedy", s) for s in args.sizes]
    jobs += [("cli", s) for s in args.cli_sizes]
    if args.ls_iterations:
        jobs.append(("rate", args.ls_size))
    if args.long:
        jobs.append(("long", args.ls_size))
    head = (
        f"{'row':<22} {'wall s':>7} {'cpu s':>7} {'compile s':>9} {'objective':>13} "
        f"{'assigned':>8} {'feasible':>8}  value"
    )
    print(head)
    print("-" * (len(head) + 30))
    for kind, size in jobs:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            kind,
            size,
            "--seed",
            str(args.seed),
            "--ls-iterations",
            str(args.ls_iterations),
            "--time-limit",
            str(args.time_limit),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['row']:<22} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} {r['compile_s']:>9.2f} "
            f"{r['objective']:>13,.0f} {r['assigned']:>8} {r['feasible']!s:>8}  "
            f"{r['value']} {r['unit']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
