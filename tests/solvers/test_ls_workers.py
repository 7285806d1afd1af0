"""``ls`` with several workers: threads or executor tasks, deterministic, the best plan wins."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

import fsdispatch as fd
from fsdispatch.solvers.local_search.parallel import worker_seeds

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


@pytest.fixture(scope="module")
def problem() -> fd.Problem:
    return fd.compile_scenario(fd.generate_scenario(num_technicians=6, num_tickets=60, seed=3))


def _accounted(problem: fd.Problem, plan: fd.Plan) -> bool:
    routed = [j for route in plan.routes for j in route]
    return len(routed) == len(set(routed)) and \
        set(routed) | set(plan.unassigned) == set(range(problem.num_tickets))


def test_worker_zero_is_the_one_worker_search_and_the_best_wins(problem):
    one = fd.solve(problem, "ls", seed=5, max_iterations=400)
    three = fd.solve(problem, "ls", seed=5, max_iterations=400, workers=3)
    assert three.evaluation.violations == ()
    assert _accounted(problem, three.plan)
    objs = three.stats["worker_objectives"]
    assert len(objs) == 3
    assert objs[0] == pytest.approx(one.objective, rel=1e-12)
    # the plan returned is the best worker's, judged by the evaluator
    assert three.objective == pytest.approx(min(objs), rel=1e-9, abs=1e-6)
    assert three.objective <= one.objective + 1e-6
    assert three.stats["best_worker"] == min(range(3), key=lambda k: (objs[k], k))
    assert three.stats["iterations_all_workers"] == 3 * 400


def test_workers_are_deterministic_for_a_seed_and_iterations(problem):
    a = fd.solve(problem, "ls", seed=11, max_iterations=300, workers=2)
    b = fd.solve(problem, "ls", seed=11, max_iterations=300, workers=2)
    assert a.plan.routes == b.plan.routes
    assert a.stats["worker_objectives"] == b.stats["worker_objectives"]
    c = fd.solve(problem, "ls", seed=12, max_iterations=300, workers=2)
    assert c.stats["worker_objectives"][1] != a.stats["worker_objectives"][1] or \
        c.plan.routes != a.plan.routes


def test_executor_tasks_run_the_same_searches_as_threads(problem):
    threads = fd.solve(problem, "ls", seed=7, max_iterations=300, workers=2)
    with ThreadPoolExecutor(2) as ex:
        tasks = fd.solve(problem, "ls", seed=7, max_iterations=300, workers=2, executor=ex)
    assert tasks.evaluation.violations == ()
    assert tasks.stats["worker_objectives"] == pytest.approx(
        threads.stats["worker_objectives"], rel=1e-12)
    assert tasks.plan.routes == threads.plan.routes


def test_progress_of_several_workers_never_rises(problem):
    events: list[fd.ProgressEvent] = []
    fd.solve(problem, "ls", seed=1, max_iterations=2000, workers=2, progress=events.append)
    assert events
    bests = [e.best_objective for e in events]
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(bests))
    assert events[-1].iteration <= 2 * 2000


def test_time_limit_holds_with_workers(problem):
    import time

    tic = time.perf_counter()
    result = fd.solve(problem, "ls", seed=1, time_limit=1.0, workers=2)
    assert time.perf_counter() - tic < 1.0 + 1.5  # (kernels loaded by earlier tests)
    assert result.evaluation.violations == ()


def test_worker_seeds_spawn_independent_streams():
    assert worker_seeds(3, 1) == [3]
    seeds = worker_seeds(3, 4)
    assert seeds[0] == 3 and len(set(seeds)) == 4
    assert seeds == worker_seeds(3, 4)
    assert all(isinstance(s, int) and 0 <= s < 2**63 for s in seeds[1:])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_worker_counts_name_the_field(problem, bad):
    with pytest.raises(fd.ValidationError, match="workers"):
        fd.solve(problem, "ls", max_iterations=10, workers=bad)
