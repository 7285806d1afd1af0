"""Money rates for reporting the cost of a plan (not objective weights)."""

from __future__ import annotations

import attrs

from ..units import MAX_WEIGHT
from ._validate import check_number

__all__ = ["CostRates"]


@attrs.frozen
class CostRates:
    """What driving costs, in money, for the cost KPIs of a plan.

    These rates only *report* money (:attr:`Kpis.travel_cost
    <fsdispatch.Kpis.travel_cost>`, :attr:`Kpis.cost_per_ticket
    <fsdispatch.Kpis.cost_per_ticket>`); what solvers minimise is set by
    :class:`~fsdispatch.ObjectiveWeights` (its ``distance``, ``travel_time`` and
    ``labour`` weights). Labour is paid at each technician's ``cost_per_hour`` and
    parts at each part's ``unit_cost``.

    Parameters
    ----------
    travel_per_km:
        Vehicle cost per km driven (fuel, wear), within [0, 10⁹]; default 0.
    travel_per_hour:
        Vehicle cost per hour of driving (on top of the technician's labour),
        within [0, 10⁹]; default 0.
    """

    travel_per_km: float = 0.0
    travel_per_hour: float = 0.0

    def __attrs_post_init__(self) -> None:
        for name in ("travel_per_km", "travel_per_hour"):
            check_number(
                "CostRates", None, name, getattr(self, name), minimum=0.0, maximum=MAX_WEIGHT
            )
