"""Cost and punctuality KPIs per technician team (issue #19): a two-team day checked by
hand, crew tickets counted once per team, and the sums over teams on random plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.evaluate.evaluation import NO_GROUP
from fsdispatch.testing.days import SKUS
from fsdispatch.testing.strategies import scenarios

DAY = datetime(2026, 3, 2, tzinfo=UTC)
OPEN = fd.UnassignedReason.OPEN


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def _tech(tid: str, x: float, team: str | None, rate: float, **kw: object) -> fd.Technician:
    return fd.Technician(
        tid,
        fd.Location(x=x, y=0.0),
        shifts=[fd.Shift(at(8), at(17))],
        cost_per_hour=rate,
        team=team,
        **kw,  # type: ignore[arg-type]
    )


def two_teams() -> fd.Scenario:
    """On a 60 km/h grid (1 km = 1 min). North: N1 at (0, 0), 60/h, serves A at (3, 0)
    (hard window 8-9, 2 × P1 at 10) then B at (3, 4) (soft window 8:00-8:06): 12 km,
    12 min, 2 × 30 min service. South: S1 at (10, 0), 30/h, serves C at (13, 0) (10 min,
    no window; probable part P2 at 0.5, not in the van): 6 km, 6 min. X (no team) idles."""
    techs = [
        _tech("N1", 0.0, "north", 60.0, van_stock={"P1": 2}),
        _tech("S1", 10.0, "south", 30.0),
        _tech("X", 20.0, None, 45.0),
    ]
    a = fd.Ticket(
        "A", fd.Location(x=3.0, y=0.0), 1800, windows=[fd.TimeWindow(at(8), at(9))], parts={"P1": 2}
    )
    b = fd.Ticket(
        "B",
        fd.Location(x=3.0, y=4.0),
        1800,
        window_kind="soft",
        windows=[fd.TimeWindow(at(8), at(8.1))],
    )
    c = fd.Ticket("C", fd.Location(x=13.0, y=0.0), 600, probable_parts={"P2": 0.5})
    return fd.Scenario(
        fd.Horizon(at(0), at(24)),
        techs,
        [a, b, c],
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
        parts=[fd.Part("P1", "filter", unit_cost=10.0), fd.Part("P2", "valve", unit_cost=4.0)],
        cost_rates=fd.CostRates(0.5, 30.0),
    )


def test_two_teams_by_hand():
    """North: labour 72 min × 1/min = 72, travel 12 km × 0.5 + 0.2 h × 30 = 12, parts 20:
    104 over 2 tickets = 52; A on time, B (soft) late: 1 of 2. South: labour 16 min × 0.5/min
    = 8, travel 6 × 0.5 + 0.1 h × 30 = 6: 14 over 1 ticket; no appointment: 100 %;
    expected fix 50 %. The team without a name served nothing: 0 per ticket, 100 % on time."""
    problem = fd.compile_scenario(two_teams())
    ev = fd.evaluate(problem, fd.Plan(routes=[(0, 1), (2,), ()]))
    assert ev.is_feasible, ev.violations
    teams = ev.kpis.by_team
    assert list(teams) == ["north", "south", NO_GROUP]
    north, south, idle = teams["north"], teams["south"], teams[NO_GROUP]
    assert (north.tickets, north.visits, north.technicians) == (2, 2, 1)
    assert (north.labour_cost, north.travel_cost, north.parts_cost) == pytest.approx(
        (72.0, 12.0, 20.0)
    )
    assert (north.total_cost, north.cost_per_ticket) == pytest.approx((104.0, 52.0))
    assert (north.appointment_tickets, north.on_time_tickets, north.on_time_pct) == (2, 1, 50.0)
    assert north.expected_first_time_fix_pct == 100.0
    assert (south.labour_cost, south.travel_cost, south.parts_cost) == pytest.approx(
        (8.0, 6.0, 0.0)
    )
    assert (south.total_cost, south.cost_per_ticket) == pytest.approx((14.0, 14.0))
    assert (south.appointment_tickets, south.on_time_tickets, south.on_time_pct) == (0, 0, 100.0)
    assert south.expected_first_time_fix_pct == pytest.approx(50.0)
    assert (idle.tickets, idle.total_cost, idle.cost_per_ticket, idle.on_time_pct) == (
        0,
        0.0,
        0.0,
        100.0,
    )
    k = ev.kpis
    assert (k.total_cost, k.cost_per_ticket) == pytest.approx((118.0, 118.0 / 3))
    assert k.expected_first_time_fix_pct == pytest.approx(100.0 * 2.5 / 3)


def test_team_columns_in_frames_json_and_report():
    """The team frame, the plan JSON's kpis and the HTML team table carry the new figures."""
    problem = fd.compile_scenario(two_teams())
    plan = fd.Plan(routes=[(0, 1), (2,), ()])
    ev = fd.evaluate(problem, plan)
    north = ev.kpis.by_team["north"]
    data = fd.io.plan_to_dict(problem, plan, evaluation=ev)
    assert data["kpis"]["by_team"]["north"] == attrs.asdict(north)
    html = fd.render_report(problem, plan)
    for head in ("<th>total cost</th>", "<th>cost per ticket</th>", "<th>on-time arrival</th>"):
        assert head in html
    assert "<td>104.00</td><td>52.00</td><td>50.0 % (1/2)</td></tr>" in html
    assert "<td>14.00</td><td>14.00</td><td>100.0 % (0/0)</td></tr>" in html
    pytest.importorskip("pandas")
    frame = fd.io.teams_frame(problem, plan).set_index("team")
    assert frame.loc["north", "cost_per_ticket"] == pytest.approx(52.0)
    assert frame.loc["south", "on_time_pct"] == 100.0
    assert frame["total_cost"].sum() == pytest.approx(ev.kpis.total_cost)


