"""Documented ranges: every number the domain accepts is bounded, wrong data is rejected.

Issue #15 ("every answer is right or a clear error"). Each bounded field accepts
the values at both ends of its documented range (``fsdispatch.units``,
``docs/concepts.md`` "Ranges") and rejects values just outside, integers of 2⁶³
and beyond, NaN, infinities, booleans and strings with a
:class:`fsdispatch.ValidationError` whose ``field`` names the field and whose
message shows the value — never an ``OverflowError`` later in
``compile_scenario``, never a silently wrapped service or travel time. The
bounds are chosen so that no int32 service time and no int64 route sum can
overflow; the last tests pin that arithmetic. Then the "reject" and "warn"
cases of the issue: breaks outside their shift, ``resolve_by`` before
``response_by``, duplicate SLA targets and skills, ``skill_factors`` naming an
unknown skill; a break as long as its shift, a ticket created after the horizon,
a travel matrix with a non-zero diagonal.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import numpy as np
import pytest

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch import units
from fsdispatch.domain.objective import DEFAULT_SLA, DEFAULT_UNASSIGNED

P = fd.Location.planar
HORIZON = fd.Horizon(DAY0, DAY0 + timedelta(days=2))
WIDE = fd.TimeWindow(at(0), at(48))  # fits a break of the longest allowed duration
BIG = 2**63
INT32_MAX = 2**31 - 1


# ------------------------------------------------------------------ builders
def _tech(**kwargs: Any) -> fd.Technician:
    kwargs.setdefault("shifts", [fd.Shift(at(8), at(17))])
    return fd.Technician(kwargs.pop("id", "A"), kwargs.pop("start_location", P(0, 0)),
                         **kwargs)


def _ticket(**kwargs: Any) -> fd.Ticket:
    return fd.Ticket(kwargs.pop("id", "T1"), kwargs.pop("location", P(1, 1)),
                     kwargs.pop("duration", 30 * fd.MINUTE), **kwargs)


def _scenario(techs: list[fd.Technician] | None = None,
              tickets: list[fd.Ticket] | None = None, **kwargs: Any) -> fd.Scenario:
    return fd.Scenario(kwargs.pop("horizon", HORIZON), techs if techs is not None else [_tech()],
                       tickets if tickets is not None else [_ticket()], **kwargs)


def _weights(name: str, value: Any) -> fd.ObjectiveWeights:
    if name in ("unassigned", "sla_lateness"):
        base = dict(DEFAULT_UNASSIGNED if name == "unassigned" else DEFAULT_SLA)
        base[fd.Priority.P1] = value
        return fd.ObjectiveWeights(**{name: base})
    return fd.ObjectiveWeights(**{name: value})


def _rejects(build: Callable[[], Any], field: str, value: Any,
             cls: type[fd.ValidationError] = fd.ValidationError) -> fd.ValidationError:
    """``build()`` raises ``cls`` naming ``field`` and showing ``value`` in its message."""
    with pytest.raises(cls) as info:
        build()
    err = info.value
    assert err.field == field, (err.field, str(err))
    shown = repr(value) if not isinstance(value, str) else value
    assert shown in str(err), (shown, str(err))
    return err


# ------------------------------------------------- integer fields: (build, field, lo, hi)
INT_FIELDS: dict[str, tuple[Callable[[Any], Any], str, int, int]] = {
    "Ticket.duration": (lambda v: _ticket(duration=v), "duration", 1,
                        units.MAX_TICKET_DURATION),
    "Ticket.demand": (lambda v: _ticket(demand=v), "demand", 0, units.MAX_QUANTITY),
    "Ticket.required_skills": (lambda v: _ticket(required_skills={"hvac": v}),
                               "required_skills['hvac']", 1, units.MAX_SKILL_LEVEL),
    "Ticket.parts": (lambda v: _ticket(parts={"P1": v}), "parts['P1']", 1,
                     units.MAX_QUANTITY),
    "Break.duration": (lambda v: fd.Break(WIDE, v), "duration", 1, units.MAX_BREAK_DURATION),
    "Technician.skills": (lambda v: _tech(skills={"hvac": v}), "skills['hvac']", 1,
                          units.MAX_SKILL_LEVEL),
    "Technician.max_tickets_per_day": (lambda v: _tech(max_tickets_per_day=v),
                                       "max_tickets_per_day", 0, units.MAX_TICKETS_PER_DAY),
    "Technician.max_overtime": (lambda v: _tech(max_overtime=v), "max_overtime", 0,
                                units.MAX_OVERTIME),
    "Technician.van_stock": (lambda v: _tech(van_stock={"P1": v}), "van_stock['P1']", 0,
                             units.MAX_QUANTITY),
    "Technician.capacity": (lambda v: _tech(capacity=v), "capacity", 0, units.MAX_QUANTITY),
    "Technician.recent_workload": (lambda v: _tech(recent_workload=v), "recent_workload", 0,
                                   units.MAX_RECENT_WORKLOAD),
    "Depot.pickup_time": (lambda v: fd.Depot("D", P(0, 0), pickup_time=v), "pickup_time", 0,
                          units.MAX_PICKUP_TIME),
    "Depot.stock": (lambda v: fd.Depot("D", P(0, 0), stock={"P1": v}), "stock['P1']", 0,
                    units.MAX_QUANTITY),
    "SlaTarget.response": (lambda v: fd.SlaTarget(response=v), "response", 1,
                           units.MAX_SLA_TARGET),
    "SlaTarget.resolution": (lambda v: fd.SlaTarget(resolution=v), "resolution", 1,
                             units.MAX_SLA_TARGET),
}
SECONDS_FIELDS = ["Ticket.duration", "Break.duration", "Technician.max_overtime",
                  "Technician.recent_workload", "Depot.pickup_time", "SlaTarget.response",
                  "SlaTarget.resolution"]


@pytest.mark.parametrize("end", ["lo", "hi"])
@pytest.mark.parametrize("name", list(INT_FIELDS))
def test_integer_field_accepts_both_ends_of_its_range(name, end):
    """The smallest and the largest documented value of every integer field are accepted."""
    build, _, lo, hi = INT_FIELDS[name]
    build(lo if end == "lo" else hi)


@pytest.mark.parametrize("end", ["below", "above"])
@pytest.mark.parametrize("name", list(INT_FIELDS))
def test_integer_field_rejects_one_past_its_range(name, end):
    """One below the minimum or one above the maximum raises ValidationError naming the field
    and the value."""
    build, field, lo, hi = INT_FIELDS[name]
    value = lo - 1 if end == "below" else hi + 1
    _rejects(lambda: build(value), field, value)


@pytest.mark.parametrize("value", [BIG, 2**64, 10**30], ids=["2**63", "2**64", "1e30"])
@pytest.mark.parametrize("name", list(INT_FIELDS))
def test_integer_field_rejects_values_beyond_int64(name, value):
    """Integers of 2⁶³ and more raise ValidationError at construction (not OverflowError)."""
    build, field, _, _ = INT_FIELDS[name]
    _rejects(lambda: build(value), field, value)


@pytest.mark.parametrize("value", [math.nan, math.inf, True, "60", 1.5],
                         ids=["nan", "inf", "bool", "str", "fraction"])
@pytest.mark.parametrize("name", list(INT_FIELDS))
def test_integer_field_rejects_non_integers(name, value):
    """NaN, infinity, booleans, strings and fractions are not integers: ValidationError."""
    build, field, _, _ = INT_FIELDS[name]
    _rejects(lambda: build(value), field, value)


@pytest.mark.parametrize("name", SECONDS_FIELDS)
def test_seconds_field_bounds_timedeltas_too(name):
    """A timedelta one second past the maximum is rejected like the integer, and the message
    states the bound in seconds with a readable unit; the maximum as a timedelta is accepted."""
    build, field, _, hi = INT_FIELDS[name]
    build(timedelta(seconds=hi))
    err = _rejects(lambda: build(timedelta(seconds=hi + 1)), field, hi + 1)
    assert f"must be <= {hi} seconds (" in str(err)


@pytest.mark.parametrize("name", SECONDS_FIELDS)
def test_seconds_field_rejects_a_float_beyond_int64(name):
    """A float number of seconds far beyond int64 (3e19) is rejected, not wrapped."""
    build, field, _, _ = INT_FIELDS[name]
    _rejects(lambda: build(3e19), field, int(3e19))


# ---------------------------------------------------- real fields: (build, field, lo, hi)
FLOAT_FIELDS: dict[str, tuple[Callable[[Any], Any], str, float, float]] = {
    "Technician.service_factor": (lambda v: _tech(service_factor=v), "service_factor",
                                  units.MIN_FACTOR, units.MAX_FACTOR),
    "Technician.skill_factors": (lambda v: _tech(skills={"hvac": 1}, skill_factors={"hvac": v}),
                                 "skill_factors['hvac']", units.MIN_FACTOR, units.MAX_FACTOR),
    "Technician.cost_per_hour": (lambda v: _tech(cost_per_hour=v), "cost_per_hour", 0.0,
                                 units.MAX_WEIGHT),
    "Ticket.lateness_cost": (lambda v: _ticket(lateness_cost=v), "lateness_cost", 0.0,
                             units.MAX_WEIGHT),
    "Part.unit_cost": (lambda v: fd.Part("P1", unit_cost=v), "unit_cost", 0.0, units.MAX_WEIGHT),
    "GeometricTravel.speed_kmh": (lambda v: fd.GeometricTravel(speed_kmh=v), "speed_kmh",
                                  units.MIN_SPEED_KMH, units.MAX_SPEED_KMH),
    "GeometricTravel.detour": (lambda v: fd.GeometricTravel(detour=v), "detour", 1.0,
                               units.MAX_DETOUR),
    "Location.x": (lambda v: P(v, 0.0), "x", -units.MAX_COORDINATE_KM, units.MAX_COORDINATE_KM),
    "Location.y": (lambda v: P(0.0, v), "y", -units.MAX_COORDINATE_KM, units.MAX_COORDINATE_KM),
    "ObjectiveWeights.travel_time": (lambda v: _weights("travel_time", v), "travel_time", 0.0,
                                     units.MAX_WEIGHT),
    "ObjectiveWeights.overtime": (lambda v: _weights("overtime", v), "overtime", 0.0,
                                  units.MAX_WEIGHT),
    "ObjectiveWeights.load_balance": (lambda v: _weights("load_balance", v), "load_balance",
                                      0.0, units.MAX_WEIGHT),
    "ObjectiveWeights.unassigned": (lambda v: _weights("unassigned", v), "unassigned[P1]", 0.0,
                                    units.MAX_WEIGHT),
    "ObjectiveWeights.sla_lateness": (lambda v: _weights("sla_lateness", v),
                                      "sla_lateness[P1]", 0.0, units.MAX_WEIGHT),
}


@pytest.mark.parametrize("end", ["lo", "hi"])
@pytest.mark.parametrize("name", list(FLOAT_FIELDS))
def test_real_field_accepts_both_ends_of_its_range(name, end):
    """The documented minimum and maximum of every real-valued field are accepted."""
    build, _, lo, hi = FLOAT_FIELDS[name]
    build(lo if end == "lo" else hi)


@pytest.mark.parametrize("end", ["below", "above"])
@pytest.mark.parametrize("name", list(FLOAT_FIELDS))
def test_real_field_rejects_the_next_float_outside(name, end):
    """The next float below the minimum or above the maximum raises ValidationError naming the
    field and the value."""
    build, field, lo, hi = FLOAT_FIELDS[name]
    value = math.nextafter(lo, -math.inf) if end == "below" else math.nextafter(hi, math.inf)
    _rejects(lambda: build(value), field, value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "1", BIG],
                         ids=["nan", "inf", "-inf", "bool", "str", "2**63"])
@pytest.mark.parametrize("name", list(FLOAT_FIELDS))
def test_real_field_rejects_non_finite_and_non_numbers(name, value):
    """NaN, ±infinity, booleans, strings and 2⁶³ are rejected with ValidationError."""
    build, field, _, _ = FLOAT_FIELDS[name]
    _rejects(lambda: build(value), field, value)


def test_geographic_coordinates_keep_their_degree_ranges():
    """Geographic locations are bounded by latitude [-90, 90] and longitude [-180, 180] (the
    planar km bound does not apply to degrees)."""
    fd.Location.geo(90.0, 180.0)
    fd.Location.geo(-90.0, -180.0)
    _rejects(lambda: fd.Location.geo(90.5, 0.0), "latitude", 90.5)
    _rejects(lambda: fd.Location.geo(0.0, BIG), "longitude", BIG)


# --------------------------------------------------------------------- matrices
def _matrix(durations: Any, distances: Any = None) -> fd.MatrixTravel:
    return fd.MatrixTravel(["a", "b"], durations, distances)


@pytest.mark.parametrize("value", [0, units.MAX_TRAVEL_TIME], ids=["zero", "max"])
def test_matrix_duration_cells_accept_their_range(value):
    """Explicit travel durations from 0 to MAX_TRAVEL_TIME seconds are accepted as int64."""
    travel = _matrix([[0, value], [1, 0]])
    assert travel.durations[0, 1] == value
    assert travel.durations.dtype == np.int64


@pytest.mark.parametrize("value", [units.MAX_TRAVEL_TIME + 1, 9.2e18, BIG, 2**64, -1, math.nan,
                                   math.inf],
                         ids=["max+1", "9.2e18", "2**63", "2**64", "negative", "nan", "inf"])
def test_matrix_duration_cells_outside_their_range_are_rejected(value):
    """A duration cell above MAX_TRAVEL_TIME (the issue's ≥ 9.2e18 cells wrapped int64),
    negative or not finite raises ValidationError naming the cell."""
    with pytest.raises(fd.ValidationError) as info:
        _matrix([[0, value], [1, 0]])
    assert info.value.field == "durations[0][1]"


@pytest.mark.parametrize("value", [units.MAX_TRAVEL_DISTANCE_KM + 1, 1e300, -0.5, math.nan],
                         ids=["max+1", "1e300", "negative", "nan"])
def test_matrix_distance_cells_outside_their_range_are_rejected(value):
    """A distance cell above MAX_TRAVEL_DISTANCE_KM, negative or NaN raises ValidationError."""
    with pytest.raises(fd.ValidationError) as info:
        _matrix([[0, 1], [1, 0]], [[0, 1], [value, 0]])
    assert info.value.field == "distances[1][0]"


@pytest.mark.parametrize("cells", [[[False, True], [True, False]], [["0", "5"], ["5", "0"]],
                                   [[0, None], [1, 0]]], ids=["bools", "strings", "none"])
def test_matrix_of_non_numbers_is_rejected(cells):
    """Booleans, numeric strings and None are not travel durations: ValidationError."""
    with pytest.raises(fd.ValidationError) as info:
        _matrix(cells)
    assert info.value.field == "durations"


# ---------------------------------------------------------- the issue's reproductions
def test_issue_duration_of_3e9_seconds_is_rejected_not_served_in_one_second():
    """Issue #15: ``attrs.evolve(s.tickets[0], duration=3_000_000_000)`` used to wrap to a
    1-second int32 service time; now the ticket itself raises ValidationError."""
    scenario = fd.generate_scenario(3, 5, seed=1)
    err = _rejects(lambda: attrs.evolve(scenario.tickets[0], duration=3_000_000_000),
                   "duration", 3_000_000_000)
    assert err.entity == "Ticket"
    assert err.entity_id == scenario.tickets[0].id
    assert "must be <= 2592000 seconds (30 days)" in str(err)


def test_issue_speed_of_1e_minus_15_kmh_is_rejected():
    """Issue #15: ``GeometricTravel(speed_kmh=1e-15)`` wrapped int64 travel times; now it
    raises ValidationError naming speed_kmh and the value."""
    err = _rejects(lambda: fd.GeometricTravel(speed_kmh=1e-15), "speed_kmh", 1e-15)
    assert "km/h" in str(err)


LISTED = {  # the issue's list of fields whose huge ints reached compile_scenario
    "skill level": lambda v: _scenario([_tech(skills={"hvac": v})]),
    "max_tickets_per_day": lambda v: _scenario([_tech(max_tickets_per_day=v)]),
    "max_overtime": lambda v: _scenario([_tech(max_overtime=v)]),
    "van_stock": lambda v: _scenario([_tech(van_stock={"P1": v})]),
    "capacity": lambda v: _scenario([_tech(capacity=v)]),
    "duration": lambda v: _scenario(tickets=[_ticket(duration=v)]),
    "ticket parts": lambda v: _scenario(tickets=[_ticket(parts={"P1": v})]),
    "demand": lambda v: _scenario(tickets=[_ticket(demand=v)]),
    "depot pickup_time": lambda v: _scenario(depots=[fd.Depot("D", P(0, 0), pickup_time=v)]),
    "depot stock": lambda v: _scenario(depots=[fd.Depot("D", P(0, 0), stock={"P1": v})]),
}


@pytest.mark.parametrize("value", [BIG, 2**100], ids=["2**63", "2**100"])
@pytest.mark.parametrize("name", list(LISTED))
def test_issue_huge_integers_never_reach_compile(name, value):
    """Issue #15: an int ≥ 2⁶³ in any listed field raises ValidationError while the scenario is
    built, never OverflowError in compile_scenario."""
    try:
        scenario = LISTED[name](value)
    except fd.ValidationError as exc:
        assert repr(value) in str(exc)
    else:  # pragma: no cover - the failure mode of the issue
        fd.compile_scenario(scenario)
        pytest.fail(f"{name}={value} was accepted")


def _json_scenario(**ticket: Any) -> dict[str, Any]:
    return {
        "format": "fsdispatch.scenario", "version": 1,
        "horizon": {"start": "2026-03-02T00:00:00+00:00", "end": "2026-03-03T00:00:00+00:00"},
        "technicians": [{"id": "A", "start_location": {"x": 0, "y": 0},
                         "shifts": [{"start": "2026-03-02T08:00:00+00:00",
                                     "end": "2026-03-02T17:00:00+00:00"}]}],
        "tickets": [{"id": "T1", "location": {"x": 1, "y": 1}, "duration": 1800, **ticket}],
    }


@pytest.mark.parametrize("field,value", [("duration", 3_000_000_000), ("duration", BIG),
                                         ("demand", BIG)])
def test_json_input_gets_the_same_bounds(field, value):
    """The JSON reader builds domain objects, so a huge number in a scenario file raises
    ValidationError naming the field and the value too."""
    data = _json_scenario(**{field: value})
    assert fd.scenario_from_dict(_json_scenario()).num_tickets == 1
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(data)
    assert field in str(info.value) and repr(value) in str(info.value)


# ------------------------------------------------ arithmetic headroom of the bounds
def test_largest_service_time_fits_int32_and_compiles_exactly():
    """The longest ticket served by the slowest technician (both factors at MAX_FACTOR)
    compiles to exactly duration × factor², which fits the int32 service matrix."""
    longest = units.MAX_TICKET_DURATION * units.MAX_FACTOR**2
    assert longest < INT32_MAX / 8  # 8× headroom
    tech = _tech(skills={"hvac": 1}, service_factor=units.MAX_FACTOR,
                 skill_factors={"hvac": units.MAX_FACTOR})
    ticket = _ticket(duration=units.MAX_TICKET_DURATION, required_skills={"hvac": 1})
    problem = fd.compile_scenario(_scenario([tech], [ticket]))
    assert problem.data.tech.service.dtype == np.int32
    assert int(problem.data.tech.service[0, 0]) == longest


def test_compile_refuses_a_service_time_that_would_not_fit_int32():
    """Defence in depth: a duration forced past validation (frozen attribute overwritten)
    makes compile_scenario raise ValidationError naming ticket and technician, not wrap."""
    ticket = _ticket(id="T-17")
    scenario = _scenario([_tech(id="tech-9")], [ticket])
    object.__setattr__(ticket, "duration", 3_000_000_000)
    with pytest.raises(fd.ValidationError) as info:
        fd.compile_scenario(scenario)
    err = info.value
    assert (err.entity, err.entity_id, err.field) == ("Ticket", "T-17", "duration")
    assert "'tech-9'" in str(err) and "3000000000" in str(err)


def test_longest_geometric_leg_stays_far_below_int32():
    """At the slowest speed and the largest detour, the longest planar leg (the diagonal of
    the coordinate box) and the longest geographic leg (half the Earth) are < 2³¹ / 4 s."""
    planar_km = 2 * math.sqrt(2) * units.MAX_COORDINATE_KM
    geo_km = math.pi * 6371.0088
    for km in (planar_km, geo_km):
        seconds = km * units.MAX_DETOUR / units.MIN_SPEED_KMH * 3600
        assert seconds < INT32_MAX / 4
    assert units.MAX_TRAVEL_TIME < INT32_MAX / 64


@pytest.mark.parametrize("geographic", [False, True], ids=["planar", "geographic"])
def test_kernel_computes_the_longest_leg_without_wrapping(geographic):
    """The numba travel kernel returns the longest possible leg as a positive int64 equal to
    the float formula (the issue's 1e-15 km/h leg wrapped to a negative number)."""
    from fsdispatch.evaluate._kernels import travel_time

    m = units.MAX_COORDINATE_KM
    if geographic:
        home, far = fd.Location.geo(0.0, 0.0), fd.Location.geo(0.0, 180.0)
        km = math.pi * 6371.0088
    else:
        home, far = P(-m, -m), P(m, m)
        km = 2 * math.sqrt(2) * m
    travel = fd.GeometricTravel(speed_kmh=units.MIN_SPEED_KMH, detour=units.MAX_DETOUR)
    scenario = fd.Scenario(HORIZON, [_tech(start_location=home)],
                           [_ticket(location=far)], travel=travel)
    problem = fd.compile_scenario(scenario)
    a, b = int(problem.data.rt.start_node[0]), int(problem.data.ticket_node[0])
    seconds = int(travel_time(problem.data.tv, a, b))
    expected = km * units.MAX_DETOUR / units.MIN_SPEED_KMH * 3600
    assert 0 < seconds < INT32_MAX
    assert abs(seconds - expected) <= 1e-6 * expected


def test_generated_scenarios_and_solomon_instances_stay_in_range():
    """Every generated scenario (several seeds and horizons) validates without a warning, and
    so do the shipped Solomon test instances."""
    from pathlib import Path

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(3):
            for days in (1, 3):
                fd.generate_scenario(6, 40, seed=seed, days=days)
        files = sorted((Path(__file__).parents[1] / "data" / "solomon").glob("*.txt"))
        assert files
        for path in files:
            fd.read_solomon(path)


# ------------------------------------------------------------ rejected wrong data
@pytest.mark.parametrize("window", [(6, 7), (7, 8.25)], ids=["before", "closes-too-early"])
def test_break_window_before_its_shift_is_rejected(window):
    """A break that cannot start at or after the shift start (its window is before the shift,
    or closes less than ``duration`` after the shift start) raises ValidationError naming
    ``breaks[k].window``."""
    brk = fd.Break(fd.TimeWindow(at(window[0]), at(window[1])), 30 * fd.MINUTE)
    err = _rejects(lambda: fd.Shift(at(8), at(17), breaks=[brk]), "breaks[0].window",
                   f"{at(window[0]).isoformat()}..{at(window[1]).isoformat()}")
    assert "shift start" in str(err)


def test_break_window_opening_before_its_shift_is_accepted_if_the_break_fits():
    """Documented rule: a window may open before the shift start (the live dispatcher trims a
    shift under way this way) as long as the break can still start within the shift."""
    brk = fd.Break(fd.TimeWindow(at(7), at(8.5)), 30 * fd.MINUTE)
    assert fd.Shift(at(8), at(17), breaks=[brk]).breaks == (brk,)


def test_break_window_after_its_shift_is_rejected():
    """A break that cannot end by the shift end plus max_overtime (e.g. a window entirely
    after the shift) raises ValidationError naming ``shifts[k].breaks[j].window``."""
    brk = fd.Break(fd.TimeWindow(at(18), at(19)), 30 * fd.MINUTE)
    shift = fd.Shift(at(8), at(17), breaks=[brk])
    err = _rejects(lambda: _tech(shifts=[shift]), "shifts[0].breaks[0].window",
                   f"{at(18).isoformat()}..{at(19).isoformat()}")
    assert err.entity == "Technician"


def test_break_may_use_overtime_but_no_more():
    """A break ending within shift end + max_overtime is accepted; one second more is not."""
    brk = fd.Break(fd.TimeWindow(at(17), at(18)), 30 * fd.MINUTE)
    shift = fd.Shift(at(8), at(17), breaks=[brk])
    _tech(shifts=[shift], max_overtime=30 * fd.MINUTE)
    with pytest.raises(fd.ValidationError):
        _tech(shifts=[shift], max_overtime=30 * fd.MINUTE - 1)


def test_break_window_may_run_past_the_shift_end_if_the_break_fits():
    """Documented rule: the window may extend past the shift end (a 11:30-14:00 lunch window
    on a half-day shift to 13:00) as long as the break can end by the shift end."""
    lunch = fd.Break(fd.TimeWindow(at(11.5), at(14)), 30 * fd.MINUTE)
    tech = _tech(shifts=[fd.Shift(at(8), at(13), breaks=[lunch])])
    assert tech.shifts[0].breaks == (lunch,)


def test_ticket_resolve_by_before_response_by_is_rejected():
    """Explicit deadlines with resolve_by before response_by raise ValidationError naming
    resolve_by; equal deadlines are accepted."""
    _ticket(response_by=at(10), resolve_by=at(10))
    err = _rejects(lambda: _ticket(response_by=at(10), resolve_by=at(9)), "resolve_by",
                   at(9).isoformat())
    assert "response_by" in str(err)


def test_sla_target_resolution_shorter_than_response_is_rejected():
    """An SLA target resolving before it must respond raises ValidationError naming
    resolution."""
    _rejects(lambda: fd.SlaTarget(response=4 * fd.HOUR, resolution=2 * fd.HOUR), "resolution",
             2 * fd.HOUR)


@pytest.mark.parametrize("targets", [
    {("P1", "*"): fd.SlaTarget(fd.HOUR), (1, "*"): fd.SlaTarget(2 * fd.HOUR)},
    {(fd.Priority.P1, "gold"): fd.SlaTarget(fd.HOUR), ("p1", "gold"): fd.SlaTarget(fd.HOUR)},
    [(("P1", "*"), fd.SlaTarget(fd.HOUR)), (("P1", "*"), fd.SlaTarget(2 * fd.HOUR))],
], ids=["name-and-number", "case", "pairs"])
def test_duplicate_sla_targets_are_rejected(targets):
    """Two SLA targets for one (priority, tier), however the priority is spelled or when given
    as a list of pairs, raise ValidationError naming the target."""
    with pytest.raises(fd.ValidationError) as info:
        fd.SlaPolicy(targets)
    assert info.value.field.startswith("targets[(P1, ")
    assert "duplicate" in str(info.value)


def test_sla_targets_as_pairs_are_accepted():
    """SlaPolicy also takes ``((priority, tier), target)`` pairs (so readers can pass the list
    they read and keep duplicates detectable)."""
    policy = fd.SlaPolicy([(("P1", "*"), fd.SlaTarget(fd.HOUR)),
                           (("P1", "gold"), fd.SlaTarget(30 * fd.MINUTE))])
    assert policy.target_for(fd.Priority.P1, "silver") == fd.SlaTarget(fd.HOUR)
    assert policy.target_for(fd.Priority.P1, "gold") == fd.SlaTarget(30 * fd.MINUTE)


def test_duplicate_priorities_in_objective_weights_are_rejected():
    """Naming one priority twice in a per-priority weight mapping raises ValidationError."""
    with pytest.raises(fd.ValidationError, match="P1 is given twice"):
        fd.ObjectiveWeights(unassigned={"P1": 1.0, 1: 2.0, "P2": 1.0, "P3": 1.0, "P4": 1.0})


def test_duplicate_skills_in_the_catalogue_are_rejected():
    """A skill catalogue listing one id twice raises ValidationError naming skills and the id."""
    err = _rejects(lambda: _scenario(skills=["hvac", "gas", "hvac"]), "skills", "'hvac'")
    assert "2 times" in str(err)


def test_non_string_skills_in_the_catalogue_are_rejected():
    """A skill catalogue entry that is not a non-empty string raises ValidationError."""
    _rejects(lambda: _scenario(skills=["hvac", 7]), "skills[1]", 7)


def test_skill_factor_outside_the_catalogue_is_rejected():
    """With a skill catalogue, ``skill_factors`` naming a skill outside it raises
    UnknownReferenceError naming the technician and the skill."""
    tech = _tech(skills={"hvac": 1}, skill_factors={"havc": 1.5})
    err = _rejects(lambda: _scenario([tech], skills=["hvac"]), "skill_factors", "'havc'",
                   fd.UnknownReferenceError)
    assert err.entity_id == "A"


def test_skill_factor_no_one_knows_is_rejected_without_a_catalogue():
    """Without a catalogue, a factor for a skill no technician holds and no ticket requires
    is rejected; one for a skill only a ticket requires is accepted."""
    _rejects(lambda: _scenario([_tech(skill_factors={"havc": 1.5})]), "skill_factors",
             "'havc'", fd.UnknownReferenceError)
    _scenario([_tech(skill_factors={"gas": 1.5})], [_ticket(required_skills={"gas": 1})])


def test_json_input_gets_the_new_rejections():
    """The JSON reader builds domain objects, so a duplicated catalogue skill and an unknown
    skill factor in a scenario file raise ValidationError too."""
    data = _json_scenario()
    data["skills"] = ["hvac", "hvac"]
    with pytest.raises(fd.ValidationError, match="hvac"):
        fd.scenario_from_dict(data)
    data = _json_scenario()
    data["technicians"][0]["skill_factors"] = {"havc": 1.5}
    with pytest.raises(fd.ValidationError, match="havc"):
        fd.scenario_from_dict(data)


# -------------------------------------------------------------------- warnings
def test_break_as_long_as_its_shift_warns():
    """A break lasting the whole shift is accepted with a FsdispatchWarning."""
    brk = fd.Break(fd.TimeWindow(at(8), at(10)), 2 * fd.HOUR)
    with pytest.warns(fd.FsdispatchWarning, match="as long as the whole shift"):
        fd.Shift(at(8), at(10), breaks=[brk])


def test_ticket_created_after_the_horizon_warns():
    """A ticket created at or after the horizon end is accepted with a FsdispatchWarning that
    names it."""
    for created in (HORIZON.end, HORIZON.end + timedelta(hours=1)):
        with pytest.warns(fd.FsdispatchWarning, match="'T1'"):
            _scenario(tickets=[_ticket(created_at=created)])


def test_matrix_with_a_non_zero_diagonal_warns():
    """An explicit travel matrix whose diagonal is not zero is accepted with a
    FsdispatchWarning naming the cell."""
    with pytest.warns(fd.FsdispatchWarning, match=r"durations\[1\]\[1\]"):
        _matrix([[0, 60], [60, 5]])
    with pytest.warns(fd.FsdispatchWarning, match=r"distances\[0\]\[0\]"):
        _matrix([[0, 60], [60, 0]], [[0.1, 1], [1, 0]])


def test_policy_deadline_before_an_explicit_one_warns():
    """A ticket whose explicit response_by is after the resolve_by the SLA policy gives it is
    accepted (explicit deadlines win field by field) with a FsdispatchWarning."""
    policy = fd.SlaPolicy({("P1", "*"): fd.SlaTarget(fd.HOUR, 2 * fd.HOUR)})
    ticket = _ticket(priority="P1", created_at=at(6), response_by=at(10))
    with pytest.warns(fd.FsdispatchWarning, match="'T1'"):
        scenario = _scenario(tickets=[ticket], sla_policy=policy)
    assert scenario.deadlines(ticket) == (at(10), at(8))


def test_clean_data_does_not_warn():
    """Ordinary data (zero diagonal, tickets created before the end, short breaks) emits no
    FsdispatchWarning."""
    lunch = fd.Break(fd.TimeWindow(at(12), at(14)), 30 * fd.MINUTE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _matrix([[0, 60], [60, 0]], [[0, 1], [1, 0]])
        _scenario([_tech(shifts=[fd.Shift(at(8), at(17), breaks=[lunch])])],
                  [_ticket(created_at=HORIZON.end - timedelta(seconds=1))])


def test_warning_is_public_and_a_user_warning():
    """FsdispatchWarning is exported, derives from UserWarning and can be made an error."""
    assert issubclass(fd.FsdispatchWarning, UserWarning)
    assert "FsdispatchWarning" in fd.errors.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error", fd.FsdispatchWarning)
        with pytest.raises(fd.FsdispatchWarning):
            _matrix([[1, 0], [0, 0]])
