"""The schedule rule's static variant is the same rule as the time-dependent path.

Static days price insertions with the rule compiled for a travel group without a profile
(``tv.prof`` ``None``, a numba type of its own; :func:`fsdispatch.kernels.timing.leg_time`:
the leg costs its cached seconds, no test in the hot loops). A day whose travel is
time-dependent with a flat profile (every period at speed factor 1) goes through the
time-dependent path (each leg timed by its departure) and must give, second for second,
the same prices and the same plans.
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _flat(scenario: fd.Scenario) -> fd.Scenario:
    """``scenario`` with its travel time-dependent at a constant speed factor of 1."""
    return attrs.evolve(scenario, travel=fd.TimeDependentTravel(scenario.travel,
                                                                fd.SpeedProfile.constant(1.0)))


@settings(max_examples=30, deadline=None)
@given(scenarios(max_technicians=3, max_tickets=10, max_breaks=2), st.integers(0, 2**31 - 1))
def test_static_variant_prices_every_insertion_as_a_flat_profile(scenario, seed):
    """Every (route, unrouted ticket) of a partial plan: the static variant's cheapest
    insertion (full pricing and the search's slack pricing) equals the time-dependent
    path's on the flat-profile day, cost and position."""
    from fsdispatch.kernels.insertion import best_insertion, make_work
    from fsdispatch.solvers.local_search import _state as K
    from fsdispatch.solvers.local_search.solver import _make_buf, _make_sol

    static = fd.compile_scenario(scenario)
    flat = fd.compile_scenario(_flat(scenario))
    assert static.data.tv.td == 0 and flat.data.tv.td != 0
    plan = fd.solve(static, "greedy").plan
    rng = np.random.default_rng(seed)
    routes = [[j for j in route if rng.random() < 0.6] for route in plan.routes]
    sols = [_make_sol(p, routes) for p in (static, flat)]
    width = sols[0].st.seq.shape[1]
    bufs = [_make_buf(p, width) for p in (static, flat)]
    wks = [make_work(p.data, width) for p in (static, flat)]
    routed = {j for route in routes for j in route}
    for j in range(static.num_tickets):
        if j in routed:
            continue
        for r in static.routes_for(j).tolist():
            full = [best_insertion(p.data, r, j, s.st, w)
                    for p, s, w in zip((static, flat), sols, wks, strict=True)]
            assert full[0] == full[1]
            slack = [K.best_insertion_slack(p.data, r, j, s, w, b, 0.0, 0)
                     for p, s, w, b in zip((static, flat), sols, wks, bufs, strict=True)]
            assert slack[0] == slack[1]


@settings(max_examples=15, deadline=None)
@given(scenarios(max_technicians=3, max_tickets=10, max_breaks=2))
def test_static_days_plan_as_flat_profile_days(scenario):
    """greedy and ``ls`` (fixed iterations) make the same plan, at the same objective (the
    evaluator's), on a static day and on the same day with a flat traffic profile."""
    flat = _flat(scenario)
    for backend, limits in (("greedy", {}), ("ls", {"max_iterations": 60})):
        a = fd.solve(scenario, backend, seed=5, **limits)
        b = fd.solve(flat, backend, seed=5, **limits)
        assert a.plan.routes == b.plan.routes, backend
        assert a.evaluation.objective == pytest.approx(b.evaluation.objective, rel=1e-12,
                                                       abs=1e-9), backend


def test_the_variant_is_chosen_by_the_days_kernel_data(monkeypatch):
    """A static day's travel group has no profile, a traffic day's has one: their kernel
    data are of two numba types (so each day compiles only its variant of the rule), and
    the struct converter's direct entry points keep them apart when both kinds of day
    alternate in one process (``FSDISPATCH_ASSERT=1`` checks each conversion's type)."""
    from numba import typeof

    from fsdispatch.kernels.structs import kernel_data
    from fsdispatch.solvers._warm import is_traffic_day, tiny_problem

    monkeypatch.setenv("FSDISPATCH_ASSERT", "1")
    static, flat = tiny_problem(), tiny_problem(traffic=True)
    assert static.data.tv.prof is None and flat.data.tv.prof is not None
    assert not is_traffic_day(static) and is_traffic_day(flat) and not is_traffic_day(None)
    assert typeof(static.data) != typeof(flat.data)
    for p in (static, flat, static, flat):
        kd = kernel_data(p.data.fields._replace(ticket_node=p.data.ticket_node.copy()))
        assert typeof(kd) == typeof(p.data)
    a = fd.solve(static, "greedy")
    b = fd.solve(flat, "greedy")
    assert a.plan.routes == b.plan.routes
    assert a.evaluation.objective == pytest.approx(b.evaluation.objective, rel=1e-12)
