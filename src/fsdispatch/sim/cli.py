"""``fsdispatch simulate CONFIG [--policy ...] [--seeds N] [--out results.csv]``.

The command itself lives here so ``fsdispatch.cli`` only wires it in
(:func:`add_parser`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ..errors import ValidationError
from .models import DemandModel, ServiceModel, SimConfig
from .parts import VanStockPolicy, parts_from_dict, van_stock_from_dict

__all__ = ["add_parser", "config_from_dict", "load_config", "load_experiment", "run"]


def config_from_dict(data: Mapping[str, Any]) -> SimConfig:
    """A :class:`SimConfig` from a dict (``demand`` and ``service`` are nested dicts).

    Example: ``{"num_technicians": 20, "days": 5, "demand": {"tickets_per_day": 90},
    "service": {"p_ftf_fail": 0.1}}``. Parts: ``"parts": {"needs": {"repair":
    {"valve": 0.3}}, "unit_cost": {"valve": 40}}`` and ``"van_stock": {"levels":
    {"valve": 2}, "name": "two"}`` (or a plain levels dict; a list of them is
    an experiment over van stock policies, see :func:`load_experiment`: the
    config keeps the first). Unknown keys raise ValidationError naming them.
    """
    data = dict(data)
    if isinstance(data.get("van_stock"), list):
        data["van_stock"] = data["van_stock"][0] if data["van_stock"] else None
    fields = {f.name for f in attrs.fields(SimConfig)}
    unknown = set(data) - fields
    if unknown:
        raise ValidationError.for_field("SimConfig", None, "keys", sorted(unknown),
                                        f"must be among {sorted(fields)}")
    for key, cls in (("demand", DemandModel), ("service", ServiceModel)):
        if key in data:
            sub = dict(data[key])
            known = {f.name for f in attrs.fields(cls)}
            bad = set(sub) - known
            if bad:
                raise ValidationError.for_field(cls.__name__, None, "keys", sorted(bad),
                                                f"must be among {sorted(known)}")
            if key == "demand" and "center" in sub:
                sub["center"] = tuple(sub["center"])
            if key == "demand" and "categories" in sub:
                sub["categories"] = {k: tuple(v) for k, v in sub["categories"].items()}
            data[key] = cls(**sub)
    if "parts" in data:
        data["parts"] = parts_from_dict(data["parts"])
    if data.get("van_stock") is not None:
        data["van_stock"] = van_stock_from_dict(data["van_stock"])
    if "working_days" in data:
        data["working_days"] = tuple(data["working_days"])
    return SimConfig(**data)


def load_config(path: str | Path) -> SimConfig:
    """Read a JSON simulation config (see :func:`config_from_dict`)."""
    return config_from_dict(json.loads(Path(path).read_text()))


def load_experiment(path: str | Path) -> tuple[SimConfig, list[VanStockPolicy] | None]:
    """Read a JSON config and its van stock policies to compare.

    ``"van_stock"`` may be a list of policies (``{"levels": ..., "name": ...}``
    or plain levels dicts); they are returned in order (``None`` when it is a
    single policy or absent), for ``run_experiment(..., van_stock=...)``.
    """
    data = json.loads(Path(path).read_text())
    config = config_from_dict(data)
    stocks = data.get("van_stock") if isinstance(data, dict) else None
    if isinstance(stocks, list):
        return config, [van_stock_from_dict(v) for v in stocks]
    return config, None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand to an argparse subparsers object."""
    p: argparse.ArgumentParser = sub.add_parser(
        "simulate", help="simulate dispatch policies over days (KPIs with 95 % CIs)")
    p.add_argument("config", help="simulation config JSON (SimConfig fields)")
    p.add_argument("--policy", action="append", default=None,
                   help="policy name (repeatable; default greedy-insertion)")
    p.add_argument("--seeds", type=int, default=5, help="replications (seeds 0..N-1)")
    p.add_argument("--staffing", type=int, nargs="*", default=None,
                   help="numbers of technicians (default: the config's)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--out", default=None, help="per-replication results CSV")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the experiment, print the aggregated table, optionally write the CSV."""
    from .experiment import run_experiment
    from .metrics import aggregate

    config, stocks = load_experiment(args.config)
    policies = args.policy or ["greedy-insertion"]
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
