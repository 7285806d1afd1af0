"""Time-dependent (traffic-aware) travel models.

Two models, both FIFO (leaving later never arrives earlier) by the
Ichoua–Gendreau–Potvin construction — a trip is a fixed amount of "work"
done at a rate that changes at period boundaries:

* :class:`TimeDependentTravel` — any static base model (geometric or matrix)
  and a :class:`SpeedProfile` of speed multipliers by time of day. A trip whose
  static time is ``S`` seconds consumes ``S`` *base seconds* at rate ``f(t)``
  (factor ``f`` at time ``t``): with ``f = 0.5`` in a rush hour the same trip
  takes twice as long, and a trip that starts before the rush and ends in it
  is only slowed for the part driven in it.
* :class:`TimeDependentMatrix` — a daily list of ``(from_time, MatrixTravel)``
  periods, as routing engines export them. In period ``k`` the arc ``a -> b``
  progresses at ``1 / durations_k[a, b]`` of the trip per second.

Times of day are read in the time zone of the departure (the compiled
problem: the scenario horizon's origin). The result is rounded to whole
seconds (nearest), which keeps FIFO. Distances (km) stay static.

:func:`arrival_seconds` is the one Python implementation of the rule; the
compiled kernels (``kernels/timing.py``, ``leg_time``) do the same float
operations in the same order so that both give the same whole seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ._validate import fail
from .travel import GeometricTravel, MatrixTravel

if TYPE_CHECKING:
    from .location import Location

__all__ = ["SpeedProfile", "TimeDependentMatrix", "TimeDependentTravel", "TravelModel",
           "arrival_seconds", "is_time_dependent", "matrix_of", "static_of", "unroll"]

MAX_FACTOR = 100.0
"""Largest speed factor accepted (and 1 / the smallest)."""

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _as_time(entity: str, field: str, value: Any) -> time:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            fail(entity, None, field, value, "must be a time of day like '07:30'")
    if isinstance(value, datetime) or not isinstance(value, time):
        fail(entity, None, field, value, "must be a datetime.time (time of day)")
    if value.tzinfo is not None:
        fail(entity, None, field, value, "must be a naive time of day (the departure's "
             "time zone applies)")
    return value


def _factors(entity: str, field: str, value: Any) -> tuple[tuple[time, float], ...]:
    """Validated ``((time, factor), ...)``: sorted distinct times, positive finite factors."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) == 0:
        fail(entity, None, field, value, "must be a non-empty list of (time, factor) pairs")
    out: list[tuple[time, float]] = []
    for k, pair in enumerate(value):
        if isinstance(pair, Mapping):
            pair = (pair.get("time"), pair.get("factor"))
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            fail(entity, None, f"{field}[{k}]", pair, "must be a (time, factor) pair")
        t = _as_time(entity, f"{field}[{k}].time", pair[0])
        f = pair[1]
        if isinstance(f, bool) or not isinstance(f, int | float | np.integer | np.floating):
            fail(entity, None, f"{field}[{k}].factor", f, "must be a number")
        f = float(f)
        if not math.isfinite(f) or f <= 0.0:
            fail(entity, None, f"{field}[{k}].factor", f, "must be a finite number > 0")
        if f > MAX_FACTOR or f < 1.0 / MAX_FACTOR:
            fail(entity, None, f"{field}[{k}].factor", f,
                 f"must be within [{1.0 / MAX_FACTOR}, {MAX_FACTOR}]")
        if out and t <= out[-1][0]:
            fail(entity, None, f"{field}[{k}].time", t.isoformat(),
                 f"must be after the previous time {out[-1][0].isoformat()} (sorted, distinct)")
        out.append((t, f))
    return tuple(out)


def _weekday(entity: str, key: Any) -> int:
    if isinstance(key, str) and key.lower() in _WEEKDAYS:
        return _WEEKDAYS.index(key.lower())
    if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 6:
        fail(entity, None, "weekdays", key,
             "keys must be weekdays 0 (Monday) .. 6 (Sunday) or their English names")
    return int(key)