def test_on_time_by_territory_by_hand():
    """A and B in "east" (1 of 2 on time), C without territory (no appointment)."""
    base = two_teams()
    tickets = tuple(
        attrs.evolve(t, territory="east" if t.id in "AB" else None) for t in base.tickets
    )
    problem = fd.compile_scenario(base.replace(tickets=tickets))
    plan = fd.Plan(routes=[(0, 1), (2,), ()])
    ev = fd.evaluate(problem, plan)
    east, other = ev.kpis.by_territory["east"], ev.kpis.by_territory[NO_GROUP]
    assert (east.appointment_tickets, east.on_time_tickets, east.on_time_pct) == (2, 1, 50.0)
    assert (other.appointment_tickets, other.on_time_tickets, other.on_time_pct) == (0, 0, 100.0)
    assert (
        "<td>50.0 % (1/2)</td></tr>"
        in fd.render_report(problem, plan).split('id="territory-table"')[1]
    )


def crew_day() -> fd.Scenario:
    """N1, N2 (north) and S1 (south) at (0, 0); crew tickets J (two north members) and K
    (north and south), both 30 min with an appointment window 8-10, at (5, 0)."""
    techs = [
        _tech("N1", 0.0, "north", 60.0),
        _tech("N2", 0.0, "north", 60.0),
        _tech("S1", 0.0, "south", 60.0),
    ]
    window = [fd.TimeWindow(at(8), at(10))]
    tickets = [
        fd.Ticket("J", fd.Location(x=5.0, y=0.0), 1800, windows=window, crew_size=2),
        fd.Ticket("K", fd.Location(x=5.0, y=0.0), 1800, windows=window, crew_size=2),
    ]
    return fd.Scenario(
        fd.Horizon(at(0), at(24)),
        techs,
        tickets,
        travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
    )


def test_crew_tickets_count_once_per_team():
    """J (N1 + N2) counts once for north; K (N2 + S1) once for north and once for south:
    team tickets sum to the plan's 2 assigned + 1 (K spans two teams). Visits and money
    are per member; the plan counts each crew ticket once, appointments included."""
    problem = fd.compile_scenario(crew_day())
    ev = fd.evaluate(problem, fd.Plan(routes=[(0,), (0, 1), (1,)]))
    assert ev.is_feasible, ev.violations
    k, teams = ev.kpis, ev.kpis.by_team
    north, south = teams["north"], teams["south"]
    assert (k.assigned, k.appointment_tickets, k.on_time_tickets) == (2, 2, 2)
    assert sum(t.appointment_visits for t in ev.technicians) == 4
    assert (north.tickets, north.visits, north.appointment_tickets, north.on_time_tickets) == (
        2,
        3,
        2,
        2,
    )
    assert (south.tickets, south.visits, south.appointment_tickets) == (1, 1, 1)
    assert north.tickets + south.tickets == k.assigned + 1
    assert north.total_cost + south.total_cost == pytest.approx(k.total_cost)
    assert north.cost_per_ticket == pytest.approx(north.total_cost / 2)
    assert south.cost_per_ticket == pytest.approx(south.total_cost)
    assert k.cost_per_ticket == pytest.approx(k.total_cost / 2)


# ------------------------------------------------------------------ random plans
@st.composite
def team_days(draw: st.DrawFn) -> tuple[fd.Scenario, fd.Plan]:
    """A random scenario with teams, unit costs, travel rates, probable parts and crew
    tickets, and a random plan over it (feasible or not: the sums hold for any plan)."""
    base = draw(scenarios(max_technicians=4, max_tickets=8, breaks=False))
    techs = tuple(
        attrs.evolve(t, team=draw(st.sampled_from(["red", "blue", None]))) for t in base.technicians
    )
    costs = st.floats(0, 50, allow_nan=False).map(lambda v: round(v, 2))
    parts = [fd.Part(s, s, unit_cost=draw(costs)) for s in SKUS]
    crew_max = max(1, min(2, len(techs)))
    tickets = tuple(
        attrs.evolve(
            t,
            territory=draw(st.sampled_from(["east", "west", None])),
            probable_parts={s: 0.5 for s in SKUS[: draw(st.integers(0, 2))]},
            crew_size=draw(st.integers(1, crew_max)),
        )
        for t in base.tickets
    )
    scenario = base.replace(
        technicians=techs,
        tickets=tickets,
        parts=parts,
        cost_rates=fd.CostRates(draw(costs), draw(costs)),
    )
    problem = fd.compile_scenario(scenario)
    routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
    unassigned = {}
    for j in range(problem.num_tickets):
        members = (
            draw(st.sets(st.integers(0, problem.num_routes - 1), max_size=2))
            if problem.num_routes
            else set()
        )
        for r in members:
            routes[r].insert(draw(st.integers(0, len(routes[r]))), j)
        if not members:
            unassigned[j] = OPEN
    return scenario, fd.Plan(routes=[tuple(r) for r in routes], unassigned=unassigned)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_days())
