"""Regression tests for the ``ls`` scratch-buffer overrun (issue #15), each in a child process.

The bug wrote past a buffer sized from the longest feasible route whenever an
improving iteration touched more routes than that, and killed the process
(SIGSEGV, or a heap abort such as ``free(): invalid next size``). A crash must
fail a test, not pytest: every case runs in a subprocess that prints one JSON
summary line per solve; the test asserts exit code 0 (naming the signal and the
child's stderr otherwise) and that every plan passes the shared evaluator with
no ticket lost. The children inherit the environment, so under
``NUMBA_BOUNDSCHECK=1`` an out-of-bounds access fails these tests with the
``IndexError`` traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest

import fsdispatch as fd
from fsdispatch.testing.stress import exit_text

pytestmark = pytest.mark.property  # rerun by CI with NUMBA_BOUNDSCHECK=1 (children inherit it)

TIMEOUT = 900  # seconds; a fresh install compiles the kernels in the first child

PRELUDE = textwrap.dedent('''
    import json
    import sys

    import attrs
    import numpy as np

    import fsdispatch as fd


    def capped_day(num_technicians, num_tickets, seed, low, high):
        """A generated day whose technicians' daily caps are drawn from [low, high]."""
        base = fd.generate_scenario(num_technicians, num_tickets, seed=seed)
        rng = np.random.default_rng(seed)
        return base.replace(technicians=tuple(
            attrs.evolve(t, max_tickets_per_day=int(rng.integers(low, high + 1)))
            for t in base.technicians))


    def progress(text):
        print(text, file=sys.stderr, flush=True)


    def emit(problem, plan, evaluation, **extra):
        """One JSON line: the evaluator's verdict and the tickets not placed exactly once."""
        count = {}
        for route in plan.routes:
            for j in route:
                count[j] = count.get(j, 0) + 1
        lost = [j for j in range(problem.num_tickets)
                if count.get(j, 0) + (j in plan.unassigned) != 1
                or (j in plan.unassigned
                    and not isinstance(plan.unassigned[j], fd.UnassignedReason))]
        print(json.dumps(dict(
            feasible=bool(evaluation.is_feasible),
            violations=[str(v) for v in evaluation.violations[:3]],
            lost=lost, num_tickets=problem.num_tickets,
            assigned=sum(count.values()), **extra)), flush=True)
''')


def _run_child(body: str, cwd: Path) -> list[dict[str, Any]]:
    """Run ``PRELUDE + body`` in a fresh interpreter; its summary lines, or a failed assert."""
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT)
    code = proc.returncode
    assert code == 0, (
        f"child process {exit_text(code)}\n"
        f"--- stderr (tail) ---\n{proc.stderr[-3000:]}\n--- stdout ---\n{proc.stdout[-2000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _assert_all_good(records: list[dict[str, Any]], expected: int) -> None:
    assert len(records) == expected, records
    for record in records:
        assert record["feasible"], record
        assert record["lost"] == [], record


def test_issue_reproduction_ls_with_daily_cap_2_survives(tmp_path):
    """Issue #15's reproduction: 8 technicians x 60 tickets, every daily cap 2, ``ls`` with
    its default options (descent on) and 500 iterations, seeds 0-5: the process survives and
    every plan is feasible with no ticket lost (it used to crash 5 of 6 seeds)."""
    records = _run_child('''
        scenario = capped_day(8, 60, 0, 2, 2)
        assert all(t.max_tickets_per_day == 2 for t in scenario.technicians)
        problem = fd.compile_scenario(scenario)
        for seed in range(6):
            progress(f"solving seed {seed}")
            result = fd.solve(problem, "ls", seed=seed, max_iterations=500)
            emit(problem, result.plan, result.evaluation, seed=seed,
                 iterations=result.stats["iterations"])
    ''', tmp_path)
    _assert_all_good(records, 6)
    assert all(r["iterations"] == 500 for r in records)


def test_hundred_technician_day_with_caps_8_to_16_survives(tmp_path):
    """A generated day with 100 technicians (daily caps 8-16) and 400 tickets, ``ls`` with
    default options and 300 iterations for seeds 0-2: no crash (the day used to overrun the
    buffer and abort), feasible plans, nothing lost."""
    records = _run_child('''
        scenario = capped_day(100, 400, 1, 8, 16)
        problem = fd.compile_scenario(scenario)
        for seed in range(3):
            progress(f"solving seed {seed}")
            result = fd.solve(problem, "ls", seed=seed, max_iterations=300)
            emit(problem, result.plan, result.evaluation, seed=seed)
    ''', tmp_path)
    _assert_all_good(records, 3)
    assert all(r["num_tickets"] == 400 for r in records)


def test_dispatcher_plan_day_survives_daily_cap_2(tmp_path):
    """``Dispatcher(day).plan_day()`` (``ls`` warm-started from greedy, descent on) on the
    issue's day with 500 iterations, seeds 0-5: no crash, the live plan is feasible and
    loses nothing."""
    records = _run_child('''
        scenario = capped_day(8, 60, 0, 2, 2)
        for seed in range(6):
            progress(f"plan_day seed {seed}")
            dispatcher = fd.Dispatcher(scenario)
            replan = dispatcher.plan_day(seed=seed, time_limit=None, max_iterations=500)
            emit(dispatcher.problem, dispatcher.plan, dispatcher.evaluation, seed=seed,
                 solver=replan.solver)
    ''', tmp_path)
    _assert_all_good(records, 6)
    assert {r["solver"] for r in records} == {"ls"}


def _cli() -> list[str]:
    """The ``fsdispatch`` command of this interpreter (or ``python -c`` calling its main)."""
    script = Path(sys.executable).with_name("fsdispatch")
    if script.exists():
        return [str(script)]
    found = shutil.which("fsdispatch")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from fsdispatch.cli import main; "
            "sys.exit(main())"]


def test_cli_solve_with_ls_survives_daily_cap_2(tmp_path):
    """``fsdispatch solve FILE --solver ls`` on the issue's day, saved as JSON, exits 0
    (feasible; a crash shows as a signal), and ``fsdispatch check`` accepts its plan."""
    base = fd.generate_scenario(8, 60, seed=0)
    scenario = base.replace(technicians=tuple(attrs.evolve(t, max_tickets_per_day=2)
                                              for t in base.technicians))
    day, plan = tmp_path / "day.json", tmp_path / "plan.json"
    fd.save_scenario(scenario, day)
    solved = subprocess.run([*_cli(), "solve", str(day), "--solver", "ls", "--seed", "0",
                             "--time-limit", "2", "--out", str(plan), "--quiet"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    code = solved.returncode
    assert code == 0, f"fsdispatch solve {exit_text(code)}\n{solved.stderr[-3000:]}"
    checked = subprocess.run([*_cli(), "check", str(day), str(plan)], cwd=tmp_path,
                             capture_output=True, text=True, timeout=TIMEOUT)
    code = checked.returncode
    assert code == 0, (f"fsdispatch check {exit_text(code)}\n"
                       f"{checked.stdout[-2000:]}{checked.stderr[-2000:]}")
    assert "plan is feasible" in checked.stdout
