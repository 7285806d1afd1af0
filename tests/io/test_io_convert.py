"""Scenario JSON through the cattrs converter: field lists come from the attrs classes.

Issue #16 ("one rule source"): ``fsdispatch.io._convert`` reads and writes each
domain class from :func:`attrs.fields`. These tests pin down that

* the JSON of format version 1 is unchanged, byte for byte (golden documents
  written by fsdispatch before the converter, and the bundled example files);
* every scenario round-trips (the examples, hypothesis-generated days);
* the keys written and read, and which of them are required, are the attrs fields
  (a field added to a class is read and written with no change to the converter);
* the shipped JSON Schema names the same properties, required keys and JSON types
  as the attrs classes, so the schema cannot drift from the model;
* bad data still raises :class:`~fsdispatch.errors.ValidationError` naming the JSON
  path, and a bug in a hook is not disguised as bad data.
"""

from __future__ import annotations

import copy
import hashlib
import json
import types
import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.domain import Priority, TravelModel
from fsdispatch.io import _convert, schema_path
from fsdispatch.io._convert import (
    HEADER_KEYS,
    LEADING_KEYS,
    NULL_MEANS_DEFAULT,
    SLA_KEYS,
    TRAVEL_MODELS,
    WRITTEN_WHEN_SET,
    make_converter,
)
from fsdispatch.testing.strategies import scenarios, stress_scenarios

ROOT = Path(__file__).resolve().parents[2]


