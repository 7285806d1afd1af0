"""Registry of solver backends by name (lazy ``"module:Class"`` specs and entry points)."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from ..errors import BackendUnavailableError, UnknownSolverError
from .base import Solver

__all__ = ["available_solvers", "get_solver", "register_solver"]

_SPECS: dict[str, str] = {
    "greedy": "fsdispatch.solvers.greedy:GreedySolver",
    "cpsat": "fsdispatch.solvers.cpsat.solver:CpSatSolver",
    "milp": "fsdispatch.solvers.milp.solver:MilpSolver",
    "ls": "fsdispatch.solvers.local_search:LocalSearchSolver",
}
_EXTRAS: dict[str, str] = {"cpsat": "ortools", "milp": "pulp"}
_ENTRY_POINT_GROUP = "fsdispatch.solvers"
_loaded_entry_points = False


def _load_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    _loaded_entry_points = True
    for ep in entry_points(group=_ENTRY_POINT_GROUP):
        _SPECS.setdefault(ep.name, ep.value)


def register_solver(name: str, spec: str | type, *, extra: str | None = None) -> None:
    """Register a backend under ``name``.

    Parameters
    ----------
    name:
        Name used in ``solve(..., solver=name)``.
    spec:
        ``"package.module:ClassName"`` (imported lazily) or the class itself.
    extra:
        What to ``pip install`` when its import fails (for the error message).
    """
    if isinstance(spec, type):
        spec = f"{spec.__module__}:{spec.__qualname__}"
    _SPECS[name] = spec
    if extra:
        _EXTRAS[name] = extra


def available_solvers() -> list[str]:
    """Names of all registered backends."""
    _load_entry_points()
    return sorted(_SPECS)


def get_solver(name: str, **options: Any) -> Solver:
    """Instantiate the backend ``name`` with ``options``.

    Raises
    ------
    UnknownSolverError
        No backend has this name; the message lists the available ones.
    BackendUnavailableError
        The backend's dependency is missing; the message says what to install.
    """
    _load_entry_points()
    spec = _SPECS.get(name)
    if spec is None:
        raise UnknownSolverError(
            f"unknown solver {name!r}; available: {', '.join(available_solvers())}")
    module_name, _, cls_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = _EXTRAS.get(name) or (exc.name or module_name)
        raise BackendUnavailableError(
            f"solver {name!r} needs {exc.name or module_name!r}, which is not installed; "
            f"install it with: pip install {hint}") from exc
    cls = getattr(module, cls_name)
    solver: Solver = cls(**options)
    return solver
