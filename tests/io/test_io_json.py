"""Scenario and plan JSON: lossless round trips, shipped schemas, errors naming the JSON path."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.io import schema_path


def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


SCENARIO_SCHEMA = _validator("scenario")
PLAN_SCHEMA = _validator("plan")


def _schema_errors(validator: jsonschema.protocols.Validator, data: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def _through_json(scenario: fd.Scenario) -> tuple[dict[str, Any], fd.Scenario]:
    """The dict parsed from the written JSON text and the scenario read back from it."""
    data = json.loads(fd.save_scenario(scenario))
    return data, fd.scenario_from_dict(data)


def _tz_matrix_scenario() -> fd.Scenario:
    """A hand-built scenario using every optional feature, a travel matrix and +01:00 times."""
    tz = timezone(timedelta(hours=1))
    day0 = DAY0.replace(tzinfo=tz)

    def t(hours: float, day: int = 0):
        return day0 + timedelta(days=day, hours=hours)

    ids = ["depot", "home-b", "c1", "c2", "c3"]
    durations = [[0, 600.4, 900, 1200, 300],
                 [600, 0, 450, 700, 800],
                 [900, 450, 0, 330.6, 610],
                 [1200, 700, 330, 0, 240],
                 [300, 800, 610, 240, 0]]
    distances = [[0.0, 8.25, 12.5, 16.0, 4.0],
                 [8.25, 0.0, 6.0, 9.5, 11.0],
                 [12.5, 6.0, 0.0, 4.5, 8.0],
                 [16.0, 9.5, 4.5, 0.0, 3.2],
                 [4.0, 11.0, 8.0, 3.2, 0.0]]
    travel = fd.MatrixTravel(ids, durations, distances=distances)
    depot = fd.Location.planar(0, 0, id="depot")
    home_b = fd.Location.planar(6.5, -2.25, id="home-b")
    lunch = fd.Break(fd.TimeWindow(t(12), t(14)), 30 * fd.MINUTE)
    techs = [
        fd.Technician("A", depot, [fd.Shift(t(8), t(17), breaks=[lunch]),
                                   fd.Shift(t(8, 1), t(12, 1), end_location=home_b)],
                      skills={"hvac": 2, "gas": 1}, service_factor=0.85,
                      skill_factors={"gas": 1.2}, max_tickets_per_day=6,
                      max_overtime=timedelta(minutes=20), cost_per_hour=55.5,
                      van_stock={"P1": 3, "P2": 0}, capacity=10, recent_workload=7 * fd.HOUR),
        fd.Technician("B", home_b, [fd.Shift(t(7.5), t(16, 0), start_location=depot)],
                      end_location=depot, skills={"plumbing": 3}),
        fd.Technician("C", depot),  # no shift: not dispatchable, still round-trips
    ]
    tickets = [
        fd.Ticket("T1", fd.Location.planar(3, 4, id="c1"), timedelta(minutes=45),
                  category="install", required_skills={"hvac": 2},
                  windows=[fd.TimeWindow(t(9), t(11)), fd.TimeWindow(t(9, 1), t(11, 1))],
                  window_kind="soft", lateness_cost=2.5, priority="P1", customer_id="cust-7",
                  customer_tier="gold", created_at=t(-3.25), parts={"P1": 2}, demand=3,
                  preferred_technicians=["A"], excluded_technicians=["B"]),
        fd.Ticket("T2", fd.Location.planar(-1.5, 2, id="c2"), 1800, priority=4,
                  created_at=t(-30), response_by=t(15), resolve_by=t(18, 1)),
        fd.Ticket("T3", fd.Location.planar(0.1, 0.2, id="c3"), 600,
                  required_skills={"plumbing": 1}, customer_tier="platinum"),
    ]
    policy = fd.SlaPolicy(
        targets={("P1", "gold"): fd.SlaTarget(response=fd.HOUR, resolution=4 * fd.HOUR),
                 ("P2", "*"): fd.SlaTarget(response=None, resolution=48 * fd.HOUR)},
        default=fd.SlaTarget(response=72 * fd.HOUR))
    weights = fd.ObjectiveWeights(
        unassigned={"P1": 5000, "P2": 4000.5, "P3": 300, "P4": 20},
        sla_lateness={"P1": 9, "P2": 7, "P3": 5, "P4": 0.25},
        window_lateness=3.5, travel_time=1.25, distance=0.5, overtime=4, labour=1,
        load_balance=0.75, preference=12)
    return fd.Scenario(fd.Horizon(t(0), t(0, 2)), techs, tickets, travel=travel,
                       parts=[fd.Part("P1", "filter", 12.5), fd.Part("P2")],
                       skills=["hvac", "gas", "plumbing"], sla_policy=policy,
                       objective=weights, name="hand-built matrix")


# --------------------------------------------------------------- round trips
@pytest.mark.parametrize("fixture", ["tiny", "city", "two_days"])
def test_fixture_scenarios_round_trip_losslessly(fixture, request):
    """scenario_from_dict(scenario_to_dict(s)) == s for the named fixtures, also through
    the JSON text, and writing the read-back scenario gives the same dict."""
    scenario = request.getfixturevalue(fixture)
    data = fd.scenario_to_dict(scenario)
    assert fd.scenario_from_dict(data) == scenario
    text_data, back = _through_json(scenario)
    assert back == scenario
    assert text_data == data
    assert fd.scenario_to_dict(back) == data


@pytest.mark.parametrize("fixture", ["tiny", "city", "two_days"])
def test_fixture_scenarios_validate_against_schema(fixture, request):
    """The JSON written for each fixture validates against the shipped scenario schema."""
    data, _ = _through_json(request.getfixturevalue(fixture))
    assert data["format"] == "fsdispatch.scenario" and data["version"] == 1
    assert _schema_errors(SCENARIO_SCHEMA, data) == []


@given(num_technicians=st.integers(0, 6), num_tickets=st.integers(0, 25),
       seed=st.integers(0, 2**32 - 1), days=st.integers(1, 2))
def test_generated_scenarios_round_trip_and_validate(num_technicians, num_tickets, seed, days):
    """Every small generated scenario round-trips losslessly and its JSON fits the schema."""
    scenario = fd.generate_scenario(num_technicians, num_tickets, seed, days=days)
    data, back = _through_json(scenario)
    assert back == scenario
    assert _schema_errors(SCENARIO_SCHEMA, data) == []


def test_matrix_scenario_round_trips_losslessly():
    """A hand-built MatrixTravel scenario with every optional field round-trips; the matrix
    stays integer seconds with its distances, and the +01:00 offset is kept."""
    scenario = _tz_matrix_scenario()
    data, back = _through_json(scenario)
    assert back == scenario
    assert fd.scenario_from_dict(fd.scenario_to_dict(scenario)) == scenario
    assert isinstance(back.travel, fd.MatrixTravel)
    assert back.travel.durations.tolist() == scenario.travel.durations.tolist()
    assert back.travel.durations[0][1] == 600 and back.travel.durations[2][3] == 331
    assert back.travel.distances.tolist() == scenario.travel.distances.tolist()
    assert back.horizon.start.utcoffset() == timedelta(hours=1)
    assert back.tickets[0].created_at.utcoffset() == timedelta(hours=1)
    assert back.sla_policy == scenario.sla_policy
    assert back.objective == scenario.objective
    assert data["travel"]["model"] == "matrix"
    assert _schema_errors(SCENARIO_SCHEMA, data) == []


def test_matrix_travel_equality_sees_matrix_changes():
    """The round-trip equality is meaningful: a changed matrix cell makes scenarios differ."""
    scenario = _tz_matrix_scenario()
    data = fd.scenario_to_dict(scenario)
    data["travel"]["durations"][0][1] = 601
    assert fd.scenario_from_dict(data) != scenario
    data = fd.scenario_to_dict(scenario)
    data["travel"]["distances"] = None
    assert fd.scenario_from_dict(data) != scenario


def test_schema_rejects_what_the_reader_rejects():
    """The schema check is not vacuous: a naive datetime (format checker) and a negative
    duration both fail schema validation."""
    data = fd.scenario_to_dict(fd.generate_scenario(2, 5, seed=3))
    naive = copy.deepcopy(data)
    naive["horizon"]["start"] = "2026-01-05T00:00:00"
    assert _schema_errors(SCENARIO_SCHEMA, naive)
    negative = copy.deepcopy(data)
    negative["tickets"][3]["duration"] = -300
    assert any("tickets[3]" in e for e in _schema_errors(SCENARIO_SCHEMA, negative))


def test_save_and_load_scenario_through_a_file(tmp_path, two_days):
    """save_scenario writes JSON to a file that load_scenario reads back equal."""
    path = tmp_path / "scenario.json"
    text = fd.save_scenario(two_days, path)
    assert path.read_text(encoding="utf-8") == text + "\n"
    assert fd.load_scenario(path) == two_days
    assert fd.load_scenario(str(path)) == two_days


# ------------------------------------------------------------ reading errors
def _mutated(data: dict[str, Any], change) -> dict[str, Any]:
    out = copy.deepcopy(data)
    change(out)
    return out


@pytest.mark.parametrize("change, path, needle, value", [
    pytest.param(lambda d: d["tickets"][3].__setitem__("duration", -300),
                 "$.tickets[3]", "duration", -300, id="negative-duration"),
    pytest.param(lambda d: d["tickets"][3].pop("location"),
                 "$.tickets[3].location", "required field is missing", None,
                 id="missing-required"),
    pytest.param(lambda d: d.pop("technicians"),
                 "$.technicians", "required field is missing", None, id="missing-top-level"),
    pytest.param(lambda d: d["tickets"][3].__setitem__("duration", "sixty"),
                 "$.tickets[3].duration", "expected an integer", "sixty", id="wrong-type"),
    pytest.param(lambda d: d.__setitem__("tickets", {"T1": {}}),
                 "$.tickets", "expected an array", "dict", id="wrong-container"),
    pytest.param(lambda d: d["technicians"][1]["shifts"][0].__setitem__("start", 8),
                 "$.technicians[1].shifts[0].start", "datetime", 8, id="wrong-type-nested"),
    pytest.param(lambda d: d["tickets"][3].__setitem__("colour", "red"),
                 "$.tickets[3].colour", "unknown field", "colour", id="unknown-field"),
    pytest.param(lambda d: d.__setitem__("extra", 1),
                 "$.extra", "unknown field", "extra", id="unknown-top-level-field"),
    pytest.param(lambda d: d["tickets"][3].__setitem__("priority", "P9"),
                 "$.tickets[3].priority", "P1", "P9", id="bad-priority"),
    pytest.param(lambda d: d["tickets"][3].__setitem__("created_at", "2026-01-04T10:00:00"),
                 "$.tickets[3].created_at", "UTC offset", "2026-01-04T10:00:00",
                 id="naive-datetime"),
    pytest.param(lambda d: d["horizon"].__setitem__("start", "2026-01-05T00:00:00"),
                 "$.horizon.start", "UTC offset", "2026-01-05T00:00:00",
                 id="naive-horizon"),
    pytest.param(lambda d: d["tickets"][3].__setitem__("created_at", "yesterday"),
                 "$.tickets[3].created_at", "ISO 8601", "yesterday", id="unparsable-datetime"),
    pytest.param(lambda d: d.__setitem__("format", "fsdispatch.plan"),
                 "$.format", "fsdispatch.scenario", "fsdispatch.plan", id="wrong-format"),
    pytest.param(lambda d: d.__setitem__("version", 2),
                 "$.version", "version 1", 2, id="wrong-version"),
    pytest.param(lambda d: d["tickets"][2]["location"].__setitem__("lat", 123.0),
                 "$.tickets[2].location", "latitude", 123.0, id="latitude-out-of-range"),
    pytest.param(lambda d: d["technicians"][1]["shifts"][0]["breaks"][0].__setitem__(
                     "duration", 99999),
                 "$.technicians[1].shifts[0].breaks[0]", "duration", 99999,
                 id="break-too-long"),
])
def test_reading_errors_name_the_json_path(city, change, path, needle, value):
    """Bad scenario JSON raises ValidationError whose message and field name the JSON path."""
    data = _mutated(fd.scenario_to_dict(city), change)
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(data)
    err = info.value
    assert err.message.startswith(path), err.message
    assert err.field.startswith(path), err.field
    assert needle in err.message, err.message
    assert err.value == value


def test_domain_error_in_json_keeps_entity_and_id(city):
    """A domain error raised while reading keeps the entity, id, field and value, and
    prefixes the JSON path (duration -300 of the ticket at index 3)."""
    data = _mutated(fd.scenario_to_dict(city), lambda d: d["tickets"][3].__setitem__(
        "duration", -300))
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(data)
    err = info.value
    ticket_id = city.tickets[3].id
    assert (err.entity, err.entity_id, err.field, err.value) == (
        "Ticket", ticket_id, "$.tickets[3].duration", -300)
    assert err.message.startswith("$.tickets[3]: ")
    assert repr(ticket_id) in err.message and "-300" in err.message


def test_cross_reference_errors_in_json_name_paths(city):
    """Cross-reference issues found by Scenario are reported with their JSON paths, all at
    once, keeping UnknownReferenceError for the dangling reference."""
    def change(d):
        d["tickets"][4]["preferred_technicians"] = ["nobody"]
        d["tickets"][5]["id"] = d["tickets"][0]["id"]

    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(_mutated(fd.scenario_to_dict(city), change))
    issues = {i.field: i for i in info.value.issues}
    assert set(issues) == {"$.tickets[5].id", "$.tickets[4].preferred_technicians"}
    dangling = issues["$.tickets[4].preferred_technicians"]
    assert isinstance(dangling, fd.UnknownReferenceError)
    assert dangling.value == "nobody" and dangling.entity_id == city.tickets[4].id
    assert "$.tickets[4].preferred_technicians" in info.value.message
    assert "$.tickets[5].id" in info.value.message


def test_scenario_from_dict_rejects_non_object():
    """A JSON array at the top level is a ValidationError at ``$``."""
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict([1, 2])
    assert info.value.field == "$"
    assert "expected an object" in info.value.message


def test_load_scenario_invalid_json_names_file_and_line(tmp_path):
    """load_scenario on malformed JSON raises ValidationError naming the file and line."""
    path = tmp_path / "broken.json"
    path.write_text('{\n "format": "fsdispatch.scenario",\n "version": 1,\n "tickets": [,]\n}\n',
                    encoding="utf-8")
    with pytest.raises(fd.ValidationError) as info:
        fd.load_scenario(path)
    assert str(path) in info.value.message
    assert "line 4" in info.value.message


def test_load_scenario_missing_file(tmp_path):
    """A missing file is a ValidationError naming the path, not a bare OSError."""
    path = tmp_path / "nope.json"
    with pytest.raises(fd.ValidationError) as info:
        fd.load_scenario(path)
    assert str(path) in info.value.message


def test_load_scenario_error_names_file_and_json_path(tmp_path, city):
    """A bad value in a scenario file is reported with the file name and the JSON path."""
    data = _mutated(fd.scenario_to_dict(city), lambda d: d["tickets"][3].__setitem__(
        "duration", -300))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(fd.ValidationError) as info:
        fd.load_scenario(path)
    assert info.value.message.startswith(str(path))
    assert "$.tickets[3]" in info.value.message
    assert info.value.entity_id == city.tickets[3].id


# --------------------------------------------------------------------- plans
@pytest.fixture
def solved_city(city):
    """The city fixture compiled and solved by greedy (some tickets stay unassigned)."""
    problem = fd.compile_scenario(city)
    result = fd.solve(problem, "greedy")
    assert result.plan.unassigned, "the city fixture should leave tickets unassigned"
    return problem, result


def test_plan_round_trip_keeps_decisions_and_reasons(solved_city):
    """plan_from_dict(plan_to_dict(...)) gives the same routes, unassigned tickets and reasons,
    with and without the informational evaluation, through the JSON text."""
    problem, result = solved_city
    for evaluation in (None, result.evaluation):
        text = fd.save_plan(problem, result.plan, evaluation=evaluation, solver="greedy")
        back = fd.plan_from_dict(problem, json.loads(text))
        assert back.routes == result.plan.routes
        assert back.unassigned == result.plan.unassigned
        assert back.unknown_ids == ()
        assert back == result.plan
    reasons = {r.value for r in result.plan.unassigned.values()}
    data = fd.plan_to_dict(problem, result.plan)
    assert {u["reason"] for u in data["unassigned"]} == reasons
    assert fd.evaluate(problem, back).objective == pytest.approx(result.evaluation.objective)


def test_plan_json_validates_against_schema(solved_city):
    """Plan JSON, with and without evaluation details, validates against the plan schema."""
    problem, result = solved_city
    bare = fd.plan_to_dict(problem, result.plan)
    full = json.loads(fd.save_plan(problem, result.plan, evaluation=result.evaluation,
                                   solver="greedy"))
    assert "visits" in full["routes"][0] and "kpis" in full
    assert _schema_errors(PLAN_SCHEMA, bare) == []
    assert _schema_errors(PLAN_SCHEMA, full) == []
    broken = copy.deepcopy(bare)
    broken["unassigned"][0]["reason"] = "bored"
    assert _schema_errors(PLAN_SCHEMA, broken)


def test_save_and_load_plan_through_a_file(tmp_path, solved_city):
    """save_plan / load_plan round-trip the plan decisions through a file."""
    problem, result = solved_city
    path = tmp_path / "plan.json"
    fd.save_plan(problem, result.plan, path, evaluation=result.evaluation)
    assert fd.load_plan(problem, path) == result.plan


def _with_unknown_route_ticket(problem: fd.Problem, plan: fd.Plan) -> dict[str, Any]:
    data = fd.plan_to_dict(problem, plan)
    data["routes"][0]["tickets"].append("T-GHOST")
    return data


def test_plan_unknown_ticket_kept_and_reported(solved_city):
    """With strict=False an unknown ticket id is kept in plan.unknown_ids and evaluate
    reports an ``unknown_id`` violation for it."""
    problem, result = solved_city
    data = _with_unknown_route_ticket(problem, result.plan)
    plan = fd.plan_from_dict(problem, data)
    assert plan.unknown_ids == ("T-GHOST",)
    assert plan.routes == result.plan.routes
    evaluation = fd.evaluate(problem, plan)
    assert not evaluation.is_feasible
    unknown = [v for v in evaluation.violations if v.kind == "unknown_id"]
    assert [v.value for v in unknown] == ["T-GHOST"]
    assert "T-GHOST" in unknown[0].message


def test_plan_unknown_unassigned_ticket_kept_and_reported(solved_city):
    """An unknown id in ``unassigned`` is kept and reported the same way (strict=False)."""
    problem, result = solved_city
    data = fd.plan_to_dict(problem, result.plan)
    data["unassigned"].append({"ticket_id": "T-GHOST", "reason": "open"})
    plan = fd.plan_from_dict(problem, data, strict=False)
    assert plan.unknown_ids == ("T-GHOST",)
    kinds = [v.kind for v in fd.evaluate(problem, plan).violations]
    assert kinds == ["unknown_id"]


def test_plan_unknown_ticket_strict_raises_unknown_reference(solved_city):
    """With strict=True an unknown ticket id in a route raises UnknownReferenceError
    naming the JSON path of the id."""
    problem, result = solved_city
    data = _with_unknown_route_ticket(problem, result.plan)
    pos = len(data["routes"][0]["tickets"]) - 1
    with pytest.raises(fd.UnknownReferenceError) as info:
        fd.plan_from_dict(problem, data, strict=True)
    assert f"$.routes[0].tickets[{pos}]" in info.value.message
    assert info.value.value == "T-GHOST"


def test_plan_unknown_unassigned_ticket_strict_raises_unknown_reference(solved_city):
    """With strict=True an unknown ticket id in ``unassigned`` raises UnknownReferenceError
    naming ``$.unassigned``."""
    problem, result = solved_city
    data = fd.plan_to_dict(problem, result.plan)
    data["unassigned"].append({"ticket_id": "T-GHOST", "reason": "open"})
    with pytest.raises(fd.UnknownReferenceError) as info:
        fd.plan_from_dict(problem, data, strict=True)
    assert "$.unassigned" in info.value.message
    assert info.value.value == "T-GHOST"


def test_plan_unknown_technician(solved_city):
    """An unknown technician is kept as ``id#shift`` (strict=False) or raises
    UnknownReferenceError naming the route's JSON path (strict=True)."""
    problem, result = solved_city
    data = fd.plan_to_dict(problem, result.plan)
    data["routes"][1]["technician_id"] = "ghost"
    plan = fd.plan_from_dict(problem, data)
    assert plan.unknown_ids == ("ghost#0",)
    assert any(v.kind == "unknown_id" for v in fd.evaluate(problem, plan).violations)
    with pytest.raises(fd.UnknownReferenceError) as info:
        fd.plan_from_dict(problem, data, strict=True)
    assert "$.routes[1]" in info.value.message
    assert info.value.entity_id == "ghost"


