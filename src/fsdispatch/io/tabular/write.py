"""Plans out as DataFrames: visits, technicians, unassigned tickets with reasons, KPIs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..._day import DayModel, build_day, resolve_inputs, window_text
from ...problem.reasons import REASON_TEXT
from ...units import MINUTE
from ._cells import _pandas

if TYPE_CHECKING:
    import pandas as pd

    from ...evaluate.evaluation import Evaluation
    from ...plan import Plan
    from ...problem.problem import Problem

__all__ = ["PlanFrames", "kpis_frame", "plan_to_frames", "teams_frame", "technicians_frame",
           "territories_frame", "unassigned_frame",
           "visits_frame"]


def _resolve(source: Any, plan: Plan | None, evaluation: Evaluation | None) -> DayModel:
    """The day of ``source`` (a DayModel is passed through; see :func:`visits_frame`)."""
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
        deadline), ``asset_id`` when some ticket is on an asset, then ``lat``/``lon``
        (or ``x``/``y``).
    """
    pd = _pandas()
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
    if any(t.asset_id is not None for t in scenario.tickets):
        records["asset_id"] = [scenario.tickets[v.ticket_idx].asset_id for v in visits]
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
        ``utilisation_pct``, ``overtime_min``, ``labour_cost``, ``travel_cost``,
        ``parts_cost``, ``appointment_visits``, ``on_time_visits``, ``weekly_overtime_min``)
        plus ``routes_used`` and
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

    The tickets come in the scenario's order; ``explanation`` says the reason in words
    (the text the HTML report shows).

    Returns
    -------
    pandas.DataFrame
        Columns ``ticket_id``, ``priority``, ``category``, ``skills``
        (``"hvac:2"`` form), ``windows``, ``reason`` (an
        :class:`~fsdispatch.UnassignedReason` value) and ``explanation``.
    """
    pd = _pandas()
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
    ``unassigned_<reason>`` per reason; the per-territory and per-team KPIs have
    their own frames (:func:`territories_frame`, :func:`teams_frame`). ``objective`` and
    ``feasible`` are added. The row is labelled ``label`` (default: the solver name or ``"plan"``).
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
        elif key in ("by_territory", "by_team"):
            continue  # one row each: territories_frame, teams_frame
        else:
            row[key] = value
    frame = pd.DataFrame([row], index=[label or day.solver or "plan"])
    return frame


def territories_frame(source: Any, plan: Plan | None = None,
                      evaluation: Evaluation | None = None) -> pd.DataFrame:
    """One row per ticket territory: :class:`~fsdispatch.TerritoryKpis`.

    Returns
    -------
    pandas.DataFrame
        Columns ``territory`` (``""``: tickets without one), ``tickets``, ``assigned``,
        ``out_of_territory``, ``service_min``, ``appointment_tickets``,
        ``on_time_tickets`` and ``on_time_pct``; the counts sum to the plan's totals.
    """
    pd = _pandas()
    day = _resolve(source, plan, evaluation)
    from ...evaluate.evaluation import TerritoryKpis

    return pd.DataFrame([attrs.asdict(k) for k in day.evaluation.kpis.by_territory.values()],
                        columns=[f.name for f in attrs.fields(TerritoryKpis)])


def teams_frame(source: Any, plan: Plan | None = None,
                evaluation: Evaluation | None = None) -> pd.DataFrame:
    """One row per technician team: :class:`~fsdispatch.TeamKpis`.

    Returns
    -------
    pandas.DataFrame
        Columns ``team`` (``""``: technicians without one), ``technicians``, ``tickets``,
        ``travel_min``, ``service_min``, ``work_min``, ``overtime_min``,
        ``utilisation_pct``, ``visits``, the money (``labour_cost``, ``travel_cost``,
        ``parts_cost``, ``total_cost``, ``cost_per_ticket``), the punctuality
        (``appointment_tickets``, ``on_time_tickets``, ``on_time_pct``) and
        ``expected_first_time_fix_pct``: the fields of :class:`~fsdispatch.TeamKpis`,
        which says how a crew ticket counts.
    """
    pd = _pandas()
    day = _resolve(source, plan, evaluation)
    from ...evaluate.evaluation import TeamKpis

    return pd.DataFrame([attrs.asdict(k) for k in day.evaluation.kpis.by_team.values()],
                        columns=[f.name for f in attrs.fields(TeamKpis)])


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
