"""Result types of the evaluator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

__all__ = ["NO_GROUP", "Evaluation", "Kpis", "TeamKpis", "TechnicianKpis", "TerritoryKpis",
           "Violation", "VisitTimes"]

NO_GROUP = ""
"""The key of the tickets without a territory (``Kpis.by_territory``) and of the
technicians without a team (``Kpis.by_team``); a real name is never empty."""

VIOLATION_KINDS = (
    "skill", "level", "certification", "territory", "part", "excluded", "capacity", "window",
    "shift_end", "break",
    "max_tickets", "double_assignment", "missing", "unknown_id", "unreachable", "shift_hours",
    "crew",
)


@attrs.frozen
class Violation:
    """One broken hard rule.

    ``kind`` is one of ``skill``, ``level``, ``certification`` (a required skill's
    certification expired), ``territory`` (hard territories), ``part``, ``excluded``,
    ``capacity``, ``window``, ``shift_end``, ``break``, ``max_tickets``,
    ``weekly_hours`` (a technician's work in a calendar week exceeds its
    ``max_weekly_work``), ``double_assignment``, ``missing``, ``unknown_id``; in assignment mode
    also ``unreachable`` (the shift cannot serve the ticket even as its only
    visit) and ``shift_hours`` (service plus travel estimate exceed the shift's
    working time plus allowed overtime). ``crew``: a crew ticket (``crew_size > 1``)
    routed on fewer routes than its crew, twice on one technician, or (routing mode)
    whose members' starts cannot be synchronised.
    """

    kind: str
    message: str
    ticket_id: str | None = None
    technician_id: str | None = None
    route: str | None = None
    value: Any = None

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message}"


@attrs.frozen
class TechnicianKpis:
    """Per-technician figures (minutes unless stated).

    Money (see :class:`Kpis`): ``labour_cost`` (``cost_per_hour`` × work hours),
    ``travel_cost`` (the scenario's :class:`~fsdispatch.CostRates` × km and driving
    hours), ``parts_cost`` (``unit_cost`` × quantity of the parts of the tickets
    served); ``appointment_visits`` are visits to tickets with appointment windows and
    ``on_time_visits`` those whose service starts inside one of them.
    """

    technician_id: str
    tickets: int
    travel_min: float
    distance_km: float
    service_min: float
    work_min: float
    shift_min: float
    break_min: float
    idle_min: float
    utilisation_pct: float
    overtime_min: float
    labour_cost: float = 0.0
    travel_cost: float = 0.0
    parts_cost: float = 0.0
    appointment_visits: int = 0
    on_time_visits: int = 0
    weekly_overtime_min: float = 0.0
    """Work beyond ``weekly_overtime_after`` summed over the technician's weeks."""


@attrs.frozen
class TerritoryKpis:
    """Figures of the tickets of one territory (``Kpis.by_territory``).

    ``tickets`` in the territory, how many are ``assigned``, how many of those by a
    technician not covering it (``out_of_territory``, soft territories only) and their
    ``service_min``; the served ones with appointment windows (``appointment_tickets``),
    those started inside one (``on_time_tickets``) and their share (``on_time_pct``, 100
    when none). Over all territories (with :data:`NO_GROUP`) they sum to the plan's
    ``num_tickets``, ``assigned``, ``out_of_territory``, ``service_min``,
    ``appointment_tickets`` and ``on_time_tickets``. (No money per territory: travel and
    labour are paid per route, across territories.)
    """

    territory: str
    tickets: int
    assigned: int
    out_of_territory: int
    service_min: float
    appointment_tickets: int = 0
    on_time_tickets: int = 0
    on_time_pct: float = 100.0


@attrs.frozen
class TeamKpis:
    """Figures of the technicians of one team (``Kpis.by_team``).

    Sums of the members' :class:`TechnicianKpis`: ``technicians``, ``visits``, the
    minutes and the money (``labour_cost``, ``travel_cost``, ``parts_cost``,
    ``total_cost``); ``utilisation_pct`` = work / shift time. Over all teams (with
    :data:`NO_GROUP`) these sum to the plan's totals (``visits`` to the plan's visits).

    ``tickets`` are the tickets the team served and ``appointment_tickets`` /
    ``on_time_tickets`` those with appointment windows / started inside one: a crew
    ticket (``Ticket.crew_size`` > 1) counts once for each team with a member on it, so
    over all teams they sum to the plan's ``assigned``, ``appointment_tickets`` and
    ``on_time_tickets`` plus, per crew ticket, the number of its teams minus one (no
    crew spans two teams: exactly the plan's). ``cost_per_ticket`` = ``total_cost`` /
    ``tickets`` (0 when none), ``on_time_pct`` = 100 × ``on_time_tickets`` /
    ``appointment_tickets`` (100 when none) and ``expected_first_time_fix_pct`` the
    plan's formula over the team's visits (100 when none).
    """

    team: str
    technicians: int
    tickets: int
    travel_min: float
    service_min: float
    work_min: float
    overtime_min: float
    utilisation_pct: float
    visits: int = 0
    labour_cost: float = 0.0
    travel_cost: float = 0.0
    parts_cost: float = 0.0
    total_cost: float = 0.0
    cost_per_ticket: float = 0.0
    appointment_tickets: int = 0
    on_time_tickets: int = 0
    on_time_pct: float = 100.0
    expected_first_time_fix_pct: float = 100.0


