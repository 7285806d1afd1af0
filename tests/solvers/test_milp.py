"""The milp backend: proven optima on tiny instances, valid bounds, clear degenerate statuses."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings

import fsdispatch as fd
from exact_cases import brute_force, close
from fsdispatch.testing import check_solver
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


@settings(max_examples=20)
@given(scenarios(max_technicians=2, max_tickets=6, max_days=1, breaks=False))
def test_milp_proves_the_brute_force_optimum(scenario):
    """Without breaks, milp (CBC) proves exactly the optimum a brute-force enumeration finds."""
    problem = fd.compile_scenario(scenario)
    best = brute_force(problem)
    result = fd.solve(problem, "milp", time_limit=30, seed=0)
    assert result.is_feasible
    assert result.status is fd.SolveStatus.OPTIMAL
    assert close(result.objective, best)
    assert close(result.bound, best)


@settings(max_examples=15)
@given(scenarios(max_technicians=2, max_tickets=5, max_days=1, breaks=True))
def test_milp_with_breaks_keeps_the_bound_valid(scenario):
    """Breaks are relaxed in the MILP: the plan is still feasible, the bound ≤ the optimum,
    and OPTIMAL is claimed only when the evaluator agrees."""
    problem = fd.compile_scenario(scenario)
    best = brute_force(problem)
    result = fd.solve(problem, "milp", time_limit=30, seed=0)
    assert result.is_feasible
    assert result.bound is not None and result.bound <= best + 1e-6 * max(1.0, best)
    if result.status is fd.SolveStatus.OPTIMAL:
        assert close(result.objective, best)


def test_milp_and_cpsat_agree_on_a_small_day():
    """On a 3-technician, 12-ticket day both exact backends prove the same optimum."""
    problem = fd.compile_scenario(fd.generate_scenario(3, 12, seed=3))
    milp = fd.solve(problem, "milp", time_limit=30, seed=0)
    cpsat = fd.solve(problem, "cpsat", time_limit=30, seed=0, workers=1)
    assert milp.status is cpsat.status is fd.SolveStatus.OPTIMAL
    assert close(milp.objective, cpsat.objective)
    assert close(milp.stats["backend_objective"], milp.objective)


def test_milp_time_limit_gives_a_valid_bound(city):
    """A 60-ticket day under a 3 s limit: feasible plan no worse than greedy, bound ≤ objective."""
    problem = fd.compile_scenario(city)
    greedy = fd.solve(problem, "greedy")
    result = fd.solve(problem, "milp", time_limit=3, seed=0)
    assert result.is_feasible
    assert result.objective <= greedy.objective + 1e-6
    assert result.bound is None or result.bound <= result.objective + 1e-6
    assert result.runtime < 20


def test_milp_degenerate_inputs_give_a_status():
    """No technicians / no tickets: a status and every ticket with a reason, no exception."""
    for scenario in (fd.generate_scenario(0, 4, seed=1), fd.generate_scenario(2, 0, seed=1)):
        result = fd.solve(scenario, "milp")
        assert result.status is fd.SolveStatus.OPTIMAL
        assert len(result.plan.unassigned) == len(scenario.tickets)


def test_milp_options_are_validated_and_picklable():
    """Unknown engine or mode raises ValidationError; the backend pickles."""
    with pytest.raises(fd.ValidationError, match="backend"):
        fd.get_solver("milp", backend="gurobi")
    with pytest.raises(fd.ValidationError, match="mode"):
        fd.get_solver("milp", mode="x")
    backend = fd.get_solver("milp", threads=2)
    assert pickle.loads(pickle.dumps(backend)) == backend


def test_milp_refuses_big_routing_problems():
    """Beyond its routing size limit the registry refuses clearly (UnsupportedProblemError)."""
    with pytest.raises(fd.UnsupportedProblemError, match="exceed"):
        fd.solve(fd.generate_scenario(8, 80, seed=1), "milp")


def test_milp_passes_the_conformance_kit():
    """check_solver on small scenarios: feasible, nothing lost, same seed same plan."""
    check_solver("milp", scenarios=[
        fd.generate_scenario(0, 0, seed=0, name="empty"),
        fd.generate_scenario(2, 0, seed=1, name="no-tickets"),
        fd.generate_scenario(0, 5, seed=2, name="no-technicians"),
        fd.generate_scenario(3, 12, seed=3, name="small"),
        fd.generate_scenario(2, 10, seed=5, days=2, name="two-days"),
    ], time_limit=10)
