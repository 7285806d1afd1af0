"""Installed assets and their preventive-maintenance plans.

An :class:`Asset` is a piece of equipment at a customer site (an HVAC unit, an
elevator, a boiler). A :class:`MaintenancePlan` says how often it needs a
preventive-maintenance (PM) visit; :func:`maintenance_tickets` turns the plans
into the tickets due in a planning horizon, each bound to its asset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from ..errors import ValidationError
from ..units import DAY, MAX_TICKET_DURATION, Horizon
from ._validate import (
    check_aware,
    check_id,
    check_int,
    check_levels,
    check_quantities,
    fail,
    frozen_dict,
    seconds,
)
from .location import Location
from .ticket import Priority, Ticket, TimeWindow

__all__ = ["MAX_PM_INTERVAL", "Asset", "MaintenancePlan", "maintenance_tickets"]

MAX_PM_INTERVAL: int = 10 * 365 * DAY
"""Longest interval between two preventive-maintenance visits (10 years, in seconds)."""


@attrs.frozen
class Asset:
    """A piece of installed equipment that technicians service.

    Parameters
    ----------
    id:
        Unique asset id (referenced by :attr:`Ticket.asset_id` and
        :attr:`MaintenancePlan.asset_id`).
    location:
        Where the asset is installed; preventive-maintenance tickets of the asset
        are served here.
    kind:
        Free-form kind, e.g. ``"hvac"`` or ``"elevator"`` (may be empty).
    installed_at:
        When it was installed (timezone-aware), or ``None`` if unknown. Without a
        record of the last visit the first PM visit is due one interval after it.
    customer_id:
        The customer who owns the asset; copied to its PM tickets.
    """

    id: str
    location: Location
    kind: str = ""
    installed_at: datetime | None = None
    customer_id: str | None = None

    def __attrs_post_init__(self) -> None:
        check_id("Asset", self.id)
        if not isinstance(self.location, Location):
            fail("Asset", self.id, "location", self.location, "must be a Location")
        if not isinstance(self.kind, str):
            fail("Asset", self.id, "kind", self.kind, "must be a string")
        if self.installed_at is not None:
            check_aware("Asset", self.id, "installed_at", self.installed_at)
        if self.customer_id is not None and (
            not isinstance(self.customer_id, str) or not self.customer_id
        ):
            fail(
                "Asset",
                self.id,
                "customer_id",
                self.customer_id,
                "must be a non-empty string or None",
            )


def _parts(value: Any) -> Any:
    """attrs converter: a mapping sku -> quantity is kept, an iterable of skus counts one each."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        return {value: 1}
    try:
        items = list(value)
    except TypeError:
        return value
    out: dict[Any, int] = {}
    for sku in items:
        out[sku] = out.get(sku, 0) + 1
    return out


