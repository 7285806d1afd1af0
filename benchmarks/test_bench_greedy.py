"""pytest-benchmark groups for greedy (not part of the default test run).

    python -m pytest benchmarks/test_bench_greedy.py --benchmark-only
"""

from __future__ import annotations

import pytest

import fsdispatch as fd


@pytest.fixture(scope="module", params=[(20, 200), (200, 2000)], ids=["200", "2000"])
def scenario(request):
    """A generated day of the given (technicians, tickets) size."""
    fd.solve(fd.generate_scenario(2, 5, seed=0), "greedy")  # warm the JIT cache
    t, n = request.param
    return fd.generate_scenario(t, n, seed=1)


@pytest.mark.benchmark(group="compile")
def test_compile(benchmark, scenario):
    """compile_scenario() time."""
    problem = benchmark(fd.compile_scenario, scenario)
    assert problem.num_tickets == scenario.num_tickets


@pytest.mark.benchmark(group="greedy")
def test_greedy_solve(benchmark, scenario):
    """greedy solve() time on a compiled problem (evaluation included)."""
    problem = fd.compile_scenario(scenario)
    result = benchmark.pedantic(fd.solve, args=(problem, "greedy"), rounds=3, iterations=1)
    assert result.evaluation.is_feasible


@pytest.mark.benchmark(group="evaluate")
def test_evaluate(benchmark, scenario):
    """evaluate() time of a full plan."""
    problem = fd.compile_scenario(scenario)
    plan = fd.solve(problem, "greedy").plan
    evaluation = benchmark(fd.evaluate, problem, plan)
    assert evaluation.is_feasible
