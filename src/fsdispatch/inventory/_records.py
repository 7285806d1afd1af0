"""The stock ledger's records (reservations, movements), kinds and argument checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import numpy as np

from ..errors import InvalidQuantityError, ValidationError

LocationKind = Literal["depot", "van"]
MovementKind = Literal["initial", "receive", "reserve", "release", "consume",
                       "transfer_out", "transfer_in", "return"]

#: The kinds of stock location.
LOCATION_KINDS: tuple[str, ...] = ("depot", "van")
#: Movement kinds and the sign of their effect on ``on_hand`` (``return`` depends on condition).
MOVEMENT_KINDS: Mapping[str, int] = {
    "initial": +1, "receive": +1, "reserve": 0, "release": 0, "consume": -1,
    "transfer_out": -1, "transfer_in": +1, "return": +1,
}
CONDITIONS = ("defective", "good")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@attrs.frozen
class Reservation:
    """Units of one part held at one location for one ticket.

    Parameters
    ----------
    ticket_id:
        The ticket the units are held for.
    location_id:
        Where the units are (depot or van).
    sku:
        The part.
    quantity:
        Units held (> 0).
    """

    ticket_id: str
    location_id: str
    sku: str
    quantity: int


@attrs.frozen
class Movement:
    """One entry of the append-only movement log.

    Parameters
    ----------
    seq:
        Position in the log (0-based, strictly increasing).
    at:
        When it happened (timezone-aware).
    kind:
        One of :data:`MOVEMENT_KINDS`: ``initial`` (opening stock), ``receive``
        (replenishment), ``reserve`` / ``release`` (no physical change),
        ``consume`` (used on a ticket), ``transfer_out`` / ``transfer_in``
        (the two halves of a transfer), ``return`` (an old part brought back).
    location_id:
        The stock location concerned.
    sku:
        The part.
    quantity:
        Units moved (> 0; the sign is given by ``kind``).
    ticket_id:
        The ticket concerned, if any.
    other_location_id:
        For transfers, the other end (destination of ``transfer_out``, source
        of ``transfer_in``).
    condition:
        For returns, ``"good"`` (back in stock) or ``"defective"`` (returns log only).
    """

    seq: int
    at: datetime
    kind: str
    location_id: str
    sku: str
    quantity: int
    ticket_id: str | None = None
    other_location_id: str | None = None
    condition: str | None = None

    @property
    def on_hand_delta(self) -> int:
        """Signed change of ``on_hand`` at :attr:`location_id` caused by this movement."""
        if self.kind == "return" and self.condition != "good":
            return 0
        return MOVEMENT_KINDS[self.kind] * self.quantity


def check_quantities(parts: Mapping[str, Any], field: str, *,
                      allow_zero: bool = True) -> dict[str, int]:
    """Validate a ``{sku: qty}`` mapping; zero quantities are dropped."""
    if not isinstance(parts, Mapping):
        raise InvalidQuantityError(
            f"{field} must be a mapping of sku -> quantity, got {parts!r}.",
            field=field, value=parts)
    out: dict[str, int] = {}
    for sku, qty in parts.items():
        if not isinstance(sku, str) or not sku:
            raise InvalidQuantityError(f"{field}: sku must be a non-empty string, got {sku!r}.",
                                       field=field, value=sku)
        if isinstance(qty, bool) or not isinstance(qty, int | np.integer):
            raise InvalidQuantityError(
                f"{field}[{sku!r}]: quantity must be an integer, got {qty!r}.",
                field=f"{field}[{sku!r}]", value=qty)
        q = int(qty)
        if q < 0 or (q == 0 and not allow_zero):
            raise InvalidQuantityError(
                f"{field}[{sku!r}]: quantity must be >= {0 if allow_zero else 1}, got {q}.",
                field=f"{field}[{sku!r}]", value=q)
        if q:
            out[sku] = out.get(sku, 0) + q
    return out


def check_time(value: Any, field: str = "at") -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None \
            or value.tzinfo.utcoffset(value) is None:
        raise ValidationError.for_field("StockLedger", None, field, value,
                                        "must be a timezone-aware datetime")
    return value
