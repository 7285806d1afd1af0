"""Traffic-aware travel: plan with static travel and live with the rush, or plan with it.

For generated city days (``generate_scenario(T, N, seed)``) and a rush-hour
:class:`~fsdispatch.SpeedProfile` (morning 07:00-09:30 at 0.5 × the free-flow speed,
evening 16:00-18:30 at 0.6), each backend plans the day twice:

* **static** — with the static travel model, then the plan is re-timed by the shared
  evaluator under the profile (what happens on the road): the visits the day can no
  longer make (a hard window missed, the shift end overrun) are dropped until it keeps
  every rule (:func:`on_the_road`);
* **traffic** — with ``TimeDependentTravel(static, profile)``, evaluated the same way.

The table gives, under traffic, the visits missed on the road, tickets served,
late tickets (SLA missed or appointment missed), SLA lateness minutes, travel minutes and
the objective; and the backend's CPU seconds for each (``traffic / static`` is the
slowdown of time-dependent travel on the same day; ``ls`` runs a fixed number of
iterations, so its CPU ratio is the cost per move)::

    python benchmarks/traffic.py                          # 20x150 and 50x400, seeds 1
    python benchmarks/traffic.py --days 50x400 --seeds 1 2 3 --ls-iterations 3000

``--static`` prints only the static days' CPU seconds (greedy, ``ls``, 50 evaluations):
run it under two checkouts (``PYTHONPATH=<src>``), alternating, to compare releases::

    PYTHONPATH=src python benchmarks/traffic.py --static --days 50x400
"""

from __future__ import annotations

import argparse
import time
from datetime import time as clock
from typing import Any

import attrs

import fsdispatch as fd

RUSH = fd.SpeedProfile([(clock(0, 0), 1.0), (clock(7, 0), 0.5), (clock(9, 30), 1.0),
                        (clock(16, 0), 0.6), (clock(18, 30), 1.0)])


def _kpis(ev: fd.Evaluation) -> dict[str, Any]:
    k = ev.kpis
    late = (k.sla_tickets - k.sla_met) + (k.appointment_tickets - k.on_time_tickets)
    return {"feasible": ev.is_feasible, "violations": len(ev.violations),
            "served": k.assigned, "late": late, "sla_min": k.total_lateness_min,
            "travel_min": k.travel_time_min, "objective": ev.objective}


def on_the_road(problem: fd.Problem, plan: fd.Plan) -> tuple[fd.Plan, int]:
    """What a static plan becomes on the road under traffic: visits that the re-timed day
    can no longer make (a hard window missed, the shift's end or a break overrun) are
    dropped, one per broken route and pass, until the day keeps every rule. Returns the
    plan and how many visits were dropped."""
    routes = [list(r) for r in plan.routes]
    unassigned = dict(plan.unassigned)
    dropped = 0
    while True:
        current = fd.Plan(routes=routes, unassigned=unassigned, pickups=plan.pickups)
        ev = fd.evaluate(problem, current)
        if ev.is_feasible:
            return current, dropped
        done: set[int] = set()
        for v in ev.violations:
            r = next((k for k in range(len(routes))
                      if v.route is not None and problem.index.route_label(k) == v.route), None)
            if v.ticket_id is not None:
                j = problem.index.ticket_idx(v.ticket_id)
                r = next(k for k, route in enumerate(routes) if j in route)
            elif r is not None and routes[r]:
                j = routes[r][-1]
            else:
                continue
            if r in done:
                continue
            done.add(r)
            routes[r].remove(j)
            unassigned[j] = fd.UnassignedReason.SOLVER_LIMIT
            dropped += 1
        if not done:  # pragma: no cover - a violation naming no visit
            return current, dropped


def _solve(problem: fd.Problem, solver: str, seed: int, iterations: int) -> tuple[Any, float]:
    extra = {"max_iterations": iterations} if solver == "ls" else {}
    t0 = time.process_time()
    result = fd.solve(problem, solver=solver, seed=seed, **extra)
    return result.plan, time.process_time() - t0


