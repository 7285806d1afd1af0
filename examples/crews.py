"""Two-person jobs: a day with crew jobs solved, who serves each crew job together, and a
new crew job placed live.

    python examples/crews.py                   # greedy and ls, then the live insert
    python examples/crews.py --time-limit 3    # give ls more time

Six technicians (three with each of two skills, some with both) and a day of tickets, a
few of which need two people at once (``Ticket.crew_size = 2``: a heavy unit to lift, a
job unsafe alone). Each backend serves a crew job on two distinct technicians who start
together (the first to arrive waits); the shared evaluator checks the pairing. Then the
live dispatcher takes the day, and a new two-person job arrives: ``recommend`` offers
crews (who, and their common start), ``insert`` places the best one with both members
pinned to that start, so later re-plans keep them together.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import fsdispatch as fd
from fsdispatch.live import Dispatcher
from fsdispatch.live.crew import crew_view

DAY = datetime(2026, 3, 3, tzinfo=UTC)
HOUR = 3600


def at(hours: float) -> datetime:
    """``hours`` after midnight of the day."""
    return DAY + timedelta(hours=hours)


def build_scenario() -> fd.Scenario:
    """Six technicians 8:00-17:00 with a lunch break, 18 tickets, three of them crew jobs."""
    skills = [{"hvac": 2}, {"hvac": 1, "electrical": 1}, {"hvac": 1}, {"electrical": 2},
              {"electrical": 1, "hvac": 1}, {"electrical": 1}]
    techs = [
        fd.Technician(
            f"tech-{k + 1}", fd.Location.planar(4.0 * (k % 3), 4.0 * (k // 3)),
            [fd.Shift(at(8), at(17), breaks=[fd.Break(fd.TimeWindow(at(12), at(14)), 1800)])],
            skills=skill)
        for k, skill in enumerate(skills)
    ]
    tickets = []
    for k in range(18):
        skill = "hvac" if k % 2 == 0 else "electrical"
        crew = 2 if k in (3, 8, 13) else 1
        windows = [fd.TimeWindow(at(8 + (k % 4) * 2), at(11 + (k % 4) * 2))] if k % 3 == 0 \
            else []
        tickets.append(fd.Ticket(
            f"T-{k + 1:02d}", fd.Location.planar(float((k * 7) % 11), float((k * 5) % 9)),
            (45 + 15 * (k % 4)) * 60, required_skills={skill: 1}, windows=windows,
            crew_size=crew))
    return fd.Scenario(fd.Horizon(DAY, DAY + timedelta(days=1)), techs, tickets,
                       travel=fd.GeometricTravel(speed_kmh=40.0))


def crew_visits(problem: fd.Problem, result: fd.SolveResult) -> dict[str, list[tuple[str, str]]]:
    """Crew ticket id -> [(technician, start HH:MM)] of its visits in the plan."""
    crews = {t.id for t in problem.scenario.tickets if t.crew_size > 1}
    out: dict[str, list[tuple[str, str]]] = {t: [] for t in sorted(crews)}
    for v in fd.to_schedule(problem, result.plan, result.evaluation).visits:
        if v.ticket_id in crews:
            out[v.ticket_id].append((v.technician_id, f"{v.start:%H:%M}"))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    """Solve the day with greedy and ls, print the crews, then insert a crew job live."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=1.0, help="ls seconds (1)")
    args = parser.parse_args(argv)
    scenario = build_scenario()
    problem = fd.compile_scenario(scenario)
    out: dict[str, object] = {}
    for name, limits in (("greedy", {}), ("ls", {"time_limit": args.time_limit})):
        result = fd.solve(problem, name, seed=0, **limits)
        fd.check_plan(problem, result.plan)
        k = result.evaluation.kpis
        print(f"{name}: {k.assigned}/{k.num_tickets} tickets served, "
              f"objective {result.objective:,.1f}")
        for ticket_id, visits in crew_visits(problem, result).items():
            who = " + ".join(f"{tech} at {start}" for tech, start in visits) or "not served"
            print(f"  crew job {ticket_id}: {who}")
        out[name] = result
    # the live desk: crews first (pinned to their common start), the rest planned around
    desk = Dispatcher(scenario, now=at(7.5))
    desk.plan_day(solver="greedy")
    new = fd.Ticket("T-NEW", fd.Location.planar(6.0, 3.0), 90 * 60,
                    required_skills={"hvac": 1}, crew_size=2)
    rec = desk.recommend(new, k=3)
    print("live: a new two-person job T-NEW arrives; recommended crews:")
    for option in rec.options:
        print(f"  {' + '.join(option.crew)} together at {option.eta.start:%H:%M}, "
              f"cost {option.cost.total:,.1f}")
    res = desk.insert(new)
    print(f"  inserted: {res.reason}" if res.placed else f"  not placed: {res.reason}")
    crew_problem, crew_plan = crew_view(desk)  # members merged back: the evaluator's crew rule
    fd.check_plan(crew_problem, crew_plan)
    out["live"] = res
    out["desk"] = desk
    return out


if __name__ == "__main__":
    main()
