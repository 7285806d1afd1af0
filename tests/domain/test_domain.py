"""The typed domain model: bad input raises typed errors that name object, field and value.

Every documented bad input raises :class:`fsdispatch.ValidationError` (or
:class:`fsdispatch.UnknownReferenceError` for a dangling reference) whose
``entity``, ``entity_id``, ``field`` and ``value`` attributes and whose message
say what is wrong, where and with which value. The positive tests pin the
conversions and derived values the rest of the library relies on (durations in
int seconds, priority parsing, SLA deadlines, servability checks).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pytest

import fsdispatch as fd
from conftest import DAY0, at

P = fd.Location.planar
HORIZON = fd.Horizon(DAY0, DAY0 + timedelta(days=1))
NAIVE = datetime(2026, 3, 2, 10, 0)  # no tzinfo


def _tech(tech_id: str = "A", **kwargs: Any) -> fd.Technician:
    kwargs.setdefault("shifts", [fd.Shift(at(8), at(17))])
    return fd.Technician(tech_id, kwargs.pop("start_location", P(0, 0)), **kwargs)


def _ticket(ticket_id: str = "T1", **kwargs: Any) -> fd.Ticket:
    return fd.Ticket(ticket_id, kwargs.pop("location", P(1, 1)),
                     kwargs.pop("duration", 30 * fd.MINUTE), **kwargs)


def _scenario(techs: list[fd.Technician], tickets: list[fd.Ticket],
              **kwargs: Any) -> fd.Scenario:
    return fd.Scenario(kwargs.pop("horizon", HORIZON), techs, tickets, **kwargs)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return bool(actual == expected) and type(actual) is type(expected)


def assert_names(err: fd.ValidationError, entity: str, entity_id: str | None, field: str,
                 value: Any) -> None:
    """The error's attributes and message name the entity, its id, the field and the value."""
    assert err.entity == entity
    assert err.entity_id == entity_id
    assert err.field == field
    assert _same(err.value, value), (err.value, value)
    msg = str(err)
    assert msg == err.message
    assert msg.startswith(entity), msg
    if entity_id is not None:
        assert repr(entity_id) in msg, msg
    assert field in msg, msg
    assert repr(value) in msg, msg
    assert err.issues == (err,)


def _raises(exc: type[fd.ValidationError], build: Any) -> fd.ValidationError:
    with pytest.raises(exc) as info:
        build()
    return info.value


# ------------------------------------------------------------------ tickets
@pytest.mark.parametrize("duration, value", [
    pytest.param(-300, -300, id="negative-int"),
    pytest.param(0, 0, id="zero"),
    pytest.param(timedelta(minutes=-5), -300, id="negative-timedelta"),
    pytest.param(timedelta(0), 0, id="zero-timedelta"),
])
def test_ticket_duration_must_be_positive(duration, value):
    """A zero or negative ticket duration (int or timedelta) is a ValidationError naming it."""
    err = _raises(fd.ValidationError, lambda: _ticket("T9", duration=duration))
    assert_names(err, "Ticket", "T9", "duration", value)
    assert "> 0" in err.message


def test_ticket_duration_must_be_a_number():
    """A non-numeric ticket duration is a ValidationError, not a TypeError."""
    err = _raises(fd.ValidationError, lambda: _ticket("T9", duration="an hour"))
    assert_names(err, "Ticket", "T9", "duration", "an hour")


def test_time_window_end_before_start():
    """TimeWindow(end < start) is a ValidationError naming ``end`` and its ISO value."""
    err = _raises(fd.ValidationError, lambda: fd.TimeWindow(at(10), at(9)))
    assert_names(err, "TimeWindow", None, "end", at(9).isoformat())
    assert at(10).isoformat() in err.message  # the start it is compared with


def test_time_window_of_zero_length_is_allowed():
    """A window with start == end is a valid (single-instant) appointment window."""
    window = fd.TimeWindow(at(10), at(10))
    assert window.start == window.end


