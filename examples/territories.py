"""Territories, teams and certifications: the bundled day split into two areas, hard and
then soft, with one certification lapsing; KPIs per territory and per team.

    python examples/territories.py
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import attrs

import fsdispatch as fd

HERE = Path(__file__).parent


def with_areas(scenario: fd.Scenario) -> fd.Scenario:
    """West of the median longitude is "west", the rest "east"; technicians alternate
    between the two areas and two teams; the first technician's first skill
    certification lapsed yesterday."""
    lons = sorted(t.location.x for t in scenario.tickets)
    median = lons[len(lons) // 2]
    tickets = tuple(attrs.evolve(t, territory="west" if t.location.x < median else "east")
                    for t in scenario.tickets)
    yesterday = scenario.horizon.start - timedelta(days=1)
    techs = []
    for k, tech in enumerate(scenario.technicians):
        certs = {next(iter(tech.skills)): yesterday} if k == 0 and tech.skills else {}
        techs.append(attrs.evolve(tech, territories=("west",) if k % 2 else ("east",),
                                  team=f"team-{k % 3}", certifications=certs))
    return attrs.evolve(scenario, tickets=tickets, technicians=tuple(techs))


def main() -> dict[str, fd.SolveResult]:
    """Solve the day with hard and with soft territories and print what changes."""
    scenario = with_areas(fd.load_scenario(HERE / "metro_day.json"))
    results = {}
    for label, weight in (("hard", None), ("soft, 30 per visit", 30.0)):
        day = attrs.evolve(scenario, objective=attrs.evolve(scenario.objective,
                                                            out_of_territory=weight))
        problem = fd.compile_scenario(day)
        result = fd.solve(problem, solver="greedy", seed=0)
        k = result.evaluation.kpis
        print(f"{label}: {k.assigned}/{k.num_tickets} assigned, {k.out_of_territory} out of "
              f"territory, objective {result.objective:,.0f}; unassigned {k.unassigned_by_reason}")
        for zone in k.by_territory.values():
            print(f"  territory {zone.territory or '(none)'}: {zone.assigned}/{zone.tickets} "
                  f"assigned, {zone.out_of_territory} by outsiders")
        for team in k.by_team.values():
            print(f"  {team.team}: {team.technicians} technicians, {team.tickets} visits, "
                  f"utilisation {team.utilisation_pct:.0f} %")
        fd.check_plan(problem, result.plan)
        results[label] = result
    return results


if __name__ == "__main__":
    main()
