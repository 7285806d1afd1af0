"""Typed constants for kernel calls (private).

numba compiles a separate version of a jitted function for every distinct
literal argument it is called with from compiled code (``f(x, -1)`` and
``f(x, 1)`` are two compilations), so kernels pass these int64 values instead
of integer literals: one signature per kernel.
"""

from __future__ import annotations

import numpy as np

NONE = np.int64(-1)  #: "no route / depot / ticket", and the sign of a removal
ZERO = np.int64(0)
ONE = np.int64(1)  #: the sign of an addition
TRUE = np.bool_(True)
FALSE = np.bool_(False)
