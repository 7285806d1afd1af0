"""Plans: which technician shift serves which tickets, in which order.

A :class:`Plan` holds decisions only (route sequences and unassigned tickets
with a reason); all times are derived by the evaluator's schedule rule, so no
backend can claim timings the rules do not give.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .errors import ValidationError
from .problem.reasons import UnassignedReason

if TYPE_CHECKING:
    from .problem.problem import Problem

__all__ = ["Plan", "UnassignedReason"]


def _sequence(value: Any, field: str, expected: str) -> Iterable[Any]:
    """``value`` if it is a non-string iterable (not a mapping), else a ValidationError."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError.for_field("Plan", None, field, value, expected)
    return value


def _index(value: Any, field: str) -> int:
    """A ticket/depot index: an int (or numpy integer), not a bool, float or string."""
    if isinstance(value, bool | np.bool_):
        raise ValidationError.for_field("Plan", None, field, value, "must be an integer index")
    try:
        return operator.index(value)
    except TypeError:
        raise ValidationError.for_field("Plan", None, field, value,
                                        "must be an integer index") from None


def _routes(value: Any) -> tuple[tuple[int, ...], ...]:
    out = []
    for r, route in enumerate(_sequence(value, "routes", "must be a sequence of routes, "
                                        "each a sequence of ticket indices")):
        field = f"routes[{r}]"
        out.append(tuple(_index(j, f"{field}[{k}]") for k, j in enumerate(_sequence(
            route, field, "must be a sequence of ticket indices"))))
    return tuple(out)


_REASONS = {reason.value: reason for reason in UnassignedReason}


def _unassigned(value: Any) -> dict[int, UnassignedReason]:
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    else:
        items = ((j, UnassignedReason.NOT_PROFITABLE) for j in _sequence(
            value, "unassigned", "must map ticket index -> UnassignedReason (or list indices)"))
    out: dict[int, UnassignedReason] = {}
    for j, reason in items:
        k = _index(j, "unassigned")
        if not isinstance(reason, UnassignedReason):
            if not isinstance(reason, str) or reason not in _REASONS:
                raise ValidationError.for_field(
                    "Plan", None, f"unassigned[{k}]", reason,
                    "must be an UnassignedReason or one of " + ", ".join(_REASONS))
            reason = _REASONS[reason]
        out[k] = reason
    return out


def _ids(value: Any) -> tuple[str, ...]:
    ids = tuple(_sequence(value, "unknown_ids", "must be a sequence of id strings"))
    for item in ids:
        if not isinstance(item, str):
            raise ValidationError.for_field("Plan", None, "unknown_ids", item,
                                            "must hold id strings")
    return ids


