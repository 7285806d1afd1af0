"""Assets, maintenance plans and the PM tickets due in a horizon (issue #19)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.domain.asset import due_dates

DAY_S = 86_400
START = datetime(2026, 3, 2, 6, tzinfo=UTC)
HVAC = fd.Location(x=0.0, y=0.0)


def plan(
    asset_id: str = "A", every: int = 30 * DAY_S, tolerance: int = DAY_S, **kw
) -> fd.MaintenancePlan:
    return fd.MaintenancePlan(asset_id, every, 3600, {}, tolerance, **kw)


def expected_count(hstart: int, hend: int, every: int, last: int | None) -> int:
    """Due dates in [hstart, hend) by arithmetic on integer seconds (not by stepping)."""
    first = hstart if last is None else last + every
    if first < hstart:  # overdue: one visit now, then hstart + k * every, k >= 1
        return 1 + max(0, math.ceil((hend - hstart) / every) - 1)
    return max(0, math.ceil((hend - first) / every))


@st.composite
def pm_cases(draw):
    length = draw(st.integers(1, 90 * DAY_S))
    every = draw(st.integers(DAY_S, 200 * DAY_S))
    tolerance = draw(st.integers(0, every // 2))
    last = draw(st.none() | st.integers(-800 * DAY_S, 120 * DAY_S))
    return length, every, tolerance, last


@given(pm_cases())
def test_pm_tickets_count_windows_and_ids(case):
    """Ids unique, one ticket per due date in the horizon, every window inside the
    horizon and around its due date, tickets bound to the asset and at its location."""
    length, every, tolerance, last = case
    horizon = fd.Horizon(START, START + timedelta(seconds=length))
    asset = fd.Asset("AHU-1", HVAC, kind="hvac", customer_id="C1")
    done = {} if last is None else {"AHU-1": START + timedelta(seconds=last)}
    tickets = fd.maintenance_tickets([asset], [plan("AHU-1", every, tolerance)], horizon, done)
    assert len(tickets) == expected_count(0, length, every, last)
    assert len({t.id for t in tickets}) == len(tickets)
    for t in tickets:
        assert t.asset_id == "AHU-1" and t.location == HVAC and t.customer_id == "C1"
        assert t.id.startswith("PM-AHU-1-") and t.category == "maintenance"
        (w,) = t.windows
        assert horizon.start <= w.start <= w.end <= horizon.end
        assert (w.end - w.start).total_seconds() <= 2 * tolerance
    # the same inputs give the same tickets
    again = fd.maintenance_tickets([asset], [plan("AHU-1", every, tolerance)], horizon, done)
    assert again == tickets


@given(pm_cases(), st.integers(1, 60 * DAY_S))
def test_pm_ids_are_stable_when_the_horizon_grows(case, extra):
    """With a known last visit, a longer horizon keeps the tickets of the shorter one."""
    length, every, tolerance, last = case
    done = {"A": START + timedelta(seconds=last if last is not None else -every // 2)}
    short = fd.Horizon(START, START + timedelta(seconds=length))
    long = fd.Horizon(START, START + timedelta(seconds=length + extra))
    asset = fd.Asset("A", HVAC)
    ids_short = [
        t.id
        for t in fd.maintenance_tickets(
            [asset], [plan(every=every, tolerance=tolerance)], short, done
        )
    ]
    ids_long = [
        t.id
        for t in fd.maintenance_tickets(
            [asset], [plan(every=every, tolerance=tolerance)], long, done
        )
    ]
    assert ids_long[: len(ids_short)] == ids_short


@given(st.integers(0, 400 * DAY_S), st.integers(DAY_S, 100 * DAY_S))
def test_plans_not_due_give_nothing(offset, every):
    """A visit done less than one interval before the horizon end gives no ticket."""
    horizon = fd.Horizon(START, START + timedelta(days=7))
    last = horizon.end - timedelta(seconds=every) + timedelta(seconds=1 + offset % every)
    tickets = fd.maintenance_tickets(
        [fd.Asset("A", HVAC)], [plan(every=every, tolerance=0)], horizon, {"A": last}
    )
    assert tickets == ()


def test_due_dates_rules():
    """Unknown history: due now; installed_at: one interval after; missed visits: one
    overdue visit now, named after the first missed date, then the interval restarts."""
    horizon = fd.Horizon(START, START + timedelta(days=10))
    p = plan(every=4 * DAY_S, tolerance=DAY_S)
    assert [d for d, _ in due_dates(p, horizon, None)] == [
        START,
        START + timedelta(days=4),
        START + timedelta(days=8),
    ]
    overdue = due_dates(p, horizon, START - timedelta(days=9))
    assert overdue[0] == (START - timedelta(days=5), START)
    assert [e for _, e in overdue[1:]] == [START + timedelta(days=4), START + timedelta(days=8)]
    installed = fd.Asset("A", HVAC, installed_at=START - timedelta(days=1))
    (first, *_) = fd.maintenance_tickets([installed], [p], horizon)
    assert first.id == "PM-A-20260305"
    assert first.windows[0].start == START + timedelta(days=2)
    assert first.windows[0].end == START + timedelta(days=4)
    # last_done wins over installed_at
    assert fd.maintenance_tickets([installed], [p], horizon, {"A": START + timedelta(days=9)}) == ()


def test_named_plans_and_plan_keys():
    """Two plans of one asset need names; 'asset/name' keys of last_done win."""
    horizon = fd.Horizon(START, START + timedelta(days=7))
    asset = fd.Asset("A", HVAC)
    with pytest.raises(fd.ValidationError, match="must tell apart the plans"):
        fd.maintenance_tickets([asset], [plan(), plan()], horizon)
    plans = [plan(name="filters", parts=["F1", "F1"]), plan(name="annual", every=365 * DAY_S)]
    tickets = fd.maintenance_tickets(
        [asset], plans, horizon, {"A/annual": START - timedelta(days=1)}
    )
    assert [t.id for t in tickets] == ["PM-A-filters-20260302"]
    assert tickets[0].parts == {"F1": 2}


def test_order_of_plans_does_not_matter():
    horizon = fd.Horizon(START, START + timedelta(days=30))
    assets = [fd.Asset(f"A{k}", fd.Location(x=k, y=0.0)) for k in range(5)]
    plans = [plan(f"A{k}", every=(k + 2) * DAY_S) for k in range(5)]
    shuffled = plans[:]
    random.Random(1).shuffle(shuffled)
    assert fd.maintenance_tickets(assets, plans, horizon) == fd.maintenance_tickets(
        assets[::-1], shuffled, horizon
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"every": 3600}, "every", 3600),
        ({"every": 11 * 365 * DAY_S}, "every", 11 * 365 * DAY_S),
        ({"tolerance": 16 * DAY_S}, "tolerance", 16 * DAY_S),
        ({"tolerance": -1}, "tolerance", -1),
        ({"parts": {"F": 0}}, "parts['F']", 0),
        ({"name": "a/b"}, "name", "a/b"),
        ({"priority": "P9"}, "priority", "P9"),
    ],
)
def test_bad_plans_name_field_and_value(kwargs, field, value):
    with pytest.raises(fd.ValidationError) as info:
        plan(**kwargs)
    assert info.value.field == field and info.value.value == value
    assert info.value.entity == "MaintenancePlan"


def test_bad_assets_and_references():
    with pytest.raises(fd.ValidationError) as info:
        fd.Asset("A", HVAC, installed_at=datetime(2026, 1, 1))
    assert info.value.field == "installed_at"
    with pytest.raises(fd.ValidationError) as info:
        fd.Asset("", HVAC)
    assert info.value.field == "id"
    with pytest.raises(fd.ValidationError) as info:
        fd.Asset("A", (0, 0))
    assert info.value.field == "location"
    horizon = fd.Horizon(START, START + timedelta(days=7))
    with pytest.raises(fd.UnknownReferenceError) as info:
        fd.maintenance_tickets([fd.Asset("A", HVAC)], [plan("B")], horizon)
    assert info.value.field == "asset_id" and info.value.value == "B"
    with pytest.raises(fd.ValidationError) as info:
        fd.maintenance_tickets(
            [fd.Asset("A", HVAC)], [plan()], horizon, {"A": datetime(2026, 1, 1)}
        )
    assert info.value.field == "last_done['A']"
    with pytest.raises(fd.ValidationError, match="unique"):
        fd.maintenance_tickets([fd.Asset("A", HVAC), fd.Asset("A", HVAC)], [], horizon)


def _scenario(**kw):
    tech = fd.Technician("T1", HVAC, shifts=[fd.Shift(START, START + timedelta(hours=8))])
    return fd.Scenario(
        horizon=fd.Horizon(START, START + timedelta(days=1)), technicians=[tech], **kw
    )


def test_scenario_checks_assets():
    """Asset ids unique; a ticket's asset_id must name a known asset when assets are given."""
    a = fd.Asset("A", HVAC)
    ok = fd.Ticket("T", HVAC, 600, asset_id="A")
    assert _scenario(tickets=[ok], assets=[a]).asset("A") is a
    _scenario(tickets=[fd.Ticket("T", HVAC, 600, asset_id="Z")])  # no assets: not checked
    with pytest.raises(fd.UnknownReferenceError) as info:
        _scenario(tickets=[fd.Ticket("T", HVAC, 600, asset_id="Z")], assets=[a])
    assert info.value.entity == "Ticket" and info.value.field == "asset_id"
    assert info.value.value == "Z" and "unknown asset" in str(info.value)
    with pytest.raises(fd.ValidationError, match="Asset 'A': id must be unique"):
        _scenario(tickets=[], assets=[a, a])
    with pytest.raises(fd.ValidationError) as info:
        _scenario(tickets=[], assets=["A"])
    assert info.value.field == "assets[0]"
    with pytest.raises(fd.ValidationError) as info:
        fd.Ticket("T", HVAC, 600, asset_id=7)
    assert info.value.field == "asset_id" and info.value.value == 7
    with pytest.raises(fd.UnknownReferenceError):
        _scenario(tickets=[]).asset("A")


