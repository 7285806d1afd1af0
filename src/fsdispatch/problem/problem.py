"""The compiled problem: read-only numpy arrays plus the id <-> index maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs
import numpy as np

from ..errors import UnknownReferenceError
from .reasons import Incompatibility

if TYPE_CHECKING:
    from ..domain.scenario import Scenario

__all__ = [
    "NO_DEADLINE",
    "BreakData",
    "CostData",
    "DepotData",
    "Incompatibility",
    "IndexMap",
    "KernelData",
    "Problem",
    "ResourceData",
    "RouteData",
    "TechData",
    "TravelData",
    "WeekData",
    "Weights",
    "WindowData",
]

NO_DEADLINE: int = 2**62
"""Internal sentinel for "no deadline / unlimited" in int64 arrays."""

TRAVEL_MATRIX, TRAVEL_EUCLIDEAN, TRAVEL_HAVERSINE = 0, 1, 2
ROUND_NEAREST, ROUND_CEIL, ROUND_FLOOR = 0, 1, 2


class TravelData(NamedTuple):
    """Travel model arrays. K = nodes (distinct locations), M = matrix size."""

    kind: int  #: 0 matrix, 1 euclidean, 2 haversine
    rounding: int  #: 0 nearest, 1 ceil, 2 floor (geometric models)
    node_row: np.ndarray  #: (K,) int64 matrix row of each node
    dur: np.ndarray  #: (M, M) int64 seconds, or (0, 0)
    dist: np.ndarray  #: (M, M) float64 km, or (0, 0)
    x: np.ndarray  #: (K,) float64 x km or longitude radians
    y: np.ndarray  #: (K,) float64 y km or latitude radians
    coslat: np.ndarray  #: (K,) float64 cos(latitude)
    detour: float
    sec_per_km: float
    #: time-dependent travel (``fsdispatch.domain.traffic``): 0 static, 1 a speed profile
    #: over the static model, 2 a matrix per period. Static problems keep the defaults.
    td: int = 0
    lbf: float = 1.0  #: 1 / the largest speed factor (``td == 1``): static time × lbf ≤ any trip
    #: the periods, packed in one float64 array (every kernel that passes ``tv`` around
    #: carries one array more, not four): ``[P, Q, M, starts (P), factors (P), matrix of
    #: each period (P), Q period matrices (Q × M × M)]`` — the starts increasing with
    #: starts[0] = -2**62, factors for td 1, the matrices for td 2 (td 1 over a matrix:
    #: the base durations, Q = 1); whole seconds are exact in float64. ``None`` when
    #: static: the group is then of another numba type, and every kernel that times legs
    #: compiles the schedule rule's static variant for it (``kernels.timing.leg_time``).
    prof: np.ndarray | None = None


class WindowData(NamedTuple):
    """Appointment windows (CSR over tickets; W windows in all)."""

    ptr: np.ndarray  #: (N + 1,) int64
    start: np.ndarray  #: (W,) int64
    end: np.ndarray  #: (W,) int64
    soft: np.ndarray  #: (N,) bool


class CostData(NamedTuple):
    """Per-ticket data of the objective, the KPIs and the evaluator's words.

    Every field is indexed by ticket on its first axis (a live refresh that
    drops or reorders tickets takes rows of every field alike). The ``(N, M)``
    rows are padded with -1 columns.
    """

    late_w: np.ndarray  #: (N,) float64 cost per second of soft-window lateness
    response_by: np.ndarray  #: (N,) int64 (NO_DEADLINE if none)
    resolve_by: np.ndarray  #: (N,) int64 (NO_DEADLINE if none)
    sla_w: np.ndarray  #: (N,) float64 cost per second of SLA lateness
    penalty: np.ndarray  #: (N,) float64 cost of leaving the ticket unassigned
    priority: np.ndarray  #: (N,) int64 1..4
    skill_col: np.ndarray  #: (N, M) int64 required skills (skill columns, the ticket's order)
    skill_lvl: np.ndarray  #: (N, M) int64 their required levels
    prob_col: np.ndarray  #: (N, M) int64 probable parts (``ResourceData.prob_sku`` columns)
    prob_p: np.ndarray  #: (N, M) float64 their probabilities


class BreakData(NamedTuple):
    """Breaks (CSR over routes; B breaks in all)."""

    ptr: np.ndarray  #: (R + 1,) int64
    earliest: np.ndarray  #: (B,) int64 earliest start
    latest: np.ndarray  #: (B,) int64 latest start
    dur: np.ndarray  #: (B,) int64


class RouteData(NamedTuple):
    """Routes = technician shifts."""

    tech: np.ndarray  #: (R,) int64 technician of the route
    start_node: np.ndarray  #: (R,) int64
    end_node: np.ndarray  #: (R,) int64
    open: np.ndarray  #: (R,) int64 shift start
    close: np.ndarray  #: (R,) int64 shift end
    max_close: np.ndarray  #: (R,) int64 shift end + max overtime
    capacity: np.ndarray  #: (R,) int64
    group: np.ndarray  #: (R,) int64 technician-day of the route
    group_cap: np.ndarray  #: (G,) int64 max tickets per technician-day


class ResourceData(NamedTuple):
    """Demand, parts, preferences and territories."""

    demand: np.ndarray  #: (N,) int64
    part_ptr: np.ndarray  #: (N + 1,) int64
    part_sku: np.ndarray  #: int64 sku index
    part_qty: np.ndarray  #: int64
    stock: np.ndarray  #: (T, S) int64 van stock
    pref_ptr: np.ndarray  #: (N + 1,) int64
    pref_tech: np.ndarray  #: int64 preferred technician indices
    prob_sku: np.ndarray  #: (P,) int64 sku index of each probable part (-1: no van lists it)
    terr: np.ndarray  #: (N,) int64 territory column of each ticket (-1: none)
    terr_w: np.ndarray  #: (N,) float64 cost of serving it out of territory (0: hard or none)
    covers: np.ndarray  #: (T, Z) bool technician covers territory column z


class DepotData(NamedTuple):
    """Depots where routes may stop to pick up parts (D depots, S skus).

    ``win`` has the same layout as :class:`WindowData`, indexed by depot: a
    pick-up must *start* inside an opening window, whose ``end`` is already
    reduced by the pick-up time so that the pick-up also ends inside it.
    """

    node: np.ndarray  #: (D,) int64 travel node of each depot
    win: WindowData  #: opening windows (CSR over depots; never soft)
    pickup: np.ndarray  #: (D,) int64 seconds spent per stop
    stock: np.ndarray  #: (D, S) int64 units available over the horizon


def empty_depots(num_skus: int = 0) -> DepotData:
    """A :class:`DepotData` with no depots."""
    z = np.zeros(0, dtype=np.int64)
    return DepotData(node=z, win=WindowData(ptr=np.zeros(1, dtype=np.int64), start=z, end=z,
                                            soft=np.zeros(0, dtype=np.bool_)),
                     pickup=z, stock=np.zeros((0, num_skus), dtype=np.int64))


class TechData(NamedTuple):
    """Technician × ticket data."""

    service: np.ndarray  #: (T, N) int32 service seconds
    compat: np.ndarray  #: (T, N) int8 Incompatibility codes
    labour: np.ndarray  #: (T,) float64 labour weight × cost per second
    recent: np.ndarray  #: (T,) float64 recent workload seconds (the load-balance term)
    cost_per_hour: np.ndarray  #: (T,) float64 labour cost per working hour (KPIs)
    cert_end: np.ndarray  #: (T, K) int64 end of each skill certification ((T, 0): none)


class WeekData(NamedTuple):
    """Weekly work rules per technician and calendar week (K weeks, T technicians).

    Week ``k`` is ``[start[k], start[k + 1])`` in seconds from the horizon start (Monday
    00:00 in the horizon start's timezone); a route counts in the week of its ``open``
    (:func:`fsdispatch.problem.rows.route_weeks`). ``K = 0`` (the default: no technician
    has a weekly rule) turns every weekly check and cost off.
    """

    start: np.ndarray  #: (K + 1,) int64 week boundaries ((0,): no weekly rules)
    cap: np.ndarray  #: (T, K) int64 max work seconds per technician-week (NO_DEADLINE: none)
    after: np.ndarray  #: (T, K) int64 work beyond which it is weekly overtime (NO_DEADLINE: none)
    done: np.ndarray  #: (T, K) int64 work done before the horizon, counted in the week


def no_weeks(num_techs: int = 0) -> WeekData:
    """A :class:`WeekData` without weekly rules."""
    z = np.zeros((num_techs, 0), dtype=np.int64)
    return WeekData(start=np.zeros(0, dtype=np.int64), cap=z, after=z, done=z)


class Weights(NamedTuple):
    """Objective weights in kernel units."""

    travel: float  #: per second of travel
    dist: float  #: per km
    overtime: float  #: per second of overtime
    pref: float  #: per ticket not served by a preferred technician
    balance: float  #: per second of workload spread


_NO_DEPOTS = empty_depots()
_NO_WEEKS = no_weeks()


class KernelData(NamedTuple):
    """Everything numba kernels see, in small groups.

    Hot helpers receive only the groups they need: numba reference-counts
    every array of a tuple argument on each call, so passing one 45-array
    tuple into a tiny function costs ~250 ns while a 4-array group costs ~15 ns.
    Shapes: N tickets, T technicians, R routes (technician shifts).
    """

    tv: TravelData
    win: WindowData
    cost: CostData
    brk: BreakData
    rt: RouteData
    res: ResourceData
    tech: TechData
    w: Weights
    ticket_node: np.ndarray  #: (N,) int64 node of each ticket
    dep: DepotData = _NO_DEPOTS  #: depots for depot stops (none by default)
    week: WeekData = _NO_WEEKS  #: weekly work caps and weekly overtime (none by default)


@attrs.frozen
class IndexMap:
    """External ids <-> internal indices.

    ``routes[r] = (technician_idx, shift_number)``; a route label is
    ``"<technician_id>#<shift_number>"``.
    """

    ticket_ids: tuple[str, ...]
    technician_ids: tuple[str, ...]
    routes: tuple[tuple[int, int], ...]
    sku_ids: tuple[str, ...]
    depot_ids: tuple[str, ...] = ()
    _ticket_idx: dict[str, int] = attrs.field(init=False, repr=False, eq=False)
    _technician_idx: dict[str, int] = attrs.field(init=False, repr=False, eq=False)
    _route_idx: dict[tuple[int, int], int] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_ticket_idx", {t: k for k, t in enumerate(self.ticket_ids)})
        object.__setattr__(self, "_technician_idx",
                           {t: k for k, t in enumerate(self.technician_ids)})
        object.__setattr__(self, "_route_idx", {rt: k for k, rt in enumerate(self.routes)})

    def ticket_idx(self, ticket_id: str) -> int:
        """Index of a ticket id (``UnknownReferenceError`` if absent)."""
        try:
            return self._ticket_idx[ticket_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown ticket id {ticket_id!r}", entity="Ticket",
                                        entity_id=ticket_id) from None

    def technician_idx(self, technician_id: str) -> int:
        """Index of a technician id (``UnknownReferenceError`` if absent)."""
        try:
            return self._technician_idx[technician_id]
        except KeyError:
            raise UnknownReferenceError(f"unknown technician id {technician_id!r}",
                                        entity="Technician", entity_id=technician_id) from None

    def route_idx(self, technician_id: str, shift: int = 0) -> int:
        """Route index of a technician's shift (``UnknownReferenceError`` if absent)."""
        key = (self.technician_idx(technician_id), shift)
        try:
            return self._route_idx[key]
        except KeyError:
            raise UnknownReferenceError(
                f"technician {technician_id!r} has no shift number {shift}",
                entity="Technician", entity_id=technician_id, field="shift",
                value=shift) from None

    def ticket_positions(self, ticket_ids: Sequence[str]) -> np.ndarray:
        """The index of each of ``ticket_ids`` (int64 array, -1 where the id is absent)."""
        get = self._ticket_idx.get
        return np.fromiter((get(t, -1) for t in ticket_ids), dtype=np.int64,
                           count=len(ticket_ids))

    def has_ticket(self, ticket_id: str) -> bool:
        """Whether the ticket id exists."""
        return ticket_id in self._ticket_idx

    def route_label(self, route_idx: int) -> str:
        """``"<technician_id>#<shift>"`` for a route index."""
        tech, shift = self.routes[route_idx]
        return f"{self.technician_ids[tech]}#{shift}"


def _kernel_data(value: Any) -> Any:
    """attrs converter: the kernels' struct of a ``KernelData`` (see
    :func:`fsdispatch.kernels.structs.kernel_data`; imported lazily, it loads numba)."""
    from ..kernels.structs import kernel_data

    return kernel_data(value)


@attrs.frozen(eq=False)
class Problem:
    """A scenario compiled to arrays; the only input of solvers and the evaluator.

    Build it with :func:`fsdispatch.compile_scenario`. Arrays are read-only.

    Attributes
    ----------
    scenario:
        The source scenario.
    index:
        Id <-> index maps.
    data:
        :class:`KernelData`, the arrays numba kernels work on (held as a struct that
        numba passes as one pointer; from Python it reads like the ``KernelData``).
    compatible:
        int8 array of shape ``(num_technicians, num_tickets)``:
        :class:`Incompatibility` code, 0 when the technician may serve the ticket.
    ticket_routes_ptr, ticket_routes:
        CSR lists: routes ``ticket_routes[ptr[i]:ptr[i+1]]`` can serve ticket
        ``i`` on its own (skills, parts, windows, shift and breaks all fit).
    unservable:
        int8 array of shape ``(num_tickets,)``: 0 if some route can serve the
        ticket, else the :class:`~fsdispatch.UnassignedReason` code explaining why not.
    crew:
        int64 array of shape ``(num_tickets,)``: each ticket's ``crew_size``, or ``None``
        when every crew is one technician (see ``docs/crew.md``).
    crew_member_of:
        Of a problem whose crew tickets were split into one-technician members (the
        backends' working problem): int64 array of shape ``(num_tickets,)``, the crew each
        ticket is a member of (``-1``: none); ``None`` otherwise.
    """

    scenario: Scenario
    index: IndexMap
    data: KernelData = attrs.field(converter=_kernel_data)
    compatible: np.ndarray
    ticket_routes_ptr: np.ndarray
    ticket_routes: np.ndarray
    unservable: np.ndarray
    compile_time: float = 0.0
    crew: np.ndarray | None = None
    crew_member_of: np.ndarray | None = None
    # lookups of the live dispatch helpers (:mod:`fsdispatch.problem.extend`): kept on the
    # problem so that copies and pickles carry them
    _lookups: Any = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def depots(self) -> DepotData:
        """:class:`DepotData` of the scenario's depots (empty without depots)."""
        return self.data.dep

    @property
    def num_tickets(self) -> int:
        """Number of tickets N."""
        return len(self.index.ticket_ids)

    @property
    def num_technicians(self) -> int:
        """Number of technicians T."""
        return len(self.index.technician_ids)

    @property
    def num_depots(self) -> int:
        """Number of depots D."""
        return len(self.index.depot_ids)

    def depot_idx(self, depot_id: str) -> int:
        """Index of a depot id (``UnknownReferenceError`` if absent)."""
        try:
            return self.index.depot_ids.index(depot_id)
        except ValueError:
            raise UnknownReferenceError(f"unknown depot id {depot_id!r}", entity="Depot",
                                        entity_id=depot_id) from None

    @property
    def num_routes(self) -> int:
        """Number of routes R (one per technician shift)."""
        return len(self.index.routes)

    def routes_for(self, ticket_idx: int) -> np.ndarray:
        """Routes able to serve ticket ``ticket_idx`` on its own."""
        lo, hi = self.ticket_routes_ptr[ticket_idx], self.ticket_routes_ptr[ticket_idx + 1]
        return self.ticket_routes[lo:hi]
