"""explain(): why this technician and not the runner-up, or what would let a ticket be served.

Reads only the compiled problem, the plan and the shared evaluator's
timings, so it explains plans of every backend.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..evaluate.evaluation import Evaluation
from ..evaluate.evaluator import evaluate
from ..plan import Plan, UnassignedReason
from ..problem.problem import NO_DEADLINE, Incompatibility, Problem

__all__ = ["Alternative", "Explanation", "explain"]

_TERMS = ("travel", "distance", "lateness", "overtime", "labour", "preference")
_TIGHT = 15 * 60  # seconds of slack under which a constraint is called binding


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
        (a skill, a part, a wider window, an extra hour of shift…).
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


def _terms(kd: Any, det: tuple[Any, ...]) -> tuple[float, dict[str, float]]:
    (_ok, _a, _s, _e, d_trav, d_km, d_late, d_ot, _ret, labour, pref) = det
    w = kd.w
    terms = {"travel": float(w.travel * d_trav), "distance": float(w.dist * d_km),
             "lateness": float(d_late), "overtime": float(w.overtime * d_ot),
             "labour": float(labour), "preference": float(pref)}
    return sum(terms.values()), terms


def _price(problem: Problem, kd: Any, st: Any, j: int, routes: np.ndarray,
           ) -> list[tuple[float, int, int]]:
    from ..solvers._greedy_kernels import make_work
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
    total, terms = _terms(kd, det)
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
        return Explanation(tid, False, None, _best_other(problem, kd, st, j, None), (), (),
                           excluded, reason.value if reason else None,
                           tuple(_what_if(problem, st, j, reason)))
    # served: take it out, price its own slot and the best other technician
    p = plan.routes[r_of].index(j)
    scratch = np.empty(kd.brk.dur.shape[0] + 1, dtype=np.int64)
    remove_at(kd, r_of, p, st, scratch)
    chosen = _alternative(problem, kd, st, j, r_of, p)
    runner = _best_other(problem, kd, st, j, int(kd.rt.tech[r_of]))
    deciding: list[str] = []
    if runner is not None:
        diffs = sorted(((runner.terms[t] - chosen.terms[t], t) for t in _TERMS),
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
    return Explanation(tid, True, chosen, runner, tuple(binding), tuple(deciding), excluded,
                       None, ())


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


def _what_if(problem: Problem, st: Any, j: int, reason: UnassignedReason | None) -> list[str]:
    kd = problem.data
    scenario = problem.scenario
    ticket = scenario.tickets[j]
    techs = scenario.technicians
    out: list[str] = []
    compat = problem.compatible[:, j]
    # compatibility: the nearest miss per kind
    for t_idx in np.flatnonzero(compat == Incompatibility.LEVEL).tolist()[:2]:
        tech = techs[t_idx]
        gaps = [f"{s} level {lvl}" for s, lvl in ticket.required_skills.items()
                if tech.skills.get(s, 0) < lvl]
        out.append(f"{tech.id} held " + ", ".join(gaps))
    if not (compat == Incompatibility.OK).any() and not (compat == Incompatibility.SHIFT).any():
        for t_idx in np.flatnonzero(compat == Incompatibility.SKILL).tolist()[:2]:
            tech = techs[t_idx]
            miss = [s for s in ticket.required_skills if s not in tech.skills]
            if len(miss) == 1:
                out.append(f"{tech.id} held skill {miss[0]} "
                           f"(level {ticket.required_skills[miss[0]]})")
    for t_idx in np.flatnonzero(compat == Incompatibility.PART).tolist()[:2]:
        tech = techs[t_idx]
        miss = [f"{q} × {s}" for s, q in ticket.parts.items() if tech.van_stock.get(s, 0) < q]
        out.append(f"{tech.id}'s van held " + ", ".join(miss))
    for t_idx in np.flatnonzero(compat == Incompatibility.EXCLUDED).tolist()[:2]:
        out.append(f"the customer did not exclude {techs[t_idx].id}")
    # timing and capacity: relax one thing at a time and price again
    able = np.flatnonzero((compat == Incompatibility.OK) | (compat == Incompatibility.SHIFT))
    routes = np.flatnonzero(np.isin(kd.rt.tech, able)).astype(np.int64)
    if routes.size:
        hlen = scenario.horizon.length
        win = kd.win
        lo, hi = int(win.ptr[j]), int(win.ptr[j + 1])
        end = win.end.copy()
        end[lo:hi] = np.maximum(end[lo:hi], hlen)
        wide = kd._replace(win=win._replace(end=end))
        rt = kd.rt
        longer = kd._replace(rt=rt._replace(close=rt.close + 3600, max_close=rt.max_close + 3600))
        roomy = kd._replace(rt=rt._replace(group_cap=rt.group_cap + 1,
                                           capacity=rt.capacity + int(kd.res.demand[j])))
        from ..kernels.structs import kernel_data

        for label, relaxed_nt in (("its window were open until the end of the horizon", wide),
                                  ("shifts were one hour longer", longer),
                                  ("technicians could take one more ticket today", roomy)):
            relaxed = kernel_data(relaxed_nt)
            priced = _price(problem, relaxed, st, j, routes)
            if priced:
                cost, r, p = priced[0]
                alt = _alternative(problem, relaxed, st, j, r, p)
                out.append(f"{label}: {alt.technician_id} could start at "
                           f"{alt.start:%H:%M} (cost {cost:.0f})")
        priced = _price(problem, kd, st, j, routes)
        if priced and reason == UnassignedReason.NOT_PROFITABLE:
            out.append(f"its unassigned penalty ({float(kd.cost.penalty[j]):.0f}) exceeded the "
                       f"cheapest insertion ({priced[0][0]:.0f}): raise its priority")
    if not out:
        out.append("no single change found (skills, parts, window, shift, capacity)")
    return out
