"""Depot stops: compatibility through depots, the evaluator's stock rule, JSON."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from conftest import at
from fsdispatch.io import json_format as jf
from fsdispatch.problem.problem import Incompatibility
from fsdispatch.solvers.local_search import LocalSearchSolver
from fsdispatch.testing.strategies import scenarios

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

KM = 60  # seconds per km at 60 km/h, no detour


def depot_day(depot_stock: int = 1, hours: tuple[float, float] = (9, 11),
              van: int = 1) -> fd.Scenario:
    """One technician ``A`` at (0, 0) with ``van`` × part ``p``; depot ``D`` at (5, 5).

    ``T1`` at (5, 0) needs 1 × p, ``T2`` at (10, 0) needs 2 × p (30 min each);
    the depot opens ``hours`` (pick-up 10 min) and holds ``depot_stock`` × p.
    """
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))],
                         van_stock={"p": van})
    tickets = [fd.Ticket("T1", fd.Location.planar(5, 0), 30 * fd.MINUTE, parts={"p": 1}),
               fd.Ticket("T2", fd.Location.planar(10, 0), 30 * fd.MINUTE, parts={"p": 2})]
    depot = fd.Depot("D", fd.Location.planar(5, 5), stock={"p": depot_stock},
                     opening_hours=[fd.TimeWindow(at(hours[0]), at(hours[1]))],
                     pickup_time=10 * fd.MINUTE)
    return fd.Scenario(fd.Horizon(at(0), at(24)), [tech], tickets, depots=[depot],
                       travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))


def test_depot_makes_a_ticket_compatible_only_if_one_depot_holds_the_shortfall() -> None:
    pb = fd.compile_scenario(depot_day(depot_stock=1))
    assert pb.compatible[0].tolist() == [0, 0]  # T2 lacks 1, the depot holds 1
    pb = fd.compile_scenario(depot_day(depot_stock=0))
    assert pb.compatible[0].tolist() == [0, Incompatibility.PART]
    sc = depot_day(depot_stock=0).replace(depots=())
    assert fd.compile_scenario(sc).compatible[0].tolist() == [0, Incompatibility.PART]


def test_without_a_depot_stop_the_van_runs_short() -> None:
    pb = fd.compile_scenario(depot_day(depot_stock=5))
    ev = fd.evaluate(pb, fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}))
    assert [v.kind for v in ev.violations] == ["part"]


def test_a_depot_stop_picks_up_the_shortfall_and_takes_time() -> None:
    pb = fd.compile_scenario(depot_day(depot_stock=5))
    plan = fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T2": "D"})
    ev = fd.evaluate(pb, plan)
    assert ev.is_feasible, ev.violations
    # T1 at 8:05 (5 km) - 8:35; to the depot (5 km) 8:40, wait for 9:00, pick-up to 9:10;
    # to T2: sqrt(50) km
    assert ev.times.start[0] == 8 * 3600 + 5 * KM
    assert ev.times.pickup_start.tolist() == [-1, 9 * 3600]
    leg = round(float(np.hypot(5, 5)) * KM)
    assert ev.times.arrival[1] == 9 * 3600 + 600 + leg
    assert ev.kpis.depot_stops == 1
    assert ev.kpis.parts_picked == 2  # van had 1, T1 used it; T2 needs 2
    # travel counts the depot legs: 5 (to T1) + 5 (to depot) + 7.07 + 10 (home)
    assert ev.kpis.distance_km == pytest.approx(20 + np.hypot(5, 5))
    sched = fd.to_schedule(pb, plan, ev)
    assert [v.pickup_depot_id for v in sched.visits] == [None, "D"]
    assert sched.visits[1].pickup_start == at(9)


def test_an_early_stop_picks_up_for_every_ticket_until_the_next_stop() -> None:
    pb = fd.compile_scenario(depot_day(depot_stock=5))
    ev = fd.evaluate(pb, fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T1": "D"}))
    assert ev.is_feasible, ev.violations
    assert ev.kpis.parts_picked == 2  # 3 needed, 1 in the van


def test_depot_stock_and_opening_hours_are_hard_rules() -> None:
    pb = fd.compile_scenario(depot_day(depot_stock=1))
    ev = fd.evaluate(pb, fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T2": "D"}))
    assert [v.kind for v in ev.violations] == ["depot_stock"]
    assert "'D'" in ev.violations[0].message and "holds 1" in ev.violations[0].message
    pb = fd.compile_scenario(depot_day(depot_stock=5, hours=(6, 8.5)))
    ev = fd.evaluate(pb, fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T2": "D"}))
    assert [v.kind for v in ev.violations] == ["depot_closed"]


def test_a_stop_before_an_unrouted_ticket_is_reported() -> None:
    pb = fd.compile_scenario(depot_day(depot_stock=5))
    plan = fd.Plan(routes=[(0,)], unassigned={1: fd.UnassignedReason.NO_PART}, pickups={1: 0})
    ev = fd.evaluate(pb, plan)
    assert "unknown_id" in [v.kind for v in ev.violations]


def test_depots_and_stops_round_trip_through_json_and_the_schemas() -> None:
    sc = depot_day(depot_stock=5)
    data = jf.scenario_to_dict(sc)
    jsonschema.validate(data, json.loads(jf.schema_path("scenario").read_text()))
    assert jf.scenario_from_dict(data) == sc
    pb = fd.compile_scenario(sc)
    plan = fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T2": "D"})
    out = jf.plan_to_dict(pb, plan, evaluation=fd.evaluate(pb, plan))
    jsonschema.validate(out, json.loads(jf.schema_path("plan").read_text()))
    assert out["routes"][0]["pickups"] == {"T2": "D"}
    assert jf.plan_from_dict(pb, out).pickups == {1: 0}
    bad = json.loads(json.dumps(out))
    bad["routes"][0]["pickups"] = {"T2": "nowhere"}
    with pytest.raises(fd.UnknownReferenceError):
        jf.plan_from_dict(pb, bad, strict=True)
    assert "nowhere" in jf.plan_from_dict(pb, bad).unknown_ids


def test_depot_validation_names_the_field() -> None:
    with pytest.raises(fd.ValidationError, match="pickup_time"):
        fd.Depot("D", fd.Location.planar(0, 0), pickup_time=-5)
    with pytest.raises(fd.ValidationError, match="stock"):
        fd.Depot("D", fd.Location.planar(0, 0), stock={"p": -1})
    sc = depot_day()
    with pytest.raises(fd.ValidationError, match="unique"):
        sc.replace(depots=sc.depots * 2)
    with pytest.raises(fd.ValidationError, match="Depot 'D': stock references an unknown part"):
        sc.replace(parts=[fd.Part("q")], depots=sc.depots)


def _accounted(problem: fd.Problem, plan: fd.Plan) -> bool:
    routed = [j for route in plan.routes for j in route]
    return (len(routed) == len(set(routed))
            and set(routed) | set(plan.unassigned) == set(range(problem.num_tickets)))


@settings(max_examples=30)
@given(scenarios(max_technicians=3, max_tickets=12, depots=True), st.integers(0, 2**31 - 1))
def test_heuristics_plan_depot_stops_the_evaluator_accepts(scenario, seed):
    """Random scenarios with depots (limited stock, opening hours, multi-day vans): greedy and
    ``ls`` plans pass the shared evaluator, lose nothing, and their own objective is the
    evaluator's; every stop sits on a route's first ticket."""
    problem = fd.compile_scenario(scenario)
    for name, opts in (("greedy", {}), ("ls", {"max_iterations": 120, "seed": seed})):
        result = fd.solve(problem, name, **opts)
        assert result.evaluation.violations == (), (name, result.evaluation.violations)
        assert _accounted(problem, result.plan)
        assert result.stats["backend_objective"] == pytest.approx(result.objective, rel=1e-9,
                                                                  abs=1e-6)
        firsts = {route[0] for route in result.plan.routes if route}
        assert set(result.plan.pickups) <= firsts
        if name == "ls":
            assert result.stats["insertion_errors"] == 0


def test_greedy_and_ls_serve_a_ticket_only_a_depot_makes_possible() -> None:
    sc = depot_day(depot_stock=5)
    for name in ("greedy", "ls"):
        result = fd.solve(sc, name, max_iterations=50, seed=1) if name == "ls" \
            else fd.solve(sc, name)
        assert result.is_feasible
        assert result.plan.unassigned == {}
        assert result.evaluation.kpis.depot_stops == 1
        assert list(result.plan.to_ids(result.problem)["pickups"].values()) == ["D"]


def test_a_stop_that_is_no_longer_needed_is_dropped_by_ls() -> None:
    """Warm start with a useless stop (the van holds everything): ``ls`` drops it."""
    sc = depot_day(depot_stock=5, van=5)
    pb = fd.compile_scenario(sc)
    warm = fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T1": "D"})
    assert fd.evaluate(pb, warm).is_feasible
    result = fd.solve(pb, LocalSearchSolver(initial_plan=warm), max_iterations=200, seed=0)
    assert result.is_feasible and result.plan.pickups == {}
    assert result.objective < fd.evaluate(pb, warm).objective


def test_expected_first_time_fix_follows_the_van_contents() -> None:
    """T1 may need part q (p = 0.4), T2 part r (p = 0.5, from its category). The van holds one
    q: first-time fix is certain at T1 and 50 % at T2, so the plan expects 0.5 revisits."""
    sc = depot_day(depot_stock=5)
    tech = sc.technicians[0]
    tech = fd.Technician(tech.id, tech.start_location, tech.shifts,
                         van_stock={"p": 1, "q": 1})
    t1, t2 = sc.tickets
    t1 = fd.Ticket(t1.id, t1.location, t1.duration, parts=t1.parts,
                   probable_parts={"q": 0.4})
    t2 = fd.Ticket(t2.id, t2.location, t2.duration, parts=t2.parts, category="boiler")
    sc = sc.replace(technicians=[tech], tickets=[t1, t2], category_parts={"boiler": {"r": 0.5}})
    pb = fd.compile_scenario(sc)
    ev = fd.evaluate(pb, fd.Plan.from_ids(pb, {"A": ["T1", "T2"]}, pickups={"T2": "D"}))
    assert ev.is_feasible
    assert ev.kpis.expected_first_time_fix_pct == pytest.approx(75.0)
    assert ev.kpis.expected_revisits == pytest.approx(0.5)
    assert jf.scenario_from_dict(jf.scenario_to_dict(sc)) == sc
    with pytest.raises(fd.ValidationError, match="probability"):
        fd.Ticket("X", fd.Location.planar(0, 0), 60, probable_parts={"q": 1.5})


def test_parts_example_runs_and_depots_pay(capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled example: with depots every ticket a van cannot serve gets a stop, and the
    ``ls`` plan with depots serves more tickets than the one without."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "examples" / "parts_day.py"
    spec = importlib.util.spec_from_file_location("parts_day", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--time-limit", "1"])
    with_depots = results["ls, with depots"].evaluation.kpis
    without = results["ls, vans only"].evaluation.kpis
    assert with_depots.unassigned_by_reason.get("no_part", 0) == 0
    assert without.unassigned_by_reason.get("no_part", 0) > 0
    assert with_depots.depot_stops > 0 and with_depots.assigned > without.assigned
    assert "depot stops:" in capsys.readouterr().out
    bundled = fd.load_scenario(path.parent / "parts_day.json")
    assert bundled == module.build_scenario()


def test_the_live_dispatcher_keeps_and_makes_depot_stops() -> None:
    """A plan with depot stops survives the Dispatcher (init, reoptimize); leaving for a
    ticket after a stop moves the lazy pick-up from the depot into the live van."""
    sc = depot_day(depot_stock=5)
    pb = fd.compile_scenario(sc)
    plan = fd.Plan.from_ids(pb, {"A": ["T2", "T1"]}, pickups={"T2": "D"})
    desk = fd.Dispatcher(sc, plan=plan)
    assert desk.evaluation.is_feasible and desk.evaluation.kpis.depot_stops == 1
    desk.reoptimize(solver="ls", time_limit=None, max_iterations=50)
    assert desk.evaluation.is_feasible and desk.evaluation.kpis.assigned == 2
    first = desk.route("A")[0]
    assert desk.plan.to_ids(desk.problem)["pickups"] == {first: "D"}
    desk.start_travel(first)
    live_van = desk.problem.scenario.technician("A").van_stock
    live_depot = desk.problem.scenario.depots[0].stock
    assert live_van["p"] == 3 - sc.ticket(first).parts["p"]  # 1 in the van + 2 picked up
    assert live_depot["p"] == 3
    assert desk.evaluation.is_feasible and desk.evaluation.kpis.assigned == 1
    assert np.array_equal(desk._live.break_starts(), desk.evaluation.times.break_start)


def test_a_ledger_follows_the_desk_from_reservation_to_consumption() -> None:
    """Accepting the desk's plan reserves at the van and the depot (the stop's lazy pick-up);
    leaving for the ticket after the stop moves the depot units into the van; completing
    consumes them; over-reservation is an error, not a negative stock."""
    from fsdispatch.inventory import DispatchLedger

    sc = depot_day(depot_stock=5)
    pb = fd.compile_scenario(sc)
    desk = fd.Dispatcher(sc, plan=fd.Plan.from_ids(pb, {"A": ["T2", "T1"]}, pickups={"T2": "D"}))
    ledger = fd.StockLedger.from_scenario(sc)
    sync = DispatchLedger(ledger, desk)
    sync.accept()
    # T2 needs 2: the van's 1 is left for T1 only if the stop brings both (lazy rule: the stop
    # picks what the van lacks for T2 and T1: 3 - 1 = 2)
    assert ledger.reserved("D", "p") == 2 and ledger.reserved("A", "p") == 1
    desk.start_travel("T2")
    assert ledger.on_hand("D", "p") == 3 and ledger.on_hand("A", "p") == 3
    desk.arrive("T2")
    desk.complete("T2")
    assert ledger.on_hand("A", "p") == 1 and ledger.reserved("A", "p") == 1
    assert sync.errors == []
    desk.cancel("T1")
    assert ledger.reserved("A", "p") == 0 and ledger.available("A", "p") == 1
    # a plan the stock cannot cover is refused with a typed error, nothing reserved
    small = fd.StockLedger.from_scenario(depot_day(depot_stock=1))
    desk2 = fd.Dispatcher(sc, plan=fd.Plan.from_ids(pb, {"A": ["T2", "T1"]}, pickups={"T2": "D"}))
    with pytest.raises(fd.OverReservationError):
        DispatchLedger(small, desk2).accept()
    assert small.reservations() == ()


def test_malformed_pickups_are_validation_errors() -> None:
    with pytest.raises(fd.ValidationError, match="pickups"):
        fd.Plan(routes=[()], pickups={"T1": "D"})
    with pytest.raises(fd.ValidationError, match="pickups"):
        fd.Plan(routes=[()], pickups=[1, 2])


def test_live_insert_opens_a_depot_stop_for_a_part_no_van_holds() -> None:
    """A new ticket needs 2 × p, the van holds 1 and the depot 5: insert starts the route with
    a depot stop (method depot_stop); the plan passes the evaluator with the stop, and the
    priced cost is the evaluator's objective change (load balance on). Before, a new ticket's
    part check ignored depots (no_part) and the desk's node numbering missed them."""
    sc = depot_day(depot_stock=5)
    sc = sc.replace(tickets=sc.tickets[:1],
                    objective=fd.ObjectiveWeights(load_balance=1.0, labour=0.5))
    desk = fd.Dispatcher(sc, now=at(7))
    desk.plan_day(solver="greedy")
    assert desk.route("A") == ["T1"] and not desk.plan.pickups
    before = desk.evaluation.objective
    new = fd.Ticket("NEW", fd.Location.planar(10, 0), 30 * fd.MINUTE, parts={"p": 2})
    res = desk.insert(new, max_moved=5, max_shift=fd.HOUR)
    assert res.placed and res.method == "depot_stop"
    assert desk.plan.to_ids(desk.problem)["pickups"] == {desk.route("A")[0]: "D"}
    ev = fd.check_plan(desk.problem, desk.plan)
    assert ev.kpis.depot_stops == 1 and ev.kpis.assigned == 2
    assert res.cost == pytest.approx(ev.objective - before, rel=1e-9, abs=1e-6)


def test_live_insert_keeps_the_disruption_bound_with_a_depot_stop() -> None:
    """With max_shift 0 the depot stop would shift T1: the ticket is not placed that way."""
    sc = depot_day(depot_stock=5)
    sc = sc.replace(tickets=sc.tickets[:1])
    desk = fd.Dispatcher(sc, now=at(7))
    desk.plan_day(solver="greedy")
    new = fd.Ticket("NEW", fd.Location.planar(10, 0), 30 * fd.MINUTE, parts={"p": 2})
    res = desk.insert(new, max_moved=0, max_shift=0)
    assert res.method != "depot_stop" and not desk.plan.pickups
    fd.check_plan(desk.problem, desk.plan)
