"""numba kernels of the weekly work rules (private): ``Technician.max_weekly_work`` (a hard
cap on a technician's work per calendar week) and ``weekly_overtime_after`` (work beyond
it is weekly overtime, priced by the ``overtime`` weight).

The rule in one place: a route (shift) counts in the week of its start
(:func:`route_week`, the rule of :func:`fsdispatch.problem.rows.route_weeks`); a
technician's work in a week is ``kd.week.done[t, k]`` plus the work (travel + service
and a depot stop's leg: the work of :func:`~fsdispatch.kernels.routes.route_cost`, the
load-balance term's and the KPIs') of its routes in that week. Greedy, ``ls`` and live
dispatch price an insertion through :func:`week_state` once per route and
:func:`week_fits` / :func:`week_extra` per position; ``ls`` checks and prices whole
solutions from its per-route work (:func:`weeks_fit`, :func:`weeks_cost`). Every function
is a no-op when the problem has no weekly rules (``kd.week.start`` empty).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .consts import NONE, ZERO
from .jit import internal, leaf_internal
from .routes import route_cost


@leaf_internal
def route_week(week, t_open):
    """The week of a route opening at ``t_open`` (-1: no weekly rules, or outside the
    weeks compiled)."""
    start = week.start
    for k in range(start.shape[0] - 1):
        if start[k] <= t_open < start[k + 1]:
            return np.int64(k)
    return NONE


@internal
def week_state(kd, st, r):
    """``(k, total)``: the week of route ``r`` and its technician's work in it (work done
    before the horizon plus every route of the technician in week ``k``, ``r`` included,
    as the state has them). ``k = -1``: no weekly rule applies to ``r``."""
    week = kd.week
    if week.start.shape[0] == 0:
        return NONE, ZERO
    k = route_week(week, kd.rt.open[r])
    if k < 0:
        return NONE, ZERO
    t = kd.rt.tech[r]
    total = week.done[t, k]
    for q in range(st.tech_ptr[t], st.tech_ptr[t + 1]):
        if st.length[q] > 0 and route_week(week, kd.rt.open[q]) == k:
            _c, w = route_cost(kd, q, st)
            total += w
    return k, total


@leaf_internal
def week_fits(week, t, k, total, dwork):
    """Whether technician ``t``'s week ``k`` (work ``total``, the work done before the
    horizon included) takes ``dwork`` more seconds of work within its cap (always, for
    ``k < 0``). Work done beyond the cap leaves no room but breaks no rule: the limit is
    ``max(cap, done)``."""
    if k < 0:
        return True
    limit = week.cap[t, k]
    if week.done[t, k] > limit:
        limit = week.done[t, k]
    return total + dwork <= limit


@leaf_internal
def week_extra(week, w_overtime, t, k, total, dwork):
    """The change of the weekly-overtime cost (``w_overtime`` per second) when technician
    ``t``'s work in week ``k`` goes from ``total`` to ``total + dwork``."""
    if k < 0:
        return 0.0
    after = week.after[t, k]
    old = total - after if total > after else ZERO
    new = total + dwork - after if total + dwork > after else ZERO
    return w_overtime * (new - old)


@internal
def _tech_week_totals(kd, rwork, totals):
    """``totals[t, k]``: work done before the horizon plus ``rwork`` of the routes of
    technician ``t`` in week ``k``."""
    week = kd.week
    for t in range(totals.shape[0]):
        for k in range(totals.shape[1]):
            totals[t, k] = week.done[t, k]
    for r in range(rwork.shape[0]):
        if rwork[r] != 0:
            k = route_week(week, kd.rt.open[r])
            if k >= 0:
                totals[kd.rt.tech[r], k] += rwork[r]


@internal
def weeks_fit(kd, rwork):
    """Whether every technician-week's work (routes' work ``rwork``, shape ``(R,)``) is
    within its cap."""
    week = kd.week
    if week.start.shape[0] == 0:
        return True
    totals = np.zeros(week.cap.shape, dtype=np.int64)
    _tech_week_totals(kd, rwork, totals)
    for t in range(totals.shape[0]):
        for k in range(totals.shape[1]):
            if totals[t, k] > week.cap[t, k] and totals[t, k] > week.done[t, k]:
                return False
    return True


@internal
def weeks_cost(kd, rwork):
    """The weekly-overtime cost of a solution whose routes work ``rwork`` seconds: the
    overtime weight × Σ over technician-weeks of the weekly overtime the plan adds,
    ``max(0, done + planned − after) − max(0, done − after)``."""
    week = kd.week
    if week.start.shape[0] == 0:
        return 0.0
    totals = np.zeros(week.cap.shape, dtype=np.int64)
    _tech_week_totals(kd, rwork, totals)
    over = ZERO
    for t in range(totals.shape[0]):
        for k in range(totals.shape[1]):
            after = week.after[t, k]
            if totals[t, k] > after:
                over += totals[t, k] - after
            if week.done[t, k] > after:  # (work done before the horizon is not the plan's)
                over -= week.done[t, k] - after
    return kd.w.overtime * over


@njit(cache=True)
def week_within(kd, st, r):
    """Whether route ``r``'s technician keeps ``max_weekly_work`` in the week of ``r`` as
    the state has it (a check after a change made in several steps)."""
    k, total = week_state(kd, st, r)
    return week_fits(kd.week, kd.rt.tech[r], k, total, ZERO)


@njit(cache=True)
def route_week_work(kd, st, r):
    """:func:`week_state` for Python callers: ``(week, work)`` of route ``r``'s technician
    in the week of ``r`` (``week = -1``: no weekly rule applies)."""
    return week_state(kd, st, r)