@pytest.mark.parametrize("windows, bad_start", [
    pytest.param([(10, 12), (11, 13)], 11, id="overlapping"),
    pytest.param([(10, 12), (12, 13)], 12, id="touching"),
    pytest.param([(14, 15), (10, 11)], 10, id="unsorted"),
])
def test_ticket_windows_must_be_sorted_and_disjoint(windows, bad_start):
    """Overlapping, touching or unsorted ticket windows name ``windows[k].start``."""
    tw = [fd.TimeWindow(at(a), at(b)) for a, b in windows]
    err = _raises(fd.ValidationError, lambda: _ticket("T9", windows=tw))
    assert_names(err, "Ticket", "T9", "windows[1].start", at(bad_start).isoformat())


def test_ticket_windows_sorted_and_disjoint_are_accepted():
    """Two sorted disjoint windows are kept in order."""
    tw = [fd.TimeWindow(at(8), at(10)), fd.TimeWindow(at(13), at(15))]
    assert _ticket(windows=tw).windows == tuple(tw)


@pytest.mark.parametrize("build, entity, field", [
    pytest.param(lambda: fd.TimeWindow(NAIVE, at(12)), "TimeWindow", "start", id="window-start"),
    pytest.param(lambda: fd.TimeWindow(at(8), NAIVE), "TimeWindow", "end", id="window-end"),
    pytest.param(lambda: fd.Shift(NAIVE, at(17)), "Shift", "start", id="shift-start"),
    pytest.param(lambda: fd.Shift(at(8), NAIVE), "Shift", "end", id="shift-end"),
    pytest.param(lambda: fd.Horizon(NAIVE, at(24)), "Horizon", "start", id="horizon-start"),
    pytest.param(lambda: fd.Horizon(DAY0, NAIVE), "Horizon", "end", id="horizon-end"),
])
def test_naive_datetimes_are_rejected(build, entity, field):
    """Timezone-less datetimes in windows, shifts and the horizon raise ValidationError."""
    err = _raises(fd.ValidationError, build)
    assert_names(err, entity, None, field, NAIVE)
    assert "timezone-aware" in err.message


@pytest.mark.parametrize("field", ["created_at", "response_by", "resolve_by"])
def test_ticket_naive_sla_datetimes_are_rejected(field):
    """Naive created_at / response_by / resolve_by on a ticket name the ticket and field."""
    err = _raises(fd.ValidationError, lambda: _ticket("T9", **{field: NAIVE}))
    assert_names(err, "Ticket", "T9", field, NAIVE)


def test_horizon_end_must_be_after_start():
    """Horizon(end <= start) is a ValidationError naming ``end``."""
    err = _raises(fd.ValidationError, lambda: fd.Horizon(DAY0, DAY0))
    assert_names(err, "Horizon", None, "end", DAY0.isoformat())


# ---------------------------------------------------------------- locations
@pytest.mark.parametrize("build, field, value", [
    pytest.param(lambda: P(math.nan, 0, id="L1"), "x", math.nan, id="planar-x-nan"),
    pytest.param(lambda: P(0, math.inf, id="L1"), "y", math.inf, id="planar-y-inf"),
    pytest.param(lambda: P(-math.inf, 0, id="L1"), "x", -math.inf, id="planar-x-neg-inf"),
    pytest.param(lambda: fd.Location.geo(math.nan, 13.4, id="L1"), "latitude", math.nan,
                 id="geo-lat-nan"),
    pytest.param(lambda: fd.Location.geo(52.5, math.inf, id="L1"), "longitude", math.inf,
                 id="geo-lon-inf"),
    pytest.param(lambda: fd.Location.geo(90.5, 13.4, id="L1"), "latitude", 90.5,
                 id="geo-lat-too-high"),
    pytest.param(lambda: fd.Location.geo(-91.0, 13.4, id="L1"), "latitude", -91.0,
                 id="geo-lat-too-low"),
    pytest.param(lambda: fd.Location.geo(52.5, 180.5, id="L1"), "longitude", 180.5,
                 id="geo-lon-too-high"),
    pytest.param(lambda: fd.Location.geo(52.5, -181.0, id="L1"), "longitude", -181.0,
                 id="geo-lon-too-low"),
])
def test_bad_coordinates_are_rejected(build, field, value):
    """NaN/inf coordinates and out-of-range latitude/longitude name the coordinate and value."""
    err = _raises(fd.ValidationError, build)
    assert_names(err, "Location", "L1", field, value)


