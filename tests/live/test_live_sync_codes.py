"""The deferred lifecycle sync codes the technician of each route by the problem's
technician numbers (``live_problem._route_techs``): the same pairs of routes match as
when coding by the route keys' technician ids."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_live_incremental import _OPS, _apply, _day

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from fsdispatch.live.live_problem import _route_techs

pytestmark = pytest.mark.property


def _by_id(keys_b: list[tuple[str, int]], keys_a: list[tuple[str, int]]) -> np.ndarray:
    """Whether route ``rb`` before and route ``ra`` now are of one technician (by id)."""
    return np.array([[kb[0] == ka[0] for ka in keys_a] for kb in keys_b], dtype=np.bool_)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 1000), _OPS)
def test_route_technician_codes_match_the_route_keys(seed, ops):
    """After any events, every route's key names the technician its number does, and the
    codes match the same route pairs as the ids (both coding paths)."""
    scenario = _day(seed)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    extra = fd.generate_scenario(4, 12, seed=seed + 1)
    live = d._live
    before = (live.problem, list(live.route_key))
    for k, (op, x) in enumerate(ops):
        if not _apply(d, op, x, k, extra, scenario):
            continue
        d.plan  # noqa: B018 - settles the deferred refresh
        problem, keys = live.problem, list(live.route_key)
        ids = problem.index.technician_ids
        assert [ids[t] for t in problem.data.rt.tech.tolist()] == [key[0] for key in keys]
        (p_b, keys_b) = before
        tb, ta = _route_techs(p_b.data.rt.tech, p_b.index, keys_b, problem.data.rt.tech,
                              problem.index, keys)
        assert tb[-1] == ta[-1] == -1
        assert np.array_equal(tb[:-1, None] == ta[None, :-1], _by_id(keys_b, keys))
        before = (problem, keys)


def test_route_technician_codes_by_id_when_the_technicians_differ():
    """Problems numbering other technicians: the codes come from the route keys' ids."""
    a = fd.compile_scenario(fd.generate_scenario(3, 4, seed=1))
    b = fd.compile_scenario(fd.generate_scenario(2, 4, seed=2))
    keys_a = [(a.index.technician_ids[t], 0) for t in a.data.rt.tech.tolist()]
    keys_b = [(b.index.technician_ids[t], 0) for t in b.data.rt.tech.tolist()]
    keys_b[0] = keys_a[-1]  # one technician in both
    tb, ta = _route_techs(b.data.rt.tech, b.index, keys_b, a.data.rt.tech, a.index, keys_a)
    assert tb[-1] == ta[-1] == -1
    assert np.array_equal(tb[:-1, None] == ta[None, :-1], _by_id(keys_b, keys_a))


def test_a_refresh_without_a_changed_column_keeps_the_routes_per_ticket():
    """The clock moving a few minutes during the day redoes idle technicians' reach rows;
    when no ticket column changed the last routes per ticket and reasons are kept (the same
    arrays), and the live state still equals a full rebuild."""
    from test_live_incremental import assert_same_live_state, reference

    scenario = _day(3, techs=5, tickets=30)
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    ref = reference(d)
    kept = 0
    for step in range(12):
        before = d.problem
        for x in (d, ref):
            x.advance(start + timedelta(minutes=20 + 3 * step))
        after = d.problem  # settles the deferred refresh
        assert d._live.fast is not None and d._live.fast.problem is after
        if after is not before and after.ticket_routes is before.ticket_routes:
            kept += 1
            assert after.compatible is before.compatible
            assert after.unservable is before.unservable
        assert_same_live_state(d, ref)
        fd.check_plan(after, d.plan)
    assert kept > 0
