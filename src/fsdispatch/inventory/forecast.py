"""Forecasts for intermittent demand: Croston, SBA and TSB.

Spare-part demand at one van or depot is *intermittent*: most periods see
no demand, and a demand, when it comes, has a variable size. Single
exponential smoothing of such a series is biased right after a demand and
lags after long gaps; the methods here smooth the demand *size* and the
*occurrence* separately.

With a history ``y_1 .. y_n`` (units per period, >= 0), size smoothing
``alpha`` and interval/probability smoothing ``beta``, all initialised at the
first non-zero demand ``y_f`` (``z = y_f``, ``p = f`` periods from the start
of the history, 1-based):

- **Croston (1972)**: after each period ``t`` with demand, ``q`` periods after
  the previous one: ``z <- z + alpha (y_t - z)``, ``p <- p + beta (q - p)``;
  nothing changes in periods without demand. Forecast per period: ``z / p``.
- **SBA** (Syntetos & Boylan 2005): Croston's forecast times ``1 - beta / 2``,
  which removes most of Croston's positive bias (``E[z/p] > E[z]/E[p]``).
- **TSB** (Teunter, Syntetos & Babai 2011): a demand probability ``d``
  updated *every* period, ``d <- d + beta (1[y_t > 0] - d)``; ``z`` as in
  Croston. Forecast: ``d z``. The forecast decays during long gaps, which
  suits parts going obsolete.

Each returns an :class:`IntermittentForecast` with the per-period demand rate
and the one-step-ahead in-sample mean squared error (``mse``), which
:mod:`fsdispatch.inventory.reorder` turns into safety stock.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidQuantityError
from ..random import SeedLike, as_generator

__all__ = [
    "FORECAST_METHODS",
    "IntermittentForecast",
    "croston",
    "forecast_demand",
    "intermittent_demand",
    "sba",
    "tsb",
]

ForecastMethod = Literal["croston", "sba", "tsb"]
#: The forecasting methods :func:`forecast_demand` accepts.
FORECAST_METHODS: tuple[str, ...] = ("croston", "sba", "tsb")


@attrs.frozen(eq=False)
class IntermittentForecast:
    """An intermittent-demand forecast of units per period.

    Parameters
    ----------
    method:
        ``"croston"``, ``"sba"`` or ``"tsb"``.
    rate:
        Forecast demand per period (units/period, >= 0) for every future period.
    size:
        Smoothed demand size ``z`` (units per non-zero demand).
    interval:
        Smoothed interval between demands ``p`` (periods); for TSB ``1 / d``.
        ``inf`` when the history has no demand.
    probability:
        Estimated probability of a demand in a period (``1 / p``, or TSB's ``d``).
    mse:
        Mean squared one-step-ahead error of the in-sample forecasts
        (units² per period), from the period after the first demand on; when
        the history ends at its first demand, the variance of the history.
    num_periods:
        Length of the history.
    num_demands:
        Number of periods with demand.
    alpha:
        Size smoothing constant.
    beta:
        Interval (Croston, SBA) or probability (TSB) smoothing constant.
    fitted:
        float array of shape ``(num_periods,)``: the forecast made before each
        period (``nan`` up to and including the first demand).
    """

    method: str
    rate: float
    size: float
    interval: float
    probability: float
    mse: float
    num_periods: int
    num_demands: int
    alpha: float
    beta: float
    fitted: np.ndarray = attrs.field(repr=False)

    @property
    def std(self) -> float:
        """Standard deviation of the per-period forecast error: ``sqrt(mse)``."""
        return math.sqrt(self.mse)

    def over(self, periods: float) -> tuple[float, float]:
        """Mean and standard deviation of demand over ``periods`` periods.

        ``mean = rate * periods`` and ``std = sqrt(periods * mse)`` (forecast
        errors taken as independent from period to period).
        """
        if not periods >= 0:
            raise InvalidQuantityError(f"periods must be >= 0, got {periods!r}.",
                                       field="periods", value=periods)
        return self.rate * periods, math.sqrt(periods * self.mse)


def _check_smoothing(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0.0 < float(value) <= 1.0:
        raise InvalidQuantityError(
            f"{name} (smoothing constant) must be in (0, 1], got {value!r}.",
            field=name, value=value)
    return float(value)


def _check_history(history: ArrayLike) -> np.ndarray:
    y = np.asarray(history, dtype=np.float64)
    if y.ndim != 1:
        raise InvalidQuantityError(
            f"history must be one-dimensional (units per period), got shape {y.shape}.",
            field="history", value=y.shape)
    bad = np.flatnonzero(~np.isfinite(y) | (y < 0))
    if bad.size:
        k = int(bad[0])
        raise InvalidQuantityError(
            f"history[{k}] must be a finite number >= 0, got {y[k]!r}.",
            field=f"history[{k}]", value=float(y[k]))
    return y


def _empty(method: str, y: np.ndarray, alpha: float, beta: float) -> IntermittentForecast:
    return IntermittentForecast(method, 0.0, 0.0, math.inf, 0.0, 0.0, int(y.shape[0]), 0,
                                alpha, beta, np.zeros(y.shape[0]))


def _mse(y: np.ndarray, fitted: np.ndarray, first: int) -> float:
    if first + 1 < y.shape[0]:
        err = y[first + 1:] - fitted[first + 1:]
        return float(np.mean(err * err))
    return float(np.var(y))


def _croston(y: np.ndarray, alpha: float, beta: float, method: str,
             factor: float) -> IntermittentForecast:
    demands = np.flatnonzero(y > 0)
    if demands.size == 0:
        return _empty(method, y, alpha, beta)
    first = int(demands[0])
    z, p = float(y[first]), float(first + 1)
    fitted = np.full(y.shape[0], np.nan)
    q = 0
    for t in range(first + 1, y.shape[0]):
        fitted[t] = factor * z / p
        q += 1
        if y[t] > 0:
            z += alpha * (float(y[t]) - z)
            p += beta * (q - p)
            q = 0
    return IntermittentForecast(method, factor * z / p, z, p, 1.0 / p, _mse(y, fitted, first),
                                int(y.shape[0]), int(demands.size), alpha, beta, fitted)


def croston(history: ArrayLike, alpha: float = 0.1, beta: float | None = None
            ) -> IntermittentForecast:
    """Croston's method: smoothed size over smoothed interval.

    Parameters
    ----------
    history:
        Units demanded per period, oldest first (1-D, finite, >= 0), e.g.
        :meth:`~fsdispatch.inventory.StockLedger.consumption_history`.
    alpha:
        Size smoothing constant in ``(0, 1]``; default 0.1.
    beta:
        Interval smoothing constant in ``(0, 1]``; default ``alpha``.

    Returns
    -------
    IntermittentForecast

    Raises
    ------
    InvalidQuantityError
        A smoothing constant outside ``(0, 1]``, or a negative / non-finite demand.
    """
    a = _check_smoothing("alpha", alpha)
    b = a if beta is None else _check_smoothing("beta", beta)
    return _croston(_check_history(history), a, b, "croston", 1.0)


def sba(history: ArrayLike, alpha: float = 0.1, beta: float | None = None
        ) -> IntermittentForecast:
    """The Syntetos–Boylan approximation: Croston's forecast times ``1 - beta / 2``.

    Parameters and errors as :func:`croston`.
    """
    a = _check_smoothing("alpha", alpha)
    b = a if beta is None else _check_smoothing("beta", beta)
    return _croston(_check_history(history), a, b, "sba", 1.0 - b / 2.0)


def tsb(history: ArrayLike, alpha: float = 0.1, beta: float | None = None
        ) -> IntermittentForecast:
    """Teunter–Syntetos–Babai: smoothed demand probability times smoothed size.

    Parameters
    ----------
    history:
        Units demanded per period, oldest first (1-D, finite, >= 0).
    alpha:
        Size smoothing constant in ``(0, 1]``; default 0.1.
    beta:
        Probability smoothing constant in ``(0, 1]``, applied every period;
        default ``alpha``.
    """
    a = _check_smoothing("alpha", alpha)
    b = a if beta is None else _check_smoothing("beta", beta)
    y = _check_history(history)
    demands = np.flatnonzero(y > 0)
    if demands.size == 0:
        return _empty("tsb", y, a, b)
    first = int(demands[0])
    z, d = float(y[first]), 1.0 / (first + 1)
    fitted = np.full(y.shape[0], np.nan)
    for t in range(first + 1, y.shape[0]):
        fitted[t] = d * z
        if y[t] > 0:
            d += b * (1.0 - d)
            z += a * (float(y[t]) - z)
        else:
            d -= b * d
    return IntermittentForecast("tsb", d * z, z, 1.0 / d if d > 0 else math.inf, d,
                                _mse(y, fitted, first), int(y.shape[0]), int(demands.size),
                                a, b, fitted)


def forecast_demand(history: ArrayLike, method: ForecastMethod = "sba", alpha: float = 0.1,
                    beta: float | None = None) -> IntermittentForecast:
    """Forecast with the named method (``"croston"``, ``"sba"`` or ``"tsb"``).

    Raises
    ------
    InvalidQuantityError
        Unknown method, or the method's own errors.
    """
    fn = {"croston": croston, "sba": sba, "tsb": tsb}.get(method)
    if fn is None:
        raise InvalidQuantityError(
            f"method must be one of {', '.join(FORECAST_METHODS)}, got {method!r}.",
            field="method", value=method)
    return fn(history, alpha, beta)


def intermittent_demand(num_periods: int, probability: float, mean_size: float = 1.0, *,
                        seed: SeedLike = None) -> np.ndarray:
    """Synthetic intermittent demand with known parameters (for tests, examples, what-ifs).

    Each period has a demand with probability ``probability`` (Bernoulli); a
    demand's size is ``1 + Poisson(mean_size - 1)``, so its mean is
    ``mean_size`` and its variance ``mean_size - 1``. The demand rate is
    ``probability * mean_size`` units per period.

    Parameters
    ----------
    num_periods:
        Length of the series (>= 0).
    probability:
        Probability of a demand in a period, in ``[0, 1]``.
    mean_size:
        Mean demand size (>= 1 unit); default 1 (every demand is one unit).
    seed:
        ``int``, ``numpy.random.Generator`` or ``None``.

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(num_periods,)``.
    """
    if isinstance(num_periods, bool) or not isinstance(num_periods, int | np.integer) \
            or num_periods < 0:
        raise InvalidQuantityError(f"num_periods must be an integer >= 0, got {num_periods!r}.",
                                   field="num_periods", value=num_periods)
    if not 0.0 <= probability <= 1.0:
        raise InvalidQuantityError(f"probability must be in [0, 1], got {probability!r}.",
                                   field="probability", value=probability)
    if not mean_size >= 1.0 or not math.isfinite(mean_size):
        raise InvalidQuantityError(f"mean_size must be a finite number >= 1, got {mean_size!r}.",
                                   field="mean_size", value=mean_size)
    rng = as_generator(seed)
    occurs = rng.random(int(num_periods)) < probability
    sizes = 1 + rng.poisson(mean_size - 1.0, int(num_periods))
    return np.where(occurs, sizes, 0).astype(np.int64)
