"""A small HTTP service embedding fsdispatch (an example, not part of the package).

Run it::

    pip install -e ".[service]"
    uvicorn app:app --app-dir examples/service          # http://127.0.0.1:8000/docs

Endpoints (JSON bodies use fsdispatch's scenario and plan formats, see
``docs/formats.md`` and the shipped JSON Schemas):

* ``POST /solve``   ``{"scenario": {...}, "solver": "greedy", "time_limit": 5, "seed": 0}``
  -> the plan JSON (routes with visit times, unassigned with reasons, KPIs).
* ``POST /check``   ``{"scenario": {...}, "plan": {...}}`` -> feasibility, violations, KPIs.
* ``POST /recommend`` ``{"scenario": {...}, "plan": {...}?, "now": "...", "ticket": {...}, "k": 3}``
  -> the best technicians for a new ticket, with ETA, cost and reason, and why
  every other technician is out (``fsdispatch.live.Dispatcher.recommend``).
* ``POST /insert``  same body (plus ``max_moved``) -> where the urgent ticket
  went, what else changed, and the new plan (``Dispatcher.insert``).
* ``POST /positions`` ``{"scenario": {...}, "plan": {...}?, "now": "...", "positions":
  [{"technician_id": "A", "location": {"lat": .., "lon": ..}, "at": "..."?}]}`` -> the
  technicians' positions as the dispatcher sees them (``stale``, ``in_use``), the ETA
  of every planned ticket from there, and the plan (``Dispatcher.update_position``:
  an idle technician's next leg starts at their last fresh position).
* ``GET /health``   version and available solvers.

Request validation errors answer **422** and name the JSON path of the bad value,
whether the envelope is wrong (``$.time_limit``) or the scenario inside it
(``$.scenario.tickets[3].duration``)::

    {"detail": [{"path": "$.scenario.tickets[3]", "msg": "Ticket 'T-4': duration must be > 0
      seconds, got -300.", "type": "fsdispatch.validation"}]}

The service is stateless: every request carries the scenario (and, for live
dispatch, the current plan and the clock ``now``). A product that keeps the
day in memory would hold one ``Dispatcher`` per team instead.

Solving is CPU-bound: the endpoints are plain ``def`` functions, which FastAPI
runs in its thread pool, so the event loop stays responsive.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta
from typing import Any

import attrs
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

import fsdispatch as fd
from fsdispatch.live import Dispatcher

MAX_TIME_LIMIT = 60.0
"""Longest solve a request may ask for, in seconds."""


class SolveRequest(BaseModel):
    """Body of ``POST /solve``."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] = Field(description="fsdispatch scenario JSON")
    solver: str = Field("greedy", description="backend name, see GET /health")
    time_limit: float | None = Field(None, gt=0, le=MAX_TIME_LIMIT, description="seconds")
    seed: int = Field(0, ge=0)


class CheckRequest(BaseModel):
    """Body of ``POST /check``."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any]
    plan: dict[str, Any]


class LiveRequest(BaseModel):
    """Body of ``POST /recommend`` and ``POST /insert``."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] = Field(description="the day: technicians and known tickets")
    plan: dict[str, Any] | None = Field(None, description="current plan of the scenario; "
                                        "default: plan the day first (greedy)")
    now: AwareDatetime | None = Field(None, description="the dispatcher's clock; default: "
                                      "the horizon start")
    ticket: dict[str, Any] = Field(description="the new ticket, in the scenario's ticket "
                                   "format")
    k: int = Field(3, ge=1, le=20, description="/recommend: technicians to return")
    max_moved: int | None = Field(None, ge=0, le=50, description="/insert: at most this many "
                                  "other tickets may change")


class Ping(BaseModel):
    """One position ping of ``POST /positions``."""

    model_config = ConfigDict(extra="forbid")
    technician_id: str
    location: dict[str, Any] = Field(description='{"lat", "lon"} or {"x", "y"}, optional "id"')
    at: AwareDatetime | None = Field(None, description="when (default: now)")


class PositionsRequest(BaseModel):
    """Body of ``POST /positions``."""

    model_config = ConfigDict(extra="forbid")
    scenario: dict[str, Any] = Field(description="the day: technicians and known tickets")
    plan: dict[str, Any] | None = Field(None, description="current plan of the scenario; "
                                        "default: plan the day first (greedy)")
    now: AwareDatetime | None = Field(None, description="the dispatcher's clock")
    positions: list[Ping] = Field(min_length=1, max_length=10_000)
    position_max_age: int = Field(900, gt=0, le=86_400, description="seconds after which a "
                                  "position falls back to the plan")


