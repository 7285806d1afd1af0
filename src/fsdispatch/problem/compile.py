"""compile_scenario(): the only bridge from domain objects to arrays."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from ..domain.location import Location
from ..domain.scenario import Scenario
from ..domain.traffic import static_of
from ..domain.travel import MatrixTravel
from ..errors import ValidationError
from . import rows
from ._traffic import time_dependent_block
from .problem import (
    NO_DEADLINE,
    ROUND_CEIL,
    ROUND_FLOOR,
    ROUND_NEAREST,
    TRAVEL_EUCLIDEAN,
    TRAVEL_HAVERSINE,
    TRAVEL_MATRIX,
    BreakData,
    DepotData,
    IndexMap,
    KernelData,
    Problem,
    ResourceData,
    RouteData,
    TechData,
    TravelData,
    Weights,
    WindowData,
)
from .reasons import UnassignedReason, routes_and_reasons

__all__ = ["compile_scenario"]

logger = logging.getLogger(__name__)

_I64 = np.int64


def _ro(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def compile_scenario(scenario: Scenario, *, require_servable: bool = False) -> Problem:
    """Compile a :class:`~fsdispatch.Scenario` into a :class:`~fsdispatch.Problem`.

    Derives, once, everything solvers need: travel data, windows and deadlines
    in int64 seconds from the horizon start, service times per technician, the
    technician × ticket compatibility matrix with a reason code per
    incompatibility, and the routes (technician shifts) able to serve each
    ticket on its own.

    Parameters
    ----------
    scenario:
        A validated scenario.
    require_servable:
        If ``True``, raise :class:`~fsdispatch.errors.ValidationError` listing
        every ticket no technician could ever serve (with the reason). By
        default such tickets are compiled and solvers report them unassigned.
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError(f"compile_scenario() expects a Scenario, got "
                              f"{type(scenario).__name__}", entity="Scenario", field="scenario",
                              value=type(scenario).__name__)
    tic = time.perf_counter()
    tickets, techs, weights = scenario.tickets, scenario.technicians, scenario.objective
    skus = sorted({p.sku for p in scenario.parts}
                  | {s for t in tickets for s in t.parts}
                  | {s for tech in techs for s in tech.van_stock}
                  | {s for d in scenario.depots for s in d.stock})
    ctx = rows.compile_context(scenario, skus)
    routes, rt, brk = _route_block(scenario, ctx.node_of)
    win_data, cost_data, outside = rows.ticket_block(scenario, tickets, ctx)
    res, depot_data = _resource_block(scenario, ctx)
    kd = KernelData(
        tv=time_dependent_block(_travel_block(static_of(scenario.travel), list(ctx.node_of)),
                                scenario.travel, scenario.horizon),
        win=win_data, cost=cost_data, brk=brk, rt=rt, res=res,
        tech=_tech_block(scenario, ctx, res, depot_data),
        w=Weights(travel=weights.travel_time / 60.0, dist=float(weights.distance),
                  overtime=weights.overtime / 60.0, pref=float(weights.preference),
                  balance=weights.load_balance / 60.0),
        ticket_node=np.fromiter((ctx.node_of[t.location] for t in tickets), dtype=_I64,
                                count=len(tickets)),
        dep=depot_data,
        week=rows.week_block(scenario),
    )
    for group in (*kd, depot_data.win, kd.week):
        for arr in (group if isinstance(group, tuple) else (group,)):
            if isinstance(arr, np.ndarray):
                _ro(arr)

    # -------------------------------------------------- route reachability
    from ..kernels.reach import reachability

    if routes and tickets:
        reach = reachability(kd)
        if kd.tech.cert_end.shape[1]:  # certifications count on their days only
            reach[~rows.route_certified(kd.rt.tech, kd.rt.open, kd.tech.cert_end,
                                        kd.cost.skill_col)] = 0
    else:
        reach = np.zeros((len(routes), len(tickets)), dtype=np.uint8)
    compat, ticket_routes_ptr, ticket_routes, unservable = routes_and_reasons(
        reach, kd.rt.tech, kd.tech.compat, outside)
    kd = kd._replace(tech=kd.tech._replace(compat=compat))
    if require_servable and unservable.any():
        _raise_unservable(tickets, unservable)

    index = IndexMap(ticket_ids=tuple(t.id for t in tickets),
                     technician_ids=tuple(t.id for t in techs), routes=tuple(routes),
                     sku_ids=tuple(skus), depot_ids=tuple(d.id for d in scenario.depots))
    elapsed = time.perf_counter() - tic
    logger.debug("compiled %d tickets, %d routes in %.3fs", len(tickets), len(routes), elapsed)
    problem = Problem(scenario=scenario, index=index, data=kd, compatible=compat,
                      ticket_routes_ptr=_ro(ticket_routes_ptr), ticket_routes=_ro(ticket_routes),
                      unservable=_ro(unservable), compile_time=elapsed,
                      crew=_ro(np.fromiter((t.crew_size for t in tickets), dtype=_I64,
                                           count=len(tickets)))
                      if any(t.crew_size > 1 for t in tickets) else None)
    rows.set_context(problem, ctx)
    return problem


