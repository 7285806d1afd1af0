"""matplotlib plots of a plan for notebooks: the route map and the day's timeline.

``plot_routes(result)`` and ``plot_schedule(result)`` draw what the HTML report
(:mod:`fsdispatch.report`) shows, with the same colours per technician and the
same times (those of the shared evaluator). matplotlib is an optional
dependency (``pip install "fsdispatch[plot]"``), imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._day import DayModel, build_day, project, resolve_inputs, technician_colours
from .._optional import optional_module
from ..units import HOUR

if TYPE_CHECKING:
    from ..evaluate.evaluation import Evaluation
    from ..plan import Plan

__all__ = ["plot_routes", "plot_schedule"]


def _pyplot() -> Any:
    """matplotlib.pyplot, imported on first use; without it, an error naming the extra."""
    return optional_module("matplotlib.pyplot", user="fsdispatch.plotting", extra="plot",
                           package="matplotlib")


def _day(source: Any, plan: Plan | None, evaluation: Evaluation | None) -> DayModel:
    """The day to draw: ``source`` (a SolveResult, or a Problem or Scenario with ``plan``),
    evaluated when no evaluation is given."""
    return build_day(*resolve_inputs(source, plan, evaluation))


def _colours(day: Any) -> dict[str, str]:
    ids = list(dict.fromkeys(r.technician_id for r in day.routes))
    return dict(zip(ids, technician_colours(len(ids)), strict=True))


def plot_routes(source: Any, plan: Plan | None = None, evaluation: Evaluation | None = None,
                *, ax: Any = None, legend: bool | None = None) -> Any:
    """Draw the routes on a map: one colour per technician, unassigned tickets as red crosses.

    Parameters
    ----------
    source, plan, evaluation:
        A :class:`~fsdispatch.SolveResult`; or a Problem (or Scenario), its Plan and
        optionally the plan's Evaluation (the plan is evaluated when it is omitted).
    ax:
        matplotlib Axes to draw on; a new figure when omitted.
    legend:
        Show a legend of technicians (default: when there are at most 20).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on. Coordinates are km (equirectangular projection for
        latitude/longitude, so distances look right).
    """
    plt = _pyplot()
    day = _day(source, plan, evaluation)
    problem = day.problem
    if ax is None:
        _fig, ax = plt.subplots(figsize=(8, 7))
    tickets = problem.scenario.tickets
    depots = [loc for r in day.routes for loc in (r.start_location, r.end_location)]
    xy = project([t.location for t in tickets] + depots)
    n = len(tickets)
    colours = _colours(day)
    drawn: set[str] = set()
    for k, route in enumerate(day.routes):
        if not route.visits:
            continue
        colour = colours[route.technician_id]
        start, end = xy[n + 2 * k], xy[n + 2 * k + 1]
        label = None if route.technician_id in drawn else route.technician_id
        drawn.add(route.technician_id)
        pts = [xy[v.ticket_idx] for v in route.visits]
        if day.assignment_mode:
            for p in pts:
                ax.plot([start[0], p[0]], [start[1], p[1]], color=colour, lw=1, ls="--",
                        alpha=0.7)
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=colour, s=22,
                       zorder=3, label=label)
        else:
            path = [start, *pts, end]
            ax.plot([p[0] for p in path], [p[1] for p in path], color=colour, lw=1.4,
                    alpha=0.8, marker="o", ms=4, label=label)
        ax.scatter([start[0]], [start[1]], marker="s", color=colour, s=40, zorder=4,
                   edgecolor="white")
    if day.unassigned:
        ux = [xy[j][0] for j, _r in day.unassigned]
        uy = [xy[j][1] for j, _r in day.unassigned]
        ax.scatter(ux, uy, marker="x", color="#d92d20", s=36, zorder=5,
                   label=f"unassigned ({len(day.unassigned)})")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    ax.set_title(f"Routes — {problem.scenario.name or 'plan'}")
    if legend or (legend is None and len(drawn) <= 20):
        ax.legend(fontsize=7, loc="best", ncol=2 if len(drawn) > 10 else 1)
    return ax


def plot_schedule(source: Any, plan: Plan | None = None, evaluation: Evaluation | None = None,
                  *, ax: Any = None) -> Any:
    """Draw each technician's day as a Gantt chart: travel, waiting, service and breaks.

    Parameters
    ----------
    source, plan, evaluation, ax:
        As in :func:`plot_routes`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; the x axis is hours from the horizon start (local
        time of day on a one-day horizon), one row per technician shift.
    """
    plt = _pyplot()
    from matplotlib.patches import Patch

    day = _day(source, plan, evaluation)
    problem = day.problem
    routes = list(day.routes)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(11, max(2.5, 0.32 * len(routes) + 1.2)))
    colours = _colours(day)
    hours = float(HOUR)
    origin = problem.scenario.horizon.start
    for row, route in enumerate(routes):
        y = len(routes) - 1 - row
        colour = colours[route.technician_id]
        ax.broken_barh([(route.open / hours, (route.close - route.open) / hours)], (y - 0.4, 0.8),
                       facecolor="#eef1f5", zorder=0)
        travel = [(v.depart / hours, v.travel / hours) for v in route.visits if v.travel]
        if route.home_depart is not None and route.home_travel:
            travel.append((route.home_depart / hours, route.home_travel / hours))
        if not day.assignment_mode:
            ax.broken_barh(travel, (y - 0.22, 0.44), facecolor=colour, alpha=0.35, zorder=1,
                           gid=f"travel:{route.label}")
            waits = [(v.arrival / hours, (v.start - v.arrival) / hours) for v in route.visits
                     if v.start > v.arrival]
            ax.broken_barh(waits, (y - 0.22, 0.44), facecolor="white", edgecolor="#aab2c0",
                           hatch="///", lw=0.4, zorder=1)
        service = [(v.start / hours, (v.end - v.start) / hours) for v in route.visits]
        late = [(v.slack is not None and v.slack < 0) or v.window_late > 0 for v in route.visits]
        ax.broken_barh(service, (y - 0.36, 0.72), facecolor=colour,
                       edgecolor=["#d92d20" if x else "white" for x in late],
                       lw=[1.5 if x else 0.5 for x in late], zorder=2,
                       gid=f"service:{route.label}")
        ax.broken_barh([(s / hours, (e - s) / hours) for s, e in route.breaks], (y - 0.22, 0.44),
                       facecolor="#3b3f46", zorder=3, gid=f"breaks:{route.label}")
    one_shift = len({r.technician_id for r in routes}) == len(routes)
    ax.set_yticks(range(len(routes)))
    ax.set_yticklabels([r.technician_id if one_shift else r.label for r in reversed(routes)],
                       fontsize=8)
    one_day = problem.scenario.horizon.length <= 26 * HOUR
    ax.set_xlabel(f"hour of day ({origin.tzname()})" if one_day and origin.hour == 0
                  and origin.minute == 0 else "hours from the horizon start")
    ax.set_title(f"Timeline — {problem.scenario.name or 'plan'}")
    ax.grid(axis="x", color="#e3e7ee", zorder=-1)
    ax.legend(handles=[Patch(facecolor="#4869c7", label="service"),
                       Patch(facecolor="#4869c7", alpha=0.35, label="travel"),
                       Patch(facecolor="white", edgecolor="#aab2c0", hatch="///",
                             label="waiting"),
                       Patch(facecolor="#3b3f46", label="break"),
                       Patch(facecolor="white", edgecolor="#d92d20", label="late")],
              fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=5,
              frameon=False)
    return ax
