"""A stable argsort for kernels (private).

numba's ``np.argsort(kind="mergesort")`` and ``np.sort`` each compile a
large generic implementation; kernels use this one small function instead
(one signature: float64 keys), so a cold start compiles less.
"""

from __future__ import annotations

import numpy as np

from .jit import internal

_RUN = 16


@internal
def argsort_stable(keys):
    """Indices that sort the float64 array ``keys`` ascending; ties keep their order.

    Insertion sort on runs of 16, then bottom-up merges: O(n log n), with
    scratch of ``n`` int64.
    """
    n = keys.shape[0]
    idx = np.arange(n)
    if n < 2:
        return idx
    for lo in range(0, n, _RUN):
        hi = lo + _RUN if lo + _RUN < n else n
        for i in range(lo + 1, hi):
            v = idx[i]
            kv = keys[v]
            k = i
            while k > lo and keys[idx[k - 1]] > kv:
                idx[k] = idx[k - 1]
                k -= 1
            idx[k] = v
    if n <= _RUN:
        return idx
    src = idx
    dst = np.empty(n, dtype=np.int64)
    width = _RUN
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = lo + width if lo + width < n else n
            hi = lo + 2 * width if lo + 2 * width < n else n
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if keys[src[j]] < keys[src[i]]:
                    dst[k] = src[j]
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
        tmp = src
        src = dst
        dst = tmp
        width *= 2
    return src
