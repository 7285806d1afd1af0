"""Intermittent-demand forecasts: Croston, SBA, TSB on hand-checked and synthetic demand.

Synthetic demand (:func:`intermittent_demand`): a demand occurs in a period
with probability ``p`` and has size ``1 + Poisson(m - 1)`` (mean ``m``,
variance ``m - 1``), so the true rate is ``p * m`` units per period and the
interval between demands is geometric with mean ``1 / p`` and variance
``(1 - p) / p**2``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fsdispatch.inventory import (
    IntermittentForecast,
    InvalidQuantityError,
    croston,
    forecast_demand,
    intermittent_demand,
    sba,
    tsb,
)


def test_hand_checked_series():
    """y = [0, 2, 0, 0, 4] with alpha = beta = 0.5, worked by hand.

    Croston: start z = 2, p = 2 (first demand in period 2); the demand of 4,
    3 periods later, gives z = 3, p = 2.5, rate 1.2. SBA: 1.2 * (1 - 0.25) = 0.9.
    TSB: d = 0.5 -> 0.25 -> 0.125 -> 0.5625 with z = 3: rate 1.6875.
    """
    y = [0, 2, 0, 0, 4]
    c = croston(y, 0.5)
    assert (c.rate, c.size, c.interval, c.probability) == pytest.approx((1.2, 3.0, 2.5, 0.4))
    assert c.num_periods == 5 and c.num_demands == 2
    np.testing.assert_allclose(c.fitted, [np.nan, np.nan, 1.0, 1.0, 1.0])
    assert c.mse == pytest.approx((1 + 1 + 9) / 3)
    assert sba(y, 0.5).rate == pytest.approx(0.9)
    t = tsb(y, 0.5)
    assert (t.rate, t.probability, t.size) == pytest.approx((1.6875, 0.5625, 3.0))
    np.testing.assert_allclose(t.fitted[2:], [1.0, 0.5, 0.25])


def test_no_demand_and_a_single_final_demand():
    """No demand forecasts 0 (infinite interval); one last demand falls back to the variance."""
    f = sba(np.zeros(6))
    assert (f.rate, f.num_demands, f.mse, f.interval) == (0.0, 0, 0.0, math.inf)
    g = croston([0, 0, 0, 3], 0.2)
    assert g.rate == pytest.approx(3 / 4) and g.mse == pytest.approx(np.var([0, 0, 0, 3]))
    assert forecast_demand([], "tsb").rate == 0.0


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, True, float("nan"), "0.1"])
def test_smoothing_constants_are_validated(bad):
    """alpha and beta must be numbers in (0, 1]; the error names the field and value."""
    with pytest.raises(InvalidQuantityError) as info:
        croston([1, 0, 1], alpha=bad)
    assert info.value.field == "alpha"
    with pytest.raises(InvalidQuantityError) as info:
        tsb([1, 0, 1], beta=bad)
    assert info.value.field == "beta"


def test_histories_and_methods_are_validated():
    """Negative, non-finite or 2-D histories and unknown methods raise InvalidQuantityError."""
    with pytest.raises(InvalidQuantityError, match=r"history\[1\]"):
        sba([0, -1, 2])
    with pytest.raises(InvalidQuantityError, match=r"history\[0\]"):
        sba([np.inf, 1])
    with pytest.raises(InvalidQuantityError, match="one-dimensional"):
        sba([[1, 0], [0, 1]])
    with pytest.raises(InvalidQuantityError, match="method"):
        forecast_demand([1, 0], "holt")  # type: ignore[arg-type]
    with pytest.raises(InvalidQuantityError):
        intermittent_demand(10, 1.5)


def test_synthetic_demand_has_the_known_parameters_and_is_seeded():
    """The generator's occurrence rate and mean size match p and m; same seed, same series."""
    y = intermittent_demand(50_000, 0.3, 3.0, seed=1)
    assert y.dtype == np.int64 and (y >= 0).all()
    # binomial sd of the occurrence share: sqrt(.3 * .7 / 5e4) = 0.002 -> 4 sd = 0.008
    assert abs((y > 0).mean() - 0.3) < 0.008
    # sd of the mean size over ~15 000 demands: sqrt(2 / 15 000) = 0.012 -> 4 sd = 0.05
    assert abs(y[y > 0].mean() - 3.0) < 0.05
    np.testing.assert_array_equal(y, intermittent_demand(50_000, 0.3, 3.0, seed=1))
    a, b = sba(y[:500], 0.1), sba(intermittent_demand(50_000, 0.3, 3.0, seed=1)[:500], 0.1)
    assert a.rate == b.rate and a.mse == b.mse