def test_geographic_bounds_are_inclusive():
    """Latitude ±90 and longitude ±180 are valid."""
    loc = fd.Location.geo(-90.0, 180.0)
    assert (loc.lat, loc.lon) == (-90.0, 180.0)
    assert fd.Location.geo(90.0, -180.0).geographic


# -------------------------------------------------------------- technicians
def test_technician_skill_level_zero_is_rejected():
    """A technician skill at level 0 names ``skills['hvac']``."""
    err = _raises(fd.ValidationError, lambda: _tech("A", skills={"hvac": 0}))
    assert_names(err, "Technician", "A", "skills['hvac']", 0)


def test_ticket_required_skill_level_zero_is_rejected():
    """A ticket requiring a skill at level 0 names ``required_skills['gas']``."""
    err = _raises(fd.ValidationError, lambda: _ticket("T9", required_skills={"gas": 0}))
    assert_names(err, "Ticket", "T9", "required_skills['gas']", 0)


def test_negative_van_stock_is_rejected():
    """A negative van stock quantity names the sku in the field."""
    err = _raises(fd.ValidationError, lambda: _tech("A", van_stock={"P001": -1}))
    assert_names(err, "Technician", "A", "van_stock['P001']", -1)


def test_zero_van_stock_is_allowed():
    """An empty slot (quantity 0) in the van is valid."""
    assert _tech("A", van_stock={"P001": 0}).van_stock == {"P001": 0}


def test_shift_end_before_start():
    """Shift(end < start) is a ValidationError naming ``end``."""
    err = _raises(fd.ValidationError, lambda: fd.Shift(at(17), at(8)))
    assert_names(err, "Shift", None, "end", at(8).isoformat())


def test_shift_outside_horizon_is_rejected():
    """A shift reaching past the horizon end names the technician and ``shifts[k]``."""
    shifts = [fd.Shift(at(8), at(17)), fd.Shift(at(20), at(6, day=1))]
    err = _raises(fd.ValidationError, lambda: _scenario([_tech("A", shifts=shifts)], []))
    assert not isinstance(err, fd.UnknownReferenceError)
    assert_names(err, "Technician", "A", "shifts[1]",
                 f"{at(20).isoformat()}..{at(6, day=1).isoformat()}")
    assert "horizon" in err.message


def test_shift_starting_before_horizon_is_rejected():
    """A shift starting before the horizon start is rejected too."""
    shifts = [fd.Shift(at(-2), at(6))]
    err = _raises(fd.ValidationError, lambda: _scenario([_tech("A", shifts=shifts)], []))
    assert err.field == "shifts[0]" and err.entity_id == "A"


def test_break_longer_than_its_window():
    """A 2 h break in a 1 h window is a ValidationError naming the break duration."""
    window = fd.TimeWindow(at(12), at(13))
    err = _raises(fd.ValidationError, lambda: fd.Break(window, 2 * fd.HOUR))
    assert_names(err, "Break", None, "duration", 2 * fd.HOUR)
    assert "3600" in err.message  # the window length


def test_break_exactly_filling_its_window_is_allowed():
    """A break as long as its window fits."""
    assert fd.Break(fd.TimeWindow(at(12), at(13)), fd.HOUR).duration == 3600


# ------------------------------------------------------------ cross-references
def test_duplicate_technician_ids():
    """Two technicians with the same id name the id."""
    err = _raises(fd.ValidationError, lambda: _scenario([_tech("A"), _tech("A")], []))
    assert_names(err, "Technician", "A", "id", "A")
    assert "unique" in err.message


def test_duplicate_ticket_ids():
    """Two tickets with the same id name the id."""
    err = _raises(fd.ValidationError,
                  lambda: _scenario([_tech("A")], [_ticket("T1"), _ticket("T2"), _ticket("T1")]))
    assert_names(err, "Ticket", "T1", "id", "T1")
    assert "found 2 times" in err.message


@pytest.mark.parametrize("field", ["preferred_technicians", "excluded_technicians"])
def test_unknown_technician_reference(field):
    """A preferred/excluded technician id that does not exist is an UnknownReferenceError."""
    err = _raises(fd.UnknownReferenceError,
                  lambda: _scenario([_tech("A")], [_ticket("T1", **{field: ["ghost"]})]))
    assert_names(err, "Ticket", "T1", field, "ghost")
    assert "unknown technician" in err.message


