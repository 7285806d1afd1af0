"""Public conformance kit for solver backends.

``check_solver(name)`` runs a backend on a few scenarios and asserts the rules
every backend must keep: plans pass the shared evaluator, no ticket is lost,
unassigned tickets carry a reason, and the same seed gives the same plan.
``fsdispatch.testing.strategies.scenarios()`` is a hypothesis strategy of
small valid scenarios using every feature, and ``stress_scenarios()`` one of
fuzzer-style days (many technicians with low caps, tiny capacities, hard
breaks, limited depots). :func:`~fsdispatch.testing.days.random_day` draws the
same kind of day from a seed, and :func:`~fsdispatch.testing.stress.run_stress`
solves many of them per backend in crash-isolated worker processes
(``python benchmarks/stress.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.scenario import Scenario
from ..errors import FsdispatchError
from ..generate import generate_scenario
from ..plan import UnassignedReason
from ..problem.compile import compile_scenario
from ..solvers.base import Solver
from ..solvers.solve import solve

__all__ = ["check_solver", "conformance_scenarios"]


def conformance_scenarios() -> list[Scenario]:
    """Scenarios used by :func:`check_solver`: empty, tiny, one day, two days."""
    return [
        generate_scenario(0, 0, seed=0, name="empty"),
        generate_scenario(2, 0, seed=1, name="no-tickets"),
        generate_scenario(0, 5, seed=2, name="no-technicians"),
        generate_scenario(3, 12, seed=3, name="small"),
        generate_scenario(8, 60, seed=4, name="day"),
        generate_scenario(4, 30, seed=5, days=2, name="two-days"),
    ]


def check_solver(solver: str | Solver, *, scenarios: Iterable[Scenario] | None = None,
                 time_limit: float = 5.0, max_iterations: int | None = None,
                 **options: Any) -> None:
    """Assert that a backend keeps the rules every backend must keep.

    ``time_limit`` and ``max_iterations`` are passed to every solve (an
    iteration cap makes anytime backends reproducible and quick); other
    keyword arguments are backend options.

    Raises ``AssertionError`` naming the scenario and the broken rule.
    """
    for scenario in scenarios if scenarios is not None else conformance_scenarios():
        problem = compile_scenario(scenario)
        try:
            first = solve(problem, solver, time_limit=time_limit, max_iterations=max_iterations,
                          seed=7, **options)
        except FsdispatchError as exc:  # pragma: no cover - reported to the caller
            raise AssertionError(f"{scenario.name}: solver raised {exc!r}") from exc
        ev = first.evaluation
        assert ev.is_feasible, f"{scenario.name}: violations {ev.violations[:3]}"
        routed = [j for route in first.plan.routes for j in route]
        assert len(routed) == len(set(routed)), f"{scenario.name}: a ticket routed twice"
        every = set(routed) | set(first.plan.unassigned)
        assert every == set(range(problem.num_tickets)), f"{scenario.name}: tickets lost"
        for j, reason in first.plan.unassigned.items():
            assert isinstance(reason, UnassignedReason), f"{scenario.name}: ticket {j} reason"
        second = solve(problem, solver, time_limit=time_limit, max_iterations=max_iterations,
                       seed=7, **options)
        if first.stats.get("stopped_by_limit") or second.stats.get("stopped_by_limit"):
            continue  # a wall-clock stop is not reproducible
        assert second.plan == first.plan, f"{scenario.name}: same seed, different plan"
