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

__all__ = ["DAY", "HOUR", "MINUTE", "SECOND", "Horizon", "to_seconds"]

SECOND: int = 1
MINUTE: int = 60 * SECOND
HOUR: int = 60 * MINUTE
DAY: int = 24 * HOUR


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
