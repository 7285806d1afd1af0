"""The embedding example (examples/service/app.py), driven by FastAPI's test client."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from datetime import datetime
from pathlib import Path

import pytest

import fsdispatch as fd

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # newer starlette deprecates httpx for its test client
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

APP = Path(__file__).resolve().parent.parent / "examples" / "service" / "app.py"


@pytest.fixture(scope="module")
def client() -> TestClient:
    """A test client of the example app, loaded from its file (it is not a package)."""
    spec = importlib.util.spec_from_file_location("fsdispatch_service_example", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations there
    spec.loader.exec_module(module)
    return TestClient(module.create_app())


@pytest.fixture
def scenario_json(tiny) -> dict:
    """The ``tiny`` scenario as JSON."""
    return fd.scenario_to_dict(tiny)


def test_health_lists_solvers(client):
    """GET /health answers the version and the registered backends."""
    body = client.get("/health").json()
    assert body["version"] == fd.__version__ and "greedy" in body["solvers"]


def test_solve_returns_the_plan_json(client, scenario_json, tiny):
    """POST /solve answers a plan in the library's JSON format, judged by the evaluator."""
    response = client.post("/solve", json={"scenario": scenario_json, "solver": "greedy"})
    assert response.status_code == 200
    body = response.json()
    assert body["feasible"] is True and body["status"] in ("feasible", "optimal")
    problem = fd.compile_scenario(tiny)
    plan = fd.plan_from_dict(problem, body["plan"], strict=True)
    assert fd.evaluate(problem, plan).objective == pytest.approx(body["objective"])
    assert body["plan"]["kpis"]["num_tickets"] == 3
    assert all("visits" in r for r in body["plan"]["routes"])


def test_check_reports_violations(client, scenario_json, tiny):
    """POST /check evaluates a submitted plan: a skill violation is reported, not hidden."""
    problem = fd.compile_scenario(tiny)
    bad = fd.Plan.from_ids(problem, {"A#0": ["T2"]}, {"T1": "open", "T3": "open"})
    response = client.post("/check", json={"scenario": scenario_json,
                                           "plan": fd.plan_to_dict(problem, bad)})
    assert response.status_code == 200
    body = response.json()
    assert body["feasible"] is False
    assert {v["kind"] for v in body["violations"]} >= {"skill"}