def test_team_sums_equal_the_plan(day):
    """Money and minutes sum over teams to the plan's; tickets, appointment and on-time
    tickets sum to the plan's plus, per ticket, its teams minus one; each team's ratios
    follow from its own sums; expected fix weighted by visits averages to the plan's."""
    scenario, plan = day
    problem = fd.compile_scenario(scenario)
    ev = fd.evaluate(problem, plan)
    k, teams = ev.kpis, list(ev.kpis.by_team.values())
    assert sum(t.technicians for t in teams) == len(scenario.technicians)
    for name in ("labour_cost", "travel_cost", "parts_cost", "total_cost"):
        assert sum(getattr(t, name) for t in teams) == pytest.approx(getattr(k, name)), name
    assert sum(t.work_min for t in teams) == pytest.approx(k.work_min)
    team_of = {t.id: t.team or NO_GROUP for t in scenario.technicians}
    route_team = [team_of[problem.index.technician_ids[t]] for t in problem.data.rt.tech]
    served: dict[int, set[str]] = {}
    for j, r in zip(ev.times.ticket.tolist(), ev.times.route.tolist(), strict=True):
        served.setdefault(j, set()).add(route_team[r])
    extra = sum(len(v) - 1 for v in served.values())
    assert sum(t.tickets for t in teams) == k.assigned + extra
    visits = ev.times.ticket.shape[0]
    assert sum(t.visits for t in teams) == visits
    late_spread = sum(t.appointment_tickets for t in teams) - k.appointment_tickets
    assert 0 <= late_spread <= extra
    assert 0 <= sum(t.on_time_tickets for t in teams) - k.on_time_tickets <= extra
    if not extra:
        assert sum(t.appointment_tickets for t in teams) == k.appointment_tickets
        assert sum(t.on_time_tickets for t in teams) == k.on_time_tickets
    zones = list(k.by_territory.values())
    assert sum(z.appointment_tickets for z in zones) == k.appointment_tickets
    assert sum(z.on_time_tickets for z in zones) == k.on_time_tickets
    assert sum(z.assigned for z in zones) == k.assigned
    fix = sum(t.expected_first_time_fix_pct * t.visits for t in teams)
    assert fix == pytest.approx(k.expected_first_time_fix_pct * visits)
    for t in teams:
        assert t.total_cost == pytest.approx(t.labour_cost + t.travel_cost + t.parts_cost)
        assert t.cost_per_ticket == (t.total_cost / t.tickets if t.tickets else 0.0)
        assert t.on_time_pct == (
            100.0 * t.on_time_tickets / t.appointment_tickets if t.appointment_tickets else 100.0
        )
        assert 0 <= t.on_time_tickets <= t.appointment_tickets <= t.tickets <= t.visits


@pytest.mark.parametrize("seed", [0, 1])
def test_team_sums_on_greedy_crew_days(seed):
    """Greedy on generated days with crews and three teams (evaluator-checked): money
    sums over teams to the plan's and tickets to assigned plus the crews' extra teams."""
    base = fd.generate_scenario(6, 40, seed=seed, crew_fraction=0.2)
    techs = tuple(
        attrs.evolve(t, team=("a", "b", None)[k % 3]) for k, t in enumerate(base.technicians)
    )
    scenario = base.replace(technicians=techs, cost_rates=fd.CostRates(0.4, 10.0))
    result = fd.solve(scenario, "greedy", seed=seed)
    ev = fd.evaluate(result.problem, result.plan)
    assert ev.is_feasible, ev.violations
    k, teams = ev.kpis, list(ev.kpis.by_team.values())
    team_of = {t.id: t.team for t in techs}
    by_ticket: dict[str, set[str | None]] = {}
    for v in fd.to_schedule(result.problem, result.plan, ev).visits:
        by_ticket.setdefault(v.ticket_id, set()).add(team_of[v.technician_id])
    crews = [t for t in scenario.tickets if t.crew_size > 1 and t.id in by_ticket]
    assert crews, "the day serves no crew ticket"
    extra = sum(len(v) - 1 for v in by_ticket.values())
    assert sum(t.tickets for t in teams) == k.assigned + extra
    assert sum(t.total_cost for t in teams) == pytest.approx(k.total_cost)
    assert sum(t.visits for t in teams) == k.assigned + sum(t.crew_size - 1 for t in crews)
