"""``fsdispatch simulate CONFIG [--policy ...] [--seeds N] [--out results.csv]``.

The command itself lives here so ``fsdispatch.cli`` only wires it in
(:func:`add_parser`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs

from ..errors import FsdispatchError, ValidationError
from .models import DemandModel, ServiceModel, SimConfig
from .parts import PartsModel, VanStockPolicy

T = TypeVar("T")

__all__ = ["add_parser", "config_from_dict", "load_config", "load_experiment", "run"]


def _fail(entity: str, where: str, value: Any, expected: str) -> ValidationError:
    shown = type(value).__name__ if len(repr(value)) > 60 else value
    return ValidationError.for_field(entity, None, where, shown, expected)


def _split_top(inner: str) -> list[str]:
    """``"str,tuple[float,float]"`` -> ``["str", "tuple[float,float]"]`` (top-level commas)."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(inner):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(inner[start:k])
            start = k + 1
    parts.append(inner[start:])
    return parts


def _conform(entity: str, where: str, value: Any, annotation: str) -> Any:
    """Check a JSON value against a field annotation (as attrs stores it) and convert it.

    Handles ``int``, ``float``, ``bool``, ``str``, ``datetime``, ``X | None``,
    ``tuple[X, ...]``, ``tuple[X, Y]`` and ``Mapping[str, X]`` (lists become
    tuples); other annotations are left to the class. ``true``/``false`` are
    not numbers.
    """
    ann = annotation.replace(" ", "")
    if ann.endswith("|None"):
        if value is None:
            return None
        ann = ann.removesuffix("|None")
    if ann == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(entity, where, value, "must be an integer")
        return value
    if ann == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise _fail(entity, where, value, "must be a number")
        return value
    if ann == "bool":
        if not isinstance(value, bool):
            raise _fail(entity, where, value, "must be true or false")
        return value
    if ann == "str":
        if not isinstance(value, str):
            raise _fail(entity, where, value, "must be a string")
        return value
    if ann == "datetime":
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise _fail(entity, where, value,
                        "must be an ISO 8601 datetime with a UTC offset (e.g. +01:00)")
        return parsed
    if ann.startswith("tuple[") and ann.endswith("]"):
        items = _split_top(ann[6:-1])
        if not isinstance(value, list | tuple):
            raise _fail(entity, where, value, "must be an array")
        if len(items) == 2 and items[1] == "...":
            return tuple(_conform(entity, f"{where}[{k}]", v, items[0])
                         for k, v in enumerate(value))
        if len(value) != len(items):
            raise _fail(entity, where, list(value), f"must be an array of {len(items)} items")
        return tuple(_conform(entity, f"{where}[{k}]", v, a)
                     for k, (v, a) in enumerate(zip(value, items, strict=True)))
    if ann.startswith("Mapping[str,") and ann.endswith("]"):
        if not isinstance(value, Mapping):
            raise _fail(entity, where, value, "must be an object")
        inner = ann[len("Mapping[str,"):-1]
        return {k: _conform(entity, f"{where}[{k!r}]", v, inner) for k, v in value.items()}
    return value


