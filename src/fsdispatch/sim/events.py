"""The simulator's events, one typed record per kind, and the technicians' status.

Each event is a frozen record whose ``kind`` (a class attribute) selects its
handler in the :class:`~fsdispatch.sim.engine.Engine`. Events of a job or a
break carry the technician's job generation ``gen``: when sickness interrupts
a job, the generation moves on and the job's pending events are void.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

if TYPE_CHECKING:
    from .models import Arrival

__all__ = [
    "ArrivesOnSite",
    "BreakEnds",
    "CustomerCancels",
    "CustomerNotHome",
    "DayStarts",
    "FallsIll",
    "JobCompletes",
    "JobOverruns",
    "PolicyTick",
    "Sample",
    "TechnicianReady",
    "TechnicianStatus",
    "TicketArrives",
    "Timer",
]


class TechnicianStatus(enum.StrEnum):
    """What a simulated technician is doing (compares equal to its string value)."""

    OFF = "off"  #: not on shift, or between two steps of the day
    IDLE = "idle"  #: on shift with nothing planned
    WAKING = "waking"  #: idle, and asked to look at newly planned work
    TRAVEL = "travel"  #: driving to a ticket
    ON_SITE = "on_site"  #: working at a ticket
    BREAK = "break"  #: on a break
    ABSENT = "absent"  #: absent for the day
    SICK = "sick"  #: fell ill during the day


@attrs.frozen(slots=True)
class DayStarts:
    """A calendar day starts: the day's desk is opened with the technicians on shift."""

    kind: ClassVar[str] = "day"
    day: int


@attrs.frozen(slots=True)
class TicketArrives:
    """A ticket (or a follow-up visit) arrives."""

    kind: ClassVar[str] = "ticket"
    arrival: Arrival


@attrs.frozen(slots=True)
class CustomerCancels:
    """The customer cancels a ticket not yet visited."""

    kind: ClassVar[str] = "cancel"
    ticket_id: str


@attrs.frozen(slots=True)
class TechnicianReady:
    """A technician is free to take the next planned job (or a break)."""

    kind: ClassVar[str] = "ready"
    tech: str


@attrs.frozen(slots=True)
class BreakEnds:
    """A technician's break ends."""

    kind: ClassVar[str] = "break_end"
    tech: str
    gen: int


@attrs.frozen(slots=True)
class _AtTicket:
    """An event of technician ``tech``'s job at ``ticket_id`` (generation ``gen``)."""

    tech: str
    ticket_id: str
    gen: int


@attrs.frozen(slots=True)
class ArrivesOnSite(_AtTicket):
    """A technician reaches the ticket's site."""

    kind: ClassVar[str] = "arrive"


@attrs.frozen(slots=True)
class JobOverruns:
    """The planned service time is over and the job goes on until ``end`` (seconds)."""

    kind: ClassVar[str] = "overrun"
    tech: str
    ticket_id: str
    end: int
    gen: int


@attrs.frozen(slots=True)
class JobCompletes(_AtTicket):
    """The work at a ticket is done."""

    kind: ClassVar[str] = "complete"


@attrs.frozen(slots=True)
class CustomerNotHome(_AtTicket):
    """The technician waited at the site and the customer did not come."""

    kind: ClassVar[str] = "not_home"


@attrs.frozen(slots=True)
class FallsIll:
    """A technician falls ill on ``day`` (absent for the rest of it)."""

    kind: ClassVar[str] = "sick"
    tech: str
    day: int


@attrs.frozen(slots=True)
class PolicyTick:
    """The policy's periodic tick."""

    kind: ClassVar[str] = "tick"


@attrs.frozen(slots=True)
class Sample:
    """An hourly sample of the backlog (and of stock, with parts)."""

    kind: ClassVar[str] = "sample"


@attrs.frozen(slots=True)
class Timer:
    """A policy's timer: ``callback(view)`` is called."""

    kind: ClassVar[str] = "timer"
    callback: Callable[[Any], None] = attrs.field(eq=False)
