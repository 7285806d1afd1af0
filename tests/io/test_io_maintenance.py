"""Maintenance plans in JSON: assets, plans and last visits round-trip, validate against the
shipped schema, and bad documents raise errors naming the JSON path and the value."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.io import MAINTENANCE_FORMAT, schema_path

START = datetime(2026, 3, 2, tzinfo=UTC)
EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def book() -> fd.MaintenanceBook:
    """Two assets; a named quarterly plan with parts and an unnamed annual P2 plan; the
    quarterly plan's last visit (a Berlin-offset datetime)."""
    ahu = fd.Asset(
        "AHU-1",
        fd.Location.geo(48.86, 2.36),
        kind="hvac",
        installed_at=START - timedelta(days=400),
        customer_id="c1",
    )
    lift = fd.Asset("EL-1", fd.Location.planar(3.0, 4.0))
    plans = [
        fd.MaintenancePlan(
            "AHU-1",
            timedelta(days=90),
            timedelta(minutes=75),
            {"hvac": 2},
            timedelta(days=2),
            parts={"FILTER": 2},
            name="filters",
        ),
        fd.MaintenancePlan("EL-1", timedelta(days=365), 3600, {}, 0, priority="P2"),
    ]
    last = {"AHU-1/filters": datetime(2025, 12, 3, 9, 30, tzinfo=timezone(timedelta(hours=1)))}
    return fd.MaintenanceBook([ahu, lift], plans, last)


def _schema_errors(data: object) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path("maintenance").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return [e.message for e in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(data)]


def test_round_trip_through_dict_text_and_file(tmp_path):
    """to_dict -> JSON text -> from_dict gives equal assets, plans and last visits; the file
    functions do the same; the document validates against the shipped schema."""
    original = book()
    data = fd.maintenance_to_dict(*original)
    assert data["format"] == MAINTENANCE_FORMAT and data["version"] == 1
    assert data["plans"][0]["every"] == 90 * 86400 and data["plans"][1]["priority"] == "P2"
    assert data["last_done"] == {"AHU-1/filters": "2025-12-03T09:30:00+01:00"}
    again = fd.maintenance_from_dict(json.loads(json.dumps(data)))
    assert again == original
    path = tmp_path / "pm.json"
    text = fd.save_maintenance(original.assets, original.plans, path, last_done=original.last_done)
    assert json.loads(text) == data
    assert fd.load_maintenance(path) == original
    assert _schema_errors(data) == []


def test_loaded_plans_give_the_same_tickets():
    """maintenance_tickets on the loaded book equals it on the original (ids, windows, parts)."""
    original = book()
    loaded = fd.maintenance_from_dict(fd.maintenance_to_dict(*original))
    horizon = fd.Horizon(START, START + timedelta(days=7))
    expected = fd.maintenance_tickets(original.assets, original.plans, horizon, original.last_done)
    assert expected
    assert fd.maintenance_tickets(loaded.assets, loaded.plans, horizon, loaded.last_done) == (
        expected
    )


_PLANS = st.builds(
    lambda asset, every_d, dur, tol_frac, skills, parts, name, prio: fd.MaintenancePlan(
        asset,
        every_d * 86400,
        dur,
        skills,
        int(every_d * 86400 // 2 * tol_frac),
        parts=parts,
        name=name,
        priority=prio,
    ),
    st.sampled_from(["A", "B"]),
    st.integers(1, 3650),
    st.integers(1, 30 * 86400),
    st.floats(0, 1),
    st.dictionaries(st.sampled_from(["hvac", "gas", "elec"]), st.integers(1, 100), max_size=2),
    st.dictionaries(st.sampled_from(["F", "G"]), st.integers(1, 10**9), max_size=2),
    st.text(st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), max_size=8),
    st.sampled_from(list(fd.Priority)),
)


@settings(max_examples=60)
@given(plans=st.lists(_PLANS, max_size=5), minutes=st.integers(-(10**6), 10**6))
def test_any_plans_round_trip(plans, minutes):
    """Property: every valid set of plans (and a last visit anywhere) round-trips exactly."""
    assets = [fd.Asset("A", fd.Location.geo(1.0, 2.0)), fd.Asset("B", fd.Location.planar(0, 0))]
    last = (
        {"A": START + timedelta(minutes=minutes)} if any(p.asset_id == "A" for p in plans) else {}
    )
    data = json.loads(fd.save_maintenance(assets, plans, last_done=last))
    assert fd.maintenance_from_dict(data) == fd.MaintenanceBook(assets, plans, last)
    assert _schema_errors(data) == []


def _plan(**changes: object) -> dict[str, object]:
    return {
        "asset_id": "AHU-1",
        "every": 86400,
        "duration": 600,
        "required_skills": {},
        "tolerance": 0,
        **changes,
    }


