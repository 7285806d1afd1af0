"""pandas/CSV adapters: scenarios from service-desk exports, plans out as DataFrames,
travel matrices from CSV and .npz."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import fsdispatch as fd
from fsdispatch.io import tabular

pd = pytest.importorskip("pandas")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BERLIN = ZoneInfo("Europe/Berlin")


def _template() -> fd.Scenario:
    return fd.read_scenario_csv(EXAMPLES / "tickets.csv", EXAMPLES / "technicians.csv",
                                parts=EXAMPLES / "parts.csv", date="2026-01-05",
                                timezone="Europe/Berlin")


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tickets and one technician as DataFrames (default RangeIndex)."""
    tickets = pd.DataFrame({
        "ticket_id": ["A", "B"], "x": [1.0, 2.0], "y": [0.0, 1.0], "duration_min": [30, 45],
        "skills": ["hvac:2", ""], "windows": ["09:00-11:00", ""], "priority": ["P1", 4]})
    techs = pd.DataFrame({
        "technician_id": ["t1"], "x": [0.0], "y": [0.0], "shift_start": ["08:00"],
        "shift_end": ["17:00"], "skills": ["hvac:3"]})
    return tickets, techs


def _error(call, *args, **kwargs) -> fd.ValidationError:
    with pytest.raises(fd.ValidationError) as info:
        call(*args, **kwargs)
    return info.value


# ------------------------------------------------------------------ input
def test_csv_templates_build_the_documented_scenario():
    """The shipped CSV templates read into a scenario with skills, windows, parts and breaks
    as the cells say (local times in the given timezone)."""
    s = _template()
    assert s.num_tickets == 9 and s.num_technicians == 3 and len(s.parts) == 3
    t100 = s.ticket("T-100")
    assert t100.required_skills == {"hvac": 2}
    assert t100.parts == {"P001": 1}
    assert t100.priority is fd.Priority.P2 and t100.customer_tier == "gold"
    assert t100.windows[0].start == datetime(2026, 1, 5, 8, tzinfo=BERLIN)
    assert t100.windows[0].end == datetime(2026, 1, 5, 12, tzinfo=BERLIN)
    assert t100.created_at == datetime(2026, 1, 4, 16, tzinfo=BERLIN)
    assert t100.duration == 60 * fd.MINUTE
    assert len(s.ticket("T-104").windows) == 2
    assert s.ticket("T-102").window_kind == "soft"
    assert s.ticket("T-102").preferred_technicians == ("tech-2",)
    assert s.ticket("T-104").excluded_technicians == ("tech-3",)
    tech1 = s.technician("tech-1")
    assert tech1.skills == {"hvac": 3, "electrical": 2}
    assert tech1.skill_factors == {"hvac": 0.9}
    assert tech1.van_stock == {"P001": 3, "P002": 1}
    assert tech1.max_tickets_per_day == 6 and tech1.max_overtime == 30 * fd.MINUTE
    shift = tech1.shifts[0]
    assert (shift.start, shift.end) == (datetime(2026, 1, 5, 8, tzinfo=BERLIN),
                                        datetime(2026, 1, 5, 17, tzinfo=BERLIN))
    assert shift.breaks[0].duration == 30 * fd.MINUTE
    assert shift.breaks[0].window.start == datetime(2026, 1, 5, 12, tzinfo=BERLIN)
    assert s.technician("tech-3").end_location is not None
    assert s.technician("tech-2").capacity == 4
    assert s.horizon.start == datetime(2026, 1, 5, tzinfo=BERLIN)
    assert s.horizon.end == datetime(2026, 1, 6, tzinfo=BERLIN)


def test_template_day_solves_and_explains_the_unassigned_ticket():
    """The template day is feasible and its roofing ticket is unassigned with reason no_skill."""
    result = fd.solve(_template(), solver="greedy", seed=0)
    assert result.evaluation.is_feasible
    assert result.plan.to_ids(result.problem)["unassigned"] == {"T-108": "no_skill"}


