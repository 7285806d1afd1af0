"""The ``ls`` backend: feasible under the shared evaluator, honest bookkeeping, limits, seeds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.solvers.local_search import LocalSearchSolver
from fsdispatch.solvers.local_search.neighbours import nearest_tickets
from fsdispatch.testing import check_solver
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _all_accounted(problem: fd.Problem, plan: fd.Plan) -> bool:
    routed = [j for route in plan.routes for j in route]
    return (len(routed) == len(set(routed))
            and set(routed) | set(plan.unassigned) == set(range(problem.num_tickets))
            and not set(routed) & set(plan.unassigned))


@settings(max_examples=30)
@given(scenarios(max_technicians=4, max_tickets=14), st.integers(0, 2**31 - 1))
def test_ls_plan_always_passes_the_evaluator(scenario, seed):
    """Random scenarios (breaks, parts, tight/soft/two windows, caps, preferences): every ``ls``
    plan has no violation, loses no ticket, and its own objective equals the evaluator's."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "ls", max_iterations=150, seed=seed)
    assert result.evaluation.violations == ()
    assert result.status is fd.SolveStatus.FEASIBLE
    assert _all_accounted(problem, result.plan)
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                              abs=1e-6)
    assert result.stats["start_objective"] == pytest.approx(
        fd.solve(problem, "greedy").objective, rel=1e-9, abs=1e-6)
    assert result.objective <= result.stats["start_objective"] + 1e-6
    assert result.stats["insertion_errors"] == 0  # insertion pricing never lied


@settings(max_examples=30)
@given(scenarios(max_technicians=3, max_tickets=12), st.integers(0, 2**31 - 1))
def test_slack_insertion_prices_like_full_simulation(scenario, seed):
    """The O(1) cost-free-slack insertion gives exactly the cost of the fully simulated
    insertion (and its position, unless two positions tie), for every (route, unrouted
    ticket) pair of a partial plan."""
    from fsdispatch.kernels.insertion import best_insertion, make_work
    from fsdispatch.solvers.local_search import _state as K
    from fsdispatch.solvers.local_search.solver import _make_buf, _make_sol

    problem = fd.compile_scenario(scenario)
    plan = fd.solve(problem, "ls", max_iterations=30, seed=seed).plan
    rng = np.random.default_rng(seed)
    routes = [[j for j in route if rng.random() < 0.6] for route in plan.routes]
    sol = _make_sol(problem, routes)
    width = sol.st.seq.shape[1]
    buf = _make_buf(problem, width)
    wk = make_work(problem.data, width)
    routed = {j for route in routes for j in route}
    for j in range(problem.num_tickets):
        if j in routed:
            continue
        for r in problem.routes_for(j).tolist():
            full = best_insertion(problem.data, r, j, sol.st, wk)
            fast = K.best_insertion_slack(problem.data, r, j, sol, wk, buf, 0.0, 0)
            assert fast[0] == pytest.approx(full[0], rel=1e-9, abs=1e-9)
            assert (fast[1] < 0) == (full[1] < 0)  # positions may differ only on a tie


@settings(max_examples=15)
@given(scenarios(max_technicians=3, max_tickets=10))
def test_load_balance_term_is_kept_exactly(scenario):
    """With a load-balance and a preference weight the search's objective still equals the
    evaluator's (the balance term is global, not a route sum)."""
    scenario = fd.Scenario(scenario.horizon, scenario.technicians, scenario.tickets,
                           travel=scenario.travel,
                           objective=fd.ObjectiveWeights(load_balance=0.5, preference=300.0,
                                                         labour=1.0, distance=2.0))
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "ls", max_iterations=150, seed=3)
    assert result.is_feasible
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                              abs=1e-6)


def test_ls_improves_on_greedy_on_a_generated_day(city):
    """On a generated day (8 technicians, 60 tickets) 1 500 iterations beat the greedy plan."""
    problem = fd.compile_scenario(city)
    greedy = fd.solve(problem, "greedy")
    result = fd.solve(problem, "ls", max_iterations=1500, seed=1)
    assert result.is_feasible
    assert result.objective < greedy.objective
    assert result.evaluation.kpis.assigned >= greedy.evaluation.kpis.assigned - 1


def test_same_seed_same_plan_and_seeds_are_independent(city):
    """Same seed and iteration count give the same plan; the stats count the iterations."""
    problem = fd.compile_scenario(city)
    a = fd.solve(problem, "ls", max_iterations=400, seed=5)
    b = fd.solve(problem, "ls", max_iterations=400, seed=5)
    assert a.plan == b.plan
    assert a.stats["iterations"] == 400
    assert a.stats["stopped_by"] == "iterations"


def test_generator_seed_is_accepted(city):
    """A numpy Generator works as a seed (same generator state, same plan)."""
    problem = fd.compile_scenario(city)
    a = fd.solve(problem, "ls", max_iterations=100, seed=np.random.default_rng(9))
    b = fd.solve(problem, "ls", max_iterations=100, seed=np.random.default_rng(9))
    assert a.plan == b.plan


