"""Simulation speed: events per second, and the month target.

Target (issue 20; issue 6 had < 30 s): one simulated month of 100 technicians and ~6 000 tickets
with the greedy-insertion policy in at most 6 s on one core.

    python benchmarks/sim_speed.py                       # the month target
    python benchmarks/sim_speed.py --days 2 --policy manual-zones

``cpu s`` is the process CPU time of the simulation (the machine is shared: compare CPU
seconds of runs alternated with a baseline worktree, e.g.
``PYTHONPATH=/tmp/old/src python benchmarks/sim_speed.py``: this script only drives the
public API).
"""

from __future__ import annotations

import argparse
import time

from fsdispatch.live import warm_up
from fsdispatch.sim import DemandModel, SimConfig, simulate

#: arrivals per weekday so that a 30-day month (weekday profile 1,1,1,1,1,0.25,0.1) has ~6 000
WEEKDAY_RATE_FOR_6000 = 6000 / (30 / 7 * 5.35)


def main(argv: list[str] | None = None) -> None:
    """Run one replication and print a table row."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--technicians", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--per-day", type=float, default=WEEKDAY_RATE_FOR_6000,
                    help="weekday arrival rate (default: ~6 000 tickets a month)")
    ap.add_argument("--policy", default="greedy-insertion")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--recompile", action="store_true",
                    help="recompile the live problem on every technician event (the slow "
                         "reference path, for a same-run comparison)")
    ap.add_argument("--eager", action="store_true",
                    help="refresh the live problem at every technician event instead of at "
                         "the next read (for a same-run comparison)")
    args = ap.parse_args(argv)
    if args.recompile or args.eager:  # (imported only then: older commits lack the module)
        from fsdispatch.live.live_problem import LivePlan

        if args.recompile:
            LivePlan.incremental = False
        if args.eager:
            LivePlan.lazy = False
    tic = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - tic
    config = SimConfig(num_technicians=args.technicians, days=args.days,
                       demand=DemandModel(tickets_per_day=args.per_day))
    cpu = time.process_time()
    result = simulate(config, args.policy, seed=args.seed)
    cpu = time.process_time() - cpu
    k = result.kpis()
    print("| policy | technicians | days | tickets | events | wall s | cpu s | events/s | "
          "completed | open at end | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    target = "≤ 6 s" if args.days >= 28 and args.technicians >= 100 else "-"
    mode = "".join(f" ({m})" for m, on in (("recompile", args.recompile),
                                             ("eager", args.eager)) if on)
    print(f"| {result.policy}{mode} | {result.num_technicians} | {result.days} "
          f"| {int(k['arrived'])} "
          f"| {result.events} | {result.wall_time:.1f} | {cpu:.2f} "
          f"| {result.events / result.wall_time:.0f} "
          f"| {int(k['completed'])} | {int(k['open'])} | {target} |")
    print(f"(kernel warm-up {warm:.1f} s, not included)")


if __name__ == "__main__":
    main()
