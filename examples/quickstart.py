"""Quick start: load the bundled day, dispatch it, read KPIs and a technician's route.

    python examples/quickstart.py
"""

from __future__ import annotations

from pathlib import Path

import fsdispatch as fd

HERE = Path(__file__).parent


def main() -> fd.SolveResult:
    """Solve the bundled scenario and print a short report."""
    scenario = fd.load_scenario(HERE / "metro_day.json")
    problem = fd.compile_scenario(scenario)  # validate once, derive arrays once
    result = fd.solve(problem, solver="greedy", time_limit=30, seed=0)

    kpis = result.evaluation.kpis
    print(f"{scenario.name}: {kpis.assigned}/{kpis.num_tickets} tickets assigned, "
          f"feasible={result.evaluation.is_feasible}, objective={result.objective:,.0f}")
    print(f"SLA attainment {kpis.sla_attainment_pct:.1f} %, travel {kpis.travel_time_min:.0f} min, "
          f"utilisation {kpis.utilisation_pct:.0f} %")
    print("unassigned by reason:", kpis.unassigned_by_reason)

    schedule = fd.to_schedule(problem, result.plan, result.evaluation)
    first = scenario.technicians[0].id
    print(f"\n{first}'s day:")
    for visit in schedule.for_technician(first):
        print(f"  {visit.start:%H:%M}-{visit.end:%H:%M}  {visit.ticket_id}"
              f"  (waited {visit.wait.total_seconds() / 60:.0f} min)")

    # every plan can be checked independently, e.g. after a dispatcher edits it
    fd.check_plan(problem, result.plan)
    return result


if __name__ == "__main__":
    main()