def _is_scenario_file(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == "fsdispatch.scenario"


SCENARIO_FILES = sorted(p for pattern in ("examples/*.json", "tests/data/**/*.json")
                        for p in ROOT.glob(pattern) if _is_scenario_file(p))

# sha256 of save_scenario(load_scenario(file)) written by fsdispatch before the converter
OLD_OUTPUT_SHA256 = {
    "metro_day.json": "91792930c73b195fc27821c2b79cb149f0953488bc34dd9d98e16e2399d4d817",
    "parts_day.json": "a3a12264219b1e6da040852bc224588a510c7c04ae92d9cdca2f15a0b26e2978",
}


# ------------------------------------------------------------------ golden data
def every_field() -> fd.Scenario:
    """A small geographic scenario that sets every field the JSON format has."""
    day = datetime(2026, 6, 1, tzinfo=timezone(timedelta(hours=2)))

    def t(hours: float) -> datetime:
        return day + timedelta(hours=hours)

    home = fd.Location.geo(48.85, 2.35)
    shop = fd.Location.geo(48.8, 2.3, id="shop")
    tech = fd.Technician(
        "A", home, [fd.Shift(t(8), t(17), start_location=shop, end_location=home,
                             breaks=[fd.Break(fd.TimeWindow(t(12), t(13.5)), 1800)])],
        end_location=shop, skills={"hvac": 3}, service_factor=0.9,
        skill_factors={"hvac": 1.1}, max_tickets_per_day=5, max_overtime=900,
        cost_per_hour=40, van_stock={"F1": 2}, capacity=8, recent_workload=3600)
    ticket = fd.Ticket(
        "T1", fd.Location.geo(48.86, 2.36), 2700, category="install",
        required_skills={"hvac": 2}, windows=[fd.TimeWindow(t(9), t(11))],
        window_kind="soft", lateness_cost=1.5, priority="P2", customer_id="c1",
        customer_tier="gold", created_at=t(-2), response_by=t(10), resolve_by=t(16),
        preferred_technicians=["A"], parts={"F1": 1}, demand=2, probable_parts={"V2": 0.25})
    plain = fd.Ticket("T2", fd.Location.geo(48.84, 2.34), 600, excluded_technicians=["A"])
    depot = fd.Depot("D1", shop, stock={"F1": 4, "V2": 1},
                     opening_hours=[fd.TimeWindow(t(7), t(18))], pickup_time=300)
    policy = fd.SlaPolicy({("P2", "gold"): fd.SlaTarget(3600, 7200),
                           ("P1", "*"): fd.SlaTarget(resolution=1800)},
                          default=fd.SlaTarget(response=86400))
    weights = fd.ObjectiveWeights(unassigned={"P1": 9, "P2": 8, "P3": 7, "P4": 6.5},
                                  window_lateness=2, distance=0.5, labour=1)
    return fd.Scenario(fd.Horizon(t(0), t(24)), [tech], [ticket, plain],
                       travel=fd.GeometricTravel(speed_kmh=35, detour=1.2, rounding="ceil"),
                       parts=[fd.Part("F1", "filter", 9.5), fd.Part("V2")],
                       skills=["hvac"], sla_policy=policy, objective=weights, name="every field",
                       depots=[depot], category_parts={"install": {"F1": 0.5}})


def matrix_minimal() -> fd.Scenario:
    """A planar scenario with a travel matrix and nothing optional set."""
    day = datetime(2026, 6, 1, tzinfo=UTC)
    travel = fd.MatrixTravel(["a", "b"], [[0, 120], [130, 0]])
    return fd.Scenario(fd.Horizon(day, day + timedelta(days=1)),
                       [fd.Technician("A", fd.Location.planar(0, 0, id="a"))],
                       [fd.Ticket("T1", fd.Location.planar(1, 2, id="b"), 60)], travel=travel)


_DEFAULT_TICKET = {
    "category": "repair", "required_skills": {}, "windows": [], "window_kind": "hard",
    "lateness_cost": 1.0, "priority": "P3", "customer_id": None, "customer_tier": "standard",
    "created_at": None, "response_by": None, "resolve_by": None, "preferred_technicians": [],
    "excluded_technicians": [], "parts": {}, "demand": 0, "probable_parts": {}}
_DEFAULT_SLA = {"P1": 40.0, "P2": 20.0, "P3": 10.0, "P4": 5.0}

# written by fsdispatch 0.1.0 before the converter (json.dumps of these = the old text)
EVERY_FIELD_JSON = {
    "format": "fsdispatch.scenario", "version": 1, "name": "every field",
    "horizon": {"start": "2026-06-01T00:00:00+02:00", "end": "2026-06-02T00:00:00+02:00"},
    "travel": {"model": "geometric", "speed_kmh": 35, "detour": 1.2, "rounding": "ceil"},
    "skills": ["hvac"],
    "parts": [{"sku": "F1", "name": "filter", "unit_cost": 9.5},
              {"sku": "V2", "name": "", "unit_cost": 0.0}],
    "depots": [{"id": "D1", "location": {"lat": 48.8, "lon": 2.3, "id": "shop"},
                "stock": {"F1": 4, "V2": 1},
                "opening_hours": [{"start": "2026-06-01T07:00:00+02:00",
                                   "end": "2026-06-01T18:00:00+02:00"}],
                "pickup_time": 300}],
    "category_parts": {"install": {"F1": 0.5}},
    "sla_policy": {
        "targets": [{"priority": "P2", "tier": "gold", "response": 3600, "resolution": 7200},
                    {"priority": "P1", "tier": "*", "response": None, "resolution": 1800}],
        "default": {"response": 86400, "resolution": None}},
    "objective": {"unassigned": {"P1": 9, "P2": 8, "P3": 7, "P4": 6.5},
                  "sla_lateness": _DEFAULT_SLA, "window_lateness": 2, "travel_time": 1.0,
                  "distance": 0.5, "overtime": 2.0, "labour": 1, "load_balance": 0.0,
                  "preference": 0.0},
    "technicians": [{
        "id": "A", "start_location": {"lat": 48.85, "lon": 2.35},
        "end_location": {"lat": 48.8, "lon": 2.3, "id": "shop"},
        "shifts": [{"start": "2026-06-01T08:00:00+02:00", "end": "2026-06-01T17:00:00+02:00",
                    "start_location": {"lat": 48.8, "lon": 2.3, "id": "shop"},
                    "end_location": {"lat": 48.85, "lon": 2.35},
                    "breaks": [{"start": "2026-06-01T12:00:00+02:00",
                                "end": "2026-06-01T13:30:00+02:00", "duration": 1800}]}],
        "skills": {"hvac": 3}, "service_factor": 0.9, "skill_factors": {"hvac": 1.1},
        "max_tickets_per_day": 5, "max_overtime": 900, "cost_per_hour": 40,
        "van_stock": {"F1": 2}, "capacity": 8, "recent_workload": 3600}],
    "tickets": [
        {"id": "T1", "location": {"lat": 48.86, "lon": 2.36}, "duration": 2700,
         "category": "install", "required_skills": {"hvac": 2},
         "windows": [{"start": "2026-06-01T09:00:00+02:00",
                      "end": "2026-06-01T11:00:00+02:00"}],
         "window_kind": "soft", "lateness_cost": 1.5, "priority": "P2", "customer_id": "c1",
         "customer_tier": "gold", "created_at": "2026-05-31T22:00:00+02:00",
         "response_by": "2026-06-01T10:00:00+02:00", "resolve_by": "2026-06-01T16:00:00+02:00",
         "preferred_technicians": ["A"], "excluded_technicians": [], "parts": {"F1": 1},
         "demand": 2, "probable_parts": {"V2": 0.25}},
        {"id": "T2", "location": {"lat": 48.84, "lon": 2.34}, "duration": 600,
         **_DEFAULT_TICKET, "excluded_technicians": ["A"]}],
}

MATRIX_MINIMAL_JSON = {
    "format": "fsdispatch.scenario", "version": 1, "name": "",
    "horizon": {"start": "2026-06-01T00:00:00+00:00", "end": "2026-06-02T00:00:00+00:00"},
    "travel": {"model": "matrix", "location_ids": ["a", "b"],
               "durations": [[0, 120], [130, 0]], "distances": None},
    "skills": [], "parts": [], "depots": [], "category_parts": {}, "sla_policy": None,
    "objective": {"unassigned": {"P1": 100000.0, "P2": 30000.0, "P3": 10000.0, "P4": 3000.0},
                  "sla_lateness": _DEFAULT_SLA, "window_lateness": 10.0, "travel_time": 1.0,
                  "distance": 0.0, "overtime": 2.0, "labour": 0.0, "load_balance": 0.0,
                  "preference": 0.0},
    "technicians": [{"id": "A", "start_location": {"x": 0, "y": 0, "id": "a"},
                     "end_location": None, "shifts": [], "skills": {}, "service_factor": 1.0,
                     "skill_factors": {}, "max_tickets_per_day": None, "max_overtime": 0,
                     "cost_per_hour": 0.0, "van_stock": {}, "capacity": None,
                     "recent_workload": 0}],
    "tickets": [{"id": "T1", "location": {"x": 1, "y": 2, "id": "b"}, "duration": 60,
                 **_DEFAULT_TICKET}],
}

GOLDEN = [pytest.param(every_field, EVERY_FIELD_JSON, id="every-field"),
          pytest.param(matrix_minimal, MATRIX_MINIMAL_JSON, id="matrix-minimal")]


@pytest.mark.parametrize("build, golden", GOLDEN)
def test_written_json_is_the_old_format_byte_for_byte(build, golden):
    """The JSON text written today equals, byte for byte (key order, ints vs floats,
    nulls and defaults written), the text fsdispatch wrote before the converter."""
    scenario = build()
    assert fd.save_scenario(scenario, indent=None) == json.dumps(golden, ensure_ascii=False)
    assert fd.save_scenario(scenario) == json.dumps(golden, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("build, golden", GOLDEN)
def test_golden_json_reads_back_to_the_scenario(build, golden):
    """Reading the golden JSON gives the scenario it was written from."""
    assert fd.scenario_from_dict(copy.deepcopy(golden)) == build()


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_example_files_round_trip(path):
    """Every bundled scenario file round-trips: read, written, read again gives the same
    scenario and the same JSON; what the file gives is written unchanged (the keys it
    omits are written at their defaults), and the text is the one written before the
    converter."""
    scenario = fd.load_scenario(path)
    data = fd.scenario_to_dict(scenario)
    back = fd.scenario_from_dict(json.loads(json.dumps(data)))
    assert back == scenario
    assert fd.scenario_to_dict(back) == data
    given_data = json.loads(path.read_text(encoding="utf-8"))
    assert _without_extra_keys(data, given_data) == given_data
    text = fd.save_scenario(scenario)
    if path.name in OLD_OUTPUT_SHA256:
        assert hashlib.sha256(text.encode()).hexdigest() == OLD_OUTPUT_SHA256[path.name]


def test_parts_day_file_is_exactly_what_save_scenario_writes():
    """examples/parts_day.json was written by save_scenario; it still is, byte for byte."""
    path = ROOT / "examples" / "parts_day.json"
    assert fd.save_scenario(fd.load_scenario(path)) + "\n" == path.read_text(encoding="utf-8")


def _without_extra_keys(written: Any, given_data: Any) -> Any:
    """``written`` restricted to the keys ``given_data`` has (recursively)."""
    if isinstance(written, dict) and isinstance(given_data, dict):
        return {k: _without_extra_keys(written[k], given_data[k]) for k in given_data
                if k in written}
    if isinstance(written, list) and isinstance(given_data, list):
        return [_without_extra_keys(w, g) for w, g in zip(written, given_data, strict=False)]
    return written


# ------------------------------------------------------------------ round trips
_WEIGHT = st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False))


