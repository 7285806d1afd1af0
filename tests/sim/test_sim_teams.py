"""Simulator KPIs per technician team, and a first-time-fix failure probability per team.

Each ticket's first-time-fix draw is one uniform number from the service stream,
compared with the serving team's probability (``ServiceModel.p_ftf_fail_by_team``),
so common random numbers hold: the draws do not depend on who serves the ticket,
and mapping every team to the default probability reproduces the default run.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import attrs
import numpy as np
import pytest

import fsdispatch as fd
from fsdispatch.generate import generate_scenario
from fsdispatch.sim import (
    TEAM_KPI_NAMES,
    DemandModel,
    ServiceModel,
    aggregate,
    draw_arrivals,
    run_experiment,
    simulate,
)

pd = pytest.importorskip("pandas")

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
DEMAND = DemandModel(tickets_per_day=30, radius_km=10)


@pytest.fixture(scope="module")
def crew() -> fd.Scenario:
    """6 generated technicians over two days, alternately in teams ``north`` and ``south``
    (the last one in no team), 40 €/h for north, 30 €/h for the others."""
    base = generate_scenario(6, 0, seed=4, days=2, start_date=MONDAY, num_parts=0)
    teams = ["north", "south", "north", "south", "north", None]
    techs = [
        attrs.evolve(t, team=team, cost_per_hour=40.0 if team == "north" else 30.0)
        for t, team in zip(base.technicians, teams, strict=True)
    ]
    return base.replace(technicians=techs)


@pytest.fixture(scope="module")
def runs(crew):
    """Seed 5 with the default service model, with every team mapped to the default
    probability, and with north never and south always failing the first visit."""
    default = ServiceModel(p_ftf_fail=0.2)
    same = attrs.evolve(default, p_ftf_fail_by_team={"north": 0.2, "south": 0.2})
    split = attrs.evolve(default, p_ftf_fail_by_team={"north": 0.0, "south": 1.0})
    return {
        name: simulate(crew, "greedy-insertion", seed=5, demand=DEMAND, service=svc)
        for name, svc in (("default", default), ("same", same), ("split", split))
    }


def test_team_probabilities_equal_to_the_default_reproduce_the_default_run(runs):
    """CRN: a per-team map equal to ``p_ftf_fail`` changes nothing, record for record."""
    assert runs["same"].tickets == runs["default"].tickets
    assert runs["same"].visits == runs["default"].visits


def test_a_teams_probability_sets_its_first_time_fix_rate(runs):
    """North never fails (FTF 1), south always fails (FTF 0); technicians without a team
    keep the default; the draws are those of the default run (same arrivals)."""
    by_team = runs["split"].team_kpis()
    assert set(by_team) == {"north", "south", ""}
    assert by_team["north"]["ftf_rate"] == 1.0
    assert by_team["south"]["ftf_rate"] == 0.0
    arrivals = [
        (r.ticket_id, r.arrival, r.category)
        for r in runs["split"].tickets
        if r.follow_up_of is None
    ]
    default = [
        (r.ticket_id, r.arrival, r.category)
        for r in runs["default"].tickets
        if r.follow_up_of is None
    ]
    assert arrivals == default
    south = {t.id for t in runs["split"].technician_objects.values() if t.team == "south"}
    for r in runs["split"].tickets:
        if r.follow_up_of is None and r.completed is not None and r.technician_id in south:
            assert r.needs_follow_up


def test_the_ftf_draw_is_the_uniform_behind_ftf_fail():
    """``ftf_fail == ftf_draw < p_ftf_fail`` for every drawn arrival, whatever the team map."""
    svc = ServiceModel(p_ftf_fail=0.3, p_ftf_fail_by_team={"a": 0.9})
    arrivals = draw_arrivals(
        DEMAND, svc, MONDAY, 2, np.random.default_rng(1), np.random.default_rng(2)
    )
    assert arrivals
    for a in arrivals:
        assert a.ftf_draw is not None and 0.0 <= a.ftf_draw < 1.0
        assert a.ftf_fail == (a.ftf_draw < 0.3)
        assert svc.ftf_fails(a, None) == a.ftf_fail == svc.ftf_fails(a, "b")
        assert svc.ftf_fails(a, "a") == (a.ftf_draw < 0.9)


def test_team_kpis_add_up_to_the_replication_kpis(runs):
    """Completed visits over teams sum to ``completed``; the teams' FTF rates weighted by
    their completed originals give the run's ``ftf_rate``; labour cost is hourly cost × work."""
    for result in runs.values():
        k, teams = result.kpis(), result.team_kpis()
        assert sum(t["completed"] for t in teams.values()) == k["completed"]
        assert sum(t["technicians"] for t in teams.values()) == len(result.technicians)
        done = {
            team: [
                r
                for r in result.tickets
                if r.follow_up_of is None
                and r.completed is not None
                and (result.technician_objects[str(r.technician_id)].team or "") == team
            ]
            for team in teams
        }
        n = sum(len(v) for v in done.values())
        weighted = sum(teams[t]["ftf_rate"] * len(v) for t, v in done.items() if v)
        assert weighted / n == pytest.approx(k["ftf_rate"])
        cost = sum(
            result.technician_objects[r.technician_id].cost_per_hour * (r.travel + r.service) / 3600
            for r in result.technicians
        )
        assert sum(t["labour_cost"] for t in teams.values()) == pytest.approx(cost)
        for t in teams.values():
            assert set(t) == set(TEAM_KPI_NAMES)
            assert math.isnan(t["ftf_rate"]) or 0.0 <= t["ftf_rate"] <= 1.0


