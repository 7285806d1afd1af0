"""Load balance: how much each backend cuts the workload spread, and what it costs.

For generated days (``generate_scenario(T, N, seed=3)``) and load-balance weights
(objective units per minute of spread), every backend solves the day twice, without
and with the weight; the table gives the spread (max − min technician workload,
minutes), travel minutes, tickets served and the objective *with* the weight of
both plans (so "on" should never be worse than "off" under its own objective)::

    python benchmarks/balance.py                       # toy, 10x50, 50x400; weights 1, 2, 5
    python benchmarks/balance.py --days 10x50 --weights 2 --ls-seconds 30 --cpsat-seconds 60

``ls`` runs ``--ls-iterations`` iterations (deterministic) or ``--ls-seconds``; CP-SAT
runs on the toy and on days up to ``--cpsat-max`` tickets, with ``--cpsat-seconds``.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

import fsdispatch as fd


def toy() -> fd.Scenario:
    """2 equal technicians, 8 equal 30-minute jobs next to their depot."""
    day = datetime(2026, 3, 2, tzinfo=UTC)
    techs = [fd.Technician(f"A{i}", fd.Location.planar(0, 0),
                           [fd.Shift(day + timedelta(hours=8), day + timedelta(hours=17))])
             for i in range(2)]
    jobs = [fd.Ticket(f"T{k}", fd.Location.planar(1, 1), 30 * fd.MINUTE) for k in range(8)]
    return fd.Scenario(fd.Horizon(day, day + timedelta(days=1)), techs, jobs,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0), name="toy")


def weighted(scenario: fd.Scenario, weight: float) -> fd.Problem:
    return fd.compile_scenario(attrs.evolve(
        scenario, objective=attrs.evolve(scenario.objective, load_balance=weight)))


def measure(problem: fd.Problem, plan: fd.Plan) -> tuple[float, float, int]:
    """(spread minutes, travel minutes, tickets served) of a plan, by the evaluator."""
    ev = fd.evaluate(problem, plan)
    minutes = fd.evaluate(weighted(problem.scenario, 1.0), plan)
    return minutes.components["load_balance"], ev.kpis.travel_time_min, ev.kpis.assigned


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", default="toy,10x50,50x400")
    ap.add_argument("--weights", default="1,2,5")
    ap.add_argument("--ls-iterations", type=int, default=5000)
    ap.add_argument("--ls-seconds", type=float, default=None)
    ap.add_argument("--cpsat-seconds", type=float, default=30.0)
    ap.add_argument("--cpsat-max", type=int, default=50)
    args = ap.parse_args()
    print(f"{'day':7} {'w':>4} {'backend':7} {'spread off→on (cut)':>24} "
          f"{'travel off→on':>22} {'served':>9} {'objective off→on (with w)':>30} {'s':>6}")
    for day in args.days.split(","):
        if day == "toy":
            base = toy()
        else:
            t, n = (int(x) for x in day.split("x"))
            base = fd.generate_scenario(t, n, seed=3)
        for w in (float(x) for x in args.weights.split(",")):
            off, on = weighted(base, 0.0), weighted(base, w)
            backends: list[tuple[str, dict[str, Any]]] = [("greedy", {})]
            ls = {"seed": 1}
            if args.ls_seconds is not None:
                ls["time_limit"] = args.ls_seconds
            else:
                ls.update(max_iterations=args.ls_iterations, time_limit=None)
            backends.append(("ls", ls))
            if base.name == "toy" or len(base.tickets) <= args.cpsat_max:
                backends.append(("cpsat", {"time_limit": args.cpsat_seconds, "seed": 1}))
            for name, options in backends:
                tic = time.perf_counter()
                plain = fd.solve(off, name, **options).plan
                guided = fd.solve(on, name, **options).plan
                secs = time.perf_counter() - tic
                s0, t0, a0 = measure(on, plain)
                s1, t1, a1 = measure(on, guided)
                o0, o1 = fd.evaluate(on, plain).objective, fd.evaluate(on, guided).objective
                cut = 100.0 * (1.0 - s1 / s0) if s0 > 0 else 0.0
                more = 100.0 * (t1 / t0 - 1.0) if t0 > 0 else 0.0
                print(f"{day:7} {w:4g} {name:7} {s0:8.1f} → {s1:7.1f} ({cut:4.0f} %) "
                      f"{t0:8.1f} → {t1:7.1f} ({more:+4.0f} %) {a0:4d}→{a1:<4d} "
                      f"{o0:13.1f} → {o1:13.1f} {secs:6.1f}")


if __name__ == "__main__":
    main()