def _raise_unservable(tickets: tuple[Any, ...], unservable: np.ndarray) -> None:
    issues = []
    for i in np.flatnonzero(unservable).tolist():
        reason = UnassignedReason.from_code(int(unservable[i]))
        issues.append(ValidationError.for_field(
            "Ticket", tickets[i].id, "servable", reason.value,
            "must be servable by at least one technician shift"))
    raise ValidationError.collect(issues)


def _route_block(scenario: Scenario, node_of: dict[Location, int],
                 ) -> tuple[list[tuple[int, int]], RouteData, BreakData]:
    """The routes (one per technician shift), their arrays and their breaks."""
    horizon = scenario.horizon
    to_int, tz = horizon.to_internal, horizon.start.tzinfo
    routes: list[tuple[int, int]] = []
    cols: dict[str, list[int]] = {f: [] for f in RouteData._fields if f != "group_cap"}
    brk_rows: tuple[list[list[int]], ...] = ([], [], [])
    group_of: dict[tuple[int, object], int] = {}
    group_cap: list[int] = []
    for t_idx, tech in enumerate(scenario.technicians):
        for k, shift in enumerate(tech.shifts):
            routes.append((t_idx, k))
            day = shift.start.astimezone(tz).date()
            g = group_of.get((t_idx, day))
            if g is None:
                g = group_of[(t_idx, day)] = len(group_cap)
                group_cap.append(NO_DEADLINE if tech.max_tickets_per_day is None
                                 else tech.max_tickets_per_day)
            for name, value in (
                    ("tech", t_idx), ("start_node", node_of[tech.shift_start_location(shift)]),
                    ("end_node", node_of[tech.shift_end_location(shift)]),
                    ("open", to_int(shift.start)), ("close", to_int(shift.end)),
                    ("max_close", to_int(shift.end) + tech.max_overtime),
                    ("capacity", NO_DEADLINE if tech.capacity is None else tech.capacity),
                    ("group", g)):
                cols[name].append(value)
            brk_rows[0].append([to_int(b.window.start) for b in shift.breaks])
            brk_rows[1].append([to_int(b.window.end) - b.duration for b in shift.breaks])
            brk_rows[2].append([b.duration for b in shift.breaks])
    brk_ptr, brk_earliest = rows.csr(brk_rows[0])
    rt = RouteData(**{f: np.array(v, dtype=_I64) for f, v in cols.items()},
                   group_cap=np.array(group_cap, dtype=_I64))
    return routes, rt, BreakData(ptr=brk_ptr, earliest=brk_earliest,
                                 latest=rows.csr(brk_rows[1])[1], dur=rows.csr(brk_rows[2])[1])


def _travel_block(travel: Any, node_locs: list[Location]) -> TravelData:
    """The travel model's arrays over the nodes ``node_locs``."""
    if isinstance(travel, MatrixTravel):
        row = travel.index()
        node_y = np.zeros(len(node_locs))
        return TravelData(
            kind=TRAVEL_MATRIX, rounding=ROUND_NEAREST,
            node_row=np.array([row[loc.id] for loc in node_locs], dtype=_I64),  # type: ignore[index]
            dur=np.ascontiguousarray(travel.durations, dtype=_I64),
            dist=(np.ascontiguousarray(travel.distances, dtype=np.float64)
                  if travel.distances is not None else np.zeros((0, 0))),
            x=np.zeros(len(node_locs)), y=node_y, coslat=np.cos(node_y), detour=1.0,
            sec_per_km=0.0)
    geographic = bool(node_locs) and node_locs[0].geographic
    xs = np.array([loc.x for loc in node_locs], dtype=np.float64)
    ys = np.array([loc.y for loc in node_locs], dtype=np.float64)
    if geographic:
        xs, ys = np.radians(xs), np.radians(ys)
    return TravelData(
        kind=TRAVEL_HAVERSINE if geographic else TRAVEL_EUCLIDEAN,
        rounding={"round": ROUND_NEAREST, "ceil": ROUND_CEIL,
                  "floor": ROUND_FLOOR}[travel.rounding],
        node_row=np.arange(len(node_locs), dtype=_I64), dur=np.zeros((0, 0), dtype=_I64),
        dist=np.zeros((0, 0)), x=xs, y=ys, coslat=np.cos(ys), detour=float(travel.detour),
        sec_per_km=3600.0 / float(travel.speed_kmh))


