"""Why a technician can never serve a ticket, and why a ticket is left out: the codes,
the rule that turns the first into the second, and their words — in one place.

Every consumer reads them from here: the compiler and the live refresh (which
reason a ticket no route reaches gets), the evaluator (the violation kind of a
ticket served by an incompatible technician), live recommendations (the code of
an excluded technician) and the HTML report (one line per reason).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np

__all__ = [
    "INCOMPATIBILITY",
    "REASON_TEXT",
    "Incompatibility",
    "IncompatibilityWords",
    "UnassignedReason",
    "incompatibility_text",
    "routes_and_reasons",
]


class Incompatibility(enum.IntEnum):
    """Why a technician can never serve a ticket (entries of ``Problem.compatible``).

    The codes are ordered by how far along a technician gets: one failing only
    on ``SHIFT`` was able in every other respect, one failing on ``SKILL`` was
    not. A ticket no route reaches takes the reason of the technicians furthest
    along (:func:`routes_and_reasons`).
    """

    OK = 0
    SKILL = 1  #: the technician lacks a required skill
    LEVEL = 2  #: the technician holds the skill below the required level
    CERTIFICATION = 3  #: a required skill's certification is expired on a service day
    TERRITORY = 4  #: the ticket's territory is not one the technician covers (hard)
    PART = 5  #: the van does not hold the parts the ticket needs
    EXCLUDED = 6  #: the ticket excludes this technician
    CAPACITY = 7  #: the ticket's demand exceeds the technician's capacity
    SHIFT = 8  #: no shift can reach the ticket within its windows and be back in time


class UnassignedReason(enum.Enum):
    """Why a ticket is not in any route."""

    NO_SKILL = "no_skill"  #: no technician holds the required skills/levels
    NO_PART = "no_part"  #: no skilled technician's van holds the parts
    EXCLUDED = "excluded"  #: every otherwise able technician is excluded by the ticket
    NO_SHIFT = "no_shift"  #: no shift can reach it within its windows and return in time
    OUTSIDE_HORIZON = "outside_horizon"  #: its windows lie outside the horizon
    NO_CAPACITY = "no_capacity"  #: able technicians exist but their day is full
    NOT_PROFITABLE = "not_profitable"  #: serving it costs more than its unassigned penalty
    SOLVER_LIMIT = "solver_limit"  #: the solver stopped (time/iteration limit) before placing it
    OPEN = "open"  #: not planned yet (live dispatch / simulator)
    NO_TERRITORY = "no_territory"  #: every otherwise able technician is outside its territory
    CERTIFICATION_EXPIRED = "certification_expired"
    """every technician holding the skills has the certification expired on its days"""
    WEEKLY_HOURS = "weekly_hours"
    """an able route has time for it, but its technician's weekly work cap
    (``Technician.max_weekly_work``) would be exceeded"""

    @property
    def code(self) -> int:
        """Small integer code (1-based) used in arrays."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> UnassignedReason:
        """Inverse of :attr:`code`."""
        return _BY_CODE[int(code)]


_CODES = {reason: k + 1 for k, reason in enumerate(UnassignedReason)}
_BY_CODE = {k: reason for reason, k in _CODES.items()}


@attrs.frozen
class IncompatibilityWords:
    """How one :class:`Incompatibility` is named where it shows."""

    kind: str | None
    """``Violation.kind`` of a plan serving a ticket by such a technician (``None``:
    judged by the route's timing instead)."""
    exclusion: str
    """``Exclusion.code`` of a technician that live ``recommend`` leaves out."""
    reason: UnassignedReason
    """A ticket's reason when this blocks the technicians furthest along."""


_R = UnassignedReason
INCOMPATIBILITY: Mapping[Incompatibility, IncompatibilityWords] = MappingProxyType({
    Incompatibility.SKILL: IncompatibilityWords("skill", "missing_skill", _R.NO_SKILL),
    Incompatibility.LEVEL: IncompatibilityWords("level", "skill_level", _R.NO_SKILL),
    Incompatibility.CERTIFICATION: IncompatibilityWords(
        "certification", "certification_expired", _R.CERTIFICATION_EXPIRED),
    Incompatibility.TERRITORY: IncompatibilityWords("territory", "no_territory",
                                                    _R.NO_TERRITORY),
    Incompatibility.PART: IncompatibilityWords("part", "no_part", _R.NO_PART),
    Incompatibility.EXCLUDED: IncompatibilityWords("excluded", "excluded", _R.EXCLUDED),
    Incompatibility.CAPACITY: IncompatibilityWords("capacity", "capacity", _R.NO_CAPACITY),
    Incompatibility.SHIFT: IncompatibilityWords(None, "off_shift", _R.NO_SHIFT),
})
"""The words and the unassigned reason of every incompatibility (all but ``OK``)."""

REASON_TEXT: Mapping[str, str] = MappingProxyType({
    _R.NO_SKILL.value: "no technician holds the required skills or levels",
    _R.NO_PART.value: "no otherwise able technician's van holds the parts",
    _R.EXCLUDED.value: "every otherwise able technician is excluded by the ticket",
    _R.NO_SHIFT.value: "no shift can reach it within its windows and return in time",
    _R.OUTSIDE_HORIZON.value: "its windows lie outside the planning horizon",
    _R.NO_CAPACITY.value: "able technicians exist but their day is full",
    _R.NOT_PROFITABLE.value: "serving it would cost more than its unassigned penalty",
    _R.SOLVER_LIMIT.value: "the solver stopped before placing it",
    _R.OPEN.value: "not planned yet",
    _R.NO_TERRITORY.value: "every otherwise able technician is outside the ticket's territory",
    _R.CERTIFICATION_EXPIRED.value: "the certification of every technician holding the "
                                    "skills is expired on its service days",
    _R.WEEKLY_HOURS.value: "able technicians have time that day but would exceed their "
                           "weekly work cap",
})
"""One-line explanation of each :class:`UnassignedReason` value."""

