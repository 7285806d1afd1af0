"""Spare parts: the catalogue and the depots technicians can pick parts up from."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..units import MAX_PICKUP_TIME, MAX_WEIGHT
from ._validate import (
    check_id,
    check_int,
    check_number,
    check_quantities,
    fail,
    frozen_dict,
    seconds,
    to_tuple,
)
from .location import Location
from .ticket import TimeWindow

__all__ = ["Depot", "Part"]


@attrs.frozen
class Part:
    """A spare part (stock-keeping unit).

    Parameters
    ----------
    sku:
        Unique part id referenced by tickets' ``parts``, vans' ``van_stock``
        and depots' ``stock``.
    name:
        Human-readable name.
    unit_cost:
        Cost of one unit, within [0, 10⁹], for reporting.
    """

    sku: str
    name: str = ""
    unit_cost: float = 0.0

    def __attrs_post_init__(self) -> None:
        check_id("Part", self.sku)
        check_number("Part", self.sku, "unit_cost", self.unit_cost, minimum=0.0,
                     maximum=MAX_WEIGHT)


@attrs.frozen
class Depot:
    """A warehouse or parts counter where technicians pick up parts during a route.

    A route may visit a depot right before a ticket (a *depot stop*): the
    technician travels there, waits for it to open, spends ``pickup_time``
    and takes what the van lacks for the following tickets (see
    ``docs/parts.md`` for the exact rule).

    Parameters
    ----------
    id:
        Unique depot id.
    location:
        Where the depot is.
    stock:
        Part sku -> quantity available for pick-up over the planning horizon,
        within [0, 10⁹].
    opening_hours:
        Windows in which a pick-up may *start* and must also end (sorted,
        non-overlapping); empty means always open.
    pickup_time:
        Time spent at the depot per stop (seconds or timedelta, within [0, 1 day]);
        default 10 minutes.
    """

    id: str
    location: Location
    stock: Mapping[str, int] = attrs.field(factory=dict, converter=frozen_dict)
    opening_hours: tuple[TimeWindow, ...] = attrs.field(default=(), converter=to_tuple)
    pickup_time: int = attrs.field(default=600, converter=seconds)

    def __attrs_post_init__(self) -> None:
        check_id("Depot", self.id)
        if not isinstance(self.location, Location):
            fail("Depot", self.id, "location", self.location, "must be a Location")
        check_quantities("Depot", self.id, "stock", self.stock, minimum=0)
        for k, window in enumerate(self.opening_hours):
            if not isinstance(window, TimeWindow):
                fail("Depot", self.id, f"opening_hours[{k}]", window, "must be a TimeWindow")
            if k and window.start <= self.opening_hours[k - 1].end:
                fail("Depot", self.id, f"opening_hours[{k}].start", window.start.isoformat(),
                     "must be after the previous window's end (sorted, non-overlapping)")
        check_int("Depot", self.id, "pickup_time", self.pickup_time, minimum=0,
                  maximum=MAX_PICKUP_TIME, in_seconds=True)