class ApiError(Exception):
    """An error answered as ``{"detail": [{"path", "msg", "type"}]}`` with a status code."""

    def __init__(self, status: int, path: str, msg: str, kind: str) -> None:
        super().__init__(msg)
        self.status, self.path, self.msg, self.kind = status, path, msg, kind


def _json_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """pydantic's ``loc`` (``("body", "scenario", "tickets", 3)``) -> ``$.scenario.tickets[3]``."""
    out = "$"
    for part in loc:
        if part == "body" and out == "$":
            continue
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _validation(exc: fd.ValidationError, prefix: str) -> ApiError:
    """A library validation error -> 422 naming the JSON path under ``prefix``."""
    message = exc.issues[0].message
    match = re.match(r"^\$((?:\.[A-Za-z_]\w*|\[\d+\])*): (.*)$", message, re.S)
    if match:
        return ApiError(422, prefix + match.group(1), match.group(2), "fsdispatch.validation")
    return ApiError(422, prefix, message, "fsdispatch.validation")


def _load(data: dict[str, Any]) -> fd.Problem:
    try:
        return fd.compile_scenario(fd.scenario_from_dict(data))
    except fd.ValidationError as exc:
        raise _validation(exc, "$.scenario") from None


def create_app() -> FastAPI:
    """Build the FastAPI application."""
    app = FastAPI(title="fsdispatch service (example)", version=fd.__version__,
                  description="Field-service dispatch over HTTP: solve and check plans.")

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"path": _json_path(err.get("loc", ())), "msg": err.get("msg", ""),
                   "type": err.get("type", "")} for err in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={
            "detail": [{"path": exc.path, "msg": exc.msg, "type": exc.kind}]})

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Version and the solver backends available."""
        return {"status": "ok", "version": fd.__version__, "solvers": fd.available_solvers()}

    @app.post("/solve")
    def solve(body: SolveRequest) -> dict[str, Any]:
        """Solve a scenario; answer the plan JSON with visit times, reasons and KPIs."""
        problem = _load(body.scenario)
        try:
            result = fd.solve(problem, body.solver, time_limit=body.time_limit, seed=body.seed)
        except fd.UnknownSolverError as exc:
            raise ApiError(422, "$.solver", str(exc), "fsdispatch.unknown_solver") from None
        except fd.UnsupportedProblemError as exc:
            raise ApiError(422, "$.solver", str(exc), "fsdispatch.unsupported") from None
        except fd.FsdispatchError as exc:
            raise ApiError(500, "$", str(exc), "fsdispatch.solver_failed") from None
        plan = fd.plan_to_dict(problem, result.plan, evaluation=result.evaluation,
                               solver=result.solver)
        return {"status": result.status.value, "objective": result.objective,
                "feasible": result.evaluation.is_feasible, "bound": result.bound,
                "runtime": result.runtime, "plan": plan}

    @app.post("/check")
    def check(body: CheckRequest) -> dict[str, Any]:
        """Evaluate a plan with the shared evaluator: feasibility, violations, KPIs."""
        problem = _load(body.scenario)
        try:
            plan = fd.plan_from_dict(problem, body.plan, strict=True)
        except fd.ValidationError as exc:
            raise _validation(exc, "$.plan") from None
        evaluation = fd.evaluate(problem, plan)
        return {"feasible": evaluation.is_feasible, "objective": evaluation.objective,
                "violations": [{"kind": v.kind, "message": v.message, "ticket_id": v.ticket_id,
                                "technician_id": v.technician_id}
                               for v in evaluation.violations],
                "kpis": evaluation.kpis.to_dict()}

    @app.post("/recommend")
    def recommend(body: LiveRequest) -> dict[str, Any]:
        """The best technicians for a new ticket, and why every other one is out."""
        dispatcher, ticket = _live(body)
        try:
            rec = dispatcher.recommend(ticket, k=body.k)
        except fd.ValidationError as exc:
            raise _validation(exc, "$.ticket") from None
        return _jsonable(rec)

    @app.post("/insert")
    def insert(body: LiveRequest) -> dict[str, Any]:
        """Plan an urgent ticket into the current plan with bounded disruption."""
        dispatcher, ticket = _live(body)
        try:
            result = dispatcher.insert(ticket, max_moved=body.max_moved, actor="api")
        except fd.ValidationError as exc:
            raise _validation(exc, "$.ticket") from None
        out = _jsonable(result)
        out["plan"] = fd.plan_to_dict(dispatcher.problem, dispatcher.plan,
                                      evaluation=dispatcher.evaluation)
        return out

    @app.post("/positions")
    def positions(body: PositionsRequest) -> dict[str, Any]:
        """Apply position pings; answer the positions, every ETA from there and the plan."""
        try:
            scenario = fd.scenario_from_dict(body.scenario)
        except fd.ValidationError as exc:
            raise _validation(exc, "$.scenario") from None
        dispatcher = _dispatcher(scenario, body.plan, body.now,
                                 timedelta(seconds=body.position_max_age))
        for k, ping in enumerate(body.positions):
            where = f"$.positions[{k}]"
            location = _location(ping.location, where + ".location")
            try:
                dispatcher.update_position(ping.technician_id, location, ping.at)
            except fd.UnknownReferenceError as exc:
                field = "location" if exc.entity == "update_position" else "technician_id"
                raise ApiError(422, f"{where}.{field}", str(exc), "fsdispatch.unknown") from None
            except fd.ValidationError as exc:
                field = "at" if exc.field == "at" else "location"
                raise ApiError(422, f"{where}.{field}", str(exc),
                               "fsdispatch.validation") from None
        return {"positions": _jsonable(dict(dispatcher.positions())),
                "etas": _jsonable(dispatcher.etas()),
                "plan": fd.plan_to_dict(dispatcher.problem, dispatcher.plan,
                                        evaluation=dispatcher.evaluation)}

    return app


def _location(data: dict[str, Any], path: str) -> fd.Location:
    """A location in the scenario format: ``{"lat", "lon"}`` or ``{"x", "y"}``, optional ``id``."""
    keys = set(data)
    try:
        if keys - {"id"} == {"lat", "lon"}:
            return fd.Location.geo(data["lat"], data["lon"], id=data.get("id"))
        if keys - {"id"} == {"x", "y"}:
            return fd.Location(data["x"], data["y"], id=data.get("id"))
    except fd.ValidationError as exc:
        raise ApiError(422, path, str(exc), "fsdispatch.validation") from None
    raise ApiError(422, path, f'a location gives {{"lat", "lon"}} or {{"x", "y"}} (and an '
                   f'optional "id"), got {sorted(keys)}', "fsdispatch.validation")


def _dispatcher(scenario: fd.Scenario, plan_json: dict[str, Any] | None,
                now: datetime | None, max_age: timedelta | None = None) -> Dispatcher:
    """A dispatcher of ``scenario`` at ``now`` with the given plan (default: greedy)."""
    plan = None
    if plan_json is not None:
        try:
            plan = fd.plan_from_dict(fd.compile_scenario(scenario), plan_json, strict=True)
        except fd.ValidationError as exc:
            raise _validation(exc, "$.plan") from None
    extra = {} if max_age is None else {"position_max_age": max_age}
    try:
        dispatcher = Dispatcher(scenario, now=now, plan=plan, **extra)
        if plan is None:
            dispatcher.plan_day(solver="greedy")
    except fd.ValidationError as exc:
        raise _validation(exc, "$.now" if "now" in exc.message else "$") from None
    return dispatcher


def _live(body: LiveRequest) -> tuple[Dispatcher, fd.Ticket]:
    """The scenario, the new ticket (read with the scenario reader) and a dispatcher at ``now``."""
    known = body.scenario.get("tickets")
    known = known if isinstance(known, list) else []
    data = {**body.scenario, "tickets": [*known, body.ticket]}
    try:
        full = fd.scenario_from_dict(data)
    except fd.ValidationError as exc:
        err = _validation(exc, "$.scenario")
        new = f"$.scenario.tickets[{len(known)}]"
        if err.path.startswith(new):  # the error is in the new ticket
            err.path = "$.ticket" + err.path[len(new):]
        raise err from None
    ticket = full.tickets[-1]
    scenario = full.replace(tickets=full.tickets[:-1])
    return _dispatcher(scenario, body.plan, body.now), ticket


def _jsonable(value: Any) -> Any:
    """attrs results of the live API -> JSON (datetimes ISO 8601, durations in seconds)."""
    if attrs.has(type(value)):
        return {f.name: _jsonable(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return round(value.total_seconds())
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


    return app


app = create_app()
