"""Schedules: a plan's visits with ids and timezone-aware datetimes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from .evaluate.evaluation import Evaluation
from .plan import Plan
from .problem.problem import Problem

__all__ = ["Schedule", "ScheduledBreak", "ScheduledVisit", "to_schedule"]


@attrs.frozen
class ScheduledVisit:
    """One visit: who, what, and when (datetimes in the horizon's timezone).

    ``pickup_depot_id`` / ``pickup_start`` describe the depot stop made right
    before the visit (``None`` without one).
    """

    technician_id: str
    shift: int
    position: int
    ticket_id: str
    arrival: datetime
    start: datetime
    end: datetime
    wait: timedelta
    window_late: timedelta
    sla_late: timedelta
    pickup_depot_id: str | None = None
    pickup_start: datetime | None = None


@attrs.frozen
class ScheduledBreak:
    """A break taken on a route."""

    technician_id: str
    shift: int
    start: datetime
    end: datetime


@attrs.frozen
class Schedule:
    """A plan in id/datetime form, derived by the evaluator's schedule rule."""

    visits: tuple[ScheduledVisit, ...]
    breaks: tuple[ScheduledBreak, ...]
    route_end: dict[str, datetime]
    unassigned: dict[str, str]

    def for_technician(self, technician_id: str) -> list[ScheduledVisit]:
        """Visits of one technician in time order."""
        return sorted((v for v in self.visits if v.technician_id == technician_id),
                      key=lambda v: v.start)


def to_schedule(problem: Problem, plan: Plan, evaluation: Evaluation) -> Schedule:
    """Turn a plan and its evaluation into ids and datetimes."""
    horizon = problem.scenario.horizon
    index = problem.index
    times = evaluation.times
    kd = problem.data
    to_dt = horizon.to_datetime
    visits = []
    pos = 0
    last_route = -1
    for k in range(times.ticket.shape[0]):
        r = int(times.route[k])
        pos = pos + 1 if r == last_route else 0
        last_route = r
        tech, shift = index.routes[r]
        visits.append(ScheduledVisit(
            technician_id=index.technician_ids[tech], shift=shift, position=pos,
            ticket_id=index.ticket_ids[int(times.ticket[k])],
            arrival=to_dt(int(times.arrival[k])), start=to_dt(int(times.start[k])),
            end=to_dt(int(times.end[k])), wait=timedelta(seconds=int(times.wait[k])),
            window_late=timedelta(seconds=int(times.window_late[k])),
            sla_late=timedelta(seconds=int(times.sla_late[k])),
            **_pickup_fields(problem, times, k, to_dt)))
    breaks = []
    for r in range(problem.num_routes):
        tech, shift = index.routes[r]
        for b in range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1])):
            if times.break_start[b] >= 0:
                s = int(times.break_start[b])
                breaks.append(ScheduledBreak(index.technician_ids[tech], shift, to_dt(s),
                                             to_dt(s + int(kd.brk.dur[b]))))
    route_end = {index.route_label(r): to_dt(int(times.route_return[r]))
                 for r in range(problem.num_routes) if plan.routes[r]}
    unassigned = {index.ticket_ids[j]: reason.value for j, reason in sorted(plan.unassigned.items())
                  if 0 <= j < problem.num_tickets}
    return Schedule(visits=tuple(visits), breaks=tuple(breaks), route_end=route_end,
                    unassigned=unassigned)


def _pickup_fields(problem: Problem, times: Any, k: int, to_dt: Any) -> dict[str, Any]:
    if k >= times.pickup_depot.shape[0] or times.pickup_depot[k] < 0:
        return {}
    return {"pickup_depot_id": problem.index.depot_ids[int(times.pickup_depot[k])],
            "pickup_start": to_dt(int(times.pickup_start[k]))}
