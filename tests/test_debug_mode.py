"""Debug mode: ``FSDISPATCH_ASSERT=1`` checks every incremental cost against the evaluator.

The checks must run (a wrong figure raises ``InternalCheckError``) and must
pass on real solves: greedy insertions, the ``ls`` search's running
objectives and live insertions and repairs.
"""

from __future__ import annotations

import attrs
import pytest

import fsdispatch as fd
from fsdispatch import _debug
from fsdispatch.errors import InternalCheckError
from fsdispatch.live import Dispatcher


@pytest.fixture
def assert_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debug mode on for one test."""
    monkeypatch.setenv("FSDISPATCH_ASSERT", "1")


def test_debug_mode_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``FSDISPATCH_ASSERT`` unset, empty or ``0`` is off; anything else is on."""
    for value, on in (("", False), ("0", False), ("1", True), ("yes", True)):
        monkeypatch.setenv("FSDISPATCH_ASSERT", value)
        assert _debug.assert_mode() is on
    monkeypatch.delenv("FSDISPATCH_ASSERT")
    assert not _debug.assert_mode()


def test_check_close_names_the_mismatch() -> None:
    """Equal figures pass (within 1e-9 relative); a difference raises with both values."""
    _debug.check_close("x", 1000.0, 1000.0 + 1e-7)
    with pytest.raises(InternalCheckError, match=r"greedy insertion: incremental 10\.0 != "
                                                 r"evaluator 11\.0.*tickets=\[3\]"):
        _debug.check_close("greedy insertion", 10.0, 11.0, tickets=[3])


@pytest.mark.parametrize("solver, opts", [("greedy", {}), ("ls", {"max_iterations": 60})])
def test_checks_pass_on_real_solves(assert_on: None, solver: str, opts: dict) -> None:
    """With the checks on, greedy and ls solve days with breaks, parts and depots."""
    day = fd.load_scenario("examples/parts_day.json")
    result = fd.solve(day, solver, seed=1, **opts)
    assert result.evaluation.is_feasible


def test_a_wrong_greedy_figure_is_caught(assert_on: None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A bookkeeping error in greedy (simulated: every evaluation of the partial plan is one
    more than the last) raises at the first insertion."""
    import itertools

    import fsdispatch.solvers.greedy as greedy_module

    drift = itertools.count()
    monkeypatch.setattr(greedy_module, "objective_of",
                        lambda *a, **k: _debug.objective_of(*a, **k) + next(drift))
    with pytest.raises(InternalCheckError, match="greedy insertion"):
        fd.solve(fd.generate_scenario(4, 20, seed=2), "greedy")


def test_a_wrong_search_figure_is_caught(assert_on: None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A running objective of ``ls`` that is not the evaluator's raises after the first
    iteration (simulated: the evaluator's view shifted by one)."""
    import fsdispatch.solvers.local_search.solver as ls_module

    monkeypatch.setattr(ls_module, "objective_of",
                        lambda *a, **k: _debug.objective_of(*a, **k) + 1.0)
    with pytest.raises(InternalCheckError, match="ls current objective"):
        fd.solve(fd.generate_scenario(4, 20, seed=2), "ls", seed=0, max_iterations=30)


def test_live_insertions_are_checked(assert_on: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Live insertions and repairs are priced as the evaluator's objective changes; a wrong
    price is caught."""
    import fsdispatch.live.insertion as live_module

    scenario = fd.generate_scenario(6, 30, seed=9)
    d = Dispatcher(scenario, now=scenario.technicians[0].shifts[0].start)
    d.plan_day(solver="greedy")
    seen = []
    real = live_module.check_close
    monkeypatch.setattr(live_module, "check_close",
                        lambda *a, **k: (seen.append(a[0]), real(*a, **k)))
    placed = 0
    for k in range(6):
        ticket = attrs.evolve(scenario.tickets[k], id=f"NEW-{k}", windows=(),
                              preferred_technicians=(), excluded_technicians=())
        placed += d.insert(ticket).placed
    assert placed and len(seen) == placed
    import itertools

    drift = itertools.count()
    monkeypatch.setattr(live_module, "objective_of",
                        lambda *a, **k: _debug.objective_of(*a, **k) + next(drift))
    with pytest.raises(InternalCheckError):
        for k in range(6, 12):
            ticket = attrs.evolve(scenario.tickets[k], id=f"NEW-{k}", windows=(),
                                  preferred_technicians=(), excluded_technicians=())
            d.insert(ticket)
