"""Service history of an asset from evaluated plans (issue #19)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import fsdispatch as fd
from test_maintenance_week import day, week


@pytest.fixture(scope="module")
def solved():
    scenario, pm = week()
    result = fd.solve(scenario, "greedy", seed=0)
    assert result.evaluation.is_feasible
    return scenario, pm, result


def test_history_lists_the_served_visits_of_the_asset(solved):
    scenario, _, result = solved
    ev = fd.evaluate(result.problem, result.plan)
    schedule = fd.to_schedule(result.problem, result.plan, ev)
    for asset in scenario.assets:
        history = fd.asset_history(asset.id, [result])
        mine = {t.id: t for t in scenario.tickets if t.asset_id == asset.id}
        expected = sorted(
            (v for v in schedule.visits if v.ticket_id in mine),
            key=lambda v: (v.start, v.ticket_id),
        )
        assert [v.ticket_id for v in history.visits] == [v.ticket_id for v in expected]
        for got, want in zip(history.visits, expected, strict=True):
            assert (got.technician_id, got.start, got.end) == (
                want.technician_id,
                want.start,
                want.end,
            )
            assert got.category == mine[got.ticket_id].category
        assert {v.ticket_id for v in history.repairs} == {
            t for t, tk in mine.items() if tk.category != "maintenance"
        }
        units = sum(q for v in history.visits for q in v.parts.values())
        assert sum(history.parts_used.values()) == units


def test_history_feeds_the_next_maintenance_round(solved):
    """The end of the PM visit is the next round's last_done: not due next week."""
    scenario, pm, result = solved
    history = fd.asset_history("AHU-0", [result, (result.problem, result.plan)])
    (visit,) = history.of_category("maintenance")
    assert visit.ticket_id == pm[0].id and history.parts_used == {"FILTER": 1}
    assert history.last_done() == visit.end
    assert len([v for v in history.visits if v.ticket_id == pm[0].id]) == 1  # counted once
    plans = [fd.MaintenancePlan("AHU-0", timedelta(days=90), 3600, {}, timedelta(days=2))]
    next_week = fd.Horizon(day(7), day(12))
    assert (
        fd.maintenance_tickets(scenario.assets, plans, next_week, {"AHU-0": history.last_done()})
        == ()
    )
    due_later = fd.Horizon(visit.end + timedelta(days=89), visit.end + timedelta(days=91))
    (again,) = fd.maintenance_tickets(
        scenario.assets, plans, due_later, {"AHU-0": history.last_done()}
    )
    assert again.asset_id == "AHU-0"


def test_history_of_scenario_plan_pairs_and_bad_records(solved):
    scenario, _, result = solved
    empty = fd.Plan(
        routes=[()] * result.problem.num_routes,
        unassigned={j: fd.UnassignedReason.OPEN for j in range(scenario.num_tickets)},
    )
    quiet = fd.asset_history("AHU-1", [(scenario, empty)])
    assert quiet.visits == () and quiet.last_done() is None and quiet.parts_used == {}
    # a later record without the visit does not erase it; one that serves it wins
    assert fd.asset_history("AHU-1", [result, (scenario, empty)]) == fd.asset_history(
        "AHU-1", [result]
    )
    with pytest.raises(fd.ValidationError) as info:
        fd.asset_history("AHU-1", [result.plan])
    assert info.value.field == "records"
    with pytest.raises(fd.ValidationError) as info:
        fd.asset_history("", [result])
    assert info.value.field == "asset_id"


def test_history_from_the_live_dispatcher(solved):
    """A live Dispatcher (its problem, plan and evaluation) is a record too."""
    scenario, _, result = solved
    desk = fd.Dispatcher(scenario, plan=result.plan)
    for asset in scenario.assets:
        assert fd.asset_history(asset.id, [desk]) == fd.asset_history(asset.id, [result])