def test_cell_errors_name_file_row_and_column(tmp_path):
    """Bad cells are all reported at once; each message names the file, the spreadsheet row
    (header = row 1) and the column."""
    path = tmp_path / "tickets.csv"
    path.write_text("ticket_id,x,y,duration_min,skills,windows,priority\n"
                    "A,1,0,30,hvac=2,09:00-11:00,P1\n"
                    "B,2,1,20,,8-12,P2\n"
                    "C,3,1,20,,,P9\n"
                    "D,3,1,-5,,,P2\n")
    techs = tmp_path / "techs.csv"
    techs.write_text("technician_id,x,y,shift_start,shift_end\nt1,0,0,08:00,17:00\n")
    err = _error(fd.read_scenario_csv, path, techs, date="2026-03-02")
    messages = [issue.message for issue in err.issues]
    assert len(messages) == 4
    assert messages[0].startswith(f"{path}, row 2, column 'skills': expected 'key:value'")
    assert "'hvac=2'" in messages[0]
    assert any(m.startswith(f"{path}, row 3, column 'windows'") and "'8-12'" in m
               for m in messages)
    assert any(m.startswith(f"{path}, row 5, column 'duration_min'") and "> 0" in m
               for m in messages)
    assert any(m.startswith(f"{path}, row 4, column 'priority'") and "'P9'" in m
               for m in messages)
    assert {issue.field for issue in err.issues} == {"skills", "windows", "duration_min",
                                                      "priority"}


def test_cross_reference_errors_name_the_row(tmp_path):
    """Duplicate ids and references to unknown technicians or parts name the file, row and
    column of the offending cell."""
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket_id,x,y,duration_min,preferred_technicians,parts\n"
                       "A,1,0,30,ghost,\nB,1,1,30,,P404:1\n")
    techs = tmp_path / "k.csv"
    techs.write_text("technician_id,x,y,shift_start,shift_end\nt1,0,0,08:00,17:00\n"
                     "t1,0,0,08:00,17:00\n")
    parts = tmp_path / "p.csv"
    parts.write_text("sku,name\nP001,valve\n")
    err = _error(fd.read_scenario_csv, tickets, techs, parts=parts, date="2026-03-02")
    messages = sorted(issue.message for issue in err.issues)
    assert any(m.startswith(f"{techs}, row 3, column 'technician_id'") and "unique" in m
               for m in messages)
    assert any(m.startswith(f"{tickets}, row 2, column 'preferred_technicians'")
               and "'ghost'" in m for m in messages)
    assert any(m.startswith(f"{tickets}, row 3, column 'parts'") and "'P404'" in m
               for m in messages)


def test_missing_required_column_is_named(tmp_path):
    """A table without a required column fails naming the file and the column."""
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket_id,x,y\nA,1,0\n")
    techs = tmp_path / "k.csv"
    techs.write_text("technician_id,x,y,shift_start,shift_end\nt1,0,0,08:00,17:00\n")
    err = _error(fd.read_scenario_csv, tickets, techs, date="2026-03-02")
    assert str(tickets) in err.message and "'duration_min'" in err.message
    assert err.field == "duration_min"


def test_bare_times_without_a_date_are_rejected_with_a_hint(tmp_path):
    """A bare local time needs the day it falls on: the error says to pass date=..."""
    tickets, techs = _frames()
    err = _error(fd.scenario_from_frames, tickets, techs)
    assert "technicians, row 0, column 'shift_start'" in err.issues[0].message
    assert "date=" in err.issues[0].message


def test_dataframe_errors_name_the_index_label():
    """Rows of a DataFrame are named by their index label."""
    tickets, techs = _frames()
    tickets.index = ["first", "second"]
    tickets.loc["second", "skills"] = "gas:x"
    err = _error(fd.scenario_from_frames, tickets, techs, date="2026-03-02")
    assert err.message.startswith("tickets, row second, column 'skills'")


