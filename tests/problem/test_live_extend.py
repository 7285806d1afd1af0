"""append_ticket(): growing a compiled problem by one ticket equals a full recompile."""

from __future__ import annotations

from datetime import timedelta

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.problem.extend import append_ticket, ticket_rows

_PER_TICKET = {
    "win": ("ptr", "start", "end", "soft"),
    "cost": ("late_w", "response_by", "resolve_by", "sla_w", "penalty", "priority"),
    "res": ("demand", "part_ptr", "part_qty", "pref_ptr", "pref_tech"),
    "tech": ("service", "compat", "labour"),
}


pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _assert_same(grown: fd.Problem, full: fd.Problem) -> None:
    """Every array that does not depend on node/part numbering is equal, and plans judge alike."""
    assert grown.index.ticket_ids == full.index.ticket_ids
    for name in ("compatible", "unservable", "ticket_routes_ptr", "ticket_routes"):
        assert np.array_equal(getattr(grown, name), getattr(full, name)), name
    for group, fields in _PER_TICKET.items():
        a, b = getattr(grown.data, group), getattr(full.data, group)
        for f in fields:
            assert np.array_equal(getattr(a, f), getattr(b, f)), (group, f)
    # parts by sku id (a new sku is appended, the compiler sorts)
    def skus(p: fd.Problem, j: int) -> list[str]:
        lo, hi = p.data.res.part_ptr[j], p.data.res.part_ptr[j + 1]
        return [p.index.sku_ids[k] for k in p.data.res.part_sku[lo:hi]]

    for j in range(full.num_tickets):
        assert skus(grown, j) == skus(full, j)
    # travel, costs and times: the same plan is judged identically
    plan = fd.solve(full, "greedy").plan
    e_full, e_grown = fd.evaluate(full, plan), fd.evaluate(grown, plan)
    assert e_grown.objective == e_full.objective
    assert e_grown.violations == e_full.violations
    assert np.array_equal(e_grown.times.start, e_full.times.start)
    assert np.array_equal(e_grown.times.route_return, e_full.times.route_return)


@given(st.integers(0, 10_000), st.integers(0, 39))
def test_append_equals_recompile_on_generated_days(seed, k):
    """Removing any ticket and appending it back gives the recompiled problem's arrays and costs."""
    scenario = fd.generate_scenario(6, 40, seed=seed)
    ticket = scenario.tickets[k]
    rest = tuple(t for t in scenario.tickets if t.id != ticket.id)
    base = fd.compile_scenario(scenario.replace(tickets=rest))
    full = fd.compile_scenario(scenario.replace(tickets=(*rest, ticket)))
    _assert_same(append_ticket(base, ticket), full)


@given(st.integers(0, 10_000), st.integers(0, 39), st.integers(0, 3))
def test_append_equals_recompile_with_depots(seed, k, extra):
    """The same on days with depots: a new ticket's part check counts a depot that holds
    the van's shortfall (the compiler's rule, problem/rows.py), and node numbers count
    the depots (before, growing such a problem failed)."""
    scenario = fd.generate_scenario(6, 40, seed=seed)
    skus = sorted({s for t in scenario.tickets for s in t.parts})
    start = scenario.technicians[0].shifts[0].start
    depots = [fd.Depot("D1", scenario.tickets[0].location, stock={s: extra for s in skus},
                       opening_hours=[fd.TimeWindow(start, start + timedelta(hours=6))],
                       pickup_time=10 * fd.MINUTE),
              fd.Depot("D2", scenario.technicians[0].start_location,
                       stock={s: 2 for s in skus[::2]})]
    scenario = scenario.replace(depots=depots)
    ticket = scenario.tickets[k]
    rest = tuple(t for t in scenario.tickets if t.id != ticket.id)
    base = fd.compile_scenario(scenario.replace(tickets=rest))
    full = fd.compile_scenario(scenario.replace(tickets=(*rest, ticket)))
    _assert_same(append_ticket(base, ticket), full)


