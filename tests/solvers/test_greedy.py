"""The greedy backend: feasible, nothing lost, regret- and priority-aware, honest reasons."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.testing import check_solver
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _all_accounted(problem: fd.Problem, plan: fd.Plan) -> bool:
    routed = [j for route in plan.routes for j in route]
    return (len(routed) == len(set(routed))
            and set(routed) | set(plan.unassigned) == set(range(problem.num_tickets))
            and not set(routed) & set(plan.unassigned))


@given(scenarios())
def test_greedy_plan_always_passes_the_evaluator(scenario):
    """Random scenarios (breaks, parts, tight windows, caps): greedy is feasible, loses nothing."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy")
    assert result.evaluation.violations == ()
    assert result.status is fd.SolveStatus.FEASIBLE
    assert _all_accounted(problem, result.plan)


@given(scenarios(max_technicians=3, max_tickets=7))
def test_no_capacity_claims_are_true(scenario):
    """A ticket left unassigned for no capacity fits nowhere: every insertion breaks a rule."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy")
    routes = [list(r) for r in result.plan.routes]
    for j, reason in result.plan.unassigned.items():
        if reason is not fd.UnassignedReason.NO_CAPACITY:
            continue
        for r, route in enumerate(routes):
            for p in range(len(route) + 1):
                trial = [list(x) for x in routes]
                trial[r].insert(p, j)
                unassigned = {k: v for k, v in result.plan.unassigned.items() if k != j}
                ev = fd.evaluate(problem, fd.Plan(trial, unassigned))
                assert not ev.is_feasible, f"ticket {j} fits in route {r} at {p}"


@given(scenarios(max_technicians=3, max_tickets=8))
def test_unservable_reasons_come_from_the_compiled_problem(scenario):
    """Tickets no shift could ever serve carry the compiled reason; the rest a solver reason."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy")
    for j in np.flatnonzero(problem.unservable):
        assert result.plan.unassigned[int(j)] == fd.UnassignedReason.from_code(
            int(problem.unservable[j]))
    for j, reason in result.plan.unassigned.items():
        if problem.unservable[j] == 0:
            assert reason in (fd.UnassignedReason.NO_CAPACITY,
                              fd.UnassignedReason.NOT_PROFITABLE,
                              fd.UnassignedReason.NO_PART)
            if reason is fd.UnassignedReason.NO_PART:
                # only a ticket that needs parts can be held back by the parts left
                assert scenario.tickets[j].parts


@given(scenarios(max_technicians=4, max_tickets=10))
def test_backend_objective_matches_the_evaluator(scenario):
    """Greedy's own bookkeeping of its insertion costs equals the evaluator's objective."""
    result = fd.solve(scenario, "greedy")
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                              abs=1e-6)


def test_same_input_same_plan(city):
    """Greedy is deterministic: two solves of one problem give the same plan."""
    problem = fd.compile_scenario(city)
    assert fd.solve(problem, "greedy", seed=1).plan == fd.solve(problem, "greedy", seed=2).plan


def test_conformance_kit_passes_for_greedy():
    """The public conformance kit accepts the greedy backend."""
    check_solver("greedy")


def _one_tech(shift_hours: float, tickets: list[fd.Ticket], **tech_kw) -> fd.Scenario:
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(8 + shift_hours))],
                         **tech_kw)
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), [tech], tickets,
                       travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))


def test_priority_wins_when_only_one_fits():
    """With room for one 3-hour job, the P1 emergency is served and the P4 job waits."""
    tickets = [
        fd.Ticket("low", fd.Location.planar(1, 0), 3 * fd.HOUR, priority="P4"),
        fd.Ticket("urgent", fd.Location.planar(20, 0), 3 * fd.HOUR, priority="P1"),
    ]
    result = fd.solve(_one_tech(4, tickets), "greedy")
    assert result.plan.to_ids(result.problem)["routes"] == {"A#0": ["urgent"]}
    assert result.plan.unassigned == {0: fd.UnassignedReason.NO_CAPACITY}


def test_regret_serves_the_constrained_ticket_first():
    """Regret insertion serves both tickets where cheapest-first would strand one.

    ``X`` needs gas (only A has it); ``Y`` is closer to A but B can also do it.
    Each technician has room for one job. Cheapest-first would give A to ``Y``.
    """
    horizon = fd.Horizon(DAY0, DAY0 + timedelta(days=1))
    techs = [
        fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(11))],
                      skills={"gas": 1}),
        fd.Technician("B", fd.Location.planar(10, 0), [fd.Shift(at(8), at(11))]),
    ]
    tickets = [
        fd.Ticket("X", fd.Location.planar(3, 0), 2 * fd.HOUR, required_skills={"gas": 1}),
        fd.Ticket("Y", fd.Location.planar(1, 0), 2 * fd.HOUR),
    ]
    scenario = fd.Scenario(horizon, techs, tickets,
                           travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))
    result = fd.solve(scenario, "greedy")
    assert result.plan.to_ids(result.problem)["routes"] == {"A#0": ["X"], "B#0": ["Y"]}
    assert result.evaluation.is_feasible


def test_route_order_follows_windows():
    """Two tickets with AM and PM windows are sequenced AM first even if listed PM first."""
    tickets = [
        fd.Ticket("pm", fd.Location.planar(2, 0), fd.HOUR, windows=[fd.TimeWindow(at(14), at(15))]),
        fd.Ticket("am", fd.Location.planar(4, 0), fd.HOUR, windows=[fd.TimeWindow(at(9), at(10))]),
    ]
    result = fd.solve(_one_tech(9, tickets), "greedy")
    assert result.plan.to_ids(result.problem)["routes"] == {"A#0": ["am", "pm"]}


