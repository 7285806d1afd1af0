"""The solver interface: registry, limits, statuses, capabilities and solve()."""

from __future__ import annotations

import itertools
import pickle
import warnings

import attrs
import pytest

import fsdispatch as fd
from fsdispatch.solvers import BackendOutput, Capabilities, Limits, ProgressEvent

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def test_unknown_solver_lists_the_available_ones(tiny):
    """An unknown backend name raises UnknownSolverError listing the registered names."""
    with pytest.raises(fd.UnknownSolverError,
                       match=r"unknown solver 'cp-sat'; available: .*greedy"):
        fd.solve(tiny, "cp-sat")


def test_unknown_solver_is_also_a_key_error():
    """UnknownSolverError is a KeyError (and an FsdispatchError) for idiomatic handling."""
    with pytest.raises(KeyError):
        fd.get_solver("nope")
    assert issubclass(fd.UnknownSolverError, fd.FsdispatchError)


def test_missing_dependency_says_what_to_install(tiny):
    """A backend whose module cannot be imported raises BackendUnavailableError with a pip hint."""
    fd.register_solver("phantom", "fsdispatch_phantom_backend:Solver", extra="fsdispatch[phantom]")
    with pytest.raises(fd.BackendUnavailableError, match=r"pip install fsdispatch\[phantom\]"):
        fd.solve(tiny, "phantom")


@attrs.frozen
class _BrokenBackend:
    """Returns a plan that routes the first ticket twice (to test that solve() evaluates)."""

    name: str = "broken"
    capabilities: Capabilities = attrs.field(factory=Capabilities)

    def solve(self, problem, limits, seed, progress):
        routes = [()] * problem.num_routes
        routes[0] = (0, 0)
        return BackendOutput(plan=fd.Plan(routes, {j: fd.UnassignedReason.OPEN
                                                   for j in range(1, problem.num_tickets)}),
                             status=fd.SolveStatus.OPTIMAL)


@attrs.frozen
class _CrashingBackend:
    """Raises a plain exception (to test that solve() wraps native failures)."""

    name: str = "crash"
    capabilities: Capabilities = attrs.field(factory=Capabilities)

    def solve(self, problem, limits, seed, progress):
        raise RuntimeError("native solver exploded")


def test_solve_judges_backends_with_the_evaluator(tiny):
    """solve() evaluates every plan: a backend's bad plan gets status ERROR with violations."""
    result = fd.solve(tiny, _BrokenBackend())
    assert result.status is fd.SolveStatus.ERROR
    kinds = {v.kind for v in result.evaluation.violations}
    assert "double_assignment" in kinds


def test_native_failure_is_wrapped_and_chained(tiny):
    """A backend crash surfaces as BackendFailedError chained from the original exception."""
    with pytest.raises(fd.BackendFailedError, match="exploded") as info:
        fd.solve(tiny, _CrashingBackend())
    assert isinstance(info.value.__cause__, RuntimeError)


def test_capabilities_refuse_a_problem_clearly(tiny):
    """A backend that does not model breaks refuses a scenario with breaks, saying why."""
    backend = _BrokenBackend(capabilities=Capabilities(breaks=False))
    with pytest.raises(fd.UnsupportedProblemError, match="breaks"):
        fd.solve(tiny, backend)
    small = Capabilities(max_tickets=2)
    assert "3 tickets exceed its limit of 2" in small.why_not(fd.compile_scenario(tiny))


def test_limits_validate_their_values():
    """Negative or non-finite limits are rejected naming the field."""
    with pytest.raises(fd.ValidationError, match="time_limit"):
        Limits(time_limit=-1)
    with pytest.raises(fd.ValidationError, match="rel_gap"):
        Limits(rel_gap=float("nan"))


def test_unsupported_limit_warns(tiny):
    """A limit the backend cannot honour raises a warning rather than being silently ignored."""
    with pytest.warns(RuntimeWarning, match="ignores the rel_gap limit"):
        fd.solve(tiny, "greedy", rel_gap=0.01)


