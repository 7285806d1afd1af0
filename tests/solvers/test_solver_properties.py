"""Heuristic backends on fuzzer-style days: evaluator-clean, nothing lost, reproducible.

The days come from :func:`fsdispatch.testing.strategies.stress_scenarios`: many
technicians with low daily caps (every route short), tiny capacities, one or two
breaks per shift in fixed / narrow / wide / past-the-end windows, parts depots
with limited stock, long jobs, two-day horizons. These are the days on which a
scratch buffer sized from the wrong bound overruns (issue #15); run this file
with ``NUMBA_BOUNDSCHECK=1`` (and a fresh ``NUMBA_CACHE_DIR``) to turn any
out-of-bounds access into an ``IndexError``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.testing.strategies import stress_scenarios
from fsdispatch.testing.stress import check_day

pytestmark = pytest.mark.property

LS_ITERATIONS = 200


def _lost(problem: fd.Problem, plan: fd.Plan) -> list[str]:
    """What breaks "every ticket is in exactly one route or unassigned with a reason"."""
    issues = []
    where: dict[int, int] = {}
    for route in plan.routes:
        for j in route:
            where[j] = where.get(j, 0) + 1
    for j in range(problem.num_tickets):
        count = where.get(j, 0) + (j in plan.unassigned)
        if count != 1:
            issues.append(f"ticket {j} is placed {count} times")
        elif j in plan.unassigned and not isinstance(plan.unassigned[j], fd.UnassignedReason):
            issues.append(f"ticket {j} is unassigned without a reason: {plan.unassigned[j]!r}")
    strays = sorted(j for j in set(where) | set(plan.unassigned)
                    if not 0 <= j < problem.num_tickets)
    if strays:
        issues.append(f"unknown ticket indices {strays}")
    return issues


def _check(problem: fd.Problem, result: fd.SolveResult) -> None:
    assert result.evaluation.is_feasible, result.evaluation.violations[:3]
    assert result.status is not fd.SolveStatus.ERROR
    assert _lost(problem, result.plan) == []


@settings(max_examples=60)
@given(stress_scenarios())
def test_greedy_plans_of_stress_days_pass_the_evaluator_and_lose_nothing(scenario):
    """On stress days greedy's plan has no violation and every ticket is routed once or
    unassigned with a reason."""
    problem = fd.compile_scenario(scenario)
    _check(problem, fd.solve(problem, "greedy"))


@settings(max_examples=150)
@given(stress_scenarios(), st.integers(0, 2**31 - 1))
def test_ls_plans_of_stress_days_pass_the_evaluator_and_lose_nothing(scenario, seed):
    """On stress days ``ls`` with its default options (descent on) and 200 iterations returns
    a plan with no violation in which every ticket is routed once or unassigned with a reason
    (and the process survives: no scratch buffer overrun)."""
    problem = fd.compile_scenario(scenario)
    _check(problem, fd.solve(problem, "ls", seed=seed, max_iterations=LS_ITERATIONS))


@pytest.mark.solvers(exact=False)
@settings(max_examples=25)
@given(scenario=stress_scenarios(), seed=st.integers(0, 2**31 - 1))
def test_same_seed_same_plan_on_stress_days(solver_name, scenario, seed):
    """Two solves of a stress day with the same seed (and iteration cap) give the same plan."""
    problem = fd.compile_scenario(scenario)
    limit = {"max_iterations": LS_ITERATIONS} if solver_name == "ls" else {}
    first = fd.solve(problem, solver_name, seed=seed, **limit)
    second = fd.solve(problem, solver_name, seed=seed, **limit)
    assert first.plan == second.plan
    assert first.objective == second.objective


@pytest.mark.solvers(exact=False)
def test_the_first_seeded_stress_days_pass_the_evaluator(solver_name):
    """The first 200 seeded stress days (``random_day(0..199)``, the stress run's days; ``ls``
    with 200 iterations) give evaluator-clean plans that lose nothing, with no exception —
    a fixed sample that hits the short-route shape of issue #15 on every run, whatever
    hypothesis draws."""
    results = [check_day(solver_name, seed, ls_iterations=LS_ITERATIONS) for seed in range(200)]
    failed = [r.describe() for r in results if r.failed]
    assert not failed, f"{len(failed)} failing day(s):\n" + "\n".join(failed)
