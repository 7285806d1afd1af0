"""``ls`` with several workers: threads or executor tasks, deterministic, the best plan wins."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

import fsdispatch as fd
from fsdispatch.solvers.local_search.parallel import Exchange, worker_seeds

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
    three = fd.solve(problem, "ls", seed=5, max_iterations=400, workers=3, exchanges=0)
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
    threads = fd.solve(problem, "ls", seed=7, max_iterations=300, workers=2, exchanges=0)
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


def test_a_time_limit_stops_every_worker(problem):
    """Under a time limit (no iteration limit) the workers stop by the clock, and the
    plan passes the evaluator (how closely the limit is met is benchmarked in
    ``benchmarks/time_limits.py``, not timed here)."""
    result = fd.solve(problem, "ls", seed=1, time_limit=0.5, workers=2)
    assert result.stats["stopped_by"] == "time_limit"
    assert result.evaluation.violations == ()
    assert _accounted(problem, result.plan)


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


def test_an_exchange_gives_every_worker_the_best_offer_and_never_waits_for_a_leaver():
    import threading

    ex = Exchange(3, times=2)
    got: dict[int, list] = {0: [], 1: [], 2: []}

    def worker(k: int, offers: list[float], leave_after: int) -> None:
        for m, value in enumerate(offers):
            if m == leave_after:
                break
            got[k].append(ex.meet(k, value, f"plan-{k}-{m}"))
        ex.leave()

    threads = [threading.Thread(target=worker, args=args) for args in
               ((0, [5.0, 4.0], 2), (1, [3.0, 4.0], 2), (2, [3.0, 1.0], 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    # first meeting: all three offer; the tie 3.0 goes to the lowest worker (1)
    assert got[0][0] == got[1][0] == got[2][0] == (1, 3.0, "plan-1-0")
    # second meeting: worker 2 left; 4.0 tie between 0 and 1 goes to 0
    assert got[0][1] == got[1][1] == (0, 4.0, "plan-0-1")
    assert len(got[2]) == 1


def test_exchanging_workers_are_deterministic_and_feasible(problem):
    runs = [fd.solve(problem, "ls", seed=3, max_iterations=600, workers=3, exchanges=3)
            for _ in range(2)]
    assert runs[0].plan.routes == runs[1].plan.routes
    assert runs[0].stats["worker_objectives"] == runs[1].stats["worker_objectives"]
    assert runs[0].evaluation.violations == ()
    assert _accounted(problem, runs[0].plan)
    assert runs[0].objective == pytest.approx(min(runs[0].stats["worker_objectives"]),
                                              rel=1e-9, abs=1e-6)


def test_a_worker_stopping_early_does_not_block_the_others(problem):
    result = fd.solve(problem, "ls", seed=2, max_iterations=3000, no_improvement=50,
                      workers=2, exchanges=8)
    assert result.evaluation.violations == ()
    assert result.stats["stopped_by"] in ("no_improvement", "iterations")


@pytest.mark.parametrize("bad", ["pool", 4, object()])
def test_an_executor_without_submit_names_the_field(problem, bad):
    with pytest.raises(fd.ValidationError, match="executor"):
        fd.solve(problem, "ls", max_iterations=10, workers=2, executor=bad)
