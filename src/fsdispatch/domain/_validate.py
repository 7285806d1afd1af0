"""Small validation helpers shared by the domain classes (private)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..errors import ValidationError


def fail(entity: str, entity_id: str | None, field: str, value: Any, expected: str) -> None:
    """Raise the standard field error."""
    raise ValidationError.for_field(entity, entity_id, field, value, expected)


def seconds(value: Any) -> Any:
    """attrs converter: timedelta -> int seconds; other values are left for the validator."""
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def optional_seconds(value: Any) -> Any:
    return None if value is None else seconds(value)


def check_int(entity: str, entity_id: str | None, field: str, value: Any, *,
              minimum: int | None = None, strict_minimum: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(entity, entity_id, field, value, "must be an integer number of seconds or a timedelta"
             if field.endswith(("duration", "overtime", "workload")) else "must be an integer")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            unit = " seconds" if field.endswith("duration") else ""
            fail(entity, entity_id, field, value, f"must be > {minimum}{unit}")
        if not strict_minimum and value < minimum:
            fail(entity, entity_id, field, value, f"must be >= {minimum}")


def check_number(entity: str, entity_id: str | None, field: str, value: Any, *,
                 minimum: float | None = None, strict_minimum: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(entity, entity_id, field, value, "must be a finite number")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            fail(entity, entity_id, field, value, f"must be > {minimum}")
        if not strict_minimum and value < minimum:
            fail(entity, entity_id, field, value, f"must be >= {minimum}")


def check_aware(entity: str, entity_id: str | None, field: str, value: Any) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        fail(entity, entity_id, field, value, "must be a timezone-aware datetime")


def check_id(entity: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        fail(entity, None, "id", value, "must be a non-empty string")


def check_levels(entity: str, entity_id: str | None, field: str, value: Mapping[str, Any],
                 *, minimum: int) -> None:
    if not isinstance(value, Mapping):
        fail(entity, entity_id, field, value, "must be a mapping of skill id to level")
    for key, level in value.items():
        if not isinstance(key, str) or not key:
            fail(entity, entity_id, field, key, "keys must be non-empty skill ids")
        if isinstance(level, bool) or not isinstance(level, int) or level < minimum:
            fail(entity, entity_id, f"{field}[{key!r}]", level, f"must be an integer >= {minimum}")


def check_quantities(entity: str, entity_id: str | None, field: str, value: Mapping[str, Any],
                     *, minimum: int) -> None:
    if not isinstance(value, Mapping):
        fail(entity, entity_id, field, value, "must be a mapping of part sku to quantity")
    for key, qty in value.items():
        if not isinstance(key, str) or not key:
            fail(entity, entity_id, field, key, "keys must be non-empty part skus")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < minimum:
            fail(entity, entity_id, f"{field}[{key!r}]", qty, f"must be an integer >= {minimum}")


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
