"""What live dispatch answers with: options, exclusions, changes, reports and pins.

Plain frozen records (no behaviour beyond a few derived properties); the
:class:`~fsdispatch.live.Dispatcher` builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from ..plan import Plan
from .eta import Eta

__all__ = [
    "Change",
    "CostBreakdown",
    "DelayReport",
    "Exclusion",
    "InsertResult",
    "Option",
    "Pin",
    "Recommendation",
    "ReplanResult",
]


@attrs.frozen
class CostBreakdown:
    """The objective change of one insertion, by term (objective units).

    ``total`` is the sum of the terms and equals the evaluator's objective
    change of the insertion (the ticket's unassigned penalty aside).
    ``load_balance`` is the change of the global load-balance term: negative
    when the insertion raises the least loaded technician. ``depot_stop`` is
    the routing cost of starting the route with a depot stop that picks up the
    ticket's parts (0 without one): the detour to the depot, the stop, and the
    later start of the route's other tickets.
    """

    total: float
    travel: float
    distance: float
    lateness: float
    overtime: float
    labour: float
    preference: float
    load_balance: float = 0.0
    depot_stop: float = 0.0
    out_of_territory: float = 0.0
    """The soft out-of-territory cost (``ObjectiveWeights.out_of_territory``), 0 otherwise."""


@attrs.frozen
class Option:
    """One technician able to take a ticket, at their cheapest position.

    Attributes
    ----------
    technician_id, shift:
        Who, and which of their shifts (numbered as in the scenario).
    position:
        Index in the technician's remaining route where the ticket goes.
    after:
        The ticket visited just before (``None``: first stop from where the technician is).
    eta:
        Planned start and ETA window.
    cost:
        :class:`CostBreakdown` of the insertion.
    travel_added:
        Extra driving for the technician.
    sla_slack:
        Time left before the tighter SLA deadline at the planned start/end
        (negative when late; ``None`` without a deadline).
    load_after_pct:
        Work (travel + service) of the remaining shift after the insertion, in
        % of the remaining shift length.
    skill_fit:
        Levels held above those required, summed over the required skills
        (0 = exact fit; high = an over-qualified technician).
    preferred:
        Whether the customer prefers this technician (``None`` without preferences).
    reason:
        One human-readable line.
    depot_id:
        The depot where the route stops first to pick up the ticket's parts
        (``None``: the van holds them). ``insert`` with this technician opens
        the stop; ``travel_added`` is the ticket's own detour, the stop's is
        in ``cost.depot_stop``.
    crew:
        For a crew job (``Ticket.crew_size > 1``): the technicians who serve it together
        (``technician_id`` is the first), all starting at ``eta.start``; ``()`` for a
        one-technician ticket.
    members:
        For a crew job: each member's own option (its route, position and cost; the
        crew's ``cost`` is their sum), in the order of ``crew``.
    """

    technician_id: str
    shift: int
    position: int
    after: str | None
    eta: Eta
    cost: CostBreakdown
    travel_added: timedelta
    sla_slack: timedelta | None
    load_after_pct: float
    skill_fit: int
    preferred: bool | None
    reason: str
    depot_id: str | None = None
    crew: tuple[str, ...] = ()
    members: tuple[Option, ...] = ()


@attrs.frozen
class Exclusion:
    """Why a technician cannot take a ticket.

    ``code``: ``missing_skill``, ``skill_level``, ``certification_expired``,
    ``no_territory`` (hard territories), ``no_part``, ``excluded``,
    ``capacity``, ``off_shift``, ``absent``, ``no_room`` (day cap, capacity
    or van stock used by planned work), ``no_position`` (no feasible slot:
    windows, breaks, shift end).
    """

    technician_id: str
    code: str
    reason: str


@attrs.frozen
class Recommendation:
    """The best technicians for a ticket and why the others are out."""

    ticket_id: str
    options: tuple[Option, ...]
    excluded: tuple[Exclusion, ...]
    unservable: str | None = None

    @property
    def best(self) -> Option | None:
        """The first option, if any."""
        return self.options[0] if self.options else None


@attrs.frozen
class Change:
    """What happened to one ticket in a plan change.

    ``kind``: ``inserted`` (newly planned), ``moved`` (other technician),
    ``shifted`` (same technician, other time), ``dropped`` (no longer planned).
    """

    ticket_id: str
    kind: str
    from_technician: str | None
    to_technician: str | None
    old_start: datetime | None
    new_start: datetime | None

    @property
    def shift(self) -> timedelta | None:
        """How much later (negative: earlier) the service starts."""
        if self.old_start is None or self.new_start is None:
            return None
        return self.new_start - self.old_start


@attrs.frozen
class InsertResult:
    """Outcome of :meth:`Dispatcher.insert`.

    ``method``: ``insertion`` (no other ticket moved), ``depot_stop`` (a
    route now starts with a depot stop that picks up the ticket's parts; its
    other tickets shift within the disruption bound), ``repair`` (others moved
    within the disruption bound) or ``none`` (not placed; ``reason`` says
    why). ``changes`` lists every ticket whose technician or start changed,
    the inserted one first. For a crew job (``method`` ``crew``): ``crew`` names the
    technicians who serve it together (``technician_id`` is the first), ``eta`` is the
    common start, ``cost`` the members' summed insertion cost and ``changes`` holds
    every member ticket (``T``, ``T~crew2``, ...).
    """

    ticket_id: str
    placed: bool
    technician_id: str | None
    eta: Eta | None
    method: str
    cost: float
    changes: tuple[Change, ...]
    reason: str
    crew: tuple[str, ...] = ()

    @property
    def disrupted(self) -> int:
        """Other tickets moved to another technician or shifted (any amount; a crew's own
        members are not counted)."""
        from ..problem.crew import member_id

        own = {member_id(self.ticket_id, m) for m in range(max(len(self.crew), 1))}
        return sum(1 for c in self.changes if c.ticket_id not in own)


@attrs.frozen
class ReplanResult:
    """Outcome of a re-plan (:meth:`Dispatcher.reoptimize`, repairs)."""

    objective_before: float
    objective_after: float
    changes: tuple[Change, ...]
    unassigned: Mapping[str, str]
    solver: str
    runtime: float


@attrs.frozen
class DelayReport:
    """Outcome of a delay, absence or clock advance.

    Attributes
    ----------
    technician_id:
        The technician concerned (``None`` for a clock advance).
    at_risk:
        Open tickets this event touched that are now late on their SLA,
        start more than the disruption bound later or earlier, or are no
        longer planned.
    dropped:
        Tickets the new state made impossible where they were planned.
    etas:
        Updated ETAs of the tickets at risk that are still planned.
    repair:
        The repair applied (or proposed with ``apply=False``).
    """

    technician_id: str | None
    at_risk: tuple[str, ...]
    dropped: tuple[str, ...]
    etas: Mapping[str, Eta]
    repair: ReplanResult | None
    proposal: Plan | None = None


@attrs.frozen
class Pin:
    """A dispatcher's decision the optimiser must respect.

    ``technician_id``: the ticket stays with this technician; ``start``/``end``:
    service must start within this interval. Either may be ``None``.
    """

    technician_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


