"""Grow a compiled problem by one ticket without recompiling it (live dispatch).

Recompiling a 3 000-ticket day costs about 0.2 s; a live desk prices a new
ticket in milliseconds. :func:`append_ticket` derives the new ticket's rows
with the same rules as :func:`~fsdispatch.compile_scenario` (the same
precedence of incompatibility codes, the same float operations for service
times, the same reachability kernel) and concatenates them to the per-ticket
arrays. The new ticket gets index ``problem.num_tickets``; every existing
index, route and array layout is unchanged, so route states and plans of the
old problem stay valid for the new one.

A test holds that the result judges plans exactly as a full recompile of the
scenario with the ticket appended.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import attrs
import numpy as np

from ..domain.location import Location
from ..domain.ticket import Ticket
from ..domain.traffic import matrix_of
from ..errors import UnknownReferenceError, ValidationError
from .problem import (
    IndexMap,
    KernelData,
    Problem,
    TravelData,
)
from .reasons import routes_and_reasons
from .rows import (
    CompileContext,
    context_of,
    grown_catalogue,
    probable_parts,
    resource_codes,
    route_certified,
    service_seconds,
    set_context,
    skill_codes,
    territory_codes,
    territory_cover,
    ticket_block,
    ticket_parts,
    ticket_prefs,
    ticket_territories,
)

__all__ = ["TicketRows", "append_ticket", "ticket_rows"]

_I64 = np.int64


class TicketRows(NamedTuple):
    """A problem's arrays grown by one ticket (index ``num_tickets`` of the old problem).

    Attributes
    ----------
    data:
        The grown :class:`~fsdispatch.problem.problem.KernelData`.
    compat:
        int8 array of shape ``(num_technicians,)``: the new ticket's
        :class:`~fsdispatch.Incompatibility` code per technician.
    routes:
        int64 array: the routes able to serve the new ticket on its own.
    unservable:
        0 if some route can serve it, else the :class:`~fsdispatch.UnassignedReason` code.
    sku_ids:
        The part catalogue (grown when the ticket names a part no van holds).
    """

    data: KernelData
    compat: np.ndarray
    routes: np.ndarray
    unservable: int
    sku_ids: tuple[str, ...]


_context = context_of  # (the name live dispatch imports)


def _check_ticket(problem: Problem, ticket: Ticket, ctx: CompileContext) -> None:
    """The scenario's cross-reference checks, for one ticket."""
    scenario = static_scenario(problem)
    if not isinstance(ticket, Ticket):
        raise ValidationError.for_field("Ticket", None, "ticket", ticket, "must be a Ticket")
    if problem.index.has_ticket(ticket.id):
        raise ValidationError.for_field("Ticket", ticket.id, "id", ticket.id,
                                        "must be unique (already in the problem)")
    for name in ("preferred_technicians", "excluded_technicians"):
        for ref in getattr(ticket, name):
            if ref not in ctx.tech_idx:
                raise UnknownReferenceError(
                    ValidationError.for_field("Ticket", ticket.id, name, ref,
                                              "references an unknown technician").message,
                    entity="Ticket", entity_id=ticket.id, field=name, value=ref)
    if scenario.skills:
        for skill in ticket.required_skills:
            if skill not in scenario.skills:
                raise UnknownReferenceError(
                    ValidationError.for_field("Ticket", ticket.id, "required_skills", skill,
                                              "references an unknown skill").message,
                    entity="Ticket", entity_id=ticket.id, field="required_skills", value=skill)
    if scenario.parts:
        known = {p.sku for p in scenario.parts}
        for sku in ticket.parts:
            if sku not in known:
                raise UnknownReferenceError(
                    ValidationError.for_field("Ticket", ticket.id, "parts", sku,
                                              "references an unknown part").message,
                    entity="Ticket", entity_id=ticket.id, field="parts", value=sku)
    loc = ticket.location
    matrix = matrix_of(scenario.travel)
    if matrix is not None:
        if loc.id is None or loc.id not in matrix.index():
            raise UnknownReferenceError(
                ValidationError.for_field("Ticket", ticket.id, "location.id", loc.id,
                                          "must name a row of the travel matrix").message,
                entity="Ticket", entity_id=ticket.id, field="location.id", value=loc.id)
    elif ctx.node_of:
        geographic = next(iter(ctx.node_of)).geographic
        if loc.geographic != geographic:
            raise ValidationError.for_field(
                "Ticket", ticket.id, "location", "geographic" if loc.geographic else "planar",
                "must use the same coordinate system as every other location "
                f"({'geographic' if geographic else 'planar'})")


