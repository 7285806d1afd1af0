"""The public hypothesis strategies and the seeded stress days: valid, bounded, every feature."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import Phase, find, given, settings

import fsdispatch as fd
from fsdispatch.solvers.cpsat import CpSatSolver
from fsdispatch.solvers.milp import MilpSolver
from fsdispatch.testing.days import FULL_TECHNICIANS, random_day
from fsdispatch.testing.strategies import scenarios, stress_scenarios


def _compiles_quietly(scenario: fd.Scenario) -> fd.Problem:
    """Compile ``scenario``; a validation warning (suspicious data) is a generator bug."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fd.compile_scenario(scenario)


def _shifts(scenario: fd.Scenario) -> list[tuple[fd.Technician, fd.Shift]]:
    return [(t, s) for t in scenario.technicians for s in t.shifts]


def _breaks_can_all_be_taken(scenario: fd.Scenario) -> bool:
    """Each break can end by its shift end, and opens no earlier than the previous could end."""
    for _, shift in _shifts(scenario):
        earliest_end = shift.start
        for brk in shift.breaks:
            if brk.window.start < earliest_end:
                return False
            earliest_end = brk.window.start + timedelta(seconds=brk.duration)
            if earliest_end > shift.end:
                return False
    return True


# Features a stress day should show; each must appear in some generated day.
FEATURES: dict[str, Callable[[fd.Scenario], bool]] = {
    "many technicians (>= 20)": lambda s: len(s.technicians) >= 20,
    "a daily cap of 0": lambda s: any(t.max_tickets_per_day == 0 for t in s.technicians),
    "every route short (caps <= 3) on a busy day": lambda s: (
        len(s.technicians) > FULL_TECHNICIANS and len(s.tickets) >= 15
        and all(t.max_tickets_per_day is not None and t.max_tickets_per_day <= 3
                for t in s.technicians)),
    "a capacity of 0": lambda s: any(t.capacity == 0 for t in s.technicians),
    "tiny capacities against demands >= 1": lambda s: (
        len(s.tickets) >= 3 and all(j.demand >= 1 for j in s.tickets)
        and any(t.capacity is not None and t.capacity <= 2 for t in s.technicians)),
    "two breaks in a shift": lambda s: any(len(sh.breaks) == 2 for _, sh in _shifts(s)),
    "a fixed break (window == duration)": lambda s: any(
        (b.window.end - b.window.start).total_seconds() == b.duration
        for _, sh in _shifts(s) for b in sh.breaks),
    "a break window running past the shift end": lambda s: any(
        b.window.end > sh.end for _, sh in _shifts(s) for b in sh.breaks),
    "a long break (>= 90 min)": lambda s: any(
        b.duration >= 90 * fd.MINUTE for _, sh in _shifts(s) for b in sh.breaks),
    "a depot with limited stock": lambda s: any(
        d.stock and min(d.stock.values()) <= 1 for d in s.depots),
    "tickets needing parts and a depot": lambda s: bool(s.depots) and any(
        j.parts for j in s.tickets),
    "a two-day horizon": lambda s: (s.horizon.end - s.horizon.start).days == 2,
    "a long job (>= 2 h)": lambda s: any(j.duration >= 2 * 3600 for j in s.tickets),
    "a shift ending away from home": lambda s: any(
        sh.end_location is not None for _, sh in _shifts(s)),
    "a soft window": lambda s: any(j.window_kind == "soft" and j.windows for j in s.tickets),
}

_FIND = settings(max_examples=500, phases=[Phase.generate], database=None, deadline=None)


