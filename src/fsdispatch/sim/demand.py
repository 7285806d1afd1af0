"""Demand fitted to the user's ticket history: :func:`fit_demand` -> :class:`FittedDemand`.

The fitted model is a non-homogeneous Poisson process with one rate per
weekday × hour (mean arrivals observed in that hour of that weekday), a
category mix, a priority mix, and per category a lognormal service time.
Each simulated ticket copies the location, required skills and customer tier
of a historical ticket of its category drawn at random (locations are
resampled from history, never invented).

Random draws: ticket attributes and arrival times come from the arrivals
stream, service outcomes (realised duration, cancellation, customer not at
home, first-time-fix failure) from the service stream — both spawned from
the replication seed only, so every staffing level and policy run with the
same seed sees the same tickets with the same durations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ..domain import Location, Priority, Ticket
from ..errors import ValidationError
from ..units import MINUTE
from .models import Arrival, ServiceModel, arrival_stream

__all__ = ["FittedDemand", "fit_demand"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_REQUIRED = ("created_at", "lat", "lon", "category", "duration_min")


def _err(field: str, value: Any, expected: str) -> ValidationError:
    return ValidationError.for_field("fit_demand", None, field, value, expected)


@attrs.frozen(eq=False)
class FittedDemand:
    """Arrivals, mix, places and service times fitted to a ticket history.

    Build it with :func:`fit_demand`; pass it as ``demand=`` to
    :func:`~fsdispatch.sim.simulate` or :func:`~fsdispatch.sim.run_experiment`.

    Attributes
    ----------
    rates:
        ``(7, 24)`` mean arrivals per hour, by weekday (Monday first) and hour.
    categories:
        Category names and their shares.
    durations:
        ``category -> (mu, sigma)`` of the natural log of the service minutes.
    priority_mix:
        Shares of ``P1..P4``.
    lat, lon, row_category, row_skills, row_tier:
        The historical tickets the simulated ones copy their place, skills and
        tier from (one entry per history row).
    days_observed, first_day:
        The history's span (whole days) and its first day.
    scale:
        Demand multiplier (1 = as observed; 1.2 = 20 % more tickets).
    """

    rates: np.ndarray
    categories: tuple[tuple[str, float], ...]
    durations: Mapping[str, tuple[float, float]]
    priority_mix: tuple[float, float, float, float]
    lat: np.ndarray
    lon: np.ndarray
    row_category: tuple[str, ...]
    row_skills: tuple[Mapping[str, int], ...]
    row_tier: tuple[str, ...]
    days_observed: int
    first_day: datetime
    scale: float = 1.0

    def __attrs_post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValidationError.for_field("FittedDemand", None, "scale", self.scale,
                                            "must be > 0")

    def scaled(self, factor: float) -> FittedDemand:
        """The same model with ``factor`` times the arrival rates (e.g. 1.2 for growth)."""
        return attrs.evolve(self, scale=self.scale * float(factor))

    @property
    def tickets_per_week(self) -> float:
        """Mean arrivals per week (scaled)."""
        return float(self.rates.sum() * self.scale)

    def rate(self, day: datetime, hour: int) -> float:
        """Mean arrivals in the hour ``hour`` of ``day`` (piecewise-constant NHPP rate)."""
        return float(self.rates[day.weekday(), hour] * self.scale)

    def summary(self) -> str:
        """A printable summary of the fit."""
        per_day = self.rates.sum(axis=1) * self.scale
        peak = divmod(int(np.argmax(self.rates)), 24)
        lines = [
            f"Fitted demand: {len(self.lat)} tickets over {self.days_observed} days from "
            f"{self.first_day:%Y-%m-%d}"
            + (f" (scaled x{self.scale:g})" if self.scale != 1 else ""),
            "  arrivals/day: " + ", ".join(f"{d} {v:.1f}" for d, v in
                                           zip(_WEEKDAYS, per_day, strict=True))
            + f"  (week {per_day.sum():.0f})",
            f"  busiest hour: {_WEEKDAYS[peak[0]]} {peak[1]:02d}:00 "
            f"({self.rates[peak] * self.scale:.2f}/h)",
            "  priority mix: " + ", ".join(f"P{k + 1} {p:.0%}"
                                           for k, p in enumerate(self.priority_mix)),
            "  category       share  median min  sigma(log)",
        ]
        for name, share in self.categories:
            mu, sigma = self.durations[name]
            lines.append(f"  {name:<14} {share:5.0%}  {math.exp(mu):10.0f}  {sigma:10.2f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"FittedDemand({len(self.lat)} tickets, {self.days_observed} days, "
                f"{self.tickets_per_week:.0f}/week)")

    # -------------------------------------------------------------- draws
    def _ticket(self, rng: np.random.Generator, srng: np.random.Generator,
                service: ServiceModel, ticket_id: str, time: int, origin: datetime,
                by_cat: Mapping[str, np.ndarray]) -> Arrival:
        names = [c for c, _ in self.categories]
        shares = np.array([s for _, s in self.categories])
        cat = names[int(rng.choice(len(names), p=shares / shares.sum()))]
        rows = by_cat[cat]
        row = int(rows[int(rng.integers(len(rows)))])
        pmix = np.asarray(self.priority_mix)
        prio = Priority(1 + int(rng.choice(4, p=pmix / pmix.sum())))
        mu, sigma = self.durations[cat]
        planned = max(round(math.exp(mu)), 1)  # the desk plans the category's median
        real = math.exp(srng.normal(mu, sigma)) if sigma > 0 else math.exp(mu)
        u = srng.random(4)
        cancel_at = (int(time + srng.exponential(service.cancel_after))
                     if u[0] < service.p_cancel else None)
        follow = math.exp(srng.normal(mu, sigma)) if sigma > 0 else math.exp(mu)
        created = origin + timedelta(seconds=int(time))
        ticket = Ticket(id=ticket_id,
                        location=Location.geo(float(self.lat[row]), float(self.lon[row])),
                        duration=planned * MINUTE, category=cat,
                        required_skills=dict(self.row_skills[row]), priority=prio,
                        customer_tier=self.row_tier[row], created_at=created)
        return Arrival(time=int(time), ticket=ticket, duration_factor=real / planned,
                       cancel_at=cancel_at, not_home=bool(u[1] < service.p_not_home),
                       ftf_fail=bool(u[2] < service.p_ftf_fail),
                       follow_up_factor=follow / planned, ftf_draw=float(u[2]))

    def draw_arrivals(self, service: ServiceModel, origin: datetime, days: int,
                      rng: np.random.Generator, srng: np.random.Generator,
                      backlog: int = 0) -> list[Arrival]:
        """Every arrival of ``days`` days from ``origin`` (midnight), in time order.

        Attributes and times from ``rng``, service outcomes from ``srng``;
        the realised duration is the fitted lognormal draw (the service
        model's ``duration_sigma`` is not used), the planned duration the
        category's median.
        """
        by_cat: dict[str, np.ndarray] = {}
        cats = np.array(self.row_category, dtype=object)
        for name, _ in self.categories:
            by_cat[name] = np.flatnonzero(cats == name)
        return arrival_stream(rng, self.rate, origin, days, backlog, lambda ticket_id, t: (
            self._ticket(rng, srng, service, ticket_id, t, origin, by_cat)))


def _priority(value: Any) -> int:
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("P")
    else:
        text = str(value)
    try:
        p = int(float(text))
    except ValueError:
        raise ValueError(value) from None
    if not 1 <= p <= 4:
        raise ValueError(value)
    return p


def fit_demand(history: Any, *, timezone: str | tzinfo = "UTC", verbose: bool = True,
               scale: float = 1.0, min_category_tickets: int = 1) -> FittedDemand:
    """Fit a demand model to a ticket history (a pandas DataFrame or a CSV path).

    Columns (the ticket CSV's names, see ``docs/formats.md``): ``created_at``
    (date and time of the call), ``lat``, ``lon``, ``category``,
    ``duration_min`` (service minutes); optional ``priority`` (``P1``..``P4``
    or 1..4; default P3), ``skills`` (``hvac:2;gas:1``) and ``customer_tier``
    (default ``standard``).

    The fit:

    * arrival rate of weekday *w*, hour *h* = tickets created in that hour
      over the number of weekdays *w* in the history's span (first to last
      day, whole days): a piecewise-constant non-homogeneous Poisson process;
    * category and priority shares as observed;
    * per category, ``mu`` and ``sigma`` (sample standard deviation) of the
      log service minutes: a lognormal service time;
    * locations, skills and tiers: resampled from the history's tickets of
      the drawn category.

    Parameters
    ----------
    history:
        A DataFrame or the path of a CSV file (``,`` or ``;`` separated).
    timezone:
        Zone of naive ``created_at`` values (aware ones are converted to it);
        weekdays and hours are read in this zone.
    verbose:
        Print :meth:`FittedDemand.summary` (default ``True``).
    scale:
        Demand multiplier of the returned model.
    min_category_tickets:
        Categories with fewer tickets are an error (too few to fit).

    Raises
    ------
    ValidationError
        A missing column, an unreadable cell (naming the row and column), an
        empty history, a non-positive duration or a too-rare category.
    """
    from zoneinfo import ZoneInfo

    from .metrics import _pd

    pd = _pd()
    tz = ZoneInfo(timezone) if isinstance(timezone, str) and timezone != "UTC" else (
        UTC if isinstance(timezone, str) else timezone)
    frame = _history_frame(history, pd)
    created, lat, lon, mins, cats, prios, skills, tiers = _history_rows(
        frame, isinstance(history, str | Path), tz, pd)
    first, span, rates = _hourly_rates(created)
    names = sorted(set(cats), key=lambda c: (-cats.count(c), c))
    n = len(cats)
    durations: dict[str, tuple[float, float]] = {}
    for name in names:
        logs = np.log([m for m, c in zip(mins, cats, strict=True) if c == name])
        if len(logs) < min_category_tickets:
            raise _err("category", name, f"has {len(logs)} tickets, fewer than "
                                         f"min_category_tickets={min_category_tickets}")
        durations[name] = (float(logs.mean()),
                           float(logs.std(ddof=1)) if len(logs) > 1 else 0.0)
    pm = np.bincount(np.asarray(prios) - 1, minlength=4) / n
    model = FittedDemand(
        rates=rates, categories=tuple((c, cats.count(c) / n) for c in names),
        durations=durations, priority_mix=(float(pm[0]), float(pm[1]), float(pm[2]),
                                           float(pm[3])),
        lat=np.asarray(lat), lon=np.asarray(lon), row_category=tuple(cats),
        row_skills=tuple(skills), row_tier=tuple(tiers), days_observed=span,
        first_day=first, scale=float(scale))
    if verbose:
        print(model.summary())
    return model


def _history_frame(history: Any, pd: Any) -> Any:
    """The history as a DataFrame (a CSV path read, ``,`` or ``;`` separated), checked for
    the required columns and at least one row."""
    if isinstance(history, str | Path):
        text = Path(history).read_text(encoding="utf-8-sig").splitlines()[0]
        frame = pd.read_csv(history, sep=";" if text.count(";") > text.count(",") else ",",
                            encoding="utf-8-sig")
    elif isinstance(history, pd.DataFrame):
        frame = history
    else:
        raise _err("history", type(history).__name__, "must be a pandas DataFrame or a CSV path")
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise _err("history", sorted(frame.columns), f"needs the columns {missing}")
    if not len(frame):
        raise _err("history", 0, "must hold at least one ticket")
    return frame


def _history_rows(frame: Any, from_csv: bool, tz: tzinfo, pd: Any) -> tuple[list[Any], ...]:
    """The history's columns, each cell checked (errors name the row and the column):
    ``(created, lat, lon, minutes, categories, priorities, skills, tiers)``."""
    from ..io.tabular._cells import _CellError, _levels

    created: list[datetime] = []
    lat, lon, mins, cats, prios, skills, tiers = [], [], [], [], [], [], []
    for pos, (label, row) in enumerate(frame.iterrows()):
        where = f"row {pos + 2}" if from_csv else f"row {label!r}"

        def bad(col: str, value: Any, expected: str, where: str = where) -> ValidationError:
            return _err(f"{where}, column {col!r}", value, expected)

        try:
            ts = pd.Timestamp(row["created_at"])
            if pd.isna(ts):
                raise ValueError
        except (ValueError, TypeError):
            raise bad("created_at", row["created_at"], "must be a date and time") from None
        dt = ts.to_pydatetime()
        created.append(dt.replace(tzinfo=tz) if dt.tzinfo is None else dt.astimezone(tz))
        try:
            la, lo = float(row["lat"]), float(row["lon"])
            if not (-90 <= la <= 90 and -180 <= lo <= 180):
                raise ValueError
        except (ValueError, TypeError):
            raise bad("lat/lon", (row["lat"], row["lon"]), "must be a latitude and a longitude"
                      ) from None
        lat.append(la)
        lon.append(lo)
        try:
            m = float(row["duration_min"])
            if not (math.isfinite(m) and m > 0):
                raise ValueError
        except (ValueError, TypeError):
            raise bad("duration_min", row["duration_min"], "must be minutes > 0") from None
        mins.append(m)
        cat = row["category"]
        if not isinstance(cat, str) or not cat.strip():
            raise bad("category", cat, "must be a category name")
        cats.append(cat.strip())
        p = row.get("priority", 3)
        try:
            prios.append(3 if (p is None or (isinstance(p, float) and math.isnan(p)))
                         else _priority(p))
        except ValueError:
            raise bad("priority", p, "must be P1..P4 or 1..4") from None
        s = row.get("skills", "")
        try:
            skills.append({} if s is None or (isinstance(s, float) and math.isnan(s))
                          else _levels(s))
        except _CellError as exc:
            raise bad("skills", s, f"must be {exc.expected}") from None
        t = row.get("customer_tier", "standard")
        tiers.append("standard" if not isinstance(t, str) or not t.strip() else t.strip())
    return created, lat, lon, mins, cats, prios, skills, tiers


def _hourly_rates(created: Sequence[datetime]) -> tuple[datetime, int, np.ndarray]:
    """``(first day, days spanned, (7, 24) rates)``: the tickets created in each weekday and
    hour over the number of such weekdays in the span (whole days, first to last)."""
    first = min(created).replace(hour=0, minute=0, second=0, microsecond=0)
    last = max(created).replace(hour=0, minute=0, second=0, microsecond=0)
    span = (last - first).days + 1
    weekday_days = np.zeros(7)
    for d in range(span):
        weekday_days[(first + timedelta(days=d)).weekday()] += 1
    counts = np.zeros((7, 24))
    for dt in created:
        counts[dt.weekday(), dt.hour] += 1
    rates = np.divide(counts, weekday_days[:, None], out=np.zeros((7, 24)),
                      where=weekday_days[:, None] > 0)
    return first, span, rates


def history_frame(arrivals: Sequence[Arrival]) -> Any:
    """Arrivals as a ticket-history DataFrame in :func:`fit_demand`'s columns (realised minutes).

    Useful to write a synthetic history (e.g. the example's CSV) or to check a fit.
    """
    from .metrics import _pd

    pd = _pd()
    rows = []
    for a in arrivals:
        t = a.ticket
        assert t.created_at is not None
        rows.append({
            "ticket_id": t.id, "created_at": t.created_at.strftime("%Y-%m-%d %H:%M"),
            "lat": round(float(t.location.lat), 5), "lon": round(float(t.location.lon), 5),
            "category": t.category, "priority": f"P{int(t.priority)}",
            "skills": ";".join(f"{k}:{v}" for k, v in t.required_skills.items()),
            "customer_tier": t.customer_tier,
            "duration_min": round(t.duration / MINUTE * a.duration_factor, 1)})
    return pd.DataFrame(rows)
