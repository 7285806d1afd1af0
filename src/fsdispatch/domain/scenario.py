"""The scenario: the aggregate root of the domain model."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ..errors import UnknownReferenceError, ValidationError
from ..units import Horizon
from ._validate import check_probabilities, warn
from .asset import Asset
from .costs import CostRates
from .location import Location
from .objective import ObjectiveWeights
from .parts import Depot, Part
from .sla import SlaPolicy
from .technician import Technician
from .ticket import Ticket
from .traffic import TimeDependentMatrix, TimeDependentTravel, TravelModel, matrix_of
from .travel import GeometricTravel, MatrixTravel

__all__ = ["Scenario"]


def _tuple(value: Any) -> Any:
    try:
        return tuple(value)
    except TypeError:
        return value


def _some(ids: list[str], shown: int = 5) -> str:
    """Up to ``shown`` ids, quoted, and how many more."""
    text = ", ".join(repr(i) for i in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


@attrs.frozen(eq=True)
class Scenario:
    """Everything needed to plan: horizon, technicians, tickets, travel, parts, SLAs.

    Construction checks every cross-reference at once and raises one
    :class:`~fsdispatch.errors.ValidationError` listing all issues (duplicate
    ids, unknown technicians in preferences, unknown skills or parts when a
    catalogue is given, a skill listed twice in the catalogue, ``skill_factors``
    naming an unknown skill, locations missing from a travel matrix, mixed
    coordinate systems…). Suspicious data is accepted with a
    :class:`~fsdispatch.errors.FsdispatchWarning`: a ticket created at or after
    the horizon end, or whose ``resolve_by`` falls before its ``response_by``
    once the SLA policy fills the one it does not give.

    Parameters
    ----------
    horizon:
        Planning horizon; its start is internal time 0 (seconds).
    technicians, tickets:
        The workforce and the jobs.
    travel:
        Travel model (default :class:`GeometricTravel` at 40 km/h × 1.3).
    parts:
        Optional parts catalogue; when non-empty, every sku referenced must be in it.
    skills:
        Optional skill catalogue (unique, non-empty ids); when non-empty, every
        skill referenced must be in it. When empty, a technician's
        ``skill_factors`` may only name skills some technician holds or some
        ticket requires.
    sla_policy:
        Optional policy giving deadlines to tickets that have ``created_at``
        but no explicit ``response_by``/``resolve_by``.
    objective:
        Objective weights (default :class:`ObjectiveWeights`).
    depots:
        Depots where technicians can pick up parts during a route (see :class:`Depot`).
    category_parts:
        Ticket category -> {part sku: probability that a job of the category
        needs one unit}; the probable parts of tickets that give none of their own.
    assets:
        Installed equipment (see :class:`Asset`); unique ids. When non-empty, every
        ticket's ``asset_id`` must name one of them. Asset locations follow the rules
        of every other location (one coordinate system; rows of a travel matrix).
    cost_rates:
        Money rates of driving for the cost KPIs (default :class:`CostRates`: 0).
    name:
        Free-form name.
    """

    horizon: Horizon
    technicians: tuple[Technician, ...] = attrs.field(converter=_tuple)
    tickets: tuple[Ticket, ...] = attrs.field(converter=_tuple)
    travel: TravelModel = attrs.field(factory=GeometricTravel)
    parts: tuple[Part, ...] = attrs.field(default=(), converter=_tuple)
    skills: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    sla_policy: SlaPolicy | None = None
    objective: ObjectiveWeights = attrs.field(factory=ObjectiveWeights)
    name: str = ""
    depots: tuple[Depot, ...] = attrs.field(default=(), converter=_tuple)
    category_parts: Mapping[str, Mapping[str, float]] = attrs.field(
        factory=dict, converter=lambda v: {k: dict(m) if isinstance(m, Mapping) else m
                                           for k, m in v.items()}
        if isinstance(v, Mapping) else v)
    assets: tuple[Asset, ...] = attrs.field(default=(), converter=_tuple)
    cost_rates: CostRates = attrs.field(factory=CostRates)

    def __attrs_post_init__(self) -> None:
        _check_fields(self)
        issues = _Issues()
        _check_elements(self, issues)
        issues.raise_any()
        _check_unique(self, issues)
        _check_technicians(self, issues)
        _check_depots(self, issues)
        late_created, mixed_deadlines = _check_tickets(self, issues)
        if self.parts:
            part_ids = {p.sku for p in self.parts}
            for cat, probs in self.category_parts.items():
                issues.unknown("Scenario", self.name or None, f"category_parts[{cat!r}]", probs,
                               part_ids, "part")
        _check_locations(self, issues)
        issues.raise_any()
        hend = self.horizon.end
        if late_created:
            warn(f"Scenario {self.name!r}: {len(late_created)} ticket(s) created at or after "
                 f"the horizon end {hend.isoformat()} ({_some(late_created)}); they cannot "
                 "be known while planning this horizon")
        if mixed_deadlines:
            warn(f"Scenario {self.name!r}: {len(mixed_deadlines)} ticket(s) have a resolve_by "
                 f"before their response_by once the SLA policy fills the missing one "
                 f"({_some(mixed_deadlines)}); the response deadline has no effect")

    # ------------------------------------------------------------------ helpers
    def deadlines(self, ticket: Ticket) -> tuple[datetime | None, datetime | None]:
        """``(response_by, resolve_by)`` of a ticket: explicit, else from the SLA policy."""
        response, resolve = ticket.response_by, ticket.resolve_by
        if self.sla_policy is not None and ticket.created_at is not None and (
                response is None or resolve is None):
            pol_response, pol_resolve = self.sla_policy.deadlines(
                ticket.created_at, ticket.priority, ticket.customer_tier)
            response = response or pol_response
            resolve = resolve or pol_resolve
        return response, resolve

    @property
    def num_tickets(self) -> int:
        """Number of tickets."""
        return len(self.tickets)

    @property
    def num_technicians(self) -> int:
        """Number of technicians."""
        return len(self.technicians)

    def technician(self, technician_id: str) -> Technician:
        """The technician with this id (``UnknownReferenceError`` if absent)."""
        for tech in self.technicians:
            if tech.id == technician_id:
                return tech
        raise UnknownReferenceError(f"unknown technician id {technician_id!r}",
                                    entity="Technician", entity_id=technician_id)

    def ticket(self, ticket_id: str) -> Ticket:
        """The ticket with this id (``UnknownReferenceError`` if absent)."""
        for ticket in self.tickets:
            if ticket.id == ticket_id:
                return ticket
        raise UnknownReferenceError(f"unknown ticket id {ticket_id!r}",
                                    entity="Ticket", entity_id=ticket_id)

    def asset(self, asset_id: str) -> Asset:
        """The asset with this id (``UnknownReferenceError`` if absent)."""
        for asset in self.assets:
            if asset.id == asset_id:
                return asset
        raise UnknownReferenceError(f"unknown asset id {asset_id!r}", entity="Asset",
                                    entity_id=asset_id)

    def probable_parts(self, ticket: Ticket) -> Mapping[str, float]:
        """The ticket's probable parts, or its category's (``category_parts``)."""
        return ticket.probable_parts or self.category_parts.get(ticket.category, {})

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced (validated again)."""
        return attrs.evolve(self, **changes)

    def summary(self) -> Mapping[str, Any]:
        """Counts for display."""
        return {
            "name": self.name,
            "technicians": self.num_technicians,
            "shifts": sum(len(t.shifts) for t in self.technicians),
            "tickets": self.num_tickets,
            "parts": len(self.parts),
            "depots": len(self.depots),
            "assets": len(self.assets),
        }


