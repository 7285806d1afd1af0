"""Settling a stream of position pings (private to :mod:`fsdispatch.live.live_problem`).

A ping on an idle technician moves where their shift under way starts, and
nothing else: not the plan's clock (a ping defers its refresh at the clock of
the last one), not the tickets, breaks, capacities or van stock. When only
pings were deferred since the last refresh, :func:`settle` derives the live
problem from the current one with just what they change:

* the pinged routes' start node (and start) in the route arrays (a new travel
  node for a new place, as the general refresh);
* those routes' reachability rows (the live refresh's kernel), and what the
  matrix implies (compatibility, routes per ticket, unservable reasons) only
  for the ticket columns whose reachability flipped (``routes_and_reasons_at``,
  the one rule); every other array is shared with the current problem;
* the plan re-laid with the live re-laying kernel (only the pinged technicians'
  routes are laid again, the others keep their caches);
* unassigned reasons only for the tickets dropped and the columns that flipped;
  the lifecycle only for the pinged routes' tickets (a ping moves no other).

Anything else deferred with the pings (a technician event, a new ticket, the
clock, a ping that changes more than a route's start) returns ``False``: the
general refresh (:func:`fsdispatch.live._fast.refresh`) runs instead. The
result equals a rebuild (a property test holds it).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..plan import UnassignedReason
from ..problem.extend import (
    LazyProblem,
    context_nodes,
    derive_context,
    grow_node,
    live_tickets,
    static_scenario,
)
from ..problem.reasons import routes_and_reasons_at
from . import _reach, _relay
from ._fast import _NONE4, _absent_mask, _context_cap, build_techs, route_model

if TYPE_CHECKING:
    from .live_problem import LivePlan

_I64 = np.int64


def _pinged(d: LivePlan, fs: Any) -> list[int] | None:
    """The technicians (positions) changed since the last refresh, if only pings can have
    changed them (idle, resources as they were, no absence or break taken since); else
    ``None``."""
    state = d.state
    if fs.problem is not d.problem or len(state.breaks_taken) != len(fs.taken):
        return None
    if (tuple(sorted(state.absent.items(), key=lambda kv: kv[0])) if state.absent else ()) \
            != fs.absent_key:
        return None
    tpos, techs = fs.slots.tech_pos, fs.slots.techs
    out = []
    for t, v in state.tver.items():
        if fs.versions.get(t, 0) == v:
            continue
        ti = tpos[t]
        if t in state.current or state.resources(techs[ti]) != fs.res.get(ti, _NONE4):
            return None
        out.append(ti)
    return out


def _model(d: LivePlan, fs: Any, techs: list[int], prev: Any) -> tuple[Any, Any, Any]:
    """``_fast._slot_model`` for pings: the pinged places of shifts under way get their
    travel nodes first, so the route model is derived once. ``None`` (no model) if a place
    still lacks a node."""
    problem, slots, state = fs.problem, fs.slots, d.state
    node_of, tv = context_nodes(problem), problem.data.tv
    grown = False
    for ti in techs:
        where = state.last_pos.get(slots.tech_ids[ti])
        if where is None or where in node_of or \
                not any(prev.live[s] and prev.under[s] for s in slots.tech_slots[ti]):
            continue
        if not grown:
            node_of, grown = dict(node_of), True
        tv, node_of[where] = grow_node(tv, static_scenario(problem), where)
    absent = _absent_mask(d, slots) if state.absent else \
        np.zeros(slots.tech.shape[0], dtype=np.bool_)
    m, missing = route_model(d, slots, absent, fs.taken_mask, node_of, fs.techpos,
                             fs.base_nodes)
    return (None if missing else m), tv, node_of


def settle(d: LivePlan, pending: tuple[Any, ...]) -> bool:
    """Settle a deferred refresh of pings only (``pending``: ``LivePlan.pending``);
    ``False`` (nothing changed) when the general refresh must run."""
    fs = d.fast
    gone, _clock, before = pending
    if gone or fs is None or not d.incremental or d.st is None:
        return False
    techs = _pinged(d, fs)
    if techs is None:
        return False
    problem, slots = fs.problem, fs.slots
    kd = problem.data
    prev = fs.model
    m, tv, node_of = _model(d, fs, techs, prev)
    if m is None or not (np.array_equal(m.live, prev.live) and np.array_equal(m.under, prev.under)
            and np.array_equal(m.keep_b, prev.keep_b)):
        d.fast = None  # (not from pings alone; the positions are looked up: recompile)
        return False
    changed = np.flatnonzero((m.open != prev.open) | (m.start_node != prev.start_node))
    mine = np.zeros(len(slots.tech_ids), dtype=np.bool_)
    mine[techs] = True
    if not mine[slots.tech[changed]].all():
        d.fast = None  # pragma: no cover - another start moved: recompile
        return False
    route_slots = fs.route_slots
    route_of_slot = np.full(slots.tech.shape[0], -1, dtype=_I64)
    route_of_slot[route_slots] = np.arange(route_slots.shape[0])
    redo = np.sort(route_of_slot[changed])
    rt = kd.rt
    if redo.shape[0]:
        rt = rt._replace(start_node=m.start_node[route_slots], open=m.open[route_slots])
        rt.start_node.setflags(write=False)
        rt.open.setflags(write=False)
    data = kd._replace(tv=tv, rt=rt)
    # reachability of the pinged routes (in place), and what flipped
    reach, until = fs.reach, fs.until.copy()
    rows_before = reach[redo]
    # (no look-ahead probe: the next refresh that moves the route's start redoes the row)
    _reach.redo_reach(fs, data, fs.pre, reach, redo, np.zeros(redo.shape[0], np.bool_), until,
                      look_ahead=False)
    cols = np.flatnonzero(np.any(reach[redo] != rows_before, axis=0))
    compat, t_ptr, t_routes, unservable = routes_and_reasons_at(
        reach, rt.tech, fs.pre, fs.outside, (problem.compatible, problem.ticket_routes_ptr,
                                             problem.ticket_routes, problem.unservable), cols)
    if compat is not problem.compatible:
        data = data._replace(tech=kd.tech._replace(compat=compat))
    new = LazyProblem.create(static_scenario(problem), live_tickets(problem),
                             functools.partial(build_techs, slots, m, fs.res),
                             index=problem.index, data=data, compatible=compat,
                             ticket_routes_ptr=t_ptr, ticket_routes=t_routes,
                             unservable=unservable, compile_time=problem.compile_time)
    derive_context(new, problem, node_of=node_of, tech_cap=_context_cap(problem))
    # the plan: the pinged technicians' routes laid again
    r_tech = rt.tech
    bad = mine[r_tech]
    moved_r = np.flatnonzero(bad).tolist()
    was = _planned(d, d.st, kd, moved_r)
    all_r = np.arange(problem.num_routes)
    order = np.arange(problem.num_tickets)
    ptr, visits, same = _relay.kept_plan(d, fs, problem, all_r, order, bad)
    # (the technicians whose compatibility may have changed: the pinged ones)
    fs.pending = (all_r, same, r_tech, kd, d.st, np.array(sorted(set(techs)), dtype=_I64))
    st, kept_mask = _relay.lay(d, new, ptr, visits)
    fs.problem, fs.model, fs.until = new, m, until
    fs.versions = dict(d.state.tver)
    d.problem, d.st = new, st
    d.clock = d.state.now
    routed = np.zeros(new.num_tickets, dtype=np.bool_)
    routed[visits[kept_mask]] = True
    _reasons(d, new, visits[~kept_mask], cols, routed)
    _sync(d, before, was, moved_r)
    return True


def _reasons(d: LivePlan, problem: Any, dropped: np.ndarray, cols: np.ndarray,
             routed: np.ndarray) -> None:
    """Unassigned reasons after the re-lay (``LivePlan._adopt``'s precedence: the old
    reason, ``open`` when dropped, the unservable reason last) for the tickets that can
    have changed: those dropped and the columns whose reachability flipped."""
    uns = problem.unservable
    if dropped.shape[0] or np.any(uns[cols] != 0):
        ids = problem.index.ticket_ids
        reasons = dict(d.reasons)
        for j in dropped.tolist():
            reasons[ids[j]] = UnassignedReason.OPEN
        look = np.union1d(dropped, cols).astype(_I64)
        for j in look[~routed[look] & (uns[look] != 0)].tolist():
            reasons[ids[j]] = UnassignedReason.from_code(int(uns[j]))
        d.reasons = reasons
    d.changed()


def _planned(d: LivePlan, st: Any, kd: Any, routes: list[int]) -> list[tuple[int, int, int]]:
    """``(ticket column, route, planned start)`` of every visit of ``routes`` in ``st`` (the
    starts ``LivePlan.starts`` reads: each visit's end less its service)."""
    out = []
    for r in routes:
        t_idx = int(kd.rt.tech[r])
        ends = st.free_t[r, :int(st.length[r])].tolist()
        for j, end in zip(st.seq[r, :len(ends)].tolist(), ends, strict=True):
            out.append((j, r, end - int(kd.tech.service[t_idx, j])))
    return out


def _sync(d: LivePlan, before: Mapping[str, tuple[str, int]],
          was: list[tuple[int, int, int]], moved_r: list[int]) -> None:
    """The lifecycle after the re-lay: only the pinged routes' tickets can have changed
    (``was``: their visits before); with planned tickets still waiting for their
    transition, the general sync runs. The plan's start arrays (``LivePlan.starts``) are
    those before with the pinged routes' visits patched."""
    cols = d.waiting_columns()
    arrays = getattr(before, "_arrays", None)  # (a lazy snapshot: the plan's start arrays)
    if arrays is None or (cols.shape[0] and bool(np.any(arrays[1][cols] >= 0))):
        d.sync_lifecycle(before, "dispatcher")  # planned tickets wait for their transition
        return
    now = _planned(d, d.st, d.problem.data, moved_r)
    if now == was:
        d.cache["starts"] = (arrays[0], arrays[1])
        return
    starts, routes = arrays[0].copy(), arrays[1].copy()
    for j, _r, _s in was:
        starts[j] = routes[j] = -1
    for j, r, s in now:
        starts[j], routes[j] = s, r
    d.cache["starts"] = (starts, routes)
    ids, keys = d.problem.index.ticket_ids, d.route_key
    old = {j: (keys[r][0], s) for j, r, s in was}
    for j, r, s in sorted(now):  # (in ticket order, as the general sync)
        d.sync_one(ids[j], old.get(j), (keys[r][0], s), "dispatcher")
    kept = {j for j, _r, _s in now}
    gone = [ids[j] for j in sorted(old) if j not in kept]
    d.sync_dropped(gone, None, "dispatcher")
