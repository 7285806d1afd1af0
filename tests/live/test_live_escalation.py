"""Escalation that acts: ``EscalationRule(action="raise_priority")`` re-prices the live plan.

When a low-priority ticket's response SLA is at risk, the rule raises its
priority once; the live problem is recompiled with the new priority (its
penalty and SLA lateness weight), ``recommend`` prices its options with it
(each option's cost is the shared evaluator's objective change on the
re-priced problem), an unplanned ticket is inserted, and one ``priority``
event records old → new.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.live import Dispatcher, EscalationRule, SlaWatch, TicketState


def _day() -> fd.Scenario:
    """One technician (8:00-17:00, at (0, 0)); ``BIG`` (P1, 2 h, must start 8:00-8:10) keeps
    them busy once started, so ``LOW`` (P4, 30 min, created 6:00, response by 9:00) is
    served late."""
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))])
    tickets = [
        fd.Ticket(
            "BIG",
            fd.Location.planar(1, 0),
            120 * fd.MINUTE,
            priority="P1",
            windows=[fd.TimeWindow(at(8), at(8) + timedelta(minutes=10))],
        ),
        fd.Ticket(
            "LOW",
            fd.Location.planar(2, 0),
            30 * fd.MINUTE,
            priority="P4",
            created_at=at(6),
            response_by=at(9),
            resolve_by=at(16),
        ),
    ]
    return fd.Scenario(
        fd.Horizon(DAY0, DAY0 + timedelta(days=1)),
        [tech],
        tickets,
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
        name="esc",
    )


def _watch() -> SlaWatch:
    return SlaWatch(
        rules=(EscalationRule(1, 0.8, "raise_priority", clock="response", priority="P2"),)
    )


def _evaluator_cost(d: Dispatcher, ticket_id: str, tech: str, shift: int, position: int) -> float:
    """The evaluator's objective change of placing the (planned) ticket at ``position`` of
    ``tech``'s route instead of leaving it unassigned, its penalty aside."""
    problem = d.problem
    j = problem.index.ticket_idx(ticket_id)
    routes = [[x for x in r if x != j] for r in d.plan.routes]
    before = fd.evaluate(problem, fd.Plan(routes, {**d.plan.unassigned, j: "open"}))
    routes[problem.index.route_idx(tech, shift)].insert(position, j)
    after = fd.evaluate(problem, fd.Plan(routes, d.plan.unassigned))
    assert after.is_feasible
    return after.objective - before.objective + float(problem.data.cost.penalty[j])


def test_raise_priority_fires_once_and_reprices_the_live_plan():
    """At 80 % of the response target LOW becomes P2: the live problem carries P2, its option
    costs the evaluator's change on the re-priced problem (SLA lateness × 20/5), its deadlines
    are unchanged, and exactly one priority event (P4 → P2) is logged."""
    d = Dispatcher(_day(), now=at(7), sla_watch=_watch())
    d.plan_day(solver="greedy")
    assert d.assignment("LOW") == "A"
    d.advance(at(7.9))
    d.start_travel("BIG")
    d.advance(at(8))  # 2 h of 3 used: below the threshold
    d.arrive("BIG")  # busy until 10:00
    d.sla_status()
    assert d.ticket("LOW").priority == fd.Priority.P4
    old = d.recommend("LOW", k=1).best
    assert old is not None and old.cost.lateness > 0
    assert old.cost.total == pytest.approx(
        _evaluator_cost(d, "LOW", old.technician_id, old.shift, old.position), abs=1e-6
    )
    penalty_before = float(d.problem.data.cost.penalty[d.problem.index.ticket_idx("LOW")])

    d.advance(at(8.5))  # 2.5 h of 3 used: the rule fires
    status = {s.ticket_id: s for s in d.sla_status()}
    assert d.ticket("LOW").priority == fd.Priority.P2
    assert status["LOW"].response_by == at(9)
    j = d.problem.index.ticket_idx("LOW")
    assert int(d.problem.data.cost.priority[j]) == 2
    assert float(d.problem.data.cost.penalty[j]) > penalty_before
    assert int(d.problem.data.cost.response_by[j]) == d.scenario.horizon.to_internal(at(9))
    new = d.recommend("LOW", k=1).best
    assert new is not None
    assert new.cost.total == pytest.approx(
        _evaluator_cost(d, "LOW", new.technician_id, new.shift, new.position), abs=1e-6
    )
    weights = d.scenario.objective
    ratio = weights.sla_lateness[fd.Priority.P2] / weights.sla_lateness[fd.Priority.P4]
    assert new.eta.start == old.eta.start
    assert new.cost.lateness == pytest.approx(old.cost.lateness * ratio, rel=1e-9)
    assert fd.check_plan(d.problem, d.plan).is_feasible

    d.advance(at(9.5))
    d.sla_status()
    d.sla_status()
    events = d.log.events("LOW", kind="priority")
    assert len(events) == 1
    assert (events[0].data["old"], events[0].data["new"]) == ("P4", "P2")
    assert events[0].actor == "sla-watch" and events[0].at == at(8.5)