class _Issues:
    """The validation errors found so far, raised together."""

    def __init__(self) -> None:
        self.items: list[ValidationError] = []

    def add(self, entity: str, entity_id: str | None, field: str, value: Any, expected: str,
            cls: type[ValidationError] = ValidationError) -> None:
        """Record that ``field`` of an entity holds ``value`` but ``expected`` something else."""
        err = ValidationError.for_field(entity, entity_id, field, value, expected)
        if cls is not ValidationError:
            err = cls(err.message, entity=entity, entity_id=entity_id, field=field,
                      value=value)
        self.items.append(err)

    def unknown(self, entity: str, entity_id: str | None, field: str, refs: Any,
                known: set[str], what: str) -> None:
        """Record each of ``refs`` not in ``known`` as a reference to an unknown ``what``."""
        for ref in refs:
            if ref not in known:
                self.add(entity, entity_id, field, ref, f"references an unknown {what}",
                         UnknownReferenceError)

    def raise_any(self) -> None:
        """Raise the errors recorded so far as one, if any."""
        if self.items:
            raise ValidationError.collect(self.items)


def _check_fields(s: Scenario) -> None:
    """Raise at once on a horizon, travel, objective or collection of the wrong type."""
    if not isinstance(s.horizon, Horizon):
        raise ValidationError.for_field("Scenario", s.name or None, "horizon",
                                        s.horizon, "must be a Horizon")
    if not isinstance(s.travel, GeometricTravel | MatrixTravel | TimeDependentTravel
                      | TimeDependentMatrix):
        raise ValidationError.for_field(
            "Scenario", s.name or None, "travel", s.travel, "must be GeometricTravel, "
            "MatrixTravel, TimeDependentTravel or TimeDependentMatrix")
    if not isinstance(s.objective, ObjectiveWeights):
        raise ValidationError.for_field("Scenario", s.name or None, "objective",
                                        s.objective, "must be ObjectiveWeights")
    if not isinstance(s.cost_rates, CostRates):
        raise ValidationError.for_field("Scenario", s.name or None, "cost_rates",
                                        s.cost_rates, "must be CostRates")
    for name in ("technicians", "tickets", "parts", "skills", "depots", "assets"):
        if not isinstance(getattr(s, name), tuple):  # the converter could not iterate
            raise ValidationError.for_field("Scenario", s.name or None, name,
                                            getattr(s, name), "must be a sequence")


