"""Simulated tickets on assets: a generated fleet or the scenario's assets, follow-ups on the
same asset, a realised service history per asset, and nothing changed when the option is off."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import attrs
import numpy as np
import pytest

import fsdispatch as fd
from fsdispatch.generate import generate_scenario
from fsdispatch.sim import (
    DemandModel,
    ServiceModel,
    SimConfig,
    asset_fleet,
    bind_to_assets,
    draw_arrivals,
    run_experiment,
    simulate,
)

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
DEMAND = DemandModel(tickets_per_day=25, radius_km=10)
CONFIG = SimConfig(
    num_technicians=4,
    days=2,
    workforce_seed=3,
    demand=DEMAND,
    service=ServiceModel(p_ftf_fail=0.4, p_cancel=0.0),
)


@pytest.fixture(scope="module")
def fleet() -> tuple[fd.Asset, ...]:
    """40 assets in the demand's city (fleet seed 1)."""
    return asset_fleet(DEMAND, 40, seed=1)


@pytest.fixture(scope="module")
def runs(fleet):
    """Seed 2 of the config without assets and with the fleet."""
    return {
        "plain": simulate(CONFIG, "greedy-insertion", seed=2),
        "fleet": simulate(CONFIG, "greedy-insertion", seed=2, assets=fleet),
    }


def test_fleet_is_fixed_by_its_seed_and_lies_in_the_city(fleet):
    """Same seed, same fleet; another seed, another; unique ids; sites near the centre."""
    assert asset_fleet(DEMAND, 40, seed=1) == fleet
    assert asset_fleet(DEMAND, 40, seed=2) != fleet
    assert len({a.id for a in fleet}) == 40
    lat0, lon0 = DEMAND.center
    for a in fleet:
        assert a.kind in ("hvac", "boiler", "elevator") and a.customer_id
        assert abs(a.location.lat - lat0) * 110.574 < 4 * DEMAND.radius_km
        assert abs(a.location.lon - lon0) * 111.32 * math.cos(math.radians(lat0)) < (
            4 * DEMAND.radius_km
        )


def test_binding_takes_the_nearest_asset_and_draws_nothing(fleet):
    """Each ticket goes to its nearest asset (brute force in km), at the asset's location and
    customer; the other attributes are the unbound draw's; the generators are untouched."""
    rng, srng = np.random.default_rng(5), np.random.default_rng(6)
    arrivals = draw_arrivals(DEMAND, ServiceModel(), MONDAY, 1, rng, srng)
    state = (rng.bit_generator.state, srng.bit_generator.state)
    bound = bind_to_assets(arrivals, fleet)
    assert (rng.bit_generator.state, srng.bit_generator.state) == state
    lat0 = float(np.mean([a.location.lat for a in fleet]))

    def km(p: fd.Location, q: fd.Location) -> float:
        dx = (p.lon - q.lon) * 111.32 * math.cos(math.radians(lat0))
        return math.hypot(dx, (p.lat - q.lat) * 110.574)

    for before, after in zip(arrivals, bound, strict=True):
        dists = [km(before.ticket.location, a.location) for a in fleet]
        nearest = fleet[int(np.argmin(dists))]
        assert after.ticket.asset_id == nearest.id
        assert after.ticket.location == nearest.location
        assert after.ticket.customer_id == nearest.customer_id
        assert (
            attrs.evolve(
                after.ticket, asset_id=None, location=before.ticket.location, customer_id=None
            )
            == before.ticket
        )
        assert attrs.evolve(after, ticket=before.ticket) == before


