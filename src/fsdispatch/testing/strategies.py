"""Hypothesis strategies generating valid scenarios (public, for backend authors).

The scenarios are small (a person can read them when a property fails) but use
every feature the evaluator knows: skills with levels, parts and van stock,
shifts over one or two days with breaks, tight hard and soft windows, SLA
deadlines, daily caps, capacity, preferences and exclusions.

:func:`scenarios` draws one kind of day chosen by its options (its defaults
are the original small scenarios); :func:`stress_scenarios` mixes every hard
feature per day, as a fuzzer would. Both use the builder of
:mod:`fsdispatch.testing.days`, which also makes the seeded
:func:`~fsdispatch.testing.days.random_day` of the stress run, so a day the
stress run finds and a day hypothesis shrinks are of the same kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

from ..domain import Scenario
from .days import EXACT, STRESS, DayProfile, build_day

__all__ = ["scenarios", "stress_scenarios"]

T = TypeVar("T")

_COORD = st.floats(0, 30, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2))
# hypothesis' floats favour 0, 30 and repeated values (many tickets on one spot); the stress
# days draw coordinates on a 10 m grid instead, spread like the seeded days' uniform ones
_GRID_COORD = st.integers(0, 3000).map(lambda v: v / 100)


class _HypothesisSource:
    """A :class:`~fsdispatch.testing.days.Source` drawing with hypothesis (so it shrinks)."""

    def __init__(self, draw: st.DrawFn, coord: st.SearchStrategy[float] = _COORD) -> None:
        self.draw = draw
        self.coord = coord

    def integers(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def booleans(self) -> bool:
        return self.draw(st.booleans())

    def sampled_from(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def coordinate(self) -> float:
        return self.draw(self.coord)

    def optional_integers(self, lo: int, hi: int) -> int | None:
        return self.draw(st.one_of(st.none(), st.integers(lo, hi)))


@st.composite
def scenarios(draw: st.DrawFn, *, max_technicians: int = 4, max_tickets: int = 10,
              max_days: int = 2, breaks: bool = True, parts: bool = True,
              depots: bool = False, low_caps: bool = False, tiny_capacity: bool = False,
              max_breaks: int = 1, long_jobs: bool = False) -> Scenario:
    """A random valid :class:`~fsdispatch.Scenario` on a planar 30 km square.

    With the defaults: up to 4 technicians (daily cap ``None`` or 1-4,
    capacity ``None`` or 1-6, at most one 15-45 minute break per shift) and
    10 tickets (demand 0-3) over one or two days.

    Parameters
    ----------
    max_technicians, max_tickets, max_days:
        Size bounds. Technicians beyond the sixth are cheap copies of the
        first six (own id, home and daily cap), so ``max_technicians=30``
        stays fast to draw.
    breaks:
        Shifts may have breaks.
    parts:
        Van stock and parts needs.
    depots:
        With ``parts``, one or two parts depots with limited stock (0-4 per
        sku), opening hours (or none) and a pick-up time; tickets need parts
        more often, so that depot stops are worth planning.
    low_caps:
        Every technician's daily cap is 0-3 visits: every route is short.
    tiny_capacity:
        Capacities ``None`` or 0-2 units, and every ticket's demand is 1-2.
    max_breaks:
        ``2``: zero, one or two breaks per shift of 10-120 minutes, in windows
        that are fixed (exactly the break), narrow, wide or run past the
        shift end — breaks that make tickets hard to fit.
    long_jobs:
        A quarter of the tickets last 2-6 hours.
    """
    profile = DayProfile(max_technicians=max_technicians, max_tickets=max_tickets,
                         max_days=max_days, breaks=breaks, parts=parts, depots=depots,
                         low_caps=low_caps, tiny_capacity=tiny_capacity, max_breaks=max_breaks,
                         long_jobs=long_jobs)
    return build_day(_HypothesisSource(draw), profile)


@st.composite
def stress_scenarios(draw: st.DrawFn, *, exact: bool = False) -> Scenario:
    """Valid days that mix every hard feature, as a fuzzer would.

    Per day it draws whether daily caps are low (0-3), capacities tiny (0-2
    against demands of 1-2), there are parts depots with limited stock, some
    jobs are long (2-6 h), and whether there are many technicians (7-30,
    else 0-6); every shift has zero to two breaks in fixed, narrow, wide or
    past-the-end windows; some shifts end away from home; up to 30 tickets
    (at least 15 on a busy day) over one or two days, on a 10 m grid. With
    ``exact=True`` the days fit the exact backends (at most 6 technicians,
    12 tickets, 12 routes).

    The same kinds of days as :func:`fsdispatch.testing.days.random_day`.
    """
    return build_day(_HypothesisSource(draw, _GRID_COORD), EXACT if exact else STRESS,
                     name="stress")
