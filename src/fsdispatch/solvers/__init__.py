"""Solver backends behind one interface."""

from .base import (
    BackendOutput,
    Capabilities,
    Limits,
    ProgressCallback,
    ProgressEvent,
    Solver,
    SolveResult,
    SolveStatus,
    print_progress,
)
from .registry import available_solvers, get_solver, register_solver
from .solve import solve

__all__ = [
    "BackendOutput",
    "Capabilities",
    "Limits",
    "ProgressCallback",
    "ProgressEvent",
    "SolveResult",
    "SolveStatus",
    "Solver",
    "available_solvers",
    "get_solver",
    "print_progress",
    "register_solver",
    "solve",
]
