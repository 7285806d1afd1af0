"""Keep a :class:`StockLedger` in step with a live :class:`~fsdispatch.Dispatcher`.

Accepting the desk's plan reserves parts, leaving for a ticket after a depot
stop moves the depot reservation into the van, completion consumes the parts
and cancellation (or a ticket going back on hold or to the pool) releases them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import FsdispatchError
from .ledger import Reservation, StockLedger

if TYPE_CHECKING:
    from ..live.dispatcher import Dispatcher
    from ..live.lifecycle import TicketEvent

__all__ = ["DispatchLedger"]

logger = logging.getLogger(__name__)

_RELEASE = {"cancelled", "on_hold", "created"}


class DispatchLedger:
    """Follow a dispatcher's ticket events in a stock ledger.

    Parameters
    ----------
    ledger:
        The stock ledger (vans named by technician id, depots by depot id,
        e.g. :meth:`StockLedger.from_scenario`).
    dispatcher:
        The live desk. Its event log is followed from now on: ``en_route``
        after a depot stop → :meth:`StockLedger.pick_up` of that ticket's and
        the technician's other planned tickets' units at that depot; ``completed`` →
        :meth:`StockLedger.consume` (or :meth:`StockLedger.issue` from the van
        when the ticket held no reservation); ``cancelled``, ``on_hold`` and
        back to ``created`` → :meth:`StockLedger.release`.

    Reservations themselves are made by :meth:`accept`, which the caller
    invokes when the desk's plan is accepted (after ``plan_day``,
    ``reoptimize``, ``insert`` …): over-reservation then raises
    :class:`~fsdispatch.errors.OverReservationError` at the caller. A failure
    inside an event (e.g. a van without the part at completion) cannot stop
    dispatch; it is logged and kept in :attr:`errors`.
    """

    def __init__(self, ledger: StockLedger, dispatcher: Dispatcher) -> None:
        self.ledger = ledger
        self.dispatcher = dispatcher
        self.errors: list[tuple[TicketEvent, FsdispatchError]] = []
        kinds = {"transition"}
        self._unsubscribe = dispatcher.log.subscribe(self._on_event, kinds)

    def accept(self, at: datetime | None = None) -> tuple[Reservation, ...]:
        """Reserve the parts of every ticket in the desk's current plan (re-planning replaces
        the open tickets' earlier reservations; tickets no longer planned are released).

        Raises
        ------
        OverReservationError
            A van or depot lacks the parts; the ledger is unchanged.
        """
        desk = self.dispatcher
        when = self._when(at)
        plan, problem = desk.plan, desk.problem
        planned = {problem.index.ticket_ids[j] for route in plan.routes for j in route}
        for res in self.ledger.reservations():
            tid = res.ticket_id
            if tid not in planned and self._releasable(tid):
                self.ledger.release(tid, at=when)
        return self.ledger.reserve_plan(problem.scenario, plan, problem=problem, replace=True,
                                        at=when)

    def close(self) -> None:
        """Stop following the dispatcher."""
        self._unsubscribe()

    # ------------------------------------------------------------------ events
    def _releasable(self, ticket_id: str) -> bool:
        try:
            return self.dispatcher.state(ticket_id).is_open
        except FsdispatchError:
            return True

    def _when(self, at: datetime | None) -> datetime:
        when = at or self.dispatcher.now
        return max(when, self.ledger.clock)

    def _on_event(self, event: TicketEvent) -> None:
        tid = event.ticket_id
        to = event.to_state.value if event.to_state is not None else None
        if tid is None or to is None:
            return
        try:
            self._apply(event, tid, to)
        except FsdispatchError as exc:
            logger.warning("stock ledger: %s on %s", exc, event)
            self.errors.append((event, exc))

    def _apply(self, event: TicketEvent, tid: str, to: str) -> None:
        ledger = self.ledger
        when = max(event.at, ledger.clock)
        data: dict[str, Any] = dict(event.data)
        if to == "en_route":
            tech = data.get("technician_id") or event.actor
            if tech not in ledger.locations("van"):
                return
            depots = {r.location_id for r in ledger.reservations(tid)
                      if ledger.kind(r.location_id) == "depot"}
            if not depots:
                return
            # the stop picks up for this ticket and the technician's later tickets that
            # draw on the same depot (the lazy rule's segment)
            ledger.pick_up(tid, tech, at=when)
            for res in ledger.reservations():
                other = res.ticket_id
                if other != tid and res.location_id in depots and \
                        self.dispatcher.assignment(other) == tech:
                    ledger.pick_up(other, tech, at=when)
        elif to == "completed":
            if ledger.reservations(tid):
                ledger.consume(tid, at=when)
            else:
                tech = self.dispatcher.assignment(tid) or data.get("technician_id")
                parts = dict(self.dispatcher.ticket(tid).parts)
                if parts and tech is not None:
                    ledger.issue(tech, parts, ticket_id=tid, at=when)
        elif to in _RELEASE and ledger.reservations(tid):
            ledger.release(tid, at=when)
