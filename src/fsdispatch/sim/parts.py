"""Spare parts in the simulator: probable part needs, van stock policies, stock-outs.

A ticket's actual part needs are drawn per category from probabilities
(:class:`PartsModel`); they are not known to the desk. Each technician's van
holds stock; a visit whose needed part is not in the van fails first-time
fix: a follow-up ticket is created whose parts are known up front (ordered
from the depot and reserved there for it). Vans are restocked overnight to
the levels of a :class:`VanStockPolicy` from the depot. Stock is kept in a
:class:`fsdispatch.inventory.StockLedger` (a depot and one van per
technician), so a run leaves a movement log and consumption history for the
forecasting in :mod:`fsdispatch.inventory`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError

__all__ = ["PartsModel", "VanStockPolicy"]

_DAYS_PER_YEAR = 365.0


def _nested(value: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {str(c): {str(s): float(p) for s, p in skus.items()} for c, skus in value.items()}


def _floats(value: Mapping[str, float]) -> dict[str, float]:
    return {str(k): float(v) for k, v in value.items()}


def _ints(value: Mapping[str, int]) -> dict[str, int]:
    return {str(k): int(v) for k, v in value.items()}


@attrs.frozen
class PartsModel:
    """Which parts tickets need, what parts cost and what holding them costs.

    Parameters
    ----------
    needs:
        ``category -> {sku: probability}``: a ticket of the category needs one
        unit of each sku independently with that probability (drawn when it
        arrives, from the parts stream; unknown to the desk). Categories not
        listed need no parts.
    unit_cost:
        ``sku -> cost of one unit`` (currency); ``default_unit_cost`` for others.
    default_unit_cost:
        Cost of a unit of an sku missing from ``unit_cost`` (default 1.0).
    carrying_rate:
        Holding cost per year as a share of the unit cost (default 0.25):
        holding cost = carrying rate × average stock value in the vans ×
        simulated days / 365.
    """

    needs: Mapping[str, Mapping[str, float]] = attrs.field(converter=_nested)
    unit_cost: Mapping[str, float] = attrs.field(factory=dict, converter=_floats)
    default_unit_cost: float = 1.0
    carrying_rate: float = 0.25

    def __attrs_post_init__(self) -> None:
        for cat, skus in self.needs.items():
            for sku, p in skus.items():
                if not (0.0 <= p <= 1.0):
                    raise ValidationError.for_field("PartsModel", None,
                                                    f"needs[{cat!r}][{sku!r}]", p,
                                                    "must be a probability in [0, 1]")
        for sku, c in self.unit_cost.items():
            if not (math.isfinite(c) and c >= 0):
                raise ValidationError.for_field("PartsModel", None, f"unit_cost[{sku!r}]", c,
                                                "must be a finite cost >= 0")
        for name in ("default_unit_cost", "carrying_rate"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValidationError.for_field("PartsModel", None, name, v, "must be >= 0")

    @property
    def skus(self) -> tuple[str, ...]:
        """Every sku some category may need, sorted."""
        return tuple(sorted({s for skus in self.needs.values() for s in skus}))

    def cost(self, sku: str) -> float:
        """Cost of one unit of ``sku``."""
        return float(self.unit_cost.get(sku, self.default_unit_cost))

    def daily_demand(self, categories: Mapping[str, tuple[float, float]],
                     tickets_per_day: float) -> dict[str, float]:
        """Expected units per day of each sku: ``Σ_cat tickets × share_cat × p(cat, sku)``.

        ``categories`` is :attr:`DemandModel.categories` (``name -> (share, minutes)``).
        """
        total = sum(share for share, _ in categories.values()) or 1.0
        out = dict.fromkeys(self.skus, 0.0)
        for cat, (share, _) in categories.items():
            for sku, p in self.needs.get(cat, {}).items():
                out[sku] += tickets_per_day * share / total * p
        return out

    def draw(self, rng: np.random.Generator, categories: Sequence[str]) -> list[tuple[str, ...]]:
        """The skus each ticket needs, one draw per (ticket, sku of its category).

        The number of draws depends only on the categories, not on any
        policy, so every van stock policy sees the same needs (common random
        numbers).
        """
        out: list[tuple[str, ...]] = []
        for cat in categories:
            probs = self.needs.get(cat, {})
            skus = sorted(probs)
            u = rng.random(len(skus))
            out.append(tuple(s for s, x in zip(skus, u, strict=True) if x < probs[s]))
        return out


@attrs.frozen
class VanStockPolicy:
    """Target stock per sku in every van, restored overnight from the depot.

    Parameters
    ----------
    levels:
        ``sku -> units`` each van is refilled to every night (skus not listed: 0).
    name:
        Label in experiment results (default built from the levels).

    Examples
    --------
    >>> VanStockPolicy({"filter": 2, "valve": 1}).name
    'filter=2,valve=1'
    """

    levels: Mapping[str, int] = attrs.field(converter=_ints)
    name: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        for sku, q in self.levels.items():
            if q < 0:
                raise ValidationError.for_field("VanStockPolicy", self.name or None,
                                                f"levels[{sku!r}]", q, "must be >= 0")
        if not self.name:
            label = ",".join(f"{s}={q}" for s, q in sorted(self.levels.items())) or "empty"
            object.__setattr__(self, "name", label)

    @classmethod
    def from_service_level(cls, parts: PartsModel, categories: Mapping[str, tuple[float, float]],
                           tickets_per_van_day: float, service_level: float = 0.9, *,
                           days: float = 1.0, name: str | None = None) -> VanStockPolicy:
        """Levels that cover a day's demand of a van with probability ``service_level``.

        A van's demand for an sku over ``days`` is taken as Poisson with mean
        ``λ = tickets_per_van_day × days × Σ_cat share_cat × p(cat, sku)``; the
        level is the smallest ``s`` with ``P(Poisson(λ) ≤ s) ≥ service_level``
        (per sku, so the chance that a day has no stock-out of that sku).

        Parameters
        ----------
        parts:
            The parts model.
        categories:
            :attr:`DemandModel.categories` (``name -> (share, minutes)``).
        tickets_per_van_day:
            Tickets a technician completes in a day (e.g. ~5.5).
        service_level:
            Target probability in (0, 1) (default 0.9).
        days:
            Days between restocks (default 1: every night).
        name:
            Label (default ``"service-level-<service_level>"``).
        """
        if not 0.0 < service_level < 1.0:
            raise ValidationError.for_field("VanStockPolicy", None, "service_level",
                                            service_level, "must be in (0, 1)")
        from scipy import stats

        lam = parts.daily_demand(categories, tickets_per_van_day * days)
        levels = {sku: int(stats.poisson.ppf(service_level, m)) if m > 0 else 0
                  for sku, m in lam.items()}
        return cls(levels, name or f"service-level-{service_level:g}")


class PartsTracker:
    """The simulator's stock bookkeeping behind one small interface (internal).

    Wraps a :class:`~fsdispatch.inventory.StockLedger` with one depot and a
    van per technician. The depot never runs dry: what it lacks is received
    from the supplier on demand (logged as ``receive``).
    """

    def __init__(self, parts: PartsModel, policy: VanStockPolicy, technician_ids: Sequence[str],
                 start: datetime, depot_id: str = "depot",
                 depot_stock: Mapping[str, int] | None = None) -> None:
        from ..inventory import StockLedger

        self.parts = parts
        self.policy = policy
        self.depot = depot_id
        self.vans = list(technician_ids)
        self.ledger = StockLedger(start=start)
        self.ledger.add_location(depot_id, "depot", dict(depot_stock or {}), at=start)
        levels = {s: q for s, q in policy.levels.items() if q > 0}
        for van in self.vans:  # vans start full (opening stock, not depot demand)
            self.ledger.add_location(van, "van", levels, at=start)
        self.stockouts = 0
        self.units_short = 0
        self.units_needed = 0
        self.units_used = 0
        self.value_samples: list[float] = []

    def _supply(self, parts: Mapping[str, int], at: datetime) -> None:
        """Order from the supplier what the depot lacks (free stock) for ``parts``."""
        short = {s: q - self.ledger.available(self.depot, s) for s, q in parts.items()}
        short = {s: q for s, q in short.items() if q > 0}
        if short:
            self.ledger.receive(self.depot, short, at=at)

    def restock(self, at: datetime) -> None:
        """Overnight: every van is refilled from the depot to its target levels."""
        for van in self.vans:
            need = {s: q - self.ledger.on_hand(van, s) for s, q in self.policy.levels.items()}
            need = {s: q for s, q in need.items() if q > 0}
            if need:
                self._supply(need, at)
                self.ledger.transfer(self.depot, van, need, at=at)

    def visit(self, van: str, ticket_id: str, needed: Sequence[str],
              at: datetime) -> tuple[str, ...]:
        """A first visit ends: use the needed parts from the van; return the missing skus.

        All or nothing: if a needed part is missing the job is not finished and
        nothing is used (the follow-up brings every needed part).
        """
        if not needed:
            return ()
        want = dict.fromkeys(needed, 1)
        self.units_needed += len(want)
        missing = tuple(s for s in want if self.ledger.available(van, s) < 1)
        if missing:
            self.stockouts += 1
            self.units_short += len(missing)
            return missing
        self.ledger.issue(van, want, ticket_id=ticket_id, at=at)
        self.units_used += len(want)
        return ()

    def order(self, ticket_id: str, needed: Sequence[str], at: datetime) -> None:
        """A follow-up ticket's parts (known up front) are reserved at the depot for it."""
        want = dict.fromkeys(needed, 1)
        self._supply(want, at)
        self.ledger.reserve(ticket_id, self.depot, want, at=at)

    def deliver(self, van: str, ticket_id: str, at: datetime) -> None:
        """The follow-up is done: its reserved parts go depot → van and are consumed there."""
        held: dict[str, int] = {}
        for r in self.ledger.reservations(ticket_id):
            held[r.sku] = held.get(r.sku, 0) + r.quantity
        if not held:
            return
        self.ledger.transfer(self.depot, van, held, ticket_id, at=at)
        self.ledger.consume(ticket_id, at=at)
        self.units_used += sum(held.values())

    def release(self, ticket_id: str, at: datetime) -> None:
        """A ticket holding parts is cancelled: its reservation is released."""
        self.ledger.release(ticket_id, at=at)

    def van_value(self) -> float:
        """Value of the stock in all vans now (currency)."""
        return sum(self.parts.cost(s) * q for van in self.vans
                   for s, q in self.ledger.stock(van).items())

    def sample(self) -> None:
        """Record the van stock value (hourly, for the holding cost)."""
        self.value_samples.append(self.van_value())

    def summary(self, days: int) -> dict[str, float]:
        """Parts KPIs of the run (see :data:`PARTS_KPI_NAMES`)."""
        mean_value = float(np.mean(self.value_samples)) if self.value_samples else math.nan
        return {
            "stockouts": float(self.stockouts),
            "parts_fill_rate": (1.0 - self.units_short / self.units_needed)
            if self.units_needed else math.nan,
            "parts_used": float(self.units_used),
            "van_stock_value": mean_value,
            "parts_holding_cost": self.parts.carrying_rate * mean_value * days
            / _DAYS_PER_YEAR,
        }


#: parts KPIs (present when a run has a parts model)
PARTS_KPI_NAMES = ("stockouts", "stockout_follow_ups", "follow_up_visits", "parts_fill_rate",
                   "parts_used", "van_stock_value", "parts_holding_cost")


def parts_from_dict(data: Mapping[str, Any]) -> PartsModel:
    """A :class:`PartsModel` from a dict (JSON config)."""
    known = {f.name for f in attrs.fields(PartsModel)}
    bad = set(data) - known
    if bad:
        raise ValidationError.for_field("PartsModel", None, "keys", sorted(bad),
                                        f"must be among {sorted(known)}")
    return PartsModel(**data)


def van_stock_from_dict(data: Mapping[str, Any]) -> VanStockPolicy:
    """A :class:`VanStockPolicy` from ``{"levels": {...}, "name": ...}`` or a plain levels dict."""
    if "levels" in data:
        return VanStockPolicy(data["levels"], str(data.get("name", "")))
    return VanStockPolicy(dict(data))