def _weekdays(value: Any) -> tuple[tuple[int, tuple[tuple[time, float], ...]], ...] | None:
    if value is None:
        return None
    if isinstance(value, tuple) and all(isinstance(v, tuple) and len(v) == 2
                                        and isinstance(v[0], int) for v in value):
        items = list(value)
    elif isinstance(value, Mapping):
        items = list(value.items())
    else:
        fail("SpeedProfile", None, "weekdays", type(value).__name__,
             "must be a mapping weekday -> list of (time, factor)")
    out: dict[int, tuple[tuple[time, float], ...]] = {}
    for key, pairs in items:
        day = _weekday("SpeedProfile", key)
        if day in out:
            fail("SpeedProfile", None, "weekdays", key, "names a weekday twice")
        out[day] = _factors("SpeedProfile", f"weekdays[{_WEEKDAYS[day]}]", pairs)
    return tuple(sorted(out.items()))


@attrs.frozen
class SpeedProfile:
    """Speed multipliers by time of day (optionally by weekday).

    Parameters
    ----------
    breakpoints:
        ``[(time(0, 0), 1.0), (time(7, 0), 0.5), (time(10, 0), 1.0), ...]``: from each
        time of day on, travel runs at ``factor`` × the base speed (0.5: a trip takes
        twice as long). Times are sorted and distinct; factors within [0.01, 100].
        Before the day's first time the previous day's last factor applies.
    weekdays:
        Optional ``{weekday: breakpoints}`` (0 = Monday or ``"monday"``) for days
        whose profile differs; other days use ``breakpoints``.
    """

    breakpoints: tuple[tuple[time, float], ...] = attrs.field(
        converter=lambda v: _factors("SpeedProfile", "breakpoints", v))
    weekdays: tuple[tuple[int, tuple[tuple[time, float], ...]], ...] | None = attrs.field(
        default=None, converter=_weekdays)

    def day(self, weekday: int) -> tuple[tuple[time, float], ...]:
        """The breakpoints of a weekday (0 = Monday)."""
        for day, pairs in self.weekdays or ():
            if day == weekday:
                return pairs
        return self.breakpoints

    @property
    def max_factor(self) -> float:
        """The largest factor (a trip is never faster than its static time / this)."""
        return max(f for pairs in self._all() for _t, f in pairs)

    def _all(self) -> list[tuple[tuple[time, float], ...]]:
        return [self.breakpoints, *(pairs for _d, pairs in self.weekdays or ())]

    @classmethod
    def constant(cls, factor: float = 1.0) -> SpeedProfile:
        """The same factor all day."""
        return cls([(time(0, 0), factor)])


def _day_values(model: Any, weekday: int) -> list[tuple[time, Any]]:
    if isinstance(model, SpeedProfile):
        return list(model.day(weekday))
    return list(model.periods)


def unroll(model: SpeedProfile | TimeDependentMatrix, origin: datetime, lo: int,
           hi: int) -> tuple[np.ndarray, list[Any]]:
    """The profile's periods over ``[lo, hi]`` seconds after ``origin`` (timezone of
    ``origin``): ``(starts, values)`` with ``starts`` strictly increasing int64
    (the first is ``-2**62``: it covers all earlier times; the last period runs on
    forever) and ``values`` the factor (speed profile) or period index (matrix) of
    each. Consecutive equal values are merged."""
    tz = origin.tzinfo
    first = (origin + timedelta(seconds=int(lo))).date() - timedelta(days=2)
    last = (origin + timedelta(seconds=int(hi))).date() + timedelta(days=2)
    starts: list[int] = []
    values: list[Any] = []
    day: date = first
    while day <= last:
        for k, (t, value) in enumerate(_day_values(model, day.weekday())):
            if not isinstance(model, SpeedProfile):
                value = k
            at = datetime.combine(day, t, tzinfo=tz)
            secs = round((at - origin).total_seconds())
            if starts and secs <= starts[-1]:
                continue  # (a daylight-saving fold)
            if values and values[-1] == value:
                continue
            starts.append(secs)
            values.append(value)
        day += timedelta(days=1)
    starts[0] = -(2**62)
    return np.array(starts, dtype=np.int64), values