def test_excel_cells_are_accepted():
    """Cells as pandas.read_excel returns them (numbers as floats, datetime.time, Timestamps,
    NaN for empty cells) and spaced/capitalised headers are read like text cells."""
    tickets = pd.DataFrame({
        "Ticket ID": ["A", "B"], "Latitude": [52.5, 52.51], "Longitude": [13.4, 13.41],
        "Duration Min": [30.0, 45.0], "Skills": ["hvac:2", np.nan],
        "Window Start": [time(9, 0), np.nan], "Window End": [time(11, 0), np.nan],
        "Priority": [1.0, 3.0],
        "Created At": [pd.Timestamp("2026-03-01 10:00"), pd.NaT]})
    techs = pd.DataFrame({
        "Technician ID": ["t1"], "Latitude": [52.5], "Longitude": [13.39],
        "Shift Start": [pd.Timestamp("2026-03-02 08:00")], "Shift End": ["2026-03-02 17:00"],
        "Skills": ["hvac:3"], "Max Tickets Per Day": [8.0]})
    s = fd.scenario_from_frames(tickets, techs, date="2026-03-02", timezone="Europe/Berlin")
    a = s.ticket("A")
    assert a.duration == 30 * fd.MINUTE and a.priority is fd.Priority.P1
    assert a.windows[0].start == datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    assert a.created_at == datetime(2026, 3, 1, 10, tzinfo=BERLIN)
    assert s.ticket("B").windows == () and s.ticket("B").required_skills == {}
    assert s.technician("t1").max_tickets_per_day == 8


def test_shift_ending_before_it_starts_runs_past_midnight():
    """A night shift 22:00-06:00 ends on the next day; the horizon covers it."""
    tickets, techs = _frames()
    techs.loc[0, "shift_start"], techs.loc[0, "shift_end"] = "22:00", "06:00"
    tickets.loc[0, "windows"] = "23:00-01:00"
    s = fd.scenario_from_frames(tickets, techs, date="2026-03-02")
    shift = s.technicians[0].shifts[0]
    assert shift.end - shift.start == timedelta(hours=8)
    assert s.tickets[0].windows[0].end.day == 3
    assert s.horizon.end == s.horizon.start + timedelta(days=2)


def test_semicolon_separated_csv_is_detected(tmp_path):
    """A European Excel export (';' separator, BOM) reads like a comma-separated one."""
    tickets = tmp_path / "t.csv"
    tickets.write_bytes("\ufeffticket_id;x;y;duration_min;skills\nA;1,5;0;30;hvac:1,gas:2\n"
                        .encode())
    techs = tmp_path / "k.csv"
    techs.write_text("technician_id;x;y;shift_start;shift_end\nt1;0;0;08:00;17:00\n")
    s = fd.read_scenario_csv(tickets, techs, date="2026-03-02")
    assert s.tickets[0].location.x == 1.5
    assert s.tickets[0].required_skills == {"hvac": 1, "gas": 2}


