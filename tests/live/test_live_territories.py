"""Live dispatch with territories and certifications (issue #19): ``recommend`` prices soft
territories as the evaluator does and leaves out technicians outside a hard territory or
with a lapsed certification, naming why; ``insert`` agrees."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from fsdispatch.problem.extend import append_ticket

pytestmark = pytest.mark.property

_AREAS = ("north", "south")


def _desk(seed: int, techs: int, tickets: int, weight: float | None) -> Dispatcher:
    base = fd.generate_scenario(techs, tickets, seed=seed)
    staff = tuple(attrs.evolve(t, territories=(_AREAS[k % 2],) if k % 3 else ())
                  for k, t in enumerate(base.technicians))
    jobs = tuple(attrs.evolve(t, territory=_AREAS[k % 2] if k % 4 else None)
                 for k, t in enumerate(base.tickets))
    scenario = attrs.evolve(base, technicians=staff, tickets=jobs, objective=attrs.evolve(
        base.objective, out_of_territory=weight, preference=50.0))
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    return d


def _change(d: Dispatcher, ticket: fd.Ticket, tech: str, shift: int, position: int) -> float:
    grown = append_ticket(d.problem, ticket)
    j = grown.num_tickets - 1
    routes = [list(r) for r in d.plan.routes]
    routes[grown.index.route_idx(tech, shift)].insert(position, j)
    before = fd.evaluate(grown, fd.Plan(d.plan.routes, {**d.plan.unassigned, j: "open"}))
    after = fd.evaluate(grown, fd.Plan(routes, d.plan.unassigned))
    assert after.is_feasible
    return after.objective - before.objective + float(grown.data.cost.penalty[j])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), techs=st.integers(2, 6), tickets=st.integers(4, 20),
       weight=st.sampled_from([0.0, 35.0, 400.0]), area=st.sampled_from(_AREAS),
       k=st.integers(0, 3))
def test_soft_territory_options_cost_the_evaluators_change(seed, techs, tickets, weight, area,
                                                           k):
    d = _desk(seed, techs, tickets, weight)
    base = d.scenario.tickets[k % len(d.scenario.tickets)]
    ticket = attrs.evolve(base, id="NEW", windows=(), excluded_technicians=(), territory=area)
    rec = d.recommend(ticket, k=techs)
    staff = {t.id: t for t in d.scenario.technicians}
    for option in rec.options:
        terms = attrs.asdict(option.cost)
        total = terms.pop("total")
        assert total == pytest.approx(sum(terms.values()), rel=1e-9, abs=1e-6)
        assert total == pytest.approx(_change(d, ticket, option.technician_id, option.shift,
                                              option.position), rel=1e-6, abs=1e-6)
        tech = staff[option.technician_id]
        outside = bool(tech.territories) and area not in tech.territories
        assert option.cost.out_of_territory == (weight if outside else 0.0)
    assert all(e.code != "no_territory" for e in rec.excluded)


def test_hard_territories_and_lapsed_certifications_are_named_exclusions():
    d = _desk(4, 4, 10, None)
    staff = d.scenario.technicians
    ticket = attrs.evolve(d.scenario.tickets[0], id="NEW", windows=(), required_skills={},
                          excluded_technicians=(), territory="north", parts={})
    rec = d.recommend(ticket, k=len(staff))
    codes = {e.technician_id: e.code for e in rec.excluded}
    for tech in staff:
        if tech.territories and "north" not in tech.territories:
            assert codes.get(tech.id) == "no_territory"
            assert tech.id not in {o.technician_id for o in rec.options}
    # a skill whose certification lapsed yesterday: that technician is out, with the code
    holder = next(t for t in staff if t.skills)
    skill = next(iter(holder.skills))
    start = holder.shifts[0].start
    lapsed = tuple(attrs.evolve(t, certifications={skill: start - timedelta(days=1)})
                   if t.id == holder.id else t for t in staff)
    scenario = attrs.evolve(d.scenario, technicians=lapsed)
    desk = Dispatcher(scenario, now=start - timedelta(minutes=30))
    desk.plan_day(solver="greedy")
    job = attrs.evolve(ticket, territory=None, required_skills={skill: 1})
    rec = desk.recommend(job, k=len(staff))
    assert {e.technician_id: e.code for e in rec.excluded}.get(holder.id) == \
        "certification_expired"
    res = desk.insert(job, technician_id=holder.id)
    assert not res.placed or res.technician_id != holder.id
    assert fd.check_plan(desk.problem, desk.plan).is_feasible
