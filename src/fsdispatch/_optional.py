"""Optional dependencies: import one on first use, or say which extra to install (private)."""

from __future__ import annotations

import importlib
from typing import Any

from .errors import BackendUnavailableError

__all__ = ["optional_module"]


def optional_module(module: str, *, user: str, extra: str, package: str) -> Any:
    """Import ``module`` (e.g. ``"matplotlib.pyplot"``) for ``user``, which needs it.

    Raises
    ------
    BackendUnavailableError
        When it is not installed: ``"<user> needs <package>: pip install
        "fsdispatch[<extra>]" (or pip install <package>)"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - exercised only without the dependency
        raise BackendUnavailableError(
            f"{user} needs {package}: pip install \"fsdispatch[{extra}]\" "
            f"(or pip install {package})") from None
