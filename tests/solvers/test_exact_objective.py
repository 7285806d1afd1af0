"""What the exact backends' own objective (``stats["backend_objective"]``) means."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

import fsdispatch as fd

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _day_with_breaks(seed: int) -> fd.Scenario:
    base = fd.generate_scenario(3, 12, seed=seed)
    techs = []
    for t in base.technicians:
        shifts = [attrs.evolve(sh, breaks=[fd.Break(fd.TimeWindow(
            sh.start + timedelta(hours=3), sh.start + timedelta(hours=5)), 45 * fd.MINUTE)])
            for sh in t.shifts]
        techs.append(attrs.evolve(t, shifts=shifts))
    return base.replace(technicians=techs)


@pytest.mark.solvers(exact=True)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_model_value_bounds_the_evaluators_and_equals_it_when_optimal(solver_name: str,
                                                                           seed: int) -> None:
    """On days with breaks (which milp does not model and cpsat relaxes) the model's own
    value is at most the evaluator's objective of the returned plan's model solution, and
    the two are equal whenever the status is ``optimal``."""
    result = fd.solve(_day_with_breaks(seed), solver_name, time_limit=20, seed=0)
    assert result.evaluation.is_feasible
    own = result.stats["backend_objective"]
    model_plan = result.stats.get("model_plan_objective")
    if model_plan is not None:
        assert own <= model_plan + 1e-6 * max(1.0, abs(model_plan))
    if result.status is fd.SolveStatus.OPTIMAL:
        assert own == pytest.approx(result.objective, rel=1e-6)
    assert result.bound is None or result.bound <= result.objective + 1e-6 * result.objective