def _section(cls: type, data: Any, where: str) -> dict[str, Any]:
    """``data`` (an object) checked key by key against the attrs fields of ``cls``."""
    name = cls.__name__
    if not isinstance(data, Mapping):
        raise _fail(name, where, data, "must be an object")
    fields = {f.name: f for f in attrs.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValidationError.for_field(name, None, f"{where} keys" if where else "keys",
                                        unknown, f"must be among {sorted(fields)}")
    out = {}
    for key, value in data.items():
        annotation = fields[key].type
        out[key] = _conform(name, f"{where}.{key}" if where else key, value,
                            annotation if isinstance(annotation, str) else "")
    return out


def _build(cls: type[T], kwargs: Mapping[str, Any]) -> T:
    """``cls(**kwargs)``; a TypeError/ValueError becomes a ValidationError naming the class."""
    try:
        return cls(**kwargs)
    except FsdispatchError:
        raise
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{cls.__name__}: {exc}", entity=cls.__name__) from None


def _van_stock(data: Any, where: str = "van_stock") -> VanStockPolicy:
    if isinstance(data, Mapping) and "levels" in data:
        return _build(VanStockPolicy, _section(VanStockPolicy, data, where))
    levels = _conform("VanStockPolicy", where, data, "Mapping[str, int]")
    return _build(VanStockPolicy, {"levels": levels})


def config_from_dict(data: Mapping[str, Any]) -> SimConfig:
    """A :class:`SimConfig` from a dict (``demand`` and ``service`` are nested dicts).

    Example: ``{"num_technicians": 20, "days": 5, "demand": {"tickets_per_day": 90},
    "service": {"p_ftf_fail": 0.1}}``. Parts: ``"parts": {"needs": {"repair":
    {"valve": 0.3}}, "unit_cost": {"valve": 40}}`` and ``"van_stock": {"levels":
    {"valve": 2}, "name": "two"}`` (or a plain levels dict; a list of them is
    an experiment over van stock policies, see :func:`load_experiment`: the
    config keeps the first). ``start`` is an ISO 8601 datetime with a UTC
    offset. Unknown keys and values of the wrong type (``true`` where a number
    is expected, a string for a list…) raise ValidationError naming them.
    """
    if not isinstance(data, Mapping):
        raise _fail("SimConfig", "config", data, "must be a JSON object")
    data = dict(data)
    if isinstance(data.get("van_stock"), list):
        data["van_stock"] = data["van_stock"][0] if data["van_stock"] else None
    sections = {"demand": DemandModel, "service": ServiceModel, "parts": PartsModel}
    kwargs = _section(SimConfig, {k: v for k, v in data.items()
                                  if k not in sections and k != "van_stock"}, "")
    for key, cls in sections.items():
        if key in data and not (key == "parts" and data[key] is None):
            kwargs[key] = _build(cls, _section(cls, data[key], key))
    if data.get("van_stock") is not None:
        kwargs["van_stock"] = _van_stock(data["van_stock"])
    return _build(SimConfig, kwargs)


def _read_config(path: str | Path) -> Any:
    from ..io.json_format import _read_json

    return _read_json(path)


def load_config(path: str | Path) -> SimConfig:
    """Read a JSON simulation config (see :func:`config_from_dict`).

    The file is read like a scenario (strict UTF-8, no repeated keys); every
    error is a :class:`~fsdispatch.errors.ValidationError` naming the file.
    """
    return _with_file(path, lambda: config_from_dict(_read_config(path)))


def _with_file(path: str | Path, read: Callable[[], T]) -> T:
    try:
        return read()
    except ValidationError as exc:
        if str(path) in exc.message:
            raise
        raise type(exc)(f"{path}: {exc.message}", entity=exc.entity, entity_id=exc.entity_id,
                        field=exc.field, value=exc.value) from None


def load_experiment(path: str | Path) -> tuple[SimConfig, list[VanStockPolicy] | None]:
    """Read a JSON config and its van stock policies to compare.

    ``"van_stock"`` may be a list of policies (``{"levels": ..., "name": ...}``
    or plain levels dicts); they are returned in order (``None`` when it is a
    single policy or absent), for ``run_experiment(..., van_stock=...)``.
    """

    def read() -> tuple[SimConfig, list[VanStockPolicy] | None]:
        data = _read_config(path)
        config = config_from_dict(data)
        stocks = data.get("van_stock") if isinstance(data, dict) else None
        if isinstance(stocks, list):
            return config, [_van_stock(v, f"van_stock[{k}]") for k, v in enumerate(stocks)]
        return config, None

    return _with_file(path, read)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to an argparse subparsers object."""
    from .._args import int_at_least

    p: argparse.ArgumentParser = sub.add_parser(
        "simulate", help="simulate dispatch policies over days (KPIs with 95 %% CIs)")
    p.add_argument("config", help="simulation config JSON (SimConfig fields)")
    p.add_argument("--policy", action="append", default=None,
                   help="policy name (repeatable; default greedy-insertion)")
    p.add_argument("--seeds", type=int_at_least(1), default=5,
                   help="replications (seeds 0..N-1, N >= 1)")
    p.add_argument("--staffing", type=int_at_least(1), nargs="*", default=None,
                   help="numbers of technicians (default: the config's)")
    p.add_argument("--workers", type=int_at_least(1), default=1,
                   help="processes (default 1)")
    p.add_argument("--out", default=None,
                   help="per-replication results CSV (its folder must exist)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the experiment, print the aggregated table, optionally write the CSV.

    Everything (output path, policy names, the config) is checked before the
    first replication starts, so an error is never preceded by a progress bar.
    """
    from .._args import check_out
    from .experiment import run_experiment
    from .metrics import aggregate
    from .policies import get_policy

    check_out(args.out, "--out")
    policies = args.policy or ["greedy-insertion"]
    for name in policies:
        get_policy(name)  # unknown name: SimulationError listing the policies
    config, stocks = load_experiment(args.config)
    if stocks is not None and config.parts is None:
        raise ValidationError(f"{args.config}: van_stock policies need a parts model "
                              "(\"parts\")", field="van_stock")
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as ex:
            frame = run_experiment(config, policies, args.staffing, args.seeds, executor=ex,
                                   van_stock=stocks, progress=True)
    else:
        frame = run_experiment(config, policies, args.staffing, args.seeds, van_stock=stocks,
                               progress=True)
    agg = aggregate(frame)
    print(agg.to_string(index=False))
    if args.out:
        frame.drop(columns=["backlog"]).to_csv(args.out, index=False)
    return 0
