"""Plans in index and id form, and schedules with datetimes."""

from __future__ import annotations

import numpy as np
import pytest

import fsdispatch as fd
from conftest import at


def test_from_ids_and_to_ids_round_trip(tiny):
    """A plan written with ids reads back to the same ids (labels ``tech#shift`` or bare ids)."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan.from_ids(problem, {"A#0": ["T3", "T1"], "B": ["T2"]})
    assert plan.to_ids(problem) == {"routes": {"A#0": ["T3", "T1"], "B#0": ["T2"]},
                                    "unassigned": {}}
    assert plan.routes == ((2, 0), (1,))


def test_from_ids_strict_raises_on_unknown(tiny):
    """``strict=True`` turns an unknown ticket or technician into UnknownReferenceError."""
    problem = fd.compile_scenario(tiny)
    with pytest.raises(fd.UnknownReferenceError, match="T9"):
        fd.Plan.from_ids(problem, {"A#0": ["T9"]}, strict=True)
    with pytest.raises(fd.UnknownReferenceError, match="Z"):
        fd.Plan.from_ids(problem, {"Z#0": ["T1"]}, strict=True)
    with pytest.raises(fd.UnknownReferenceError, match="no shift number 3"):
        fd.Plan.from_ids(problem, {"A#3": ["T1"]}, strict=True)


def test_csr_and_assignee(tiny):
    """CSR arrays and the per-ticket route array describe the same plan."""
    plan = fd.Plan([(2, 0), (1,)], {})
    ptr, visits = plan.csr()
    assert ptr.tolist() == [0, 2, 3] and visits.tolist() == [2, 0, 1]
    assert plan.assignee(3).tolist() == [0, 1, 0]
    assert plan.num_assigned == 3


def test_empty_plan_marks_everything_open(tiny):
    """``Plan.empty`` leaves every ticket explicitly open, which the evaluator accepts."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan.empty(problem)
    assert set(plan.unassigned.values()) == {fd.UnassignedReason.OPEN}
    evaluation = fd.evaluate(problem, plan)
    assert evaluation.is_feasible and evaluation.kpis.assigned == 0


def test_reason_codes_round_trip():
    """Every reason has a distinct small code that maps back to it."""
    codes = {r.code for r in fd.UnassignedReason}
    assert len(codes) == len(fd.UnassignedReason) and 0 not in codes
    for reason in fd.UnassignedReason:
        assert fd.UnassignedReason.from_code(reason.code) is reason


def test_schedule_has_datetimes_and_breaks(tiny):
    """The schedule gives each visit tz-aware times and lists the break taken while waiting."""
    result = fd.solve(tiny, "greedy")
    sched = fd.to_schedule(result.problem, result.plan, result.evaluation)
    assert {v.ticket_id for v in sched.visits} == {"T1", "T2", "T3"}
    b_visits = sched.for_technician("B")
    assert [v.ticket_id for v in b_visits] == ["T2"]
    # B leaves (10, 0) at 8:00 and reaches (5, 5) after sqrt(50) km at 60 km/h = 424 s
    assert b_visits[0].arrival == at(8) + np.timedelta64(424, "s").item()
    assert b_visits[0].start == at(13)  # window opens at 13:00
    assert [(b.technician_id, b.start) for b in sched.breaks] == [("B", at(12))]
    assert all(v.start.tzinfo is not None for v in sched.visits)
