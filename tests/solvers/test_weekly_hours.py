"""Weekly hours (issue #19): ``Technician.max_weekly_work`` is a hard cap on a technician's
work per calendar week that every backend and live dispatch keep and the evaluator checks;
``weekly_overtime_after`` prices the work beyond it with the overtime weight.

Every plan is judged by the shared evaluator; the week sums are recomputed here from the
domain (ISO weeks of the shift starts in the horizon's timezone) and the evaluator's work
of the routes of each week, not from the compiled week arrays.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Dispatcher

pytestmark = pytest.mark.property

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
HOUR = 3600


def _two_technicians(cap: int | None = None, after: int | None = None, done: int = 0,
                     tickets: int = 6) -> fd.Scenario:
    """Two technicians, Monday to Friday 8:00-17:00: ``near`` lives by the tickets, ``far``
    30 km away. Without a weekly rule ``near`` does everything (least travel); each
    ticket is 2 h of service, so a cap of 10 h leaves ``near`` at most 4."""
    shifts = [fd.Shift(MONDAY + timedelta(days=d, hours=8), MONDAY + timedelta(days=d, hours=17))
              for d in range(5)]
    techs = [fd.Technician(name, fd.Location.planar(x, 0.0), shifts, max_weekly_work=cap,
                           weekly_overtime_after=after, week_work_done=done)
             for name, x in (("near", 0.0), ("far", 30.0))]
    jobs = [fd.Ticket(f"J{k}", fd.Location.planar(float(k % 3), float(k // 3)), 2 * HOUR)
            for k in range(tickets)]
    return fd.Scenario(fd.Horizon(MONDAY, MONDAY + timedelta(days=5)), techs, jobs,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0))


def _solve(problem: fd.Problem, solver_name: str) -> fd.SolveResult:
    limits = {"max_iterations": 300} if solver_name == "ls" else \
        {"time_limit": 10.0} if solver_name in ("cpsat", "milp") else {}
    return fd.solve(problem, solver_name, seed=1, **limits)


def _week_work(problem: fd.Problem, plan: fd.Plan) -> dict[tuple[str, tuple[int, int]], float]:
    """Seconds of work per (technician, ISO week of the shift start): the evaluator's
    ``work_min`` of a plan holding only that week's routes of the technician."""
    scenario = problem.scenario
    tz = scenario.horizon.start.tzinfo
    groups: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    for r, (t_idx, k) in enumerate(problem.index.routes):
        tech = scenario.technicians[t_idx]
        iso = tech.shifts[k].start.astimezone(tz).isocalendar()
        groups[(tech.id, (iso[0], iso[1]))].append(r)
    out = {}
    for key, routes in groups.items():
        only = [list(route) if r in routes else [] for r, route in enumerate(plan.routes)]
        ev = fd.evaluate(problem, fd.Plan(only, {}, mode=plan.mode))
        out[key] = ev.kpis.work_min * 60.0
    return out


def _first_week(scenario: fd.Scenario) -> tuple[int, int]:
    iso = scenario.horizon.start.astimezone(scenario.horizon.start.tzinfo).isocalendar()
    return iso[0], iso[1]


def _check_weeks(scenario: fd.Scenario, problem: fd.Problem, plan: fd.Plan) -> None:
    staff = {t.id: t for t in scenario.technicians}
    first = _first_week(scenario)
    for (tid, week), work in _week_work(problem, plan).items():
        tech = staff[tid]
        if tech.max_weekly_work is not None:
            done = tech.week_work_done if week == first else 0
            # (work done beyond the cap leaves no room)
            assert work <= max(tech.max_weekly_work - done, 0) + 1e-6, (tid, week, work, done)


def test_the_cap_binds_and_every_backend_keeps_it(solver_name):
    free = _solve(fd.compile_scenario(_two_technicians()), solver_name)
    assert free.evaluation.is_feasible
    by_tech = {t.technician_id: t.work_min * 60 for t in free.evaluation.technicians}
    assert by_tech["near"] > 10 * HOUR  # the cap below binds

    scenario = _two_technicians(cap=10 * HOUR)
    problem = fd.compile_scenario(scenario)
    result = _solve(problem, solver_name)
    ev = result.evaluation
    assert ev.is_feasible, ev.violations[:3]
    assert not [v for v in ev.violations if v.kind == "weekly_hours"]
    _check_weeks(scenario, problem, result.plan)
    by_tech = {t.technician_id: t.work_min * 60 for t in ev.technicians}
    assert by_tech["near"] <= 10 * HOUR
    assert by_tech["far"] > 0  # the plan changed: the far technician takes the rest
    assert ev.kpis.assigned == problem.num_tickets


