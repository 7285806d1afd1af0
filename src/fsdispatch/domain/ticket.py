"""Tickets (service jobs), their time windows and priorities."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import attrs

from ..errors import ValidationError
from ..units import MAX_QUANTITY, MAX_TICKET_DURATION, MAX_WEIGHT
from ._validate import (
    check_aware,
    check_id,
    check_int,
    check_levels,
    check_number,
    check_probabilities,
    check_quantities,
    fail,
    frozen_dict,
    seconds,
    str_tuple,
    to_tuple,
)
from .location import Location

__all__ = ["MAX_CREW_SIZE", "Priority", "Ticket", "TimeWindow"]

MAX_CREW_SIZE: int = 8
"""The largest ``Ticket.crew_size``: technicians who serve one job together."""


class Priority(enum.IntEnum):
    """Ticket priority: P1 is an emergency, P4 is low."""

    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @classmethod
    def parse(cls, value: object) -> Priority:
        """Accept ``Priority``, ``1``..``4`` or ``"P1"``..``"P4"``.

        Raises
        ------
        ValidationError
            For anything else (it is also a ``ValueError``).
        """
        if isinstance(value, Priority):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
            return cls(value)
        raise ValidationError.for_field("Priority", None, "value", value,
                                        "must be P1..P4 (or 1..4)")


def _priority(value: object) -> object:
    try:
        return Priority.parse(value)
    except ValueError:
        return value


@attrs.frozen
class TimeWindow:
    """A closed interval ``[start, end]`` of timezone-aware datetimes.

    For a ticket it is an appointment window in which service must *start*.
    """

    start: datetime
    end: datetime

    def __attrs_post_init__(self) -> None:
        check_aware("TimeWindow", None, "start", self.start)
        check_aware("TimeWindow", None, "end", self.end)
        if self.end < self.start:
            fail("TimeWindow", None, "end", self.end.isoformat(),
                 f"must not be before start {self.start.isoformat()}")


@attrs.frozen
class Ticket:
    """An after-sales service job (repair, install, maintenance, inspection…).

    Parameters
    ----------
    id:
        Unique ticket id.
    location:
        Where the work is done.
    duration:
        Nominal service time (seconds or timedelta, in (0, 30 days]); a
        technician's ``service_factor`` scales it.
    category:
        Free-form category, e.g. ``"repair"``, ``"install"``, ``"maintenance"``.
    required_skills:
        Skill id -> minimum level (within [1, 100]) the technician must hold.
    windows:
        Appointment windows in which service must start; empty means any time
        in the horizon. Sorted and required not to overlap.
    window_kind:
        ``"hard"`` (starting after the last window is infeasible) or ``"soft"``
        (allowed, costing ``lateness_cost`` × the objective's window-lateness
        weight per minute late).
    lateness_cost:
        Multiplier of the soft-window lateness weight for this ticket, within [0, 10⁹].
    priority:
        :class:`Priority` (P1 emergency … P4 low); default P3.
    customer_id, customer_tier:
        Customer and its tier (e.g. ``"gold"``), used by the SLA policy.
    created_at:
        When the ticket was opened; with an SLA policy it sets the deadlines.
    response_by, resolve_by:
        SLA deadlines: service must start by ``response_by`` and end by
        ``resolve_by`` (not before ``response_by`` nor ``created_at``). Derived
        from the scenario's SLA policy when omitted.
    preferred_technicians, excluded_technicians:
        Technician ids the customer prefers / who must not be sent.
    parts:
        Part sku -> quantity (within [1, 10⁹]) the job consumes from the technician's van.
    probable_parts:
        Part sku -> probability that the job turns out to need one unit of it
        (known only on site, e.g. from the fault category). Plans do not
        reserve them; the evaluator reports the expected first-time-fix rate
        of a plan from the van contents at each visit. Empty: the scenario's
        ``category_parts`` for the ticket's category apply.
    demand:
        Generic capacity units used on the technician's route, within [0, 10⁹].
    asset_id:
        The :class:`~fsdispatch.Asset` the job is on, or ``None``; when the
        scenario lists assets it must name one of them.
    territory:
        The territory (service area) the ticket lies in, a non-empty string, or
        ``None`` (default): a ticket without a territory may go to any technician.
        Technicians whose ``territories`` do not list it are out of territory:
        incompatible by default (reason ``no_territory``), or allowed at a cost per
        ticket when ``ObjectiveWeights.out_of_territory`` is set.
    """

    id: str
    location: Location
    duration: int = attrs.field(converter=seconds)
    category: str = "repair"
    required_skills: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_dict)
    windows: tuple[TimeWindow, ...] = attrs.field(default=(), converter=to_tuple)
    window_kind: Literal["hard", "soft"] = "hard"
    lateness_cost: float = 1.0
    priority: Priority = attrs.field(default=Priority.P3, converter=_priority)
    customer_id: str | None = None
    customer_tier: str = "standard"
    created_at: datetime | None = None
    response_by: datetime | None = None
    resolve_by: datetime | None = None
    preferred_technicians: tuple[str, ...] = attrs.field(default=(), converter=str_tuple)
    excluded_technicians: tuple[str, ...] = attrs.field(default=(), converter=str_tuple)
    parts: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_dict)
    demand: int = 0
    probable_parts: Mapping[str, float] = attrs.field(factory=dict, converter=frozen_dict)
    asset_id: str | None = None
    territory: str | None = None
    crew_size: int = 1

    def __attrs_post_init__(self) -> None:
        check_id("Ticket", self.id)
        tid = self.id
        if self.territory is not None and (not isinstance(self.territory, str)
                                           or not self.territory.strip()):
            fail("Ticket", tid, "territory", self.territory,
                 "must be a non-empty string (a territory name) or None")
        if not isinstance(self.location, Location):
            fail("Ticket", tid, "location", self.location, "must be a Location")
        check_int("Ticket", tid, "duration", self.duration, minimum=0, strict_minimum=True,
                  maximum=MAX_TICKET_DURATION)
        if not isinstance(self.category, str) or not self.category:
            fail("Ticket", tid, "category", self.category, "must be a non-empty string")
        check_levels("Ticket", tid, "required_skills", self.required_skills, minimum=1)
        for k, window in enumerate(self.windows):
            if not isinstance(window, TimeWindow):
                fail("Ticket", tid, f"windows[{k}]", window, "must be a TimeWindow")
            if k and window.start <= self.windows[k - 1].end:
                fail("Ticket", tid, f"windows[{k}].start", window.start.isoformat(),
                     f"must be after the previous window's end "
                     f"{self.windows[k - 1].end.isoformat()} (sorted, non-overlapping)")
        if self.window_kind not in ("hard", "soft"):
            fail("Ticket", tid, "window_kind", self.window_kind, "must be 'hard' or 'soft'")
        check_number("Ticket", tid, "lateness_cost", self.lateness_cost, minimum=0.0,
                     maximum=MAX_WEIGHT)
        if not isinstance(self.priority, Priority):
            fail("Ticket", tid, "priority", self.priority, "must be P1, P2, P3 or P4 (1..4)")
        if self.customer_id is not None and not isinstance(self.customer_id, str):
            fail("Ticket", tid, "customer_id", self.customer_id, "must be a string or None")
        if not isinstance(self.customer_tier, str) or not self.customer_tier:
            fail("Ticket", tid, "customer_tier", self.customer_tier, "must be a non-empty string")
        for name in ("created_at", "response_by", "resolve_by"):
            value = getattr(self, name)
            if value is not None:
                check_aware("Ticket", tid, name, value)
        if self.response_by and self.created_at and self.response_by < self.created_at:
            fail("Ticket", tid, "response_by", self.response_by.isoformat(),
                 f"must not be before created_at {self.created_at.isoformat()}")
        if self.resolve_by and self.created_at and self.resolve_by < self.created_at:
            fail("Ticket", tid, "resolve_by", self.resolve_by.isoformat(),
                 f"must not be before created_at {self.created_at.isoformat()}")
        if self.resolve_by and self.response_by and self.resolve_by < self.response_by:
            fail("Ticket", tid, "resolve_by", self.resolve_by.isoformat(),
                 f"must not be before response_by {self.response_by.isoformat()}")
        for name in ("preferred_technicians", "excluded_technicians"):
            for ref in getattr(self, name):
                if not isinstance(ref, str) or not ref:
                    fail("Ticket", tid, name, ref, "must hold technician id strings")
        both = set(self.preferred_technicians) & set(self.excluded_technicians)
        if both:
            fail("Ticket", tid, "preferred_technicians", sorted(both)[0],
                 "must not also be in excluded_technicians")
        check_quantities("Ticket", tid, "parts", self.parts, minimum=1)
        check_probabilities("Ticket", tid, "probable_parts", self.probable_parts)
        check_int("Ticket", tid, "demand", self.demand, minimum=0, maximum=MAX_QUANTITY)
        check_int("Ticket", tid, "crew_size", self.crew_size, minimum=1,
                  maximum=MAX_CREW_SIZE)
        if self.asset_id is not None and (not isinstance(self.asset_id, str)
                                          or not self.asset_id):
            fail("Ticket", tid, "asset_id", self.asset_id, "must be a non-empty string or None")
