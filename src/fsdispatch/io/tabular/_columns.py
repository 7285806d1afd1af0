"""The columns of the input tables and the domain fields each one fills (private)."""

from __future__ import annotations

TICKET_COLUMNS: dict[str, str] = {
    "ticket_id": "required; unique ticket id",
    "lat, lon": "WGS84 degrees (or planar km in x, y); optional with a travel matrix",
    "location_id": "row of the travel matrix (with read_travel_matrix)",
    "duration_min": "required; nominal service time in minutes (> 0)",
    "category": "e.g. repair, install, maintenance (default repair)",
    "priority": "P1 (emergency) .. P4 (low), or 1..4 (default P3)",
    "skills": "required skills and minimum levels, e.g. hvac:3;gas:1 (a bare skill = level 1)",
    "windows": "appointment windows as local times, e.g. 08:00-12:00;14:00-16:00",
    "window_start, window_end": "one appointment window (instead of windows)",
    "window_kind": "hard (default) or soft",
    "lateness_cost": "multiplier of the soft-window lateness weight (default 1)",
    "customer_id": "customer",
    "customer_tier": "e.g. gold, standard (default standard); used by the SLA policy",
    "created_at": "when the ticket was opened (local datetime); sets SLA deadlines",
    "response_by, resolve_by": "explicit SLA deadlines (local datetimes)",
    "parts": "parts consumed from the van, e.g. P001:2;P007:1",
    "preferred_technicians, excluded_technicians": "technician ids, e.g. tech-1;tech-4",
    "demand": "capacity units used on the route (default 0)",
    "asset_id": "the asset the job is on (an asset_id of the assets table when one is given)",
    "territory": "the ticket's territory (empty = any technician may serve it)",
    "crew_size": "technicians who serve the job together, starting at once (default 1)",
}
"""Columns of the tickets table (one row per ticket) and what they hold."""

TECHNICIAN_COLUMNS: dict[str, str] = {
    "technician_id": "required; unique technician id",
    "lat, lon": "start (home or depot), WGS84 degrees (or planar km in x, y)",
    "end_lat, end_lon": "end location when not the start (or end_x, end_y)",
    "location_id, end_location_id": "rows of the travel matrix",
    "shift_start, shift_end": "required; local times (08:00) or datetimes; an end before the "
                              "start is on the next day",
    "break_window, break_min": "one break: window as local times (12:00-14:00) and minutes",
    "skills": "skills and levels held, e.g. hvac:3;gas:1",
    "skill_factors": "per-skill service time factor, e.g. hvac:0.8",
    "service_factor": "multiplies every service time (default 1)",
    "max_tickets_per_day": "cap on visits per day (empty = no cap)",
    "max_overtime_min": "minutes the technician may return after shift end (default 0)",
    "cost_per_hour": "labour cost per working hour (default 0)",
    "van_stock": "parts in the van, e.g. P001:4;P007:2",
    "capacity": "capacity units per shift (empty = unlimited)",
    "recent_workload_min": "work done recently in minutes, for fairness (default 0)",
    "territories": "territories covered, e.g. north;east (empty = all)",
    "team": "team name, for the per-team KPIs",
    "certifications": "skill certifications valid until a day, e.g. hvac:2026-12-31;gas:2027-03-01",
    "max_weekly_work_min": "cap on minutes of work (travel + service) per calendar week "
                           "(empty = no cap)",
    "weekly_overtime_after_min": "minutes of work per calendar week beyond which work is "
                                 "weekly overtime (empty = none)",
    "week_work_done_min": "minutes worked before the horizon in its first week (default 0)",
}
"""Columns of the technicians table (one row per technician) and what they hold."""

PART_COLUMNS: dict[str, str] = {
    "sku": "required; part id referenced by parts and van_stock",
    "name": "part name",
    "unit_cost": "cost of one unit (default 0)",
}
"""Columns of the optional parts table (one row per part)."""

ASSET_COLUMNS: dict[str, str] = {
    "asset_id": "required; unique asset id referenced by the tickets' asset_id",
    "lat, lon": "where it is installed, WGS84 degrees (or planar km in x, y)",
    "location_id": "row of the travel matrix",
    "kind": "e.g. hvac, elevator",
    "installed_at": "when it was installed (local datetime)",
    "customer_id": "the customer who owns it",
}
"""Columns of the optional assets table (one row per asset)."""

PLAN_COLUMNS: dict[str, str] = {
    "asset_id": "required; the asset maintained (an asset_id of the assets table when given)",
    "every_days": "required; days between two visits (1 .. 3650; decimals allowed)",
    "duration_min": "required; service time of one visit in minutes (> 0)",
    "tolerance_days": "how far from its due date a visit may start, in days (default 0; at "
                      "most every_days / 2)",
    "skills": "required skills and minimum levels, e.g. hvac:1",
    "parts": "parts one visit consumes, e.g. FILTER:1",
    "name": "tells apart several plans of one asset, e.g. filters (no '/')",
    "category": "category of the PM tickets (default maintenance)",
    "priority": "P1 .. P4, or 1..4 (default P4)",
    "last_done": "when the plan was last served (local datetime); empty = from the asset's "
                 "installed_at",
}
"""Columns of the maintenance plans table (one row per plan)."""

_TICKET_FIELDS = {
    "id": "ticket_id", "location": "lat", "duration": "duration_min", "category": "category",
    "required_skills": "skills", "windows": "windows", "window_kind": "window_kind",
    "lateness_cost": "lateness_cost", "priority": "priority", "customer_id": "customer_id",
    "customer_tier": "customer_tier", "created_at": "created_at", "response_by": "response_by",
    "resolve_by": "resolve_by", "preferred_technicians": "preferred_technicians",
    "excluded_technicians": "excluded_technicians", "parts": "parts", "demand": "demand",
    "asset_id": "asset_id",
    "territory": "territory",
    "crew_size": "crew_size",
}
_TECH_FIELDS = {
    "id": "technician_id", "start_location": "lat", "end_location": "end_lat",
    "shifts": "shift_start", "start": "shift_start", "end": "shift_end",
    "skills": "skills", "service_factor": "service_factor", "skill_factors": "skill_factors",
    "max_tickets_per_day": "max_tickets_per_day", "max_overtime": "max_overtime_min",
    "cost_per_hour": "cost_per_hour", "van_stock": "van_stock", "capacity": "capacity",
    "recent_workload": "recent_workload_min", "window": "break_window", "duration": "break_min",
    "breaks": "break_window", "territories": "territories", "team": "team",
    "certifications": "certifications", "max_weekly_work": "max_weekly_work_min",
    "weekly_overtime_after": "weekly_overtime_after_min", "week_work_done": "week_work_done_min",
}


_ASSET_FIELDS = {
    "id": "asset_id", "location": "lat", "kind": "kind", "installed_at": "installed_at",
    "customer_id": "customer_id",
}
_PLAN_FIELDS = {
    "asset_id": "asset_id", "every": "every_days", "duration": "duration_min",
    "tolerance": "tolerance_days", "required_skills": "skills", "parts": "parts", "name": "name",
    "category": "category", "priority": "priority",
}
