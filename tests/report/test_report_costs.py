"""Cost and on-time KPIs in the HTML report and the pandas frames (issue #19)."""

from __future__ import annotations

import re
from html import escape as html_escape

import pytest

import fsdispatch as fd


@pytest.fixture(scope="module")
def costed() -> fd.SolveResult:
    scenario = fd.generate_scenario(5, 30, seed=2).replace(cost_rates=fd.CostRates(0.4, 10.0))
    return fd.solve(scenario, "greedy", seed=0)


def test_report_shows_cost_and_on_time(costed):
    k = costed.evaluation.kpis
    assert k.travel_cost > 0 and k.parts_cost > 0 and k.appointment_tickets > 0
    html = fd.render_report(costed)
    table = html[
        html.index('id="kpi-table"') : html.index("</table>", html.index('id="kpi-table"'))
    ]
    assert html_escape(f"{k.travel_cost:,.2f} / {k.parts_cost:,.2f}") in table
    assert f"{k.cost_per_ticket:,.2f}" in table
    assert f"{k.on_time_pct:.1f} % ({k.on_time_tickets}/{k.appointment_tickets})" in table
    techs = html[html.index('id="technician-table"') :]
    for t in costed.evaluation.technicians:
        row = re.search(rf'class="tech-row" data-tech="{t.technician_id}".*?</tr>', techs, re.S)
        assert row is not None
        assert f"<td>{t.labour_cost + t.travel_cost + t.parts_cost:,.2f}</td>" in row.group(0)


def test_frames_carry_cost_and_on_time(costed):
    pytest.importorskip("pandas")
    frames = fd.plan_to_frames(costed)
    k = costed.evaluation.kpis
    row = frames.kpis.iloc[0]
    for name in (
        "travel_cost",
        "parts_cost",
        "total_cost",
        "cost_per_ticket",
        "appointment_tickets",
        "on_time_tickets",
        "on_time_pct",
    ):
        assert row[name] == pytest.approx(getattr(k, name)), name
    techs = frames.technicians.set_index("technician_id")
    for t in costed.evaluation.technicians:
        for name in (
            "labour_cost",
            "travel_cost",
            "parts_cost",
            "appointment_visits",
            "on_time_visits",
        ):
            assert techs.loc[t.technician_id, name] == pytest.approx(getattr(t, name)), name
