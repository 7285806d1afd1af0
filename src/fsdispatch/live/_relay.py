"""Re-laying the kept plan on a refreshed live problem (private to
:mod:`fsdispatch.live._fast`).

:func:`lay` lays the plan a refresh kept (CSR over the new routes) as a full
rebuild would. When the routes are the same it works in the live route state
itself: the technicians whose routes changed are emptied
(:func:`fsdispatch.kernels.routes.clear_routes`, what a fresh state starts from)
and laid again, the other routes keep their caches, renumbered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..problem.problem import Problem
    from ._fast import FastState
    from .live_problem import LivePlan

_I64 = np.int64

NO_TECHS = np.zeros(0, dtype=_I64)
"""No technician (read-only)."""
NO_TECHS.setflags(write=False)


def lay(d: LivePlan, problem: Problem, ptr: np.ndarray, visits: np.ndarray,
        ) -> tuple[Any, np.ndarray]:
    """The plan ``(ptr, visits)`` laid on a fresh state of ``problem`` (what a rebuild does).

    Every route of a technician whose routes all kept their data and visits
    since the plan was last laid (:func:`refresh` flags them) is copied from the
    current state instead of being laid again (the same result: laying is
    deterministic and only looks at the technician's own routes).
    """
    from ..solvers.greedy import make_state
    from ._kernels import relay_plan

    fs: FastState = d.fast
    scratch = np.empty(problem.data.brk.dur.shape[0] + 1, dtype=_I64)
    if visits.size:
        pending = fs.pending
        assert pending is not None
        old_r, ok, r_tech, old_kd, old_st, _techs = pending
        laid = _lay_in_place(d, problem, ptr, visits, pending, scratch)
        if laid is not None:
            return laid
    st = make_state(problem, None)
    if visits.size:
        # a route longer than the new width would not be laid whole
        ok = ok & (np.diff(ptr) < st.seq.shape[1])
        bad = np.zeros(len(fs.slots.tech_ids), dtype=np.bool_)
        bad[r_tech[~ok]] = True
        copy_r = ~bad[r_tech]
        kept_mask = relay_plan(problem.data, ptr, visits, copy_r, old_r, old_kd.rt.group,
                               old_kd.brk.ptr, old_st, st, scratch)
    else:
        kept_mask = np.zeros(0, dtype=np.bool_)
    fs.pending = None
    fs.laid_seq = st.seq.copy()
    fs.laid_len = st.length.copy()
    return st, kept_mask


def _lay_in_place(d: LivePlan, problem: Problem, ptr: np.ndarray, visits: np.ndarray,
                  pending: tuple[Any, ...], scratch: np.ndarray,
                  ) -> tuple[Any, np.ndarray] | None:
    """:func:`lay` on the old state itself when the routes are the same and the state's
    shape is that of a fresh one: only the technicians with a route not kept are cleared
    and laid again, the other routes keep their caches (renumbered). ``None``: not that
    case."""
    from ..kernels.routes import clear_routes
    from ._kernels import relay_plan

    fs: FastState = d.fast
    old_r, ok, r_tech, old_kd, old_st, techs = pending
    kd = problem.data
    num_r = old_r.shape[0]
    if num_r != old_st.length.shape[0] or not np.array_equal(old_r, np.arange(num_r)):
        return None  # other routes
    _carry_min_service(d, problem, old_kd, techs)
    nb = int(np.diff(kd.brk.ptr).max(initial=0)) + 1
    if problem.num_depots or old_st.lab.shape[2] != nb or \
            old_st.usage.shape != kd.res.stock.shape or \
            old_st.group_count.shape[0] != kd.rt.group_cap.shape[0] or \
            old_st.seq.shape[1] != d.route_width(problem):
        return None
    ok = ok & (np.diff(ptr) < old_st.seq.shape[1])
    bad = np.zeros(len(fs.slots.tech_ids), dtype=np.bool_)
    bad[r_tech[~ok]] = True
    copy_r = ~bad[r_tech]
    st = old_st  # the live state, changed in place (it is replaced by itself)
    clear = np.flatnonzero(~copy_r)
    if clear.shape[0]:
        clear_routes(kd, st, clear)
    lens = np.diff(ptr)
    if kd.ticket_node is old_kd.ticket_node and kd.brk.ptr is old_kd.brk.ptr and \
            kd.rt.group is old_kd.rt.group and fs.laid_seq.shape == st.seq.shape:
        # the same numbering of tickets, breaks and groups: a copied route would be copied
        # onto itself as it is, so only the routes cleared are laid (and noted as laid)
        lay_r = ~copy_r & (lens > 0)
        sel = np.repeat(lay_r, lens)
        sub_ptr = np.zeros_like(ptr)
        np.cumsum(np.where(lay_r, lens, 0), out=sub_ptr[1:])
        kept_mask = np.ones(visits.shape[0], dtype=np.bool_)
        kept_mask[sel] = relay_plan(kd, sub_ptr, visits[sel], copy_r, old_r, old_kd.rt.group,
                                    old_kd.brk.ptr, st, st, scratch)
        fs.laid_seq[clear] = st.seq[clear]
        fs.laid_len[clear] = st.length[clear]
        fs.pending = None
        return st, kept_mask
    # the one re-laying kernel, with the live state as its own old state
    kept_mask = relay_plan(kd, ptr, visits, copy_r, old_r, old_kd.rt.group, old_kd.brk.ptr, st, st,
                           scratch)
    fs.pending = None
    fs.laid_seq = st.seq.copy()
    fs.laid_len = st.length.copy()
    return st, kept_mask


def _carry_min_service(d: LivePlan, problem: Problem, old_kd: Any, techs: np.ndarray) -> None:
    """Carry the live plan's ``min_service`` (the route width bound's part) from the old
    problem to ``problem`` of the same routes when their tickets are the same: only the
    rows of ``techs`` (whose compatibility may have changed) are taken again, with the
    same kernel."""
    from ..solvers._greedy_kernels import tech_min_service

    held = d.shortest
    if held is None or held[0].data is not old_kd or \
            problem.data.tech.service is not old_kd.tech.service or \
            held[1].shape[0] != problem.num_technicians:
        return
    shortest = held[1].copy()
    if techs.shape[0]:
        rows_c = problem.compatible[techs]
        rows_s = problem.data.tech.service[techs]
        rows_c.setflags(write=False)  # (the kernel's one signature: read-only arrays)
        rows_s.setflags(write=False)
        shortest[techs] = tech_min_service(rows_c, rows_s)
    d.shortest = (problem, shortest)




def kept_plan(d: LivePlan, fs: FastState, problem: Problem, old_r: np.ndarray,
               order: np.ndarray, bad_r: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The current plan as CSR over the new routes (``old_r``: old route of each), and per
    new route whether its data (``bad_r``: changed) and visits are those of the old route
    when the plan was last laid. Tickets are renumbered; those that left are skipped."""
    from ._kernels import kept_rows

    st = d.st
    remap = np.full(problem.num_tickets, -1, dtype=_I64)
    remap[order] = np.arange(order.shape[0])
    laid_ok = old_r.shape[0] > 0 and fs.laid_len.shape[0] == st.length.shape[0]
    ptr, visits, same = kept_rows(st.seq, st.length, old_r, remap, fs.laid_seq, fs.laid_len,
                                  bad_r, laid_ok)
    return ptr, visits, same
