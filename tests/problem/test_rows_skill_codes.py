"""``rows.skill_codes`` against a per-element reference (precedence SKILL > LEVEL >
CERTIFICATION), and ``rows.service_seconds`` rounding and its too-long error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fsdispatch.problem import rows
from fsdispatch.problem.reasons import Incompatibility


def _reference(held: np.ndarray, needed: np.ndarray, expired: np.ndarray | None) -> np.ndarray:
    codes = np.zeros((held.shape[0], needed.shape[0]), dtype=np.int8)
    for t in range(held.shape[0]):
        for i in range(needed.shape[0]):
            req = [k for k in range(needed.shape[1]) if needed[i, k] > 0]
            if any(held[t, k] == 0 for k in req):
                codes[t, i] = Incompatibility.SKILL
            elif any(held[t, k] < needed[i, k] for k in req):
                codes[t, i] = Incompatibility.LEVEL
            elif expired is not None and any(expired[t, k] for k in req):
                codes[t, i] = Incompatibility.CERTIFICATION
    return codes


@st.composite
def _skills(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    t, n, k = (draw(st.integers(1, 6)), draw(st.integers(1, 8)), draw(st.integers(0, 4)))
    levels = st.integers(0, 3)
    held = draw(arrays(np.int64, (t, k), elements=levels))
    needed = draw(arrays(np.int64, (n, k), elements=levels))
    expired = draw(st.none() | arrays(np.bool_, (t, k)))
    return held, needed, expired


@settings(max_examples=200, deadline=None)
@given(_skills())
def test_skill_codes_match_the_per_element_rule(case: tuple) -> None:
    held, needed, expired = case
    np.testing.assert_array_equal(rows.skill_codes(held, needed, expired),
                                  _reference(held, needed, expired))


def test_service_seconds_round_to_at_least_one_second_and_reject_overflow() -> None:
    durations = np.array([0.2, 1.5, 2.5, 3600.0])
    factors = np.array([1.0, 2.0])
    no_skills = np.zeros((4, 0), dtype=np.int64)
    out = rows.service_seconds(durations, factors, np.ones((2, 0)), np.zeros(2, dtype=bool),
                               no_skills, lambda t, i, v: ValueError((t, i, v)))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 2, 3600], [1, 3, 5, 7200]])
    for bad in (np.array([1.0, 3e9]), np.array([1.0, np.nan])):
        with pytest.raises(ValueError) as err:
            rows.service_seconds(bad, np.ones(1), np.ones((1, 0)), np.zeros(1, dtype=bool),
                                 np.zeros((2, 0), dtype=np.int64),
                                 lambda t, i, v: ValueError((t, i, v)))
        assert err.value.args[0][:2] == (0, 1)
