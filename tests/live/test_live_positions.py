"""Live positions: ``Dispatcher.update_position`` moves an idle technician's next leg."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_live_incremental import assert_same_live_state, reference

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.errors import UnknownReferenceError, ValidationError
from fsdispatch.live import Dispatcher, Position, TicketState
from pricing_check import assert_options_cost_evaluator_change, assert_same_recommendation

pytestmark = pytest.mark.property

S = TicketState


def _one(travel: fd.TravelModel | None = None, ids: bool = False) -> fd.Scenario:
    """One technician at home (0, 0), 08:00-17:00; one ticket 1 km east, open all day."""
    home = fd.Location.planar(0, 0, id="home" if ids else None)
    site = fd.Location.planar(1, 0, id="site" if ids else None)
    tech = fd.Technician("A", home, [fd.Shift(at(8), at(17))])
    tickets = [fd.Ticket("T1", site, 30 * fd.MINUTE)]
    return fd.Scenario(
        fd.Horizon(DAY0, DAY0 + timedelta(days=1)),
        [tech],
        tickets,
        travel=travel or fd.GeometricTravel(speed_kmh=40.0, detour=1.3),
    )


def test_an_idle_technicians_eta_after_a_30_km_move_grows_by_the_drive():
    scenario = _one()
    d = Dispatcher(scenario, now=at(9))
    d.plan_day(solver="greedy")
    before = d.eta("T1")
    assert before is not None
    travel = scenario.travel
    home, site = fd.Location.planar(0, 0), scenario.tickets[0].location
    assert before.start == at(9) + timedelta(seconds=travel.travel_seconds(home, site))
    away = fd.Location.planar(0, 30)  # 30 km north
    pos = d.update_position("A", away)
    assert pos == Position("A", away, at(9), timedelta(0), stale=False, in_use=True)
    after = d.eta("T1")
    assert after is not None
    grown = travel.travel_seconds(away, site) - travel.travel_seconds(home, site)
    assert grown > 2000  # ~30 km at 40 km/h x 1.3
    assert after.start - before.start == timedelta(seconds=grown)
    fd.check_plan(d.problem, d.plan)
    # recommend and insert price travel from the ping too
    new = fd.Ticket("N1", fd.Location.planar(0, 31), 10 * fd.MINUTE)
    opt = d.recommend(new, k=1).options[0]
    assert opt.technician_id == "A"
    res = d.insert(new)
    assert res.placed and d.route("A")[0] == "N1"  # 1 km from the ping: first
    assert d.eta("N1").start == at(9) + timedelta(seconds=travel.travel_seconds(away, new.location))
    fd.check_plan(d.problem, d.plan)


def test_a_stale_position_falls_back_to_the_plan():
    scenario = _one()
    d = Dispatcher(scenario, now=at(9), position_max_age=timedelta(minutes=10))
    d.plan_day(solver="greedy")
    d.update_position("A", fd.Location.planar(0, 30))
    moved = d.eta("T1").start
    d.advance(at(9) + timedelta(minutes=10))  # the ping is 10 min old: stale
    assert d.positions()["A"].stale and not d.positions()["A"].in_use
    drive = scenario.travel.travel_seconds(fd.Location.planar(0, 0), scenario.tickets[0].location)
    assert d.eta("T1").start == d.now + timedelta(seconds=drive) < moved
    # a ping already stale when it arrives changes nothing
    d.update_position("A", fd.Location.planar(0, 50), at=d.now - timedelta(minutes=11))
    assert d.eta("T1").start == d.now + timedelta(seconds=drive)


def test_older_pings_are_ignored_and_positions_is_read_only():
    d = Dispatcher(_one(), now=at(9))
    d.plan_day(solver="greedy")
    d.update_position("A", fd.Location.planar(0, 5))
    d.update_position("A", fd.Location.planar(0, 9), at=at(8.5))  # older: ignored
    pos = d.positions()
    assert pos["A"].location == fd.Location.planar(0, 5)
    with pytest.raises(TypeError):
        pos["A"] = pos["A"]  # type: ignore[index]


def test_on_site_the_route_start_stays_the_site():
    scenario = _one()
    d = Dispatcher(scenario, now=at(9))
    d.plan_day(solver="greedy")
    d.insert(fd.Ticket("T2", fd.Location.planar(2, 0), 10 * fd.MINUTE))
    d.arrive("T1")
    eta = d.eta("T2")
    d.update_position("A", fd.Location.planar(0, 30))
    assert d.eta("T2") == eta
    assert d.positions()["A"].location == fd.Location.planar(0, 30)
    assert not d.positions()["A"].in_use
    d.now = at(9.5)
    d.complete("T1")  # a later event than the ping: from the site
    assert d.eta("T2").start == at(9.5) + timedelta(
        seconds=scenario.travel.travel_seconds(
            scenario.tickets[0].location, fd.Location.planar(2, 0)
        )
    )


def test_en_route_a_ping_far_from_the_site_delays_the_arrival():
    scenario = _one()
    d = Dispatcher(scenario, now=at(9))
    d.plan_day(solver="greedy")
    d.insert(fd.Ticket("T2", fd.Location.planar(2, 0), 10 * fd.MINUTE))
    eta = d.start_travel("T1")
    later = d.eta("T2").start
    # close to the site (on the way): the arrival planned stays
    d.update_position("A", fd.Location.planar(0.5, 0))
    assert d.eta("T2").start == later
    # stuck 20 km away 5 minutes later: arrives at ping + drive, the rest follows
    d.now = at(9) + timedelta(minutes=5)
    stuck = fd.Location.planar(0, 20)
    d.update_position("A", stuck)
    arrive = d.now + timedelta(
        seconds=scenario.travel.travel_seconds(stuck, scenario.tickets[0].location)
    )
    assert arrive > eta.start
    assert d.live_state.jobs["T1"].expected_end == arrive + timedelta(minutes=30)
    assert d.eta("T2").start == later + (arrive - eta.start)
    fd.check_plan(d.problem, d.plan)


def test_bad_pings_raise_typed_errors():
    d = Dispatcher(_one(), now=at(9))
    with pytest.raises(fd.errors.UnknownReferenceError):
        d.update_position("nobody", fd.Location.planar(0, 0))
    with pytest.raises(ValidationError, match="location"):
        d.update_position("A", (0, 0))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="coordinate system"):
        d.update_position("A", fd.Location.geo(48.1, 11.5))
    with pytest.raises(ValidationError, match="clock"):
        d.update_position("A", fd.Location.planar(0, 0), at=at(10))
    with pytest.raises(ValidationError, match="position_max_age"):
        Dispatcher(_one(), position_max_age=timedelta(0))


def test_a_matrix_scenario_takes_pings_at_its_locations_only():
    matrix = fd.MatrixTravel(
        ["home", "site", "far"], [[0, 300, 1800], [300, 0, 2000], [1800, 2000, 0]]
    )
    scenario = _one(matrix, ids=True)
    d = Dispatcher(scenario, now=at(9))
    d.plan_day(solver="greedy")
    assert d.eta("T1").start == at(9) + timedelta(seconds=300)
    with pytest.raises(UnknownReferenceError, match="snap"):
        d.update_position("A", fd.Location.planar(7, 7, id="nowhere"))
    d.update_position("A", fd.Location.planar(0, 30, id="far"))
    assert d.eta("T1").start == at(9) + timedelta(seconds=2000)
    fd.check_plan(d.problem, d.plan)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 500),
    st.lists(
        st.tuples(
            st.integers(0, 10_000), st.floats(-20, 20), st.floats(-20, 20), st.integers(0, 40)
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_pings_keep_the_incremental_state_equal_to_a_full_rebuild(seed, pings):
    """Pings, clock moves and events in any order: the incremental live problem equals a
    full rebuild, the plan passes the shared evaluator and no ticket is lost."""
    scenario = fd.generate_scenario(4, 20, seed=seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(
        scenario, now=start + timedelta(minutes=30), position_max_age=timedelta(minutes=20)
    )
    d.plan_day(solver="greedy")
    ref = reference(d)
    base = scenario.technicians[0].start_location
    techs = [t.id for t in scenario.technicians]
    for x, dx, dy, minutes in pings:
        tech = techs[x % len(techs)]
        where = attrs.evolve(
            base, x=min(max(base.x + dx / 100, -180), 180), y=min(max(base.y + dy / 100, -90), 90)
        )
        for disp in (d, ref):
            disp.now = disp.now + timedelta(minutes=minutes)
            disp.update_position(tech, where)
            route = disp.route(tech)
            if x % 3 == 0 and route and tech not in disp.live_state.current:
                disp.start_travel(route[0])
            elif x % 3 == 1 and tech in disp.live_state.current:
                job = disp.live_state.current[tech]
                if disp.state(job) is S.EN_ROUTE:
                    disp.arrive(job)
                disp.complete(job)
        assert_same_live_state(d, ref)
        fd.check_plan(d.problem, d.plan)
        states = [d.state(t) for t in d.lifecycle.tickets()]
        assert len(states) == scenario.num_tickets


def test_a_job_cancelled_on_the_way_leaves_the_technician_at_the_last_ping():
    scenario = _one()
    d = Dispatcher(scenario, now=at(9))
    d.plan_day(solver="greedy")
    d.insert(fd.Ticket("T2", fd.Location.planar(2, 0), 10 * fd.MINUTE))
    d.update_position("A", fd.Location.planar(0, 40))  # before leaving: superseded
    d.start_travel("T1")
    d.now = at(9) + timedelta(minutes=2)
    on_the_way = fd.Location.planar(0, 10)
    d.update_position("A", on_the_way)
    d.cancel("T1")
    drive = scenario.travel.travel_seconds(on_the_way, fd.Location.planar(2, 0))
    assert d.eta("T2").start == d.now + timedelta(seconds=drive)
    assert d.positions()["A"].in_use
    fd.check_plan(d.problem, d.plan)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 500),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.floats(-20, 20), st.floats(-20, 20),
                  st.integers(0, 3)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 19),
)
def test_recommend_after_pings_equals_a_rebuilt_dispatcher(seed, pings, k):
    """After random pings (each read right away, as a desk would), ``recommend`` offers what a
    dispatcher rebuilding the live problem from scratch with the same positions offers, and
    each option costs the shared evaluator's objective change of that insertion."""
    scenario = fd.generate_scenario(4, 20, seed=seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start + timedelta(minutes=30))
    d.plan_day(solver="greedy")
    ref = reference(d)
    base = scenario.technicians[0].start_location
    techs = [t.id for t in scenario.technicians]
    ticket = attrs.evolve(scenario.tickets[k], id="NEW", windows=(), excluded_technicians=())
    for x, dx, dy, minutes in pings:
        where = attrs.evolve(
            base, x=min(max(base.x + dx / 100, -180), 180), y=min(max(base.y + dy / 100, -90), 90)
        )
        for disp in (d, ref):
            disp.now = disp.now + timedelta(minutes=minutes)
            disp.update_position(techs[x % len(techs)], where)
        got, want = d.recommend(ticket, k=4), ref.recommend(ticket, k=4)
        assert_same_recommendation(got, want)
        assert_options_cost_evaluator_change(d, ticket, got)
