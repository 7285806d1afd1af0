"""The public API of ``fsdispatch.inventory`` is deliberate: ``__all__`` matches a pinned list.

``tests/public_api.txt`` pins the top-level ``fsdispatch.__all__``; the
inventory package is not re-exported there (yet), so its names are pinned here.
"""

from __future__ import annotations

import subprocess
import sys

import fsdispatch.errors
import fsdispatch.inventory as inv

INVENTORY_API = """
DispatchLedger FORECAST_METHODS LOCATION_KINDS MOVEMENT_KINDS InsufficientStockError
IntermittentForecast
InvalidQuantityError InventoryError Movement OverReservationError PlannedVisit ReorderAlert
ReorderLevels Reservation ReservationConflictError StockLedger UnknownLocationError croston
forecast_demand forecast_ledger intermittent_demand plan_visits reorder_alerts reorder_levels
sba tsb
""".split()

ERRORS = ["InsufficientStockError", "InvalidQuantityError", "InventoryError",
          "OverReservationError", "ReservationConflictError", "UnknownLocationError"]


def test_inventory_all_matches_the_pinned_list():
    """Adding or removing an inventory name must update this list (and the CHANGELOG)."""
    assert sorted(inv.__all__) == sorted(INVENTORY_API)
    for name in inv.__all__:
        obj = getattr(inv, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_inventory_errors_live_in_the_error_hierarchy():
    """The inventory errors are defined in fsdispatch.errors and derive from FsdispatchError."""
    for name in ERRORS:
        assert name in fsdispatch.errors.__all__
        cls = getattr(fsdispatch.errors, name)
        assert cls is getattr(inv, name)
        assert issubclass(cls, fsdispatch.errors.FsdispatchError)
        assert issubclass(cls, inv.InventoryError)


def test_inventory_import_is_light():
    """``import fsdispatch.inventory`` loads neither scipy, pandas nor numba."""
    code = ("import sys, fsdispatch.inventory; "
            "print(sorted(m for m in ('scipy', 'pandas', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