@st.composite
def _targets(draw: st.DrawFn) -> fd.SlaTarget:
    response = draw(st.none() | st.integers(1, 10**6))
    resolution = draw(st.none() | st.integers(0, 10**6).map(lambda d: (response or 1) + d))
    return fd.SlaTarget(response, resolution)


@st.composite
def dressed_scenarios(draw: st.DrawFn) -> fd.Scenario:
    """Generated days with drawn objective weights, SLA policy, travel settings and name."""
    scenario = draw(st.one_of(scenarios(depots=True, max_breaks=2, long_jobs=True),
                              stress_scenarios()))
    by_priority = st.fixed_dictionaries({p.name: _WEIGHT for p in Priority})
    weights = fd.ObjectiveWeights(
        unassigned=draw(by_priority), sla_lateness=draw(by_priority),
        **{name: draw(_WEIGHT) for name in ("window_lateness", "travel_time", "distance",
                                            "overtime", "labour", "load_balance",
                                            "preference")})
    keys = st.tuples(st.sampled_from(list(Priority)), st.sampled_from(["*", "gold", "std"]))
    policy = draw(st.none() | st.builds(fd.SlaPolicy, st.dictionaries(keys, _targets(),
                                                                      max_size=4),
                                        st.none() | _targets()))
    travel = fd.GeometricTravel(speed_kmh=draw(st.floats(1, 1000)),
                                detour=draw(st.floats(1, 5)),
                                rounding=draw(st.sampled_from(["round", "ceil", "floor"])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fd.FsdispatchWarning)
        return scenario.replace(objective=weights, sla_policy=policy, travel=travel,
                                name=draw(st.text(max_size=12)))


@given(scenario=dressed_scenarios())
def test_generated_scenarios_round_trip(scenario):
    """Any generated scenario (every kind of day, with drawn weights, SLA policy and travel
    settings) reads back equal from its JSON text, which it writes again unchanged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fd.FsdispatchWarning)
        text = fd.save_scenario(scenario)
        back = fd.scenario_from_dict(json.loads(text))
    assert back == scenario
    assert fd.save_scenario(back) == text


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                               max_size=3),
    max_leaves=5)


def _json_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _json_paths(value, (*path, key))
    elif isinstance(node, list):
        for k, value in enumerate(node[:2]):
            yield from _json_paths(value, (*path, k))


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@given(scenario=scenarios(depots=True), data=st.data())
def test_any_json_value_anywhere_reads_or_names_its_path(scenario, data):
    """Any JSON value put anywhere in a scenario's JSON is read, or rejected with a
    ValidationError whose field is a JSON path: never a TypeError, KeyError or cattrs
    error group."""
    doc = fd.scenario_to_dict(scenario)
    path = data.draw(st.sampled_from(list(_json_paths(doc))))
    mutated = _replaced(doc, path, data.draw(_JSON_VALUES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fd.FsdispatchWarning)
        try:
            fd.scenario_from_dict(mutated)
        except fd.ValidationError as err:
            assert err.field is not None and err.field.startswith("$"), err


# ------------------------------------------------- field lists from attrs.fields
def json_keys(cl: type) -> list[str]:
    """The keys of ``cl``'s JSON object, from attrs.fields and the documented exceptions."""
    names = [a.name for a in attrs.fields(cl)]
    if cl is fd.Location:  # geographic is spelled by lat/lon instead of x/y
        return ["lat", "lon", "x", "y", "id"]
    if cl is fd.Break:  # the window's attributes inline
        return [a.name for a in attrs.fields(fd.TimeWindow)] + names[1:]
    if cl is fd.Scenario:
        names = [*HEADER_KEYS, *names]
    if cl in TRAVEL_MODELS.values():
        names = ["model", *names]
    leading = LEADING_KEYS.get(cl, ())
    return [*leading, *(n for n in names if n not in leading)]


def json_required(cl: type) -> set[str]:
    """The keys ``cl``'s JSON object must give: the attrs fields without a default."""
    required = {a.name for a in attrs.fields(cl) if a.default is attrs.NOTHING}
    if cl is fd.Break:
        required = required - {"window"} | {a.name for a in attrs.fields(fd.TimeWindow)}
    if cl in (fd.MatrixTravel, fd.TimeDependentTravel, fd.TimeDependentMatrix):
        # not the default model: its tag is needed
        required.add("model")
    if cl is fd.Location:  # lat and lon, or x and y (a oneOf in the schema)
        return set()
    return required


# (class, document, JSON path) of an object read and written from attrs.fields
# every field, with the keys written only when set (WRITTEN_WHEN_SET): assets and costs
ASSETS_JSON = {
    **copy.deepcopy(EVERY_FIELD_JSON),
    "assets": [{"id": "AHU-1", "location": {"lat": 48.86, "lon": 2.36}, "kind": "hvac",
                "installed_at": "2025-06-01T00:00:00+02:00", "customer_id": "c1"}],
    "cost_rates": {"travel_per_km": 0.35, "travel_per_hour": 6.0},
}
ASSETS_JSON["tickets"][0]["asset_id"] = "AHU-1"

GENERIC_OBJECTS = [
    (fd.Scenario, ASSETS_JSON, ()),
    (fd.Horizon, EVERY_FIELD_JSON, ("horizon",)),
    (fd.GeometricTravel, EVERY_FIELD_JSON, ("travel",)),
    (fd.MatrixTravel, MATRIX_MINIMAL_JSON, ("travel",)),
    (fd.Part, EVERY_FIELD_JSON, ("parts", 0)),
    (fd.Depot, EVERY_FIELD_JSON, ("depots", 0)),
    (fd.TimeWindow, EVERY_FIELD_JSON, ("depots", 0, "opening_hours", 0)),
    (fd.ObjectiveWeights, EVERY_FIELD_JSON, ("objective",)),
    (fd.SlaTarget, EVERY_FIELD_JSON, ("sla_policy", "default")),
    (fd.Technician, EVERY_FIELD_JSON, ("technicians", 0)),
    (fd.Shift, EVERY_FIELD_JSON, ("technicians", 0, "shifts", 0)),
    (fd.Ticket, ASSETS_JSON, ("tickets", 0)),
    (fd.Asset, ASSETS_JSON, ("assets", 0)),
    (fd.CostRates, ASSETS_JSON, ("cost_rates",)),
]
# objects whose JSON differs from their attributes (hand-written hooks)
CUSTOM_OBJECTS = [
    (fd.Location, EVERY_FIELD_JSON, ("depots", 0, "location")),
    (fd.Break, EVERY_FIELD_JSON, ("technicians", 0, "shifts", 0, "breaks", 0)),
    (fd.SlaPolicy, EVERY_FIELD_JSON, ("sla_policy",)),
]


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key] if isinstance(key, int) else (
            node[key] if isinstance(node, Mapping) else getattr(node, key))
    return node


