"""Latency of live positions: ``update_position`` and ``recommend`` right after, 300 × 3 000.

Builds the live day of ``benchmarks/live_latency.py`` (``fd.generate_scenario(300, 3000,
seed=1)``, greedy plan, 20 technicians on site, clock at 10:00), then in one run:

1. ``recommend(ticket, k=5)`` for new tickets with no pings (the baseline);
2. a stream of pings: each call moves an idle technician a few km from where they
   are (``update_position``), then ``recommend`` prices a new ticket (its first
   read settles the refresh the ping deferred);
3. bursts of 10 pings, then one ``recommend`` (a stream between two reads costs
   one refresh).

The clock moves a few seconds between calls. Prints p50/p99/max in milliseconds of
CPU time (``time.process_time``: other processes on a shared machine do not count;
``--wall`` times wall-clock instead). A noisy CPU still moves the tails: compare rows
of one run.

Run: ``python benchmarks/positions_latency.py [--calls 300] [--technicians 300]
[--tickets 3000]``
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import attrs
import numpy as np
from live_latency import live_day, new_tickets  # (the same live day)

import fsdispatch as fd
from fsdispatch.live import warm_up


def _pct(values: list[float]) -> tuple[float, float, float]:
    arr = np.array(values) * 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99)), float(arr.max())


def main(argv: list[str] | None = None) -> None:
    """Build the live day, time the calls, print a table of p50/p99/max in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technicians", type=int, default=300)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time

    jit = warm_up()
    tic = time.perf_counter()
    d, scenario = live_day(args.technicians, args.tickets, args.seed)
    setup = time.perf_counter() - tic
    print(
        f"live day: {args.technicians} technicians, {d.problem.num_tickets} open tickets "
        f"(setup {setup:.1f} s, kernel load {jit:.1f} s)"
    )

    new = new_tickets(d, args.technicians, 3 * args.calls + 10, args.seed)
    rng = np.random.default_rng(args.seed)
    idle = [t.id for t in scenario.technicians if t.id not in d.live_state.current]
    homes = {t.id: t.start_location for t in scenario.technicians}

    def ping() -> float:
        tech = idle[int(rng.integers(len(idle)))]
        base = d.live_state.last_pos.get(tech, homes[tech])
        where = attrs.evolve(
            base, x=base.x + float(rng.normal(0, 0.03)), y=base.y + float(rng.normal(0, 0.02))
        )
        t0 = clock()
        d.update_position(tech, where)
        return clock() - t0

    def recommend(k: int) -> float:
        t0 = clock()
        d.recommend(new[k], k=5)
        return clock() - t0

    base_t, ping_t, after_t, burst_t = [], [], [], []
    for k in range(args.calls):
        d.now += timedelta(seconds=5)
        base_t.append(recommend(k))
    for k in range(args.calls):
        d.now += timedelta(seconds=5)
        ping_t.append(ping())
        after_t.append(recommend(args.calls + k))
    for k in range(args.calls // 10):
        d.now += timedelta(seconds=5)
        for _ in range(10):
            ping_t.append(ping())
        burst_t.append(recommend(2 * args.calls + k))
    ev = fd.check_plan(d.problem, d.plan)
    in_use = sum(p.in_use for p in d.positions().values())
    print(
        f"after {len(ping_t)} pings: {len(d.positions())} technicians reported, {in_use} "
        f"starting from a ping; plan feasible: {ev.is_feasible}"
    )
    print(f"\n{'wall-clock' if args.wall else 'CPU'} time per call")
    print("| call | calls | p50 ms | p99 ms | max ms | target |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, values, target in (
        ("recommend(k=5), no pings", base_t, "p50 < 5, p99 < 50 (live_latency)"),
        ("update_position", ping_t, "p99 <= 2"),
        ("recommend(k=5) right after 1 ping", after_t, "as without pings"),
        ("recommend(k=5) after 10 pings", burst_t, "-"),
    ):
        p50, p99, mx = _pct(values)
        print(f"| {name} | {len(values)} | {p50:.2f} | {p99:.2f} | {mx:.2f} | {target} |")


if __name__ == "__main__":
    main()
