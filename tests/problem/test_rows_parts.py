"""The PART rule (``problem.rows.parts_short``) against its definition, ticket by ticket."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fsdispatch.problem.rows import parts_short


def _definition(van, ptr, sku, qty, depot):
    """Technician ``t`` is short for ticket ``i`` when its van lacks some part and no single
    depot holds all that the van lacks."""
    out = np.zeros((van.shape[0], ptr.shape[0] - 1), dtype=bool)
    for t in range(van.shape[0]):
        for i in range(ptr.shape[0] - 1):
            entries = range(ptr[i], ptr[i + 1])
            gap = {sku[e]: max(qty[e] - van[t, sku[e]], 0) for e in entries}
            if any(g > 0 for g in gap.values()):
                out[t, i] = not any(all(depot[d, s] >= g for s, g in gap.items())
                                    for d in range(depot.shape[0]))
    return out


@st.composite
def _stock(draw):
    skus = draw(st.integers(1, 4))
    techs = draw(st.integers(1, 4))
    tickets = draw(st.lists(st.lists(st.tuples(st.integers(0, skus - 1), st.integers(1, 3)),
                                     max_size=3, unique_by=lambda p: p[0]), max_size=6))
    ptr = np.zeros(len(tickets) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in tickets], out=ptr[1:])
    sku = np.array([s for t in tickets for s, _ in t], dtype=np.int64)
    qty = np.array([q for t in tickets for _, q in t], dtype=np.int64)
    units = st.integers(0, 4)
    van = np.array(draw(st.lists(st.lists(units, min_size=skus, max_size=skus),
                                 min_size=techs, max_size=techs)), dtype=np.int64)
    depots = draw(st.integers(0, 2))
    depot = np.array(draw(st.lists(st.lists(units, min_size=skus, max_size=skus),
                                   min_size=depots, max_size=depots)),
                     dtype=np.int64).reshape(depots, skus)
    return van, ptr, sku, qty, depot


@settings(max_examples=200, deadline=None)
@given(_stock())
def test_parts_short_is_the_rule_ticket_by_ticket(case):
    van, ptr, sku, qty, depot = case
    assert np.array_equal(parts_short(van, ptr, sku, qty, depot),
                          _definition(van, ptr, sku, qty, depot))
