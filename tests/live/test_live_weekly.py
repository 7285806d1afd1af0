"""Weekly carry-over (issue #19): live dispatch caps ``max_weekly_work`` with the work
already done in the dispatcher's run, and the simulator (one desk per day) carries each
technician's work of the week into the next day's scenario.

Plans are judged by the shared evaluator; the week sums of the simulation are recomputed
from its realised visits (leaving to finishing), not from any dispatcher bookkeeping.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from fsdispatch.sim import ServiceModel, simulate

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
HOUR = 3600
HOME = fd.Location.planar(0.0, 0.0)


def _day(cap: int, done: int = 0, day: int = 0) -> fd.Scenario:
    """One technician on one day 8:00-17:00 (capped ``cap`` a week, ``done`` already worked)
    and one 2 h job at home."""
    d0 = MONDAY + timedelta(days=day)
    tech = fd.Technician("ana", HOME, [fd.Shift(d0 + timedelta(hours=8), d0 + timedelta(hours=17))],
                         max_weekly_work=cap, week_work_done=done)
    job = fd.Ticket("J1", HOME, 2 * HOUR)
    return fd.Scenario(fd.Horizon(d0, d0 + timedelta(days=1)), [tech], [job],
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0))


def _new_job(tid: str) -> fd.Ticket:
    return fd.Ticket(tid, fd.Location.planar(0.0, 0.0), 2 * HOUR)


def test_live_insert_counts_the_work_done_today() -> None:
    """3 h a week: after a 2 h job done, a second 2 h job does not fit (weekly_hours);
    before it was done the same job would have fitted next to nothing else."""
    d = Dispatcher(_day(cap=3 * HOUR), now=MONDAY + timedelta(hours=8))
    assert d.insert("J1").placed
    d.start_travel("J1")
    d.arrive("J1")
    d.set_clock(MONDAY + timedelta(hours=10))
    d.complete("J1")
    res = d.insert(_new_job("J2"))
    assert not res.placed
    ev = fd.evaluate(d.problem, d.plan)
    assert ev.is_feasible, ev.violations
    j2 = d.problem.index.ticket_idx("J2")
    assert d.plan.unassigned[j2] is fd.UnassignedReason.WEEKLY_HOURS
    assert d.problem.scenario.technicians[0].week_work_done == 2 * HOUR
    # a 1 h job still fits in the hour left
    assert d.insert(fd.Ticket("J3", HOME, 1 * HOUR - 60)).placed
    assert fd.evaluate(d.problem, d.plan).is_feasible


def test_live_job_in_progress_counts_until_its_expected_end() -> None:
    d = Dispatcher(_day(cap=3 * HOUR), now=MONDAY + timedelta(hours=8))
    d.insert("J1")
    d.start_travel("J1")
    d.arrive("J1")  # 2 h of work expected: 1 h left in the week
    assert d.problem.scenario.technicians[0].week_work_done == 2 * HOUR
    assert not d.insert(_new_job("J2")).placed


def test_live_carried_week_leaves_no_room() -> None:
    """30 h worked Monday to Thursday, capped 32 h: on Friday a 2 h job fits, a second not."""
    d = Dispatcher(_day(cap=32 * HOUR, done=30 * HOUR, day=4), now=MONDAY + timedelta(days=4))
    assert d.insert("J1").placed
    res = d.insert(_new_job("J2"))
    assert not res.placed
    j2 = d.problem.index.ticket_idx("J2")
    assert d.plan.unassigned[j2] is fd.UnassignedReason.WEEKLY_HOURS
    assert fd.evaluate(d.problem, d.plan).is_feasible


def _week_scenario(cap: int) -> fd.Scenario:
    shifts = [fd.Shift(MONDAY + timedelta(days=k, hours=8), MONDAY + timedelta(days=k, hours=17))
              for k in range(5)]
    techs = [fd.Technician(name, fd.Location.planar(x, 0.0), shifts, max_weekly_work=cap)
             for name, x in (("ana", 0.0), ("bo", 5.0))]
    jobs = [fd.Ticket(f"J{k:02d}", fd.Location.planar(float(k % 5), float(k // 5)), 90 * 60,
                      created_at=MONDAY - timedelta(hours=1))
            for k in range(30)]
    return fd.Scenario(fd.Horizon(MONDAY, MONDAY + timedelta(days=5)), techs, jobs,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0))


@pytest.mark.parametrize("cap_h", [10, 16])
def test_sim_week_never_exceeds_the_cap(cap_h: int) -> None:
    """A week of backlog (more work than the cap allows) simulated with exact durations:
    every technician's realised work per ISO week stays within ``max_weekly_work``."""
    scenario = _week_scenario(cap_h * HOUR)
    exact = ServiceModel(duration_sigma={}, default_sigma=0.0, travel_sigma=0.0, p_cancel=0.0,
                         p_not_home=0.0, p_ftf_fail=0.0, p_absent=0.0)
    result = simulate(scenario, "greedy-insertion", seed=1, days=5, service=exact,
                      replay=True)
    work: dict[tuple[str, int], int] = defaultdict(int)
    for v in result.visits:
        assert v.outcome in ("done", "open_at_horizon")
        work[(v.technician_id, v.depart // (7 * 86400))] += v.end - v.depart
    assert work, "nothing was served"
    for (tech, _week), seconds in work.items():
        assert seconds <= cap_h * HOUR, (tech, seconds / HOUR)
    # the cap binds: the technicians work (nearly) their cap over the week
    assert max(work.values()) >= (cap_h - 2) * HOUR