def _jpath(path: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)


def _ids(case: Any) -> str:
    return case.__name__ if isinstance(case, type) else _jpath(case) if isinstance(
        case, tuple) else "doc"


@pytest.mark.parametrize("cl, doc, path", GENERIC_OBJECTS + CUSTOM_OBJECTS, ids=_ids)
def test_written_keys_are_the_attrs_fields(cl, doc, path):
    """Each object is written with one key per attrs field, in attrs order (except the
    documented leading keys and the classes spelled differently)."""
    scenario = fd.scenario_from_dict(copy.deepcopy(doc))
    written = _at(fd.scenario_to_dict(scenario), path)
    if cl is fd.Location:  # geographic, with an id
        assert list(written) == ["lat", "lon", "id"]
    else:  # (the keys added after version 1's release are written only when set)
        later = WRITTEN_WHEN_SET.get(cl, frozenset())
        assert set(json_keys(cl)) - set(written) <= later
        assert list(written) == [k for k in json_keys(cl) if k in written]


@pytest.mark.parametrize("cl, doc, path", GENERIC_OBJECTS + CUSTOM_OBJECTS[1:], ids=_ids)
def test_required_keys_are_the_attrs_fields_without_default(cl, doc, path):
    """Dropping a key is an error naming it exactly when its attrs field has no default;
    a dropped optional key reads as the attrs default."""
    assert json_required(cl) <= set(_at(doc, path))
    for key in _at(doc, path):
        data = copy.deepcopy(doc)
        del _at(data, path)[key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fd.FsdispatchWarning)
            if cl is fd.MatrixTravel and key == "model":  # read as the default model
                with pytest.raises(fd.ValidationError, match=r"^\$\.travel\.distances: "
                                                             "unknown field"):
                    fd.scenario_from_dict(data)
            elif key in json_required(cl):
                with pytest.raises(fd.ValidationError) as info:
                    fd.scenario_from_dict(data)
                where = f"{_jpath(path)}.{key}"
                assert info.value.message == f"{where}: required field is missing"
                assert info.value.field == where
            else:
                read = _at(fd.scenario_from_dict(data), path)
                if key in attrs.fields_dict(cl):  # not "format", "version", "model"
                    default = attrs.fields_dict(cl)[key].default
                    expected = default.factory() if isinstance(default, attrs.Factory) \
                        else default
                    assert getattr(read, key) == expected, key


