"""pandas and CSV: scenarios from service-desk exports; plans, KPIs and reasons out as DataFrames.

Input (one row per ticket, one per technician, optionally one per part)::

    scenario = read_scenario_csv("tickets.csv", "technicians.csv", date="2026-01-05",
                                 timezone="Europe/Berlin")
    scenario = scenario_from_frames(tickets_df, technicians_df, date=..., timezone=...)

Cells use the service desk's habits: skills ``"hvac:3;gas:1"``, parts
``"P001:2"``, windows as local times ``"08:00-12:00;14:00-16:00"``, durations in
minutes. The columns are listed in :data:`TICKET_COLUMNS`,
:data:`TECHNICIAN_COLUMNS` and :data:`PART_COLUMNS` (and in the docs' how-to
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

import io
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date as date_cls
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from ..domain import (
    Break,
    GeometricTravel,
    Location,
    MatrixTravel,
    Part,
    Scenario,
    Shift,
    SlaPolicy,
    Technician,
    Ticket,
    TimeWindow,
)
from ..domain.objective import ObjectiveWeights
from ..errors import BackendUnavailableError, UnknownReferenceError, ValidationError
from ..units import MINUTE, Horizon
from .json_format import _as_path, _read_text

if TYPE_CHECKING:
    import pandas as pd

    from ..domain.travel import TravelModel
    from ..evaluate.evaluation import Evaluation
    from ..plan import Plan
    from ..problem.problem import Problem

__all__ = [
    "PART_COLUMNS",
    "TECHNICIAN_COLUMNS",
    "TICKET_COLUMNS",
    "PlanFrames",
    "check_travel_ids",
    "kpis_frame",
    "plan_to_frames",
    "read_scenario_csv",
    "read_travel_matrix",
    "scenario_from_frames",
    "technicians_frame",
    "unassigned_frame",
    "visits_frame",
]

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
}
"""Columns of the technicians table (one row per technician) and what they hold."""

PART_COLUMNS: dict[str, str] = {
    "sku": "required; part id referenced by parts and van_stock",
    "name": "part name",
    "unit_cost": "cost of one unit (default 0)",
}
"""Columns of the optional parts table (one row per part)."""

_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "long": "lon"}
_TIME_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*[-–]\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")
_TIME_ONLY = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_ITEM_SEP = re.compile(r"[;,|]")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:  # pragma: no cover - exercised only without pandas
        raise BackendUnavailableError(
            "fsdispatch.io.tabular needs pandas: pip install \"fsdispatch[tabular]\" "
            "(or pip install pandas)") from None
    return pandas


# ------------------------------------------------------------------ cell parsing
class _CellError(Exception):
    """A cell could not be read: ``expected`` says what was expected."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        import pandas as pd

        return bool(value is pd.NaT or (not isinstance(value, str | bytes)
                                        and pd.api.types.is_scalar(value) and pd.isna(value)))
    except (ImportError, TypeError, ValueError):  # pragma: no cover
        return False


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _CellError("a number")
    if isinstance(value, int | float | np.integer | np.floating):
        out = float(value)
    else:
        try:
            out = float(str(value).strip().replace(",", ".") if str(value).count(",") == 1
                        and "." not in str(value) else str(value).strip())
        except ValueError:
            raise _CellError("a number") from None
    if not math.isfinite(out):
        raise _CellError("a finite number")
    return out


def _as_int(value: Any) -> int:
    out = _as_float(value)
    if out != int(out):
        raise _CellError("a whole number")
    return int(out)


def _minutes(value: Any) -> int:
    """Minutes (number, or h:mm) -> seconds."""
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    if isinstance(value, str) and _TIME_ONLY.match(value):
        m = _TIME_ONLY.match(value)
        assert m is not None
        return (int(m.group(1)) * 60 + int(m.group(2))) * MINUTE + int(m.group(3) or 0)
    return round(_as_float(value) * MINUTE)


