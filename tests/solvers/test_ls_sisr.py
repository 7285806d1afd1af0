"""SISR's recreate and ruin details in ``ls`` (blinks, split strings, weighted recreate
orders): plans pass the evaluator, the search's objective is the evaluator's, runs are
deterministic under a seed, and blinked insertion never prices a position it skipped."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

import fsdispatch as fd
from fsdispatch.kernels.insertion import make_work
from fsdispatch.solvers.base import Limits
from fsdispatch.solvers.local_search import LocalSearchSolver
from fsdispatch.solvers.local_search._state import best_insertion_slack
from fsdispatch.solvers.local_search._state import blinked as _blinked
from fsdispatch.solvers.local_search.neighbours import nearest_tickets
from fsdispatch.solvers.local_search.solver import _nearest_routes, _Shared
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked



@njit(cache=False)
def blinked(key, p, rate):
    """:func:`~fsdispatch.solvers.local_search._state.blinked`, callable from Python."""
    return _blinked(key, p, rate)


SISR = LocalSearchSolver(blink=0.05, split_rate=0.5, sort_weights=(4.0, 2.0, 1.0, 1.0, 4.0))


@settings(max_examples=20, deadline=None)
@given(scenarios(max_technicians=4, max_tickets=14), st.integers(0, 2**31 - 1))
def test_sisr_search_passes_the_evaluator(scenario, seed):
    """``ls`` with blinks, split strings and weighted orders on random scenarios (breaks,
    parts, windows, caps): no violation, its objective is the evaluator's, no worse than
    the start, and no insertion was mispriced."""
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, SISR, max_iterations=150, seed=seed)
    assert result.evaluation.violations == ()
    assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                              abs=1e-6)
    assert result.objective <= result.stats["start_objective"] + 1e-6
    assert result.stats["insertion_errors"] == 0


def test_sisr_search_is_deterministic_and_improves(city):
    """Same seed and iteration count, same plan; another seed searches differently; the
    plan improves on the greedy start."""
    problem = fd.compile_scenario(city)
    a = fd.solve(problem, SISR, max_iterations=400, seed=3)
    b = fd.solve(problem, SISR, max_iterations=400, seed=3)
    c = fd.solve(problem, SISR, max_iterations=400, seed=4)
    assert a.plan == b.plan and a.is_feasible and c.is_feasible
    assert a.objective < a.stats["start_objective"]


def test_blink_hash_rate_and_determinism():
    """:func:`blinked` skips about ``rate`` of the positions, the same ones for a key."""
    keys = np.arange(2000, dtype=np.int64) * 7919 + 11
    hits = sum(blinked(int(k), p, 0.1) for k in keys for p in range(10))
    assert 0.085 < hits / 20000 < 0.115
    assert [blinked(123, p, 0.3) for p in range(50)] == [blinked(123, p, 0.3) for p in range(50)]
    assert not any(blinked(int(k), 3, 0.0) for k in keys)


def _worker(problem: fd.Problem):
    solver = LocalSearchSolver()
    nb_ptr, nb = nearest_tickets(problem, 8)
    near_ptr, near_route, depot_dist = _nearest_routes(problem, 32, math.inf)
    start = fd.solve(problem, "greedy", seed=0).plan
    shared = _Shared(problem=problem, start=start, limits=Limits(max_iterations=1), tic=0.0,
                     deadline=math.inf, near_ptr=near_ptr, near_route=near_route,
                     nb_ptr=nb_ptr, nb=nb, depot_dist=depot_dist,
                     locked=np.zeros(problem.num_tickets, dtype=np.bool_))
    return solver._setup(shared)


def test_blinked_insertion_takes_the_best_unblinked_position():
    """With blinks, insertion is never cheaper than without them and never takes a
    blinked position."""
    problem = fd.compile_scenario(fd.generate_scenario(3, 30, seed=5))
    w, _cd, _prm = _worker(problem)
    kd, sol = problem.data, w.cur
    wk = make_work(kd, sol.st.seq.shape[1])
    checked = 0
    for j in np.flatnonzero(sol.route_of < 0).tolist() + list(range(6)):
        for r in range(problem.num_routes):
            if sol.route_of[j] == r:
                continue
            full, _p = best_insertion_slack(kd, r, j, sol, wk, w.buf, 0.0, 0)
            for key in (1, 99, 12345):
                c, p = best_insertion_slack(kd, r, j, sol, wk, w.buf, 0.3, key)
                assert c >= full
                if p >= 0:
                    assert not blinked(key, p, 0.3)
                    checked += 1
    assert checked > 0


def test_bad_sisr_options_are_validation_errors():
    """Out-of-range blink / split rates and malformed order weights name the option."""
    with pytest.raises(fd.ValidationError, match="blink"):
        LocalSearchSolver(blink=1.0)
    with pytest.raises(fd.ValidationError, match="split_rate"):
        LocalSearchSolver(split_rate=-0.1)
    with pytest.raises(fd.ValidationError, match="sort_weights"):
        LocalSearchSolver(sort_weights=(1.0, 1.0))
    with pytest.raises(fd.ValidationError, match="sort_weights"):
        LocalSearchSolver(sort_weights=(0.0, 0.0, 0.0, 0.0, 0.0))
