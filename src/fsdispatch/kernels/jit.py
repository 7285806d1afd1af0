"""The decorator of kernels only compiled code calls (private)."""

from __future__ import annotations

from typing import Any

from numba import njit

internal: Any = njit(cache=True, no_cpython_wrapper=True)  # type: ignore[call-overload]
"""``@internal``: a cached kernel without the CPython wrapper (a quicker compile); Python
code cannot call it, only other kernels."""
