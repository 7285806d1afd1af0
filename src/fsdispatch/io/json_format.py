"""Scenario and plan JSON: schema-versioned, lossless, errors that name the JSON path.

Formats (JSON Schemas ship in ``fsdispatch/io/schemas/``):

* scenario: ``{"format": "fsdispatch.scenario", "version": 1, "horizon": …,
  "travel": …, "technicians": […], "tickets": […], …}``
* plan: ``{"format": "fsdispatch.plan", "version": 1, "routes": […],
  "unassigned": […]}``
* maintenance: ``{"format": "fsdispatch.maintenance", "version": 1, "assets": […],
  "plans": […], "last_done": {…}}`` (assets, their preventive-maintenance plans
  and when each was last served; see ``docs/maintenance.md``)

Datetimes are ISO 8601 strings with a UTC offset; durations are integer
seconds. See ``docs/formats.md``.

Reading is strict: files must be UTF-8 (a UTF-8 byte order mark is allowed),
an object may not repeat a key, ``NaN``/``Infinity`` are not JSON, and
``true``/``false`` are not numbers. Every error is a
:class:`~fsdispatch.errors.ValidationError` naming the file and the JSON path.

Scenario objects are read and written by a cattrs converter
(``fsdispatch.io._convert``, imported on first use) whose field lists come from
the attrs domain classes; plans are read here.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ..domain import Scenario
from ..domain.asset import Asset, MaintenancePlan
from ..errors import UnknownReferenceError, ValidationError
from ..plan import PLAN_MODES, Plan, UnassignedReason
from ..problem.problem import Problem

__all__ = [
    "MAINTENANCE_FORMAT",
    "PLAN_FORMAT",
    "SCENARIO_FORMAT",
    "SCHEMA_VERSION",
    "MaintenanceBook",
    "load_maintenance",
    "load_plan",
    "load_scenario",
    "maintenance_from_dict",
    "maintenance_to_dict",
    "plan_from_dict",
    "plan_to_dict",
    "save_maintenance",
    "save_plan",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "schema_path",
]

SCENARIO_FORMAT = "fsdispatch.scenario"
PLAN_FORMAT = "fsdispatch.plan"
MAINTENANCE_FORMAT = "fsdispatch.maintenance"
SCHEMA_VERSION = 1
T = TypeVar("T")


def schema_path(kind: str = "scenario") -> Path:
    """Path of the shipped JSON Schema (``"scenario"``, ``"plan"`` or ``"maintenance"``)."""
    return Path(__file__).with_name("schemas") / f"{kind}.schema.json"


# --------------------------------------------------------------------- writing
def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _expect(value: Any, cls: type, func: str, param: str) -> None:
    """Raise a ValidationError unless ``value`` is a ``cls`` (an API argument type check)."""
    if not isinstance(value, cls):
        raise ValidationError(f"{func}(): {param} must be a {cls.__name__}, got "
                              f"{type(value).__name__} {_short(value)}", entity=func,
                              field=param, value=value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_path(path: Any, param: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path`; anything but ``str``/``os.PathLike`` is rejected."""
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(f"{param} must be a file path (str or os.PathLike), got "
                              f"{type(path).__name__} {_short(path)}", field=param, value=path)
    return Path(path)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The JSON-ready dict of a scenario (inverse of :func:`scenario_from_dict`).

    The keys of each object are the attributes of its domain class (see
    ``fsdispatch.io._convert``); every attribute is written, also at its default.
    """
    _expect(scenario, Scenario, "scenario_to_dict", "scenario")
    from ._convert import unstructure_scenario  # cattrs is imported on first use

    return unstructure_scenario(scenario)


def _dump(data: Mapping[str, Any], path: str | Path | None, indent: int | None) -> str:
    target = None if path is None else _as_path(path)
    text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
    if target is not None:
        try:
            target.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot write {str(target)!r}: {exc.strerror or exc}",
                                  field="path", value=str(target)) from None
    return text


def save_scenario(scenario: Scenario, path: str | Path | None = None, *,
                  indent: int | None = 1) -> str:
    """Write a scenario as JSON to ``path`` (if given) and return the text.

    Raises :class:`~fsdispatch.errors.ValidationError` naming the file when it
    cannot be written (missing folder, a directory, no permission).
    """
    _expect(scenario, Scenario, "save_scenario", "scenario")
    return _dump(scenario_to_dict(scenario), path, indent)


# --------------------------------------------------------------------- reading
class _Reader:
    """Reads nested JSON values, naming the JSON path in every error."""

    def __init__(self) -> None:
        self.path = ["$"]

    def where(self) -> str:
        return "".join(self.path)

    @contextmanager
    def at(self, key: str | int) -> Iterator[None]:
        self.path.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        try:
            yield
        finally:
            self.path.pop()

    def fail(self, expected: str, value: Any) -> ValidationError:
        shown = value if not isinstance(value, dict | list) else type(value).__name__
        return ValidationError(f"{self.where()}: expected {expected}, got {shown!r}",
                               field=self.where(), value=shown)

    def wrap(self, exc: ValidationError) -> ValidationError:
        issues = [type(i)(f"{self.where()}: {i.message}", entity=i.entity,
                          entity_id=i.entity_id,
                          field=f"{self.where()}.{i.field}" if i.field else self.where(),
                          value=i.value) for i in exc.issues]
        return ValidationError.collect(issues) if len(issues) > 1 else issues[0]

    def obj(self, data: Any, allowed: set[str] | None = None) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail("an object", data)
        if allowed is not None:
            extra = sorted(set(data) - allowed)
            if extra:
                with self.at(extra[0]):
                    raise ValidationError(f"{self.where()}: unknown field", field=self.where(),
                                          value=extra[0])
        return data

    def req(self, data: Mapping[str, Any], key: str) -> Any:
        if key not in data:
            with self.at(key):
                raise ValidationError(f"{self.where()}: required field is missing",
                                      field=self.where())
        return data[key]

    def lst(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail("an array", value)
        return value

    def string(self, value: Any, optional: bool = False) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail("a string", value)
        return value

    def integer(self, value: Any, optional: bool = False) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail("an integer", value)
        return value

    def mapping_of(self, value: Any, conv: Callable[[Any], Any]) -> dict[str, Any]:
        data = self.obj(value if value is not None else {})
        out = {}
        for key, item in data.items():
            with self.at(key):
                out[key] = conv(item)
        return out

    def field(self, data: Mapping[str, Any], key: str, conv: Callable[[Any], T],
              default: Any = ...) -> T:
        with self.at(key):
            if key not in data:
                if default is ...:
                    raise ValidationError(f"{self.where()}: required field is missing",
                                          field=self.where())
                return default
            return conv(data[key])

    def items(self, data: Mapping[str, Any], key: str, conv: Callable[[Any], T],
              required: bool = False) -> list[T]:
        with self.at(key):
            if key not in data:
                if required:
                    raise ValidationError(f"{self.where()}: required field is missing",
                                          field=self.where())
                return []
            out = []
            for k, item in enumerate(self.lst(data[key])):
                with self.at(k):
                    out.append(conv(item))
            return out


def scenario_from_dict(data: Any) -> Scenario:
    """Build a :class:`Scenario` from its JSON dict; errors name the JSON path.

    Reading is strict: an unknown key, a value of the wrong JSON type or a value
    the domain class rejects raises :class:`~fsdispatch.errors.ValidationError`
    naming the JSON path (the first problem found).
    """
    from ._convert import structure_scenario  # cattrs is imported on first use

    return structure_scenario(data)


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _decode_utf8(data: bytes, name: str, hint: str = "") -> str:
    """``data`` decoded as strict UTF-8 (a UTF-8 byte order mark is dropped).

    UTF-16/UTF-32 (by their byte order mark), NUL bytes (binary files, UTF-16
    without a mark) and invalid UTF-8 raise a ValidationError naming ``name``
    and the line; ``hint`` is appended to the message.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise ValidationError(f"{name}: the file is {encoding} text; expected UTF-8{hint}",
                                  field="encoding", value=encoding)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ValidationError(f"{name}: NUL byte at line {line} (a binary or UTF-16 file?); "
                              f"expected UTF-8 text{hint}", field="encoding", value=nul)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValidationError(f"{name}: not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at "
                              f"line {line}; expected UTF-8{hint}", field="encoding",
                              value=exc.start) from None
    return text[1:] if text.startswith("\ufeff") else text