@pytest.mark.parametrize("cl, doc, path", GENERIC_OBJECTS + CUSTOM_OBJECTS, ids=_ids)
def test_unknown_key_is_rejected_everywhere(cl, doc, path):
    """A key that is no attrs field (nor a documented JSON key) is an error naming it."""
    data = copy.deepcopy(doc)
    _at(data, path)["colour"] = "red"
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(data)
    assert info.value.message == f"{_jpath(path)}.colour: unknown field"
    assert info.value.value == "colour"


def test_a_new_attrs_field_is_read_and_written_without_a_hook():
    """The converter follows attrs.fields: a class with one more field is written and
    read with it (and a misspelt key is still rejected) with no change to the converter."""

    @attrs.frozen
    class TaggedPart(fd.Part):
        tag: str = "none"
        weight_kg: float | None = None

    converter = make_converter()
    part = TaggedPart("F1", "filter", 2.5, tag="fragile", weight_kg=1.5)
    data = converter.unstructure(part)
    assert data == {"sku": "F1", "name": "filter", "unit_cost": 2.5, "tag": "fragile",
                    "weight_kg": 1.5}
    assert converter.structure(data, TaggedPart) == part
    assert converter.structure({"sku": "F2"}, TaggedPart) == TaggedPart("F2")
    with pytest.raises(cattrs.ClassValidationError):
        converter.structure({**data, "tagg": "x"}, TaggedPart)
    with pytest.raises(cattrs.ClassValidationError):
        converter.structure({**data, "weight_kg": True}, TaggedPart)  # strict numbers


