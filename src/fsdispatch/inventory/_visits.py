"""The routed visits of a plan, in route order, for reserving their parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..domain.scenario import Scenario


class PlannedVisit(NamedTuple):
    """One routed visit of a plan, as :func:`plan_visits` lists it."""

    technician_id: str
    shift: int
    ticket_id: str
    #: depot of the stop made right before the visit, or ``None``
    pickup_depot_id: str | None = None


def plan_visits(plan: Any, scenario: Scenario | None = None,
                problem: Any = None) -> list[PlannedVisit]:
    """Every routed visit of a plan, as :class:`PlannedVisit` tuples.

    Visits come in route order, each technician's routes in shift order;
    ``pickup_depot_id`` is the depot of the stop made right before the visit,
    or ``None``. Accepts a :class:`~fsdispatch.Schedule`, a
    :class:`~fsdispatch.SolveResult` or a :class:`~fsdispatch.Plan` with its
    ``problem`` (compiled from ``scenario`` when not given). Depot stops are
    read from ``Plan.pickups`` (ticket index -> depot index) or
    ``ScheduledVisit.pickup_depot_id`` when those fields exist.
    """
    from ..plan import Plan
    from ..schedule import Schedule

    if isinstance(plan, Schedule):
        order = {t: k for k, t in enumerate(dict.fromkeys(v.technician_id for v in plan.visits))}
        visits = sorted(plan.visits, key=lambda v: (order[v.technician_id], v.shift, v.position))
        return [PlannedVisit(v.technician_id, v.shift, v.ticket_id,
                             getattr(v, "pickup_depot_id", None)) for v in visits]
    if not isinstance(plan, Plan) and isinstance(getattr(plan, "plan", None), Plan):
        problem = plan.problem if problem is None else problem
        plan = plan.plan
    if isinstance(plan, Plan):
        if problem is None:
            if scenario is None:
                raise ValidationError.for_field("StockLedger", None, "problem", None,
                                                "is needed to read an index-form Plan")
            from ..problem import compile_scenario

            problem = compile_scenario(scenario)
        index = problem.index
        depot_ids: tuple[str, ...] = tuple(getattr(index, "depot_ids", ()))
        stops: Mapping[int, int] = getattr(plan, "pickups", None) or {}
        by_tech: dict[int, list[tuple[int, int]]] = {}
        for r, (tech_idx, shift) in enumerate(index.routes):
            by_tech.setdefault(tech_idx, []).append((shift, r))
        out: list[PlannedVisit] = []
        for tech_idx, shifts in by_tech.items():
            for shift, r in sorted(shifts):
                for j in plan.routes[r]:
                    d = stops.get(j)
                    out.append(PlannedVisit(index.technician_ids[tech_idx], shift,
                                            index.ticket_ids[j],
                                            depot_ids[d] if d is not None else None))
        return out
    raise ValidationError.for_field("StockLedger", None, "plan", type(plan).__name__,
                                    "must be a Schedule, SolveResult or Plan")