def test_technician_both_preferred_and_excluded():
    """A technician id in both preferred_technicians and excluded_technicians is rejected."""
    err = _raises(fd.ValidationError, lambda: _ticket(
        "T1", preferred_technicians=["A", "B"], excluded_technicians=["B"]))
    assert_names(err, "Ticket", "T1", "preferred_technicians", "B")
    assert "excluded_technicians" in err.message


@pytest.mark.parametrize("techs, tickets, entity, eid, field, value", [
    pytest.param([_tech("A", skills={"gas": 1})], [], "Technician", "A", "skills", "gas",
                 id="technician-skill"),
    pytest.param([_tech("A")], [_ticket("T1", required_skills={"solar": 2})], "Ticket", "T1",
                 "required_skills", "solar", id="ticket-skill"),
])
def test_unknown_skill_with_catalogue(techs, tickets, entity, eid, field, value):
    """With a skills catalogue, a skill outside it is an UnknownReferenceError."""
    err = _raises(fd.UnknownReferenceError,
                  lambda: _scenario(techs, tickets, skills=["hvac", "plumbing"]))
    assert_names(err, entity, eid, field, value)
    assert "unknown skill" in err.message


def test_skills_unchecked_without_catalogue():
    """Without a skills catalogue any skill id is accepted."""
    scenario = _scenario([_tech("A", skills={"gas": 1})],
                         [_ticket("T1", required_skills={"solar": 2})])
    assert scenario.skills == ()


@pytest.mark.parametrize("techs, tickets, entity, eid, field, value", [
    pytest.param([_tech("A", van_stock={"X9": 2})], [], "Technician", "A", "van_stock", "X9",
                 id="van-stock"),
    pytest.param([_tech("A")], [_ticket("T1", parts={"X9": 1})], "Ticket", "T1", "parts", "X9",
                 id="ticket-parts"),
])
def test_unknown_part_with_catalogue(techs, tickets, entity, eid, field, value):
    """With a parts catalogue, a sku outside it is an UnknownReferenceError."""
    err = _raises(fd.UnknownReferenceError,
                  lambda: _scenario(techs, tickets, parts=[fd.Part("P001")]))
    assert_names(err, entity, eid, field, value)
    assert "unknown part" in err.message


def test_mixed_geographic_and_planar_locations():
    """A geographic ticket among planar technicians names the odd location's coordinate kind."""
    tickets = [_ticket("T1"), _ticket("T2", location=fd.Location.geo(52.5, 13.4))]
    err = _raises(fd.ValidationError, lambda: _scenario([_tech("A")], tickets))
    assert_names(err, "Ticket", "T2", "location", "geographic")
    assert "planar" in err.message


def test_scenario_collects_several_issues_at_once():
    """Scenario reports every cross-reference issue in one error (``err.issues``)."""
    techs = [_tech("A"), _tech("A", skills={"gas": 1})]
    tickets = [_ticket("T1", preferred_technicians=["ghost"]),
               _ticket("T2", parts={"X9": 1})]
    with pytest.raises(fd.ValidationError) as info:
        _scenario(techs, tickets, skills=["hvac"], parts=[fd.Part("P001")])
    err = info.value
    found = {(i.entity, i.entity_id, i.field, i.value, type(i)) for i in err.issues}
    assert found == {
        ("Technician", "A", "id", "A", fd.ValidationError),
        ("Technician", "A", "skills", "gas", fd.UnknownReferenceError),
        ("Ticket", "T1", "preferred_technicians", "ghost", fd.UnknownReferenceError),
        ("Ticket", "T2", "parts", "X9", fd.UnknownReferenceError),
    }
    assert err.message.startswith("4 validation errors")
    for issue in err.issues:
        assert issue.message in err.message
    # the head of the aggregate is its first issue
    first = err.issues[0]
    assert (err.entity, err.entity_id, err.field) == (first.entity, first.entity_id, first.field)


