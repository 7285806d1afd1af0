"""The day of a plan as plain rows: routes, legs, visits, breaks (private).

Shared by the HTML report (:mod:`fsdispatch.report`), the matplotlib plots
(:mod:`fsdispatch.plotting`) and the visit DataFrame
(:func:`fsdispatch.io.tabular.visits_frame`), so all three show the same
times: those of the shared evaluator (``evaluation.times``), never re-derived.
Times are int seconds from the horizon start.
"""

from __future__ import annotations

import colorsys
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .errors import ValidationError
from .plan import Plan
from .problem.problem import NO_DEADLINE, Problem

if TYPE_CHECKING:
    from .domain.location import Location
    from .evaluate.evaluation import Evaluation

__all__ = ["DayModel", "RouteDay", "VisitDay", "build_day", "project", "resolve_inputs",
           "technician_colours", "window_text"]

@attrs.frozen
class VisitDay:
    """One visit of a route (times in seconds from the horizon start)."""

    route: int
    position: int
    ticket_idx: int
    ticket_id: str
    depart: int  #: when the technician leaves for this visit
    arrival: int
    start: int
    end: int
    travel: int  #: seconds of the leg to this visit
    travel_km: float
    wait: int  #: idle seconds before service (breaks excluded)
    window_late: int
    sla_late: int
    response_by: int | None
    resolve_by: int | None
    slack: int | None  #: min(response_by - start, resolve_by - end); None without deadline


@attrs.frozen
class RouteDay:
    """One technician shift and its day."""

    route: int
    label: str
    technician_idx: int
    technician_id: str
    shift: int
    open: int
    close: int
    max_close: int
    start_location: Location
    end_location: Location
    visits: tuple[VisitDay, ...]
    breaks: tuple[tuple[int, int], ...]  #: (start, end) of the breaks taken
    home_depart: int | None  #: leaves the last visit (or breaks) for the end location
    home_arrival: int | None  #: back at the end location (None for an empty route)
    home_travel: int


@attrs.frozen(eq=False)
class DayModel:
    """A plan, its evaluation and every route's day, ready to draw or tabulate."""

    problem: Problem
    plan: Plan
    evaluation: Evaluation
    routes: tuple[RouteDay, ...]
    unassigned: tuple[tuple[int, str], ...]  #: (ticket_idx, reason value), by ticket index
    solver: str | None = None

    @property
    def assignment_mode(self) -> bool:
        """Whether the plan is assignment-only (no sequence: times are serve-first estimates)."""
        return self.plan.mode == "assignment"

    def visit_of(self) -> dict[int, VisitDay]:
        """Ticket index -> its visit."""
        return {v.ticket_idx: v for r in self.routes for v in r.visits}


def resolve_inputs(source: Any, plan: Plan | None = None,
                   evaluation: Evaluation | None = None) -> tuple[Problem, Plan, Evaluation,
                                                                   str | None]:
    """Accept ``(SolveResult)`` or ``(Problem | Scenario, Plan[, Evaluation])``.

    The plan is evaluated with the shared evaluator when no evaluation is given.
    """
    from .domain.scenario import Scenario
    from .evaluate import evaluate
    from .problem import compile_scenario

    solver = None
    if plan is None and hasattr(source, "plan") and hasattr(source, "problem"):
        problem, plan = source.problem, source.plan
        evaluation = evaluation or source.evaluation
        solver = getattr(source, "solver", None)
    else:
        problem = compile_scenario(source) if isinstance(source, Scenario) else source
        if not isinstance(problem, Problem):
            raise ValidationError(
                f"expected a SolveResult, Problem or Scenario, got {type(source).__name__}",
                field="problem", value=type(source).__name__)
        if not isinstance(plan, Plan):
            raise ValidationError(f"expected a Plan, got {type(plan).__name__}", field="plan",
                                  value=type(plan).__name__)
    assert plan is not None
    if evaluation is None:
        evaluation = evaluate(problem, plan)
    return problem, plan, evaluation, solver


