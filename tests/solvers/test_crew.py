"""Crew jobs (issue #19): a ticket served by ``crew_size`` distinct technicians starting
together — the model, the evaluator's pairing checks and synchronised timing, the
heuristics' plans, JSON/CSV and the generator option."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.problem.crew import crew_sizes


def _pair() -> fd.Scenario:
    """Three technicians on a planar map (1 km = 60 s), one 8:00-17:00 shift each; A has a
    second shift the next day.

    - ``A`` at (0, 0), ``B`` at (10, 0), ``C`` at (0, 10).
    - ``J`` at (1, 0), a crew job of two (60 min); ``K`` at (9, 0), another (30 min);
      ``S`` at (2, 0), a single job (30 min).
    A reaches J at 8:01, B at 8:09: the pair A+B starts J at 8:09.
    """
    techs = [
        fd.Technician(
            "A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17)), fd.Shift(at(8, 1), at(17, 1))]
        ),
        fd.Technician("B", fd.Location.planar(10, 0), [fd.Shift(at(8), at(17))]),
        fd.Technician("C", fd.Location.planar(0, 10), [fd.Shift(at(8), at(17))]),
    ]
    tickets = [
        fd.Ticket("J", fd.Location.planar(1, 0), 60 * fd.MINUTE, crew_size=2),
        fd.Ticket("K", fd.Location.planar(9, 0), 30 * fd.MINUTE, crew_size=2),
        fd.Ticket("S", fd.Location.planar(2, 0), 30 * fd.MINUTE),
    ]
    return fd.Scenario(
        fd.Horizon(DAY0, DAY0 + timedelta(days=2)),
        techs,
        tickets,
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
        name="pair",
    )


def _plan(problem: fd.Problem, routes: dict[str, list[str]]) -> fd.Plan:
    routed = {t for ids in routes.values() for t in ids}
    return fd.Plan.from_ids(
        problem,
        routes,
        {t: "not_profitable" for t in problem.index.ticket_ids if t not in routed},
        strict=True,
    )


def _kinds(evaluation: fd.Evaluation) -> list[str]:
    return [v.kind for v in evaluation.violations]


def _starts(evaluation: fd.Evaluation, problem: fd.Problem, ticket_id: str) -> list[int]:
    j = problem.index.ticket_idx(ticket_id)
    times = evaluation.times
    return [
        int(s) for t, s in zip(times.ticket.tolist(), times.start.tolist(), strict=True) if t == j
    ]


# ------------------------------------------------------------------ model


@pytest.mark.parametrize("bad", [0, -1, 9, 2.0, "2", True, None])
def test_bad_crew_size_is_a_validation_error_naming_the_field(bad: object) -> None:
    """``crew_size`` outside 1..MAX_CREW_SIZE (or not an int) is refused, naming it."""
    with pytest.raises(fd.ValidationError) as info:
        fd.Ticket("T", fd.Location.planar(0, 0), 600, crew_size=bad)  # type: ignore[arg-type]
    assert info.value.field == "crew_size"
    assert "crew_size" in str(info.value)


# ------------------------------------------------------------------ evaluator


def test_the_pair_starts_together_the_first_member_waits() -> None:
    """A crew visit starts at the latest member's ready time; the earlier one waits."""
    problem = fd.compile_scenario(_pair())
    ev = fd.evaluate(problem, _plan(problem, {"A#0": ["J"], "B#0": ["J"]}))
    assert ev.is_feasible, ev.violations
    assert _starts(ev, problem, "J") == [8 * 3600 + 9 * 60] * 2
    j = problem.index.ticket_idx("J")
    waits = [
        int(w)
        for t, w in zip(ev.times.ticket.tolist(), ev.times.wait.tolist(), strict=True)
        if t == j
    ]
    assert sorted(waits) == [0, 8 * 60]
    assert ev.kpis.assigned == 1


def test_a_wait_delays_the_rest_of_the_route() -> None:
    """The member that waits serves its next visit later by the wait."""
    problem = fd.compile_scenario(_pair())
    ev = fd.evaluate(problem, _plan(problem, {"A#0": ["J", "S"], "B#0": ["J"]}))
    assert ev.is_feasible, ev.violations
    # J starts 8:09 for 60 min, then 1 km to S
    assert _starts(ev, problem, "S") == [8 * 3600 + 9 * 60 + 3600 + 60]


