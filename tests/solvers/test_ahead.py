"""The second compiling process (``fsdispatch.solvers._ahead``) starts only when it can help.

Its effect on a cold cache (the search's kernels load here, compiled there, same plan)
is tested in ``test_one_signature.py``; these are the rules for not starting it.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from typing import Any

import pytest

import fsdispatch as fd
from fsdispatch.evaluate._kernels import simulate_routes
from fsdispatch.solvers import _ahead as ahead


@pytest.fixture(autouse=True)
def _warm() -> None:
    fd.solve(fd.generate_scenario(2, 6, seed=0), "greedy")  # simulate_routes is compiled


def test_a_compiled_kernel_counts_as_cached() -> None:
    assert simulate_routes.signatures
    assert ahead.cached(simulate_routes)


def test_nothing_starts_for_cached_kernels_or_unknown_jobs() -> None:
    assert ahead.start("evaluate", simulate_routes) is None
    assert ahead.start("no-such-job", simulate_routes) is None
    assert not ahead._LIVE


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_the_environment_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch,
                                             value: str) -> None:
    monkeypatch.setenv("FSDISPATCH_COMPILE_AHEAD", value)
    assert not ahead._enabled()


def test_an_unknown_job_fails_the_second_process() -> None:
    """A failing second process exits non-zero (the first then compiles by itself)."""
    out = subprocess.run([sys.executable, "-m", "fsdispatch.solvers._ahead", "no-such-job"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode != 0
    assert "no-such-job" in out.stderr


def test_waiting_for_a_failed_process_says_so() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    second = ahead.Ahead("test", proc)
    assert second.wait() is False


def test_waiting_stops_a_process_that_takes_too_long() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    second = ahead.Ahead("test", proc)
    assert second.wait(timeout=0.5) is False
    assert proc.poll() is not None  # stopped, not left running


def _enabled_in_child(queue: Any) -> None:
    queue.put(ahead._enabled())


def test_a_pool_worker_does_not_start_one() -> None:
    """Workers of a process pool share the cores with their siblings: no second process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_enabled_in_child, args=(queue,))
    proc.start()
    try:
        assert queue.get(timeout=120) is False
    finally:
        proc.join(60)


@pytest.mark.parametrize("traffic", [False, True])
def test_ls_starts_the_job_of_the_days_travel_kind(monkeypatch: pytest.MonkeyPatch,
                                                   traffic: bool) -> None:
    """``solve`` hands the scenario to ``compile_ahead``: a static day starts only the static
    job, a traffic day only the ``-traffic`` one (no second process compiling kernels of
    the other kind, no third process on two cores)."""
    from fsdispatch.solvers.local_search.solver import LocalSearchSolver

    day = fd.generate_scenario(2, 6, seed=1)
    if traffic:
        day = day.replace(travel=fd.TimeDependentTravel(
            day.travel, fd.SpeedProfile.constant(1.0)))
    started: list[str] = []
    monkeypatch.setattr(ahead, "cached", lambda dispatcher: False)
    monkeypatch.setattr(ahead, "start", lambda job, needed: started.append(job))
    LocalSearchSolver().compile_ahead(day)
    assert started == ["ls-traffic" if traffic else "ls"]
    # a compiled Problem is judged by its kernel data, the same way
    started.clear()
    LocalSearchSolver().compile_ahead(fd.compile_scenario(day))
    assert started == ["ls-traffic" if traffic else "ls"]
