"""Ticket lifecycle: states, the transition table, events, the event log and observers.

Every state change of a ticket is a :class:`TicketEvent` (timestamp, actor,
from/to state, free data) appended to an :class:`EventLog`. Observers
subscribe to the log with a callback, so an embedding product can send
notifications ("technician on the way, ETA 10:40") without the library
knowing how. Non-transition events (ETA updates, SLA escalations, grab-pool
offers) go through the same log with ``from_state == to_state``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from ..domain._validate import check_aware
from ..errors import TransitionError, UnknownReferenceError, ValidationError

__all__ = [
    "TRANSITIONS",
    "EventLog",
    "Lifecycle",
    "TicketEvent",
    "TicketState",
]

logger = logging.getLogger(__name__)


class TicketState(enum.Enum):
    """Where a ticket is in its life."""

    CREATED = "created"  #: opened, not planned yet
    SCHEDULED = "scheduled"  #: in a technician's plan
    ACCEPTED = "accepted"  #: the technician accepted it
    REJECTED = "rejected"  #: the technician rejected it (back to dispatch)
    REASSIGNED = "reassigned"  #: moved to another technician
    EN_ROUTE = "en_route"  #: the technician is on the way
    ON_SITE = "on_site"  #: work in progress
    COMPLETED = "completed"  #: work done
    CLOSED = "closed"  #: administratively closed (terminal)
    ON_HOLD = "on_hold"  #: waiting (e.g. for parts); not plannable until released
    ESCALATED = "escalated"  #: escalated (SLA at risk, customer complaint…), to be re-dispatched
    CANCELLED = "cancelled"  #: cancelled (terminal)

    @property
    def is_open(self) -> bool:
        """Not started: the dispatcher may plan, move or drop it."""
        return self in _OPEN

    @property
    def in_progress(self) -> bool:
        """The technician is committed (en route or on site): frozen work."""
        return self in (TicketState.EN_ROUTE, TicketState.ON_SITE)

    @property
    def is_terminal(self) -> bool:
        """No transition leaves this state."""
        return not TRANSITIONS[self]


S = TicketState
_OPEN = frozenset({S.CREATED, S.SCHEDULED, S.ACCEPTED, S.REJECTED, S.REASSIGNED, S.ESCALATED})

_WAITING = frozenset({S.CREATED, S.REJECTED})  # waiting to be scheduled

TRANSITIONS: Mapping[TicketState, frozenset[TicketState]] = {
    S.CREATED: frozenset({S.SCHEDULED, S.ON_HOLD, S.ESCALATED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.SCHEDULED, S.ACCEPTED, S.REJECTED, S.REASSIGNED, S.EN_ROUTE,
                            S.ON_HOLD, S.ESCALATED, S.CANCELLED, S.CREATED}),
    S.ACCEPTED: frozenset({S.EN_ROUTE, S.REJECTED, S.REASSIGNED, S.ON_HOLD, S.ESCALATED,
                           S.CANCELLED, S.CREATED}),
    S.REJECTED: frozenset({S.SCHEDULED, S.REASSIGNED, S.ON_HOLD, S.ESCALATED, S.CANCELLED,
                           S.CREATED}),
    S.REASSIGNED: frozenset({S.REASSIGNED, S.ACCEPTED, S.REJECTED, S.EN_ROUTE, S.ON_HOLD,
                             S.ESCALATED, S.CANCELLED, S.SCHEDULED, S.CREATED}),
    S.ESCALATED: frozenset({S.SCHEDULED, S.REASSIGNED, S.ACCEPTED, S.EN_ROUTE, S.ON_HOLD,
                            S.CANCELLED, S.CREATED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.REASSIGNED, S.ON_HOLD, S.CANCELLED}),
    S.ON_SITE: frozenset({S.COMPLETED, S.ON_HOLD}),
    S.ON_HOLD: frozenset({S.CREATED, S.SCHEDULED, S.ESCALATED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
"""Allowed transitions: ``TRANSITIONS[from_state]`` is the set of reachable states.

