"""Assets, asset ids and cost rates in JSON and CSV (issue #19)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

import fsdispatch as fd
from fsdispatch.io import schema_path

START = datetime(2026, 3, 2, tzinfo=UTC)


def with_assets() -> fd.Scenario:
    ahu = fd.Asset(
        "AHU-1",
        fd.Location.geo(48.86, 2.36),
        kind="hvac",
        installed_at=START - timedelta(days=400),
        customer_id="c1",
    )
    lift = fd.Asset("EL-1", fd.Location.geo(48.85, 2.35))
    tech = fd.Technician(
        "A",
        fd.Location.geo(48.8, 2.3),
        shifts=[fd.Shift(START + timedelta(hours=8), START + timedelta(hours=17))],
    )
    plan = fd.MaintenancePlan("AHU-1", timedelta(days=90), 3600, {}, timedelta(hours=4))
    pm = fd.maintenance_tickets([ahu, lift], [plan], fd.Horizon(START, START + timedelta(days=1)))
    repair = fd.Ticket("R1", lift.location, 1800, asset_id="EL-1")
    return fd.Scenario(
        fd.Horizon(START, START + timedelta(days=1)),
        [tech],
        [*pm, repair],
        assets=[ahu, lift],
        cost_rates=fd.CostRates(0.35, 6.0),
    )


def test_json_round_trip_and_schema(tmp_path):
    scenario = with_assets()
    data = fd.scenario_to_dict(scenario)
    assert data["assets"][0]["installed_at"] == "2025-01-26T00:00:00+00:00"
    assert data["cost_rates"] == {"travel_per_km": 0.35, "travel_per_hour": 6.0}
    assert [t.get("asset_id") for t in data["tickets"]] == ["AHU-1", "EL-1"]
    assert fd.scenario_from_dict(copy.deepcopy(data)) == scenario
    (tmp_path / "s.json").write_text(fd.save_scenario(scenario), encoding="utf-8")
    assert fd.load_scenario(tmp_path / "s.json") == scenario
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path("scenario").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert [
        e.message for e in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(data)
    ] == []
    # a scenario without assets writes none of the new keys
    plain = fd.scenario_to_dict(
        scenario.replace(
            assets=(),
            cost_rates=fd.CostRates(),
            tickets=[fd.Ticket("R", fd.Location.geo(48.8, 2.3), 60)],
        )
    )
    assert "assets" not in plain and "cost_rates" not in plain
    assert "asset_id" not in plain["tickets"][0]


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("assets", 0, "installed_at"), "2025-01-26T00:00:00", "$.assets[0].installed_at"),
        (
            ("cost_rates", "travel_per_km"),
            -1,
            "$.cost_rates: CostRates: travel_per_km must be within [0, 1000000000], got -1",
        ),
        (("tickets", 1, "asset_id"), "NOPE", "asset_id"),
        (("assets", 1, "id"), "AHU-1", "unique"),
    ],
)
def test_json_bad_values_name_the_field(path, value, where):
    data = fd.scenario_to_dict(with_assets())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(data)
    assert where in str(info.value)


def _csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_assets_table_and_asset_ids(tmp_path):
    tickets = _csv(
        tmp_path,
        "tickets.csv",
        "ticket_id,lat,lon,duration_min,category,asset_id\n"
        "T1,48.86,2.36,60,maintenance,AHU-1\nT2,48.85,2.35,30,repair,\n",
    )
    techs = _csv(
        tmp_path,
        "techs.csv",
        "technician_id,lat,lon,shift_start,shift_end\nA,48.8,2.3,08:00,17:00\n",
    )
    assets = _csv(
        tmp_path,
        "assets.csv",
        "asset_id,lat,lon,kind,installed_at,customer_id\n"
        "AHU-1,48.86,2.36,hvac,2025-01-26 00:00,c1\n",
    )
    scenario = fd.read_scenario_csv(
        tickets, techs, assets=assets, date="2026-03-02", cost_rates=fd.CostRates(0.35, 6.0)
    )
    (asset,) = scenario.assets
    assert (asset.id, asset.kind, asset.customer_id) == ("AHU-1", "hvac", "c1")
    assert asset.installed_at == datetime(2025, 1, 26, tzinfo=UTC)
    assert [t.asset_id for t in scenario.tickets] == ["AHU-1", None]
    assert scenario.cost_rates == fd.CostRates(0.35, 6.0)
    bad_ref = _csv(
        tmp_path, "bad_ref.csv", "ticket_id,lat,lon,duration_min,asset_id\nT1,48.86,2.36,60,AHU-9\n"
    )
    with pytest.raises(fd.UnknownReferenceError) as info:
        fd.read_scenario_csv(bad_ref, techs, assets=assets, date="2026-03-02")
    assert f"{bad_ref}, row 2, column 'asset_id'" in str(info.value)
    bad_asset = _csv(
        tmp_path, "bad_assets.csv", "asset_id,lat,lon,installed_at\nAHU-1,48.86,2.36,yesterday\n"
    )
    with pytest.raises(fd.ValidationError) as info:
        fd.read_scenario_csv(tickets, techs, assets=bad_asset, date="2026-03-02")
    assert f"{bad_asset}, row 2, column 'installed_at'" in str(info.value)


def test_frames_take_assets():
    pd = pytest.importorskip("pandas")
    tickets = pd.DataFrame(
        {"ticket_id": ["T1"], "x": [1.0], "y": [2.0], "duration_min": [60], "asset_id": ["L1"]}
    )
    techs = pd.DataFrame(
        {
            "technician_id": ["A"],
            "x": [0.0],
            "y": [0.0],
            "shift_start": ["08:00"],
            "shift_end": ["17:00"],
        }
    )
    assets = pd.DataFrame({"asset_id": ["L1", "L1"], "x": [1.0, 1.0], "y": [2.0, 2.0]})
    with pytest.raises(fd.ValidationError, match="must be unique"):
        fd.scenario_from_frames(tickets, techs, assets=assets, date="2026-03-02")
    scenario = fd.scenario_from_frames(tickets, techs, assets=assets.iloc[:1], date="2026-03-02")
    assert scenario.assets[0].location == fd.Location.planar(1.0, 2.0)


def test_visits_frame_names_the_asset():
    """The visits frame has an asset_id column when some ticket is on an asset."""
    pytest.importorskip("pandas")
    scenario = with_assets()
    result = fd.solve(scenario, "greedy", seed=0)
    visits = fd.plan_to_frames(result).visits
    by_id = {t.id: t.asset_id for t in scenario.tickets}
    assert len(visits) > 0
    assert list(visits["asset_id"]) == [by_id[t] for t in visits["ticket_id"]]
    plain = scenario.replace(assets=(), tickets=[attrs_evolve(t) for t in scenario.tickets])
    assert "asset_id" not in fd.plan_to_frames(fd.solve(plain, "greedy", seed=0)).visits


def attrs_evolve(ticket: fd.Ticket) -> fd.Ticket:
    import attrs

    return attrs.evolve(ticket, asset_id=None)
