"""The decorator of kernels only compiled code calls (private)."""

from __future__ import annotations

from typing import Any

from numba import njit

internal: Any = njit(cache=True, no_cpython_wrapper=True)  # type: ignore[call-overload]
"""``@internal``: a cached kernel without the CPython wrapper (a quicker compile); Python
code cannot call it, only other kernels."""


leaf: Any = njit(cache=True, _nrt=False)  # type: ignore[call-overload]
"""``@leaf``: a cached kernel compiled without reference counting, for the hot helpers of
the schedule rule and insertion pricing. Every array, struct field or argument a compiled
function touches otherwise costs an atomic increment and decrement of its reference
count; in these helpers, called millions of times, that was most of the run time (about
3/4 of greedy's at 1 000 technicians x 10 000 tickets). Only for kernels that allocate
nothing (no ``np.empty``, no struct), return only scalars (or tuples of scalars) and
store no array anywhere: their arrays all belong to the caller, which holds them for the
whole call."""

leaf_internal: Any = njit(cache=True, no_cpython_wrapper=True, _nrt=False)  # type: ignore[call-overload]
"""``@leaf_internal``: :data:`leaf` without the CPython wrapper (see :data:`internal`)."""