@pytest.mark.parametrize(
    ("routes", "kind"),
    [
        ({"A#0": ["J"]}, "crew"),  # one member missing
        ({"A#0": ["J"], "A#1": ["J"]}, "crew"),  # the same technician twice
        ({"A#0": ["J"], "B#0": ["J"], "C#0": ["J"]}, "double_assignment"),  # one too many
        ({"A#0": ["J", "K"], "B#0": ["K", "J"]}, "crew"),  # waiting for each other in a circle
    ],
)
def test_bad_pairings_are_violations(routes: dict[str, list[str]], kind: str) -> None:
    """Missing members, a technician twice, an extra member and a circular wait are flagged."""
    problem = fd.compile_scenario(_pair())
    ev = fd.evaluate(problem, _plan(problem, routes))
    assert kind in _kinds(ev), ev.violations
    assert not ev.is_feasible


def test_a_crew_in_a_consistent_order_is_feasible() -> None:
    """Two crew jobs served by the same pair in the same order synchronise."""
    problem = fd.compile_scenario(_pair())
    ev = fd.evaluate(problem, _plan(problem, {"A#0": ["J", "K"], "B#0": ["J", "K"]}))
    assert ev.is_feasible, ev.violations
    assert len(set(_starts(ev, problem, "K"))) == 1


def test_a_late_member_breaks_a_hard_window() -> None:
    """When the last member arrives after the window, every member starts late: a violation."""
    scenario = _pair()
    tickets = list(scenario.tickets)
    tickets[0] = attrs.evolve(
        tickets[0], windows=[fd.TimeWindow(at(8), at(8, 0) + timedelta(minutes=5))]
    )
    problem = fd.compile_scenario(attrs.evolve(scenario, tickets=tuple(tickets)))
    ev = fd.evaluate(problem, _plan(problem, {"A#0": ["J"], "B#0": ["J"]}))
    assert "window" in _kinds(ev)


# ------------------------------------------------------------------ solvers


def _solve(problem: fd.Problem, solver: str) -> fd.SolveResult:
    if solver == "ls":
        return fd.solve(problem, solver, seed=1, max_iterations=200)
    if solver == "cpsat":
        return fd.solve(problem, solver, seed=1, time_limit=10.0, workers=1)
    if solver == "milp":
        return fd.solve(problem, solver, seed=1, time_limit=20.0)
    return fd.solve(problem, solver, seed=1)


@pytest.mark.parametrize("solver", ["greedy", "ls", "cpsat", "milp"])
def test_backends_serve_the_pairs_together(solver: str) -> None:
    """Every backend serves both crew jobs of the hand-built day with two technicians
    at once."""
    problem = fd.compile_scenario(_pair())
    res = _solve(problem, solver)
    assert res.evaluation.is_feasible, res.evaluation.violations
    for tid in ("J", "K"):
        j = problem.index.ticket_idx(tid)
        techs = [
            problem.index.routes[r][0] for r, route in enumerate(res.plan.routes) if j in route
        ]
        assert len(techs) == 2 and len(set(techs)) == 2
        assert len(set(_starts(res.evaluation, problem, tid))) == 1


@pytest.mark.parametrize("solver", ["cpsat", "milp"])
def test_exact_backends_pair_at_least_as_well_as_greedy(solver: str) -> None:
    """On the hand-built day the exact backends' plans (warm-started from the crew greedy)
    cost no more than greedy's, by the evaluator, and both agree."""
    problem = fd.compile_scenario(_pair())
    exact = _solve(problem, solver).evaluation.objective
    assert exact <= _solve(problem, "greedy").evaluation.objective + 1e-6
    assert exact == pytest.approx(_solve(problem, "cpsat").evaluation.objective)


def _generated_crew_day(solver: str) -> fd.Scenario:
    """A generated day with one crew job of two: 6 technicians and 30 tickets (3 and 8
    for cpsat, within its size limits and a short time)."""
    if solver == "cpsat":
        scenario = fd.generate_scenario(3, 8, seed=2, crew_fraction=1 / 8)
    else:
        scenario = fd.generate_scenario(6, 30, seed=5, crew_fraction=1 / 30)
    assert sum(t.crew_size > 1 for t in scenario.tickets) == 1
    return scenario


