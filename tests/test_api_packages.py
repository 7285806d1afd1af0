"""Every public package's ``__all__`` is deliberate: it matches a checked-in list.

``tests/public_api.txt`` pins the top-level ``fsdispatch.__all__``; this pins the
``__all__`` of every public subpackage (``fsdispatch.io``, ``fsdispatch.solvers``, …),
so re-organising how a package re-exports its modules' names cannot add, drop or
rename a public name unnoticed. Adding or removing one must update
``tests/public_api_packages.txt`` (and the CHANGELOG).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path

import pytest

import fsdispatch

API_FILE = Path(__file__).with_name("public_api_packages.txt")


def _public_packages() -> list[str]:
    """``fsdispatch`` and its subpackages without a private (``_``) part in their name."""
    found = ["fsdispatch"]
    for info in pkgutil.walk_packages(fsdispatch.__path__, "fsdispatch."):
        if info.ispkg and not any(p.startswith("_") for p in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


def _pinned() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for line in API_FILE.read_text().splitlines():
        if line.strip():
            package, name = (part.strip() for part in line.split(":"))
            out[package].append(name)
    return out


PINNED = _pinned()


def test_every_package_with_an_all_is_pinned():
    with_all = [p for p in _public_packages() if hasattr(importlib.import_module(p), "__all__")]
    assert sorted(PINNED) == with_all


@pytest.mark.parametrize("package", sorted(PINNED))
def test_package_all_matches_the_checked_in_list(package):
    module = importlib.import_module(package)
    assert len(module.__all__) == len(set(module.__all__)), "a name is listed twice"
    assert sorted(module.__all__) == sorted(PINNED[package])
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("package", sorted(PINNED))
def test_star_import_gives_exactly_the_public_names(package):
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(PINNED[package])
