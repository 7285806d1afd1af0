"""Parts in the simulator: drawn needs, van stock in the ledger, stock-out follow-ups."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import timedelta

import attrs
import pytest
from scipy import stats

import fsdispatch as fd
from fsdispatch.sim import (
    DemandModel,
    PartsModel,
    ServiceModel,
    SimConfig,
    VanStockPolicy,
    aggregate,
    run_experiment,
    simulate,
)

#: a repair needs a valve a third of the time, an install always needs a kit
PARTS = PartsModel(needs={"repair": {"valve": 0.35, "pump": 0.1}, "install": {"kit": 1.0},
                          "maintenance": {"filter": 0.5}},
                   unit_cost={"valve": 40.0, "pump": 300.0, "kit": 120.0, "filter": 10.0})
EMPTY = VanStockPolicy({}, "empty")
AMPLE = VanStockPolicy({"valve": 8, "pump": 8, "kit": 8, "filter": 8}, "ample")


@pytest.fixture(scope="module")
def config() -> SimConfig:
    """3 technicians, Monday-Wednesday, ~15 tickets a day, parts often needed, no other
    first-time-fix failure (so every follow-up is a stock-out's)."""
    return SimConfig(num_technicians=3, days=3, workforce_seed=1,
                     demand=DemandModel(tickets_per_day=15, radius_km=8),
                     service=ServiceModel(p_ftf_fail=0.0, p_absent=0.0, follow_up_delay=4 * 3600),
                     parts=PARTS)


@pytest.fixture(scope="module")
def runs(config):
    """Greedy insertion on seed 5 with empty vans, a service-level policy and ample vans."""
    level = VanStockPolicy.from_service_level(PARTS, config.demand.categories, 5.0, 0.8)
    out = {name: simulate(config, "greedy-insertion", seed=5, van_stock=v)
           for name, v in (("empty", EMPTY), ("level", level), ("ample", AMPLE))}
    out["empty2"] = simulate(config, "greedy-insertion", seed=5, van_stock=EMPTY)
    return out


def test_more_van_stock_fewer_stockout_follow_ups(runs):
    """Common random numbers: more stock in the vans, fewer stock-outs and follow-ups,
    higher first-time fix and higher holding cost."""
    k = {name: runs[name].kpis() for name in ("empty", "level", "ample")}
    assert k["empty"]["stockouts"] > k["level"]["stockouts"] >= k["ample"]["stockouts"] == 0
    assert k["empty"]["stockout_follow_ups"] > k["ample"]["stockout_follow_ups"] == 0
    assert k["empty"]["ftf_rate"] < k["level"]["ftf_rate"] <= k["ample"]["ftf_rate"] == 1.0
    assert k["empty"]["parts_fill_rate"] == 0.0 and k["ample"]["parts_fill_rate"] == 1.0
    assert 0.0 == k["empty"]["parts_holding_cost"] < k["level"]["parts_holding_cost"] \
        < k["ample"]["parts_holding_cost"]


def test_every_parts_policy_sees_the_same_needs(runs, config):
    """Part needs come from their own stream: same arrivals and needs under every policy,
    and the same arrivals as without parts."""
    def needs(result):
        return [(r.ticket_id, r.arrival, r.category, r.parts_needed) for r in result.tickets
                if r.follow_up_of is None]

    assert needs(runs["empty"]) == needs(runs["level"]) == needs(runs["ample"])
    assert any(r.parts_needed for r in runs["empty"].tickets)
    plain = simulate(attrs.evolve(config, parts=None), "greedy-insertion", seed=5, days=1)
    first_day = [(t, a, c) for t, a, c, _ in needs(runs["ample"]) if a < 86400]
    assert first_day == [(r.ticket_id, r.arrival, r.category) for r in plain.tickets
                         if r.follow_up_of is None and r.arrival < 86400]


def test_stockouts_create_follow_ups_with_known_parts(runs):
    """Each stock-out (within the horizon) has a follow-up ticket needing the same parts;
    completed follow-ups consume them (reserved at the depot, brought to the van)."""
    result = runs["empty"]
    horizon = result.days * 86400
    recs = {r.ticket_id: r for r in result.tickets}
    delay = 4 * 3600
    stockouts = [r for r in recs.values() if r.stockout]
    assert stockouts
    for r in stockouts:
        assert r.needs_follow_up and r.completed is not None
        fu = recs.get(f"{r.ticket_id}-F1")
        if r.completed + delay <= horizon:
            assert fu is not None and fu.follow_up_of == r.ticket_id
            assert fu.parts_needed == r.parts_needed
    consumed = Counter()
    for m in result.ledger.movements:
        if m.kind == "consume":
            consumed[m.ticket_id] += m.quantity
    done_fus = [r for r in recs.values() if r.follow_up_of and r.completed is not None]
    assert done_fus
    for r in done_fus:
        assert consumed[r.ticket_id] == len(r.parts_needed)
    open_fus = [r for r in recs.values() if r.follow_up_of and r.completed is None]
    for r in open_fus:  # still reserved for it at the depot
        assert sum(x.quantity for x in result.ledger.reservations(r.ticket_id)) \
            == len(r.parts_needed)


def test_nothing_is_lost(runs):
    """Tickets: one outcome each, nobody in two places. Stock: initial + received =
    on hand + consumed per sku; no location ever negative; use matches the KPI."""
    for name in ("empty", "level", "ample"):
        result = runs[name]
        k = result.kpis()
        assert k["completed"] + k["cancelled"] + k["open"] == k["arrived"]
        spans = defaultdict(list)
        for v in result.visits:
            spans[v.technician_id].append((v.depart, v.end))
        for s in spans.values():
            s.sort()
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(s))
        ledger = result.ledger
        inflow, used = Counter(), Counter()
        for m in ledger.movements:
            if m.kind in ("initial", "receive"):
                inflow[m.sku] += m.quantity
            elif m.kind == "consume":
                used[m.sku] += m.quantity
        for sku in PARTS.skus:
            assert inflow[sku] == ledger.total_on_hand(sku) + used[sku], (name, sku)
        for loc, sku in ledger.items():
            assert ledger.on_hand(loc, sku) >= 0 and ledger.available(loc, sku) >= 0
        assert sum(used.values()) == k["parts_used"]


