"""Incremental refresh of the live problem (private to :mod:`fsdispatch.live.dispatcher`).

A technician event (leaving for a job, arriving, finishing, an overrun, the
clock moving) changes few things in the live problem: the tickets that left
the open set, and each technician's *remaining day* — where and when the
shift under way starts (``max(now, end of the job in progress)``), which
breaks are still ahead, what capacity, day cap and van stock are left.
Recompiling the whole scenario for that costs ~20 ms; this module derives the
same problem from the previous one instead:

* ticket columns that left are dropped from every per-ticket array;
* route arrays are recomputed from per-shift integers for all shifts at once
  (numpy, no domain objects), and only the technicians whose remaining day
  changed get a new live :class:`~fsdispatch.Technician` (no re-validation:
  the fields are the validated ones);
* reachability (which shifts can serve which ticket alone) is recomputed only
  for the routes whose start, breaks or resources changed, then compatibility
  codes, the route lists and unservable reasons follow with the compiler's rules;
* the plan is re-laid on the new problem with the same kernel as a full rebuild.

Node and part numbering are append-only (a ticket that leaves keeps its node),
so they can differ from a fresh compile; every other array is equal, which a
property test checks against :meth:`LivePlan.rebuild`.
"""

from __future__ import annotations

import copy
import functools
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..domain.location import Location
from ..domain.technician import Shift, Technician
from ..problem.extend import (
    LazyProblem,
    context_nodes,
    derive_context,
    grow_node,
    live_tickets,
    static_scenario,
)
from ..problem.problem import NO_DEADLINE, Incompatibility, IndexMap, Problem
from ..problem.reasons import routes_and_reasons, routes_and_reasons_at
from ..problem.rows import resource_codes
from . import _reach
from ._relay import NO_TECHS, kept_plan

if TYPE_CHECKING:
    from .live_problem import LivePlan

_US = timedelta(microseconds=1)
_MIN_LEN_US = 60 * 1_000_000  # a remaining shift of at most a minute is over
_I64 = np.int64
#: reachability matrices of at least this many cells derive routes per ticket only for the
#: columns that changed (spliced into the previous CSR); smaller ones whole (it is cheaper)
_SPLICE_CELLS = 100_000
_MEMO_NODES = 2048  # travel-time memo of the refresh: at most 2048² int32 (16 MB)
_NEW = object.__new__
_SET = object.__setattr__
_TECH_FIELDS = tuple(a.name for a in attrs.fields(Technician))
_SHIFT_FIELDS = tuple(a.name for a in attrs.fields(Shift))


