"""Staffing studies on the user's own team: nested staffing levels and their statistics.

A :class:`Staffing` spec turns one team (a :class:`~fsdispatch.Scenario`'s
technicians) into nested teams, one per staffing level: smaller levels
remove technicians in a stated order (the least utilised first, or the
user's order), larger levels add clones of named template technicians
(:class:`Hire`). Every level's team is a superset of every smaller level's
team, and with the same seed every level sees the same tickets, arrival
times, service outcomes and technician absences (common random numbers), so
the difference between two levels is the effect of the technicians added.

:class:`ExperimentResult` (what :func:`~fsdispatch.sim.run_experiment`
returns: a pandas DataFrame, one row per replication) adds the statistics of
a staffing study: paired differences with confidence intervals
(:meth:`ExperimentResult.compare`), the smallest level that meets a target
with a stated confidence (:meth:`ExperimentResult.min_staff`) and plots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import attrs

from ..domain import Location, Scenario, Shift, Technician
from ..errors import ValidationError
from ..units import DAY, Horizon

__all__ = [
    "LEAST_UTILISED",
    "Hire",
    "Staffing",
    "extend_shifts",
    "min_staff_level",
    "paired_differences",
]

#: ``Staffing.remove_order`` value: remove the technicians a pilot run used least first
LEAST_UTILISED = "least_utilised"


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError.for_field("Hire", None, "count", value, "must be an integer >= 1")
    return value


@attrs.frozen
class Hire:
    """Clones of a template technician, added above the team's own size.

    Parameters
    ----------
    template_id:
        Id of a technician of the team: the clones copy their skills, shifts,
        speed factors, cost and van stock.
    count:
        Number of clones (>= 1).
    home:
        Where the clones start and end their days (default: the template's
        home), e.g. the north depot's location.
    label:
        Id prefix of the clones (default ``"<template_id>+hire"``): the clones
        are ``<label>1``, ``<label>2``, ...

    Examples
    --------
    Two more technicians like ``tech-3`` based at the north depot:
    ``Hire("tech-3", 2, home=Location.geo(52.57, 13.40))``.
    """

    template_id: str
    count: int = attrs.field(default=1, converter=_count)
    home: Location | None = None
    label: str | None = None

    def clones(self, template: Technician) -> list[Technician]:
        """The hired technicians, copies of ``template`` (moved to ``home`` if given)."""
        prefix = self.label if self.label is not None else f"{template.id}+hire"
        out = []
        for k in range(1, self.count + 1):
            tech = attrs.evolve(template, id=f"{prefix}{k}")
            if self.home is not None:
                shifts = tuple(attrs.evolve(
                    s, start_location=None if s.start_location is None else self.home,
                    end_location=None if s.end_location is None else self.home)
                    for s in tech.shifts)
                tech = attrs.evolve(tech, start_location=self.home, shifts=shifts,
                                    end_location=None if tech.end_location is None
                                    else self.home)
            out.append(tech)
        return out


def _levels(value: object) -> tuple[int, ...]:
    try:
        levels: tuple[Any, ...] = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValidationError.for_field("Staffing", None, "levels", value,
                                        "must be a list of integers >= 1") from None
    if not levels or any(isinstance(n, bool) or not isinstance(n, int) or n < 1
                         for n in levels):
        raise ValidationError.for_field("Staffing", None, "levels", value,
                                        "must be a non-empty list of integers >= 1")
    if len(set(levels)) != len(levels):
        raise ValidationError.for_field("Staffing", None, "levels", value,
                                        "must not repeat a level")
    return tuple(sorted(levels))


def _order(value: object) -> str | tuple[str, ...]:
    if value == LEAST_UTILISED:
        return LEAST_UTILISED
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError.for_field("Staffing", None, "remove_order", value,
                                        f"must be {LEAST_UTILISED!r} or a list of "
                                        "technician ids")
    ids = tuple(str(v) for v in value)
    if len(set(ids)) != len(ids):
        raise ValidationError.for_field("Staffing", None, "remove_order", value,
                                        "must not repeat a technician")
    return ids


def _hires(value: object) -> tuple[Hire, ...]:
    items = (value,) if isinstance(value, Hire) else tuple(value)  # type: ignore[arg-type]
    if not all(isinstance(h, Hire) for h in items):
        raise ValidationError.for_field("Staffing", None, "add", value,
                                        "must be a list of Hire(...)")
    return items


@attrs.frozen
class Staffing:
    """Nested staffing levels of one team.

    Parameters
    ----------
    levels:
        Team sizes to study (sorted; each >= 1 and at most the team's size
        plus the hires).
    remove_order:
        Below the team's size, which technicians go first:
        ``"least_utilised"`` (default) — by utilisation (busy time / shift
        time, ties by id) in a *pilot run*: the full team (without hires)
        simulated once with the experiment's first policy and seed 0 — or a
        list of technician ids, removed in that order (it must name at least
        ``team size - min(levels)`` technicians).
    add:
        Above the team's size, the hires in order: level ``n + k`` is the
        team plus the first ``k`` clones.

    A level's team is a superset of every smaller level's team.
    """

    levels: tuple[int, ...] = attrs.field(converter=_levels)
    remove_order: str | tuple[str, ...] = attrs.field(default=LEAST_UTILISED, converter=_order)
    add: tuple[Hire, ...] = attrs.field(default=(), converter=_hires)

    @property
    def needs_pilot(self) -> bool:
        """Whether :meth:`teams` needs a utilisation measure (``least_utilised`` removals)."""
        return self.remove_order == LEAST_UTILISED

    def pool(self, scenario: Scenario) -> tuple[Technician, ...]:
        """The team followed by every hire, in the order they are added."""
        by_id = {t.id: t for t in scenario.technicians}
        out = list(scenario.technicians)
        for hire in self.add:
            if hire.template_id not in by_id:
                raise ValidationError.for_field("Hire", None, "template_id", hire.template_id,
                                                f"is not a technician of the team "
                                                f"({sorted(by_id)[:8]}...)")
            out.extend(hire.clones(by_id[hire.template_id]))
        ids = [t.id for t in out]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValidationError.for_field("Staffing", None, "add", dup,
                                            "hire ids clash with the team's; give a label")
        return tuple(out)

    def teams(self, scenario: Scenario, utilisation: Mapping[str, float] | None = None
              ) -> dict[int, tuple[Technician, ...]]:
        """Each level's team (technicians in the team's order, hires last).

        Parameters
        ----------
        scenario:
            The team.
        utilisation:
            Technician id -> utilisation of the pilot run (needed with
            ``remove_order="least_utilised"`` when a level is below the team's size).

        Raises
        ------
        ValidationError
            A level out of range, an unknown id in ``remove_order`` or a hire's
            template, or a removal order too short.
        """
        team = scenario.technicians
        pool = self.pool(scenario)
        n0 = len(team)
        for n in self.levels:
            if n > len(pool):
                raise ValidationError.for_field(
                    "Staffing", None, "levels", n,
                    f"exceeds the team ({n0}) plus the hires ({len(pool) - n0}); add Hire(...)")
        removals = n0 - min(min(self.levels), n0)
        ids = [t.id for t in team]
        if self.remove_order == LEAST_UTILISED:
            if removals and utilisation is None:
                raise ValidationError.for_field("Staffing", None, "utilisation", None,
                                                "least_utilised removal needs a pilot run")
            util = utilisation or {}
            order = sorted(ids, key=lambda i: (float(util.get(i, 0.0)), i))
        else:
            order = list(self.remove_order)
            unknown = [i for i in order if i not in set(ids)]
            if unknown:
                raise ValidationError.for_field("Staffing", None, "remove_order", unknown,
                                                "names technicians not in the team")
            if len(order) < removals:
                raise ValidationError.for_field(
                    "Staffing", None, "remove_order", self.remove_order,
                    f"must name at least {removals} technicians to reach level "
                    f"{min(self.levels)}")
        out: dict[int, tuple[Technician, ...]] = {}
        for n in self.levels:
            if n <= n0:
                gone = set(order[:n0 - n])
                out[n] = tuple(t for t in team if t.id not in gone)
            else:
                out[n] = pool[:n]
        return out


def team_scenario(scenario: Scenario, team: Sequence[Technician]) -> Scenario:
    """``scenario`` staffed by ``team`` (a staffing level): the backlog tickets' preferred
    and excluded technicians who are not on the team are dropped from them (a technician
    removed at this level serves no one, prefers no one, and no ticket refers to them)."""
    ids = {t.id for t in team}
    tickets = []
    for ticket in scenario.tickets:
        pref = tuple(t for t in ticket.preferred_technicians if t in ids)
        excl = tuple(t for t in ticket.excluded_technicians if t in ids)
        if pref != ticket.preferred_technicians or excl != ticket.excluded_technicians:
            ticket = attrs.evolve(ticket, preferred_technicians=pref, excluded_technicians=excl)
        tickets.append(ticket)
    return attrs.evolve(scenario, technicians=tuple(team), tickets=tuple(tickets))


def extend_shifts(scenario: Scenario, days: int,
                  working_days: Sequence[int] = (0, 1, 2, 3, 4)) -> Scenario:
    """A team read for one day (e.g. from a technicians CSV), working ``days`` days.

    Each technician's first shift (times, breaks, start and end places) is
    repeated on every day from the horizon's start whose weekday is in
    ``working_days`` (0 = Monday); the horizon becomes ``days`` days from
    midnight of its start. Tickets are kept.

    Raises
    ------
    ValidationError
        ``days`` < 1, or a technician without a shift.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError.for_field("extend_shifts", None, "days", days,
                                        "must be an integer >= 1")
    origin = scenario.horizon.start.replace(hour=0, minute=0, second=0, microsecond=0)
    techs = []
    for tech in scenario.technicians:
        if not tech.shifts:
            raise ValidationError.for_field("Technician", tech.id, "shifts", (),
                                            "needs a shift to repeat")
        first = tech.shifts[0]
        day0 = first.start.replace(hour=0, minute=0, second=0, microsecond=0)
        shifts: list[Shift] = []
        for d in range(days):
            day = origin + timedelta(days=d)
            if day.weekday() not in working_days:
                continue
            delta = day - day0
            shifts.append(attrs.evolve(
                first, start=first.start + delta, end=first.end + delta,
                breaks=tuple(attrs.evolve(b, window=attrs.evolve(
                    b.window, start=b.window.start + delta, end=b.window.end + delta))
                    for b in first.breaks)))
        techs.append(attrs.evolve(tech, shifts=tuple(shifts)))
    return attrs.evolve(scenario, technicians=tuple(techs),
                        horizon=Horizon(origin, origin + timedelta(seconds=days * DAY)))


# ------------------------------------------------------------------ statistics
def _t_quantile(p: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(p, df))


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, float | int) and 0.0 < float(confidence) < 1.0):
        raise ValidationError.for_field("ExperimentResult", None, "confidence", confidence,
                                        "must be in (0, 1)")


