"""The cattrs converter of the scenario JSON format (private; used by :mod:`.json_format`).

Field lists come from the attrs classes: reading and writing an object of a
domain class goes through functions that cattrs generates from
:func:`attrs.fields` (names, defaults, annotated types), so a field added to a
domain class is read and written without a change here. Hooks are written by
hand only where the JSON differs from the attribute:

* scalars are checked strictly (``true``/``false`` are not numbers, ``"5"`` is
  not an integer, an integral float is an integer), datetimes are ISO 8601
  strings with a UTC offset, priorities are ``"P1"``..``"P4"``, travel
  matrices are arrays of rows;
* a :class:`~fsdispatch.Location` is ``{"lat", "lon"}`` or ``{"x", "y"}``, a
  :class:`~fsdispatch.Break` spells its window's ``start``/``end`` inline, an
  :class:`~fsdispatch.SlaPolicy` lists ``{"priority", "tier", "response",
  "resolution"}`` objects, the travel model is tagged by ``"model"``, the
  scenario carries ``"format"``/``"version"``;
* ``null`` means the default for the travel model, the objective and the
  ``{key: value}`` mappings;
* technicians write ``end_location`` right after ``start_location`` and the
  scenario writes its settings before its technicians and tickets (the key
  order of format version 1).

cattrs collects every error of an object; the reader reports one, as
:class:`~fsdispatch.errors.ValidationError` naming the JSON path (an unknown
key first, then the fields in attrs order): :func:`structure_scenario`.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs
import numpy as np
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from ..domain import (
    Asset,
    Break,
    GeometricTravel,
    Location,
    MatrixTravel,
    Priority,
    Scenario,
    SlaPolicy,
    SlaTarget,
    SpeedProfile,
    Technician,
    Ticket,
    TimeDependentMatrix,
    TimeDependentTravel,
    TimeWindow,
    TravelModel,
)
from ..domain.asset import MaintenancePlan
from ..domain.objective import ObjectiveWeights
from ..errors import UnknownReferenceError, ValidationError
from .json_format import MAINTENANCE_FORMAT, SCENARIO_FORMAT, SCHEMA_VERSION

__all__ = [
    "CONVERTER",
    "HEADER_KEYS",
    "LEADING_KEYS",
    "NULL_MEANS_DEFAULT",
    "SLA_KEYS",
    "TRAVEL_MODELS",
    "WRITTEN_WHEN_SET",
    "check_header",
    "make_converter",
    "structure_maintenance",
    "structure_scenario",
    "unstructure_maintenance",
    "unstructure_scenario",
]

HEADER_KEYS = ("format", "version")
"""Keys of a JSON document that are not attributes of its class."""

TRAVEL_MODELS: dict[str, type[Any]] = {
    "geometric": GeometricTravel, "matrix": MatrixTravel,
    "time_dependent": TimeDependentTravel, "time_dependent_matrix": TimeDependentMatrix}
"""The ``"model"`` tag of each travel model (the first is the default)."""

LEADING_KEYS: dict[type, tuple[str, ...]] = {
    Technician: ("id", "start_location", "end_location"),
    Scenario: (*HEADER_KEYS, "name", "horizon", "travel", "skills", "parts", "depots",
               "category_parts", "sla_policy", "objective"),
}
"""Keys written first, in this order, for classes whose JSON key order is not the attrs
order; the other attributes follow in attrs order."""

WRITTEN_WHEN_SET: dict[type, frozenset[str]] = {
    Scenario: frozenset({"assets", "cost_rates"}),
    Technician: frozenset({"territories", "team", "certifications", "max_weekly_work",
                           "weekly_overtime_after", "week_work_done"}),
    Ticket: frozenset({"asset_id", "territory", "crew_size"}),
    ObjectiveWeights: frozenset({"out_of_territory"}),
}
"""Optional keys added to format version 1 after its first release (issue #19): written
only when they differ from their default, so that a scenario not using them is written
byte for byte as before and stays readable by earlier readers (which reject unknown
keys). They are always read."""

NULL_MEANS_DEFAULT: frozenset[type] = frozenset({ObjectiveWeights})
"""Classes read as their default from ``null`` (so is the travel model)."""

SLA_KEYS = ("priority", "tier")
"""Keys of an SLA target entry that are not :class:`~fsdispatch.SlaTarget` attributes."""


# ------------------------------------------------------------------------ errors
class _Problem(Exception):
    """A rejected JSON value; :func:`_as_validation_error` adds the JSON path."""

    def __init__(self, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value


class _At(Exception):
    """``error`` happened at ``key`` (an object key or an array index) of the current value."""

    def __init__(self, key: str | int, error: BaseException) -> None:
        super().__init__(key)
        self.key = key
        self.error = error


def _expected(what: str, value: Any) -> _Problem:
    shown = value if not isinstance(value, dict | list) else type(value).__name__
    return _Problem(f"expected {what}, got {shown!r}", shown)


def _segment(key: Any) -> str:
    return f"[{key}]" if isinstance(key, int) else f".{key}"


def _note_key(exc: BaseException) -> str | int | None:
    """The attribute name or index cattrs noted on ``exc`` (``None`` if none)."""
    for note in reversed(getattr(exc, "__notes__", ())):
        if isinstance(note, AttributeValidationNote):
            return note.name
        if isinstance(note, IterableValidationNote):
            return note.index
    return None


def _locate(exc: BaseException) -> tuple[BaseException, str, bool]:
    """The error to report inside ``exc``, its JSON path and whether its key was noted.

    Inside a cattrs error group an unknown key comes first (the reader checked keys
    before values), then the first error in attrs order.
    """
    path, noted = "$", False
    while True:
        if isinstance(exc, _At):
            path, noted, exc = path + _segment(exc.key), True, exc.error
        elif isinstance(exc, BaseValidationError):
            inner = exc.exceptions
            exc = next((e for e in inner if isinstance(e, ForbiddenExtraKeysError)), inner[0])
            key = _note_key(exc)
            noted = key is not None
            if noted:
                path += _segment(key)
        else:
            return exc, path, noted


def _wrap(exc: ValidationError, where: str) -> ValidationError:
    """A domain error raised building the object at ``where``, with that path prefixed."""
    issues = [type(i)(f"{where}: {i.message}", entity=i.entity, entity_id=i.entity_id,
                      field=f"{where}.{i.field}" if i.field else where, value=i.value)
              for i in exc.issues]
    return ValidationError.collect(issues) if len(issues) > 1 else issues[0]


_ENTITY_LISTS = {"Technician": "technicians", "Ticket": "tickets", "Depot": "depots"}


def _scenario_paths(exc: ValidationError, data: Mapping[str, Any]) -> ValidationError:
    """The cross-reference issues of a Scenario, each under its entity's JSON path."""
    where = {key: {item.get("id"): k for k, item in enumerate(data.get(key, ()))}
             for key in _ENTITY_LISTS.values()}
    issues = []
    for issue in exc.issues:
        prefix = "$"
        key = _ENTITY_LISTS.get(issue.entity or "")
        if key is not None and issue.entity_id in where[key]:
            prefix = f"$.{key}[{where[key][issue.entity_id]}]"
        field = f"{prefix}.{issue.field}" if issue.field else prefix
        issues.append(type(issue)(f"{field}: {issue.message}", entity=issue.entity,
                                  entity_id=issue.entity_id, field=field, value=issue.value))
    return ValidationError.collect(issues)


def _as_validation_error(exc: BaseException, data: Any = None) -> BaseException:
    """The :class:`ValidationError` to raise for ``exc``.

    An unexpected error (not bad data: a bug) is returned itself, with a note naming
    the JSON path being read.
    """
    leaf, path, noted = _locate(exc)
    if isinstance(leaf, _Problem):
        return ValidationError(f"{path}: {leaf.message}", field=path, value=leaf.value)
    if isinstance(leaf, ForbiddenExtraKeysError):
        key = sorted(leaf.extra_fields)[0]
        path += _segment(key)
        return ValidationError(f"{path}: unknown field", field=path, value=key)
    if isinstance(leaf, KeyError) and noted:
        return ValidationError(f"{path}: required field is missing", field=path)
    if isinstance(leaf, ValidationError):
        if path == "$" and isinstance(data, Mapping):
            return _scenario_paths(leaf, data)
        return _wrap(leaf, path)
    if isinstance(leaf, TypeError | ValueError):
        return ValidationError(f"{path}: {leaf}", field=path)
    leaf.add_note(f"raised while reading {path} of the scenario JSON")
    return leaf


# ------------------------------------------------------------------ JSON values
def _string(value: Any, _: Any = None) -> str:
    if not isinstance(value, str):
        raise _expected("a string", value)
    return value


def _number(value: Any, _: Any = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not math.isfinite(value)):
        raise _expected("a number", value)
    return value


def _integer(value: Any, _: Any = None) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expected("an integer", value)
    return value


def _datetime(value: Any, _: Any = None) -> datetime:
    if not isinstance(value, str):
        raise _expected("an ISO 8601 datetime string", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _expected("an ISO 8601 datetime string", value) from None
    if parsed.tzinfo is None:
        raise _expected("a datetime with a UTC offset (e.g. +01:00)", value)
    return parsed


def _priority(value: Any, _: Any = None) -> Priority:
    try:
        return Priority.parse(value)
    except ValueError:
        raise _expected("a priority 'P1'..'P4'", value) from None


def _array(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _expected("an array", value)
    return value


def _object(value: Any, allowed: Any = None) -> Mapping[str, Any]:
    """``value`` if it is a JSON object whose keys are all in ``allowed`` (if given)."""
    if not isinstance(value, Mapping):
        raise _expected("an object", value)
    if allowed is not None and not allowed.issuperset(value):
        extra = sorted(set(value) - set(allowed))[0]
        raise _At(extra, _Problem("unknown field", extra))
    return value


def _matrix(value: Any, _: Any = None) -> list[list[Any]]:
    """Rows of finite numbers (a MatrixTravel checks the shape)."""
    rows = _array(value)
    for i, row in enumerate(rows):
        if type(row) is list and all(type(c) is int or (type(c) is float and math.isfinite(c))
                                     for c in row):
            continue  # the common case, checked without building paths
        try:
            for j, cell in enumerate(_array(row)):
                try:
                    _number(cell)
                except _Problem as exc:
                    raise _At(j, exc) from None
        except (_Problem, _At) as exc:
            raise _At(i, exc) from None
    return rows


def _field(data: Mapping[str, Any], key: str, hook: Callable[[Any], Any]) -> Any:
    """``hook(data[key])``; errors (and a missing key) are reported at ``key``."""
    if key not in data:
        raise _At(key, _Problem("required field is missing"))
    try:
        return hook(data[key])
    except Exception as exc:
        raise _At(key, exc) from None


# --------------------------------------------------------------------- converter
def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return (get_origin(t) in (Union, types.UnionType) and len(args) == 2
            and type(None) in args)


def _is_array(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_mapping(t: Any) -> bool:
    return get_origin(t) in (Mapping, dict)


def _structure_hook(c: cattrs.Converter, t: Any) -> Callable[[Any, Any], Any]:
    """The hook ``c`` structures ``t`` with (cattrs < 24.1 has no public getter)."""
    if hasattr(c, "get_structure_hook"):
        return c.get_structure_hook(t)
    dispatch: Any = c._structure_func.dispatch  # noqa: SLF001 - cattrs < 24.1
    return dispatch(t)


def _unstructure_hook(c: cattrs.Converter, t: Any) -> Callable[[Any], Any]:
    """The hook ``c`` unstructures ``t`` with (cattrs < 24.1 has no public getter)."""
    if hasattr(c, "get_unstructure_hook"):
        return c.get_unstructure_hook(t)
    dispatch: Any = c._unstructure_func.dispatch  # noqa: SLF001 - cattrs < 24.1
    return dispatch(t)


_WINDOW_KEYS = frozenset(a.name for a in attrs.fields(TimeWindow))
_BREAK_REST = [a for a in attrs.fields(attrs.resolve_types(Break)) if a.name != "window"]
_BREAK_KEYS = _WINDOW_KEYS | {a.name for a in _BREAK_REST}
_TARGET_KEYS = frozenset(a.name for a in attrs.fields(SlaTarget))


class _Hooks:
    """The hook factories of one converter (they look up hooks of nested types in it)."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self.c = converter

    # reading
    def optional(self, t: Any) -> Callable[[Any, Any], Any]:
        inner = next(a for a in get_args(t) if a is not type(None))
        hook = _structure_hook(self.c, inner)
        return lambda value, _: None if value is None else hook(value, inner)

    def array(self, t: Any) -> Callable[[Any, Any], list[Any]]:
        item = get_args(t)[0]
        hook = _structure_hook(self.c, item)

        def structure(value: Any, _: Any) -> list[Any]:
            out = []
            for k, each in enumerate(_array(value)):
                try:
                    out.append(hook(each, item))
                except Exception as exc:
                    raise _At(k, exc) from None
            return out
        return structure

    def mapping(self, t: Any) -> Callable[[Any, Any], dict[Any, Any]]:
        key_type, item = get_args(t)
        hook = _structure_hook(self.c, item)

        def structure(value: Any, _: Any) -> dict[Any, Any]:
            out = {}
            for key, each in _object({} if value is None else value).items():
                try:
                    out[key] = hook(each, item)
                except Exception as exc:
                    raise _At(key, exc) from None
            if key_type is Priority:  # a bad priority is reported at the mapping
                return {_priority(key): weight for key, weight in out.items()}
            return out
        return structure

    def attrs_class(self, cl: type) -> Callable[[Any, Any], Any]:
        generated: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cl, self.c, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True)
        if cl is Scenario:
            allowed = frozenset(a.name for a in attrs.fields(Scenario)) | set(HEADER_KEYS)

            def scenario(value: Any, _: Any) -> Any:
                data = _object(value, allowed)
                check_header(data, SCENARIO_FORMAT, raw=True)
                return generated({k: v for k, v in data.items() if k not in HEADER_KEYS}, cl)
            return scenario
        default: Any = cl if cl in NULL_MEANS_DEFAULT else None

        def structure(value: Any, _: Any) -> Any:
            if value is None and default is not None:
                return default()
            return generated(_object(value), cl)
        return structure

    def travel(self, t: Any) -> Callable[[Any, Any], Any]:
        first = next(iter(TRAVEL_MODELS))
        names = " or ".join(repr(name) for name in TRAVEL_MODELS)

        def structure(value: Any, _: Any) -> Any:
            if value is None:
                return TRAVEL_MODELS[first]()
            data = _object(value)
            model = _field(data, "model", _string) if "model" in data else first
            if model not in TRAVEL_MODELS:
                raise _At("model", _expected(names, model))
            cl = TRAVEL_MODELS[model]
            if cl is TimeDependentTravel:
                data = _object(data, {"model", "base", "profile"})
                base = _field(data, "base", lambda v: structure(v, None))
                if not isinstance(base, GeometricTravel | MatrixTravel):
                    raise _At("base", _expected("a 'geometric' or 'matrix' model",
                                                getattr(base, "kind", base)))
                profile = _field(data, "profile", _speed_profile)
                return TimeDependentTravel(base, profile)
            if cl is TimeDependentMatrix:
                data = _object(data, {"model", "periods"})
                return TimeDependentMatrix(_field(data, "periods", self._periods))
            return self.c.structure({k: v for k, v in data.items() if k != "model"}, cl)
        return structure

    def _periods(self, value: Any) -> list[tuple[str, MatrixTravel]]:
        """``[{"time": "07:00", "matrix": {location_ids, durations, distances}}, ...]``."""
        if not isinstance(value, list):
            raise _expected("an array", value)
        out = []
        for k, item in enumerate(value):
            try:
                data = _object(item, {"time", "matrix"})
                when = _field(data, "time", _string)
                matrix = _field(data, "matrix", partial(self.c.structure, cl=MatrixTravel))
            except Exception as exc:
                raise _At(k, exc) from None
            out.append((when, matrix))
        return out

    def structure_break(self, value: Any, _: Any) -> Break:
        """A break spells its window's attributes inline: ``{"start", "end", "duration"}``."""
        data = _object(value, _BREAK_KEYS)
        window = self.c.structure({k: v for k, v in data.items() if k in _WINDOW_KEYS},
                                  TimeWindow)
        rest = {a.name: _field(data, a.name, partial(self.c.structure, cl=a.type or Any))
                for a in _BREAK_REST if a.name in data or a.default is attrs.NOTHING}
        return Break(window=window, **rest)

    def sla_target(self, value: Any) -> SlaTarget:
        data = _object(value, _TARGET_KEYS | set(SLA_KEYS))
        return self.c.structure({k: v for k, v in data.items() if k not in SLA_KEYS},
                                SlaTarget)

    def structure_policy(self, value: Any, _: Any) -> SlaPolicy:
        """``{"targets": [{"priority", "tier", "response", "resolution"}], "default"}``.

        A (priority, tier) pair listed twice keeps the last target, as before.
        """
        data = _object(value, frozenset(a.name for a in attrs.fields(SlaPolicy)))
        targets = {}
        try:
            for k, item in enumerate(_array(data.get("targets", []))):
                try:
                    entry = _object(item, _TARGET_KEYS | set(SLA_KEYS))
                    key = (_field(entry, "priority", _priority),
                           _field(entry, "tier", _string) if "tier" in entry else "*")
                    targets[key] = self.sla_target(entry)
                except Exception as exc:
                    raise _At(k, exc) from None
        except Exception as exc:
            raise _At("targets", exc) from None
        default = _field(data, "default", lambda v: None if v is None else self.sla_target(v)) \
            if "default" in data else None
        return SlaPolicy(targets=targets, default=default)

    # writing
    def unstructure_optional(self, t: Any) -> Callable[[Any], Any]:
        inner = next(a for a in get_args(t) if a is not type(None))
        hook = _unstructure_hook(self.c, inner)
        return lambda value: None if value is None else hook(value)

    def unstructure_array(self, t: Any) -> Callable[[Any], list[Any]]:
        hook = _unstructure_hook(self.c, get_args(t)[0])
        if hook is identity:
            return list
        return lambda value: [hook(each) for each in value]

    def unstructure_mapping(self, t: Any) -> Callable[[Any], dict[Any, Any]]:
        key_type, item = get_args(t)
        key_hook = _unstructure_hook(self.c, key_type)
        hook = _unstructure_hook(self.c, item)
        if key_hook is identity and hook is identity:
            return dict
        return lambda value: {key_hook(k): hook(v) for k, v in value.items()}

    def unstructure_attrs_class(self, cl: type) -> Callable[[Any], dict[str, Any]]:
        generated: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cl, self.c)
        when_set = WRITTEN_WHEN_SET.get(cl)
        if when_set:
            generated = _without_defaults(generated, cl, when_set)
        leading = LEADING_KEYS.get(cl)
        if leading is None:
            return generated
        header = {"format": SCENARIO_FORMAT, "version": SCHEMA_VERSION} if cl is Scenario else {}

        def unstructure(value: Any) -> dict[str, Any]:
            data = {**header, **generated(value)}
            return {**{k: data[k] for k in leading if k in data}, **data}
        return unstructure

    def unstructure_break(self, brk: Break) -> dict[str, Any]:
        return {**self.c.unstructure(brk.window, TimeWindow),
                **{a.name: self.c.unstructure(getattr(brk, a.name), a.type)
                   for a in _BREAK_REST}}

    def unstructure_policy(self, policy: SlaPolicy) -> dict[str, Any]:
        def target(value: SlaTarget) -> dict[str, Any]:
            return self.c.unstructure(value, SlaTarget)

        return {"targets": [{"priority": prio.name, "tier": tier, **target(value)}
                            for (prio, tier), value in policy.targets.items()],
                "default": None if policy.default is None else target(policy.default)}

    def unstructure_travel(self, value: Any) -> dict[str, Any]:
        if isinstance(value, TimeDependentTravel):
            return {"model": value.kind, "base": self.unstructure_travel(value.base),
                    "profile": _profile_json(value.profile)}
        if isinstance(value, TimeDependentMatrix):
            return {"model": value.kind, "periods": [
                {"time": _clock(t), "matrix": self.c.unstructure(m, MatrixTravel)}
                for t, m in value.periods]}
        return {"model": value.kind, **self.c.unstructure(value, type(value))}


def _clock(t: Any) -> str:
    """A time of day as ``"HH:MM"`` (``"HH:MM:SS"`` with seconds)."""
    return t.strftime("%H:%M") if not t.second and not t.microsecond else t.isoformat()


def _pairs_json(pairs: Any) -> list[dict[str, Any]]:
    return [{"time": _clock(t), "factor": f} for t, f in pairs]


def _profile_json(profile: SpeedProfile) -> dict[str, Any]:
    out: dict[str, Any] = {"breakpoints": _pairs_json(profile.breakpoints)}
    if profile.weekdays:
        names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        out["weekdays"] = [{"day": names[d], "breakpoints": _pairs_json(p)}
                           for d, p in profile.weekdays]
    return out


def _speed_profile(value: Any) -> SpeedProfile:
    """``{"breakpoints": [{"time": "07:00", "factor": 0.5}, ...], "weekdays": [{"day":
    "saturday", "breakpoints": [...]}, ...]}``."""
    data = _object(value, {"breakpoints", "weekdays"})
    days = data.get("weekdays")
    if isinstance(days, list):
        pairs = []
        for k, item in enumerate(days):
            try:
                one = _object(item, {"day", "breakpoints"})
                pairs.append((_field(one, "day", _string), _field(one, "breakpoints",
                                                                  lambda v: v)))
            except Exception as exc:
                raise _At("weekdays", _At(k, exc)) from None
        days = dict(pairs)
    return SpeedProfile(_field(data, "breakpoints", lambda v: v), weekdays=days)


def _without_defaults(generated: Callable[[Any], dict[str, Any]], cl: type,
                      names: frozenset[str]) -> Callable[[Any], dict[str, Any]]:
    """``generated`` leaving out the attributes ``names`` that hold their default."""
    defaults: dict[str, Any] = {}
    for a in attrs.fields(cl):
        if a.name in names:
            factory = getattr(a.default, "factory", None)
            defaults[a.name] = factory() if callable(factory) else a.default

    def unstructure(value: Any) -> dict[str, Any]:
        data = generated(value)
        for name, default in defaults.items():
            if getattr(value, name) == default:
                data.pop(name, None)
        return data
    return unstructure


def _structure_location(value: Any, _: Any = None) -> Location:
    """``{"lat", "lon"}`` (geographic) or ``{"x", "y"}`` (planar), with an optional ``"id"``."""
    data = _object(value, _LOCATION_KEYS)
    loc_id = _field(data, "id", lambda v: None if v is None else _string(v)) \
        if "id" in data else None
    geographic = "lat" in data or "lon" in data
    if geographic and ("x" in data or "y" in data):
        given = [k for k in ("lat", "lon", "x", "y") if k in data]
        raise _Problem("a location gives either lat/lon (geographic) or x/y (planar), not "
                       f"both; got {', '.join(given)}", given)
    if geographic:
        lat, lon = _field(data, "lat", _number), _field(data, "lon", _number)
        return Location(x=lon, y=lat, geographic=True, id=loc_id)
    return Location(x=_field(data, "x", _number), y=_field(data, "y", _number),
                    geographic=False, id=loc_id)


def _unstructure_location(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = ({"lat": loc.lat, "lon": loc.lon} if loc.geographic
                           else {"x": loc.x, "y": loc.y})
    if loc.id is not None:
        out["id"] = loc.id
    return out


_LOCATION_KEYS = frozenset({"lat", "lon", "x", "y", "id"})


def make_converter() -> cattrs.Converter:
    """A new cattrs converter of the scenario JSON format (see the module docstring)."""
    c = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    h = _Hooks(c)
    for cl, hook in ((str, _string), (float, _number), (int, _integer), (datetime, _datetime),
                     (Priority, _priority), (np.ndarray, _matrix),
                     (Location, _structure_location), (Break, h.structure_break),
                     (SlaPolicy, h.structure_policy)):
        c.register_structure_hook(cl, hook)
    c.register_structure_hook_func(lambda t: get_origin(t) is Literal, _string)
    c.register_structure_hook_factory(attrs.has, h.attrs_class)
    c.register_structure_hook_factory(_is_array, h.array)
    c.register_structure_hook_factory(_is_mapping, h.mapping)
    c.register_structure_hook_factory(_is_optional, h.optional)
    c.register_structure_hook_factory(lambda t: t == TravelModel, h.travel)

    for cl, write in ((datetime, datetime.isoformat), (Priority, _priority_name),
                      (np.ndarray, _rows), (Location, _unstructure_location),
                      (Break, h.unstructure_break), (SlaPolicy, h.unstructure_policy)):
        c.register_unstructure_hook(cl, write)
    c.register_unstructure_hook_factory(attrs.has, h.unstructure_attrs_class)
    c.register_unstructure_hook_factory(_is_array, h.unstructure_array)
    c.register_unstructure_hook_factory(_is_mapping, h.unstructure_mapping)
    c.register_unstructure_hook_factory(_is_optional, h.unstructure_optional)
    c.register_unstructure_hook_func(lambda t: t == TravelModel, h.unstructure_travel)
    return c


def _priority_name(priority: Priority) -> str:
    return priority.name


def _rows(matrix: np.ndarray) -> list[Any]:
    return matrix.tolist()


def check_header(data: Mapping[str, Any], fmt: str, *, raw: bool = False) -> None:
    """Check the ``"format"`` and ``"version"`` of a JSON document (both optional).

    Raises :class:`~fsdispatch.errors.ValidationError` naming ``$.format`` or
    ``$.version`` (with ``raw=True``, the converter's internal error).
    """
    try:
        got = _field(data, "format", _string) if "format" in data else fmt
        if got != fmt:
            raise _At("format", _expected(repr(fmt), got))
        version = _field(data, "version", _integer) if "version" in data else SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            raise _At("version", _expected(f"version {SCHEMA_VERSION} (this fsdispatch reads "
                                           "only that)", version))
    except _At as exc:
        if raw:
            raise
        raise _as_validation_error(exc) from None


CONVERTER = make_converter()
"""The converter of :func:`structure_scenario` and :func:`unstructure_scenario`."""


def unstructure_scenario(scenario: Scenario) -> dict[str, Any]:
    """The JSON-ready dict of a scenario (format version 1)."""
    return CONVERTER.unstructure(scenario, Scenario)


def structure_scenario(data: Any) -> Scenario:
    """A scenario from its JSON dict; errors are ValidationErrors naming the JSON path."""
    try:
        return CONVERTER.structure(data, Scenario)
    except Exception as exc:
        error = _as_validation_error(exc, data)
        if isinstance(error, ValidationError):
            raise error from None
        raise error from exc  # a bug, not bad data: its own type, noted with the path


# ------------------------------------------------------------ maintenance files
MAINTENANCE_KEYS = (*HEADER_KEYS, "assets", "plans", "last_done")
"""Keys of a maintenance document, in the order they are written."""


def unstructure_maintenance(assets: Any, plans: Any,
                            last_done: Mapping[str, datetime] | None) -> dict[str, Any]:
    """The JSON-ready dict of assets, maintenance plans and last visits (format version 1)."""
    return {"format": MAINTENANCE_FORMAT, "version": SCHEMA_VERSION,
            "assets": [CONVERTER.unstructure(a, Asset) for a in assets],
            "plans": [CONVERTER.unstructure(p, MaintenancePlan) for p in plans],
            "last_done": {k: v.isoformat() for k, v in (last_done or {}).items()}}


def _maintenance_parts(data: Any) -> tuple[list[Asset], list[MaintenancePlan],
                                           dict[str, datetime]]:
    doc = _object(data, frozenset(MAINTENANCE_KEYS))
    check_header(doc, MAINTENANCE_FORMAT, raw=True)
    assets = _field(doc, "assets", partial(CONVERTER.structure, cl=tuple[Asset, ...])) \
        if "assets" in doc else []
    plans = _field(doc, "plans", partial(CONVERTER.structure, cl=tuple[MaintenancePlan, ...]))
    last_done = _field(doc, "last_done", partial(CONVERTER.structure,
                                                 cl=dict[str, datetime])) \
        if "last_done" in doc else {}
    return list(assets), list(plans), dict(last_done)


def _check_maintenance_refs(assets: list[Asset], plans: list[MaintenancePlan],
                            last_done: Mapping[str, datetime]) -> None:
    """Asset ids unique, plans naming known assets, ``last_done`` keys naming a plan's
    asset or ``asset/name``: the first problem as an error naming its JSON path."""
    ids: dict[str, int] = {}
    for k, asset in enumerate(assets):
        if asset.id in ids:
            path = f"$.assets[{k}].id"
            raise ValidationError(f"{path}: Asset {asset.id!r}: id must be unique (also "
                                  f"$.assets[{ids[asset.id]}])", entity="Asset",
                                  entity_id=asset.id, field=path, value=asset.id)
        ids[asset.id] = k
    labels: set[str] = set()
    for k, plan in enumerate(plans):
        labels.update((plan.asset_id, plan.label))
        if assets and plan.asset_id not in ids:
            path = f"$.plans[{k}].asset_id"
            raise UnknownReferenceError(f"{path}: MaintenancePlan {plan.label!r} references "
                                        f"unknown asset {plan.asset_id!r}",
                                        entity="MaintenancePlan", entity_id=plan.label,
                                        field=path, value=plan.asset_id)
    for key in last_done:
        if key not in labels:
            path = f"$.last_done.{key}"
            raise UnknownReferenceError(f"{path}: names no plan (expected an asset id or "
                                        f"'asset_id/name' of a plan)", entity="last_done",
                                        entity_id=key, field=path, value=key)


def structure_maintenance(data: Any) -> tuple[list[Asset], list[MaintenancePlan],
                                              dict[str, datetime]]:
    """Assets, plans and last visits from a maintenance JSON dict; errors are
    ValidationErrors naming the JSON path."""
    try:
        assets, plans, last_done = _maintenance_parts(data)
    except Exception as exc:
        error = _as_validation_error(exc)
        if isinstance(error, ValidationError):
            raise error from None
        raise error from exc  # a bug, not bad data
    _check_maintenance_refs(assets, plans, last_done)
    return assets, plans, last_done