def test_an_unknown_key_is_reported_before_a_missing_one():
    """A misspelt key (``duraton``) is reported as unknown, not as ``duration`` missing:
    the unknown key is the useful message, as before the converter."""
    data = copy.deepcopy(EVERY_FIELD_JSON)
    data["tickets"][1]["duraton"] = data["tickets"][1].pop("duration")
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(data)
    assert info.value.message == "$.tickets[1].duraton: unknown field"


@pytest.mark.parametrize("path, default", [
    (("travel",), fd.GeometricTravel()), (("objective",), fd.ObjectiveWeights()),
    (("sla_policy",), None), (("category_parts",), {}), (("technicians", 0, "skills"), {}),
    (("tickets", 0, "parts"), {})], ids=lambda v: _jpath(v) if isinstance(v, tuple) else "")
def test_null_means_the_default_where_it_did(path, default):
    """``null`` reads as the default for the travel model, the objective, the SLA policy
    and the {key: value} mappings (as before the converter)."""
    read = fd.scenario_from_dict(_replaced(EVERY_FIELD_JSON, path, None))
    assert _at(read, path) == default
    assert fd.ObjectiveWeights in NULL_MEANS_DEFAULT


def test_a_bug_in_a_hook_is_not_disguised_as_bad_data(monkeypatch):
    """An unexpected exception while reading propagates with its own type, noted with the
    JSON path being read; it is not turned into a ValidationError about the data."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(_convert, "Location", broken)
    with pytest.raises(RuntimeError, match="bug") as info:
        fd.scenario_from_dict(copy.deepcopy(EVERY_FIELD_JSON))
    assert any("$.technicians[0].start_location" in note for note in info.value.__notes__)


# ------------------------------------------------------- the schema and attrs
SCHEMA = json.loads(schema_path("scenario").read_text(encoding="utf-8"))
_TARGETS = ("properties", "sla_policy", "anyOf", 1, "properties", "targets", "items")
SCHEMA_NODES: dict[type, tuple[Any, ...]] = {
    fd.Scenario: (),
    fd.Horizon: ("properties", "horizon"),
    fd.GeometricTravel: ("properties", "travel", "oneOf", 0),
    fd.MatrixTravel: ("properties", "travel", "oneOf", 1),
    fd.Part: ("properties", "parts", "items"),
    fd.SlaPolicy: ("properties", "sla_policy", "anyOf", 1),
    fd.SlaTarget: ("properties", "sla_policy", "anyOf", 1, "properties", "default", "anyOf",
                   0),
    fd.ObjectiveWeights: ("properties", "objective", "anyOf", 1),
    fd.Location: ("$defs", "location"),
    fd.TimeWindow: ("$defs", "window"),
    fd.Technician: ("$defs", "technician"),
    fd.Shift: ("$defs", "technician", "properties", "shifts", "items"),
    fd.Break: ("$defs", "technician", "properties", "shifts", "items", "properties", "breaks",
               "items"),
    fd.Ticket: ("$defs", "ticket"),
    fd.Depot: ("$defs", "depot"),
    fd.Asset: ("$defs", "asset"),
    fd.CostRates: ("properties", "cost_rates"),
    fd.TimeDependentTravel: ("properties", "travel", "oneOf", 2),
    fd.SpeedProfile: ("properties", "travel", "oneOf", 2, "properties", "profile"),
    fd.TimeDependentMatrix: ("properties", "travel", "oneOf", 3),
}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = _at(SCHEMA, tuple(node["$ref"].removeprefix("#/").split("/")))
    return node


def _json_type(value: Any) -> str:
    return {str: "string", bool: "boolean", int: "integer", float: "number",
            type(None): "null", list: "array", dict: "object"}[type(value)]


def schema_types(node: dict[str, Any]) -> set[str]:
    """The JSON types a schema node allows."""
    node = _resolve(node)
    types_ = set()
    if "type" in node:
        types_ |= {node["type"]} if isinstance(node["type"], str) else set(node["type"])
    elif "const" in node:
        types_.add(_json_type(node["const"]))
    elif "enum" in node:
        types_ |= {_json_type(v) for v in node["enum"]}
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, ()):
            types_ |= schema_types(option)
    if not types_ and ("properties" in node or "additionalProperties" in node):
        types_.add("object")
    return types_


_SCALARS = {str: {"string"}, int: {"integer"}, float: {"number"}, bool: {"boolean"},
            datetime: {"string"}, Priority: {"string"}, type(None): {"null"},
            np.ndarray: {"array"}}


def annotation_types(t: Any) -> set[str]:
    """The JSON types the converter writes (and reads) for an attribute of type ``t``."""
    if t in _SCALARS:
        return _SCALARS[t]
    if t == TravelModel:  # null reads as the default model
        return {"object", "null"}
    origin = get_origin(t)
    if origin in (Union, types.UnionType):
        return set().union(*(annotation_types(a) for a in get_args(t)))
    if origin is Literal:
        return {_json_type(v) for v in get_args(t)}
    if origin is tuple:
        return {"array"}
    if origin in (Mapping, dict):
        return {"object"}
    assert attrs.has(t), t
    return {"object", "null"} if t in NULL_MEANS_DEFAULT else {"object"}


def _domain_classes(cl: type, seen: set[type]) -> set[type]:
    """``cl`` and every attrs class its attributes' annotations name (recursively)."""
    seen.add(cl)
    for a in attrs.fields(attrs.resolve_types(cl)):
        stack = [a.type]
        while stack:
            t = stack.pop()
            stack.extend(get_args(t))
            if isinstance(t, type) and attrs.has(t) and t not in seen:
                _domain_classes(t, seen)
    return seen


