"""Territories, teams and certifications (issue #19): validation, compiled codes and
reasons, the per-route certification rule, growth, KPIs per territory and team, JSON and CSV.

Rules under test (see ``docs/concepts.md``, "Territories, teams and certifications"):

- a ticket without a territory may go to anyone; a technician listing no territories
  covers all; otherwise a technician not covering a ticket's territory is incompatible
  (``TERRITORY``, reason ``no_territory``) unless ``ObjectiveWeights.out_of_territory`` is
  set, which makes it a cost per ticket;
- a certified skill counts on a shift starting on a day on or before the day of its
  ``valid_until`` (the horizon start's timezone); lapsed before the technician's first
  shift it is ``CERTIFICATION`` (reason ``certification_expired``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.problem.extend import append_ticket
from fsdispatch.problem.reasons import Incompatibility

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)


def at(hours: float, day: int = 0) -> datetime:
    return DAY0 + timedelta(days=day, hours=hours)


def _tech(tid: str, x: float, *, days: int = 1, **kw) -> fd.Technician:
    shifts = [fd.Shift(at(8, d), at(17, d)) for d in range(days)]
    return fd.Technician(tid, fd.Location.planar(x, 0), shifts, **kw)


def _ticket(tid: str, x: float, **kw) -> fd.Ticket:
    return fd.Ticket(tid, fd.Location.planar(x, 1), 30 * fd.MINUTE, **kw)


def _scenario(techs, tickets, *, days: int = 1, weight: float | None = None) -> fd.Scenario:
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=days)), techs, tickets,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0),
                       objective=fd.ObjectiveWeights(out_of_territory=weight))


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(("kwargs", "field", "value"), [
    ({"skills": {"hvac": 1}, "certifications": {"hvac": "soon"}}, "certifications['hvac']",
     "soon"),
    ({"skills": {"hvac": 1}, "certifications": {"hvac": datetime(2026, 1, 1)}},
     "certifications['hvac']", None),
    ({"certifications": {"gas": at(0)}}, "certifications", "gas"),
    ({"certifications": ["hvac"]}, "certifications", None),
    ({"territories": [3]}, "territories[0]", 3),
    ({"territories": ["north", ""]}, "territories[1]", ""),
    ({"territories": ["north", "north"]}, "territories", "north"),
    ({"team": ""}, "team", ""),
    ({"team": 7}, "team", 7),
])
def test_technician_rejects_bad_coverage_with_field_and_value(kwargs, field, value):
    with pytest.raises(fd.ValidationError) as info:
        _tech("A", 0, **kwargs)
    assert info.value.field == field
    assert info.value.entity == "Technician" and info.value.entity_id == "A"
    if value is not None:
        assert info.value.value == value


@pytest.mark.parametrize("territory", ["", "  ", 5])
def test_ticket_rejects_a_bad_territory(territory):
    with pytest.raises(fd.ValidationError) as info:
        _ticket("T", 0, territory=territory)
    assert info.value.field == "territory" and info.value.value == territory


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf"), "5", True])
def test_objective_rejects_a_bad_out_of_territory(weight):
    with pytest.raises(fd.ValidationError) as info:
        fd.ObjectiveWeights(out_of_territory=weight)
    assert info.value.field == "out_of_territory"


def test_a_single_territory_string_is_one_territory():
    assert _tech("A", 0, territories="north").territories == ("north",)


# ------------------------------------------------------------------ compile and reasons
def test_hard_territories_are_an_incompatibility_with_reason_no_territory():
    techs = [_tech("N", 0, territories=["north"]), _tech("S", 5, territories=["south"]),
             _tech("ALL", 9, skills={"gas": 1})]
    tickets = [_ticket("TN", 1, territory="north"), _ticket("TS", 2, territory="south"),
               _ticket("TX", 3, territory="east"), _ticket("T0", 4),
               _ticket("TG", 4, territory="east", required_skills={"hvac": 1})]
    p = fd.compile_scenario(_scenario(techs, tickets))
    T = Incompatibility.TERRITORY
    assert p.compatible[:, 0].tolist() == [0, T, 0]  # ALL lists no territory: covers all
    assert p.compatible[:, 1].tolist() == [T, 0, 0]
    assert p.compatible[:, 2].tolist() == [T, T, 0]
    assert p.compatible[:, 3].tolist() == [0, 0, 0]  # no territory: anyone
    assert p.compatible[:, 4].tolist() == [Incompatibility.SKILL] * 3  # SKILL first
    only = fd.compile_scenario(_scenario(techs[:2], tickets[2:3]))
    assert fd.UnassignedReason.from_code(int(only.unservable[0])) is \
        fd.UnassignedReason.NO_TERRITORY
    plan = fd.solve(only, "greedy").plan
    assert plan.unassigned == {0: fd.UnassignedReason.NO_TERRITORY}


def test_soft_territories_are_compatible_at_a_cost():
    techs = [_tech("N", 0, territories=["north"]), _tech("S", 5, territories=["south"])]
    tickets = [_ticket("TN", 1, territory="north"), _ticket("T0", 4)]
    p = fd.compile_scenario(_scenario(techs, tickets, weight=70.0))
    assert not p.compatible.any()
    assert p.data.res.terr_w.tolist() == [70.0, 0.0]
    # the plan putting TN with S pays 70 once; with N nothing
    r_n, r_s = p.index.route_idx("N"), p.index.route_idx("S")
    routes = [(), ()]
    routes[r_s] = (0, 1)
    out = fd.evaluate(p, fd.Plan(routes=tuple(routes)))
    routes[r_s], routes[r_n] = (1,), (0,)
    home = fd.evaluate(p, fd.Plan(routes=tuple(routes)))
    assert out.is_feasible and home.is_feasible
    assert out.components["out_of_territory"] == 70.0 and out.kpis.out_of_territory == 1
    assert home.components["out_of_territory"] == 0.0 and home.kpis.out_of_territory == 0


def test_an_expired_certification_counts_as_absent_with_its_reason():
    lapsed = at(0) - timedelta(days=1)
    techs = [_tech("OLD", 0, skills={"hvac": 3}, certifications={"hvac": lapsed}),
             _tech("LOW", 2, skills={"hvac": 1}, certifications={"hvac": lapsed}),
             _tech("OK", 4, skills={"hvac": 3}, certifications={"hvac": at(20)})]
    tickets = [_ticket("T", 1, required_skills={"hvac": 2}), _ticket("F", 1)]
    p = fd.compile_scenario(_scenario(techs, tickets))
    C, L = Incompatibility.CERTIFICATION, Incompatibility.LEVEL
    assert p.compatible[:, 0].tolist() == [C, L, 0]  # LEVEL wins over CERTIFICATION
    assert p.compatible[:, 1].tolist() == [0, 0, 0]  # no skill needed: no certification
    alone = fd.compile_scenario(_scenario(techs[:1], tickets[:1]))
    assert fd.UnassignedReason.from_code(int(alone.unservable[0])) is \
        fd.UnassignedReason.CERTIFICATION_EXPIRED
    # a plan sending OLD anyway is a "certification" violation
    bad = fd.evaluate(alone, fd.Plan(routes=((0,),)))
    assert bad.violation_counts() == {"certification": 1}


def test_certification_is_valid_through_its_day_in_the_horizon_timezone():
    """Valid until 23:00 on day 0 (UTC): counts on day 0's shift, not on day 1's."""
    techs = [_tech("A", 0, days=2, skills={"hvac": 1}, certifications={"hvac": at(23)})]
    tickets = [_ticket("T", 1, required_skills={"hvac": 1})]
    p = fd.compile_scenario(_scenario(techs, tickets, days=2))
    assert p.compatible[0, 0] == 0
    assert p.routes_for(0).tolist() == [p.index.route_idx("A", 0)]
    day1 = p.index.route_idx("A", 1)
    routes = [(), ()]
    routes[day1] = (0,)
    ev = fd.evaluate(p, fd.Plan(routes=tuple(routes)))
    assert ev.violation_counts() == {"certification": 1}
    for name in ("greedy", "ls"):
        res = fd.solve(p, name, seed=1, max_iterations=50)
        assert res.evaluation.is_feasible and res.plan.routes[day1] == ()
        assert res.plan.routes[p.index.route_idx("A", 0)] == (0,)


def test_a_day_window_only_certified_days_cannot_serve_is_unservable():
    """The ticket's window is on day 1, the certification lapses after day 0."""
    techs = [_tech("A", 0, days=2, skills={"hvac": 1}, certifications={"hvac": at(12)})]
    tickets = [_ticket("T", 1, required_skills={"hvac": 1},
                       windows=[fd.TimeWindow(at(9, 1), at(11, 1))])]
    p = fd.compile_scenario(_scenario(techs, tickets, days=2))
    assert p.routes_for(0).tolist() == [] and p.unservable[0] != 0
    assert fd.solve(p, "greedy").plan.unassigned.keys() == {0}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), weight=st.sampled_from([None, 0.0, 40.0]),
       territory=st.sampled_from([None, "north", "south", "new-area"]),
       lapse_day=st.integers(-1, 2))
