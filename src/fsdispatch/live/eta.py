"""ETAs: a planned service start and a window around it that widens with the lead time."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from ..domain._validate import check_int, seconds
from ..units import MINUTE

__all__ = ["Eta", "EtaModel"]


@attrs.frozen
class Eta:
    """Expected time of a ticket's service.

    Attributes
    ----------
    ticket_id, technician_id:
        The ticket and who serves it.
    start:
        Planned service start (the shared schedule rule on the live plan); for
        a job in progress, when it started.
    earliest, latest:
        The window promised to the customer: ``earliest <= start <= latest``.
    end:
        Planned (or expected, for a job in progress) end of service.
    status:
        ``"planned"``, ``"en_route"`` or ``"on_site"``.
    """

    ticket_id: str
    technician_id: str
    start: datetime
    earliest: datetime
    latest: datetime
    end: datetime
    status: str = "planned"

    def __str__(self) -> str:
        return (f"{self.ticket_id}: {self.technician_id} {self.earliest:%H:%M}–{self.latest:%H:%M}"
                f" (planned {self.start:%H:%M})")


@attrs.frozen
class EtaModel:
    """How wide an ETA window is: ``base + per_hour × hours until the planned start``.

    The window runs from a third of that width before the planned start (never
    before now) to two thirds after it: delays are likelier than early
    arrivals.

    Parameters
    ----------
    base:
        Width of the window for a start due now (seconds or timedelta; default 15 min).
    per_hour:
        Extra width per hour of lead time (default 6 min).
    cap:
        Largest width (default 2 h).
    """

    base: int = attrs.field(default=15 * MINUTE, converter=seconds)
    per_hour: int = attrs.field(default=6 * MINUTE, converter=seconds)
    cap: int = attrs.field(default=120 * MINUTE, converter=seconds)

    def __attrs_post_init__(self) -> None:
        for name in ("base", "per_hour", "cap"):
            check_int("EtaModel", None, name, getattr(self, name), minimum=0)

    def window(self, start: datetime, now: datetime) -> tuple[datetime, datetime]:
        """``(earliest, latest)`` around a planned ``start`` seen from ``now``."""
        lead = max((start - now).total_seconds(), 0.0)
        width = min(self.base + self.per_hour * lead / 3600.0, float(self.cap))
        earliest = max(start - timedelta(seconds=round(width / 3)), min(now, start))
        return earliest, start + timedelta(seconds=round(2 * width / 3))
