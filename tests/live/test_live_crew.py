"""Crew jobs in live dispatch (issue #19): ``recommend`` pairs technicians, ``insert`` places
the members so they start together, and re-plans and clock moves keep every crew whole.

The live plan is judged by the shared evaluator twice: as the live problem (each member a
visit pinned to the crew's start) and merged back into crew tickets
(:func:`fsdispatch.live.crew.crew_view`), where the evaluator's own crew rule (distinct
technicians, one common start) checks the pairing.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.errors import UnsupportedProblemError
from fsdispatch.live import Dispatcher, TicketState
from fsdispatch.live.crew import crew_view

pytestmark = pytest.mark.property


def _desk(seed: int, techs: int, tickets: int, crew_fraction: float = 0.0,
          hours: float = 0.0, weights: dict[str, float] | None = None) -> Dispatcher:
    scenario = fd.generate_scenario(techs, tickets, seed=seed, crew_fraction=crew_fraction)
    if weights:
        scenario = attrs.evolve(scenario,
                                objective=attrs.evolve(scenario.objective, **weights))
    start = scenario.technicians[0].shifts[0].start
    d = Dispatcher(scenario, now=start - timedelta(minutes=30))
    d.plan_day(solver="greedy")
    if hours:
        d.advance(start + timedelta(hours=hours))
    return d


def _crew_ticket(d: Dispatcher, k: int = 2, pick: int = 0) -> fd.Ticket:
    base = [t for t in d.scenario.tickets if t.crew_size == 1][pick]
    return attrs.evolve(base, id="CREW", crew_size=k, windows=(), excluded_technicians=(),
                        preferred_technicians=())


def _check_crews_whole(d: Dispatcher) -> None:
    """Every open crew is planned whole (all members, distinct technicians, one start) or
    not at all; the live plan and its crew view pass the evaluator."""
    ev = fd.evaluate(d.problem, d.plan)
    assert ev.is_feasible, ev.violations
    problem, plan = crew_view(d)
    ev_crew = fd.evaluate(problem, plan)
    assert ev_crew.is_feasible, ev_crew.violations
    etas = d.etas()
    for crew_id, ids in d.live_state.crews.items():
        states = [d.state(t) for t in ids]
        if not all(s.is_open for s in states):
            continue
        planned = [t for t in ids if d.assignment(t) is not None]
        assert len(planned) in (0, len(ids)), (crew_id, planned)
        if planned:
            assert len({d.assignment(t) for t in ids}) == len(ids)
            assert len({etas[t].start for t in ids}) == 1
            j = problem.index.ticket_idx(crew_id)
            routes = [r for r, route in enumerate(plan.routes) if j in route]
            assert len(routes) == len(ids)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), techs=st.integers(3, 6), tickets=st.integers(4, 24),
       hours=st.sampled_from([0.0, 2.0]), pick=st.integers(0, 3),
       weights=st.sampled_from([{}, {"labour": 1.0, "distance": 0.7, "overtime": 2.0}]))
def test_recommended_crew_is_what_insert_places(seed, techs, tickets, hours, pick, weights):
    """Each crew option names distinct technicians starting together, its cost is the sum
    of its members'; ``insert`` places the top option and the evaluator's objective changes
    by exactly its cost."""
    d = _desk(seed, techs, tickets, hours=hours, weights=weights)
    ticket = _crew_ticket(d, pick=pick % 2)
    rec = d.recommend(ticket, k=3)
    assert rec.ticket_id == "CREW"
    for option in rec.options:
        assert len(option.crew) == 2 and len(set(option.crew)) == 2
        assert option.technician_id == option.crew[0]
        assert [m.technician_id for m in option.members] == list(option.crew)
        assert {m.eta.start for m in option.members} == {option.eta.start}
        assert option.cost.total == pytest.approx(sum(m.cost.total for m in option.members))
    assert len({o.eta.start for o in rec.options}) == len(rec.options)
    before = d.evaluation.objective
    res = d.insert(ticket, max_moved=10_000, max_shift=timedelta(days=1))
    if not rec.options:
        assert not res.placed
        assert all(d.state(t) == TicketState.ON_HOLD for t in d.live_state.crews["CREW"])
        _check_crews_whole(d)
        return
    best = rec.options[0]
    assert res.placed and res.method == "crew"
    assert res.crew == best.crew and res.technician_id == best.crew[0]
    assert res.eta is not None and res.eta.start == best.eta.start
    assert res.cost == pytest.approx(best.cost.total, rel=1e-6, abs=1e-6)
    assert d.evaluation.objective - before == pytest.approx(res.cost, rel=1e-6, abs=1e-6)
    assert [d.assignment(t) for t in d.live_state.crews["CREW"]] == list(best.crew)
    _check_crews_whole(d)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), techs=st.integers(3, 6), tickets=st.integers(8, 30),
       solver=st.sampled_from(["greedy", "ls"]))
def test_day_with_crews_stays_whole_through_replans_and_clock(seed, techs, tickets, solver):
    """A generated day with crew jobs: the dispatcher places its crews, re-plans keep them on
    their technicians at their start, and clock moves re-place (or hold) broken ones."""
    d = _desk(seed, techs, tickets, crew_fraction=0.2)
    assert d.live_state.crews or not any(t.crew_size > 1 for t in d.scenario.tickets)
    _check_crews_whole(d)
    placed = {c: (tuple(d.assignment(t) for t in ids), d.eta(ids[0]).start)
              for c, ids in d.live_state.crews.items() if d.assignment(ids[0]) is not None}
    d.reoptimize(solver=solver, time_limit=0.3, seed=1)
    _check_crews_whole(d)
    for c, (techs_, start) in placed.items():
        ids = d.live_state.crews[c]
        assert tuple(d.assignment(t) for t in ids) == techs_
        assert d.eta(ids[0]).start == start
    first = d.scenario.technicians[0].shifts[0].start
    for hours in (2, 5):
        d.advance(first + timedelta(hours=hours))
        _check_crews_whole(d)


def _pair_day() -> Dispatcher:
    """Two technicians 8:00-17:00, two one-hour jobs nearby to start by 10:00."""
    from datetime import UTC, datetime

    day = datetime(2026, 1, 5, tzinfo=UTC)
    shift = fd.Shift(day + timedelta(hours=8), day + timedelta(hours=17))
    techs = [fd.Technician(f"t{k}", fd.Location.planar(0.0, float(k)), [shift])
             for k in range(2)]
    jobs = [fd.Ticket(f"J{k}", fd.Location.planar(float(k + 1), 0.0), 3600,
                      windows=[fd.TimeWindow(day + timedelta(hours=8), day + timedelta(hours=10))])
            for k in range(2)]
    scenario = fd.Scenario(fd.Horizon(day, day + timedelta(days=1)), techs, jobs,
                           travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0))
    d = Dispatcher(scenario, now=day + timedelta(hours=7))
    d.plan_day(solver="greedy")
    return d


def test_crew_of_three_with_two_able_technicians_is_held() -> None:
    d = _pair_day()
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=3)
    assert d.recommend(ticket).options == ()
    res = d.insert(ticket)
    assert not res.placed and "needs 3" in res.reason
    ids = d.live_state.crews["CREW"]
    assert ids == ("CREW", "CREW~crew2", "CREW~crew3")
    assert all(d.state(t) == TicketState.ON_HOLD for t in ids)
    assert not any(d.problem.index.has_ticket(t) for t in ids)  # no re-plan serves a part
    d.reoptimize(solver="greedy")
    _check_crews_whole(d)


def test_held_crew_is_placed_again_by_insert_of_its_id() -> None:
    d = _pair_day()
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=2)
    first = d.insert(ticket)
    assert first.placed and set(first.crew) == {"t0", "t1"}
    _check_crews_whole(d)
    ids = d.live_state.crews["CREW"]
    with pytest.raises(fd.ValidationError):
        d.insert("CREW")  # already planned
    d.hold("CREW", reason="customer asked to wait")  # the crew waits whole
    assert all(d.state(t) == TicketState.ON_HOLD for t in ids)
    assert d.insert("CREW").placed
    _check_crews_whole(d)


def test_technician_choice_is_in_the_crew() -> None:
    d = _pair_day()
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=2)
    rec = d.recommend(ticket, k=5)
    assert rec.options
    who = rec.options[0].crew[1]
    res = d.insert(ticket, technician_id=who)
    assert res.placed and who in res.crew


def test_what_live_crews_refuse() -> None:
    scenario = fd.generate_scenario(4, 10, seed=2, crew_fraction=0.3)
    plan = fd.solve(scenario, "greedy").plan
    with pytest.raises(UnsupportedProblemError, match="starting plan with crew jobs"):
        Dispatcher(scenario, plan=plan)
    d = Dispatcher(scenario)
    with pytest.raises(UnsupportedProblemError, match="crew jobs go by insert"):
        d.follow_up(scenario.tickets[0].id, attrs.evolve(scenario.tickets[0], id="F",
                                                         crew_size=2), redispatch=False)


def test_added_crew_waits_whole_until_a_replan_places_it() -> None:
    d = _pair_day()
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=2)
    assert d.add(ticket) is fd.UnassignedReason.OPEN
    ids = d.live_state.crews["CREW"]
    assert all(d.state(t) == TicketState.ON_HOLD for t in ids)
    d.reoptimize(solver="greedy")
    assert all(d.state(t) == TicketState.SCHEDULED for t in ids)
    _check_crews_whole(d)
    d2 = _pair_day()
    d2.add(ticket)
    assert d2.insert("CREW").placed  # or insert of its id
    _check_crews_whole(d2)


def test_cancel_hold_and_release_act_on_the_whole_crew() -> None:
    d = _pair_day()
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=2)
    assert d.insert(ticket).placed
    ids = d.live_state.crews["CREW"]
    d.hold("CREW", reason="parts")
    assert [d.state(t) for t in ids] == [TicketState.ON_HOLD] * 2
    _check_crews_whole(d)
    d.release("CREW", redispatch=False)  # released: the crew is placed again, whole
    assert all(d.state(t) == TicketState.SCHEDULED for t in ids)
    _check_crews_whole(d)
    d.cancel("CREW~crew2", reason="customer cancelled")
    assert [d.state(t) for t in ids] == [TicketState.CANCELLED] * 2
    assert not d.route("t0") == ["CREW"] and "CREW" not in d.route("t1")
    _check_crews_whole(d)


def test_a_member_that_misses_the_start_moves_the_crew() -> None:
    """An overrun on one member's earlier job makes the common start impossible: the crew is
    taken out and placed again (later, whole), never half planned."""
    d = _pair_day()
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=2,
                       windows=[fd.TimeWindow(d.now + timedelta(hours=4),
                                              d.now + timedelta(hours=9))])
    res = d.insert(ticket)
    assert res.placed and res.eta is not None
    first = next(d.route(t)[0] for t in res.crew if not d.route(t)[0].startswith("CREW"))
    d.start_travel(first)
    d.arrive(first)
    d.report_overrun(first, expected_end=res.eta.start + timedelta(minutes=30))
    _check_crews_whole(d)
    ids = d.live_state.crews["CREW"]
    starts = {d.eta(t).start for t in ids if d.eta(t) is not None}
    assert len(starts) <= 1
    if starts:
        assert starts.pop() > res.eta.start


def test_a_rejected_member_moves_the_crew_to_other_technicians() -> None:
    """Three able technicians; a member's technician rejects: the crew is placed again,
    whole, without that technician (who is forbidden for every member's place)."""
    d = _pair_day()
    extra = fd.Technician("t2", fd.Location.planar(3.0, 3.0), d.scenario.technicians[0].shifts)
    scenario = attrs.evolve(d.scenario, technicians=(*d.scenario.technicians, extra))
    d = Dispatcher(scenario, now=d.now)
    d.plan_day(solver="greedy")
    ticket = fd.Ticket("CREW", fd.Location.planar(2.0, 2.0), 3600, crew_size=2)
    first = d.insert(ticket)
    assert first.placed
    gone = first.crew[1]
    res = d.reject("CREW~crew2", gone)
    assert res is not None and res.placed and gone not in res.crew
    assert gone not in {d.assignment(t) for t in d.live_state.crews["CREW"]}
    _check_crews_whole(d)
