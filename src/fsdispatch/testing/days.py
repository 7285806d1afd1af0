"""Random valid days for fuzzing the solvers, from a seed or from hypothesis.

One builder, :func:`build_day`, draws every random choice from a *source*: a
seeded numpy generator (:func:`random_day`, reproducible from an ``int``, used
by the crash-isolated stress run) or hypothesis' ``draw`` (the strategies in
:mod:`fsdispatch.testing.strategies`, which shrink a failing day). Both
therefore draw the same kinds of days.

The stress profile mixes, per day, what breaks solvers' bookkeeping: many
technicians with low daily caps (0-3 visits for all, so every route is short), tiny
capacities (0-2 units against demands of at least 1), one or two breaks per
shift with windows from fixed (as long as the break) to wide or running past
the shift end, long jobs, parts depots with limited stock, two-day horizons,
shifts ending elsewhere, tight / soft / two-part windows, SLA deadlines,
preferences and exclusions. Days stay small (at most 30 technicians and 30
tickets; 6 technicians and 12 tickets for the exact backends), so a solve takes
milliseconds to a second.

This module needs only numpy (not hypothesis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, TypeVar

import attrs
import numpy as np

from ..domain import (
    Break,
    Depot,
    GeometricTravel,
    Location,
    Priority,
    Scenario,
    Shift,
    Technician,
    Ticket,
    TimeWindow,
)
from ..units import MINUTE, Horizon

__all__ = ["DAY0", "EXACT", "STRESS", "DayProfile", "NumpySource", "Source", "build_day",
           "random_day"]

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)
"""Midnight of the first day of every generated horizon (a Monday, UTC)."""

SKILLS = ("hvac", "gas", "electric")
SKUS = ("P1", "P2", "P3")
FULL_TECHNICIANS = 6
"""Technicians drawn in full; further ones are cheap copies of these (own id, home, cap)."""

T = TypeVar("T")

_WINDOW_KINDS: tuple[Literal["hard", "soft"], ...] = ("hard", "hard", "soft")


class Source(Protocol):
    """Where :func:`build_day` takes its random choices from."""

    def integers(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]`` (both included)."""

    def booleans(self) -> bool:
        """True or False."""

    def sampled_from(self, options: Sequence[T]) -> T:
        """One of ``options``."""

    def coordinate(self) -> float:
        """A planar coordinate in ``[0, 30]`` km, rounded to 10 m."""

    def optional_integers(self, lo: int, hi: int) -> int | None:
        """``None`` or an integer in ``[lo, hi]``."""


class NumpySource:
    """A :class:`Source` drawing from a seeded ``numpy.random.Generator`` (reproducible)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def integers(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``, uniform."""
        return int(self.rng.integers(lo, hi + 1))

    def booleans(self) -> bool:
        """True with probability 1/2."""
        return bool(self.rng.random() < 0.5)

    def sampled_from(self, options: Sequence[T]) -> T:
        """One of ``options``, uniform."""
        return options[int(self.rng.integers(len(options)))]

    def coordinate(self) -> float:
        """Uniform in ``[0, 30]``, rounded to 2 decimals."""
        return round(float(self.rng.uniform(0.0, 30.0)), 2)

    def optional_integers(self, lo: int, hi: int) -> int | None:
        """``None`` with probability 1/2, else uniform in ``[lo, hi]``."""
        return None if self.booleans() else self.integers(lo, hi)