@attrs.frozen
class MaintenancePlan:
    """How often an asset needs a preventive-maintenance visit, and what the visit takes.

    Parameters
    ----------
    asset_id:
        The asset maintained.
    every:
        Interval between two visits (seconds or timedelta, within [1 day, 10 years]).
    duration:
        Service time of one visit (seconds or timedelta, within (0, 30 days]).
    required_skills:
        Skill id -> minimum level (within [1, 100]) of the technician.
    tolerance:
        How far from its due date a visit may start (seconds or timedelta, within
        [0, every / 2]); the ticket's window is ``due ± tolerance`` clipped to the
        horizon (the ``every / 2`` bound keeps consecutive windows apart).
    parts:
        Parts a visit consumes: sku -> quantity (within [1, 10⁹]), or an iterable
        of skus (one unit each).
    name:
        Distinguishes several plans of one asset (e.g. ``"filters"`` and
        ``"annual"``); it is part of the ticket ids when given.
    category:
        Category of the PM tickets (default ``"maintenance"``).
    priority:
        Priority of the PM tickets (default P4: repairs win when capacity is short).
    """

    asset_id: str
    every: int = attrs.field(converter=seconds)
    duration: int = attrs.field(converter=seconds)
    required_skills: Mapping[str, int] = attrs.field(converter=frozen_dict)
    tolerance: int = attrs.field(converter=seconds)
    parts: Mapping[str, int] = attrs.field(factory=dict, converter=_parts)
    name: str = ""
    category: str = "maintenance"
    priority: Priority = attrs.field(default=Priority.P4, converter=lambda v: _priority(v))

    def __attrs_post_init__(self) -> None:
        entity, pid = "MaintenancePlan", self.label
        if not isinstance(self.asset_id, str) or not self.asset_id:
            fail(entity, None, "asset_id", self.asset_id, "must be a non-empty string")
        check_int(
            entity, pid, "every", self.every, minimum=DAY, maximum=MAX_PM_INTERVAL, in_seconds=True
        )
        check_int(
            entity,
            pid,
            "duration",
            self.duration,
            minimum=0,
            strict_minimum=True,
            maximum=MAX_TICKET_DURATION,
        )
        check_levels(entity, pid, "required_skills", self.required_skills, minimum=1)
        check_int(
            entity,
            pid,
            "tolerance",
            self.tolerance,
            minimum=0,
            maximum=self.every // 2,
            in_seconds=True,
        )
        check_quantities(entity, pid, "parts", self.parts, minimum=1)
        if not isinstance(self.name, str) or "/" in self.name:
            fail(entity, pid, "name", self.name, "must be a string without '/'")
        if not isinstance(self.category, str) or not self.category:
            fail(entity, pid, "category", self.category, "must be a non-empty string")
        if not isinstance(self.priority, Priority):
            fail(entity, pid, "priority", self.priority, "must be P1, P2, P3 or P4 (1..4)")

    @property
    def label(self) -> str:
        """``asset_id`` or ``asset_id/name``: how errors name the plan."""
        asset = self.asset_id if isinstance(self.asset_id, str) else repr(self.asset_id)
        return f"{asset}/{self.name}" if self.name and isinstance(self.name, str) else asset


def _priority(value: object) -> object:
    try:
        return Priority.parse(value)
    except ValueError:
        return value


def _ticket_id(plan: MaintenancePlan, due: datetime) -> str:
    day = due.astimezone(UTC).strftime("%Y%m%d")
    return f"PM-{plan.asset_id}-{plan.name}-{day}" if plan.name else f"PM-{plan.asset_id}-{day}"


def due_dates(
    plan: MaintenancePlan, horizon: Horizon, last: datetime | None
) -> list[tuple[datetime, datetime]]:
    """The visits of ``plan`` due in ``horizon`` as ``(nominal due date, effective due date)``.

    The nominal dates are ``last + k × every`` (``k ≥ 1``), or ``horizon.start +
    k × every`` (``k ≥ 0``) when ``last`` is ``None``. Those in ``[start, end)`` are
    due on their date. Nominal dates before the start are missed visits: they
    collapse into one overdue visit, due at the horizon start and named after the
    first missed date, and the following visits are due ``horizon.start + k ×
    every`` (``k ≥ 1``), as if the overdue one were done at the start.
    """
    every = timedelta(seconds=plan.every)
    first = horizon.start if last is None else last + every
    out: list[tuple[datetime, datetime]] = []
    nxt = first
    if first < horizon.start:
        out.append((first, horizon.start))
        nxt = horizon.start + every  # the overdue visit, done now, restarts the interval
    while nxt < horizon.end:
        out.append((nxt, nxt))
        nxt += every
    return out