@given(st.integers(0, 10_000), st.integers(0, 39))
def test_append_equals_recompile_with_skill_factors(seed, k):
    """The same when technicians have per-skill service factors (the service rows come from
    one builder, problem/rows.service_seconds)."""
    scenario = fd.generate_scenario(6, 40, seed=seed)
    techs = [attrs.evolve(t, skill_factors={s: 0.5 + 0.25 * ((i + n) % 4)
                                      for n, s in enumerate(sorted(t.skills))})
             if i % 2 == 0 else t for i, t in enumerate(scenario.technicians)]
    scenario = scenario.replace(technicians=techs)
    ticket = scenario.tickets[k]
    rest = tuple(t for t in scenario.tickets if t.id != ticket.id)
    base = fd.compile_scenario(scenario.replace(tickets=rest))
    full = fd.compile_scenario(scenario.replace(tickets=(*rest, ticket)))
    assert (full.data.tech.service != fd.compile_scenario(scenario.replace(
        technicians=[attrs.evolve(t, skill_factors={}) for t in techs])).data.tech.service).any()
    _assert_same(append_ticket(base, ticket), full)


def test_append_new_location_part_and_preferences(tiny):
    """A ticket at a new place, needing an unknown part, with a preferred technician."""
    base = fd.compile_scenario(tiny)
    ticket = fd.Ticket("T9", fd.Location.planar(7, 3), 45 * fd.MINUTE, parts={"valve": 1},
                       preferred_technicians=["B"], priority="P1")
    full = fd.compile_scenario(tiny.replace(tickets=(*tiny.tickets, ticket)))
    grown = append_ticket(base, ticket)
    _assert_same(grown, full)
    assert grown.unservable[-1] == fd.UnassignedReason.NO_PART.code
    # growing twice keeps working (the lookup context is carried forward)
    second = fd.Ticket("T10", fd.Location.planar(7, 3), 20 * fd.MINUTE)
    full2 = fd.compile_scenario(tiny.replace(tickets=(*tiny.tickets, ticket, second)))
    _assert_same(append_ticket(grown, second), full2)


def test_append_with_matrix_travel():
    """Matrix travel: the new ticket's node maps to its matrix row."""
    ids = ["depot", "a", "b", "c"]
    dur = [[0, 600, 900, 1200], [600, 0, 300, 700], [900, 300, 0, 400], [1200, 700, 400, 0]]
    horizon = fd.Horizon(DAY0, DAY0 + timedelta(days=1))
    tech = fd.Technician("A", fd.Location.planar(0, 0, id="depot"), [fd.Shift(at(8), at(17))])
    tickets = [fd.Ticket("a", fd.Location.planar(1, 0, id="a"), 1800),
               fd.Ticket("b", fd.Location.planar(2, 0, id="b"), 1800)]
    scenario = fd.Scenario(horizon, [tech], tickets, travel=fd.MatrixTravel(ids, dur))
    new = fd.Ticket("c", fd.Location.planar(3, 0, id="c"), 900)
    _assert_same(append_ticket(fd.compile_scenario(scenario), new),
                 fd.compile_scenario(scenario.replace(tickets=(*tickets, new))))
    with pytest.raises(fd.UnknownReferenceError, match="travel matrix"):
        ticket_rows(fd.compile_scenario(scenario),
                    fd.Ticket("x", fd.Location.planar(3, 0, id="nowhere"), 900))


def test_append_rejects_bad_tickets(tiny):
    """Duplicate ids and unknown technicians are refused with errors naming the ticket."""
    problem = fd.compile_scenario(tiny)
    with pytest.raises(fd.ValidationError, match="'T1'"):
        append_ticket(problem, fd.Ticket("T1", fd.Location.planar(0, 0), 600))
    with pytest.raises(fd.UnknownReferenceError, match="ghost"):
        append_ticket(problem, fd.Ticket("T8", fd.Location.planar(0, 0), 600,
                                         excluded_technicians=["ghost"]))
    with pytest.raises(fd.ValidationError, match="coordinate system"):
        append_ticket(problem, fd.Ticket("T8", fd.Location.geo(52.5, 13.4), 600))


def test_existing_indices_are_kept(city):
    """Old ticket and route indices, and plans of the old problem, stay valid."""
    problem = fd.compile_scenario(city)
    plan = fd.solve(problem, "greedy").plan
    ticket = fd.Ticket("NEW", city.tickets[0].location, 30 * fd.MINUTE)
    grown = append_ticket(problem, ticket)
    assert grown.num_tickets == problem.num_tickets + 1
    assert grown.index.ticket_idx("NEW") == problem.num_tickets
    extended = fd.Plan(plan.routes, {**plan.unassigned,
                                     problem.num_tickets: fd.UnassignedReason.OPEN})
    before, after = fd.evaluate(problem, plan), fd.evaluate(grown, extended)
    assert after.is_feasible
    penalty = float(grown.data.cost.penalty[-1])
    assert after.objective == pytest.approx(before.objective + penalty)
