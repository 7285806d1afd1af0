"""matplotlib plots for notebooks: route map and timeline, drawn from the evaluator's times."""

from __future__ import annotations

import sys

import pytest

import fsdispatch as fd

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture
def tiny_plan(tiny):
    """The ``tiny`` day with A serving T3 then T1, B serving T2 (which waits and takes lunch)."""
    problem = fd.compile_scenario(tiny)
    return problem, fd.Plan.from_ids(problem, {"A#0": ["T3", "T1"], "B#0": ["T2"]})


def test_plot_routes_draws_one_line_per_used_route(tiny_plan):
    """Each used route is one line from the start through its visits back to the end."""
    problem, plan = tiny_plan
    ax = fd.plot_routes(problem, plan)
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("A", "B")]
    assert sorted(ln.get_label() for ln in lines) == ["A", "B"]
    a = next(ln for ln in lines if ln.get_label() == "A")
    assert list(zip(a.get_xdata(), a.get_ydata(), strict=True)) == [
        (0, 0), (1, 1), (5, 0), (0, 0)]
    plt.close(ax.figure)


def test_plot_routes_marks_unassigned_tickets(tiny):
    """Unassigned tickets appear as a labelled scatter of red crosses."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan.from_ids(problem, {"A#0": ["T1"]}, {"T2": "no_capacity", "T3": "open"})
    ax = fd.plot_routes(problem, plan)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "unassigned (2)" in labels
    plt.close(ax.figure)


def test_plot_schedule_rows_and_blocks_follow_the_schedule(tiny_plan):
    """One row per technician shift; service blocks start and end where the evaluator says."""
    problem, plan = tiny_plan
    evaluation = fd.evaluate(problem, plan)
    fig, ax = plt.subplots()
    assert fd.plot_schedule(problem, plan, evaluation, ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B", "A"]
    sched = fd.to_schedule(problem, plan, evaluation)
    origin = problem.scenario.horizon.start
    starts = sorted(round((v.start - origin).total_seconds() / 3600, 6) for v in sched.visits)
    service = [c for c in ax.collections if (c.get_gid() or "").startswith("service:")]
    drawn = sorted(round(p.get_extents().x0, 6) for c in service for p in c.get_paths())
    assert drawn == starts
    breaks = [c for c in ax.collections if c.get_gid() == "breaks:B#0"]
    assert len(breaks[0].get_paths()) == len(sched.breaks) == 1
    plt.close(fig)


def test_plots_accept_a_solve_result(city):
    """plot_routes(result) and plot_schedule(result) work on a solver result directly."""
    result = fd.solve(city, solver="greedy", seed=0)
    ax1 = fd.plot_routes(result)
    ax2 = fd.plot_schedule(result)
    assert len(ax2.get_yticks()) == result.problem.num_routes
    plt.close(ax1.figure)
    plt.close(ax2.figure)


def test_missing_matplotlib_raises_a_clear_error(tiny, monkeypatch):
    """Without matplotlib the plots say what to pip install."""
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(fd.BackendUnavailableError, match=r"fsdispatch\[plot\]"):
        fd.plot_routes(fd.solve(tiny))
