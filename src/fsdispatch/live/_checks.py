"""Input checks of the live dispatcher's requests (typed errors naming field and value)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..errors import ValidationError


def disruption_bounds(max_moved: Any, max_shift: Any) -> tuple[int, int]:
    """``(max_moved, max_shift seconds)`` checked: an integer >= 0 and seconds or a timedelta."""
    if isinstance(max_moved, bool) or not isinstance(max_moved, int) or max_moved < 0:
        raise ValidationError.for_field("Dispatcher", None, "max_moved", max_moved,
                                        "must be an integer >= 0")
    if isinstance(max_shift, timedelta):
        max_shift = round(max_shift.total_seconds())
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValidationError.for_field("Dispatcher", None, "max_shift", max_shift,
                                        "must be seconds >= 0 or a timedelta")
    return max_moved, max_shift


def overrun_end(ticket_id: str, extra: Any, base: datetime) -> datetime:
    """``base`` plus an overrun ``extra`` (seconds in ``[0, 365 days]`` or a timedelta)."""
    if extra is None:
        raise ValidationError.for_field("report_overrun", ticket_id, "extra", None,
                                        "or expected_end must be given")
    seconds = extra.total_seconds() if isinstance(extra, timedelta) else extra
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or \
            not 0 <= seconds <= 365 * 86_400:
        raise ValidationError.for_field("report_overrun", ticket_id, "extra", extra,
                                        "must be seconds in [0, 365 days] or a timedelta "
                                        "(use expected_end for an earlier end)")
    return base + timedelta(seconds=seconds)
