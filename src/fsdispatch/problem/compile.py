"""compile_scenario(): the only bridge from domain objects to arrays."""

from __future__ import annotations

import logging
import time

import numpy as np

from ..domain.location import Location
from ..domain.scenario import Scenario
from ..domain.travel import MatrixTravel
from ..errors import ValidationError
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
from .rows import csr, resource_codes, service_seconds, skill_codes, ticket_block

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
    horizon = scenario.horizon
    techs = scenario.technicians
    tickets = scenario.tickets
    num_tickets, num_techs = len(tickets), len(techs)
    weights = scenario.objective
    to_int = horizon.to_internal

    # ---------------------------------------------------------------- nodes
    node_of: dict[Location, int] = {}
    node_locs: list[Location] = []

    def node(loc: Location) -> int:
        k = node_of.get(loc)
        if k is None:
            k = node_of[loc] = len(node_locs)
            node_locs.append(loc)
        return k

    ticket_node = np.fromiter((node(t.location) for t in tickets), dtype=_I64, count=num_tickets)
    depot_node = np.fromiter((node(d.location) for d in scenario.depots), dtype=_I64,
                             count=len(scenario.depots))

    routes: list[tuple[int, int]] = []
    r_start_node, r_end_node, r_open, r_close, r_max_close = [], [], [], [], []
    r_capacity, r_group = [], []
    brk_rows_e: list[list[int]] = []
    brk_rows_l: list[list[int]] = []
    brk_rows_d: list[list[int]] = []
    group_of: dict[tuple[int, object], int] = {}
    group_cap: list[int] = []
    tz = horizon.start.tzinfo
    for t_idx, tech in enumerate(techs):
        for k, shift in enumerate(tech.shifts):
            routes.append((t_idx, k))
            r_start_node.append(node(tech.shift_start_location(shift)))
            r_end_node.append(node(tech.shift_end_location(shift)))
            r_open.append(to_int(shift.start))
            r_close.append(to_int(shift.end))
            r_max_close.append(to_int(shift.end) + tech.max_overtime)
            r_capacity.append(NO_DEADLINE if tech.capacity is None else tech.capacity)
            day = shift.start.astimezone(tz).date()
            g = group_of.get((t_idx, day))
            if g is None:
                g = group_of[(t_idx, day)] = len(group_cap)
                group_cap.append(NO_DEADLINE if tech.max_tickets_per_day is None
                                 else tech.max_tickets_per_day)
            r_group.append(g)
            brk_rows_e.append([to_int(b.window.start) for b in shift.breaks])
            brk_rows_l.append([to_int(b.window.end) - b.duration for b in shift.breaks])
            brk_rows_d.append([b.duration for b in shift.breaks])
    num_routes = len(routes)
    brk_ptr, brk_earliest = csr(brk_rows_e)
    _, brk_latest = csr(brk_rows_l)
    _, brk_dur = csr(brk_rows_d)

    # --------------------------------------------------------------- travel
    travel = scenario.travel
    if isinstance(travel, MatrixTravel):
        kind, rounding = TRAVEL_MATRIX, ROUND_NEAREST
        row = travel.index()
        node_row = np.array([row[loc.id] for loc in node_locs], dtype=_I64)  # type: ignore[index]
        dur_matrix = np.ascontiguousarray(travel.durations, dtype=_I64)
        dist_matrix = (np.ascontiguousarray(travel.distances, dtype=np.float64)
                       if travel.distances is not None else np.zeros((0, 0)))
        node_x = np.zeros(len(node_locs))
        node_y = np.zeros(len(node_locs))
        detour, sec_per_km = 1.0, 0.0
    else:
        geographic = bool(node_locs) and node_locs[0].geographic
        kind = TRAVEL_HAVERSINE if geographic else TRAVEL_EUCLIDEAN
        rounding = {"round": ROUND_NEAREST, "ceil": ROUND_CEIL,
                    "floor": ROUND_FLOOR}[travel.rounding]
        node_row = np.arange(len(node_locs), dtype=_I64)
        dur_matrix = np.zeros((0, 0), dtype=_I64)
        dist_matrix = np.zeros((0, 0))
        xs = np.array([loc.x for loc in node_locs], dtype=np.float64)
        ys = np.array([loc.y for loc in node_locs], dtype=np.float64)
        if geographic:
            xs, ys = np.radians(xs), np.radians(ys)
        node_x, node_y = xs, ys
        detour, sec_per_km = float(travel.detour), 3600.0 / float(travel.speed_kmh)

    # -------------------------------------------------------------- tickets
    hlen = horizon.length
    win_data, cost_data, outside = ticket_block(scenario, tickets)
    demand = np.fromiter((t.demand for t in tickets), dtype=_I64, count=num_tickets)
    durations = np.fromiter((t.duration for t in tickets), dtype=np.float64, count=num_tickets)

    # ---------------------------------------------------------------- parts
    depots = scenario.depots
    skus = sorted({p.sku for p in scenario.parts}
                  | {s for t in tickets for s in t.parts}
                  | {s for tech in techs for s in tech.van_stock}
                  | {s for d in depots for s in d.stock})
    sku_idx = {s: k for k, s in enumerate(skus)}
    part_ptr, part_sku = csr([[sku_idx[s] for s in t.parts] for t in tickets])
    _, part_qty = csr([list(t.parts.values()) for t in tickets])
    stock = np.zeros((num_techs, len(skus)), dtype=_I64)
    for t_idx, tech in enumerate(techs):
        for sku, qty in tech.van_stock.items():
            stock[t_idx, sku_idx[sku]] = qty
    depot_stock = np.zeros((len(depots), len(skus)), dtype=_I64)
    dw_s: list[list[int]] = []
    dw_e: list[list[int]] = []
    for d_idx, depot in enumerate(depots):
        for sku, qty in depot.stock.items():
            depot_stock[d_idx, sku_idx[sku]] = qty
        opening = [(to_int(w.start), to_int(w.end) - depot.pickup_time)
                   for w in depot.opening_hours]
        opening = [(a, b) for a, b in opening if b >= a] if depot.opening_hours else [(0, hlen)]
        if not opening:  # every window shorter than the pick-up: never usable
            opening = [(hlen + 1, hlen)]
        dw_s.append([a for a, _ in opening])
        dw_e.append([b for _, b in opening])
    dw_ptr, dw_start = csr(dw_s)
    _, dw_end = csr(dw_e)
    depot_data = DepotData(
        node=depot_node,
        win=WindowData(ptr=dw_ptr, start=dw_start, end=dw_end,
                       soft=np.zeros(len(depots), dtype=np.bool_)),
        pickup=np.array([d.pickup_time for d in depots], dtype=_I64),
        stock=depot_stock)

    tech_idx = {tech.id: k for k, tech in enumerate(techs)}
    pref_ptr, pref_tech = csr([[tech_idx[p] for p in t.preferred_technicians]
                                for t in tickets])

    # ------------------------------------------------------- compatibility
    skills = sorted({s for t in tickets for s in t.required_skills}
                    | {s for tech in techs for s in tech.skills})
    skill_idx = {s: k for k, s in enumerate(skills)}
    held = np.zeros((num_techs, len(skills)), dtype=_I64)
    for t_idx, tech in enumerate(techs):
        for s, level in tech.skills.items():
            held[t_idx, skill_idx[s]] = level
    needed = np.zeros((num_tickets, len(skills)), dtype=_I64)
    for i, ticket in enumerate(tickets):
        for s, level in ticket.required_skills.items():
            needed[i, skill_idx[s]] = level
    compat = skill_codes(held, needed)
    excluded = np.zeros((num_techs, num_tickets), dtype=np.bool_)
    for i, ticket in enumerate(tickets):
        for tech_id in ticket.excluded_technicians:
            excluded[tech_idx[tech_id], i] = True
    tech_cap = np.array([NO_DEADLINE if t.capacity is None else t.capacity for t in techs],
                        dtype=_I64)
    resource_codes(compat, stock, part_ptr, part_sku, part_qty, depot_stock, excluded,
                   tech_cap, demand)

    # service seconds per technician and ticket
    skill_factor = np.ones((num_techs, len(skills)))
    for t_idx, tech in enumerate(techs):
        for s, f in tech.skill_factors.items():
            if s in skill_idx:
                skill_factor[t_idx, skill_idx[s]] = f

    def too_long(t_idx: int, i: int, value: float) -> ValidationError:
        tech, ticket = techs[t_idx], tickets[i]
        return ValidationError(
            f"Ticket {ticket.id!r}: service time for technician {tech.id!r} (duration "
            f"{ticket.duration} s × factor {tech.service_multiplier(ticket.required_skills)!r})"
            f" must be <= {np.iinfo(np.int32).max} seconds, got {value!r}.",
            entity="Ticket", entity_id=ticket.id, field="duration", value=value)

    service = service_seconds(
        durations, np.array([t.service_factor for t in techs], dtype=np.float64), skill_factor,
        np.array([bool(t.skill_factors) for t in techs], dtype=np.bool_), needed, too_long)

    tech_labour = np.array([weights.labour * t.cost_per_hour / 3600.0 for t in techs])

    kd = KernelData(
        tv=TravelData(kind=kind, rounding=rounding, node_row=node_row, dur=dur_matrix,
                      dist=dist_matrix, x=node_x, y=node_y, coslat=np.cos(node_y),
                      detour=detour, sec_per_km=sec_per_km),
        win=win_data,
        cost=cost_data,
        brk=BreakData(ptr=brk_ptr, earliest=brk_earliest, latest=brk_latest, dur=brk_dur),
        rt=RouteData(tech=np.array([t for t, _ in routes], dtype=_I64),
                     start_node=np.array(r_start_node, dtype=_I64),
                     end_node=np.array(r_end_node, dtype=_I64),
                     open=np.array(r_open, dtype=_I64), close=np.array(r_close, dtype=_I64),
                     max_close=np.array(r_max_close, dtype=_I64),
                     capacity=np.array(r_capacity, dtype=_I64),
                     group=np.array(r_group, dtype=_I64),
                     group_cap=np.array(group_cap, dtype=_I64)),
        res=ResourceData(demand=demand, part_ptr=part_ptr, part_sku=part_sku, part_qty=part_qty,
                         stock=stock, pref_ptr=pref_ptr, pref_tech=pref_tech),
        tech=TechData(service=np.ascontiguousarray(service), compat=compat,
                      labour=tech_labour,
                      recent=np.array([t.recent_workload for t in techs], dtype=np.float64),
                      cost_per_hour=np.array([t.cost_per_hour for t in techs],
                                             dtype=np.float64)),
        w=Weights(travel=weights.travel_time / 60.0, dist=float(weights.distance),
                  overtime=weights.overtime / 60.0, pref=float(weights.preference),
                  balance=weights.load_balance / 60.0),
        ticket_node=ticket_node,
        dep=depot_data,
    )
    for group in (*kd, depot_data.win):
        for arr in (group if isinstance(group, tuple) else (group,)):
            if isinstance(arr, np.ndarray):
                _ro(arr)

    # -------------------------------------------------- route reachability
    from ..evaluate._kernels import reachability

    if num_routes and num_tickets:
        reach = reachability(kd)
    else:
        reach = np.zeros((num_routes, num_tickets), dtype=np.uint8)
    compat, ticket_routes_ptr, ticket_routes, unservable = routes_and_reasons(
        reach, kd.rt.tech, compat, outside)
    kd = kd._replace(tech=kd.tech._replace(compat=compat))
    if require_servable and unservable.any():
        issues = []
        for i in np.flatnonzero(unservable).tolist():
            reason = UnassignedReason.from_code(int(unservable[i]))
            issues.append(ValidationError.for_field(
                "Ticket", tickets[i].id, "servable", reason.value,
                "must be servable by at least one technician shift"))
        raise ValidationError.collect(issues)

    index = IndexMap(ticket_ids=tuple(t.id for t in tickets),
                     technician_ids=tuple(t.id for t in techs), routes=tuple(routes),
                     sku_ids=tuple(skus), depot_ids=tuple(d.id for d in depots))
    elapsed = time.perf_counter() - tic
    logger.debug("compiled %d tickets, %d routes in %.3fs", num_tickets, num_routes, elapsed)
    return Problem(scenario=scenario, index=index, data=kd, compatible=compat,
                   ticket_routes_ptr=_ro(ticket_routes_ptr), ticket_routes=_ro(ticket_routes),
                   unservable=_ro(unservable), compile_time=elapsed)
