"""pytest-benchmark groups on Solomon instances (not part of the default test run).

    python -m pytest benchmarks/test_bench_solomon.py --benchmark-only
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fsdispatch as fd

DATA = Path(__file__).resolve().parent / "data" / "solomon"


@pytest.fixture(scope="module", params=["C101", "R101", "RC201"])
def problem(request):
    """A compiled Solomon instance (numba kernels warmed up first)."""
    fd.solve(fd.generate_scenario(2, 5, seed=0), "greedy")
    return fd.compile_scenario(fd.read_solomon(DATA / f"{request.param}.txt"))


@pytest.mark.benchmark(group="solomon-read")
def test_read_and_compile(benchmark):
    """read_solomon() + compile_scenario() of C101."""
    problem = benchmark(lambda: fd.compile_scenario(fd.read_solomon(DATA / "C101.txt")))
    assert problem.num_tickets == 100


@pytest.mark.benchmark(group="solomon-greedy")
def test_greedy(benchmark, problem):
    """greedy solve() (evaluation included) on a Solomon instance."""
    result = benchmark.pedantic(fd.solve, args=(problem, "greedy"), rounds=3, iterations=1)
    assert result.is_feasible and result.evaluation.kpis.assigned == problem.num_tickets


@pytest.mark.benchmark(group="solomon-evaluate")
def test_evaluate_bks(benchmark, problem):
    """evaluate() of the BKS plan."""
    name = problem.scenario.name
    plan = fd.read_solomon_solution(problem, DATA / f"{name}.sol")
    evaluation = benchmark(fd.evaluate, problem, plan)
    assert evaluation.is_feasible
