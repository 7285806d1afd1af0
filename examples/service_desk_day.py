"""A day of a small service desk driven through the live-dispatch API.

Morning plan → technicians start work → a VIP emergency is inserted with
bounded disruption → a job overruns → a technician calls in sick → re-plan.
Every plan is checked by the shared evaluator.

Run: ``python examples/service_desk_day.py``
"""

from __future__ import annotations

from datetime import timedelta

import fsdispatch as fd
from fsdispatch.live import Dispatcher, GrabPool, SlaWatch


def check(d: Dispatcher, what: str) -> None:
    """Print a one-line summary of the live plan, after checking it with the evaluator."""
    ev = fd.check_plan(d.problem, d.plan)
    print(f"  [{d.now:%H:%M}] {what}: {ev.kpis.assigned} planned, {ev.kpis.unassigned} open, "
          f"travel {ev.kpis.travel_time_min:.0f} min, objective {ev.objective:,.0f}")


def main() -> None:
    """Run the day and print what happens."""
    scenario = fd.generate_scenario(8, 40, seed=3, name="small desk")
    start = scenario.technicians[0].shifts[0].start
    notices: list[str] = []
    d = Dispatcher(scenario, now=start - timedelta(hours=1), max_moved=2,
                   max_shift=30 * fd.MINUTE, sla_watch=SlaWatch())

    def notify(event: fd.TicketEvent) -> None:
        """What an embedding product would text the customer."""
        if event.to_state is fd.TicketState.EN_ROUTE:
            lo, hi = event.data["eta_window"]
            notices.append(f"{event.ticket_id}: {event.data['technician_id']} is on the way, "
                           f"ETA {lo:%H:%M}–{hi:%H:%M}")

    d.log.subscribe(notify, kinds={"transition"})

    print("an hour before the shifts: morning plan")
    d.plan_day(solver="ls", time_limit=1.0, seed=1)
    check(d, "morning plan")

    print("shift start: technicians leave for their first job")
    d.advance(start)
    first = {}
    for tech in scenario.technicians:
        route = d.route(tech.id)
        if route:
            d.start_travel(route[0])
            first[tech.id] = route[0]
    check(d, "8 jobs en route")
    print("  " + "\n  ".join(notices[:3]))

    print("+40 min on site; +90 min a VIP emergency comes in")
    d.advance(start + timedelta(minutes=40))
    for ticket_id in first.values():
        d.arrive(ticket_id)
    d.advance(start + timedelta(minutes=90))
    vip = fd.Ticket("VIP-1", scenario.tickets[5].location, 45 * fd.MINUTE, priority="P1",
                    customer_tier="platinum",
                    created_at=d.now,
                    response_by=d.now + timedelta(hours=2))
    rec = d.recommend(vip, k=3)
    for option in rec.options:
        print("  option:", option.reason)
    for ex in rec.excluded[:3]:
        print(f"  excluded {ex.technician_id}: {ex.reason}")
    result = d.insert(vip)
    print(f"  inserted: {result.reason}; ETA {result.eta}")
    for change in result.changes[1:]:
        print(f"    {change.ticket_id} {change.kind} {change.shift}")
    check(d, "after the emergency")

    print("+2 h: a job overruns by 75 minutes")
    d.advance(start + timedelta(hours=2))
    tech_id, ticket_id = next(iter(first.items()))
    report = d.report_overrun(ticket_id, extra=75 * fd.MINUTE)
    print(f"  {tech_id}: at risk {list(report.at_risk)}; dropped {list(report.dropped)}")
    check(d, "after the overrun")

    print("+2 h 15: a technician calls in sick")
    d.advance(start + timedelta(hours=2, minutes=15))
    sick = scenario.technicians[1].id
    report = d.technician_absent(sick)
    print(f"  {sick} absent: {len(report.at_risk)} tickets at risk, repair moved "
          f"{len(report.repair.changes) if report.repair else 0}")
    check(d, "after the sick call")

    print("+2 h 20: re-plan the rest of the day")
    replan = d.reoptimize(start + timedelta(hours=2, minutes=20), solver="ls", time_limit=1.0)
    print(f"  objective {replan.objective_before:,.0f} -> {replan.objective_after:,.0f}, "
          f"{len(replan.changes)} tickets changed")
    check(d, "re-planned")

    print("a ticket offered in the grab pool")
    pool = GrabPool(d, timeout=10 * fd.MINUTE, k=3)
    offer = pool.publish(fd.Ticket("POOL-1", scenario.tickets[9].location, 30 * fd.MINUTE,
                                   created_at=d.now))
    if offer.eligible:
        claim = pool.claim("POOL-1", offer.eligible[-1])
        print(f"  claimed by {claim.technician_id}: {claim.accepted} ({claim.reason})")
    check(d, "after the claim")

    planned = next(iter(d.etas()))
    print("why", planned, "?")
    print("  " + str(d.explain(planned)).replace("\n", "\n  "))
    status = d.sla_status()
    print(f"SLA: {sum(s.at_risk for s in status)} at risk, {sum(s.breached for s in status)} "
          f"breached; {len(d.log)} events logged")


if __name__ == "__main__":
    main()
