"""The evaluator's figures per technician team (``Kpis.by_team``) and per ticket
territory (``Kpis.by_territory``), and the per-ticket counting of served and on-time
tickets they share with the plan-level KPIs."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..problem.problem import Problem
from ..problem.rows import context_of
from .evaluation import NO_GROUP, TeamKpis, TerritoryKpis

__all__ = ["served_counts", "team_kpis", "territory_kpis"]


class PerTechnician(Protocol):
    """The evaluator's per-technician totals (arrays of shape ``(T,)``) a team sums."""

    @property
    def travel(self) -> np.ndarray: ...
    @property
    def service(self) -> np.ndarray: ...
    @property
    def tickets(self) -> np.ndarray: ...
    @property
    def overtime(self) -> np.ndarray: ...
    @property
    def shift(self) -> np.ndarray: ...
    @property
    def work(self) -> np.ndarray: ...


class PerTechnicianMoney(Protocol):
    """The evaluator's money per technician and punctuality per visit."""

    @property
    def labour(self) -> np.ndarray: ...
    @property
    def travel(self) -> np.ndarray: ...
    @property
    def parts(self) -> np.ndarray: ...
    @property
    def visit_appointment(self) -> np.ndarray: ...
    @property
    def visit_on_time(self) -> np.ndarray: ...


def served_counts(
    visits: np.ndarray,
    group_of_visit: np.ndarray,
    num_groups: int,
    appointment: np.ndarray,
    on_time: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group, ``(tickets, appointment_tickets, on_time_tickets)`` of the visits.

    A ticket counts once per group however many of its visits (the members of a crew)
    fall in it; it is an appointment ticket when its visits are (``appointment``, a
    property of the ticket) and on time when none of its visits in the group started
    after its windows (``on_time`` false). The plan-level KPIs are the one-group case.
    """
    n = int(visits.max()) + 1 if visits.size else 1
    key = group_of_visit.astype(np.int64) * n + visits

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(np.unique(key[mask]) // n, minlength=num_groups).astype(np.int64)

    tickets = count(np.ones(visits.shape[0], dtype=np.bool_))
    appointments = count(appointment)
    return tickets, appointments, appointments - count(appointment & ~on_time)


def team_kpis(
    problem: Problem,
    tt: PerTechnician,
    money: PerTechnicianMoney,
    visits: np.ndarray,
    tech_of_visit: np.ndarray,
    ftf: np.ndarray | None,
) -> dict[str, TeamKpis]:
    """:class:`TeamKpis` per team (:data:`NO_GROUP`: technicians without one), in order of
    the first technician of each team; sums of the same per-technician and per-visit
    arrays the plan-level KPIs sum (``ftf``: per-visit first-time-fix probability)."""
    teams = context_of(problem).tech_team
    if len(teams) != problem.num_technicians:  # (a problem built without the team lookups)
        teams = (None,) * problem.num_technicians
    names = list(dict.fromkeys(NO_GROUP if t is None else t for t in teams))
    team_of_tech = np.array(
        [names.index(NO_GROUP if t is None else t) for t in teams], dtype=np.int64
    )
    g = len(names)
    team_of_visit = team_of_tech[tech_of_visit] if visits.size else np.zeros(0, np.int64)
    tickets, appointments, on_time = served_counts(
        visits, team_of_visit, g, money.visit_appointment, money.visit_on_time
    )
    nvis = np.bincount(team_of_visit, minlength=g)
    fix = np.bincount(team_of_visit, weights=ftf, minlength=g) if ftf is not None else None

    def by_team(values: np.ndarray) -> np.ndarray:
        return np.bincount(team_of_tech, weights=values, minlength=g)

    shift, work = by_team(tt.shift), by_team(tt.work)
    labour, travel_cost, parts = by_team(money.labour), by_team(money.travel), by_team(money.parts)
    travel, service, overtime = by_team(tt.travel), by_team(tt.service), by_team(tt.overtime)
    out: dict[str, TeamKpis] = {}
    for k, name in enumerate(names):
        total = float(labour[k] + travel_cost[k] + parts[k])
        served, appt, ontime = int(tickets[k]), int(appointments[k]), int(on_time[k])
        out[name] = TeamKpis(
            team=name,
            technicians=int(np.count_nonzero(team_of_tech == k)),
            tickets=served,
            travel_min=float(travel[k]) / 60.0,
            service_min=float(service[k]) / 60.0,
            work_min=float(work[k]) / 60.0,
            overtime_min=float(overtime[k]) / 60.0,
            utilisation_pct=100.0 * float(work[k]) / float(shift[k]) if shift[k] else 0.0,
            visits=int(nvis[k]),
            labour_cost=float(labour[k]),
            travel_cost=float(travel_cost[k]),
            parts_cost=float(parts[k]),
            total_cost=total,
            cost_per_ticket=total / served if served else 0.0,
            appointment_tickets=appt,
            on_time_tickets=ontime,
            on_time_pct=100.0 * ontime / appt if appt else 100.0,
            expected_first_time_fix_pct=100.0 * float(fix[k]) / float(nvis[k])
            if fix is not None and nvis[k]
            else 100.0,
        )
    return out


def territory_kpis(
    problem: Problem,
    visits: np.ndarray,
    out_terr: np.ndarray,
    served: np.ndarray,
    serv_of_visit: np.ndarray,
    money: PerTechnicianMoney,
) -> dict[str, TerritoryKpis]:
    """:class:`TerritoryKpis` per territory some ticket lies in (:data:`NO_GROUP`: none).

    A ticket lies in one territory, so its appointment and on-time counts (a crew ticket
    once, :func:`served_counts`) sum over territories to the plan's.
    """
    kd = problem.data
    names = (*context_of(problem).territory_idx, NO_GROUP)
    col = np.where(kd.res.terr >= 0, kd.res.terr, len(names) - 1)  # (N,)
    z = len(names)
    tickets = np.bincount(col, minlength=z)
    assigned = np.bincount(col[served], minlength=z)
    vcol = col[visits]
    outs = np.bincount(vcol[out_terr], minlength=z)
    svc = np.bincount(vcol, weights=serv_of_visit, minlength=z)
    _n, appointments, on_time = served_counts(
        visits, vcol, z, money.visit_appointment, money.visit_on_time
    )
    return {
        names[k]: TerritoryKpis(
            territory=names[k],
            tickets=int(tickets[k]),
            assigned=int(assigned[k]),
            out_of_territory=int(outs[k]),
            service_min=float(svc[k]) / 60.0,
            appointment_tickets=int(appointments[k]),
            on_time_tickets=int(on_time[k]),
            on_time_pct=100.0 * int(on_time[k]) / int(appointments[k])
            if appointments[k]
            else 100.0,
        )
        for k in range(z)
        if tickets[k]
    }
