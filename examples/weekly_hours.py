"""A week under a 40-hour cap: weekly hours and weekly overtime across five days.

    python examples/weekly_hours.py                  # greedy and ls, with and without the cap
    python examples/weekly_hours.py --time-limit 3   # give ls more time

Three technicians work Monday to Friday, 8:00-18:00 (a 45-minute break), so each could
work 46 hours in the week; the week has more work than that. ``max_weekly_work = 40 h``
is a hard cap per calendar week (travel plus service), ``weekly_overtime_after = 36 h``
prices every minute beyond 36 hours with the objective's overtime weight. One of them,
``cem``, already worked 6 hours this week before the horizon (``week_work_done``, e.g. a
Sunday call-out), so only 34 hours are left to him. The script plans the week without
and with the rules and prints each technician's hours, weekly overtime and what was left
out (reason ``weekly_hours`` when only the cap stood in the way).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import fsdispatch as fd

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = 3600
CAP = 40 * HOUR
OVERTIME_AFTER = 36 * HOUR


def at(day: int, hours: float) -> datetime:
    """``hours`` after midnight of weekday ``day`` (0 = Monday)."""
    return MONDAY + timedelta(days=day, hours=hours)


def build_scenario(weekly: bool = True) -> fd.Scenario:
    """The week: three technicians and 66 tickets of 1.5-2.5 h, each due on one day."""
    techs = []
    for k, name in enumerate(("ana", "bo", "cem")):
        shifts = [fd.Shift(at(d, 8), at(d, 18),
                           breaks=[fd.Break(fd.TimeWindow(at(d, 12), at(d, 14)), 45 * 60)])
                  for d in range(5)]
        rules = {"max_weekly_work": CAP, "weekly_overtime_after": OVERTIME_AFTER,
                 "week_work_done": 6 * HOUR if name == "cem" else 0} if weekly else {}
        techs.append(fd.Technician(name, fd.Location.planar(5.0 * k, 0.0), shifts, **rules))
    tickets = [
        fd.Ticket(f"W-{k + 1:02d}", fd.Location.planar(float((k * 7) % 13), float((k * 3) % 8)),
                  (90 + 30 * (k % 3)) * 60,
                  windows=[fd.TimeWindow(at(k % 5, 8), at(k % 5, 18))],
                  window_kind="soft")
        for k in range(66)
    ]
    objective = fd.ObjectiveWeights(overtime=2.0)
    return fd.Scenario(fd.Horizon(MONDAY, MONDAY + timedelta(days=5)), techs, tickets,
                       travel=fd.GeometricTravel(speed_kmh=40.0), objective=objective)


def hours(result: fd.SolveResult) -> dict[str, tuple[float, float]]:
    """Technician -> (hours worked in the week, weekly overtime hours), from the evaluator."""
    return {t.technician_id: (t.work_min / 60.0, t.weekly_overtime_min / 60.0)
            for t in result.evaluation.technicians}


def main(argv: Sequence[str] | None = None) -> dict[str, fd.SolveResult]:
    """Plan the week without and with the weekly rules; print the hours per technician."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=1.0, help="ls seconds (1)")
    args = parser.parse_args(argv)
    results: dict[str, fd.SolveResult] = {}
    for weekly in (False, True):
        scenario = build_scenario(weekly)
        problem = fd.compile_scenario(scenario)
        done = {t.id: t.week_work_done / HOUR for t in scenario.technicians}
        for name, limits in (("greedy", {}), ("ls", {"time_limit": args.time_limit})):
            result = fd.solve(problem, name, seed=0, **limits)
            fd.check_plan(problem, result.plan)
            k = result.evaluation.kpis
            label = f"{name}, {'40 h cap, overtime after 36 h' if weekly else 'no weekly rule'}"
            print(f"{label}: {k.assigned}/{k.num_tickets} served, weekly overtime "
                  f"{k.weekly_overtime_min / 60:.1f} h; left out {k.unassigned_by_reason}")
            for tech, (work, overtime) in hours(result).items():
                before = f" + {done[tech]:.0f} h done before" if done[tech] else ""
                print(f"  {tech}: {work:5.1f} h planned{before}, weekly overtime "
                      f"{overtime:.1f} h")
            results[f"{name}, {'weekly' if weekly else 'free'}"] = result
    return results


if __name__ == "__main__":
    main()
