"""Small validation helpers shared by the domain classes (private)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..errors import FsdispatchWarning, ValidationError
from ..units import DAY, HOUR, MAX_QUANTITY, MAX_SKILL_LEVEL, MINUTE


def fail(entity: str, entity_id: str | None, field: str, value: Any, expected: str) -> None:
    """Raise the standard field error."""
    raise ValidationError.for_field(entity, entity_id, field, value, expected)


def warn(message: str, *, stacklevel: int = 4) -> None:
    """Emit a :class:`~fsdispatch.errors.FsdispatchWarning` (suspicious but accepted data).

    The default ``stacklevel`` points at the code constructing the domain object
    (this helper, ``__attrs_post_init__``, the attrs ``__init__``, the caller).
    """
    warnings.warn(message, FsdispatchWarning, stacklevel=stacklevel)


def seconds(value: Any) -> Any:
    """attrs converter: timedelta -> int seconds; other values are left for the validator."""
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def optional_seconds(value: Any) -> Any:
    return None if value is None else seconds(value)


_SECONDS_FIELDS = ("duration", "overtime", "workload", "pickup_time", "response", "resolution")


def describe_seconds(value: int) -> str:
    """A number of seconds as text, e.g. ``"2592000 seconds (30 days)"``."""
    for unit, name in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if value >= unit and value % unit == 0:
            count = value // unit
            return f"{value} seconds ({count} {name}{'s' if count != 1 else ''})"
    return f"{value} second{'s' if value != 1 else ''}"


def _num(value: float) -> str:
    """A bound as text: integral floats without the ``.0`` (``1000000000``, ``0.01``)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def check_int(entity: str, entity_id: str | None, field: str, value: Any, *,
              minimum: int | None = None, strict_minimum: bool = False,
              maximum: int | None = None, in_seconds: bool | None = None) -> None:
    """Check an integer field against ``minimum`` (``>`` if ``strict_minimum``) and ``maximum``.

    ``in_seconds`` says whether the value is a number of seconds (it is inferred from
    the field name when ``None``); the messages then say so. Integers of any size
    are compared exactly, so ``2**63`` fails the maximum instead of overflowing later.
    """
    is_seconds = field.endswith(_SECONDS_FIELDS) if in_seconds is None else in_seconds
    if isinstance(value, bool) or not isinstance(value, int):
        fail(entity, entity_id, field, value, "must be an integer number of seconds or a timedelta"
             if is_seconds else "must be an integer")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            unit = " seconds" if is_seconds else ""
            fail(entity, entity_id, field, value, f"must be > {minimum}{unit}")
        if not strict_minimum and value < minimum:
            fail(entity, entity_id, field, value, f"must be >= {minimum}")
    if maximum is not None and value > maximum:
        bound = describe_seconds(maximum) if is_seconds else str(maximum)
        fail(entity, entity_id, field, value, f"must be <= {bound}")


def check_number(entity: str, entity_id: str | None, field: str, value: Any, *,
                 minimum: float | None = None, strict_minimum: bool = False,
                 maximum: float | None = None, unit: str = "") -> None:
    """Check a finite real number against ``minimum`` (``>`` if ``strict_minimum``) and ``maximum``.

    Booleans, strings, NaN and infinities are rejected; ``unit`` (e.g. ``" km/h"``)
    is appended to the bounds in messages.
    """
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))):
        fail(entity, entity_id, field, value, "must be a finite number")
    too_low = minimum is not None and (value <= minimum if strict_minimum else value < minimum)
    too_high = maximum is not None and value > maximum
    if not (too_low or too_high):
        return
    if minimum is not None and maximum is not None:
        expected = (f"must be within {'(' if strict_minimum else '['}{_num(minimum)}, "
                    f"{_num(maximum)}]{unit}")
    elif minimum is not None:
        expected = f"must be {'>' if strict_minimum else '>='} {_num(minimum)}{unit}"
    elif maximum is not None:
        expected = f"must be <= {_num(maximum)}{unit}"
    else:  # pragma: no cover - too_low or too_high needs a bound
        return
    fail(entity, entity_id, field, value, expected)


def check_aware(entity: str, entity_id: str | None, field: str, value: Any) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        fail(entity, entity_id, field, value, "must be a timezone-aware datetime")


def check_id(entity: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        fail(entity, None, "id", value, "must be a non-empty string")


def check_levels(entity: str, entity_id: str | None, field: str, value: Mapping[str, Any],
                 *, minimum: int, maximum: int = MAX_SKILL_LEVEL) -> None:
    _check_integer_map(entity, entity_id, field, value, minimum, maximum, "skill id", "level")


def check_quantities(entity: str, entity_id: str | None, field: str, value: Mapping[str, Any],
                     *, minimum: int, maximum: int = MAX_QUANTITY) -> None:
    _check_integer_map(entity, entity_id, field, value, minimum, maximum, "part sku",
                       "quantity")


def _check_integer_map(entity: str, entity_id: str | None, field: str, value: Any,
                       minimum: int, maximum: int, key: str, what: str) -> None:
    """``value`` maps non-empty ``key`` strings to integers in ``[minimum, maximum]``."""
    if not isinstance(value, Mapping):
        fail(entity, entity_id, field, value, f"must be a mapping of {key} to {what}")
    for name, number in value.items():
        if not isinstance(name, str) or not name:
            fail(entity, entity_id, field, name, f"keys must be non-empty {key}s")
        if (isinstance(number, bool) or not isinstance(number, int)
                or not minimum <= number <= maximum):
            fail(entity, entity_id, f"{field}[{name!r}]", number,
                 f"must be an integer in [{minimum}, {maximum}]")


def frozen_dict(value: Any) -> Any:
    """attrs converter: copy a mapping into a plain dict (so callers cannot mutate ours)."""
    return dict(value) if isinstance(value, Mapping) else value


def str_tuple(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        return value


def to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """attrs converter: any iterable to a tuple (typed for mypy's attrs plugin)."""
    return tuple(value)


def check_probabilities(entity: str, entity_id: str | None, field: str,
                        value: Mapping[str, Any]) -> None:
    if not isinstance(value, Mapping):
        fail(entity, entity_id, field, value, "must be a mapping of part sku to probability")
    for key, p in value.items():
        if not isinstance(key, str) or not key:
            fail(entity, entity_id, field, key, "keys must be non-empty part skus")
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 < p <= 1.0:
            fail(entity, entity_id, f"{field}[{key!r}]", p, "must be a probability in (0, 1]")
