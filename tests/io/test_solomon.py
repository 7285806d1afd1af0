"""The Solomon / Gehring–Homberger reader, its DIMACS conventions and the BKS solutions."""

from __future__ import annotations

import csv
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import fsdispatch as fd
from fsdispatch.io.solomon import ORIGIN, dimacs_travel, parse_solomon

DATA = Path(__file__).parents[1] / "data" / "solomon"
INSTANCES = sorted(p.stem for p in DATA.glob("*.txt"))
BKS = {row["instance"]: row for row in csv.DictReader((DATA / "bks.csv").open())}

HEADER = """TEST
VEHICLE
NUMBER     CAPACITY
  {vehicles}         {capacity}

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

"""


def write_instance(tmp_path: Path, rows: list[str], *, vehicles: int = 2, capacity: int = 50,
                   name: str = "bad.txt") -> Path:
    """Write a small Solomon file: the header, then ``rows`` (depot first)."""
    path = tmp_path / name
    path.write_text(HEADER.format(vehicles=vehicles, capacity=capacity) + "\n".join(rows) + "\n")
    return path


TINY_ROWS = [
    "0   0   0   0    0  1000   0",
    "1   3   4  10   10   200  10",
    "2   6   8  20    0   500  10",
    "3   1   1  30  100   300  20",
]


@pytest.fixture(scope="module")
def c101() -> fd.Problem:
    """Solomon C101 (100 customers, 25 vehicles of capacity 200), compiled."""
    return fd.compile_scenario(fd.read_solomon(DATA / "C101.txt"))


def test_mapping_of_vehicles_customers_and_depot(c101: fd.Problem):
    """Vehicles become depot-based technicians; customers become tickets with ×10 times."""
    sc = c101.scenario
    assert sc.name == "C101"
    assert sc.num_technicians == 25 and sc.num_tickets == 100
    assert sc.horizon.start == ORIGIN and ORIGIN.utcoffset() == timedelta(0)
    assert sc.horizon.length == 12360  # depot due date 1236 × 10
    tech = sc.technicians[0]
    assert tech.id == "v01" and sc.technicians[-1].id == "v25"
    assert tech.capacity == 200 and tech.skills == {} and tech.max_overtime == 0
    assert tech.start_location == tech.shift_end_location(tech.shifts[0])
    assert (tech.start_location.x, tech.start_location.y) == (40, 50)
    assert len(tech.shifts) == 1
    assert tech.shifts[0].start == ORIGIN
    assert tech.shifts[0].end == ORIGIN + timedelta(seconds=12360)
    t1 = sc.ticket("1")  # 1  45  68  10  912  967  90
    assert (t1.location.x, t1.location.y, t1.demand, t1.duration) == (45, 68, 10, 900)
    assert t1.window_kind == "hard" and len(t1.windows) == 1
    assert t1.windows[0].start == ORIGIN + timedelta(seconds=9120)
    assert t1.windows[0].end == ORIGIN + timedelta(seconds=9670)
    assert {t.priority for t in sc.tickets} == {fd.Priority.P3}
    assert [t.id for t in sc.tickets] == [str(k) for k in range(1, 101)]


def test_travel_is_the_dimacs_truncation_in_tenths(c101: fd.Problem):
    """Depot -> customer 1 is sqrt(349) = 18.68…: 186 s of travel and 18.6 km."""
    travel = c101.scenario.travel
    assert isinstance(travel, fd.MatrixTravel)
    row = travel.index()
    assert travel.durations[row["n0"], row["n1"]] == 186
    assert travel.distances is not None
    assert travel.distances[row["n0"], row["n1"]] == pytest.approx(18.6)
    np.testing.assert_allclose(travel.distances, travel.durations / 10.0)


def test_objective_is_distance_only_with_a_huge_unassigned_penalty(c101: fd.Problem):
    """Only distance counts; leaving a customer out costs 10^6, whatever its priority."""
    w = c101.scenario.objective
    assert w.distance == 1.0
    assert w.travel_time == w.overtime == w.window_lateness == w.labour == 0.0
    assert w.load_balance == w.preference == 0.0
    assert set(w.unassigned.values()) == {1e6}
    assert set(w.sla_lateness.values()) == {0.0}