def test_missing_pandas_raises_a_clear_error(monkeypatch):
    """Without pandas the tabular functions say what to pip install."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(fd.BackendUnavailableError, match=r"pip install \"fsdispatch\[tabular\]\""):
        tabular.kpis_frame(None)


# ------------------------------------------------------------------ output
def test_output_frames_match_the_evaluator(tiny):
    """Visit, technician, unassigned and KPI frames hold the evaluator's figures: one row per
    visit (times equal to_schedule), per technician, per unassigned ticket with its reason."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan.from_ids(problem, {"A#0": ["T3", "T1"]}, {"T2": "no_capacity"})
    evaluation = fd.evaluate(problem, plan)
    frames = fd.plan_to_frames(problem, plan, evaluation)
    visits = frames.visits
    assert list(visits["ticket_id"]) == ["T3", "T1"]
    assert list(visits["position"]) == [0, 1]
    schedule = fd.to_schedule(problem, plan, evaluation)
    for row, visit in zip(visits.itertuples(), schedule.visits, strict=True):
        assert row.start.to_pydatetime() == visit.start
        assert row.end.to_pydatetime() == visit.end
        assert row.arrival.to_pydatetime() == visit.arrival
    # T3 at (1, 1) from A at (0, 0), 60 km/h: sqrt(2) km -> 85 s
    assert visits["travel_min"].iloc[0] == pytest.approx(85 / 60)
    assert visits["service_min"].iloc[0] == pytest.approx(30)
    legs = (visits["arrival"] - visits["depart"]).dt.total_seconds()
    assert np.allclose(legs, visits["travel_min"] * 60)
    tech = frames.technicians.set_index("technician_id")
    assert list(tech.index) == ["A", "B"]
    assert tech.loc["A", "tickets"] == 2 and tech.loc["B", "tickets"] == 0
    assert tech.loc["A", "travel_min"] == pytest.approx(evaluation.technicians[0].travel_min)
    assert pd.isna(tech.loc["B", "first_start"])
    un = frames.unassigned
    assert list(un["ticket_id"]) == ["T2"] and list(un["reason"]) == ["no_capacity"]
    assert "day is full" in un["explanation"].iloc[0]
    kpis = frames.kpis
    assert len(kpis) == 1
    assert kpis["assigned"].iloc[0] == 2 and kpis["unassigned_no_capacity"].iloc[0] == 1
    assert kpis["objective"].iloc[0] == pytest.approx(evaluation.objective)
    assert kpis["travel_time_min"].iloc[0] == pytest.approx(evaluation.kpis.travel_time_min)


def test_frames_from_a_solve_result_and_csv_files(tiny, tmp_path):
    """plan_to_frames accepts a SolveResult; to_csv writes the four tables; the KPI row is
    labelled with the solver so several runs concatenate into a comparison."""
    result = fd.solve(tiny, solver="greedy", seed=0)
    frames = fd.plan_to_frames(result)
    assert len(frames.visits) == result.evaluation.kpis.assigned
    assert list(frames.kpis.index) == ["greedy"]
    files = frames.to_csv(tmp_path / "out")
    assert [f.name for f in files] == ["visits.csv", "technicians.csv", "unassigned.csv",
                                      "kpis.csv"]
    back = pd.read_csv(tmp_path / "out" / "visits.csv")
    assert list(back["ticket_id"]) == list(frames.visits["ticket_id"])
    both = pd.concat([frames.kpis, tabular.kpis_frame(result, label="again")])
    assert list(both.index) == ["greedy", "again"]


def test_visit_frame_reports_sla_slack():
    """sla_slack_min is the minutes to the nearer SLA deadline (negative when late)."""
    tickets, techs = _frames()
    tickets["response_by"] = ["12:00", ""]
    s = fd.scenario_from_frames(tickets, techs, date="2026-03-02")
    result = fd.solve(s, solver="greedy", seed=0)
    visits = fd.plan_to_frames(result).visits.set_index("ticket_id")
    expected = (visits.loc["A", "response_by"] - visits.loc["A", "start"]).total_seconds() / 60
    assert visits.loc["A", "sla_slack_min"] == pytest.approx(expected)
    assert pd.isna(visits.loc["B", "sla_slack_min"])


# ------------------------------------------------------------------ travel matrices
def _matrix_scenario(tmp_path: Path) -> tuple[Path, Path]:
    tickets = tmp_path / "t.csv"
    tickets.write_text("ticket_id,location_id,duration_min\nA,L1,30\nB,L2,30\n")
    techs = tmp_path / "k.csv"
    techs.write_text("technician_id,location_id,shift_start,shift_end\nt1,D,08:00,17:00\n")
    return tickets, techs


def test_square_csv_matrix_drives_travel(tmp_path):
    """A square CSV matrix (header of ids, one row per origin) becomes the scenario's travel;
    tickets and technicians name their rows with location_id."""
    matrix = tmp_path / "m.csv"
    matrix.write_text("location_id,D,L1,L2\nD,0,600,900\nL1,600,0,300\nL2,900,300,0\n")
    tickets, techs = _matrix_scenario(tmp_path)
    s = fd.read_scenario_csv(tickets, techs, date="2026-03-02", travel=matrix)
    assert isinstance(s.travel, fd.MatrixTravel)
    result = fd.solve(s, solver="greedy", seed=0)
    assert result.evaluation.kpis.travel_time_min == pytest.approx((600 + 300 + 900) / 60)