def maintenance_tickets(
    assets: Iterable[Asset],
    plans: Iterable[MaintenancePlan],
    horizon: Horizon,
    last_done: Mapping[str, datetime] | None = None,
) -> tuple[Ticket, ...]:
    """The preventive-maintenance visits due in ``horizon``, as tickets bound to their asset.

    Parameters
    ----------
    assets:
        The assets the plans refer to.
    plans:
        Maintenance plans; each names an asset of ``assets``.
    horizon:
        The planning horizon ``[start, end)``.
    last_done:
        Asset id -> when its last PM visit was done (timezone-aware). For an asset
        without an entry the visits are due from its ``installed_at`` (first due one
        interval after it), or from the horizon start (due now) when that is unknown.
        With several plans per asset, key ``"asset_id/name"`` overrides the asset's
        entry for the plan with that name.

    Returns
    -------
    tuple of Ticket
        One ticket per due date in the horizon (see :func:`due_dates`; missed visits
        before the start give one overdue visit due at the start), sorted by due date
        then id. Ticket ``id`` is ``PM-{asset}-{YYYYMMDD}`` (``PM-{asset}-{name}-
        {YYYYMMDD}`` for a named plan), from the nominal due date in UTC, so the same
        inputs give the same ids; ``location`` and ``customer_id`` are the asset's,
        ``asset_id`` the asset's id, the one hard window is ``due ± tolerance`` clipped
        to the horizon, and ``duration``, ``required_skills``, ``parts``, ``category``
        and ``priority`` come from the plan. Plans with no visit due give none.

    Raises
    ------
    ValidationError
        A plan names an unknown asset (:class:`~fsdispatch.errors.UnknownReferenceError`),
        an asset id is repeated, a ``last_done`` value is not a timezone-aware datetime
        or two plans give the same ticket id (give them distinct names).
    """
    from ..errors import UnknownReferenceError

    if not isinstance(horizon, Horizon):
        fail("maintenance_tickets", None, "horizon", horizon, "must be a Horizon")
    by_id: dict[str, Asset] = {}
    for k, asset in enumerate(assets):
        if not isinstance(asset, Asset):
            fail("maintenance_tickets", None, f"assets[{k}]", asset, "must be an Asset")
        if asset.id in by_id:
            fail("Asset", asset.id, "id", asset.id, "must be unique (found more than once)")
        by_id[asset.id] = asset
    done = dict(last_done or {})
    for key, when in done.items():
        check_aware("maintenance_tickets", None, f"last_done[{key!r}]", when)
    tickets: list[tuple[datetime, Ticket]] = []
    seen: set[str] = set()
    for k, plan in enumerate(plans):
        if not isinstance(plan, MaintenancePlan):
            fail("maintenance_tickets", None, f"plans[{k}]", plan, "must be a MaintenancePlan")
        owner = by_id.get(plan.asset_id)
        if owner is None:
            err = ValidationError.for_field(
                "MaintenancePlan",
                plan.label,
                "asset_id",
                plan.asset_id,
                "references an unknown asset",
            )
            raise UnknownReferenceError(
                err.message,
                entity="MaintenancePlan",
                entity_id=plan.label,
                field="asset_id",
                value=plan.asset_id,
            )
        last = done.get(plan.label, done.get(plan.asset_id, owner.installed_at))
        tol = timedelta(seconds=plan.tolerance)
        for nominal, due in due_dates(plan, horizon, last):
            tid = _ticket_id(plan, nominal)
            if tid in seen:
                fail(
                    "MaintenancePlan",
                    plan.label,
                    "name",
                    plan.name,
                    f"must tell apart the plans of asset {plan.asset_id!r} (ticket id "
                    f"{tid!r} is given twice)",
                )
            seen.add(tid)
            window = TimeWindow(max(due - tol, horizon.start), min(due + tol, horizon.end))
            tickets.append(
                (
                    due,
                    Ticket(
                        id=tid,
                        location=owner.location,
                        duration=plan.duration,
                        category=plan.category,
                        required_skills=plan.required_skills,
                        windows=(window,),
                        priority=plan.priority,
                        customer_id=owner.customer_id,
                        parts=plan.parts,
                        asset_id=owner.id,
                    ),
                )
            )
    tickets.sort(key=lambda item: (item[0], item[1].id))
    return tuple(t for _, t in tickets)
