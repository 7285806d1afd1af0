"""Grab pool: publish a ticket to eligible technicians; the first valid claim wins.

A ticket published to the pool is open (registered, not planned). Eligible
technicians are ranked by fit (:meth:`Dispatcher.recommend`). A claim is
valid while the offer is open, from an eligible technician, and if the
ticket still fits that technician's day without moving anyone else; the
first valid claim plans it. Offers unclaimed after their timeout are
auto-dispatched (:meth:`GrabPool.expire`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from ..domain._validate import seconds
from ..domain.ticket import Ticket
from ..errors import UnknownReferenceError, ValidationError
from ..units import MINUTE
from .dispatcher import Dispatcher
from .results import InsertResult, Recommendation

__all__ = ["ClaimResult", "GrabPool", "Offer"]


@attrs.frozen
class Offer:
    """A ticket offered to technicians, best fit first."""

    ticket_id: str
    published_at: datetime
    expires_at: datetime
    eligible: tuple[str, ...]
    recommendation: Recommendation


@attrs.frozen
class ClaimResult:
    """Outcome of a claim: ``accepted`` and, if so, the insertion."""

    ticket_id: str
    technician_id: str
    accepted: bool
    reason: str
    insert: InsertResult | None = None


class GrabPool:
    """Offers of a :class:`Dispatcher`'s tickets to its technicians.

    Parameters
    ----------
    dispatcher:
        The live dispatcher the claims go through.
    timeout:
        Seconds (or timedelta) after which an unclaimed offer is
        auto-dispatched (default 15 min).
    k:
        How many technicians are eligible (the best ``k`` by fit; default 5).
    """

    def __init__(self, dispatcher: Dispatcher, *, timeout: int | timedelta = 15 * MINUTE,
                 k: int = 5) -> None:
        self.dispatcher = dispatcher
        self.timeout = seconds(timeout)
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, int) \
                or self.timeout < 0:
            raise ValidationError.for_field("GrabPool", None, "timeout", timeout,
                                            "must be seconds >= 0 or a timedelta")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValidationError.for_field("GrabPool", None, "k", k, "must be an integer >= 1")
        self.k = k
        self._offers: dict[str, Offer] = {}

    def publish(self, ticket: Ticket | str) -> Offer:
        """Offer a new ticket (registered as open) or an open unplanned ticket id."""
        d = self.dispatcher
        if isinstance(ticket, Ticket):
            d.add(ticket, actor="grab-pool")
            ticket_id = ticket.id
        else:
            ticket_id = ticket
            d.ticket(ticket_id)
            if d.assignment(ticket_id) is not None:
                raise ValidationError.for_field("Ticket", ticket_id, "state",
                                                d.state(ticket_id).value,
                                                "is already planned; it cannot be offered")
        rec = d.recommend(ticket_id, k=self.k)
        offer = Offer(ticket_id, d.now, d.now + timedelta(seconds=self.timeout),
                      tuple(o.technician_id for o in rec.options), rec)
        self._offers[ticket_id] = offer
        d.log.emit(d.now, ticket_id, "offer", "grab-pool", from_state=d.state(ticket_id),
                   to_state=d.state(ticket_id), eligible=offer.eligible,
                   expires_at=offer.expires_at)
        return offer

    def offers(self) -> list[Offer]:
        """Open offers, oldest first."""
        return list(self._offers.values())

    def claim(self, ticket_id: str, technician_id: str) -> ClaimResult:
        """A technician claims an offered ticket; the first valid claim wins."""
        d = self.dispatcher
        offer = self._offers.get(ticket_id)
        if offer is None:
            if ticket_id not in d.lifecycle:
                raise UnknownReferenceError(f"unknown ticket id {ticket_id!r}", entity="Ticket",
                                            entity_id=ticket_id)
            return self._reject(ticket_id, technician_id, "no open offer (already taken)")
        if d.now > offer.expires_at:
            return self._reject(ticket_id, technician_id, "the offer expired")
        if technician_id not in offer.eligible:
            return self._reject(ticket_id, technician_id, "not eligible for this ticket")
        result = d.insert(ticket_id, technician_id=technician_id, max_moved=0,
                          actor=technician_id)
        if not result.placed:
            return self._reject(ticket_id, technician_id,
                                "no longer fits the day: " + result.reason)
        del self._offers[ticket_id]
        d.log.emit(d.now, ticket_id, "claim", technician_id, from_state=d.state(ticket_id),
                   to_state=d.state(ticket_id), technician_id=technician_id, accepted=True)
        return ClaimResult(ticket_id, technician_id, True, "claimed", result)

    def expire(self, now: datetime | None = None) -> list[InsertResult]:
        """Auto-dispatch every offer past its timeout (at ``now``, default the dispatcher's)."""
        d = self.dispatcher
        at = d.now if now is None else now
        out = []
        for ticket_id, offer in list(self._offers.items()):
            if at >= offer.expires_at:
                del self._offers[ticket_id]
                if not d.state(ticket_id).is_open or d.assignment(ticket_id) is not None:
                    continue
                result = d.insert(ticket_id, actor="grab-pool")
                d.log.emit(d.now, ticket_id, "auto_dispatch", "grab-pool",
                           from_state=d.state(ticket_id), to_state=d.state(ticket_id),
                           technician_id=result.technician_id, placed=result.placed)
                out.append(result)
        return out

    def _reject(self, ticket_id: str, technician_id: str, reason: str) -> ClaimResult:
        d = self.dispatcher
        state = d.state(ticket_id)
        d.log.emit(d.now, ticket_id, "claim", technician_id, from_state=state, to_state=state,
                   technician_id=technician_id, accepted=False, reason=reason)
        return ClaimResult(ticket_id, technician_id, False, reason)
