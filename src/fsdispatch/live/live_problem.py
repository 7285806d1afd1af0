"""The live problem and plan at ``now``, derived from :class:`~fsdispatch.live.state.LiveState`.

:class:`LivePlan` holds the live problem (the rest of the day at the
desk's clock: each technician's current shift starts at ``max(now, end of the
job in progress)`` from where the technician is, breaks already taken are
gone, completed or in-progress tickets are not there) and the plan of it as a
greedy route state, always feasible for the shared evaluator, every open
ticket planned or unassigned with a reason.

It is brought up to date two ways that give the same result (a property test
holds it): :meth:`LivePlan.rebuild` recompiles the live scenario, and
:meth:`LivePlan.refresh` derives it from the previous problem
(:mod:`fsdispatch.live._fast`) for technician events. Events that report
nothing back defer their refresh to the next read (:meth:`LivePlan.defer`),
so events in a row cost one refresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..evaluate.evaluator import evaluate
from ..plan import Plan, UnassignedReason
from ..problem.compile import compile_scenario
from ..problem.extend import TicketRows, append_ticket, ticket_rows
from ..units import MINUTE
from . import _ping
from .eta import Eta, EtaModel
from .freeze import replan_frozen
from .lifecycle import Lifecycle, TicketState
from .results import Change, ReplanResult

if TYPE_CHECKING:
    from ..domain.ticket import Ticket
    from ..evaluate.evaluation import Evaluation
    from ..problem.problem import IndexMap, Problem
    from .pricing import PricingContext
    from .state import LiveState

__all__ = ["LivePlan"]

S = TicketState


def _settled(name: str) -> Any:
    """A live-plan attribute that settles a deferred refresh before it is read."""
    raw = "_raw_" + name

    def fget(self: LivePlan) -> Any:
        if self.pending is not None:
            self.settle()
        return self.__dict__[raw]

    def fset(self: LivePlan, value: Any) -> None:
        self.__dict__[raw] = value

    return property(fget, fset, doc=f"``{name}`` of the live plan (settled on read).")


class _LazySnapshot(Mapping[str, tuple[str, int]]):
    """:meth:`LivePlan.snapshot` of the plan now, made into a dict on first use (a deferred
    refresh keeps the plan's start arrays, not a dict of every planned ticket)."""

    def __init__(self, live: LivePlan) -> None:
        self._arrays = (*live.starts(), live.problem.index, live.route_key,
                        live.problem.data.rt.tech)
        self._dict: dict[str, tuple[str, int]] | None = None

    def as_dict(self) -> dict[str, tuple[str, int]]:
        """The snapshot as a dict (made once)."""
        if self._dict is None:
            starts, routes, index, keys, _tech = self._arrays
            ids = index.ticket_ids
            sel = np.flatnonzero(routes >= 0)
            self._dict = {ids[j]: (keys[r][0], s) for j, r, s in
                          zip(sel.tolist(), routes[sel].tolist(), starts[sel].tolist(),
                              strict=True)}
        return self._dict

    def moved(self, live: LivePlan) -> tuple[list[tuple[str, tuple[str, int] | None,
                                                        tuple[str, int]]], list[str]]:
        """Against the plan now (``live``): ``(planned tickets that changed or may need a
        transition, as (id, before, now), in the ticket order now; tickets planned before
        and no longer planned, or gone, in the ticket order before)``."""
        starts_b, routes_b, index_b, keys_b, tech_b = self._arrays
        index_a = live.problem.index
        ids_b = index_b.ticket_ids
        ids = index_a.ticket_ids
        starts_a, routes_a = live.starts()
        keys_a = live.route_key
        tb, ta = _route_techs(tech_b, index_b, keys_b, live.problem.data.rt.tech, index_a,
                              keys_a)
        pb = routes_b >= 0
        pa = routes_a >= 0
        if ids is ids_b or ids == ids_b:  # the same tickets in the same order
            pos = np.arange(len(ids), dtype=np.int64)
        else:  # tickets left (and maybe came): each one's column before (-1: new)
            pos = index_b.ticket_positions(ids)
        # (a ticket appended after the snapshot's start arrays were made was not planned)
        nb = starts_b.shape[0]
        known = (pos >= 0) & (pos < nb)
        at = np.where(known, pos, nb)  # (nb: a sentinel column, not planned)
        r_b = np.append(routes_b, -1)[at]
        s_b = np.append(starts_b, -1)[at]
        was = r_b >= 0
        same = (was == pa) & (tb[r_b] == ta[routes_a]) & (s_b == starts_a)
        # planned tickets that moved, and those planned as before but still waiting
        # (created, rejected) for their transition, in ticket order
        look = np.flatnonzero(pa & ~same).tolist()
        cols = live.waiting_columns()  # (kept with the lifecycle: no scan of every ticket)
        if cols.shape[0]:
            wait = cols[pa[cols] & same[cols]].tolist()
            if wait:
                look = sorted(look + wait)
        out = []
        for j in look:
            old = (keys_b[int(r_b[j])][0], int(s_b[j])) if was[j] else None
            out.append((ids[j], old, (keys_a[int(routes_a[j])][0], int(starts_a[j]))))
        still = np.zeros(starts_b.shape[0], dtype=np.bool_)
        still[pos[known & pa]] = True
        return out, [ids_b[j] for j in np.flatnonzero(pb & ~still).tolist()]

    def __getitem__(self, key: str) -> tuple[str, int]:
        return self.as_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())


