"""Staffing studies on the user's own team: nested levels, CRN, compare / min_staff, fits."""

from __future__ import annotations

import itertools
import math
import pickle
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.generate import generate_scenario
from fsdispatch.sim import (
    DemandModel,
    ExperimentResult,
    Hire,
    ServiceModel,
    Staffing,
    extend_shifts,
    fit_demand,
    history_frame,
    replication_kpis,
    run_experiment,
    simulate,
)

pd = pytest.importorskip("pandas")

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
#: kinds of evaluator violations a realised route may show because of stochastic
#: durations and travel (time rules); every other rule must hold
TIME_RULES = {"window", "shift_end", "break"}
DEMAND = DemandModel(tickets_per_day=40, radius_km=12)


@pytest.fixture(scope="module")
def team() -> fd.Scenario:
    """The user's team: 8 generated technicians given as a Scenario, one Monday."""
    return generate_scenario(8, 0, seed=3, days=1, start_date=MONDAY, num_parts=0)


@pytest.fixture(scope="module")
def study(team) -> ExperimentResult:
    """The done-criterion study: staffing 4/6/8 × 3 seeds on the 8-technician Scenario."""
    return run_experiment(team, ["greedy-insertion"], staffing=[4, 6, 8], seeds=3,
                          demand=DEMAND, service=ServiceModel(p_absent=0.1))


# ----------------------------------------------------------------- nesting
def test_study_runs_on_a_scenario_and_completed_never_falls_with_staff(study):
    """Done criterion: the user's Scenario runs; for every seed, more staff never completes less."""
    assert isinstance(study, ExperimentResult) and isinstance(study, pd.DataFrame)
    assert len(study) == 9 and set(study.num_technicians) == {4, 6, 8}
    table = study.pivot(index="seed", columns="num_technicians", values="completed")
    assert (table[4] > 0).all()
    for seed, row in table.iterrows():
        assert row[4] <= row[6] <= row[8], (seed, row.to_dict())
    # the same seed brings the same tickets to every level (follow-ups aside)
    assert table.index.tolist() == [0, 1, 2]


def test_completed_counts_agree_with_the_shared_evaluator(team, study):
    """Re-simulating each level's team (seed 0) gives the study's row; the evaluator counts
    the completed visits of the realised routes and checks every non-time rule."""
    roster = [t.id for t in team.technicians]
    by_id = {t.id: t for t in team.technicians}
    for level, ids in study.teams.items():
        sub = attrs.evolve(team, technicians=tuple(by_id[i] for i in ids))
        result = simulate(sub, "greedy-insertion", 0, demand=DEMAND,
                          service=ServiceModel(p_absent=0.1), roster=roster)
        done = 0
        for day, scenario in enumerate(result.day_scenarios):
            if scenario is None:
                continue
            problem, plan = result.realised_routes(day)
            ev = fd.evaluate(problem, plan)
            assert {v.kind for v in ev.violations} <= TIME_RULES, ev.violations
            done += ev.kpis.assigned
        row = study[(study.num_technicians == level) & (study.seed == 0)].iloc[0]
        assert done == row["completed"] == replication_kpis(result)["completed"]


def test_study_teams_are_nested_and_remove_the_least_utilised(team, study):
    """Each level's team contains the smaller ones; the removed ones worked least in the pilot."""
    teams = study.teams
    assert [len(teams[n]) for n in (4, 6, 8)] == [4, 6, 8]
    assert set(teams[4]) <= set(teams[6]) <= set(teams[8]) == {t.id for t in team.technicians}
    util = fd.sim.pilot_utilisation(team, "greedy-insertion", 0, demand=DEMAND,
                                    service=ServiceModel(p_absent=0.1))
    kept = min(util[i] for i in teams[6])
    removed = max(util[i] for i in set(teams[8]) - set(teams[6]))
    assert removed <= kept


