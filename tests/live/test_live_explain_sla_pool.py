"""explain() on every backend's plans, the SLA watch (business calendar, escalations), grab pool."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs
import pytest

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.live import (
    BusinessCalendar,
    Dispatcher,
    EscalationRule,
    GrabPool,
    SlaWatch,
    TicketState,
    explain,
)


@pytest.mark.solvers(skip=("milp",))  # as before: milp takes ~15 s here, cpsat covers exact plans
def test_explain_reads_any_backends_plan(tiny, solver_name):
    """explain() works from the problem, the plan and the evaluator only, for every backend."""
    problem = fd.compile_scenario(tiny)
    opts = {"max_iterations": 50} if solver_name == "ls" else {"time_limit": 5}
    plan = fd.solve(problem, solver_name, seed=0, **opts).plan
    for ticket in ("T1", "T2", "T3"):
        ex = explain(problem, plan, ticket)
        assert ex.assigned
        assert ex.chosen is not None and ex.chosen.technician_id in ("A", "B")
        assert ex.chosen.cost == pytest.approx(sum(ex.chosen.terms.values()))
        assert str(ex).startswith(f"Ticket {ticket}")
    # T2 needs gas: only B; A is never possible (skill)
    ex = explain(problem, plan, "T2")
    assert ex.runner_up is None and ex.excluded == {"skill": 1}
    # T3 needs nothing: the runner-up is the other technician, the decision has terms
    ex = explain(problem, plan, "T3")
    assert ex.runner_up is not None and ex.runner_up.technician_id != ex.chosen.technician_id
    assert ex.deciding


def test_explain_unassigned_says_what_would_have_to_change(tiny):
    """An unservable ticket lists the skill to add; a late window lists the wider window."""
    late = fd.Ticket("LATE", fd.Location.planar(30, 0), 60 * fd.MINUTE,
                     windows=[fd.TimeWindow(at(7), at(8, 0) + timedelta(minutes=10))])
    level = fd.Ticket("LVL", fd.Location.planar(1, 0), 30 * fd.MINUTE,
                      required_skills={"hvac": 3})
    scenario = tiny.replace(tickets=(*tiny.tickets, late, level))
    problem = fd.compile_scenario(scenario)
    plan = fd.solve(problem, "greedy").plan
    ex = explain(problem, plan, "LVL")
    assert not ex.assigned and ex.reason == "no_skill"
    assert any("A held hvac level 3" in w for w in ex.what_if)
    ex = explain(problem, plan, "LATE")
    assert not ex.assigned
    assert any("window" in w for w in ex.what_if)


def test_business_calendar_counts_only_working_time():
    """Weekends, nights and holidays do not count; add() and elapsed() are inverse."""
    cal = BusinessCalendar(holidays={date(2026, 3, 4)}, start=time(8), end=time(18))
    fri = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    assert cal.add(fri, 4 * fd.HOUR) == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert cal.elapsed(fri, datetime(2026, 3, 9, 10, 0, tzinfo=UTC)) == 4 * fd.HOUR
    tue = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # Wednesday 4 March is a holiday
    assert cal.add(tue, 2 * fd.HOUR) == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert not cal.is_working(datetime(2026, 3, 7, 12, tzinfo=UTC))
    with pytest.raises(fd.ValidationError, match="working_days"):
        BusinessCalendar(working_days={7})


def test_sla_status_thresholds_and_escalations_fire_once(tiny):
    """80 % used is at risk, 100 % breached; each rule emits one escalation event."""
    tickets = [attrs.evolve(t, created_at=at(6), response_by=at(11), resolve_by=at(16))
               for t in tiny.tickets]
    scenario = tiny.replace(tickets=tickets)
    watch = SlaWatch(at_risk=0.8, rules=(EscalationRule(1, 0.8, "notify_supervisor"),
                                         EscalationRule(2, 1.0, "notify")))
    d = Dispatcher(scenario, now=at(7), sla_watch=watch)
    d.plan_day(solver="greedy")
    status = {s.ticket_id: s for s in d.sla_status()}
    assert not any(s.breached for s in status.values())
    assert not status["T1"].at_risk and not status["T3"].at_risk
    # T2 cannot start before its 13:00 window: the plan already misses its 11:00 response
    assert status["T2"].predicted_breach and status["T2"].at_risk
    assert status["T1"].response_remaining == timedelta(hours=4)
    d.advance(at(10))  # response target 5 h, 4 h used = 80 %
    status = {s.ticket_id: s for s in d.sla_status()}
    assert status["T3"].at_risk and status["T3"].response_used == pytest.approx(0.8)
    d.advance(at(12))
    status = {s.ticket_id: s for s in d.sla_status()}
    assert status["T3"].breached
    d.sla_status()
    levels = [(e.ticket_id, e.data["level"]) for e in d.log
              if e.kind == "escalation" or (e.to_state is TicketState.ESCALATED
              and e.kind == "transition")]
    assert levels.count(("T3", 1)) == 1 and levels.count(("T3", 2)) == 1


def test_calendar_deadlines_flow_into_the_plan():
    """With a business calendar, a ticket created Friday evening gets a Monday deadline."""
    horizon = fd.Horizon(DAY0, DAY0 + timedelta(days=7))
    tech = fd.Technician("A", fd.Location.planar(0, 0),
                         [fd.Shift(at(8, d), at(17, d)) for d in range(5)])
    policy = fd.SlaPolicy(default=fd.SlaTarget(response=4 * fd.HOUR))
    scenario = fd.Scenario(horizon, [tech], [], sla_policy=policy,
                           travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))
    cal = BusinessCalendar(start=time(8), end=time(17))
    d = Dispatcher(scenario, now=at(16, 4), sla_watch=SlaWatch(calendar=cal))
    d.add(fd.Ticket("FRI", fd.Location.planar(1, 0), 30 * fd.MINUTE, created_at=at(16, 4)))
    assert d.ticket("FRI").response_by == at(11, 7)  # the optimiser sees it too
    status = next(s for s in d.sla_status() if s.ticket_id == "FRI")
    assert status.response_by == at(11, 7)  # 1 h on Friday + 3 h on Monday


def test_grab_pool_first_valid_claim_wins_then_timeout_dispatches(live_pool):
    """Eligible technicians ranked by fit; ineligible and late claims fail; timeouts dispatch."""
    d, pool, scenario = live_pool
    ticket = attrs.evolve(scenario.tickets[4], id="POOL-1", windows=(),
                          preferred_technicians=(), excluded_technicians=())
    offer = pool.publish(ticket)
    assert d.state("POOL-1") is TicketState.CREATED and offer.eligible
    outsider = next((t.id for t in scenario.technicians if t.id not in offer.eligible), None)
    if outsider is not None:
        assert not pool.claim("POOL-1", outsider).accepted
    # a claim that would disrupt other tickets is refused and the offer stays open;
    # the first claim that fits wins
    claims = [pool.claim("POOL-1", t) for t in offer.eligible]
    won = [c for c in claims if c.accepted]
    assert len(won) == 1
    first = won[0]
    assert all(not c.accepted and "no longer fits" in c.reason
               for c in claims[:claims.index(first)])
    assert all(not c.accepted and "already taken" in c.reason
               for c in claims[claims.index(first) + 1:])
    assert d.assignment("POOL-1") == first.technician_id
    assert first.insert is not None and len(first.insert.changes) >= 1
    second = pool.claim("POOL-1", offer.eligible[-1])
    assert not second.accepted
    other = attrs.evolve(scenario.tickets[6], id="POOL-2", windows=(),
                         preferred_technicians=(), excluded_technicians=())
    pool.publish(other)
    assert pool.expire() == []
    d.advance(d.now + timedelta(minutes=20))
    results = pool.expire()
    assert [r.ticket_id for r in results] == ["POOL-2"]
    assert any(e.kind == "auto_dispatch" for e in d.log.events("POOL-2"))
    fd.check_plan(d.problem, d.plan)


@pytest.fixture
def live_pool():
    """A planned 6-technician day with a grab pool (10-minute timeout)."""
    scenario = fd.generate_scenario(6, 30, seed=9)
    d = Dispatcher(scenario, now=scenario.technicians[0].shifts[0].start)
    d.plan_day(solver="greedy")
    return d, GrabPool(d, timeout=10 * fd.MINUTE, k=3), scenario
