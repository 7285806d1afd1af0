"""Live dispatch under time-dependent travel: ETAs time each leg by its departure."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.live import Dispatcher

RUSH = fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.5), (time(10, 0), 1.0)])
BASE = fd.GeometricTravel(speed_kmh=36.0, detour=1.0)  # 10 km: 1 000 s at factor 1


def _one(travel: fd.TravelModel) -> fd.Scenario:
    """One technician at (0, 0), 06:00-18:00; one ticket 10 km east, open all day."""
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(6), at(18))])
    ticket = fd.Ticket("T1", fd.Location.planar(10, 0), 30 * fd.MINUTE)
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), [tech], [ticket],
                       travel=travel)


@pytest.mark.parametrize(("hour", "drive"), [(8, 2000), (11, 1000), (6 + 50 / 60, 1400)])
def test_an_eta_departing_in_the_rush_reflects_the_profile(hour, drive):
    d = Dispatcher(_one(fd.TimeDependentTravel(BASE, RUSH)), now=at(hour))
    d.plan_day(solver="greedy")
    assert d.eta("T1").start == at(hour) + timedelta(seconds=drive)
    eta = d.start_travel("T1")
    assert eta.start == at(hour) + timedelta(seconds=drive)
    fd.check_plan(d.problem, d.plan)


def test_a_position_ping_in_the_rush_drives_at_the_rush_speed():
    d = Dispatcher(_one(fd.TimeDependentTravel(BASE, RUSH)), now=at(8))
    d.plan_day(solver="greedy")
    d.update_position("A", fd.Location.planar(5, 0))  # halfway: 500 base s at 0.5
    assert d.eta("T1").start == at(8) + timedelta(seconds=1000)


def test_recommend_prices_a_rush_hour_insertion_as_the_evaluator_does():
    """Each option's cost is the evaluator's objective change of that insertion, with every
    leg timed by its departure (the rush slows some of them)."""
    from fsdispatch.problem.extend import append_ticket

    techs = [fd.Technician(t, fd.Location.planar(x, 0), [fd.Shift(at(7), at(18))],
                           cost_per_hour=30.0)
             for t, x in (("A", 0), ("B", 8))]
    tickets = [fd.Ticket(f"T{k}", fd.Location.planar(x, y), 40 * fd.MINUTE)
               for k, (x, y) in enumerate(((10, 0), (10, 5), (2, 7), (-3, 4), (6, -6)))]
    scenario = fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), techs, tickets,
                           travel=fd.TimeDependentTravel(BASE, RUSH))
    d = Dispatcher(scenario, now=at(7))
    d.plan_day(solver="greedy")
    new = fd.Ticket("N1", fd.Location.planar(5, 5), 20 * fd.MINUTE)
    rec = d.recommend(new, k=2)
    assert rec.options
    for option in rec.options:
        grown = append_ticket(d.problem, new)
        j = grown.num_tickets - 1
        routes = [list(r) for r in d.plan.routes]
        routes[grown.index.route_idx(option.technician_id, option.shift)].insert(
            option.position, j)
        before = fd.evaluate(grown, fd.Plan(d.plan.routes, {**d.plan.unassigned, j: "open"}))
        after = fd.evaluate(grown, fd.Plan(routes, d.plan.unassigned))
        assert after.is_feasible
        change = after.objective - before.objective + float(grown.data.cost.penalty[j])
        assert option.cost.total == pytest.approx(change, rel=1e-6, abs=1e-6)