@given(scenarios())
def test_default_scenarios_keep_their_original_bounds(scenario):
    """``scenarios()`` with its defaults draws what it always drew: at most 4 technicians
    (caps None or 1-4, capacity None or 1-6, at most one break per shift), 10 tickets with
    demand 0-3, two days, no depots."""
    _compiles_quietly(scenario)
    assert len(scenario.technicians) <= 4 and len(scenario.tickets) <= 10
    assert (scenario.horizon.end - scenario.horizon.start).days <= 2
    assert not scenario.depots
    for tech in scenario.technicians:
        assert tech.max_tickets_per_day is None or 1 <= tech.max_tickets_per_day <= 4
        assert tech.capacity is None or 1 <= tech.capacity <= 6
        assert all(len(shift.breaks) <= 1 for shift in tech.shifts)
    assert all(0 <= ticket.demand <= 3 for ticket in scenario.tickets)


@given(scenarios(max_technicians=30, max_tickets=12, low_caps=True, tiny_capacity=True,
                 max_breaks=2, depots=True, long_jobs=True))
def test_scenario_options_draw_what_they_promise(scenario):
    """``low_caps``: every cap 0-3; ``tiny_capacity``: capacity None or 0-2 and demand 1-2;
    ``max_breaks=2``: at most two breaks per shift, all takeable; ``depots``: one or two
    depots; technicians up to 30 (copies past the sixth)."""
    _compiles_quietly(scenario)
    assert len(scenario.technicians) <= 30
    for tech in scenario.technicians:
        assert tech.max_tickets_per_day is not None and 0 <= tech.max_tickets_per_day <= 3
        assert tech.capacity is None or 0 <= tech.capacity <= 2
        assert all(len(shift.breaks) <= 2 for shift in tech.shifts)
    assert all(1 <= ticket.demand <= 2 for ticket in scenario.tickets)
    assert 1 <= len(scenario.depots) <= 2
    assert _breaks_can_all_be_taken(scenario)


@given(stress_scenarios())
def test_stress_scenarios_are_valid_and_small(scenario):
    """Stress days validate and compile without warnings, stay within 30 technicians,
    30 tickets and two days, and every break in them can be taken."""
    problem = _compiles_quietly(scenario)
    assert problem.num_technicians <= 30 and problem.num_tickets <= 30
    assert (scenario.horizon.end - scenario.horizon.start).days <= 2
    assert _breaks_can_all_be_taken(scenario)


@given(stress_scenarios(exact=True))
def test_exact_stress_scenarios_fit_the_exact_backends(scenario):
    """Stress days for the exact backends are within the routing limits of ``cpsat`` and
    ``milp`` (at most 12 tickets, 12 routes)."""
    problem = _compiles_quietly(scenario)
    assert problem.num_tickets <= 12
    assert CpSatSolver().capabilities.why_not(problem) is None
    assert MilpSolver().capabilities.why_not(problem) is None


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # find() reprs the day
@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_stress_scenarios_show_every_feature(feature):
    """Each hard feature (many technicians, low caps, tiny capacities, two / fixed / long /
    late breaks, limited depots, two days, long jobs…) appears in some stress day."""
    found = find(stress_scenarios(), FEATURES[feature], settings=_FIND)
    _compiles_quietly(found)


def test_random_days_are_valid_reproducible_and_show_every_feature():
    """``random_day(seed)`` is the same day for the same seed, different for another seed,
    always valid, and 300 seeds show every feature of the stress strategy."""
    assert random_day(7) == random_day(7)
    assert random_day(7) != random_day(8)
    assert random_day(7, exact=True) == random_day(7, exact=True)
    seen = dict.fromkeys(FEATURES, False)
    for seed in range(300):
        day = random_day(seed)
        _compiles_quietly(day)
        assert len(day.technicians) <= 30 and len(day.tickets) <= 30
        assert _breaks_can_all_be_taken(day)
        for name, has in FEATURES.items():
            seen[name] = seen[name] or has(day)
    assert [name for name, ok in seen.items() if not ok] == []


def test_exact_random_days_fit_the_exact_backends():
    """``random_day(seed, exact=True)`` is within the ``cpsat`` and ``milp`` routing limits."""
    for seed in range(200):
        problem = _compiles_quietly(random_day(seed, exact=True))
        assert CpSatSolver().capabilities.why_not(problem) is None, seed
        assert MilpSolver().capabilities.why_not(problem) is None, seed
