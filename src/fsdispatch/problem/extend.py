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
from ..domain.travel import MatrixTravel
from ..errors import UnknownReferenceError, ValidationError
from .problem import (
    NO_DEADLINE,
    IndexMap,
    KernelData,
    Problem,
    TravelData,
)
from .reasons import routes_and_reasons
from .rows import resource_codes, service_seconds, skill_codes, ticket_block

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


@attrs.frozen(eq=False)
class _Context:
    """Per-problem lookups (built once, carried forward to grown problems)."""

    node_of: dict[Location, int]
    skill_level: dict[str, np.ndarray]  # skill -> (T,) level held
    skill_factor: dict[str, np.ndarray]  # skill -> (T,) service factor for it
    tech_idx: dict[str, int]
    sku_idx: dict[str, int]
    factors: np.ndarray  # (T,) service_factor
    has_factors: np.ndarray  # (T,) technician has skill_factors
    tech_cap: np.ndarray  # (T,)


def _set_context(problem: Problem, ctx: _Context) -> None:
    """Attach the lookups to the problem (copies and pickles of it carry them)."""
    object.__setattr__(problem, "_lookups", ctx)


def _context(problem: Problem) -> _Context:
    ctx: _Context | None = problem._lookups  # noqa: SLF001
    if ctx is not None:
        return ctx
    scenario = problem.scenario
    techs = scenario.technicians
    node_of: dict[Location, int] = {}
    # replay compile_scenario's node numbering: tickets first, then depots, then shift ends
    for t in scenario.tickets:
        node_of.setdefault(t.location, len(node_of))
    for depot in scenario.depots:
        node_of.setdefault(depot.location, len(node_of))
    for tech in techs:
        for shift in tech.shifts:
            node_of.setdefault(tech.shift_start_location(shift), len(node_of))
            node_of.setdefault(tech.shift_end_location(shift), len(node_of))
    if len(node_of) != problem.data.tv.node_row.shape[0]:  # pragma: no cover - invariant
        raise ValidationError("append_ticket: problem nodes do not match its scenario",
                              entity="Problem", field="nodes")
    skills = {s for tech in techs for s in tech.skills}
    skill_level = {s: np.array([tech.skills.get(s, 0) for tech in techs], dtype=_I64)
                   for s in skills}
    factored = {s for tech in techs for s in tech.skill_factors}
    skill_factor = {s: np.array([tech.skill_factors.get(s, 1.0) for tech in techs])
                    for s in factored}
    ctx = _Context(
        node_of=node_of, skill_level=skill_level, skill_factor=skill_factor,
        tech_idx={t: k for k, t in enumerate(problem.index.technician_ids)},
        sku_idx={s: k for k, s in enumerate(problem.index.sku_ids)},
        factors=np.array([t.service_factor for t in techs], dtype=np.float64),
        has_factors=np.array([bool(t.skill_factors) for t in techs], dtype=np.bool_),
        tech_cap=np.array([NO_DEADLINE if t.capacity is None else t.capacity for t in techs],
                          dtype=_I64),
    )
    _set_context(problem, ctx)
    return ctx


def _check_ticket(problem: Problem, ticket: Ticket, ctx: _Context) -> None:
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
    if isinstance(scenario.travel, MatrixTravel):
        if loc.id is None or loc.id not in scenario.travel.index():
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
    return _ro(np.concatenate([a, np.asarray(b, dtype=a.dtype)]))


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
    if isinstance(scenario.travel, MatrixTravel):
        row = scenario.travel.index()[loc.id]  # type: ignore[index]
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
    _set_context(problem, attrs.evolve(_context(base), node_of=node_of, tech_cap=tech_cap))


