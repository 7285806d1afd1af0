"""JSON round trips and schema of the time-dependent travel models."""

from __future__ import annotations

import json
from datetime import time

import attrs
import pytest

import fsdispatch as fd
from fsdispatch.errors import ValidationError
from fsdispatch.io import scenario_from_dict, scenario_to_dict, schema_path

PROFILE = fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.5), (time(9, 30), 1.0)],
                          weekdays={"saturday": [(time(0, 0), 1.2)]})


def _matrix_scenario() -> fd.Scenario:
    sc = fd.generate_scenario(2, 3, seed=2)
    locs = [*(t.start_location for t in sc.technicians), *(t.location for t in sc.tickets)]
    uniq = list(dict.fromkeys(locs))
    ids = [f"L{k}" for k in range(len(uniq))]
    relabel = {loc: attrs.evolve(loc, id=i) for loc, i in zip(uniq, ids, strict=True)}
    dur = [[sc.travel.travel_seconds(a, b) for b in uniq] for a in uniq]
    free = fd.MatrixTravel(ids, dur, [[0.5 * x / 60 for x in row] for row in dur])
    rush = fd.MatrixTravel(ids, [[2 * x for x in row] for row in dur])
    return attrs.evolve(
        sc, travel=fd.TimeDependentMatrix([(time(0, 0), free), (time(7, 15), rush)]),
        technicians=[attrs.evolve(t, start_location=relabel[t.start_location])
                     for t in sc.technicians],
        tickets=[attrs.evolve(t, location=relabel[t.location]) for t in sc.tickets])


def _scenarios() -> list[fd.Scenario]:
    sc = fd.generate_scenario(2, 3, seed=1)
    return [attrs.evolve(sc, travel=fd.TimeDependentTravel(sc.travel, PROFILE)),
            _matrix_scenario()]


@pytest.mark.parametrize("k", [0, 1])
def test_time_dependent_scenarios_round_trip_and_match_the_schema(k):
    scenario = _scenarios()[k]
    data = json.loads(json.dumps(scenario_to_dict(scenario)))
    assert data["travel"]["model"] in ("time_dependent", "time_dependent_matrix")
    back = scenario_from_dict(data)
    assert back.travel == scenario.travel
    assert back == scenario
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(data, json.loads(schema_path("scenario").read_text()))


def test_a_profile_reads_from_json_text():
    data = scenario_to_dict(_scenarios()[0])
    assert data["travel"]["profile"]["breakpoints"][1] == {"time": "07:00", "factor": 0.5}
    assert data["travel"]["base"]["model"] == "geometric"


@pytest.mark.parametrize(("travel", "field"), [
    ({"model": "time_dependent", "base": {"model": "geometric"},
      "profile": {"breakpoints": [{"time": "07:00", "factor": 0}]}}, "factor"),
    ({"model": "time_dependent", "base": {"model": "geometric"},
      "profile": {"breakpoints": [{"time": "7h", "factor": 1}]}}, "time"),
    ({"model": "time_dependent", "base": {"model": "geometric"},
      "profile": {"breakpoints": [{"time": "09:00", "factor": 1}, {"time": "08:00",
                                                                    "factor": 1}]}}, "time"),
])
def test_bad_time_dependent_json_names_the_field(travel, field):
    data = scenario_to_dict(_scenarios()[0])
    data["travel"] = travel
    with pytest.raises(ValidationError) as err:
        scenario_from_dict(data)
    assert field in str(err.value)


def test_a_speed_profile_reads_from_csv(tmp_path):
    path = tmp_path / "profile.csv"
    path.write_text("time,factor,weekday\n00:00,1.0,\n07:00,0.5,\n10:00,1.0,\n"
                    "00:00,1.2,saturday\n")
    profile = fd.io.read_speed_profile(path)
    assert profile == fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.5),
                                       (time(10, 0), 1.0)],
                                      weekdays={"saturday": [(time(0, 0), 1.2)]})
    bad = tmp_path / "bad.csv"
    bad.write_text("time,factor\n07:00,0.5\n06:00,1.0\n")
    with pytest.raises(ValidationError) as err:
        fd.io.read_speed_profile(bad)
    assert "bad.csv" in str(err.value) and err.value.field == "breakpoints[1].time"