def test_follow_ups_refer_to_the_same_asset_and_history_lists_the_visits(runs, fleet):
    """Every ticket of the fleet run is on a fleet asset; a follow-up is on its original's
    asset; an asset's history holds exactly its completed visits, in time order."""
    res = runs["fleet"]
    ids = {a.id for a in fleet}
    objs = res.ticket_objects
    assert all(objs[r.ticket_id].asset_id in ids for r in res.tickets)
    fus = [r for r in res.tickets if r.follow_up_of is not None]
    assert fus  # p_ftf_fail 0.4 over two days
    for r in fus:
        assert objs[r.ticket_id].asset_id == objs[str(r.follow_up_of)].asset_id
    done = [v for v in res.visits if v.outcome == "done"]
    for asset_id in {objs[v.ticket_id].asset_id for v in done}:
        history = res.asset_history(str(asset_id))
        mine = sorted(v.ticket_id for v in done if objs[v.ticket_id].asset_id == asset_id)
        assert sorted(v.ticket_id for v in history.visits) == mine
        starts = [v.start for v in history.visits]
        assert starts == sorted(starts)
        assert all(v.end >= v.start for v in history.visits)
    assert res.asset_history("NOPE").visits == ()
    with pytest.raises(fd.ValidationError, match="asset_id"):
        res.asset_history("")


def test_option_off_changes_nothing_and_on_keeps_the_draws(runs):
    """Without assets tickets are on none; with them the arrivals (ids, times, categories,
    priorities) are those of the plain run: binding consumes no random number."""
    plain, bound = runs["plain"], runs["fleet"]
    assert all(t.asset_id is None for t in plain.ticket_objects.values())

    def drawn(res):
        return [
            (r.ticket_id, r.arrival, r.category, r.priority, r.tier)
            for r in res.tickets
            if r.follow_up_of is None
        ]

    assert drawn(bound) == drawn(plain)
    again = simulate(CONFIG, "greedy-insertion", seed=2, assets=None)
    assert again.tickets == plain.tickets and again.visits == plain.visits


def test_scenario_assets_and_experiment_option():
    """A Scenario's own assets can be the fleet; run_experiment passes the option through;
    realised routes still pass the evaluator's reference checks."""
    base = generate_scenario(3, 0, seed=2, days=1, start_date=MONDAY, num_parts=0)
    fleet = asset_fleet(DEMAND, 15, seed=4)
    scenario = base.replace(assets=fleet)
    res = simulate(scenario, "greedy-insertion", seed=1, demand=DEMAND, assets=scenario.assets)
    assert {t.asset_id for t in res.ticket_objects.values()} <= {a.id for a in fleet}
    problem, plan = res.realised_routes(0)
    ev = fd.evaluate(problem, plan)
    assert not [v for v in ev.violations if v.kind not in {"window", "shift_end", "break"}]
    frame = run_experiment(
        scenario, ["greedy-insertion"], seeds=[1], demand=DEMAND, assets=scenario.assets
    )
    assert frame["completed"].iloc[0] == res.kpis()["completed"]


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda f: asset_fleet(DEMAND, 0), "num_assets", "0"),
        (lambda f: asset_fleet(DEMAND, 3, kinds={"hvac": -1}), "kinds", "-1"),
        (lambda f: bind_to_assets([], []), "assets", "[]"),
        (lambda f: bind_to_assets([], ["AS-1"]), "assets[0]", "AS-1"),
        (
            lambda f: simulate(
                CONFIG, "greedy-insertion", seed=0, assets=[fd.Asset("P", fd.Location.planar(0, 0))]
            ),
            "assets",
            "mixed",
        ),
        (
            lambda f: simulate(
                generate_scenario(2, 3, seed=1, days=1, start_date=MONDAY, num_parts=0),
                "greedy-insertion",
                seed=0,
                replay=True,
                assets=f,
            ),
            "assets",
            "replay",
        ),
    ],
)
def test_bad_asset_options_name_field_and_value(fleet, call, field, value):
    """Bad fleet sizes, kinds, asset lists, mixed location kinds and replay are typed errors
    naming the field and the value."""
    with pytest.raises(fd.ValidationError) as err:
        call(fleet)
    assert err.value.field == field
    assert value in str(err.value)