def _check_elements(s: Scenario, issues: _Issues) -> None:
    """Element types of the collections, the category parts, the skills and the SLA policy."""
    for field, items, cls in (("technicians", s.technicians, Technician),
                              ("tickets", s.tickets, Ticket), ("parts", s.parts, Part),
                              ("depots", s.depots, Depot), ("assets", s.assets, Asset)):
        for k, item in enumerate(items):
            if not isinstance(item, cls):
                issues.add("Scenario", None, f"{field}[{k}]", item, f"must be a {cls.__name__}")
    if not isinstance(s.category_parts, Mapping):
        issues.add("Scenario", None, "category_parts", s.category_parts,
                   "must map a ticket category to {part sku: probability}")
    else:
        for cat, probs in s.category_parts.items():
            try:
                check_probabilities("Scenario", s.name or None,
                                    f"category_parts[{cat!r}]", probs)
            except ValidationError as exc:
                issues.items.append(exc)
    for k, skill in enumerate(s.skills):
        if not isinstance(skill, str) or not skill:
            issues.add("Scenario", s.name or None, f"skills[{k}]", skill,
                       "must be a non-empty skill id")
    if s.sla_policy is not None and not isinstance(s.sla_policy, SlaPolicy):
        issues.add("Scenario", s.name or None, "sla_policy", s.sla_policy,
                   "must be an SlaPolicy or None")


def _check_unique(s: Scenario, issues: _Issues) -> None:
    """Skills listed once in the catalogue; technician, ticket, part and depot ids unique."""
    for skill, count in Counter(s.skills).items():
        if count > 1:
            issues.add("Scenario", s.name or None, "skills", skill,
                       f"must be listed once in the skill catalogue (found {count} times)")
    for entity, ids in (("Technician", [t.id for t in s.technicians]),
                        ("Ticket", [t.id for t in s.tickets]),
                        ("Part", [p.sku for p in s.parts]),
                        ("Depot", [d.id for d in s.depots]),
                        ("Asset", [a.id for a in s.assets])):
        for dup, count in Counter(ids).items():
            if count > 1:
                issues.add(entity, dup, "id", dup, f"must be unique (found {count} times)")


def _span(start: datetime, end: datetime) -> str:
    """``start..end`` in ISO format."""
    return f"{start.isoformat()}..{end.isoformat()}"


def _check_technicians(s: Scenario, issues: _Issues) -> None:
    """Shifts within the horizon; skills, skill factors and van stock known."""
    skill_ids = set(s.skills)
    known_skills = skill_ids or ({k for t in s.technicians for k in t.skills}
                                 | {k for t in s.tickets for k in t.required_skills})
    part_ids = {p.sku for p in s.parts}
    hstart, hend = s.horizon.start, s.horizon.end
    for tech in s.technicians:
        for k, shift in enumerate(tech.shifts):
            if shift.start < hstart or shift.end > hend:
                issues.add("Technician", tech.id, f"shifts[{k}]", _span(shift.start, shift.end),
                           f"must lie within the horizon {_span(hstart, hend)}")
        if skill_ids:
            issues.unknown("Technician", tech.id, "skills", tech.skills, skill_ids, "skill")
        for skill in tech.skill_factors:
            if skill not in known_skills:
                issues.add("Technician", tech.id, "skill_factors", skill,
                           "references an unknown skill (not in the skill catalogue)" if skill_ids
                           else "references a skill no technician holds and no ticket requires",
                           UnknownReferenceError)
        if part_ids:
            issues.unknown("Technician", tech.id, "van_stock", tech.van_stock, part_ids, "part")


