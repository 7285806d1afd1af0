"""Live pricing is the evaluator: every option's cost is the evaluator's objective change.

With every objective term on (load balance, labour, overtime, preference,
distance) and parts in the vans, each of ``recommend``'s options costs exactly
what inserting the ticket there changes in the shared evaluator's objective,
its terms sum to its total, and ``insert`` places the ticket with that
technician at that cost.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from pricing_check import assert_options_cost_evaluator_change

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _desk(seed: int, techs: int, tickets: int, weights: dict[str, float],
          hours: float) -> Dispatcher:
    """A generated day with ``weights`` on, planned by greedy, the clock ``hours`` after
    the first shift start."""
    scenario = fd.generate_scenario(techs, tickets, seed=seed)
    scenario = attrs.evolve(scenario, objective=attrs.evolve(scenario.objective, **weights))
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    if hours > 0:
        d.advance(start + timedelta(hours=hours))
    return d


_WEIGHTS = st.fixed_dictionaries({
    "load_balance": st.sampled_from([0.0, 0.2, 1.0, 5.0]),
    "labour": st.sampled_from([0.0, 1.0]),
    "overtime": st.sampled_from([0.0, 2.0]),
    "preference": st.sampled_from([0.0, 150.0]),
    "distance": st.sampled_from([0.0, 0.7]),
})


@settings(max_examples=12)
@given(seed=st.integers(0, 10_000), techs=st.integers(2, 6), tickets=st.integers(4, 30),
       weights=_WEIGHTS, hours=st.sampled_from([0.0, 2.5]), k=st.integers(0, 3))
def test_every_option_costs_the_evaluators_objective_change(seed, techs, tickets, weights,
                                                             hours, k):
    """Each option's total equals the evaluator's change (1e-6 relative), its terms sum to it,
    and inserting it with that technician places the ticket there at that cost."""
    d = _desk(seed, techs, tickets, weights, hours)
    base = d.scenario.tickets[k % len(d.scenario.tickets)]
    ticket = attrs.evolve(base, id="NEW", windows=(), excluded_technicians=())
    rec = d.recommend(ticket, k=techs)
    assert_options_cost_evaluator_change(d, ticket, rec)
    if weights["load_balance"] == 0.0:
        assert all(option.cost.load_balance == 0.0 for option in rec.options)
    for option in rec.options:  # what recommend offers, insert places (disruption unbounded)
        desk = _desk(seed, techs, tickets, weights, hours)
        res = desk.insert(ticket, technician_id=option.technician_id, max_moved=10_000,
                          max_shift=timedelta(days=1))
        assert res.placed and res.technician_id == option.technician_id
        if res.method == "insertion":
            assert res.cost == pytest.approx(option.cost.total, rel=1e-6, abs=1e-6)
        assert fd.check_plan(desk.problem, desk.plan).is_feasible


def test_the_least_loaded_technician_is_priced_cheaper_with_load_balance():
    """Two equal technicians, one with three jobs: with load balance the idle one is the
    first option and its balance term is negative; without it, the busy one (nearer) wins."""
    from datetime import UTC, datetime

    day = datetime(2026, 3, 2, tzinfo=UTC)

    def at(h: float) -> datetime:
        return day + timedelta(hours=h)

    def desk(balance: float) -> Dispatcher:
        techs = [fd.Technician(t, fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))])
                 for t in ("A", "B")]
        jobs = [fd.Ticket(f"J{k}", fd.Location.planar(5, 0), 45 * fd.MINUTE,
                          preferred_technicians=("A",)) for k in range(3)]
        scenario = fd.Scenario(fd.Horizon(day, day + timedelta(days=1)), techs, jobs,
                               travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
                               objective=fd.ObjectiveWeights(load_balance=balance,
                                                             preference=10_000))
        d = Dispatcher(scenario, now=at(7.5))
        d.plan_day(solver="greedy")
        assert sorted(d.route("A")) == ["J0", "J1", "J2"]
        return d

    new = fd.Ticket("NEW", fd.Location.planar(5, 1), 30 * fd.MINUTE)
    off = desk(0.0).recommend(new, k=2)
    assert off.options[0].technician_id == "A"
    on = desk(5.0).recommend(new, k=2)
    assert on.options[0].technician_id == "B"
    assert on.options[0].cost.load_balance < 0 < on.options[1].cost.load_balance


def test_depot_stop_options_are_offered():
    """The property below is not vacuous: with two depots holding every van part, a ticket
    needing more than any van holds gets options that start with a depot stop."""
    scenario = fd.generate_scenario(3, 15, seed=1)
    skus = sorted({s for t in scenario.technicians for s in t.van_stock})
    start = scenario.technicians[0].shifts[0].start
    depot = fd.Depot("D", scenario.tickets[0].location, stock={s: 50 for s in skus},
                     pickup_time=10 * fd.MINUTE,
                     opening_hours=[fd.TimeWindow(start - timedelta(hours=1),
                                                  start + timedelta(hours=10))])
    d = Dispatcher(attrs.evolve(scenario, depots=[depot]), now=start - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    most = max(t.van_stock.get(skus[0], 0) for t in scenario.technicians)
    ticket = attrs.evolve(scenario.tickets[0], id="NEW", windows=(), required_skills={},
                          excluded_technicians=(), parts={skus[0]: most + 1})
    rec = d.recommend(ticket, k=3)
    stops = [o for o in rec.options if o.depot_id == "D"]
    assert stops and all(o.cost.depot_stop > 0 for o in stops)
    assert all("depot D" in o.reason for o in stops)


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), techs=st.integers(2, 5), tickets=st.integers(4, 25),
       weights=_WEIGHTS, k=st.integers(0, 3))
def test_options_with_a_depot_stop_cost_the_evaluators_change(seed, techs, tickets, weights, k):
    """On days with depots, a ticket that needs more of a part than any van holds gets options
    that start the route with a depot stop: each costs the evaluator's objective change of
    the plan with the stop and the ticket, its terms (``depot_stop`` included) sum to it, and
    ``insert`` with that technician places it the same way at the same cost."""
    scenario = fd.generate_scenario(techs, tickets, seed=seed)
    skus = sorted({s for t in scenario.technicians for s in t.van_stock}) or ["p"]
    start = scenario.technicians[0].shifts[0].start
    depots = [fd.Depot(f"D{n}", scenario.tickets[n % len(scenario.tickets)].location,
                       stock={s: 50 for s in skus}, pickup_time=10 * fd.MINUTE,
                       opening_hours=[fd.TimeWindow(start - timedelta(hours=1),
                                                    start + timedelta(hours=10))])
              for n in range(2)]
    scenario = attrs.evolve(scenario, depots=depots,
                            objective=attrs.evolve(scenario.objective, **weights))
    d = Dispatcher(scenario, now=start - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    most = max((t.van_stock.get(skus[0], 0) for t in scenario.technicians), default=0)
    base = scenario.tickets[k % len(scenario.tickets)]
    ticket = attrs.evolve(base, id="NEW", windows=(), excluded_technicians=(),
                          required_skills={}, parts={skus[0]: most + 1})
    rec = d.recommend(ticket, k=techs)
    assert_options_cost_evaluator_change(d, ticket, rec)
    for option in [o for o in rec.options if o.depot_id is not None][:2]:
        desk = Dispatcher(scenario, now=start - timedelta(minutes=30))
        desk.plan_day(solver="greedy")
        res = desk.insert(ticket, technician_id=option.technician_id, max_moved=10_000,
                          max_shift=timedelta(days=1))
        assert res.placed and res.method == "depot_stop"
        assert res.cost == pytest.approx(option.cost.total, rel=1e-6, abs=1e-6)
        assert fd.check_plan(desk.problem, desk.plan).is_feasible
