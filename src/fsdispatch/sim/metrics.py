"""KPIs per replication and aggregates with 95 % confidence intervals.

Formulas (times in hours; a "ticket" is every ticket that arrived, follow-ups
included unless said otherwise):

* ``first_response_h``: mean of (first time planned to a technician − arrival).
* ``time_to_arrival_h``: mean of (first arrival on site with the customer home − arrival).
* ``resolution_h``: mean of (completion of the last visit, follow-up included −
  arrival of the original ticket), over resolved original tickets; ``_p50``,
  ``_p90`` percentiles as well.
* ``sla_response``: share of original tickets with a response target whose
  first on-site arrival is within it (open ones count as missed once the
  target has passed by the horizon; tickets whose target lies beyond the
  horizon and are still unanswered are left out).
* ``sla_resolution``: the same with resolution against the resolution target.
* ``ftf_rate``: completed original tickets without a follow-up / completed originals.
* ``tickets_per_tech_day``: completed visits / technician-days worked.
* ``utilisation``: service time on site / shift time.
* ``travel_share``: travel time / shift time.
* ``load_imbalance``: coefficient of variation of service time per technician-day worked.
* ``overtime_h_per_tech_day``: work past the shift end / technician-days worked.
* ``backlog_end``: open tickets at the horizon; ``backlog_mean``: hourly mean.
* ``completed``, ``cancelled``, ``open``: ticket outcomes at the horizon.

Per technician team (:func:`team_kpis`, :data:`TEAM_KPI_NAMES`; ``Technician.team``,
``""`` for technicians without one): a ticket belongs to the team of the technician
who completed it, a technician's time to their team.

* ``technicians``: the team's technicians (of any day's workforce).
* ``completed``: visits the team completed (follow-ups included).
* ``ftf_rate``: originals the team completed without a follow-up / originals it completed.
* ``sla_response``: share of the originals the team completed, with a response
  target, whose first on-site arrival met it.
* ``tickets_per_tech_day``, ``utilisation``, ``travel_share``,
  ``overtime_h_per_tech_day``: as above, over the team's technicians.
* ``labour_cost``: Σ ``cost_per_hour`` × (travel + service) hours of its technicians;
  ``labour_cost_per_visit`` = ``labour_cost`` / ``completed``.

With a parts model (:data:`PARTS_KPI_NAMES`):

* ``stockouts``: first visits that lacked a needed part in the van.
* ``stockout_follow_ups``: follow-up tickets created by stock-outs that arrived.
* ``follow_up_visits``: completed visits of follow-up tickets (any cause).
* ``parts_fill_rate``: 1 − units missing at first visits / units needed at them.
* ``parts_used``: units consumed.
* ``van_stock_value``: hourly mean of Σ over vans and skus of units × unit cost.
* ``parts_holding_cost``: carrying rate × ``van_stock_value`` × days / 365.

The 95 % interval of a KPI over ``n`` replications is the t-interval
``mean ± t(0.975, n−1) · s / √n`` clipped to the KPI's natural range
(:data:`KPI_RANGES`: rates in [0, 1], times, counts and costs ≥ 0):
``[max(mean − h, lo), min(mean + h, hi)]``. The true mean lies in that range,
so clipping never removes it from an interval that contained it (the coverage
is at least the t-interval's); it only drops impossible values such as a
negative lower bound with few seeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SimulationError
from .parts import PARTS_KPI_NAMES

if TYPE_CHECKING:
    from .outcome import SimResult

__all__ = ["KPI_NAMES", "KPI_RANGES", "PARTS_KPI_NAMES", "TEAM_KPI_NAMES", "aggregate",
           "confidence_interval", "kpi_range", "replication_kpis", "team_kpis"]

KPI_NAMES = (
    "first_response_h", "time_to_arrival_h", "resolution_h", "resolution_h_p50",
    "resolution_h_p90", "sla_response", "sla_resolution", "ftf_rate", "tickets_per_tech_day",
    "utilisation", "travel_share", "load_imbalance", "overtime_h_per_tech_day",
    "backlog_mean", "backlog_end", "arrived", "completed", "cancelled", "open",
)

#: KPIs of :func:`team_kpis` (per technician team)
TEAM_KPI_NAMES = (
    "technicians", "completed", "ftf_rate", "sla_response", "tickets_per_tech_day",
    "utilisation", "travel_share", "overtime_h_per_tech_day", "labour_cost",
    "labour_cost_per_visit",
)


#: natural range ``(low, high)`` of each KPI; CIs are clipped to it. Shares
#: bounded by construction are in [0, 1]; ``utilisation`` and ``travel_share``
#: are ratios to shift time (overtime may push them past 1), so only >= 0.
KPI_RANGES: dict[str, tuple[float, float]] = {
    **{k: (0.0, math.inf) for k in KPI_NAMES + PARTS_KPI_NAMES + TEAM_KPI_NAMES},
    "sla_response": (0.0, 1.0), "sla_resolution": (0.0, 1.0), "ftf_rate": (0.0, 1.0),
    "parts_fill_rate": (0.0, 1.0),
}


def kpi_range(kpi: str) -> tuple[float, float]:
    """The natural range ``(low, high)`` of a KPI (unknown names: unbounded).

    Rates (``*_rate``, ``sla_*``, ``*_share`` of tickets) are in [0, 1];
    times, counts and costs are >= 0. See :data:`KPI_RANGES`.
    """
    if kpi in KPI_RANGES:
        return KPI_RANGES[kpi]
    if kpi.endswith("_rate") or kpi.startswith("sla_"):
        return 0.0, 1.0
    return -math.inf, math.inf


def _pd() -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise SimulationError("results as DataFrames need pandas: pip install pandas "
                              "(or fsdispatch[pandas])") from None
    return pd


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sla_met(arrival: int, target: int | None, at: int | None, horizon: int) -> bool | None:
    """Whether ``at`` met the target; ``None`` when there is none, or it is open and not yet due."""
    if target is None:
        return None
    due = arrival + target
    if at is not None:
        return at <= due
    return False if due <= horizon else None


def replication_kpis(result: SimResult) -> dict[str, float]:
    """KPIs of one replication (formulas in the module docstring)."""
    horizon = result.days * 86400
    recs = result.tickets
    originals = [r for r in recs if r.follow_up_of is None]
    h = 3600.0
    resp = [(r.first_scheduled - r.arrival) / h for r in recs if r.first_scheduled is not None]
    arr = [(r.first_on_site - r.arrival) / h for r in recs if r.first_on_site is not None]
    reso = [(r.resolved - r.arrival) / h for r in originals if r.resolved is not None]
    sla_r: list[bool] = []
    sla_s: list[bool] = []
    for r in originals:
        if r.cancelled is not None:
            continue
        for out, target, at in ((sla_r, r.response_target, r.first_on_site),
                                (sla_s, r.resolution_target, r.resolved)):
            met = _sla_met(r.arrival, target, at, horizon)
            if met is not None:
                out.append(met)
    done = [r for r in originals if r.completed is not None]
    techs = [t for t in result.technicians if t.days_worked > 0]
    tech_days = sum(t.days_worked for t in techs)
    shift = sum(t.shift_time for t in techs)
    per_day = np.array([t.service / t.days_worked for t in techs]) if techs else np.zeros(0)
    outcomes = [r.outcome for r in recs]
    parts: dict[str, float] = {}
    if result.parts_summary is not None:
        by_id = {r.ticket_id: r for r in recs}
        fus = [r for r in recs if r.follow_up_of is not None]
        parts = {**result.parts_summary,
                 "stockout_follow_ups": float(sum(by_id[str(r.follow_up_of)].stockout
                                                  for r in fus)),
                 "follow_up_visits": float(sum(1 for r in fus if r.completed is not None))}
        parts = {k: parts[k] for k in PARTS_KPI_NAMES}
    return {
        "first_response_h": _mean(resp),
        "time_to_arrival_h": _mean(arr),
        "resolution_h": _mean(reso),
        "resolution_h_p50": float(np.percentile(reso, 50)) if reso else math.nan,
        "resolution_h_p90": float(np.percentile(reso, 90)) if reso else math.nan,
        "sla_response": _mean([float(x) for x in sla_r]),
        "sla_resolution": _mean([float(x) for x in sla_s]),
        "ftf_rate": _mean([0.0 if r.needs_follow_up else 1.0 for r in done]),
        "tickets_per_tech_day": sum(t.visits_done for t in techs) / tech_days
        if tech_days else math.nan,
        "utilisation": sum(t.service for t in techs) / shift if shift else math.nan,
        "travel_share": sum(t.travel for t in techs) / shift if shift else math.nan,
        "load_imbalance": float(per_day.std() / per_day.mean())
        if len(per_day) and per_day.mean() > 0 else math.nan,
        "overtime_h_per_tech_day": sum(t.overtime for t in techs) / h / tech_days
        if tech_days else math.nan,
        "backlog_mean": _mean([n for _, n in result.backlog]),
        "backlog_end": float(result.backlog[-1][1]) if result.backlog else math.nan,
        "arrived": float(len(recs)),
        "completed": float(outcomes.count("completed")),
        "cancelled": float(outcomes.count("cancelled")),
        "open": float(outcomes.count("open")),
        **parts,
    }


def team_kpis(result: SimResult) -> dict[str, dict[str, float]]:
    """KPIs of one replication per technician team (formulas in the module docstring).

    Returns ``team -> {kpi: value}`` for every team of the run's technicians
    (``""``: technicians without a team), in order of first appearance.
    """
    techs: dict[str, Any] = dict(result.technician_objects)
    for day in result.day_scenarios:  # (a result built without the workforce)
        if day is not None:
            for t in day.technicians:
                techs.setdefault(t.id, t)
    team_of = {tid: t.team or "" for tid, t in techs.items()}
    rate = {tid: float(t.cost_per_hour) for tid, t in techs.items()}
    horizon = result.days * 86400
    h = 3600.0
    out: dict[str, dict[str, float]] = {}
    for team in dict.fromkeys(team_of.values()):
        recs = [r for r in result.technicians if team_of.get(r.technician_id) == team]
        worked = [r for r in recs if r.days_worked > 0]
        days = sum(r.days_worked for r in worked)
        shift = sum(r.shift_time for r in worked)
        done = [r for r in result.tickets if r.follow_up_of is None and r.completed is not None
                and team_of.get(str(r.technician_id)) == team]
        sla = [met for r in done if (met := _sla_met(r.arrival, r.response_target,
                                                     r.first_on_site, horizon)) is not None]
        visits = sum(r.visits_done for r in recs)
        labour = sum(rate[r.technician_id] * (r.travel + r.service) / h for r in recs)
        out[team] = {
            "technicians": float(len(recs)),
            "completed": float(visits),
            "ftf_rate": _mean([0.0 if r.needs_follow_up else 1.0 for r in done]),
            "sla_response": _mean([float(x) for x in sla]),
            "tickets_per_tech_day": sum(r.visits_done for r in worked) / days
            if days else math.nan,
            "utilisation": sum(r.service for r in worked) / shift if shift else math.nan,
            "travel_share": sum(r.travel for r in worked) / shift if shift else math.nan,
            "overtime_h_per_tech_day": sum(r.overtime for r in worked) / h / days
            if days else math.nan,
            "labour_cost": labour,
            "labour_cost_per_visit": labour / visits if visits else math.nan,
        }
    return out


def confidence_interval(values: Iterable[float], level: float = 0.95,
                        bounds: tuple[float, float] = (-math.inf, math.inf)
                        ) -> tuple[float, float, float]:
    """``(mean, low, high)`` of a t-interval clipped to ``bounds``.

    Parameters
    ----------
    values:
        One value per replication; NaN values are dropped (all-NaN gives NaNs).
    level:
        Confidence level (default 0.95).
    bounds:
        The quantity's natural range ``(lo, hi)`` (default unbounded): the
        interval is ``[max(mean − h, lo), min(mean + h, hi)]`` with
        ``h = t(0.5 + level/2, n−1) · s / √n``. See :func:`kpi_range`.

    Returns
    -------
    tuple of float
        ``(mean, low, high)``; ``low == high == mean`` for one value.
    """
    lo_b, hi_b = bounds
    x = np.array([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) == 1:
        return m, m, m
    from scipy import stats

    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, max(m - half, lo_b), min(m + half, hi_b)


def aggregate(frame: Any, by: Sequence[str] = ("policy", "num_technicians", "parts_policy"),
              kpis: Sequence[str] | None = None, level: float = 0.95) -> Any:
    """Mean and t-interval (clipped to the KPI's natural range) per group and KPI.

    Parameters
    ----------
    frame:
        One row per replication (from :func:`~fsdispatch.sim.run_experiment`).
    by:
        Grouping columns (those present are used; ``parts_policy`` only
        appears in experiments over van stock policies).
    kpis:
        KPI columns (default: every known KPI present in ``frame``).
    level:
        Confidence level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        Long format: the ``by`` columns, ``kpi``, ``mean``, ``low``, ``high``,
        ``n``; ``low``/``high`` are clipped to :func:`kpi_range` of the KPI.
    """
    pd = _pd()
    kpis = list(kpis or [k for k in dict.fromkeys(KPI_NAMES + PARTS_KPI_NAMES + TEAM_KPI_NAMES)
                         if k in frame.columns])
    by = [b for b in by if b in frame.columns]
    rows = []
    for key, group in frame.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for k in kpis:
            m, lo, hi = confidence_interval(group[k].astype(float).tolist(), level,
                                            kpi_range(k))
            rows.append({**dict(zip(by, key, strict=True)), "kpi": k, "mean": m, "low": lo,
                         "high": hi, "n": int(group[k].notna().sum())})
    return pd.DataFrame(rows)
