"""pandas and CSV: scenarios from service-desk exports; plans, KPIs and reasons out as DataFrames.

Input (one row per ticket, one per technician, optionally one per part)::

    scenario = read_scenario_csv("tickets.csv", "technicians.csv", date="2026-01-05",
                                 timezone="Europe/Berlin")
    scenario = scenario_from_frames(tickets_df, technicians_df, date=..., timezone=...)

Cells use the service desk's habits: skills ``"hvac:3;gas:1"``, parts
``"P001:2"``, windows as local times ``"08:00-12:00;14:00-16:00"``, durations in
minutes. The columns are listed in :data:`TICKET_COLUMNS`,
:data:`TECHNICIAN_COLUMNS`, :data:`PART_COLUMNS` and :data:`ASSET_COLUMNS` (maintenance plans:
:data:`PLAN_COLUMNS`, :func:`read_maintenance_csv`; and in the docs' how-to
"Import from Excel or CSV"); templates ship in ``examples/*.csv``. Every error
names the file (or table), the row and the column. Columns not listed are
ignored, so a full export can be read as it is.

Output (:func:`plan_to_frames`): one row per visit, per technician, per
unassigned ticket with its reason, and a one-row KPI table.

Travel matrices from a road-network router: :func:`read_travel_matrix` reads
CSV (square, or long ``from,to,duration_s[,distance_km]``) or ``.npz`` and
:func:`check_travel_ids` checks their ids against a scenario.

pandas is an optional dependency (``pip install "fsdispatch[tabular]"``); it is
imported when a function here is first called.
"""

from __future__ import annotations

from . import read, travel_matrix, write
from ._columns import (
    ASSET_COLUMNS,
    PART_COLUMNS,
    PLAN_COLUMNS,
    TECHNICIAN_COLUMNS,
    TICKET_COLUMNS,
)

# every public name of the three modules, listed once: in the module's own __all__
from .read import *  # noqa: F403
from .travel_matrix import *  # noqa: F403
from .write import *  # noqa: F403

__all__ = ["ASSET_COLUMNS", "PART_COLUMNS", "PLAN_COLUMNS", "TECHNICIAN_COLUMNS",
           "TICKET_COLUMNS"]
__all__ += read.__all__
__all__ += travel_matrix.__all__
__all__ += write.__all__
