"""The synthetic scenario generator."""

from __future__ import annotations

import pytest

import fsdispatch as fd


def test_same_seed_same_scenario():
    """The generator is deterministic under a seed and differs across seeds."""
    a = fd.generate_scenario(5, 30, seed=4)
    assert a == fd.generate_scenario(5, 30, seed=4)
    assert a != fd.generate_scenario(5, 30, seed=5)


def test_generated_day_is_realistic():
    """A generated day mixes priorities, categories, windows, parts, skills and SLAs."""
    sc = fd.generate_scenario(25, 200, seed=1)
    assert sc.num_technicians == 25 and sc.num_tickets == 200
    assert {t.priority for t in sc.tickets} == set(fd.Priority)
    assert {t.category for t in sc.tickets} >= {"install", "repair", "maintenance", "inspection"}
    assert sum(bool(t.windows) for t in sc.tickets) > 50
    assert sum(bool(t.parts) for t in sc.tickets) > 10
    assert all(t.shifts and t.shifts[0].breaks for t in sc.technicians)
    assert all(any(sc.deadlines(t)) for t in sc.tickets)
    assert len({s for t in sc.technicians for s in t.skills}) >= 4


def test_multi_day_horizon_has_a_shift_per_day():
    """With ``days=3`` each technician works one shift per day inside the horizon."""
    sc = fd.generate_scenario(4, 20, seed=2, days=3)
    assert all(len(t.shifts) == 3 for t in sc.technicians)
    assert sc.horizon.length == 3 * fd.DAY


def test_bad_sizes_are_rejected():
    """Negative sizes raise ValidationError naming the argument."""
    with pytest.raises(fd.ValidationError, match="num_tickets"):
        fd.generate_scenario(3, -1)
