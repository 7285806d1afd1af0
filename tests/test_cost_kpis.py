"""Cost and punctuality KPIs of the evaluator (issue #19): a plan checked by hand and
the identities that hold on generated days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import fsdispatch as fd

DAY = datetime(2026, 3, 2, tzinfo=UTC)
OPEN = fd.UnassignedReason.OPEN


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def hand_day() -> fd.Scenario:
    """One technician at (0, 0) on a 60 km/h grid (1 km = 1 min): A at (3, 0), B at
    (3, 4). Route 0 → A → B → 0 is 3 + 4 + 5 = 12 km, 12 min; 2 × 30 min service."""
    tech = fd.Technician(
        "T1",
        fd.Location(x=0.0, y=0.0),
        shifts=[fd.Shift(at(8), at(17))],
        cost_per_hour=60.0,
        van_stock={"P1": 2},
    )
    a = fd.Ticket(
        "A", fd.Location(x=3.0, y=0.0), 1800, windows=[fd.TimeWindow(at(8), at(9))], parts={"P1": 2}
    )
    b = fd.Ticket(
        "B",
        fd.Location(x=3.0, y=4.0),
        1800,
        window_kind="soft",
        windows=[fd.TimeWindow(at(8), at(8.1))],
    )
    c = fd.Ticket("C", fd.Location(x=1.0, y=0.0), 600)
    return fd.Scenario(
        fd.Horizon(at(0), at(24)),
        [tech],
        [a, b, c],
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
        parts=[fd.Part("P1", "filter", unit_cost=10.0)],
        cost_rates=fd.CostRates(0.5, 30.0),
    )


def test_cost_kpis_by_hand():
    """labour 72 min × 1/min = 72, travel 12 km × 0.5 + 0.2 h × 30 = 12, parts 2 × 10 =
    20: total 104 over 2 tickets served; A starts in its window, B (soft) after it."""
    scenario = hand_day()
    problem = fd.compile_scenario(scenario)
    ev = fd.evaluate(problem, fd.Plan(routes=[(0, 1)], unassigned={2: OPEN}))
    assert ev.is_feasible, ev.violations
    k = ev.kpis
    assert k.labour_cost == pytest.approx(72.0)
    assert k.travel_cost == pytest.approx(12.0)
    assert k.parts_cost == pytest.approx(20.0)
    assert k.total_cost == pytest.approx(104.0)
    assert k.cost_per_ticket == pytest.approx(52.0)
    assert (k.appointment_tickets, k.on_time_tickets, k.on_time_pct) == (2, 1, 50.0)
    (t,) = ev.technicians
    assert (t.labour_cost, t.travel_cost, t.parts_cost) == pytest.approx((72.0, 12.0, 20.0))
    assert (t.appointment_visits, t.on_time_visits) == (2, 1)
    # the rates only report money: the objective does not move
    free = fd.evaluate(
        fd.compile_scenario(scenario.replace(cost_rates=fd.CostRates())),
        fd.Plan(routes=[(0, 1)], unassigned={2: OPEN}),
    )
    assert free.objective == ev.objective and free.kpis.travel_cost == 0.0
    # nothing served: no cost per ticket, nothing promised
    empty = fd.evaluate(problem, fd.Plan(routes=[()]))
    assert (empty.kpis.cost_per_ticket, empty.kpis.on_time_pct) == (0.0, 100.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cost_identities_on_generated_days(seed):
    """Plan-level money is the sum over technicians, total = labour + travel + parts, and
    cost per ticket × served = total, on days solved by greedy (evaluator-checked)."""
    scenario = fd.generate_scenario(6, 40, seed=seed)
    scenario = scenario.replace(cost_rates=fd.CostRates(0.3, 12.0))
    result = fd.solve(scenario, "greedy", seed=seed)
    ev = fd.evaluate(result.problem, result.plan)
    k = ev.kpis
    assert ev.is_feasible
    assert k.total_cost == pytest.approx(k.labour_cost + k.travel_cost + k.parts_cost)
    assert k.cost_per_ticket * k.assigned == pytest.approx(k.total_cost)
    for name in ("labour_cost", "travel_cost", "parts_cost"):
        assert sum(getattr(t, name) for t in ev.technicians) == pytest.approx(getattr(k, name))
    assert k.travel_cost == pytest.approx(0.3 * k.distance_km + 12.0 * k.travel_time_min / 60)
    unit = {p.sku: p.unit_cost for p in scenario.parts}
    served = {v.ticket_id for v in fd.to_schedule(result.problem, result.plan, ev).visits}
    parts = sum(
        unit.get(s, 0.0) * q for t in scenario.tickets if t.id in served for s, q in t.parts.items()
    )
    assert k.parts_cost == pytest.approx(parts)
    with_windows = [t for t in scenario.tickets if t.id in served and t.windows]
    assert k.appointment_tickets == len(with_windows)
    assert sum(t.on_time_visits for t in ev.technicians) == k.on_time_tickets


def test_grown_problem_costs_equal_recompile():
    """A problem grown by append_ticket (live dispatch) reports the money and punctuality
    of the recompiled one: the rates, unit costs and horizon travel with the problem."""
    from fsdispatch.problem.extend import append_ticket

    scenario = fd.generate_scenario(4, 24, seed=4).replace(cost_rates=fd.CostRates(0.5, 9.0))
    assert any(p.unit_cost for p in scenario.parts)
    sku = next(s for t in scenario.tickets for s in t.parts)
    extra = fd.Ticket(
        "NEW",
        scenario.tickets[0].location,
        1800,
        parts={sku: 1},
        windows=[
            fd.TimeWindow(
                scenario.horizon.start + timedelta(hours=9),
                scenario.horizon.start + timedelta(hours=12),
            )
        ],
    )
    grown = append_ticket(fd.compile_scenario(scenario), extra)
    full = fd.compile_scenario(scenario.replace(tickets=(*scenario.tickets, extra)))
    plan = fd.solve(full, "greedy", seed=0).plan
    a, b = fd.evaluate(grown, plan).kpis, fd.evaluate(full, plan).kpis
    assert a == b
    assert a.parts_cost > 0 and a.travel_cost > 0 and a.appointment_tickets > 0
