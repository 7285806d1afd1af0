"""Time units and the planning horizon.

Internally all times are ``int64`` **seconds** from the horizon origin (a
timezone-aware :class:`datetime.datetime`). Durations in the domain are
:class:`datetime.timedelta` or integer seconds; write ``30 * MINUTE`` rather
than ``1800``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import attrs

from .errors import ValidationError

__all__ = [
    "DAY",
    "HOUR",
    "INT32_MAX",
    "MAX_BREAK_DURATION",
    "MAX_COORDINATE_KM",
    "MAX_DETOUR",
    "MAX_FACTOR",
    "MAX_OVERTIME",
    "MAX_PICKUP_TIME",
    "MAX_QUANTITY",
    "MAX_RECENT_WORKLOAD",
    "MAX_SKILL_LEVEL",
    "MAX_SLA_TARGET",
    "MAX_SPEED_KMH",
    "MAX_TICKETS_PER_DAY",
    "MAX_TICKET_DURATION",
    "MAX_TRAVEL_DISTANCE_KM",
    "MAX_TRAVEL_TIME",
    "MAX_WEIGHT",
    "MINUTE",
    "MIN_FACTOR",
    "MIN_SPEED_KMH",
    "SECOND",
    "Horizon",
    "to_seconds",
]

SECOND: int = 1
MINUTE: int = 60 * SECOND
HOUR: int = 60 * MINUTE
DAY: int = 24 * HOUR

# ------------------------------------------------------------------ documented ranges
# Every number the domain accepts is bounded here, in one place (``docs/concepts.md``,
# "Ranges", explains each bound). The bounds are generous for real field service and
# chosen so that nothing in compile_scenario or the numba kernels can overflow:
#
# * the compiled service time ``duration × service_factor × max skill factor`` is
#   stored as int32: MAX_TICKET_DURATION × MAX_FACTOR² = 2.6e8 s < INT32_MAX (8× headroom);
# * the longest geometric leg, the diagonal of the planar coordinate box (2·√2 ×
#   MAX_COORDINATE_KM) or half the Earth's circumference, × MAX_DETOUR at
#   MIN_SPEED_KMH is 5.1e8 s < INT32_MAX (4× headroom); a matrix cell is at most
#   MAX_TRAVEL_TIME (3.2e7 s);
# * route times, loads and counts are int64 sums of these (≤ 1e15 for a million
#   stops), far below 2⁶³ ≈ 9.2e18 and the NO_DEADLINE sentinel 2⁶²;
# * costs, weights and penalties stay ≤ MAX_WEIGHT so float64 objective sums of a
#   million terms stay exact to well below one unit.
# Datetimes are bounded by Python's own range (years 1-9999), i.e. ±3.2e11 s from any
# horizon start: also far inside int64.

INT32_MAX: int = 2**31 - 1
"""Largest compiled service time (seconds): the service matrix is int32."""

MAX_TICKET_DURATION: int = 30 * DAY
"""A ticket's nominal ``duration`` is in ``(0, 30 days]`` (seconds)."""

MAX_BREAK_DURATION: int = DAY
"""A break's ``duration`` is in ``(0, 1 day]`` (seconds)."""

MAX_OVERTIME: int = DAY
"""A technician's ``max_overtime`` is in ``[0, 1 day]`` (seconds)."""

MAX_PICKUP_TIME: int = DAY
"""A depot's ``pickup_time`` is in ``[0, 1 day]`` (seconds)."""

MAX_SLA_TARGET: int = 365 * DAY
"""SLA ``response`` / ``resolution`` targets are in ``(0, 365 days]`` (seconds)."""

MAX_RECENT_WORKLOAD: int = 365 * DAY
"""A technician's ``recent_workload`` is in ``[0, 365 days]`` (seconds)."""

MAX_WEEKLY_WORK: int = 7 * DAY
"""A technician's ``max_weekly_work``, ``weekly_overtime_after`` and ``week_work_done``
are in ``[0, 7 days]`` (seconds: a calendar week)."""

MAX_TRAVEL_TIME: int = 365 * DAY
"""A cell of an explicit travel-duration matrix is in ``[0, 365 days]`` (seconds)."""

MAX_TRAVEL_DISTANCE_KM: float = 100_000.0
"""A cell of an explicit distance matrix is in ``[0, 100 000]`` km."""

MIN_SPEED_KMH: float = 1.0
"""Slowest geometric travel speed, km/h (walking is 4-5 km/h)."""

MAX_SPEED_KMH: float = 1_000.0
"""Fastest geometric travel speed, km/h."""

MAX_DETOUR: float = 5.0
"""Largest road/straight-line detour factor (the smallest is 1)."""

MAX_COORDINATE_KM: float = 10_000.0
"""Planar coordinates ``x`` and ``y`` are in ``[-10 000, 10 000]`` km."""

MIN_FACTOR: float = 0.01
"""Smallest ``service_factor`` / ``skill_factors`` value (100× faster than nominal)."""

MAX_FACTOR: float = 10.0
"""Largest ``service_factor`` / ``skill_factors`` value (10× slower than nominal)."""

MAX_SKILL_LEVEL: int = 100
"""Skill levels (held and required) are in ``[1, 100]``."""

MAX_TICKETS_PER_DAY: int = 10_000
"""A technician's ``max_tickets_per_day`` is in ``[0, 10 000]``."""

MAX_QUANTITY: int = 10**9
"""Part quantities, stock, ``capacity`` and ``demand`` are at most 10⁹ units."""

MAX_WEIGHT: float = 1e9
"""Costs, objective weights and penalties are finite and in ``[0, 10⁹]``."""


def to_seconds(value: timedelta | int | float, *, entity: str = "value", field: str = "duration",
               entity_id: str | None = None) -> int:
    """Convert a duration (timedelta or number of seconds) to integer seconds.

    Fractions of a second are rounded to the nearest second. NaN, infinities
    and non-numeric values raise :class:`~fsdispatch.errors.ValidationError`.
    """
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError.for_field(entity, entity_id, field, value,
                                        "must be a timedelta or a number of seconds")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError.for_field(entity, entity_id, field, value, "must be finite")
    return round(value)


def _check_aware(instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.for_field("Horizon", None, attribute.name, value,
                                        "must be a timezone-aware datetime")


@attrs.frozen
class Horizon:
    """The planning horizon ``[start, end)`` and the origin of internal time.

    Parameters
    ----------
    start:
        Timezone-aware datetime; internal time 0.
    end:
        Timezone-aware datetime after ``start``.
    """

    start: datetime = attrs.field(validator=_check_aware)
    end: datetime = attrs.field(validator=_check_aware)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError.for_field("Horizon", None, "end", self.end.isoformat(),
                                            f"must be after start {self.start.isoformat()}")

    @property
    def length(self) -> int:
        """Length of the horizon in seconds."""
        return self.to_internal(self.end)

    def to_internal(self, when: datetime) -> int:
        """Seconds from the horizon start to ``when`` (timezone-aware)."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValidationError(f"naive datetime {when.isoformat()} given; "
                                  "all datetimes must be timezone-aware", value=when)
        return round((when - self.start).total_seconds())

    def to_datetime(self, seconds: int | float) -> datetime:
        """The datetime (in the horizon start's timezone) ``seconds`` after the start."""
        return self.start + timedelta(seconds=float(seconds))
