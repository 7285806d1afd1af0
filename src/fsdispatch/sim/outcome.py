"""What :func:`~fsdispatch.sim.simulate` returns: the records of one replication."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from ..domain import Scenario, Technician, Ticket
from ..errors import SimulationError, ValidationError
from .positions import PositionPing
from .state import TechnicianRecord, TicketRecord, Visit

if TYPE_CHECKING:
    from ..evaluate.history import AssetHistory

__all__ = ["SimResult"]


@attrs.frozen
class SimResult:
    """One replication.

    Attributes
    ----------
    policy, seed:
        What ran.
    tickets:
        One :class:`TicketRecord` per ticket that arrived (follow-ups included).
    technicians:
        Realised time per technician.
    visits:
        Every realised visit, in time order.
    backlog:
        ``(time in seconds, open tickets)`` sampled every hour.
    origin:
        Time 0 of the simulation (midnight of the first day).
    days, num_technicians:
        Horizon and workforce.
    events, wall_time:
        Events processed and wall-clock seconds.
    day_scenarios:
        Each working day's scenario (technicians and shifts; for checking routes).
    parts_summary:
        Parts KPIs of the run (stock-outs, fill rate, units used, van stock
        value, holding cost), or ``None`` without a parts model.
    ledger:
        The :class:`~fsdispatch.inventory.StockLedger` of the run (a depot and
        one van per technician, with its movement log and
        ``consumption_history``), or ``None`` without a parts model.
    technician_objects:
        The workforce by technician id (teams, hourly costs: :meth:`team_kpis`).
    positions:
        The position pings emitted along legs (``simulate(positions=...)``), in time order.
    """

    policy: str
    seed: int | None
    tickets: tuple[TicketRecord, ...]
    technicians: tuple[TechnicianRecord, ...]
    visits: tuple[Visit, ...]
    backlog: tuple[tuple[int, int], ...]
    origin: datetime
    days: int
    num_technicians: int
    events: int
    wall_time: float
    day_scenarios: tuple[Scenario | None, ...] = ()
    ticket_objects: dict[str, Ticket] = attrs.field(factory=dict, eq=False, repr=False)
    parts_summary: dict[str, float] | None = None
    ledger: Any = attrs.field(default=None, eq=False, repr=False)
    technician_objects: dict[str, Technician] = attrs.field(factory=dict, eq=False, repr=False)
    positions: tuple[PositionPing, ...] = attrs.field(default=(), eq=False, repr=False)

    def realised_routes(self, day: int) -> tuple[Any, Any]:
        """The day's realised routes as ``(problem, plan)`` for the shared evaluator.

        The problem is compiled from the day's technicians and the tickets
        completed that day; the plan visits them in the realised order. Time
        rules (windows, shift end, breaks) may break because of stochastic
        overruns; skills, levels, parts, exclusions and "each ticket once" must hold.
        """
        from ..plan import Plan
        from ..problem import compile_scenario

        base = self.day_scenarios[day]
        if base is None:
            raise SimulationError(f"day {day} has no shifts")
        done = sorted((v for v in self.visits if v.day == day and v.outcome == "done"),
                      key=lambda v: (v.depart, v.technician_id))
        scenario = attrs.evolve(base, tickets=tuple(self.ticket_objects[v.ticket_id]
                                                    for v in done))
        problem = compile_scenario(scenario)
        index = problem.index
        routes: list[list[int]] = [[] for _ in index.routes]
        by_tech = {index.technician_ids[t]: r for r, (t, _) in enumerate(index.routes)}
        for v in done:
            routes[by_tech[v.technician_id]].append(index.ticket_idx(v.ticket_id))
        return problem, Plan(routes=routes, unassigned={})

    def kpis(self) -> dict[str, float]:
        """The replication's KPIs (see :func:`fsdispatch.sim.metrics.replication_kpis`)."""
        from .metrics import replication_kpis

        return replication_kpis(self)

    def asset_history(self, asset_id: str) -> AssetHistory:
        """The realised visits to an asset's tickets (completed ones), in time order.

        Start is the arrival on site, end the completion (realised times); category
        and parts are the ticket's. Tickets are bound to assets by the ``assets``
        option of :func:`simulate` (or the scenario's own tickets).
        """
        from ..evaluate.history import AssetHistory, ServiceVisit

        if not isinstance(asset_id, str) or not asset_id:
            raise ValidationError.for_field("asset_history", None, "asset_id", asset_id,
                                            "must be a non-empty asset id")
        visits = []
        for v in self.visits:
            ticket = self.ticket_objects.get(v.ticket_id)
            if v.outcome == "done" and ticket is not None and ticket.asset_id == asset_id:
                visits.append(ServiceVisit(
                    v.ticket_id, v.technician_id, self.origin + timedelta(seconds=v.arrive),
                    self.origin + timedelta(seconds=v.end), ticket.category,
                    dict(ticket.parts)))
        visits.sort(key=lambda x: (x.start, x.ticket_id))
        return AssetHistory(asset_id, tuple(visits))

    def team_kpis(self) -> dict[str, dict[str, float]]:
        """KPIs per technician team (see :func:`fsdispatch.sim.metrics.team_kpis`)."""
        from .metrics import team_kpis

        return team_kpis(self)

    def teams_frame(self) -> Any:
        """:meth:`team_kpis` as a pandas DataFrame: one row per team (``team``, KPIs)."""
        from .metrics import _pd

        pd = _pd()
        return pd.DataFrame([{"team": team, **k} for team, k in self.team_kpis().items()])

    def tickets_frame(self) -> Any:
        """The ticket records as a pandas DataFrame (requires pandas)."""
        from .metrics import _pd

        pd = _pd()
        return pd.DataFrame([{**attrs.asdict(t), "outcome": t.outcome} for t in self.tickets])

    def backlog_frame(self) -> Any:
        """Backlog over time as a pandas DataFrame (``time``, ``open``)."""
        from .metrics import _pd

        pd = _pd()
        return pd.DataFrame({"time": [self.origin + timedelta(seconds=t) for t, _ in self.backlog],
                             "open": [n for _, n in self.backlog], "policy": self.policy})
