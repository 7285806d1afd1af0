"""End-to-end smoke tests of the foundation path."""

import fsdispatch as fd


def test_tiny_greedy_serves_everything_feasibly(tiny):
    """Greedy serves all three tiny tickets and the evaluator finds no violation."""
    result = fd.solve(tiny, "greedy")
    assert result.evaluation.is_feasible
    assert result.evaluation.kpis.assigned == 3
    assert result.status is fd.SolveStatus.FEASIBLE