@pytest.mark.parametrize("solver", ["greedy", "ls", "cpsat"])
def test_the_crew_ticket_of_a_generated_day_is_served_by_two(solver: str) -> None:
    """On a generated day the crew ticket gets two distinct technicians starting together,
    as the evaluator judges it."""
    problem = fd.compile_scenario(_generated_crew_day(solver))
    res = _solve(problem, solver)
    assert res.evaluation.is_feasible, res.evaluation.violations
    (j,) = np.flatnonzero(crew_sizes(problem) > 1).tolist()
    assert len({problem.index.routes[r][0] for r in problem.routes_for(j).tolist()}) >= 2
    routes = [r for r, route in enumerate(res.plan.routes) if j in route]
    techs = {problem.index.routes[r][0] for r in routes}
    assert len(routes) == 2 and len(techs) == 2
    starts = _starts(res.evaluation, problem, problem.index.ticket_ids[j])
    assert len(starts) == 2 and starts[0] == starts[1]


@pytest.mark.parametrize("solver", ["cpsat", "milp", "greedy"])
def test_assignment_mode_refuses_crew_jobs(solver: str) -> None:
    """Crews are planned in routing mode only: assignment mode is a typed error saying so."""
    with pytest.raises(fd.UnsupportedProblemError, match="crew"):
        fd.solve(_pair(), solver, mode="assignment")


@st.composite
def crew_days(draw: st.DrawFn) -> fd.Scenario:
    """A generated day with some crew jobs of two or three."""
    base = fd.generate_scenario(
        draw(st.integers(2, 5)),
        draw(st.integers(3, 12)),
        seed=draw(st.integers(0, 10_000)),
        days=draw(st.integers(1, 2)),
        crew_fraction=draw(st.sampled_from([0.1, 0.3, 0.6])),
    )
    sizes = draw(
        st.lists(st.integers(2, 3), min_size=len(base.tickets), max_size=len(base.tickets))
    )
    tickets = tuple(
        attrs.evolve(t, crew_size=k) if t.crew_size > 1 else t
        for t, k in zip(base.tickets, sizes, strict=True)
    )
    return attrs.evolve(base, tickets=tickets)


@settings(max_examples=16)
@given(scenario=crew_days(), solver=st.sampled_from(["greedy", "ls", "cpsat"]))
def test_every_plan_with_crews_is_feasible_and_loses_nothing(
    scenario: fd.Scenario, solver: str
) -> None:
    """On random days with crew jobs, greedy, ls and cpsat plans pass the evaluator; every
    ticket is routed (a crew job on crew_size distinct technicians) or unassigned with a
    reason."""
    problem = fd.compile_scenario(scenario)
    res = _solve(problem, solver)
    assert res.evaluation.is_feasible, res.evaluation.violations
    crew = crew_sizes(problem)
    count = np.zeros(problem.num_tickets, dtype=np.int64)
    for route in res.plan.routes:
        for j in route:
            count[j] += 1
    times = res.evaluation.times
    for j in range(problem.num_tickets):
        assert count[j] in (0, crew[j])
        assert (count[j] > 0) != (j in res.plan.unassigned)
        visits = np.flatnonzero(times.ticket == j)
        assert len({int(times.start[k]) for k in visits}) <= 1
        techs = {problem.index.routes[int(times.route[k])][0] for k in visits}
        assert len(techs) == len(visits)


# ------------------------------------------------------------------ io and generate


def test_json_round_trip_keeps_crew_size_and_writes_it_only_when_set() -> None:
    """``crew_size`` survives save/load; a ticket of one does not write the key."""
    scenario = _pair()
    text = fd.io.save_scenario(scenario)
    assert text.count('"crew_size"') == 2
    back = fd.io.scenario_from_dict(json.loads(text))
    assert [t.crew_size for t in back.tickets] == [2, 2, 1]
    plain = fd.io.save_scenario(fd.generate_scenario(2, 4, seed=0))
    assert "crew_size" not in plain


def test_json_bad_crew_size_is_a_typed_error() -> None:
    """A crew size out of range in JSON is a ValidationError naming the field."""
    data = json.loads(fd.io.save_scenario(_pair()))
    data["tickets"][0]["crew_size"] = 0
    with pytest.raises(fd.ValidationError, match="crew_size"):
        fd.io.scenario_from_dict(data)


def test_csv_reads_crew_size_column() -> None:
    """The tickets table's ``crew_size`` column sets the crew (default 1)."""
    pd = pytest.importorskip("pandas")
    tickets = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2"],
            "lat": [52.5, 52.51],
            "lon": [13.4, 13.41],
            "duration_min": [30, 45],
            "crew_size": [2, None],
        }
    )
    techs = pd.DataFrame(
        {
            "technician_id": ["A", "B"],
            "lat": [52.5, 52.5],
            "lon": [13.4, 13.4],
            "shift_start": ["2026-03-02 08:00"] * 2,
            "shift_end": ["2026-03-02 17:00"] * 2,
        }
    )
    scenario = fd.io.scenario_from_frames(tickets, techs, timezone="UTC")
    assert [t.crew_size for t in scenario.tickets] == [2, 1]


