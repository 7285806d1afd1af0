"""The public API is deliberate: ``fsdispatch.__all__`` matches a checked-in list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fsdispatch

API_FILE = Path(__file__).with_name("public_api.txt")


def test_public_api_matches_the_checked_in_list():
    """Adding or removing a public name must update tests/public_api.txt (and the CHANGELOG)."""
    expected = [line.strip() for line in API_FILE.read_text().splitlines() if line.strip()]
    assert sorted(fsdispatch.__all__) == sorted(expected)
    for name in fsdispatch.__all__:
        assert hasattr(fsdispatch, name), name


def test_public_names_have_docstrings():
    """Every public class and function carries a docstring."""
    for name in fsdispatch.__all__:
        obj = getattr(fsdispatch, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_import_is_light():
    """``import fsdispatch`` does not import numba, ortools or pulp (they load lazily)."""
    code = ("import sys, fsdispatch; "
            "print(any(m in sys.modules for m in ('numba', 'ortools', 'pulp')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_py_typed_marker_ships():
    """The package ships a py.typed marker."""
    assert (Path(fsdispatch.__file__).parent / "py.typed").exists()
