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


class _Stream:
    """A text stream that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        self.text = ""
        self.tty = tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty


def _event(iteration: int, best: float | None = 1234.5, assigned: int | None = 7):
    from fsdispatch.solvers import ProgressEvent

    return ProgressEvent("ls", 0.0, iteration, best_objective=best, assigned=assigned)


def test_progress_line_waits_then_rewrites_one_terminal_line():
    """On a terminal: nothing in the first seconds, then one line rewritten with \\r at most
    every interval, ended by a newline on close."""
    from fsdispatch.cli import _ProgressLine

    now = [0.0]
    stream = _Stream(tty=True)
    line = _ProgressLine(stream, delay=2.0, interval=0.25, clock=lambda: now[0])
    for t, it in ((1.0, 10), (2.5, 20), (2.6, 30), (2.9, 40)):
        now[0] = t
        line(_event(it))
    line.close()
    shown = stream.text.split("\r")
    assert shown[0] == ""  # the first second showed nothing
    assert len(shown) == 3  # 2.5 s and 2.9 s; 2.6 s came too soon
    assert shown[1].startswith("solving [ls]    2.5 s  best 1,234.5  assigned 7  iterations 20")
    assert shown[2].rstrip().endswith("iterations 40")
    assert stream.text.endswith("\n") and stream.text.count("\n") == 1
    # an event that came too soon is shown on close: the line ends on the final state
    stream, now[0] = _Stream(tty=True), 0.0
    line = _ProgressLine(stream, delay=2.0, interval=0.25, clock=lambda: now[0])
    for t, it in ((2.5, 20), (2.6, 30)):
        now[0] = t
        line(_event(it))
    line.close()
    assert stream.text.rstrip().endswith("iterations 30") and stream.text.endswith("\n")


def test_progress_line_on_a_pipe_prints_a_plain_line_every_few_seconds():
    """Not a terminal: whole lines, no \\r, at most every ``plain_interval`` seconds, and
    the last event on close; a backend that reports no objective shows ``-``."""
    from fsdispatch.cli import _ProgressLine

    now = [0.0]
    stream = _Stream(tty=False)
    line = _ProgressLine(stream, delay=2.0, plain_interval=5.0, clock=lambda: now[0])
    for t in (1.0, 3.0, 4.0, 7.9, 8.1, 12.0):
        now[0] = t
        line(_event(int(t * 10), best=None, assigned=None))
    line.close()
    assert "\r" not in stream.text
    assert stream.text.splitlines() == [
        "solving [ls]    3.0 s  best -  assigned -  iterations 30",
        "solving [ls]    8.1 s  best -  assigned -  iterations 81",
        "solving [ls]   12.0 s  best -  assigned -  iterations 120",  # the last, on close
    ]


def test_solve_shows_progress_on_stderr_and_quiet_hides_it(tmp_path, capsys, monkeypatch):
    """``solve`` writes its progress line on stderr (here with no delay); ``--quiet`` prints
    nothing at all."""
    from fsdispatch.cli import _ProgressLine

    monkeypatch.setattr(_ProgressLine, "DELAY", 0.0)
    monkeypatch.setattr(_ProgressLine, "PLAIN_INTERVAL", 0.0)
    assert main(["solve", str(EXAMPLE), "--solver", "ls", "--time-limit", "0.5"]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines and all(line.startswith("solving [ls]") for line in lines)
    assert "assigned" in lines[-1] and "objective" in out  # the summary is on stdout
    assert main(["solve", str(EXAMPLE), "--solver", "ls", "--time-limit", "0.5",
                 "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