def paired_differences(values: Mapping[Any, float], baseline: Mapping[Any, float],
                       confidence: float = 0.95) -> dict[str, float]:
    """Mean paired difference ``values[s] - baseline[s]`` over common keys, with a t interval.

    Returns ``n``, ``mean``, ``sd``, ``low``, ``high`` (two-sided interval at
    ``confidence``; ``nan`` bounds below two pairs).
    """
    _check_confidence(confidence)
    keys = [k for k in values if k in baseline]
    diffs = [float(values[k]) - float(baseline[k]) for k in keys]
    n = len(diffs)
    nan = float("nan")
    if n == 0:
        return {"n": 0, "mean": nan, "sd": nan, "low": nan, "high": nan}
    mean = sum(diffs) / n
    if n < 2:
        return {"n": 1, "mean": mean, "sd": nan, "low": nan, "high": nan}
    sd = math.sqrt(sum((x - mean) ** 2 for x in diffs) / (n - 1))
    half = _t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "low": mean - half, "high": mean + half}


def min_staff_level(values_by_level: Mapping[int, Sequence[float]], target: float,
                    confidence: float = 0.95, higher_is_better: bool = True
                    ) -> tuple[int | None, dict[int, float]]:
    """The smallest level whose one-sided confidence bound of the mean meets ``target``.

    For each level (ascending) the bound is ``mean - t(confidence, n-1) * sd / sqrt(n)``
    (``+`` when lower is better); a level with fewer than two values has no
    bound (``nan``) and never qualifies. Returns ``(level or None, bounds)``.
    """
    _check_confidence(confidence)
    bounds: dict[int, float] = {}
    found: int | None = None
    for level in sorted(values_by_level):
        xs = [float(x) for x in values_by_level[level] if not math.isnan(float(x))]
        n = len(xs)
        if n < 2:
            bounds[level] = float("nan")
            continue
        mean = sum(xs) / n
        sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
        half = _t_quantile(confidence, n - 1) * sd / math.sqrt(n)
        bound = mean - half if higher_is_better else mean + half
        bounds[level] = bound
        ok = bound >= target if higher_is_better else bound <= target
        if ok and found is None:
            found = level
    return found, bounds
