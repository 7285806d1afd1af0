"""Reorder points with a service-level safety stock, and reorder alerts.

For one stock item (a part at a van or depot) with a forecast of ``rate``
units per period and one-step error variance ``mse`` (see
:mod:`fsdispatch.inventory.forecast`), a replenishment lead time of ``L``
periods and a review every ``R`` periods (``R = 1``: the alerts run once a
period), demand over ``T`` periods is approximated as normal with

    mean  mu_T    = rate * T
    std   sigma_T = sqrt(T * mse)

(forecast errors independent from period to period). Then

    safety stock   SS = z * sigma_L
    undershoot     U  = E[D_R^2] / (2 E[D_R]) - 1/2 = (R mse + (R rate)^2) / (2 R rate) - 1/2
    reorder point  s  = ceil(mu_L + U + SS)                    (order when position <= s)
    order-up-to    S  = max(ceil(mu_{L+R} + U + z * sigma_{L+R}), s + 1)

where the *inventory position* is ``available + on order`` (``available =
on hand - reserved``) and ``D_R`` is the demand in one review period. ``U``
is the expected *undershoot*: with lumpy demand the position is usually
already below ``s`` when a review finds it at or below ``s`` (for integer
demand, the renewal-theory mean ``E[D(D-1)] / (2 E[D])``); without it the
achieved cycle service level falls short of the target by several points
when demand sizes are large. ``undershoot=False`` drops it (``U = 0``), for
the textbook ``s = mu_L + z sigma_L``. ``z`` depends on the service target:

- ``service="cycle"`` (default): cycle service level ``P``, the probability
  of no stock-out while an order is under way: ``z = Phi^-1(P)``
  (``scipy.stats.norm.ppf``).
- ``service="fill_rate"``: fill rate ``P``, the share of demand served from
  stock: ``z`` solves ``G(z) * sigma_L = (1 - P) * Q`` with the standard
  normal loss function ``G(z) = phi(z) - z (1 - Phi(z))`` and the expected
  order size ``Q = max(mu_R, 1) + U`` (Silver, Pyke & Thomas, §7.7.2).

An alert is raised for every item with positive forecast demand whose
position is at or below ``s``; it suggests ordering ``S - position`` units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidQuantityError
from .forecast import ForecastMethod, IntermittentForecast, forecast_demand
from .ledger import StockLedger

__all__ = [
    "ReorderAlert",
    "ReorderLevels",
    "forecast_ledger",
    "reorder_alerts",
    "reorder_levels",
]

ServiceKind = Literal["cycle", "fill_rate"]


@attrs.frozen
class ReorderLevels:
    """Reorder point and order-up-to level of one stock item (see the module docstring).

    Parameters
    ----------
    lead_time_demand:
        ``mu_L``: expected demand over the lead time (units).
    undershoot:
        ``U``: expected undershoot of the reorder point (units, 0 when disabled).
    safety_stock:
        ``SS = z * sigma_L`` (units; negative when the target asks for less than the mean).
    reorder_point:
        ``s``: order when the inventory position is at or below it (units, >= 0).
    order_up_to:
        ``S``: the position an order brings back (units, > ``s``).
    z:
        Safety factor used.
    service_level:
        The target (cycle service level or fill rate, in ``(0, 1)``).
    service:
        ``"cycle"`` or ``"fill_rate"``.
    lead_time:
        ``L`` in periods.
    review_period:
        ``R`` in periods.
    """

    lead_time_demand: float
    undershoot: float
    safety_stock: float
    reorder_point: int
    order_up_to: int
    z: float
    service_level: float
    service: str
    lead_time: float
    review_period: float


@attrs.frozen
class ReorderAlert:
    """A stock item at or below its reorder point.

    Parameters
    ----------
    location_id, location_kind, sku:
        The item (``location_kind`` is ``"depot"`` or ``"van"``).
    on_hand, reserved, available:
        Ledger stock (units); ``available = on_hand - reserved``.
    on_order:
        Units already ordered and not yet received.
    position:
        Inventory position ``available + on_order``.
    reorder_point, order_up_to:
        ``s`` and ``S`` (see :class:`ReorderLevels`).
    suggested_qty:
        ``S - position`` (units, >= 1).
    rate:
        Forecast demand per period.
    lead_time_demand, safety_stock:
        ``mu_L`` and ``SS``.
    service_level:
        The target used.
    method:
        Forecast method used.
    """

    location_id: str
    location_kind: str
    sku: str
    on_hand: int
    reserved: int
    available: int
    on_order: int
    position: int
    reorder_point: int
    order_up_to: int
    suggested_qty: int
    rate: float
    lead_time_demand: float
    safety_stock: float
    service_level: float
    method: str


def _check_positive(name: str, value: object, *, allow_zero: bool) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
    if not ok or not (value >= 0 if allow_zero else value > 0):  # type: ignore[operator]
        raise InvalidQuantityError(
            f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'} (periods), "
            f"got {value!r}.", field=name, value=value)
    return float(value)  # type: ignore[arg-type]


def _safety_factor(service_level: float, service: str, sigma_l: float, order_size: float
                   ) -> float:
    from scipy import optimize, stats

    if service == "cycle":
        return float(stats.norm.ppf(service_level))
    if sigma_l <= 0:
        return 0.0
    target = (1.0 - service_level) * order_size / sigma_l

    def excess(z: float) -> float:
        return float(stats.norm.pdf(z) - z * stats.norm.sf(z)) - target

    # G is decreasing from +inf (z -> -inf) to 0 (z -> +inf): bracket and solve
    lo, hi = -8.0, 8.0
    if excess(lo) < 0:
        return lo
    if excess(hi) > 0:
        return hi
    return float(optimize.brentq(excess, lo, hi, xtol=1e-10))


def reorder_levels(forecast: IntermittentForecast, lead_time: float,
                   service_level: float = 0.95, *, review_period: float = 1.0,
                   service: ServiceKind = "cycle", undershoot: bool = True) -> ReorderLevels:
    """Reorder point and order-up-to level for a service target (formulas in the module doc).

    Parameters
    ----------
    forecast:
        The item's demand forecast (units per period).
    lead_time:
        Replenishment lead time ``L`` in forecast periods (>= 0).
    service_level:
        Target in ``(0, 1)``: cycle service level, or fill rate with
        ``service="fill_rate"``; default 0.95.
    review_period:
        Periods between reviews ``R`` (> 0); default 1.
    service:
        ``"cycle"`` (default) or ``"fill_rate"``.
    undershoot:
        Add the expected undershoot ``U`` to ``s`` and ``S`` (default ``True``).

    Raises
    ------
    InvalidQuantityError
        A lead time, review period or service level out of range.
    """
    big_l = _check_positive("lead_time", lead_time, allow_zero=True)
    big_r = _check_positive("review_period", review_period, allow_zero=False)
    if isinstance(service_level, bool) or not isinstance(service_level, int | float) \
            or not 0.0 < service_level < 1.0:
        raise InvalidQuantityError(f"service_level must be in (0, 1), got {service_level!r}.",
                                   field="service_level", value=service_level)
    if service not in ("cycle", "fill_rate"):
        raise InvalidQuantityError(f"service must be 'cycle' or 'fill_rate', got {service!r}.",
                                   field="service", value=service)
    mu_l, sigma_l = forecast.over(big_l)
    mu_lr, sigma_lr = forecast.over(big_l + big_r)
    mu_r = forecast.rate * big_r
    under = 0.0
    if undershoot and mu_r > 0:
        under = max((big_r * forecast.mse + mu_r * mu_r) / (2.0 * mu_r) - 0.5, 0.0)
    z = _safety_factor(float(service_level), service, sigma_l, max(mu_r, 1.0) + under)
    safety = z * sigma_l
    eps = 1e-9  # so that an exact integer is not rounded up by float noise
    s = max(math.ceil(mu_l + under + safety - eps), 0)
    big_s = max(math.ceil(mu_lr + under + z * sigma_lr - eps), s + 1)
    return ReorderLevels(mu_l, under, safety, s, big_s, z, float(service_level), service,
                         big_l, big_r)


def forecast_ledger(ledger: StockLedger, period: timedelta | int, start: datetime,
                    end: datetime, *, method: ForecastMethod = "sba", alpha: float = 0.1,
                    beta: float | None = None, include_transfers: bool | None = None
                    ) -> dict[tuple[str, str], IntermittentForecast]:
    """Forecast every ``(location_id, sku)`` of a ledger from its consumption history.

    The history of each item is
    :meth:`StockLedger.consumption_history(location_id, sku, period, start, end)
    <fsdispatch.inventory.StockLedger.consumption_history>`; the forecast is
    :func:`~fsdispatch.inventory.forecast_demand` with ``method``, ``alpha``
    and ``beta``. Keys come in :meth:`StockLedger.items` order.
    """
    return {(loc, sku): forecast_demand(
        ledger.consumption_history(loc, sku, period, start, end,
                                   include_transfers=include_transfers),
        method, alpha, beta) for loc, sku in ledger.items()}


def reorder_alerts(ledger: StockLedger,
                   forecasts: Mapping[tuple[str, str], IntermittentForecast | ArrayLike],
                   lead_time: float | Mapping[tuple[str, str], float],
                   service_level: float = 0.95, *, review_period: float = 1.0,
                   service: ServiceKind = "cycle", undershoot: bool = True,
                   on_order: Mapping[tuple[str, str], int] | None = None,
                   method: ForecastMethod = "sba", alpha: float = 0.1,
                   beta: float | None = None) -> list[ReorderAlert]:
    """Every stock item whose inventory position is at or below its reorder point.

    Parameters
    ----------
    ledger:
        Current stock (``available = on_hand - reserved`` per item).
    forecasts:
        ``(location_id, sku)`` -> an :class:`IntermittentForecast`, or a
        demand history (units per period) to forecast with ``method``,
        ``alpha`` and ``beta``. Only these items are checked (see
        :func:`forecast_ledger` for all of a ledger's).
    lead_time:
        Lead time in forecast periods, one for all items or per item.
    service_level:
        Target in ``(0, 1)``; default 0.95 (see ``service``).
    review_period:
        Periods between two runs of the alerts (``R``); default 1.
    service:
        ``"cycle"`` (cycle service level, default) or ``"fill_rate"``.
    undershoot:
        Include the expected undershoot in the levels (default ``True``).
    on_order:
        ``(location_id, sku)`` -> units ordered and not yet received (added
        to the position); default none.
    method, alpha, beta:
        Forecast settings for items given as histories.

    Returns
    -------
    list of ReorderAlert
        Sorted by location (ledger order) then sku. Items with zero forecast
        demand never alert.

    Raises
    ------
    UnknownLocationError
        An item's location is not in the ledger.
    InvalidQuantityError
        A bad lead time, service level, quantity or history.
    """
    order = {loc: k for k, loc in enumerate(ledger.locations())}
    alerts: list[ReorderAlert] = []
    pending = on_order or {}
    for key, value in forecasts.items():
        loc, sku = key
        kind = ledger.kind(loc)
        fc = value if isinstance(value, IntermittentForecast) else forecast_demand(
            np.asarray(value), method, alpha, beta)
        if fc.rate <= 0:
            continue
        lt = lead_time[key] if isinstance(lead_time, Mapping) else lead_time
        levels = reorder_levels(fc, lt, service_level, review_period=review_period,
                                service=service, undershoot=undershoot)
        incoming = int(pending.get(key, 0))
        if incoming < 0:
            raise InvalidQuantityError(f"on_order[{key!r}] must be >= 0, got {incoming}.",
                                       field=f"on_order[{key!r}]", value=incoming)
        avail = ledger.available(loc, sku)
        position = avail + incoming
        if position > levels.reorder_point:
            continue
        alerts.append(ReorderAlert(
            loc, kind, sku, ledger.on_hand(loc, sku), ledger.reserved(loc, sku), avail,
            incoming, position, levels.reorder_point, levels.order_up_to,
            levels.order_up_to - position, fc.rate, levels.lead_time_demand,
            levels.safety_stock, levels.service_level, fc.method))
    alerts.sort(key=lambda a: (order[a.location_id], a.sku))
    return alerts