@dataclass(frozen=True)
class DayProfile:
    """What kinds of days :func:`build_day` draws.

    Attributes
    ----------
    max_technicians, max_tickets, max_days:
        Size bounds (technicians beyond :data:`FULL_TECHNICIANS` are cheap copies).
    breaks:
        Shifts may have breaks.
    parts:
        Technicians carry van stock and tickets may need parts.
    depots:
        One or two parts depots with limited stock (with ``parts``).
    low_caps:
        Every technician's daily cap is 0-3 visits (instead of ``None`` or 1-4),
        so every route is short: the longest feasible route is shorter than
        the number of routes an iteration of ``ls`` may touch.
    tiny_capacity:
        Capacities are ``None`` or 0-2 units and every ticket's demand is 1-2
        (instead of ``None`` or 1-6, and 0-3).
    max_breaks:
        1: at most one break per shift in a window of 30-150 minutes (the
        original strategy); 2: zero, one or two breaks of 10-120 minutes, in
        fixed, narrow, wide or past-the-shift-end windows.
    long_jobs:
        A quarter of the tickets last 2-6 hours (hard to fit between breaks).
    mix:
        Draw ``low_caps``, ``tiny_capacity``, ``depots``, ``long_jobs``,
        "many technicians" (more than :data:`FULL_TECHNICIANS`) and "busy"
        (at least half of ``max_tickets``) per day, and let some shifts end
        elsewhere: the fuzzer's profile.
    """

    max_technicians: int = 4
    max_tickets: int = 10
    max_days: int = 2
    breaks: bool = True
    parts: bool = True
    depots: bool = False
    low_caps: bool = False
    tiny_capacity: bool = False
    max_breaks: int = 1
    long_jobs: bool = False
    mix: bool = False


STRESS = DayProfile(max_technicians=30, max_tickets=30, max_days=2, max_breaks=2, mix=True)
"""The fuzzer's profile for the heuristics (``greedy``, ``ls``)."""

EXACT = DayProfile(max_technicians=6, max_tickets=12, max_days=2, max_breaks=2, mix=True)
"""The fuzzer's profile for the exact backends: within their size limits (at most 12
routes, 12 tickets) and small enough to solve in a second or two."""


def _at(minutes: int, day: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, minutes=minutes)