def test_dimacs_travel_is_exact_for_integer_coordinates():
    """floor(10·euclid) equals the exact integer square root on many random integer points."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 500, 60).astype(float)
    y = rng.integers(0, 500, 60).astype(float)
    got = dimacs_travel(x, y)
    want = np.array([[math.isqrt(int(100 * ((a - b) ** 2 + (c - d) ** 2)))
                      for b, d in zip(x, y, strict=True)] for a, c in zip(x, y, strict=True)])
    np.testing.assert_array_equal(got, want)
    # a perfect square (3-4-5 triangle) gives exactly 50 tenths
    assert dimacs_travel(np.array([0.0, 3.0]), np.array([0.0, 4.0]))[0, 1] == 50


@pytest.mark.parametrize("instance", INSTANCES)
def test_bks_solution_is_feasible_and_scores_the_dimacs_value(instance: str):
    """Each bundled BKS .sol passes the shared evaluator and its objective is bks_dimacs."""
    problem = fd.compile_scenario(fd.read_solomon(DATA / f"{instance}.txt"))
    plan = fd.read_solomon_solution(problem, DATA / f"{instance}.sol")
    evaluation = fd.evaluate(problem, plan)
    assert evaluation.is_feasible, evaluation.violations[:3]
    assert evaluation.kpis.assigned == problem.num_tickets
    bks = float(BKS[instance]["bks_dimacs"])
    assert evaluation.objective == pytest.approx(bks, abs=1e-6)
    assert evaluation.kpis.distance_km == pytest.approx(bks, abs=1e-6)
    assert evaluation.kpis.routes_used == int(BKS[instance]["bks_dimacs_routes"])
    cost_line = [ln for ln in (DATA / f"{instance}.sol").read_text().splitlines()
                 if ln.startswith("Cost")]
    assert float(cost_line[0].split()[1]) == pytest.approx(bks)


@pytest.mark.parametrize("instance", ["C101", "R101"])
def test_greedy_gives_a_feasible_plan_that_serves_everyone(instance: str):
    """The greedy backend on C101/R101: feasible, every customer served, objective = distance."""
    problem = fd.compile_scenario(fd.read_solomon(DATA / f"{instance}.txt"))
    result = fd.solve(problem, solver="greedy", seed=1)
    assert result.is_feasible
    assert result.evaluation.kpis.assigned == problem.num_tickets
    assert not result.plan.unassigned
    assert result.objective == pytest.approx(result.evaluation.kpis.distance_km)
    assert result.objective >= float(BKS[instance]["bks_dimacs"]) - 1e-6


def test_name_override_and_parse_keeps_raw_units(tmp_path: Path):
    """``name=`` overrides the file's first line; parse_solomon returns Solomon units."""
    path = write_instance(tmp_path, TINY_ROWS, name="tiny.txt")
    assert fd.read_solomon(path, name="mine").name == "mine"
    assert fd.read_solomon(path).name == "TEST"
    raw = parse_solomon(path)
    assert raw.num_customers == 3 and raw.num_vehicles == 2 and raw.capacity == 50
    assert raw.due.tolist() == [1000, 200, 500, 300]
    assert raw.lines.tolist()[0] == 9


def test_solution_with_a_missing_customer_is_reported_missing(tmp_path: Path):
    """A .sol that forgets a customer gives a plan the evaluator flags as 'missing'."""
    problem = fd.compile_scenario(fd.read_solomon(write_instance(tmp_path, TINY_ROWS)))
    sol = tmp_path / "tiny.sol"
    sol.write_text("Route #1: 1 3\nCost 0\n")
    evaluation = fd.evaluate(problem, fd.read_solomon_solution(problem, sol))
    assert not evaluation.is_feasible
    assert {v.kind for v in evaluation.violations} == {"missing"}


