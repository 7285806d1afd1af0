"""Registry of solver backends by name (lazy ``"module:Class"`` specs and entry points)."""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

import attrs

from ..errors import BackendUnavailableError, FsdispatchError, UnknownSolverError, ValidationError
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
    ValidationError
        An option the backend does not have (the message lists the ones it
        has), or an option value of the wrong type or range.
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
    cls = getattr(module, cls_name, None)
    if not isinstance(cls, type):
        raise BackendUnavailableError(f"solver {name!r}: {module_name!r} has no class "
                                      f"{cls_name!r} (registered as {spec!r})")
    _check_options(name, cls, options)
    try:
        solver: Solver = cls(**options)
    except FsdispatchError:
        raise
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"solver {name!r}: invalid options {options!r}: {exc}",
                              entity="solver", entity_id=name, field="options",
                              value=options) from None
    return solver


# option annotation (as attrs stores it, a string under postponed evaluation) -> check
_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "int": ("an integer", lambda v: isinstance(v, numbers.Integral)
            and not isinstance(v, bool)),
    "float": ("a finite number", lambda v: isinstance(v, numbers.Real)
              and not isinstance(v, bool) and math.isfinite(v)),
    "bool": ("True or False", lambda v: isinstance(v, bool)),
    "str": ("a string", lambda v: isinstance(v, str)),
}
_NOT_OPTIONS = ("name", "capabilities")


def _options_of(cls: type) -> dict[str, Any] | None:
    """Option name -> annotation of a backend class, or ``None`` when unknown."""
    if attrs.has(cls):
        return {f.name: f.type for f in attrs.fields(cls)
                if f.init and f.name not in _NOT_OPTIONS}
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return {p.name: p.annotation for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in _NOT_OPTIONS}


def _check_options(name: str, cls: type, options: Mapping[str, Any]) -> None:
    """Reject options the backend class ``cls`` does not have, or of the wrong type.

    The options of an attrs backend are its init fields (``name`` and
    ``capabilities`` are not options); a plain ``int``/``float``/``bool``/``str``
    annotation (optionally ``| None``) is checked against the value.

    Raises
    ------
    ValidationError
        Naming the option, its value and the backend's options.
    """
    known = _options_of(cls)
    if known is None:
        return
    for option, value in options.items():
        if option not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ValidationError(f"solver {name!r} has no option {option!r}; its options are: "
                                  f"{listed}", entity="solver", entity_id=name, field=option,
                                  value=value)
        annotation = known[option]
        if not isinstance(annotation, str):
            annotation = getattr(annotation, "__name__", "")
        kind = annotation.replace(" ", "")
        optional = kind.endswith("|None")
        kind = kind.removesuffix("|None")
        if kind in _KINDS and not (value is None and optional):
            expected, ok = _KINDS[kind]
            if not ok(value):
                raise ValidationError(f"solver {name!r}: option {option} must be {expected}"
                                      f"{' or None' if optional else ''}, got {value!r}",
                                      entity="solver", entity_id=name, field=option,
                                      value=value)