def test_supported_limits_do_not_warn(tiny):
    """Limits greedy honours (time_limit, max_iterations) raise no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fd.solve(tiny, "greedy", time_limit=5, max_iterations=100)


def test_progress_callback_receives_events(city):
    """A progress callback receives ProgressEvent objects with elapsed time and iteration."""
    events: list[ProgressEvent] = []
    fd.solve(city, "greedy", progress=events.append)
    assert events and all(e.solver == "greedy" and e.elapsed >= 0 for e in events)


def test_greedy_progress_reports_the_partial_plan(city):
    """Greedy's events: insertions counted up, the partial plan's objective (penalties of
    the tickets not inserted yet included) never rising; cut by ``max_iterations``, the
    last event is the returned plan as the evaluator sees it."""
    events: list[ProgressEvent] = []
    result = fd.solve(city, "greedy", max_iterations=40, progress=events.append)
    assert events
    best = [e.best_objective for e in events]
    assigned = [e.assigned for e in events]
    assert all(b is not None for b in best) and all(a is not None for a in assigned)
    assert all(b2 <= b1 + 1e-9 for b1, b2 in itertools.pairwise(best))
    assert assigned == sorted(assigned)
    assert events[-1].iteration == 40
    assert events[-1].assigned == result.evaluation.kpis.assigned
    assert events[-1].best_objective == pytest.approx(result.objective, rel=1e-9)


def test_display_prints_progress(city, capsys):
    """``display=True`` prints progress lines."""
    fd.solve(city, "greedy", display=True)
    assert "[greedy]" in capsys.readouterr().out


def test_backends_are_picklable_and_options_only():
    """Backends are frozen option holders that pickle (needed by Dask sweeps)."""
    backend = fd.get_solver("greedy", max_candidates=5)
    clone = pickle.loads(pickle.dumps(backend))
    assert clone == backend and clone.max_candidates == 5
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        backend.max_candidates = 6  # type: ignore[misc]


def test_seed_accepts_int_generator_and_rejects_junk(tiny):
    """``seed`` may be an int, a numpy Generator or None; anything else is a ValidationError."""
    import numpy as np

    fd.solve(tiny, "greedy", seed=3)
    fd.solve(tiny, "greedy", seed=np.random.default_rng(3))
    fd.solve(tiny, "greedy", seed=None)
    with pytest.raises(fd.ValidationError, match="seed"):
        fd.solve(tiny, "greedy", seed="abc")  # type: ignore[arg-type]


def test_solve_rejects_non_problems():
    """solve() on something that is not a Scenario or Problem raises ValidationError."""
    with pytest.raises(fd.ValidationError, match="Problem or Scenario"):
        fd.solve({"tickets": []}, "greedy")  # type: ignore[arg-type]


def test_available_solvers_lists_greedy():
    """The registry lists the built-in greedy backend."""
    assert "greedy" in fd.available_solvers()


def test_empty_and_degenerate_problems(tiny):
    """No technicians or no tickets still give a clear, feasible result."""
    no_techs = tiny.replace(technicians=())
    result = fd.solve(no_techs, "greedy")
    assert result.evaluation.is_feasible
    # with nobody on shift, no shift can reach any ticket
    assert set(result.plan.unassigned.values()) == {fd.UnassignedReason.NO_SHIFT}
    no_tickets = tiny.replace(tickets=())
    assert fd.solve(no_tickets, "greedy").evaluation.kpis.num_tickets == 0


def test_concurrent_solves_from_threads_agree():
    """Solving from several threads at once (as a web service would) is safe and deterministic."""
    from concurrent.futures import ThreadPoolExecutor

    scenario = fd.generate_scenario(6, 40, seed=21)
    with ThreadPoolExecutor(max_workers=4) as pool:
        plans = list(pool.map(lambda _: fd.solve(scenario, "greedy").plan, range(6)))
    assert all(plan == plans[0] for plan in plans)