def arrival_seconds(starts: Sequence[int] | np.ndarray, lengths: Sequence[float],
                    depart: int) -> int:
    """Whole seconds of a trip leaving at ``depart`` (seconds on the ``starts`` clock).

    ``starts[k]`` is when period ``k`` begins (increasing) and ``lengths[k]`` how
    long the whole trip takes at period ``k``'s rate (base seconds / factor, or
    the period's matrix cell). The same operations as the kernels' ``leg_time``.
    """
    k = int(np.searchsorted(np.asarray(starts), depart, side="right")) - 1
    k = max(k, 0)
    q = 1.0
    el = 0
    cur = int(depart)
    n = len(starts)
    while True:
        length = float(lengths[k])
        need = q * length
        if k + 1 >= n or need <= float(int(starts[k + 1]) - cur):
            return math.floor(float(el) + need + 0.5)
        span = int(starts[k + 1]) - cur
        q -= float(span) / length
        el += span
        cur = int(starts[k + 1])
        k += 1


def _secs_since(depart: datetime) -> tuple[datetime, int]:
    """A local-midnight origin two days before ``depart`` and ``depart`` in seconds after it."""
    if depart.tzinfo is None:
        fail("travel_seconds", None, "depart", depart, "must be timezone-aware")
    origin = datetime.combine(depart.date() - timedelta(days=2), time(0, 0),
                              tzinfo=depart.tzinfo)
    return origin, round((depart - origin).total_seconds())


@attrs.frozen(eq=False)
class TimeDependentTravel:
    """A static travel model slowed (or sped up) by a :class:`SpeedProfile`.

    ``travel_seconds(o, d, depart)``: the base model's seconds ``S`` consumed at the
    profile's factor as the trip goes (Ichoua–Gendreau–Potvin). Without ``depart``
    the base model's static seconds are returned. Distances are the base model's.
    """

    base: GeometricTravel | MatrixTravel = attrs.field()
    profile: SpeedProfile = attrs.field()

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.base, GeometricTravel | MatrixTravel):
            fail("TimeDependentTravel", None, "base", type(self.base).__name__,
                 "must be GeometricTravel or MatrixTravel")
        if not isinstance(self.profile, SpeedProfile):
            fail("TimeDependentTravel", None, "profile", type(self.profile).__name__,
                 "must be a SpeedProfile")

    @property
    def kind(self) -> str:
        """``"time_dependent"``."""
        return "time_dependent"

    def travel_seconds(self, origin: Location, destination: Location,
                       depart: datetime | None = None) -> int:
        """Whole seconds from ``origin`` to ``destination`` leaving at ``depart``."""
        secs = self.base.travel_seconds(origin, destination)
        if depart is None or secs == 0:
            return secs
        start, t = _secs_since(depart)
        starts, factors = unroll(self.profile, start, t, t + 2 * secs + 86400)
        return arrival_seconds(starts, [float(secs) / f for f in factors], t)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeDependentTravel):
            return NotImplemented
        return self.base == other.base and self.profile == other.profile

    __hash__ = None  # type: ignore[assignment]


def _periods(value: Any) -> tuple[tuple[time, MatrixTravel], ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) == 0:
        fail("TimeDependentMatrix", None, "periods", value,
             "must be a non-empty list of (from_time, MatrixTravel) pairs")
    out: list[tuple[time, MatrixTravel]] = []
    for k, pair in enumerate(value):
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            fail("TimeDependentMatrix", None, f"periods[{k}]", pair,
                 "must be a (from_time, MatrixTravel) pair")
        t = _as_time("TimeDependentMatrix", f"periods[{k}].time", pair[0])
        m = pair[1]
        if not isinstance(m, MatrixTravel):
            fail("TimeDependentMatrix", None, f"periods[{k}].matrix", type(m).__name__,
                 "must be a MatrixTravel")
        if out and t <= out[-1][0]:
            fail("TimeDependentMatrix", None, f"periods[{k}].time", t.isoformat(),
                 f"must be after the previous time {out[-1][0].isoformat()} (sorted, distinct)")
        if out and m.location_ids != out[0][1].location_ids:
            fail("TimeDependentMatrix", None, f"periods[{k}].matrix.location_ids",
                 len(m.location_ids), "must equal the first period's location_ids (same order)")
        out.append((t, m))
    return tuple(out)


