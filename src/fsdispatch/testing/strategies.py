"""Hypothesis strategies generating valid scenarios (public, for backend authors).

The scenarios are small (a person can read them when a property fails) but use
every feature the evaluator knows: skills with levels, parts and van stock,
shifts over one or two days with breaks, tight hard and soft windows, SLA
deadlines, daily caps, capacity, preferences and exclusions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

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

__all__ = ["scenarios"]

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)
SKILLS = ("hvac", "gas", "electric")
SKUS = ("P1", "P2", "P3")


def _at(minutes: int, day: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, minutes=minutes)


@st.composite
def scenarios(draw: st.DrawFn, *, max_technicians: int = 4, max_tickets: int = 10,
              max_days: int = 2, breaks: bool = True, parts: bool = True,
              depots: bool = False) -> Scenario:
    """A random valid :class:`~fsdispatch.Scenario` on a planar 30 km square.

    With ``depots=True`` (and ``parts``) it also has one or two parts depots
    with limited stock, opening hours (or none) and a pick-up time, and tickets
    need parts more often, so that depot stops are worth planning.
    """
    days = draw(st.integers(1, max_days))
    horizon = Horizon(DAY0, DAY0 + timedelta(days=days))
    coord = st.floats(0, 30, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2))
    num_techs = draw(st.integers(0, max_technicians))
    techs = []
    for t in range(num_techs):
        home = Location.planar(draw(coord), draw(coord))
        shifts = []
        for d in range(days):
            if days > 1 and not draw(st.booleans()):
                continue
            begin = draw(st.integers(6 * 60, 9 * 60))
            length = draw(st.integers(4 * 60, 10 * 60))
            brks: tuple[Break, ...] = ()
            if breaks and draw(st.booleans()):
                b0 = begin + draw(st.integers(60, max(60, length - 90)))
                span = draw(st.integers(30, 150))
                dur = draw(st.integers(15, min(45, span)))
                brks = (Break(TimeWindow(_at(b0, d), _at(b0 + span, d)), dur * MINUTE),)
            shifts.append(Shift(_at(begin, d), _at(begin + length, d), breaks=brks))
        skills = {s: draw(st.integers(1, 3)) for s in SKILLS if draw(st.booleans())}
        stock = ({s: draw(st.integers(0, 2)) for s in SKUS if draw(st.booleans())}
                 if parts else {})
        techs.append(Technician(
            id=f"tech{t}", start_location=home, shifts=tuple(shifts), skills=skills,
            service_factor=draw(st.sampled_from([0.8, 1.0, 1.25])),
            max_tickets_per_day=draw(st.one_of(st.none(), st.integers(1, 4))),
            max_overtime=draw(st.sampled_from([0, 0, 30 * MINUTE])),
            van_stock=stock,
            capacity=draw(st.one_of(st.none(), st.integers(1, 6)))))
    tech_ids = [t.id for t in techs]
    num_tickets = draw(st.integers(0, max_tickets))
    tickets = []
    for i in range(num_tickets):
        d = draw(st.integers(0, days - 1))
        windows: tuple[TimeWindow, ...] = ()
        kind = draw(st.sampled_from(["none", "wide", "tight", "two"]))
        if kind == "wide":
            s0 = draw(st.integers(7 * 60, 13 * 60))
            windows = (TimeWindow(_at(s0, d), _at(s0 + 240, d)),)
        elif kind == "tight":
            s0 = draw(st.integers(7 * 60, 16 * 60))
            windows = (TimeWindow(_at(s0, d), _at(s0 + draw(st.integers(0, 45)), d)),)
        elif kind == "two":
            s0 = draw(st.integers(7 * 60, 10 * 60))
            windows = (TimeWindow(_at(s0, d), _at(s0 + 60, d)),
                       TimeWindow(_at(s0 + 300, d), _at(s0 + 360, d)))
        prio = draw(st.sampled_from(list(Priority)))
        response_by = _at(draw(st.integers(8 * 60, 20 * 60)), d) if draw(st.booleans()) \
            else None
        required = {s: draw(st.integers(1, 3)) for s in SKILLS
                    if draw(st.integers(0, 3)) == 0}
        often = 2 if depots else 4
        ticket_parts = ({s: draw(st.integers(1, 2)) if depots else 1 for s in SKUS
                         if draw(st.integers(0, often)) == 0} if parts else {})
        pref: tuple[str, ...] = ()
        excl: tuple[str, ...] = ()
        if tech_ids and draw(st.integers(0, 4)) == 0:
            pref = (draw(st.sampled_from(tech_ids)),)
        if tech_ids and draw(st.integers(0, 6)) == 0:
            cand = draw(st.sampled_from(tech_ids))
            if cand not in pref:
                excl = (cand,)
        tickets.append(Ticket(
            id=f"T{i}", location=Location.planar(draw(coord), draw(coord)),
            duration=draw(st.integers(10, 120)) * MINUTE, required_skills=required,
            windows=windows, window_kind=draw(st.sampled_from(["hard", "hard", "soft"])),
            priority=prio, response_by=response_by, preferred_technicians=pref,
            excluded_technicians=excl, parts=ticket_parts,
            demand=draw(st.integers(0, 3))))
    depot_list = []
    if depots and parts:
        for k in range(draw(st.integers(1, 2))):
            hours: tuple[TimeWindow, ...] = ()
            if draw(st.booleans()):
                hours = tuple(TimeWindow(_at(draw(st.integers(6 * 60, 10 * 60)), d),
                                         _at(draw(st.integers(12 * 60, 18 * 60)), d))
                              for d in range(days))
            depot_list.append(Depot(
                id=f"D{k}", location=Location.planar(draw(coord), draw(coord)),
                stock={s: draw(st.integers(0, 4)) for s in SKUS if draw(st.booleans())},
                opening_hours=hours, pickup_time=draw(st.sampled_from([0, 5, 15])) * MINUTE))
    return Scenario(horizon=horizon, technicians=tuple(techs), tickets=tuple(tickets),
                    travel=GeometricTravel(speed_kmh=draw(st.sampled_from([30.0, 50.0])),
                                           detour=1.2), name="hypothesis",
                    depots=tuple(depot_list))
