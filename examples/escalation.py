"""Escalation that acts: a low-priority ticket about to miss its response SLA is raised
to P1, the live plan re-prices it, and the desk inserts it.

    python examples/escalation.py

A generated day of 4 technicians and 40 tickets is planned greedily at 7:30; the day is
too full for everything, and the lowest-priority tickets wait. One of them, ``T-00009``
(P4, to be started by 12:00), is left out. An :class:`~fsdispatch.live.SlaWatch` rule
raises a ticket's priority to P1 once 90 % of its response time is used
(``EscalationRule(1, 0.9, "raise_priority", clock="response", priority="P1")``); at
11:30 the watch fires, the live problem is recompiled with the new priority (its
unassigned penalty and lateness weight are now P1's), and the unplanned ticket is
inserted with bounded disruption (with ``reassign=True`` a planned one would move to a
technician who can start it earlier, if any). The script prints the ticket before and
after, the ``priority`` event and the plan's objective.
"""

from __future__ import annotations

import attrs

import fsdispatch as fd
from fsdispatch.live import Dispatcher, EscalationRule, SlaWatch


def build_scenario() -> fd.Scenario:
    """The generated day with ``T-00009`` a P4 ticket created at 7:00, due by 12:00."""
    scenario = fd.generate_scenario(4, 40, seed=5)
    day = scenario.technicians[0].shifts[0].start.replace(hour=0, minute=0)
    tickets = [attrs.evolve(t, priority=fd.Priority.P4, windows=(), created_at=day.replace(hour=7),
                            response_by=day.replace(hour=12), resolve_by=None)
               if t.id == "T-00009" else t for t in scenario.tickets]
    return attrs.evolve(scenario, tickets=tickets)


def main() -> Dispatcher:
    """Plan the day, let the SLA clock run to 11:30, print what the escalation did."""
    scenario = build_scenario()
    day = scenario.horizon.start
    watch = SlaWatch(rules=(EscalationRule(1, 0.9, "raise_priority", clock="response",
                                           priority="P1", reassign=True),))
    d = Dispatcher(scenario, now=day.replace(hour=7, minute=30), sla_watch=watch)
    d.plan_day(solver="greedy")
    ticket = "T-00009"
    d.advance(day.replace(hour=11, minute=30))
    eta = d.eta(ticket)
    when = f" at {eta.start:%H:%M}" if eta is not None else ""
    print(f"11:30 {ticket}: {d.ticket(ticket).priority.name}, planned with "
          f"{d.assignment(ticket)}{when}, state {d.state(ticket).value}; "
          f"objective {d.evaluation.objective:,.0f}")
    d.sla_status()  # fires the rules whose threshold the clock passed
    for event in d.log.events(ticket, kind="priority"):
        print(f"11:30 priority {event.data['old']} -> {event.data['new']} ({event.actor})")
    eta = d.eta(ticket)
    when = f" at {eta.start:%H:%M}" if eta is not None else ""
    print(f"11:30 {ticket}: {d.ticket(ticket).priority.name}, planned with "
          f"{d.assignment(ticket)}{when}, state {d.state(ticket).value}; "
          f"objective {d.evaluation.objective:,.0f}")
    fd.check_plan(d.problem, d.plan)
    return d


if __name__ == "__main__":
    main()
