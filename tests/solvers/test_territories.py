"""Every backend respects hard territories and certifications on generated days, and prices
soft territories as the evaluator does (issue #19).

The days are generated (one or two days, skills, windows, parts) and then given
territories, teams and certifications that lapse on a drawn day. The checks read the
domain objects, not the compiled arrays: each visit's ticket lies in a territory its
technician covers (or has none, or the technician lists none), and each certified skill
it needs is valid on the day its shift starts.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fsdispatch as fd

pytestmark = pytest.mark.property

_AREAS = ("north", "south", "east")


@st.composite
def covered_days(draw: st.DrawFn, soft: bool) -> fd.Scenario:
    """A generated day (or two) with territories, teams and lapsing certifications."""
    days = draw(st.integers(1, 2))
    base = fd.generate_scenario(draw(st.integers(2, 4)), draw(st.integers(4, 12)),
                                seed=draw(st.integers(0, 10_000)), days=days)
    start = base.horizon.start
    techs = []
    for tech in base.technicians:
        areas = draw(st.lists(st.sampled_from(_AREAS), unique=True, max_size=2))
        lapse = draw(st.integers(-1, days))  # the day (from the horizon start) it lapses
        certified = draw(st.lists(st.sampled_from(sorted(tech.skills)), unique=True)
                         if tech.skills else st.just([]))
        techs.append(attrs.evolve(
            tech, territories=tuple(areas), team=draw(st.sampled_from([None, "a", "b"])),
            certifications={s: start + timedelta(days=lapse, hours=draw(st.integers(0, 23)))
                            for s in certified}))
    tickets = tuple(attrs.evolve(t, territory=draw(st.sampled_from((None, *_AREAS))))
                    for t in base.tickets)
    weight = draw(st.sampled_from([0.0, 30.0, 500.0])) if soft else None
    return attrs.evolve(base, technicians=tuple(techs), tickets=tickets,
                        objective=attrs.evolve(base.objective, out_of_territory=weight))


def _covers(tech: fd.Technician, ticket: fd.Ticket) -> bool:
    return ticket.territory is None or not tech.territories or \
        ticket.territory in tech.territories


def _solve(problem: fd.Problem, solver_name: str) -> fd.SolveResult:
    limits = {"max_iterations": 200} if solver_name == "ls" else \
        {"time_limit": 10.0} if solver_name in ("cpsat", "milp") else {}
    return fd.solve(problem, solver_name, seed=3, **limits)


def _visits(problem: fd.Problem, plan: fd.Plan):
    scenario = problem.scenario
    for r, route in enumerate(plan.routes):
        t_idx, shift = problem.index.routes[r]
        tech = scenario.technicians[t_idx]
        for j in route:
            yield tech, tech.shifts[shift], scenario.tickets[j]


_SETTINGS = settings(max_examples=8, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(scenario=covered_days(soft=False))
def test_every_backend_keeps_hard_territories_and_valid_certifications(solver_name, scenario):
    problem = fd.compile_scenario(scenario)
    result = _solve(problem, solver_name)
    assert result.evaluation.is_feasible, result.evaluation.violations[:3]
    tz = scenario.horizon.start.tzinfo
    for tech, shift, ticket in _visits(problem, result.plan):
        assert _covers(tech, ticket), (tech.id, ticket.id)
        for skill in ticket.required_skills:
            until = tech.certifications.get(skill)
            if until is not None:
                assert shift.start.astimezone(tz).date() <= until.astimezone(tz).date()
    placed = {j for route in result.plan.routes for j in route}
    assert placed | set(result.plan.unassigned) == set(range(problem.num_tickets))
    assert not placed & set(result.plan.unassigned)


@_SETTINGS
@given(scenario=covered_days(soft=True))
def test_every_backend_prices_soft_territories_as_the_evaluator(solver_name, scenario):
    """Soft territories: never a ``no_territory`` reason; the evaluator's out-of-territory
    term is the weight times the visits outside their territory."""
    problem = fd.compile_scenario(scenario)
    result = _solve(problem, solver_name)
    ev = result.evaluation
    assert ev.is_feasible, ev.violations[:3]
    assert fd.UnassignedReason.NO_TERRITORY not in result.plan.unassigned.values()
    outside = sum(not _covers(tech, ticket) for tech, _, ticket in _visits(problem, result.plan))
    weight = scenario.objective.out_of_territory
    assert ev.kpis.out_of_territory == outside
    assert ev.components["out_of_territory"] == pytest.approx(weight * outside)


def test_soft_territory_cost_moves_the_choice(solver_name):
    """Two technicians, the nearer one outside the ticket's territory: free, the nearer one
    serves it; at a cost above the extra travel, the one covering it does. An exact model's
    own optimal value (no breaks here) is the evaluator's, the territory cost included."""
    start = fd.generate_scenario(1, 1, seed=0).horizon.start
    shift = [fd.Shift(start + timedelta(hours=8), start + timedelta(hours=17))]
    techs = [fd.Technician("near", fd.Location.planar(0, 0), shift, territories=["south"]),
             fd.Technician("far", fd.Location.planar(20, 0), shift, territories=["north"])]
    ticket = fd.Ticket("T", fd.Location.planar(1, 0), 1800, territory="north")
    chosen = {}
    for weight in (0.0, 1000.0):
        scenario = fd.Scenario(fd.Horizon(start, start + timedelta(days=1)), techs, [ticket],
                               travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
                               objective=fd.ObjectiveWeights(out_of_territory=weight))
        problem = fd.compile_scenario(scenario)
        result = _solve(problem, solver_name)
        assert result.evaluation.is_feasible
        own = result.stats.get("backend_objective")
        if own is not None and result.status is fd.SolveStatus.OPTIMAL:
            assert own == pytest.approx(result.objective, rel=1e-6)
        (r,) = [r for r, route in enumerate(result.plan.routes) if route]
        chosen[weight] = problem.index.technician_ids[problem.index.routes[r][0]]
    assert chosen == {0.0: "near", 1000.0: "far"}