def test_appended_ticket_matches_the_compiled_column(seed, weight, territory, lapse_day):
    """Growing a problem by a ticket (live dispatch's path) gives the compiler's codes, routes,
    reason and out-of-territory cost for it (a territory new to the problem included)."""
    base = fd.generate_scenario(4, 8, seed=seed, days=2)
    techs = list(base.technicians)
    skill = next((s for t in techs for s in t.skills), None)
    for k, tech in enumerate(techs):
        certs = {s: base.horizon.start + timedelta(days=lapse_day, hours=6)
                 for s in tech.skills} if k % 2 == 0 else {}
        techs[k] = attrs.evolve(tech, territories=("north",) if k % 3 == 0 else
                                ("south",) if k % 3 == 1 else (), certifications=certs)
    scenario = attrs.evolve(base, technicians=tuple(techs),
                            objective=attrs.evolve(base.objective, out_of_territory=weight))
    extra = attrs.evolve(base.tickets[0], id="NEW", territory=territory,
                         required_skills={skill: 1} if skill else {})
    grown = append_ticket(fd.compile_scenario(scenario), extra)
    full = fd.compile_scenario(attrs.evolve(scenario, tickets=(*scenario.tickets, extra)))
    j = full.num_tickets - 1
    assert grown.compatible[:, j].tolist() == full.compatible[:, j].tolist()
    assert grown.routes_for(j).tolist() == full.routes_for(j).tolist()
    assert grown.unservable[j] == full.unservable[j]
    assert grown.data.res.terr_w[j] == full.data.res.terr_w[j]
    def covered(p: fd.Problem) -> list[bool] | None:
        z = int(p.data.res.terr[j])
        return None if z < 0 else p.data.res.covers[:, z].tolist()

    assert covered(grown) == covered(full)


