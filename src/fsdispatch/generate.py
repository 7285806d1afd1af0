"""A realistic synthetic scenario generator (city-like demand, skills, windows, SLAs, parts)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

import attrs
import numpy as np

from .domain import (
    Break,
    GeometricTravel,
    Location,
    Part,
    Priority,
    Scenario,
    Shift,
    SlaPolicy,
    SlaTarget,
    Technician,
    Ticket,
    TimeWindow,
)
from .errors import ValidationError
from .random import SeedLike, as_generator
from .units import HOUR, MINUTE, Horizon

__all__ = ["SKILLS", "generate_scenario"]

SKILLS: tuple[str, ...] = ("hvac", "electrical", "plumbing", "appliance", "gas", "solar")
_SKILL_P = np.array([0.28, 0.22, 0.18, 0.17, 0.09, 0.06])
_CATEGORIES = (
    # name, share, min minutes, max minutes, parts probability
    ("install", 0.10, 75, 150, 0.6),
    ("repair", 0.45, 30, 90, 0.35),
    ("maintenance", 0.30, 25, 60, 0.15),
    ("inspection", 0.15, 15, 35, 0.0),
)
_TIERS = (("standard", 0.7), ("gold", 0.22), ("platinum", 0.08))
_PRIORITIES = ((Priority.P1, 0.05), (Priority.P2, 0.15), (Priority.P3, 0.5), (Priority.P4, 0.3))


def _km_to_deg(lat: float, dx_km: np.ndarray, dy_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = dy_km / 110.574
    dlon = dx_km / (111.320 * math.cos(math.radians(lat)))
    return dlat, dlon


def default_sla_policy() -> SlaPolicy:
    """Response/resolution targets by priority and tier used by the generator."""
    targets = {}
    base = {Priority.P1: (4, 8), Priority.P2: (24, 48), Priority.P3: (48, 96),
            Priority.P4: (120, 240)}
    factor = {"standard": 1.0, "gold": 0.75, "platinum": 0.5}
    for prio, (resp, reso) in base.items():
        for tier, f in factor.items():
            targets[(prio, tier)] = SlaTarget(response=round(resp * f * HOUR),
                                              resolution=round(reso * f * HOUR))
    return SlaPolicy(targets=targets)


def generate_scenario(num_technicians: int = 25, num_tickets: int = 200, seed: SeedLike = 0, *,
                      days: int = 1, start_date: datetime | None = None,
                      tz: tzinfo = UTC, center: tuple[float, float] = (52.52, 13.40),
                      radius_km: float = 18.0, num_hotspots: int | None = None,
                      num_parts: int = 24, name: str | None = None,
                      crew_fraction: float = 0.0) -> Scenario:
    """Generate a realistic field-service scenario.

    Tickets cluster around city hot spots (plus a uniform background), need one
    or two skills at levels 1–3, come as install / repair / maintenance /
    inspection jobs with matching durations, 60 % carry a 2- or 4-hour
    appointment window (some soft), priorities P1–P4 with SLA deadlines from a
    tiered :class:`SlaPolicy`, and some need parts the technicians carry in their
    vans. Technicians live around the city, hold 1–3 skills, work an 8–9 h shift
    per day with a lunch break, and some have a daily ticket cap.

    Parameters
    ----------
    num_technicians, num_tickets:
        Sizes (>= 0).
    seed:
        Seed or Generator; the same seed gives the same scenario.
    days:
        Number of working days in the horizon (one shift per technician per day).
    start_date:
        Midnight of the first day (timezone-aware); default 2026-01-05 in ``tz``.
    tz:
        Timezone of the working day.
    center:
        City centre (latitude, longitude).
    radius_km:
        City radius in km.
    num_hotspots:
        Demand clusters (default scales with size).
    num_parts:
        Size of the parts catalogue.
    name:
        Scenario name.
    crew_fraction:
        Share of the tickets (within [0, 1]; default 0) made crew jobs of two
        technicians (``crew_size=2``, no van parts); at least one when positive and
        there are tickets. Drawn after everything else, so the rest of the day is
        the same as with 0.
    """
    _check_sizes(num_technicians, num_tickets, days, num_parts)
    if isinstance(crew_fraction, bool) or not isinstance(crew_fraction, int | float) \
            or not 0.0 <= crew_fraction <= 1.0:
        raise ValidationError.for_field("generate_scenario", None, "crew_fraction",
                                        crew_fraction, "must be a number within [0, 1]")
    rng = as_generator(seed)
    if start_date is None:
        start_date = datetime(2026, 1, 5, tzinfo=tz)
    elif start_date.tzinfo is None:
        raise ValidationError.for_field("generate_scenario", None, "start_date", start_date,
                                        "must be timezone-aware")
    day0 = start_date.replace(hour=0, minute=0, second=0, microsecond=0)
    horizon = Horizon(day0, day0 + timedelta(days=days))
    if num_hotspots is None:
        num_hotspots = max(3, min(60, round(math.sqrt(max(num_tickets, 1)) / 1.5)))
    city = _City(rng, center, radius_km, num_hotspots)
    parts = tuple(Part(sku=f"P{k:03d}", name=f"part {k}", unit_cost=float(rng.integers(5, 400)))
                  for k in range(num_parts))
    part_pop = rng.dirichlet(np.full(max(num_parts, 1), 0.7)) if num_parts else np.zeros(0)
    techs = _technicians(rng, city, num_technicians, days, day0, parts, part_pop)
    tickets = _tickets(rng, city, num_tickets, days, day0, parts, part_pop, techs)
    if crew_fraction > 0 and tickets:
        num_crew = max(1, round(crew_fraction * num_tickets))
        for i in rng.choice(num_tickets, size=num_crew, replace=False).tolist():
            tickets[i] = attrs.evolve(tickets[i], crew_size=2, parts={})
    return Scenario(horizon=horizon, technicians=tuple(techs), tickets=tuple(tickets),
                    travel=GeometricTravel(speed_kmh=35.0, detour=1.35), parts=parts,
                    skills=SKILLS, sla_policy=default_sla_policy(),
                    name=name or f"generated-{num_technicians}x{num_tickets}-d{days}")


def _check_sizes(num_technicians: int, num_tickets: int, days: int, num_parts: int) -> None:
    """Reject a size that is not an integer >= 0, or fewer than one day."""
    for field, value in (("num_technicians", num_technicians), ("num_tickets", num_tickets),
                         ("days", days), ("num_parts", num_parts)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError.for_field("generate_scenario", None, field, value,
                                            "must be an integer >= 0")
    if days < 1:
        raise ValidationError.for_field("generate_scenario", None, "days", days, "must be >= 1")


class _City:
    """The city's demand geography: hot spots around the centre plus a uniform background."""

    def __init__(self, rng: np.random.Generator, center: tuple[float, float],
                 radius_km: float, num_hotspots: int) -> None:
        self.rng, self.radius_km, self.num_hotspots = rng, radius_km, num_hotspots
        self.lat0, self.lon0 = center
        hub_r = radius_km * np.sqrt(rng.random(num_hotspots)) * 0.85
        hub_a = rng.random(num_hotspots) * 2 * math.pi
        self.hub_x, self.hub_y = hub_r * np.cos(hub_a), hub_r * np.sin(hub_a)
        self.hub_w = rng.dirichlet(np.full(num_hotspots, 2.0))
        self.hub_sd = rng.uniform(0.8, 2.5, num_hotspots)

    def points(self, n: int, background: float) -> tuple[np.ndarray, np.ndarray]:
        """``n`` (lat, lon) points: near a hot spot, or with ``background`` odds anywhere."""
        rng = self.rng
        hub = rng.choice(self.num_hotspots, size=n, p=self.hub_w)
        x = self.hub_x[hub] + rng.normal(0, self.hub_sd[hub])
        y = self.hub_y[hub] + rng.normal(0, self.hub_sd[hub])
        bg = rng.random(n) < background
        r = self.radius_km * np.sqrt(rng.random(n))
        a = rng.random(n) * 2 * math.pi
        x = np.where(bg, r * np.cos(a), x)
        y = np.where(bg, r * np.sin(a), y)
        dlat, dlon = _km_to_deg(self.lat0, x, y)
        return (np.clip(self.lat0 + dlat, -89.9, 89.9),
                np.clip(self.lon0 + dlon, -179.9, 179.9))


