"""Row builders of the compiler: rules every path that builds or grows a
:class:`~fsdispatch.problem.problem.Problem` applies in the same function.

:class:`CompileContext` holds the lookups a compile derives (node numbering,
skill, part and probable-part catalogues, technician columns); the compiler
attaches it to the problem and every grown problem carries it forward, so
growing a problem and the evaluator's words never read the scenario again.

:func:`~fsdispatch.problem.compile.compile_scenario` builds whole matrices,
:mod:`fsdispatch.problem.extend` one ticket's column and the live desk one
technician's row; each calls the rules here so that they cannot drift apart
(issue #16: one rule, one place). Precedence of the incompatibility codes:
SKILL > LEVEL > CERTIFICATION (:func:`skill_codes`) > TERRITORY
(:func:`territory_codes`) > PART > EXCLUDED > CAPACITY (:func:`resource_codes`);
SHIFT comes from reachability, later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

import attrs
import numpy as np

from .problem import NO_DEADLINE, CostData, WeekData, WindowData, no_weeks
from .reasons import Incompatibility

__all__ = [
    "CompileContext",
    "certification_ends",
    "compile_context",
    "context_of",
    "csr",
    "expired_everywhere",
    "grown_catalogue",
    "node_numbering",
    "parts_short",
    "probable_parts",
    "resource_codes",
    "route_certified",
    "route_weeks",
    "service_seconds",
    "set_context",
    "skill_codes",
    "territory_codes",
    "territory_cover",
    "ticket_block",
    "ticket_parts",
    "ticket_prefs",
    "ticket_territories",
    "week_block",
]

_I64 = np.int64


@attrs.frozen(eq=False)
class CompileContext:
    """The lookups a compile derives from the scenario, kept on the problem so that every
    path growing it (:mod:`fsdispatch.problem.extend`, live dispatch) and the evaluator's
    words read them instead of the scenario."""

    node_of: dict[Any, int]  #: location -> travel node
    skill_level: dict[str, np.ndarray]  #: skill -> (T,) level held
    skill_factor: dict[str, np.ndarray]  #: skill -> (T,) service factor for it
    tech_idx: dict[str, int]
    sku_idx: dict[str, int]
    factors: np.ndarray  #: (T,) service_factor
    has_factors: np.ndarray  #: (T,) technician has skill_factors
    tech_cap: np.ndarray  #: (T,) capacity (NO_DEADLINE: none)
    skill_idx: dict[str, int] = attrs.field(factory=dict)
    """skill -> column of ``CostData.skill_col`` (the names of the ticket skill rows)."""
    prob_idx: dict[str, int] = attrs.field(factory=dict)
    """sku -> column of ``ResourceData.prob_sku`` (the probable parts' catalogue)."""
    sku_cost: np.ndarray = attrs.field(factory=lambda: np.zeros(0))
    """(S,) ``unit_cost`` of each sku (0 when not in the catalogue); cost KPIs only."""
    travel_rates: tuple[float, float] = (0.0, 0.0)
    """The scenario's ``CostRates``: money per km and per hour of driving (KPIs only)."""
    horizon_length: int = 0
    """Seconds of the horizon (a ticket without windows has the one window [0, this])."""
    skill_expired: dict[str, np.ndarray] = attrs.field(factory=dict)
    """skill -> (T,) bool: the technician's certification for it counts on none of its
    routes (:func:`expired_everywhere`); skills no technician certifies are absent."""
    cert_end: np.ndarray = attrs.field(factory=lambda: np.zeros((0, 0), dtype=_I64))
    """(T, K) int64 end of each certification over the skill columns
    (:func:`certification_ends`)."""
    territory_idx: dict[str, int] = attrs.field(factory=dict)
    """territory -> column of ``ResourceData.covers`` (the territories' catalogue)."""
    tech_territories: tuple[frozenset[str], ...] = ()
    """The territories each technician covers (empty: all)."""
    tech_team: tuple[str | None, ...] = ()
    """The team of each technician (``None``: none), for the per-team KPIs."""

    @property
    def skill_ids(self) -> tuple[str, ...]:
        """The skill names in column order."""
        return tuple(self.skill_idx)


def set_context(problem: Any, ctx: CompileContext) -> None:
    """Attach the lookups to the problem (copies and pickles of it carry them)."""
    object.__setattr__(problem, "_lookups", ctx)


def context_of(problem: Any) -> CompileContext:
    """The lookups of a compiled (or grown) problem.

    Every problem compiled or grown by this package carries them; one built
    otherwise (``attrs.evolve`` of a problem) gets them from its scenario once.
    """
    ctx: CompileContext | None = problem._lookups  # noqa: SLF001 - the package's own field
    if ctx is None:
        ctx = compile_context(problem.scenario, problem.index.sku_ids)
        if len(ctx.node_of) != problem.data.tv.node_row.shape[0]:  # pragma: no cover
            from ..errors import ValidationError

            raise ValidationError("problem nodes do not match its scenario",
                                  entity="Problem", field="nodes")
        set_context(problem, ctx)
    return ctx


def node_numbering(scenario: Any) -> dict[Any, int]:
    """Location -> travel node: the tickets' locations first, then the depots', then each
    technician's shift start and end (in technician and shift order)."""
    node_of: dict[Any, int] = {}
    for t in scenario.tickets:
        node_of.setdefault(t.location, len(node_of))
    for depot in scenario.depots:
        node_of.setdefault(depot.location, len(node_of))
    for tech in scenario.technicians:
        for shift in tech.shifts:
            node_of.setdefault(tech.shift_start_location(shift), len(node_of))
            node_of.setdefault(tech.shift_end_location(shift), len(node_of))
    return node_of


def grown_catalogue(idx: Mapping[str, int], names: Iterable[str]) -> dict[str, int]:
    """``idx`` (name -> column) with the new ``names`` appended in order (``idx`` itself,
    as a dict, when none is new)."""
    new = [s for s in dict.fromkeys(names) if s not in idx]
    if not new and isinstance(idx, dict):
        return idx
    out = dict(idx)
    for s in new:
        out[s] = len(out)
    return out


def compile_context(scenario: Any, skus: Sequence[str]) -> CompileContext:
    """The lookups of ``scenario`` compiled over the part catalogue ``skus``."""
    techs = scenario.technicians
    skills = sorted({s for t in scenario.tickets for s in t.required_skills}
                    | {s for tech in techs for s in tech.skills})
    held = {s for tech in techs for s in tech.skills}
    skill_idx = {s: k for k, s in enumerate(skills)}
    cert_end = certification_ends(scenario, skill_idx)
    factored = {s for tech in techs for s in tech.skill_factors}
    probable = sorted({s for t in scenario.tickets for s in t.probable_parts}
                      | {s for probs in scenario.category_parts.values() for s in probs})
    unit_cost = {p.sku: p.unit_cost for p in scenario.parts}
    rates = scenario.cost_rates
    return CompileContext(
        node_of=node_numbering(scenario),
        skill_level={s: np.array([tech.skills.get(s, 0) for tech in techs], dtype=_I64)
                     for s in held},
        skill_factor={s: np.array([tech.skill_factors.get(s, 1.0) for tech in techs])
                      for s in factored},
        tech_idx={tech.id: k for k, tech in enumerate(techs)},
        sku_idx={s: k for k, s in enumerate(skus)},
        factors=np.array([t.service_factor for t in techs], dtype=np.float64),
        has_factors=np.array([bool(t.skill_factors) for t in techs], dtype=np.bool_),
        tech_cap=np.array([NO_DEADLINE if t.capacity is None else t.capacity for t in techs],
                          dtype=_I64),
        skill_idx=skill_idx,
        prob_idx={s: k for k, s in enumerate(probable)},
        skill_expired=expired_everywhere(scenario, skill_idx, cert_end), cert_end=cert_end,
        territory_idx={z: k for k, z in enumerate(sorted(
            {t.territory for t in scenario.tickets if t.territory is not None}
            | {z for tech in techs for z in tech.territories}))},
        tech_territories=tuple(frozenset(tech.territories) for tech in techs),
        tech_team=tuple(tech.team for tech in techs),
        sku_cost=np.array([unit_cost.get(s, 0.0) for s in skus], dtype=np.float64),
        travel_rates=(float(rates.travel_per_km), float(rates.travel_per_hour)),
        horizon_length=scenario.horizon.length)


def certification_ends(scenario: Any, skill_idx: Mapping[str, int]) -> np.ndarray:
    """``(T, K)`` int64: when each technician's certification of each skill column stops
    counting, in seconds from the horizon start (:data:`NO_DEADLINE`: the skill needs no
    certification); ``(T, 0)`` when no technician lists one.

    The rule (one place): a certified skill counts on a route (a shift) whose start falls on
    a calendar day, in the horizon start's timezone, on or before the day of
    ``valid_until`` — so the end is the midnight after that day, and the skill counts on
    route ``r`` while ``rt.open[r] < end`` (:func:`route_certified`, the kernels'
    ``certified``).
    """
    techs = scenario.technicians
    if not any(tech.certifications for tech in techs):
        return np.zeros((len(techs), 0), dtype=_I64)
    horizon = scenario.horizon
    tz = horizon.start.tzinfo
    out = np.full((len(techs), len(skill_idx)), NO_DEADLINE, dtype=_I64)
    for t, tech in enumerate(techs):
        for skill, until in tech.certifications.items():
            try:
                after = datetime.combine(until.astimezone(tz).date() + timedelta(days=1),
                                         time(), tzinfo=tz)
            except OverflowError:  # (valid until the end of the calendar)
                continue
            out[t, skill_idx[skill]] = min(max(horizon.to_internal(after), -NO_DEADLINE),
                                           NO_DEADLINE)
    return out


def expired_everywhere(scenario: Any, skill_idx: Mapping[str, int],
                       cert_end: np.ndarray) -> dict[str, np.ndarray]:
    """skill -> ``(T,)`` bool: the certification ends by the technician's first shift start
    (it counts on none of its routes: the ``CERTIFICATION`` incompatibility). Skills no
    technician certifies are absent."""
    if not cert_end.shape[1]:
        return {}
    to_int = scenario.horizon.to_internal
    first = np.array([to_int(tech.shifts[0].start) if tech.shifts else 0
                      for tech in scenario.technicians], dtype=_I64)
    certified = {s for tech in scenario.technicians for s in tech.certifications}
    return {s: cert_end[:, skill_idx[s]] <= first for s in certified}


def route_certified(r_tech: np.ndarray, r_open: np.ndarray, cert_end: np.ndarray,
                    skill_col: np.ndarray) -> np.ndarray:
    """``(R, N)`` bool: every certification ticket ``i`` needs is valid on route ``r``'s day
    (``cert_end[tech, skill] > open``; :func:`certification_ends`). ``r_tech``/``r_open`` are
    the routes' technicians and starts, ``skill_col`` ``(N, M)`` the tickets' required
    skill columns (-1 padded; a column beyond ``cert_end`` needs no certification)."""
    ok = np.ones((r_tech.shape[0], skill_col.shape[0]), dtype=np.bool_)
    width = cert_end.shape[1]
    if not width or not (cert_end < NO_DEADLINE).any():
        return ok
    ends = cert_end[r_tech]  # (R, K)
    for m in range(skill_col.shape[1]):
        col = skill_col[:, m]
        has = (col >= 0) & (col < width)
        if has.any():
            ok[:, has] &= ends[:, col[has]] > r_open[:, None]
    return ok


def territory_cover(territory_idx: Mapping[str, int],
                    tech_territories: Sequence[frozenset[str]]) -> np.ndarray:
    """``(T, Z)`` bool: technician ``t`` covers territory column ``z`` (a technician listing
    no territories covers all)."""
    names = list(territory_idx)
    out = np.ones((len(tech_territories), len(names)), dtype=np.bool_)
    for t, own in enumerate(tech_territories):
        if own:
            out[t] = [z in own for z in names]
    return out


def ticket_territories(tickets: Sequence[Any], territory_idx: Mapping[str, int],
                       weight: float | None) -> tuple[np.ndarray, np.ndarray]:
    """``(terr, terr_w)``: each ticket's territory column (-1: none, any technician may serve
    it) and its out-of-territory cost (``weight`` when territories are soft and it has a
    territory, else 0)."""
    terr = np.fromiter((-1 if t.territory is None else territory_idx[t.territory]
                        for t in tickets), dtype=_I64, count=len(tickets))
    terr_w = np.where(terr >= 0, 0.0 if weight is None else float(weight), 0.0)
    return terr, terr_w


def territory_codes(codes: np.ndarray, covers: np.ndarray, terr: np.ndarray,
                    hard: bool) -> None:
    """Add ``TERRITORY`` to ``codes`` (``(T, N)``, in place) where it is 0 and the technician
    does not cover the ticket's territory, when territories are ``hard`` (soft ones are a
    cost: ``ResourceData.terr_w``). ``covers`` is :func:`territory_cover`, ``terr`` the
    tickets' territory columns (-1: none)."""
    if not hard or not (terr >= 0).any():
        return
    has = terr >= 0
    out = np.zeros(codes.shape, dtype=np.bool_)
    out[:, has] = ~covers[:, terr[has]]
    codes[out & (codes == 0)] = Incompatibility.TERRITORY


def csr(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr, flat)`` int64 arrays of a list of integer rows (compressed sparse rows)."""
    if len(rows) == 1:  # (one ticket: the live path, kept cheap)
        flat = np.array(rows[0], dtype=_I64).reshape(-1)
        return np.array([0, flat.shape[0]], dtype=_I64), flat
    ptr = np.zeros(len(rows) + 1, dtype=_I64)
    np.cumsum([len(r) for r in rows], out=ptr[1:])
    flat = np.fromiter((v for r in rows for v in r), dtype=_I64, count=int(ptr[-1]))
    return ptr, flat


def _padded(rows: Sequence[Sequence[Any]], dtype: Any, fill: Any) -> np.ndarray:
    """``(len(rows), longest row)`` array of ``rows``, padded with ``fill``."""
    out = np.full((len(rows), max((len(r) for r in rows), default=0)), fill, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def ticket_block(scenario: Any, tickets: Sequence[Any], ctx: CompileContext,
                 ) -> tuple[WindowData, CostData, np.ndarray]:
    """The window rows, cost rows and outside-the-horizon flags of ``tickets``.

    ``scenario`` gives the horizon, the objective weights, the SLA policy and
    the category parts (its technicians and tickets are not read); ``ctx`` the
    skill and probable-part columns (every name of ``tickets`` in them).
    Windows are int64 seconds from the horizon start (no window: the whole
    horizon); an unassigned ticket pays its priority's penalty plus the SLA
    lateness it would have if served at the horizon end, so that dropping a
    late ticket never looks cheaper than serving it late.
    """
    win, cost, outside = _window_cost_rows(scenario, tickets)
    skills = [list(t.required_skills.items()) for t in tickets]
    probable = [list(probable_parts(scenario, t).items()) for t in tickets]
    cost = cost._replace(
        skill_col=_padded([[ctx.skill_idx[s] for s, _ in r] for r in skills], _I64, -1),
        skill_lvl=_padded([[lvl for _, lvl in r] for r in skills], _I64, 0),
        prob_col=_padded([[ctx.prob_idx[s] for s, _ in r] for r in probable], _I64, -1),
        prob_p=_padded([[p for _, p in r] for r in probable], np.float64, 0.0))
    return win, cost, outside


def probable_parts(scenario: Any, ticket: Any) -> Mapping[str, float]:
    """The ticket's probable parts, or its category's (``category_parts``)."""
    return ticket.probable_parts or scenario.category_parts.get(ticket.category, {})


def ticket_parts(tickets: Sequence[Any], sku_idx: Mapping[str, int],
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(part_ptr, part_sku, part_qty)``: the tickets' known parts as CSR rows."""
    ptr, sku = csr([[sku_idx[s] for s in t.parts] for t in tickets])
    _, qty = csr([list(t.parts.values()) for t in tickets])
    return ptr, sku, qty


def ticket_prefs(tickets: Sequence[Any], tech_idx: Mapping[str, int],
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(pref_ptr, pref_tech)``: the tickets' preferred technicians as CSR rows."""
    return csr([[tech_idx[p] for p in t.preferred_technicians] for t in tickets])


def _window_cost_rows(scenario: Any, tickets: Sequence[Any],
                      ) -> tuple[WindowData, CostData, np.ndarray]:
    """Windows, costs (the word rows empty) and outside flags of ``tickets``."""
    horizon, weights = scenario.horizon, scenario.objective
    to_int, hlen, n = horizon.to_internal, horizon.length, len(tickets)
    starts: list[list[int]] = []
    ends: list[list[int]] = []
    soft = np.zeros(n, dtype=np.bool_)
    late_w = np.zeros(n)
    response_by = np.full(n, NO_DEADLINE, dtype=_I64)
    resolve_by = np.full(n, NO_DEADLINE, dtype=_I64)
    priority = np.fromiter((int(t.priority) for t in tickets), dtype=_I64, count=n)
    outside = np.zeros(n, dtype=np.bool_)
    for i, ticket in enumerate(tickets):
        if ticket.windows:
            starts.append([to_int(w.start) for w in ticket.windows])
            ends.append([to_int(w.end) for w in ticket.windows])
            outside[i] = ends[-1][-1] < 0 or starts[-1][0] > hlen
        else:
            starts.append([0])
            ends.append([hlen])
        soft[i] = ticket.window_kind == "soft"
        late_w[i] = weights.window_lateness * ticket.lateness_cost / 60.0
        response, resolve = scenario.deadlines(ticket)
        if response is not None:
            response_by[i] = to_int(response)
        if resolve is not None:
            resolve_by[i] = to_int(resolve)
    ptr, start = csr(starts)
    _, end = csr(ends)
    sla_w = (np.array(weights.sla_array()) / 60.0)[priority]
    sla_at_end = np.maximum(hlen - response_by, 0) + np.maximum(hlen - resolve_by, 0)
    penalty = np.array(weights.unassigned_array())[priority] + sla_w * sla_at_end
    return (WindowData(ptr=ptr, start=start, end=end, soft=soft),
            CostData(late_w=late_w, response_by=response_by, resolve_by=resolve_by,
                     sla_w=sla_w, penalty=penalty, priority=priority, skill_col=_NO_ROWS,
                     skill_lvl=_NO_ROWS, prob_col=_NO_ROWS, prob_p=_NO_ROWS), outside)


_NO_ROWS = np.zeros((0, 0))


def parts_short(van: np.ndarray, part_ptr: np.ndarray, part_sku: np.ndarray,
                part_qty: np.ndarray, depot: np.ndarray) -> np.ndarray:
    """Which technicians can never bring a ticket's parts: the ``PART`` incompatibility.

    ``van`` is ``(T, S)`` van stock, ``part_*`` the tickets' parts (CSR over the
    ``N`` tickets: sku indices and units), ``depot`` ``(D, S)`` the units each
    depot holds. Returns ``(T, N)`` bool: the van lacks some of the ticket's parts
    and no single depot holds all that it lacks (one depot stop per route picks
    up the shortfall). Vectorised over the tickets' part entries (one pass per
    depot), so a technician row costs a few array operations, not one per ticket.
    """
    short = np.zeros((van.shape[0], part_ptr.shape[0] - 1), dtype=np.bool_)
    has = np.diff(part_ptr) > 0
    if not has.any():
        return short
    starts = part_ptr[:-1][has]  # the non-empty segments cover every part entry
    held = van[:, part_sku]  # (T, E)
    lacks = np.logical_or.reduceat(held < part_qty[None, :], starts, axis=1)
    if depot.shape[0] and lacks.any():
        gap = np.maximum(part_qty[None, :] - held, 0)  # (T, E)
        covered = np.zeros_like(lacks)
        for d in range(depot.shape[0]):
            covered |= np.logical_and.reduceat(depot[d, part_sku][None, :] >= gap, starts,
                                               axis=1)
        lacks &= ~covered
    short[:, has] = lacks
    return short


def skill_codes(held: np.ndarray, needed: np.ndarray,
                expired: np.ndarray | None = None) -> np.ndarray:
    """``SKILL`` / ``LEVEL`` / ``CERTIFICATION`` codes of technicians × tickets (``(T, N)``
    int8, 0 elsewhere).

    ``held`` is ``(T, K)`` skill levels of the technicians (0: not held), ``needed``
    ``(N, K)`` the levels the tickets require (0: not required), ``expired`` ``(T, K)``
    bool the certifications counting on none of the technician's routes
    (:func:`expired_everywhere`; ``None``: none); on routes of other days
    :func:`route_certified` decides. ``SKILL`` (a required skill not held) wins over ``LEVEL`` (held
    below the required level), which wins over ``CERTIFICATION`` (held at the level,
    but its certification expired: treated as absent).
    """
    codes = np.zeros((held.shape[0], needed.shape[0]), dtype=np.int8)
    lapsed = np.zeros(codes.shape, dtype=np.bool_)
    for k in range(needed.shape[1]):
        cols = np.flatnonzero(needed[:, k] > 0)  # only tickets requiring skill k change
        if not cols.shape[0]:
            continue
        need = needed[cols, k]
        have = held[:, k]
        if expired is not None and expired[:, k].any():
            lapsed[np.ix_(expired[:, k], cols)] = True
        sub = codes[:, cols]
        sub[((have[:, None] > 0) & (have[:, None] < need[None, :])) & (sub == 0)] = \
            Incompatibility.LEVEL
        sub[have == 0, :] = Incompatibility.SKILL
        codes[:, cols] = sub
    codes[lapsed & (codes == 0)] = Incompatibility.CERTIFICATION
    return codes


def resource_codes(codes: np.ndarray, van: np.ndarray, part_ptr: np.ndarray,
                   part_sku: np.ndarray, part_qty: np.ndarray, depot: np.ndarray,
                   excluded: np.ndarray, tech_cap: np.ndarray, demand: np.ndarray) -> None:
    """Add ``PART``, ``EXCLUDED`` and ``CAPACITY`` to ``codes`` (``(T, N)``, in place) where it
    is 0, in that precedence.

    ``van`` is ``(T, S)`` van stock, ``part_*`` the tickets' parts (CSR over the
    ``N`` tickets), ``depot`` ``(D, S)`` depot stock (:func:`parts_short`),
    ``excluded`` ``(T, N)`` bool customer exclusions, ``tech_cap`` ``(T,)`` the
    technicians' capacity and ``demand`` ``(N,)`` the tickets' demand.
    """
    codes[parts_short(van, part_ptr, part_sku, part_qty, depot) & (codes == 0)] = \
        Incompatibility.PART
    codes[excluded & (codes == 0)] = Incompatibility.EXCLUDED
    codes[(tech_cap[:, None] < demand[None, :]) & (codes == 0)] = Incompatibility.CAPACITY


def service_seconds(durations: np.ndarray, factors: np.ndarray, skill_factor: np.ndarray,
                    has_factors: np.ndarray, needed: np.ndarray,
                    too_long: Callable[[int, int, float], Exception]) -> np.ndarray:
    """Service seconds of technicians × tickets (``(T, N)`` int32, at least 1).

    A ticket's ``duration`` times the technician's ``service_factor``, times —
    for a technician with skill factors (``has_factors``) — the largest of
    their factors for the skills the ticket requires (1 for a skill without
    one, or a ticket that requires none). ``skill_factor`` is ``(T, K)`` (1
    where not set) and ``needed`` ``(N, K)`` required levels over the same
    ``K`` skills. int32 keeps the matrix small; validation bounds duration ×
    factors far below 2³¹ − 1, and ``too_long(t, i, seconds)`` builds the error
    raised if a value still does not fit (defence in depth against a wrap).
    """
    service = factors[:, None] * durations[None, :]
    if needed.shape[1]:
        required = needed > 0  # (N, K)
        for t in np.flatnonzero(has_factors).tolist():  # (one (N, K) pass per technician)
            mult = np.where(required, skill_factor[t][None, :], -np.inf).max(axis=1)
            mult[~np.isfinite(mult)] = 1.0
            service[t] *= mult
    np.rint(service, out=service)  # (in place: a T x N matrix is large)
    np.maximum(service, 1.0, out=service)
    top = service.max() if service.size else 0.0
    over = ~(service <= np.iinfo(np.int32).max) if not top <= np.iinfo(np.int32).max \
        else None  # (the max is NaN when any value is: also caught)
    if over is not None:
        t_idx, i = (int(k) for k in np.argwhere(over)[0])
        raise too_long(t_idx, i, float(service[t_idx, i]))
    return service.astype(np.int32)


def week_block(scenario: Any) -> WeekData:
    """The weekly rules of the scenario's technicians (:class:`WeekData`).

    Weeks are calendar (ISO) weeks in the horizon start's timezone — Monday 00:00 to the
    next Monday 00:00, the calendar rule of ``max_tickets_per_day`` — from the week of
    the horizon start to the week of the last shift start. ``Technician.week_work_done``
    counts in the first week only. No technician with ``max_weekly_work`` or
    ``weekly_overtime_after``: no weeks (every weekly check is off).
    """
    techs = scenario.technicians
    if all(t.max_weekly_work is None and t.weekly_overtime_after is None for t in techs):
        return no_weeks(len(techs))
    horizon = scenario.horizon
    tz = horizon.start.tzinfo
    first = horizon.start.astimezone(tz).date()
    monday = first - timedelta(days=first.weekday())
    last = max((sh.start.astimezone(tz).date() for t in techs for sh in t.shifts),
               default=first)
    num_weeks = max((last - monday).days // 7 + 1, 1)
    start = np.array([horizon.to_internal(datetime.combine(
        monday + timedelta(days=7 * k), time(0), tzinfo=tz)) for k in range(num_weeks + 1)],
        dtype=_I64)
    shape = (len(techs), num_weeks)
    cap = np.full(shape, NO_DEADLINE, dtype=_I64)
    after = np.full(shape, NO_DEADLINE, dtype=_I64)
    done = np.zeros(shape, dtype=_I64)
    for t, tech in enumerate(techs):
        if tech.max_weekly_work is not None:
            cap[t] = tech.max_weekly_work
        if tech.weekly_overtime_after is not None:
            after[t] = tech.weekly_overtime_after
        done[t, 0] = tech.week_work_done
    return WeekData(start=start, cap=cap, after=after, done=done)


def route_weeks(start: np.ndarray, r_open: np.ndarray) -> np.ndarray:
    """The week (row of :class:`WeekData`) of each route from its ``open`` (-1: before
    the first or after the last week, or no weeks): the rule of
    :func:`fsdispatch.kernels.weekly.route_week`."""
    if start.shape[0] == 0:
        return np.full(r_open.shape[0], -1, dtype=_I64)
    k = np.searchsorted(start, r_open, side="right").astype(_I64) - 1
    k[(k < 0) | (k >= start.shape[0] - 1)] = -1
    return k
