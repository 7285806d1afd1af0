"""Spare-parts replenishment: a stock ledger, four weeks of use, forecasts and reorder alerts.

    python examples/parts_replenishment.py [--weeks 4] [--seed 0]

The vans of the bundled day (``metro_day.json``) start with their
``van_stock``; a depot holds a few units of every part (the scenario's own
depots when it has some). Every day each van uses parts on tickets (each
part with its own intermittent demand, reserved then consumed), brings back
the old parts, and is refilled from the depot at night. The depot receives one
delivery half-way. At the end, the consumption history of every van and the
depot is forecast with SBA and checked against a 95 % cycle service level:
lead time 1 day for a van (refilled overnight), 5 days for the depot.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import numpy as np

import fsdispatch as fd
from fsdispatch.inventory import (
    ReorderAlert,
    StockLedger,
    forecast_ledger,
    intermittent_demand,
    reorder_alerts,
)

HERE = Path(__file__).parent
DAY = timedelta(days=1)


def simulate_use(ledger: StockLedger, scenario: fd.Scenario, days: int,
                 seed: int | np.random.Generator | None = 0) -> dict[str, int]:
    """Run ``days`` days of synthetic part use through the ledger; returns a few counts.

    Each (van, part) the van carries has a daily demand probability drawn
    from 5-30 % and a mean size of 1.2 units. Demand the van cannot cover is
    a stock-out (in the field: a follow-up visit). Each night every van is
    refilled from the depot up to its opening stock, as far as the depot can.
    """
    rng = np.random.default_rng(seed)
    depot = ledger.locations("depot")[0]
    start = scenario.horizon.start
    targets = {t.id: dict(t.van_stock) for t in scenario.technicians}
    demand = {(van, sku): intermittent_demand(days, float(rng.uniform(0.05, 0.30)), 1.2,
                                              seed=rng)
              for van, stock in targets.items() for sku in stock}
    counts = {"tickets": 0, "units_used": 0, "stock_outs": 0, "returns": 0}
    for day in range(days):
        morning = start + day * DAY + timedelta(hours=9)
        for k, ((van, sku), series) in enumerate(demand.items()):
            want = int(series[day])
            if not want:
                continue
            at = morning + timedelta(minutes=k)  # in time order
            ticket_id = f"W{day:02d}-{van}-{sku}"
            use = min(want, ledger.available(van, sku))
            counts["stock_outs"] += int(use < want)
            if not use:
                continue
            ledger.reserve(ticket_id, van, {sku: use}, at=at)
            ledger.consume(ticket_id, at=at)  # completed
            ledger.record_return(ticket_id, van, {sku: use}, condition="defective", at=at)
            counts["tickets"] += 1
            counts["units_used"] += use
            counts["returns"] += use
        night = start + day * DAY + timedelta(hours=20)
        for van, stock in targets.items():
            refill = {sku: min(level - ledger.on_hand(van, sku), ledger.available(depot, sku))
                      for sku, level in stock.items()}
            refill = {sku: q for sku, q in refill.items() if q > 0}
            if refill:
                ledger.transfer(depot, van, refill, at=night)
        if day == days // 2:  # one delivery half-way: the depot back to its opening stock
            opening = {m.sku: m.quantity for m in ledger.movements
                       if m.kind == "initial" and m.location_id == depot}
            top_up = {sku: q - ledger.on_hand(depot, sku) for sku, q in opening.items()
                      if q > ledger.on_hand(depot, sku)}
            if top_up:
                ledger.receive(depot, top_up, at=night + timedelta(hours=1))
    return counts


def format_alerts(alerts: list[ReorderAlert], limit: int = 20) -> str:
    """A plain-text table of alerts (at most ``limit`` rows)."""
    head = (f"{'location':<10} {'kind':<5} {'sku':<5} {'on hand':>7} {'avail':>5} "
            f"{'rate/d':>6} {'s':>3} {'S':>3} {'order':>5}")
    rows = [head, "-" * len(head)]
    for a in alerts[:limit]:
        rows.append(f"{a.location_id:<10} {a.location_kind:<5} {a.sku:<5} {a.on_hand:>7} "
                    f"{a.available:>5} {a.rate:>6.2f} {a.reorder_point:>3} "
                    f"{a.order_up_to:>3} {a.suggested_qty:>5}")
    if len(alerts) > limit:
        rows.append(f"... and {len(alerts) - limit} more")
    return "\n".join(rows)


def main(weeks: int = 4, seed: int = 0) -> list[ReorderAlert]:
    """Build the ledger, simulate ``weeks`` of use, forecast, print and return the alerts."""
    scenario = fd.load_scenario(HERE / "metro_day.json")
    ledger = StockLedger.from_scenario(scenario)
    if not ledger.locations("depot"):  # the bundled day has no depot: add one
        ledger.add_location("DEPOT-1", "depot", {p.sku: 40 for p in scenario.parts})
    depot = ledger.locations("depot")[0]
    days = 7 * weeks
    counts = simulate_use(ledger, scenario, days, seed)
    start = scenario.horizon.start
    end = start + days * DAY
    print(f"{days} days, {len(ledger.locations('van'))} vans + depot {depot}: "
          f"{counts['tickets']} tickets used {counts['units_used']} parts, "
          f"{counts['stock_outs']} stock-outs, {len(ledger.returns_log)} defective returns logged, "
          f"{len(ledger.movements)} movements")

    forecasts = forecast_ledger(ledger, DAY, start, end, method="sba", alpha=0.1)
    lead_time = {key: (5.0 if key[0] == depot else 1.0) for key in forecasts}
    alerts = reorder_alerts(ledger, forecasts, lead_time, service_level=0.95)
    busiest = max(forecasts, key=lambda key: forecasts[key].rate)
    print(f"highest forecast demand: {busiest[1]} at {busiest[0]}, "
          f"{forecasts[busiest].rate:.2f} units/day")
    depot_alerts = [a for a in alerts if a.location_kind == "depot"]
    print(f"\n{len(alerts)} reorder alerts ({len(depot_alerts)} at the depot) "
          f"at a 95 % cycle service level:\n")
    print(format_alerts(depot_alerts + [a for a in alerts if a.location_kind == "van"]))
    return alerts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.weeks, args.seed)