def test_every_domain_class_has_its_schema_node():
    """Each class a scenario is made of is mapped to its node in the shipped schema, so a
    new domain class fails the schema checks below until the schema describes it."""
    assert _domain_classes(fd.Scenario, set()) == set(SCHEMA_NODES)


@pytest.mark.parametrize("cl", list(SCHEMA_NODES), ids=lambda c: c.__name__)
def test_schema_properties_and_required_are_the_attrs_fields(cl):
    """The shipped schema names exactly the keys the converter writes for each class
    (from attrs.fields), requires exactly the fields without a default, and rejects
    other keys where the reader does."""
    node = _resolve(_at(SCHEMA, SCHEMA_NODES[cl]))
    assert set(node["properties"]) == set(json_keys(cl))
    assert set(node.get("required", ())) == json_required(cl)
    if cl is not fd.SlaTarget:  # the target entries are an allOf: no additionalProperties
        assert node["additionalProperties"] is False


@pytest.mark.parametrize("cl", [c for c in SCHEMA_NODES if c not in (fd.SlaPolicy, fd.Break)],
                         ids=lambda c: c.__name__)
def test_schema_types_are_the_attrs_annotations(cl):
    """Each attribute's JSON type in the schema is the one its annotation is written as
    (integer vs number, nullable or not); enums list the Literal values and priorities,
    datetimes are date-time strings."""
    node = _resolve(_at(SCHEMA, SCHEMA_NODES[cl]))
    for a in attrs.fields(attrs.resolve_types(cl)):
        if a.name not in node["properties"]:
            continue  # Location.geographic: spelled by lat/lon or x/y
        prop = node["properties"][a.name]
        assert schema_types(prop) == annotation_types(a.type), (cl.__name__, a.name)
        branches = [_resolve(b) for b in prop.get("anyOf", [prop])]
        if get_origin(a.type) is Literal:
            assert prop["enum"] == list(get_args(a.type)), a.name
        if a.type is Priority:
            assert prop["enum"] == [p.name for p in Priority]
        if datetime in (a.type, *get_args(a.type)):  # (or the values of a mapping)
            values = [_resolve(b["additionalProperties"]) for b in branches
                      if isinstance(b.get("additionalProperties"), dict)]
            assert any(b.get("format") == "date-time" for b in branches + values), a.name