@settings(max_examples=60, deadline=None)
@given(n0=st.integers(1, 9), hires=st.integers(0, 3), data=st.data())
def test_staffing_levels_are_nested_for_any_order(n0, hires, data):
    """Property: for any team, removal order and hires, level sizes are exact and nested."""
    scenario = generate_scenario(n0, 0, seed=1, num_parts=0)
    ids = [t.id for t in scenario.technicians]
    order = data.draw(st.permutations(ids))
    add = [Hire(ids[0], hires)] if hires else []
    levels = sorted(data.draw(st.sets(st.integers(1, n0 + hires), min_size=1, max_size=5)))
    spec = Staffing(levels, remove_order=list(order), add=add)
    teams = spec.teams(scenario)
    for a, b in itertools.pairwise(levels):
        assert {t.id for t in teams[a]} < {t.id for t in teams[b]}
    for n in levels:
        assert len(teams[n]) == n
        if n <= n0:  # the first n0 - n of the order are gone
            assert {t.id for t in teams[n]} == set(ids) - set(order[:n0 - n])


def test_hires_clone_the_template_at_a_new_home(team):
    """Hire: clones copy skills and shifts of the template, start at the given home."""
    north = fd.Location.geo(52.60, 13.40)
    tpl = team.technicians[2]
    spec = Staffing([8, 10], remove_order=[], add=[Hire(tpl.id, 2, home=north, label="north-")])
    teams = spec.teams(team)
    assert teams[8] == team.technicians
    clones = teams[10][8:]
    assert [c.id for c in clones] == ["north-1", "north-2"]
    for c in clones:
        assert c.skills == tpl.skills and c.start_location == north
        assert [(s.start, s.end) for s in c.shifts] == [(s.start, s.end) for s in tpl.shifts]
        assert all(s.start_location in (None, north) for s in c.shifts)


def test_staffing_rejects_bad_specs(team):
    """Bad levels, orders and templates raise ValidationError naming the field."""
    ids = [t.id for t in team.technicians]
    with pytest.raises(fd.ValidationError, match="levels"):
        Staffing([])
    with pytest.raises(fd.ValidationError, match="levels"):
        Staffing([3, 3])
    with pytest.raises(fd.ValidationError, match="levels"):
        Staffing([9]).teams(team)
    with pytest.raises(fd.ValidationError, match="remove_order"):
        Staffing([4], remove_order=["nobody"]).teams(team)
    with pytest.raises(fd.ValidationError, match="remove_order"):
        Staffing([4], remove_order=ids[:2]).teams(team)
    with pytest.raises(fd.ValidationError, match="template_id"):
        Staffing([9], add=[Hire("nobody")]).teams(team)
    with pytest.raises(fd.ValidationError, match="count"):
        Hire(ids[0], 0)
    with pytest.raises(fd.ValidationError, match="add"):
        Staffing([9], add=["tech-001"])
    assert Staffing([9], add=Hire(ids[0])).add == (Hire(ids[0]),)
    with pytest.raises(fd.ValidationError, match="roster"):
        simulate(team, "greedy-insertion", 0, roster=ids[:3], demand=DEMAND)


# ------------------------------------------------------ common random numbers
def test_same_seed_same_tickets_and_absences_at_every_level(team):
    """CRN: two nested levels with the same seed see the same tickets (ids, created times,
    durations, places) and each shared technician the same absences."""
    team3 = extend_shifts(team, 3)
    roster = [t.id for t in team3.technicians]
    service = ServiceModel(p_absent=0.3)
    # the last three technicians: their rows of the roster's draws are not the first ones
    runs = {n: simulate(attrs.evolve(team3, technicians=team3.technicians[8 - n:]),
                        "greedy-insertion", 5, demand=DEMAND, service=service, roster=roster)
            for n in (3, 8)}

    def originals(r):
        return {i: (t.created_at, t.duration, t.location, t.required_skills)
                for i, t in r.ticket_objects.items() if "-F" not in i}

    small, big = originals(runs[3]), originals(runs[8])
    assert small == big and len(small) > 60
    absent = {n: {t.technician_id: t.absences for t in r.technicians} for n, r in runs.items()}
    assert sum(absent[8].values()) > 0
    assert sum(absent[3].values()) > 0
    assert all(absent[3][i] == absent[8][i] for i in absent[3])


# ------------------------------------------------- compare / min_staff (by hand)
def _tiny() -> ExperimentResult:
    """A fixed result table: one policy, levels 2/3/4, seeds 0..2."""
    sla = {2: [0.80, 0.90, 0.85], 3: [0.90, 0.95, 0.94], 4: [0.97, 0.99, 0.98]}
    backlog = {2: [12.0, 9.0, 10.0], 3: [6.0, 5.0, 7.0], 4: [2.0, 3.0, 1.0]}
    rows = [{"policy": "greedy-insertion", "num_technicians": n, "seed": s,
             "sla_response": sla[n][s], "backlog_end": backlog[n][s]}
            for n in (2, 3, 4) for s in range(3)]
    rows += [{"policy": "manual-zones", "num_technicians": 2, "seed": s,
              "sla_response": sla[2][s] - d, "backlog_end": backlog[2][s]}
             for s, d in enumerate([0.05, 0.10, 0.00])]
    return ExperimentResult(rows)


