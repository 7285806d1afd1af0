"""Crash-isolated stress run: at least 1 000 random days per backend, each in a worker process.

The slow test drives :func:`fsdispatch.testing.stress.run_stress` for every
backend; a worker that dies (signal, heap abort, non-zero exit) or hangs is
reported with its (backend, seed) and replaced, and every returned plan is
checked by the shared evaluator in the worker. It runs only when selected
with ``pytest -m slow`` (or with ``FSDISPATCH_STRESS_DAYS`` set): the default run
deselects ``slow`` (``addopts`` in ``pyproject.toml``), and a run that clears the
marker filter (``-m ""``) skips it too. Configure with environment variables:

- ``FSDISPATCH_STRESS_DAYS`` — days per backend (default 1000);
  ``FSDISPATCH_STRESS_DAYS_CPSAT`` etc. override it for one backend;
- ``FSDISPATCH_STRESS_WORKERS`` — worker processes (default 2);
- ``FSDISPATCH_STRESS_FIRST_SEED`` — first seed (default 0).

Reproduce a reported day with ``python -m fsdispatch.testing._stress_worker --one ls:SEED``.
The same run from the command line: ``python benchmarks/stress.py``.
"""

from __future__ import annotations

import os

import pytest

from fsdispatch.testing.stress import run_stress


def _opted_in(config: pytest.Config) -> bool:
    """Whether this run asked for slow tests (``-m slow``) or set ``FSDISPATCH_STRESS_DAYS``."""
    expr = (config.getoption("markexpr") or "").replace("not slow", "")
    return "slow" in expr or "FSDISPATCH_STRESS_DAYS" in os.environ


def _days(backend: str) -> int:
    return int(os.environ.get(f"FSDISPATCH_STRESS_DAYS_{backend.upper()}",
                              os.environ.get("FSDISPATCH_STRESS_DAYS", "1000")))


@pytest.mark.slow
def test_every_backend_survives_a_thousand_random_days(solver_name, request):
    """Each backend solves 1 000 random stress days (greedy, ls with 500 iterations; cpsat and
    milp on days within their limits, 2 s each) with no crash, no exception, no infeasible
    plan, no lost ticket, and for greedy and ls the backend objective equals the evaluator's;
    every failure is listed with its seed. Runs only with ``-m slow`` or when
    ``FSDISPATCH_STRESS_DAYS`` is set."""
    if not _opted_in(request.config):
        pytest.skip("the stress run is slow: select it with -m slow")
    report = run_stress([solver_name], days=_days(solver_name),
                        workers=int(os.environ.get("FSDISPATCH_STRESS_WORKERS", "2")),
                        first_seed=int(os.environ.get("FSDISPATCH_STRESS_FIRST_SEED", "0")))
    print(report.table())
    assert len(report.results) == _days(solver_name)
    assert not report.failures(), "\n" + report.describe_failures()


def test_a_dying_worker_is_reported_with_its_day_and_replaced():
    """The stress driver survives its workers: an abort (SIGABRT) and a non-zero exit are each
    reported as a crash of that (backend, seed) with the signal or exit code and the worker's
    stderr, and the next day still runs, on a replacement worker."""
    report = run_stress(["__abort__", "greedy", "__exit__"], days=1, workers=1, first_seed=5,
                        warm_up=False)
    by_backend = {r.backend: r for r in report.results}
    assert len(report.results) == 3
    assert by_backend["__abort__"].crashed and "SIGABRT" in by_backend["__abort__"].detail
    assert "self-test __abort__" in by_backend["__abort__"].detail  # the worker's stderr
    assert by_backend["__exit__"].crashed and "exit code 3" in by_backend["__exit__"].detail
    assert not by_backend["greedy"].failed, by_backend["greedy"].describe()
    assert {r.seed for r in report.results} == {5}
    assert [r.backend for r in report.failures()] == ["__abort__", "__exit__"]
    assert "__abort__ seed 5: CRASH" in report.describe_failures()


def test_a_hanging_worker_is_killed_and_reported():
    """A day with no answer within the day timeout counts as a crash of that day; its worker
    is killed."""
    report = run_stress(["__hang__"], days=1, workers=1, first_seed=3, day_timeout=2,
                        warm_up=False)
    assert [(r.seed, r.crashed) for r in report.results] == [(3, True)]
    assert "no answer within 2 s" in report.results[0].detail
