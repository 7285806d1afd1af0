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
from .location import Location
from .objective import ObjectiveWeights
from .parts import Depot, Part
from .sla import SlaPolicy
from .technician import Technician
from .ticket import Ticket
from .travel import GeometricTravel, MatrixTravel, TravelModel

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

    def __attrs_post_init__(self) -> None:
        issues: list[ValidationError] = []

        def add(entity: str, entity_id: str | None, field: str, value: Any, expected: str,
                cls: type[ValidationError] = ValidationError) -> None:
            err = ValidationError.for_field(entity, entity_id, field, value, expected)
            if cls is not ValidationError:
                err = cls(err.message, entity=entity, entity_id=entity_id, field=field,
                          value=value)
            issues.append(err)

        if not isinstance(self.horizon, Horizon):
            raise ValidationError.for_field("Scenario", self.name or None, "horizon",
                                            self.horizon, "must be a Horizon")
        if not isinstance(self.travel, GeometricTravel | MatrixTravel):
            raise ValidationError.for_field("Scenario", self.name or None, "travel",
                                            self.travel, "must be GeometricTravel or MatrixTravel")
        if not isinstance(self.objective, ObjectiveWeights):
            raise ValidationError.for_field("Scenario", self.name or None, "objective",
                                            self.objective, "must be ObjectiveWeights")
        for name in ("technicians", "tickets", "parts", "skills", "depots"):
            if not isinstance(getattr(self, name), tuple):  # the converter could not iterate
                raise ValidationError.for_field("Scenario", self.name or None, name,
                                                getattr(self, name), "must be a sequence")
        for k, tech in enumerate(self.technicians):
            if not isinstance(tech, Technician):
                add("Scenario", None, f"technicians[{k}]", tech, "must be a Technician")
        for k, ticket in enumerate(self.tickets):
            if not isinstance(ticket, Ticket):
                add("Scenario", None, f"tickets[{k}]", ticket, "must be a Ticket")
        for k, part in enumerate(self.parts):
            if not isinstance(part, Part):
                add("Scenario", None, f"parts[{k}]", part, "must be a Part")
        for k, depot in enumerate(self.depots):
            if not isinstance(depot, Depot):
                add("Scenario", None, f"depots[{k}]", depot, "must be a Depot")
        if not isinstance(self.category_parts, Mapping):
            add("Scenario", None, "category_parts", self.category_parts,
                "must map a ticket category to {part sku: probability}")
        else:
            for cat, probs in self.category_parts.items():
                try:
                    check_probabilities("Scenario", self.name or None,
                                        f"category_parts[{cat!r}]", probs)
                except ValidationError as exc:
                    issues.append(exc)
        for k, skill in enumerate(self.skills):
            if not isinstance(skill, str) or not skill:
                add("Scenario", self.name or None, f"skills[{k}]", skill,
                    "must be a non-empty skill id")
        if self.sla_policy is not None and not isinstance(self.sla_policy, SlaPolicy):
            add("Scenario", self.name or None, "sla_policy", self.sla_policy,
                "must be an SlaPolicy or None")
        if issues:
            raise ValidationError.collect(issues)

        for skill, count in Counter(self.skills).items():
            if count > 1:
                add("Scenario", self.name or None, "skills", skill,
                    f"must be listed once in the skill catalogue (found {count} times)")
        for entity, ids in (("Technician", [t.id for t in self.technicians]),
                            ("Ticket", [t.id for t in self.tickets]),
                            ("Part", [p.sku for p in self.parts]),
                            ("Depot", [d.id for d in self.depots])):
            for dup, count in Counter(ids).items():
                if count > 1:
                    add(entity, dup, "id", dup, f"must be unique (found {count} times)")
        tech_ids = {t.id for t in self.technicians}
        skill_ids = set(self.skills)
        known_skills = skill_ids or ({s for t in self.technicians for s in t.skills}
                                     | {s for t in self.tickets for s in t.required_skills})
        part_ids = {p.sku for p in self.parts}
        hstart, hend = self.horizon.start, self.horizon.end

        for tech in self.technicians:
            for k, shift in enumerate(tech.shifts):
                if shift.start < hstart or shift.end > hend:
                    add("Technician", tech.id, f"shifts[{k}]",
                        f"{shift.start.isoformat()}..{shift.end.isoformat()}",
                        "must lie within the horizon "
                        f"{hstart.isoformat()}..{hend.isoformat()}")
            if skill_ids:
                for skill in tech.skills:
                    if skill not in skill_ids:
                        add("Technician", tech.id, "skills", skill,
                            "references an unknown skill", UnknownReferenceError)
            for skill in tech.skill_factors:
                if skill not in known_skills:
                    add("Technician", tech.id, "skill_factors", skill,
                        "references an unknown skill (not in the skill catalogue)" if skill_ids
                        else "references a skill no technician holds and no ticket requires",
                        UnknownReferenceError)
            if part_ids:
                for sku in tech.van_stock:
                    if sku not in part_ids:
                        add("Technician", tech.id, "van_stock", sku,
                            "references an unknown part", UnknownReferenceError)
        for depot in self.depots:
            if part_ids:
                for sku in depot.stock:
                    if sku not in part_ids:
                        add("Depot", depot.id, "stock", sku,
                            "references an unknown part", UnknownReferenceError)
            for k, window in enumerate(depot.opening_hours):
                if window.end < hstart or window.start > hend:
                    add("Depot", depot.id, f"opening_hours[{k}]",
                        f"{window.start.isoformat()}..{window.end.isoformat()}",
                        "must overlap the horizon "
                        f"{hstart.isoformat()}..{hend.isoformat()}")
        late_created: list[str] = []
        mixed_deadlines: list[str] = []
        for ticket in self.tickets:
            for name in ("preferred_technicians", "excluded_technicians"):
                for ref in getattr(ticket, name):
                    if ref not in tech_ids:
                        add("Ticket", ticket.id, name, ref,
                            "references an unknown technician", UnknownReferenceError)
            if skill_ids:
                for skill in ticket.required_skills:
                    if skill not in skill_ids:
                        add("Ticket", ticket.id, "required_skills", skill,
                            "references an unknown skill", UnknownReferenceError)
            if part_ids:
                for sku in ticket.parts:
                    if sku not in part_ids:
                        add("Ticket", ticket.id, "parts", sku,
                            "references an unknown part", UnknownReferenceError)
                for sku in ticket.probable_parts:
                    if sku not in part_ids:
                        add("Ticket", ticket.id, "probable_parts", sku,
                            "references an unknown part", UnknownReferenceError)
            response, resolve = self.deadlines(ticket)
            if response is not None and resolve is not None and resolve < response:
                # both explicit is rejected by Ticket; one from the policy is a conflict
                # between a promise and the policy: accepted, with a warning
                mixed_deadlines.append(ticket.id)
            if ticket.created_at is not None and ticket.created_at >= hend:
                late_created.append(ticket.id)
        if part_ids:
            for cat, probs in self.category_parts.items():
                for sku in probs:
                    if sku not in part_ids:
                        add("Scenario", self.name or None, f"category_parts[{cat!r}]", sku,
                            "references an unknown part", UnknownReferenceError)

        # locations: one coordinate system; matrix ids known
        locations: list[tuple[str, str, str, Location]] = []
        for tech in self.technicians:
            locations.append(("Technician", tech.id, "start_location", tech.start_location))
            if tech.end_location is not None:
                locations.append(("Technician", tech.id, "end_location", tech.end_location))
            for k, shift in enumerate(tech.shifts):
                if shift.start_location is not None:
                    locations.append(("Technician", tech.id, f"shifts[{k}].start_location",
                                      shift.start_location))
                if shift.end_location is not None:
                    locations.append(("Technician", tech.id, f"shifts[{k}].end_location",
                                      shift.end_location))
        for ticket in self.tickets:
            locations.append(("Ticket", ticket.id, "location", ticket.location))
        for depot in self.depots:
            locations.append(("Depot", depot.id, "location", depot.location))
        if isinstance(self.travel, MatrixTravel):
            known = set(self.travel.location_ids)
            for entity, eid, field, loc in locations:
                if loc.id is None or loc.id not in known:
                    add(entity, eid, f"{field}.id", loc.id,
                        "must name a row of the travel matrix", UnknownReferenceError)
        elif locations:
            geographic = locations[0][3].geographic
            for entity, eid, field, loc in locations:
                if loc.geographic != geographic:
                    add(entity, eid, field, "geographic" if loc.geographic else "planar",
                        "must use the same coordinate system as every other location "
                        f"({'geographic' if geographic else 'planar'})")
                    break
        if issues:
            raise ValidationError.collect(issues)
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
        }