def test_compare_gives_hand_computed_paired_differences():
    """Level 3 vs 2: differences .10, .05, .09 -> mean .08, sd sqrt(.0007), t(.975, 2) = 4.3027."""
    out = _tiny().compare(baseline=2, metric="sla_response")
    row = out[(out.policy == "greedy-insertion") & (out.num_technicians == 3)].iloc[0]
    half = 4.302652729911275 * math.sqrt(0.0007) / math.sqrt(3)
    assert row["n"] == 3 and row["baseline"] == 2
    assert row["mean"] == pytest.approx(0.08)
    assert row["sd"] == pytest.approx(math.sqrt(0.0007))
    assert row["low"] == pytest.approx(0.08 - half) and row["high"] == pytest.approx(0.08 + half)
    # level 4 vs 2: differences .17, .09, .13 -> mean .13, sd .04
    row4 = out[(out.policy == "greedy-insertion") & (out.num_technicians == 4)].iloc[0]
    assert row4["mean"] == pytest.approx(0.13) and row4["sd"] == pytest.approx(0.04)
    # the manual-zones policy has level 2 only: nothing to compare with
    assert set(out.policy) == {"greedy-insertion"}


def test_compare_policies_at_the_same_level():
    """baseline='<policy>': greedy - manual at level 2 = .05, .10, .00 -> mean .05, sd .05."""
    out = _tiny().compare(baseline="manual-zones", metric="sla_response", confidence=0.9)
    assert len(out) == 1
    row = out.iloc[0]
    half = 2.919985580355516 * 0.05 / math.sqrt(3)  # t(.95, 2)
    assert row["policy"] == "greedy-insertion" and row["num_technicians"] == 2
    assert row["mean"] == pytest.approx(0.05) and row["sd"] == pytest.approx(0.05)
    assert row["low"] == pytest.approx(0.05 - half)


def test_min_staff_uses_the_one_sided_lower_bound():
    """Bounds at 95 %: level 2 .7657, level 3 .8854, level 4 .9631 (t(.95, 2) = 2.92)."""
    res = _tiny()
    t95 = 2.919985580355516
    table = res.staffing_table("sla_response", policy="greedy-insertion")
    expected = {2: 0.85 - t95 * 0.05 / math.sqrt(3),
                3: 0.93 - t95 * math.sqrt(0.0007) / math.sqrt(3),
                4: 0.98 - t95 * 0.01 / math.sqrt(3)}
    assert dict(zip(table.num_technicians, table.bound, strict=True)) == pytest.approx(expected)
    assert res.min_staff("sla_response", 0.90, policy="greedy-insertion") == 4
    assert res.min_staff("sla_response", 0.88, policy="greedy-insertion") == 3
    assert res.min_staff("sla_response", 0.99, policy="greedy-insertion") is None
    # 50 % confidence: the bound is the mean
    assert res.min_staff("sla_response", 0.90, confidence=0.5, policy="greedy-insertion") == 3
    # lower is better: upper bound of backlog_end; level 3: mean 6, sd 1 -> 7.686
    assert res.min_staff("backlog_end", 8.0, policy="greedy-insertion") == 3
    assert res.min_staff("backlog_end", 7.5, policy="greedy-insertion") == 4


def test_min_staff_and_compare_reject_bad_arguments():
    """Unknown metric, ambiguous policy, a baseline not in the table, bad confidence."""
    res = _tiny()
    with pytest.raises(fd.ValidationError, match="metric"):
        res.compare(metric="nope")
    with pytest.raises(fd.ValidationError, match="policy"):
        res.min_staff("sla_response", 0.9)
    with pytest.raises(fd.ValidationError, match="baseline"):
        res.compare(baseline=7)
    with pytest.raises(fd.ValidationError, match="confidence"):
        res.min_staff("sla_response", 0.9, confidence=1.5, policy="manual-zones")


