"""Crew jobs: tickets served by several technicians who start together (private helpers).

A ticket with ``crew_size = k > 1`` appears in ``k`` routes of a plan (one visit
each, on ``k`` distinct technicians); all its visits start at one moment, the
first member to arrive waiting for the others (see ``docs/crew.md``).

The synchronisation is expressed with the ticket's appointment windows, so every
route-timing kernel applies it unchanged:

* :func:`clamp_windows` (the evaluator): a lower bound ``S`` on a crew ticket's
  start cuts its windows to ``[max(start, S), end]`` (those ending before ``S``
  drop out). The evaluator iterates it to the least common start.
* :func:`pin_windows` (the heuristics): a placed crew visit's start is fixed to
  ``S``: its windows become the hard point ``[S, S]``, so a later insertion may
  make a member wait but never delay it.
* :func:`expand_crews`: the heuristics plan crew members as separate tickets
  (``k`` copies of the ticket, ``crew_size`` 1) and map the plan back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from .problem import WindowData

if TYPE_CHECKING:
    from ..domain.scenario import Scenario
    from .problem import Problem

__all__ = ["clamp_windows", "crew_groups", "crew_sizes", "expand_crews", "member_id",
           "pin_windows"]

_I64 = np.int64


def crew_sizes(problem: Problem) -> np.ndarray:
    """int64 array of shape ``(num_tickets,)``: each ticket's ``crew_size`` (compiled)."""
    crew = problem.crew
    if crew is None or crew.shape[0] != problem.num_tickets:
        return np.ones(problem.num_tickets, dtype=_I64)
    return crew


def has_crews(problem: Problem) -> bool:
    """Whether any ticket of ``problem`` is a crew job (``crew_size > 1``)."""
    crew = problem.crew
    return crew is not None and crew.shape[0] == problem.num_tickets and bool((crew > 1).any())


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _rebuild(win: Any, rows: dict[int, list[tuple[int, int]]], soft: np.ndarray) -> WindowData:
    """``win`` with the window lists of the tickets in ``rows`` replaced."""
    n = win.ptr.shape[0] - 1
    ptr = np.zeros(n + 1, dtype=_I64)
    starts: list[int] = []
    ends: list[int] = []
    wptr, wstart, wend = win.ptr.tolist(), win.start.tolist(), win.end.tolist()
    for j in range(n):
        if j in rows:
            for s, e in rows[j]:
                starts.append(s)
                ends.append(e)
        else:
            starts.extend(wstart[wptr[j] : wptr[j + 1]])
            ends.extend(wend[wptr[j] : wptr[j + 1]])
        ptr[j + 1] = len(starts)
    return WindowData(
        ptr=_frozen(ptr),
        start=_frozen(np.array(starts, dtype=_I64)),
        end=_frozen(np.array(ends, dtype=_I64)),
        soft=_frozen(soft),
    )


def clamp_windows(win: Any, bound: dict[int, int]) -> WindowData:
    """``win`` with each ticket ``j`` of ``bound`` unable to start before ``bound[j]``.

    Windows ending before the bound drop out; the one holding it starts at it. When
    every window ends before the bound, the point ``[bound, bound]`` remains (the
    start is then late: a violation for hard windows; its soft lateness is costed
    from the original windows by the evaluator).
    """
    rows: dict[int, list[tuple[int, int]]] = {}
    for j, b in bound.items():
        lo, hi = int(win.ptr[j]), int(win.ptr[j + 1])
        kept = [
            (max(int(win.start[w]), b), int(win.end[w]))
            for w in range(lo, hi)
            if int(win.end[w]) >= b
        ]
        rows[j] = kept or [(b, b)]
    return _rebuild(win, rows, np.asarray(win.soft).copy())


def pin_windows(win: Any, start: dict[int, int]) -> WindowData:
    """``win`` with each ticket ``j`` of ``start`` forced to start exactly at ``start[j]``
    (one hard window ``[start, start]``)."""
    soft = np.asarray(win.soft).copy()
    for j in start:
        soft[j] = False
    return _rebuild(win, {j: [(s, s)] for j, s in start.items()}, soft)


def member_id(ticket_id: str, m: int) -> str:
    """The id of member ``m`` (0-based) of a crew ticket in the expanded scenario."""
    return ticket_id if m == 0 else f"{ticket_id}~crew{m + 1}"


def expand_crews(scenario: Scenario) -> tuple[Scenario, np.ndarray]:
    """The scenario with every crew ticket replaced by ``crew_size`` one-technician members.

    Returns ``(expanded, member_of)``: ``member_of[i]`` is the index, in ``scenario``'s
    tickets, of the ``i``-th ticket of ``expanded``. Member 0 keeps the ticket's id;
    the others are named by :func:`member_id`. Members follow their ticket directly.
    """
    out = []
    member_of: list[int] = []
    for i, t in enumerate(scenario.tickets):
        if t.crew_size == 1:
            out.append(t)
            member_of.append(i)
            continue
        for m in range(t.crew_size):
            out.append(attrs.evolve(t, id=member_id(t.id, m), crew_size=1))
            member_of.append(i)
    expanded = attrs.evolve(scenario, tickets=tuple(out))
    return expanded, np.array(member_of, dtype=_I64)


def crew_groups(problem: Any) -> dict[int, list[int]]:
    """The member tickets of each crew of a split problem (``problem.crew_member_of``),
    in ticket order; empty without crews."""
    crew_of = problem.crew_member_of
    crews: dict[int, list[int]] = {}
    if crew_of is None:
        return crews
    for j, c in enumerate(crew_of.tolist()):
        if c >= 0:
            crews.setdefault(c, []).append(j)
    return crews
