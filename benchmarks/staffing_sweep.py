"""Staffing sweep speed: nested levels × seeds of a month on a Dask LocalCluster.

Target (issue 20): 5 staffing levels × 10 seeds of a 50-technician month on a
2-worker Dask LocalCluster in at most 5 minutes (pilot run included).

    python benchmarks/staffing_sweep.py                          # the target
    python benchmarks/staffing_sweep.py --days 5 --seeds 2       # a quick look
    python benchmarks/staffing_sweep.py --workers 0              # in this process

Needs the ``dask`` extra (``pip install "fsdispatch[dask]"``) unless ``--workers 0``.
"""

from __future__ import annotations

import argparse
import time

from fsdispatch.live import warm_up
from fsdispatch.sim import DemandModel, SimConfig, Staffing, run_experiment

#: arrivals per weekday so that a 30-day month (weekday profile 1,1,1,1,1,0.25,0.1) has
#: ~3 000 tickets (60 per technician-month for 50 technicians)
WEEKDAY_RATE_FOR_3000 = 3000 / (30 / 7 * 5.35)


def _warm() -> bool:
    warm_up()
    return True


def main(argv: list[str] | None = None) -> None:
    """Run the sweep and print a table row."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--technicians", type=int, default=50)
    ap.add_argument("--levels", default="30,35,40,45,50",
                    help="comma-separated staffing levels (nested teams)")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--per-day", type=float, default=WEEKDAY_RATE_FOR_3000,
                    help="weekday arrival rate (default: ~3 000 tickets a month)")
    ap.add_argument("--workers", type=int, default=2,
                    help="Dask LocalCluster worker processes (0: run in this process)")
    ap.add_argument("--policy", default="greedy-insertion")
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    config = SimConfig(num_technicians=args.technicians, days=args.days,
                       demand=DemandModel(tickets_per_day=args.per_day))
    tic = time.perf_counter()
    warm_up()
    if args.workers:
        import distributed

        with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            client.run(_warm)  # numba compiles in each worker, as a long-lived cluster would
            start = time.perf_counter()
            frame = run_experiment(config, [args.policy], staffing=Staffing(levels),
                                   seeds=args.seeds, executor=client.get_executor())
            wall = time.perf_counter() - start
    else:
        start = time.perf_counter()
        frame = run_experiment(config, [args.policy], staffing=Staffing(levels),
                               seeds=args.seeds)
        wall = time.perf_counter() - start
    setup = start - tic
    reps = len(frame)
    print("| technicians | levels | seeds | days | tickets/rep | workers | replications "
          "| rep wall s (mean) | sweep wall s | set-up s | target |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    target = "<= 300 s" if (args.technicians >= 50 and args.days >= 28 and len(levels) >= 5
                            and args.seeds >= 10 and args.workers == 2) else "-"
    print(f"| {args.technicians} | {args.levels} | {args.seeds} | {args.days} "
          f"| {frame.arrived.mean():.0f} | {args.workers} | {reps} "
          f"| {frame.wall_time.mean():.1f} | {wall:.0f} | {setup:.0f} | {target} |")
    print()
    print(frame.staffing_table("sla_response").to_string(index=False))
    print()
    print(frame.compare(baseline=min(levels), metric="completed").to_string(index=False))


if __name__ == "__main__":
    main()
