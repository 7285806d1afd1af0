"""The schedule rule places breaks optimally: a feasible timing is found whenever one exists.

The evaluator, compile's reachability and every backend time routes with one
kernel (:mod:`fsdispatch.kernels.timing`). These tests hold it to a brute
force over every placement of the breaks on small routes, and pin the two
reproductions of issue #15 where the old rule rejected feasible days.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
import fsdispatch.testing.strategies as fdt
from conftest import DAY0, at

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

SPEED = 60.0  # km/h: 1 km of planar distance is 60 s of travel


def _day(techs: list[fd.Technician], tickets: list[fd.Ticket]) -> fd.Scenario:
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), techs, tickets,
                       travel=fd.GeometricTravel(speed_kmh=SPEED, detour=1.0), name="breaks")


def _hm(ts: int) -> str:
    return (DAY0 + timedelta(seconds=int(ts))).strftime("%H:%M")


def test_a_service_waits_for_a_break_that_fits_before_it() -> None:
    """Issue #15: lunch 11:30-12:15 while waiting, serve 12:15-12:55, home 14:59.

    Tech 07:00-15:00, a 45-minute lunch starting 11:30-13:30, a ticket 124
    minutes away with window 12:00-14:00 and 40 minutes of service. The old
    rule served at 12:00, then took lunch and came home at 15:29 (late), so
    the ticket was compiled as ``no_shift``.
    """
    lunch = fd.Break(fd.TimeWindow(at(11.5), at(13.5) + timedelta(minutes=45)), 45 * fd.MINUTE)
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(7), at(15), breaks=[lunch])])
    ticket = fd.Ticket("T", fd.Location.planar(124, 0), 40 * fd.MINUTE,
                       windows=[fd.TimeWindow(at(12), at(14))])
    scenario = _day([tech], [ticket])
    problem = fd.compile_scenario(scenario)
    assert problem.unservable[0] == 0
    assert problem.compatible[0, 0] == 0
    for solver, limits in (("greedy", {}), ("ls", {"max_iterations": 50}),
                           ("cpsat", {"time_limit": 10}), ("milp", {"time_limit": 10})):
        result = fd.solve(problem, solver, seed=0, **limits)
        assert result.plan.routes == ((0,),), solver
        assert result.evaluation.is_feasible, solver
    ev = fd.evaluate(problem, fd.Plan(routes=[(0,)]))
    times = ev.times
    assert ev.is_feasible
    assert _hm(times.break_start[0]) == "11:30"
    assert (_hm(times.start[0]), _hm(times.end[0])) == ("12:15", "12:55")
    assert _hm(times.route_return[0]) == "14:59"


def test_a_break_is_kept_for_after_a_tight_job() -> None:
    """Issue #15: A (11:00-11:10, 40 min) then B (10 min away, 11:50-11:55) with a break
    whose window opens at 11:00: the break goes after B, not between A and B."""
    brk = fd.Break(fd.TimeWindow(at(11), at(15)), 30 * fd.MINUTE)
    tech = fd.Technician("A", fd.Location.planar(0, 0),
                         [fd.Shift(at(8), at(17), breaks=[brk])])
    a = fd.Ticket("A1", fd.Location.planar(10, 0), 40 * fd.MINUTE,
                  windows=[fd.TimeWindow(at(11), at(11) + timedelta(minutes=10))])
    b = fd.Ticket("B1", fd.Location.planar(20, 0), 20 * fd.MINUTE,
                  windows=[fd.TimeWindow(at(11) + timedelta(minutes=50),
                                         at(11) + timedelta(minutes=55))])
    problem = fd.compile_scenario(_day([tech], [a, b]))
    ev = fd.evaluate(problem, fd.Plan(routes=[(0, 1)]))
    assert ev.is_feasible, ev.violations
    t = ev.times
    assert (_hm(t.start[0]), _hm(t.start[1])) == ("11:00", "11:50")
    assert _hm(t.break_start[0]) == "12:10"  # after B, before the way home
    result = fd.solve(problem, "greedy")
    assert result.evaluation.is_feasible and not result.plan.unassigned


def test_a_visit_is_not_kept_waiting_for_a_break_that_fits_later() -> None:
    """Ties go to breaks taken later (issue #16): A (no window, 10 min away) then B (window
    14:00-16:00), lunch 30 min from 11:30. Lunch before A (idle until 11:30, serve A at
    12:00) and after A (serve A at 08:10, lunch while waiting for B) both come home at
    14:40 at no lateness cost; the rule serves A at 08:10. Appending B re-times nothing
    before it: A starts as it does on the route (A,) alone."""
    lunch = fd.Break(fd.TimeWindow(at(11.5), at(13.5)), 30 * fd.MINUTE)
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17), breaks=[lunch])])
    a = fd.Ticket("A1", fd.Location.planar(10, 0), 20 * fd.MINUTE)
    b = fd.Ticket("B1", fd.Location.planar(20, 0), 20 * fd.MINUTE,
                  windows=[fd.TimeWindow(at(14), at(16))])
    problem = fd.compile_scenario(_day([tech], [a, b]))
    ev = fd.evaluate(problem, fd.Plan(routes=[(0, 1)]))
    assert ev.is_feasible, ev.violations
    t = ev.times
    assert (_hm(t.start[0]), _hm(t.start[1])) == ("08:10", "14:00")
    assert "11:30" <= _hm(t.break_start[0]) <= "13:00"
    assert _hm(t.route_return[0]) == "14:40"
    alone = fd.evaluate(problem, fd.Plan(routes=[(0,)], unassigned={1: "open"}))
    assert int(alone.times.start[0]) == int(t.start[0])


# ---------------------------------------------------------------- brute force


def _brute_force(open_t: int, max_close: int, xs: list[int], svcs: list[int],
                 wins: list[tuple[int, int]], breaks: list[tuple[int, int, int]]) -> int | None:
    """Earliest return over every placement of the breaks (None: no feasible timing).

    Stops are on a line from/to x = 0; ``breaks`` are ``(earliest start, latest start,
    duration)`` taken in order, each before leaving a stop (or home) or on arrival at the
    next one, or not at all when its window opens at or after the return.
    """
    n = len(xs)
    legs = [abs(a - b) * 60 for a, b in zip([0, *xs], [*xs, 0], strict=True)]
    # slots in time order: (gap, 0) before leaving, (gap, 1) on arrival; the last gap has
    # only "before leaving"; -1: not taken
    slots = [(g, side) for g in range(n + 1) for side in (0, 1) if g < n or side == 0]
    best = None
    for k_taken in range(len(breaks) + 1):
        for placement in itertools.combinations_with_replacement(range(len(slots)), k_taken):
            t = open_t
            taken = [slots[i] for i in placement]
            ok = True
            q = 0
            for g in range(n + 1):
                for side in (0, 1):
                    if side == 1:
                        t += legs[g]
                        if g == n:
                            break
                    while q < k_taken and taken[q] == (g, side):
                        es, ls, d = breaks[q]
                        bs = max(t, es)
                        if bs > ls:
                            ok = False
                        t = bs + d
                        q += 1
                if g == n:
                    break
                ws, we = wins[g]
                s = max(t, ws)
                if s > we:
                    ok = False
                t = s + svcs[g]
            if not ok or t > max_close:
                continue
            if any(breaks[i][0] < t for i in range(k_taken, len(breaks))):
                continue  # a break left out although its window opens before the return
            best = t if best is None else min(best, t)
    return best


@st.composite
def _small_routes(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 4))
    xs = [draw(st.integers(1, 40)) for _ in range(n)]
    svcs = [draw(st.integers(1, 6)) * 10 * 60 for _ in range(n)]
    open_t = 7 * 3600
    wins = []
    for _ in range(n):
        ws = open_t + draw(st.integers(0, 16)) * 30 * 60
        wins.append((ws, ws + draw(st.integers(1, 8)) * 15 * 60))
    breaks = []
    es = open_t
    for _ in range(draw(st.integers(0, 2))):
        es += draw(st.integers(0, 10)) * 30 * 60
        span = draw(st.integers(0, 6)) * 15 * 60
        d = draw(st.integers(1, 4)) * 15 * 60
        breaks.append((es, es + span, d))
    length = draw(st.integers(4, 14)) * 3600
    breaks = [(es, ls, d) for es, ls, d in breaks if es + d <= open_t + length]
    return open_t, open_t + length, xs, svcs, wins, breaks


@settings(max_examples=300)
@given(_small_routes())
def test_the_rule_finds_the_earliest_feasible_return(case: tuple) -> None:
    """On random routes of up to 4 visits and 2 breaks the evaluator's timing is feasible
    exactly when some placement of the breaks is, and returns as early as the best one."""
    open_t, max_close, xs, svcs, wins, breaks = case
    start = DAY0 + timedelta(seconds=open_t)
    shift = fd.Shift(start, DAY0 + timedelta(seconds=max_close), breaks=[
        fd.Break(fd.TimeWindow(DAY0 + timedelta(seconds=es), DAY0 + timedelta(seconds=ls + d)),
                 d) for es, ls, d in breaks])
    tech = fd.Technician("A", fd.Location.planar(0, 0), [shift])
    tickets = [fd.Ticket(f"T{k}", fd.Location.planar(x, 0), svc,
                         windows=[fd.TimeWindow(DAY0 + timedelta(seconds=ws),
                                                DAY0 + timedelta(seconds=we))])
               for k, (x, svc, (ws, we)) in enumerate(zip(xs, svcs, wins, strict=True))]
    problem = fd.compile_scenario(_day([tech], tickets))
    ev = fd.evaluate(problem, fd.Plan(routes=[tuple(range(len(xs)))]))
    best = _brute_force(open_t, max_close, xs, svcs, wins, breaks)
    assert ev.is_feasible == (best is not None), (ev.violations, best)
    if best is not None:
        assert int(ev.times.route_return[0]) == best
        # the evaluator's own timing keeps every rule it states
        for b, (es, ls, _d) in enumerate(breaks):
            bs = int(ev.times.break_start[b])
            assert bs == -1 or es <= bs <= ls


@pytest.mark.parametrize("seed", range(3))
def test_every_consumer_agrees_on_days_with_breaks(seed: int) -> None:
    """Greedy's and ls's own objectives equal the evaluator's on days where every shift has
    one or two breaks (one schedule rule for insertion pricing and judging)."""
    base = fd.generate_scenario(6, 40, seed=seed)
    techs = []
    for t in base.technicians:
        shifts = []
        for sh in t.shifts:
            mid = sh.start + (sh.end - sh.start) / 2
            shifts.append(fd.Shift(sh.start, sh.end, sh.start_location, sh.end_location, breaks=[
                fd.Break(fd.TimeWindow(sh.start + timedelta(hours=2), mid), 15 * fd.MINUTE),
                fd.Break(fd.TimeWindow(mid - timedelta(hours=1), mid + timedelta(hours=2)),
                         45 * fd.MINUTE)]))
        techs.append(attrs.evolve(t, shifts=shifts))
    scenario = base.replace(technicians=techs)
    for solver, opts in (("greedy", {}), ("ls", {"max_iterations": 300})):
        result = fd.solve(scenario, solver, seed=seed, **opts)
        assert result.evaluation.is_feasible, (solver, result.evaluation.violations[:3])
        own = result.stats.get("backend_objective")
        assert own == pytest.approx(result.evaluation.objective, rel=1e-9, abs=1e-6), solver


@settings(max_examples=40, deadline=None)
@given(fdt.scenarios(max_technicians=4, max_tickets=8, max_breaks=2, long_jobs=True,
                     low_caps=True))
def test_reachability_is_the_evaluators_verdict_on_one_visit_routes(scenario) -> None:
    """Compile's reachability (the rule's one-stop fast path) says a route can serve a
    ticket exactly when the evaluator finds that route with that ticket alone feasible."""
    problem = fd.compile_scenario(scenario)
    for j in range(problem.num_tickets):
        able = set(problem.routes_for(j).tolist())
        for r in range(problem.num_routes):
            routes: list[tuple[int, ...]] = [()] * problem.num_routes
            routes[r] = (j,)
            unassigned = {k: fd.UnassignedReason.SOLVER_LIMIT
                          for k in range(problem.num_tickets) if k != j}
            ev = fd.evaluate(problem, fd.Plan(tuple(routes), unassigned))
            assert ev.is_feasible == (r in able), (r, j, ev.violations[:2])
