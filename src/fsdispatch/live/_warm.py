"""The live dispatcher's warm-up: every live-dispatch kernel loaded once per process."""

from __future__ import annotations

import time
from datetime import timedelta

import attrs
import numpy as np

from . import pricing
from .dispatcher import Dispatcher

__all__ = ["warm_up"]


_WARM = False


def warm_up() -> float:
    """Load (or compile, on a fresh install) every live-dispatch kernel once per process.

    The first call of each numba kernel in a process loads it from the
    on-disk cache (tens of ms each, a minute of compilation on a fresh
    install). Call this at service start so the first ``recommend`` or
    ``insert`` is as fast as the others. Returns the seconds spent (0 when
    already warm).
    """
    global _WARM
    if _WARM:
        return 0.0
    from ..generate import generate_scenario
    from ..problem.reasons import routes_and_reasons, routes_and_reasons_at
    from ._kernels import eject_candidates, nearest_routes

    tic = time.perf_counter()
    _WARM = True
    scenario = generate_scenario(3, 12, seed=0, name="warm-up")
    d = Dispatcher(scenario)
    d.plan_day(solver="greedy")
    new = attrs.evolve(scenario.tickets[0], id="warm-up-new")
    d.recommend(new, k=2)
    live = d._live  # noqa: SLF001 - the live plan's kernels, warmed directly
    ctx = pricing.pricing_context(live, new)
    st = live.copy_state()
    kd = ctx.kd
    routes = np.arange(d.problem.num_routes, dtype=np.int64)
    routes.setflags(write=False)  # as the live problem's route lists are
    near = nearest_routes(kd, routes, ctx.j, st, 2)
    out = np.empty((8, 6))
    eject_candidates(kd, ctx.j, near, d.problem.ticket_routes_ptr, d.problem.ticket_routes,
                     np.ones(kd.ticket_node.shape[0], dtype=np.bool_), st, live.work(kd, st),
                     live.scratch(), out)
    d.insert(new)
    planned = next(iter(d.etas()), None)
    if planned is not None:
        d.explain(planned)
        d.start_travel(planned)  # the incremental refresh's kernels
        d.arrive(planned)
        d.etas()
        d.complete(planned)
        d.advance(d.now + timedelta(minutes=30))
        fast = d._live.fast  # noqa: SLF001 - the new columns' look-ahead check
        if fast is not None:
            fast.keep_until(d.problem.data, 0)
    # a wide desk's refresh derives routes per ticket for the changed columns only
    p = d.problem
    reach = np.zeros((p.num_routes, p.num_tickets), dtype=np.uint8)
    r_tech = p.data.rt.tech
    pre = np.zeros((p.num_technicians, p.num_tickets), dtype=np.int8)
    outside = np.zeros(p.num_tickets, dtype=np.bool_)
    routes_and_reasons_at(reach, r_tech, pre, outside,
                          routes_and_reasons(reach, r_tech, pre, outside),
                          np.zeros(min(p.num_tickets, 1), dtype=np.int64))
    # a desk with more routes than the greedy backend prices per ticket, rebuilt with its plan
    busy = generate_scenario(30, 60, seed=1, name="warm-up")
    d = Dispatcher(busy)
    d.plan_day(solver="greedy")
    d._live.rebuild(None)  # noqa: SLF001 - a full rebuild of a planned desk
    d.insert(attrs.evolve(busy.tickets[0], id="warm-up-new"))
    from ..solvers.base import Limits
    from ..solvers.greedy import GreedySolver

    GreedySolver(max_candidates=2).solve(d.problem, Limits(), 0, None)
    return time.perf_counter() - tic
