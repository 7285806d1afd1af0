"""Objective weights.

The scalar objective minimised by every backend and computed by the evaluator::

    objective = Σ_unassigned  unassigned[priority] + sla_lateness[priority] × SLA minutes
                              late if it were served at the horizon end
              + sla_lateness[priority] × SLA minutes late          (per ticket)
              + window_lateness × lateness_cost × soft-window minutes late
              + travel_time × travel minutes
              + distance × km driven
              + overtime × overtime minutes
              + labour × Σ cost_per_hour × working hours (travel + service)
              + load_balance × (max − min) technician workload minutes
              + preference × tickets not served by one of their preferred technicians
              + out_of_territory × tickets served by a technician outside their territory
                                   (only when out_of_territory is set: soft territories)

SLA minutes late for a served ticket is ``max(0, start − response_by) +
max(0, end − resolve_by)``. Workload of a technician is its planned travel and
service minutes plus its ``recent_workload``; the spread is taken over
technicians with at least one shift.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..units import MAX_WEIGHT
from ._validate import check_number, fail
from .ticket import Priority

__all__ = ["DEFAULT_SLA", "DEFAULT_UNASSIGNED", "ObjectiveWeights"]

DEFAULT_UNASSIGNED: dict[Priority, float] = {
    Priority.P1: 100_000.0,
    Priority.P2: 30_000.0,
    Priority.P3: 10_000.0,
    Priority.P4: 3_000.0,
}
DEFAULT_SLA: dict[Priority, float] = {
    Priority.P1: 40.0,
    Priority.P2: 20.0,
    Priority.P3: 10.0,
    Priority.P4: 5.0,
}


def _by_priority(value: object) -> object:
    if not isinstance(value, Mapping):
        return value
    out: dict[Priority, float] = {}
    for key, weight in value.items():
        try:
            prio = Priority.parse(key)
        except ValueError:
            fail("ObjectiveWeights", None, "priority key", key, "must be P1..P4")
        if prio in out:
            fail("ObjectiveWeights", None, "priority key", key,
                 f"must name each priority once ({prio.name} is given twice)")
        out[prio] = weight
    return out


@attrs.frozen
class ObjectiveWeights:
    """Weights of the objective terms (see the module docstring for the formula).

    Defaults make unassigned tickets (weighted by priority) dominate, then SLA
    lateness, then travel; load balance and preference are off (0). Every weight
    is a finite number within [0, 10⁹] (:data:`~fsdispatch.units.MAX_WEIGHT`).

    ``out_of_territory`` chooses how territories bind: ``None`` (the default)
    makes them hard (a technician outside a ticket's territory is incompatible,
    reason ``no_territory``); a number makes them soft, costing that much per
    ticket served by a technician outside its territory.
    """

    unassigned: Mapping[Priority, float] = attrs.field(
        factory=lambda: dict(DEFAULT_UNASSIGNED), converter=_by_priority)
    sla_lateness: Mapping[Priority, float] = attrs.field(
        factory=lambda: dict(DEFAULT_SLA), converter=_by_priority)
    window_lateness: float = 10.0
    travel_time: float = 1.0
    distance: float = 0.0
    overtime: float = 2.0
    labour: float = 0.0
    load_balance: float = 0.0
    preference: float = 0.0
    out_of_territory: float | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("unassigned", "sla_lateness"):
            mapping = getattr(self, name)
            for prio in Priority:
                if prio not in mapping:
                    fail("ObjectiveWeights", None, f"{name}[{prio.name}]", None,
                         "must be given for every priority")
                check_number("ObjectiveWeights", None, f"{name}[{prio.name}]", mapping[prio],
                             minimum=0.0, maximum=MAX_WEIGHT)
        for name in ("window_lateness", "travel_time", "distance", "overtime", "labour",
                     "load_balance", "preference"):
            check_number("ObjectiveWeights", None, name, getattr(self, name), minimum=0.0,
                         maximum=MAX_WEIGHT)
        if self.out_of_territory is not None:
            check_number("ObjectiveWeights", None, "out_of_territory", self.out_of_territory,
                         minimum=0.0, maximum=MAX_WEIGHT)

    @property
    def soft_territories(self) -> bool:
        """Whether territories are soft (``out_of_territory`` is set)."""
        return self.out_of_territory is not None

    def unassigned_array(self) -> list[float]:
        """Penalties indexed by priority value (index 0 unused)."""
        return [0.0] + [float(self.unassigned[p]) for p in Priority]

    def sla_array(self) -> list[float]:
        """SLA lateness weights per minute indexed by priority value (index 0 unused)."""
        return [0.0] + [float(self.sla_lateness[p]) for p in Priority]
