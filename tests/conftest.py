"""Shared fixtures: small named scenarios a person can check by hand."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings

import fsdispatch as fd
from fsdispatch.solvers import Capabilities

settings.register_profile(
    "default", deadline=None, max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "ci", deadline=None, max_examples=40, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", deadline=None, max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") == "true" else "default"))

UTC = UTC
DAY0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def at(hours: float, day: int = 0) -> datetime:
    """A datetime ``hours`` after midnight of day ``day`` (UTC)."""
    return DAY0 + timedelta(days=day, hours=hours)


# the backends that tests with a `solver_name` argument run on: (name, capabilities)
_SOLVERS = pytest.StashKey[list[tuple[str, Capabilities]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--solvers", default=None, metavar="NAMES",
        help="comma-separated registered backends the solver conformance tests run on "
             "(the tests with a `solver_name` argument), e.g. --solvers=ls; default: every "
             "registered backend whose dependencies are installed")


def _backends(names: list[str] | None) -> list[tuple[str, Capabilities]]:
    """``names`` with their backends' capabilities; ``None`` is every registered backend
    (entry points included) whose dependencies are installed. A name given that is not
    registered or not installed is a usage error."""
    selected = []
    for name in fd.available_solvers() if names is None else names:
        try:
            backend = fd.get_solver(name)
        except fd.BackendUnavailableError as exc:
            if names is None:
                continue
            raise pytest.UsageError(f"--solvers: {exc}") from None
        except fd.UnknownSolverError as exc:
            raise pytest.UsageError(f"--solvers: {exc}") from None
        selected.append((name, backend.capabilities))
    return selected


def pytest_configure(config: pytest.Config) -> None:
    option = config.getoption("--solvers", None)
    if option is not None:  # checked at once; the default is found when a test needs it
        config.stash[_SOLVERS] = _backends([s.strip() for s in option.split(",") if s.strip()])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test with a ``solver_name`` argument runs once per ``--solvers`` backend, narrowed by
    its ``solvers`` marker (capabilities it needs, names it skips)."""
    if "solver_name" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("solvers")
    wanted = dict(marker.kwargs) if marker else {}
    skip = set(wanted.pop("skip", ()))
    if _SOLVERS not in metafunc.config.stash:
        metafunc.config.stash[_SOLVERS] = _backends(None)
    names = [name for name, caps in metafunc.config.stash[_SOLVERS]
             if name not in skip and all(getattr(caps, k) == v for k, v in wanted.items())]
    metafunc.parametrize("solver_name", names, ids=names)


@pytest.fixture
def tiny() -> fd.Scenario:
    """3 tickets, 2 technicians on a planar map (km), one 8:00-17:00 shift each.

    - ``A`` at (0, 0) holds hvac 2; ``B`` at (10, 0) holds gas 1.
    - ``T1`` at (5, 0) needs hvac 1 (60 min); ``T2`` at (5, 5) needs gas 1 and must
      start 13:00-15:00 (60 min); ``T3`` at (1, 1) needs nothing (30 min).
    - B has a 30-minute lunch break in 12:00-14:00.
    Travel: 60 km/h, no detour, so 1 km = 60 s.
    """
    lunch = fd.Break(fd.TimeWindow(at(12), at(14)), 30 * fd.MINUTE)
    techs = [
        fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))],
                      skills={"hvac": 2}),
        fd.Technician("B", fd.Location.planar(10, 0), [fd.Shift(at(8), at(17), breaks=[lunch])],
                      skills={"gas": 1}),
    ]
    tickets = [
        fd.Ticket("T1", fd.Location.planar(5, 0), 60 * fd.MINUTE, required_skills={"hvac": 1}),
        fd.Ticket("T2", fd.Location.planar(5, 5), 60 * fd.MINUTE, required_skills={"gas": 1},
                  windows=[fd.TimeWindow(at(13), at(15))]),
        fd.Ticket("T3", fd.Location.planar(1, 1), 30 * fd.MINUTE),
    ]
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), techs, tickets,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0), name="tiny")


@pytest.fixture
def city() -> fd.Scenario:
    """A generated realistic day: 8 technicians, 60 tickets (skills, windows, parts, SLAs)."""
    return fd.generate_scenario(8, 60, seed=11)


@pytest.fixture
def two_days() -> fd.Scenario:
    """A generated two-day horizon: 5 technicians with 2 shifts each, 50 tickets."""
    return fd.generate_scenario(5, 50, seed=5, days=2)