def test_vans_are_restocked_overnight_to_their_levels(runs):
    """Every midnight each van is refilled from the depot to the policy's levels."""
    result = runs["ample"]
    ledger = result.ledger
    for day in range(1, result.days):
        at = result.origin + timedelta(days=day)
        moved = Counter()
        for m in ledger.movements:
            if m.kind == "transfer_in" and m.at == at and m.ticket_id is None:
                moved[m.location_id, m.sku] += m.quantity
        used = Counter()
        for m in ledger.movements:
            if m.kind == "consume" and at - timedelta(days=1) <= m.at < at:
                used[m.location_id, m.sku] += m.quantity
        assert moved == used  # ample vans never run dry: what was used comes back


def test_consumption_history_feeds_forecasting(runs):
    """The run's ledger gives per-van daily consumption (for Croston/SBA forecasts)."""
    result = runs["level"]
    start, end = result.origin, result.origin + timedelta(days=result.days)
    total = 0
    for van in result.ledger.locations("van"):
        for sku in PARTS.skus:
            hist = result.ledger.consumption_history(van, sku, timedelta(days=1), start, end)
            assert hist.shape == (result.days,) and (hist >= 0).all()
            total += int(hist.sum())
    follow_up_use = sum(len(r.parts_needed) for r in result.tickets
                        if r.follow_up_of and r.completed is not None)
    assert total == result.kpis()["parts_used"] >= follow_up_use
    depot = result.ledger.locations("depot")[0]
    assert result.ledger.consumption_history(depot, "valve", 86400, start, end).sum() >= 0