# ------------------------------------------------------------- travel matrix
def test_matrix_travel_not_square():
    """A 2×3 duration matrix is a ValidationError naming ``durations`` and the shape."""
    err = _raises(fd.ValidationError,
                  lambda: fd.MatrixTravel(["a", "b"], [[0, 1, 2], [1, 0, 3]]))
    assert_names(err, "MatrixTravel", None, "durations", "shape (2, 3)")


def test_matrix_travel_size_must_match_ids():
    """A 2×2 matrix for three location ids is rejected."""
    err = _raises(fd.ValidationError,
                  lambda: fd.MatrixTravel(["a", "b", "c"], [[0, 1], [1, 0]]))
    assert_names(err, "MatrixTravel", None, "durations", "shape (2, 2)")
    assert "(3, 3)" in err.message


def test_matrix_travel_negative_entry():
    """A negative duration names the cell ``durations[i][j]`` and its value."""
    err = _raises(fd.ValidationError,
                  lambda: fd.MatrixTravel(["a", "b"], [[0, 60], [-5, 0]]))
    assert_names(err, "MatrixTravel", None, "durations[1][0]", -5.0)


def test_matrix_travel_negative_distance():
    """A negative distance names the cell ``distances[i][j]``."""
    err = _raises(fd.ValidationError, lambda: fd.MatrixTravel(
        ["a", "b"], [[0, 60], [60, 0]], distances=[[0, -1.5], [1.5, 0]]))
    assert_names(err, "MatrixTravel", None, "distances[0][1]", -1.5)


def test_matrix_travel_location_missing_from_matrix():
    """A location whose id is not a matrix row is an UnknownReferenceError naming it."""
    travel = fd.MatrixTravel(["depot", "c1"], [[0, 60], [60, 0]])
    techs = [_tech("A", start_location=P(0, 0, id="depot"))]
    tickets = [_ticket("T1", location=P(1, 1, id="c1")),
               _ticket("T2", location=P(2, 2, id="c2"))]
    err = _raises(fd.UnknownReferenceError, lambda: _scenario(techs, tickets, travel=travel))
    assert_names(err, "Ticket", "T2", "location.id", "c2")
    assert "travel matrix" in err.message


def test_matrix_travel_location_without_id():
    """With a travel matrix, a location without an id is an UnknownReferenceError."""
    travel = fd.MatrixTravel(["depot", "c1"], [[0, 60], [60, 0]])
    err = _raises(fd.UnknownReferenceError, lambda: _scenario(
        [_tech("A", start_location=P(0, 0))], [_ticket("T1", location=P(1, 1, id="c1"))],
        travel=travel))
    assert_names(err, "Technician", "A", "start_location.id", None)


# ---------------------------------------------------------------- priority
@pytest.mark.parametrize("value", ["P5", "P0", "urgent", "", 0, 5, -1, True, 2.0, None])
def test_ticket_bad_priority(value):
    """A priority other than P1..P4 / 1..4 names the ticket, ``priority`` and the value."""
    err = _raises(fd.ValidationError, lambda: _ticket("T9", priority=value))
    assert_names(err, "Ticket", "T9", "priority", value)


@pytest.mark.parametrize("value", ["P5", "urgent", 0, True])
def test_priority_parse_rejects_bad_values_with_library_error(value):
    """Priority.parse of a bad value raises the library's ValidationError (catchable as one
    class, per fsdispatch.errors), which is also a ValueError."""
    with pytest.raises(fd.ValidationError) as info:
        fd.Priority.parse(value)
    assert isinstance(info.value, ValueError)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("value, expected", [
    ("P2", fd.Priority.P2), ("p2", fd.Priority.P2), (2, fd.Priority.P2),
    (fd.Priority.P2, fd.Priority.P2), ("P1", fd.Priority.P1), (4, fd.Priority.P4),
])
def test_priority_parse_accepts_names_and_numbers(value, expected):
    """Priority.parse accepts "P2", "p2", 2 and Priority.P2."""
    assert fd.Priority.parse(value) is expected


def test_ticket_priority_string_is_converted():
    """Ticket(priority="P1") stores Priority.P1; the default is P3."""
    assert _ticket(priority="P1").priority is fd.Priority.P1
    assert _ticket().priority is fd.Priority.P3


