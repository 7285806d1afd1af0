"""The stock ledger: on-hand stock and reservations per stock location and part.

A *stock location* is a depot or a technician's van, named by a string id
(for vans built by :meth:`StockLedger.from_scenario`, the technician id). The
ledger keeps, per ``(location_id, sku)``:

- ``on_hand``: units physically there;
- ``reserved``: units promised to tickets (sum of the tickets' reservations);
- ``available = on_hand - reserved``: units free for new reservations.

Every change is appended to a movement log (:class:`Movement`) with a
timezone-aware timestamp. Timestamps are ``datetime`` objects (the domain's
convention), never naive; an operation called without ``at`` is stamped with
the ledger's clock (the latest timestamp recorded so far, initially ``start``),
so a ledger is deterministic: the same calls give the same log. Timestamps
never go back: an ``at`` earlier than the clock is refused.

Invariants, checked before any state changes (an operation that raises
leaves the ledger as it was):

- ``0 <= reserved <= on_hand`` for every location and part;
- units are conserved: transfers move units between locations, only
  :meth:`~StockLedger.receive`, good :meth:`~StockLedger.record_return` and
  :meth:`~StockLedger.consume` / :meth:`~StockLedger.issue` change the total.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import (
    BackendUnavailableError,
    InsufficientStockError,
    InvalidQuantityError,
    OverReservationError,
    ReservationConflictError,
    UnknownLocationError,
    ValidationError,
)
from ._records import (
    CONDITIONS,
    EPOCH,
    LOCATION_KINDS,
    MOVEMENT_KINDS,
    LocationKind,
    Movement,
    MovementKind,
    Reservation,
    check_quantities,
    check_time,
)
from ._visits import PlannedVisit, plan_visits

if TYPE_CHECKING:
    import pandas as pd

    from ..domain.scenario import Scenario

__all__ = [
    "LOCATION_KINDS",
    "MOVEMENT_KINDS",
    "LocationKind",
    "Movement",
    "MovementKind",
    "PlannedVisit",
    "Reservation",
    "StockLedger",
    "plan_visits",
]

class StockLedger:
    """On-hand stock, reservations and a movement log per stock location and part.

    Parameters
    ----------
    start:
        The ledger clock's initial value (timezone-aware); default
        1970-01-01 UTC. Operations called without ``at`` are stamped with the
        clock, which is the latest timestamp recorded so far.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> ledger = StockLedger(start=datetime(2026, 3, 2, 8, tzinfo=UTC))
    >>> ledger.add_location("D1", "depot", {"P1": 10})
    >>> ledger.add_location("van-A", "van", {"P1": 1})
    >>> ledger.reserve("T-1", "van-A", {"P1": 1})
    (Reservation(ticket_id='T-1', location_id='van-A', sku='P1', quantity=1),)
    >>> ledger.available("van-A", "P1")
    0
    >>> _ = ledger.consume("T-1")
    >>> ledger.on_hand("van-A", "P1"), ledger.reserved("van-A", "P1")
    (0, 0)
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = EPOCH if start is None else check_time(start, "start")
        self._clock = self._start
        self._kinds: dict[str, str] = {}
        self._on_hand: dict[str, dict[str, int]] = {}
        self._reserved: dict[str, dict[str, int]] = {}
        # ticket id -> {(location id, sku): qty}, in reservation order
        self._reservations: dict[str, dict[tuple[str, str], int]] = {}
        self._log: list[Movement] = []
        # (location id, sku) -> positions in the log, for fast histories
        self._by_item: dict[tuple[str, str], list[int]] = {}

    # ------------------------------------------------------------------ helpers
    def _stamp(self, at: datetime | None) -> datetime:
        if at is None:
            return self._clock
        check_time(at)
        if at < self._clock:
            raise ValidationError.for_field(
                "StockLedger", None, "at", at.isoformat(),
                f"must not be earlier than the ledger clock {self._clock.isoformat()} "
                "(the movement log is append-only in time order)")
        return at

    def _record(self, at: datetime, kind: str, location_id: str, sku: str, quantity: int,
                ticket_id: str | None = None, other: str | None = None,
                condition: str | None = None) -> Movement:
        move = Movement(len(self._log), at, kind, location_id, sku, quantity, ticket_id,
                        other, condition)
        self._by_item.setdefault((location_id, sku), []).append(move.seq)
        self._log.append(move)
        self._clock = at
        return move

    def _location(self, location_id: str, field: str = "location_id") -> str:
        if location_id not in self._kinds:
            known = ", ".join(sorted(self._kinds)[:10]) or "none"
            raise UnknownLocationError(
                f"{field}: unknown stock location {location_id!r}; known: {known}"
                f"{'…' if len(self._kinds) > 10 else ''}.")
        return location_id

    @staticmethod
    def _ticket(ticket_id: Any) -> str:
        if not isinstance(ticket_id, str) or not ticket_id:
            raise ValidationError.for_field("StockLedger", None, "ticket_id", ticket_id,
                                            "must be a non-empty string")
        return ticket_id

    def _add(self, table: dict[str, dict[str, int]], location_id: str, sku: str,
             delta: int) -> None:
        row = table[location_id]
        value = row.get(sku, 0) + delta
        assert value >= 0, (location_id, sku, value)  # guarded by the checks before
        row[sku] = value

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """Restore the state if the body raises (used for multi-step operations)."""
        saved = (copy.deepcopy(self._on_hand), copy.deepcopy(self._reserved),
                 copy.deepcopy(self._reservations), len(self._log), self._clock)
        try:
            yield
        except BaseException:
            self._on_hand, self._reserved, self._reservations = saved[:3]
            for move in self._log[saved[3]:]:
                self._by_item[(move.location_id, move.sku)].pop()
            del self._log[saved[3]:]
            self._clock = saved[4]
            raise

    # ---------------------------------------------------------------- locations
    def add_location(self, location_id: str, kind: LocationKind = "van",
                     stock: Mapping[str, int] | None = None, *,
                     at: datetime | None = None) -> None:
        """Add a depot or van with its opening stock (logged as ``initial`` movements).

        Parameters
        ----------
        location_id:
            Unique id among all locations (depots and vans share one namespace).
        kind:
            ``"depot"`` or ``"van"``.
        stock:
            Opening stock, sku -> units (>= 0); default empty.
        at:
            Timestamp of the opening stock; default the ledger clock.

        Raises
        ------
        ValidationError
            Empty or duplicate id, unknown kind.
        InvalidQuantityError
            A quantity is not a non-negative integer.
        """
        if not isinstance(location_id, str) or not location_id:
            raise ValidationError.for_field("StockLedger", None, "location_id", location_id,
                                            "must be a non-empty string")
        if location_id in self._kinds:
            raise ValidationError.for_field("StockLedger", None, "location_id", location_id,
                                            "must be unique (depots and vans share ids)")
        if kind not in LOCATION_KINDS:
            raise ValidationError.for_field("StockLedger", location_id, "kind", kind,
                                            "must be 'depot' or 'van'")
        parts = check_quantities(stock or {}, f"stock of {location_id!r}")
        when = self._stamp(at)
        self._kinds[location_id] = kind
        self._on_hand[location_id] = {}
        self._reserved[location_id] = {}
        for sku, qty in parts.items():
            self._on_hand[location_id][sku] = qty
            self._record(when, "initial", location_id, sku, qty)

    def locations(self, kind: LocationKind | None = None) -> tuple[str, ...]:
        """Location ids in insertion order, optionally only depots or only vans."""
        return tuple(loc for loc, k in self._kinds.items() if kind is None or k == kind)

    def kind(self, location_id: str) -> str:
        """``"depot"`` or ``"van"``."""
        return self._kinds[self._location(location_id)]

    def __contains__(self, location_id: object) -> bool:
        return location_id in self._kinds

    # ------------------------------------------------------------------ queries
    @property
    def clock(self) -> datetime:
        """The latest timestamp recorded (or ``start``): the default ``at`` of operations."""
        return self._clock

    def on_hand(self, location_id: str, sku: str) -> int:
        """Units of ``sku`` physically at the location."""
        return self._on_hand[self._location(location_id)].get(sku, 0)

    def reserved(self, location_id: str, sku: str) -> int:
        """Units of ``sku`` at the location held for tickets."""
        return self._reserved[self._location(location_id)].get(sku, 0)

    def available(self, location_id: str, sku: str) -> int:
        """``on_hand - reserved``: units free for new reservations."""
        return self.on_hand(location_id, sku) - self.reserved(location_id, sku)

    def stock(self, location_id: str) -> dict[str, int]:
        """On-hand units per sku at a location (skus ever held, sorted, zeros included)."""
        row = self._on_hand[self._location(location_id)]
        return {sku: row[sku] for sku in sorted(row)}

    def skus(self, location_id: str | None = None) -> tuple[str, ...]:
        """Sorted skus ever held at a location (or anywhere)."""
        if location_id is not None:
            return tuple(sorted(self._on_hand[self._location(location_id)]))
        return tuple(sorted({sku for row in self._on_hand.values() for sku in row}))

    def items(self) -> tuple[tuple[str, str], ...]:
        """Every ``(location_id, sku)`` pair ever stocked, locations in insertion order."""
        return tuple((loc, sku) for loc in self._kinds for sku in sorted(self._on_hand[loc]))

    def total_on_hand(self, sku: str | None = None) -> int:
        """Units on hand over all locations (of one sku, or of all)."""
        return sum(q for row in self._on_hand.values() for s, q in row.items()
                   if sku is None or s == sku)

    def reservations(self, ticket_id: str | None = None) -> tuple[Reservation, ...]:
        """Current reservations (of one ticket, or all in reservation order)."""
        tickets: Iterable[str] = self._reservations if ticket_id is None else (
            [ticket_id] if ticket_id in self._reservations else [])
        return tuple(Reservation(t, loc, sku, q) for t in tickets
                     for (loc, sku), q in self._reservations[t].items())

    @property
    def movements(self) -> tuple[Movement, ...]:
        """The append-only movement log, oldest first."""
        return tuple(self._log)

    @property
    def returns_log(self) -> tuple[Movement, ...]:
        """Defective returns (old parts brought back, not in stock), oldest first."""
        return tuple(m for m in self._log if m.kind == "return" and m.condition == "defective")

    # ------------------------------------------------------------- reservations
    def reserve(self, ticket_id: str, location_id: str, parts: Mapping[str, int], *,
                at: datetime | None = None) -> tuple[Reservation, ...]:
        """Hold units of one or more parts at a location for a ticket (all or nothing).

        Parameters
        ----------
        ticket_id:
            The ticket.
        location_id:
            Depot or van holding the units.
        parts:
            sku -> units (integers >= 0; zeros are ignored).
        at:
            Timestamp; default the ledger clock.

        Returns
        -------
        tuple of Reservation
            The reservations made, in ``parts`` order.

        Raises
        ------
        OverReservationError
            A part asks for more than ``available`` (names location, sku,
            requested and available); nothing is reserved.
        ReservationConflictError
            The ticket already holds a reservation of that part at that location.
        UnknownLocationError, InvalidQuantityError
            Unknown location; negative or non-integer quantity.
        """
        self._ticket(ticket_id)
        self._location(location_id)
        wanted = check_quantities(parts, "parts")
        held = self._reservations.get(ticket_id, {})
        for sku, qty in wanted.items():
            if (location_id, sku) in held:
                raise ReservationConflictError(
                    f"Ticket {ticket_id!r} already holds {held[(location_id, sku)]} x {sku!r} "
                    f"at {location_id!r}; release it before reserving again.")
            free = self.available(location_id, sku)
            if qty > free:
                raise OverReservationError(
                    f"Cannot reserve {qty} x {sku!r} at {location_id!r} for ticket "
                    f"{ticket_id!r}: only {free} available (on hand "
                    f"{self.on_hand(location_id, sku)}, reserved "
                    f"{self.reserved(location_id, sku)}).",
                    location_id=location_id, sku=sku, requested=qty, available=free)
        when = self._stamp(at)
        out = []
        for sku, qty in wanted.items():
            self._reservations.setdefault(ticket_id, {})[(location_id, sku)] = qty
            self._on_hand[location_id].setdefault(sku, 0)
            self._add(self._reserved, location_id, sku, qty)
            self._record(when, "reserve", location_id, sku, qty, ticket_id)
            out.append(Reservation(ticket_id, location_id, sku, qty))
        return tuple(out)

    def release(self, ticket_id: str, *, at: datetime | None = None) -> tuple[Reservation, ...]:
        """Cancel every reservation of a ticket (units stay on hand, become available).

        A ticket without reservations (e.g. it needs no parts) releases nothing.

        Returns
        -------
        tuple of Reservation
            The reservations released.
        """
        self._ticket(ticket_id)
        when = self._stamp(at)
        released = self.reservations(ticket_id)
        for res in released:
            self._add(self._reserved, res.location_id, res.sku, -res.quantity)
            self._record(when, "release", res.location_id, res.sku, res.quantity, ticket_id)
        self._reservations.pop(ticket_id, None)
        return released

    def consume(self, ticket_id: str, used: Mapping[str, int] | None = None, *,
                at: datetime | None = None) -> tuple[Movement, ...]:
        """Complete a ticket: its reserved units leave stock.

        Parameters
        ----------
        ticket_id:
            The ticket completed.
        used:
            sku -> units actually used, at most the units reserved per sku;
            the rest of the ticket's reservations is released. Default: all
            reserved units are used. Parts used without a reservation go
            through :meth:`issue`.
        at:
            Timestamp; default the ledger clock.

        Returns
        -------
        tuple of Movement
            The ``consume`` movements (a ticket without reservations consumes nothing).

        Raises
        ------
        InvalidQuantityError
            ``used`` names more units of a part than the ticket reserved.
        """
        self._ticket(ticket_id)
        held = self.reservations(ticket_id)
        if used is None:
            take = {(r.location_id, r.sku): r.quantity for r in held}
        else:
            want = check_quantities(used, "used")
            take = {}
            for sku, qty in want.items():
                have = sum(r.quantity for r in held if r.sku == sku)
                if qty > have:
                    raise InvalidQuantityError(
                        f"Ticket {ticket_id!r}: used[{sku!r}] = {qty} exceeds the {have} "
                        "unit(s) reserved; use issue() for unreserved parts.",
                        field=f"used[{sku!r}]", value=qty)
                for r in held:  # reservation order
                    if r.sku == sku and qty:
                        n = min(qty, r.quantity)
                        take[(r.location_id, sku)] = n
                        qty -= n
        when = self._stamp(at)
        out = []
        for r in held:
            n = take.get((r.location_id, r.sku), 0)
            self._add(self._reserved, r.location_id, r.sku, -r.quantity)
            if n:
                self._add(self._on_hand, r.location_id, r.sku, -n)
                out.append(self._record(when, "consume", r.location_id, r.sku, n, ticket_id))
            if n < r.quantity:
                self._record(when, "release", r.location_id, r.sku, r.quantity - n, ticket_id)
        self._reservations.pop(ticket_id, None)
        return tuple(out)

    def issue(self, location_id: str, parts: Mapping[str, int], *,
              ticket_id: str | None = None, at: datetime | None = None) -> tuple[Movement, ...]:
        """Consume free (unreserved) units at once, e.g. a part used without a plan.

        Raises
        ------
        InsufficientStockError
            A part asks for more than ``available``; nothing is consumed.
        """
        self._location(location_id)
        if ticket_id is not None:
            self._ticket(ticket_id)
        wanted = check_quantities(parts, "parts")
        self._check_free(location_id, wanted, "issue")
        when = self._stamp(at)
        return tuple(self._decrement(location_id, sku, qty, "consume", when, ticket_id)
                     for sku, qty in wanted.items())

    def _check_free(self, location_id: str, wanted: Mapping[str, int], what: str) -> None:
        for sku, qty in wanted.items():
            free = self.available(location_id, sku)
            if qty > free:
                raise InsufficientStockError(
                    f"Cannot {what} {qty} x {sku!r} from {location_id!r}: only {free} "
                    f"available (on hand {self.on_hand(location_id, sku)}, reserved "
                    f"{self.reserved(location_id, sku)}).",
                    location_id=location_id, sku=sku, requested=qty, available=free)

    def _decrement(self, location_id: str, sku: str, qty: int, kind: str, when: datetime,
                   ticket_id: str | None, other: str | None = None) -> Movement:
        self._add(self._on_hand, location_id, sku, -qty)
        return self._record(when, kind, location_id, sku, qty, ticket_id, other)

    # --------------------------------------------------------- stock movements
    def receive(self, location_id: str, parts: Mapping[str, int], *,
                at: datetime | None = None) -> tuple[Movement, ...]:
        """Replenishment: units arrive at a location."""
        self._location(location_id)
        wanted = check_quantities(parts, "parts")
        when = self._stamp(at)
        out = []
        for sku, qty in wanted.items():
            self._add(self._on_hand, location_id, sku, qty)
            out.append(self._record(when, "receive", location_id, sku, qty))
        return tuple(out)

    def record_return(self, ticket_id: str, location_id: str, parts: Mapping[str, int],
                      condition: Literal["defective", "good"] = "defective", *,
                      at: datetime | None = None) -> tuple[Movement, ...]:
        """Record old parts brought back from a ticket.

        ``"good"`` units go back into stock at ``location_id`` (on hand grows);
        ``"defective"`` units only enter the returns log (:attr:`returns_log`),
        e.g. for repair or warranty claims.
        """
        self._ticket(ticket_id)
        self._location(location_id)
        if condition not in CONDITIONS:
            raise ValidationError.for_field("StockLedger", ticket_id, "condition", condition,
                                            "must be 'defective' or 'good'")
        wanted = check_quantities(parts, "parts")
        when = self._stamp(at)
        out = []
        for sku, qty in wanted.items():
            if condition == "good":
                self._add(self._on_hand, location_id, sku, qty)
            else:
                self._on_hand[location_id].setdefault(sku, 0)
            out.append(self._record(when, "return", location_id, sku, qty, ticket_id,
                                    condition=condition))
        return tuple(out)

    def transfer(self, src: str, dst: str, parts: Mapping[str, int],
                 ticket_id: str | None = None, *,
                 at: datetime | None = None) -> tuple[Movement, ...]:
        """Move units between locations, e.g. a depot pick-up into a van.

        With ``ticket_id``, units the ticket has reserved at ``src`` move first
        and their reservation moves with them (the ticket then holds them at
        ``dst``, added to what it may already hold there); further units come
        from ``src``'s free stock. Without it, all units come from free stock:
        reserved units are never taken.

        Returns
        -------
        tuple of Movement
            ``transfer_out`` / ``transfer_in`` pairs, one per sku.

        Raises
        ------
        InsufficientStockError
            ``src`` lacks the free (or ticket-reserved) units; nothing moves.
        """
        self._location(src, "src")
        self._location(dst, "dst")
        if src == dst:
            raise ValidationError.for_field("StockLedger", None, "dst", dst,
                                            "must differ from src")
        if ticket_id is not None:
            self._ticket(ticket_id)
        wanted = check_quantities(parts, "parts")
        held = self._reservations.get(ticket_id, {}) if ticket_id is not None else {}
        moves_res: dict[str, int] = {}
        for sku, qty in wanted.items():
            mine = held.get((src, sku), 0)
            from_res = min(qty, mine)
            free = self.available(src, sku)
            if qty - from_res > free:
                raise InsufficientStockError(
                    f"Cannot transfer {qty} x {sku!r} from {src!r} to {dst!r}: only "
                    f"{free + from_res} available"
                    f"{f' to ticket {ticket_id!r}' if ticket_id is not None else ''} "
                    f"(on hand {self.on_hand(src, sku)}, reserved {self.reserved(src, sku)}).",
                    location_id=src, sku=sku, requested=qty, available=free + from_res)
            if from_res:
                moves_res[sku] = from_res
        when = self._stamp(at)
        out: list[Movement] = []
        for sku, qty in wanted.items():
            n = moves_res.get(sku, 0)
            if n:
                assert ticket_id is not None
                self._add(self._reserved, src, sku, -n)
                left = held[(src, sku)] - n
                if left:
                    held[(src, sku)] = left
                else:
                    del held[(src, sku)]
            out.append(self._decrement(src, sku, qty, "transfer_out", when, ticket_id, dst))
            self._add(self._on_hand, dst, sku, qty)
            out.append(self._record(when, "transfer_in", dst, sku, qty, ticket_id, src))
            if n:
                assert ticket_id is not None
                held[(dst, sku)] = held.get((dst, sku), 0) + n  # merged with what it holds
                self._reserved[dst].setdefault(sku, 0)
                self._add(self._reserved, dst, sku, n)
        return tuple(out)

    # --------------------------------------------------------------- history
    def consumption_history(self, location_id: str, sku: str, period: timedelta | int,
                            start: datetime, end: datetime, *,
                            include_transfers: bool | None = None) -> np.ndarray:
        """Demand per period at a location, for forecasting.

        Parameters
        ----------
        location_id, sku:
            The stock item.
        period:
            Bucket length (``timedelta`` or int seconds > 0), e.g. one day.
        start, end:
            The half-open time range ``[start, end)`` (timezone-aware); the
            last bucket may be shorter when ``end - start`` is not a multiple
            of ``period``.
        include_transfers:
            Count units transferred *out* as demand too. Default: yes for a
            depot (what vans pull from it is its demand), no for a van.

        Returns
        -------
        numpy.ndarray
            int64 array of shape ``(ceil((end - start) / period),)``: units
            consumed (and, if included, transferred out) in each period.
        """
        self._location(location_id)
        secs = period.total_seconds() if isinstance(period, timedelta) else period
        if isinstance(secs, bool) or not isinstance(secs, int | float) or not secs > 0:
            raise InvalidQuantityError(f"period must be > 0 seconds, got {period!r}.",
                                       field="period", value=period)
        check_time(start, "start")
        check_time(end, "end")
        if end < start:
            raise ValidationError.for_field("StockLedger", None, "end", end.isoformat(),
                                            f"must not be before start {start.isoformat()}")
        num = math.ceil((end - start).total_seconds() / secs)
        if include_transfers is None:
            include_transfers = self._kinds[location_id] == "depot"
        kinds = ("consume", "transfer_out") if include_transfers else ("consume",)
        out = np.zeros(num, dtype=np.int64)
        for seq in self._by_item.get((location_id, sku), ()):
            m = self._log[seq]
            if m.kind in kinds and start <= m.at < end:
                out[int((m.at - start).total_seconds() // secs)] += m.quantity
        return out

    def to_frame(self) -> pd.DataFrame:
        """The movement log as a pandas DataFrame (one row per :class:`Movement`).

        Columns: ``seq, at, kind, location_id, location_kind, sku, quantity,
        on_hand_delta, ticket_id, other_location_id, condition``.

        Raises
        ------
        BackendUnavailableError
            pandas is not installed.
        """
        try:
            import pandas
        except ImportError:  # pragma: no cover - exercised only without pandas
            raise BackendUnavailableError(
                "StockLedger.to_frame needs pandas: pip install \"fsdispatch[tabular]\"") from None
        columns = ["seq", "at", "kind", "location_id", "location_kind", "sku", "quantity",
                   "on_hand_delta", "ticket_id", "other_location_id", "condition"]
        rows = [(m.seq, m.at, m.kind, m.location_id, self._kinds[m.location_id], m.sku,
                 m.quantity, m.on_hand_delta, m.ticket_id, m.other_location_id, m.condition)
                for m in self._log]
        return pandas.DataFrame(rows, columns=columns)

    # --------------------------------------------------------------- scenario
    @classmethod
    def from_scenario(cls, scenario: Scenario, *, start: datetime | None = None) -> StockLedger:
        """A ledger with one van per technician and one location per depot.

        Vans are named by technician id and hold ``Technician.van_stock``;
        depots (``scenario.depots``, when the scenario has that attribute)
        are named by depot id and hold ``Depot.stock``. The clock starts at
        ``start`` (default: the scenario horizon's start).

        Raises
        ------
        ValidationError
            A depot and a technician share an id (locations share one namespace).
        """
        ledger = cls(start=scenario.horizon.start if start is None else start)
        for depot in getattr(scenario, "depots", ()):
            ledger.add_location(depot.id, "depot", dict(depot.stock))
        for tech in scenario.technicians:
            ledger.add_location(tech.id, "van", dict(tech.van_stock))
        return ledger

    def reserve_plan(self, scenario: Scenario, plan: Any, *, problem: Any = None,
                     pickups: Mapping[str, str] | None = None, replace: bool = False,
                     at: datetime | None = None) -> tuple[Reservation, ...]:
        """Accept a plan: reserve every routed ticket's ``Ticket.parts`` (all or nothing).

        Each technician's visits are walked in route order (shifts in order),
        starting from the van's *available* units, with the evaluator's
        depot-stop rule: a depot stop before a ticket picks up what the van
        lacks for the tickets from there to the route's next depot stop. So
        each ticket's parts are reserved in the technician's van while the van
        (after the earlier tickets) still has them, and the rest at the depot
        of the stop that brings them (possibly split between the two). The
        pick-up itself is later recorded with :meth:`pick_up` (or
        :meth:`transfer` with the ticket id), which moves the depot reservation
        into the van.

        Parameters
        ----------
        scenario:
            The scenario the plan was made for (for ``Ticket.parts``).
        plan:
            A :class:`~fsdispatch.Schedule`, a :class:`~fsdispatch.SolveResult`,
            or a :class:`~fsdispatch.Plan` (index form: its ``problem`` is
            needed, compiled from ``scenario`` when not given).
        problem:
            The compiled problem of an index-form plan.
        pickups:
            Ticket id -> depot id of the depot stop right before that ticket,
            replacing the plan's own depot stops (see :func:`plan_visits`).
        replace:
            Release the planned tickets' existing reservations first (re-planning).
            Without it a ticket already holding a reservation raises
            :class:`~fsdispatch.errors.ReservationConflictError`.
        at:
            Timestamp; default the ledger clock.

        Returns
        -------
        tuple of Reservation
            The reservations made, in route order.

        Raises
        ------
        OverReservationError
            A van or depot lacks the parts; nothing is reserved.
        """
        visits = plan_visits(plan, scenario, problem)
        if pickups is not None:
            visits = [v._replace(pickup_depot_id=pickups.get(v.ticket_id)) for v in visits]
        tickets = {t.id: t for t in scenario.tickets}
        when = self._stamp(at)
        out: list[Reservation] = []
        with self._atomic():
            if replace:
                for visit in visits:
                    self.release(visit.ticket_id, at=when)
            needs: list[dict[str, int]] = []
            for visit in visits:
                ticket = tickets.get(visit.ticket_id)
                if ticket is None:
                    raise ValidationError.for_field(
                        "StockLedger", None, "plan", visit.ticket_id,
                        "references a ticket that is not in the scenario")
                needs.append(dict(ticket.parts))
            van_left: dict[str, dict[str, int]] = {}
            depot_of_visit: list[str | None] = [None] * len(visits)
            current: str | None = None
            for k, visit in enumerate(visits):
                # a depot stop opens a segment that lasts until the next stop or the route's end
                if visit.pickup_depot_id is not None:
                    current = visit.pickup_depot_id
                elif k == 0 or visits[k - 1][:2] != visit[:2]:
                    current = None
                depot_of_visit[k] = current
            for k, (tech, _shift, ticket_id, _depot) in enumerate(visits):
                if not needs[k]:
                    continue
                self._location(tech, "technician van")
                left = van_left.setdefault(tech, {})
                from_van: dict[str, int] = {}
                from_depot: dict[str, int] = {}
                for sku, qty in needs[k].items():
                    have = left.get(sku, self.available(tech, sku))
                    use = qty if depot_of_visit[k] is None else min(qty, have)
                    from_van[sku] = use
                    left[sku] = have - use
                    if qty > use:
                        from_depot[sku] = qty - use
                out.extend(self.reserve(ticket_id, tech, from_van, at=when))
                if from_depot:
                    depot = depot_of_visit[k]
                    assert depot is not None
                    out.extend(self.reserve(ticket_id, depot, from_depot, at=when))
        return tuple(out)

    def pick_up(self, ticket_id: str, van_id: str, *,
                at: datetime | None = None) -> tuple[Movement, ...]:
        """Record a depot pick-up: the ticket's units reserved at depots move into the van.

        The reservations move with the units (see :meth:`transfer`). A ticket
        holding nothing at a depot moves nothing.
        """
        self._ticket(ticket_id)
        self._location(van_id, "van_id")
        when = self._stamp(at)
        by_depot: dict[str, dict[str, int]] = {}
        for res in self.reservations(ticket_id):
            if res.location_id != van_id and self._kinds[res.location_id] == "depot":
                by_depot.setdefault(res.location_id, {})[res.sku] = res.quantity
        out: list[Movement] = []
        with self._atomic():
            for depot, parts in by_depot.items():
                out.extend(self.transfer(depot, van_id, parts, ticket_id, at=when))
        return tuple(out)
