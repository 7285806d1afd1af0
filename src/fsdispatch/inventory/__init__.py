"""Spare-parts inventory: a stock ledger, intermittent-demand forecasts and reorder alerts.

The inventory side of parts-aware dispatch (see ``docs/parts.md``):

- :class:`StockLedger` keeps on-hand stock and ticket reservations per depot
  and technician van, with an append-only movement log;
- :func:`croston`, :func:`sba` and :func:`tsb` forecast intermittent demand
  from the ledger's consumption history;
- :func:`reorder_levels` and :func:`reorder_alerts` turn forecasts into
  reorder points and alerts at a target service level;
- :class:`DispatchLedger` keeps a ledger in step with a live dispatcher.
"""

from ..errors import (
    InsufficientStockError,
    InvalidQuantityError,
    InventoryError,
    OverReservationError,
    ReservationConflictError,
    UnknownLocationError,
)
from .dispatch import DispatchLedger
from .forecast import (
    FORECAST_METHODS,
    IntermittentForecast,
    croston,
    forecast_demand,
    intermittent_demand,
    sba,
    tsb,
)
from .ledger import (
    LOCATION_KINDS,
    MOVEMENT_KINDS,
    Movement,
    PlannedVisit,
    Reservation,
    StockLedger,
    plan_visits,
)
from .reorder import ReorderAlert, ReorderLevels, forecast_ledger, reorder_alerts, reorder_levels

__all__ = [
    "FORECAST_METHODS",
    "LOCATION_KINDS",
    "MOVEMENT_KINDS",
    "DispatchLedger",
    "InsufficientStockError",
    "IntermittentForecast",
    "InvalidQuantityError",
    "InventoryError",
    "Movement",
    "OverReservationError",
    "PlannedVisit",
    "ReorderAlert",
    "ReorderLevels",
    "Reservation",
    "ReservationConflictError",
    "StockLedger",
    "UnknownLocationError",
    "croston",
    "forecast_demand",
    "forecast_ledger",
    "intermittent_demand",
    "plan_visits",
    "reorder_alerts",
    "reorder_levels",
    "sba",
    "tsb",
]