# ------------------------------------------------------------------ KPIs
@pytest.mark.parametrize("weight", [None, 25.0])
def test_kpis_per_territory_and_team_sum_to_the_totals(weight):
    base = fd.generate_scenario(6, 40, seed=3)
    areas = ["north", "south", "east"]
    techs = tuple(attrs.evolve(t, territories=(areas[k % 3],) if k % 4 else (),
                               team=None if k == 5 else f"team-{k % 2}")
                  for k, t in enumerate(base.technicians))
    tickets = tuple(attrs.evolve(t, territory=None if k % 5 == 0 else areas[k % 3])
                    for k, t in enumerate(base.tickets))
    scenario = attrs.evolve(base, technicians=techs, tickets=tickets,
                            objective=attrs.evolve(base.objective, out_of_territory=weight))
    problem = fd.compile_scenario(scenario)
    result = fd.solve(problem, "greedy")
    ev = result.evaluation
    k = ev.kpis
    zones = k.by_territory.values()
    assert set(k.by_territory) == {"north", "south", "east", ""}
    assert sum(z.tickets for z in zones) == k.num_tickets
    assert sum(z.assigned for z in zones) == k.assigned
    assert sum(z.out_of_territory for z in zones) == k.out_of_territory
    assert sum(z.service_min for z in zones) == pytest.approx(k.service_min)
    assert k.by_territory[""].out_of_territory == 0
    teams = k.by_team.values()
    assert set(k.by_team) == {"team-0", "team-1", ""}
    assert sum(t.technicians for t in teams) == len(techs)
    assert sum(t.tickets for t in teams) == k.assigned
    assert sum(t.work_min for t in teams) == pytest.approx(k.work_min)
    assert sum(t.travel_min for t in teams) == pytest.approx(k.travel_time_min)
    assert sum(t.overtime_min for t in teams) == pytest.approx(k.overtime_min)
    if weight is None:
        assert k.out_of_territory == 0
    else:
        assert ev.components["out_of_territory"] == pytest.approx(weight * k.out_of_territory)
    pytest.importorskip("pandas")
    zones_frame = fd.io.territories_frame(problem, result.plan)
    assert zones_frame["tickets"].sum() == k.num_tickets
    assert zones_frame["out_of_territory"].sum() == k.out_of_territory
    assert fd.io.teams_frame(problem, result.plan)["tickets"].sum() == k.assigned


# ------------------------------------------------------------------ JSON and CSV
def _covered() -> fd.Scenario:
    techs = [_tech("A", 0, skills={"hvac": 2}, territories=["north", "east"], team="red",
                   certifications={"hvac": at(40)}),
             _tech("B", 5)]
    tickets = [_ticket("T1", 1, territory="north", required_skills={"hvac": 1}),
               _ticket("T2", 2)]
    return _scenario(techs, tickets, weight=12.5)