def _clone(obj: Any, fields: tuple[str, ...], changes: dict[str, Any]) -> Any:
    """A copy of a validated frozen attrs object with some fields replaced (not re-validated)."""
    new = _NEW(type(obj))
    for name in fields:
        _SET(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


class Slots:
    """Every shift of every technician as integers (built once per dispatcher).

    A *slot* is one (technician, shift number); a live route is a slot still
    ahead. Times are microseconds from the horizon start (exact comparisons
    with datetimes) and int seconds (the compiled values).
    """

    def __init__(self, d: LivePlan) -> None:
        hz = d.scenario.horizon
        origin = hz.start
        tz = origin.tzinfo
        to_int = hz.to_internal
        techs = list(d.state.techs.values())
        self.tech_ids = [t.id for t in techs]
        self.tech_pos = {t: k for k, t in enumerate(self.tech_ids)}
        self.techs = techs
        tech_of: list[int] = []
        num: list[int] = []
        s0_us: list[int] = []
        s1_us: list[int] = []
        s0_i: list[int] = []
        s1_i: list[int] = []
        max_close: list[int] = []
        next_mid: list[int] = []
        group: list[int] = []
        self.start_loc: list[Location] = []
        self.end_loc: list[Location] = []
        self.shifts: list[Shift] = []
        b_slot: list[int] = []
        b_num: list[int] = []
        b_earliest: list[int] = []
        b_latest: list[int] = []
        b_dur: list[int] = []
        b_latest_us: list[int] = []
        group_of: dict[tuple[int, Any], int] = {}
        for ti, tech in enumerate(techs):
            for k, sh in enumerate(tech.shifts):
                slot = len(tech_of)
                tech_of.append(ti)
                num.append(k)
                s0_us.append((sh.start - origin) // _US)
                s1_us.append((sh.end - origin) // _US)
                s0_i.append(to_int(sh.start))
                s1_i.append(to_int(sh.end))
                max_close.append(to_int(sh.end) + tech.max_overtime)
                day = sh.start.astimezone(tz).date()
                midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
                next_mid.append((midnight - origin) // _US)
                group.append(group_of.setdefault((ti, day), len(group_of)))
                self.start_loc.append(tech.shift_start_location(sh))
                self.end_loc.append(tech.shift_end_location(sh))
                self.shifts.append(sh)
                for b, brk in enumerate(sh.breaks):
                    b_slot.append(slot)
                    b_num.append(b)
                    b_earliest.append(to_int(brk.window.start))
                    b_latest.append(to_int(brk.window.end) - brk.duration)
                    b_dur.append(brk.duration)
                    b_latest_us.append((brk.window.end - origin) // _US
                                       - brk.duration * 1_000_000)
        self.tech = np.array(tech_of, dtype=_I64)
        self.num = num
        self.s0_us = np.array(s0_us, dtype=_I64)
        self.s1_us = np.array(s1_us, dtype=_I64)
        self.s0_i = np.array(s0_i, dtype=_I64)
        self.s1_i = np.array(s1_i, dtype=_I64)
        self.max_close = np.array(max_close, dtype=_I64)
        self.next_mid_us = np.array(next_mid, dtype=_I64)
        self.group = np.array(group, dtype=_I64)
        self.b_slot = np.array(b_slot, dtype=_I64)
        self.b_num = np.array(b_num, dtype=_I64)
        self.b_earliest = np.array(b_earliest, dtype=_I64)
        self.b_latest = np.array(b_latest, dtype=_I64)
        self.b_dur = np.array(b_dur, dtype=_I64)
        self.b_latest_us = np.array(b_latest_us, dtype=_I64)
        self.tech_slots: list[list[int]] = [[] for _ in techs]
        for slot, ti in enumerate(tech_of):
            self.tech_slots[ti].append(slot)
        self.slot_breaks: list[list[int]] = [[] for _ in tech_of]
        for q, slot in enumerate(b_slot):
            self.slot_breaks[slot].append(q)
        # id of a datetime -> (it, µs from the horizon start): a cache of route_model
        self.us_of: dict[int, tuple[datetime, int]] = {}
        self.slot_of = {(self.tech_ids[t], k): s for s, (t, k) in enumerate(zip(tech_of, num,
                                                                               strict=True))}


class RouteModel:
    """The remaining day of every slot at one moment (what a rebuild would compile)."""

    __slots__ = ("avail", "busy_dt", "busy_us", "keep_b", "live", "loc", "now", "now_us",
                 "open", "sa", "start_node", "under")

    avail: np.ndarray  # (T,) µs each technician is free
    sa: np.ndarray  # (K,) avail of the slot's technician
    live: np.ndarray  # (K,) bool: shift still ahead
    under: np.ndarray  # (K,) bool: shift under way (starts at avail, from where the tech is)
    open: np.ndarray  # (K,) int seconds: compiled shift start
    start_node: np.ndarray  # (K,) node of the start location (-1 where not live)
    keep_b: np.ndarray  # (B,) bool: break kept
    busy_us: np.ndarray  # (T,) µs each technician's job or break ends (TechPos, as it was)
    busy_dt: list[datetime | None]
    loc: list[Location | None]  # where each technician is (None: not known to the desk)
    now: datetime  # the clock
    now_us: int

    def free_at(self, ti: int) -> datetime:
        """When technician ``ti`` is free (the clock, or the end of the job or break)."""
        end = self.busy_dt[ti]
        if end is not None and self.busy_us[ti] > self.now_us:
            return end
        return self.now


class TechPos:
    """Per technician: where they are and until when they are busy (job or break).

    Follows the dispatcher's ``_relocated`` set: only technicians that moved since
    are looked up again. Updates make new arrays (a :class:`RouteModel` holds
    the old ones).
    """

    def __init__(self, num_techs: int) -> None:
        self.busy_us = np.full(num_techs, np.iinfo(np.int64).min, dtype=_I64)
        self.busy_dt: list[datetime | None] = [None] * num_techs
        self.loc: list[Location | None] = [None] * num_techs
        self.node = np.full(num_techs, -1, dtype=_I64)
        self.placed = np.zeros(num_techs, dtype=np.bool_)  # loc is known

    def update(self, d: LivePlan, slots: Slots, techs: Any,
               node_of: dict[Location, int]) -> None:
        """Look up the technicians ``techs`` (ids) again."""
        origin = d.scenario.horizon.start
        busy_us, busy_dt = self.busy_us.copy(), list(self.busy_dt)
        loc, node, placed = list(self.loc), self.node.copy(), self.placed.copy()
        tpos = slots.tech_pos
        for tech_id in techs:
            ti = tpos[tech_id]
            end: datetime | None = None
            where = d.state.last_pos.get(tech_id)
            cur = d.state.current.get(tech_id)
            if cur is not None:
                job = d.state.jobs[cur]
                where = job.location
                end = job.expected_end
            brk_end = d.state.busy_until.get(tech_id)
            if brk_end is not None and (end is None or brk_end > end):
                end = brk_end
            busy_dt[ti] = end
            busy_us[ti] = np.iinfo(np.int64).min if end is None else (end - origin) // _US
            loc[ti] = where
            placed[ti] = where is not None
            node[ti] = -1 if where is None else node_of.get(where, -1)
        self.busy_us, self.busy_dt, self.loc = busy_us, busy_dt, loc
        self.node, self.placed = node, placed


class FastState:
    """What the refresh needs besides the problem: aux arrays aligned with it."""

    def __init__(self, problem: Problem, slots: Slots, model: RouteModel,
                 route_slots: np.ndarray, taken: frozenset[tuple[str, int, int]],
                 versions: dict[str, int], absent_key: Any) -> None:
        self.problem = problem
        self.slots = slots
        self.model = model
        self.route_slots = route_slots  # (R,) slot of each route
        self.taken = taken
        self.versions = dict(versions)
        self.absent_key = absent_key
        kd = problem.data
        compat = problem.compatible
        self.pre = np.where(compat == Incompatibility.SHIFT, np.int8(0), compat).astype(np.int8)
        n = problem.num_tickets
        self.reach = np.zeros((problem.num_routes, n), dtype=np.uint8)
        counts = np.diff(problem.ticket_routes_ptr)
        self.reach[problem.ticket_routes, np.repeat(np.arange(n), counts)] = 1
        # per route: the latest start up to which its reach row stays exact (reach_rows)
        self.until = kd.rt.open.astype(_I64)
        self.probe_rate = 1.0  # share of the recent look-ahead probes that held
        self.ahead = _reach.REACH_AHEAD[1]  # the look-ahead of the next probes (seconds)
        self.refreshes = 0
        self.outside = _outside(kd, static_scenario(problem).horizon.length)
        self.excl = np.zeros((len(slots.tech_ids), n), dtype=np.bool_)
        for j, ticket in enumerate(live_tickets(problem)):
            for t in ticket.excluded_technicians:
                self.excl[slots.tech_pos[t], j] = True
        self.techpos = TechPos(len(slots.tech_ids))
        # (recent workload, cost per hour) of the live technicians, for the evaluator
        self.tech_cols: tuple[np.ndarray, np.ndarray] | None = None
        # travel seconds between nodes (-1: not yet known); node numbers only grow
        self.tt = np.full((0, 0), -1, dtype=np.int32)
        self.res: dict[int, tuple[Any, ...]] = {}  # technician -> live resources (if changed)
        self.taken_mask = np.zeros(slots.b_slot.shape[0], dtype=np.bool_)
        self.base_nodes = np.zeros(0, dtype=_I64)  # node of each slot's planned start
        self.rank = np.zeros(0, dtype=_I64)  # registration rank of each ticket column
        # the plan as last laid (routes and tickets of ``problem``): seq rows and lengths
        self.laid_seq = np.zeros((0, 1), dtype=_I64)
        self.laid_len = np.zeros(0, dtype=_I64)
        # set by refresh for lay(): (old route of each new route, route-level copy flag,
        # technician of each new route, the old problem's data, the old state)
        self.pending: tuple[Any, ...] | None = None

    def travel_memo(self, num_nodes: int) -> np.ndarray:
        """The travel-time memo, grown (with room) to cover ``num_nodes`` nodes (at most
        :data:`_MEMO_NODES`: beyond, nodes are not memoised)."""
        tt = self.tt
        if tt.shape[0] < num_nodes and tt.shape[0] < _MEMO_NODES:
            size = min(max(num_nodes, 2 * tt.shape[0], 64), _MEMO_NODES)
            grown = np.full((size, size), -1, dtype=np.int32)
            grown[:tt.shape[0], :tt.shape[0]] = tt
            self.tt = tt = grown
        return tt

    def catch_up(self, problem: Problem, reg_rank: dict[str, int]) -> bool:
        """Follow tickets appended to the problem since (``append_ticket``); False if not that."""
        old = self.problem
        if problem is old:
            return True
        n0, n1 = old.num_tickets, problem.num_tickets
        if n1 < n0 or problem.index.routes != old.index.routes or \
                problem.index.ticket_ids[:n0] != old.index.ticket_ids:
            return False
        kd = problem.data
        compat = problem.compatible[:, n0:]
        self.pre = np.concatenate(
            [self.pre, np.where(compat == Incompatibility.SHIFT, np.int8(0), compat)], axis=1)
        reach = np.zeros((problem.num_routes, n1 - n0), dtype=np.uint8)
        ptr = problem.ticket_routes_ptr
        for j in range(n0, n1):
            reach[problem.ticket_routes[ptr[j]:ptr[j + 1]], j - n0] = 1
        self.reach = np.concatenate([self.reach, reach], axis=1)
        if n1 > n0 and np.any(self.until > kd.rt.open):
            self.keep_until(kd, n0)
        self.outside = np.concatenate(
            [self.outside, _outside(kd, static_scenario(problem).horizon.length)[n0:]])
        excl = np.zeros((self.excl.shape[0], n1 - n0), dtype=np.bool_)
        for j, ticket in enumerate(live_tickets(problem)[n0:]):
            for t in ticket.excluded_technicians:
                excl[self.slots.tech_pos[t], j] = True
        self.excl = np.concatenate([self.excl, excl], axis=1)
        self.rank = np.concatenate([self.rank, np.array(
            [reg_rank[t] for t in problem.index.ticket_ids[n0:]], dtype=_I64)])
        self.problem = problem
        return True


    def keep_until(self, kd: Any, n0: int) -> None:
        """Lower ``until`` where the new columns ``n0..`` (filled from the routes' starts)
        would not stay the same up to it (:func:`fsdispatch.live._reach.keep_until`)."""
        _reach.keep_until(self, kd, n0)


def _outside(kd: Any, hlen: int) -> np.ndarray:
    """Per ticket: every window ends before the horizon or starts after it (the compiler's flag)."""
    win = kd.win
    n = kd.ticket_node.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    first = win.start[win.ptr[:-1]]
    last = win.end[win.ptr[1:] - 1]
    return (last < 0) | (first > hlen)


def route_model(d: LivePlan, slots: Slots, absent: np.ndarray, taken: np.ndarray,
                node_of: dict[Location, int], tp: TechPos, base_nodes: np.ndarray,
                ) -> tuple[RouteModel, list[Location]]:
    """The live remaining day of every slot at the clock; returns new locations needing a node.

    ``tp`` is brought up to date with the technicians that moved (``d.state.relocated``).
    """
    if d.state.relocated:
        tp.update(d, slots, d.state.relocated, node_of)
        d.state.relocated = set()
    origin = d.scenario.horizon.start
    m = RouteModel()
    m.now = now = d.state.now
    m.now_us = now_us = (now - origin) // _US
    m.busy_us, m.busy_dt, m.loc = tp.busy_us, tp.busy_dt, tp.loc
    m.avail = avail = np.maximum(tp.busy_us, now_us)
    m.sa = sa = avail[slots.tech]
    m.live = (slots.s1_us - sa > _MIN_LEN_US) & ~absent
    m.under = slots.s0_us < sa
    m.open = np.where(m.under, np.rint(sa / 1e6).astype(_I64), slots.s0_i)
    # where each live shift starts: as planned, or (under way) where the technician is
    start_node = np.where(m.live, base_nodes, -1)
    missing: list[Location] = []
    under = m.live & m.under
    ps = tp.node[slots.tech]
    lost = under & (ps < 0) & tp.placed[slots.tech]
    if lost.any():  # a position without a node yet
        for ti in set(slots.tech[lost].tolist()):
            where = tp.loc[ti]
            nd = node_of.get(where)
            if nd is None:
                missing.append(where)
            else:
                tp.node[ti] = nd
        ps = tp.node[slots.tech]
    sel = under & (ps >= 0)
    start_node[sel] = ps[sel]
    m.start_node = start_node
    bs = slots.b_slot
    m.keep_b = m.live[bs] & (~m.under[bs] | (~taken & (slots.b_latest_us >= sa[bs])))
    return m, missing


def _absent_mask(d: LivePlan, slots: Slots) -> np.ndarray:
    out = np.zeros(slots.tech.shape[0], dtype=np.bool_)
    for tech_id, (since, until) in d.state.absent.items():
        for s in slots.tech_slots[slots.tech_pos[tech_id]]:
            sh = slots.shifts[s]
            if sh.end > since and (until is None or sh.start < until):
                out[s] = True
    return out


def _taken_mask(d: LivePlan, slots: Slots) -> np.ndarray:
    out = np.zeros(slots.b_slot.shape[0], dtype=np.bool_)
    if d.state.breaks_taken:
        for q in range(out.shape[0]):
            s = int(slots.b_slot[q])
            key = (slots.tech_ids[int(slots.tech[s])], slots.num[s], int(slots.b_num[q]))
            out[q] = key in d.state.breaks_taken
    return out


def init_state(d: LivePlan) -> FastState | None:
    """The aux state of a freshly compiled live problem (``None``: not supported, stay slow)."""
    problem = d.problem
    scenario = problem.scenario
    if getattr(scenario, "depots", ()):
        return None  # depots change route semantics: always recompile
    if problem.data.week.start.shape[0]:
        return None  # weekly rules: the week's work done moves with every job (recompile)
    slots = d.slots
    if slots is None:
        slots = d.slots = Slots(d)
    absent = _absent_mask(d, slots)
    taken = _taken_mask(d, slots)
    node_of = context_nodes(problem)
    tp = TechPos(len(slots.tech_ids))
    tp.update(d, slots, slots.tech_ids, node_of)
    d.state.relocated = set()
    base_nodes = np.array([node_of.get(loc, -1) for loc in slots.start_loc], dtype=_I64)
    model, missing = route_model(d, slots, absent, taken, node_of, tp, base_nodes)
    if missing:
        return None
    route_slots = np.array([slots.slot_of[key] for key in d.route_key], dtype=_I64)
    if not np.array_equal(np.flatnonzero(model.live), route_slots):
        return None  # pragma: no cover - the model disagrees with the compiled scenario
    fs = FastState(problem, slots, model, route_slots, frozenset(d.state.breaks_taken),
                   d.state.tver, tuple(sorted(d.state.absent.items(), key=lambda kv: kv[0])))
    fs.techpos = tp
    fs.rank = np.array([d.state.reg_rank[t] for t in problem.index.ticket_ids], dtype=_I64)
    fs.base_nodes = base_nodes
    fs.taken_mask = taken
    fs.res = {ti: r4 for ti, t in enumerate(slots.techs)
              if (r4 := d.state.resources(t)) != _NONE4}
    fs.laid_seq = d.st.seq.copy()
    fs.laid_len = d.st.length.copy()
    return fs


def _with_tickets(index: IndexMap, ids: tuple[str, ...]) -> IndexMap:
    """``index`` with other ticket ids (routes, technicians and parts as they are)."""
    new = copy.copy(index)
    object.__setattr__(new, "ticket_ids", ids)
    object.__setattr__(new, "_ticket_idx", {t: k for k, t in enumerate(ids)})
    return new


def _take_csr(ptr: np.ndarray, order: np.ndarray, *flat: np.ndarray,
              ) -> tuple[np.ndarray, ...]:
    """Rows ``order`` of CSR arrays (``ptr`` and the flat arrays), in that order."""
    lengths = np.diff(ptr)[order]
    new_ptr = np.zeros(order.shape[0] + 1, dtype=_I64)
    np.cumsum(lengths, out=new_ptr[1:])
    total = int(new_ptr[-1])
    # flat index of each kept element: row start + offset within the row
    idx = np.repeat(ptr[order] - new_ptr[:-1], lengths) + np.arange(total)
    return (new_ptr, *(a[idx] for a in flat))


def _ro(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.setflags(write=False)


def _live_tech(slots: Slots, m: RouteModel, ti: int, res: tuple[Any, ...]) -> Technician:
    """The live technician ``ti`` (as ``LiveState.live_technician`` builds it), unvalidated."""
    tech = slots.techs[ti]
    shifts: list[Shift] = []
    live, under, keep_b = m.live, m.under, m.keep_b
    for s in slots.tech_slots[ti]:
        if not live[s]:
            continue
        sh = slots.shifts[s]
        if not under[s]:
            shifts.append(sh)
            continue
        keep = [b for b, q in enumerate(slots.slot_breaks[s]) if keep_b[q]]
        shifts.append(_clone(sh, _SHIFT_FIELDS, {
            "start": m.free_at(ti),
            "start_location": m.loc[ti] or sh.start_location,
            "breaks": tuple(sh.breaks[b] for b in keep)}))
    changes: dict[str, Any] = {"shifts": tuple(shifts)}
    van_stock, mtpd, capacity, recent = res
    if van_stock is not None:
        changes["van_stock"] = van_stock
    if mtpd is not None:
        changes["max_tickets_per_day"] = mtpd
    if capacity is not None:
        changes["capacity"] = capacity
    if recent is not None:
        changes["recent_workload"] = recent
    new: Technician = _clone(tech, _TECH_FIELDS, changes)
    return new


_NONE4: tuple[Any, ...] = (None, None, None, None)


def build_techs(slots: Slots, m: RouteModel, res: dict[int, tuple[Any, ...]],
                ) -> tuple[Technician, ...]:
    """Every live technician (what ``LiveState.live_technician`` builds), from the base ones."""
    out: list[Technician] = []
    live, under = m.live, m.under
    for ti, tech in enumerate(slots.techs):
        r4 = res.get(ti, _NONE4)
        if r4 == _NONE4 and all(live[s] and not under[s] for s in slots.tech_slots[ti]):
            out.append(tech)
        else:
            out.append(_live_tech(slots, m, ti, r4))
    return tuple(out)


def _ticket_order(fs: FastState, gone: tuple[str, ...]) -> tuple[np.ndarray, bool]:
    """The kept ticket columns in registration order (a re-opened ticket was appended), and
    whether that is every column in place."""
    problem = fs.problem
    index = problem.index
    n = problem.num_tickets
    keep_t = np.ones(n, dtype=np.bool_)
    for tid in gone:
        if index.has_ticket(tid):
            keep_t[index.ticket_idx(tid)] = False
    order = np.flatnonzero(keep_t)
    rank = fs.rank[order]
    if rank.shape[0] > 1 and np.any(rank[1:] < rank[:-1]):
        order = order[np.argsort(rank, kind="stable")]
    same = order.shape[0] == n and (n == 0 or bool(np.all(order == np.arange(n))))
    return order, same


def _slot_model(d: LivePlan, fs: FastState) -> tuple[RouteModel, Any, dict[Location, int],
                                                      tuple[Any, ...]]:
    """Every shift's remaining day at the clock (new start places get travel nodes); also
    the travel data, the node numbering and the absences' key."""
    problem, slots = fs.problem, fs.slots
    absent_key = tuple(sorted(d.state.absent.items(), key=lambda kv: kv[0]))
    absent = _absent_mask(d, slots) if absent_key else np.zeros(slots.tech.shape[0], np.bool_)
    if len(d.state.breaks_taken) != len(fs.taken):
        fs.taken_mask = _taken_mask(d, slots)  # breaks are only ever added to the set
    taken = fs.taken_mask
    node_of = context_nodes(problem)
    tv = problem.data.tv
    m, missing = route_model(d, slots, absent, taken, node_of, fs.techpos, fs.base_nodes)
    if missing:
        node_of = dict(node_of)
        for loc in missing:
            if loc not in node_of:
                tv, node_of[loc] = grow_node(tv, static_scenario(problem), loc)
        m, missing = route_model(d, slots, absent, taken, node_of, fs.techpos, fs.base_nodes)
    return m, tv, node_of, absent_key


def _take_tickets(kd: Any, order: np.ndarray) -> tuple[Any, Any, Any, Any, np.ndarray]:
    """The per-ticket arrays (windows, costs, demand, parts, preferences, service, node) of
    the kept columns ``order``, read-only."""
    win, cost, res, tech = kd.win, kd.cost, kd.res, kd.tech
    w_ptr, w_start, w_end = _take_csr(win.ptr, order, win.start, win.end)
    win = win._replace(ptr=w_ptr, start=w_start, end=w_end, soft=win.soft[order])
    cost = cost._replace(**{f: getattr(cost, f)[order] for f in cost._fields})
    p_ptr, p_sku, p_qty = _take_csr(res.part_ptr, order, res.part_sku, res.part_qty)
    f_ptr, f_tech = _take_csr(res.pref_ptr, order, res.pref_tech)
    res = res._replace(demand=res.demand[order], part_ptr=p_ptr, part_sku=p_sku,
                       part_qty=p_qty, pref_ptr=f_ptr, pref_tech=f_tech,
                       terr=res.terr[order], terr_w=res.terr_w[order])
    tech = tech._replace(service=np.ascontiguousarray(tech.service[:, order]))
    ticket_node = kd.ticket_node[order]
    _ro(*win, *cost, res.demand, p_ptr, p_sku, p_qty, f_ptr, f_tech, tech.service,
        ticket_node, res.terr, res.terr_w)
    return win, cost, res, tech, ticket_node


def _live_resources(d: LivePlan, fs: FastState, res: Any, pre: np.ndarray,
                    excl: np.ndarray, res_changed: list[int],
                    ) -> tuple[Any, np.ndarray, np.ndarray, dict[int, int],
                               dict[int, tuple[Any, ...]]] | None:
    """The resources left to technicians whose jobs changed: van stock rows, capacities, day
    caps and their pre-shift compatibility (the compiler's precedence). Returns ``(res,
    pre, tech_cap, day cap per technician, resources by technician)`` or ``None``
    (recompile)."""
    problem, slots = fs.problem, fs.slots
    index = problem.index
    res_all = dict(fs.res) if res_changed else fs.res
    stock = res.stock
    tech_cap = _context_cap(problem)
    group_cap_t: dict[int, int] = {}
    sku_idx = {s: k for k, s in enumerate(index.sku_ids)}
    for ti in res_changed:
        t = slots.techs[ti]
        r4 = d.state.resources(t)
        if r4 == _NONE4:
            res_all.pop(ti, None)
        else:
            res_all[ti] = r4
        van_stock, mtpd, capacity, _recent = r4
        day_cap = t.max_tickets_per_day if mtpd is None else mtpd
        group_cap_t[ti] = NO_DEADLINE if day_cap is None else int(day_cap)
        old4 = fs.res.get(ti, _NONE4)
        if van_stock == old4[0] and capacity == old4[2]:
            continue  # the same van stock and capacity: its stock row and codes stand
        if stock is res.stock:
            stock = stock.copy()
            tech_cap = tech_cap.copy()
        row = np.zeros(stock.shape[1], dtype=_I64)
        for s, q in (t.van_stock if van_stock is None else van_stock).items():
            if s not in sku_idx:
                return None  # pragma: no cover - a van part the problem does not list
            row[sku_idx[s]] = q
        stock[ti] = row
        cap = t.capacity if capacity is None else capacity
        tech_cap[ti] = NO_DEADLINE if cap is None else cap
        # (the codes before PART — skills, certifications, territory — do not change live)
        code = np.where(pre[ti] < Incompatibility.PART, pre[ti], 0).astype(np.int8)[None, :]
        resource_codes(code, row[None, :], res.part_ptr, res.part_sku, res.part_qty,
                       problem.data.dep.stock, excl[ti][None, :], tech_cap[ti:ti + 1],
                       res.demand)
        if pre is fs.pre or not pre.flags.writeable:
            pre = pre.copy()
        pre[ti] = code[0]
    if stock is not res.stock:
        stock.setflags(write=False)
        res = res._replace(stock=stock)
    return res, pre, tech_cap, group_cap_t, res_all


def _groups(g_slot: np.ndarray) -> tuple[np.ndarray, int]:
    """Route groups (technician-days) numbered in order of appearance, as the compiler."""
    g_new = np.empty(g_slot.shape[0], dtype=np.bool_)
    if g_slot.shape[0]:
        g_new[0] = True
        np.not_equal(g_slot[1:], g_slot[:-1], out=g_new[1:])
    if g_slot.shape[0] < 2 or bool(np.all(g_slot[1:] >= g_slot[:-1])):
        # slots in day order (the usual case): groups numbered as they start
        return np.cumsum(g_new, dtype=_I64) - 1, int(np.count_nonzero(g_new))
    uniq, first, inv = np.unique(g_slot, return_index=True, return_inverse=True)
    g_order = np.argsort(first, kind="stable")
    g_rank = np.empty_like(g_order)
    g_rank[g_order] = np.arange(g_order.shape[0])
    return g_rank[inv].astype(_I64), int(uniq.shape[0])


def _route_arrays(slots: Slots, m: RouteModel, old_rt: Any, live_slots: np.ndarray,
                  old_r: np.ndarray, same_routes: bool, tech_cap: np.ndarray,
                  group_cap_t: dict[int, int], res_changed: list[int]) -> Any:
    """The route arrays of the live shifts ``live_slots`` (``old_r``: their old routes)."""
    if same_routes:  # the usual case: only starts, capacities and day caps can change
        r_tech = old_rt.tech
        capacity = tech_cap[r_tech] if res_changed else old_rt.capacity
        group = old_rt.group
        group_cap = old_rt.group_cap
        if group_cap_t:
            group_cap = group_cap.copy()
            for ti, cap in group_cap_t.items():
                group_cap[group[r_tech == ti]] = cap
        return old_rt._replace(start_node=m.start_node[live_slots], open=m.open[live_slots],
                               capacity=capacity, group_cap=group_cap)
    r_tech = slots.tech[live_slots]
    capacity = tech_cap[r_tech] if live_slots.shape[0] else np.zeros(0, dtype=_I64)
    group, num_groups = _groups(slots.group[live_slots])
    # a group's cap: the old one, or the new live day cap of its technician
    gcap_per_route = old_rt.group_cap[old_rt.group[old_r]] if old_r.shape[0] else \
        np.zeros(0, dtype=_I64)
    for ti, cap in group_cap_t.items():
        gcap_per_route[r_tech == ti] = cap
    group_cap = np.zeros(num_groups, dtype=_I64)
    group_cap[group] = gcap_per_route
    return old_rt._replace(tech=r_tech, start_node=m.start_node[live_slots],
                           end_node=old_rt.end_node[old_r], open=m.open[live_slots],
                           close=slots.s1_i[live_slots], max_close=slots.max_close[live_slots],
                           capacity=capacity, group=group, group_cap=group_cap)


def _break_arrays(slots: Slots, kd: Any, live_slots: np.ndarray,
                  kb: np.ndarray) -> tuple[Any, list[list[int]]]:
    """The break arrays of the live shifts (``kb``: breaks still ahead), and each route's
    kept break numbers."""
    route_of_slot = np.full(slots.tech.shape[0], -1, dtype=_I64)
    route_of_slot[live_slots] = np.arange(live_slots.shape[0])
    b_route = route_of_slot[slots.b_slot[kb]]
    b_ptr = np.zeros(live_slots.shape[0] + 1, dtype=_I64)
    np.cumsum(np.bincount(b_route, minlength=live_slots.shape[0]), out=b_ptr[1:])
    brk = kd.brk._replace(ptr=b_ptr, earliest=slots.b_earliest[kb],
                          latest=slots.b_latest[kb], dur=slots.b_dur[kb])
    _ro(b_ptr, brk.earliest, brk.latest, brk.dur)
    b_nums = slots.b_num[kb].tolist()
    b_bounds = b_ptr.tolist()
    return brk, [b_nums[b_bounds[r]:b_bounds[r + 1]] for r in range(live_slots.shape[0])]


def _tech_columns(fs: FastState, res_all: dict[int, tuple[Any, ...]],
                  res_changed: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The evaluator's per-technician columns (recent workload, cost per hour)."""
    techs = fs.slots.techs

    def recent_of(ti: int) -> int:
        r4 = res_all.get(ti, _NONE4)
        return techs[ti].recent_workload if r4[3] is None else r4[3]

    if fs.tech_cols is None:
        recent = np.array([recent_of(ti) for ti in range(len(techs))], dtype=np.float64)
        rate = np.array([t.cost_per_hour for t in techs], dtype=np.float64)
        fs.tech_cols = (recent, rate)
    elif res_changed:  # only the technicians whose resources changed have a new value
        recent, rate = fs.tech_cols
        recent = recent.copy()
        for ti in res_changed:
            recent[ti] = recent_of(ti)
        fs.tech_cols = (recent, rate)
    return fs.tech_cols


def _new_index(index: IndexMap, slots: Slots, ids: tuple[str, ...], live_slots: np.ndarray,
               same_tickets: bool, same_routes: bool) -> IndexMap:
    """The index of the derived problem."""
    if same_tickets and same_routes:
        return index
    if same_routes:
        return _with_tickets(index, ids)
    return IndexMap(ticket_ids=ids, technician_ids=index.technician_ids,
                    routes=tuple((int(slots.tech[s]), slots.num[s])
                                 for s in live_slots.tolist()),
                    sku_ids=index.sku_ids)


def refresh(d: LivePlan, gone: tuple[str, ...]) -> tuple[Problem, np.ndarray, np.ndarray,
                                                           list[tuple[str, int]],
                                                           list[list[int]]] | None:
    """The live problem at the clock derived from the current one, or ``None`` (recompile).

    ``gone``: ticket ids that left the open set since the last refresh.
    Returns the problem, the kept plan as CSR ``(ptr, visits)`` over the new
    routes, the route keys and the kept break numbers per route.
    """
    fs: FastState | None = d.fast
    if fs is None or not fs.catch_up(d.problem, d.state.reg_rank):
        return None
    problem = fs.problem
    slots = fs.slots
    kd = problem.data
    index = problem.index
    order, same_tickets = _ticket_order(fs, gone)
    m, tv, node_of, absent_key = _slot_model(d, fs)
    live_slots = np.flatnonzero(m.live)
    old_slots = fs.route_slots
    was_live = np.zeros(slots.tech.shape[0], dtype=np.bool_)
    was_live[old_slots] = True
    if live_slots.shape[0] and (not was_live[live_slots].all()
                                or np.any(m.under[live_slots]
                                          & (m.sa[live_slots] >= slots.next_mid_us[live_slots]))):
        return None  # a shift came back, or one under way crossed midnight: recompile
    prev = fs.model
    changed_slot = (m.live != prev.live) | (m.under != prev.under) | (m.open != prev.open) | \
        (m.start_node != prev.start_node)
    b_changed = m.keep_b != prev.keep_b
    if b_changed.any():
        changed_slot[slots.b_slot[b_changed]] = True
    # resources of technicians whose jobs changed
    res_changed = [] if d.state.tver == fs.versions else sorted(
        slots.tech_pos[t] for t, v in d.state.tver.items() if fs.versions.get(t, 0) != v)
    changed_tech = set(slots.tech[changed_slot].tolist()) | set(res_changed)
    if not changed_tech and same_tickets and tv is kd.tv:
        # nothing moved: the same problem
        all_r = np.arange(problem.num_routes)
        ptr, visits, same = kept_plan(d, fs, problem, all_r, order,
                                       np.zeros(all_r.shape[0], dtype=np.bool_))
        fs.model = m
        fs.pending = (all_r, same, kd.rt.tech, kd, d.st, NO_TECHS)
        return problem, ptr, visits, list(d.route_key), [list(b) for b in d.live_breaks]
    # ------------------------------------------------------------ per ticket
    route_of_slot = np.full(slots.tech.shape[0], -1, dtype=_I64)
    route_of_slot[old_slots] = np.arange(old_slots.shape[0])
    old_r = route_of_slot[live_slots]
    same_routes = live_slots.shape[0] == old_slots.shape[0] and \
        bool(np.array_equal(live_slots, old_slots))
    pre, excl, outside, reach = _aux_arrays(fs, order, old_r, same_tickets, same_routes)
    pre_rows = pre[res_changed]  # (a copy) the codes before the resources changed
    ids = index.ticket_ids
    tickets = live_tickets(problem)
    win, cost, res, tech, ticket_node = (kd.win, kd.cost, kd.res, kd.tech, kd.ticket_node)
    if not same_tickets:
        win, cost, res, tech, ticket_node = _take_tickets(kd, order)
        ids = tuple(ids[i] for i in order.tolist())
        tickets = tuple(tickets[i] for i in order.tolist())
    live = _live_resources(d, fs, res, pre, excl, res_changed)
    if live is None:
        return None  # pragma: no cover - a van part the problem does not list
    res, pre, tech_cap, group_cap_t, res_all = live
    # -------------------------------------------------------- routes, breaks
    breaks_kept = same_routes and not b_changed.any()
    rt = _route_arrays(slots, m, kd.rt, live_slots, old_r, same_routes, tech_cap,
                       group_cap_t, res_changed)
    r_tech = rt.tech
    if breaks_kept:
        brk, live_breaks = kd.brk, d.live_breaks  # the same kept breaks per route
    else:
        brk, live_breaks = _break_arrays(slots, kd, live_slots, m.keep_b)
    _ro(*(a for a in rt if isinstance(a, np.ndarray) and a.flags.writeable))
    # ---------------------------------------------------------- reachability
    ch = changed_slot[live_slots].copy()
    res_route = np.zeros(r_tech.shape[0], dtype=np.bool_)
    for ti in res_changed:
        res_route |= r_tech == ti
    ch |= res_route
    until = fs.until[old_r]
    later = _reach.later_start_only(kd.rt, rt, old_r, slots, live_slots, b_changed, res_route,
                              kd.tech.cert_end)
    ch &= ~(later & (rt.open <= until))  # still exact
    recent, rate = _tech_columns(fs, res_all, res_changed)
    tech = tech._replace(compat=pre, recent=recent, cost_per_hour=rate)
    data = kd._replace(tv=tv, win=win, cost=cost, brk=brk, rt=rt, res=res, tech=tech,
                       ticket_node=ticket_node)
    redo = np.flatnonzero(ch).astype(_I64)
    compat, t_ptr, t_routes, unservable = _redo_reasons(
        fs, data, (pre, reach, outside), redo, later[redo], until,
        (order, same_tickets, same_routes), res_changed, pre_rows)
    data = data._replace(tech=tech._replace(compat=compat))
    # -------------------------------------------------------------- scenario
    make_techs = functools.partial(build_techs, slots, m, res_all)
    route_key = list(d.route_key) if same_routes else [
        (slots.tech_ids[int(slots.tech[s])], slots.num[s]) for s in live_slots.tolist()]
    new_index = _new_index(index, slots, ids, live_slots, same_tickets, same_routes)
    new = LazyProblem.create(static_scenario(problem), tickets, make_techs, index=new_index,
                             data=data, compatible=compat, ticket_routes_ptr=t_ptr,
                             ticket_routes=t_routes, unservable=unservable,
                             compile_time=problem.compile_time)
    derive_context(new, problem, node_of=node_of, tech_cap=tech_cap)
    bad_tech = np.zeros(len(slots.tech_ids), dtype=np.bool_)
    bad_tech[slots.tech[changed_slot]] = True
    bad_tech[res_changed] = True
    ptr, visits, same = kept_plan(d, fs, problem, old_r, order, bad_tech[r_tech])
    # commit the aux state
    fs.problem, fs.model, fs.route_slots = new, m, live_slots
    fs.pre = pre if pre.flags.writeable else pre.copy()
    fs.excl, fs.outside, fs.reach, fs.rank = excl, outside, reach, fs.rank[order]
    fs.until = until
    fs.taken = frozenset(d.state.breaks_taken)
    fs.versions = dict(d.state.tver)
    fs.res, fs.absent_key = res_all, absent_key
    # technicians whose compatibility row may have changed (reach rows redone, resources)
    bad_tech[:] = False
    bad_tech[np.concatenate([r_tech[redo], np.array(res_changed, dtype=_I64)])] = True
    techs = np.flatnonzero(bad_tech).astype(_I64)
    fs.pending = (old_r, same, r_tech, kd, d.st, techs)
    return new, ptr, visits, route_key, live_breaks


def _aux_arrays(fs: FastState, order: np.ndarray, old_r: np.ndarray, same_tickets: bool,
                same_routes: bool) -> tuple[np.ndarray, ...]:
    """The refresh's codes, exclusions, outside flags and reachability for the kept ticket
    columns ``order`` and routes ``old_r``: ``fs``'s own arrays when both are all in
    place (updated in place; the codes are copied where written), else taken."""
    if same_tickets:
        return fs.pre, fs.excl, fs.outside, fs.reach if same_routes else fs.reach[old_r]
    # (C order: a column take alone may not give it, and the kernels take rows of it)
    reach = fs.reach[:, order] if same_routes else fs.reach[old_r][:, order]
    return (np.ascontiguousarray(fs.pre[:, order]), fs.excl[:, order], fs.outside[order],
            np.ascontiguousarray(reach))


def _redo_reasons(fs: FastState, data: Any, arrays: tuple[np.ndarray, ...], redo: np.ndarray,
                  later: np.ndarray, until: np.ndarray, shape: tuple[np.ndarray, bool, bool],
                  res_changed: list[int], pre_rows: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Redo the reach rows ``redo`` (in place) and derive what the matrix implies: only for
    the ticket columns whose reach or codes changed when the routes are the same (``shape``:
    the kept ticket columns ``order`` of ``fs.problem``, whether those are all in place,
    whether the routes are the same) and the matrix is large or none changed, else whole."""
    pre, reach, outside = arrays
    order, same_tickets, same_routes = shape
    r_tech = data.rt.tech
    rows_before = reach[redo]  # (a copy)
    _reach.redo_reach(fs, data, pre, reach, redo, later, until)
    if not same_routes:
        return routes_and_reasons(reach, r_tech, pre, outside)
    cols = np.any(reach[redo] != rows_before, axis=0)
    if res_changed:
        cols |= np.any(pre[res_changed] != pre_rows, axis=0)
    if reach.size < _SPLICE_CELLS and (not same_tickets or cols.any()):
        return routes_and_reasons(reach, r_tech, pre, outside)
    return routes_and_reasons_at(reach, r_tech, pre, outside,
                                 _base_reasons(fs.problem, order, same_tickets),
                                 np.flatnonzero(cols))


def _base_reasons(problem: Problem, order: np.ndarray, same_tickets: bool,
                  ) -> tuple[np.ndarray, ...]:
    """What ``problem``'s reachability implied (compatibility, routes per ticket, unservable
    reasons) for the kept ticket columns ``order``."""
    if same_tickets:
        return (problem.compatible, problem.ticket_routes_ptr, problem.ticket_routes,
                problem.unservable)
    t_ptr, t_routes = _take_csr(problem.ticket_routes_ptr, order, problem.ticket_routes)
    return problem.compatible[:, order], t_ptr, t_routes, problem.unservable[order]


def _context_cap(problem: Problem) -> np.ndarray:
    from ..problem.extend import _context

    return _context(problem).tech_cap
