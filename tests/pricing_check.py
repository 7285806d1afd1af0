"""Shared check for live pricing tests: every ``recommend`` option costs the evaluator's
objective change of that insertion (the one test rule of issue #16's "pricing is the
evaluator", used by the plain, depot and traffic pricing tests)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import fsdispatch as fd
from fsdispatch.problem.extend import append_ticket


def assert_options_cost_evaluator_change(d: Any, ticket: fd.Ticket, rec: Any) -> None:
    """For each option of ``rec`` (``d.recommend(ticket)``): its terms sum to its total,
    and inserting the ticket there (with the option's depot stop first, when it names one)
    gives an evaluator-feasible plan whose objective rose by the total (1e-6 relative)."""
    grown = append_ticket(d.problem, ticket)
    j = grown.num_tickets - 1
    before = fd.evaluate(grown, fd.Plan(d.plan.routes, {**d.plan.unassigned, j: "open"},
                                        pickups=d.plan.pickups)).objective
    penalty = float(grown.data.cost.penalty[j])  # (the open ticket's penalty goes)
    for option in rec.options:
        terms = attrs.asdict(option.cost)
        total = terms.pop("total")
        assert total == pytest.approx(sum(terms.values()), rel=1e-9, abs=1e-6)
        r = grown.index.route_idx(option.technician_id, option.shift)
        routes = [list(x) for x in d.plan.routes]
        routes[r].insert(option.position, j)
        pickups = dict(d.plan.pickups)
        old_first = d.plan.routes[r][0] if d.plan.routes[r] else None
        if old_first in pickups:  # the route's stop stays first (keyed by the first ticket)
            pickups[routes[r][0]] = pickups.pop(old_first)
        if option.depot_id is not None:
            pickups[routes[r][0]] = grown.index.depot_ids.index(option.depot_id)
        else:
            assert option.cost.depot_stop == 0.0
        after = fd.evaluate(grown, fd.Plan(routes, d.plan.unassigned, pickups=pickups))
        assert after.is_feasible, after.violations
        assert total == pytest.approx(after.objective - before + penalty, rel=1e-6, abs=1e-6)


def assert_same_recommendation(got: Any, want: Any) -> None:
    """Two recommendations offer the same options (technician, shift, position, depot),
    at the same costs and ETAs, and exclude the same technicians for the same codes."""
    assert [(o.technician_id, o.shift, o.position, o.depot_id) for o in got.options] == \
        [(o.technician_id, o.shift, o.position, o.depot_id) for o in want.options]
    for a, b in zip(got.options, want.options, strict=True):
        assert a.cost.total == pytest.approx(b.cost.total, rel=1e-9, abs=1e-9)
        assert a.eta.start == b.eta.start
    assert {(e.technician_id, e.code) for e in got.excluded} == \
        {(e.technician_id, e.code) for e in want.excluded}
