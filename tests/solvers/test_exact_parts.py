"""Depot stops in the exact backends: cpsat and milp plan them exactly.

Every plan here goes through ``fd.solve``, so the shared evaluator judges
it; the optimum is checked against a brute force that also enumerates depot
stops (before any visit, at any depot).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fsdispatch as fd
from conftest import at
from exact_cases import close

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked

OPTS = {"workers": 1, "seed": 0, "time_limit": 20}


def run(problem: fd.Problem, backend: str, **options: object) -> fd.SolveResult:
    """Solve with ``backend`` deterministically (one worker for cpsat, seed 0, 20 s)."""
    opts = dict(OPTS) if backend == "cpsat" else {"seed": 0, "time_limit": 20}
    opts.update(options)
    return fd.solve(problem, backend, **opts)
KM = 60  # seconds per km at 60 km/h, no detour


def brute_force_stops(problem: fd.Problem, max_len: int = 3) -> tuple[float, fd.Plan]:
    """The optimum over every routing plan *with depot stops*, scored by ``fd.evaluate``.

    Per route, every ordered subset of the tickets it can serve (up to
    ``max_len``) with every choice of "no stop / a stop at depot d" before
    each visit is scored alone; disjoint combinations are ranked by the summed
    route costs and the first one the evaluator accepts as a whole (depot
    stock, van carried over between shifts) is the optimum. Requires a zero
    load-balance weight (the objective then decomposes by route).
    """
    kd = problem.data
    assert kd.w.balance == 0
    num_routes, num_depots = problem.num_routes, problem.num_depots
    penalty = kd.cost.penalty
    total_pen = float(penalty.sum())
    per_route: list[list[tuple[float, tuple[int, ...], dict[int, int]]]] = []
    for r in range(num_routes):
        cands = [j for j in range(problem.num_tickets) if r in problem.routes_for(j).tolist()]
        options: list[tuple[float, tuple[int, ...], dict[int, int]]] = [(0.0, (), {})]
        for k in range(1, min(len(cands), max_len) + 1):
            for seq in itertools.permutations(cands, k):
                for stops in itertools.product(range(-1, num_depots), repeat=k):
                    pickups = {j: d for j, d in zip(seq, stops, strict=True) if d >= 0}
                    routes: list[tuple[int, ...]] = [()] * num_routes
                    routes[r] = seq
                    plan = fd.Plan(routes, {j: "not_profitable" for j in
                                            range(problem.num_tickets) if j not in seq},
                                   pickups=pickups)
                    ev = fd.evaluate(problem, plan)
                    if ev.is_feasible:
                        cost = ev.objective - (total_pen - float(penalty[list(seq)].sum()))
                        options.append((cost, seq, pickups))
        per_route.append(options)
    combos = []
    for choice in itertools.product(*per_route):
        seen = [j for _, seq, _ in choice for j in seq]
        if len(seen) != len(set(seen)):
            continue
        value = sum(c for c, _, _ in choice) + total_pen - float(penalty[seen].sum())
        combos.append((value, choice))
    combos.sort(key=lambda c: c[0])
    for value, choice in combos:
        served = {j for _, seq, _ in choice for j in seq}
        pickups = {j: d for _, _, stops in choice for j, d in stops.items()}
        plan = fd.Plan([seq for _, seq, _ in choice],
                       {j: "not_profitable" for j in range(problem.num_tickets)
                        if j not in served}, pickups=pickups)
        ev = fd.evaluate(problem, plan)
        if ev.is_feasible:
            assert np.isclose(ev.objective, value, rtol=1e-9, atol=1e-6)
            return float(ev.objective), plan
    raise AssertionError("the all-unassigned plan is always feasible")


def one_depot(van: int = 0, depot_stock: int = 5, hours: tuple[float, float] = (8, 17),
              pickup: int = 10 * fd.MINUTE, windows: tuple[float, float] | None = None,
              breaks: bool = False) -> fd.Scenario:
    """Technician ``A`` at (0, 0) with ``van`` × ``p``; ``T1`` at (10, 0) needs 1 × ``p``,
    ``T2`` at (0, 10) needs nothing; depot ``D`` at (5, 0) holds ``depot_stock`` × ``p``
    and opens ``hours``. With ``windows`` both tickets must start inside it."""
    win = [fd.TimeWindow(at(windows[0]), at(windows[1]))] if windows else []
    shift_breaks = [fd.Break(fd.TimeWindow(at(11), at(13)), 30 * fd.MINUTE)] if breaks else []
    tech = fd.Technician("A", fd.Location.planar(0, 0),
                         [fd.Shift(at(8), at(17), breaks=shift_breaks)], van_stock={"p": van})
    tickets = [fd.Ticket("T1", fd.Location.planar(10, 0), 30 * fd.MINUTE, parts={"p": 1},
                         windows=win),
               fd.Ticket("T2", fd.Location.planar(0, 10), 30 * fd.MINUTE, windows=win)]
    depot = fd.Depot("D", fd.Location.planar(5, 0), stock={"p": depot_stock},
                     opening_hours=[fd.TimeWindow(at(hours[0]), at(hours[1]))],
                     pickup_time=pickup)
    return fd.Scenario(fd.Horizon(at(0), at(24)), [tech], tickets, depots=[depot],
                       parts=[fd.Part("p")], travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))


def random_depot_day(seed: int, breaks: bool = False, rich: bool = False) -> fd.Scenario:
    """2 technicians, 3 tickets, 1-2 depots on a 20 km square, drawn from ``seed``.

    Vans hold 0-1 of parts ``p``/``q``, tickets need 0-2 of one part, depots
    hold 0-2 of each and open for 2-9 hours from 8:00-11:00; tickets may have
    a window; one technician may have two shifts (the van carries over).
    With ``breaks`` every shift has a 30-minute break in 11:00-13:00. With
    ``rich`` tickets may need both parts and depots close for an hour at noon
    (two opening windows) with a pick-up time of 0-20 minutes.
    """
    rng = np.random.default_rng(seed)

    def brk(day: int) -> list[fd.Break]:
        return [fd.Break(fd.TimeWindow(at(11, day), at(13, day)), 30 * fd.MINUTE)] if breaks \
            else []

    def loc() -> fd.Location:
        return fd.Location.planar(int(rng.integers(0, 21)), int(rng.integers(0, 21)))

    techs = []
    for k in range(2):
        shifts = [fd.Shift(at(8), at(16), breaks=brk(0))]
        if k == 1 and rng.random() < 0.5:
            shifts.append(fd.Shift(at(8, day=1), at(16, day=1), breaks=brk(1)))
        techs.append(fd.Technician(f"E{k}", loc(), shifts,
                                   van_stock={s: int(rng.integers(0, 2)) for s in "pq"}))
    tickets = []
    for k in range(3):
        parts = {}
        if rng.random() < 0.8:
            parts[str(rng.choice(["p", "q"]))] = int(rng.integers(1, 3))
        if rich and rng.random() < 0.5:
            parts[str(rng.choice(["p", "q"]))] = int(rng.integers(1, 3))
        windows = []
        if rng.random() < 0.4:
            day = int(rng.integers(0, 2))
            start = float(rng.integers(8, 14))
            windows = [fd.TimeWindow(at(start, day), at(start + 2, day))]
        tickets.append(fd.Ticket(f"T{k}", loc(), int(rng.integers(20, 61)) * fd.MINUTE,
                                 parts=parts, windows=windows))
    depots = []
    for k in range(int(rng.integers(1, 3))):
        open_at = float(rng.integers(8, 12))
        where = loc()  # draws in the same order as before `rich` existed
        stock = {s: int(rng.integers(0, 3)) for s in "pq"}
        hours = [fd.TimeWindow(at(open_at), at(open_at + float(rng.integers(2, 10))))]
        pickup = int(rng.integers(5, 21)) * fd.MINUTE
        if rich:
            hours = [fd.TimeWindow(at(open_at - 1), at(12)), fd.TimeWindow(at(13), at(17))]
            pickup = int(rng.integers(0, 21)) * fd.MINUTE
        depots.append(fd.Depot(f"D{k}", where, stock=stock, opening_hours=hours,
                               pickup_time=pickup))
    return fd.Scenario(fd.Horizon(at(0), at(48)), techs, tickets, depots=depots,
                       parts=[fd.Part("p"), fd.Part("q")],
                       travel=fd.GeometricTravel(speed_kmh=40, detour=1.0))


def check_against_brute_force(problem: fd.Problem, result: fd.SolveResult) -> float:
    """The shared assertions: feasible, bound ≤ optimum ≤ objective, OPTIMAL only if equal."""
    best, _ = brute_force_stops(problem)
    assert result.is_feasible, result.evaluation.violations
    assert result.bound is not None and result.bound <= best + 1e-6 * max(1.0, best)
    assert result.objective >= best - 1e-6 * max(1.0, best)
    if result.status is fd.SolveStatus.OPTIMAL:
        assert close(result.objective, best)
    return best


@pytest.mark.solvers(exact=True)
def test_a_ticket_only_servable_via_a_depot_is_served_with_a_stop(solver_name: str) -> None:
    """Empty van, the depot holds the part: cpsat proves the optimum, which stops at the depot
    right before T1; the backend objective equals the evaluator's (depot legs and pick-up)."""
    problem = fd.compile_scenario(one_depot(van=0))
    result = run(problem, solver_name)
    best = check_against_brute_force(problem, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert close(result.objective, best)
    assert close(result.stats["backend_objective"], result.objective)
    assert close(result.bound, result.objective)
    assert result.plan.pickups == {0: 0}
    assert result.evaluation.kpis.assigned == 2
    assert result.evaluation.kpis.depot_stops == 1
    assert result.evaluation.kpis.parts_picked == 1


@pytest.mark.solvers(exact=True)
def test_a_full_van_needs_no_stop(solver_name: str) -> None:
    """The van holds the part: no depot stop (it would only add travel and pick-up time)."""
    problem = fd.compile_scenario(one_depot(van=1))
    result = run(problem, solver_name)
    check_against_brute_force(problem, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert result.plan.pickups == {}
    assert result.evaluation.kpis.assigned == 2


@pytest.mark.solvers(exact=True)
def test_an_empty_depot_leaves_the_ticket_unassigned(solver_name: str) -> None:
    """Depot stock 0: the ticket cannot be served (compiled as a part incompatibility)."""
    problem = fd.compile_scenario(one_depot(van=0, depot_stock=0))
    result = run(problem, solver_name)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert result.plan.unassigned == {0: fd.UnassignedReason.NO_PART}
    assert result.plan.pickups == {}


@pytest.mark.solvers(exact=True)
def test_opening_hours_are_respected(solver_name: str) -> None:
    """The depot opens 13:00-14:00 and T1 must start by 12:00: no stop fits, T1 is left out;
    with T1 allowed until 17:00 the pick-up starts inside the opening hours."""
    closed = fd.compile_scenario(one_depot(van=0, hours=(13, 14), windows=(8, 12)))
    result = run(closed, solver_name)
    check_against_brute_force(closed, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert 0 in result.plan.unassigned and result.plan.pickups == {}
    late = fd.compile_scenario(one_depot(van=0, hours=(13, 14)))
    result = run(late, solver_name)
    check_against_brute_force(late, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert result.plan.pickups == {0: 0}
    times = result.evaluation.times
    k = int(np.flatnonzero(times.ticket == 0)[0])
    start = int(times.pickup_start[k])
    horizon = late.scenario.horizon
    assert horizon.to_internal(at(13)) <= start <= horizon.to_internal(at(14)) - 10 * fd.MINUTE
    assert times.start[k] >= start + 10 * fd.MINUTE + 5 * KM


@pytest.mark.solvers(exact=True)
def test_depot_stock_is_shared_between_technicians(solver_name: str) -> None:
    """Two technicians with empty vans, two tickets needing 1 × p each, the depot holds 1:
    only one ticket is served through the depot; depot use never exceeds its stock."""
    techs = [fd.Technician(k, fd.Location.planar(x, 0), [fd.Shift(at(8), at(17))],
                           van_stock={"p": 0}) for k, x in (("A", 0), ("B", 20))]
    tickets = [fd.Ticket(f"T{k}", fd.Location.planar(x, 5), 30 * fd.MINUTE, parts={"p": 1})
               for k, x in ((1, 2), (2, 18))]
    depot = fd.Depot("D", fd.Location.planar(10, 0), stock={"p": 1})
    scenario = fd.Scenario(fd.Horizon(at(0), at(24)), techs, tickets, depots=[depot],
                           travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))
    problem = fd.compile_scenario(scenario)
    result = run(problem, solver_name)
    check_against_brute_force(problem, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert result.evaluation.kpis.assigned == 1
    assert result.evaluation.kpis.parts_picked == 1
    assert len(result.plan.pickups) == 1


@pytest.mark.solvers(exact=True)
def test_the_van_carries_over_to_the_next_shift(solver_name: str) -> None:
    """One van unit, a ticket needing it on each of two days: day 1 uses the van, day 2's
    ticket needs a stop (the van is not refilled overnight); depot stock 1 covers it."""
    tech = fd.Technician("A", fd.Location.planar(0, 0),
                         [fd.Shift(at(8), at(17)), fd.Shift(at(8, 1), at(17, 1))],
                         van_stock={"p": 1})
    tickets = [fd.Ticket(f"T{d}", fd.Location.planar(10, 0), 30 * fd.MINUTE, parts={"p": 1},
                         windows=[fd.TimeWindow(at(8, d), at(17, d))]) for d in (0, 1)]
    depot = fd.Depot("D", fd.Location.planar(5, 5), stock={"p": 1})
    scenario = fd.Scenario(fd.Horizon(at(0), at(48)), [tech], tickets, depots=[depot],
                           travel=fd.GeometricTravel(speed_kmh=60, detour=1.0))
    problem = fd.compile_scenario(scenario)
    result = run(problem, solver_name)
    check_against_brute_force(problem, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert result.evaluation.kpis.assigned == 2
    assert len(result.plan.pickups) == 1
    assert result.evaluation.kpis.parts_picked == 1


@pytest.mark.solvers(exact=True)
def test_stops_with_breaks_keep_the_plan_feasible_and_the_bound_valid(solver_name: str) -> None:
    """A lunch break with a depot stop: breaks are a relaxation, so the plan is re-checked;
    it stays feasible, the bound ≤ the brute-force optimum ≤ the objective."""
    problem = fd.compile_scenario(one_depot(van=0, hours=(11, 13), breaks=True))
    result = run(problem, solver_name)
    check_against_brute_force(problem, result)
    assert result.evaluation.kpis.assigned == 2


@pytest.mark.parametrize("seed", range(12))
def test_cpsat_matches_the_brute_force_with_stops_on_random_days(seed: int) -> None:
    """Random 2-technician, 3-ticket days with 1-2 depots (stock, hours, carry-over):
    feasible under the evaluator, OPTIMAL equals the brute-force optimum over plans with
    stops, the bound is below it, and the backend objective equals the evaluator's."""
    problem = fd.compile_scenario(random_depot_day(seed))
    result = fd.solve(problem, "cpsat", **OPTS)
    check_against_brute_force(problem, result)
    assert result.status is fd.SolveStatus.OPTIMAL
    assert close(result.stats["backend_objective"], result.objective)


@pytest.mark.parametrize("seed", range(10))
def test_cpsat_matches_the_brute_force_with_two_parts_and_lunch_closures(seed: int) -> None:
    """Random days where tickets may need both parts and depots close at noon (two opening
    windows, pick-up time possibly 0): cpsat proves the brute-force optimum with stops."""
    problem = fd.compile_scenario(random_depot_day(seed, rich=True))
    result = fd.solve(problem, "cpsat", **OPTS)
    check_against_brute_force(problem, result)
    assert result.status is fd.SolveStatus.OPTIMAL


@pytest.mark.parametrize("seed", range(8))
def test_with_breaks_the_bound_stays_valid_on_random_days(seed: int) -> None:
    """Random depot days with lunch breaks (relaxed in the model): the plan is feasible,
    bound ≤ brute-force optimum ≤ objective, OPTIMAL only when they are equal."""
    problem = fd.compile_scenario(random_depot_day(seed, breaks=True))
    result = fd.solve(problem, "cpsat", **OPTS)
    check_against_brute_force(problem, result)


def test_a_dropped_visit_hands_its_stop_to_the_next_visit() -> None:
    """Repair helper: dropping a visit that had a depot stop moves the stop to the next
    visit of the route (so the later tickets keep their supply); at the end it is dropped."""
    from fsdispatch.solvers._exact import _without_visit

    routes, stops = _without_visit([[3, 1, 2]], {3: 0}, 0, 0)
    assert routes == [[1, 2]] and stops == {1: 0}
    routes, stops = _without_visit([[3, 1]], {1: 1, 3: 0}, 0, 0)
    assert routes == [[1]] and stops == {1: 1}
    routes, stops = _without_visit([[3, 1]], {1: 1}, 0, 1)
    assert routes == [[3]] and stops == {}


def test_hints_with_or_without_stops_give_the_same_optimum() -> None:
    """With and without the greedy warm start (which may or may not plan stops) cpsat
    proves the same optimum."""
    problem = fd.compile_scenario(random_depot_day(3))
    warm = fd.solve(problem, "cpsat", **OPTS)
    cold = fd.solve(problem, "cpsat", warm_start=False, **OPTS)
    assert warm.status is cold.status is fd.SolveStatus.OPTIMAL
    assert close(warm.objective, cold.objective)


@pytest.mark.parametrize("seed", range(8))
def test_milp_matches_the_brute_force_with_stops_on_random_days(seed: int) -> None:
    """milp's big-M version of the stop model proves the brute-force optimum with stops on
    random days (plain and two-part / lunch-closure variants), the backend objective equals
    the evaluator's, and it agrees with cpsat."""
    for rich in (False, True):
        problem = fd.compile_scenario(random_depot_day(seed, rich=rich))
        result = run(problem, "milp")
        best = check_against_brute_force(problem, result)
        assert result.status is fd.SolveStatus.OPTIMAL
        assert close(result.objective, best)
        assert close(result.stats["backend_objective"], result.objective)


def _fixed_plan_objective(problem: fd.Problem, plan: fd.Plan) -> float | None:
    """The routing model's objective with ``plan`` hinted and its hinted variables fixed
    (``None`` if the model rejects it)."""
    from ortools.sat.python import cp_model

    from fsdispatch.solvers._exact import routing_data
    from fsdispatch.solvers.cpsat import constraints, objective, variables
    from fsdispatch.solvers.cpsat.solver import _hint_routing

    model = cp_model.CpModel()
    rd = routing_data(problem)
    rv = variables.routing_vars(model, problem, rd)
    constraints.add_routing_constraints(model, problem, rd, rv)
    scale, exact = objective.set_objective(model, objective.routing_objective(model, problem,
                                                                              rd, rv))
    assert exact
    _hint_routing(model, problem, rd, rv, plan, fd.evaluate(problem, plan))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_time_in_seconds = 10
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return solver.objective_value / scale


@pytest.mark.parametrize("seed", [2, 3, 7, 8, 21, 29])
def test_the_model_admits_the_brute_force_plan_at_the_evaluator_cost(seed: int) -> None:
    """The brute-force optimum (with depot stops) fixed in the cpsat model through the hint
    is accepted, and the model prices it exactly as the evaluator does: the model contains
    every plan with stops and its objective is the evaluator's."""
    problem = fd.compile_scenario(random_depot_day(seed))
    best, plan = brute_force_stops(problem)
    assert plan.pickups  # these seeds' optima stop at a depot
    value = _fixed_plan_objective(problem, plan)
    assert value is not None
    assert close(value, best)


def test_greedy_warm_starts_with_or_without_stops_are_admitted_as_hints() -> None:
    """Whatever the greedy warm start is (with depot stops once greedy plans them, or
    without), fixing it in the cpsat model through the hint is accepted at the evaluator's
    objective: the hint describes a complete, consistent model solution."""
    for seed in range(12):
        problem = fd.compile_scenario(random_depot_day(seed))
        greedy = fd.solve(problem, "greedy")
        assert greedy.is_feasible
        value = _fixed_plan_objective(problem, greedy.plan)
        assert value is not None, seed
        assert close(value, greedy.objective), seed


def _milp_fixed_plan_objective(problem: fd.Problem, plan: fd.Plan) -> float | None:
    """The routing MILP's objective with ``plan``'s visits, arcs and stops fixed by equality
    rows (``None`` if the MILP rejects it)."""
    import itertools as it

    import pulp

    from fsdispatch.solvers._exact import routing_data
    from fsdispatch.solvers.milp import constraints, objective, variables

    rd = routing_data(problem)
    rv = variables.routing_vars(problem, rd)
    lp = pulp.LpProblem("fixed", pulp.LpMinimize)
    ends = constraints.add_routing_constraints(lp, problem, rd, rv)
    lp += objective.routing_objective(lp, problem, rd, rv, ends)
    for r, route in enumerate(plan.routes):
        cands = rd.cands[r].tolist()
        local = {j: k for k, j in enumerate(cands, start=1)}
        on = set(it.pairwise([0, *[local[j] for j in route], 0])) if route else set()
        for key, var in rv.y[r].items():
            lp += var == int(key in on)
        for j in cands:
            lp += rv.x[r, j] == int(j in route)
        for (j, d), var in rv.stops.get(r, {}).items():
            lp += var == int(plan.pickups.get(j) == d and j in route)
    lp.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=20))
    if lp.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    return float(pulp.value(lp.objective))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("seed", [2, 3, 7, 8, 21, 29])
def test_the_milp_admits_the_brute_force_plan_at_the_evaluator_cost(seed: int) -> None:
    """The brute-force optimum with its depot stops, fixed in the routing MILP, is feasible
    there and priced exactly as the evaluator prices it (no breaks in these days)."""
    problem = fd.compile_scenario(random_depot_day(seed))
    best, plan = brute_force_stops(problem)
    assert plan.pickups
    value = _milp_fixed_plan_objective(problem, plan)
    assert value is not None
    assert close(value, best)


@pytest.mark.solvers(exact=True)
def test_both_backends_pass_the_conformance_kit_on_depot_days(solver_name: str) -> None:
    """check_solver on depot days: feasible, nothing lost, reasons, same seed same plan
    (stops included in the plan comparison)."""
    from fsdispatch.testing import check_solver

    options = {"workers": 1} if solver_name == "cpsat" else {}
    check_solver(solver_name, scenarios=[
        one_depot(van=0).replace(name="one-depot"),
        random_depot_day(8).replace(name="two-stops"),
        random_depot_day(5, rich=True).replace(name="rich"),
    ], time_limit=10, **options)
