"""The live refresh's reachability rows: which are redone, and how long each stays exact
(private; see ``live._kernels.reach_rows``).

An idle technician's route starts "now", so its start moves with the clock at
every event. Since a later start never reaches more tickets, a route whose start
only moved later (same place, breaks, resources, no certification) is rechecked
over its reachable tickets alone, and a row probed to stay the same up to a time
(``FastState.until``) is not redone until its start passes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..problem.problem import NO_DEADLINE
from ..problem.rows import route_certified

_I64 = np.int64

REACH_AHEAD = (60, 600, 1800)
"""Look-ahead (seconds) of a redone reach row, ``(least, first, most)``: how long it is
probed to stay the same while the route's start only moves later (see
``live._kernels.reach_rows``). It doubles while most probes hold and halves while most
fail; at the least, probes stop while under a quarter hold (re-tried every 16 refreshes)."""


def redo_reach(fs: Any, data: Any, pre: np.ndarray, reach: np.ndarray,
               redo: np.ndarray, later: np.ndarray, until: np.ndarray, *,
               look_ahead: bool = True) -> None:
    """Recompute the reachability rows ``redo`` of ``reach`` (``later``: rows that only start
    later, rechecked) and their ``until``, in place. ``look_ahead=False``: no probes (each
    row is exact at its start only, ``until`` its start: a position ping's row, redone by
    the next refresh that moves its start)."""
    if not redo.shape[0]:
        return
    if not reach.shape[1]:
        until[redo] = data.rt.open[redo]
        return
    from ..kernels.structs import frozen, frozen_group
    from ._kernels import reach_rows

    least, _first, most = REACH_AHEAD
    if look_ahead:
        fs.refreshes += 1
    probe = look_ahead and (fs.ahead > least or fs.probe_rate >= 0.25 or
                            fs.refreshes % 16 == 0)
    # the groups and arrays as compile's reachability passes them (one signature)
    held = reach_rows(frozen_group(data.tv, "tv"), frozen_group(data.win, "win"),
                      frozen_group(data.brk, "brk"), frozen_group(data.rt, "rt"),
                      frozen(data.tech.service, np.int32, 2), frozen(pre, np.int8, 2),
                      frozen(data.res.demand, _I64, 1), frozen(data.ticket_node, _I64, 1),
                      redo, later, reach, fs.travel_memo(data.tv.node_row.shape[0]),
                      fs.ahead if probe else 0, until)
    if probe:
        rate = held / redo.shape[0]
        fs.probe_rate = 0.5 * fs.probe_rate + 0.5 * rate
        if rate > 0.75:
            fs.ahead = min(2 * fs.ahead, most)
        elif rate < 0.4:
            fs.ahead = max(fs.ahead // 2, least)
    if data.tech.cert_end.shape[1]:  # certifications count on their days only (problem/rows)
        ok = route_certified(data.rt.tech[redo], data.rt.open[redo], data.tech.cert_end,
                             data.cost.skill_col)
        rows_ = reach[redo]
        rows_[~ok] = 0
        reach[redo] = rows_


_RT_SAME = ("tech", "start_node", "end_node", "close", "max_close", "capacity")


def later_start_only(old_rt: Any, rt: Any, old_r: np.ndarray, slots: Any,
                     live_slots: np.ndarray, b_changed: np.ndarray, res_route: np.ndarray,
                     cert_end: np.ndarray) -> np.ndarray:
    """Per new route: only its start moved, later (same place, end, day cap, breaks and
    resources, no certification), so its reach row can only lose tickets (and is exact
    up to ``until``)."""
    ok = (rt.open >= old_rt.open[old_r]) & ~res_route
    if cert_end.shape[1]:  # a certification may lapse at a later start: always redone
        certified: np.ndarray = np.any(cert_end < NO_DEADLINE, axis=1)
        ok &= ~certified[rt.tech]
    for name in _RT_SAME:
        ok &= getattr(rt, name) == getattr(old_rt, name)[old_r]
    ok &= rt.group_cap[rt.group] == old_rt.group_cap[old_rt.group[old_r]]
    if b_changed.any():
        moved = np.zeros(slots.tech.shape[0], dtype=np.bool_)
        moved[slots.b_slot[b_changed]] = True
        ok &= ~moved[live_slots]
    return ok


def keep_until(fs: Any, kd: Any, n0: int) -> None:
    """Lower ``fs.until`` where the new columns ``n0..`` of ``fs.reach`` (filled from the
    routes' starts) would not stay the same up to it."""
    from ..kernels.structs import frozen, frozen_group
    from ._kernels import reach_cols_until

    until = fs.until.copy()
    reach_cols_until(frozen_group(kd.tv, "tv"), frozen_group(kd.win, "win"),
                     frozen_group(kd.brk, "brk"), frozen_group(kd.rt, "rt"),
                     frozen(kd.tech.service, np.int32, 2), frozen(fs.pre, np.int8, 2),
                     frozen(kd.res.demand, _I64, 1), frozen(kd.ticket_node, _I64, 1),
                     fs.reach, fs.travel_memo(kd.tv.node_row.shape[0]), until, n0)
    fs.until = until
