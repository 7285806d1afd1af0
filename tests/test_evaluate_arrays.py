"""evaluate() judges a plan from the compiled arrays alone: it never reads ``problem.scenario``."""

from __future__ import annotations

import copy

import attrs
import numpy as np

import fsdispatch as fd
from fsdispatch.problem.extend import append_ticket


class _NoScenario:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"evaluate() read problem.scenario.{name}")


def _blind(problem: fd.Problem) -> fd.Problem:
    """A copy of ``problem`` whose scenario raises on any read (the lookups are kept)."""
    out = copy.copy(problem)
    object.__setattr__(out, "scenario", _NoScenario())
    return out


def _probable_day(seed: int) -> fd.Scenario:
    sc = fd.generate_scenario(4, 24, seed=seed)
    skus = sorted({s for t in sc.tickets for s in t.parts})
    tickets = [attrs.evolve(t, probable_parts={skus[i % len(skus)]: 0.3, "unlisted": 0.2})
               if i % 3 == 0 else t for i, t in enumerate(sc.tickets)]
    cats = sorted({t.category for t in sc.tickets})
    return sc.replace(tickets=tickets, parts=(),
                      category_parts={c: {skus[k % len(skus)]: 0.25} for k, c in enumerate(cats)})


def _all_on_one_route(problem: fd.Problem) -> fd.Plan:
    routes: list[tuple[int, ...]] = [()] * problem.num_routes
    routes[0] = tuple(range(problem.num_tickets))
    return fd.Plan(routes=tuple(routes))


def _same(a: fd.Evaluation, b: fd.Evaluation) -> None:
    assert a.objective == b.objective
    assert a.violations == b.violations
    assert a.kpis == b.kpis


def test_evaluate_reads_no_scenario():
    """Expected first-time fix and the words of incompatibility violations come from arrays."""
    problem = fd.compile_scenario(_probable_day(3))
    for plan in (fd.solve(problem, "greedy").plan, _all_on_one_route(problem)):
        full = fd.evaluate(problem, plan)
        _same(fd.evaluate(_blind(problem), plan), full)
    assert full.kpis.expected_first_time_fix_pct < 100.0
    assert {"skill", "part"} & {v.kind for v in full.violations}


def test_grown_problem_reads_no_scenario_and_equals_recompile():
    """A problem grown by append_ticket judges like the recompiled one, without its scenario;
    a part first named by the appended ticket joins the probable-part catalogue."""
    scenario = _probable_day(5)
    extra = fd.Ticket("NEW", scenario.tickets[0].location, 30 * fd.MINUTE,
                      parts={"unlisted": 1}, probable_parts={"other": 0.5})
    base = fd.compile_scenario(scenario)
    grown = append_ticket(base, extra)
    full = fd.compile_scenario(scenario.replace(tickets=(*scenario.tickets, extra)))
    for plan in (fd.solve(full, "greedy").plan, _all_on_one_route(full)):
        _same(fd.evaluate(_blind(grown), plan), fd.evaluate(full, plan))
    sku = grown.index.sku_ids.index("unlisted")
    assert sku in grown.data.res.prob_sku.tolist()
    assert np.array_equal(grown.data.cost.prob_p, full.data.cost.prob_p)


def test_preference_counts_are_the_rule_visit_by_visit():
    """The evaluator's vectorised preference KPIs equal a visit-by-visit count."""
    import types

    from fsdispatch.evaluate.evaluator import _preferences

    rng = np.random.default_rng(1)
    for _ in range(500):
        n, techs = int(rng.integers(1, 10)), int(rng.integers(1, 5))
        ptr = np.zeros(n + 1, np.int64)
        np.cumsum(rng.integers(0, 3, size=n), out=ptr[1:])
        pref = rng.integers(0, techs, size=ptr[-1]).astype(np.int64)
        kd = types.SimpleNamespace(res=types.SimpleNamespace(pref_ptr=ptr, pref_tech=pref))
        visits = rng.permutation(n)[:int(rng.integers(0, n + 1))].astype(np.int64)
        tech = rng.integers(0, techs, size=visits.shape[0]).astype(np.int64)
        asked = [k for k, j in enumerate(visits) if ptr[j + 1] > ptr[j]]
        hits = sum(bool(np.any(pref[ptr[visits[k]]:ptr[visits[k] + 1]] == tech[k]))
                   for k in asked)
        assert _preferences(kd, visits, tech) == (len(asked), hits, len(asked) - hits)