def test_cost_rates_checked():
    assert fd.CostRates(0.4, 12.0).travel_per_hour == 12.0
    for field in ("travel_per_km", "travel_per_hour"):
        with pytest.raises(fd.ValidationError) as info:
            fd.CostRates(**{field: -1.0})
        assert info.value.field == field and info.value.value == -1.0
    with pytest.raises(fd.ValidationError) as info:
        _scenario(tickets=[], cost_rates={"travel_per_km": 1})
    assert info.value.field == "cost_rates"


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("every", DAY_S, fd.domain.asset.MAX_PM_INTERVAL),
        ("duration", 1, 30 * DAY_S),
        ("tolerance", 0, 15 * DAY_S),
    ],
)
def test_plan_ranges_ends_accepted_just_outside_rejected(field, low, high):
    """Documented ranges (docs/concepts.md "Ranges"): both ends accepted; just outside,
    2**63, NaN, booleans and strings rejected naming the field and the value."""
    base = {"every": 30 * DAY_S, "duration": 3600, "tolerance": 0}
    for ok in (low, high):
        fd.MaintenancePlan("A", **{**base, field: ok}, required_skills={})
    for bad in (low - 1, high + 1, 2**63, float("nan"), True, "1"):
        with pytest.raises(fd.ValidationError) as info:
            fd.MaintenancePlan("A", **{**base, field: bad}, required_skills={})
        assert info.value.field == field
        assert info.value.value is bad or info.value.value == bad
