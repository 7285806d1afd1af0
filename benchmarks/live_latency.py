"""Latency of live dispatch: ``recommend`` and ``insert`` on a 300-technician, 3 000-ticket day.

Builds the day with ``fd.generate_scenario(300, 3000, seed=1)``, plans it
(greedy), moves the clock to 10:00 with every technician on site at their
first job, then times ``recommend(ticket, k=5)`` and ``insert(ticket)`` for
new tickets drawn from a second generated day (same city, other seed). Each
inserted ticket stays in the plan, so the plan keeps growing as on a real day.

Then times technician events on the grown day — ``start_travel``, ``arrive``
and ``complete`` of technicians' next jobs, the clock moving a minute between
them — which update the live problem incrementally (a full recompile before);
each is timed with the next read of the live problem, which settles the
refresh the event deferred.

Run: ``python benchmarks/live_latency.py [--calls 300] [--events 150] [--technicians 300]
[--tickets 3000] [--cpu]``
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import attrs
import numpy as np

import fsdispatch as fd
from fsdispatch.live import Dispatcher, TicketState, warm_up


def _pct(values: list[float]) -> tuple[float, float, float]:
    arr = np.array(values) * 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99)), float(arr.max())


def live_day(technicians: int, tickets: int, seed: int) -> tuple[Dispatcher, fd.Scenario]:
    """The benchmarks' live day: a generated day planned greedily, 20 technicians on site
    at their first job, the clock two hours after the first shift start."""
    scenario = fd.generate_scenario(technicians, tickets, seed=seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start)
    d.plan_day(solver="greedy")
    firsts = [d.route(t.id)[0] for t in scenario.technicians if d.route(t.id)]
    for ticket_id in firsts[:20]:  # a sample through the public API (each call recompiles)
        d.arrive(ticket_id)
    d.advance(start + timedelta(hours=2))
    return d, scenario


def new_tickets(d: Dispatcher, technicians: int, count: int, seed: int) -> list[fd.Ticket]:
    """``count`` tickets created now, without windows, preferences or deadlines."""
    other = fd.generate_scenario(technicians, count, seed=seed + 1000)
    return [attrs.evolve(t, id=f"NEW-{k:05d}", created_at=d.now, response_by=None,
                         resolve_by=None, windows=(), preferred_technicians=(),
                         excluded_technicians=())
            for k, t in enumerate(other.tickets)]


def main(argv: list[str] | None = None) -> None:
    """Build the live day, time the calls, print a table of p50/p99/max in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technicians", type=int, default=300)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--events", type=int, default=150,
                        help="technician events timed after the insertions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", action="store_true",
                        help="time the calls in process CPU time (a shared machine), not wall")
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu else time.perf_counter

    jit = warm_up()
    tic = time.perf_counter()
    d, scenario = live_day(args.technicians, args.tickets, args.seed)
    setup = time.perf_counter() - tic
    ev = fd.check_plan(d.problem, d.plan)
    print(f"live day: {args.technicians} technicians, {d.problem.num_tickets} open tickets, "
          f"{ev.kpis.assigned} planned (setup {setup:.1f} s, "
          f"kernel load {jit:.1f} s)")

    new = new_tickets(d, args.technicians, args.calls * 2 + 10, args.seed)
    rec_t, ins_t = [], []
    placed = 0
    for k in range(args.calls):
        t0 = clock()
        d.recommend(new[2 * k], k=5)
        rec_t.append(clock() - t0)
        t0 = clock()
        res = d.insert(new[2 * k + 1])
        ins_t.append(clock() - t0)
        placed += res.placed
    ev = fd.check_plan(d.problem, d.plan)
    print(f"after {args.calls} insertions: {placed} placed, plan feasible: {ev.is_feasible}, "
          f"{d.problem.num_tickets} tickets")
    # technician events: the next job of technicians not busy, in turns
    evt_t: list[float] = []
    busy: dict[str, str] = {}
    techs = [t.id for t in scenario.technicians]
    k = 0
    while len(evt_t) < args.events and k < 20 * args.events:
        tech = techs[k % len(techs)]
        k += 1
        d.now += timedelta(minutes=1)
        job = busy.pop(tech, None)
        t0 = clock()
        if job is None:
            route = d.route(tech)
            if not route or tech in d.live_state.current:
                continue
            t0 = clock()
            d.start_travel(route[0])
            busy[tech] = route[0]
        elif d.state(job) is TicketState.EN_ROUTE:
            d.arrive(job)
            busy[tech] = job
        else:
            d.complete(job)
        d.problem  # noqa: B018 - the next read settles the refresh the event deferred
        evt_t.append(clock() - t0)
    ev = fd.check_plan(d.problem, d.plan)
    print(f"after {len(evt_t)} technician events: plan feasible: {ev.is_feasible}")
    print()
    print("| call | p50 ms | p99 ms | max ms | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, values, target in (("recommend(k=5)", rec_t, "p50 < 5, p99 < 50"),
                                 ("insert", ins_t, "p99 < 100"),
                                 ("technician event", evt_t, "-")):
        if not values:
            continue
        p50, p99, mx = _pct(values)
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {mx:.1f} | {target} |")


if __name__ == "__main__":
    main()
