"""The HTML report's "Teams and territories" section (issue #19): shown when the scenario
names teams or territories, with the evaluator's per-team and per-territory KPIs."""

from __future__ import annotations

import attrs

import fsdispatch as fd


def test_teams_and_territories_section_only_when_named():
    base = fd.generate_scenario(4, 20, seed=1)
    plain = fd.compile_scenario(base)
    assert 'id="groups"' not in fd.render_report(plain, fd.solve(plain, "greedy").plan)
    techs = tuple(attrs.evolve(t, team="red" if k % 2 else None,
                               territories=("north",) if k % 2 else ())
                  for k, t in enumerate(base.technicians))
    tickets = tuple(attrs.evolve(t, territory="north" if k % 2 else None)
                    for k, t in enumerate(base.tickets))
    problem = fd.compile_scenario(attrs.evolve(base, technicians=techs, tickets=tickets))
    result = fd.solve(problem, "greedy")
    html = fd.render_report(problem, result.plan)
    assert 'id="team-table"' in html and 'id="territory-table"' in html
    red = result.evaluation.kpis.by_team["red"]
    assert f"<tr><td>red</td><td>{red.technicians}</td><td>{red.tickets}</td>" in html
    north = result.evaluation.kpis.by_territory["north"]
    assert f"<tr><td>north</td><td>{north.tickets}</td><td>{north.assigned}</td>" in html
