"""Time-dependent travel: SpeedProfile, TimeDependentTravel, TimeDependentMatrix (the model,
its FIFO rule and the compiled kernel's agreement with it)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.domain.traffic import arrival_seconds, unroll
from fsdispatch.errors import ValidationError
from fsdispatch.kernels.timing import leg_time, travel_time

RUSH = fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.5), (time(10, 0), 1.0),
                        (time(16, 0), 0.6), (time(19, 0), 1.0)])
# 10 km at 36 km/h, no detour: 1000 s at factor 1
BASE = fd.GeometricTravel(speed_kmh=36.0, detour=1.0)
A, B = fd.Location.planar(0, 0), fd.Location.planar(10, 0)


def test_a_rush_hour_trip_takes_longer_than_the_same_trip_at_11():
    td = fd.TimeDependentTravel(BASE, RUSH)
    assert td.travel_seconds(A, B, at(11)) == 1000  # factor 1
    assert td.travel_seconds(A, B, at(8)) == 2000  # the whole trip at factor 0.5
    # leaving 06:50: 600 s at factor 1 (600 base s), the other 400 base s at 0.5 (800 s)
    assert td.travel_seconds(A, B, at(6 + 50 / 60)) == 1400
    # leaving 09:30: 1 800 s at 0.5 (900 base s), the last 100 base s at 1
    assert td.travel_seconds(A, B, at(9.5)) == 1900
    # evening rush: factor 0.6 -> 1000 / 0.6 = 1666.67 s
    assert td.travel_seconds(A, B, at(17)) == 1667
    assert td.travel_seconds(A, B) == 1000  # no departure: the static time
    assert td.travel_seconds(A, A, at(8)) == 0


def test_weekday_profiles_apply_on_their_day():
    profile = fd.SpeedProfile([(time(0, 0), 1.0)], weekdays={"monday": [(time(0, 0), 0.5)]})
    td = fd.TimeDependentTravel(BASE, profile)
    assert DAY0.weekday() == 0
    assert td.travel_seconds(A, B, at(11)) == 2000
    assert td.travel_seconds(A, B, at(11, day=1)) == 1000
    # a Monday trip that ends on Tuesday: 23:50 Monday, 600 s at 0.5 (300 base s), then 700
    assert td.travel_seconds(A, B, at(23 + 50 / 60)) == 1300


def test_a_time_dependent_matrix_follows_its_periods():
    ids = ["a", "b"]
    night = fd.MatrixTravel(ids, [[0, 600], [600, 0]], [[0, 10], [10, 0]])
    rush = fd.MatrixTravel(ids, [[0, 1800], [1200, 0]])
    tdm = fd.TimeDependentMatrix([(time(0, 0), night), (time(7, 0), rush), (time(10, 0), night)])
    a, b = fd.Location.planar(0, 0, id="a"), fd.Location.planar(1, 0, id="b")
    assert tdm.travel_seconds(a, b, at(5)) == 600
    assert tdm.travel_seconds(a, b, at(8)) == 1800
    assert tdm.travel_seconds(b, a, at(8)) == 1200
    # 06:55 -> 300 s done half the trip at 600 s; the other half at 1 800 s: 900 s more
    assert tdm.travel_seconds(a, b, at(6 + 55 / 60)) == 1200
    assert tdm.location_ids == ("a", "b")
    assert tdm.distances is not None and tdm.distances[0, 1] == 10


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"breakpoints": []}, "breakpoints"),
    ({"breakpoints": [(time(0, 0), 0.0)]}, "breakpoints[0].factor"),
    ({"breakpoints": [(time(0, 0), -1.0)]}, "breakpoints[0].factor"),
    ({"breakpoints": [(time(0, 0), float("nan"))]}, "breakpoints[0].factor"),
    ({"breakpoints": [(time(0, 0), "fast")]}, "breakpoints[0].factor"),
    ({"breakpoints": [(time(7, 0), 1.0), (time(6, 0), 0.5)]}, "breakpoints[1].time"),
    ({"breakpoints": [(time(7, 0), 1.0), (time(7, 0), 0.5)]}, "breakpoints[1].time"),
    ({"breakpoints": [("7 am", 1.0)]}, "breakpoints[0].time"),
    ({"breakpoints": [(time(0, 0), 1.0)], "weekdays": {9: [(time(0, 0), 1.0)]}}, "weekdays"),
])
def test_a_bad_profile_names_field_and_value(kwargs, field):
    with pytest.raises(ValidationError) as err:
        fd.SpeedProfile(**kwargs)
    assert err.value.field == field


def test_bad_time_dependent_models_are_refused():
    with pytest.raises(ValidationError) as err:
        fd.TimeDependentTravel("fast", RUSH)
    assert err.value.field == "base"
    m1 = fd.MatrixTravel(["a", "b"], [[0, 1], [1, 0]])
    m2 = fd.MatrixTravel(["b", "a"], [[0, 1], [1, 0]])
    with pytest.raises(ValidationError) as err:
        fd.TimeDependentMatrix([(time(0, 0), m1), (time(6, 0), m2)])
    assert err.value.field == "periods[1].matrix.location_ids"
    with pytest.raises(ValidationError) as err:
        fd.TimeDependentMatrix([(time(6, 0), m1), (time(5, 0), m1)])
    assert err.value.field == "periods[1].time"


profiles = st.lists(
    st.tuples(st.integers(0, 24 * 60 - 1), st.floats(0.05, 4.0, allow_nan=False)),
    min_size=1, max_size=6, unique_by=lambda p: p[0],
).map(lambda ps: fd.SpeedProfile(sorted((time(m // 60, m % 60), f) for m, f in ps)))


@settings(max_examples=150, deadline=None)
@given(profile=profiles, base=st.integers(0, 20_000), depart=st.integers(0, 3 * 86_400),
       later=st.integers(0, 20_000))
def test_leaving_later_never_arrives_earlier(profile, base, depart, later):
    origin = DAY0
    starts, factors = unroll(profile, origin, 0, 5 * 86_400)
    lengths = [base / f for f in factors]
    first = depart + arrival_seconds(starts, lengths, depart)
    second = depart + later + arrival_seconds(starts, lengths, depart + later)
    assert second >= first
    assert arrival_seconds(starts, lengths, depart) >= 0


@settings(max_examples=60, deadline=None)
@given(base=st.integers(0, 50_000), depart=st.integers(-86_400, 3 * 86_400))
def test_a_constant_profile_of_one_is_the_static_time(base, depart):
    starts, factors = unroll(fd.SpeedProfile.constant(1.0), DAY0, 0, 3 * 86_400)
    assert arrival_seconds(starts, [base / f for f in factors], depart) == base
    # also across many breakpoints of the same factor
    many = fd.SpeedProfile([(time(h, 0), 1.0) for h in range(24)])
    starts, factors = unroll(many, DAY0, 0, 3 * 86_400)
    assert arrival_seconds(starts, [base / f for f in factors], depart) == base


def _scenario(travel):
    home = fd.Location.planar(0, 0)
    sites = [fd.Location.planar(x, y) for x, y in ((10, 0), (3, 4), (-6, 8), (12, -5))]
    tech = fd.Technician("A", home, [fd.Shift(at(6), at(20))])
    tickets = [fd.Ticket(f"T{k}", s, 30 * fd.MINUTE) for k, s in enumerate(sites)]
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), [tech], tickets,
                       travel=travel)


@pytest.fixture(scope="module")
def rush_problem():
    travel = fd.TimeDependentTravel(BASE, RUSH)
    return _scenario(travel), fd.compile_scenario(_scenario(travel))


@settings(max_examples=80, deadline=None)
@given(a=st.integers(0, 4), b=st.integers(0, 4), depart=st.integers(0, 86_400 - 1))
def test_the_kernel_times_a_leg_as_the_model_does(rush_problem, a, b, depart):
    scenario, problem = rush_problem
    locs = [scenario.technicians[0].start_location, *(t.location for t in scenario.tickets)]
    node = problem.data.ticket_node
    nodes = [int(problem.data.rt.start_node[0]), *(int(n) for n in node)]
    tv = problem.data.tv
    tt = int(travel_time(tv, nodes[a], nodes[b]))
    secs = int(leg_time(tv, nodes[a], nodes[b], np.int64(tt), np.int64(depart)))
    when = DAY0 + timedelta(seconds=depart)
    assert secs == scenario.travel.travel_seconds(locs[a], locs[b], when)
    # the static kernel time is a lower bound of every departure's
    assert tt <= secs


def test_the_compiled_bound_is_static_over_the_fastest_factor():
    fast = fd.SpeedProfile([(time(0, 0), 2.0), (time(7, 0), 0.5), (time(10, 0), 1.0)])
    scenario = _scenario(fd.TimeDependentTravel(BASE, fast))
    problem = fd.compile_scenario(scenario)
    tv = problem.data.tv
    assert tv.td == 1 and tv.lbf == 0.5
    home, first = int(problem.data.rt.start_node[0]), int(problem.data.ticket_node[0])
    assert travel_time(tv, home, first) == 500  # 1 000 s / 2
    static = fd.compile_scenario(_scenario(BASE)).data.tv
    assert static.td == 0 and static.prof is None  # (a type of its own: the static variant)


def test_the_profile_reads_times_in_the_departures_time_zone():
    td = fd.TimeDependentTravel(BASE, RUSH)
    plus2 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=2)))  # 10:00 local
    assert td.travel_seconds(A, B, plus2) == 1000
    with pytest.raises(ValidationError):
        td.travel_seconds(A, B, datetime(2026, 3, 2, 8, 0))