@attrs.frozen(eq=False)
class TimeDependentMatrix:
    """Travel matrices by period of the day: ``[(time(0, 0), night), (time(7, 0), rush), ...]``.

    Each matrix holds the trip times of a departure in its period; travel across
    period boundaries follows Ichoua–Gendreau–Potvin (FIFO). Before the first
    period's time the previous day's last period applies. Every matrix has the
    same ``location_ids``; distances are the first matrix's (static).
    """

    periods: tuple[tuple[time, MatrixTravel], ...] = attrs.field(converter=_periods)

    @property
    def kind(self) -> str:
        """``"time_dependent_matrix"``."""
        return "time_dependent_matrix"

    @property
    def location_ids(self) -> tuple[str, ...]:
        """The matrices' row labels."""
        return self.periods[0][1].location_ids

    def index(self) -> dict[str, int]:
        """Location id -> matrix row."""
        return self.periods[0][1].index()

    @property
    def distances(self) -> np.ndarray | None:
        """The first period's distances (km)."""
        return self.periods[0][1].distances

    def stacked(self) -> np.ndarray:
        """``(periods, n, n)`` int64 durations."""
        return np.stack([m.durations for _t, m in self.periods]).astype(np.int64)

    def travel_seconds(self, origin: Location, destination: Location,
                       depart: datetime | None = None) -> int:
        """Whole seconds leaving at ``depart`` (the first period's matrix without one)."""
        first = self.periods[0][1]
        if origin == destination:
            return 0
        if depart is None:
            return first.travel_seconds(origin, destination)
        first.travel_seconds(origin, destination)  # (the unknown-row errors)
        idx = first.index()
        a, b = idx[origin.id], idx[destination.id]  # type: ignore[index]
        cells = [float(m.durations[a, b]) for _t, m in self.periods]
        start, t = _secs_since(depart)
        starts, which = unroll(self, start, t, t + 2 * int(max(cells)) + 86400)
        return arrival_seconds(starts, [cells[k] for k in which], t)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeDependentMatrix):
            return NotImplemented
        return len(self.periods) == len(other.periods) and all(
            ta == tb and ma == mb for (ta, ma), (tb, mb) in zip(self.periods, other.periods,
                                                                  strict=True))

    __hash__ = None  # type: ignore[assignment]


TravelModel = GeometricTravel | MatrixTravel | TimeDependentTravel | TimeDependentMatrix
"""Any travel model accepted by a :class:`~fsdispatch.Scenario`."""


def matrix_of(travel: Any) -> MatrixTravel | TimeDependentMatrix | None:
    """The matrix (with ``location_ids`` and ``index()``) a travel model is keyed by, or
    ``None`` for a geometric one."""
    if isinstance(travel, MatrixTravel | TimeDependentMatrix):
        return travel
    if isinstance(travel, TimeDependentTravel) and isinstance(travel.base, MatrixTravel):
        return travel.base
    return None


def static_of(travel: Any) -> GeometricTravel | MatrixTravel:
    """The static model under a travel model: itself, a time-dependent model's base, or a
    time-dependent matrix's first period (its distances are the model's)."""
    if isinstance(travel, TimeDependentTravel):
        return travel.base
    if isinstance(travel, TimeDependentMatrix):
        return travel.periods[0][1]
    return travel


def is_time_dependent(travel: Any) -> bool:
    """Whether travel times depend on the departure time."""
    return isinstance(travel, TimeDependentTravel | TimeDependentMatrix)