def _read_text(path: Any, hint: str = "") -> str:
    """The strict UTF-8 text of the file ``path`` (see :func:`_decode_utf8`)."""
    file = _as_path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {str(file)!r}: {exc.strerror or exc}", field="path",
                              value=str(file)) from None
    return _decode_utf8(data, str(file), hint)


class _RepeatedKey(dict[str, Any]):
    """A parsed JSON object that gave ``key`` more than once."""

    key: str = ""


class _NonFinite:
    """Placeholder for a ``NaN``/``Infinity`` token (not JSON)."""

    def __init__(self, token: str) -> None:
        self.token = token


def _first_node(data: Any, kind: type) -> tuple[str, Any] | None:
    """JSON path and value of the first node of type ``kind`` (document order, no recursion)."""
    stack: list[tuple[str, Any]] = [("$", data)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, kind):
            return where, node
        if isinstance(node, dict):
            stack.extend((f"{where}.{k}", v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None


def _loads(text: str, name: str) -> Any:
    """Parse strict JSON: no repeated keys, no NaN/Infinity; errors name ``name``."""
    flagged: list[type] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            repeated = _RepeatedKey(obj)
            for key, _ in items:
                if key in seen:
                    repeated.key = key
                    break
                seen.add(key)
            flagged.append(_RepeatedKey)
            return repeated
        return obj

    def constant(token: str) -> _NonFinite:
        flagged.append(_NonFinite)
        return _NonFinite(token)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                              f"{exc.msg}", field="$", value=name) from None
    except RecursionError:
        raise ValidationError(f"{name}: invalid JSON: arrays/objects nested too deeply",
                              field="$", value=name) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        why = str(exc).split(";")[0]
        raise ValidationError(f"{name}: invalid JSON: {why}", field="$", value=name) from None
    if _RepeatedKey in flagged:
        found = _first_node(data, _RepeatedKey)
        assert found is not None
        where, obj = found
        where = f"{where}.{obj.key}"
        raise ValidationError(f"{name}: {where}: duplicate key {obj.key!r} (each key may appear "
                              "once in an object)", field=where, value=obj.key)
    if _NonFinite in flagged:
        found = _first_node(data, _NonFinite)
        assert found is not None
        raise ValidationError(f"{name}: {found[0]}: {found[1].token} is not valid JSON; "
                              "expected a finite number", field=found[0], value=found[1].token)
    return data


def _read_json(path: Any) -> Any:
    """Read and parse a JSON file strictly (see :func:`_loads`, :func:`_decode_utf8`)."""
    return _loads(_read_text(path), str(path))


def _load_with(path: str | Path, read: Any) -> Any:
    """``read(data)`` of a JSON file; a validation error is raised again naming the file."""
    data = _read_json(path)
    try:
        return read(data)
    except ValidationError as exc:
        raise type(exc)(f"{path}: {exc.message}", entity=exc.entity, entity_id=exc.entity_id,
                        field=exc.field, value=exc.value, issues=exc.issues
                        if len(exc.issues) > 1 else None) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file (errors name the file and the JSON path)."""
    return _load_with(path, scenario_from_dict)


# ------------------------------------------------------------------ maintenance
class MaintenanceBook(NamedTuple):
    """What a maintenance JSON file holds (unpack it: ``assets, plans, last_done = book``).

    Attributes
    ----------
    assets:
        The :class:`~fsdispatch.Asset` s.
    plans:
        Their :class:`~fsdispatch.MaintenancePlan` s.
    last_done:
        When each plan was last served: asset id (or ``"asset_id/name"`` of a named
        plan) -> timezone-aware datetime, as :func:`~fsdispatch.maintenance_tickets`
        takes it.
    """

    assets: list[Asset]
    plans: list[MaintenancePlan]
    last_done: dict[str, datetime]


def maintenance_to_dict(assets: Any, plans: Any,
                        last_done: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """The JSON-ready dict of assets, maintenance plans and last visits.

    Assets are written as in a scenario; a plan's ``every``, ``duration`` and
    ``tolerance`` are integer seconds, its ``priority`` ``"P1"``..``"P4"``, and
    ``last_done`` maps keys to ISO 8601 datetimes with a UTC offset. Inverse of
    :func:`maintenance_from_dict`.
    """
    from ._convert import unstructure_maintenance

    assets, plans = list(assets), list(plans)
    for k, asset in enumerate(assets):
        _expect(asset, Asset, "maintenance_to_dict", f"assets[{k}]")
    for k, plan in enumerate(plans):
        _expect(plan, MaintenancePlan, "maintenance_to_dict", f"plans[{k}]")
    for key, when in (last_done or {}).items():
        _expect(when, datetime, "maintenance_to_dict", f"last_done[{key!r}]")
    return unstructure_maintenance(assets, plans, last_done)


def save_maintenance(assets: Any, plans: Any, path: str | Path | None = None, *,
                     last_done: Mapping[str, datetime] | None = None,
                     indent: int | None = 1) -> str:
    """Write assets, maintenance plans and last visits as JSON to ``path`` (if given);
    return the text (see :func:`maintenance_to_dict`)."""
    return _dump(maintenance_to_dict(assets, plans, last_done), path, indent)


def maintenance_from_dict(data: Any) -> MaintenanceBook:
    """Assets, plans and last visits from a maintenance JSON dict.

    Reading is strict, as for scenarios: unknown keys, wrong JSON types and values
    the domain classes reject raise :class:`~fsdispatch.errors.ValidationError`
    naming the JSON path. Asset ids must be unique; when assets are given, every
    plan must name one, and every ``last_done`` key must be a plan's asset id or
    ``"asset_id/name"`` (:class:`~fsdispatch.errors.UnknownReferenceError`).
    """
    from ._convert import structure_maintenance

    return MaintenanceBook(*structure_maintenance(data))


def load_maintenance(path: str | Path) -> MaintenanceBook:
    """Read a maintenance JSON file (errors name the file and the JSON path)."""
    return _load_with(path, maintenance_from_dict)


# ------------------------------------------------------------------------ plans
def plan_to_dict(problem: Problem, plan: Plan, *, evaluation: Any = None,
                 solver: str | None = None) -> dict[str, Any]:
    """The JSON dict of a plan; with an evaluation, visit times and KPIs are added.

    Times and KPIs are informational: :func:`plan_from_dict` reads only the
    decisions (routes and unassigned tickets with reasons).
    """
    _expect(problem, Problem, "plan_to_dict", "problem")
    _expect(plan, Plan, "plan_to_dict", "plan")
    index = problem.index
    routes = []
    times_by_route: dict[int, list[dict[str, Any]]] = {}
    if evaluation is not None:
        from ..schedule import to_schedule

        sched = to_schedule(problem, plan, evaluation)
        for v in sched.visits:
            r = index.route_idx(v.technician_id, v.shift)
            times_by_route.setdefault(r, []).append({
                "ticket_id": v.ticket_id, "arrival": _dt(v.arrival), "start": _dt(v.start),
                "end": _dt(v.end), "wait": int(v.wait.total_seconds()),
                "window_late": int(v.window_late.total_seconds()),
                "sla_late": int(v.sla_late.total_seconds())})
    for r, route in enumerate(plan.routes):
        if not route:
            continue
        tech, shift = index.routes[r]
        entry: dict[str, Any] = {"technician_id": index.technician_ids[tech], "shift": shift,
                                 "tickets": [index.ticket_ids[j] for j in route]}
        stops = {index.ticket_ids[j]: index.depot_ids[plan.pickups[j]] for j in route
                 if j in plan.pickups and 0 <= plan.pickups[j] < problem.num_depots}
        if stops:
            entry["pickups"] = stops
        if r in times_by_route:
            entry["visits"] = times_by_route[r]
        routes.append(entry)
    out: dict[str, Any] = {
        "format": PLAN_FORMAT, "version": SCHEMA_VERSION, "scenario": problem.scenario.name,
        "mode": plan.mode, "routes": routes,
        "unassigned": [{"ticket_id": index.ticket_ids[j], "reason": reason.value}
                       for j, reason in sorted(plan.unassigned.items())
                       if 0 <= j < problem.num_tickets],
    }
    if solver is not None:
        out["solver"] = solver
    if evaluation is not None:
        out["objective"] = evaluation.objective
        out["feasible"] = evaluation.is_feasible
        out["kpis"] = evaluation.kpis.to_dict()
    return out


def save_plan(problem: Problem, plan: Plan, path: str | Path | None = None, *,
              evaluation: Any = None, solver: str | None = None,
              indent: int | None = 1) -> str:
    """Write a plan as JSON to ``path`` (if given) and return the text."""
    return _dump(plan_to_dict(problem, plan, evaluation=evaluation, solver=solver), path,
                 indent)


def plan_from_dict(problem: Problem, data: Any, *, strict: bool = False) -> Plan:
    """Read a plan's decisions from its JSON dict.

    Unknown ticket or technician ids are kept for the evaluator to report
    (``strict=False``) or raise :class:`~fsdispatch.errors.UnknownReferenceError`
    naming the JSON path (``strict=True``). Malformed JSON structure always raises,
    and so does a technician shift listed twice.
    """
    _expect(problem, Problem, "plan_from_dict", "problem")
    from ._convert import check_header

    rd = _Reader()
    top = rd.obj(data, {"format", "version", "scenario", "mode", "routes", "unassigned",
                        "solver", "objective", "feasible", "kpis"})
    check_header(top, PLAN_FORMAT)
    index = problem.index
    routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
    unknown: list[str] = []
    pickups: dict[int, int] = {}
    listed: dict[int, int] = {}  # route index -> position in $.routes
    with rd.at("routes"):
        for k, item in enumerate(rd.lst(rd.req(top, "routes"))):
            with rd.at(k):
                d = rd.obj(item, {"technician_id", "shift", "tickets", "visits", "pickups"})
                for ticket_id, depot_id in rd.field(
                        d, "pickups", lambda x: rd.mapping_of(x, rd.string), {}).items():
                    if index.has_ticket(ticket_id) and depot_id in index.depot_ids:
                        pickups[index.ticket_idx(ticket_id)] = index.depot_ids.index(depot_id)
                    elif strict:
                        with rd.at("pickups"):
                            raise rd.wrap(UnknownReferenceError(
                                f"unknown ticket or depot id in {ticket_id!r}: {depot_id!r}",
                                entity="Depot", entity_id=depot_id, field=None,
                                value=depot_id))
                    else:
                        unknown.append(depot_id if index.has_ticket(ticket_id) else ticket_id)
                tech_id = rd.field(d, "technician_id", rd.string)
                shift = rd.field(d, "shift", rd.integer, 0)
                ticket_ids = rd.items(d, "tickets", rd.string, required=True)
                try:
                    r = index.route_idx(tech_id, shift)
                except ValidationError as exc:
                    if strict:
                        raise rd.wrap(exc) from None
                    unknown.append(f"{tech_id}#{shift}")
                    continue
                if r in listed:
                    raise ValidationError(
                        f"{rd.where()}: technician {tech_id!r} shift {shift} is already listed "
                        f"at $.routes[{listed[r]}]; list each shift once",
                        entity="Technician", entity_id=tech_id, field=rd.where(), value=shift)
                listed[r] = k
                with rd.at("tickets"):
                    for pos, ticket_id in enumerate(ticket_ids):
                        if index.has_ticket(ticket_id):
                            routes[r].append(index.ticket_idx(ticket_id))
                        elif strict:
                            with rd.at(pos):
                                raise rd.wrap(UnknownReferenceError(
                                    f"unknown ticket id {ticket_id!r}", entity="Ticket",
                                    entity_id=ticket_id, field=None, value=ticket_id))
                        else:
                            unknown.append(ticket_id)
    unassigned: dict[int, UnassignedReason] = {}
    reasons = {r.value for r in UnassignedReason}

    def entry(v: Any) -> tuple[str, str]:
        d = rd.obj(v, {"ticket_id", "reason"})
        reason = rd.field(d, "reason", rd.string, UnassignedReason.OPEN.value)
        if reason not in reasons:
            with rd.at("reason"):
                raise rd.fail("one of " + ", ".join(sorted(reasons)), reason)
        return rd.field(d, "ticket_id", rd.string), reason

    for ticket_id, reason in rd.items(top, "unassigned", entry):
        if index.has_ticket(ticket_id):
            unassigned[index.ticket_idx(ticket_id)] = UnassignedReason(reason)
        elif strict:
            raise UnknownReferenceError(f"$.unassigned: unknown ticket id {ticket_id!r}",
                                        entity="Ticket", entity_id=ticket_id,
                                        field="$.unassigned", value=ticket_id)
        else:
            unknown.append(ticket_id)
    mode = rd.field(top, "mode", rd.string, "routing")
    if mode not in PLAN_MODES:
        with rd.at("mode"):
            raise rd.fail("'routing' or 'assignment'", mode)
    return Plan(routes=routes, unassigned=unassigned, unknown_ids=unknown, mode=mode,
                pickups=pickups)


def load_plan(problem: Problem, path: str | Path, *, strict: bool = False) -> Plan:
    """Read a plan JSON file for ``problem`` (see :func:`plan_from_dict`)."""
    _expect(problem, Problem, "load_plan", "problem")
    data = _read_json(path)
    try:
        return plan_from_dict(problem, data, strict=strict)
    except ValidationError as exc:
        raise type(exc)(f"{path}: {exc.message}", entity=exc.entity, entity_id=exc.entity_id,
                        field=exc.field, value=exc.value) from None