def incompatibility_text(code: Incompatibility, *,
                         skills: Sequence[tuple[str, int, int]] = (),
                         parts: Sequence[tuple[str, int]] = (), demand: int = 0,
                         capacity: int = 0, territory: str | None = None) -> str:
    """Why a technician cannot serve a ticket, in words (the evaluator's violation text).

    ``skills``: ``(skill, level needed, level held)`` of the skills short;
    ``parts``: ``(sku, units)`` the van lacks; ``demand`` and ``capacity`` for
    ``CAPACITY``; ``territory`` the ticket's territory for ``TERRITORY``. For
    ``CERTIFICATION``, ``skills`` lists the expired skills.
    """
    if code in (Incompatibility.SKILL, Incompatibility.LEVEL):
        return "skills " + ", ".join(f"{s} needs {need} has {have}"
                                     for s, need, have in skills)
    if code == Incompatibility.PART:
        return "van lacks " + ", ".join(f"{q} × {s}" for s, q in parts)
    if code == Incompatibility.EXCLUDED:
        return "technician is excluded by the ticket"
    if code == Incompatibility.CERTIFICATION:
        return "certification expired for " + ", ".join(s for s, _, _ in skills)
    if code == Incompatibility.TERRITORY:
        return f"technician does not cover territory {territory!r}"
    return f"demand {demand} exceeds capacity {capacity}"


_REASON_OF = np.full(len(Incompatibility), _R.NO_SHIFT.code, dtype=np.int8)
for _code, _words in INCOMPATIBILITY.items():
    _REASON_OF[_code] = _words.reason.code
_REASON_OF.setflags(write=False)
# (OK as the highest code means no technician at all: no_shift)


def _frozen(a: Any, dtype: Any, ndim: int) -> np.ndarray:
    from ..kernels.structs import frozen

    return frozen(a, dtype, ndim)


def routes_and_reasons(reach: np.ndarray, route_tech: np.ndarray, compat: np.ndarray,
                       outside: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray]:
    """What reachability implies: ``(compat, ptr, routes, unservable)``.

    Parameters
    ----------
    reach:
        uint8 ``(routes, tickets)``: 1 where the route can serve the ticket alone.
    route_tech:
        The technician of each route.
    compat:
        int8 ``(technicians, tickets)`` :class:`Incompatibility` codes before timing.
    outside:
        bool per ticket: its windows lie outside the horizon.

    Returns
    -------
    tuple
        ``compat`` with ``SHIFT`` where a technician may serve a ticket but none
        of its routes reaches it; the routes reaching each ticket as CSR
        (``ptr``, ``routes``, ascending); and per ticket 0 when some route reaches
        it, else its :attr:`UnassignedReason.code`: ``outside_horizon``, else
        ``no_shift`` when a technician fails only on shifts (or there is none),
        else the reason of the highest code among the technicians. Read-only.
    """
    from ..kernels.reach import ticket_side

    # (normalised: the kernel's one signature for the compiler and the live refresh)
    out = ticket_side(_frozen(reach, np.uint8, 2), _frozen(route_tech, np.int64, 1),
                       _frozen(compat, np.int8, 2), _frozen(outside, np.bool_, 1), _REASON_OF,
                       np.int8(Incompatibility.SHIFT), np.int8(_R.OUTSIDE_HORIZON.code),
                       np.int8(_R.NO_SHIFT.code))
    for a in out:
        a.setflags(write=False)
    return out


def routes_and_reasons_at(reach: np.ndarray, route_tech: np.ndarray, compat: np.ndarray,
                          outside: np.ndarray, base: tuple[np.ndarray, ...], cols: np.ndarray,
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`routes_and_reasons` of ``(reach, route_tech, compat, outside)`` when only the
    ticket columns ``cols`` (ascending) changed since ``base``, its result before.

    What the matrix implies for a ticket reads only that ticket's column (of
    ``reach`` and ``compat``) and its ``outside`` flag, so the columns ``cols`` are
    passed through :func:`routes_and_reasons` (the one rule) and spliced into
    ``base``; every other column of ``base`` is kept. ``base`` must be of the same
    routes and tickets. Read-only; ``base`` itself when no column changed.
    """
    from ..kernels.reach import splice_rows

    if not cols.shape[0]:
        b_compat, b_ptr, b_routes, b_uns = base
        return b_compat, b_ptr, b_routes, b_uns
    sub = routes_and_reasons(np.ascontiguousarray(reach[:, cols]), route_tech,
                             np.ascontiguousarray(compat[:, cols]), outside[cols])
    b_compat, b_ptr, b_routes, b_uns = base
    new_compat = b_compat.copy()
    new_compat[:, cols] = sub[0]
    unservable = b_uns.copy()
    unservable[cols] = sub[3]
    ptr, routes = splice_rows(_frozen(b_ptr, np.int64, 1), _frozen(b_routes, np.int64, 1),
                              _frozen(cols, np.int64, 1), sub[1], sub[2])
    for a in (new_compat, ptr, routes, unservable):
        a.setflags(write=False)
    return new_compat, ptr, routes, unservable
