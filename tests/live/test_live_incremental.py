"""The incremental refresh of the live problem equals a full rebuild (``LivePlan.rebuild``).

Technician events (start, arrive, complete, overrun, cancel, hold, absence, clock
moves) derive the live problem from the previous one instead of recompiling
the scenario (:mod:`fsdispatch.live._live.fast`). These tests hold that the result
is the problem, plan, reasons and ETAs a full rebuild gives; node and part
numbering may differ, so nodes are compared by their coordinates.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Dispatcher, TicketState

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

S = TicketState

_PER_TICKET = {
    "win": ("ptr", "start", "end", "soft"),
    "cost": ("late_w", "response_by", "resolve_by", "sla_w", "penalty", "priority"),
    "res": ("demand", "part_ptr", "part_qty", "pref_ptr", "pref_tech"),
    "tech": ("service", "compat", "labour"),
    "rt": ("tech", "open", "close", "max_close", "capacity", "group", "group_cap"),
    "brk": ("ptr", "earliest", "latest", "dur"),
}


def _node_xy(p: fd.Problem, nodes: np.ndarray) -> np.ndarray:
    tv = p.data.tv
    if tv.kind == 0:  # travel matrix: the node's matrix row
        return tv.node_row[nodes]
    return np.stack([tv.x[nodes], tv.y[nodes]])


def reference(d: Dispatcher) -> Dispatcher:
    """A copy of ``d`` that recompiles the live problem on every event (the slow path)."""
    ref = copy.deepcopy(d)
    ref._live.incremental = False
    return ref


def eager(d: Dispatcher) -> Dispatcher:
    """A copy of ``d`` that refreshes at every event instead of at the next read."""
    out = copy.deepcopy(d)
    out._live.lazy = False
    return out


def _log(d: Dispatcher) -> list[tuple[object, ...]]:
    return [(e.at, e.ticket_id, e.kind, e.from_state, e.to_state) for e in d.log.events()]


def assert_same_live_state(d: Dispatcher, ref: Dispatcher) -> None:
    """``d`` (incremental) and ``ref`` (full rebuilds) hold the same problem, plan, reasons
    and ETAs."""
    a, b = d.problem, ref.problem
    assert a.index.ticket_ids == b.index.ticket_ids
    assert a.index.technician_ids == b.index.technician_ids
    assert a.index.routes == b.index.routes
    for name in ("compatible", "unservable", "ticket_routes_ptr", "ticket_routes"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for group, fields in _PER_TICKET.items():
        for f in fields:
            assert np.array_equal(getattr(getattr(a.data, group), f),
                                  getattr(getattr(b.data, group), f)), (group, f)
    for f in ("start_node", "end_node"):
        assert np.array_equal(_node_xy(a, getattr(a.data.rt, f)),
                              _node_xy(b, getattr(b.data.rt, f))), f
    assert np.array_equal(_node_xy(a, a.data.ticket_node), _node_xy(b, b.data.ticket_node))
    for t in range(a.num_technicians):  # van stock by part id
        sa = {a.index.sku_ids[k]: int(q) for k, q in enumerate(a.data.res.stock[t]) if q}
        sb = {b.index.sku_ids[k]: int(q) for k, q in enumerate(b.data.res.stock[t]) if q}
        assert sa == sb
    assert a.scenario.technicians == b.scenario.technicians
    assert a.scenario.tickets == b.scenario.tickets
    assert d.plan.routes == ref.plan.routes
    assert d.plan.unassigned == ref.plan.unassigned
    assert d._live.reasons == ref._live.reasons
    assert d._live.route_key == ref._live.route_key
    assert d._live.live_breaks == ref._live.live_breaks
    assert d.etas() == ref.etas()
    ea, eb = d.evaluation, ref.evaluation
    assert ea.is_feasible and eb.is_feasible
    assert ea.objective == eb.objective


def _day(seed: int, techs: int = 4, tickets: int = 24) -> fd.Scenario:
    return fd.generate_scenario(techs, tickets, seed=seed)


def test_technician_events_take_the_incremental_path():
    """start/arrive/complete and a clock move derive the problem without recompiling, and
    the result equals a full rebuild at each step."""
    scenario = _day(3, techs=5, tickets=30)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = reference(d)
    compiled = d.problem
    assert d._live.fast is not None
    tech = next(t.id for t in scenario.technicians if d.route(t.id))
    first = d.route(tech)[0]
    for x in (d, ref):
        x.now = start + timedelta(minutes=5)
        x.start_travel(first)
    assert d.problem is not compiled and d._live.fast.problem is d.problem  # not recompiled
    assert not d.problem.index.has_ticket(first)
    assert_same_live_state(d, ref)
    for x in (d, ref):
        x.now += timedelta(minutes=20)
        x.arrive(first)
    assert_same_live_state(d, ref)
    for x in (d, ref):
        x.now += timedelta(minutes=50)
        x.complete(first)
    assert_same_live_state(d, ref)
    for x in (d, ref):
        x.advance(x.now + timedelta(hours=2))
    live = d.problem  # settles a deferred refresh
    assert d._live.fast.problem is live
    assert_same_live_state(d, ref)


_OPS = st.lists(st.tuples(st.sampled_from(["insert", "add", "cancel", "delay", "pin", "advance",
                                           "start", "arrive", "complete", "hold", "absent",
                                           "reoptimize", "clock", "release", "follow_up",
                                           "ping"]),
                          st.integers(0, 10_000)), min_size=3, max_size=12)


@settings(max_examples=20)
@given(st.integers(0, 1000), _OPS)
def test_incremental_state_equals_a_full_rebuild(seed, ops):
    """After any sequence of events the incrementally refreshed problem, plan, reasons and
    ETAs equal those of a full rebuild, and the plan passes the shared evaluator."""
    scenario = _day(seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = reference(d)
    now = eager(d)
    extra = fd.generate_scenario(4, 12, seed=seed + 1)
    stale = False  # the clock moved and no event has refreshed the live problem since
    for k, (op, x) in enumerate(ops):
        did = [_apply(disp, op, x, k, extra, scenario) for disp in (d, ref, now)]
        assert did[0] == did[1] == did[2]
        if not did[0]:
            continue
        if op == "complete":  # arrive + complete: one refresh where eager makes two
            now = eager(d)
        else:  # one event, then a read: the deferred refresh is the one eager made
            assert_same_live_state(d, now)
            assert _log(d) == _log(now)
        if op == "clock":
            stale = True
            continue
        fd.check_plan(d.problem, d.plan)
        if op not in ("insert", "add", "ping"):  # a ping keeps the plan's clock
            stale = False
        if not stale:
            assert_same_live_state(d, ref)



@settings(max_examples=20)
@given(st.integers(0, 1000), _OPS)
def test_the_fast_lifecycle_sync_equals_the_reference(seed, ops):
    """A deferred refresh's lifecycle sync looks only at the tickets whose plan changed; the
    event log (every field) and the ticket states equal those of comparing every ticket."""
    scenario = _day(seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = copy.deepcopy(d)
    ref._live.fast_sync = False
    extra = fd.generate_scenario(4, 12, seed=seed + 1)
    for k, (op, x) in enumerate(ops):
        did = [_apply(disp, op, x, k, extra, scenario) for disp in (d, ref)]
        assert did[0] == did[1]
        for disp in (d, ref):
            disp.plan  # noqa: B018 - settles the deferred refresh and its sync
        assert [attrs.astuple(e) for e in d.log.events()] == \
            [attrs.astuple(e) for e in ref.log.events()]
        assert {t: d.state(t) for t in d.lifecycle.tickets()} == \
            {t: ref.state(t) for t in ref.lifecycle.tickets()}


def _apply(d: Dispatcher, op: str, x: int, k: int, extra: fd.Scenario,
           scenario: fd.Scenario) -> bool:
    """Apply one random operation; False if it did not apply."""
    open_ids = [t for t in d.lifecycle.tickets() if d.state(t).is_open]
    planned = [t for t in open_ids if d.assignment(t)]
    busy = [t for t in d.lifecycle.tickets() if d.state(t).in_progress]
    if op == "insert":
        d.insert(attrs.evolve(extra.tickets[k % 12], id=f"X-{k}"), max_moved=x % 3)
    elif op == "add":
        d.add(attrs.evolve(extra.tickets[k % 12], id=f"A-{k}"))
    elif op == "cancel" and open_ids:
        d.cancel(open_ids[x % len(open_ids)])
    elif op == "delay" and busy:
        d.report_overrun(busy[x % len(busy)], extra=(x % 90) * fd.MINUTE)
    elif op == "pin" and planned:
        d.pin(planned[x % len(planned)])
    elif op == "advance":
        d.advance(d.now + timedelta(minutes=x % 120))
    elif op == "clock":  # the simulator moves the clock, then a technician event follows
        d.now = d.now + timedelta(minutes=x % 45, seconds=x % 7)
    elif op == "start" and (free := [t for t in planned
                                     if d.assignment(t) not in d.live_state.current]):
        d.start_travel(free[x % len(free)])
    elif op == "arrive" and (going := [t for t in busy if d.state(t) is S.EN_ROUTE]):
        d.arrive(going[x % len(going)])
    elif op == "complete" and busy:
        t = busy[x % len(busy)]
        if d.state(t) is S.EN_ROUTE:
            d.arrive(t)
        d.complete(t)
    elif op == "hold" and (busy or open_ids):
        pool = busy + open_ids
        d.hold(pool[x % len(pool)], reason="parts")
    elif op == "release" and (held := [t for t in d.lifecycle.tickets()
                                       if d.state(t) is S.ON_HOLD]):
        d.release(held[x % len(held)], redispatch=bool(x % 2))
    elif op == "follow_up" and (done := [t for t in d.lifecycle.tickets()
                                         if d.state(t) is S.COMPLETED]):
        d.follow_up(done[x % len(done)], attrs.evolve(extra.tickets[k % 12], id=f"F-{k}"),
                    redispatch=False)
    elif op == "absent":
        d.technician_absent(scenario.technicians[x % 4].id)
    elif op == "reoptimize":
        d.reoptimize(solver="greedy")
    elif op == "ping":  # a position ping a few km from the technician's home
        home = scenario.technicians[x % 4].start_location
        d.update_position(scenario.technicians[x % 4].id,
                          attrs.evolve(home, x=home.x + (x % 11 - 5) / 100,
                                       y=home.y + (x % 7 - 3) / 100))
    else:
        return False
    return True


def test_events_in_a_row_cost_one_refresh_at_the_next_read():
    """arrive / complete / start_travel defer their refresh: several in a row cost one, run
    at the next read with the last event's clock; the result equals a full rebuild and the
    lifecycle follows it."""
    scenario = _day(7, techs=5, tickets=30)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    techs = [t.id for t in scenario.technicians if d.route(t.id)][:3]
    firsts = [d.route(t)[0] for t in techs]
    d.now = start + timedelta(minutes=5)
    d.start_travel(firsts[0])
    d.start_travel(firsts[1])
    d.plan  # noqa: B018 - settled
    ref = reference(d)
    calls: list[tuple[str, ...]] = []
    for x in (d, ref):
        refresh = x._live.refresh

        def counted(gone: tuple[str, ...] = (), _f=refresh, _x=x) -> list[str]:
            if _x is d:
                calls.append(gone)
            return _f(gone)

        x._live.refresh = counted  # type: ignore[method-assign]
    for x in (d, ref):
        x.now = start + timedelta(minutes=30)
        x.arrive(firsts[0])
        x.now = start + timedelta(minutes=40)
        x.arrive(firsts[1])
        x.now = start + timedelta(minutes=55)
        x.complete(firsts[0])
        x.start_travel(firsts[2])  # settles the three above, then defers its own
        x.now = start + timedelta(minutes=70)
    assert calls == [()]  # arrive, arrive, complete: one refresh
    assert d._live.pending is not None and d._live.pending[1] == start + timedelta(minutes=55)
    route = d.route(techs[0])  # a read settles start_travel, at its clock, not at now
    assert calls == [(), (firsts[2],)]
    assert d._live.pending is None and d.now == start + timedelta(minutes=70)
    assert route == ref.route(techs[0])
    assert_same_live_state(d, ref)
    # an overrun report right after deferred events: one refresh covers them all
    reports = []
    for x in (d, ref):
        x.complete(firsts[1])
        x.arrive(firsts[2])
        reports.append(x.report_overrun(firsts[2], extra=2 * fd.HOUR))
    assert calls == [(), (firsts[2],), ()]
    a, b = reports
    assert (a.at_risk, a.dropped, a.etas) == (b.at_risk, b.dropped, b.etas)
    assert (a.repair is None) == (b.repair is None)
    if a.repair is not None:
        assert (a.repair.changes, a.repair.unassigned, a.repair.objective_after) == \
            (b.repair.changes, b.repair.unassigned, b.repair.objective_after)
    assert_same_live_state(d, ref)
    # the lifecycle follows the refresh: no ticket is left scheduled but not planned
    planned = {t for t in d.lifecycle.tickets() if d._live.route_of(t) is not None}
    for t in d.lifecycle.tickets():
        if d.state(t) is S.SCHEDULED:
            assert t in planned, t


def test_a_copied_or_pickled_dispatcher_goes_on_like_the_original():
    """The live problem's lookups (node numbers that no longer follow the compiler's order)
    travel with copies and pickles: a copy taken mid-day, with a refresh pending, ends up
    in the same state as the original."""
    import pickle

    scenario = _day(27)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    job = next(t for t in d.lifecycle.tickets() if d.assignment(t))
    d.start_travel(job)
    d.arrive(job)
    d.plan  # noqa: B018 - settled: the live problem is now derived, not compiled
    d.complete(job)  # the technician is free where the job was
    assert d._live.pending is not None
    for twin in (copy.deepcopy(d), pickle.loads(pickle.dumps(d))):
        assert_same_live_state(d, twin)
        assert _log(d) == _log(twin)


def test_reopened_tickets_take_their_registration_place():
    """A released ticket and a new follow-up rejoin the live problem without a recompile, in
    registration order, exactly where a full rebuild puts them."""
    scenario = _day(5, techs=4, tickets=24)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = reference(d)
    planned = [t for t in d.lifecycle.tickets() if d.assignment(t)]
    held, job = planned[1], planned[0]
    follow = attrs.evolve(scenario.tickets[3], id="FU-1", windows=())
    for x in (d, ref):
        x.hold(held, reason="parts")
        x.now += timedelta(minutes=15)
        x.release(held, redispatch=False)
    live = d.problem  # settles the refresh the re-opened ticket deferred
    assert d._live.fast is not None and d._live.fast.problem is live  # no recompile
    ids = d.problem.index.ticket_ids
    assert ids.index(held) < len(ids) - 1  # back in registration order, not appended
    assert_same_live_state(d, ref)
    for x in (d, ref):
        x.start_travel(job)
        x.arrive(job)
        x.now += timedelta(hours=1)
        x.complete(job)
        x.follow_up(job, follow, redispatch=False)
    assert d.lifecycle.parent("FU-1") == job and d.problem.index.ticket_ids[-1] == "FU-1"
    assert_same_live_state(d, ref)
    for x in (d, ref):
        x.insert("FU-1")
    assert_same_live_state(d, ref)


def test_probable_parts_follow_the_incremental_path():
    """The compiled probable-part rows are taken along when a refresh drops tickets: the
    expected first-time fix equals a full rebuild's, and the live problem is judged without
    reading its scenario."""
    scenario = _day(5, techs=5, tickets=30)
    skus = sorted({s for t in scenario.tickets for s in t.parts})
    tickets = [attrs.evolve(t, probable_parts={skus[i % len(skus)]: 0.3, skus[0]: 0.1})
               if i % 2 else t for i, t in enumerate(scenario.tickets)]
    scenario = scenario.replace(tickets=tickets, category_parts={
        c: {skus[-1]: 0.4} for c in {t.category for t in tickets}})
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = reference(d)
    tech = next(t.id for t in scenario.technicians if d.route(t.id))
    first = d.route(tech)[0]
    for x in (d, ref):
        x.now = start + timedelta(minutes=5)
        x.start_travel(first)
    live = d.problem  # settles the deferred refresh
    assert d._live.fast is not None and d._live.fast.problem is live  # not recompiled
    assert not live.index.has_ticket(first)
    assert_same_live_state(d, ref)
    assert d.evaluation.kpis == ref.evaluation.kpis
    assert d.evaluation.kpis.expected_first_time_fix_pct < 100.0
    blind = copy.copy(d.problem)
    object.__setattr__(blind, "scenario", None)
    assert fd.evaluate(blind, d.plan).kpis == d.evaluation.kpis


def test_idle_rows_kept_while_the_start_only_moves_later_equal_a_full_rebuild(monkeypatch):
    """An idle technician's start moves with the clock at every event; their reach row is
    not redone while it is known to stay the same (``REACH_AHEAD``), and the live problem
    still equals a full rebuild at every step as windows close and shifts end.

    Clock steps of 50 s to 3 min 18 s (around the look-ahead), with hard windows ending
    every half hour and new tickets arriving (their columns must keep the rows'
    look-ahead true), cross look-ahead boundaries; every step is compared with a
    rebuild.
    """
    from fsdispatch.live import _reach

    base = _day(11, techs=5, tickets=30)
    day0 = base.technicians[0].shifts[0].start
    tickets = [attrs.evolve(t, window_kind="hard", windows=(
        fd.TimeWindow(day0, day0 + timedelta(minutes=40 + 30 * k)),))
        for k, t in enumerate(base.tickets)]
    scenario = attrs.evolve(base, tickets=tickets)
    d = Dispatcher(scenario, now=day0 - timedelta(minutes=10))  # nothing planned: all idle
    ref = reference(d)
    extra = fd.generate_scenario(5, 30, seed=12)
    redone: list[int] = []
    real = _reach.redo_reach

    def spy(fs, data, pre, reach, redo, later, until):  # type: ignore[no-untyped-def]
        redone.append(int(redo.shape[0]))
        real(fs, data, pre, reach, redo, later, until)

    monkeypatch.setattr(_reach, "redo_reach", spy)
    steps = 0
    for k in range(40):
        for x in (d, ref):
            x.advance(x.now + timedelta(seconds=50 + 37 * (k % 5)))
            if k % 3 == 0:  # reachable now, not for long: the rows' look-ahead must shrink
                end = x.now + timedelta(minutes=30 + k % 13)
                x.add(attrs.evolve(extra.tickets[k % 30], id=f"N-{k}", window_kind="hard",
                                   windows=(fd.TimeWindow(x.now, end),)))
        assert_same_live_state(d, ref)
        steps += 1
    # the rows were redone far less often than the idle starts moved (every route, every step)
    assert d._live.fast is not None
    assert sum(redone) < steps * d.problem.num_routes // 2, (sum(redone), steps)
