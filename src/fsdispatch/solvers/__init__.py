"""Solver backends behind one interface."""

from . import base
from .base import *  # noqa: F403  (the interface; its names are listed once, in base.__all__)
from .registry import available_solvers, get_solver, register_solver
from .solve import solve

__all__ = ["available_solvers", "get_solver", "register_solver", "solve"]
__all__ += base.__all__
