"""Spare-parts inventory: a stock ledger, intermittent-demand forecasts and reorder alerts.

The inventory side of parts-aware dispatch (see ``docs/parts.md``):

- :class:`StockLedger` keeps on-hand stock and ticket reservations per depot
  and technician van, with an append-only movement log;
- :func:`croston`, :func:`sba` and :func:`tsb` forecast intermittent demand
  from the ledger's consumption history;
- :func:`reorder_levels` and :func:`reorder_alerts` turn forecasts into
  reorder points and alerts at a target cycle service level.
"""

from ..errors import (
    InsufficientStockError,
    InvalidQuantityError,
    InventoryError,
    OverReservationError,
    ReservationConflictError,
    UnknownLocationError,
)
from .ledger import Movement, PlannedVisit, Reservation, StockLedger, plan_visits

__all__ = [
    "InsufficientStockError",
    "InvalidQuantityError",
    "InventoryError",
    "Movement",
    "OverReservationError",
    "PlannedVisit",
    "Reservation",
    "ReservationConflictError",
    "StockLedger",
    "UnknownLocationError",
    "plan_visits",
]
