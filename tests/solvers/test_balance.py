"""Load balance in every backend: construction, search and the exact objective agree.

The evaluator's term is ``load_balance × (max − min)`` technician workload. Greedy
(regret with the balance change) and ``ls`` (balance-aware re-insertion, a
"most loaded technician" ruin, exact acceptance) must see it; their own objective
must equal the evaluator's with it on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings

import fsdispatch as fd
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def _toy() -> fd.Scenario:
    """2 equal technicians at one depot, 8 equal 30-minute jobs next door, load_balance=5."""
    def at(h: float) -> datetime:
        return DAY + timedelta(hours=h)

    techs = [fd.Technician(f"A{i}", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))])
             for i in range(2)]
    jobs = [fd.Ticket(f"T{k}", fd.Location.planar(1, 1), 30 * fd.MINUTE) for k in range(8)]
    return fd.Scenario(fd.Horizon(DAY, DAY + timedelta(days=1)), techs, jobs,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
                       objective=fd.ObjectiveWeights(load_balance=5))


def _weighted(scenario: fd.Scenario, weight: float) -> fd.Scenario:
    return attrs.evolve(scenario, objective=attrs.evolve(scenario.objective,
                                                          load_balance=weight))


def _spread(problem: fd.Problem, plan: fd.Plan) -> float:
    """Max − min technician workload in minutes, by the evaluator."""
    scenario = _weighted(problem.scenario, 1.0)
    return fd.evaluate(fd.compile_scenario(scenario), plan).components["load_balance"]


@pytest.mark.solvers(exact=False)
def test_the_toy_is_split_four_and_four(solver_name):
    """2 technicians × 8 equal jobs with load_balance=5: within 10 % of CP-SAT's objective
    (which splits 4/4); before, greedy and ls put all 8 on one technician (objective 1,240)."""
    problem = fd.compile_scenario(_toy())
    exact = fd.solve(problem, "cpsat", time_limit=20)
    options = {"ls": {"max_iterations": 300, "seed": 1}}.get(solver_name, {})
    result = fd.solve(problem, solver_name, **options)
    assert result.is_feasible and result.evaluation.kpis.assigned == 8
    assert result.objective <= 1.10 * exact.objective
    assert sorted(len(r) for r in result.plan.routes) == [4, 4]


@pytest.mark.solvers(exact=False)
def test_balance_cuts_the_spread_on_a_generated_day(solver_name):
    """A generated 10 × 50 day: with load_balance=2 the spread falls by at least 40 % against
    the same solver without it, as many tickets are served, and the plan with the term is
    better under the weighted objective than the plan made without it."""
    base = fd.generate_scenario(10, 50, seed=3)
    off = fd.compile_scenario(base)
    on = fd.compile_scenario(_weighted(base, 2.0))
    options = {"ls": {"max_iterations": 2000, "seed": 1, "time_limit": None}}.get(solver_name, {})
    plain = fd.solve(off, solver_name, **options)
    balanced = fd.solve(on, solver_name, **options)
    assert balanced.is_feasible
    assert _spread(on, balanced.plan) <= 0.6 * _spread(off, plain.plan)
    assert balanced.evaluation.kpis.assigned >= plain.evaluation.kpis.assigned
    assert balanced.objective < fd.evaluate(on, plain.plan).objective


def test_greedy_keeps_the_better_of_the_guided_and_plain_construction():
    """On a full 50 × 400 day balance-guided insertion loses tickets; greedy then returns
    the plain plan, so with the term on it is never worse than without it."""
    base = fd.generate_scenario(50, 400, seed=3)
    on = fd.compile_scenario(_weighted(base, 2.0))
    result = fd.solve(on, "greedy")
    plain = fd.solve(fd.compile_scenario(base), "greedy")
    assert "balance_guided" in result.stats
    assert result.objective <= fd.evaluate(on, plain.plan).objective + 1e-6


@settings(max_examples=25)
@given(scenarios(max_technicians=4, max_tickets=12))
def test_greedy_objective_with_balance_is_the_evaluators(scenario):
    """Greedy's own objective (insertions, penalties, the balance term of the final state)
    equals the evaluator's with load balance, labour and preference on."""
    scenario = attrs.evolve(scenario, objective=fd.ObjectiveWeights(
        load_balance=0.7, labour=1.0, preference=200.0, distance=1.5))
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy")
    assert result.is_feasible
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                              abs=1e-6)


def test_recent_workload_counts_in_the_spread():
    """Fairness over a history window: a technician who worked 4 hours more recently gets the
    work today (the toy with A0's recent_workload = 240 min: A1 takes more jobs)."""
    scenario = _toy()
    techs = [attrs.evolve(scenario.technicians[0], recent_workload=4 * fd.HOUR),
             scenario.technicians[1]]
    problem = fd.compile_scenario(attrs.evolve(scenario, technicians=techs))
    for solver in ("greedy", "ls"):
        result = fd.solve(problem, solver, **({"max_iterations": 300} if solver == "ls" else {}))
        a0, a1 = (len(r) for r in result.plan.routes)
        assert a1 > a0, (solver, result.plan.routes)


def test_balanced_search_is_deterministic_and_beats_its_start():
    """With a load-balance weight (the balance relocation in the descent) ``ls`` is
    reproducible for a seed and an iteration count, its plan passes the evaluator, and it
    is no worse under the weighted objective than the greedy plan it starts from."""
    on = fd.compile_scenario(_weighted(fd.generate_scenario(10, 50, seed=3), 5.0))
    runs = [fd.solve(on, "ls", seed=2, max_iterations=400, time_limit=None) for _ in range(2)]
    assert runs[0].plan.routes == runs[1].plan.routes
    assert runs[0].is_feasible
    assert runs[0].stats["backend_objective"] == pytest.approx(runs[0].objective, rel=1e-9)
    assert runs[0].objective <= fd.solve(on, "greedy").objective + 1e-6