def _technicians(rng: np.random.Generator, city: _City, num_technicians: int, days: int,
                 day0: datetime, parts: tuple[Part, ...],
                 part_pop: np.ndarray) -> list[Technician]:
    """The workforce: skills, one shift with lunch a day, van stock, caps and costs."""
    num_parts = len(parts)
    t_lat, t_lon = city.points(num_technicians, 0.6)
    techs: list[Technician] = []
    for k in range(num_technicians):
        n_sk = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
        chosen = rng.choice(len(SKILLS), size=n_sk, replace=False, p=_SKILL_P)
        skills = {SKILLS[s]: int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])) for s in chosen}
        senior = max(skills.values())
        factor = {1: 1.15, 2: 1.0, 3: 0.85}[senior]
        early = rng.random() < 0.3
        shifts = [_shift(day0 + timedelta(days=d), early) for d in range(days)]
        stock = {}
        if num_parts:
            carried = rng.choice(num_parts, size=min(num_parts, int(rng.integers(4, 12))),
                                 replace=False, p=part_pop)
            stock = {parts[int(p)].sku: int(rng.integers(1, 5)) for p in carried}
        techs.append(Technician(
            id=f"tech-{k + 1:03d}",
            start_location=Location.geo(float(t_lat[k]), float(t_lon[k])),
            shifts=tuple(shifts), skills=skills, service_factor=factor,
            max_tickets_per_day=int(rng.choice([7, 8, 10])) if rng.random() < 0.4 else None,
            max_overtime=30 * MINUTE if rng.random() < 0.5 else 0,
            cost_per_hour=float(rng.integers(38, 75)), van_stock=stock,
            recent_workload=int(rng.integers(0, 20)) * HOUR if days > 1 else 0))
    return techs