def build_day(problem: Problem, plan: Plan, evaluation: Evaluation,
              solver: str | None = None) -> DayModel:
    """Lay out every route's day from the evaluator's visit times."""
    from .evaluate._kernels import travel
    from .problem._traffic import leg_departure

    kd = problem.data
    index = problem.index
    times = evaluation.times
    scenario = problem.scenario
    by_route: dict[int, list[int]] = {}
    for k in range(times.ticket.shape[0]):
        by_route.setdefault(int(times.route[k]), []).append(k)
    response = kd.cost.response_by
    resolve = kd.cost.resolve_by
    routes = []
    for r in range(problem.num_routes):
        tech_idx, shift_no = index.routes[r]
        tech = scenario.technicians[tech_idx]
        shift = tech.shifts[shift_no]
        cur = int(kd.rt.start_node[r])
        visits = []
        for pos, k in enumerate(by_route.get(r, [])):
            j = int(times.ticket[k])
            node = int(kd.ticket_node[j])
            arrival, start, end = int(times.arrival[k]), int(times.start[k]), int(times.end[k])
            if plan.mode == "assignment":
                tt, km = travel(kd.tv, int(kd.rt.start_node[r]), node)
            else:
                tt, km = travel(kd.tv, cur, node)
                tt = leg_departure(kd.tv, cur, node, arrival, int(tt))[1]
            cur = node
            rb = int(response[j])
            sb = int(resolve[j])
            resp = None if rb >= NO_DEADLINE else rb
            reso = None if sb >= NO_DEADLINE else sb
            slacks = [x for x in ((resp - start) if resp is not None else None,
                                  (reso - end) if reso is not None else None) if x is not None]
            visits.append(VisitDay(
                route=r, position=pos, ticket_idx=j, ticket_id=index.ticket_ids[j],
                depart=arrival - int(tt), arrival=arrival, start=start, end=end,
                travel=int(tt), travel_km=float(km), wait=int(times.wait[k]),
                window_late=int(times.window_late[k]), sla_late=int(times.sla_late[k]),
                response_by=resp, resolve_by=reso, slack=min(slacks) if slacks else None))
        breaks = []
        for b in range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1])):
            if times.break_start[b] >= 0:
                s = int(times.break_start[b])
                breaks.append((s, s + int(kd.brk.dur[b])))
        home_arrival = home_depart = None
        home_tt = 0
        if visits:
            home_arrival = int(times.route_return[r])
            if plan.mode == "routing":
                end_node = int(kd.rt.end_node[r])
                home_tt = leg_departure(kd.tv, cur, end_node, home_arrival,
                                        int(travel(kd.tv, cur, end_node)[0]))[1]
            home_depart = home_arrival - home_tt
        routes.append(RouteDay(
            route=r, label=index.route_label(r), technician_idx=tech_idx,
            technician_id=tech.id, shift=shift_no, open=int(kd.rt.open[r]),
            close=int(kd.rt.close[r]), max_close=int(kd.rt.max_close[r]),
            start_location=tech.shift_start_location(shift),
            end_location=tech.shift_end_location(shift), visits=tuple(visits),
            breaks=tuple(breaks), home_depart=home_depart, home_arrival=home_arrival,
            home_travel=home_tt))
    unassigned = tuple((j, reason.value) for j, reason in sorted(plan.unassigned.items())
                       if 0 <= j < problem.num_tickets)
    return DayModel(problem=problem, plan=plan, evaluation=evaluation, routes=tuple(routes),
                    unassigned=unassigned, solver=solver)


def technician_colours(num: int) -> list[str]:
    """``num`` distinct hex colours (golden-angle hues), the same in the report and the plots."""
    out = []
    for k in range(num):
        hue = (k * 0.618033988749895) % 1.0
        light = 0.42 if k % 2 == 0 else 0.52
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.70)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return out


def window_text(problem: Problem, ticket_idx: int, fmt: str = "%H:%M") -> str:
    """The ticket's appointment windows as local text, e.g. ``"08:00-12:00;14:00-16:00"``."""
    ticket = problem.scenario.tickets[ticket_idx]
    tz = problem.scenario.horizon.start.tzinfo
    return ";".join(f"{w.start.astimezone(tz).strftime(fmt)}-{w.end.astimezone(tz).strftime(fmt)}"
                    for w in ticket.windows)


def project(locations: list[Location]) -> np.ndarray:
    """Planar (x, y) km-like coordinates for drawing (equirectangular for lat/lon)."""
    if not locations:
        return np.zeros((0, 2))
    xy = np.array([[loc.x, loc.y] for loc in locations], dtype=float)
    if locations[0].geographic:
        lat0 = np.deg2rad(float(np.mean(xy[:, 1])))
        xy = np.column_stack([xy[:, 0] * np.cos(lat0) * 111.32, xy[:, 1] * 110.57])
    return xy
