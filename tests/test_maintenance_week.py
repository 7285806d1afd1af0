"""A week of an HVAC company: PM visits from maintenance plans solved with the repairs
(issue #19's check: three plans due give three served tickets, two not due give none)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import fsdispatch as fd

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def day(d: int, hours: float = 0.0) -> datetime:
    return MONDAY + timedelta(days=d, hours=hours)


def week() -> tuple[fd.Scenario, tuple[fd.Ticket, ...]]:
    horizon = fd.Horizon(day(0), day(5))
    assets = [
        fd.Asset(
            f"AHU-{k}", fd.Location(x=2.0 * k, y=1.0 + k % 2), kind="hvac", customer_id=f"C{k}"
        )
        for k in range(5)
    ]
    plans = [
        fd.MaintenancePlan(
            a.id,
            timedelta(days=90),
            timedelta(minutes=75),
            {"hvac": 1},
            timedelta(days=2),
            parts={"FILTER": 1},
        )
        for a in assets
    ]
    last_done = {  # AHU-0..2 due Tue, Wed, Thu; AHU-3, AHU-4 serviced last month
        "AHU-0": day(1, 10) - timedelta(days=90),
        "AHU-1": day(2, 10) - timedelta(days=90),
        "AHU-2": day(3, 10) - timedelta(days=90),
        "AHU-3": day(-30),
        "AHU-4": day(-5),
    }
    pm = fd.maintenance_tickets(assets, plans, horizon, last_done)
    repairs = [
        fd.Ticket(
            f"R{k}",
            fd.Location(x=1.0 + k, y=3.0),
            timedelta(hours=2),
            required_skills={"hvac": 1},
            priority=fd.Priority.P2,
            windows=[fd.TimeWindow(day(k % 5, 8), day(k % 5, 13))],
            asset_id=f"AHU-{k % 5}",
        )
        for k in range(8)
    ]
    techs = [
        fd.Technician(
            f"tech-{k}",
            fd.Location(x=0.0, y=0.0),
            skills={"hvac": 2},
            shifts=[fd.Shift(day(d, 8), day(d, 17)) for d in range(5)],
            cost_per_hour=55.0,
            van_stock={"FILTER": 10},
        )
        for k in range(2)
    ]
    scenario = fd.Scenario(
        horizon,
        techs,
        [*repairs, *pm],
        assets=assets,
        parts=[fd.Part("FILTER", "air filter", unit_cost=18.0)],
        travel=fd.GeometricTravel(speed_kmh=30.0),
        cost_rates=fd.CostRates(0.4, 10.0),
        name="hvac week",
    )
    return scenario, pm


def test_three_plans_due_give_three_tickets_two_not_due_give_none():
    _, pm = week()
    assert [t.id for t in pm] == ["PM-AHU-0-20260303", "PM-AHU-1-20260304", "PM-AHU-2-20260305"]
    assert {t.asset_id for t in pm} == {"AHU-0", "AHU-1", "AHU-2"}


@pytest.mark.parametrize("solver", ["greedy", "ls"])
def test_pm_week_is_served(solver):
    """Every PM visit is served inside its window, evaluator-checked, with the repairs."""
    scenario, pm = week()
    result = fd.solve(scenario, solver, seed=0, max_iterations=2000)
    ev = fd.evaluate(result.problem, result.plan)
    assert ev.is_feasible, ev.violations
    schedule = fd.to_schedule(result.problem, result.plan, ev)
    served = {v.ticket_id: v for v in schedule.visits}
    for ticket in pm:
        visit = served[ticket.id]
        (window,) = ticket.windows
        assert window.start <= visit.start <= window.end
    assert ev.kpis.assigned == scenario.num_tickets
    assert ev.kpis.parts_cost == pytest.approx(3 * 18.0)
    assert ev.kpis.cost_per_ticket * ev.kpis.assigned == pytest.approx(ev.kpis.total_cost)