def test_raise_priority_places_an_unplanned_ticket():
    """An open, unplanned ticket whose response SLA is at risk is raised and inserted."""
    d = Dispatcher(_day(), now=at(7), sla_watch=_watch())
    d.plan_day(solver="greedy")
    d.add(
        fd.Ticket(
            "LATE",
            fd.Location.planar(3, 0),
            20 * fd.MINUTE,
            priority=4,
            created_at=at(7),
            response_by=at(12),
        )
    )
    assert d.eta("LATE") is None
    d.advance(at(11))  # 4 h of 5 used
    d.sla_status()
    assert d.ticket("LATE").priority == fd.Priority.P2
    assert d.eta("LATE") is not None and d.assignment("LATE") == "A"
    assert d.state("LATE") in (TicketState.SCHEDULED, TicketState.REASSIGNED)
    ev = fd.evaluate(d.problem, d.plan)
    assert ev.is_feasible
    assert d.problem.index.ticket_idx("LATE") not in d.plan.unassigned


def test_raise_priority_never_lowers_a_priority():
    """A rule raising to P2 leaves a P1 ticket at P1 and logs no priority event."""
    d = Dispatcher(
        _day(),
        now=at(7),
        sla_watch=SlaWatch(rules=(EscalationRule(1, 0.1, "raise_priority", priority="P2"),)),
    )
    d.plan_day(solver="greedy")
    d.advance(at(8.5))
    d.sla_status()
    assert d.ticket("LOW").priority == fd.Priority.P2
    assert d.ticket("BIG").priority == fd.Priority.P1
    assert d.log.events("BIG", kind="priority") == []


def test_set_priority_keeps_the_plan_and_logs_the_change():
    """set_priority by hand: the plan is kept, the event names old and new, a terminal ticket
    refuses, a bad value is a ValidationError naming the field and the value."""
    d = Dispatcher(_day(), now=at(7))
    d.plan_day(solver="greedy")
    before = d.route("A")
    assert d.set_priority("LOW", "P1") == fd.Priority.P4
    assert d.route("A") == before
    assert d.set_priority("LOW", 1) == fd.Priority.P1  # no change: no event
    assert [e.data["new"] for e in d.log.events("LOW", kind="priority")] == ["P1"]
    with pytest.raises(fd.ValidationError, match=r"priority.*'P9'"):
        d.set_priority("LOW", "P9")
    d.cancel("BIG")
    with pytest.raises(fd.TransitionError):
        d.set_priority("BIG", 2)


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"action": "raise_priority"}, "priority", "None"),
        ({"action": "raise_priority", "priority": "P7"}, "priority", "P7"),
        ({"action": "raise_priority", "priority": 0}, "priority", "0"),
        ({"action": "notify", "priority": "P1"}, "priority", "P1"),
        ({"action": "raise"}, "action", "raise"),
        ({"action": "raise_priority", "priority": 2, "reassign": "yes"}, "reassign", "yes"),
    ],
)
def test_bad_escalation_rules_name_field_and_value(kwargs, field, value):
    """Bad rule fields raise a ValidationError naming the field and the value."""
    with pytest.raises(fd.ValidationError) as err:
        EscalationRule(1, 0.8, **kwargs)
    assert err.value.field == field
    assert value in str(err.value)


@pytest.mark.property
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    techs=st.integers(1, 4),
    tickets=st.integers(3, 25),
    k=st.integers(0, 100),
    priority=st.sampled_from(list(fd.Priority)),
)
def test_set_priority_reprices_exactly_that_ticket(seed, techs, tickets, k, priority):
    """Property: the plan is kept, and the evaluator's objective changes by exactly the
    ticket's new cost: (new − old SLA weight) × its SLA-late seconds when planned, new − old
    unassigned penalty when not; the other tickets' rows are untouched."""
    scenario = fd.generate_scenario(techs, tickets, seed=seed)
    d = Dispatcher(scenario, now=scenario.horizon.start)
    d.plan_day(solver="greedy")
    tid = d.problem.index.ticket_ids[k % d.problem.num_tickets]
    before_p, before_plan, before_ev = d.problem, d.plan, d.evaluation
    j = before_p.index.ticket_idx(tid)
    d.set_priority(tid, priority)
    after_p = d.problem
    assert d.plan.routes == before_plan.routes
    assert d.plan.unassigned == before_plan.unassigned
    ev = fd.evaluate(after_p, d.plan)
    assert ev.is_feasible
    old, new = before_p.data.cost, after_p.data.cost
    others = np.arange(before_p.num_tickets) != j
    np.testing.assert_array_equal(new.penalty[others], old.penalty[others])
    np.testing.assert_array_equal(new.response_by, old.response_by)
    np.testing.assert_array_equal(new.resolve_by, old.resolve_by)
    assert int(new.priority[j]) == int(priority)
    visits = before_ev.times.ticket == j
    if visits.any():
        late = float(before_ev.times.sla_late[visits][0])
        expected = (new.sla_w[j] - old.sla_w[j]) * late
    else:
        expected = new.penalty[j] - old.penalty[j]
    assert ev.objective - before_ev.objective == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_a_held_ticket_keeps_its_new_priority_when_released():
    """A ticket on hold (not in the live problem) takes the new priority into the live
    problem when it is released."""
    d = Dispatcher(_day(), now=at(7))
    d.plan_day(solver="greedy")
    d.hold("LOW")
    assert d.set_priority("LOW", "P1") == fd.Priority.P4
    d.release("LOW")
    j = d.problem.index.ticket_idx("LOW")
    assert int(d.problem.data.cost.priority[j]) == 1
    assert d.assignment("LOW") == "A"
    assert fd.check_plan(d.problem, d.plan).is_feasible
