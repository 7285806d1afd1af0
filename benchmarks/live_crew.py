"""Latency of live crew jobs: ``recommend`` and ``insert`` of two-person jobs against the same
calls for one-person jobs, on the benchmarks' live day (``live_latency.live_day``).

For each new ticket (drawn from a second generated day, as ``live_latency`` does) the
one-person call runs on one desk and the crew call (``crew_size = 2``) on a second desk
built the same way, alternated, so both see the same machine load. Wall and CPU
milliseconds per call (median, p90) and how many crews were placed.

Run: ``python benchmarks/live_crew.py [--technicians 50] [--tickets 500] [--calls 40]``
"""

from __future__ import annotations

import argparse
import time

import attrs
import numpy as np
from live_latency import live_day, new_tickets


def _row(name: str, wall: list[float], cpu: list[float]) -> str:
    w, c = np.array(wall) * 1e3, np.array(cpu) * 1e3
    return (f"| {name} | {np.median(w):.1f} | {np.percentile(w, 90):.1f} | "
            f"{np.median(c):.1f} | {np.percentile(c, 90):.1f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technicians", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args(argv)
    single, _ = live_day(args.technicians, args.tickets, seed=1)
    crewed, _ = live_day(args.technicians, args.tickets, seed=1)
    tickets = new_tickets(single, args.technicians, args.calls, seed=1)
    times: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in ("recommend 1", "recommend crew", "insert 1", "insert crew")}
    placed = [0, 0]

    def timed(key: str, call):  # type: ignore[no-untyped-def]
        w, c = time.perf_counter(), time.process_time()
        out = call()
        times[key][0].append(time.perf_counter() - w)
        times[key][1].append(time.process_time() - c)
        return out

    for ticket in tickets:
        crew = attrs.evolve(ticket, id=ticket.id + "-C", crew_size=2)
        timed("recommend 1", lambda t=ticket: single.recommend(t, k=3))
        timed("recommend crew", lambda t=crew: crewed.recommend(t, k=3))
        placed[0] += timed("insert 1", lambda t=ticket: single.insert(t)).placed
        placed[1] += timed("insert crew", lambda t=crew: crewed.insert(t)).placed
    print(f"{args.technicians} technicians, {args.tickets} tickets, {args.calls} new tickets; "
          f"placed: {placed[0]} one-person, {placed[1]} crews of two\n")
    print("| call | wall ms p50 | wall ms p90 | CPU ms p50 | CPU ms p90 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for key, (wall, cpu) in times.items():
        print(_row(key, wall, cpu))


if __name__ == "__main__":
    main()
