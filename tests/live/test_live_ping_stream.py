"""A stream of position pings settles through ``live._ping`` (no general refresh) and leaves
the dispatcher exactly where a dispatcher rebuilding the live problem from scratch is."""

from __future__ import annotations

from datetime import time, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_live_incremental import _log, assert_same_live_state, reference

import fsdispatch as fd
from fsdispatch.live import Dispatcher, TicketState, _fast, _ping
from pricing_check import assert_options_cost_evaluator_change, assert_same_recommendation

pytestmark = pytest.mark.property

S = TicketState
RUSH = fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.5), (time(10, 0), 1.0)])


def _day(seed: int, traffic: bool) -> tuple[fd.Scenario, Dispatcher]:
    scenario = fd.generate_scenario(4, 20, seed=seed)
    if traffic:
        scenario = attrs.evolve(scenario, travel=fd.TimeDependentTravel(scenario.travel, RUSH))
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start + timedelta(minutes=30),
                   position_max_age=timedelta(minutes=20))
    d.plan_day(solver="greedy")
    return scenario, d


def _near(base: fd.Location, dx: float, dy: float) -> fd.Location:
    return attrs.evolve(base, x=min(max(base.x + dx / 100, -180), 180),
                        y=min(max(base.y + dy / 100, -90), 90))


def _event(disp: Dispatcher, kind: int, tech: str, x: int, minutes: int,
           where: fd.Location, ticket: fd.Ticket) -> None:
    """One step of a desk's day on ``disp``: pings (fresh, stale, older than the last one),
    a technician leaving or finishing, the clock moving, an insertion."""
    if kind <= 2:  # a ping: fresh, or reported ``x % 30`` minutes ago (stale past 20)
        at = disp.now - timedelta(minutes=(x % 30) if kind == 1 else 0)
        disp.update_position(tech, where, at)
    elif kind == 3:  # the technician leaves for the next job, or finishes the current one
        route = disp.route(tech)
        if tech not in disp.live_state.current and route:
            disp.start_travel(route[0])
        elif tech in disp.live_state.current:
            job = disp.live_state.current[tech]
            if disp.state(job) is S.EN_ROUTE:
                disp.arrive(job)
            disp.complete(job)
    elif kind == 4:
        disp.advance(disp.now + timedelta(minutes=minutes))
    elif ticket.id not in disp.live_state.tickets:
        disp.insert(ticket)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 500),
    st.booleans(),
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 10_000), st.floats(-20, 20),
                  st.floats(-20, 20), st.integers(0, 30), st.booleans()),
        min_size=1,
        max_size=10,
    ),
)
def test_ping_streams_between_events_equal_a_full_rebuild(seed, traffic, steps):
    """Pings on idle and busy technicians, stale and out-of-order pings, bursts read once,
    then technician events, clock moves and insertions, with and without a speed profile:
    after every read the live problem, plan, reasons, ETAs and lifecycle log equal those of
    a dispatcher that recompiles on every event, and the plan passes the evaluator."""
    scenario, d = _day(seed, traffic)
    ref = reference(d)
    techs = [t.id for t in scenario.technicians]
    base = scenario.technicians[0].start_location
    for n, (kind, x, dx, dy, minutes, read) in enumerate(steps):
        ticket = attrs.evolve(scenario.tickets[x % scenario.num_tickets], id=f"NEW{n}",
                              windows=(), excluded_technicians=())
        for disp in (d, ref):
            disp.now = disp.now + timedelta(seconds=30 * (x % 7))
            _event(disp, kind, techs[x % len(techs)], x, minutes, _near(base, dx, dy), ticket)
        if read or n == len(steps) - 1:
            assert_same_live_state(d, ref)
            assert _log(d) == _log(ref)
            assert fd.check_plan(d.problem, d.plan).is_feasible


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 500), st.booleans(),
       st.lists(st.tuples(st.integers(0, 10_000), st.floats(-20, 20), st.floats(-20, 20)),
                min_size=1, max_size=5),
       st.integers(0, 19))
def test_recommend_right_after_pings_prices_as_the_evaluator(seed, traffic, pings, k):
    """``recommend`` right after a burst of pings (settled by ``live._ping``) offers what a
    rebuilt dispatcher offers, and every option's cost is the evaluator's objective change
    of inserting it."""
    scenario, d = _day(seed, traffic)
    ref = reference(d)
    techs = [t.id for t in scenario.technicians]
    base = scenario.technicians[0].start_location
    ticket = attrs.evolve(scenario.tickets[k], id="NEW", windows=(), excluded_technicians=())
    for x, dx, dy in pings:
        for disp in (d, ref):
            disp.update_position(techs[x % len(techs)], _near(base, dx, dy))
    got, want = d.recommend(ticket, k=4), ref.recommend(ticket, k=4)
    assert_same_recommendation(got, want)
    assert_same_live_state(d, ref)
    assert_options_cost_evaluator_change(d, ticket, got)


def test_a_ping_on_an_idle_technician_skips_the_general_refresh(monkeypatch):
    """The read after pings on idle technicians settles them without the general refresh
    (``_fast.refresh``), and the technician's route starts at the ping."""
    scenario, d = _day(7, False)
    idle = [t.id for t in scenario.technicians if t.id not in d.live_state.current]
    base = scenario.technicians[0].start_location
    assert d.problem.num_tickets  # (settled)

    def no_refresh(*_args: object) -> None:
        raise AssertionError("the general refresh ran")

    monkeypatch.setattr(_fast, "refresh", no_refresh)
    settled: list[bool] = []
    real = _ping.settle
    monkeypatch.setattr(_ping, "settle", lambda *a: settled.append(real(*a)) or settled[-1])
    d.update_position(idle[0], _near(base, 3, -2))
    d.update_position(idle[-1], _near(base, -4, 1))
    assert d.problem.num_tickets
    assert settled == [True]  # (one read: one settle for the burst)
    assert d.positions()[idle[0]].in_use
    monkeypatch.undo()
    ref = reference(d)
    ref._live.rebuild(None)
    assert_same_live_state(d, ref)