def _resource_block(scenario: Scenario, ctx: rows.CompileContext,
                    ) -> tuple[ResourceData, DepotData]:
    """Demand, parts, van stock, preferences and probable parts; the depots."""
    tickets, sku_idx = scenario.tickets, ctx.sku_idx
    stock = np.zeros((len(scenario.technicians), len(sku_idx)), dtype=_I64)
    for t_idx, tech in enumerate(scenario.technicians):
        for sku, qty in tech.van_stock.items():
            stock[t_idx, sku_idx[sku]] = qty
    part_ptr, part_sku, part_qty = rows.ticket_parts(tickets, sku_idx)
    pref_ptr, pref_tech = rows.ticket_prefs(tickets, ctx.tech_idx)
    terr, terr_w = rows.ticket_territories(tickets, ctx.territory_idx,
                                           scenario.objective.out_of_territory)
    res = ResourceData(
        demand=np.fromiter((t.demand for t in tickets), dtype=_I64, count=len(tickets)),
        part_ptr=part_ptr, part_sku=part_sku, part_qty=part_qty, stock=stock,
        pref_ptr=pref_ptr, pref_tech=pref_tech,
        prob_sku=np.array([sku_idx.get(s, -1) for s in ctx.prob_idx], dtype=_I64),
        terr=terr, terr_w=terr_w,
        covers=rows.territory_cover(ctx.territory_idx, ctx.tech_territories))
    return res, _depot_block(scenario, ctx)


def _depot_block(scenario: Scenario, ctx: rows.CompileContext) -> DepotData:
    """The depots: node, opening windows (reduced by the pick-up time), pick-up, stock."""
    depots, to_int, hlen = scenario.depots, scenario.horizon.to_internal, scenario.horizon.length
    depot_stock = np.zeros((len(depots), len(ctx.sku_idx)), dtype=_I64)
    dw_s: list[list[int]] = []
    dw_e: list[list[int]] = []
    for d_idx, depot in enumerate(depots):
        for sku, qty in depot.stock.items():
            depot_stock[d_idx, ctx.sku_idx[sku]] = qty
        opening = [(to_int(w.start), to_int(w.end) - depot.pickup_time)
                   for w in depot.opening_hours]
        opening = [(a, b) for a, b in opening if b >= a] if depot.opening_hours else [(0, hlen)]
        if not opening:  # every window shorter than the pick-up: never usable
            opening = [(hlen + 1, hlen)]
        dw_s.append([a for a, _ in opening])
        dw_e.append([b for _, b in opening])
    dw_ptr, dw_start = rows.csr(dw_s)
    return DepotData(
        node=np.fromiter((ctx.node_of[d.location] for d in depots), dtype=_I64,
                         count=len(depots)),
        win=WindowData(ptr=dw_ptr, start=dw_start, end=rows.csr(dw_e)[1],
                       soft=np.zeros(len(depots), dtype=np.bool_)),
        pickup=np.array([d.pickup_time for d in depots], dtype=_I64),
        stock=depot_stock)


def _tech_block(scenario: Scenario, ctx: rows.CompileContext, res: ResourceData,
                dep: DepotData) -> TechData:
    """Technician × ticket service seconds and compatibility codes (before reachability)."""
    tickets, techs = scenario.tickets, scenario.technicians
    skill_idx = ctx.skill_idx
    held = np.zeros((len(techs), len(skill_idx)), dtype=_I64)
    skill_factor = np.ones((len(techs), len(skill_idx)))
    for t_idx, tech in enumerate(techs):
        for s, level in tech.skills.items():
            held[t_idx, skill_idx[s]] = level
        for s, f in tech.skill_factors.items():
            if s in skill_idx:
                skill_factor[t_idx, skill_idx[s]] = f
    needed = np.zeros((len(tickets), len(skill_idx)), dtype=_I64)
    excluded = np.zeros((len(techs), len(tickets)), dtype=np.bool_)
    for i, ticket in enumerate(tickets):
        for s, level in ticket.required_skills.items():
            needed[i, skill_idx[s]] = level
        for tech_id in ticket.excluded_technicians:
            excluded[ctx.tech_idx[tech_id], i] = True
    expired = np.zeros(held.shape, dtype=np.bool_)
    for s, lapsed in ctx.skill_expired.items():
        if s in skill_idx:
            expired[:, skill_idx[s]] = lapsed
    compat = rows.skill_codes(held, needed, expired)
    rows.territory_codes(compat, res.covers, res.terr, not scenario.objective.soft_territories)
    rows.resource_codes(compat, res.stock, res.part_ptr, res.part_sku, res.part_qty, dep.stock,
                   excluded, ctx.tech_cap, res.demand)

    def too_long(t_idx: int, i: int, value: float) -> ValidationError:
        tech, ticket = techs[t_idx], tickets[i]
        return ValidationError(
            f"Ticket {ticket.id!r}: service time for technician {tech.id!r} (duration "
            f"{ticket.duration} s × factor {tech.service_multiplier(ticket.required_skills)!r})"
            f" must be <= {np.iinfo(np.int32).max} seconds, got {value!r}.",
            entity="Ticket", entity_id=ticket.id, field="duration", value=value)

    durations = np.fromiter((t.duration for t in tickets), dtype=np.float64, count=len(tickets))
    service = rows.service_seconds(durations, ctx.factors, skill_factor, ctx.has_factors, needed,
                              too_long)
    labour = scenario.objective.labour
    return TechData(
        service=np.ascontiguousarray(service), compat=compat,
        labour=np.array([labour * t.cost_per_hour / 3600.0 for t in techs]),
        recent=np.array([t.recent_workload for t in techs], dtype=np.float64),
        cost_per_hour=np.array([t.cost_per_hour for t in techs], dtype=np.float64),
        cert_end=ctx.cert_end)