def _stress_breaks(src: Source, begin: int, length: int, day: int,
                   max_breaks: int) -> tuple[Break, ...]:
    """Zero to ``max_breaks`` breaks in a shift ``[begin, begin + length]`` (minutes).

    Each can end by the shift end and the next one's window opens no earlier
    than the previous break's earliest end, so all can be taken; windows are
    fixed (exactly the break), narrow, wide or run past the shift end.
    """
    end = begin + length
    lo = begin
    out: list[Break] = []
    for _ in range(src.integers(0, max_breaks)):
        dur = src.integers(10, min(120, length // 2))
        style = src.sampled_from(("fixed", "narrow", "wide", "late"))
        latest = end - dur
        if lo > latest:
            break
        b0 = src.integers(lo, latest)
        if style == "fixed":
            span = dur
        elif style == "narrow":
            span = dur + src.integers(1, 30)
        elif style == "wide":
            span = dur + src.integers(60, 480)
        else:  # the window runs past the shift end (only usable on overtime)
            span = end - b0 + src.integers(0, 120)
        out.append(Break(TimeWindow(_at(b0, day), _at(b0 + span, day)), dur * MINUTE))
        lo = b0 + dur
    return tuple(out)


def build_day(src: Source, profile: DayProfile | None = None, *,
              name: str = "hypothesis") -> Scenario:
    """A random valid :class:`~fsdispatch.Scenario` on a planar 30 km square.

    Every choice comes from ``src``; ``profile`` (default :class:`DayProfile`)
    says which kinds of days. With the default profile it draws exactly what
    :func:`fsdispatch.testing.strategies.scenarios` always drew.
    """
    p = DayProfile() if profile is None else profile
    many = False
    if p.mix:
        p = replace(p, low_caps=src.booleans(), tiny_capacity=src.booleans(),
                    depots=p.parts and src.booleans(), long_jobs=src.booleans())
        many = p.max_technicians > FULL_TECHNICIANS and src.booleans()
    days = src.integers(1, p.max_days)
    horizon = Horizon(DAY0, DAY0 + timedelta(days=days))
    if many:
        num_techs = src.integers(FULL_TECHNICIANS + 1, p.max_technicians)
    elif p.mix:
        num_techs = src.integers(0, min(FULL_TECHNICIANS, p.max_technicians))
    else:
        num_techs = src.integers(0, p.max_technicians)
    techs: list[Technician] = []
    for t in range(num_techs):
        if t >= FULL_TECHNICIANS:  # a cheap copy with its own home and cap
            base = techs[src.integers(0, FULL_TECHNICIANS - 1)]
            home = Location.planar(src.coordinate(), src.coordinate())
            cap = src.integers(0, 3) if p.low_caps else src.optional_integers(1, 4)
            techs.append(attrs.evolve(base, id=f"tech{t}", start_location=home,
                                      max_tickets_per_day=cap))
        else:
            techs.append(_technician(src, p, f"tech{t}", days))
    tech_ids = [t.id for t in techs]
    if p.mix and src.booleans():  # a busy day: at least half the maximum
        num_tickets = src.integers(p.max_tickets // 2, p.max_tickets)
    else:
        num_tickets = src.integers(0, p.max_tickets)
    tickets = [_ticket(src, p, f"T{i}", days, tech_ids) for i in range(num_tickets)]
    depot_list = _depots(src, days) if p.depots and p.parts else []
    speed = src.sampled_from([30.0, 50.0])
    return Scenario(horizon=horizon, technicians=tuple(techs), tickets=tuple(tickets),
                    travel=GeometricTravel(speed_kmh=speed, detour=1.2), name=name,
                    depots=tuple(depot_list))


def _technician(src: Source, p: DayProfile, tech_id: str, days: int) -> Technician:
    """A fully drawn technician: home, shifts, skills, van stock, caps."""
    home = Location.planar(src.coordinate(), src.coordinate())
    shifts = []
    for d in range(days):
        if days > 1 and not src.booleans():
            continue
        begin = src.integers(6 * 60, 9 * 60)
        length = src.integers(4 * 60, 10 * 60)
        brks: tuple[Break, ...] = ()
        if p.breaks and p.max_breaks > 1:
            brks = _stress_breaks(src, begin, length, d, p.max_breaks)
        elif p.breaks and src.booleans():
            b0 = begin + src.integers(60, max(60, length - 90))
            span = src.integers(30, 150)
            dur = src.integers(15, min(45, span))
            brks = (Break(TimeWindow(_at(b0, d), _at(b0 + span, d)), dur * MINUTE),)
        end_at = None
        if p.mix and src.integers(0, 4) == 0:
            end_at = Location.planar(src.coordinate(), src.coordinate())
        shifts.append(Shift(_at(begin, d), _at(begin + length, d), breaks=brks,
                            end_location=end_at))
    skills = {s: src.integers(1, 3) for s in SKILLS if src.booleans()}
    stock = ({s: src.integers(0, 2) for s in SKUS if src.booleans()}
             if p.parts else {})
    service_factor = src.sampled_from([0.8, 1.0, 1.25])
    cap = src.integers(0, 3) if p.low_caps else src.optional_integers(1, 4)
    overtime = src.sampled_from([0, 0, 30 * MINUTE])
    capacity = (src.optional_integers(0, 2) if p.tiny_capacity
                else src.optional_integers(1, 6))
    return Technician(
        id=tech_id, start_location=home, shifts=tuple(shifts), skills=skills,
        service_factor=service_factor, max_tickets_per_day=cap, max_overtime=overtime,
        van_stock=stock, capacity=capacity)


def _ticket_windows(src: Source, d: int) -> tuple[TimeWindow, ...]:
    """No window, a wide one, a tight one or two on day ``d``."""
    windows: tuple[TimeWindow, ...] = ()
    kind = src.sampled_from(["none", "wide", "tight", "two"])
    if kind == "wide":
        s0 = src.integers(7 * 60, 13 * 60)
        windows = (TimeWindow(_at(s0, d), _at(s0 + 240, d)),)
    elif kind == "tight":
        s0 = src.integers(7 * 60, 16 * 60)
        windows = (TimeWindow(_at(s0, d), _at(s0 + src.integers(0, 45), d)),)
    elif kind == "two":
        s0 = src.integers(7 * 60, 10 * 60)
        windows = (TimeWindow(_at(s0, d), _at(s0 + 60, d)),
                   TimeWindow(_at(s0 + 300, d), _at(s0 + 360, d)))
    return windows


def _ticket(src: Source, p: DayProfile, ticket_id: str, days: int,
            tech_ids: list[str]) -> Ticket:
    """A drawn ticket: windows, priority, deadline, skills, parts, preferences, duration."""
    d = src.integers(0, days - 1)
    windows = _ticket_windows(src, d)
    prio = src.sampled_from(list(Priority))
    response_by = _at(src.integers(8 * 60, 20 * 60), d) if src.booleans() else None
    required = {s: src.integers(1, 3) for s in SKILLS if src.integers(0, 3) == 0}
    often = 2 if p.depots else 4
    ticket_parts = ({s: src.integers(1, 2) if p.depots else 1 for s in SKUS
                     if src.integers(0, often) == 0} if p.parts else {})
    pref: tuple[str, ...] = ()
    excl: tuple[str, ...] = ()
    if tech_ids and src.integers(0, 4) == 0:
        pref = (src.sampled_from(tech_ids),)
    if tech_ids and src.integers(0, 6) == 0:
        cand = src.sampled_from(tech_ids)
        if cand not in pref:
            excl = (cand,)
    location = Location.planar(src.coordinate(), src.coordinate())
    minutes = src.integers(10, 120)
    if p.long_jobs and src.integers(0, 3) == 0:
        minutes = src.integers(120, 360)
    window_kind = src.sampled_from(_WINDOW_KINDS)
    demand = src.integers(1, 2) if p.tiny_capacity else src.integers(0, 3)
    return Ticket(
        id=ticket_id, location=location, duration=minutes * MINUTE, required_skills=required,
        windows=windows, window_kind=window_kind, priority=prio, response_by=response_by,
        preferred_technicians=pref, excluded_technicians=excl, parts=ticket_parts,
        demand=demand)


def _depots(src: Source, days: int) -> list[Depot]:
    """One or two depots with stock, optional opening hours and a pickup time."""
    depot_list = []
    for k in range(src.integers(1, 2)):
        hours: tuple[TimeWindow, ...] = ()
        if src.booleans():
            hours = tuple(TimeWindow(_at(src.integers(6 * 60, 10 * 60), d),
                                     _at(src.integers(12 * 60, 18 * 60), d))
                          for d in range(days))
        location = Location.planar(src.coordinate(), src.coordinate())
        depot_stock = {s: src.integers(0, 4) for s in SKUS if src.booleans()}
        depot_list.append(Depot(
            id=f"D{k}", location=location, stock=depot_stock, opening_hours=hours,
            pickup_time=src.sampled_from([0, 5, 15]) * MINUTE))
    return depot_list


def random_day(seed: int, *, exact: bool = False) -> Scenario:
    """A random valid day for fuzzing the solvers, the same for the same ``seed``.

    Drawn by :func:`build_day` from ``numpy.random.default_rng(seed)`` with the
    :data:`STRESS` profile (at most 30 technicians, 30 tickets, two days), or
    with ``exact=True`` the :data:`EXACT` profile (at most 6 technicians,
    12 tickets and 12 routes, within the ``cpsat`` and ``milp`` size limits).
    The same kinds of days as :func:`fsdispatch.testing.strategies.stress_scenarios`.

    Parameters
    ----------
    seed:
        Non-negative int; the day's name is ``"stress-<seed>"`` or ``"exact-<seed>"``.
    exact:
        Draw a day small enough for the exact backends.
    """
    src = NumpySource(np.random.default_rng(seed))
    return build_day(src, EXACT if exact else STRESS,
                     name=f"{'exact' if exact else 'stress'}-{seed}")
