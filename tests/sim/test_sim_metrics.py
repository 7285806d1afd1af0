"""Confidence intervals of simulation KPIs: t-intervals clipped to each KPI's natural range."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from fsdispatch.sim import KPI_NAMES, aggregate, confidence_interval, kpi_range


def test_unclipped_interval_is_the_t_interval():
    """Without bounds the interval is mean ± t(0.975, n−1)·s/√n."""
    values = [1.0, 2.0, 4.0]
    m, lo, hi = confidence_interval(values)
    half = stats.t.ppf(0.975, 2) * stats.tstd(values) / math.sqrt(3)
    assert m == pytest.approx(7 / 3)
    assert lo == pytest.approx(m - half) and hi == pytest.approx(m + half)


def test_non_negative_kpi_never_gets_a_negative_lower_bound():
    """Two seeds of a count KPI (0 and 3 open tickets): the lower bound is clipped to 0."""
    m, lo, hi = confidence_interval([0.0, 3.0], bounds=kpi_range("backlog_end"))
    assert m == 1.5 and lo == 0.0
    assert hi == pytest.approx(1.5 + stats.t.ppf(0.975, 1) * stats.tstd([0, 3]) / math.sqrt(2))


def test_rates_are_clipped_to_the_unit_interval():
    """A rate near 1 keeps its upper bound at 1 and its mean untouched."""
    m, lo, hi = confidence_interval([1.0, 0.9, 1.0], bounds=kpi_range("ftf_rate"))
    assert m == pytest.approx(2.9 / 3) and hi == 1.0 and 0.0 <= lo < m
    m, lo, hi = confidence_interval([0.0, 0.1], bounds=kpi_range("sla_response"))
    assert lo == 0.0 and hi <= 1.0


def test_every_kpi_has_a_natural_range():
    """Each known KPI is bounded below by 0; rates above by 1; unknown names are unbounded."""
    for k in KPI_NAMES:
        lo, hi = kpi_range(k)
        assert lo == 0.0 and hi in (1.0, math.inf)
    assert kpi_range("sla_response") == (0.0, 1.0)
    assert kpi_range("parts_ftf_rate") == (0.0, 1.0)
    assert kpi_range("something_else") == (-math.inf, math.inf)


def test_aggregate_clips_per_kpi():
    """aggregate() applies each KPI's range: no negative low, no rate above 1."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"policy": ["p", "p"], "num_technicians": [3, 3], "seed": [0, 1],
                          "open": [0.0, 4.0], "ftf_rate": [1.0, 0.8]})
    agg = aggregate(frame, kpis=["open", "ftf_rate"]).set_index("kpi")
    assert agg.loc["open", "low"] == 0.0 and agg.loc["open", "high"] > 2.0
    assert agg.loc["ftf_rate", "high"] == 1.0 and agg.loc["ftf_rate", "mean"] == 0.9
    assert (agg.low <= agg["mean"]).all() and (agg["mean"] <= agg.high).all()


def test_single_and_nan_values():
    """One value gives a degenerate interval; NaNs are dropped; all-NaN gives NaNs."""
    assert confidence_interval([0.4], bounds=(0, 1)) == (0.4, 0.4, 0.4)
    assert confidence_interval([math.nan, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert all(math.isnan(v) for v in confidence_interval([math.nan]))
