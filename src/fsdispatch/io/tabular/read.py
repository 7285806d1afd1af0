"""Scenarios from tables: DataFrames or CSV files shaped like a service desk's export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date as date_cls
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...domain import (
    Asset,
    Break,
    CostRates,
    GeometricTravel,
    Part,
    Scenario,
    Shift,
    SlaPolicy,
    SpeedProfile,
    Technician,
    Ticket,
    TimeDependentTravel,
    TimeWindow,
)
from ...domain.asset import MaintenancePlan
from ...domain.objective import ObjectiveWeights
from ...errors import UnknownReferenceError, ValidationError
from ...units import DAY, Horizon
from ..json_format import MaintenanceBook
from ._cells import (
    _TIME_RANGE,
    _as_float,
    _as_int,
    _CellError,
    _Clock,
    _factors,
    _ids,
    _levels,
    _minutes,
    _quantities,
)
from ._columns import _ASSET_FIELDS, _PLAN_FIELDS, _TECH_FIELDS, _TICKET_FIELDS
from ._table import _read_csv, _Row, _Table
from .travel_matrix import read_speed_profile, read_travel_matrix

if TYPE_CHECKING:
    import pandas as pd

    from ...domain.traffic import TravelModel

__all__ = ["maintenance_from_frames", "read_maintenance_csv", "read_scenario_csv",
           "scenario_from_frames"]


def _read_ticket(row: _Row, clock: _Clock) -> Ticket | None:
    from ...domain import Priority

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
        "asset_id": row.get("asset_id", lambda v: str(v).strip()),
        "territory": row.get("territory", lambda v: str(v).strip()),
        "crew_size": row.get("crew_size", _as_int, 1),
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
        "territories": row.get("territories", _ids, ()),
        "team": row.get("team", lambda v: str(v).strip()),
        "certifications": row.get("certifications", clock.certifications, {}),
        "max_weekly_work": row.get("max_weekly_work_min", _minutes),
        "weekly_overtime_after": row.get("weekly_overtime_after_min", _minutes),
        "week_work_done": row.get("week_work_done_min", _minutes, 0),
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


def _read_asset(row: _Row, clock: _Clock) -> Asset | None:
    aid = row.required("asset_id", lambda v: str(v).strip())
    location = row.location()
    kwargs = {
        "kind": row.get("kind", lambda v: str(v).strip(), ""),
        "installed_at": row.get("installed_at", clock.at),
        "customer_id": row.get("customer_id", lambda v: str(v).strip()),
    }
    if not row.ok:
        return None
    result: Asset | None = row.build(Asset, _ASSET_FIELDS, aid, id=aid, location=location,
                                     **kwargs)
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
                        name: str, assets_table: _Table | None = None,
                        cost_rates: CostRates | None = None) -> Scenario:
    tickets.require(("ticket_id",), ("duration_min",))
    technicians.require(("technician_id",), ("shift_start",), ("shift_end",))
    if parts_table is not None:
        parts_table.require(("sku",))
    if assets_table is not None:
        assets_table.require(("asset_id",))
    clock = _Clock(day, tz)
    techs = [_read_technician(_Row(technicians, k), clock) for k in range(len(technicians.rows))]
    ticks = [_read_ticket(_Row(tickets, k), clock) for k in range(len(tickets.rows))]
    parts = ([_read_part(_Row(parts_table, k)) for k in range(len(parts_table.rows))]
             if parts_table is not None else [])
    assets = ([_read_asset(_Row(assets_table, k), clock) for k in range(len(assets_table.rows))]
              if assets_table is not None else [])
    issues = technicians.issues + tickets.issues + (parts_table.issues if parts_table else [])
    issues += assets_table.issues if assets_table else []
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
                        name=name, assets=[a for a in assets if a is not None],
                        cost_rates=cost_rates if cost_rates is not None else CostRates())
    except ValidationError as exc:
        raise _locate(exc, tickets, technicians, parts_table, assets_table) from None


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
            parts: _Table | None, assets: _Table | None = None) -> ValidationError:
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
    if assets is not None:
        positions["Asset"] = (assets, {str(r.get("asset_id")).strip(): k
                                       for k, r in enumerate(assets.rows)}, _ASSET_FIELDS)
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
                         sources: tuple[str, ...] = ("tickets", "technicians", "parts"),
                         assets: pd.DataFrame | None = None,
                         cost_rates: CostRates | None = None) -> Scenario:
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
        Names used in error messages for the tables: tickets, technicians, parts and
        (optionally, default ``"assets"``) assets.
    assets:
        Optional assets table (:data:`ASSET_COLUMNS`); when given, every ticket's
        ``asset_id`` must name one of its rows.
    cost_rates:
        Money rates of driving for the cost KPIs (:class:`~fsdispatch.CostRates`).

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
        objective=objective, skills=skills, name=name,
        assets_table=None if assets is None else _Table(
            assets, sources[3] if len(sources) > 3 else "assets", False),
        cost_rates=cost_rates)


def read_scenario_csv(tickets: str | Path, technicians: str | Path, *,
                      parts: str | Path | None = None, date: str | date_cls | None = None,
                      timezone: str | tzinfo = "UTC", horizon: Horizon | None = None,
                      travel: TravelModel | str | Path | None = None,
                      sla_policy: SlaPolicy | None = None,
                      objective: ObjectiveWeights | None = None, skills: Sequence[str] = (),
                      name: str = "", sep: str | None = None,
                      assets: str | Path | None = None,
                      cost_rates: CostRates | None = None,
                      speed_profile: SpeedProfile | str | Path | None = None) -> Scenario:
    """Build a scenario from CSV files (e.g. saved from Excel as "CSV UTF-8").

    Parameters
    ----------
    tickets, technicians, parts, assets:
        Paths of the tables (see :func:`scenario_from_frames` for the columns).
    travel:
        A travel model, or the path of a travel matrix (CSV or ``.npz``, see
        :func:`read_travel_matrix`); its ids are checked against the scenario.
    speed_profile:
        Traffic: a :class:`~fsdispatch.SpeedProfile`, or the path of a
        ``time,factor[,weekday]`` CSV (see :func:`read_speed_profile`). The
        scenario's travel is then ``TimeDependentTravel(travel, profile)`` (the
        default straight-line model when ``travel`` is not given). Default: none
        (static travel).
    sep:
        Field separator; by default ``;`` when the header holds more ``;`` than
        ``,`` (European Excel), else ``,``.
    date, timezone, horizon, sla_policy, objective, skills, name, cost_rates:
        As in :func:`scenario_from_frames`.

    Returns
    -------
    Scenario
        The validated scenario, named after the tickets file unless ``name`` is given.

    Raises
    ------
    ValidationError
        Every message names the file, the row (as a spreadsheet numbers it:
        the header is row 1) and the column.
    """
    tick_t = _Table(_read_csv(tickets, sep), str(tickets), True)
    tech_t = _Table(_read_csv(technicians, sep), str(technicians), True)
    part_t = None if parts is None else _Table(_read_csv(parts, sep), str(parts), True)
    asset_t = None if assets is None else _Table(_read_csv(assets, sep), str(assets), True)
    if isinstance(travel, str | Path):
        travel = read_travel_matrix(travel)
    if speed_profile is not None:
        travel = _with_traffic(travel, speed_profile)
    scenario = _frames_to_scenario(tick_t, tech_t, part_t, day=_day(date), tz=_tz(timezone),
                                   horizon=horizon, travel=travel, sla_policy=sla_policy,
                                   objective=objective, skills=skills,
                                   name=name or Path(tickets).stem, assets_table=asset_t,
                                   cost_rates=cost_rates)
    return scenario




def _with_traffic(travel: TravelModel | None,
                  profile: SpeedProfile | str | Path) -> TimeDependentTravel:
    """``travel`` (default: the straight-line model) timed under a speed profile (a static
    base is checked by :class:`~fsdispatch.TimeDependentTravel`, naming the field)."""
    if isinstance(profile, str | Path):
        profile = read_speed_profile(profile)
    base = travel if travel is not None else GeometricTravel()
    return TimeDependentTravel(base, profile)  # type: ignore[arg-type]


# ------------------------------------------------------------ maintenance plans
def _days(value: Any) -> int:
    """Days (a number, decimals allowed) -> seconds."""
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    return round(_as_float(value) * DAY)


def _read_plan(row: _Row, clock: _Clock) -> tuple[MaintenancePlan | None, datetime | None]:
    from ...domain import Priority

    asset_id = row.required("asset_id", lambda v: str(v).strip())
    every = row.required("every_days", _days)
    duration = row.required("duration_min", _minutes)

    def priority(v: Any) -> Any:
        try:
            return Priority.parse(int(v) if str(v).strip().isdigit() else str(v).strip())
        except ValidationError:
            raise _CellError("P1..P4 or 1..4") from None

    kwargs = {
        "tolerance": row.get("tolerance_days", _days, 0),
        "required_skills": row.get("skills", _levels, {}),
        "parts": row.get("parts", _quantities, {}),
        "name": row.get("name", lambda v: str(v).strip(), ""),
        "category": row.get("category", lambda v: str(v).strip(), "maintenance"),
        "priority": row.get("priority", priority, Priority.P4),
    }
    last = row.get("last_done", clock.at)
    if not row.ok:
        return None, None
    plan: MaintenancePlan | None = row.build(MaintenancePlan, _PLAN_FIELDS, asset_id,
                                             asset_id=asset_id, every=every,
                                             duration=duration, **kwargs)
    return plan, last


def _frames_to_maintenance(plans_table: _Table, assets_table: _Table | None,
                           tz: tzinfo) -> MaintenanceBook:
    plans_table.require(("asset_id",), ("every_days",), ("duration_min",))
    if assets_table is not None:
        assets_table.require(("asset_id",))
    clock = _Clock(None, tz)
    assets = ([_read_asset(_Row(assets_table, k), clock) for k in range(len(assets_table.rows))]
              if assets_table is not None else [])
    read = [_read_plan(_Row(plans_table, k), clock) for k in range(len(plans_table.rows))]
    if assets_table is not None:
        seen: set[str] = set()
        for k, asset in enumerate(assets):
            if asset is not None and asset.id in seen:
                assets_table.error(k, "asset_id", f"asset id {asset.id!r} must be unique "
                                   "(found more than once)", value=asset.id,
                                   entity_id=asset.id)
            elif asset is not None:
                seen.add(asset.id)
        for k, (plan, _) in enumerate(read):
            if plan is not None and plan.asset_id not in seen:
                plans_table.error(k, "asset_id", f"references unknown asset {plan.asset_id!r}",
                                  value=plan.asset_id, entity_id=plan.label,
                                  cls=UnknownReferenceError)
    issues = (assets_table.issues if assets_table else []) + plans_table.issues
    if issues:
        raise ValidationError.collect(issues)
    plans = [p for p, _ in read if p is not None]
    last_done = {p.label: when for p, when in read if p is not None and when is not None}
    return MaintenanceBook([a for a in assets if a is not None], plans, last_done)


def maintenance_from_frames(plans: pd.DataFrame, assets: pd.DataFrame | None = None, *,
                            timezone: str | tzinfo = "UTC",
                            sources: tuple[str, str] = ("plans", "assets")) -> MaintenanceBook:
    """Assets, maintenance plans and last visits from DataFrames.

    Parameters
    ----------
    plans:
        One row per plan; columns in :data:`PLAN_COLUMNS` (others are ignored).
        ``last_done`` gives the plan's entry of ``last_done`` (keyed
        ``asset_id`` or ``asset_id/name``, as :func:`~fsdispatch.maintenance_tickets`
        reads it).
    assets:
        Optional assets table (:data:`ASSET_COLUMNS`); when given, every plan must
        name one of its assets and asset ids must be unique.
    timezone:
        IANA name or ``tzinfo`` of datetimes without an offset (default ``"UTC"``).
    sources:
        Names of the two tables in error messages.

    Returns
    -------
    MaintenanceBook
        ``(assets, plans, last_done)``; ``assets`` is empty without an assets table.

    Raises
    ------
    ValidationError
        Listing every bad cell at once, each naming the table, the row and the column.
    """
    return _frames_to_maintenance(
        _Table(plans, sources[0], False),
        None if assets is None else _Table(assets, sources[1], False), _tz(timezone))


def read_maintenance_csv(plans: str | Path, assets: str | Path | None = None, *,
                         timezone: str | tzinfo = "UTC", sep: str | None = None
                         ) -> MaintenanceBook:
    """Assets, maintenance plans and last visits from CSV files (see
    :func:`maintenance_from_frames` for the columns); errors name the file, the row
    (the header is row 1) and the column."""
    plan_t = _Table(_read_csv(plans, sep), str(plans), True)
    asset_t = None if assets is None else _Table(_read_csv(assets, sep), str(assets), True)
    return _frames_to_maintenance(plan_t, asset_t, _tz(timezone))
