"""The ``fsdispatch`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fsdispatch.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "metro_day.json"


def test_generate_solve_check_round_trip(tmp_path, capsys):
    """generate → solve --out → check: the written plan is feasible and check exits 0."""
    scen = tmp_path / "day.json"
    plan = tmp_path / "plan.json"
    assert main(["generate", "--technicians", "4", "--tickets", "25", "--seed", "3",
                 "--out", str(scen)]) == 0
    assert main(["solve", str(scen), "--out", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "KPIs" in out and "Routes" in out and "assigned" in out
    assert main(["check", str(scen), str(plan)]) == 0
    assert "plan is feasible" in capsys.readouterr().out
    data = json.loads(plan.read_text())
    assert data["format"] == "fsdispatch.plan" and data["feasible"] is True


def test_check_exits_1_on_an_infeasible_plan(tmp_path, capsys):
    """check prints the violations and exits 1 when the plan breaks a rule."""
    scen = tmp_path / "day.json"
    main(["generate", "--technicians", "2", "--tickets", "6", "--seed", "1", "--out", str(scen)])
    capsys.readouterr()
    tickets = [t["id"] for t in json.loads(scen.read_text())["tickets"]]
    tech = json.loads(scen.read_text())["technicians"][0]["id"]
    bad = {"format": "fsdispatch.plan", "version": 1,
           "routes": [{"technician_id": tech, "shift": 0, "tickets": [tickets[0], tickets[0]]}],
           "unassigned": []}
    plan = tmp_path / "bad.json"
    plan.write_text(json.dumps(bad))
    assert main(["check", str(scen), str(plan)]) == 1
    out = capsys.readouterr().out
    assert "INFEASIBLE" in out and "double_assignment" in out and "missing" in out


@pytest.mark.parametrize("content", [
    "{not json",
    json.dumps({"format": "fsdispatch.scenario", "version": 1}),
    json.dumps({"format": "fsdispatch.scenario", "version": 1,
                "horizon": {"start": "2026-01-05T00:00:00", "end": "2026-01-06T00:00:00+00:00"},
                "technicians": [], "tickets": []}),
])
def test_invalid_input_is_one_line_and_exit_2(tmp_path, capsys, content):
    """Malformed JSON, a missing field or a naive datetime: one stderr line, exit code 2."""
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fsdispatch: error:")
    assert "Traceback" not in err[0]


def test_unknown_solver_exit_2(capsys):
    """An unknown solver name is reported on one line with exit code 2."""
    assert main(["solve", str(EXAMPLE), "--solver", "nope"]) == 2
    assert "unknown solver 'nope'" in capsys.readouterr().err


def test_missing_file_exit_2(capsys):
    """A missing scenario file is reported on one line with exit code 2."""
    assert main(["solve", "/nonexistent/day.json"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bundled_example_solves_from_a_subprocess():
    """The README's first command works: the installed ``fsdispatch`` script solves the example."""
    proc = subprocess.run([sys.executable, "-m", "fsdispatch.cli", "solve", str(EXAMPLE),
                           "--max-routes", "3"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "objective" in proc.stdout and "tech-001#0" in proc.stdout


def test_quickstart_example_runs(capsys):
    """examples/quickstart.py runs end to end and prints the day's KPIs."""
    import importlib.util

    path = EXAMPLE.with_name("quickstart.py")
    spec = importlib.util.spec_from_file_location("quickstart", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main()
    assert result.evaluation.is_feasible
    assert "tickets assigned" in capsys.readouterr().out


@pytest.mark.parametrize("command", [[], ["simulate"], ["import"], ["generate"]])
def test_help_prints_and_exits_0(command, capsys):
    """``--help`` of the command and of its subcommands prints the usage (the simulate line once
    broke argparse's %-formatting with "95 % CIs") and exits 0."""
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "usage: fsdispatch" in capsys.readouterr().out
