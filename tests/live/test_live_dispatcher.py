"""The live dispatcher: recommend, insert with bounded disruption, events, re-plans, pins."""

from __future__ import annotations

from datetime import timedelta

import attrs
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.live import Dispatcher, TicketState

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

S = TicketState


def _day(seed: int = 4, techs: int = 6, tickets: int = 40) -> fd.Scenario:
    """A generated day (8:00-17:00 shifts, lunch breaks, skills, parts, SLAs)."""
    return fd.generate_scenario(techs, tickets, seed=seed)


def _start(scenario: fd.Scenario):
    return scenario.technicians[0].shifts[0].start


def _check(d: Dispatcher) -> fd.Evaluation:
    """The live plan passes the shared evaluator and every open ticket is accounted for."""
    ev = fd.check_plan(d.problem, d.plan)
    open_ids = {t for t in d.lifecycle.tickets() if d.state(t).is_open}
    assert set(d.problem.index.ticket_ids) == open_ids
    # the desk's shortcuts agree with the evaluator and the plan
    assert np.array_equal(d._live.break_starts(), ev.times.break_start)
    index = d.problem.index
    with_work = [index.technician_ids[index.routes[r][0]]
                 for r, route in enumerate(d.plan.routes) if route]
    assert d.planned_technicians() == list(dict.fromkeys(with_work))
    return ev


def _new(scenario: fd.Scenario, k: int, **kw) -> fd.Ticket:
    base = scenario.tickets[k]
    kw.setdefault("id", f"NEW-{k}")
    return attrs.evolve(base, windows=(), preferred_technicians=(), excluded_technicians=(),
                        **kw)