def _csv_day(tmp_path):
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket_id,location_id,duration_min\nA,L1,30\nB,L2,30\n")
    techs = tmp_path / "k.csv"
    techs.write_text("technician_id,location_id,shift_start,shift_end\nt1,D,07:00,17:00\n")
    matrix = tmp_path / "m.csv"
    matrix.write_text("location_id,D,L1,L2\nD,0,600,900\nL1,600,0,300\nL2,900,300,0\n")
    profile = tmp_path / "profile.csv"
    profile.write_text("time,factor\n00:00,1.0\n07:00,0.5\n10:00,1.0\n")
    return tickets, techs, matrix, profile


def test_a_csv_scenario_carries_a_speed_profile(tmp_path):
    """``read_scenario_csv(..., speed_profile=path)`` times the matrix under the profile; the
    evaluator prices the rush hour (07:00-10:00 at half speed: every leg takes twice as long)."""
    tickets, techs, matrix, profile = _csv_day(tmp_path)
    static = fd.io.read_scenario_csv(tickets, techs, date="2026-03-02", travel=matrix)
    s = fd.io.read_scenario_csv(tickets, techs, date="2026-03-02", travel=matrix,
                                speed_profile=profile)
    assert s.travel == fd.TimeDependentTravel(static.travel, fd.io.read_speed_profile(profile))
    same = fd.io.read_scenario_csv(tickets, techs, date="2026-03-02", travel=matrix,
                                   speed_profile=fd.io.read_speed_profile(profile))
    assert same == s
    plan = fd.solve(static, solver="greedy", seed=0).plan
    slow = fd.evaluate(fd.compile_scenario(s), plan).kpis.travel_time_min
    fast = fd.evaluate(fd.compile_scenario(static), plan).kpis.travel_time_min
    assert fast == pytest.approx((600 + 300 + 900) / 60)
    assert slow > fast
    # without a matrix the default straight-line model is the base
    geo = tmp_path / "g.csv"
    geo.write_text("ticket_id,x,y,duration_min\nA,1,0,30\n")
    gtech = tmp_path / "gk.csv"
    gtech.write_text("technician_id,x,y,shift_start,shift_end\nt1,0,0,07:00,17:00\n")
    g = fd.io.read_scenario_csv(geo, gtech, date="2026-03-02", speed_profile=profile)
    assert g.travel == fd.TimeDependentTravel(fd.GeometricTravel(),
                                              fd.io.read_speed_profile(profile))


def test_a_bad_speed_profile_of_a_csv_scenario_names_the_file(tmp_path):
    tickets, techs, matrix, _ = _csv_day(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,factor\n07:00,0\n")
    with pytest.raises(ValidationError) as err:
        fd.io.read_scenario_csv(tickets, techs, date="2026-03-02", travel=matrix,
                                speed_profile=bad)
    assert "bad.csv" in str(err.value) and "factor" in str(err.value)
    with pytest.raises(ValidationError) as err:
        fd.io.read_scenario_csv(tickets, techs, date="2026-03-02", travel=matrix,
                                speed_profile=[(time(0, 0), 1.0)])
    assert err.value.field == "profile"


def test_cli_import_takes_a_speed_profile(tmp_path, capsys):
    from fsdispatch.cli import main

    tickets, techs, matrix, profile = _csv_day(tmp_path)
    out = tmp_path / "day.json"
    code = main(["import", str(tickets), str(techs), "--date", "2026-03-02", "--travel",
                 str(matrix), "--speed-profile", str(profile), "--out", str(out)])
    assert code == 0
    back = fd.io.load_scenario(out)
    assert back.travel == fd.TimeDependentTravel(fd.io.read_travel_matrix(matrix),
                                                 fd.io.read_speed_profile(profile))
