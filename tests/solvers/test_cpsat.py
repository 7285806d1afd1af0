"""The cpsat backend: proven optima on tiny instances, valid bounds, clear degenerate statuses."""

from __future__ import annotations

import pickle
import warnings
from datetime import timedelta

import pytest
from hypothesis import given, settings

import fsdispatch as fd
from conftest import DAY0, at
from exact_cases import brute_force, close
from fsdispatch.testing import check_solver
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

OPTS = {"workers": 1, "seed": 0}


@settings(max_examples=25)
@given(scenarios(max_technicians=2, max_tickets=6, max_days=1, breaks=False))
def test_cpsat_proves_the_brute_force_optimum(scenario):
    """Without breaks, cpsat proves exactly the optimum a brute-force enumeration finds."""
    problem = fd.compile_scenario(scenario)
    best = brute_force(problem)
    result = fd.solve(problem, "cpsat", time_limit=30, **OPTS)
    assert result.is_feasible
    assert result.status is fd.SolveStatus.OPTIMAL
    assert close(result.objective, best)
    assert close(result.bound, best)


@settings(max_examples=20)
@given(scenarios(max_technicians=2, max_tickets=5, max_days=1, breaks=True))
def test_cpsat_with_breaks_keeps_the_bound_valid(scenario):
    """With breaks (modelled as a relaxation) the plan is feasible, the bound is below the
    optimum, and OPTIMAL is claimed only when the plan really is optimal."""
    problem = fd.compile_scenario(scenario)
    best = brute_force(problem)
    result = fd.solve(problem, "cpsat", time_limit=30, **OPTS)
    assert result.is_feasible
    assert result.bound is not None and result.bound <= best + 1e-6 * max(1.0, best)
    assert result.objective >= best - 1e-6 * max(1.0, best)
    if result.status is fd.SolveStatus.OPTIMAL:
        assert close(result.objective, best)


def test_cpsat_never_worse_than_greedy_and_bound_below_both(city):
    """On a 60-ticket day with a short limit: plan no worse than greedy; bound ≤ both objectives."""
    problem = fd.compile_scenario(city)
    greedy = fd.solve(problem, "greedy")
    result = fd.solve(problem, "cpsat", time_limit=4, **OPTS)
    assert result.is_feasible
    assert result.status in (fd.SolveStatus.OPTIMAL, fd.SolveStatus.FEASIBLE)
    assert result.objective <= greedy.objective + 1e-6
    assert result.bound is not None
    assert result.bound <= result.objective + 1e-6
    assert result.runtime < 15


def test_cpsat_backend_objective_matches_the_evaluator(tiny):
    """The model's own objective equals the evaluator's when optimality is proven."""
    result = fd.solve(tiny, "cpsat", **OPTS)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert close(result.stats["backend_objective"], result.objective)
    assert result.evaluation.kpis.assigned == 3


def test_no_technicians_gives_a_status_not_a_trace():
    """No technicians: every ticket unassigned with no_shift; status OPTIMAL (nothing to do)."""
    scenario = fd.generate_scenario(0, 5, seed=2)
    result = fd.solve(scenario, "cpsat", **OPTS)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert set(result.plan.unassigned.values()) == {fd.UnassignedReason.NO_SHIFT}
    assert result.bound == pytest.approx(result.objective)


def test_every_ticket_unservable_gives_a_status(tiny):
    """Tickets nobody can serve (skills) come back unassigned with the compiled reason."""
    techs = [fd.Technician("Z", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))])]
    tickets = [fd.Ticket("X", fd.Location.planar(1, 1), 3600, required_skills={"gas": 1})]
    scenario = fd.Scenario(tiny.horizon, techs, tickets, travel=tiny.travel)
    result = fd.solve(scenario, "cpsat", **OPTS)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert result.plan.unassigned == {0: fd.UnassignedReason.NO_SKILL}


def test_tickets_outside_the_horizon_and_empty_inputs(tiny):
    """Windows outside the horizon, no tickets at all: a status, never an exception."""
    late = fd.Ticket("L", fd.Location.planar(1, 1), 3600,
                     windows=[fd.TimeWindow(DAY0 + timedelta(days=3), DAY0 + timedelta(days=4))])
    scenario = fd.Scenario(tiny.horizon, tiny.technicians, [late], travel=tiny.travel)
    result = fd.solve(scenario, "cpsat", **OPTS)
    assert result.plan.unassigned == {0: fd.UnassignedReason.OUTSIDE_HORIZON}
    assert result.status is fd.SolveStatus.OPTIMAL
    empty = fd.generate_scenario(2, 0, seed=1)
    assert fd.solve(empty, "cpsat", **OPTS).status is fd.SolveStatus.OPTIMAL


def test_zero_length_horizon_is_a_validation_error():
    """A zero-length horizon is refused when the scenario is built (a clear ValidationError)."""
    with pytest.raises(fd.ValidationError, match="end"):
        fd.Horizon(DAY0, DAY0)


def test_cpsat_refuses_problems_beyond_its_size_limit():
    """Too many tickets for an exact routing model: UnsupportedProblemError saying why."""
    big = fd.generate_scenario(10, 200, seed=1)
    with pytest.raises(fd.UnsupportedProblemError, match="200 tickets exceed"):
        fd.solve(big, "cpsat", **OPTS)


def test_cpsat_options_are_validated_and_picklable():
    """Bad options raise ValidationError; the backend pickles (options only)."""
    with pytest.raises(fd.ValidationError, match="workers"):
        fd.get_solver("cpsat", workers=0)
    with pytest.raises(fd.ValidationError, match="mode"):
        fd.get_solver("cpsat", mode="sequence")
    backend = fd.get_solver("cpsat", workers=2, mode="assignment")
    assert pickle.loads(pickle.dumps(backend)) == backend
    assert backend.capabilities.exact


def test_cpsat_warns_for_limits_it_cannot_honour(tiny):
    """max_iterations has no CP-SAT meaning: a RuntimeWarning, not silence."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fd.solve(tiny, "cpsat", max_iterations=10, **OPTS)
    assert any("max_iterations" in str(w.message) for w in caught)


def test_cpsat_passes_the_conformance_kit():
    """check_solver: feasible, nothing lost, reasons, same seed same plan (small scenarios)."""
    check_solver("cpsat", scenarios=[
        fd.generate_scenario(0, 0, seed=0, name="empty"),
        fd.generate_scenario(2, 0, seed=1, name="no-tickets"),
        fd.generate_scenario(0, 5, seed=2, name="no-technicians"),
        fd.generate_scenario(3, 12, seed=3, name="small"),
        fd.generate_scenario(2, 10, seed=5, days=2, name="two-days"),
    ], time_limit=5, workers=1)