@pytest.fixture
def live() -> Dispatcher:
    """A morning plan (greedy) of a 6-technician, 40-ticket day at 07:30."""
    scenario = _day()
    d = Dispatcher(scenario, now=_start(scenario) - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    return d


def test_recommend_ranks_by_the_evaluators_cost(live):
    """Options are ranked by cost, and each cost equals the evaluator's objective change."""
    scenario = live.scenario
    ticket = _new(scenario, 3, priority="P1")
    rec = live.recommend(ticket, k=3)
    assert rec.options, rec.excluded
    costs = [o.cost.total for o in rec.options]
    assert costs == sorted(costs)
    assert len({o.technician_id for o in rec.options}) == len(rec.options)
    before = fd.evaluate(live.problem, live.plan).objective
    from fsdispatch.problem.extend import append_ticket

    grown = append_ticket(live.problem, ticket)
    for option in rec.options:
        terms = attrs.asdict(option.cost)
        assert terms.pop("total") == pytest.approx(sum(terms.values()), rel=1e-9, abs=1e-6)
        routes = [list(r) for r in live.plan.routes]
        r = next(r for r, key in enumerate(live._live.route_key)
                 if key == (option.technician_id, option.shift))
        routes[r].insert(option.position, grown.num_tickets - 1)
        ev = fd.evaluate(grown, fd.Plan(routes, live.plan.unassigned))
        assert ev.is_feasible
        balance = ev.components["load_balance"] - fd.evaluate(
            grown, fd.Plan(live.plan.routes, {**live.plan.unassigned,
                                              grown.num_tickets - 1: "open"})
        ).components["load_balance"]
        assert ev.objective - before - balance == pytest.approx(option.cost.total, abs=1e-6)
        k = int(np.flatnonzero(ev.times.ticket == grown.num_tickets - 1)[0])
        assert option.eta.start == scenario.horizon.to_datetime(int(ev.times.start[k]))
        assert option.eta.earliest <= option.eta.start <= option.eta.latest
        assert option.reason.startswith(option.technician_id)
    # recommend changes nothing
    assert "NEW-3" not in live.lifecycle
    assert fd.evaluate(live.problem, live.plan).objective == before


def test_every_excluded_technician_has_a_reason(live):
    """Technicians without the skill, part or room are listed with why; others are options."""
    tech = live.scenario.technicians[0]
    skill = "solar" if "solar" not in tech.skills else "gas"
    ticket = _new(live.scenario, 5, required_skills={skill: 1})
    rec = live.recommend(ticket, k=10)
    named = {o.technician_id for o in rec.options} | {e.technician_id for e in rec.excluded}
    assert named == {t.id for t in live.scenario.technicians}
    for ex in rec.excluded:
        holder = live.scenario.technician(ex.technician_id)
        if skill not in holder.skills:
            assert ex.code == "missing_skill" and skill in ex.reason


def test_insert_reports_exactly_what_changed(live):
    """A plain insertion: the ticket is scheduled, changed tickets are listed, the plan is valid."""
    before = dict(live._live.snapshot())
    res = live.insert(_new(live.scenario, 7, priority="P1"))
    assert res.placed and res.changes[0].ticket_id == "NEW-7"
    assert live.state("NEW-7") is S.SCHEDULED
    after = live._live.snapshot()
    changed = {t for t in set(before) | set(after) if before.get(t) != after.get(t)}
    assert changed == {c.ticket_id for c in res.changes}
    assert res.eta == live.eta("NEW-7")
    _check(live)


def test_insert_respects_the_disruption_bound():
    """With max_moved=0 and max_shift=0 no planned ticket moves or shifts."""
    scenario = _day(seed=8, techs=4, tickets=45)
    d = Dispatcher(scenario, now=_start(scenario))
    d.plan_day(solver="greedy")
    before = d._live.snapshot()
    for k in range(6):
        res = d.insert(_new(scenario, k, priority="P1"), max_moved=0, max_shift=0)
        if res.placed:
            assert [c.ticket_id for c in res.changes] == [res.ticket_id]
        else:
            assert d.state(res.ticket_id) is S.CREATED and res.reason
    after = d._live.snapshot()
    assert all(after[t] == v for t, v in before.items())
    _check(d)


def test_repair_moves_at_most_the_allowed_tickets():
    """When the day is full, a repair may move one other ticket (counted in the bound)."""
    scenario = _day(seed=2, techs=3, tickets=60)
    d = Dispatcher(scenario, now=_start(scenario))
    d.plan_day(solver="greedy")
    methods = set()
    for k in range(10):
        res = d.insert(_new(scenario, k, priority="P1"), max_moved=1, max_shift=15 * fd.MINUTE)
        methods.add(res.method)
        if res.placed:
            disrupted = [c for c in res.changes[1:]
                         if c.kind == "moved" or abs(c.shift) > timedelta(minutes=15)]
            assert len(disrupted) <= 1
        _check(d)
    assert "none" in methods or "repair" in methods


def test_frozen_work_and_pins_survive_a_reoptimization(live):
    """In-progress and completed jobs leave the live problem; pins keep their technician."""
    d = live
    d.advance(_start(d.scenario))
    techs = [t.id for t in d.scenario.technicians if d.route(t.id)]
    first = d.route(techs[0])[0]
    d.start_travel(first)
    d.advance(d.now + timedelta(minutes=30))
    d.arrive(first)
    second = d.route(techs[1])[0]
    d.start_travel(second)
    pinned = d.route(techs[2])[-1]
    d.pin(pinned)
    d.advance(d.now + timedelta(minutes=45))
    d.complete(first)
    d.reoptimize(solver="ls", time_limit=None, max_iterations=200)
    assert d.state(first) is S.COMPLETED and d.state(second) is S.EN_ROUTE
    assert not d.problem.index.has_ticket(first) and not d.problem.index.has_ticket(second)
    assert d.frozen() == {first: techs[0], second: techs[1]}
    if d.assignment(pinned) is not None:
        assert d.assignment(pinned) == techs[2]
    assert d.etas()[second].status == "en_route"
    _check(d)


def test_overrun_lists_tickets_at_risk_and_repairs(live):
    """A 3-hour overrun pushes the technician's day: ETAs move, at-risk tickets are listed."""
    d = live
    d.advance(_start(d.scenario))
    tech = next(t.id for t in d.scenario.technicians if len(d.route(t.id)) >= 3)
    rest = d.route(tech)[1:]
    job = d.route(tech)[0]
    old = {t: d.eta(t).start for t in rest}
    d.arrive(job)
    report = d.report_overrun(job, extra=3 * fd.HOUR)
    assert set(report.at_risk) & set(rest) or report.dropped
    for t in rest:
        eta = d.eta(t)
        if eta is not None and eta.technician_id == tech:
            assert eta.start >= old[t]
    assert d.log.events(job, kind="delay")
    _check(d)


def test_sick_call_redispatches_and_never_loses_a_ticket(live):
    """An absent technician's tickets are re-dispatched or open; none is lost."""
    d = live
    d.advance(_start(d.scenario) + timedelta(hours=1))
    tech = max(d.scenario.technicians, key=lambda t: len(d.route(t.id))).id
    theirs = d.route(tech)
    report = d.technician_absent(tech)
    assert d.route(tech) == []
    for t in theirs:
        assert d.assignment(t) != tech
        assert d.state(t) in (S.REASSIGNED, S.CREATED, S.SCHEDULED)
    assert set(report.at_risk) <= set(d.lifecycle.tickets())
    rec = d.recommend(_new(d.scenario, 2), k=20)
    assert any(e.technician_id == tech and e.code == "absent" for e in rec.excluded)
    _check(d)


def test_manual_move_pin_and_forbid(live):
    """A hand move is checked and pinned; a forbidden technician is never used again."""
    d = live
    ticket = next(t for t in d.lifecycle.tickets() if d.assignment(t))
    owner = d.assignment(ticket)
    rec = d.recommend(ticket, k=10)
    other = next((o for o in rec.options if o.technician_id != owner), None)
    if other is not None:
        change = d.move(ticket, other.technician_id)
        assert change.kind == "moved" and d.assignment(ticket) == other.technician_id
        assert d.pins()[ticket].technician_id == other.technician_id
        d.reoptimize(solver="ls", time_limit=None, max_iterations=100)
        assert d.assignment(ticket) in (other.technician_id, None)
        d.unpin(ticket)
    d.forbid(ticket, d.assignment(ticket) or owner)
    banned = d.live_state.forbidden[ticket]
    d.reoptimize(solver="greedy")
    assert d.assignment(ticket) not in banned
    with pytest.raises(fd.ValidationError, match="forbidden"):
        d.move(ticket, next(iter(banned)))
    _check(d)


def test_errors_name_ids_and_fields(live):
    """Bad input raises library errors naming the ticket or technician."""
    with pytest.raises(fd.UnknownReferenceError, match="ghost"):
        live.recommend("ghost")
    with pytest.raises(fd.UnknownReferenceError, match="nobody"):
        live.forbid(live.lifecycle.tickets()[0], "nobody")
    with pytest.raises(fd.ValidationError, match="k"):
        live.recommend(_new(live.scenario, 1), k=0)
    with pytest.raises(fd.ValidationError, match="unique"):
        live.insert(live.scenario.tickets[0])
    done = live.lifecycle.tickets()[0]
    live.cancel(done)
    with pytest.raises(fd.TransitionError, match="cancelled"):
        live.insert(done)
    with pytest.raises(fd.ValidationError, match="now"):
        live.advance(live.now - timedelta(hours=1))


@pytest.mark.parametrize("position", ["2", -1, 1.5, True])
def test_a_bad_move_position_is_a_validation_error(live, position):
    ticket = live.route(live.planned_technicians()[0])[0]
    with pytest.raises(fd.ValidationError, match="position"):
        live.move(ticket, live.assignment(ticket), position=position)


@pytest.mark.parametrize("extra", ["1h", -60, float("nan"), float("inf")])
def test_a_bad_overrun_is_a_validation_error(live, extra):
    ticket = live.route(live.planned_technicians()[0])[0]
    live.start_travel(ticket)
    with pytest.raises(fd.ValidationError, match="extra"):
        live.report_overrun(ticket, extra=extra)
    assert live.state(ticket) is TicketState.EN_ROUTE  # nothing changed


def test_reject_redispatches_to_someone_else(live):
    """A rejection forbids that technician and re-dispatches the ticket."""
    d = live
    ticket = next(t for t in d.lifecycle.tickets() if d.assignment(t))
    tech = d.assignment(ticket)
    d.reject(ticket)
    assert d.assignment(ticket) != tech
    kinds = [e.to_state for e in d.log.events(ticket) if e.kind == "transition"]
    assert S.REJECTED in kinds
    _check(d)


def test_hold_release_and_follow_up(live):
    """On hold leaves the plan; release re-inserts; a follow-up visit is linked."""
    d = live
    ticket = next(t for t in d.lifecycle.tickets() if d.assignment(t))
    d.hold(ticket, reason="waiting for parts")
    assert d.state(ticket) is S.ON_HOLD and not d.problem.index.has_ticket(ticket)
    _check(d)
    d.release(ticket)
    assert d.state(ticket) in (S.SCHEDULED, S.CREATED)
    follow = _new(d.scenario, 9, id="F-1")
    d.follow_up(ticket, follow)
    assert d.lifecycle.parent("F-1") == ticket
    _check(d)


_OPS = st.lists(st.tuples(st.sampled_from(["insert", "cancel", "delay", "pin", "advance",
                                           "start", "complete", "reoptimize", "absent"]),
                          st.integers(0, 10_000)), min_size=3, max_size=9)


@settings(max_examples=25)
@given(st.integers(0, 1000), _OPS)
def test_random_operations_keep_the_plan_valid(seed, ops):
    """After any sequence of operations the plan passes the evaluator, frozen work and pins hold,
    and no ticket is lost or duplicated."""
    scenario = fd.generate_scenario(4, 24, seed=seed)
    d = Dispatcher(scenario, now=_start(scenario) - timedelta(minutes=10))
    d.plan_day(solver="greedy")
    frozen: dict[str, str] = {}
    extra = fd.generate_scenario(4, 12, seed=seed + 1)
    for k, (op, x) in enumerate(ops):
        open_ids = [t for t in d.lifecycle.tickets() if d.state(t).is_open]
        planned = [t for t in open_ids if d.assignment(t)]
        if op == "insert":
            d.insert(attrs.evolve(extra.tickets[k % 12], id=f"X-{k}"), max_moved=x % 3)
        elif op == "cancel" and open_ids:
            d.cancel(open_ids[x % len(open_ids)])
        elif op == "delay":
            busy = [t for t in d.lifecycle.tickets() if d.state(t).in_progress]
            if busy:
                d.report_overrun(busy[x % len(busy)], extra=(x % 90) * fd.MINUTE)
        elif op == "pin" and planned:
            d.pin(planned[x % len(planned)])
        elif op == "advance":
            d.advance(d.now + timedelta(minutes=x % 120))
        elif op == "start" and planned:
            t = planned[x % len(planned)]
            tech = d.assignment(t)
            if tech not in d.live_state.current:
                d.start_travel(t)
        elif op == "complete":
            busy = [t for t in d.lifecycle.tickets() if d.state(t).in_progress]
            if busy:
                t = busy[x % len(busy)]
                if d.state(t) is S.EN_ROUTE:
                    d.arrive(t)
                d.complete(t)
                frozen[t] = d.frozen()[t]
        elif op == "reoptimize":
            d.reoptimize(solver="ls", time_limit=None, max_iterations=50, seed=x)
        elif op == "absent":
            d.technician_absent(scenario.technicians[x % 4].id)
        _check(d)
        pins = d.pins()
        for t, pin in pins.items():
            if d.state(t).is_open and d.assignment(t) is not None and pin.technician_id:
                assert d.assignment(t) == pin.technician_id
        for t, tech in frozen.items():
            assert d.state(t) in (S.COMPLETED, S.CLOSED) and d.frozen()[t] == tech
        ev = d.evaluation
        routed = [j for route in d.plan.routes for j in route]
        assert len(routed) == len(set(routed)) == ev.kpis.assigned
        assert ev.kpis.assigned + ev.kpis.unassigned == d.problem.num_tickets
        assert set(d.lifecycle.tickets()) == set(d.live_state.tickets)


@settings(max_examples=6)
@given(seed=st.integers(0, 50), freeze_min=st.sampled_from([30, 90, 180]),
       solver=st.sampled_from(["ls", "greedy"]))
@example(seed=9, freeze_min=180, solver="ls")  # issue #16: the re-plan re-timed T-00026
@example(seed=11, freeze_min=180, solver="ls")
@example(seed=26, freeze_min=180, solver="ls")
def test_reoptimize_with_a_freeze_keeps_what_starts_within_it(seed, freeze_min, solver):
    """Every visit planned to start before now + freeze keeps its technician and start; the
    rest is re-planned (the plan passes the evaluator); the freeze's pins are gone after."""
    scenario = _day(seed=seed, techs=5, tickets=40)
    d = Dispatcher(scenario, now=_start(scenario) - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    now = _start(scenario) + timedelta(hours=1)
    d.advance(now)
    limit = d.live_state.to_internal(now) + freeze_min * 60
    early = {t: v for t, v in d._live.snapshot().items() if v[1] < limit}
    d.reoptimize(solver=solver, time_limit=None, max_iterations=400,
                 freeze=timedelta(minutes=freeze_min))
    after = d._live.snapshot()
    assert {t: after.get(t) for t in early} == early
    assert d.pins() == {}
    _check(d)


def _lunch_day() -> fd.Scenario:
    """One technician 11:00-19:00 (lunch 60 min, starting 11:30-13:30) at x = 0; A (x = 30
    km, 30 min away, window 12:00-12:30), X and Y (x = 60) of 30 minutes each, X in a
    window 14:00-15:00, Y any time."""
    day = _start(_day()).replace(hour=0, minute=0)

    def at(h: float):
        return day + timedelta(hours=h)

    lunch = fd.Break(fd.TimeWindow(at(11.5), at(14.5)), 60 * fd.MINUTE)
    tech = fd.Technician("T", fd.Location.planar(0, 0), [fd.Shift(at(11), at(19),
                                                                  breaks=[lunch])])
    a = fd.Ticket("A", fd.Location.planar(30, 0), 30 * fd.MINUTE,
                  windows=[fd.TimeWindow(at(12), at(12.5))])
    x = fd.Ticket("X", fd.Location.planar(60, 0), 30 * fd.MINUTE,
                  windows=[fd.TimeWindow(at(14), at(15))])
    y = fd.Ticket("Y", fd.Location.planar(60, 0), 30 * fd.MINUTE)
    return fd.Scenario(fd.Horizon(day, day + timedelta(days=1)), [tech], [a, x, y],
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0), name="lunch")


def test_a_replan_that_would_re_time_a_frozen_visit_is_not_adopted(monkeypatch):
    """Issue #16: a re-plan made under the freeze's pins is adopted into the problem
    without them, where the schedule rule times it. Plan [A, X]: lunch while waiting for
    X, A at 12:00. A re-plan [A, Y] is feasible with A pinned at 12:00, but without the pin
    lunch before A (12:30) comes home 30 minutes earlier, so the rule starts A at 12:30.
    That plan is not adopted; A keeps 12:00 and the plan passes the evaluator."""
    from fsdispatch.live.live_problem import LivePlan

    scenario = _lunch_day()
    full = fd.compile_scenario(scenario)
    a, x, y = (full.index.ticket_idx(t) for t in "AXY")
    d = Dispatcher(scenario, now=_start(scenario),
                   plan=fd.Plan(routes=[(a, x)], unassigned={y: "open"}))
    early = d._live.snapshot()
    assert d.live_state.to_datetime(early["A"][1]).strftime("%H:%M") == "12:00"
    made = []
    replan = LivePlan.replan

    def crafted(self, solver, time_limit, seed, options):
        _plan, problem, warm = replan(self, "greedy", time_limit, seed, options)
        ia, ix, iy = (problem.index.ticket_idx(t) for t in "AXY")
        plan = fd.Plan(routes=[(ia, iy)], unassigned={ix: "open"})
        assert fd.evaluate(problem, plan).is_feasible  # A pinned at 12:00
        made.append(plan)
        return plan, problem, warm

    monkeypatch.setattr(LivePlan, "replan", crafted)
    base = d.problem
    d.reoptimize(solver="greedy", freeze=timedelta(minutes=90))
    # without the pin the rule re-times A in the re-plan
    ev = fd.evaluate(base, made[0])
    assert ev.is_feasible
    (k,) = np.flatnonzero(ev.times.ticket == base.index.ticket_idx("A"))
    assert d.live_state.to_datetime(int(ev.times.start[k])).strftime("%H:%M") == "12:30"
    assert d._live.snapshot()["A"] == early["A"]
    assert d.pins() == {}
    _check(d)


def test_without_a_freeze_the_same_replan_moves_early_visits():
    """The freeze test above can fail: on this day an unfrozen re-plan changes visits that
    start within the next 90 minutes, and the frozen one does not."""
    scenario = _day(seed=0, techs=5, tickets=40)
    moved = {}
    for freeze in (None, timedelta(minutes=90)):
        d = Dispatcher(scenario, now=_start(scenario) - timedelta(minutes=30))
        d.plan_day(solver="greedy")
        now = _start(scenario) + timedelta(hours=1)
        d.advance(now)
        limit = d.live_state.to_internal(now) + 90 * 60
        early = {t: v for t, v in d._live.snapshot().items() if v[1] < limit}
        d.reoptimize(solver="ls", time_limit=None, max_iterations=500, freeze=freeze)
        after = d._live.snapshot()
        moved[freeze is None] = sum(after.get(t) != v for t, v in early.items())
    assert moved[True] > 0 and moved[False] == 0


@pytest.mark.parametrize("freeze", [-1, 1.5, "90", True, timedelta(minutes=-5)])
def test_a_bad_freeze_is_a_validation_error(live, freeze):
    """A freeze that is not a non-negative duration names the field and the value."""
    with pytest.raises(fd.ValidationError) as err:
        live.reoptimize(freeze=freeze)
    assert "freeze" in str(err.value)