def test_teams_frame_and_experiment_team_frame(crew):
    """``SimResult.teams_frame`` has one row per team; ``ExperimentResult.team_frame`` one per
    replication and team, aggregated per team with CIs; no teams, no ``by_team`` column."""
    svc = ServiceModel(p_ftf_fail=0.2, p_ftf_fail_by_team={"north": 0.0, "south": 1.0})
    res = run_experiment(crew, ["greedy-insertion"], seeds=2, demand=DEMAND, service=svc, days=1)
    frame = res.team_frame()
    assert len(frame) == 2 * 3 and set(frame.team) == {"north", "south", ""}
    assert list(frame.columns[:4]) == ["policy", "num_technicians", "seed", "team"]
    agg = aggregate(frame, by=("policy", "team"), kpis=["ftf_rate", "labour_cost"])
    north = agg[(agg.team == "north") & (agg.kpi == "ftf_rate")]
    assert float(north["mean"].iloc[0]) == 1.0
    single = simulate(crew, "greedy-insertion", seed=1, demand=DEMAND, service=svc, days=1)
    assert list(single.teams_frame().team) == list(single.team_kpis())
    plain = run_experiment(
        crew.replace(technicians=[attrs.evolve(t, team=None) for t in crew.technicians]),
        ["greedy-insertion"],
        seeds=1,
        demand=DEMAND,
        days=1,
    )
    assert "by_team" not in plain.columns
    assert plain.team_frame().empty


@pytest.mark.parametrize(
    ("mapping", "value"),
    [
        ({"north": 1.5}, "1.5"),
        ({"north": -0.1}, "-0.1"),
        ({"": 0.1}, "''"),
        ({"north": "high"}, "high"),
        ({"north": True}, "True"),
    ],
)
def test_bad_team_probabilities_name_field_and_value(mapping, value):
    """A probability outside [0, 1], a non-number or an empty team name is a ValidationError
    naming ``p_ftf_fail_by_team`` and the value."""
    with pytest.raises(fd.ValidationError) as err:
        ServiceModel(p_ftf_fail_by_team=mapping)
    assert err.value.field == "p_ftf_fail_by_team"
    assert value in str(err.value)