def test_long_csv_and_npz_matrices_read_the_same(tmp_path):
    """A long from/to CSV (distances in metres) and an .npz hold the same matrix."""
    long = tmp_path / "long.csv"
    rows = ["from,to,duration_s,distance_m"]
    ids = ["D", "L1", "L2"]
    dur = np.array([[0, 600, 900], [610, 0, 300], [905, 320, 0]])
    for a in range(3):
        for b in range(3):
            if a != b:
                rows.append(f"{ids[a]},{ids[b]},{dur[a, b]},{dur[a, b] * 10}")
    long.write_text("\n".join(rows) + "\n")
    m1 = fd.read_travel_matrix(long)
    npz = tmp_path / "m.npz"
    np.savez(npz, location_ids=np.array(ids), durations=dur, distances=dur * 10.0)
    m2 = fd.read_travel_matrix(npz, distance_unit="m")
    assert m1.location_ids == m2.location_ids == tuple(ids)
    assert np.array_equal(m1.durations, dur) and np.array_equal(m2.durations, dur)
    assert m1.distances is not None and m1.distances[1, 2] == pytest.approx(3.0)
    assert m1 == m2


def test_matrix_ids_are_checked_against_the_scenario(tmp_path):
    """A matrix lacking a location of the scenario fails naming the file and the missing ids."""
    matrix = tmp_path / "m.csv"
    matrix.write_text("location_id,D,L1\nD,0,600\nL1,600,0\n")
    tickets, techs = _matrix_scenario(tmp_path)
    err = _error(fd.read_scenario_csv, tickets, techs, date="2026-03-02", travel=matrix)
    assert isinstance(err, fd.UnknownReferenceError)
    assert err.message.startswith(f"{tickets}, row 3, column 'location_id': Ticket 'B'")
    assert "travel matrix" in err.message and "'L2'" in err.message
    good = tmp_path / "g.csv"
    good.write_text("location_id,D,L1,L2\nD,0,1,1\nL1,1,0,1\nL2,1,1,0\n")
    scenario = fd.read_scenario_csv(tickets, techs, date="2026-03-02", travel=good)
    small = fd.read_travel_matrix(matrix)
    with pytest.raises(fd.UnknownReferenceError, match=r"Ticket 'B': 'L2'"):
        tabular.check_travel_ids(scenario, small)
    fd.read_travel_matrix(good, scenario=scenario)  # passes


def test_bad_matrix_files_name_the_cell(tmp_path):
    """A non-numeric cell names the file, row and column; mismatched ids say so."""
    bad = tmp_path / "bad.csv"
    bad.write_text("location_id,D,L1\nD,0,abc\nL1,600,0\n")
    err = _error(fd.read_travel_matrix, bad)
    assert err.message.startswith(f"{bad}, row 2, column 'L1': expected a number, got 'abc'")
    skew = tmp_path / "skew.csv"
    skew.write_text("location_id,D,L1\nD,0,1\nL2,1,0\n")
    assert "same ids" in _error(fd.read_travel_matrix, skew).message
    npz = tmp_path / "m.npz"
    np.savez(npz, durations=np.zeros((2, 2)))
    assert "'location_ids' is missing" in _error(fd.read_travel_matrix, npz).message


def test_documented_columns_match_the_howto():
    """Every column the reader knows is in the how-to's tables (docs/howto/import.md)."""
    text = (EXAMPLES.parent / "docs" / "howto" / "import.md").read_text(encoding="utf-8")
    for table in (tabular.TICKET_COLUMNS, tabular.TECHNICIAN_COLUMNS, tabular.PART_COLUMNS,
                  tabular.ASSET_COLUMNS, tabular.PLAN_COLUMNS):
        for key in table:
            cell = ", ".join(f"`{name.strip()}`" for name in key.split(","))
            assert f"| {cell} |" in text, key
