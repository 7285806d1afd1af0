"""Assignment-only mode: the travel estimate, the evaluator's rules and objective, backends."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings

import fsdispatch as fd
from fsdispatch.problem.assignment import assignment_data
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _accounted(problem: fd.Problem, plan: fd.Plan) -> bool:
    routed = [j for route in plan.routes for j in route]
    return (len(routed) == len(set(routed))
            and set(routed) | set(plan.unassigned) == set(range(problem.num_tickets))
            and not set(routed) & set(plan.unassigned))


def brute_force_assignment(problem: fd.Problem) -> float:
    """Best evaluator objective over every assignment of tickets to able shifts (or none)."""
    options = []
    for j in range(problem.num_tickets):
        options.append([-1, *problem.routes_for(j).tolist()])
    best = np.inf
    for choice in itertools.product(*options):
        routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
        unassigned = {}
        for j, r in enumerate(choice):
            if r < 0:
                unassigned[j] = fd.UnassignedReason.NOT_PROFITABLE
            else:
                routes[r].append(j)
        ev = fd.evaluate(problem, fd.Plan(routes, unassigned, mode="assignment"))
        if ev.is_feasible:
            best = min(best, ev.objective)
    return float(best)


def test_travel_estimate_is_half_the_round_trip(tiny):
    """The travel estimate of (shift, ticket) is half of start→ticket→end travel, in seconds."""
    problem = fd.compile_scenario(tiny)
    ad = assignment_data(problem)
    # A at (0,0), T1 at (5,0): 5 km at 60 km/h = 300 s each way -> estimate 300 s, 5 km
    assert ad.travel[0, 0] == 300
    assert ad.km[0, 0] == pytest.approx(5.0)
    # work = service (60 min) + estimate
    assert ad.work[0, 0] == 3600 + 300
    # B's working time: 9 h shift minus a 30 min break
    assert ad.hours[1] == 9 * 3600 - 30 * 60
    assert assignment_data(problem) is ad  # computed once per problem


def test_assignment_objective_follows_the_documented_formula(tiny):
    """Objective = estimated travel + serve-first lateness + penalties of unassigned tickets."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan([(0, 2), ()], {1: fd.UnassignedReason.NOT_PROFITABLE}, mode="assignment")
    ev = fd.evaluate(problem, plan)
    assert ev.is_feasible
    ad = assignment_data(problem)
    kd = problem.data
    expected = (kd.cost.penalty[1] + kd.w.travel * (ad.travel[0, 0] + ad.travel[0, 2])
                + ad.late_cost[0, 0] + ad.late_cost[0, 2])
    assert ev.objective == pytest.approx(expected)
    assert ev.kpis.travel_time_min == pytest.approx((ad.travel[0, 0] + ad.travel[0, 2]) / 60)
    assert ev.kpis.assigned == 2


def test_assignment_order_does_not_matter(tiny):
    """In assignment mode the order inside a route changes nothing."""
    problem = fd.compile_scenario(tiny)
    a = fd.evaluate(problem, fd.Plan([(0, 2), (1,)], mode="assignment"))
    b = fd.evaluate(problem, fd.Plan([(2, 0), (1,)], mode="assignment"))
    assert a.objective == b.objective and a.is_feasible and b.is_feasible


def test_assignment_violations_are_reported(tiny):
    """Skills, shift reachability and working hours are hard rules in assignment mode."""
    problem = fd.compile_scenario(tiny)
    # T2 needs gas, A has none -> skill
    ev = fd.evaluate(problem, fd.Plan([(1,), ()], {0: "not_profitable", 2: "not_profitable"},
                                      mode="assignment"))
    assert {v.kind for v in ev.violations} == {"skill"}
    # a 90-minute shift cannot hold T1 (60 min + 5 min estimate) and T3 (30 min + ~1 min)
    begin = tiny.technicians[0].shifts[0].start
    short = fd.Scenario(tiny.horizon, [
        fd.Technician("A", fd.Location.planar(0, 0),
                      [fd.Shift(begin, begin + timedelta(minutes=90))], skills={"hvac": 2})],
        [tiny.tickets[0], tiny.tickets[2]], travel=tiny.travel)
    p2 = fd.compile_scenario(short)
    ev = fd.evaluate(p2, fd.Plan([(0, 1)], mode="assignment"))
    assert "shift_hours" in {v.kind for v in ev.violations}


def test_plan_mode_is_validated():
    """An unknown plan mode is a ValidationError naming the field and value."""
    with pytest.raises(fd.ValidationError, match=r"mode.*'sequenced'"):
        fd.Plan([()], mode="sequenced")


def test_json_keeps_the_mode(tiny):
    """Writing and reading an assignment plan keeps mode == 'assignment' (schema allows it)."""
    problem = fd.compile_scenario(tiny)
    result = fd.solve(problem, "greedy", mode="assignment")
    text = fd.save_plan(problem, result.plan, evaluation=result.evaluation, solver="greedy")
    data = json.loads(text)
    assert data["mode"] == "assignment"
    back = fd.plan_from_dict(problem, data)
    assert back.mode == "assignment"
    assert fd.evaluate(problem, back).objective == pytest.approx(result.objective)
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files
    schema = json.loads(files("fsdispatch.io").joinpath("schemas/plan.schema.json").read_text())
    jsonschema.validate(data, schema)
    data["mode"] = "bogus"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


@settings(max_examples=25)
@given(scenarios(max_technicians=3, max_tickets=10))
def test_greedy_assignment_passes_the_evaluator(scenario):
    """Greedy in assignment mode: feasible under the assignment rules, nothing lost."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy", mode="assignment")
    assert result.plan.mode == "assignment"
    assert result.evaluation.violations == ()
    assert _accounted(problem, result.plan)


def test_greedy_routing_is_unchanged_by_default(city):
    """The default greedy mode is routing; the plan says so."""
    result = fd.solve(city, "greedy")
    assert result.plan.mode == "routing" and result.is_feasible


@settings(max_examples=15)
@given(scenarios(max_technicians=2, max_tickets=6, max_days=1))
def test_exact_backends_prove_the_assignment_optimum(scenario):
    """cpsat and milp in assignment mode prove the optimum of an exhaustive enumeration."""
    problem = fd.compile_scenario(scenario)
    best = brute_force_assignment(problem)
    for name, opts in (("cpsat", {"workers": 1}), ("milp", {})):
        result = fd.solve(problem, name, mode="assignment", time_limit=30, seed=0, **opts)
        assert result.plan.mode == "assignment"
        assert result.is_feasible
        assert result.status is fd.SolveStatus.OPTIMAL, name
        tol = 1e-6 * max(1.0, abs(best))
        assert abs(result.objective - best) <= tol, name
        assert result.bound <= result.objective + tol


def test_exact_assignment_never_worse_than_greedy(city):
    """On a 60-ticket day the exact assignment is at least as good as greedy's."""
    problem = fd.compile_scenario(city)
    greedy = fd.solve(problem, "greedy", mode="assignment")
    exact = fd.solve(problem, "cpsat", mode="assignment", time_limit=3, workers=1, seed=0)
    assert exact.is_feasible and exact.objective <= greedy.objective + 1e-6
    assert exact.bound <= exact.objective + 1e-6
