"""Demand and service models, and the simulation configuration.

Demand is a non-homogeneous Poisson process with a piecewise-constant rate
(hour of day × day of week), a category / skill / priority / tier mix and
spatial hot spots. Service outcomes (duration, cancellation, customer not at
home, first-time-fix failure) are drawn per ticket when it arrives, from their
own random stream, so every policy sees the same demand *and* the same
outcomes for the same ticket (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs
import numpy as np

from ..domain import Asset, Location, Priority, Ticket
from ..errors import ValidationError
from ..units import HOUR, MINUTE
from .parts import PartsModel, VanStockPolicy

__all__ = ["FLEET_KINDS", "Arrival", "DemandModel", "ServiceModel", "SimConfig", "asset_fleet",
           "bind_to_assets", "draw_arrivals"]

_SKILLS = ("hvac", "electrical", "plumbing", "appliance", "gas", "solar")
_SKILL_P = (0.28, 0.22, 0.18, 0.17, 0.09, 0.06)
# business-hours demand: a morning peak, a smaller afternoon one, quiet nights
_HOURS = (0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 2.0, 3.5, 4.0, 3.8, 3.2,
          2.6, 3.0, 3.2, 2.8, 2.2, 1.6, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3)


def _check_profile(name: str, value: tuple[float, ...], n: int) -> None:
    if len(value) != n or any((not math.isfinite(v)) or v < 0 for v in value) or sum(value) <= 0:
        raise ValidationError.for_field("DemandModel", None, name, value,
                                        f"must be {n} finite weights >= 0 with a positive sum")


def _tuple(value: object) -> tuple[float, ...]:
    return tuple(float(v) for v in value)  # type: ignore[attr-defined]


@attrs.frozen
class DemandModel:
    """Ticket arrivals: when, what and where.

    Parameters
    ----------
    tickets_per_day:
        Mean arrivals on an average weekday-weighted day (> 0).
    hour_profile:
        24 relative weights of the arrival rate by hour of day.
    weekday_profile:
        7 relative weights by day of week (Monday first; default: weekdays
        1, Saturday 0.25, Sunday 0.1).
    categories:
        ``name -> (share, nominal minutes)``.
    priority_mix, tier_mix:
        Shares of priorities ``P1..P4`` and of customer tiers.
    skill_levels:
        Shares of required levels 1, 2, 3.
    num_hotspots, hotspot_share, hotspot_sd_km, radius_km, center:
        Geography: a share of tickets falls around hot spots (normal, sd in km),
        the rest uniformly in a disc of ``radius_km`` around ``center`` (lat, lon).
    """

    tickets_per_day: float = 60.0
    hour_profile: tuple[float, ...] = attrs.field(default=_HOURS, converter=_tuple)
    weekday_profile: tuple[float, ...] = attrs.field(default=(1, 1, 1, 1, 1, 0.25, 0.1),
                                                     converter=_tuple)
    categories: Mapping[str, tuple[float, float]] = attrs.field(factory=lambda: {
        "install": (0.10, 110.0), "repair": (0.45, 60.0), "maintenance": (0.30, 45.0),
        "inspection": (0.15, 25.0)})
    priority_mix: tuple[float, ...] = attrs.field(default=(0.05, 0.15, 0.5, 0.3),
                                                  converter=_tuple)
    tier_mix: Mapping[str, float] = attrs.field(factory=lambda: {
        "standard": 0.7, "gold": 0.22, "platinum": 0.08})
    skill_levels: tuple[float, ...] = attrs.field(default=(0.7, 0.3, 0.0), converter=_tuple)
    num_hotspots: int = 8
    hotspot_share: float = 0.7
    hotspot_sd_km: float = 1.5
    radius_km: float = 18.0
    center: tuple[float, float] = (52.52, 13.40)

    def __attrs_post_init__(self) -> None:
        if not (math.isfinite(self.tickets_per_day) and self.tickets_per_day > 0):
            raise ValidationError.for_field("DemandModel", None, "tickets_per_day",
                                            self.tickets_per_day, "must be > 0")
        _check_profile("hour_profile", self.hour_profile, 24)
        _check_profile("weekday_profile", self.weekday_profile, 7)
        _check_profile("priority_mix", self.priority_mix, 4)
        _check_profile("skill_levels", self.skill_levels, 3)
        if not self.categories or any(s < 0 or m <= 0 for s, m in self.categories.values()):
            raise ValidationError.for_field("DemandModel", None, "categories", self.categories,
                                            "must map names to (share >= 0, minutes > 0)")
        if not 0.0 <= self.hotspot_share <= 1.0:
            raise ValidationError.for_field("DemandModel", None, "hotspot_share",
                                            self.hotspot_share, "must be in [0, 1]")

    def rate(self, day: datetime, hour: int) -> float:
        """Mean arrivals in the hour ``hour`` of ``day`` (piecewise-constant NHPP rate)."""
        wk = np.asarray(self.weekday_profile)
        hr = np.asarray(self.hour_profile)
        return float(self.tickets_per_day * wk[day.weekday()] / wk[:5].mean()
                     * hr[hour] / hr.sum()) if wk[:5].mean() > 0 else 0.0


@attrs.frozen
class ServiceModel:
    """What happens on the road and on site.

    Parameters
    ----------
    duration_sigma:
        ``category -> sigma`` of the lognormal service-time multiplier (mean 1);
        ``default_sigma`` for others. The multiplier scales the planned service time.
    travel_sigma:
        Sigma of the lognormal travel-time multiplier (mean 1), drawn per trip.
    p_cancel:
        Probability that a ticket is cancelled; the cancellation comes an
        exponential time (mean ``cancel_after``) after arrival and takes effect
        only if work has not started.
    p_not_home:
        Probability that the customer is not at home at the first visit (the
        visit costs ``not_home_wait`` on site, then the ticket is open again).
    p_ftf_fail:
        Probability that the first visit does not fix it (e.g. a missing part):
        a follow-up ticket arrives ``follow_up_delay`` after completion.
    p_absent:
        Probability that a technician is absent on a working day.
    p_sick:
        Probability that a technician who starts a working day falls ill
        during the shift (default 0): the time is uniform over the shift;
        from then on the technician is absent for the rest of the day
        (``Dispatcher.technician_absent`` re-plans their remaining tickets)
        and the job in progress is interrupted and open again. Drawn from a
        stream of its own (other draws do not change).
    p_ftf_fail_by_team:
        ``team -> probability`` overriding ``p_ftf_fail`` for visits completed by a
        technician of that team (``Technician.team``); other teams and technicians
        without one use ``p_ftf_fail``. Each ticket's uniform draw is the same
        whoever serves it (common random numbers): the visit fails when the draw
        is below the serving team's probability.
    """

    duration_sigma: Mapping[str, float] = attrs.field(factory=lambda: {
        "install": 0.35, "repair": 0.45, "maintenance": 0.25, "inspection": 0.2})
    default_sigma: float = 0.35
    travel_sigma: float = 0.2
    p_cancel: float = 0.03
    cancel_after: int = 4 * HOUR
    p_not_home: float = 0.04
    not_home_wait: int = 10 * MINUTE
    p_ftf_fail: float = 0.12
    follow_up_delay: int = 24 * HOUR
    p_absent: float = 0.03
    p_sick: float = 0.0
    p_ftf_fail_by_team: Mapping[str, float] = attrs.field(factory=dict, converter=dict)

    def __attrs_post_init__(self) -> None:
        for name in ("p_cancel", "p_not_home", "p_ftf_fail", "p_absent", "p_sick"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValidationError.for_field("ServiceModel", None, name, value,
                                                "must be a probability in [0, 1]")
        for team, p in self.p_ftf_fail_by_team.items():
            if not isinstance(team, str) or not team.strip():
                raise ValidationError.for_field("ServiceModel", None, "p_ftf_fail_by_team",
                                                team, "keys must be non-empty team names")
            if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
                raise ValidationError.for_field("ServiceModel", team, "p_ftf_fail_by_team",
                                                p, "must be a probability in [0, 1]")

    def ftf_fails(self, arrival: Arrival, team: str | None) -> bool:
        """Whether the first completed visit of ``arrival`` by a technician of ``team``
        needs a follow-up (the ticket's own draw against the team's probability)."""
        if team is None or team not in self.p_ftf_fail_by_team or arrival.ftf_draw is None:
            return arrival.ftf_fail
        return arrival.ftf_draw < self.p_ftf_fail_by_team[team]
        for name in ("travel_sigma", "default_sigma"):
            if getattr(self, name) < 0:
                raise ValidationError.for_field("ServiceModel", None, name, getattr(self, name),
                                                "must be >= 0")


@attrs.frozen
class SimConfig:
    """A simulation set-up: workforce, demand, service and horizon.

    Parameters
    ----------
    num_technicians:
        Workforce size; technicians (skills, homes, shifts) come from
        :func:`fsdispatch.generate_scenario` with ``workforce_seed`` (fixed
        across replications: the seed of :func:`simulate` varies demand only).
    days:
        Simulated days from ``start`` (Monday 2026-01-05 UTC by default).
    demand, service:
        The models.
    working_days:
        Weekdays with shifts (0 = Monday).
    warmup_backlog:
        Open tickets at the start (drawn like arrivals of the previous day).
    parts:
        Probable part needs per category and part costs (default ``None``: no
        parts logistics; first-time-fix failure is only ``service.p_ftf_fail``).
    van_stock:
        The van stock policy (target level per sku, restored overnight);
        default with ``parts``: empty vans.
    """

    num_technicians: int = 20
    days: int = 5
    demand: DemandModel = attrs.field(factory=DemandModel)
    service: ServiceModel = attrs.field(factory=ServiceModel)
    workforce_seed: int = 0
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: datetime | None = None
    warmup_backlog: int = 0
    parts: PartsModel | None = None
    van_stock: VanStockPolicy | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("num_technicians", "days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError.for_field("SimConfig", None, name, value,
                                                "must be an integer >= 1")
        if self.start is not None and self.start.tzinfo is None:
            raise ValidationError.for_field("SimConfig", None, "start", self.start,
                                            "must be timezone-aware")


@attrs.frozen
class Arrival:
    """A ticket arrival with every random outcome drawn in advance (common random numbers).

    Attributes
    ----------
    time:
        Arrival, seconds from the simulation origin.
    ticket:
        The ticket as the desk sees it (``created_at`` = arrival).
    duration_factor:
        Realised / planned service time of the first visit.
    cancel_at:
        Cancellation time (seconds) or ``None``.
    not_home:
        The customer is absent at the first visit.
    ftf_fail:
        The first completed visit needs a follow-up (at ``p_ftf_fail``).
    ftf_draw:
        The uniform draw behind ``ftf_fail`` (``ftf_fail == ftf_draw < p_ftf_fail``),
        compared with the serving team's probability when
        ``ServiceModel.p_ftf_fail_by_team`` names it; ``None``: not drawn.
    follow_up_of:
        Original ticket id for follow-up visits.
    follow_up_factor:
        Duration factor of the follow-up visit, if any.
    """

    time: int
    ticket: Ticket
    duration_factor: float
    cancel_at: int | None = None
    not_home: bool = False
    ftf_fail: bool = False
    follow_up_of: str | None = None
    follow_up_factor: float = 1.0
    ftf_draw: float | None = None


def _mix(rng: np.random.Generator, weights: np.ndarray) -> int:
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def draw_ticket(rng: np.random.Generator, srng: np.random.Generator, demand: DemandModel,
                service: ServiceModel, hubs: np.ndarray, ticket_id: str, time: int,
                origin: datetime) -> Arrival:
    """One arrival: attributes from ``rng`` (arrivals stream), outcomes from ``srng``."""
    names = list(demand.categories)
    shares = np.array([demand.categories[n][0] for n in names])
    cat = names[_mix(rng, shares)]
    minutes = demand.categories[cat][1]
    n_req = 2 if rng.random() < 0.04 else 1
    req = rng.choice(len(_SKILLS), size=n_req, replace=False, p=np.array(_SKILL_P))
    levels = np.asarray(demand.skill_levels)
    required = {_SKILLS[int(s)]: 1 + _mix(rng, levels) for s in req}
    prio = Priority(1 + _mix(rng, np.asarray(demand.priority_mix)))
    tiers = list(demand.tier_mix)
    tier = tiers[_mix(rng, np.array([demand.tier_mix[t] for t in tiers]))]
    lat0, lon0 = demand.center
    if len(hubs) and rng.random() < demand.hotspot_share:
        h = hubs[int(rng.integers(len(hubs)))]
        x, y = h[0] + rng.normal(0, demand.hotspot_sd_km), h[1] + rng.normal(0,
                                                                              demand.hotspot_sd_km)
    else:
        r, a = demand.radius_km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
        x, y = r * math.cos(a), r * math.sin(a)
    lat = lat0 + y / 110.574
    lon = lon0 + x / (111.320 * math.cos(math.radians(lat0)))
    created = origin + timedelta(seconds=int(time))
    ticket = Ticket(id=ticket_id, location=Location.geo(lat, lon),
                    duration=round(minutes) * MINUTE, category=cat,
                    required_skills=required, priority=prio, customer_tier=tier,
                    created_at=created)
    sigma = float(service.duration_sigma.get(cat, service.default_sigma))
    factor = float(np.exp(srng.normal(-sigma * sigma / 2, sigma))) if sigma > 0 else 1.0
    u = srng.random(4)
    cancel_at = (int(time + srng.exponential(service.cancel_after))
                 if u[0] < service.p_cancel else None)
    return Arrival(time=int(time), ticket=ticket, duration_factor=factor, cancel_at=cancel_at,
                   not_home=bool(u[1] < service.p_not_home),
                   ftf_fail=bool(u[2] < service.p_ftf_fail),
                   follow_up_factor=float(np.exp(srng.normal(-sigma * sigma / 2, sigma)))
                   if sigma > 0 else 1.0, ftf_draw=float(u[2]))


def draw_arrivals(demand: DemandModel, service: ServiceModel, origin: datetime, days: int,
                  rng: np.random.Generator, srng: np.random.Generator,
                  backlog: int = 0) -> list[Arrival]:
    """Every arrival of ``days`` days from ``origin`` (midnight), in time order.

    Within each hour the count is Poisson with the hour's rate and the times
    are uniform: an exact non-homogeneous Poisson process with a
    piecewise-constant rate. ``backlog`` tickets arrive at time 0 (open at the start).
    """
    hubs = np.column_stack([
        demand.radius_km * 0.85 * np.sqrt(rng.random(demand.num_hotspots))
        * np.cos(a := rng.random(demand.num_hotspots) * 2 * math.pi),
        demand.radius_km * 0.85 * np.sqrt(rng.random(demand.num_hotspots)) * np.sin(a)])
    return arrival_stream(rng, demand.rate, origin, days, backlog, lambda ticket_id, t: (
        draw_ticket(rng, srng, demand, service, hubs, ticket_id, t, origin)))


def arrival_stream(rng: np.random.Generator, rate: Callable[[datetime, int], float],
                   origin: datetime, days: int, backlog: int,
                   make: Callable[[str, int], Arrival]) -> list[Arrival]:
    """The arrivals of ``days`` days from ``origin`` in time order: ``backlog`` at time 0,
    then per hour a Poisson count of ``rate(day, hour)`` at uniform times (``rng``);
    ``make(ticket_id, seconds)`` draws each (ids ``S-000001``, … in arrival order). The
    one arrival process of the generated and the fitted demand models."""
    out: list[Arrival] = []
    k = 0
    for _ in range(backlog):
        k += 1
        out.append(make(f"S-{k:06d}", 0))
    for d in range(days):
        day = origin + timedelta(days=d)
        for h in range(24):
            lam = rate(day, h)
            n = int(rng.poisson(lam)) if lam > 0 else 0
            times = np.sort(rng.uniform(0, HOUR, n)).astype(np.int64) + d * 86400 + h * HOUR
            for t in times.tolist():
                k += 1
                out.append(make(f"S-{k:06d}", int(t)))
    return out


#: asset kinds of :func:`asset_fleet` and their shares (default)
FLEET_KINDS: Mapping[str, float] = {"hvac": 0.5, "boiler": 0.3, "elevator": 0.2}


def asset_fleet(demand: DemandModel, num_assets: int, seed: int = 0, *,
                kinds: Mapping[str, float] | None = None) -> tuple[Asset, ...]:
    """A generated fleet of installed assets at customer sites in the demand's city.

    Sites are placed as tickets are (a share ``demand.hotspot_share`` around
    ``demand.num_hotspots`` hot spots, the rest uniformly in the city disc), from a
    generator of its own seeded by ``seed``: the fleet is the same in every
    replication (like the workforce), whatever the simulation seed.

    Parameters
    ----------
    demand:
        Gives the city (``center``, ``radius_km``) and the hot spots' share and spread.
    num_assets:
        Fleet size (>= 1).
    seed:
        Seed of the fleet (default 0).
    kinds:
        ``kind -> share`` of the assets (default :data:`FLEET_KINDS`).

    Returns
    -------
    tuple of Asset
        Ids ``AS-00001``…, one customer per asset (``cust-00001``…), no install date.
    """
    if isinstance(num_assets, bool) or not isinstance(num_assets, int) or num_assets < 1:
        raise ValidationError.for_field("asset_fleet", None, "num_assets", num_assets,
                                        "must be an integer >= 1")
    kinds = dict(FLEET_KINDS if kinds is None else kinds)
    if not kinds or any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0
                        for v in kinds.values()) or sum(kinds.values()) <= 0:
        raise ValidationError.for_field("asset_fleet", None, "kinds", kinds,
                                        "must map kinds to shares >= 0 with a positive sum")
    rng = np.random.default_rng(seed)
    names = list(kinds)
    shares = np.array([kinds[k] for k in names], dtype=float)
    lat0, lon0 = demand.center
    hubs = rng.normal(0.0, demand.radius_km * 0.4, (max(demand.num_hotspots, 1), 2))
    out = []
    for k in range(num_assets):
        if demand.num_hotspots and rng.random() < demand.hotspot_share:
            h = hubs[int(rng.integers(demand.num_hotspots))]
            x, y = h + rng.normal(0.0, demand.hotspot_sd_km, 2)
        else:
            r, a = demand.radius_km * math.sqrt(rng.random()), rng.random() * 2 * math.pi
            x, y = r * math.cos(a), r * math.sin(a)
        lat = lat0 + y / 110.574
        lon = lon0 + x / (111.320 * math.cos(math.radians(lat0)))
        out.append(Asset(f"AS-{k + 1:05d}", Location.geo(lat, lon),
                         kind=names[_mix(rng, shares)], customer_id=f"cust-{k + 1:05d}"))
    return tuple(out)


def _km_coords(locations: Sequence[Location], lat0: float) -> np.ndarray:
    """``(n, 2)`` coordinates in km (geographic: equirectangular around ``lat0``)."""
    xy = np.array([(loc.x, loc.y) for loc in locations], dtype=float).reshape(-1, 2)
    if locations and locations[0].geographic:
        xy[:, 0] *= 111.320 * math.cos(math.radians(lat0))
        xy[:, 1] *= 110.574
    return xy


def bind_to_assets(arrivals: Sequence[Arrival], assets: Sequence[Asset]) -> list[Arrival]:
    """Each arrival's ticket bound to its nearest asset (tickets already on an asset are kept).

    The ticket takes the asset's ``id`` (``asset_id``), its ``location`` (the job is
    at the asset) and, when it has none, its ``customer_id``; a follow-up of a
    failed first visit copies the ticket, so it refers to the same asset. Nearest
    is the straight-line distance (geographic locations: an equirectangular
    projection around the assets' mean latitude); ties go to the earlier asset.
    No random number is drawn, so every other draw stays as it was.

    Raises
    ------
    ValidationError
        No assets, or assets and tickets mixing geographic and planar locations.
    """
    assets = list(assets)
    if not assets:
        raise ValidationError.for_field("simulate", None, "assets", assets,
                                        "must hold at least one Asset")
    for k, asset in enumerate(assets):
        if not isinstance(asset, Asset):
            raise ValidationError.for_field("simulate", None, f"assets[{k}]", asset,
                                            "must be an Asset")
    todo = [k for k, a in enumerate(arrivals) if a.ticket.asset_id is None]
    if not todo:
        return list(arrivals)
    geo = {a.location.geographic for a in assets} | {
        arrivals[k].ticket.location.geographic for k in todo}
    if len(geo) > 1:
        raise ValidationError.for_field("simulate", None, "assets", "mixed locations",
                                        "assets and tickets must all be geographic or all "
                                        "planar")
    lat0 = float(np.mean([a.location.y for a in assets]))
    site = _km_coords([a.location for a in assets], lat0)
    out = list(arrivals)
    for start in range(0, len(todo), 512):  # (chunks bound the distance matrix)
        chunk = todo[start:start + 512]
        pts = _km_coords([arrivals[k].ticket.location for k in chunk], lat0)
        d2 = ((pts[:, None, :] - site[None, :, :]) ** 2).sum(axis=2)
        for k, nearest in zip(chunk, np.argmin(d2, axis=1).tolist(), strict=True):
            asset = assets[nearest]
            ticket = out[k].ticket
            out[k] = attrs.evolve(out[k], ticket=attrs.evolve(
                ticket, asset_id=asset.id, location=asset.location,
                customer_id=ticket.customer_id or asset.customer_id))
    return out
