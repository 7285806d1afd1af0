"""Planning with parts: lean vans, two depots, depot stops, reservations, expected first-time fix.

    python examples/parts_day.py                      # solve and compare
    python examples/parts_day.py --save parts.json    # also write the scenario as JSON

A generated city day (12 technicians, 80 tickets) whose vans carry only part
of what the day needs. Two depots hold the rest: a central warehouse open all
day and a small parts counter open in the morning. The script solves the day
with and without the depots, with ``greedy`` and ``ls``, prints who stops
where, reserves the accepted plan's parts in a :class:`fsdispatch.StockLedger`
and reports the expected first-time-fix rate of the probable parts per category.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import fsdispatch as fd

#: probability that a job of the category turns out to need one unit of the part
CATEGORY_PARTS = {"repair": {"P019": 0.3, "P013": 0.2}, "maintenance": {"P008": 0.15}}


def build_scenario(seed: int = 3) -> fd.Scenario:
    """The generated day with vans halved and two depots added."""
    base = fd.generate_scenario(12, 80, seed=seed, name="parts day")
    techs = [fd.Technician(t.id, t.start_location, t.shifts, end_location=t.end_location,
                           skills=t.skills, service_factor=t.service_factor,
                           max_tickets_per_day=t.max_tickets_per_day,
                           max_overtime=t.max_overtime, cost_per_hour=t.cost_per_hour,
                           van_stock={s: q // 2 for s, q in t.van_stock.items() if q // 2},
                           capacity=t.capacity)
             for t in base.technicians]
    day = base.horizon.start
    centre = fd.Location.geo(52.52, 13.40)
    skus = [p.sku for p in base.parts]
    depots = [
        fd.Depot("warehouse", centre, stock={s: 6 for s in skus},
                 opening_hours=[fd.TimeWindow(day + timedelta(hours=7),
                                              day + timedelta(hours=18))],
                 pickup_time=15 * fd.MINUTE),
        fd.Depot("counter-south", fd.Location.geo(52.45, 13.38),
                 stock={s: 2 for s in skus[:12]},
                 opening_hours=[fd.TimeWindow(day + timedelta(hours=7, minutes=30),
                                              day + timedelta(hours=12))],
                 pickup_time=5 * fd.MINUTE),
    ]
    return base.replace(technicians=techs, depots=depots, category_parts=CATEGORY_PARTS)


def main(argv: list[str] | None = None) -> dict[str, fd.SolveResult]:
    """Solve the day four ways and print a comparison; returns the results by label."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds for ls")
    ap.add_argument("--save", default=None, help="write the scenario JSON here")
    args = ap.parse_args(argv)
    scenario = build_scenario()
    if args.save:
        fd.save_scenario(scenario, args.save)
    no_depots = scenario.replace(depots=())
    results = {
        "greedy, vans only": fd.solve(no_depots, "greedy"),
        "greedy, with depots": fd.solve(scenario, "greedy"),
        "ls, vans only": fd.solve(no_depots, "ls", time_limit=args.time_limit, seed=0),
        "ls, with depots": fd.solve(scenario, "ls", time_limit=args.time_limit, seed=0),
    }
    print(f"{'plan':<22} {'served':>7} {'no part':>8} {'stops':>6} {'picked':>7} "
          f"{'travel min':>11} {'exp. FTF %':>11} {'objective':>11}")
    for label, res in results.items():
        k = res.evaluation.kpis
        assert res.evaluation.is_feasible, res.evaluation.violations
        print(f"{label:<22} {k.assigned:>7} {k.unassigned_by_reason.get('no_part', 0):>8} "
              f"{k.depot_stops:>6} {k.parts_picked:>7} {k.travel_time_min:>11.0f} "
              f"{k.expected_first_time_fix_pct:>11.1f} {res.objective:>11,.0f}")

    best = results["ls, with depots"]
    schedule = fd.to_schedule(best.problem, best.plan, best.evaluation)
    print("\ndepot stops:")
    for visit in schedule.visits:
        if visit.pickup_depot_id is not None:
            print(f"  {visit.technician_id:<8} {visit.pickup_start:%H:%M} at "
                  f"{visit.pickup_depot_id:<14} then {visit.ticket_id} at {visit.start:%H:%M}")

    # accepting the plan reserves every ticket's parts where they will come from
    ledger = fd.StockLedger.from_scenario(scenario)
    ledger.reserve_plan(scenario, best)
    at_depots = sum(r.quantity for r in ledger.reservations()
                    if ledger.kind(r.location_id) == "depot")
    in_vans = sum(r.quantity for r in ledger.reservations()
                  if ledger.kind(r.location_id) == "van")
    print(f"\nreserved: {in_vans} units in vans, {at_depots} at depots "
          f"(the plan picks up {best.evaluation.kpis.parts_picked})")
    return results


if __name__ == "__main__":
    main()