@pytest.mark.parametrize(("rows", "line", "value"), [
    ([*TINY_ROWS[:2], "2   6   x  20    0   500  10", TINY_ROWS[3]], 11, "'x'"),
    ([*TINY_ROWS[:2], "2   6   8  20    0   500", TINY_ROWS[3]], 11, "500"),
    ([*TINY_ROWS[:3], "1   1   1  30  100   300  20"], 12, "1"),
    ([*TINY_ROWS[:3], "3   1   1  30  400   300  20"], 12, "300"),
    ([*TINY_ROWS[:3], "3   1   1  99  100   300  20"], 12, "99"),
    ([*TINY_ROWS[:3], "3   1   1  30  100   300   0"], 12, "0"),
    ([*TINY_ROWS[:3], "3   1   1  -3  100   300  20"], 12, "-3"),
    ([*TINY_ROWS[:3], "3   1   1  30  100.05 300  20"], 12, "100.05"),
    (["0   0   0   0    0     0   0", *TINY_ROWS[1:]], 9, "0"),
])
def test_bad_instance_lines_name_file_line_and_value(tmp_path: Path, rows: list[str],
                                                     line: int, value: str):
    """A malformed customer line raises ValidationError naming the file, line and value."""
    path = write_instance(tmp_path, rows)
    with pytest.raises(fd.ValidationError) as info:
        fd.read_solomon(path)
    message = str(info.value)
    assert "bad.txt" in message and f"line {line}" in message and value in message
    assert info.value.entity == "SolomonFile" and info.value.field == f"line {line}"


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "empty"),
    ("X\nCUSTOMER\n0 0 0 0 0 10 0\n", "VEHICLE"),
    ("X\nVEHICLE\nNUMBER CAPACITY\n0 10\nCUSTOMER\n0 0 0 0 0 10 0\n", "line 4"),
    ("X\nVEHICLE\nNUMBER CAPACITY\n2 10\n", "CUSTOMER"),
    ("X\nVEHICLE\nNUMBER CAPACITY\n2 10 7\n", "line 4"),
    ("X\nsomething else\n", "line 2"),
])
def test_bad_instance_structure_is_a_validation_error(tmp_path: Path, text: str, fragment: str):
    """Missing blocks and stray lines raise ValidationError (never IndexError/ValueError)."""
    path = tmp_path / "broken.txt"
    path.write_text(text)
    with pytest.raises(fd.ValidationError, match=fragment) as info:
        fd.read_solomon(path)
    assert "broken.txt" in str(info.value)


def test_missing_file_is_a_validation_error(tmp_path: Path):
    """A path that does not exist raises ValidationError naming it."""
    with pytest.raises(fd.ValidationError, match=r"nope\.txt"):
        fd.read_solomon(tmp_path / "nope.txt")
    problem = fd.compile_scenario(fd.read_solomon(write_instance(tmp_path, TINY_ROWS)))
    with pytest.raises(fd.ValidationError, match=r"nope\.sol"):
        fd.read_solomon_solution(problem, tmp_path / "nope.sol")


@pytest.mark.parametrize(("text", "line", "value"), [
    ("Route #1: 1 2\nRoute #3: 3\n", 2, "3"),
    ("Route #1: 1 2\nRoute #1: 3\n", 2, "1"),
    ("Route #1: 1 7\n", 1, "'7'"),
    ("Route #1: 1 x\n", 1, "'x'"),
    ("Route #0: 1 2 3\n", 1, "'0'"),
    ("Route #a: 1 2 3\n", 1, "'a'"),
    ("Route 1 2 3\n", 1, "Route 1 2 3"),
])
def test_bad_solution_lines_name_file_line_and_value(tmp_path: Path, text: str, line: int,
                                                     value: str):
    """A bad .sol line raises ValidationError naming the file, line and value."""
    problem = fd.compile_scenario(fd.read_solomon(write_instance(tmp_path, TINY_ROWS)))
    sol = tmp_path / "bad.sol"
    sol.write_text(text)
    with pytest.raises(fd.ValidationError) as info:
        fd.read_solomon_solution(problem, sol)
    message = str(info.value)
    assert "bad.sol" in message and f"line {line}" in message and value in message


def test_solution_without_routes_is_a_validation_error(tmp_path: Path):
    """A .sol with no route line at all is rejected, naming the file."""
    problem = fd.compile_scenario(fd.read_solomon(write_instance(tmp_path, TINY_ROWS)))
    sol = tmp_path / "empty.sol"
    sol.write_text("Cost 12\n")
    with pytest.raises(fd.ValidationError, match=r"empty\.sol"):
        fd.read_solomon_solution(problem, sol)