def _route_techs(tech_b: np.ndarray, index_b: IndexMap, keys_b: list[tuple[str, int]],
                 tech_a: np.ndarray, index_a: IndexMap, keys_a: list[tuple[str, int]],
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A technician code per route before and now (and ``-1`` appended: no route), equal
    codes for the same technician: the problems' technician numbers when both number
    technicians alike (a route's key names the technician its number does), else by id."""
    if index_b.technician_ids is index_a.technician_ids or \
            index_b.technician_ids == index_a.technician_ids:
        return np.append(tech_b, -1), np.append(tech_a, -1)
    code: dict[str, int] = {}
    tb = np.array([code.setdefault(k[0], len(code)) for k in keys_b] + [-1], dtype=np.int64)
    ta = np.array([code.setdefault(k[0], len(code)) for k in keys_a] + [-1], dtype=np.int64)
    return tb, ta


def snapshot_changes(before: Mapping[str, tuple[str, int]],
                     after: Mapping[str, tuple[str, int]],
                     to_dt: Callable[[int], datetime], first: str | None = None,
                     ) -> tuple[Change, ...]:
    """What changed between two snapshots (ticket id -> (technician id, start seconds)),
    ``first``'s change listed first, then by ticket id."""
    out: list[Change] = []
    for tid in sorted(set(before) | set(after), key=lambda t: (t != first, t)):
        b, a = before.get(tid), after.get(tid)
        if b == a:
            continue
        if b is None:
            assert a is not None
            out.append(Change(tid, "inserted", None, a[0], None, to_dt(a[1])))
        elif a is None:
            out.append(Change(tid, "dropped", b[0], None, to_dt(b[1]), None))
        else:
            out.append(Change(tid, "moved" if a[0] != b[0] else "shifted", b[0], a[0],
                              to_dt(b[1]), to_dt(a[1])))
    return tuple(out)


class LivePlan:
    """The live problem and its plan, kept in step with a :class:`LiveState`.

    ``problem``, ``st`` (the greedy route state of the plan), ``reasons``
    (unassigned ticket id -> reason), ``route_key`` ((technician id, shift
    number) of each live route) and ``live_breaks`` (each route's kept break
    indices of its full shift) settle a deferred refresh when read.
    """

    #: Technician events update the live problem incrementally; ``False`` recompiles it on
    #: every event (the reference the incremental path is tested and benchmarked against).
    incremental: bool = True
    #: Events that report nothing back defer their refresh to the next read; ``False``
    #: refreshes at once (the reference the deferral is tested and benchmarked against).
    lazy: bool = True
    #: A deferred refresh's lifecycle sync compares the plan's start arrays and looks only at
    #: the tickets that changed; ``False`` compares every planned ticket (the reference).
    fast_sync: bool = True

    problem: Problem = _settled("problem")
    st: Any = _settled("st")
    reasons: dict[str, UnassignedReason] = _settled("reasons")
    route_key: list[tuple[str, int]] = _settled("route_key")
    live_breaks: list[list[int]] = _settled("live_breaks")

    def __init__(self, state: LiveState, lifecycle: Lifecycle, eta_model: EtaModel) -> None:
        self.state = state
        self.scenario = state.scenario
        self.lifecycle = lifecycle
        self.eta_model = eta_model
        # a deferred refresh: (tickets that left the open set, the clock of the last event,
        # the plan before the first event: the lifecycle is synced with the refresh)
        self.pending: tuple[tuple[str, ...], Any, Mapping[str, tuple[str, int]]] | None = None
        self.cache: dict[str, Any] = {}
        self.reasons = {}
        self.st = None
        self.route_key = []
        self.live_breaks = []
        self.slots: Any = None  # every shift as integers (built on first refresh)
        self.fast: Any = None  # aux state of the incremental refresh
        self.initial_stops: dict[str, int] = {}  # depot stops of a starting plan
        # (problem, min_service of it): the route width bound's per-technician part
        self.shortest: tuple[Problem, np.ndarray] | None = None
        self.clock = state.now  # the clock the live problem was last brought up to

    # ------------------------------------------------------------ the plan
    @property
    def plan(self) -> Plan:
        """The live plan (a plan of :attr:`problem`)."""
        plan = self.cache.get("plan")
        if plan is None:
            from ..solvers.greedy import state_pickups, state_routes

            index = self.problem.index
            unassigned = {index.ticket_idx(t): reason for t, reason in self.reasons.items()}
            plan = Plan(routes=state_routes(self.st), unassigned=unassigned,
                        pickups=state_pickups(self.st))
            self.cache["plan"] = plan
        return plan

    def plan_later(self) -> Callable[[], Plan]:
        """The live plan now, made into a :class:`Plan` only if asked for (its routes are
        read now: the refresh that follows may re-lay the route state in place)."""
        plan = self.cache.get("plan")
        if plan is not None:
            return lambda: plan
        from ..solvers.greedy import state_pickups, state_routes

        st, index = self.st, self.problem.index
        routes, pickups = state_routes(st), state_pickups(st)
        unassigned = {index.ticket_idx(t): reason for t, reason in self.reasons.items()}
        return lambda: Plan(routes=routes, unassigned=unassigned, pickups=pickups)

    @property
    def evaluation(self) -> Evaluation:
        """The shared evaluator's verdict on the live plan (cached until the next change)."""
        ev = self.cache.get("evaluation")
        if ev is None:
            ev = self.cache["evaluation"] = evaluate(self.problem, self.plan)
        return ev

    def changed(self) -> None:
        """Forget what was derived from the plan (after changing ``st`` or ``reasons``)."""
        self.cache = {}

    def set_plan(self, routes: Iterable[Sequence[int]],
                 unassigned: Mapping[int, UnassignedReason],
                 pickups: Mapping[int, int] | None = None) -> None:
        """Adopt a plan of the live problem."""
        from ..solvers.greedy import make_state

        problem = self.problem
        self.st = make_state(problem, [list(r) for r in routes], pickups)
        ids = problem.index.ticket_ids
        self.reasons = {ids[j]: reason for j, reason in unassigned.items()}
        self.changed()

    def routes_by_key(self) -> dict[tuple[str, int], list[str]]:
        """The plan's routes as (technician id, shift number) -> ticket ids."""
        if self.st is None:
            return {}
        ids = self.problem.index.ticket_ids
        st = self.st
        return {key: [ids[int(j)] for j in st.seq[r, :st.length[r]]]
                for r, key in enumerate(self.route_key)}

    # ------------------------------------------------------- rebuild / refresh
    def rebuild(self, keep: Mapping[tuple[str, int], Sequence[str]] | None, *,
                reason: UnassignedReason = UnassignedReason.OPEN) -> list[str]:
        """Recompile the live problem at the clock; keep what is still feasible of ``keep``.

        ``keep`` (default: the current plan) maps (technician id, shift
        number) to ticket ids in visit order. Returns the tickets of ``keep``
        that could not be kept (now unassigned with reason ``open``).
        """
        from ..solvers.greedy import make_state
        from . import _fast
        from ._kernels import feasible_subplan

        if keep is None:
            keep = self.routes_by_key()
        old_reasons = dict(self.reasons)
        state = self.state
        techs, route_key, live_breaks = [], [], []
        for tech in state.techs.values():
            live, numbers, kept = state.live_technician(tech)
            techs.append(live)
            for k, b in zip(numbers, kept, strict=True):
                route_key.append((tech.id, k))
                live_breaks.append(b)
        tickets = [state.live_ticket(t) for tid, t in state.tickets.items()
                   if self.lifecycle.state(tid).is_open]
        scenario = attrs.evolve(self.scenario, technicians=techs, tickets=tickets,
                                depots=state.live_depots())
        problem = compile_scenario(scenario)
        index = problem.index
        key_to_r = {key: r for r, key in enumerate(route_key)}
        rows: list[list[int]] = [[] for _ in range(problem.num_routes)]
        for key, ids in keep.items():
            r = key_to_r.get((key[0], key[1]))
            if r is not None:
                rows[r] = [index.ticket_idx(t) for t in ids if index.has_ticket(t)]
        ptr = np.zeros(problem.num_routes + 1, dtype=np.int64)
        np.cumsum([len(x) for x in rows], out=ptr[1:])
        visits = np.array([j for x in rows for j in x], dtype=np.int64)
        stops = self.stops_by_ticket()
        st = make_state(problem, None)
        scratch = np.empty(problem.data.brk.dur.shape[0] + 1, dtype=np.int64)
        if stops:  # depot stops of routes whose first ticket has not started stay
            from ..kernels.insertion import apply_pickup

            for r, row in enumerate(rows):
                d = stops.get(index.ticket_ids[row[0]]) if row else None
                if d is not None:
                    apply_pickup(problem.data, r, d, st, scratch)
        kept_mask = feasible_subplan(problem.data, ptr, visits, st, scratch) if \
            visits.size else np.zeros(0, dtype=np.bool_)
        self.problem, self.st = problem, st
        self.route_key, self.live_breaks = route_key, live_breaks
        dropped = self._adopt(visits, kept_mask, old_reasons, reason)
        self.fast = _fast.init_state(self)
        self.clock = state.now
        return dropped

    def _adopt(self, visits: np.ndarray, kept_mask: np.ndarray,
               old_reasons: Mapping[str, UnassignedReason],
               reason: UnassignedReason) -> list[str]:
        """Unassigned reasons after re-laying ``visits`` (``kept_mask``: those kept); returns
        the tickets dropped. Unservable tickets get their reason, dropped ones ``open``, the
        rest keep theirs (``reason`` if they had none)."""
        problem = self.problem
        ids = problem.index.ticket_ids
        routed = np.zeros(problem.num_tickets, dtype=np.bool_)
        routed[visits[kept_mask]] = True
        dropped = [ids[j] for j in visits[~kept_mask].tolist()]
        unservable = problem.unservable
        # the rest keep theirs (``reason`` if none), dropped ones are open, and an
        # unservable ticket has its reason (in that order of precedence, last wins)
        rest = [ids[j] for j in np.flatnonzero(~routed).tolist()]
        reasons = dict(zip(rest, map(old_reasons.get, rest, repeat(reason, len(rest))),
                           strict=True))
        for tid in dropped:
            reasons[tid] = UnassignedReason.OPEN
        for j in np.flatnonzero(~routed & (unservable != 0)).tolist():
            reasons[ids[j]] = UnassignedReason.from_code(int(unservable[j]))
        self.reasons = reasons
        self.changed()
        return dropped

    def refresh(self, gone: tuple[str, ...] = ()) -> list[str]:
        """:meth:`rebuild` of the current plan, incrementally when possible.

        ``gone``: tickets that just left the open set. Derives the live problem
        from the current one (:mod:`fsdispatch.live._fast`: dropped ticket
        columns, patched routes, reachability of changed routes only) and
        re-lays the plan with the same kernel; falls back to a full rebuild
        for rare changes (a shift coming back, depots). The result equals
        ``rebuild(None)`` (a property test holds it).
        """
        from . import _fast, _relay

        if self.pending is not None:
            self.settle()
        out = _fast.refresh(self, gone) if self.fast is not None and self.incremental \
            else None
        if out is None:
            return self.rebuild(None)
        problem, ptr, visits, route_key, live_breaks = out
        old_reasons = self.reasons
        st, kept_mask = _relay.lay(self, problem, ptr, visits)
        self.problem, self.st = problem, st
        self.route_key, self.live_breaks = route_key, live_breaks
        self.clock = self.state.now
        return self._adopt(visits, kept_mask, old_reasons, UnassignedReason.OPEN)

    def reopen(self, ticket: Ticket) -> None:
        """A registered ticket is open again (released, or a new follow-up): into the live
        problem (appended, then put in registration order by the refresh), as a rebuild would."""
        problem = self.problem
        if self.fast is None or not self.incremental or problem.index.has_ticket(ticket.id):
            self.rebuild(None)
            return
        live = self.state.live_ticket(ticket)
        self.problem = append_ticket(problem, live, rows=ticket_rows(problem, live))
        self.widen(self.problem)
        if self.st.usage.shape != self.problem.data.res.stock.shape:
            self.rebuild(None)
            return
        self.reasons[ticket.id] = UnassignedReason.OPEN
        self.defer()

    def defer(self, gone: tuple[str, ...] = (),
              before: Mapping[str, tuple[str, int]] | None = None, *,
              keep_clock: bool = False) -> None:
        """Refresh the live plan at the next read of it (:meth:`settle`), not now.

        Deferred refreshes in a row become one, at the clock of the last event:
        tickets a refresh would drop stay planned if a later event (say, a job
        finished early) makes them feasible again. ``before``: the plan's
        snapshot before the event (taken here if not given); when the refresh
        is settled, the lifecycle follows it (tickets no longer planned go back
        to ``created``). ``keep_clock``: the change does not move the plan's
        clock (a position ping): the refresh runs at the clock of the last
        refresh, or of a refresh already deferred, so only what changed is redone.
        """
        pending = self.pending
        self.pings: bool = keep_clock and (pending is None or self.pings)  # (only pings: _ping)
        if pending is None:
            self.pending = (gone, self.clock if keep_clock else self.state.now,
                            _LazySnapshot(self) if before is None else before)
        else:
            self.pending = (pending[0] + gone, pending[1] if keep_clock else self.state.now,
                            pending[2])
        self.changed()
        if not self.lazy:
            self.settle()

    def settle(self) -> None:
        """Run the deferred refresh (at the clock of the event that deferred it)."""
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        state = self.state
        now = state.now
        state.now = pending[1]
        try:
            if not (self.pings and _ping.settle(self, pending)):
                self.refresh(pending[0])
                self.sync_lifecycle(pending[2], "dispatcher")
        finally:
            state.now = now

    def take_pending(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, int]]]:
        """The deferred refresh's departed tickets and plan snapshot, taken over by the
        caller (who refreshes now); without one, nothing departed and the current plan."""
        pending = self.pending
        if pending is None:
            return (), self.snapshot()
        self.pending = None
        return pending[0], pending[2]

    # ----------------------------------------------------- the clock moves
    def refresh_breaks(self) -> None:
        """Mark breaks the plan placed before now as taken (and a running break as busy time)."""
        if self.st is None:
            return
        state = self.state
        kd = self.problem.data
        brk = self.break_starts()
        now_i = state.to_internal(state.now)
        for r, (tech_id, k) in enumerate(self.route_key):
            if self.st.length[r] == 0:
                continue
            for pos, b in enumerate(range(int(kd.brk.ptr[r]), int(kd.brk.ptr[r + 1]))):
                s = int(brk[b])
                if 0 <= s < now_i:
                    state.breaks_taken.add((tech_id, k, self.live_breaks[r][pos]))
                    end = s + int(kd.brk.dur[b])
                    if end > now_i:
                        state.busy_until[tech_id] = state.to_datetime(end)
                        state.relocated.add(tech_id)

    def break_starts(self) -> np.ndarray:
        """Break starts of the live plan by the evaluator's schedule rule (-1: not needed)."""
        from ..evaluate._kernels import simulate_routes

        problem, st = self.problem, self.st
        kd = problem.data
        num_routes = st.length.shape[0]
        ptr = np.zeros(num_routes + 1, dtype=np.int64)
        np.cumsum(st.length, out=ptr[1:])
        visits = st.seq[np.arange(st.seq.shape[1])[None, :] < st.length[:, None]]
        nv = visits.shape[0]
        pick = np.full(nv, -1, dtype=np.int64)
        used = st.length > 0
        pick[ptr[:-1][used]] = st.pick[used]  # a stop is first thing on a route
        brk = np.full(kd.brk.dur.shape[0], -1, dtype=np.int64)
        if num_routes:
            z = np.zeros(nv, dtype=np.int64)
            zr = np.zeros(num_routes, dtype=np.int64)
            simulate_routes(kd, pick, ptr, visits, z, z.copy(), z.copy(),
                            z.copy(), brk, zr, zr.copy(), np.zeros(num_routes), zr.copy(),
                            zr.copy(), np.zeros(num_routes, dtype=np.bool_))
        return brk

    # --------------------------------------------------------- depot stops
    def route_of_first(self, j: int) -> int:
        """The route whose first visit is ticket ``j``."""
        st = self.st
        return int(np.flatnonzero((st.length > 0) & (st.seq[:, 0] == j))[0])

    def stops_by_ticket(self) -> dict[str, int]:
        """Depot stops of the current plan: first ticket id of the route -> depot index."""
        st = self.st
        if st is None:
            return dict(self.initial_stops)
        if not self.problem.num_depots:
            return {}
        ids = self.problem.index.ticket_ids
        return {ids[int(st.seq[r, 0])]: int(st.pick[r])
                for r in np.flatnonzero(st.pick >= 0).tolist() if st.length[r] > 0}

    def make_pickup(self, tech: str, j: int) -> int | None:
        """If ``j`` is the first ticket of a route starting with a depot stop, the technician
        makes the stop now: the lazy pick-up (what the van lacks for that route) moves from
        the depot into the live van. Returns the route's depot-ready time, or ``None``."""
        st = self.st
        problem = self.problem
        if st is None or not problem.num_depots:
            return None
        for r in np.flatnonzero((st.pick >= 0) & (st.length > 0)).tolist():
            if int(st.seq[r, 0]) != j or self.route_key[r][0] != tech:
                continue
            van = problem.data.res.stock[problem.index.technician_idx(tech)]
            take = np.maximum(st.rneed[r] - van, 0)
            self.state.record_pickup(tech, problem.index.depot_ids[int(st.pick[r])],
                                     {problem.index.sku_ids[s]: int(take[s])
                                      for s in np.flatnonzero(take).tolist()})
            return int(st.open_t[r])
        return None

    # ----------------------------------------------------------- snapshots
    def starts(self) -> tuple[np.ndarray, np.ndarray]:
        """Planned start and route of every ticket of the live problem (-1: not planned)."""
        cached = self.cache.get("starts")
        if cached is None:
            from ._kernels import route_starts

            n = self.problem.num_tickets
            starts = np.full(n, -1, dtype=np.int64)
            routes = np.full(n, -1, dtype=np.int64)
            kd, st = self.problem.data, self.st
            route_starts(kd.rt.tech, kd.tech.service, st.seq, st.length, st.free_t, starts,
                         routes)
            cached = self.cache["starts"] = (starts, routes)
        return cached

    def waiting_columns(self) -> np.ndarray:
        """Columns of the live problem's tickets waiting to be scheduled (created, rejected),
        ascending; cached until the lifecycle's waiting set or the ticket index changes."""
        lc = self.lifecycle
        index = self.problem.index
        held = self.__dict__.get("_waiting_cols")
        if held is None or held[0] is not index or held[1] != lc.waiting_version:
            cols = np.sort(index.ticket_positions(list(lc.waiting)))  # (-1: not a column)
            cols = cols[np.searchsorted(cols, 0):]
            held = self.__dict__["_waiting_cols"] = (index, lc.waiting_version, cols)
        return held[2]

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """Planned ticket id -> (technician id, start seconds)."""
        return _LazySnapshot(self).as_dict()

    def route_snapshot(self, st: Any, kd: Any, routes: Iterable[int],
                       ) -> dict[str, tuple[str, int]]:
        """Like :meth:`snapshot`, for the tickets of some routes of a state only."""
        ids = self.problem.index.ticket_ids
        out: dict[str, tuple[str, int]] = {}
        for r in routes:
            t_idx = int(kd.rt.tech[r])
            tech = self.route_key[r][0]
            for k in range(int(st.length[r])):
                i = int(st.seq[r, k])
                out[ids[i]] = (tech, int(st.free_t[r, k]) - int(kd.tech.service[t_idx, i]))
        return out

    def diff(self, before: Mapping[str, tuple[str, int]],
             after: Mapping[str, tuple[str, int]], first: str | None = None,
             ) -> tuple[Change, ...]:
        """What changed between two snapshots (:func:`snapshot_changes`)."""
        return snapshot_changes(before, after, self.state.to_datetime, first)

    def sync_lifecycle(self, before: Mapping[str, tuple[str, int]], actor: str, *,
                       after: Mapping[str, tuple[str, int]] | None = None) -> None:
        """Transitions for tickets that were planned, re-planned or dropped."""
        if after is None and self.fast_sync and isinstance(before, _LazySnapshot):
            moved = before.moved(self)  # only the tickets that changed are looked at
            for tid, old, now_at in moved[0]:
                self.sync_one(tid, old, now_at, actor)
            self.sync_dropped(moved[1], None, actor)
            return
        if after is None:
            after = self.snapshot()
        if isinstance(before, _LazySnapshot):
            before = before.as_dict()
        for tid, now_at in after.items():
            self.sync_one(tid, before.get(tid), now_at, actor)
        self.sync_dropped(before, after, actor)

    def sync_one(self, tid: str, old: tuple[str, int] | None, now_at: tuple[str, int],
                 actor: str) -> None:
        """The transition (or ETA notice) of a ticket planned at ``now_at`` (``old``: before)."""
        lc = self.lifecycle
        state = lc.states[tid]
        if old == now_at and state not in (S.CREATED, S.REJECTED):
            return  # planned as before: nothing to say
        now = self.state.now
        to_dt = self.state.to_datetime
        tech, start = now_at
        if state in (S.CREATED, S.REJECTED, S.ESCALATED) and old is None:
            lc.transition(tid, S.SCHEDULED, now, actor, technician_id=tech,
                          start=to_dt(start))
        elif old is not None and old[0] != tech and state.is_open:
            target = S.REASSIGNED if lc.can(tid, S.REASSIGNED) else S.SCHEDULED
            lc.transition(tid, target, now, actor, technician_id=tech, previous=old[0],
                          start=to_dt(start))
        elif old is not None and state in (S.CREATED, S.REJECTED):
            lc.transition(tid, S.SCHEDULED, now, actor, technician_id=tech,
                          start=to_dt(start))
        elif old is not None and abs(old[1] - start) >= 5 * MINUTE:
            lc.log.emit(now, tid, "eta", actor, from_state=state, to_state=state,
                        technician_id=tech, start=to_dt(start), previous=to_dt(old[1]))

    def sync_dropped(self, before: Iterable[str], after: Mapping[str, Any] | None,
                     actor: str) -> None:
        """Tickets of ``before`` no longer planned (not in ``after``) go back to ``created``."""
        lc = self.lifecycle
        states = lc.states
        for tid in before:
            if (after is None or tid not in after) and tid in self.state.tickets and \
                    states[tid] in (S.SCHEDULED, S.ACCEPTED, S.REASSIGNED):
                lc.transition(tid, S.CREATED, self.state.now, actor, reason="no longer planned")

    def technician_route(self, technician_id: str, shift: int | None = None) -> list[str]:
        """Planned tickets of a technician (of one shift number, or all), in visit order."""
        ids, st = self.problem.index.ticket_ids, self.st
        return [ids[j] for r, (t, k) in enumerate(self.route_key)
                if t == technician_id and (shift is None or k == shift)
                for j in st.seq[r, :st.length[r]].tolist()]

    def route_of(self, ticket_id: str) -> int | None:
        """The route of a planned ticket (``None``: not planned)."""
        if not self.problem.index.has_ticket(ticket_id):
            return None
        _, routes = self.starts()
        r = int(routes[self.problem.index.ticket_idx(ticket_id)])
        return None if r < 0 else r

    def eta(self, ticket_id: str, r: int, start: int) -> Eta:
        """The ETA of a ticket planned on route ``r`` at ``start``."""
        to_dt = self.state.to_datetime
        kd = self.problem.data
        j = self.problem.index.ticket_idx(ticket_id)
        start_dt = to_dt(start)
        earliest, latest = self.eta_model.window(start_dt, self.state.now)
        service = int(kd.tech.service[kd.rt.tech[r], j])
        return Eta(ticket_id, self.route_key[r][0], start_dt, earliest, latest,
                   to_dt(start + service))

    # ------------------------------------------------------ working copies
    def copy_state(self) -> Any:
        """A copy of the plan's route state to try changes on."""
        from ..solvers.greedy import copy_state

        return copy_state(self.st)

    def scratch(self) -> np.ndarray:
        """Scratch space of the route kernels (one slot per break, plus one)."""
        return np.empty(self.problem.data.brk.dur.shape[0] + 1, dtype=np.int64)

    def work(self, kd: Any, st: Any) -> Any:
        """The insertion kernels' work buffers for this problem and state width (cached)."""
        key = ("work", st.seq.shape[1], kd.brk.dur.shape[0])
        wk = self.cache.get("work")
        if wk is None or wk[0] != key:
            from ..kernels.insertion import make_work

            wk = (key, make_work(kd, st.seq.shape[1]))
            self.cache["work"] = wk
        return wk[1]

    def min_service(self, problem: Problem) -> np.ndarray:
        """:func:`fsdispatch.solvers.greedy.min_service` of ``problem`` (kept for the last
        problem asked about or given by :meth:`widen`)."""
        from ..solvers.greedy import min_service

        held = self.shortest
        if held is None or held[0] is not problem:
            held = self.shortest = (problem, min_service(problem))
        return held[1]

    def route_width(self, problem: Problem) -> int:
        """The route width a fresh route state of ``problem`` has."""
        from ..solvers.greedy import route_width

        return route_width(problem.data.rt, self.min_service(problem), problem.num_tickets)

    def too_narrow(self, kd: Any, shortest: np.ndarray, num_tickets: int) -> bool:
        """Whether a problem of kernel data ``kd`` (``shortest``: its ``min_service``) allows
        longer routes than the route state holds (:meth:`widen` would rebuild it)."""
        from ..solvers.greedy import route_width

        st = self.st
        return st is not None and st.usage.shape == kd.res.stock.shape and \
            route_width(kd.rt, shortest, num_tickets) > st.seq.shape[1]

    def widen(self, problem: Problem, shortest: np.ndarray | None = None) -> None:
        """Rebuild the route state wider when ``problem`` (grown by a ticket) allows longer
        routes: the width is fixed when the state is made, so a desk that started with few
        tickets could otherwise not insert more. ``shortest``: ``problem``'s
        ``min_service`` when known."""
        if shortest is not None:
            self.shortest = (problem, shortest)
        if not self.too_narrow(problem.data, self.min_service(problem), problem.num_tickets):
            return
        self.st = self.restate(problem, self.st)
        self.cache.pop("work", None)

    @staticmethod
    def restate(problem: Problem, st: Any) -> Any:
        """``st``'s routes and stops as a route state of ``problem`` (grown by a ticket)."""
        from ..solvers.greedy import make_state, state_pickups

        return make_state(problem, [list(st.seq[r, :st.length[r]])
                                    for r in range(st.seq.shape[0])], state_pickups(st))

    def grown(self, live: Ticket, rows: TicketRows) -> Problem:
        """The live problem with a priced new ticket appended."""
        return append_ticket(self.problem, live, rows=rows)

    def starting_plan(self, plan: Plan) -> dict[tuple[str, int], list[str]]:
        """A starting plan of ``compile_scenario(scenario)`` as (technician, shift) -> ticket
        ids; its depot stops (one per route, first thing) are kept for the first rebuild."""
        from ..errors import ValidationError

        full = compile_scenario(self.scenario)
        if len(plan.routes) != full.num_routes:
            raise ValidationError.for_field("Dispatcher", None, "plan", len(plan.routes),
                                            f"must have {full.num_routes} routes")
        keep: dict[tuple[str, int], list[str]] = {}
        ids = full.index.ticket_ids
        for r, route in enumerate(plan.routes):
            t_idx, k = full.index.routes[r]
            keep[(full.index.technician_ids[t_idx], k)] = [ids[j] for j in route]
            stops = [plan.pickups[j] for j in route if j in plan.pickups]
            if stops and 0 <= stops[0] < full.num_depots:
                self.initial_stops[ids[route[0]]] = stops[0]
        return keep

    def adopt(self, plan: Plan, objective: float, actor: str) -> ReplanResult:
        """Adopt a checked plan of the live problem (``objective``: the evaluator's)."""
        before = self.snapshot()
        obj_before = self.evaluation.objective
        self.set_plan(plan.routes, plan.unassigned, plan.pickups)
        changes = self.diff(before, self.snapshot())
        self.sync_lifecycle(before, actor)
        return ReplanResult(obj_before, objective, changes,
                            {self.problem.index.ticket_ids[j]: r.value
                             for j, r in sorted(plan.unassigned.items())}, "apply", 0.0)

    def add_open(self, ctx: PricingContext) -> UnassignedReason:
        """A registered new ticket (priced in ``ctx``) joins the live problem unplanned."""
        self.problem = ctx.problem_with_ticket(self)
        self.widen(self.problem)
        if self.st.usage.shape != self.problem.data.res.stock.shape:
            self.st = self.restate(self.problem, self.st)
        reason = (UnassignedReason.from_code(ctx.unservable) if ctx.unservable
                  else UnassignedReason.OPEN)
        self.reasons[ctx.ticket_id] = reason
        self.changed()
        return reason

    def etas(self) -> dict[str, Eta]:
        """ETA of every planned ticket and every job in progress, by ticket id."""
        out: dict[str, Eta] = {}
        starts, routes = self.starts()
        ids = self.problem.index.ticket_ids
        for j in np.flatnonzero(routes >= 0).tolist():
            out[ids[j]] = self.eta(ids[j], int(routes[j]), int(starts[j]))
        now = self.state.now
        for t, job in self.state.jobs.items():
            tstate = self.lifecycle.state(t)
            if tstate.in_progress:
                start: datetime = job.started_at or job.expected_end or now
                end = job.expected_end or now
                earliest, latest = self.eta_model.window(start, now)
                out[t] = Eta(t, job.technician_id, start, min(earliest, start),
                             max(latest, start), end, tstate.value)
        return out

    def travel_start(self, tech: str, ticket_id: str) -> tuple[int, int]:
        """When the technician leaving now starts the ticket (by the schedule rule: a depot
        stop planned first, breaks ahead), and its service seconds; the depot stop planned
        first thing is made now."""
        from ..errors import ValidationError
        from ._kernels import first_start

        problem = self.problem
        j = problem.index.ticket_idx(ticket_id)
        kd = problem.data
        routes = [r for r, (t, _) in enumerate(self.route_key) if t == tech]
        if not routes:
            raise ValidationError.for_field("Technician", tech, "shifts", None,
                                            "has no remaining shift")
        r0 = routes[0]
        d_idx = -1
        if self.make_pickup(tech, j) is not None:  # via the depot stop planned first thing
            d_idx = int(self.st.pick[self.route_of_first(j)])
        # the schedule rule's start of j first, then the rest of the route (breaks
        # included), leaving from where the technician is now
        st = self.st
        r_j = next((r for r in routes if j in st.seq[r, :st.length[r]].tolist()), r0)
        rest = [int(i) for i in st.seq[r_j, :st.length[r_j]] if int(i) != j]
        now_i = self.state.to_internal(self.state.now)
        start = int(first_start(kd, r_j, np.array([j, *rest], dtype=np.int64), d_idx,
                                max(now_i, int(kd.rt.open[r0])), int(kd.rt.start_node[r0])))
        return start, int(kd.tech.service[problem.index.technician_idx(tech), j])

    # ---------------------------------------------------------- re-planning
    def reoptimize(self, solver: str, time_limit: float | None, seed: int | None,
                   freeze: int | None, actor: str, options: Mapping[str, Any],
                   ) -> ReplanResult:
        """Re-plan the rest of the day (see :meth:`fsdispatch.live.Dispatcher.reoptimize`)."""
        tic = time.perf_counter()
        before = self.snapshot()
        self.rebuild(None)
        obj_before = self.evaluation.objective
        if freeze:
            chosen = replan_frozen(self, solver, time_limit, seed, freeze, options)
        else:
            chosen = self.replan(solver, time_limit, seed, options)[0]
        self.set_plan(chosen.routes, chosen.unassigned, chosen.pickups)
        if freeze:  # the live problem without the freeze's pins; the plan is kept as it is
            self.rebuild(None)
        problem = self.problem
        changes = self.diff(before, self.snapshot())
        self.sync_lifecycle(before, actor)
        return ReplanResult(objective_before=obj_before,
                            objective_after=self.evaluation.objective, changes=changes,
                            unassigned={problem.index.ticket_ids[j]: r.value
                                        for j, r in sorted(self.plan.unassigned.items())},
                            solver=solver, runtime=time.perf_counter() - tic)

    def replan(self, solver: str, time_limit: float | None, seed: int | None,
               options: Mapping[str, Any]) -> tuple[Plan, Problem, Plan]:
        """The plan a re-optimisation adopts, the live problem it was made for, and the
        greedy repair of the current plan: the plan adopted is that repair, or ``solver``'s
        plan warm-started from it when that is feasible, complete and not worse."""
        from ..solvers.solve import solve

        problem = self.problem
        warm = solve(problem, "greedy", initial_plan=self.plan).plan
        if solver == "greedy":
            return warm, problem, warm
        routed = {j for route in warm.routes for j in route}
        opts = dict(options)
        if solver == "ls":
            locked = {problem.index.ticket_idx(t) for t in self.state.pins
                      if problem.index.has_ticket(t)} & routed
            opts.setdefault("initial_plan", warm)
            opts.setdefault("locked", frozenset(locked))
        result = solve(problem, solver, time_limit=time_limit, seed=seed, **opts)
        kpis = result.evaluation.kpis
        if result.evaluation.is_feasible and \
                kpis.unassigned + kpis.assigned == problem.num_tickets and \
                result.objective <= evaluate(problem, warm).objective + 1e-9:
            return result.plan, problem, warm
        return warm, problem, warm