@pytest.mark.parametrize(("ticket_kw", "reason"), [
    ({"required_skills": {"plumbing": 1}}, fd.UnassignedReason.NO_SKILL),
    ({"parts": {"valve": 1}}, fd.UnassignedReason.NO_PART),
    ({"excluded_technicians": ("A",)}, fd.UnassignedReason.EXCLUDED),
    ({"windows": [fd.TimeWindow(at(20), at(21))]}, fd.UnassignedReason.NO_SHIFT),
    ({"windows": [fd.TimeWindow(at(50), at(51))]}, fd.UnassignedReason.OUTSIDE_HORIZON),
    ({"duration": 10 * fd.HOUR}, fd.UnassignedReason.NO_SHIFT),
])
def test_unservable_ticket_reason(ticket_kw, reason):
    """A ticket no technician could serve is unassigned with the reason that blocks it."""
    kw = {"duration": fd.HOUR, **ticket_kw}
    horizon = fd.Horizon(DAY0, DAY0 + timedelta(days=2))
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))],
                         van_stock={"valve": 0})
    ticket = fd.Ticket("T", fd.Location.planar(1, 1), **kw)
    result = fd.solve(fd.Scenario(horizon, [tech], [ticket]), "greedy")
    assert result.plan.unassigned == {0: reason}
    assert result.evaluation.is_feasible


def test_time_limit_zero_leaves_tickets_open_with_solver_limit(city):
    """With a zero time limit greedy stops at once; every servable ticket is SOLVER_LIMIT."""
    problem = fd.compile_scenario(city)
    result = fd.solve(problem, "greedy", time_limit=0.0)
    assert result.evaluation.is_feasible
    assert result.stats["stopped_by_limit"]
    servable = set(np.flatnonzero(problem.unservable == 0).tolist())
    limited = {j for j, r in result.plan.unassigned.items()
               if r is fd.UnassignedReason.SOLVER_LIMIT}
    assert limited == servable
    assert _all_accounted(problem, result.plan)


def test_max_iterations_bounds_the_insertions(city):
    """``max_iterations=5`` makes at most five insertions; the rest are SOLVER_LIMIT."""
    result = fd.solve(city, "greedy", max_iterations=5)
    assert result.evaluation.kpis.assigned <= 5
    assert fd.UnassignedReason.SOLVER_LIMIT in set(result.plan.unassigned.values())


def test_initial_plan_is_kept_and_completed(city):
    """Warm start: the given routes stay as they are and other tickets are inserted around them."""
    problem = fd.compile_scenario(city)
    full = fd.solve(problem, "greedy").plan
    seed_routes = [route[:1] for route in full.routes]
    initial = fd.Plan(seed_routes, {})
    result = fd.solve(problem, "greedy", initial_plan=initial)
    assert result.evaluation.is_feasible
    for kept, route in zip(seed_routes, result.plan.routes, strict=True):
        assert all(j in route for j in kept)
    assert _all_accounted(problem, result.plan)


def test_two_day_horizon_uses_the_right_day(two_days):
    """On a two-day horizon every visit happens inside its route's shift and windows."""
    result = fd.solve(two_days, "greedy")
    assert result.evaluation.is_feasible
    kd = result.problem.data
    times = result.evaluation.times
    for k in range(times.ticket.shape[0]):
        r = times.route[k]
        assert kd.rt.open[r] <= times.start[k] <= kd.rt.max_close[r]


def test_matrix_travel_scenario():
    """An explicit duration/distance matrix drives travel and KPIs."""
    ids = ["depot", "a", "b"]
    durations = [[0, 600, 900], [600, 0, 300], [900, 300, 0]]
    distances = [[0, 10, 15], [10, 0, 5], [15, 5, 0]]
    horizon = fd.Horizon(DAY0, DAY0 + timedelta(days=1))
    tech = fd.Technician("A", fd.Location.planar(0, 0, id="depot"), [fd.Shift(at(8), at(17))])
    tickets = [fd.Ticket("a", fd.Location.planar(1, 0, id="a"), 1800),
               fd.Ticket("b", fd.Location.planar(2, 0, id="b"), 1800)]
    scenario = fd.Scenario(horizon, [tech], tickets,
                           travel=fd.MatrixTravel(ids, durations, distances))
    result = fd.solve(scenario, "greedy")
    assert result.evaluation.kpis.travel_time_min == pytest.approx((600 + 300 + 900) / 60)
    assert result.evaluation.kpis.distance_km == pytest.approx(30.0)


@given(st.integers(0, 10_000))
def test_generated_days_are_solved_feasibly(seed):
    """Realistic generated days of any seed are solved with zero violations."""
    scenario = fd.generate_scenario(6, 40, seed=seed)
    result = fd.solve(scenario, "greedy")
    assert result.evaluation.is_feasible
    assert result.evaluation.kpis.assigned + result.evaluation.kpis.unassigned == 40


def test_identical_shifts_beyond_the_candidate_list_are_used():
    """30 identical technicians at one depot, 2 tickets each at most, 56 tickets: the 24
    candidate routes nearest by start are always the same 24, yet greedy serves every
    ticket (a no_capacity claim must hold for every able route, not only candidates)."""
    depot = fd.Location.planar(0, 0)
    techs = [fd.Technician(f"v{k:02d}", depot, [fd.Shift(at(8), at(17))], max_tickets_per_day=2)
             for k in range(30)]
    tickets = [fd.Ticket(f"T{i}", fd.Location.planar(1 + i % 7, 1 + i // 7), 30 * fd.MINUTE)
               for i in range(56)]
    scenario = fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), techs, tickets,
                           travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0))
    result = fd.solve(scenario, "greedy")
    assert result.is_feasible
    assert result.evaluation.kpis.assigned == 56
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9)