@pytest.mark.parametrize("change, path, needle", [
    pytest.param(lambda d: d.__setitem__("format", "fsdispatch.scenario"), "$.format",
                 "fsdispatch.plan", id="wrong-format"),
    pytest.param(lambda d: d.__setitem__("version", 3), "$.version", "version 1",
                 id="wrong-version"),
    pytest.param(lambda d: d.pop("routes"), "$.routes", "required field is missing",
                 id="missing-routes"),
    pytest.param(lambda d: d["routes"][0].pop("tickets"), "$.routes[0].tickets",
                 "required field is missing", id="missing-tickets"),
    pytest.param(lambda d: d["routes"][0].__setitem__("shift", "first"), "$.routes[0].shift",
                 "expected an integer", id="wrong-type"),
    pytest.param(lambda d: d["unassigned"][0].__setitem__("reason", "bored"),
                 "$.unassigned[0].reason", "no_skill", id="bad-reason"),
    pytest.param(lambda d: d["routes"][0].__setitem__("driver", "x"), "$.routes[0].driver",
                 "unknown field", id="unknown-field"),
])
def test_plan_reading_errors_name_the_json_path(solved_city, change, path, needle):
    """Malformed plan JSON always raises ValidationError naming the JSON path (even when
    strict=False)."""
    problem, result = solved_city
    data = _mutated(fd.plan_to_dict(problem, result.plan), change)
    with pytest.raises(fd.ValidationError) as info:
        fd.plan_from_dict(problem, data, strict=False)
    assert info.value.message.startswith(path), info.value.message
    assert needle in info.value.message


def test_plan_json_refers_to_ids_not_indices(tiny):
    """Plan JSON names technicians and tickets by id and the scenario by name."""
    problem = fd.compile_scenario(tiny)
    result = fd.solve(problem, "greedy")
    data = fd.plan_to_dict(problem, result.plan, evaluation=result.evaluation)
    assert data["scenario"] == "tiny"
    routed = sorted(t for r in data["routes"] for t in r["tickets"])
    assert routed == ["T1", "T2", "T3"]
    assert {r["technician_id"] for r in data["routes"]} <= {"A", "B"}
    starts = [datetime.fromisoformat(v["start"]) for r in data["routes"] for v in r["visits"]]
    assert len(starts) == 3
    assert all(at(8) <= start <= at(17) for start in starts)
