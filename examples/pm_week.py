"""An HVAC company's week: preventive maintenance from plans, fitted around the repairs.

    python examples/pm_week.py                    # solve with greedy and ls, print the week
    python examples/pm_week.py --time-limit 5     # give ls more time
    python examples/pm_week.py --plans examples/pm_plans.json   # assets and plans from JSON
    python examples/pm_week.py --save-plans my_plans.json       # write the built-in ones

Twelve installed units (rooftop units, chillers, boilers) at customer sites in
Berlin have maintenance plans: a quarterly filter change (a filter per visit) and,
for the chillers, an annual inspection. :func:`fsdispatch.maintenance_tickets`
turns the plans due this week into PM tickets (window: due date ± tolerance),
bound to their asset. Four technicians also have repairs to do, most of them
early in the week; the solver places the PM visits into the slack around the
repairs. The script prints the PM visits per day, the cost KPIs (labour, travel,
parts, cost per ticket) and on-time arrival, and one unit's service history.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import fsdispatch as fd

BERLIN = ZoneInfo("Europe/Berlin")
PLANS_JSON = Path(__file__).with_name("pm_plans.json")
MONDAY = datetime(2026, 3, 2, tzinfo=BERLIN)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")


def at(day: int, hours: float = 0.0) -> datetime:
    """``hours`` after midnight of weekday ``day`` (0 = Monday), Berlin time."""
    return datetime.combine(
        (MONDAY + timedelta(days=day)).date(), datetime.min.time(), tzinfo=BERLIN
    ) + timedelta(hours=hours)


def assets_and_plans() -> tuple[list[fd.Asset], list[fd.MaintenancePlan], dict[str, datetime]]:
    """Twelve units, their plans and when each was last serviced."""
    kinds = ["rooftop", "rooftop", "chiller", "boiler"] * 3
    assets = [
        fd.Asset(
            f"{kind[:2].upper()}-{k:02d}",
            fd.Location.geo(52.47 + 0.011 * (k % 6), 13.30 + 0.03 * (k // 2)),
            kind=kind,
            installed_at=at(0) - timedelta(days=700 + 30 * k),
            customer_id=f"cust-{k % 5}",
        )
        for k, kind in enumerate(kinds)
    ]
    plans = [
        fd.MaintenancePlan(
            a.id,
            timedelta(days=90),
            timedelta(minutes=75),
            {"hvac": 1},
            timedelta(days=2),
            parts={"FILTER": 1},
            name="filters",
        )
        for a in assets
    ]
    plans += [
        fd.MaintenancePlan(
            a.id,
            timedelta(days=365),
            timedelta(hours=2),
            {"hvac": 2},
            timedelta(days=3),
            name="annual",
        )
        for a in assets
        if a.kind == "chiller"
    ]
    # last filter change: 85..95 days ago for the first eight (due this week or overdue),
    # a month ago for the rest (not due); chillers' annual inspection 362 days ago
    last = {
        f"{a.id}/filters": at(k % 5, 10) - timedelta(days=90)
        if k < 8
        else at(0) - timedelta(days=30)
        for k, a in enumerate(assets)
    }
    last.update(
        {f"{a.id}/annual": at(0, 9) - timedelta(days=362) for a in assets if a.kind == "chiller"}
    )
    return assets, plans, last


def build_scenario(
    book: fd.MaintenanceBook | None = None,
) -> tuple[fd.Scenario, tuple[fd.Ticket, ...]]:
    """The week's scenario and its PM tickets (assets and plans from ``book``, e.g. read by
    :func:`fsdispatch.load_maintenance`, else :func:`assets_and_plans`)."""
    horizon = fd.Horizon(at(0), at(5))
    assets, plans, last = book if book is not None else assets_and_plans()
    pm = fd.maintenance_tickets(assets, plans, horizon, last)
    repairs = []
    for k in range(14):
        asset = assets[(3 * k) % len(assets)]
        day = (0, 0, 0, 1, 1, 1, 0, 1, 2, 3, 0, 1, 4, 2)[k]
        repairs.append(
            fd.Ticket(
                f"REP-{k:02d}",
                asset.location,
                timedelta(hours=2.5 if k % 3 else 1.5),
                required_skills={"hvac": 2 if k % 4 == 0 else 1},
                asset_id=asset.id,
                priority=fd.Priority.P2 if k % 3 == 0 else fd.Priority.P3,
                customer_id=asset.customer_id,
                parts={"CAP": 1} if k % 2 else {},
                windows=[fd.TimeWindow(at(day, 8), at(day, 12 if k % 2 else 17))],
            )
        )
    techs = [
        fd.Technician(
            f"tech-{k}",
            fd.Location.geo(52.50 + 0.01 * k, 13.38),
            shifts=[
                fd.Shift(
                    at(d, 8),
                    at(d, 17),
                    breaks=[fd.Break(fd.TimeWindow(at(d, 12), at(d, 14)), 1800)],
                )
                for d in range(5)
            ],
            skills={"hvac": 2 if k < 2 else 1},
            cost_per_hour=58.0 + 4 * k,
            van_stock={"FILTER": 12, "CAP": 6},
        )
        for k in range(4)
    ]
    scenario = fd.Scenario(
        horizon,
        techs,
        [*repairs, *pm],
        assets=assets,
        parts=[
            fd.Part("FILTER", "air filter", unit_cost=24.0),
            fd.Part("CAP", "run capacitor", unit_cost=38.0),
        ],
        skills=["hvac"],
        travel=fd.GeometricTravel(speed_kmh=28.0),
        cost_rates=fd.CostRates(travel_per_km=0.42, travel_per_hour=9.0),
        name="HVAC week",
    )
    return scenario, pm


def print_week(label: str, result: fd.SolveResult, pm: Sequence[fd.Ticket]) -> None:
    """PM visits and repairs per day, then the cost and punctuality KPIs."""
    ev = fd.evaluate(result.problem, result.plan)  # the evaluator's word, not the solver's
    schedule = fd.to_schedule(result.problem, result.plan, ev)
    pm_ids = {t.id for t in pm}
    print(
        f"\n== {label}: {ev.kpis.assigned}/{ev.kpis.num_tickets} tickets served, "
        f"feasible: {ev.is_feasible}"
    )
    for d, name in enumerate(DAYS):
        visits = [v for v in schedule.visits if v.start.astimezone(BERLIN).date() == at(d).date()]
        pms = sorted(v.ticket_id for v in visits if v.ticket_id in pm_ids)
        print(
            f"  {name}: {len(visits) - len(pms):2d} repairs, {len(pms)} PM visits {', '.join(pms)}"
        )
    k = ev.kpis
    print(
        f"  cost: labour {k.labour_cost:,.2f} + travel {k.travel_cost:,.2f} + parts "
        f"{k.parts_cost:,.2f} = {k.total_cost:,.2f}; per ticket {k.cost_per_ticket:,.2f}"
    )
    print(
        f"  on-time arrival: {k.on_time_pct:.1f} % ({k.on_time_tickets}/"
        f"{k.appointment_tickets} in their window)"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, fd.SolveResult]:
    """Solve the week with greedy and ls; print it; return the results by solver."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=3.0, help="seconds for ls")
    parser.add_argument(
        "--plans", type=Path, help="a maintenance JSON file (assets, plans, last visits)"
    )
    parser.add_argument(
        "--save-plans", type=Path, help="write the built-in assets and plans as JSON and exit"
    )
    args = parser.parse_args(argv)
    if args.save_plans is not None:
        assets, plans, last = assets_and_plans()
        fd.save_maintenance(assets, plans, args.save_plans, last_done=last)
        print(f"wrote {len(assets)} assets and {len(plans)} plans to {args.save_plans}")
        return {}
    scenario, pm = build_scenario(None if args.plans is None else fd.load_maintenance(args.plans))
    print(
        f"{scenario.name}: {len(scenario.assets)} assets, {len(pm)} PM visits due, "
        f"{scenario.num_tickets - len(pm)} repairs, {scenario.num_technicians} technicians"
    )
    results = {
        "greedy": fd.solve(scenario, "greedy", seed=0),
        "ls": fd.solve(scenario, "ls", seed=0, time_limit=args.time_limit),
    }
    for label, result in results.items():
        print_week(label, result, pm)
    history = fd.asset_history("CH-02", [results["ls"]])
    print("\nCH-02 this week:")
    for v in history.visits:
        print(
            f"  {v.start.astimezone(BERLIN):%a %H:%M} {v.ticket_id:<24} {v.category:<11} "
            f"{v.technician_id}  parts {dict(v.parts) or '-'}"
        )
    print(f"  last maintenance done: {history.last_done()}")
    return results


if __name__ == "__main__":
    main()
