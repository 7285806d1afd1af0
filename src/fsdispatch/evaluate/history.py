"""Service history of an asset: the visits, fixes and parts of evaluated plans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ..errors import ValidationError

__all__ = ["AssetHistory", "ServiceVisit", "asset_history"]


@attrs.frozen
class ServiceVisit:
    """One visit to an asset, as planned and evaluated.

    Attributes
    ----------
    ticket_id, technician_id:
        The job and who serves it.
    start, end:
        When service starts and ends (timezone-aware).
    category:
        The ticket's category (``"maintenance"`` for PM visits, ``"repair"``…).
    parts:
        Part sku -> quantity the job consumes.
    """

    ticket_id: str
    technician_id: str
    start: datetime
    end: datetime
    category: str
    parts: Mapping[str, int] = attrs.field(factory=dict)


@attrs.frozen
class AssetHistory:
    """The visits to one asset in time order (see :func:`asset_history`)."""

    asset_id: str
    visits: tuple[ServiceVisit, ...] = ()

    def of_category(self, category: str) -> tuple[ServiceVisit, ...]:
        """The visits of one ticket category, in time order."""
        return tuple(v for v in self.visits if v.category == category)

    @property
    def repairs(self) -> tuple[ServiceVisit, ...]:
        """The visits that are not preventive maintenance (category other than
        ``"maintenance"``): the fixes."""
        return tuple(v for v in self.visits if v.category != "maintenance")

    @property
    def parts_used(self) -> dict[str, int]:
        """Part sku -> units used over all visits."""
        out: dict[str, int] = {}
        for visit in self.visits:
            for sku, qty in visit.parts.items():
                out[sku] = out.get(sku, 0) + qty
        return dict(sorted(out.items()))

    def last_done(self, category: str = "maintenance") -> datetime | None:
        """When the last visit of ``category`` ended (``None`` without one): the
        ``last_done`` entry of :func:`~fsdispatch.maintenance_tickets` for the asset."""
        ends = [v.end for v in self.visits if v.category == category]
        return max(ends) if ends else None


def _parts_of(source: Any) -> tuple[Any, Any, Any]:
    """``(problem, plan, evaluation or None)`` of a result or a ``(problem, plan[, ev])``."""
    if isinstance(source, tuple) and len(source) in (2, 3):
        return source[0], source[1], source[2] if len(source) == 3 else None
    if all(hasattr(source, name) for name in ("problem", "plan")):
        return source.problem, source.plan, getattr(source, "evaluation", None)
    raise ValidationError(
        f"asset_history(): a record must be a SolveResult, a Dispatcher or a (problem, plan) "
        f"tuple, got "
        f"{type(source).__name__}",
        field="records",
        value=type(source).__name__,
    )


def asset_history(asset_id: str, records: Iterable[Any]) -> AssetHistory:
    """The service history of an asset from evaluated plans.

    Parameters
    ----------
    asset_id:
        The asset (tickets name it in ``Ticket.asset_id``).
    records:
        Solve results (:class:`~fsdispatch.SolveResult`), live dispatchers
        (:class:`~fsdispatch.Dispatcher`: its current plan) or ``(problem, plan)`` /
        ``(problem, plan, evaluation)`` tuples, e.g. one per planned day; a problem may
        be a :class:`~fsdispatch.Scenario`. Timings come from the evaluator.

    Returns
    -------
    AssetHistory
        The served visits to tickets of the asset, sorted by start then ticket id. A
        ticket served in several records (re-planned) counts once, as in the last
        record that serves it.

    Raises
    ------
    ValidationError
        For a record of another type.
    """
    from ..problem.compile import compile_scenario
    from ..schedule import to_schedule
    from .evaluator import evaluate

    if not isinstance(asset_id, str) or not asset_id:
        raise ValidationError.for_field(
            "asset_history", None, "asset_id", asset_id, "must be a non-empty asset id"
        )
    latest: dict[str, ServiceVisit] = {}
    for source in records:
        problem, plan, evaluation = _parts_of(source)
        if not hasattr(problem, "index"):  # a Scenario
            problem = compile_scenario(problem)
        tickets = {t.id: t for t in problem.scenario.tickets if t.asset_id == asset_id}
        if not tickets:
            continue
        if evaluation is None:
            evaluation = evaluate(problem, plan)
        for v in to_schedule(problem, plan, evaluation).visits:
            ticket = tickets.get(v.ticket_id)
            if ticket is not None:
                latest[v.ticket_id] = ServiceVisit(
                    ticket_id=v.ticket_id,
                    technician_id=v.technician_id,
                    start=v.start,
                    end=v.end,
                    category=ticket.category,
                    parts=dict(ticket.parts),
                )
    visits = sorted(latest.values(), key=lambda v: (v.start, v.ticket_id))
    return AssetHistory(asset_id=asset_id, visits=tuple(visits))