The happy path is created → scheduled → accepted → en route → on site →
completed → closed. ``scheduled → scheduled`` and ``reassigned →
reassigned`` record a re-plan (new technician or time). ``→ created``
returns an open ticket to the unplanned pool (e.g. its technician went
absent and no repair placed it).
"""


@attrs.frozen
class TicketEvent:
    """One entry of the event log.

    Attributes
    ----------
    seq:
        Position in the log (0, 1, 2, …).
    at:
        Timezone-aware time of the event (the dispatcher's clock, not wall time).
    ticket_id:
        The ticket concerned (``None`` for technician-level events).
    kind:
        ``"transition"`` for state changes; otherwise a notice kind such as
        ``"eta"``, ``"escalation"``, ``"priority"`` (old → new priority), ``"offer"``,
        ``"claim"``, ``"absence"``, ``"delay"``.
    from_state, to_state:
        The state before and after (equal for notices).
    actor:
        Who caused it (``"dispatcher"``, ``"optimizer"``, a technician id, ``"sla-watch"``…).
    data:
        Free details (technician id, ETA, reason, escalation level…).
    """

    seq: int
    at: datetime
    ticket_id: str | None
    kind: str
    from_state: TicketState | None
    to_state: TicketState | None
    actor: str
    data: Mapping[str, Any] = attrs.field(factory=dict)

    def __str__(self) -> str:
        move = (f"{self.from_state.value if self.from_state else '-'} → "
                f"{self.to_state.value if self.to_state else '-'}")
        extra = ", ".join(f"{k}={v}" for k, v in self.data.items())
        return (f"#{self.seq} {self.at.isoformat()} {self.ticket_id or ''} {self.kind} {move} "
                f"by {self.actor}" + (f" ({extra})" if extra else ""))


Observer = Callable[[TicketEvent], None]


class EventLog:
    """Append-only log of :class:`TicketEvent` with observers.

    Observers are called synchronously, in subscription order, after the event
    is stored. An observer that raises is logged (``logging`` warning) and
    does not stop dispatch or the other observers: a failed notification
    must not corrupt the plan.
    """

    def __init__(self) -> None:
        self._events: list[TicketEvent] = []
        self._observers: list[tuple[Observer, frozenset[str] | None]] = []

    def subscribe(self, callback: Observer, kinds: set[str] | frozenset[str] | None = None,
                  ) -> Callable[[], None]:
        """Call ``callback(event)`` for every new event (of the given ``kinds`` only, if set).

        Returns
        -------
        Callable[[], None]
            Call it to unsubscribe.
        """
        if not callable(callback):
            raise ValidationError.for_field("EventLog", None, "callback", callback,
                                            "must be callable")
        entry = (callback, frozenset(kinds) if kinds is not None else None)
        self._observers.append(entry)

        def unsubscribe() -> None:
            if entry in self._observers:
                self._observers.remove(entry)

        return unsubscribe

    def emit(self, at: datetime, ticket_id: str | None, kind: str, actor: str, *,
             from_state: TicketState | None = None, to_state: TicketState | None = None,
             **data: Any) -> TicketEvent:
        """Append an event and notify the observers; returns the event."""
        check_aware("TicketEvent", ticket_id, "at", at)
        event = TicketEvent(len(self._events), at, ticket_id, kind, from_state, to_state, actor,
                            data)
        self._events.append(event)
        for callback, kinds in list(self._observers):
            if kinds is None or kind in kinds:
                try:
                    callback(event)
                except Exception:  # a failing observer must not stop dispatch
                    logger.warning("event observer %r failed on %s", callback, event,
                                   exc_info=True)
        return event

    def events(self, ticket_id: str | None = None, kind: str | None = None) -> list[TicketEvent]:
        """Events in order, optionally of one ticket and/or one kind."""
        return [e for e in self._events
                if (ticket_id is None or e.ticket_id == ticket_id)
                and (kind is None or e.kind == kind)]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[TicketEvent]:
        return iter(list(self._events))


class Lifecycle:
    """The state of every ticket, changed only through validated transitions.

    Parameters
    ----------
    log:
        The event log transitions are written to (a new one by default).
    """

    def __init__(self, log: EventLog | None = None) -> None:
        self.log = log if log is not None else EventLog()
        self._state: dict[str, TicketState] = {}
        self._parent: dict[str, str] = {}
        # tickets waiting to be scheduled (created, rejected): kept with every change so a
        # refresh looks at those, not at every planned ticket
        self._waiting: set[str] = set()
        self.waiting_version = 0  # bumped whenever ``waiting`` changes

    def add(self, ticket_id: str, at: datetime, actor: str = "dispatcher", *,
            follow_up_of: str | None = None, **data: Any) -> TicketEvent:
        """Register a new ticket in state ``created``.

        ``follow_up_of`` links a follow-up visit to its original ticket (which
        must exist); the link is in :meth:`follow_ups` and in the event data.
        """
        if not isinstance(ticket_id, str) or not ticket_id:
            raise ValidationError.for_field("Ticket", None, "id", ticket_id,
                                            "must be a non-empty string")
        if ticket_id in self._state:
            raise ValidationError.for_field("Ticket", ticket_id, "id", ticket_id,
                                            "must be unique (already tracked)")
        if follow_up_of is not None:
            self.state(follow_up_of)
            self._parent[ticket_id] = follow_up_of
            data["follow_up_of"] = follow_up_of
        self._state[ticket_id] = TicketState.CREATED
        self._waiting.add(ticket_id)
        self.waiting_version += 1
        return self.log.emit(at, ticket_id, "transition", actor, from_state=None,
                             to_state=TicketState.CREATED, **data)

    def state(self, ticket_id: str) -> TicketState:
        """Current state (``UnknownReferenceError`` for an unknown ticket)."""
        try:
            return self._state[ticket_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown ticket id {ticket_id!r}", entity="Ticket",
                                        entity_id=ticket_id) from None

    def can(self, ticket_id: str, to: TicketState) -> bool:
        """Whether ``ticket_id`` may move to ``to`` now."""
        return TicketState(to) in TRANSITIONS[self.state(ticket_id)]

    def transition(self, ticket_id: str, to: TicketState | str, at: datetime,
                   actor: str = "dispatcher", **data: Any) -> TicketEvent:
        """Move a ticket to state ``to``; the event is logged and observers are notified.

        Raises
        ------
        TransitionError
            If the transition is not in :data:`TRANSITIONS`; the message names
            the ticket, both states and the allowed targets.
        """
        try:
            target = TicketState(to)
        except ValueError:
            raise ValidationError.for_field(
                "Ticket", ticket_id, "state", to,
                "must be one of " + ", ".join(s.value for s in TicketState)) from None
        current = self.state(ticket_id)
        if target not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final)"
            raise TransitionError(
                f"Ticket {ticket_id!r}: cannot go from {current.value!r} to {target.value!r}; "
                f"allowed: {allowed}.")
        self._state[ticket_id] = target
        if (target in _WAITING) != (current in _WAITING):
            self.waiting_version += 1
            if target in _WAITING:
                self._waiting.add(ticket_id)
            else:
                self._waiting.discard(ticket_id)
        return self.log.emit(at, ticket_id, "transition", actor, from_state=current,
                             to_state=target, **data)

    def follow_ups(self, ticket_id: str) -> list[str]:
        """Follow-up tickets created for ``ticket_id``."""
        return [t for t, parent in self._parent.items() if parent == ticket_id]

    def parent(self, ticket_id: str) -> str | None:
        """The original ticket of a follow-up, or ``None``."""
        return self._parent.get(ticket_id)

    @property
    def states(self) -> Mapping[str, TicketState]:
        """Every ticket's state by id (a read-only view, in registration order)."""
        return MappingProxyType(self._state)

    @property
    def waiting(self) -> frozenset[str] | set[str]:
        """The tickets now ``created`` or ``rejected`` (waiting to be scheduled; read only)."""
        return self._waiting

    def tickets(self, *states: TicketState) -> list[str]:
        """Ticket ids (in registration order), optionally only those in ``states``."""
        return [t for t, s in self._state.items() if not states or s in states]

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self._state