@pytest.mark.parametrize(
    ("edit", "field", "value"),
    [
        (lambda d: d["plans"][0].update(every=10), "$.plans[0].every", 10),
        (lambda d: d["plans"][0].update(priority="P9"), "$.plans[0].priority", "P9"),
        (lambda d: d["plans"][0].update(tolerance=-1), "$.plans[0].tolerance", -1),
        (lambda d: d["plans"][0].update(name="a/b"), "$.plans[0].name", "a/b"),
        (lambda d: d["plans"][0].update(colour="red"), "$.plans[0].colour", "colour"),
        (lambda d: d["plans"][0].pop("required_skills"), "$.plans[0].required_skills", None),
        (lambda d: d["plans"][1].update(asset_id="NOPE"), "$.plans[1].asset_id", "NOPE"),
        (lambda d: d["assets"][1].update(id="AHU-1"), "$.assets[1].id", "AHU-1"),
        (lambda d: d["last_done"].update(X="2026-01-01T00:00:00+00:00"), "$.last_done.X", "X"),
        (
            lambda d: d["last_done"].update({"AHU-1/filters": "2026-01-01T00:00:00"}),
            "$.last_done.AHU-1/filters",
            "2026-01-01T00:00:00",
        ),
        (lambda d: d.update(format="fsdispatch.scenario"), "$.format", "fsdispatch.scenario"),
        (lambda d: d.update(version=2), "$.version", 2),
        (lambda d: d.pop("plans"), "$.plans", None),
    ],
)
def test_bad_documents_name_the_json_path_and_value(edit, field, value):
    """Each bad value is a ValidationError (UnknownReferenceError for references) whose field
    is the JSON path; the value is named in the message."""
    data = copy.deepcopy(fd.maintenance_to_dict(*book()))
    data["plans"].append(_plan(asset_id="EL-1"))
    edit(data)
    with pytest.raises(fd.ValidationError) as err:
        fd.maintenance_from_dict(data)
    assert err.value.field == field
    if value is not None:
        assert str(value) in str(err.value)


def test_the_schema_rejects_what_the_reader_rejects():
    """The shipped schema refuses unknown keys, a short interval and a bad priority too."""
    data = fd.maintenance_to_dict(*book())
    for plan in (_plan(colour="red"), _plan(every=10), _plan(priority="P9")):
        bad = copy.deepcopy(data)
        bad["plans"] = [plan]
        assert _schema_errors(bad)


def test_load_errors_name_the_file(tmp_path):
    """A bad file's error names the file and the JSON path; writing checks argument types."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"plans": [_plan(every="daily")]}), encoding="utf-8")
    with pytest.raises(fd.ValidationError, match=r"bad\.json: \$\.plans\[0\]\.every"):
        fd.load_maintenance(path)
    with pytest.raises(fd.ValidationError, match=r"plans\[0\]"):
        fd.maintenance_to_dict([], ["not a plan"])


def test_bundled_pm_plans_are_the_examples_built_in_ones():
    """examples/pm_plans.json holds exactly the pm_week example's assets, plans and visits."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pm_week_io", EXAMPLES / "pm_week.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert fd.load_maintenance(EXAMPLES / "pm_plans.json") == fd.MaintenanceBook(
        *module.assets_and_plans()
    )


# ------------------------------------------------------------------------------ CSV
ASSETS_CSV = """asset_id;lat;lon;kind;installed_at;customer_id
AHU-1;48.86;2.36;hvac;2025-01-26 00:00;c1
EL-1;48.85;2.35;elevator;;
"""
PLANS_CSV = """asset_id;every_days;duration_min;tolerance_days;skills;parts;name;priority;last_done
AHU-1;90;75;2;hvac:2;FILTER:2;filters;;2025-12-03 09:30
EL-1;365;60;0;;;;P2;
"""


def test_plans_from_csv_equal_the_python_ones(tmp_path):
    """The CSV tables (European ';' separator, local times in a time zone) give the same
    assets, plans and last visits as the objects built in Python, and the same tickets."""
    (tmp_path / "assets.csv").write_text(ASSETS_CSV, encoding="utf-8")
    (tmp_path / "plans.csv").write_text(PLANS_CSV, encoding="utf-8")
    got = fd.read_maintenance_csv(
        tmp_path / "plans.csv", tmp_path / "assets.csv", timezone="Europe/Paris"
    )
    want = book()
    assert got.plans == want.plans
    assert [a.id for a in got.assets] == ["AHU-1", "EL-1"]
    assert got.assets[1] == fd.Asset("EL-1", fd.Location.geo(48.85, 2.35), kind="elevator")
    assert got.last_done == want.last_done  # 09:30 Paris (+01:00 in December)
    plans_only = fd.read_maintenance_csv(tmp_path / "plans.csv", timezone="Europe/Paris")
    assert plans_only.assets == [] and plans_only.plans == want.plans


def test_plan_csv_errors_name_file_row_and_column(tmp_path):
    """Every bad cell is reported at once with its file, row and column; a plan naming an
    asset not in the assets table is an UnknownReferenceError; so is a repeated asset id."""
    pd = pytest.importorskip("pandas")
    plans = pd.DataFrame(
        {
            "asset_id": ["AHU-1", "NOPE", "AHU-1"],
            "every_days": ["0.5", "30", "x"],
            "duration_min": ["60", "60", "60"],
            "priority": ["P1", "P7", "P1"],
        }
    )
    assets = pd.DataFrame({"asset_id": ["AHU-1", "AHU-1"], "x": [0, 1], "y": [0, 1]})
    with pytest.raises(fd.ValidationError) as err:
        fd.io.maintenance_from_frames(plans, assets)
    text = str(err.value)
    assert "plans, row 0, column 'every_days'" in text and "43200" in text
    assert "plans, row 1, column 'priority'" in text and "'P7'" in text
    assert "plans, row 2, column 'every_days'" in text and "'x'" in text
    assert "assets, row 1, column 'asset_id'" in text and "unique" in text
    fields = {issue.field for issue in err.value.issues}
    assert {"every_days", "priority", "asset_id"} <= fields
    with pytest.raises(fd.UnknownReferenceError, match="plans, row 1, column 'asset_id'"):
        fd.io.maintenance_from_frames(plans.iloc[[1]].assign(priority="P2"), assets.iloc[[0]])
    path = tmp_path / "plans.csv"
    path.write_text("asset_id,every_days\nA,30\n", encoding="utf-8")
    with pytest.raises(fd.ValidationError, match="duration_min"):
        fd.read_maintenance_csv(path)