def _pairs(value: Any, conv: Callable[[str], Any], default: Any, example: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    out: dict[str, Any] = {}
    for item in _ITEM_SEP.split(str(value)):
        item = item.strip()
        if not item:
            continue
        key, sep, amount = item.partition(":")
        key = key.strip()
        if (not key or "=" in key or (sep and not amount.strip())
                or (not sep and default is None)):
            raise _CellError(f"'key:value' items separated by ';' (e.g. {example!r})")
        try:
            out[key] = conv(amount.strip()) if sep else default
        except (_CellError, ValueError):
            raise _CellError(f"'key:value' items separated by ';' (e.g. {example!r})") from None
    return out


def _levels(value: Any) -> dict[str, int]:
    return _pairs(value, _as_int, 1, "hvac:3;gas:1")


def _quantities(value: Any) -> dict[str, int]:
    return _pairs(value, _as_int, 1, "P001:2;P007:1")


def _factors(value: Any) -> dict[str, float]:
    return _pairs(value, _as_float, None, "hvac:0.8")


def _ids(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return tuple(s.strip() for s in _ITEM_SEP.split(str(value)) if s.strip())


class _Clock:
    """Turns local times and datetimes of cells into timezone-aware datetimes."""

    def __init__(self, day: date_cls | None, tz: tzinfo) -> None:
        self.day = day
        self.tz = tz

    def at(self, value: Any, *, after: datetime | None = None) -> datetime:
        """A cell -> aware datetime; a bare time is on ``day`` (the next day if <= ``after``)."""
        if isinstance(value, datetime):  # also pandas Timestamp
            dt = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
            return dt if dt.tzinfo is not None else dt.replace(tzinfo=self.tz)
        if isinstance(value, time):
            return self._on_day(value, after)
        text = str(value).strip()
        m = _TIME_ONLY.match(text)
        if m:
            hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            if hh == 24 and mm == 0 and ss == 0:
                return self._on_day(time(0), None) + timedelta(days=1)
            if hh > 23 or mm > 59 or ss > 59:
                raise _CellError("a time HH:MM or a datetime YYYY-MM-DD HH:MM")
            return self._on_day(time(hh, mm, ss), after)
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise _CellError("a time HH:MM or a datetime YYYY-MM-DD HH:MM") from None
        return dt if dt.tzinfo is not None else dt.replace(tzinfo=self.tz)

    def _on_day(self, clock: time, after: datetime | None) -> datetime:
        if self.day is None:
            raise _CellError("a full datetime YYYY-MM-DD HH:MM, or pass date=... for bare times")
        dt = datetime.combine(self.day, clock, tzinfo=self.tz)
        if after is not None and dt <= after:
            dt += timedelta(days=1)
        return dt

    def span(self, value: Any) -> tuple[datetime, datetime]:
        """``"08:00-12:00"`` or ``"START/END"`` -> (start, end); an end before the start is the
        next day."""
        text = str(value).strip()
        m = _TIME_RANGE.match(text)
        if m:
            first, second = m.group(1), m.group(2)
        elif "/" in text:
            first, _, second = text.partition("/")
        else:
            raise _CellError("a range of local times like '08:00-12:00' (or 'START/END')")
        start = self.at(first)
        return start, self.at(second, after=start if _TIME_ONLY.match(second) else None)

    def spans(self, value: Any) -> list[tuple[datetime, datetime]]:
        return [self.span(part) for part in str(value).split(";") if part.strip()]


# ------------------------------------------------------------------ tables
class _Table:
    """One input table: rows as dicts of normalised column names, errors name file/row/column."""

    def __init__(self, data: Any, name: str, from_file: bool) -> None:
        pd = _pandas()
        if not isinstance(data, pd.DataFrame):
            raise ValidationError(f"{name}: expected a pandas DataFrame, got "
                                  f"{type(data).__name__}", field=name,
                                  value=type(data).__name__)
        self.name = name
        self.from_file = from_file
        columns = {}
        for col in data.columns:
            norm = re.sub(r"\s+", "_", str(col).strip().lower())
            norm = _ALIASES.get(norm, norm)
            if norm in columns:
                raise ValidationError(f"{name}: column {str(col)!r} appears twice "
                                      f"(as {norm!r})", entity=name, field=str(col))
            columns[norm] = col
        self.columns = columns
        self.frame = data
        self.labels = list(data.index)
        self.rows = [dict(zip(columns, values, strict=True))
                     for values in data[list(columns.values())].itertuples(index=False,
                                                                          name=None)]
        self.issues: list[ValidationError] = []

    def row_name(self, pos: int) -> str:
        """Spreadsheet row number for files (header = row 1), index label for DataFrames."""
        return str(pos + 2) if self.from_file else str(self.labels[pos])

    def where(self, pos: int, column: str | None) -> str:
        text = f"{self.name}, row {self.row_name(pos)}"
        return text + (f", column {self.columns.get(column, column)!r}" if column else "")

    def require(self, *groups: tuple[str, ...]) -> None:
        for group in groups:
            if not any(c in self.columns for c in group):
                names = " or ".join(repr(c) for c in group)
                raise ValidationError(
                    f"{self.name}: required column {names} is missing (columns: "
                    f"{', '.join(map(str, self.frame.columns))})", entity=self.name,
                    field=group[0])

    def has(self, column: str) -> bool:
        return column in self.columns

    def error(self, pos: int, column: str | None, message: str, value: Any = None,
              entity_id: str | None = None,
              cls: type[ValidationError] = ValidationError) -> ValidationError:
        err = cls(f"{self.where(pos, column)}: {message}", entity=self.name, entity_id=entity_id,
                  field=self.columns.get(column, column) if column else None, value=value)
        self.issues.append(err)
        return err


class _Row:
    """Cell access for one row; failures are recorded on the table."""

    def __init__(self, table: _Table, pos: int) -> None:
        self.table = table
        self.pos = pos
        self.values = table.rows[pos]
        self.ok = True

    def raw(self, column: str) -> Any:
        value = self.values.get(column)
        return None if _missing(value) else value

    def get(self, column: str, conv: Callable[[Any], Any], default: Any = None) -> Any:
        value = self.raw(column)
        if value is None:
            return default
        try:
            return conv(value)
        except _CellError as exc:
            shown = value if isinstance(value, int | float | str) else str(value)
            self.table.error(self.pos, column, f"expected {exc.expected}, got {shown!r}",
                             value=shown)
            self.ok = False
            return default

    def required(self, column: str, conv: Callable[[Any], Any]) -> Any:
        if self.raw(column) is None:
            self.table.error(self.pos, column, "required value is empty")
            self.ok = False
            return None
        return self.get(column, conv)

    def location(self, prefix: str = "", id_column: str = "location_id",
                 required: bool = True) -> Location | None:
        loc_id = self.get(id_column, lambda v: str(v).strip())
        lat, lon = self.raw(prefix + "lat"), self.raw(prefix + "lon")
        x, y = self.raw(prefix + "x"), self.raw(prefix + "y")
        try:
            if lat is not None or lon is not None:
                cols = (prefix + "lat", prefix + "lon")
                a, b = self.get(cols[0], _as_float), self.get(cols[1], _as_float)
                if a is None or b is None:
                    if self.ok:
                        self.table.error(self.pos, cols[1] if a is not None else cols[0],
                                         "required value is empty (lat and lon go together)")
                    self.ok = False
                    return None
                return Location.geo(a, b, id=loc_id)
            if x is not None or y is not None:
                cols = (prefix + "x", prefix + "y")
                a, b = self.get(cols[0], _as_float), self.get(cols[1], _as_float)
                if a is None or b is None:
                    if self.ok:
                        self.table.error(self.pos, cols[1] if a is not None else cols[0],
                                         "required value is empty (x and y go together)")
                    self.ok = False
                    return None
                return Location.planar(a, b, id=loc_id)
        except ValidationError as exc:
            column = prefix + ("lat" if "latitude" in exc.message else
                               "lon" if "longitude" in exc.message else "x")
            self.table.error(self.pos, column, exc.message, value=exc.value)
            self.ok = False
            return None
        if loc_id is not None:
            return Location.planar(0.0, 0.0, id=loc_id)  # position comes from the travel matrix
        if required:
            self.table.error(self.pos, prefix + "lat",
                             f"a location is required: {prefix}lat/{prefix}lon, "
                             f"{prefix}x/{prefix}y or {id_column}")
            self.ok = False
        return None

    def build(self, factory: Callable[..., Any], fields: Mapping[str, str],
              entity_id: str | None, **kwargs: Any) -> Any:
        """Construct a domain object; a ValidationError is mapped to the column of its field."""
        try:
            return factory(**kwargs)
        except ValidationError as exc:
            for issue in exc.issues:
                field = (issue.field or "").split("[")[0].split(".")[0]
                self.table.error(self.pos, fields.get(field), issue.message, value=issue.value,
                                 entity_id=entity_id, cls=type(issue))
            self.ok = False
            return None


_TICKET_FIELDS = {
    "id": "ticket_id", "location": "lat", "duration": "duration_min", "category": "category",
    "required_skills": "skills", "windows": "windows", "window_kind": "window_kind",
    "lateness_cost": "lateness_cost", "priority": "priority", "customer_id": "customer_id",
    "customer_tier": "customer_tier", "created_at": "created_at", "response_by": "response_by",
    "resolve_by": "resolve_by", "preferred_technicians": "preferred_technicians",
    "excluded_technicians": "excluded_technicians", "parts": "parts", "demand": "demand",
}
_TECH_FIELDS = {
    "id": "technician_id", "start_location": "lat", "end_location": "end_lat",
    "shifts": "shift_start", "start": "shift_start", "end": "shift_end",
    "skills": "skills", "service_factor": "service_factor", "skill_factors": "skill_factors",
    "max_tickets_per_day": "max_tickets_per_day", "max_overtime": "max_overtime_min",
    "cost_per_hour": "cost_per_hour", "van_stock": "van_stock", "capacity": "capacity",
    "recent_workload": "recent_workload_min", "window": "break_window", "duration": "break_min",
    "breaks": "break_window",
}


def _read_ticket(row: _Row, clock: _Clock) -> Ticket | None:
    from ..domain import Priority

    tid = row.required("ticket_id", lambda v: str(v).strip())
    location = row.location()
    duration = row.required("duration_min", _minutes)
    windows: list[tuple[datetime, datetime]] = []
    if row.raw("windows") is not None:
        windows = row.get("windows", clock.spans, [])
    elif row.raw("window_start") is not None or row.raw("window_end") is not None:
        ws = row.required("window_start", clock.at)
        we = row.required("window_end", lambda v: clock.at(v, after=ws if isinstance(ws, datetime)
                                                          else None))
        if ws is not None and we is not None:
            windows = [(ws, we)]

    def priority(v: Any) -> Any:
        try:
            return Priority.parse(_as_int(v) if isinstance(v, int | float) or
                                  str(v).strip().isdigit() else str(v).strip())
        except (ValueError, _CellError):
            raise _CellError("a priority P1..P4 (or 1..4)") from None

    kwargs = {
        "category": row.get("category", lambda v: str(v).strip(), "repair"),
        "required_skills": row.get("skills", _levels, {}),
        "window_kind": row.get("window_kind", lambda v: str(v).strip().lower(), "hard"),
        "lateness_cost": row.get("lateness_cost", _as_float, 1.0),
        "priority": row.get("priority", priority, Priority.P3),
        "customer_id": row.get("customer_id", lambda v: str(v).strip()),
        "customer_tier": row.get("customer_tier", lambda v: str(v).strip(), "standard"),
        "created_at": row.get("created_at", clock.at),
        "response_by": row.get("response_by", clock.at),
        "resolve_by": row.get("resolve_by", clock.at),
        "preferred_technicians": row.get("preferred_technicians", _ids, ()),
        "excluded_technicians": row.get("excluded_technicians", _ids, ()),
        "parts": row.get("parts", _quantities, {}),
        "demand": row.get("demand", _as_int, 0),
    }
    if not row.ok:
        return None
    tw = []
    for k, (s, e) in enumerate(windows):
        w = row.build(TimeWindow, {"end": "windows", "start": "windows"}, tid, start=s, end=e)
        if w is None:
            return None
        if k and s <= windows[k - 1][1]:
            row.table.error(row.pos, "windows" if row.table.has("windows") else "window_start",
                            f"windows must be sorted and must not overlap, got {s.isoformat()} "
                            f"after {windows[k - 1][1].isoformat()}", entity_id=tid)
            return None
        tw.append(w)
    result: Ticket | None = row.build(Ticket, _TICKET_FIELDS, tid, id=tid, location=location,
                                      duration=duration, windows=tw, **kwargs)
    return result


def _read_technician(row: _Row, clock: _Clock) -> Technician | None:
    tid = row.required("technician_id", lambda v: str(v).strip())
    start_loc = row.location()
    end_loc = row.location("end_", "end_location_id", required=False)
    shift_start = row.required("shift_start", clock.at)
    shift_end = row.required(
        "shift_end", lambda v: clock.at(v, after=shift_start if isinstance(shift_start, datetime)
                                        else None))
    brk_window = row.get("break_window", clock.span)
    brk_min = row.get("break_min", _minutes)
    if (brk_window is None) != (brk_min is None) and row.ok:
        missing = "break_min" if brk_min is None else "break_window"
        row.table.error(row.pos, missing, "required value is empty (break_window and break_min "
                        "go together)", entity_id=tid)
        row.ok = False
    kwargs = {
        "skills": row.get("skills", _levels, {}),
        "skill_factors": row.get("skill_factors", _factors, {}),
        "service_factor": row.get("service_factor", _as_float, 1.0),
        "max_tickets_per_day": row.get("max_tickets_per_day", _as_int),
        "max_overtime": row.get("max_overtime_min", _minutes, 0),
        "cost_per_hour": row.get("cost_per_hour", _as_float, 0.0),
        "van_stock": row.get("van_stock", _quantities, {}),
        "capacity": row.get("capacity", _as_int),
        "recent_workload": row.get("recent_workload_min", _minutes, 0),
    }
    if not row.ok:
        return None
    breaks = []
    if brk_window is not None:
        window = row.build(TimeWindow, {}, tid, start=brk_window[0], end=brk_window[1])
        if window is None:
            return None
        # a break window given as bare times belongs to the shift's day
        if window.start < shift_start and isinstance(row.raw("break_window"), str) and \
                _TIME_RANGE.match(str(row.raw("break_window"))):
            days = (shift_start.date() - window.start.date()).days
            window = TimeWindow(window.start + timedelta(days=days),
                                window.end + timedelta(days=days))
        brk = row.build(Break, {"window": "break_window", "duration": "break_min"}, tid,
                        window=window, duration=brk_min)
        if brk is None:
            return None
        breaks.append(brk)
    shift = row.build(Shift, {"start": "shift_start", "end": "shift_end",
                              "breaks": "break_window"}, tid, start=shift_start, end=shift_end,
                      breaks=breaks)
    if shift is None:
        return None
    result: Technician | None = row.build(Technician, _TECH_FIELDS, tid, id=tid,
                                          start_location=start_loc, end_location=end_loc,
                                          shifts=[shift], **kwargs)
    return result


def _read_part(row: _Row) -> Part | None:
    sku = row.required("sku", lambda v: str(v).strip())
    name = row.get("name", lambda v: str(v).strip(), "")
    cost = row.get("unit_cost", _as_float, 0.0)
    if not row.ok:
        return None
    result: Part | None = row.build(Part, {"sku": "sku", "unit_cost": "unit_cost"}, sku,
                                    sku=sku, name=name, unit_cost=cost)
    return result


def _tz(value: str | tzinfo | None) -> tzinfo:
    from datetime import UTC

    if value is None:
        return UTC
    if isinstance(value, tzinfo):
        return value
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"timezone {value!r} is unknown; expected an IANA name such as "
                              "'Europe/Berlin' or 'UTC'", field="timezone", value=value) from None


def _day(value: str | date_cls | datetime | None) -> date_cls | None:
    if value is None or (isinstance(value, date_cls) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date_cls.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"date {value!r} is not a date; expected YYYY-MM-DD",
                              field="date", value=value) from None


def _frames_to_scenario(tickets: _Table, technicians: _Table, parts_table: _Table | None, *,
                        day: date_cls | None, tz: tzinfo, horizon: Horizon | None,
                        travel: TravelModel | None, sla_policy: SlaPolicy | None,
                        objective: ObjectiveWeights | None, skills: Sequence[str],
                        name: str) -> Scenario:
    tickets.require(("ticket_id",), ("duration_min",))
    technicians.require(("technician_id",), ("shift_start",), ("shift_end",))
    if parts_table is not None:
        parts_table.require(("sku",))
    clock = _Clock(day, tz)
    techs = [_read_technician(_Row(technicians, k), clock) for k in range(len(technicians.rows))]
    ticks = [_read_ticket(_Row(tickets, k), clock) for k in range(len(tickets.rows))]
    parts = ([_read_part(_Row(parts_table, k)) for k in range(len(parts_table.rows))]
             if parts_table is not None else [])
    issues = technicians.issues + tickets.issues + (parts_table.issues if parts_table else [])
    if issues:
        raise ValidationError.collect(issues)
    tech_list = [t for t in techs if t is not None]
    ticket_list = [t for t in ticks if t is not None]
    part_list = [p for p in parts if p is not None]
    if horizon is None:
        horizon = _default_horizon(tech_list, ticket_list, day, tz)
    try:
        return Scenario(horizon=horizon, technicians=tech_list, tickets=ticket_list,
                        travel=travel if travel is not None else GeometricTravel(),
                        parts=part_list, skills=tuple(skills), sla_policy=sla_policy,
                        objective=objective if objective is not None else ObjectiveWeights(),
                        name=name)
    except ValidationError as exc:
        raise _locate(exc, tickets, technicians, parts_table) from None


def _default_horizon(techs: list[Technician], tickets: list[Ticket], day: date_cls | None,
                     tz: tzinfo) -> Horizon:
    """From local midnight of the first day to local midnight after the last shift or window."""
    moments = [s.start for t in techs for s in t.shifts] + [s.end for t in techs for s in t.shifts]
    moments += [w.start for t in tickets for w in t.windows]
    moments += [w.end for t in tickets for w in t.windows]
    if day is None and not moments:
        raise ValidationError("cannot place the horizon: no shifts; pass date=... or horizon=...",
                              field="date")
    first = day if day is not None else min(m.astimezone(tz).date() for m in moments)
    last = max([m.astimezone(tz) for m in moments], default=None)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    if last is not None:
        end_day = last.date() if last.time() == time(0) else last.date() + timedelta(days=1)
        end = max(end, datetime.combine(end_day, time(0), tzinfo=tz))
    return Horizon(start, end)


def _locate(exc: ValidationError, tickets: _Table, technicians: _Table,
            parts: _Table | None) -> ValidationError:
    """Name the file, row and column of each cross-reference issue of a Scenario."""
    positions = {
        "Ticket": (tickets, {str(r.get("ticket_id")).strip(): k
                             for k, r in enumerate(tickets.rows)}, _TICKET_FIELDS),
        "Technician": (technicians, {str(r.get("technician_id")).strip(): k
                                     for k, r in enumerate(technicians.rows)}, _TECH_FIELDS),
    }
    if parts is not None:
        positions["Part"] = (parts, {str(r.get("sku")).strip(): k
                                     for k, r in enumerate(parts.rows)}, {"id": "sku"})
    out = []
    for issue in exc.issues:
        located = positions.get(issue.entity or "")
        if located is not None and issue.entity_id in located[1]:
            table, rows, fields = located
            field = (issue.field or "").split("[")[0].split(".")[0]
            column = fields.get(field)
            if issue.field and issue.field.endswith(".id"):  # travel matrix row
                column = "end_location_id" if "end_location" in issue.field else "location_id"
            elif issue.field and issue.field.startswith("shifts"):
                column = "shift_start"
            out.append(type(issue)(
                f"{table.where(rows[issue.entity_id], column)}: {issue.message}",
                entity=issue.entity, entity_id=issue.entity_id,
                field=table.columns.get(column, column) if column else None, value=issue.value))
        else:
            out.append(issue)
    return ValidationError.collect(out)


def scenario_from_frames(tickets: pd.DataFrame, technicians: pd.DataFrame, *,
                         parts: pd.DataFrame | None = None,
                         date: str | date_cls | None = None, timezone: str | tzinfo = "UTC",
                         horizon: Horizon | None = None, travel: TravelModel | None = None,
                         sla_policy: SlaPolicy | None = None,
                         objective: ObjectiveWeights | None = None,
                         skills: Sequence[str] = (), name: str = "",
                         sources: tuple[str, str, str] = ("tickets", "technicians", "parts"),
                         ) -> Scenario:
    """Build a scenario from DataFrames shaped like a service desk's export.

    Parameters
    ----------
    tickets:
        One row per ticket; columns in :data:`TICKET_COLUMNS` (others are ignored).
    technicians:
        One row per technician (one shift each); columns in :data:`TECHNICIAN_COLUMNS`.
    parts:
        Optional parts catalogue (:data:`PART_COLUMNS`); when given, every sku
        referenced must be in it.
    date:
        The day bare local times (``"08:00"``) fall on, ``"YYYY-MM-DD"`` or a
        :class:`datetime.date`. Not needed when every time is a full datetime.
    timezone:
        IANA name (``"Europe/Berlin"``) or ``tzinfo`` of local times without an
        offset; default ``"UTC"``.
    horizon:
        Planning horizon; default from local midnight of ``date`` (or of the
        first shift) to local midnight after the last shift end or window end.
    travel:
        Travel model; default :class:`~fsdispatch.GeometricTravel`. Use
        :func:`read_travel_matrix` for road-network times (tickets and
        technicians then need ``location_id`` columns).
    sla_policy, objective, skills, name:
        As in :class:`~fsdispatch.Scenario`.
    sources:
        Names used in error messages for the three tables.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ValidationError
        Listing every bad cell at once; each message names the table, the row
        (the DataFrame's index label) and the column, e.g.
        ``tickets, row 3, column 'skills': expected 'key:value' items …, got 'hvac=3'``.
    """
    return _frames_to_scenario(
        _Table(tickets, sources[0], False), _Table(technicians, sources[1], False),
        None if parts is None else _Table(parts, sources[2], False), day=_day(date),
        tz=_tz(timezone), horizon=horizon, travel=travel, sla_policy=sla_policy,
        objective=objective, skills=skills, name=name)


def _read_csv(path: str | Path, sep: str | None) -> pd.DataFrame:
    pd = _pandas()
    # strict UTF-8 (BOM allowed), like the JSON files; binary and UTF-16 files are named
    text = _read_text(path, hint=" (save the sheet as 'CSV UTF-8')")
    path = Path(path)
    if not text.strip():
        raise ValidationError(f"{path}: the file is empty; expected a header row",
                              field="path", value=str(path))
    header = text.split("\n", 1)[0]
    if sep is None:
        sep = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValidationError(f"{path}: not a readable CSV file: {first}", field="path",
                              value=str(path)) from None
    return frame


def read_scenario_csv(tickets: str | Path, technicians: str | Path, *,
                      parts: str | Path | None = None, date: str | date_cls | None = None,
                      timezone: str | tzinfo = "UTC", horizon: Horizon | None = None,
                      travel: TravelModel | str | Path | None = None,
                      sla_policy: SlaPolicy | None = None,
                      objective: ObjectiveWeights | None = None, skills: Sequence[str] = (),
                      name: str = "", sep: str | None = None) -> Scenario:
    """Build a scenario from CSV files (e.g. saved from Excel as "CSV UTF-8").

    Parameters
    ----------
    tickets, technicians, parts:
        Paths of the tables (see :func:`scenario_from_frames` for the columns).
    travel:
        A travel model, or the path of a travel matrix (CSV or ``.npz``, see
        :func:`read_travel_matrix`); its ids are checked against the scenario.
    sep:
        Field separator; by default ``;`` when the header holds more ``;`` than
        ``,`` (European Excel), else ``,``.
    date, timezone, horizon, sla_policy, objective, skills, name:
        As in :func:`scenario_from_frames`.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ValidationError
        Every message names the file, the row (as a spreadsheet numbers it:
        the header is row 1) and the column.
    """
    tick_t = _Table(_read_csv(tickets, sep), str(tickets), True)
    tech_t = _Table(_read_csv(technicians, sep), str(technicians), True)
    part_t = None if parts is None else _Table(_read_csv(parts, sep), str(parts), True)
    if isinstance(travel, str | Path):
        travel = read_travel_matrix(travel)
    scenario = _frames_to_scenario(tick_t, tech_t, part_t, day=_day(date), tz=_tz(timezone),
                                   horizon=horizon, travel=travel, sla_policy=sla_policy,
                                   objective=objective, skills=skills,
                                   name=name or Path(tickets).stem)
    return scenario


# ------------------------------------------------------------------ travel matrices
def _location_ids(scenario: Scenario) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for tech in scenario.technicians:
        out.append((f"Technician {tech.id!r}", tech.start_location.id))
        if tech.end_location is not None:
            out.append((f"Technician {tech.id!r}", tech.end_location.id))
        for shift in tech.shifts:
            for loc in (shift.start_location, shift.end_location):
                if loc is not None:
                    out.append((f"Technician {tech.id!r}", loc.id))
    out += [(f"Ticket {t.id!r}", t.location.id) for t in scenario.tickets]
    return out


def check_travel_ids(scenario: Scenario | Sequence[str], travel: MatrixTravel, *,
                     source: str | Path = "travel matrix") -> None:
    """Check that every location of a scenario has a row in a travel matrix.

    Parameters
    ----------
    scenario:
        A scenario, or the location ids it uses.
    travel:
        The matrix (e.g. from :func:`read_travel_matrix`).
    source:
        Name of the matrix in the message (e.g. its file).

    Raises
    ------
    UnknownReferenceError
        Naming how many ids are missing, the first few, and who uses them.
    """
    known = set(travel.location_ids)
    if isinstance(scenario, Scenario):
        used = _location_ids(scenario)
        missing = [(who, loc) for who, loc in used if loc is None or loc not in known]
        if missing:
            shown = ", ".join(f"{who}: {loc!r}" for who, loc in missing[:5])
            raise UnknownReferenceError(
                f"{source}: {len(missing)} location(s) of the scenario have no row in the "
                f"matrix ({shown}{', …' if len(missing) > 5 else ''}); every location needs an "
                f"id from the matrix's {len(known)} location ids", field="location_ids",
                value=missing[0][1])
        return
    absent = sorted({loc for loc in scenario if loc not in known})
    if absent:
        raise UnknownReferenceError(
            f"{source}: {len(absent)} location id(s) used by the scenario are not in the matrix "
            f"({', '.join(map(repr, absent[:5]))}{', …' if len(absent) > 5 else ''})",
            field="location_ids", value=absent[0])


def read_travel_matrix(path: str | Path, *, distances: str | Path | None = None,
                       scenario: Scenario | None = None,
                       distance_unit: Literal["km", "m"] = "km") -> MatrixTravel:
    """Read a travel matrix produced by a road-network router.

    Formats:

    * ``.npz``: arrays ``location_ids`` (strings), ``durations`` (seconds, shape
      ``(n, n)``) and optional ``distances``.
    * square CSV: a header ``location_id,<id 1>,<id 2>,…`` and one row per
      origin ``<id>,<seconds>,…`` (durations; ``distances`` may name a second
      file of the same shape).
    * long CSV: columns ``from``, ``to``, ``duration_s`` and optional
      ``distance_km`` (or ``distance_m``); every ordered pair of distinct ids
      must be present (the diagonal defaults to 0).

    Parameters
    ----------
    path:
        The file.
    distances:
        Optional square CSV of distances (same ids, same order).
    scenario:
        When given, :func:`check_travel_ids` checks that it uses only ids of the matrix.
    distance_unit:
        ``"km"`` (default) or ``"m"`` (OSRM and most routers): the unit of the
        distances in the file; they are stored in km.

    Returns
    -------
    MatrixTravel
        Durations in whole seconds, distances in km.

    Raises
    ------
    ValidationError
        Naming the file and the row and column of a bad value.
    """
    path = _as_path(path)
    scale = 0.001 if distance_unit == "m" else 1.0
    if distance_unit not in ("km", "m"):
        raise ValidationError(f"distance_unit must be 'km' or 'm', got {distance_unit!r}",
                              field="distance_unit", value=distance_unit)
    if path.suffix.lower() == ".npz":
        travel = _read_npz(path, scale)
    else:
        travel = _read_matrix_csv(path, distances, scale)
    if scenario is not None:
        check_travel_ids(scenario, travel, source=path)
    return travel


def _read_npz(path: Path, scale: float) -> MatrixTravel:
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError:  # neither an archive nor an array: numpy tries (and refuses) pickle
        raise ValidationError(f"cannot read {str(path)!r}: not a NumPy .npz archive",
                              field="path", value=str(path)) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValidationError(f"cannot read {str(path)!r}: {exc}", field="path",
                              value=str(path)) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValidationError(f"{path}: expected an .npz archive of arrays, got a single array",
                              field="path", value=str(path))
    with data:
        for key in ("location_ids", "durations"):
            if key not in data.files:
                raise ValidationError(f"{path}: array {key!r} is missing (arrays: "
                                      f"{', '.join(data.files)})", field=key)
        try:
            ids = [str(x) for x in np.atleast_1d(data["location_ids"]).tolist()]
            durations = _npz_numbers(path, "durations", data["durations"])
            dist = (_npz_numbers(path, "distances", data["distances"]) * scale
                    if "distances" in data.files else None)
        except ValidationError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValidationError(f"cannot read {str(path)!r}: {exc}", field="path",
                                  value=str(path)) from None
    return _matrix(path, ids, durations, dist)


def _npz_numbers(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """``array`` as float64, rejecting booleans and non-numbers (naming the array)."""
    if array.dtype.kind not in "iuf":
        raise ValidationError(f"{path}: array {key!r} must hold numbers, got dtype "
                              f"{array.dtype}", field=key, value=str(array.dtype))
    return array.astype(np.float64)


def _matrix(source: Path, ids: list[str], durations: Any, distances: Any) -> MatrixTravel:
    try:
        return MatrixTravel(location_ids=ids, durations=durations, distances=distances)
    except ValidationError as exc:
        raise ValidationError(f"{source}: {exc.message}", entity="MatrixTravel",
                              field=exc.field, value=exc.value) from None


def _numeric(path: Path, frame: Any, first_row: int, offset: int = 1) -> np.ndarray:
    values = np.full(frame.shape, np.nan)
    for i in range(frame.shape[0]):
        for j in range(frame.shape[1]):
            cell = frame.iat[i, j]
            try:
                values[i, j] = _as_float(cell)
            except _CellError:
                raise ValidationError(
                    f"{path}, row {i + first_row}, column {str(frame.columns[j])!r}: expected a "
                    f"number, got {cell!r}", field=str(frame.columns[j]), value=cell) from None
    return values


def _read_matrix_csv(path: Path, distances: str | Path | None, scale: float) -> MatrixTravel:
    frame = _read_csv(path, None)
    cols = [str(c).strip().lower() for c in frame.columns]
    if "from" in cols and "to" in cols:
        frame.columns = cols
        if "duration_s" not in cols:
            raise ValidationError(f"{path}: required column 'duration_s' is missing (columns: "
                                  f"{', '.join(cols)})", field="duration_s")
        ids = list(dict.fromkeys([str(v).strip() for v in frame["from"]]
                                 + [str(v).strip() for v in frame["to"]]))
        pos = {loc: k for k, loc in enumerate(ids)}
        n = len(ids)
        dur = np.full((n, n), np.nan)
        np.fill_diagonal(dur, 0.0)
        dist_col = "distance_km" if "distance_km" in cols else (
            "distance_m" if "distance_m" in cols else None)
        dist = np.full((n, n), np.nan) if dist_col else None
        if dist is not None:
            np.fill_diagonal(dist, 0.0)
        want = ["duration_s"] + ([dist_col] if dist_col else [])
        values = _numeric(path, frame[want], 2)
        for k in range(frame.shape[0]):
            a, b = pos[str(frame["from"].iat[k]).strip()], pos[str(frame["to"].iat[k]).strip()]
            dur[a, b] = values[k, 0]
            if dist is not None:
                dist[a, b] = values[k, 1] * (0.001 if dist_col == "distance_m" else scale)
        if np.isnan(dur).any():
            a, b = (int(x) for x in np.argwhere(np.isnan(dur))[0])
            raise ValidationError(f"{path}: no row for the pair from {ids[a]!r} to {ids[b]!r} "
                                  "(every ordered pair of distinct ids is needed)",
                                  field="from", value=(ids[a], ids[b]))
        if dist is not None and np.isnan(dist).any():
            dist = None
        return _matrix(path, ids, dur, dist)
    ids = [str(v).strip() for v in frame.iloc[:, 0]]
    header = [str(c).strip() for c in frame.columns[1:]]
    if ids != header:
        raise ValidationError(
            f"{path}: a square matrix needs the same ids, in the same order, in the first column "
            f"and the header; got {len(ids)} row ids and {len(header)} column ids"
            + (f" (first difference: row {ids[k]!r} vs column {header[k]!r})"
               if (k := next((i for i, (a, b) in enumerate(zip(ids, header, strict=False))
                              if a != b), -1)) >= 0 else ""),
            field="location_ids", value=len(ids))
    dur = _numeric(path, frame.iloc[:, 1:], 2)
    dist = None
    if distances is not None:
        dframe = _read_csv(distances, None)
        dids = [str(v).strip() for v in dframe.iloc[:, 0]]
        if dids != ids or [str(c).strip() for c in dframe.columns[1:]] != ids:
            raise ValidationError(f"{distances}: distance matrix ids differ from the ids of "
                                  f"{path}", field="location_ids", value=str(distances))
        dist = _numeric(Path(distances), dframe.iloc[:, 1:], 2) * scale
    return _matrix(path, ids, dur, dist)


# ------------------------------------------------------------------ output frames
def _resolve(source: Any, plan: Plan | None, evaluation: Evaluation | None) -> Any:
    from ..report._model import DayModel, build_day, resolve_inputs

    if isinstance(source, DayModel):
        return source
    problem, plan, evaluation, solver = resolve_inputs(source, plan, evaluation)
    return build_day(problem, plan, evaluation, solver)


def _datetimes(problem: Problem, seconds: Sequence[int | None]) -> Any:
    """Seconds from the horizon start -> a timezone-aware datetime Series (NaT for None)."""
    pd = _pandas()
    start = problem.scenario.horizon.start
    values = [pd.NaT if s is None else start + timedelta(seconds=int(s)) for s in seconds]
    series = pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[s, UTC]")
    return series.dt.tz_convert(start.tzinfo)


def visits_frame(source: Any, plan: Plan | None = None,
                 evaluation: Evaluation | None = None) -> pd.DataFrame:
    """One row per visit, in route order.

    Parameters
    ----------
    source:
        A :class:`~fsdispatch.SolveResult`, or a Problem (or Scenario) with ``plan``.
    plan, evaluation:
        The plan and (optionally) its evaluation; evaluated when omitted.

    Returns
    -------
    pandas.DataFrame
        Columns ``technician_id``, ``shift``, ``position``, ``ticket_id``,
        ``priority``, ``category``, ``windows`` (local text), ``depart``,
        ``arrival``, ``start``, ``end`` (timezone-aware), ``travel_min``,
        ``travel_km``, ``wait_min``, ``service_min``, ``window_late_min``,
        ``sla_late_min``, ``response_by``, ``resolve_by`` and ``sla_slack_min``
        (minutes to the nearer SLA deadline; negative when late; empty without
        deadline), then ``lat``/``lon`` (or ``x``/``y``).
    """
    pd = _pandas()
    from ..report._model import window_text

    day = _resolve(source, plan, evaluation)
    problem = day.problem
    scenario = problem.scenario
    visits = [v for r in day.routes for v in r.visits]
    routes = {r.route: r for r in day.routes}
    geo = bool(scenario.tickets) and scenario.tickets[0].location.geographic
    records: dict[str, Any] = {
        "technician_id": [routes[v.route].technician_id for v in visits],
        "shift": [routes[v.route].shift for v in visits],
        "position": [v.position for v in visits],
        "ticket_id": [v.ticket_id for v in visits],
        "priority": [scenario.tickets[v.ticket_idx].priority.name for v in visits],
        "category": [scenario.tickets[v.ticket_idx].category for v in visits],
        "windows": [window_text(problem, v.ticket_idx) for v in visits],
        "depart": _datetimes(problem, [v.depart for v in visits]),
        "arrival": _datetimes(problem, [v.arrival for v in visits]),
        "start": _datetimes(problem, [v.start for v in visits]),
        "end": _datetimes(problem, [v.end for v in visits]),
        "travel_min": [v.travel / MINUTE for v in visits],
        "travel_km": [v.travel_km for v in visits],
        "wait_min": [v.wait / MINUTE for v in visits],
        "service_min": [(v.end - v.start) / MINUTE for v in visits],
        "window_late_min": [v.window_late / MINUTE for v in visits],
        "sla_late_min": [v.sla_late / MINUTE for v in visits],
        "response_by": _datetimes(problem, [v.response_by for v in visits]),
        "resolve_by": _datetimes(problem, [v.resolve_by for v in visits]),
        "sla_slack_min": [np.nan if v.slack is None else v.slack / MINUTE for v in visits],
    }
    locs = [scenario.tickets[v.ticket_idx].location for v in visits]
    if geo:
        records["lat"] = [loc.lat for loc in locs]
        records["lon"] = [loc.lon for loc in locs]
    else:
        records["x"] = [loc.x for loc in locs]
        records["y"] = [loc.y for loc in locs]
    frame = pd.DataFrame(records)
    return frame


def technicians_frame(source: Any, plan: Plan | None = None,
                      evaluation: Evaluation | None = None) -> pd.DataFrame:
    """One row per technician: the evaluator's per-technician KPIs.

    Returns
    -------
    pandas.DataFrame
        Columns of :class:`~fsdispatch.TechnicianKpis` (``technician_id``,
        ``tickets``, ``travel_min``, ``distance_km``, ``service_min``,
        ``work_min``, ``shift_min``, ``break_min``, ``idle_min``,
        ``utilisation_pct``, ``overtime_min``) plus ``routes_used`` and
        ``first_start``/``last_return`` (timezone-aware; empty when idle).
    """
    pd = _pandas()
    day = _resolve(source, plan, evaluation)
    rows = [attrs.asdict(t) for t in day.evaluation.technicians]
    frame = pd.DataFrame(rows, columns=[f.name for f in attrs.fields(
        type(day.evaluation.technicians[0]))] if rows else None)
    by_tech: dict[str, list[Any]] = {}
    for r in day.routes:
        by_tech.setdefault(r.technician_id, []).append(r)
    ids = list(frame["technician_id"]) if rows else []
    used = [sum(1 for r in by_tech.get(t, []) if r.visits) for t in ids]
    first = [min((r.visits[0].depart for r in by_tech.get(t, []) if r.visits), default=None)
             for t in ids]
    last = [max((r.home_arrival for r in by_tech.get(t, []) if r.home_arrival is not None),
                default=None) for t in ids]
    if rows:
        frame["routes_used"] = used
        frame["first_start"] = _datetimes(day.problem, first)
        frame["last_return"] = _datetimes(day.problem, last)
    return frame


def unassigned_frame(source: Any, plan: Plan | None = None,
                     evaluation: Evaluation | None = None) -> pd.DataFrame:
    """One row per unassigned ticket with its reason.

    Returns
    -------
    pandas.DataFrame
        Columns ``ticket_id``, ``priority``, ``category``, ``skills``
        (``"hvac:2"`` form), ``windows``, ``reason`` (an
        :class:`~fsdispatch.UnassignedReason` value) and ``explanation``.
    """
    pd = _pandas()
    from ..report._model import REASON_TEXT, window_text

    day = _resolve(source, plan, evaluation)
    tickets = day.problem.scenario.tickets
    rows = [{
        "ticket_id": tickets[j].id, "priority": tickets[j].priority.name,
        "category": tickets[j].category,
        "skills": ";".join(f"{s}:{lvl}" for s, lvl in tickets[j].required_skills.items()),
        "windows": window_text(day.problem, j), "reason": reason,
        "explanation": REASON_TEXT.get(reason, reason)} for j, reason in day.unassigned]
    frame = pd.DataFrame(rows, columns=["ticket_id", "priority", "category", "skills",
                                        "windows", "reason", "explanation"])
    return frame


def kpis_frame(source: Any, plan: Plan | None = None, evaluation: Evaluation | None = None,
               *, label: str | None = None) -> pd.DataFrame:
    """The plan's KPIs as a one-row DataFrame (concatenate several to compare plans).

    Nested KPIs are flattened: ``assigned_P1`` / ``tickets_P1`` per priority and
    ``unassigned_<reason>`` per reason. ``objective`` and ``feasible`` are
    added. The row is labelled ``label`` (default: the solver name or ``"plan"``).
    """
    pd = _pandas()
    day = _resolve(source, plan, evaluation)
    kpis = day.evaluation.kpis.to_dict()
    row: dict[str, Any] = {"objective": day.evaluation.objective,
                           "feasible": day.evaluation.is_feasible}
    for key, value in kpis.items():
        if key == "assigned_by_priority":
            for prio, (served, total) in value.items():
                row[f"assigned_{prio}"] = served
                row[f"tickets_{prio}"] = total
        elif key == "unassigned_by_reason":
            for reason, count in sorted(value.items()):
                row[f"unassigned_{reason}"] = count
        else:
            row[key] = value
    frame = pd.DataFrame([row], index=[label or day.solver or "plan"])
    return frame


@attrs.frozen(eq=False)
class PlanFrames:
    """A plan as four DataFrames: ``visits``, ``technicians``, ``unassigned``, ``kpis``."""

    visits: Any
    technicians: Any
    unassigned: Any
    kpis: Any

    def to_csv(self, directory: str | Path) -> list[Path]:
        """Write ``visits.csv``, ``technicians.csv``, ``unassigned.csv``, ``kpis.csv``.

        Returns
        -------
        list of Path
            The files written (the directory is created if needed).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        out = []
        for name in ("visits", "technicians", "unassigned", "kpis"):
            path = directory / f"{name}.csv"
            getattr(self, name).to_csv(path, index=name == "kpis", index_label="label"
                                       if name == "kpis" else None)
            out.append(path)
        return out


def plan_to_frames(source: Any, plan: Plan | None = None,
                   evaluation: Evaluation | None = None) -> PlanFrames:
    """All output tables of a plan at once (see :func:`visits_frame` and the others).

    Parameters
    ----------
    source:
        A :class:`~fsdispatch.SolveResult`, or a Problem (or Scenario) with ``plan``.
    plan, evaluation:
        The plan and (optionally) its evaluation; evaluated once when omitted.

    Returns
    -------
    PlanFrames
        ``visits`` (one row per visit), ``technicians`` (one per technician),
        ``unassigned`` (one per unassigned ticket, with its reason) and ``kpis``
        (one row).
    """
    day = _resolve(source, plan, evaluation)
    return PlanFrames(visits=visits_frame(day), technicians=technicians_frame(day),
                      unassigned=unassigned_frame(day), kpis=kpis_frame(day))