def test_generate_crew_fraction_leaves_the_rest_of_the_day_unchanged() -> None:
    """``crew_fraction`` makes that share of tickets crew jobs of two; the rest of the
    day is the same as without it; a bad value is a typed error."""
    plain = fd.generate_scenario(4, 20, seed=5)
    crewed = fd.generate_scenario(4, 20, seed=5, crew_fraction=0.2)
    assert sum(t.crew_size == 2 for t in crewed.tickets) == 4
    assert all(t.crew_size == 1 for t in plain.tickets)
    for a, b in zip(plain.tickets, crewed.tickets, strict=True):
        if b.crew_size == 1:
            assert a == b
        else:
            assert attrs.evolve(a, crew_size=2, parts={}) == b
    assert plain.technicians == crewed.technicians
    with pytest.raises(fd.ValidationError, match="crew_fraction"):
        fd.generate_scenario(2, 4, seed=0, crew_fraction=1.5)


def test_live_dispatch_plans_the_crews_of_a_day() -> None:
    """Live dispatch places the day's crews (members pinned to one start, on distinct
    technicians) and a recommendation of a crew job names its crew; the detailed live
    tests are in ``tests/live/test_live_crew.py``."""
    from fsdispatch.live.crew import crew_view

    d = fd.Dispatcher(_pair(), now=at(7))
    d.plan_day(solver="greedy")
    for crew_id in ("J", "K"):
        ids = d.live_state.crews[crew_id]
        assert len({d.assignment(t) for t in ids}) == 2
        assert len({d.eta(t).start for t in ids}) == 1
    problem, plan = crew_view(d)
    assert fd.evaluate(problem, plan).is_feasible
    scenario = _pair()
    dispatcher = fd.Dispatcher(attrs.evolve(scenario, tickets=(scenario.tickets[2],)))
    rec = dispatcher.recommend(scenario.tickets[0])
    assert rec.options and len(set(rec.options[0].crew)) == 2


def test_cli_generates_solves_and_checks_a_day_with_crews(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``generate --crew-fraction``, ``solve`` and ``check`` carry crews end to end; a bad
    fraction is a usage error."""
    from fsdispatch.cli import main

    day, plan = tmp_path / "day.json", tmp_path / "plan.json"
    assert (
        main(
            [
                "generate",
                "--technicians",
                "4",
                "--tickets",
                "12",
                "--seed",
                "5",
                "--crew-fraction",
                "0.2",
                "--out",
                str(day),
            ]
        )
        == 0
    )
    assert sum(t.crew_size == 2 for t in fd.io.load_scenario(day).tickets) == 2
    assert main(["solve", str(day), "--out", str(plan), "--quiet"]) == 0
    assert main(["check", str(day), str(plan)]) == 0
    assert "feasible" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["generate", "--crew-fraction", "2"])


@pytest.mark.parametrize("solver", ["greedy", "ls", "cpsat", "milp"])
def test_a_crew_without_enough_eligible_technicians_is_left_out_with_a_reason(solver: str) -> None:
    """A crew of two whose skill only one technician holds is unassigned whole, ``no_skill``;
    the rest of the day is still planned."""
    scenario = _pair()
    techs = list(scenario.technicians)
    techs[0] = attrs.evolve(techs[0], skills={"hvac": 1})
    tickets = list(scenario.tickets)
    tickets[0] = attrs.evolve(tickets[0], required_skills={"hvac": 1})
    problem = fd.compile_scenario(
        attrs.evolve(scenario, technicians=tuple(techs), tickets=tuple(tickets))
    )
    res = _solve(problem, solver)
    assert res.evaluation.is_feasible, res.evaluation.violations
    j = problem.index.ticket_idx("J")
    assert res.plan.unassigned.get(j) is fd.UnassignedReason.NO_SKILL
    assert all(j not in route for route in res.plan.routes)
    assert res.evaluation.kpis.assigned == 2


@pytest.mark.parametrize("solver", ["greedy", "ls"])
def test_crew_plans_are_deterministic_under_a_seed(solver: str) -> None:
    """The same day and seed give the same plan with crews."""
    scenario = fd.generate_scenario(5, 20, seed=11, crew_fraction=0.2)
    plans = [_solve(fd.compile_scenario(scenario), solver).plan for _ in range(2)]
    assert plans[0] == plans[1]