def test_sim_ledger_feeds_the_intermittent_demand_forecast(runs):
    """forecast_ledger (SBA) runs on a simulated ledger: one forecast per stock item."""
    from fsdispatch.inventory import forecast_ledger

    result = runs["level"]
    start, end = result.origin, result.origin + timedelta(days=result.days)
    forecasts = forecast_ledger(result.ledger, timedelta(days=1), start, end, method="sba")
    assert set(forecasts) == set(result.ledger.items())
    depot = result.ledger.locations("depot")[0]
    pulled = {sku: result.ledger.consumption_history(depot, sku, 86400, start, end).sum()
              for sku in PARTS.skus}
    for (loc, sku), f in forecasts.items():
        assert f.rate >= 0
        if loc == depot and pulled.get(sku, 0) == 0:
            assert f.rate == 0


def test_parts_runs_are_deterministic(runs):
    """Same seed, same van stock policy: identical records and stock movements."""
    a, b = runs["empty"], runs["empty2"]
    assert a.tickets == b.tickets and a.visits == b.visits
    assert a.ledger.movements == b.ledger.movements
    assert a.kpis() == b.kpis()


def test_run_experiment_compares_van_stock_policies(config):
    """run_experiment over van stock policies: a parts_policy column, parts KPIs, CIs."""
    pytest.importorskip("pandas")
    frame = run_experiment(attrs.evolve(config, days=1), ["greedy-insertion"], seeds=2,
                           van_stock=[EMPTY, AMPLE])
    assert len(frame) == 4 and set(frame.parts_policy) == {"empty", "ample"}
    agg = aggregate(frame, kpis=["stockouts", "parts_fill_rate", "parts_holding_cost"])
    assert set(agg.parts_policy) == {"empty", "ample"}
    assert (agg.low >= 0).all() and (agg[agg.kpi == "parts_fill_rate"].high <= 1).all()
    with pytest.raises(fd.ValidationError, match="parts"):
        run_experiment(attrs.evolve(config, parts=None), ["greedy-insertion"], seeds=1,
                       van_stock=[EMPTY])


def test_service_level_policy_levels():
    """from_service_level: the smallest s with P(Poisson(λ) ≤ s) ≥ the service level."""
    cats = {"repair": (0.5, 60.0), "install": (0.5, 100.0)}
    pol = VanStockPolicy.from_service_level(PARTS, cats, 6.0, 0.95)
    lam_valve = 6.0 * 0.5 * 0.35
    assert pol.levels["valve"] == int(stats.poisson.ppf(0.95, lam_valve))
    assert stats.poisson.cdf(pol.levels["valve"], lam_valve) >= 0.95
    assert stats.poisson.cdf(pol.levels["valve"] - 1, lam_valve) < 0.95
    assert pol.levels["filter"] == 0  # no maintenance tickets in this mix
    assert pol.name == "service-level-0.95"
    with pytest.raises(fd.ValidationError):
        VanStockPolicy.from_service_level(PARTS, cats, 6.0, 1.0)
    with pytest.raises(fd.ValidationError):
        VanStockPolicy({"valve": -1})
    with pytest.raises(fd.ValidationError):
        PartsModel(needs={"repair": {"valve": 1.5}})


def test_parts_config_from_json(tmp_path, capsys):
    """The CLI config reads a parts model and van stock policies; `simulate` compares them."""
    import argparse
    import json
    from pathlib import Path

    from fsdispatch.sim.cli import add_parser, load_config, load_experiment

    path = Path(__file__).resolve().parents[2] / "examples" / "sim_parts.json"
    config = load_config(path)
    assert config.parts is not None and config.parts.cost("pump") == 320
    assert config.van_stock is not None and config.van_stock.name == "standard"
    _, stocks = load_experiment(path)
    assert [v.name for v in stocks] == ["standard", "empty", "four-each"]
    small = json.loads(path.read_text())
    small.update(num_technicians=2, days=1, demand={"tickets_per_day": 8, "radius_km": 6})
    small["van_stock"] = small["van_stock"][1:]
    cfg = tmp_path / "parts.json"
    cfg.write_text(json.dumps(small))
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out = tmp_path / "results.csv"
    args = parser.parse_args(["simulate", str(cfg), "--seeds", "1", "--out", str(out)])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "parts_holding_cost" in printed and "four-each" in printed
    pd = pytest.importorskip("pandas")
    assert set(pd.read_csv(out).parts_policy) == {"empty", "four-each"}
