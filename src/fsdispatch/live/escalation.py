"""The dispatcher's SLA requests: escalations, priority changes and the SLA clocks.

:class:`EscalationDesk` is a part of :class:`~fsdispatch.live.Dispatcher` (its
base class): the requests an :class:`~fsdispatch.live.sla.SlaWatch` makes of
the dispatcher, and the same requests made by hand.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import attrs

from ..domain.ticket import Priority, Ticket
from ..errors import TransitionError, ValidationError
from .lifecycle import TicketState

if TYPE_CHECKING:
    from ..domain.scenario import Scenario
    from .dispatcher import Dispatcher
    from .lifecycle import EventLog, Lifecycle
    from .live_problem import LivePlan
    from .state import LiveState

__all__ = ["EscalationDesk", "with_priority"]

S = TicketState


def with_priority(scenario: Scenario, ticket: Ticket, priority: Priority | int | str) -> Ticket:
    """``ticket`` at ``priority`` (``Priority``, ``1``..``4`` or ``"P1"``..``"P4"``), with
    the SLA deadlines it had (explicit ones, or those ``scenario``'s SLA policy gave it at
    its old priority, written on it); ``ticket`` itself when the priority is the same."""
    try:
        new = Priority.parse(priority)
    except ValidationError:
        raise ValidationError.for_field("Ticket", ticket.id, "priority", priority,
                                        "must be P1..P4 (or 1..4)") from None
    if new == ticket.priority:
        return ticket
    response_by, resolve_by = scenario.deadlines(ticket)
    return attrs.evolve(ticket, priority=new, response_by=response_by, resolve_by=resolve_by)


class EscalationDesk:
    """Escalations, priority changes and SLA clocks of the live dispatcher."""

    if TYPE_CHECKING:
        _live: LivePlan
        _state: LiveState
        scenario: Scenario
        lifecycle: Lifecycle
        log: EventLog
        sla_watch: Any

        @property
        def now(self) -> datetime: ...

        def state(self, ticket_id: str) -> TicketState: ...

        def ticket(self, ticket_id: str) -> Ticket: ...

        def set_clock(self, now: datetime) -> None: ...

        def _note(self, ticket_id: str, kind: str, actor: str, **data: Any) -> None: ...

    def escalate(self, ticket_id: str, level: int = 1, reason: str = "",
                 actor: str = "sla-watch") -> None:
        """Record an escalation: open tickets move to ``escalated``; others get a notice."""
        self._live.settle()
        state = self.state(ticket_id)
        if state.is_open and state != S.ESCALATED and self.lifecycle.can(ticket_id, S.ESCALATED):
            self.lifecycle.transition(ticket_id, S.ESCALATED, self.now, actor, level=level,
                                      reason=reason)
        else:
            self.log.emit(self.now, ticket_id, "escalation", actor, from_state=state,
                          to_state=state, level=level, reason=reason)

    def set_priority(self, ticket_id: str, priority: Priority | int | str, *,
                     actor: str = "dispatcher", reason: str = "") -> Priority:
        """Change a ticket's priority; the live plan is re-priced with it.

        The ticket's SLA deadlines stay as they were (explicit ones, or those
        the scenario's SLA policy gave it at its old priority): only the cost
        of serving it late or not at all changes (the unassigned penalty and
        SLA lateness weight of the new priority). The live problem is
        recompiled (the plan is kept), and a ``priority`` event records
        ``old`` and ``new``. Planning it (or moving it) is up to the caller.

        Parameters
        ----------
        ticket_id:
            A registered ticket that is not cancelled or closed.
        priority:
            ``Priority``, ``1``..``4`` or ``"P1"``..``"P4"``.
        actor, reason:
            Written to the event.

        Returns
        -------
        Priority
            The ticket's previous priority.
        """
        self._live.settle()
        ticket = self.ticket(ticket_id)
        new = with_priority(self.scenario, ticket, priority)
        if self.state(ticket_id).is_terminal:
            raise TransitionError(f"Ticket {ticket_id!r} is {self.state(ticket_id).value!r}: "
                                  "its priority can no longer change.")
        old = ticket.priority
        if new is ticket:
            return old
        self._state.tickets[ticket_id] = new
        live = self._live
        if live.problem.index.has_ticket(ticket_id):  # open: re-price through the compiler
            before = live.snapshot()
            live.rebuild(None)
            live.sync_lifecycle(before, actor)
        self._note(ticket_id, "priority", actor, old=old.name, new=new.priority.name,
                   reason=reason)
        return old

    def sla_status(self, now: datetime | None = None) -> list[Any]:
        """SLA clocks of every ticket not closed (see :class:`~fsdispatch.live.sla.SlaWatch`).

        Escalation rules of the watch are applied: their events go to the
        log, and ``reassign`` actions re-dispatch the ticket.
        """
        self._live.settle()
        from .sla import SlaWatch

        watch = self.sla_watch if self.sla_watch is not None else SlaWatch()
        self.sla_watch = watch
        if now is not None:
            self.set_clock(now)
        return list(watch.check(cast("Dispatcher", self)))  # (a Dispatcher's base)
