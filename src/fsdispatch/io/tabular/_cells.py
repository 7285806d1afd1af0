"""Cells of the input tables: numbers, minutes, ``key:value`` lists, ids, local times (private)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date as date_cls
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np

from ..._optional import optional_module
from ...units import MINUTE

_TIME_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*[-–]\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")
_TIME_ONLY = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_ITEM_SEP = re.compile(r"[;,|]")



def _pandas() -> Any:
    """pandas, imported on first use; without it, an error naming the extra to install."""
    return optional_module("pandas", user="fsdispatch.io.tabular", extra="tabular",
                           package="pandas")


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

    def certifications(self, value: Any) -> dict[str, datetime]:
        """``"hvac:2026-12-31;gas:2027-03-01 18:00"`` -> skill -> valid until (a date is that
        day at 00:00, local: the skill counts on shifts starting that day or before)."""
        if isinstance(value, Mapping):
            return {str(k): self.at(v) for k, v in value.items()}
        out: dict[str, datetime] = {}
        for item in str(value).split(";"):
            key, sep, when = item.strip().partition(":")
            if not item.strip():
                continue
            if not key.strip() or not sep or not when.strip() or _TIME_ONLY.match(when.strip()):
                raise _CellError("'skill:YYYY-MM-DD' items separated by ';' "
                                 "(e.g. 'hvac:2026-12-31;gas:2027-03-01')")
            try:
                out[key.strip()] = self.at(when.strip())
            except _CellError:
                raise _CellError("'skill:YYYY-MM-DD' items separated by ';' "
                                 "(e.g. 'hvac:2026-12-31;gas:2027-03-01')") from None
        return out