def test_time_limit_is_honoured(city):
    """A wall-clock limit stops the search (the greedy start and set-up included)."""
    problem = fd.compile_scenario(city)
    fd.solve(problem, "ls", max_iterations=10, seed=1)  # load the kernels first
    result = fd.solve(problem, "ls", time_limit=0.5, seed=1)
    assert result.stats["stopped_by"] == "time_limit"
    assert result.stats["stopped_by_limit"] is True
    assert result.runtime < 0.5 + 1.0
    assert result.is_feasible


def test_no_improvement_rule_stops_early(tiny):
    """On a 3-ticket day nothing improves for long: the no-improvement rule stops the search."""
    result = fd.solve(tiny, "ls", max_iterations=100_000, no_improvement=50, seed=1)
    assert result.stats["stopped_by"] == "no_improvement"
    assert result.stats["iterations"] < 1000
    assert result.is_feasible


def test_no_improvement_stop_is_reproducible(city):
    """The no-improvement rule counts iterations exactly: same seed, same stop, same plan."""
    problem = fd.compile_scenario(city)
    a = fd.solve(problem, "ls", no_improvement=150, max_iterations=50_000, seed=3)
    b = fd.solve(problem, "ls", no_improvement=150, max_iterations=50_000, seed=3)
    assert a.stats["stopped_by"] == "no_improvement"
    assert a.stats["iterations"] == b.stats["iterations"]
    assert a.plan == b.plan


def test_progress_events_report_a_falling_best(city):
    """The progress callback sees increasing iteration counts and a non-increasing best."""
    events: list[fd.ProgressEvent] = []
    fd.solve(city, "ls", max_iterations=600, seed=2, progress=events.append)
    assert events
    its = [e.iteration for e in events]
    best = [e.best_objective for e in events]
    assert its == sorted(its) and its[-1] == 600
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(best))
    assert all(e.solver == "ls" for e in events)


def test_progress_events_report_the_best_plans_assigned_tickets(city):
    """Each ls event carries the assigned count of the best plan so far; the last one is
    the returned plan's (as the evaluator counts it)."""
    events: list[fd.ProgressEvent] = []
    result = fd.solve(city, "ls", max_iterations=400, seed=4, progress=events.append)
    assert events and all(e.assigned is not None for e in events)
    assert events[-1].assigned == result.evaluation.kpis.assigned
    assert events[-1].best_objective == pytest.approx(result.objective, rel=1e-6)


def test_warm_start_keeps_or_improves_the_plan(city):
    """``initial_plan``: the search starts from the given plan and never returns a worse one."""
    problem = fd.compile_scenario(city)
    start = fd.solve(problem, "ls", max_iterations=300, seed=1)
    again = fd.solve(problem, "ls", max_iterations=300, seed=2, initial_plan=start.plan)
    assert again.is_feasible
    assert again.stats["start_objective"] == pytest.approx(start.objective)
    assert again.objective <= start.objective + 1e-6


def test_infeasible_warm_start_is_a_validation_error(tiny):
    """A warm start that breaks a rule (T2 needs gas, A has none) is refused, naming the field."""
    problem = fd.compile_scenario(tiny)
    a = problem.index.route_idx("A")
    routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
    routes[a] = [problem.index.ticket_idx("T2")]
    bad = fd.Plan(routes, {0: fd.UnassignedReason.OPEN, 2: fd.UnassignedReason.OPEN})
    with pytest.raises(fd.ValidationError) as info:
        fd.solve(problem, "ls", max_iterations=10, initial_plan=bad)
    assert info.value.field == "initial_plan"
    assert "skill" in str(info.value)


def test_overloaded_day_gives_honest_reasons():
    """An overloaded day (3 technicians, 60 tickets): unassigned tickets are either unservable
    (compiled reason), or fit nowhere (no_capacity), or fit but cost more than their penalty
    (not_profitable), or would pay but the search stopped first (solver_limit) — and a
    no_capacity ticket really fits in no route."""
    problem = fd.compile_scenario(fd.generate_scenario(3, 60, seed=4))
    result = fd.solve(problem, "ls", max_iterations=300, seed=1)
    assert result.is_feasible and _all_accounted(problem, result.plan)
    assert result.evaluation.kpis.unassigned > 0
    routes = [list(r) for r in result.plan.routes]
    for j, reason in result.plan.unassigned.items():
        if problem.unservable[j]:
            assert reason == fd.UnassignedReason.from_code(int(problem.unservable[j]))
            continue
        assert reason in (fd.UnassignedReason.NO_CAPACITY, fd.UnassignedReason.NOT_PROFITABLE,
                          fd.UnassignedReason.SOLVER_LIMIT)
        if reason is fd.UnassignedReason.NO_CAPACITY:
            for r in problem.routes_for(j).tolist():
                for p in range(len(routes[r]) + 1):
                    trial = [list(x) for x in routes]
                    trial[r].insert(p, j)
                    rest = {k: v for k, v in result.plan.unassigned.items() if k != j}
                    assert not fd.evaluate(problem, fd.Plan(trial, rest)).is_feasible