def test_work_done_before_the_horizon_counts_and_leaves_a_reason(solver_name):
    """With 7 h of the 10 h used already, ``near`` takes at most one 2 h ticket; with no
    ``far`` technician the others are left out for ``weekly_hours``."""
    base = _two_technicians(cap=10 * HOUR, done=7 * HOUR, tickets=4)
    scenario = attrs.evolve(base, technicians=base.technicians[:1])
    problem = fd.compile_scenario(scenario)
    result = _solve(problem, solver_name)
    ev = result.evaluation
    assert ev.is_feasible, ev.violations[:3]
    _check_weeks(scenario, problem, result.plan)
    assert ev.kpis.assigned == 1
    reasons = set(result.plan.unassigned.values())
    if solver_name in ("greedy", "ls"):  # (exact backends may call them not_profitable)
        assert reasons == {fd.UnassignedReason.WEEKLY_HOURS}
    assert reasons <= {fd.UnassignedReason.WEEKLY_HOURS, fd.UnassignedReason.NOT_PROFITABLE}


def test_weekly_overtime_is_priced_and_reported(solver_name):
    """Beyond 9 h a week, work costs the overtime weight: the backends spread the work (the
    far technician's travel is cheaper than near's weekly overtime) and the evaluator's
    overtime component holds the weekly overtime minutes."""
    scenario = attrs.evolve(_two_technicians(after=9 * HOUR), objective=fd.ObjectiveWeights(
        overtime=20.0))
    problem = fd.compile_scenario(scenario)
    result = _solve(problem, solver_name)
    ev = result.evaluation
    assert ev.is_feasible
    weekly = sum(max(0.0, w - 9 * HOUR) for w in _week_work(problem, result.plan).values())
    assert ev.kpis.weekly_overtime_min == pytest.approx(weekly / 60.0)
    assert sum(t.weekly_overtime_min for t in ev.technicians) == pytest.approx(weekly / 60.0)
    assert ev.components["overtime"] == pytest.approx(
        20.0 * (ev.kpis.overtime_min + ev.kpis.weekly_overtime_min))
    by_tech = {t.technician_id: t.work_min * 60 for t in ev.technicians}
    assert by_tech["far"] > 0
    own = result.stats.get("backend_objective")
    if own is not None and (result.status is fd.SolveStatus.OPTIMAL
                            or solver_name in ("greedy", "ls")):
        assert own == pytest.approx(result.objective, rel=1e-6)


