"""explain(): why this technician and not the runner-up, or what would let a ticket be served.

Reads only the compiled problem, the plan and the shared evaluator's
timings, so it explains plans of every backend.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..evaluate.evaluation import Evaluation
from ..evaluate.evaluator import evaluate
from ..plan import Plan
from ..problem.problem import NO_DEADLINE, Incompatibility, Problem
from ..units import MAX_WEEKLY_WORK
from .pricing import TERMS, insertion_terms

__all__ = ["Alternative", "Explanation", "Relaxation", "apply_relaxation", "explain"]

_TIGHT = 15 * 60  # seconds of slack under which a constraint is called binding
_NOTHING = "no single change found (skills, parts, excluded technicians, window, shift, room, " \
    "priority)"


@attrs.frozen
class Alternative:
    """A technician shift priced for the ticket: where, when and at what cost (by term)."""

    technician_id: str
    shift: int
    position: int
    start: datetime
    cost: float
    terms: dict[str, float]


@attrs.frozen
class Explanation:
    """Why a ticket is where it is (or why it is not served).

    Attributes
    ----------
    ticket_id:
        The ticket.
    assigned:
        Whether the plan serves it.
    chosen:
        Its technician, position, start and the cost of serving it there
        (as if inserted last), by objective term.
    runner_up:
        The cheapest other technician for it, given the rest of the plan.
    binding:
        Constraints with (almost) no slack at the chosen slot.
    deciding:
        The cost terms that separate the choice from the runner-up, largest first.
    excluded:
        Technicians that could never serve it, counted by reason.
    reason:
        For an unassigned ticket, the plan's reason.
    what_if:
        For an unassigned ticket, changes that would let it be served
        (a skill, a part, a wider window, an extra hour of shift…), in words.
    relaxations:
        The same changes as :class:`Relaxation` objects: each one, applied
        with :func:`apply_relaxation`, makes the ticket placeable in the plan
        at a cost below its unassigned penalty (checked on the recompiled
        scenario before it is offered).
    """

    ticket_id: str
    assigned: bool
    chosen: Alternative | None
    runner_up: Alternative | None
    binding: tuple[str, ...]
    deciding: tuple[str, ...]
    excluded: dict[str, int]
    reason: str | None
    what_if: tuple[str, ...]
    relaxations: tuple[Relaxation, ...] = ()

    def __str__(self) -> str:
        lines = [f"Ticket {self.ticket_id}:"]
        if self.chosen is not None:
            c = self.chosen
            lines.append(f"  served by {c.technician_id} at {c.start:%H:%M} "
                         f"(cost {c.cost:.1f})")
        else:
            lines.append(f"  unassigned ({self.reason})")
        if self.runner_up is not None:
            u = self.runner_up
            lines.append(f"  runner-up {u.technician_id} at {u.start:%H:%M} (cost {u.cost:.1f})")
        lines += [f"  binding: {b}" for b in self.binding]
        lines += [f"  decided by: {d}" for d in self.deciding]
        lines += [f"  would be served if: {w}" for w in self.what_if]
        if self.excluded:
            lines.append("  never possible: " + ", ".join(f"{n} {k}"
                                                        for k, n in self.excluded.items()))
        return "\n".join(lines)


def _price(problem: Problem, kd: Any, st: Any, j: int, routes: np.ndarray,
           ) -> list[tuple[float, int, int]]:
    from ..kernels.insertion import make_work
    from ._kernels import price_routes

    if not routes.size:
        return []
    cost = np.empty(routes.shape[0])
    pos = np.empty(routes.shape[0], dtype=np.int64)
    status = np.empty(routes.shape[0], dtype=np.int64)
    price_routes(kd, routes, j, st, make_work(kd, st.seq.shape[1]), cost, pos, status)
    return sorted((float(c), int(r), int(p)) for c, r, p in zip(cost, routes, pos, strict=True)
                  if math.isfinite(c))


def _alternative(problem: Problem, kd: Any, st: Any, j: int, r: int, p: int) -> Alternative:
    from ._kernels import insertion_detail

    buf = np.empty(st.seq.shape[1] + 2, dtype=np.int64)
    scratch = np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64)
    det = insertion_detail(kd, r, j, p, st, scratch, buf)
    terms = insertion_terms(kd, st, r, j, p, det)
    total = sum(terms.values())
    t_idx, shift = problem.index.routes[r]
    return Alternative(problem.index.technician_ids[t_idx], shift, p,
                       problem.scenario.horizon.to_datetime(int(det[2])), total, terms)


def explain(problem: Problem, plan: Plan, ticket: str | int, *,
            evaluation: Evaluation | None = None) -> Explanation:
    """Explain the plan's decision for one ticket.

    Parameters
    ----------
    problem:
        The compiled problem the plan is for.
    plan:
        A routing plan from any backend (or the live dispatcher).
    ticket:
        Ticket id or index.
    evaluation:
        The evaluator's result for ``plan`` (computed when omitted).

    Returns
    -------
    Explanation
        For a served ticket: the chosen slot and its cost by term, the
        runner-up technician, the binding constraints and the deciding cost
        terms. For an unassigned one: the reason and what would have to
        change for it to be served.
    """
    from ..solvers.greedy import make_state
    from ._kernels import remove_at

    if plan.mode != "routing":
        raise ValidationError.for_field("Plan", None, "mode", plan.mode,
                                        "must be 'routing' to explain a sequence")
    index = problem.index
    j = index.ticket_idx(ticket) if isinstance(ticket, str) else int(ticket)
    if not 0 <= j < problem.num_tickets:
        raise ValidationError.for_field("explain", None, "ticket", ticket,
                                        "must be a ticket id or index of the problem")
    tid = index.ticket_ids[j]
    ev = evaluation if evaluation is not None else evaluate(problem, plan)
    kd = problem.data
    st = make_state(problem, plan.routes)
    to_dt = problem.scenario.horizon.to_datetime
    compat = problem.compatible[:, j]
    excluded: dict[str, int] = {}
    for code in np.unique(compat).tolist():
        if code:
            excluded[Incompatibility(code).name.lower()] = int((compat == code).sum())
    r_of = next((r for r, route in enumerate(plan.routes) if j in route), None)
    if r_of is None:
        reason = plan.unassigned.get(j)
        relax = tuple(_what_if(problem, plan, j))
        return Explanation(tid, False, None, _best_other(problem, kd, st, j, None), (), (),
                           excluded, reason.value if reason else None,
                           tuple(r.text for r in relax) or (_NOTHING,), relax)
    # served: take it out, price its own slot and the best other technician
    p = plan.routes[r_of].index(j)
    scratch = np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64)
    remove_at(kd, r_of, p, st, scratch)
    chosen = _alternative(problem, kd, st, j, r_of, p)
    runner = _best_other(problem, kd, st, j, int(kd.rt.tech[r_of]))
    deciding: list[str] = []
    if runner is not None:
        diffs = sorted(((runner.terms[t] - chosen.terms[t], t) for t in TERMS),
                       key=lambda x: -abs(x[0]))
        for d, term in diffs:
            if abs(d) > 1e-9:
                who = chosen.technician_id if d > 0 else runner.technician_id
                deciding.append(f"{term}: {abs(d):.1f} cheaper with {who}")
    else:
        deciding.append("no other technician can take it given the rest of the plan")
    # binding constraints at the chosen slot, from the evaluator's timings
    k = int(np.flatnonzero(ev.times.ticket == j)[0])
    start, end = int(ev.times.start[k]), int(ev.times.end[k])
    binding: list[str] = []
    last_end = int(kd.win.end[kd.win.ptr[j + 1] - 1])
    if not kd.win.soft[j] and last_end - start < _TIGHT:
        binding.append(f"appointment window closes at {to_dt(last_end):%H:%M} "
                       f"({(last_end - start) // 60} min slack)")
    if int(ev.times.wait[k]) > 0:
        binding.append(f"waits {int(ev.times.wait[k]) // 60} min for the window opening at "
                       f"{to_dt(start):%H:%M}")
    for label, dl, t in (("response", kd.cost.response_by[j], start),
                         ("resolution", kd.cost.resolve_by[j], end)):
        if dl < NO_DEADLINE and int(dl) - t < _TIGHT:
            slack = int(dl) - t
            binding.append(f"SLA {label} deadline {to_dt(int(dl)):%H:%M} "
                           + (f"({slack // 60} min slack)" if slack >= 0
                              else f"(late by {-slack // 60} min)"))
    ret = int(ev.times.route_return[r_of])
    if int(kd.rt.max_close[r_of]) - ret < _TIGHT:
        binding.append(f"shift end: back {max(int(kd.rt.max_close[r_of]) - ret, 0) // 60} min "
                       "before the latest return")
    g = int(kd.rt.group[r_of])
    count = sum(len(plan.routes[r]) for r in np.flatnonzero(kd.rt.group == g).tolist())
    if count >= int(kd.rt.group_cap[g]):
        binding.append(f"daily ticket cap reached ({count}/{int(kd.rt.group_cap[g])})")
    binding.extend(_weekly_binding(kd, st, r_of, j, p, scratch))
    return Explanation(tid, True, chosen, runner, tuple(binding), tuple(deciding), excluded,
                       None, ())


def _weekly_binding(kd: Any, st: Any, r: int, j: int, p: int,
                    scratch: np.ndarray) -> list[str]:
    """The technician's weekly work cap, when the week (with ``j`` back at position ``p``
    of route ``r``) is within the slack of it."""
    if not kd.week.start.shape[0]:
        return []
    from ..kernels.routes import insert_at
    from ..kernels.weekly import route_week_work

    insert_at(kd, r, j, p, st, scratch)
    k, total = (int(x) for x in route_week_work(kd, st, r))
    if k < 0:
        return []
    cap = int(kd.week.cap[int(kd.rt.tech[r]), k])
    if cap >= NO_DEADLINE or cap - total >= _TIGHT:
        return []
    return [f"weekly work cap: {total // 60} of {cap // 60} min worked this week"]


def _best_other(problem: Problem, kd: Any, st: Any, j: int, tech: int | None,
                ) -> Alternative | None:
    routes = problem.routes_for(j)
    if tech is not None:
        routes = routes[kd.rt.tech[routes] != tech]
    priced = _price(problem, kd, st, j, routes)
    if not priced:
        return None
    _, r, p = priced[0]
    return _alternative(problem, kd, st, j, r, p)


@attrs.frozen
class Relaxation:
    """One change that would let an unassigned ticket be served, checked before it is offered.

    ``kind`` is ``"skill"`` (the technician holds the required skills at the
    required levels), ``"certification"`` (their certifications of the required skills
    renewed to the horizon end), ``"territory"`` (they also cover the ticket's
    territory), ``"part"`` (their van holds the parts), ``"excluded"``
    (the customer does not exclude them), ``"window"`` (the ticket's windows
    stay open until the horizon end), ``"shift"`` (every shift one hour
    longer), ``"room"`` (one more ticket per day and capacity for its demand
    for every technician), ``"week"`` (every weekly work cap raised by the
    ticket's duration plus an hour) or ``"priority"`` (the ticket at ``priority``).
    Applied with :func:`apply_relaxation` to the plan's scenario, the
    compiled problem has a feasible insertion of the ticket into the plan
    that costs less than leaving it out (``cost``, by the same pricing as
    ``recommend``).
    """

    kind: str
    text: str
    cost: float
    technician_id: str | None = None
    priority: str | None = None


def apply_relaxation(scenario: Any, ticket_id: str, relaxation: Relaxation) -> Any:
    """``scenario`` with ``relaxation`` applied for ticket ``ticket_id`` (a new scenario)."""
    from ..domain.ticket import TimeWindow

    ticket = scenario.ticket(ticket_id)
    kind, tech_id = relaxation.kind, relaxation.technician_id

    def with_tech(change: Any) -> Any:
        return scenario.replace(technicians=[change(t) if t.id == tech_id else t
                                             for t in scenario.technicians])

    def with_ticket(**changes: Any) -> Any:
        return scenario.replace(tickets=[attrs.evolve(t, **changes) if t.id == ticket_id
                                         else t for t in scenario.tickets])

    if kind == "skill":
        return with_tech(lambda t: attrs.evolve(t, skills={
            **t.skills, **{s: max(t.skills.get(s, 0), lvl)
                           for s, lvl in ticket.required_skills.items()}}))
    if kind == "certification":
        return with_tech(lambda t: attrs.evolve(t, certifications={
            s: max(until, scenario.horizon.end) if s in ticket.required_skills else until
            for s, until in t.certifications.items()}))
    if kind == "territory":
        return with_tech(lambda t: attrs.evolve(
            t, territories=(*t.territories, ticket.territory)))
    if kind == "part":
        return with_tech(lambda t: attrs.evolve(t, van_stock={
            **t.van_stock, **{s: max(t.van_stock.get(s, 0), q) for s, q in ticket.parts.items()}}))
    if kind == "excluded":
        return with_ticket(excluded_technicians=tuple(
            x for x in ticket.excluded_technicians if x != tech_id))
    if kind == "window":
        end = scenario.horizon.end
        return with_ticket(windows=tuple(TimeWindow(w.start, end) for w in ticket.windows))
    if kind == "shift":
        end = scenario.horizon.end
        return scenario.replace(technicians=[attrs.evolve(t, shifts=[
            attrs.evolve(sh, end=min(sh.end + _HOUR, end)) for sh in t.shifts])
            for t in scenario.technicians])
    if kind == "room":
        return scenario.replace(technicians=[attrs.evolve(
            t, capacity=None if t.capacity is None else t.capacity + ticket.demand,
            max_tickets_per_day=None if t.max_tickets_per_day is None
            else t.max_tickets_per_day + 1) for t in scenario.technicians])
    if kind == "week":
        more = ticket.duration + 3600
        return scenario.replace(technicians=[
            t if t.max_weekly_work is None else attrs.evolve(
                t, max_weekly_work=min(t.max_weekly_work + more, MAX_WEEKLY_WORK))
            for t in scenario.technicians])
    if kind == "priority":
        return with_ticket(priority=relaxation.priority)
    raise ValidationError.for_field("Relaxation", None, "kind", kind, "is not a known kind")


_HOUR = timedelta(hours=1)


def _placeable(problem: Problem, plan: Plan, j: int,
               candidate: Relaxation) -> Alternative | None:
    """The cheapest slot of ticket ``j`` in ``plan`` once ``candidate`` is applied, if it costs
    less than leaving the ticket out (else None)."""
    from ..problem.compile import compile_scenario
    from ..solvers.greedy import make_state

    tid = problem.index.ticket_ids[j]
    try:
        relaxed = compile_scenario(apply_relaxation(problem.scenario, tid, candidate))
    except ValidationError:
        return None  # (the change itself is not a valid scenario)
    st = make_state(relaxed, plan.routes, plan.pickups)
    priced = _price(relaxed, relaxed.data, st, j, relaxed.routes_for(j))
    if priced and priced[0][0] < float(relaxed.data.cost.penalty[j]):
        _, r, p = priced[0]
        return _alternative(relaxed, relaxed.data, st, j, r, p)
    return None


def _candidates(problem: Problem, j: int) -> list[Relaxation]:
    """Changes worth checking for ticket ``j``: the nearest misses per technician and kind,
    then the timing, room and priority relaxations (unchecked; ``cost`` is 0)."""
    scenario = problem.scenario
    ticket = scenario.tickets[j]
    techs = scenario.technicians
    compat = problem.compatible[:, j]
    out: list[Relaxation] = []
    for code in (Incompatibility.LEVEL, Incompatibility.SKILL):
        for t_idx in np.flatnonzero(compat == code).tolist()[:_PER_KIND]:
            tech = techs[t_idx]
            gaps = [f"{s} level {lvl}" for s, lvl in ticket.required_skills.items()
                    if tech.skills.get(s, 0) < lvl]
            out.append(Relaxation("skill", f"{tech.id} held " + ", ".join(gaps), 0.0, tech.id))
    for t_idx in np.flatnonzero(compat == Incompatibility.CERTIFICATION).tolist()[:_PER_KIND]:
        tech = techs[t_idx]
        lapsed = [s for s in ticket.required_skills if s in tech.certifications]
        out.append(Relaxation("certification", f"{tech.id} renewed the certification of "
                              + ", ".join(lapsed), 0.0, tech.id))
    for t_idx in np.flatnonzero(compat == Incompatibility.TERRITORY).tolist()[:_PER_KIND]:
        tech = techs[t_idx]
        out.append(Relaxation("territory", f"{tech.id} also covered territory "
                              f"{ticket.territory}", 0.0, tech.id))
    for t_idx in np.flatnonzero(compat == Incompatibility.PART).tolist()[:_PER_KIND]:
        tech = techs[t_idx]
        miss = [f"{q} × {s}" for s, q in ticket.parts.items() if tech.van_stock.get(s, 0) < q]
        out.append(Relaxation("part", f"{tech.id}'s van held " + ", ".join(miss), 0.0, tech.id))
    for t_idx in np.flatnonzero(compat == Incompatibility.EXCLUDED).tolist()[:_PER_KIND]:
        tech = techs[t_idx]
        if tech.id in ticket.excluded_technicians:
            out.append(Relaxation("excluded", f"the customer did not exclude {tech.id}", 0.0,
                                  tech.id))
    if ticket.windows:
        out.append(Relaxation("window", "its window were open until the end of the horizon",
                              0.0))
    out.append(Relaxation("shift", "shifts were one hour longer", 0.0))
    if any(t.max_tickets_per_day is not None or t.capacity is not None for t in techs):
        out.append(Relaxation("room", "technicians could take one more ticket today", 0.0))
    if any(t.max_weekly_work is not None for t in techs):
        out.append(Relaxation("week", "weekly work caps were the ticket's duration plus an "
                              "hour higher", 0.0))
    if int(problem.data.cost.priority[j]) > 1:  # the most urgent level: if that does not
        out.append(Relaxation("priority", "it were P1", 0.0, priority="P1"))  # pay, none does
    return out


_PER_KIND = 3  # technicians checked per kind of miss


def _what_if(problem: Problem, plan: Plan, j: int) -> list[Relaxation]:
    """The candidate changes that, applied, make ticket ``j`` placeable in ``plan``."""
    out: list[Relaxation] = []
    for candidate in _candidates(problem, j):
        alt = _placeable(problem, plan, j, candidate)
        if alt is not None:
            out.append(attrs.evolve(candidate, cost=alt.cost, text=(
                f"{candidate.text}: {alt.technician_id} could start at {alt.start:%H:%M} "
                f"(cost {alt.cost:.0f})")))
    return out
