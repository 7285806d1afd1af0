"""The simulator's event heap, demand model and KPI statistics (fast, no dispatching)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.sim import DemandModel, Engine, ServiceModel, confidence_interval, draw_arrivals
from fsdispatch.sim.metrics import aggregate

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 9)), max_size=60))
def test_engine_processes_in_time_priority_insertion_order(items):
    """Events run by (time, priority, insertion order) and the clock never goes back."""
    engine = Engine()
    seen: list[tuple[int, int, int]] = []
    engine.on("e", lambda ev: seen.append((engine.now, ev.data["p"], ev.data["k"])))
    for k, (t, p) in enumerate(items):
        engine.schedule(t, "e", p, p=p, k=k)
    engine.run(2000)
    assert seen == sorted(seen)
    assert engine.now == 2000
    assert engine.processed == len(items)


def test_engine_refuses_an_event_in_the_past():
    """Scheduling before the clock raises SimulationError (simulated time never goes back)."""
    engine = Engine()
    engine.on("e", lambda ev: None)
    engine.schedule(100, "e")
    engine.run(100)
    with pytest.raises(fd.SimulationError, match="never goes back"):
        engine.schedule(50, "e")


def test_engine_events_scheduled_by_handlers_at_now_run_in_the_same_run():
    """A handler may schedule at the current time; it runs after the current event."""
    engine = Engine()
    order: list[str] = []

    def first(ev):
        order.append("first")
        engine.schedule(engine.now, "second")

    engine.on("first", first)
    engine.on("second", lambda ev: order.append("second"))
    engine.schedule(10, "first")
    engine.run(10)
    assert order == ["first", "second"]


def test_arrivals_follow_the_hour_and_weekday_profile():
    """NHPP: no arrivals in zero-rate hours or days; the mean count matches the rate."""
    hours = [0.0] * 24
    hours[9] = hours[10] = 1.0
    demand = DemandModel(tickets_per_day=40, hour_profile=hours,
                         weekday_profile=(1, 1, 1, 1, 1, 0, 0))
    rng, srng = np.random.default_rng(1), np.random.default_rng(2)
    arrivals = draw_arrivals(demand, ServiceModel(), MONDAY, 14, rng, srng)
    times = np.array([a.time for a in arrivals])
    assert np.all(np.diff(times) >= 0)
    hour = (times % 86400) // 3600
    weekday = (times // 86400) % 7
    assert set(hour.tolist()) <= {9, 10}
    assert set(weekday.tolist()) <= {0, 1, 2, 3, 4}
    assert abs(len(arrivals) / 10 - 40) < 8  # 10 weekdays, Poisson sd ~ 2 per day-mean


def test_arrivals_are_reproducible_and_ids_unique():
    """The same streams give the same arrivals; ticket ids are unique."""
    def draw(seed):
        rngs = fd.random.spawn(seed, 2)
        return draw_arrivals(DemandModel(), ServiceModel(), MONDAY, 2, rngs[0], rngs[1])

    a, b = draw(5), draw(5)
    assert [(x.time, x.ticket, x.duration_factor, x.cancel_at) for x in a] == \
        [(x.time, x.ticket, x.duration_factor, x.cancel_at) for x in b]
    assert len({x.ticket.id for x in a}) == len(a)
    assert [x.time for x in draw(6)] != [x.time for x in a]


def test_models_validate_their_parameters():
    """Bad profiles or probabilities raise ValidationError naming the field."""
    with pytest.raises(fd.ValidationError, match="hour_profile"):
        DemandModel(hour_profile=[1.0] * 23)
    with pytest.raises(fd.ValidationError, match="p_cancel"):
        ServiceModel(p_cancel=1.5)


def test_confidence_interval_is_the_t_interval():
    """mean ± t(0.975, n-1)·s/√n; one value gives a zero-width interval; NaNs are dropped."""
    m, lo, hi = confidence_interval([1.0, 2.0, 3.0, 4.0, float("nan")])
    assert m == pytest.approx(2.5)
    assert hi - m == pytest.approx(3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-5)
    assert lo == pytest.approx(2 * m - hi)
    assert confidence_interval([7.0]) == (7.0, 7.0, 7.0)


def test_aggregate_groups_and_counts():
    """aggregate() gives one row per group and KPI with mean, interval and n."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"policy": ["a", "a", "b", "b"], "num_technicians": [3] * 4,
                          "utilisation": [0.5, 0.7, 0.2, 0.2]})
    out = aggregate(frame)
    row = out[(out.policy == "a") & (out.kpi == "utilisation")].iloc[0]
    assert row["mean"] == pytest.approx(0.6) and row["n"] == 2 and row["low"] < 0.6 < row["high"]
    rowb = out[(out.policy == "b")].iloc[0]
    assert rowb["low"] == rowb["high"] == pytest.approx(0.2)


def test_plots_draw_without_error(tmp_path):
    """Policy comparison, KPI vs staffing, backlog and Gantt plots draw on a tiny result."""
    pd = pytest.importorskip("pandas")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fsdispatch.sim import SimConfig, simulate
    from fsdispatch.sim.plots import (
        plot_backlog,
        plot_day_gantt,
        plot_kpi_vs_staffing,
        plot_policy_comparison,
    )

    agg = pd.DataFrame({"policy": ["a", "b", "a", "b"], "num_technicians": [2, 2, 3, 3],
                        "kpi": ["utilisation"] * 4, "mean": [0.5, 0.6, 0.4, 0.5],
                        "low": [0.4, 0.5, 0.3, 0.4], "high": [0.6, 0.7, 0.5, 0.6], "n": 3})
    plot_policy_comparison(agg, "utilisation")
    plot_kpi_vs_staffing(agg, "utilisation")
    with pytest.raises(fd.SimulationError, match="available"):
        plot_policy_comparison(agg, "travel")
    result = simulate(SimConfig(num_technicians=2, days=1,
                                demand=DemandModel(tickets_per_day=8, radius_km=6)),
                      "greedy-insertion", seed=0)
    plot_backlog(result)
    ax = plot_day_gantt(result, 0)
    ax.figure.savefig(tmp_path / "gantt.png")
    plt.close("all")
