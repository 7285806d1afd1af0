"""The ``ls`` descent's node moves and the route-opening recreate: every accepted move is
priced exactly as the evaluator scores the plan, never raises the objective, and keeps
every field-service rule; and on long-route VRPTW instances the search opens routes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch._debug import objective_of
from fsdispatch.solvers.base import Limits
from fsdispatch.solvers.local_search import LocalSearchSolver
from fsdispatch.solvers.local_search.moves import try_relocate, try_swap, try_to_empty
from fsdispatch.solvers.local_search.neighbours import nearest_tickets
from fsdispatch.solvers.local_search.solver import _nearest_routes, _Shared
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _routes(sol) -> list[list[int]]:
    st_ = sol.st
    return [st_.seq[r, :st_.length[r]].tolist() for r in range(st_.length.shape[0])]


def _pickups(sol) -> dict[int, int]:
    st_ = sol.st
    return {int(st_.seq[r, 0]): int(st_.pick[r]) for r in range(st_.length.shape[0])
            if st_.length[r] and st_.pick[r] >= 0}


def _worker(problem: fd.Problem, seed: int, routes: list[list[int]] | None = None):
    """A search worker's state from ``routes`` or the greedy plan of ``problem``."""
    solver = LocalSearchSolver()
    nb_ptr, nb = nearest_tickets(problem, 8)
    near_ptr, near_route, depot_dist = _nearest_routes(problem, 32, math.inf)
    start = fd.solve(problem, "greedy", seed=seed).plan
    shared = _Shared(problem=problem, start=start, limits=Limits(max_iterations=1), tic=0.0,
                     deadline=math.inf, near_ptr=near_ptr, near_route=near_route,
                     nb_ptr=nb_ptr, nb=nb, depot_dist=depot_dist,
                     locked=np.zeros(problem.num_tickets, dtype=np.bool_))
    return solver._setup(shared, routes, {} if routes is not None else None)


@settings(max_examples=25, deadline=None)
@given(scenarios(max_technicians=4, max_tickets=14), st.integers(0, 2**31 - 1))
def test_moves_are_priced_as_the_evaluator_scores_them(scenario, seed):
    """Random relocations, swaps and moves into unused routes on random scenarios (breaks,
    parts, windows, caps): after each, the running objective equals the evaluator's
    objective of the current routes, it never goes up, and the plan stays feasible."""
    problem = fd.compile_scenario(scenario)
    if problem.num_tickets < 2:
        return
    w, cd, prm = _worker(problem, seed)
    kd = problem.data
    obj = float(w.obj[0])
    rng = np.random.default_rng(seed)
    for _ in range(60):
        a, b = (int(x) for x in rng.integers(0, problem.num_tickets, size=2))
        kind = int(rng.integers(0, 5))
        if kind == 0:
            new = try_relocate(kd, cd, w.cur, w.cand, w.buf, prm, obj, a, b, 1)
        elif kind == 1:
            new = try_relocate(kd, cd, w.cur, w.cand, w.buf, prm, obj, a, b, 0)
        elif kind == 2:
            new = try_swap(kd, cd, w.cur, w.cand, w.buf, prm, obj, a, b)
        else:
            new = try_to_empty(kd, cd, w.cur, w.cand, w.buf, prm, obj, a, int(kind == 4))
        assert new <= obj
        obj = new
        assert obj == pytest.approx(objective_of(problem, _routes(w.cur), _pickups(w.cur)),
                                    rel=1e-9, abs=1e-6)
        assert _routes(w.cand) == _routes(w.cur)  # the candidate is back in step
    plan = fd.Plan(routes=[tuple(r) for r in _routes(w.cur)], pickups=_pickups(w.cur),
                   unassigned={j: fd.UnassignedReason.OPEN for j in range(problem.num_tickets)
                               if w.cur.route_of[j] < 0})
    assert fd.evaluate(problem, plan).violations == ()


def _line_day(xs: tuple[int, ...] = (10, 11, 12)) -> fd.Problem:
    """Two technicians at the origin, tickets on a line at ``xs`` km (no windows)."""
    day = datetime(2026, 1, 5, tzinfo=UTC)
    techs = [fd.Technician(f"v{k}", fd.Location.planar(0, 0),
                           [fd.Shift(day + timedelta(hours=8), day + timedelta(hours=17))])
             for k in range(2)]
    tickets = [fd.Ticket(f"t{k}", fd.Location.planar(x, 0), 30 * fd.MINUTE)
               for k, x in enumerate(xs)]
    return fd.compile_scenario(fd.Scenario(
        fd.Horizon(day, day + timedelta(days=1)), techs, tickets,
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0)))


def test_relocation_closes_a_route_and_opening_splits_one():
    """On a line: relocating the lone ticket of the second route after its neighbour saves
    a trip and is accepted; the reverse, opening an unused route with it, is refused."""
    problem = _line_day()
    w, cd, prm = _worker(problem, 0, [[0, 1], [2]])
    kd = problem.data
    obj = float(w.obj[0])
    new = try_relocate(kd, cd, w.cur, w.cand, w.buf, prm, obj, 2, 1, 1)
    assert new < obj
    assert _routes(w.cur) == [[0, 1, 2], []]
    assert new == pytest.approx(objective_of(problem, _routes(w.cur)), rel=1e-9)
    assert try_to_empty(kd, cd, w.cur, w.cand, w.buf, prm, new, 2, 0) == new
    assert try_to_empty(kd, cd, w.cur, w.cand, w.buf, prm, new, 1, 1) == new
    assert _routes(w.cur) == [[0, 1, 2], []]


def test_swap_exchanges_tickets_between_routes():
    """Tickets 10 and 11 km east and west; routes ``[t0, t3]`` and ``[t1, t2]`` each go
    both ways: swapping ``t3`` and ``t2`` sends each route one way, and is accepted."""
    problem = _line_day((10, -10, 11, -11))
    w, cd, prm = _worker(problem, 0, [[0, 3], [1, 2]])
    kd = problem.data
    obj = float(w.obj[0])
    new = try_swap(kd, cd, w.cur, w.cand, w.buf, prm, obj, 3, 2)
    assert new < obj
    assert _routes(w.cur) == [[0, 2], [1, 3]]
    assert new == pytest.approx(objective_of(problem, _routes(w.cur)), rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(scenarios(max_technicians=4, max_tickets=14), st.integers(0, 2**31 - 1))
def test_search_with_moves_passes_the_evaluator(scenario, seed):
    """``ls`` with the descent's moves on random scenarios: no violation, its objective is
    the evaluator's, no worse than the start, and no insertion was mispriced."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, LocalSearchSolver(moves=True), max_iterations=150, seed=seed)
    assert result.evaluation.violations == ()
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                              abs=1e-6)
    assert result.objective <= result.stats["start_objective"] + 1e-6
    assert result.stats["insertion_errors"] == 0


def test_moves_are_deterministic(city):
    """Same seed and iteration count, same plan, with the moves on."""
    problem = fd.compile_scenario(city)
    a = fd.solve(problem, LocalSearchSolver(moves=True), max_iterations=300, seed=4)
    b = fd.solve(problem, LocalSearchSolver(moves=True), max_iterations=300, seed=4)
    assert a.plan == b.plan and a.is_feasible
