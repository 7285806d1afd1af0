"""Position pings in the simulator: emitted along legs, fed to the dispatcher on request."""

from __future__ import annotations

import math

import pytest

import fsdispatch as fd
from fsdispatch.errors import ValidationError
from fsdispatch.sim import (
    DemandModel,
    GreedyInsertion,
    PositionPings,
    ServiceModel,
    SimConfig,
    simulate,
)


@pytest.fixture(scope="module")
def config() -> SimConfig:
    """4 technicians, one day, noisy travel (legs run late or early)."""
    return SimConfig(
        num_technicians=4,
        days=1,
        workforce_seed=5,
        demand=DemandModel(tickets_per_day=30, radius_km=25),
        service=ServiceModel(travel_sigma=0.5, p_cancel=0.05, p_not_home=0.05),
    )


@pytest.fixture(scope="module")
def runs(config):
    pings = PositionPings(every=120)
    return {
        "off": simulate(config, GreedyInsertion(), seed=3),
        "blind": simulate(config, GreedyInsertion(), seed=3, positions=pings),
        "use": simulate(config, GreedyInsertion(use_positions=True), seed=3, positions=pings),
    }


def _outcomes(result):
    return sorted((r.ticket_id, r.outcome) for r in result.tickets)


def test_pings_follow_the_legs(runs):
    off, blind = runs["off"], runs["blind"]
    assert off.positions == ()
    pings = blind.positions
    assert pings, "legs longer than 2 minutes emit pings"
    # a policy that ignores positions runs exactly as without pings
    assert _outcomes(blind) == _outcomes(off)
    assert [(v.ticket_id, v.arrive, v.end) for v in blind.visits] == [
        (v.ticket_id, v.arrive, v.end) for v in off.visits
    ]
    legs: dict[tuple[str, str], list] = {}
    for v in blind.visits:
        legs.setdefault((v.technician_id, v.ticket_id), []).append(v)
    tickets = blind.ticket_objects
    length: dict[tuple[str, str, int], list[float]] = {}
    for p in pings:
        # while driving that leg, every 120 s
        v = next(v for v in legs[(p.tech, p.ticket_id)] if v.depart < p.time < v.depart + v.travel)
        assert (p.time - v.depart) % 120 == 0
        dest = tickets[p.ticket_id].location
        assert p.location.geographic == dest.geographic
        f = (p.time - v.depart) / v.travel
        left = math.hypot(p.location.x - dest.x, p.location.y - dest.y)
        length.setdefault((p.tech, p.ticket_id, v.depart), []).append(left / (1 - f))
    # linear interpolation: the pings of a leg put the same (straight) length on it
    multi = [ls for ls in length.values() if len(ls) > 1]
    assert multi
    for ls in multi:
        assert max(ls) == pytest.approx(min(ls), rel=1e-6, abs=1e-9)
    times = [p.time for p in pings]
    assert times == sorted(times)


def test_a_policy_using_positions_loses_no_ticket(runs):
    use, off = runs["use"], runs["off"]
    assert use.positions
    for result in (use, off):
        k = result.kpis()
        assert k["completed"] + k["cancelled"] + k["open"] == k["arrived"] == len(result.tickets)
        assert k["completed"] > 0
    # same demand (common random numbers): the same tickets arrived
    assert sorted(r.ticket_id for r in use.tickets if r.follow_up_of is None) == sorted(
        r.ticket_id for r in off.tickets if r.follow_up_of is None
    )


def test_pings_are_deterministic_under_a_seed(config, runs):
    again = simulate(
        config, GreedyInsertion(use_positions=True), seed=3, positions=PositionPings(every=120)
    )
    assert again.positions == runs["use"].positions
    assert _outcomes(again) == _outcomes(runs["use"])


def test_bad_option():
    with pytest.raises(ValidationError, match="every"):
        PositionPings(every=0)
    with pytest.raises(ValidationError, match="every"):
        PositionPings(every=1.5)  # type: ignore[arg-type]


def test_matrix_pings_snap_to_the_legs_ends():
    matrix = fd.MatrixTravel(["h", "s1", "s2"], [[0, 1200, 1500], [1200, 0, 900], [1500, 900, 0]])
    base = fd.generate_scenario(1, 2, seed=0)
    h = fd.Location.planar(0, 0, id="h")
    tech = fd.Technician("A", h, base.technicians[0].shifts)
    tickets = [
        fd.Ticket("T1", fd.Location.planar(1, 0, id="s1"), 1800),
        fd.Ticket("T2", fd.Location.planar(2, 0, id="s2"), 1800),
    ]
    scenario = fd.Scenario(base.horizon, [tech], tickets, travel=matrix)
    result = simulate(
        scenario,
        GreedyInsertion(use_positions=True),
        seed=1,
        days=1,
        service=ServiceModel(
            travel_sigma=0.0, p_cancel=0.0, p_not_home=0.0, p_ftf_fail=0.0, p_absent=0.0, p_sick=0.0
        ),
        positions=PositionPings(every=300),
        replay=True,
    )
    assert result.positions
    ids = {"h", "s1", "s2"}
    assert all(p.location.id in ids for p in result.positions)
    assert {r.outcome for r in result.tickets} <= {"completed", "open"}
