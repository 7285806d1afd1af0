"""The live refresh updated in place equals a fresh compile (issues #16, #18, #20 speed work).

A refresh that keeps the tickets and routes (a position ping, a job finishing on time)
updates the live problem's aux arrays in place, derives the routes per ticket only for
the ticket columns whose reach changed (:func:`fsdispatch.problem.reasons.routes_and_reasons_at`)
and re-lays only the changed technicians' routes in the live route state
(:func:`fsdispatch.kernels.routes.clear_routes`). These tests hold each piece to the
full computation it replaces, and random event sequences to a full rebuild.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_live_incremental import _apply, assert_same_live_state, reference

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from fsdispatch.problem.reasons import routes_and_reasons, routes_and_reasons_at

pytestmark = pytest.mark.property


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 9), st.integers(1, 12))
def test_routes_and_reasons_at_equals_the_whole_matrix(seed, techs, routes, tickets):
    """Splicing the changed columns into the previous result equals deriving everything
    again from the whole matrix: compatibility, routes per ticket (CSR) and unservable
    reasons, for random reach matrices, codes and changed columns."""
    rng = np.random.default_rng(seed)
    r_tech = rng.integers(0, techs, routes).astype(np.int64)
    codes = np.array([0, 0, 0, 1, 2, 5, 7], dtype=np.int8)  # mostly compatible

    def draw() -> tuple[np.ndarray, np.ndarray]:
        return (rng.integers(0, 2, (routes, tickets)).astype(np.uint8),
                codes[rng.integers(0, codes.shape[0], (techs, tickets))])

    outside = rng.random(tickets) < 0.1
    reach0, pre0 = draw()
    base = routes_and_reasons(reach0, r_tech, pre0, outside)
    reach1, pre1 = draw()
    cols = np.flatnonzero(rng.random(tickets) < 0.5)
    reach, pre = reach0.copy(), pre0.copy()
    reach[:, cols], pre[:, cols] = reach1[:, cols], pre1[:, cols]
    got = routes_and_reasons_at(reach, r_tech, pre, outside, base, cols)
    want = routes_and_reasons(reach, r_tech, pre, outside)
    for a, b, name in zip(got, want, ("compat", "ptr", "routes", "unservable"), strict=True):
        assert np.array_equal(a, b), name
        assert not a.flags.writeable, name
    # nothing changed: the previous result itself
    assert routes_and_reasons_at(reach, r_tech, pre, outside, want,
                                 np.zeros(0, dtype=np.int64))[1] is want[1]


def test_clear_routes_gives_the_empty_routes_of_a_fresh_state():
    """Clearing every route of some technicians in a laid state gives exactly the arrays of
    a fresh state for those routes, their day groups and their part usage."""
    from fsdispatch.kernels.routes import clear_routes
    from fsdispatch.solvers.greedy import make_state, state_routes

    problem = fd.compile_scenario(fd.generate_scenario(5, 40, seed=3, num_parts=3))
    plan = fd.solve(problem, "greedy").plan
    laid = make_state(problem, [list(r) for r in plan.routes])
    fresh = make_state(problem, None)
    assert any(state_routes(laid))
    kd = problem.data
    techs = np.array([0, 2])
    rows = np.flatnonzero(np.isin(kd.rt.tech, techs)).astype(np.int64)
    clear_routes(kd, laid, rows)
    for name in laid._fields:
        a, b = getattr(laid, name), getattr(fresh, name)
        if name in ("group_count",):
            groups = np.unique(kd.rt.group[rows])
            assert np.array_equal(a[groups], b[groups]), name
        elif name == "usage":
            assert np.array_equal(a[techs], b[techs]), name
        elif name in ("dused", "tech_ptr", "tbuf"):
            continue
        else:
            assert np.array_equal(a[rows], b[rows]), name


_PING_OPS = st.lists(st.tuples(st.sampled_from(["ping", "ping", "ping", "complete", "start",
                                                "arrive", "add", "insert", "cancel",
                                                "advance", "delay"]),
                               st.integers(0, 10_000)), min_size=4, max_size=14)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 1000), _PING_OPS)
def test_in_place_refreshes_equal_a_full_rebuild(seed, ops):
    """Random live events, mostly position pings (refreshes that keep tickets and routes),
    leave the live problem, plan, reasons and ETAs equal to a full rebuild after each
    event, the plan clean for the shared evaluator; the in-place paths were taken."""
    from fsdispatch.live import _relay

    scenario = fd.generate_scenario(4, 24, seed=seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = reference(d)
    extra = fd.generate_scenario(4, 12, seed=seed + 1)
    in_place = 0
    pinged = False
    real = _relay._lay_in_place

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal in_place
        out = real(*args, **kwargs)
        in_place += out is not None
        return out

    _relay._lay_in_place = spy
    try:
        for k, (op, x) in enumerate(ops):
            did = [_apply(disp, op, x, k, extra, scenario) for disp in (d, ref)]
            assert did[0] == did[1]
            if not did[0]:
                continue
            # a ping that moved a technician left a refresh to make (one that did not
            # changes nothing: no refresh)
            pinged = pinged or (op == "ping" and d._live.pending is not None)
            ev = fd.check_plan(d.problem, d.plan)
            assert ev.is_feasible
            if op not in ("insert", "add", "ping"):  # (a ping keeps the plan's clock)
                assert_same_live_state(d, ref)
    finally:
        _relay._lay_in_place = real
    if pinged:
        assert in_place  # a ping's refresh keeps tickets and routes


def test_a_ping_refresh_is_laid_in_place_and_equals_a_rebuild():
    """A ping followed by a read: the refresh keeps tickets and routes, is laid in the live
    route state itself, and equals a full rebuild; so does a job finishing after it."""
    from fsdispatch.live import _relay

    scenario = fd.generate_scenario(5, 30, seed=4)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start + timedelta(minutes=30))
    d.plan_day(solver="greedy")
    ref = reference(d)
    calls: list[bool] = []
    real = _relay._lay_in_place

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    _relay._lay_in_place = spy
    try:
        idle = [t for t in scenario.technicians if d.route(t.id)]
        for k, tech in enumerate(idle[:3]):
            home = tech.start_location
            for x in (d, ref):  # (a ping keeps the plan's clock: the clock stays)
                x.update_position(tech.id, attrs.evolve(home, x=home.x + 0.02 * (k + 1),
                                                        y=home.y - 0.01))
            st_before = d._live.__dict__["_raw_st"]  # (not settled yet)
            d.problem  # noqa: B018 - the read settles the refresh the ping deferred
            assert d._live.__dict__["_raw_st"] is st_before  # laid in place, not a fresh state
            d.recommend(d.route(tech.id)[0], k=2)  # (an open ticket: the width stays)
            ref._live.rebuild(None)
            assert_same_live_state(d, ref)
    finally:
        _relay._lay_in_place = real
    assert calls and all(calls)