def test_long_run_forecasts_approach_p_times_mean_size():
    """Over 20 000 periods (p = 0.3, m = 3: rate 0.9) SBA and TSB are unbiased within 5 %.

    With alpha = beta = 0.05 the one-step forecasts are averaged over the
    series (after a 200-period warm-up); over 100 seeds this average has a
    relative sd of about 1.2 % (SBA's residual bias: -0.6 %), so 5 % is
    about 4 sd. Croston's theoretical bias here is alpha / (2 - alpha) *
    (1 - p) = +1.8 %.
    """
    y = intermittent_demand(20_000, 0.3, 3.0, seed=7)
    rate = 0.3 * 3.0
    for fn in (sba, tsb, croston):
        mean_fc = float(np.nanmean(fn(y, 0.05).fitted[200:]))
        assert abs(mean_fc / rate - 1) < 0.05, (fn.__name__, mean_fc)


def test_final_estimates_are_within_three_standard_deviations():
    """The final size, interval, probability and rate estimates (alpha = 0.02) are near truth.

    An exponentially smoothed mean of i.i.d. values with variance v has
    variance alpha / (2 - alpha) * v (= v / 99 here): size sd sqrt(2 / 99) =
    0.14, interval sd sqrt((0.7 / 0.09) / 99) = 0.28, TSB probability sd
    sqrt(0.21 / 99) = 0.046; the rate z / p then has a relative sd of about
    sqrt(0.047**2 + 0.084**2) = 9.6 %, TSB's d z sqrt(0.047**2 + 0.153**2) = 16 %
    (over 300 seeds: 0.136, 0.277, 0.046, 9.0 % and 15.6 %). Each bound is 3 sd.
    """
    y = intermittent_demand(5_000, 0.3, 3.0, seed=3)
    c = croston(y, 0.02)
    assert abs(c.size - 3.0) < 0.42
    assert abs(c.interval - 1 / 0.3) < 0.84
    assert abs(sba(y, 0.02).rate / 0.9 - 1) < 0.29
    t = tsb(y, 0.02)
    assert abs(t.probability - 0.3) < 0.14
    assert abs(t.rate / 0.9 - 1) < 0.48
    # the in-sample MSE is close to the per-period demand variance p E[s^2] - (p m)^2 = 2.49
    assert c.mse == pytest.approx(0.3 * (2 + 9) - 0.81, rel=0.1)


def test_sba_removes_crostons_bias():
    """With alpha = beta = 0.2 and p = 0.2, Croston over-forecasts by ~9 %; SBA does not.

    Syntetos & Boylan (2005): Croston's bias is about alpha / (2 - alpha) *
    (1 - p) = 0.111 * 0.8 = 8.9 % of the rate; SBA multiplies by
    1 - beta / 2 = 0.9. Over 20 000 periods the average forecast has a
    relative sd of about 1.8 %, so Croston must be 4-14 % high and SBA
    within 5 % of the truth.
    """
    y = intermittent_demand(20_000, 0.2, 3.0, seed=11)
    rate = 0.2 * 3.0
    c, s = croston(y, 0.2), sba(y, 0.2)
    c_bias = float(np.nanmean(c.fitted[200:])) / rate - 1
    s_bias = float(np.nanmean(s.fitted[200:])) / rate - 1
    assert 0.04 < c_bias < 0.14
    assert abs(s_bias) < 0.05
    assert s.rate == pytest.approx(c.rate * 0.9)


def test_forecast_over_a_lead_time():
    """over(L) scales the mean by L and the error sd by sqrt(L)."""
    f = IntermittentForecast("sba", 0.5, 2.0, 4.0, 0.25, 0.8, 10, 3, 0.1, 0.1, np.zeros(10))
    mean, std = f.over(4)
    assert mean == pytest.approx(2.0) and std == pytest.approx(math.sqrt(3.2))
    assert f.std == pytest.approx(math.sqrt(0.8))
    with pytest.raises(InvalidQuantityError):
        f.over(-1)
