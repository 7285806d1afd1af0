"""Crew jobs in the simulator (issue #19): the live desk pins each crew's members to one
start, the technicians drive to it, and a crew ticket completes only when all its members
are there (checked from the simulation's realised visits and ticket records)."""

from __future__ import annotations

from collections import defaultdict

import pytest

import fsdispatch as fd
from fsdispatch.sim import ServiceModel, simulate

pytestmark = pytest.mark.filterwarnings("ignore::fsdispatch.FsdispatchWarning")


def _crew_day(seed: int) -> fd.Scenario:
    return fd.generate_scenario(6, 30, seed=seed, days=2, crew_fraction=0.2)


def _check(scenario: fd.Scenario, result: object) -> int:
    """Every crew ticket done has ``crew_size`` done visits, on distinct technicians, that
    end together, after the last member arrived; returns the crews done."""
    crews = {t.id: t.crew_size for t in scenario.tickets if t.crew_size > 1}
    visits = defaultdict(list)
    for v in result.visits:  # type: ignore[attr-defined]
        if v.ticket_id in crews:
            visits[v.ticket_id].append(v)
    records = {r.ticket_id: r for r in result.tickets}  # type: ignore[attr-defined]
    done = 0
    for crew_id, k in crews.items():
        finished = [v for v in visits.get(crew_id, []) if v.outcome == "done"]
        rec = records.get(crew_id)
        if rec is None or rec.completed is None:
            assert not finished or len(finished) < k
            continue
        assert len(finished) == k, finished
        assert len({v.technician_id for v in finished}) == k
        assert len({v.end for v in finished}) == 1
        assert finished[0].end == rec.completed
        assert rec.completed - max(v.arrive for v in finished) >= 60  # work after all arrived
        done += 1
    return done


@pytest.mark.parametrize("policy", ["greedy-insertion", "batch-greedy", "nearest-idle"])
def test_crews_complete_only_when_all_members_are_there(policy: str) -> None:
    total = 0
    for seed in (1, 2):
        scenario = _crew_day(seed)
        result = simulate(scenario, policy, seed=seed, days=2)
        total += _check(scenario, result)
    assert total >= 1


def test_crews_survive_sickness() -> None:
    """A member falling ill stops the crew (partners' visits end interrupted); the crew
    is placed again whole, and whatever completes still completes together."""
    total = interrupted = 0
    for seed in (3, 4, 5):
        scenario = _crew_day(seed)
        result = simulate(scenario, "greedy-insertion", seed=seed, days=2,
                          service=ServiceModel(p_sick=0.4))
        total += _check(scenario, result)
        interrupted += sum(1 for v in result.visits if v.outcome == "interrupted")
    assert total >= 1 and interrupted >= 1
