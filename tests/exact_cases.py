"""Helpers for the exact-backend tests: a brute-force optimum scored by the shared evaluator."""

from __future__ import annotations

import itertools

import numpy as np

import fsdispatch as fd


def _sequences(cands: list[int], limit: int) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for k in range(1, min(len(cands), limit) + 1):
        for subset in itertools.combinations(cands, k):
            out.extend(itertools.permutations(subset))
    return out


def brute_force(problem: fd.Problem, max_len: int = 7) -> float:
    """The optimum objective over every routing plan, each scored by ``fd.evaluate``.

    Per route, every ordered subset of the tickets it can serve alone is
    scored by the evaluator as a one-route plan; its route cost is that
    objective minus the penalties of the tickets it leaves out. Combinations
    of disjoint sequences are ranked by the summed cost, and the first that
    the evaluator accepts as a whole (van stock, day caps across routes) is
    the optimum; its value is the evaluator's objective of the full plan.
    Requires a zero load-balance weight (the objective then decomposes by route).
    """
    kd = problem.data
    assert kd.w.balance == 0
    num_routes = problem.num_routes
    penalty = kd.cost.penalty
    total_pen = float(penalty.sum())
    per_route: list[list[tuple[float, tuple[int, ...]]]] = []
    for r in range(num_routes):
        cands = [j for j in range(problem.num_tickets) if r in problem.routes_for(j).tolist()]
        options: list[tuple[float, tuple[int, ...]]] = [(0.0, ())]
        for seq in _sequences(cands, max_len)[1:]:
            routes: list[tuple[int, ...]] = [()] * num_routes
            routes[r] = seq
            plan = fd.Plan(routes, {j: "not_profitable" for j in range(problem.num_tickets)
                                    if j not in seq})
            ev = fd.evaluate(problem, plan)
            if ev.is_feasible:
                options.append((ev.objective - (total_pen - float(penalty[list(seq)].sum())),
                                seq))
        per_route.append(options)
    combos = []
    for choice in itertools.product(*per_route):
        seen = [j for _, seq in choice for j in seq]
        if len(seen) != len(set(seen)):
            continue
        value = sum(c for c, _ in choice) + total_pen - float(penalty[seen].sum())
        combos.append((value, [seq for _, seq in choice]))
    combos.sort(key=lambda c: c[0])
    for value, routes in combos:
        served = {j for seq in routes for j in seq}
        plan = fd.Plan(routes, {j: "not_profitable" for j in range(problem.num_tickets)
                                if j not in served})
        ev = fd.evaluate(problem, plan)
        if ev.is_feasible:
            assert np.isclose(ev.objective, value, rtol=1e-9, atol=1e-6)
            return float(ev.objective)
    raise AssertionError("the all-unassigned plan is always feasible")


def close(a: float, b: float) -> bool:
    """Equal within the tolerance exact backends use to claim optimality."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))