def test_schema_of_the_custom_objects():
    """Breaks, SLA target entries and priority maps in the schema follow the classes."""
    breaks = _resolve(_at(SCHEMA, SCHEMA_NODES[fd.Break]))["properties"]
    assert schema_types(breaks["duration"]) == annotation_types(int)
    entry = _at(SCHEMA, _TARGETS)["allOf"]
    assert set(entry[0]["properties"]) == set(attrs.fields_dict(fd.SlaTarget))
    assert set(entry[1]["properties"]) == set(SLA_KEYS)
    assert entry[1]["properties"]["priority"]["enum"] == [p.name for p in Priority]
    assert set(_at(SCHEMA, (*SCHEMA_NODES[fd.SlaPolicy], "properties"))) == set(
        attrs.fields_dict(fd.SlaPolicy))
    weights = _at(SCHEMA, (*SCHEMA_NODES[fd.ObjectiveWeights], "properties"))
    for name in ("unassigned", "sla_lateness"):
        assert list(weights[name]["properties"]) == [p.name for p in Priority]
        assert weights[name]["additionalProperties"] is False
    assert set(TRAVEL_MODELS) == {_at(SCHEMA, (*SCHEMA_NODES[cl], "properties", "model"))[
        "const"] for cl in TRAVEL_MODELS.values()}
    assert set(TRAVEL_MODELS.values()) == set(get_args(TravelModel))


@pytest.mark.parametrize("build", [every_field, matrix_minimal], ids=["every", "matrix"])
def test_golden_json_validates_against_the_schema(build):
    """The golden documents (every field set; a matrix with nothing optional) are valid."""
    jsonschema = pytest.importorskip("jsonschema")
    cls = jsonschema.validators.validator_for(SCHEMA)
    validator = cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(fd.scenario_to_dict(build()))] == []