def _ro(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _cat(a: np.ndarray, b: Any) -> np.ndarray:
    """``a`` with ``b`` appended (``a``'s dtype), read-only."""
    b = np.asarray(b, dtype=a.dtype)
    out = np.empty((a.shape[0] + b.shape[0], *a.shape[1:]), dtype=a.dtype)
    out[:a.shape[0]] = a
    out[a.shape[0]:] = b
    return _ro(out)


_SCENARIO_SLOT: Any = Problem.__dict__["scenario"]


class LazyProblem(Problem):
    """A :class:`Problem` whose scenario's technicians are built on first access.

    The live dispatcher derives a problem per technician event; building the
    live :class:`~fsdispatch.Technician` objects (each technician's remaining
    shift) for every event would cost more than the arrays themselves, and
    only a few readers need them (explanations; the evaluator reads the arrays).
    ``scenario`` is built on first access and then kept: it equals the
    scenario a full compile would hold. The static fields (horizon, travel,
    objective, SLA policy, catalogues) and the tickets are known at once.
    """

    __slots__ = ("_make_techs", "_static", "_tickets")
    _make_techs: Callable[[], tuple[Any, ...]] | None
    _static: Any
    _tickets: tuple[Ticket, ...]

    @classmethod
    def create(cls, static: Any, tickets: tuple[Ticket, ...],
               make_techs: Callable[[], tuple[Any, ...]], **fields: Any) -> LazyProblem:
        """A lazy problem: ``static`` holds the scenario's static fields, ``make_techs``
        builds its technicians, ``tickets`` are its tickets."""
        new = cls(scenario=static, **fields)
        object.__setattr__(new, "_static", static)
        object.__setattr__(new, "_tickets", tickets)
        object.__setattr__(new, "_make_techs", make_techs)
        return new

    def _get_scenario(self) -> Any:
        make = getattr(self, "_make_techs", None)
        if make is not None:
            scenario = copy.copy(self._static)
            object.__setattr__(scenario, "technicians", tuple(make()))
            object.__setattr__(scenario, "tickets", self._tickets)
            _SCENARIO_SLOT.__set__(self, scenario)
            object.__setattr__(self, "_make_techs", None)
        return _SCENARIO_SLOT.__get__(self, type(self))

    def _set_scenario(self, value: Any) -> None:
        _SCENARIO_SLOT.__set__(self, value)

    scenario = property(_get_scenario, _set_scenario)


def static_scenario(problem: Problem) -> Any:
    """A scenario with ``problem``'s horizon, travel, objective, SLA policy and catalogues
    (its technicians and tickets may be stale; they are not read)."""
    static = getattr(problem, "_static", None)
    return problem.scenario if static is None else static


def live_tickets(problem: Problem) -> tuple[Ticket, ...]:
    """``problem.scenario.tickets`` without building a lazy problem's technicians."""
    tickets = getattr(problem, "_tickets", None)
    return problem.scenario.tickets if tickets is None else tickets


def grow_node(tv: TravelData, scenario: Any, loc: Location) -> tuple[TravelData, int]:
    """``tv`` with one more node at ``loc`` (the compiler's rules), and the new node's index."""
    node = tv.node_row.shape[0]
    matrix = matrix_of(scenario.travel)
    if matrix is not None:
        row = matrix.index()[loc.id]  # type: ignore[index]
        tv = tv._replace(node_row=_cat(tv.node_row, [row]),
                         x=_cat(tv.x, [0.0]), y=_cat(tv.y, [0.0]),
                         coslat=_cat(tv.coslat, [1.0]))
    else:
        x, y = float(loc.x), float(loc.y)
        if loc.geographic:
            x, y = float(np.radians(np.array([x]))[0]), float(np.radians(np.array([y]))[0])
        tv = tv._replace(node_row=_cat(tv.node_row, [node]), x=_cat(tv.x, [x]),
                         y=_cat(tv.y, [y]), coslat=_cat(tv.coslat, np.cos(np.array([y]))))
    return tv, node


def derive_context(problem: Problem, base: Problem, *, node_of: dict[Location, int],
                   tech_cap: np.ndarray) -> None:
    """Register the lookups of ``problem``, a live refresh of ``base`` (private helper).

    The live dispatcher patches route arrays and drops tickets without
    recompiling; node numbers then no longer follow the compiler's order, so
    the lookups are carried forward instead of replayed from the scenario.
    ``node_of`` maps every location to its node; ``tech_cap`` holds the
    technicians' (live) capacities.
    """
    set_context(problem, attrs.evolve(context_of(base), node_of=node_of, tech_cap=tech_cap))


def context_nodes(problem: Problem) -> dict[Location, int]:
    """Location -> node index of a problem (read-only; private helper of live dispatch)."""
    return context_of(problem).node_of


def _too_long(ticket_id: str, technician_ids: tuple[str, ...], t_idx: int, _i: int,
              value: float) -> ValidationError:
    """The error of a service time beyond int32 (validation keeps it from happening)."""
    return ValidationError(
        f"Ticket {ticket_id!r}: service time for technician {technician_ids[t_idx]!r} "
        f"must be <= {np.iinfo(np.int32).max} seconds, got {value!r}.",
        entity="Ticket", entity_id=ticket_id, field="duration", value=value)


def ticket_rows(problem: Problem, ticket: Ticket) -> TicketRows:
    """The arrays of ``problem`` grown by ``ticket`` (no new :class:`Problem` is built).

    The fast path of :func:`append_ticket`, used where only the kernel data
    is needed (pricing a ticket before deciding to add it).

    Parameters
    ----------
    problem:
        A compiled problem.
    ticket:
        A validated ticket whose id is not in the problem.

    Returns
    -------
    TicketRows
        The grown kernel data and the new ticket's compatibility, routes and
        unservable code.

    Raises
    ------
    ValidationError
        Duplicate id, or a location in another coordinate system.
    UnknownReferenceError
        Unknown technician, skill (with a catalogue), part (with a catalogue)
        or travel-matrix row.
    """
    base = context_of(problem)
    _check_ticket(problem, ticket, base)
    scenario = static_scenario(problem)
    ctx = grown_context(base, scenario, ticket)
    kd = problem.data
    tv = kd.tv
    node = ctx.node_of.get(ticket.location)
    if node is None:
        tv, node = grow_node(tv, scenario, ticket.location)
    # the compiler's row builders (problem/rows.py) on this one ticket
    block_win, block_cost, block_outside = ticket_block(scenario, [ticket], ctx)
    win = kd.win
    win = win._replace(ptr=_cat(win.ptr, win.ptr[-1] + block_win.ptr[1:]),
                       start=_cat(win.start, block_win.start),
                       end=_cat(win.end, block_win.end), soft=_cat(win.soft, block_win.soft))
    cost = kd.cost._replace(**{f: _cat_rows(getattr(kd.cost, f), getattr(block_cost, f))
                               for f in kd.cost._fields})
    res = _grown_resources(kd.res, ticket, base, ctx, scenario.objective.out_of_territory)
    compat = _column_codes(kd, res, ticket, ctx, not scenario.objective.soft_territories)
    service = _column_service(problem, ticket, ctx)
    certified = route_certified(kd.rt.tech, kd.rt.open, kd.tech.cert_end,
                                block_cost.skill_col)[:, 0]
    compat, routes, unservable = _column_reach(problem, tv, win, res, service, compat, node,
                                               bool(block_outside[0]), certified)
    tech = kd.tech._replace(
        service=_ro(np.concatenate([kd.tech.service, service[:, None]], axis=1)),
        compat=_ro(np.concatenate([kd.tech.compat, compat[:, None]], axis=1)))
    from ..kernels.structs import kernel_data

    # (as a struct, as every kernel takes kernel data: one signature per kernel)
    data: Any = kernel_data(kd._replace(tv=tv, win=win, cost=cost, res=res, tech=tech,
                                   ticket_node=_cat(kd.ticket_node, [node])))
    return TicketRows(data=data, compat=_ro(compat), routes=_ro(routes), unservable=unservable,
                      sku_ids=tuple(ctx.sku_idx))


def grown_context(ctx: CompileContext, scenario: Any, ticket: Ticket) -> CompileContext:
    """``ctx`` with the catalogues (parts, skills, probable parts) grown by ``ticket``'s
    new names (their columns follow the existing ones)."""
    sku_idx = grown_catalogue(ctx.sku_idx, ticket.parts)
    skill_idx = grown_catalogue(ctx.skill_idx, ticket.required_skills)
    prob_idx = grown_catalogue(ctx.prob_idx, probable_parts(scenario, ticket))
    territory_idx = grown_catalogue(ctx.territory_idx,
                                    () if ticket.territory is None else (ticket.territory,))
    if sku_idx is ctx.sku_idx and skill_idx is ctx.skill_idx and prob_idx is ctx.prob_idx \
            and territory_idx is ctx.territory_idx:
        return ctx
    return attrs.evolve(ctx, sku_idx=sku_idx, skill_idx=skill_idx, prob_idx=prob_idx,
                        territory_idx=territory_idx)


def _cat_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` with the rows ``b`` appended (``(N, M)`` rows padded to the wider of the two)."""
    if a.ndim == 1:
        return _cat(a, b)
    b = np.asarray(b, dtype=a.dtype)
    width = max(a.shape[1], b.shape[1])
    out = np.empty((a.shape[0] + b.shape[0], width), dtype=a.dtype)
    fill = -1 if a.dtype.kind == "i" else 0.0
    out[:a.shape[0], :a.shape[1]] = a
    out[a.shape[0]:, :b.shape[1]] = b
    if a.shape[1] < width:
        out[:a.shape[0], a.shape[1]:] = fill
    if b.shape[1] < width:
        out[a.shape[0]:, b.shape[1]:] = fill
    return _ro(out)


def _grown_resources(res: Any, ticket: Ticket, base: CompileContext,
                     ctx: CompileContext, weight: float | None) -> Any:
    """``res`` with the ticket's demand, parts, preferences and territory appended (a part no
    van holds: a zero stock column each; a new territory: a coverage column). ``weight`` is
    the objective's ``out_of_territory``."""
    stock, prob_sku = res.stock, res.prob_sku
    if ctx.sku_idx is not base.sku_idx:
        extra = len(ctx.sku_idx) - stock.shape[1]
        stock = _ro(np.concatenate([stock, np.zeros((stock.shape[0], extra), dtype=_I64)],
                                   axis=1))
    if ctx.sku_idx is not base.sku_idx or ctx.prob_idx is not base.prob_idx:
        prob_sku = _ro(np.array([ctx.sku_idx.get(s, -1) for s in ctx.prob_idx], dtype=_I64))
    part_ptr, part_sku, part_qty = ticket_parts([ticket], ctx.sku_idx)
    pref_ptr, pref_tech = ticket_prefs([ticket], ctx.tech_idx)
    covers = res.covers
    if ctx.territory_idx is not base.territory_idx:
        covers = _ro(territory_cover(ctx.territory_idx, ctx.tech_territories))
    terr, terr_w = ticket_territories([ticket], ctx.territory_idx,
                                      weight)
    return res._replace(
        terr=_cat(res.terr, terr), terr_w=_cat(res.terr_w, terr_w), covers=covers,
        demand=_cat(res.demand, [ticket.demand]),
        part_ptr=_cat(res.part_ptr, res.part_ptr[-1] + part_ptr[1:]),
        part_sku=_cat(res.part_sku, part_sku), part_qty=_cat(res.part_qty, part_qty),
        stock=stock, pref_ptr=_cat(res.pref_ptr, res.pref_ptr[-1] + pref_ptr[1:]),
        pref_tech=_cat(res.pref_tech, pref_tech), prob_sku=prob_sku)


def _column_codes(kd: Any, res: Any, ticket: Ticket, ctx: CompileContext,
                  hard_territories: bool) -> np.ndarray:
    """The ticket's incompatibility code per technician, before reachability (the
    compiler's rules, problem/rows.py, on one column)."""
    num_techs = res.stock.shape[0]
    zeros = np.zeros(num_techs, dtype=_I64)
    never = np.zeros(num_techs, dtype=np.bool_)
    required = list(ticket.required_skills.items())
    held = np.array([ctx.skill_level.get(s, zeros) for s, _ in required],
                    dtype=_I64).reshape(len(required), num_techs).T
    expired = np.array([ctx.skill_expired.get(s, never) for s, _ in required],
                       dtype=np.bool_).reshape(len(required), num_techs).T
    codes = skill_codes(held, np.array([[lvl for _, lvl in required]], dtype=_I64), expired)
    territory_codes(codes, res.covers, res.terr[-1:], hard_territories)
    depot = kd.dep.stock  # (a sku new with this ticket is in no depot)
    if depot.shape[1] < res.stock.shape[1]:
        grown = np.zeros((depot.shape[0], res.stock.shape[1]), dtype=depot.dtype)
        grown[:, :depot.shape[1]] = depot
        depot = grown
    excluded = np.zeros((num_techs, 1), dtype=np.bool_)
    for tech_id in ticket.excluded_technicians:
        excluded[ctx.tech_idx[tech_id], 0] = True
    lo = res.part_ptr[-2]
    resource_codes(codes, res.stock, res.part_ptr[-2:] - lo, res.part_sku[lo:],
                   res.part_qty[lo:], depot, excluded, ctx.tech_cap, res.demand[-1:])
    return codes[:, 0]


def _column_service(problem: Problem, ticket: Ticket, ctx: CompileContext) -> np.ndarray:
    """The ticket's service seconds per technician (problem/rows.service_seconds)."""
    num_techs = problem.num_technicians
    required = list(ticket.required_skills.items())
    ones = np.ones(num_techs)
    factor_cols = np.array([ctx.skill_factor.get(s, ones) for s, _ in required],
                           dtype=np.float64).reshape(len(required), num_techs).T
    return service_seconds(np.array([float(ticket.duration)]), ctx.factors, factor_cols,
                           ctx.has_factors, np.array([[lvl for _, lvl in required]], dtype=_I64),
                           functools.partial(_too_long, ticket.id,
                                             problem.index.technician_ids))[:, 0]


def _column_reach(problem: Problem, tv: TravelData, win: Any, res: Any, service: np.ndarray,
                  compat: np.ndarray, node: int, outside: bool, certified: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, int]:
    """The new column's codes with ``SHIFT``, the routes reaching it and its unservable code
    (``certified``: per route, the ticket's certifications count on its day)."""
    from ..kernels.reach import reach_serial

    kd = problem.data
    # the one new column, in the types the compiled problem's arrays have (read-only,
    # C-contiguous): the kernel's one signature, without building a whole struct
    out = np.zeros((problem.num_routes, 1), dtype=np.uint8)
    if problem.num_routes:
        one_win = win._replace(ptr=_ro(win.ptr[-2:] - win.ptr[-2]),
                               start=_ro(win.start[win.ptr[-2]:]),
                               end=_ro(win.end[win.ptr[-2]:]), soft=_ro(win.soft[-1:]))
        reach_serial(tv, one_win, kd.brk, kd.rt,
                     _ro(np.ascontiguousarray(service[:, None])),
                     _ro(np.ascontiguousarray(compat[:, None])), _ro(res.demand[-1:]),
                     _ro(np.array([node], dtype=_I64)), out)
    out[~certified, 0] = 0
    col, _ptr, routes, why = routes_and_reasons(out, kd.rt.tech, compat[:, None],
                                                np.array([outside]))
    return col[:, 0], routes, int(why[0])


def append_ticket(problem: Problem, ticket: Ticket, *, rows: TicketRows | None = None) -> Problem:
    """A new :class:`Problem`: ``problem`` with ``ticket`` appended as its last ticket.

    Equivalent to ``compile_scenario(scenario.replace(tickets=(*tickets, ticket)))``
    for judging plans (same costs, rules, compatibility, routes and reasons;
    node and part numbering may differ) at a fraction of the cost: only the
    new ticket's rows are computed, with the same rules as the compiler.
    Existing ticket and route indices are unchanged.

    Parameters
    ----------
    problem:
        A compiled problem.
    ticket:
        The ticket to add (its id must be new).
    rows:
        ``ticket_rows(problem, ticket)`` if already computed (saves ~1 ms).

    Returns
    -------
    Problem
        The grown problem (its scenario holds the ticket).

    Raises
    ------
    ValidationError, UnknownReferenceError
        As :func:`ticket_rows`.
    """
    if rows is None or rows.data.ticket_node.shape[0] != problem.num_tickets + 1:
        rows = ticket_rows(problem, ticket)
    ctx = grown_context(context_of(problem), static_scenario(problem), ticket)
    # ticket_rows ran the scenario's cross-reference checks for this ticket and
    # the ticket validated itself, so the scenario is not validated again (an
    # O(num_tickets) pass, ~10 ms on 3 000 tickets)
    j = problem.num_tickets
    index = _grown_index(problem.index, ticket.id, rows.sku_ids)
    ptr = _cat(problem.ticket_routes_ptr, [problem.ticket_routes_ptr[-1] + rows.routes.shape[0]])
    fields: dict[str, Any] = dict(index=index, data=rows.data, compatible=rows.data.tech.compat,
                  ticket_routes_ptr=ptr, ticket_routes=_cat(problem.ticket_routes, rows.routes),
                  unservable=_cat(problem.unservable, [rows.unservable]),
                  compile_time=problem.compile_time)
    make = getattr(problem, "_make_techs", None)
    grown: Problem
    if make is not None:  # a live problem whose technicians are not built yet: keep it so
        grown = LazyProblem.create(static_scenario(problem), (*live_tickets(problem), ticket),
                                   make, **fields)
    else:
        scenario = copy.copy(problem.scenario)
        object.__setattr__(scenario, "tickets", (*problem.scenario.tickets, ticket))
        grown = Problem(scenario=scenario, **fields)
    node_of = dict(ctx.node_of)
    node_of.setdefault(ticket.location, int(rows.data.ticket_node[j]))
    set_context(grown, attrs.evolve(ctx, node_of=node_of))
    return grown


def _grown_index(index: IndexMap, ticket_id: str, sku_ids: tuple[str, ...]) -> IndexMap:
    """``index`` with one more ticket, without rebuilding every lookup (O(1) per new id)."""
    grown = copy.copy(index)
    lookup = dict(index._ticket_idx)  # noqa: SLF001
    lookup[ticket_id] = len(index.ticket_ids)
    object.__setattr__(grown, "ticket_ids", (*index.ticket_ids, ticket_id))
    object.__setattr__(grown, "sku_ids", sku_ids)
    object.__setattr__(grown, "_ticket_idx", lookup)
    return grown
