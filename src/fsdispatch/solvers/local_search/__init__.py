"""The ``ls`` backend: numba ruin-and-recreate local search."""

from .solver import DEFAULT_ITERATIONS, LocalSearchSolver, warm_up

__all__ = ["DEFAULT_ITERATIONS", "LocalSearchSolver", "warm_up"]