def context_nodes(problem: Problem) -> dict[Location, int]:
    """Location -> node index of a problem (read-only; private helper of live dispatch)."""
    return _context(problem).node_of


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
    ctx = _context(problem)
    _check_ticket(problem, ticket, ctx)
    scenario = static_scenario(problem)
    kd = problem.data
    num_techs = problem.num_technicians

    # ---------------------------------------------------------------- node
    tv = kd.tv
    node = ctx.node_of.get(ticket.location)
    if node is None:
        tv, node = grow_node(tv, scenario, ticket.location)

    # ------------------------------------------------ windows and cost rows
    # the compiler's row builder (problem/rows.py) on this one ticket
    block_win, block_cost, block_outside = ticket_block(scenario, [ticket])
    outside = bool(block_outside[0])
    win = kd.win
    win = win._replace(ptr=_cat(win.ptr, win.ptr[-1] + block_win.ptr[1:]),
                       start=_cat(win.start, block_win.start),
                       end=_cat(win.end, block_win.end), soft=_cat(win.soft, block_win.soft))
    cost = kd.cost
    cost = cost._replace(**{f: _cat(getattr(cost, f), getattr(block_cost, f))
                            for f in cost._fields})

    # ---------------------------------------------------------------- parts
    res = kd.res
    sku_ids = problem.index.sku_ids
    stock = res.stock
    new_skus = [s for s in ticket.parts if s not in ctx.sku_idx]
    sku_idx = ctx.sku_idx
    if new_skus:  # a part no van holds: a zero stock column each
        sku_ids = sku_ids + tuple(new_skus)
        sku_idx = {s: k for k, s in enumerate(sku_ids)}
        stock = _ro(np.concatenate([stock, np.zeros((num_techs, len(new_skus)), dtype=_I64)],
                                   axis=1))
    skus = [sku_idx[s] for s in ticket.parts]
    qtys = list(ticket.parts.values())
    prefs = [ctx.tech_idx[p] for p in ticket.preferred_technicians]
    res = res._replace(
        demand=_cat(res.demand, [ticket.demand]),
        part_ptr=_cat(res.part_ptr, [res.part_ptr[-1] + len(skus)]),
        part_sku=_cat(res.part_sku, skus), part_qty=_cat(res.part_qty, qtys),
        stock=stock, pref_ptr=_cat(res.pref_ptr, [res.pref_ptr[-1] + len(prefs)]),
        pref_tech=_cat(res.pref_tech, prefs))

    # -------------------------------------------------------- compatibility
    # the compiler's rules (problem/rows.py) on one ticket's column
    zeros = np.zeros(num_techs, dtype=_I64)
    required = list(ticket.required_skills.items())
    held = np.array([ctx.skill_level.get(s, zeros) for s, _ in required],
                    dtype=_I64).reshape(len(required), num_techs).T
    codes = skill_codes(held, np.array([[lvl for _, lvl in required]], dtype=_I64))
    depot = kd.dep.stock  # (a sku new with this ticket is in no depot)
    depot = np.pad(depot, ((0, 0), (0, stock.shape[1] - depot.shape[1])))
    excluded = np.zeros((num_techs, 1), dtype=np.bool_)
    for tech_id in ticket.excluded_technicians:
        excluded[ctx.tech_idx[tech_id], 0] = True
    resource_codes(codes, stock, np.array([0, len(skus)], dtype=_I64),
                   np.array(skus, dtype=_I64), np.array(qtys, dtype=_I64), depot, excluded,
                   ctx.tech_cap, np.array([ticket.demand], dtype=_I64))
    compat = codes[:, 0]

    # ------------------------------------------------------------- service
    ones = np.ones(num_techs)
    factor_cols = np.array([ctx.skill_factor.get(s, ones) for s, _ in required],
                           dtype=np.float64).reshape(len(required), num_techs).T
    service = service_seconds(np.array([float(ticket.duration)]), ctx.factors, factor_cols,
                              ctx.has_factors, np.array([[lvl for _, lvl in required]],
                                                        dtype=_I64),
                              functools.partial(_too_long, ticket.id,
                                                problem.index.technician_ids))[:, 0]

    # --------------------------------------------------------- reachability
    from ..evaluate._kernels import reach_serial
    from ..kernels.structs import kernel_data

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
    col, _ptr, routes, why = routes_and_reasons(out, kd.rt.tech, compat[:, None],
                                                np.array([outside]))
    compat = col[:, 0]
    unservable = int(why[0])

    tech = kd.tech._replace(
        service=_ro(np.concatenate([kd.tech.service, service[:, None]], axis=1)),
        compat=_ro(np.concatenate([kd.tech.compat, compat[:, None]], axis=1)))
    # (as a struct, as every kernel takes kernel data: one signature per kernel)
    data: Any = kernel_data(kd._replace(tv=tv, win=win, cost=cost, res=res, tech=tech,
                                   ticket_node=_cat(kd.ticket_node, [node])))
    return TicketRows(data=data, compat=_ro(compat), routes=_ro(routes), unservable=unservable,
                      sku_ids=sku_ids)


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
    ctx = _context(problem)
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
    sku_idx = ctx.sku_idx if rows.sku_ids == problem.index.sku_ids else {
        s: k for k, s in enumerate(rows.sku_ids)}
    _set_context(grown, attrs.evolve(ctx, node_of=node_of, sku_idx=sku_idx))
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