def _check_depots(s: Scenario, issues: _Issues) -> None:
    """Depot stock known; opening hours overlapping the horizon."""
    part_ids = {p.sku for p in s.parts}
    hstart, hend = s.horizon.start, s.horizon.end
    for depot in s.depots:
        if part_ids:
            issues.unknown("Depot", depot.id, "stock", depot.stock, part_ids, "part")
        for k, window in enumerate(depot.opening_hours):
            if window.end < hstart or window.start > hend:
                issues.add("Depot", depot.id, f"opening_hours[{k}]",
                           _span(window.start, window.end),
                           f"must overlap the horizon {_span(hstart, hend)}")


def _check_tickets(s: Scenario, issues: _Issues) -> tuple[list[str], list[str]]:
    """Ticket references known; the ids created late and those with conflicting deadlines."""
    tech_ids = {t.id for t in s.technicians}
    skill_ids = set(s.skills)
    part_ids = {p.sku for p in s.parts}
    asset_ids = {a.id for a in s.assets}
    late_created: list[str] = []
    mixed_deadlines: list[str] = []
    for ticket in s.tickets:
        for name in ("preferred_technicians", "excluded_technicians"):
            issues.unknown("Ticket", ticket.id, name, getattr(ticket, name), tech_ids,
                           "technician")
        if skill_ids:
            issues.unknown("Ticket", ticket.id, "required_skills", ticket.required_skills,
                           skill_ids, "skill")
        if part_ids:
            issues.unknown("Ticket", ticket.id, "parts", ticket.parts, part_ids, "part")
            issues.unknown("Ticket", ticket.id, "probable_parts", ticket.probable_parts,
                           part_ids, "part")
        if asset_ids and ticket.asset_id is not None:
            issues.unknown("Ticket", ticket.id, "asset_id", (ticket.asset_id,), asset_ids,
                           "asset")
        response, resolve = s.deadlines(ticket)
        if response is not None and resolve is not None and resolve < response:
            # both explicit is rejected by Ticket; one from the policy is a conflict
            # between a promise and the policy: accepted, with a warning
            mixed_deadlines.append(ticket.id)
        if ticket.created_at is not None and ticket.created_at >= s.horizon.end:
            late_created.append(ticket.id)
    return late_created, mixed_deadlines


def _locations(s: Scenario) -> list[tuple[str, str, str, Location]]:
    """Every location of the scenario as (entity, id, field, location)."""
    locations: list[tuple[str, str, str, Location]] = []
    for tech in s.technicians:
        locations.append(("Technician", tech.id, "start_location", tech.start_location))
        if tech.end_location is not None:
            locations.append(("Technician", tech.id, "end_location", tech.end_location))
        for k, shift in enumerate(tech.shifts):
            for end in ("start", "end"):
                loc = getattr(shift, f"{end}_location")
                if loc is not None:
                    locations.append(("Technician", tech.id, f"shifts[{k}].{end}_location", loc))
    for ticket in s.tickets:
        locations.append(("Ticket", ticket.id, "location", ticket.location))
    for depot in s.depots:
        locations.append(("Depot", depot.id, "location", depot.location))
    for asset in s.assets:
        locations.append(("Asset", asset.id, "location", asset.location))
    return locations


def _check_locations(s: Scenario, issues: _Issues) -> None:
    """One coordinate system for every location; matrix ids known."""
    locations = _locations(s)
    matrix = matrix_of(s.travel)
    if matrix is not None:
        known = set(matrix.location_ids)
        for entity, eid, field, loc in locations:
            if loc.id is None or loc.id not in known:
                issues.add(entity, eid, f"{field}.id", loc.id,
                           "must name a row of the travel matrix", UnknownReferenceError)
    elif locations:
        geographic = locations[0][3].geographic
        for entity, eid, field, loc in locations:
            if loc.geographic != geographic:
                issues.add(entity, eid, field, "geographic" if loc.geographic else "planar",
                           "must use the same coordinate system as every other location "
                           f"({'geographic' if geographic else 'planar'})")
                break
