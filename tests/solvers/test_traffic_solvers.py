"""Solvers under time-dependent travel: every plan is re-timed by the shared evaluator under
the profile, is feasible, and its objective is the backend's own; exact backends refuse."""

from __future__ import annotations

from datetime import time, timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.errors import UnsupportedProblemError

RUSH = fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.45), (time(9, 30), 1.0),
                        (time(16, 0), 0.55), (time(18, 30), 1.0)])


def _rush_day(seed: int, techs: int = 6, tickets: int = 45) -> fd.Scenario:
    sc = fd.generate_scenario(techs, tickets, seed=seed)
    return attrs.evolve(sc, travel=fd.TimeDependentTravel(sc.travel, RUSH))


def _matrix_day(seed: int) -> fd.Scenario:
    """A generated day on a matrix with a morning rush period (from the static times)."""
    sc = fd.generate_scenario(5, 35, seed=seed)
    locs: list[fd.Location] = []
    for loc in [*(t.start_location for t in sc.technicians), *(t.location for t in sc.tickets)]:
        if loc not in locs:
            locs.append(loc)
    ids = [f"L{k}" for k in range(len(locs))]
    relabel = {loc: attrs.evolve(loc, id=i) for loc, i in zip(locs, ids, strict=True)}
    dur = np.array([[sc.travel.travel_seconds(a, b) for b in locs] for a in locs])
    free = fd.MatrixTravel(ids, dur)
    rng = np.random.default_rng(seed)
    rush = fd.MatrixTravel(ids, np.rint(dur * rng.uniform(1.2, 2.5, dur.shape)))
    tdm = fd.TimeDependentMatrix([(time(0, 0), free), (time(7, 0), rush), (time(10, 0), free)])
    techs = [attrs.evolve(t, start_location=relabel[t.start_location]) for t in sc.technicians]
    tks = [attrs.evolve(t, location=relabel[t.location]) for t in sc.tickets]
    return attrs.evolve(sc, technicians=techs, tickets=tks, travel=tdm)


def _check(problem: fd.Problem, result: fd.SolveResult) -> fd.Evaluation:
    ev = fd.evaluate(problem, result.plan)
    assert ev.is_feasible, ev.violations[:3]
    assert result.objective == pytest.approx(ev.objective, rel=1e-9)
    own = result.stats.get("backend_objective")
    assert own is not None
    assert own == pytest.approx(ev.objective, rel=1e-9, abs=1e-6)
    return ev


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("solver", ["greedy", "ls"])
def test_plans_under_a_profile_are_feasible_and_priced_as_the_evaluator(seed, solver):
    problem = fd.compile_scenario(_rush_day(seed))
    assert problem.data.tv.td == 1
    limits = {"max_iterations": 300} if solver == "ls" else {}
    result = fd.solve(problem, solver=solver, seed=seed, **limits)
    ev = _check(problem, result)
    assert ev.kpis.assigned > 0


@pytest.mark.parametrize("solver", ["greedy", "ls"])
def test_plans_on_a_time_dependent_matrix_are_feasible(solver):
    problem = fd.compile_scenario(_matrix_day(3))
    assert problem.data.tv.td == 2
    limits = {"max_iterations": 300} if solver == "ls" else {}
    _check(problem, fd.solve(problem, solver=solver, seed=3, **limits))


def test_the_evaluator_times_a_static_plan_by_the_profile():
    """A plan made with static travel costs more travel under a rush-hour profile."""
    day = _rush_day(4)
    static = attrs.evolve(day, travel=day.travel.base)
    plan = fd.solve(static, solver="greedy").plan
    ev_static = fd.evaluate(fd.compile_scenario(static), plan)
    ev_rush = fd.evaluate(fd.compile_scenario(day), plan)
    assert ev_rush.kpis.travel_time_min > ev_static.kpis.travel_time_min
    # a constant profile of 1 is the static model, second for second
    flat = attrs.evolve(day, travel=fd.TimeDependentTravel(day.travel.base,
                                                           fd.SpeedProfile.constant(1.0)))
    ev_flat = fd.evaluate(fd.compile_scenario(flat), plan)
    assert ev_flat.objective == pytest.approx(ev_static.objective, rel=1e-12)
    assert np.array_equal(ev_flat.times.start, ev_static.times.start)


@pytest.mark.parametrize("solver", ["cpsat", "milp"])
def test_exact_backends_refuse_time_dependent_travel(solver):
    pytest.importorskip("ortools" if solver == "cpsat" else "pulp")
    problem = fd.compile_scenario(_rush_day(5, techs=2, tickets=6))
    with pytest.raises(UnsupportedProblemError, match="time-dependent"):
        fd.solve(problem, solver=solver)


def _depot_day(seed: int, techs: int, tickets: int, profile: fd.SpeedProfile) -> fd.Scenario:
    """A generated day under ``profile`` where some tickets need more of a part than any van
    holds: serving them takes a depot pick-up first thing on the route."""
    sc = fd.generate_scenario(techs, tickets, seed=seed)
    skus = sorted({s for t in sc.technicians for s in t.van_stock}) or ["p"]
    start = sc.technicians[0].shifts[0].start
    depots = [fd.Depot(f"D{n}", sc.tickets[(5 * n) % len(sc.tickets)].location,
                       stock={s: 60 for s in skus}, pickup_time=10 * fd.MINUTE,
                       opening_hours=[fd.TimeWindow(start - timedelta(hours=1),
                                                    start + timedelta(hours=10))])
              for n in range(2)]
    most = max((t.van_stock.get(skus[0], 0) for t in sc.technicians), default=0)
    tks = [attrs.evolve(t, parts={**t.parts, skus[0]: most + 1}) if k % 3 == 0 else t
           for k, t in enumerate(sc.tickets)]
    return attrs.evolve(sc, tickets=tks, depots=depots,
                        travel=fd.TimeDependentTravel(sc.travel, profile))


@st.composite
def _profiles(draw: st.DrawFn) -> fd.SpeedProfile:
    minutes = draw(st.lists(st.integers(5 * 60, 19 * 60), min_size=1, max_size=4,
                            unique=True))
    factors = draw(st.lists(st.sampled_from([0.3, 0.5, 0.8, 1.0, 1.25, 1.6]),
                            min_size=len(minutes) + 1, max_size=len(minutes) + 1))
    return fd.SpeedProfile([(time(0, 0), factors[0])] + [
        (time(m // 60, m % 60), f) for m, f in zip(sorted(minutes), factors[1:], strict=True)])


@pytest.mark.property
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), techs=st.integers(2, 5), tickets=st.integers(6, 24),
       profile=_profiles(), solver=st.sampled_from(["greedy", "ls"]))
def test_depot_pickups_under_traffic_are_priced_as_the_evaluator(seed, techs, tickets,
                                                                 profile, solver):
    """With depot stops (the way to the depot timed by its departure, as every leg), the
    backend's own objective is the evaluator's."""
    problem = fd.compile_scenario(_depot_day(seed, techs, tickets, profile))
    limits = {"max_iterations": 150} if solver == "ls" else {}
    result = fd.solve(problem, solver=solver, seed=seed, **limits)
    _check(problem, result)


def test_depot_pickups_under_traffic_are_made():
    """The property above is not vacuous: plans of such days make depot stops."""
    stops = 0
    for seed in range(3):
        problem = fd.compile_scenario(_depot_day(seed, 4, 20, RUSH))
        result = fd.solve(problem, solver="greedy", seed=seed)
        _check(problem, result)
        stops += len(result.plan.pickups)
    assert stops > 0
