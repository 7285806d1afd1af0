"""Objective weights (defined with the domain model; re-exported here) and the per
technician × ticket cost of choosing a technician, for the Python-side models."""

from typing import Any

from ..domain.objective import DEFAULT_SLA, DEFAULT_UNASSIGNED, ObjectiveWeights

__all__ = ["DEFAULT_SLA", "DEFAULT_UNASSIGNED", "ObjectiveWeights", "choice_cost",
           "territory_cost"]


def territory_cost(kd: Any, tech: int, j: int) -> float:
    """The soft out-of-territory cost of technician ``tech`` serving ticket ``j``:
    ``kd.res.terr_w[j]`` (0 with hard territories or a ticket without one) when ``tech``
    does not cover ``j``'s territory (the kernels'
    :func:`fsdispatch.kernels.routes.territory_cost`)."""
    res = kd.res
    w = float(res.terr_w[j])
    return w if w and not bool(res.covers[tech, int(res.terr[j])]) else 0.0


def choice_cost(kd: Any, tech: int, j: int) -> float:
    """The objective terms that depend only on which technician serves ticket ``j``: the
    preference miss (``kd.w.pref`` when ``j`` has preferred technicians and ``tech`` is not
    one) plus the soft out-of-territory cost (``kd.res.terr_w[j]`` when ``tech`` does not
    cover ``j``'s territory). The same rule as the kernels'
    :func:`fsdispatch.kernels.routes.preference_cost`, for the exact models (CP-SAT, MILP)
    and the greedy's assignment mode."""
    res = kd.res
    c = territory_cost(kd, tech, j)
    lo, hi = int(res.pref_ptr[j]), int(res.pref_ptr[j + 1])
    if hi > lo and not bool((res.pref_tech[lo:hi] == tech).any()):
        c += float(kd.w.pref)
    return c