@attrs.frozen
class Kpis:
    """Plan-level KPIs. Formulas are in ``docs/concepts.md`` (section KPIs).

    Money and punctuality (``docs/maintenance.md``): ``travel_cost`` = Σ
    ``travel_per_km`` × km + ``travel_per_hour`` × driving hours (the scenario's
    :class:`~fsdispatch.CostRates`); ``parts_cost`` = Σ over served tickets of
    ``unit_cost`` × quantity of their ``parts``; ``total_cost`` = ``labour_cost`` +
    ``travel_cost`` + ``parts_cost``; ``cost_per_ticket`` = ``total_cost`` / tickets
    served (0 when none is); ``appointment_tickets`` are served tickets with appointment
    windows (the promised arrival window), ``on_time_tickets`` those whose service starts
    inside one of their windows, ``on_time_pct`` their share (100 when there is none).
    """

    num_tickets: int
    assigned: int
    unassigned: int
    assigned_by_priority: Mapping[str, tuple[int, int]]
    unassigned_by_reason: Mapping[str, int]
    sla_tickets: int
    sla_met: int
    sla_attainment_pct: float
    total_lateness_min: float
    max_lateness_min: float
    travel_time_min: float
    distance_km: float
    service_min: float
    work_min: float
    idle_min: float
    utilisation_pct: float
    overtime_min: float
    load_spread_min: float
    load_std_min: float
    preferred_requests: int
    preferred_hits: int
    labour_cost: float
    routes_used: int
    depot_stops: int = 0
    parts_picked: int = 0
    expected_first_time_fix_pct: float = 100.0
    expected_revisits: float = 0.0
    travel_cost: float = 0.0
    parts_cost: float = 0.0
    total_cost: float = 0.0
    cost_per_ticket: float = 0.0
    appointment_tickets: int = 0
    on_time_tickets: int = 0
    on_time_pct: float = 100.0
    out_of_territory: int = 0
    """Visits by a technician not covering the ticket's territory (soft territories)."""
    weekly_overtime_min: float = 0.0
    """Work beyond the technicians' ``weekly_overtime_after`` per calendar week, summed
    over technician-weeks (priced by the ``overtime`` weight with shift overtime)."""
    by_territory: Mapping[str, TerritoryKpis] = attrs.field(factory=dict)
    """Per ticket territory (:data:`NO_GROUP`: tickets without one)."""
    by_team: Mapping[str, TeamKpis] = attrs.field(factory=dict)
    """Per technician team (:data:`NO_GROUP`: technicians without one)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON friendly)."""
        out = attrs.asdict(self)
        out["assigned_by_priority"] = {k: list(v) for k, v in self.assigned_by_priority.items()}
        return out


@attrs.frozen(eq=False)
class VisitTimes:
    """Derived timings of every routed visit, aligned with the plan's CSR visits.

    All arrays have shape ``(num_visits,)``, times in int64 seconds from the
    horizon start: ``route``, ``ticket``, ``arrival``, ``start``, ``end``,
    ``wait`` (idle before service, breaks excluded), ``window_late`` and
    ``sla_late`` (seconds late). ``break_start`` has one entry per break of the
    problem (-1 when the break is not needed). ``pickup_depot`` is the depot
    stopped at right before each visit (-1 if none) and ``pickup_start`` when
    that stop starts (-1 if none).

    For an assignment-mode plan (no sequence) the times are each visit's
    *serve-first* estimate (as if it were the shift's first visit), waits are
    0, no break is placed, and ``route_return`` is shift start + assigned work.
    """

    route: np.ndarray
    ticket: np.ndarray
    arrival: np.ndarray
    start: np.ndarray
    end: np.ndarray
    wait: np.ndarray
    window_late: np.ndarray
    sla_late: np.ndarray
    route_return: np.ndarray
    break_start: np.ndarray
    pickup_depot: np.ndarray = attrs.field(factory=lambda: np.zeros(0, dtype=np.int64))
    pickup_start: np.ndarray = attrs.field(factory=lambda: np.zeros(0, dtype=np.int64))


@attrs.frozen(eq=False)
class Evaluation:
    """What the evaluator says of a plan: feasibility, KPIs and the objective.

    Attributes
    ----------
    objective:
        The scalar every backend minimises (see :mod:`fsdispatch.problem.objective`).
    components:
        The objective's terms by name; they sum to ``objective``.
    violations:
        Every broken hard rule; empty iff ``is_feasible``.
    kpis, technicians:
        Plan-level and per-technician KPIs.
    times:
        Derived visit timings.
    """

    objective: float
    components: Mapping[str, float]
    violations: tuple[Violation, ...]
    kpis: Kpis
    technicians: tuple[TechnicianKpis, ...]
    times: VisitTimes

    @property
    def is_feasible(self) -> bool:
        """True when no hard rule is broken."""
        return not self.violations

    def violation_counts(self) -> dict[str, int]:
        """Number of violations per kind."""
        out: dict[str, int] = {}
        for v in self.violations:
            out[v.kind] = out.get(v.kind, 0) + 1
        return out
