"""Live pricing under traffic: every ``recommend`` option costs the evaluator's objective
change of that insertion with every leg timed by its departure, and ``insert`` places it.

Random small generated days under a random :class:`~fsdispatch.SpeedProfile`, with the
clock at the start of the day or a few hours in, with and without depots (a ticket needing
more of a part than any van holds: options start the route with a depot stop).
"""

from __future__ import annotations

from datetime import time, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from pricing_check import assert_options_cost_evaluator_change

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


@st.composite
def profiles(draw: st.DrawFn) -> fd.SpeedProfile:
    """A speed profile with 1-4 changes between 05:00 and 19:00 (factors 0.3-1.6)."""
    minutes = draw(st.lists(st.integers(5 * 60, 19 * 60), min_size=1, max_size=4,
                            unique=True))
    factors = draw(st.lists(st.sampled_from([0.3, 0.5, 0.8, 1.0, 1.25, 1.6]),
                            min_size=len(minutes) + 1, max_size=len(minutes) + 1))
    points = [(time(0, 0), factors[0])]
    points += [(time(m // 60, m % 60), f) for m, f in zip(sorted(minutes), factors[1:],
                                                           strict=True)]
    return fd.SpeedProfile(points)


def _scenario(seed: int, techs: int, tickets: int, profile: fd.SpeedProfile,
              depots: bool, balance: float = 0.0) -> fd.Scenario:
    scenario = fd.generate_scenario(techs, tickets, seed=seed)
    scenario = attrs.evolve(scenario, travel=fd.TimeDependentTravel(scenario.travel, profile),
                            objective=attrs.evolve(scenario.objective, distance=0.7,
                                                   overtime=2.0, labour=1.0,
                                                   load_balance=balance))
    if not depots:
        return scenario
    skus = sorted({s for t in scenario.technicians for s in t.van_stock}) or ["p"]
    start = scenario.technicians[0].shifts[0].start
    return attrs.evolve(scenario, depots=[
        fd.Depot(f"D{n}", scenario.tickets[n % len(scenario.tickets)].location,
                 stock={s: 50 for s in skus}, pickup_time=10 * fd.MINUTE,
                 opening_hours=[fd.TimeWindow(start - timedelta(hours=1),
                                              start + timedelta(hours=10))])
        for n in range(2)])


def _desk(scenario: fd.Scenario, hours: float) -> Dispatcher:
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    if hours > 0:
        d.advance(start + timedelta(hours=hours))
    return d


def _new_ticket(scenario: fd.Scenario, k: int, depots: bool) -> fd.Ticket:
    base = scenario.tickets[k % len(scenario.tickets)]
    ticket = attrs.evolve(base, id="NEW", windows=(), excluded_technicians=())
    if depots:
        skus = sorted({s for t in scenario.technicians for s in t.van_stock}) or ["p"]
        most = max((t.van_stock.get(skus[0], 0) for t in scenario.technicians), default=0)
        ticket = attrs.evolve(ticket, required_skills={}, parts={skus[0]: most + 1})
    return ticket


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), techs=st.integers(2, 5), tickets=st.integers(4, 20),
       profile=profiles(), hours=st.sampled_from([0.0, 2.5]), depots=st.booleans(),
       balance=st.sampled_from([0.0, 1.0]), k=st.integers(0, 3))
def test_every_option_under_traffic_costs_the_evaluators_change(seed, techs, tickets, profile,
                                                                hours, depots, balance, k):
    """Each option's total equals the evaluator's change (1e-6 relative), its terms sum to
    it, and ``insert`` with that technician places the ticket at that cost."""
    scenario = _scenario(seed, techs, tickets, profile, depots, balance)
    d = _desk(scenario, hours)
    ticket = _new_ticket(scenario, k, depots)
    rec = d.recommend(ticket, k=techs)
    assert_options_cost_evaluator_change(d, ticket, rec)
    for option in rec.options[:3]:  # what recommend offers, insert places at that cost
        desk = _desk(scenario, hours)
        res = desk.insert(ticket, technician_id=option.technician_id, max_moved=10_000,
                          max_shift=timedelta(days=1))
        assert res.placed and res.technician_id == option.technician_id
        if res.method in ("insertion", "depot_stop"):
            assert res.cost == pytest.approx(option.cost.total, rel=1e-6, abs=1e-6)
        assert fd.check_plan(desk.problem, desk.plan).is_feasible