def test_objective_weights_bad_priority_key():
    """An ObjectiveWeights priority key other than P1..P4 is a ValidationError."""
    weights = {"P1": 1.0, "P2": 1.0, "P3": 1.0, "P7": 1.0}
    err = _raises(fd.ValidationError, lambda: fd.ObjectiveWeights(unassigned=weights))
    assert_names(err, "ObjectiveWeights", None, "priority key", "P7")


# -------------------------------------------------------- SLA and objective
def test_sla_target_resolution_before_response():
    """SlaTarget(resolution < response) names ``resolution`` and mentions the response."""
    err = _raises(fd.ValidationError,
                  lambda: fd.SlaTarget(response=2 * fd.HOUR, resolution=fd.HOUR))
    assert_names(err, "SlaTarget", None, "resolution", fd.HOUR)
    assert str(2 * fd.HOUR) in err.message


@pytest.mark.parametrize("field", ["response", "resolution"])
def test_sla_target_must_be_positive(field):
    """A zero SLA target is rejected."""
    err = _raises(fd.ValidationError, lambda: fd.SlaTarget(**{field: 0}))
    assert_names(err, "SlaTarget", None, field, 0)


@pytest.mark.parametrize("field", ["window_lateness", "travel_time", "distance", "overtime",
                                   "labour", "load_balance", "preference"])
def test_objective_weights_negative_weight(field):
    """A negative scalar objective weight names the weight."""
    err = _raises(fd.ValidationError, lambda: fd.ObjectiveWeights(**{field: -1.0}))
    assert_names(err, "ObjectiveWeights", None, field, -1.0)


def test_objective_weights_negative_priority_weight():
    """A negative per-priority weight names ``unassigned[P2]``."""
    weights = {"P1": 1.0, "P2": -3.0, "P3": 1.0, "P4": 1.0}
    err = _raises(fd.ValidationError, lambda: fd.ObjectiveWeights(unassigned=weights))
    assert_names(err, "ObjectiveWeights", None, "unassigned[P2]", -3.0)


def test_objective_weights_missing_priority():
    """Per-priority weights must cover every priority."""
    err = _raises(fd.ValidationError,
                  lambda: fd.ObjectiveWeights(sla_lateness={"P1": 1.0, "P2": 1.0, "P3": 1.0}))
    assert err.field == "sla_lateness[P4]"


@pytest.mark.parametrize("field, value", [
    ("time_limit", -1), ("time_limit", math.inf), ("max_iterations", -5), ("rel_gap", -0.1),
])
def test_limits_negative(field, value):
    """Limits(time_limit=-1) and other negative/infinite limits are ValidationErrors."""
    err = _raises(fd.ValidationError, lambda: fd.Limits(**{field: value}))
    assert_names(err, "Limits", None, field, value)


# --------------------------------------------------------------- positives
def test_timedelta_durations_convert_to_int_seconds():
    """timedelta durations become int seconds across the model (rounded to whole seconds)."""
    ticket = _ticket(duration=timedelta(minutes=90))
    assert ticket.duration == 5400 and type(ticket.duration) is int
    assert _ticket(duration=timedelta(seconds=59.6)).duration == 60
    assert type(_ticket(duration=1800.0).duration) is int
    brk = fd.Break(fd.TimeWindow(at(12), at(14)), timedelta(minutes=30))
    assert brk.duration == 1800 and type(brk.duration) is int
    tech = _tech(max_overtime=timedelta(minutes=45), recent_workload=timedelta(hours=3))
    assert (tech.max_overtime, tech.recent_workload) == (2700, 10800)
    assert type(tech.max_overtime) is int
    target = fd.SlaTarget(response=timedelta(hours=4), resolution=timedelta(hours=8))
    assert (target.response, target.resolution) == (4 * fd.HOUR, 8 * fd.HOUR)
    assert type(target.response) is int


def test_horizon_internal_time_is_seconds_from_start():
    """Horizon.to_internal gives int seconds from the start; to_datetime inverts it."""
    assert HORIZON.length == fd.DAY
    assert HORIZON.to_internal(at(8)) == 8 * fd.HOUR
    assert HORIZON.to_datetime(8 * fd.HOUR) == at(8)
    with pytest.raises(fd.ValidationError):
        HORIZON.to_internal(NAIVE)