def _shift(day: datetime, early: bool) -> Shift:
    """A day's shift (7:00 for 8.5 h when early, else 8:00 for 9 h) with a lunch break."""
    begin = day + timedelta(hours=7 if early else 8)
    end = begin + timedelta(hours=8.5 if early else 9)
    lunch = Break(TimeWindow(day + timedelta(hours=11, minutes=30),
                             day + timedelta(hours=14)), 30 * MINUTE)
    return Shift(begin, end, breaks=(lunch,))


def _tickets(rng: np.random.Generator, city: _City, num_tickets: int, days: int,
             day0: datetime, parts: tuple[Part, ...], part_pop: np.ndarray,
             techs: list[Technician]) -> list[Ticket]:
    """The jobs: category, skills, priority and tier, window, creation time, parts, preferences."""
    num_parts, num_technicians = len(parts), len(techs)
    c_lat, c_lon = city.points(num_tickets, 0.15)
    cat_p = np.array([c[1] for c in _CATEGORIES])
    tier_p = np.array([t[1] for t in _TIERS])
    prio_p = np.array([p[1] for p in _PRIORITIES])
    tickets: list[Ticket] = []
    for i in range(num_tickets):
        cat_name, _, lo, hi, p_parts = _CATEGORIES[int(rng.choice(len(_CATEGORIES), p=cat_p))]
        duration = int(rng.integers(lo, hi + 1)) * MINUTE
        n_req = 2 if rng.random() < 0.06 else 1
        req_idx = rng.choice(len(SKILLS), size=n_req, replace=False, p=_SKILL_P)
        required = {SKILLS[s]: int(rng.choice([1, 2, 3], p=[0.6, 0.34, 0.06]))
                    for s in req_idx}
        prio = _PRIORITIES[int(rng.choice(4, p=prio_p))][0]
        tier = _TIERS[int(rng.choice(3, p=tier_p))][0]
        day = day0 + timedelta(days=int(rng.integers(0, days)))
        windows, kind = _windows(rng, prio, day, days)
        if prio == Priority.P1:  # overnight emergencies, known at planning time
            created = day + timedelta(hours=float(rng.uniform(5, 7.5)))
        else:
            back = {Priority.P2: 20, Priority.P3: 40, Priority.P4: 72}[prio]
            created = day - timedelta(hours=float(rng.uniform(2, back)))
        ticket_parts = {}
        if num_parts and rng.random() < p_parts:
            for p in rng.choice(num_parts, size=int(rng.integers(1, 3)), replace=False,
                                p=part_pop):
                ticket_parts[parts[int(p)].sku] = 1
        preferred: tuple[str, ...] = ()
        excluded: tuple[str, ...] = ()
        if num_technicians and rng.random() < 0.1:
            preferred = (techs[int(rng.integers(num_technicians))].id,)
        if num_technicians > 1 and rng.random() < 0.03:
            cand = techs[int(rng.integers(num_technicians))].id
            if cand not in preferred:
                excluded = (cand,)
        tickets.append(Ticket(
            id=f"T-{i + 1:05d}", location=Location.geo(float(c_lat[i]), float(c_lon[i])),
            duration=duration, category=cat_name, required_skills=required, windows=windows,
            window_kind=kind, lateness_cost=1.0, priority=prio,
            customer_id=f"C-{int(rng.integers(1, max(2, num_tickets * 2))):05d}",
            customer_tier=tier, created_at=created, preferred_technicians=preferred,
            excluded_technicians=excluded, parts=ticket_parts))
    return tickets


def _windows(rng: np.random.Generator, prio: Priority, day: datetime,
             days: int) -> tuple[tuple[TimeWindow, ...], Literal["hard", "soft"]]:
    """A ticket's appointment window (4 h half-day, 2 h slot, whole day, or none) and kind."""
    windows: tuple[TimeWindow, ...] = ()
    kind: Literal["hard", "soft"] = "hard"
    u = rng.random()
    if prio != Priority.P1 and u < 0.35:
        am = rng.random() < 0.5
        s0 = day + timedelta(hours=8 if am else 12)
        windows = (TimeWindow(s0, s0 + timedelta(hours=4)),)
    elif prio != Priority.P1 and u < 0.6:
        s0 = day + timedelta(hours=int(rng.integers(8, 15)))
        windows = (TimeWindow(s0, s0 + timedelta(hours=2)),)
    elif days > 1 and u < 0.75:
        windows = (TimeWindow(day + timedelta(hours=8), day + timedelta(hours=17)),)
    if windows and rng.random() < 0.25:
        kind = "soft"
    return windows, kind