@pytest.mark.parametrize("mutate, path, needle", [
    (lambda b: b.update(time_limit=-1), "$.time_limit", "greater than 0"),
    (lambda b: b.update(speed="fast"), "$.speed", "Extra inputs"),
    (lambda b: b.pop("scenario"), "$.scenario", "Field required"),
    (lambda b: b["scenario"]["tickets"][1].update(duration=-300), "$.scenario.tickets[1]",
     "duration must be > 0"),
    (lambda b: b["scenario"]["tickets"][0].update(location={"lat": 95, "lon": 0}),
     "$.scenario.tickets[0].location", "latitude"),
    (lambda b: b["scenario"]["horizon"].update(start="monday"), "$.scenario.horizon.start",
     "ISO 8601"),
    (lambda b: b.update(solver="cp-sat"), "$.solver", "unknown solver"),
])
def test_validation_errors_name_the_json_path(client, scenario_json, mutate, path, needle):
    """Bad requests answer 422 whose detail names the JSON path of the bad value, for the
    envelope (pydantic) and for the scenario inside it (fsdispatch's reader)."""
    body = {"scenario": scenario_json, "solver": "greedy"}
    mutate(body)
    response = client.post("/solve", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["path"] == path
    assert needle in detail["msg"]


def test_check_names_the_plan_path_of_an_unknown_ticket(client, scenario_json, tiny):
    """An unknown ticket id in a submitted plan is a 422 naming its path under $.plan."""
    problem = fd.compile_scenario(tiny)
    plan = fd.plan_to_dict(problem, fd.Plan.empty(problem))
    plan["routes"] = [{"technician_id": "A", "shift": 0, "tickets": ["T1", "nope"]}]
    response = client.post("/check", json={"scenario": scenario_json, "plan": plan})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["path"] == "$.plan.routes[0].tickets[1]" and "nope" in detail["msg"]


def _new_ticket() -> dict:
    """A new P1 ticket near technician A of ``tiny``, needing no skill, in the ticket format."""
    return {"id": "T9", "location": {"x": 1, "y": 0}, "duration": 1800, "priority": "P1"}


def test_recommend_ranks_technicians_and_explains_the_rest(client, scenario_json):
    """POST /recommend answers ranked options (ETA, cost, reason) and, with k=1, the other
    technician among the exclusions or options, as the live Dispatcher says."""
    response = client.post("/recommend", json={"scenario": scenario_json,
                                               "ticket": _new_ticket(), "k": 2,
                                               "now": "2026-03-02T09:00:00+00:00"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket_id"] == "T9" and body["options"]
    best = body["options"][0]
    assert best["technician_id"] in ("A", "B") and best["eta"]["start"] >= "2026-03-02T09:00"
    assert isinstance(best["travel_added"], int) and best["reason"]
    named = {o["technician_id"] for o in body["options"]} | {
        e["technician_id"] for e in body["excluded"]}
    assert named == {"A", "B"}


def test_insert_places_the_ticket_and_returns_the_new_plan(client, scenario_json, tiny):
    """POST /insert places the urgent ticket, lists what changed, and returns the new plan."""
    response = client.post("/insert", json={"scenario": scenario_json,
                                            "ticket": _new_ticket(), "max_moved": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["placed"] is True and body["technician_id"] in ("A", "B")
    assert any(c["ticket_id"] == "T9" and c["kind"] == "inserted" for c in body["changes"])
    routed = {t for r in body["plan"]["routes"] for t in r["tickets"]}
    assert "T9" in routed
    assert body["plan"]["feasible"] is True


@pytest.mark.parametrize("mutate, path, needle", [
    (lambda b: b["ticket"].update(duration=0), "$.ticket", "duration must be > 0"),
    (lambda b: b["ticket"].update(priority="P7"), "$.ticket.priority", "priority"),
    (lambda b: b.update(now="2026-03-02T09:00:00"), "$.now", "timezone"),
    (lambda b: b.update(k=0), "$.k", "greater than or equal to 1"),
])
def test_live_validation_errors_name_the_json_path(client, scenario_json, mutate, path,
                                                   needle):
    """Bad live requests answer 422 naming the JSON path, also inside the new ticket."""
    body = {"scenario": scenario_json, "ticket": _new_ticket()}
    mutate(body)
    response = client.post("/recommend", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["path"] == path, detail
    assert needle in detail["msg"]


def _first_of_a(body: dict) -> str:
    route = next(r for r in body["plan"]["routes"] if r["technician_id"] == "A")
    return route["tickets"][0]


def test_positions_move_the_next_leg_and_answer_the_etas(client, scenario_json, tiny):
    """POST /positions applies pings: an idle technician 30 km away starts from there, so
    the ETA of their first ticket grows by the drive (the scenario's travel model)."""
    now = "2026-03-02T09:00:00+00:00"
    at_home = client.post("/positions", json={"scenario": scenario_json, "now": now,
                                              "positions": [{"technician_id": "A",
                                                             "location": {"x": 0, "y": 0}}]})
    assert at_home.status_code == 200, at_home.text
    away = client.post("/positions", json={"scenario": scenario_json, "now": now,
                                           "positions": [{"technician_id": "A",
                                                          "location": {"x": 0, "y": 30}}]})
    assert away.status_code == 200, away.text
    home_body, away_body = at_home.json(), away.json()
    first = _first_of_a(home_body)
    assert _first_of_a(away_body) == first
    pos = away_body["positions"]["A"]
    assert pos["location"] == {"x": 0, "y": 30, "geographic": False, "id": None}
    assert pos["stale"] is False and pos["in_use"] is True
    site = tiny.ticket(first).location
    travel = tiny.travel
    grown = travel.travel_seconds(fd.Location(0, 30), site) - \
        travel.travel_seconds(fd.Location(0, 0), site)
    start = {b: datetime.fromisoformat(x["etas"][first]["start"])
             for b, x in (("home", home_body), ("away", away_body))}
    assert (start["away"] - start["home"]).total_seconds() == grown > 0
    assert away_body["plan"]["feasible"] is True


@pytest.mark.parametrize("ping, path", [
    ({"technician_id": "Z", "location": {"x": 0, "y": 0}}, "$.positions[0].technician_id"),
    ({"technician_id": "A", "location": {"lat": 48.1, "lon": 11.5}}, "$.positions[0].location"),
    ({"technician_id": "A", "location": {"x": 0}}, "$.positions[0].location"),
    ({"technician_id": "A", "location": {"x": 0, "y": 0}, "at": "2026-03-02T10:00:00+00:00"},
     "$.positions[0].at"),
])
def test_positions_errors_name_the_json_path(client, scenario_json, ping, path):
    body = {"scenario": scenario_json, "now": "2026-03-02T09:00:00+00:00", "positions": [ping]}
    response = client.post("/positions", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["path"] == path