def test_priority_tickets_are_not_dropped_for_cheaper_ones():
    """On an overloaded day no P1 ticket that some route could take alone is left out while
    P4 tickets are served (P1's penalty dominates)."""
    problem = fd.compile_scenario(fd.generate_scenario(3, 60, seed=8))
    result = fd.solve(problem, "ls", max_iterations=300, seed=1)
    kpis = result.evaluation.kpis
    served_p1, total_p1 = kpis.assigned_by_priority["P1"]
    servable_p1 = int(((problem.data.cost.priority == 1) & (problem.unservable == 0)).sum())
    assert served_p1 == servable_p1 or kpis.assigned_by_priority["P4"][0] == 0
    assert total_p1 >= served_p1


def test_degenerate_inputs_give_a_plan_not_a_trace():
    """No technicians, no tickets, or nothing servable: a feasible plan and a status."""
    for scenario in (fd.generate_scenario(0, 5, seed=1), fd.generate_scenario(3, 0, seed=1),
                     fd.generate_scenario(0, 0, seed=1)):
        result = fd.solve(scenario, "ls", max_iterations=50, seed=1)
        assert result.is_feasible
        assert result.stats["iterations"] == 0
        assert len(result.plan.unassigned) == len(scenario.tickets)


def test_bad_options_are_validation_errors():
    """Negative or non-numeric options raise ValidationError naming the option."""
    with pytest.raises(fd.ValidationError, match="neighbours"):
        LocalSearchSolver(neighbours=-1)
    with pytest.raises(fd.ValidationError, match="temperature"):
        LocalSearchSolver(temperature=(0.01, 1.0))
    with pytest.raises(fd.ValidationError, match="temperature"):
        fd.solve(fd.generate_scenario(1, 2, seed=1), "ls", temperature="hot")
    with pytest.raises(fd.ValidationError, match="avg_removed"):
        fd.solve(fd.generate_scenario(1, 2, seed=1), "ls", avg_removed="many")


def test_conformance_kit_accepts_ls():
    """The public conformance kit (evaluator, nothing lost, reasons, same seed) accepts ``ls``."""
    check_solver("ls", max_iterations=200)


def test_nearest_tickets_match_brute_force(city):
    """The KD-tree neighbour lists equal a brute-force ranking by straight-line distance."""
    problem = fd.compile_scenario(city)
    ptr, nb = nearest_tickets(problem, 5)
    tv, nodes = problem.data.tv, problem.data.ticket_node
    if tv.kind == 2:  # haversine: compare on the sphere
        lon, lat = tv.x[nodes], tv.y[nodes]
        pts = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                               np.sin(lat)])
    else:
        pts = np.column_stack([tv.x[nodes], tv.y[nodes]])
    d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2)
    np.fill_diagonal(d, np.inf)
    for j in range(problem.num_tickets):
        mine = nb[ptr[j]:ptr[j + 1]]
        assert j not in mine
        assert np.allclose(np.sort(d[j, mine]), np.sort(d[j])[:5])


def test_locked_tickets_stay_in_their_routes(city):
    """Locked tickets of the warm start keep their route and their relative order."""
    problem = fd.compile_scenario(city)
    start = fd.solve(problem, "greedy").plan
    locked = {route[0]: r for r, route in enumerate(start.routes) if len(route) >= 2}
    locked.update({route[-1]: r for r, route in enumerate(start.routes) if len(route) >= 2})
    result = fd.solve(problem, "ls", max_iterations=800, seed=4, initial_plan=start,
                      locked=frozenset(locked))
    assert result.is_feasible
    for j, r in locked.items():
        assert j in result.plan.routes[r]
    for r, route in enumerate(start.routes):
        if len(route) >= 2:
            now = result.plan.routes[r]
            assert now.index(route[0]) < now.index(route[-1])


def test_locked_ticket_must_be_routed_in_the_warm_start(city):
    """Locking a ticket the warm start does not route is a ValidationError naming it."""
    problem = fd.compile_scenario(city)
    start = fd.solve(problem, "greedy").plan
    j = next(iter(start.unassigned))
    with pytest.raises(fd.ValidationError, match=problem.index.ticket_ids[j]):
        fd.solve(problem, "ls", max_iterations=10, initial_plan=start, locked=frozenset({j}))
    with pytest.raises(fd.ValidationError, match="locked"):
        fd.solve(problem, "ls", max_iterations=10, locked=frozenset({j}))


def test_matrix_neighbours_match_brute_force():
    """Neighbour lists of an explicit travel matrix (ranked by the symmetrised duration,
    computed a block of rows at a time) equal a brute-force ranking."""
    from pathlib import Path

    r101 = Path(__file__).parents[1] / "data/solomon/R101.txt"
    problem = fd.compile_scenario(fd.read_solomon(r101))
    ptr, nb = nearest_tickets(problem, 7)
    rows = problem.data.tv.node_row[problem.data.ticket_node]
    dur = problem.data.tv.dur[np.ix_(rows, rows)].astype(float)
    sym = dur + dur.T
    np.fill_diagonal(sym, np.inf)
    for j in range(problem.num_tickets):
        mine = nb[ptr[j]:ptr[j + 1]]
        assert j not in mine
        assert np.allclose(np.sort(sym[j, mine]), np.sort(sym[j])[:7])