@st.composite
def weekly_days(draw: st.DrawFn) -> fd.Scenario:
    """A generated horizon of 1-6 days starting on any weekday (so it may cross into the
    next calendar week) with random weekly caps, weekly-overtime thresholds and work done;
    at most 12 shifts (the MILP backend's limit)."""
    days = draw(st.integers(1, 6))
    base = fd.generate_scenario(draw(st.integers(2, max(2, min(3, 12 // days)))),
                                draw(st.integers(4, 12)), seed=draw(st.integers(0, 10_000)),
                                days=days, start_date=MONDAY + timedelta(
                                    days=draw(st.integers(0, 6))))
    techs = []
    for tech in base.technicians:
        cap = draw(st.one_of(st.none(), st.integers(0, 30).map(lambda h: h * HOUR)))
        techs.append(attrs.evolve(
            tech, max_weekly_work=cap,
            weekly_overtime_after=draw(st.one_of(st.none(), st.integers(0, 20).map(
                lambda h: h * HOUR))),
            week_work_done=draw(st.integers(0, 3 + (cap or 0) // HOUR)) * HOUR))
    weights = attrs.evolve(base.objective, overtime=draw(st.sampled_from([0.0, 2.0, 50.0])))
    return attrs.evolve(base, technicians=tuple(techs), objective=weights)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=weekly_days())
def test_every_backend_keeps_random_weekly_caps(solver_name, scenario):
    problem = fd.compile_scenario(scenario)
    result = _solve(problem, solver_name)
    ev = result.evaluation
    assert ev.is_feasible, ev.violations[:3]
    _check_weeks(scenario, problem, result.plan)
    placed = {j for route in result.plan.routes for j in route}
    assert placed | set(result.plan.unassigned) == set(range(problem.num_tickets))
    assert not placed & set(result.plan.unassigned)
    if solver_name in ("greedy", "ls"):
        own = result.stats.get("backend_objective")
        if own is not None:
            assert own == pytest.approx(result.objective, rel=1e-6, abs=1e-6)


def test_the_evaluator_flags_a_plan_over_the_cap():
    scenario = _two_technicians(cap=5 * HOUR)
    problem = fd.compile_scenario(scenario)
    near = [problem.index.route_idx("near", k) for k in range(5)]
    routes = [[] for _ in range(problem.num_routes)]
    routes[near[0]] = [0, 1]  # 4 h of service on Monday, 2 h more on Tuesday: over 5 h
    routes[near[1]] = [2]
    plan = fd.Plan(routes, {j: fd.UnassignedReason.NOT_PROFITABLE for j in range(3, 6)})
    ev = fd.evaluate(problem, plan)
    bad = [v for v in ev.violations if v.kind == "weekly_hours"]
    assert len(bad) == 1 and not ev.is_feasible
    assert bad[0].technician_id == "near"
    assert bad[0].route == problem.index.route_label(near[1])
    assert bad[0].value == pytest.approx(_week_work(problem, plan)[("near", (2026, 2))])
    # the same plan within a 7 h cap is fine
    ok = fd.evaluate(fd.compile_scenario(_two_technicians(cap=7 * HOUR)), plan)
    assert ok.is_feasible


def test_weeks_follow_the_calendar_of_the_horizon_timezone():
    """A Sunday 20:00 UTC shift is Monday in UTC+5: it counts in the next week there."""
    tz = timezone(timedelta(hours=5))
    sunday = datetime(2026, 1, 11, 20, tzinfo=UTC)
    shifts = [fd.Shift(sunday - timedelta(days=1), sunday - timedelta(days=1) + timedelta(
        hours=3)), fd.Shift(sunday, sunday + timedelta(hours=3))]
    tech = fd.Technician("T", fd.Location.planar(0, 0), shifts, max_weekly_work=2 * HOUR)
    jobs = [fd.Ticket(f"J{k}", fd.Location.planar(0, 0), 2 * HOUR) for k in range(2)]
    for zone, expected in ((UTC, 1), (tz, 2)):
        start = datetime(2026, 1, 10, tzinfo=zone)
        scenario = fd.Scenario(fd.Horizon(start, start + timedelta(days=3)), [tech], jobs)
        result = fd.solve(scenario, "greedy", seed=0)
        assert result.evaluation.is_feasible
        assert result.evaluation.kpis.assigned == expected


@pytest.mark.parametrize(("field", "value"), [
    ("max_weekly_work", -1), ("max_weekly_work", 7 * 24 * HOUR + 1),
    ("weekly_overtime_after", 1.5), ("week_work_done", True), ("week_work_done", -60),
    ("max_weekly_work", "40h")])
def test_bad_weekly_values_are_typed_errors_naming_field_and_value(field, value):
    with pytest.raises(fd.ValidationError) as info:
        fd.Technician("T", fd.Location.planar(0, 0), (), **{field: value})
    assert info.value.field == field
    assert info.value.entity_id == "T"
    assert str(value) in str(info.value)


def test_timedeltas_are_seconds():
    tech = fd.Technician("T", fd.Location.planar(0, 0), (), max_weekly_work=timedelta(hours=40),
                         weekly_overtime_after=timedelta(hours=35),
                         week_work_done=timedelta(minutes=90))
    assert (tech.max_weekly_work, tech.weekly_overtime_after, tech.week_work_done) == (
        40 * HOUR, 35 * HOUR, 90 * 60)


def test_json_round_trip_validates_against_the_schema(tmp_path):
    import json

    import jsonschema

    scenario = _two_technicians(cap=10 * HOUR, after=8 * HOUR, done=HOUR)
    path = tmp_path / "s.json"
    fd.io.save_scenario(scenario, path)
    back = fd.io.load_scenario(path)
    assert back == scenario
    data = json.loads(path.read_text())
    assert data["technicians"][0]["max_weekly_work"] == 10 * HOUR
    schema = json.loads(fd.io.json_format.schema_path("scenario").read_text())
    jsonschema.validate(data, schema)
    plain = _two_technicians()
    fd.io.save_scenario(plain, tmp_path / "p.json")
    assert "weekly" not in (tmp_path / "p.json").read_text()  # written only when set


def test_csv_columns_are_minutes():
    import pandas as pd

    tickets = pd.DataFrame({"ticket_id": ["A"], "x": [0.0], "y": [0.0], "duration_min": [60]})
    techs = pd.DataFrame({"technician_id": ["T"], "x": [0.0], "y": [0.0],
                          "shift_start": ["08:00"], "shift_end": ["17:00"],
                          "max_weekly_work_min": [2400], "weekly_overtime_after_min": [2100],
                          "week_work_done_min": [90]})
    scenario = fd.io.scenario_from_frames(tickets, techs, date="2026-01-05", timezone="UTC")
    tech = scenario.technicians[0]
    assert (tech.max_weekly_work, tech.weekly_overtime_after, tech.week_work_done) == (
        40 * HOUR, 35 * HOUR, 90 * 60)
    bad = techs.assign(max_weekly_work_min=[-5])
    with pytest.raises(fd.ValidationError) as info:
        fd.io.scenario_from_frames(tickets, bad, date="2026-01-05", timezone="UTC")
    assert "max_weekly_work" in str(info.value)


def test_live_insert_and_recommend_keep_the_week():
    """A dispatcher on Monday morning: ``near`` (cap 5 h) takes two 2 h tickets, then is
    full for the week — ``recommend`` offers only ``far``; ``far`` missing, ``insert``
    leaves the ticket open for ``weekly_hours``."""
    base = _two_technicians(cap=5 * HOUR, tickets=0)
    new = [fd.Ticket(f"N{k}", fd.Location.planar(1.0, 0.0), 2 * HOUR) for k in range(3)]
    for staff in (base.technicians, base.technicians[:1]):
        d = Dispatcher(attrs.evolve(base, technicians=staff), now=MONDAY + timedelta(hours=7))
        d.plan_day(solver="greedy")
        placed = []
        for ticket in new[:2]:
            res = d.insert(ticket)
            assert res.placed and res.technician_id == "near"
            placed.append(ticket.id)
        rec = d.recommend(new[2], k=2)
        assert {o.technician_id for o in rec.options} <= {"far"}
        res = d.insert(new[2])
        ev = d.evaluation
        assert ev.is_feasible, ev.violations[:3]
        if len(staff) == 2:
            assert res.placed and res.technician_id == "far"
        else:
            assert not res.placed
            assert d.plan.unassigned[d.problem.index.ticket_idx("N2")] \
                is fd.UnassignedReason.WEEKLY_HOURS


@pytest.mark.parametrize("backend", ["greedy", "cpsat", "milp"])
def test_assignment_mode_keeps_the_week(backend):
    """Assignment-only plans count each shift's work estimate (service + travel estimate)
    in the week; ``near`` stays within 10 h and the rest goes to ``far``."""
    problem = fd.compile_scenario(_two_technicians(cap=10 * HOUR))
    options = {"time_limit": 10.0} if backend != "greedy" else {}
    result = fd.solve(problem, fd.get_solver(backend, mode="assignment"), seed=1, **options)
    ev = result.evaluation
    assert result.plan.mode == "assignment"
    assert ev.is_feasible, ev.violations[:3]
    _check_weeks(problem.scenario, problem, result.plan)
    by_tech = {t.technician_id: t.work_min * 60 for t in ev.technicians}
    assert 0 < by_tech["near"] <= 10 * HOUR
    assert by_tech["far"] > 0


def test_explain_names_the_weekly_cap_when_it_binds():
    """The plan of a 9 h cap, under a cap 5 minutes above near's work: the cap binds on
    every ticket of near's week; without a cap it is never named."""
    result = fd.solve(fd.compile_scenario(_two_technicians(cap=9 * HOUR)), "greedy", seed=1)
    work = {t.technician_id: round(t.work_min * 60) for t in result.evaluation.technicians}
    problem = fd.compile_scenario(_two_technicians(cap=work["near"] + 300))
    assert fd.evaluate(problem, result.plan).is_feasible
    near = {j for r, route in enumerate(result.plan.routes) for j in route
            if problem.index.technician_ids[problem.index.routes[r][0]] == "near"}
    assert near
    texts = [" ".join(fd.explain(problem, result.plan, j).binding) for j in sorted(near)]
    assert all("weekly work cap" in t for t in texts), texts
    free = fd.compile_scenario(_two_technicians())
    plan = fd.solve(free, "greedy", seed=1).plan
    assert not any("weekly" in " ".join(fd.explain(free, plan, j).binding)
                   for j in range(free.num_tickets))


def test_explain_offers_a_higher_weekly_cap_for_a_ticket_kept_out_by_it():
    base = _two_technicians(cap=10 * HOUR, done=7 * HOUR, tickets=3)
    scenario = attrs.evolve(base, technicians=base.technicians[:1])
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy", seed=1)
    (j, *_rest) = sorted(j for j, why in result.plan.unassigned.items()
                         if why is fd.UnassignedReason.WEEKLY_HOURS)
    ex = fd.explain(problem, result.plan, j)
    assert ex.reason == "weekly_hours"
    week = [r for r in ex.relaxations if r.kind == "week"]
    assert week and "weekly work caps" in week[0].text
    relaxed = fd.compile_scenario(fd.live.apply_relaxation(scenario, ex.ticket_id, week[0]))
    assert relaxed.scenario.technicians[0].max_weekly_work == 10 * HOUR + 3 * HOUR
