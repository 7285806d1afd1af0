"""Load balance: the exact travel–spread trade-off (Pareto front) of a generated day.

Is "cut the spread (max − min workload) by ≥ 60 % for ≤ 5 % more travel"
(issue #16) reachable at all? For the day of ``benchmarks/balance.py``
(``generate_scenario(T, N, seed=3)``) this script

1. takes the no-balance reference plan: the better (more tickets served, then
   less travel) of ``ls`` (``--ls-iterations``, seed 1) and ``cpsat``
   (``--cpsat-seconds``) on the plain objective; ``A0`` tickets served, spread
   ``S0``;
2. minimises travel with CP-SAT over plans serving exactly ``A0`` tickets
   (hinted with the reference; ``--t0-seconds``): the best travel ``T0`` is the
   smaller of that and the reference's, with CP-SAT's lower bound;
3. for each ε of ``--eps``, minimises the spread with CP-SAT subject to
   travel ≤ (1 + ε)·T0 and ``A0`` tickets served (``--front-seconds`` each,
   hinted with the least spread plan so far that fits the cap, ``ls``'s
   balanced plans included).

CP-SAT's routing model is the ``cpsat`` backend's (``solvers/cpsat``: the same
variables and constraints); only the objective differs. Every plan shown is
measured by the evaluator (travel minutes, spread minutes over technicians with
a shift). ``bound`` is CP-SAT's proven lower bound on the spread under the cap:
``max cut`` = 1 − bound/S0 is the largest cut any plan can reach there. The
routing model is limited to 120 tickets and 20 shifts (``cpsat``'s
capabilities), so 50 × 400 is traced with ``ls`` over load-balance weights
(``--ls-weights``) instead — points of ``ls``, not a proven front::

    python benchmarks/balance_front.py                    # 10x50, eps 0,2.5,5,10,20,40 %
    python benchmarks/balance_front.py --front-seconds 120 --workers 2
    python benchmarks/balance_front.py --days 50x400      # ls sweep only
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import fsdispatch as fd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from balance import measure, weighted

from fsdispatch.solvers import _exact


class Front:
    """The cpsat routing model of ``problem`` with travel, spread and served expressions."""

    def __init__(self, problem: fd.Problem, served: int) -> None:
        from ortools.sat.python import cp_model

        from fsdispatch.solvers.cpsat import constraints, variables

        self.cp_model = cp_model
        self.problem = problem
        self.rd = _exact.routing_data(problem)
        self.model = cp_model.CpModel()
        self.v = variables.routing_vars(self.model, problem, self.rd)
        constraints.add_routing_constraints(self.model, problem, self.rd, self.v)
        kd, rd, v = problem.data, self.rd, self.v
        travel: list[tuple[int, Any]] = []
        loads: dict[int, list[tuple[int, Any]]] = defaultdict(list)
        for r in range(problem.num_routes):  # workload as in cpsat/objective.py
            t = int(kd.rt.tech[r])
            cands = rd.cands[r].tolist()
            sp, ep = int(rd.start_pos[r]), int(rd.end_pos[r])
            for (a, b), lit in v.arcs[r].items():
                pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
                pb = ep if b == 0 else int(rd.ticket_pos[cands[b - 1]])
                travel.append((int(rd.tt[pa, pb]), lit))
                loads[t].append((int(rd.tt[pa, pb]), lit))
            for (a, b, d), lit in v.via.get(r, {}).items():
                pa = sp if a == 0 else int(rd.ticket_pos[cands[a - 1]])
                pb, dp = int(rd.ticket_pos[cands[b - 1]]), int(rd.depot_pos[d])
                dtt = int(rd.tt[pa, dp]) + int(rd.tt[dp, pb]) - int(rd.tt[pa, pb])
                travel.append((dtt, lit))
                loads[t].append((dtt, lit))
            for (_j, d), lit in v.stops.get(r, {}).items():
                loads[t].append((int(problem.depots.pickup[d]), lit))
            for j in cands:
                loads[t].append((int(rd.service[r, j]), v.x[r, j]))
        self.travel = sum(c * lit for c, lit in travel)
        recent = [int(t.recent_workload) for t in problem.scenario.technicians]
        upper = int((kd.rt.max_close - kd.rt.open).sum()) + max(recent, default=0)
        top = self.model.new_int_var(0, upper, "load_max")
        low = self.model.new_int_var(0, upper, "load_min")
        for t in sorted(set(kd.rt.tech.tolist())):
            expr = sum(c * var for c, var in loads.get(t, [])) + recent[t]
            self.model.add(top >= expr)
            self.model.add(low <= expr)
        self.spread = top - low
        self.model.add(sum(1 - u for u in v.u.values()) == served)

    def hint(self, plan: fd.Plan) -> None:
        from fsdispatch.solvers.cpsat.solver import _hint_routing

        self.model.clear_hints()
        _hint_routing(
            self.model, self.problem, self.rd, self.v, plan, fd.evaluate(self.problem, plan)
        )

    def solve(self, seconds: float, workers: int) -> tuple[str, fd.Plan | None, float]:
        """(status, the model's plan or None, lower bound of the objective in seconds)."""
        solver = self.cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = 1
        status = solver.solve(self.model)
        name = solver.status_name(status)
        if status not in (self.cp_model.OPTIMAL, self.cp_model.FEASIBLE):
            return name, None, float("nan")
        routes = _exact.follow_circuits(self.problem, self.rd, self.v.arcs, solver.boolean_value)
        pickups = _exact.chosen_pickups(self.v.stops, solver.boolean_value)
        plan = _exact._with_reasons(self.problem, routes, "routing", pickups)
        return name, plan, float(solver.best_objective_bound)


def line(
    label: str,
    problem: fd.Problem,
    plan: fd.Plan,
    t0: float,
    s0: float,
    status: str = "",
    bound: str = "",
    extra: str = "",
) -> tuple[float, float]:
    s, t, a = measure(weighted(problem.scenario, 1.0), plan)
    ok = "" if fd.evaluate(problem, plan).is_feasible else " INFEASIBLE"
    print(
        f"{label:16} {a:4d} {t:9.1f} {100 * (t / t0 - 1):+7.1f} % {s:8.1f} "
        f"{100 * (1 - s / s0):6.1f} % {status:9} {bound:>18} {extra}{ok}"
    )
    return t, s


HEAD = (
    f"{'plan':16} {'srv':>4} {'travel':>9} {'vs T0':>9} {'spread':>8} {'cut':>8} "
    f"{'status':9} {'bound (max cut)':>18}"
)


def exact_front(base: fd.Scenario, args: argparse.Namespace) -> None:
    off = weighted(base, 0.0)
    ls = fd.solve(off, "ls", seed=1, max_iterations=args.ls_iterations, time_limit=None).plan
    cp = fd.solve(off, "cpsat", seed=1, time_limit=args.cpsat_seconds).plan
    refs = {"ls": ls, "cpsat": cp}
    ranked = sorted(refs, key=lambda k: (-measure(off, refs[k])[2], measure(off, refs[k])[1]))
    ref_name = ranked[0]
    ref = refs[ref_name]
    s0, tref, a0 = measure(off, ref)
    front = Front(off, a0)
    front.model.minimize(front.travel)
    front.hint(ref)
    tic = time.perf_counter()
    status, best, bound = front.solve(args.t0_seconds, args.workers)
    t0 = tref
    if best is not None and measure(off, best)[1] < tref:
        t0 = measure(off, best)[1]
    else:
        best = ref
    print(
        f"{base.name}: {len(base.technicians)} technicians, {len(base.tickets)} tickets; "
        f"reference = {ref_name} plain plan ({a0} served, spread S0 = {s0:.1f} min); "
        f"T0 = {t0:.1f} min (CP-SAT min travel at {a0} served: {status}, "
        f"bound {bound / 60:.1f} min, {time.perf_counter() - tic:.0f} s)"
    )
    print(HEAD)
    for name, plan in refs.items():
        line(f"{name} plain", off, plan, t0, s0)
    hints = [best, ref]
    for w in args.ls_weights:
        on = weighted(base, w)
        plan = fd.solve(on, "ls", seed=1, max_iterations=args.ls_iterations, time_limit=None).plan
        line(f"ls w={w:g}", off, plan, t0, s0)
        if measure(off, plan)[2] == a0:
            hints.append(plan)
    for eps in args.eps:
        cap = int((1 + eps / 100) * t0 * 60 + 1e-9)
        f = Front(off, a0)
        f.model.add(f.travel <= cap)
        f.model.minimize(f.spread)
        fits = [p for p in hints if measure(off, p)[1] * 60 <= cap + 1e-6]
        if fits:
            f.hint(min(fits, key=lambda p: measure(weighted(base, 1.0), p)[0]))
        tic = time.perf_counter()
        status, plan, bound = f.solve(args.front_seconds, args.workers)
        secs = time.perf_counter() - tic
        if plan is None:
            print(
                f"{'eps ' + format(eps, 'g') + ' %':16} {'-':>4} {'':>9} {'':>9} {'':>8} "
                f"{'':>8} {status:9} {'':>18} {secs:5.0f} s"
            )
            continue
        hints.append(plan)
        cut = 100 * (1 - bound / 60 / s0)
        line(
            f"eps {eps:g} %",
            off,
            plan,
            t0,
            s0,
            status,
            f"{bound / 60:7.1f} ({cut:5.1f} %)",
            f"{secs:5.0f} s",
        )


def ls_sweep(base: fd.Scenario, args: argparse.Namespace) -> None:
    off = weighted(base, 0.0)
    ref = fd.solve(off, "ls", seed=1, max_iterations=args.ls_iterations, time_limit=None).plan
    s0, t0, a0 = measure(off, ref)
    print(
        f"{base.name}: {len(base.technicians)} technicians, {len(base.tickets)} tickets; "
        f"CP-SAT's routing model takes at most 120 tickets / 20 shifts: ls points only; "
        f"reference = ls plain ({a0} served, spread S0 = {s0:.1f}, T0 = {t0:.1f} min)"
    )
    print(HEAD)
    line("ls plain", off, ref, t0, s0)
    for w in args.ls_weights:
        plan = fd.solve(
            weighted(base, w), "ls", seed=1, max_iterations=args.ls_iterations, time_limit=None
        ).plan
        line(f"ls w={w:g}", off, plan, t0, s0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", default="10x50")
    ap.add_argument("--eps", default="0,2.5,5,10,20,40", help="travel caps, %% over T0")
    ap.add_argument("--ls-iterations", type=int, default=5000)
    ap.add_argument("--ls-weights", default="1,2,5,20")
    ap.add_argument("--cpsat-seconds", type=float, default=60.0)
    ap.add_argument("--t0-seconds", type=float, default=60.0)
    ap.add_argument("--front-seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    args.eps = [float(x) for x in args.eps.split(",")]
    args.ls_weights = [float(x) for x in args.ls_weights.split(",") if x]
    for day in args.days.split(","):
        t, n = (int(x) for x in day.split("x"))
        base = fd.generate_scenario(t, n, seed=3)
        if n <= 120 and t <= 20:
            exact_front(base, args)
        else:
            ls_sweep(base, args)
        print()


if __name__ == "__main__":
    main()
