"""Peer VRPTW solvers scored by our evaluator, the benchmark runner and ``fsdispatch bench``."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.bench import (
    PEERS,
    check_bks,
    list_instances,
    run_benchmark,
    solve_peer,
    vrptw_data,
    why_not_vrptw,
)
from fsdispatch.cli import main

DATA = Path(__file__).parents[1] / "data"
SOLOMON = DATA / "solomon"


def small_solomon(tmp_path: Path, customers: int = 25, source: str = "C101") -> Path:
    """The depot and the first ``customers`` customers of a bundled instance, 5 vehicles."""
    lines = (SOLOMON / f"{source}.txt").read_text().splitlines()
    start = next(k for k, ln in enumerate(lines) if ln.split()[:1] == ["0"])
    head = [ln.replace("  25  ", "   5  ") if ln.split()[:1] == ["25"] else ln
            for ln in lines[:start]]
    path = tmp_path / f"{source}_{customers}.txt"
    path.write_text("\n".join(head + lines[start:start + customers + 1]) + "\n")
    return path


@pytest.fixture(scope="module")
def c101_25(tmp_path_factory: pytest.TempPathFactory) -> fd.Problem:
    """C101 cut to its first 25 customers and 5 vehicles (the clustered C1 class)."""
    path = small_solomon(tmp_path_factory.mktemp("solomon"), 25, "C101")
    return fd.compile_scenario(fd.read_solomon(path))


def test_vrptw_data_of_a_solomon_problem(c101_25: fd.Problem):
    """The exported arrays: depot row 0, ×10 integer times, cost = travel tenths."""
    data = vrptw_data(c101_25)
    assert data.num_clients == 25 and data.num_vehicles == 5
    assert data.cost_scale == 10.0
    assert (data.cost == data.duration).all()  # distance km × 10 == travel seconds
    assert data.duration[0, 1] == 186  # sqrt(349) = 18.68 -> 18.6
    assert data.demand[0] == 0 and data.demand[1] == 10
    assert data.service[0] == 0 and data.service[1] == 900
    assert (data.tw_early[1], data.tw_late[1]) == (9120, 9670)
    assert data.capacity.tolist() == [200] * 5
    assert data.open.tolist() == [0] * 5 and data.close.tolist() == [12360] * 5


def test_ortools_peer_plan_is_scored_by_our_evaluator(c101_25: fd.Problem):
    """OR-Tools on 25 customers: a feasible plan serving everyone, evaluator == its cost."""
    result = solve_peer(c101_25, "ortools", time_limit=1.0)
    assert result.solver == "ortools"
    assert result.is_feasible and result.status is fd.SolveStatus.FEASIBLE
    assert result.evaluation.kpis.assigned == 25
    assert result.objective == pytest.approx(result.stats["backend_objective"])
    assert result.objective == pytest.approx(result.evaluation.kpis.distance_km)
    greedy = fd.solve(c101_25, solver="greedy", seed=1)
    assert result.objective <= greedy.objective + 1e-6


@pytest.mark.parametrize("peer", ["pyvrp", "vroom"])
def test_optional_peers_give_feasible_plans(c101_25: fd.Problem, peer: str):
    """PyVRP and VROOM (if installed) serve everyone feasibly; evaluator == their cost."""
    pytest.importorskip(peer)
    result = solve_peer(c101_25, peer, time_limit=1.0, seed=3)
    assert result.is_feasible, result.evaluation.violations[:3]
    assert result.evaluation.kpis.assigned == 25
    assert result.objective == pytest.approx(result.stats["backend_objective"])


def test_non_vrptw_problems_are_refused(tiny: fd.Scenario, city: fd.Scenario):
    """Skills, breaks, several depots… raise UnsupportedProblemError saying why."""
    for scenario in (tiny, city):
        problem = fd.compile_scenario(scenario)
        assert why_not_vrptw(problem) is not None
        with pytest.raises(fd.UnsupportedProblemError, match="cannot take this problem"):
            solve_peer(problem, "ortools", time_limit=0.5)


def test_geometric_single_depot_problem_is_accepted():
    """A plain planar scenario (one depot, windows, capacity) is a VRPTW; OR-Tools solves it."""
    depot = fd.Location.planar(0, 0)
    techs = [fd.Technician(f"t{k}", depot, [fd.Shift(at(8), at(17))], capacity=3)
             for k in range(2)]
    tickets = [fd.Ticket(f"j{k}", fd.Location.planar(k + 1, k % 3), 20 * fd.MINUTE, demand=1,
                         windows=[fd.TimeWindow(at(8), at(16))]) for k in range(5)]
    scenario = fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), techs, tickets,
                           travel=fd.GeometricTravel(speed_kmh=30.0, detour=1.0))
    problem = fd.compile_scenario(scenario)
    assert why_not_vrptw(problem) is None
    result = solve_peer(problem, "ortools", time_limit=0.5)
    assert result.is_feasible and result.evaluation.kpis.assigned == 5
    assert result.objective == pytest.approx(result.stats["backend_objective"], rel=1e-3)


@pytest.mark.parametrize("peer", PEERS)
def test_peers_leave_unservable_tickets_out_with_their_reason(peer: str):
    """A ticket no shift can reach in its window stays unassigned as no_shift; plan feasible."""
    if peer != "ortools":
        pytest.importorskip(peer)
    depot = fd.Location.planar(0, 0)
    techs = [fd.Technician("t0", depot, [fd.Shift(at(8), at(17))], capacity=5)]
    tickets = [fd.Ticket("near", fd.Location.planar(1, 0), 10 * fd.MINUTE, demand=1),
               fd.Ticket("far", fd.Location.planar(30, 0), 10 * fd.MINUTE, demand=1,
                         windows=[fd.TimeWindow(at(8), at(8.25))])]
    scenario = fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), techs, tickets,
                           travel=fd.GeometricTravel(speed_kmh=30.0, detour=1.0))
    problem = fd.compile_scenario(scenario)
    result = solve_peer(problem, peer, time_limit=0.5)
    assert result.is_feasible
    assert result.plan.to_ids(problem) == {"routes": {"t0#0": ["near"]},
                                           "unassigned": {"far": "no_shift"}}


def test_unknown_peer_and_bad_time_limit_are_validation_errors(c101_25: fd.Problem):
    """A misspelt peer or a non-positive budget raise ValidationError."""
    with pytest.raises(fd.ValidationError, match="ortool"):
        solve_peer(c101_25, "ortool")
    with pytest.raises(fd.ValidationError, match="time_limit"):
        solve_peer(c101_25, "ortools", time_limit=0)


def test_list_instances_patterns_and_defaults():
    """Patterns are case-insensitive shell patterns; no pattern = one instance per class."""
    names = [p.stem for p in list_instances("solomon", ["r1*", "C101"], data_dir=DATA)]
    assert names == ["R101", "C101"]
    assert len(list_instances("solomon", ["all"], data_dir=DATA)) == 6
    with pytest.raises(fd.ValidationError, match="X999"):
        list_instances("solomon", ["X999"], data_dir=DATA)
    with pytest.raises(fd.ValidationError, match="set"):
        list_instances("nope", data_dir=DATA)
    with pytest.raises(fd.ValidationError, match="benchmark data not found"):
        list_instances("solomon", data_dir=DATA / "missing")


def test_check_bks_agrees_on_the_bundled_solutions():
    """check_bks re-evaluates every bundled .sol and finds nothing to report."""
    assert check_bks("solomon", data_dir=DATA) == []


def test_run_benchmark_skips_unregistered_solvers_and_reports_gaps():
    """Unknown/unavailable solvers are skipped with a note; rows carry gap to the BKS."""
    lines: list[str] = []
    report = run_benchmark("solomon", ["C201"], solvers=["no-such-solver", "greedy"],
                           time_limit=1.0, data_dir=DATA, log=lines.append)
    assert "no-such-solver" in report.skipped
    assert any("skipping solver 'no-such-solver'" in ln for ln in lines)
    (row,) = report.rows
    assert (row.instance, row.solver, row.feasible) == ("C201", "greedy", True)
    assert row.bks == pytest.approx(589.1)
    assert row.gap_pct == pytest.approx(100 * (row.objective - 589.1) / 589.1)
    assert "C201" in report.table() and "greedy" in report.summary()


def test_cli_bench_prints_a_table_and_writes_csv(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]):
    """``fsdispatch bench`` prints table and summary, notes skipped solvers, writes CSV."""
    out = tmp_path / "table.csv"
    code = main(["bench", "--data-dir", str(DATA), "--instances", "C101",
                 "--solvers", "greedy,not-yet", "--time-limit", "1", "--out", str(out),
                 "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "gap %" in text and "mean gap %" in text and "skipped not-yet" in text
    rows = list(csv.DictReader(out.open()))
    assert [(r["instance"], r["solver"], r["feasible"]) for r in rows] == [
        ("C101", "greedy", "True")]


def test_cli_bench_check_bks_and_bad_pattern(capsys: pytest.CaptureFixture[str]):
    """``--check-bks`` exits 0 on the bundled data; an unknown instance exits 2 with one line."""
    assert main(["bench", "--data-dir", str(DATA), "--check-bks"]) == 0
    assert "all solutions feasible" in capsys.readouterr().out
    assert main(["bench", "--data-dir", str(DATA), "--instances", "Z9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fsdispatch: error:") and "Z9" in err


def test_peers_are_the_three_named():
    """The peer list is OR-Tools, PyVRP and VROOM."""
    assert PEERS == ("ortools", "pyvrp", "vroom")