POLICY = fd.SlaPolicy(
    targets={("P1", "gold"): fd.SlaTarget(response=fd.HOUR, resolution=2 * fd.HOUR),
             ("P1", "*"): fd.SlaTarget(response=4 * fd.HOUR, resolution=8 * fd.HOUR),
             (fd.Priority.P2, "gold"): fd.SlaTarget(response=12 * fd.HOUR)},
    default=fd.SlaTarget(response=48 * fd.HOUR, resolution=96 * fd.HOUR))


@pytest.mark.parametrize("priority, tier, response_h, resolve_h", [
    pytest.param(fd.Priority.P1, "gold", 1, 2, id="exact-tier"),
    pytest.param(fd.Priority.P1, "standard", 4, 8, id="star-fallback"),
    pytest.param(fd.Priority.P2, "gold", 12, None, id="exact-without-resolution"),
    pytest.param(fd.Priority.P2, "standard", 48, 96, id="default"),
    pytest.param(fd.Priority.P4, "gold", 48, 96, id="default-other-priority"),
])
def test_sla_policy_deadlines_from_created_at(priority, tier, response_h, resolve_h):
    """Deadlines are created_at + target; lookup is exact tier, then "*", then default."""
    created = at(9)
    response, resolve = POLICY.deadlines(created, priority, tier)
    assert response == created + timedelta(hours=response_h)
    assert resolve == (None if resolve_h is None else created + timedelta(hours=resolve_h))


def test_sla_policy_without_match_or_default_gives_no_deadlines():
    """Without a matching target and without a default, there are no deadlines."""
    policy = fd.SlaPolicy(targets={("P1", "*"): fd.SlaTarget(response=fd.HOUR)})
    assert policy.deadlines(at(9), fd.Priority.P3, "gold") == (None, None)
    assert policy.target_for(fd.Priority.P3, "gold") is None


def test_scenario_deadlines_prefer_explicit_ones():
    """Scenario.deadlines uses a ticket's explicit deadlines and fills the others from the
    policy; a ticket without created_at gets only its explicit deadlines."""
    explicit = _ticket("T1", priority="P1", customer_tier="gold", created_at=at(6),
                       response_by=at(7), resolve_by=at(20))
    half = _ticket("T2", priority="P1", customer_tier="gold", created_at=at(6),
                   response_by=at(10))
    policy_only = _ticket("T3", priority="P1", customer_tier="silver", created_at=at(6))
    no_created = _ticket("T4", priority="P1", customer_tier="gold", resolve_by=at(18))
    with pytest.warns(fd.FsdispatchWarning, match="resolve_by before their response_by"):
        scenario = _scenario([_tech("A")], [explicit, half, policy_only, no_created],
                             sla_policy=POLICY)
    assert scenario.deadlines(explicit) == (at(7), at(20))
    assert scenario.deadlines(half) == (at(10), at(8))  # resolution 2 h from the gold P1 target
    assert scenario.deadlines(policy_only) == (at(10), at(14))  # "*" fallback: 4 h / 8 h
    assert scenario.deadlines(no_created) == (None, at(18))
    without_policy = _scenario([_tech("A")], [policy_only])
    assert without_policy.deadlines(policy_only) == (None, None)


def test_compile_require_servable(tiny):
    """compile_scenario(require_servable=True) raises naming an unservable ticket and its
    reason; by default the ticket compiles and is marked unservable."""
    nobody = fd.Ticket("T4", fd.Location.planar(2, 2), 30 * fd.MINUTE,
                       required_skills={"solar": 1})
    scenario = tiny.replace(tickets=(*tiny.tickets, nobody))
    problem = fd.compile_scenario(scenario)
    assert problem.num_tickets == 4
    assert problem.unservable[3] != 0
    assert not problem.unservable[:3].any()
    with pytest.raises(fd.ValidationError) as info:
        fd.compile_scenario(scenario, require_servable=True)
    assert_names(info.value, "Ticket", "T4", "servable", "no_skill")


def test_compile_require_servable_passes_when_all_servable(tiny):
    """require_servable=True does not raise when every ticket has a capable shift."""
    problem = fd.compile_scenario(tiny, require_servable=True)
    assert problem.num_tickets == 3