def test_json_round_trip_and_schema():
    scenario = _covered()
    text = fd.save_scenario(scenario)
    assert fd.scenario_from_dict(json.loads(text)) == scenario
    doc = json.loads(text)
    assert doc["technicians"][0]["certifications"] == {"hvac": at(40).isoformat()}
    assert doc["technicians"][0]["territories"] == ["north", "east"]
    assert doc["tickets"][0]["territory"] == "north"
    assert doc["objective"]["out_of_territory"] == 12.5
    # unset: the keys are not written (files of earlier versions stay byte for byte)
    assert "territories" not in doc["technicians"][1] and "territory" not in doc["tickets"][1]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(fd.io.schema_path("scenario").read_text())
    jsonschema.validate(doc, schema)


@pytest.mark.parametrize(("path", "value", "field"), [
    (("technicians", 0, "certifications", "hvac"), "soon", "certifications.hvac"),
    (("technicians", 0, "territories", 0), 3, "territories[0]"),
    (("objective", "out_of_territory"), -4, "out_of_territory"),
])
def test_json_bad_values_name_the_field(path, value, field):
    doc = fd.scenario_to_dict(_covered())
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(fd.ValidationError) as info:
        fd.scenario_from_dict(doc)
    assert field in str(info.value) and repr(value) in str(info.value)


def test_csv_import_reads_territories_teams_and_certifications(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,x,y,duration_min,skills,territory\n"
        "T1,1,1,30,hvac:1,north\nT2,2,1,30,,\n")
    (tmp_path / "technicians.csv").write_text(
        "technician_id,x,y,shift_start,shift_end,skills,territories,team,certifications\n"
        "A,0,0,08:00,17:00,hvac:2,north;east,red,hvac:2026-03-02\n"
        "B,5,0,08:00,17:00,,,,\n")
    scenario = fd.read_scenario_csv(tmp_path / "tickets.csv", tmp_path / "technicians.csv",
                                    date="2026-03-02", timezone="UTC")
    a, b = scenario.technicians
    assert a.territories == ("north", "east") and a.team == "red"
    assert a.certifications == {"hvac": datetime(2026, 3, 2, tzinfo=UTC)}
    assert b.territories == () and b.team is None and b.certifications == {}
    assert [t.territory for t in scenario.tickets] == ["north", None]
    p = fd.compile_scenario(scenario)  # certified through its day: A serves T1 that day
    assert p.compatible[0, 0] == 0 and p.compatible[1, 0] == Incompatibility.SKILL


def test_csv_bad_certification_names_the_cell(tmp_path):
    (tmp_path / "tickets.csv").write_text("ticket_id,x,y,duration_min\nT1,1,1,30\n")
    (tmp_path / "technicians.csv").write_text(
        "technician_id,x,y,shift_start,shift_end,skills,certifications\n"
        "A,0,0,08:00,17:00,hvac:2,hvac:soon\n")
    with pytest.raises(fd.ValidationError) as info:
        fd.read_scenario_csv(tmp_path / "tickets.csv", tmp_path / "technicians.csv",
                             date="2026-03-02", timezone="UTC")
    assert "certifications" in str(info.value) and "hvac:soon" in str(info.value)


def test_the_territories_example_runs():
    """examples/territories.py: hard territories leave no visit outside its territory, soft
    ones no ``no_territory`` reason; both plans pass the evaluator."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "territories.py"
    spec = importlib.util.spec_from_file_location("territories_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hard, soft = module.main().values()
    assert hard.evaluation.is_feasible and soft.evaluation.is_feasible
    assert hard.evaluation.kpis.out_of_territory == 0
    assert "no_territory" not in soft.evaluation.kpis.unassigned_by_reason


def test_plan_json_with_the_new_reasons_validates_and_round_trips():
    """A plan leaving tickets out for ``no_territory`` and ``certification_expired`` is
    written, validated by the shipped plan schema (whose reason enum is every
    ``UnassignedReason``) and read back."""
    lapsed = at(0) - timedelta(days=1)
    techs = [_tech("N", 0, territories=["north"], skills={"hvac": 1},
                   certifications={"hvac": lapsed})]
    tickets = [_ticket("TS", 1, territory="south"), _ticket("TH", 2, territory="north",
                                                           required_skills={"hvac": 1})]
    problem = fd.compile_scenario(_scenario(techs, tickets))
    plan = fd.solve(problem, "greedy").plan
    assert {r.value for r in plan.unassigned.values()} == {"no_territory",
                                                            "certification_expired"}
    doc = fd.plan_to_dict(problem, plan)
    schema = json.loads(fd.io.schema_path("plan").read_text())
    enum = next(v for k, v in _walk(schema) if k == "reason")["enum"]
    assert set(enum) == {r.value for r in fd.UnassignedReason}
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(doc, schema)
    detailed = fd.plan_to_dict(problem, plan, evaluation=fd.evaluate(problem, plan))
    jsonschema.validate(detailed, schema)  # (KPIs per territory and team included)
    again = fd.plan_from_dict(problem, doc)
    assert again.unassigned == plan.unassigned


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