def test_plot_draws_each_level_with_a_band(study):
    """plot(): the KPI's means against staffing, with a CI band."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = study.plot("sla_response")
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [4, 6, 8]
    assert len(ax.collections) == 1


def test_thread_pool_reproduces_the_study(team, study):
    """An executor (threads here; Dask the same way) gives identical rows for a Scenario study."""
    with ThreadPoolExecutor(max_workers=2) as ex:
        again = run_experiment(team, ["greedy-insertion"], staffing=[4, 6, 8], seeds=3,
                               demand=DEMAND, service=ServiceModel(p_absent=0.1),
                               executor=ex, progress=True)
    cols = [c for c in study.columns if c != "wall_time"]
    pd.testing.assert_frame_equal(pd.DataFrame(study)[cols], pd.DataFrame(again)[cols])


# -------------------------------------------------------------- fit_demand
def _history_csv(tmp_path, rows):
    frame = pd.DataFrame(rows)
    path = tmp_path / "history.csv"
    frame.to_csv(path, index=False)
    return path


def test_fit_demand_by_hand(tmp_path, capsys):
    """Two weeks, 4 tickets: rates = count / number of such weekdays, mixes and lognormals."""
    rows = [
        {"created_at": "2026-01-05 09:10", "lat": 52.5, "lon": 13.4, "category": "repair",
         "duration_min": 60, "priority": "P2", "skills": "hvac:2"},
        {"created_at": "2026-01-12 09:40", "lat": 52.6, "lon": 13.3, "category": "repair",
         "duration_min": 240, "priority": "P3", "skills": "hvac:1;gas:1"},
        {"created_at": "2026-01-07 14:00", "lat": 52.4, "lon": 13.5, "category": "install",
         "duration_min": 90, "priority": "P3", "skills": ""},
        {"created_at": "2026-01-18 23:59", "lat": 52.45, "lon": 13.45,
         "category": "inspection", "duration_min": 20, "priority": 4, "skills": "electrical"},
    ]
    model = fit_demand(_history_csv(tmp_path, rows))
    assert "Fitted demand: 4 tickets over 14 days" in capsys.readouterr().out
    assert model.days_observed == 14
    assert model.rates[0, 9] == pytest.approx(2 / 2)  # two Monday 9:00 tickets, two Mondays
    assert model.rates[2, 14] == pytest.approx(1 / 2)
    assert model.rates[6, 23] == pytest.approx(1 / 2)
    assert model.rates.sum() == pytest.approx(4 / 2)
    assert dict(model.categories) == pytest.approx({"repair": 0.5, "install": 0.25,
                                                    "inspection": 0.25})
    assert model.priority_mix == pytest.approx((0.0, 0.25, 0.5, 0.25))
    mu, sigma = model.durations["repair"]
    assert mu == pytest.approx((math.log(60) + math.log(240)) / 2)
    assert sigma == pytest.approx(abs(math.log(240) - math.log(60)) / math.sqrt(2))
    assert model.durations["install"] == pytest.approx((math.log(90), 0.0))
    assert model.row_skills[1] == {"hvac": 1, "gas": 1}
    assert model.scaled(1.5).rates is model.rates
    again = pickle.loads(pickle.dumps(model))  # executors ship it to workers
    assert again.summary() == model.summary()
    assert model.scaled(1.5).tickets_per_week == pytest.approx(3.0)


def test_fit_demand_reports_bad_input(tmp_path):
    """A missing column or an unreadable cell raises a ValidationError naming it."""
    base = {"created_at": "2026-01-05 09:10", "lat": 52.5, "lon": 13.4, "category": "repair",
            "duration_min": 60}
    with pytest.raises(fd.ValidationError, match="duration_min"):
        fit_demand(pd.DataFrame([{k: v for k, v in base.items() if k != "duration_min"}]))
    with pytest.raises(fd.ValidationError, match="row 3, column 'created_at'"):
        fit_demand(_history_csv(tmp_path, [base, {**base, "created_at": "yesterday"}]),
                   verbose=False)
    with pytest.raises(fd.ValidationError, match="duration_min"):
        fit_demand(pd.DataFrame([{**base, "duration_min": -5}]), verbose=False)
    with pytest.raises(fd.ValidationError, match="priority"):
        fit_demand(pd.DataFrame([{**base, "priority": "P9"}]), verbose=False)
    with pytest.raises(fd.ValidationError, match="history"):
        fit_demand(42, verbose=False)


def test_fit_recovers_a_known_demand_and_simulates(team):
    """Four weeks drawn from a known model: the fit recovers the daily volume; a simulation
    on the fitted model only places tickets where the history had them."""
    from fsdispatch.sim.models import draw_arrivals

    true = DemandModel(tickets_per_day=50, radius_km=10)
    rng, srng = np.random.default_rng(1), np.random.default_rng(2)
    arrivals = draw_arrivals(true, ServiceModel(), MONDAY, 28, rng, srng)
    model = fit_demand(history_frame(arrivals), verbose=False)
    per_day = model.rates.sum(axis=1)
    assert per_day[:5].mean() == pytest.approx(50, rel=0.1)
    assert per_day[6] == pytest.approx(50 * 0.1, rel=0.5)
    shares = dict(model.categories)
    assert shares["repair"] == pytest.approx(0.45, abs=0.05)
    # lognormal fit of the realised minutes: median near the nominal 60 min of a repair
    assert math.exp(model.durations["repair"][0]) == pytest.approx(60, rel=0.1)
    result = simulate(extend_shifts(team, 2), "greedy-insertion", 0, demand=model)
    places = set(zip(np.round(model.lat, 6), np.round(model.lon, 6), strict=True))
    assert len(result.ticket_objects) > 50
    for t in result.ticket_objects.values():
        assert (round(t.location.lat, 6), round(t.location.lon, 6)) in places
        assert t.category in shares


def test_extend_shifts_repeats_the_first_shift_on_working_days(team):
    """A one-day team works Monday to Friday of a 7-day horizon."""
    week = extend_shifts(team, 7)
    assert week.horizon.end - week.horizon.start == timedelta(days=7)
    for tech, orig in zip(week.technicians, team.technicians, strict=True):
        assert len(tech.shifts) == 5
        assert [s.start.weekday() for s in tech.shifts] == [0, 1, 2, 3, 4]
        assert tech.shifts[4].start - orig.shifts[0].start == timedelta(days=4)
        first = orig.shifts[0]
        assert tech.shifts[4].end - tech.shifts[4].start == first.end - first.start


def test_a_generated_team_nests_with_a_staffing_spec():
    """SimConfig + Staffing: the config's generated team, nested in the user's order."""
    from fsdispatch.sim import SimConfig

    config = SimConfig(num_technicians=4, days=1, workforce_seed=2,
                       demand=DemandModel(tickets_per_day=15, radius_km=8))
    ids = ["tech-004", "tech-002", "tech-001", "tech-003"]
    res = run_experiment(config, ["greedy-insertion"], staffing=Staffing([2, 4],
                                                                        remove_order=ids),
                         seeds=1)
    assert res.teams == {2: ("tech-001", "tech-003"),
                         4: ("tech-001", "tech-002", "tech-003", "tech-004")}
    assert sorted(res.num_technicians) == [2, 4]
    with pytest.raises(fd.ValidationError, match="warmup_backlog"):
        run_experiment(attrs.evolve(config, warmup_backlog=3), ["greedy-insertion"],
                       staffing=Staffing([2, 4], remove_order=ids), seeds=1)


def test_a_level_without_a_preferred_technician_drops_the_backlog_references():
    """Backlog tickets that prefer or exclude a technician removed at a level lose that
    reference there (it was an ``UnknownReferenceError``): every level runs, and the
    tickets keep the references of the technicians still on the team."""
    from fsdispatch.sim.staffing import team_scenario

    base = generate_scenario(4, 10, seed=1)
    ids = [t.id for t in base.technicians]
    tickets = [attrs.evolve(t, preferred_technicians=(ids[3], ids[0]) if k % 2 else (ids[0],),
                            excluded_technicians=() if k % 2 else (ids[3],))
               for k, t in enumerate(base.tickets)]
    scenario = attrs.evolve(base, tickets=tickets)
    result = run_experiment(scenario, staffing=fd.Staffing([3, 4], remove_order=[ids[3]]),
                            seeds=1, days=1)
    assert sorted(result["num_technicians"]) == [3, 4]
    small = team_scenario(scenario, scenario.technicians[:3])
    assert all(t.preferred_technicians == (ids[0],) and not t.excluded_technicians
               for t in small.tickets)
    assert team_scenario(scenario, scenario.technicians).tickets == scenario.tickets