def run(techs: int, tickets: int, seed: int, solvers: list[str], iterations: int,
        repeats: int) -> list[dict[str, Any]]:
    day = fd.generate_scenario(techs, tickets, seed=seed)
    static = fd.compile_scenario(day)
    traffic = fd.compile_scenario(attrs.evolve(day, travel=fd.TimeDependentTravel(day.travel,
                                                                                  RUSH)))
    rows = []
    for solver in solvers:
        _solve(static, solver, seed, 10)  # (warm: compiled kernels loaded)
        _solve(traffic, solver, seed, 10)
        cpu = {"static": [], "traffic": []}
        plans: dict[str, Any] = {}
        for _ in range(repeats):  # alternate old/new in the same window (a shared machine)
            for name, problem in (("static", static), ("traffic", traffic)):
                plans[name], secs = _solve(problem, solver, seed, iterations)
                cpu[name].append(secs)
        for name in ("static", "traffic"):
            plan, dropped = on_the_road(traffic, plans[name])
            rows.append({"day": f"{techs}x{tickets} s{seed}", "solver": solver,
                         "planned with": name, "dropped": dropped,
                         **_kpis(fd.evaluate(traffic, plan)),
                         "cpu_s": min(cpu[name]),
                         "slowdown": min(cpu["traffic"]) / max(min(cpu["static"]), 1e-9)
                         if name == "traffic" else 1.0})
    return rows


def static_cpu(techs: int, tickets: int, seed: int, iterations: int,
               repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` CPU seconds of greedy, ``ls`` and 50 evaluations on a static day
    (only public names: runs under any release)."""
    problem = fd.compile_scenario(fd.generate_scenario(techs, tickets, seed=seed))
    _solve(problem, "greedy", seed, 10)
    _solve(problem, "ls", seed, 10)
    out: dict[str, float] = {}
    for solver in ("greedy", "ls"):
        out[solver] = min(_solve(problem, solver, seed, iterations)[1] for _ in range(repeats))
    plan = fd.solve(problem, solver="greedy").plan
    t0 = time.process_time()
    for _ in range(50):
        fd.evaluate(problem, plan)
    out["evaluate x50"] = time.process_time() - t0
    return out


def _table(rows: list[dict[str, Any]]) -> str:
    head = ("| day | solver | planned with | visits missed on the road | served | late tickets | "
            "SLA late min | travel min | objective | CPU s | CPU × static |")
    out = [head, "|" + "---|" * 11]
    for r in rows:
        out.append(f"| {r['day']} | {r['solver']} | {r['planned with']} | "
                   f"{r['dropped']} | {r['served']} | "
                   f"{r['late']} | {r['sla_min']:,.0f} | {r['travel_min']:,.0f} | "
                   f"{r['objective']:,.0f} | {r['cpu_s']:.2f} | {r['slowdown']:.2f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", nargs="+", default=["20x150", "50x400"],
                    help="technicians x tickets")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1])
    ap.add_argument("--solvers", nargs="+", default=["greedy", "ls"])
    ap.add_argument("--ls-iterations", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=2, help="runs per plan (CPU: the best)")
    ap.add_argument("--static", action="store_true",
                    help="only the static days' CPU seconds (to compare releases)")
    args = ap.parse_args(argv)
    if args.static:
        for spec in args.days:
            t, n = (int(x) for x in spec.lower().split("x"))
            for seed in args.seeds:
                cpu = static_cpu(t, n, seed, args.ls_iterations, max(args.repeats, 3))
                print(f"{spec} s{seed}: " + ", ".join(f"{k} {v:.3f} s" for k, v in cpu.items()))
        return
    rows = []
    for spec in args.days:
        t, n = (int(x) for x in spec.lower().split("x"))
        for seed in args.seeds:
            rows += run(t, n, seed, args.solvers, args.ls_iterations, args.repeats)
    print(_table(rows))


if __name__ == "__main__":
    main()
