"""Live positions: where technicians report they are, and how it moves their next leg.

A position ping (:meth:`fsdispatch.live.Dispatcher.update_position`) says where
a technician was at a time. The rule:

* **Idle** (no job in progress): a fresh ping is where the technician's next
  leg starts. The shift under way starts from the ping's location at
  ``max(now, end of a running break)``, so every ETA, ``recommend``,
  ``insert`` and re-optimisation prices travel from there. A shift not yet
  started still starts as planned; if the ping is still fresh when it starts,
  it starts from the ping.
* **En route** (travelling to a job): the route after the job still starts at
  the job's site, but the ping re-times the arrival: the job's expected end
  becomes ``max(planned start, ping time + drive from the ping to the site) +
  service``. A ping can delay an arrival, never bring it before the start
  planned when the technician left (which waited for the customer's window).
  If the job is then cancelled or put on hold before arrival, the technician's
  next leg starts from the last fresh ping since they left.
* **On site**: the ping is stored (:meth:`~fsdispatch.live.Dispatcher.positions`)
  but the route start stays the site: the job's end is reported by ``complete``.

A ping is *fresh* while younger than ``position_max_age`` (the dispatcher's,
default 15 minutes). When it goes stale (the clock passes ``at +
max_age``) the technician's start falls back to the plan: the site of the last
job completed, else the shift's start location. A later technician event
(``complete``, ``hold``, ``cancel`` of the job in progress) also replaces it.
Older pings than the latest one known are ignored (they may arrive out of order).

Travel from a ping uses the scenario's travel model. With a
:class:`~fsdispatch.MatrixTravel` the location must be a row of the matrix
(its ``id``): the matrix has no travel from an arbitrary point, so snap the
position to the nearest known location first; otherwise
:class:`~fsdispatch.errors.UnknownReferenceError` is raised. With a
:class:`~fsdispatch.GeometricTravel` any location of the scenario's
coordinate system (geographic or planar) is accepted.

Cost: a ping marks one technician as moved and defers a refresh of the live
problem to its next read; the refresh runs at the clock of the last refresh (a
ping moves where a technician starts, not the plan's clock: technician events,
``advance`` and ``reoptimize`` move that), so the incremental refresh redoes
only that technician's route start and reachability row, and a stream of pings
between two reads costs one refresh. When nothing but pings was deferred, that
refresh is :mod:`fsdispatch.live._ping`'s: it patches the pinged routes' starts,
redoes their reachability rows and the ticket columns that flip, re-lays those
routes only and syncs the lifecycle for their tickets only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from ..domain._validate import check_aware
from ..domain.location import Location
from ..domain.traffic import matrix_of
from ..errors import UnknownReferenceError, ValidationError

if TYPE_CHECKING:
    from .state import LiveState

__all__ = [
    "DEFAULT_MAX_AGE",
    "Position",
    "check_max_age",
    "position",
    "positions",
    "update_position",
]

DEFAULT_MAX_AGE = timedelta(minutes=15)
"""Default age after which a position ping no longer moves a technician's start."""


@attrs.frozen
class Position:
    """A technician's last reported position, as the dispatcher sees it now.

    Attributes
    ----------
    technician_id:
        Who reported it.
    location:
        Where they were.
    at:
        When they were there (timezone-aware).
    age:
        ``now - at``.
    stale:
        Older than the dispatcher's ``position_max_age``: the plan's position is
        used instead.
    in_use:
        The position is where the technician's next leg starts now (fresh, not
        on a job, and not replaced by a later event).
    """

    technician_id: str
    location: Location
    at: datetime
    age: timedelta
    stale: bool
    in_use: bool


def check_max_age(value: Any) -> timedelta:
    """``position_max_age`` as a positive timedelta (seconds or timedelta accepted)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValidationError.for_field(
            "Dispatcher", None, "position_max_age", value, "must be a positive timedelta or seconds"
        )
    return value


def _check_location(state: LiveState, technician_id: str, location: Any) -> Location:
    if not isinstance(location, Location):
        raise ValidationError.for_field(
            "update_position", technician_id, "location", location, "must be a Location"
        )
    travel = state.scenario.travel
    matrix = matrix_of(travel)
    if matrix is not None:
        if location.id is None or location.id not in matrix.location_ids:
            raise UnknownReferenceError(
                f"update_position {technician_id!r}: location id {location.id!r} is not a row "
                "of the travel matrix (snap the position to a known location first)",
                entity="update_position",
                entity_id=technician_id,
                field="location.id",
                value=location.id,
            )
        return location
    tech = state.techs[technician_id]
    geographic = tech.start_location.geographic
    if location.geographic != geographic:
        raise ValidationError.for_field(
            "update_position",
            technician_id,
            "location",
            "geographic" if location.geographic else "planar",
            f"must use the scenario's coordinate system "
            f"({'geographic' if geographic else 'planar'})",
        )
    return location


def update_position(
    state: LiveState, technician_id: str, location: Any, at: datetime | None
) -> bool:
    """Record a ping in ``state`` (validated); returns whether the live problem changed
    (the caller defers a refresh then). See the module docstring for the rule."""
    state.technician(technician_id)
    location = _check_location(state, technician_id, location)
    now = state.now
    if at is None:
        at = now
    check_aware("update_position", technician_id, "at", at)
    if at > now:
        raise ValidationError.for_field(
            "update_position",
            technician_id,
            "at",
            at.isoformat(),
            f"must not be after the clock {now.isoformat()}",
        )
    last = state.pings.get(technician_id)
    if last is not None and at < last[1]:
        return False  # an older ping than the one known: ignored
    state.pings[technician_id] = (location, at)
    expires = at + state.position_max_age
    cur = state.current.get(technician_id)
    if cur is not None:  # on a job: the route after it starts at the site
        job = state.jobs[cur]
        if job.started_at is not None or expires <= now or job.expected_end is None:
            return False
        drive = state.scenario.travel.travel_seconds(location, job.location, at)
        planned = job.expected_end - timedelta(seconds=job.service)
        arrive = at + timedelta(seconds=drive)
        if arrive <= planned:
            return False
        state.delay(cur, arrive + timedelta(seconds=job.service))
        return True
    if expires <= now:
        return False  # already stale: the plan's position stays
    if state.last_pos.get(technician_id) == location:
        state.moved[technician_id] = expires
        return False
    state.place(technician_id, location, expires)
    return True


def position(state: LiveState, technician_id: str) -> Position:
    """The last ping of a technician as the dispatcher sees it now (it has one)."""
    loc, at = state.pings[technician_id]
    age = state.now - at
    stale = age >= state.position_max_age
    in_use = (
        not stale
        and technician_id in state.moved
        and technician_id not in state.current
        and state.last_pos.get(technician_id) == loc
    )
    return Position(technician_id, loc, at, age, stale, in_use)


def positions(state: LiveState) -> Mapping[str, Position]:
    """Every technician's last ping as a read-only mapping (technician id -> Position)."""
    return MappingProxyType({t: position(state, t) for t in state.pings})
