"""explain() offers only relaxations that work: applied, the ticket becomes placeable.

"Placeable" is judged by the evaluator alone: in the relaxed, recompiled
scenario some route and position take the ticket into the plan feasibly and
lower the objective (its unassigned penalty is saved for less than it costs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Relaxation, apply_relaxation, explain

pytestmark = pytest.mark.property

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def _placeable_by_the_evaluator(problem: fd.Problem, plan: fd.Plan, j: int) -> bool:
    """Some route and position serve ``j`` in ``plan`` feasibly at a lower objective."""
    base = fd.evaluate(problem, plan).objective
    unassigned = {k: v for k, v in plan.unassigned.items() if k != j}
    for r, route in enumerate(plan.routes):
        for p in range(len(route) + 1):
            routes = [list(x) for x in plan.routes]
            routes[r].insert(p, j)
            ev = fd.evaluate(problem, fd.Plan(routes, unassigned, pickups=plan.pickups))
            if ev.is_feasible and ev.objective < base - 1e-9:
                return True
    return False


def _check_all(problem: fd.Problem, plan: fd.Plan, j: int) -> list[Relaxation]:
    ex = explain(problem, plan, j)
    assert not ex.assigned
    assert len(ex.what_if) == max(len(ex.relaxations), 1)
    for rel in ex.relaxations:
        relaxed = fd.compile_scenario(apply_relaxation(problem.scenario,
                                                       problem.index.ticket_ids[j], rel))
        assert _placeable_by_the_evaluator(relaxed, plan, j), rel
    return list(ex.relaxations)


@settings(max_examples=8)
@given(seed=st.integers(0, 500), techs=st.integers(2, 4), tickets=st.integers(25, 45))
def test_every_offered_relaxation_makes_the_ticket_placeable(seed, techs, tickets):
    """On generated full days every relaxation offered for an unassigned ticket, applied to
    the scenario and recompiled, lets the evaluator place the ticket into the plan."""
    problem = fd.compile_scenario(fd.generate_scenario(techs, tickets, seed=seed))
    plan = fd.solve(problem, "greedy").plan
    for j in sorted(plan.unassigned)[:4]:
        _check_all(problem, plan, j)


def test_relaxations_are_offered_on_a_known_day():
    """The test above is not vacuous: on these days skills, shifts and windows are offered."""
    kinds: set[str] = set()
    for seed in range(4):
        problem = fd.compile_scenario(fd.generate_scenario(4, 45, seed=seed))
        plan = fd.solve(problem, "greedy").plan
        for j in sorted(plan.unassigned)[:6]:
            kinds |= {r.kind for r in _check_all(problem, plan, j)}
    assert {"skill", "shift", "window"} <= kinds


def test_a_relaxation_that_leaves_the_ticket_unprofitable_is_not_offered():
    """A far P4 ticket whose penalty (1) is below any insertion: a wider window or a longer
    shift would not get it served, so only raising its priority is offered."""
    def at(h: float) -> datetime:
        return DAY + timedelta(hours=h)

    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))])
    near = fd.Ticket("NEAR", fd.Location.planar(1, 0), 30 * fd.MINUTE)
    far = fd.Ticket("FAR", fd.Location.planar(40, 0), 60 * fd.MINUTE, priority="P4",
                    windows=[fd.TimeWindow(at(9), at(11))])
    weights = fd.ObjectiveWeights(unassigned={"P1": 100_000, "P2": 30_000, "P3": 10_000,
                                              "P4": 1})
    problem = fd.compile_scenario(fd.Scenario(
        fd.Horizon(DAY, DAY + timedelta(days=1)), [tech], [near, far],
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0), objective=weights))
    plan = fd.solve(problem, "greedy").plan
    j = problem.index.ticket_idx("FAR")
    assert plan.unassigned[j].value == "not_profitable"
    kinds = [r.kind for r in _check_all(problem, plan, j)]
    assert kinds == ["priority"]


def test_territory_and_certification_relaxations_are_offered_and_work():
    """A ticket only an out-of-territory technician and one with a lapsed certification could
    serve: both relaxations are offered, and each, applied, places it (issue #19)."""
    def at(h: float) -> datetime:
        return DAY + timedelta(hours=h)

    shift = [fd.Shift(at(8), at(17))]
    techs = [fd.Technician("OUT", fd.Location.planar(0, 0), shift, skills={"hvac": 1},
                           territories=["south"]),
             fd.Technician("OLD", fd.Location.planar(2, 0), shift, skills={"hvac": 1},
                           certifications={"hvac": at(-30)})]
    ticket = fd.Ticket("T", fd.Location.planar(1, 1), 30 * fd.MINUTE, territory="north",
                       required_skills={"hvac": 1})
    problem = fd.compile_scenario(fd.Scenario(
        fd.Horizon(DAY, DAY + timedelta(days=1)), techs, [ticket],
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0)))
    plan = fd.solve(problem, "greedy").plan
    assert plan.unassigned[0].value == "no_territory"  # TERRITORY is the code furthest along
    offered = {(r.kind, r.technician_id) for r in _check_all(problem, plan, 0)}
    assert {("territory", "OUT"), ("certification", "OLD")} <= offered
