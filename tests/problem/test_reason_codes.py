"""One table of reason codes and words (``fsdispatch.problem.reasons``).

The compiler, the one-ticket growth of a problem and the live refresh give a
ticket no route reaches its reason through one function; the evaluator, live
recommendations and the report name codes from one table.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.problem.reasons import (
    INCOMPATIBILITY,
    REASON_TEXT,
    Incompatibility,
    UnassignedReason,
    routes_and_reasons,
)

I = Incompatibility  # noqa: E741
R = UnassignedReason


def test_every_code_has_its_words() -> None:
    assert set(INCOMPATIBILITY) == set(Incompatibility) - {I.OK}
    assert set(REASON_TEXT) == {r.value for r in UnassignedReason}
    assert fd.report.REASON_TEXT is REASON_TEXT
    # the public names are the same objects wherever they are imported from
    assert fd.UnassignedReason is fd.plan.UnassignedReason is UnassignedReason
    assert fd.Incompatibility is Incompatibility
    assert len({w.exclusion for w in INCOMPATIBILITY.values()}) == len(INCOMPATIBILITY)


def _one_ticket(codes: list[int], reached: list[bool], outside: bool = False,
                routes_of: list[int] | None = None) -> tuple:
    """Technician codes for one ticket; ``reached[r]``: route r reaches it."""
    routes_of = routes_of if routes_of is not None else list(range(len(reached)))
    reach = np.array([[1 if x else 0] for x in reached], dtype=np.uint8).reshape(-1, 1)
    compat = np.array(codes, dtype=np.int8).reshape(-1, 1)
    return routes_and_reasons(reach, np.array(routes_of, dtype=np.int64), compat,
                              np.array([outside]))


@pytest.mark.parametrize(("codes", "reason"), [
    ([I.SKILL, I.SKILL], R.NO_SKILL),
    ([I.SKILL, I.LEVEL], R.NO_SKILL),
    ([I.LEVEL, I.PART], R.NO_PART),
    ([I.SKILL, I.EXCLUDED, I.PART], R.EXCLUDED),
    ([I.CAPACITY, I.EXCLUDED], R.NO_CAPACITY),
    ([I.SKILL, I.OK], R.NO_SHIFT),  # an able technician whose shifts do not reach it
    ([], R.NO_SHIFT),  # nobody at all
])
def test_the_technicians_furthest_along_give_the_reason(codes: list[int],
                                                       reason: UnassignedReason) -> None:
    compat, ptr, routes, why = _one_ticket(codes, [False] * len(codes))
    assert R.from_code(int(why[0])) is reason
    assert ptr.tolist() == [0, 0] and routes.size == 0
    # an able technician none of whose routes reaches the ticket fails on its shift
    assert [int(c) for c in compat[:, 0]] == [I.SHIFT if c == I.OK else int(c) for c in codes]


def test_outside_the_horizon_comes_first() -> None:
    _c, _p, _r, why = _one_ticket([I.OK, I.SKILL], [False, False], outside=True)
    assert R.from_code(int(why[0])) is R.OUTSIDE_HORIZON


def test_a_reached_ticket_has_its_routes_and_no_reason() -> None:
    # routes 0, 1 of technician 0 and route 2 of technician 1; routes 1 and 2 reach it
    compat, ptr, routes, why = _one_ticket([I.OK, I.OK], [False, True, True],
                                           routes_of=[0, 0, 1])
    assert int(why[0]) == 0
    assert ptr.tolist() == [0, 2] and routes.tolist() == [1, 2]
    assert compat[:, 0].tolist() == [I.OK, I.OK]
    assert not any(a.flags.writeable for a in (compat, ptr, routes, why))


def test_compiled_and_grown_problems_agree_on_reasons() -> None:
    """Appending a ticket gives it the reason and routes compiling with it gives."""
    base = fd.generate_scenario(4, 20, seed=3)
    skill = next(iter(base.tickets[0].required_skills), None)
    extra = [
        fd.Ticket(id="nobody-skilled", location=base.tickets[1].location,
                                  duration=600, required_skills={"no-such-skill": 1}),
        fd.Ticket(id="too-long", location=base.tickets[1].location,
                                  duration=20 * 3600),
    ]
    if skill is not None:
        extra.append(fd.Ticket(id="skilled", location=base.tickets[0].location,
                                              duration=600, required_skills={skill: 1}))
    scenario = base.replace(skills=(*base.skills, "no-such-skill"))  # a skill nobody holds
    problem = fd.compile_scenario(scenario)
    from fsdispatch.problem.extend import append_ticket

    expected = {"nobody-skilled": R.NO_SKILL, "too-long": R.NO_SHIFT}
    for ticket in extra:
        grown = append_ticket(problem, ticket)
        full = fd.compile_scenario(scenario.replace(tickets=(*scenario.tickets, ticket)))
        j = full.num_tickets - 1
        assert int(grown.unservable[j]) == int(full.unservable[j]), ticket.id
        assert grown.routes_for(j).tolist() == full.routes_for(j).tolist(), ticket.id
        assert grown.compatible[:, j].tolist() == full.compatible[:, j].tolist(), ticket.id
        if ticket.id in expected:
            assert R.from_code(int(full.unservable[j])) is expected[ticket.id]


def _reference(reach, r_tech, compat, outside):
    """routes_and_reasons written plainly, ticket by ticket (the documented rule)."""
    num_r, n = reach.shape
    num_t = compat.shape[0]
    compat = compat.copy()
    ptr, routes, why = [0], [], []
    for j in range(n):
        rs = [r for r in range(num_r) if reach[r, j]]
        routes += rs
        ptr.append(len(routes))
        techs = {int(r_tech[r]) for r in rs}
        for t in range(num_t):
            if compat[t, j] == 0 and t not in techs:
                compat[t, j] = I.SHIFT
        if rs:
            why.append(0)
        elif outside[j]:
            why.append(R.OUTSIDE_HORIZON.code)
        elif num_t == 0 or any(compat[t, j] == I.SHIFT for t in range(num_t)):
            why.append(R.NO_SHIFT.code)
        else:
            why.append(INCOMPATIBILITY[I(int(compat[:, j].max()))].reason.code)
    return compat, ptr, routes, why


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_routes_and_reasons_follow_the_rule_on_random_matrices(data) -> None:
    num_t = data.draw(st.integers(0, 4))
    num_r = data.draw(st.integers(0, 6)) if num_t else 0
    n = data.draw(st.integers(0, 7))
    r_tech = np.array(sorted(data.draw(st.lists(st.integers(0, max(num_t - 1, 0)),
                                                 min_size=num_r, max_size=num_r))),
                      dtype=np.int64)
    compat = np.array(data.draw(st.lists(st.sampled_from([int(c) for c in I if c != I.SHIFT]),
                                         min_size=num_t * n, max_size=num_t * n)),
                      dtype=np.int8).reshape(num_t, n)
    reach = np.array(data.draw(st.lists(st.integers(0, 1), min_size=num_r * n,
                                        max_size=num_r * n)), dtype=np.uint8).reshape(num_r, n)
    reach &= (compat[r_tech] == 0).astype(np.uint8) if num_r else reach  # only able techs
    outside = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)),
                       dtype=np.bool_)
    got = routes_and_reasons(reach, r_tech, compat, outside)
    want = _reference(reach, r_tech, compat, outside)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1]
    assert got[2].tolist() == want[2]
    assert got[3].tolist() == want[3]
