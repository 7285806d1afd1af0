"""Spare parts catalogue."""

from __future__ import annotations

import attrs

from ._validate import check_id, check_number

__all__ = ["Part"]


@attrs.frozen
class Part:
    """A spare part (stock-keeping unit).

    Parameters
    ----------
    sku:
        Unique part id referenced by tickets' ``parts`` and vans' ``van_stock``.
    name:
        Human-readable name.
    unit_cost:
        Cost of one unit (>= 0), for reporting.
    """

    sku: str
    name: str = ""
    unit_cost: float = 0.0

    def __attrs_post_init__(self) -> None:
        check_id("Part", self.sku)
        check_number("Part", self.sku, "unit_cost", self.unit_cost, minimum=0.0)
