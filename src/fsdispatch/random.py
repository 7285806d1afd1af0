"""Seeds and random generators.

Every entry point takes ``seed: int | numpy.random.Generator | None``; nothing in
fsdispatch touches the global ``numpy.random`` state.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedLike", "as_generator", "spawn"]

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a Generator: a given one as is, else ``np.random.default_rng(seed)``."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def spawn(seed: SeedLike, n: int) -> list[np.random.Generator]:
    """``n`` independent generators derived from ``seed`` (via SeedSequence.spawn)."""
    if isinstance(seed, np.random.Generator):
        return list(seed.spawn(n))
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]