def _pickups(value: Any) -> dict[int, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError.for_field("Plan", None, "pickups", value,
                                        "must map ticket index -> depot index")
    return {_index(j, "pickups"): _index(d, f"pickups[{j!r}]") for j, d in value.items()}


PLAN_MODES = ("routing", "assignment")


def _check_mode(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in PLAN_MODES:
        raise ValidationError.for_field("Plan", None, "mode", value,
                                        "must be 'routing' or 'assignment'")


@attrs.frozen
class Plan:
    """A dispatch decision in index form.

    Parameters
    ----------
    routes:
        One sequence of ticket indices per route (technician shift), in visit
        order; ``len(routes) == problem.num_routes``.
    unassigned:
        Ticket index -> :class:`UnassignedReason` for tickets not routed.
    unknown_ids:
        Ids that could not be resolved when the plan was read from ids/JSON;
        the evaluator reports each as a violation.
    mode:
        ``"routing"`` (sequenced routes: the order of each route is the visit
        order) or ``"assignment"`` (assignment only: each route lists the
        tickets given to that technician shift, in no particular order; the
        evaluator judges it with the travel estimate of
        :func:`fsdispatch.problem.assignment.assignment_data`).
    pickups:
        Depot stops: ticket index -> depot index. The technician serving the
        ticket stops at that depot right before it and picks up what the van
        lacks for the tickets from there to the route's next depot stop (see
        ``docs/parts.md``). Routing mode only.
    """

    routes: tuple[tuple[int, ...], ...] = attrs.field(converter=_routes)
    unassigned: Mapping[int, UnassignedReason] = attrs.field(factory=dict, converter=_unassigned)
    unknown_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    mode: str = attrs.field(default="routing", validator=_check_mode)
    pickups: Mapping[int, int] = attrs.field(factory=dict, converter=_pickups)

    # ------------------------------------------------------------ constructors
    @classmethod
    def empty(cls, problem: Problem, reason: UnassignedReason = UnassignedReason.OPEN,
              mode: str = "routing") -> Plan:
        """A plan with every ticket unassigned for ``reason``."""
        return cls(routes=[()] * problem.num_routes,
                   unassigned={j: reason for j in range(problem.num_tickets)}, mode=mode)

    @classmethod
    def from_ids(cls, problem: Problem, routes: Mapping[str, Sequence[str]],
                 unassigned: Mapping[str, str | UnassignedReason] | None = None, *,
                 strict: bool = False, mode: str = "routing",
                 pickups: Mapping[str, str] | None = None) -> Plan:
        """Build a plan from ids: ``{"tech-1#0": ["T-1", "T-7"], ...}``.

        Route keys are ``"<technician_id>#<shift>"`` or a bare technician id
        (its shift 0). With ``strict=False`` unknown ids are kept in
        :attr:`unknown_ids` for the evaluator to report; with ``strict=True``
        they raise :class:`~fsdispatch.errors.UnknownReferenceError`.
        ``mode`` is ``"routing"`` or ``"assignment"`` (see :class:`Plan`);
        ``pickups`` maps ticket id -> depot id for depot stops.
        """
        index = problem.index
        out: list[list[int]] = [[] for _ in range(problem.num_routes)]
        unknown: list[str] = []
        for key, ticket_ids in routes.items():
            tech_id, _, shift = key.rpartition("#") if "#" in key else (key, "", "0")
            try:
                if not shift.isdigit():
                    raise ValidationError(f"route key {key!r}: shift must be an integer",
                                          field="routes", value=key)
                r = index.route_idx(tech_id, int(shift))
            except ValidationError:
                if strict:
                    raise
                unknown.append(key)
                continue
            for ticket_id in ticket_ids:
                if index.has_ticket(ticket_id):
                    out[r].append(index.ticket_idx(ticket_id))
                elif strict:
                    index.ticket_idx(ticket_id)
                else:
                    unknown.append(ticket_id)
        unassigned_idx: dict[int, UnassignedReason] = {}
        for ticket_id, reason in (unassigned or {}).items():
            if index.has_ticket(ticket_id):
                unassigned_idx[index.ticket_idx(ticket_id)] = UnassignedReason(reason)
            elif strict:
                index.ticket_idx(ticket_id)
            else:
                unknown.append(ticket_id)
        pickup_idx: dict[int, int] = {}
        for ticket_id, depot_id in (pickups or {}).items():
            if index.has_ticket(ticket_id) and depot_id in index.depot_ids:
                pickup_idx[index.ticket_idx(ticket_id)] = index.depot_ids.index(depot_id)
            elif strict:
                index.ticket_idx(ticket_id)
                problem.depot_idx(depot_id)
            else:
                unknown.append(ticket_id if not index.has_ticket(ticket_id) else depot_id)
        return cls(routes=out, unassigned=unassigned_idx, unknown_ids=unknown, mode=mode,
                   pickups=pickup_idx)

    # ------------------------------------------------------------- accessors
    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """Routes as CSR arrays ``(ptr, visits)`` (int64) for kernels."""
        lengths = np.fromiter((len(r) for r in self.routes), dtype=np.int64,
                              count=len(self.routes))
        ptr = np.zeros(len(self.routes) + 1, dtype=np.int64)
        np.cumsum(lengths, out=ptr[1:])
        visits = np.fromiter((j for route in self.routes for j in route), dtype=np.int64,
                             count=int(ptr[-1]))
        return ptr, visits

    def assignee(self, num_tickets: int) -> np.ndarray:
        """int64 array of shape ``(num_tickets,)``: route of each ticket, -1 if none.

        A ticket listed twice keeps its first route (the evaluator reports the duplicate).
        """
        out = np.full(num_tickets, -1, dtype=np.int64)
        for r, route in enumerate(self.routes):
            for j in route:
                if 0 <= j < num_tickets and out[j] < 0:
                    out[j] = r
        return out

    @property
    def num_assigned(self) -> int:
        """Number of routed visits."""
        return sum(len(r) for r in self.routes)

    def pickup_array(self, visits: np.ndarray) -> np.ndarray:
        """Depot stop before each of ``visits`` (see :meth:`csr`), -1 if none (int64)."""
        out = np.full(visits.shape[0], -1, dtype=np.int64)
        if self.pickups:
            for k, j in enumerate(visits.tolist()):
                d = self.pickups.get(j)
                if d is not None:
                    out[k] = d
        return out

    def to_ids(self, problem: Problem) -> dict[str, Any]:
        """``{"routes": {label: [ticket ids]}, "unassigned": {ticket id: reason}}``.

        With depot stops, ``"pickups": {ticket id: depot id}`` is added.
        """
        index = problem.index
        out: dict[str, Any] = {
            "routes": {index.route_label(r): [index.ticket_ids[j] for j in route]
                       for r, route in enumerate(self.routes) if route},
            "unassigned": {index.ticket_ids[j]: reason.value
                           for j, reason in sorted(self.unassigned.items())},
        }
        if self.pickups:
            out["pickups"] = {index.ticket_ids[j]: index.depot_ids[d]
                              for j, d in sorted(self.pickups.items())
                              if 0 <= j < problem.num_tickets
                              and 0 <= d < len(index.depot_ids)}
        return out
