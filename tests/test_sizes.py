"""Size limits of the one-rule-source layout (issue #16): the live dispatcher is a facade of
at most 700 lines, no module passes 900 lines, no function or class body passes its limit."""

from __future__ import annotations

import ast
from pathlib import Path

import fsdispatch

ROOT = Path(fsdispatch.__file__).parent
MAX_MODULE = 900
MAX_DISPATCHER = 700
MAX_FUNCTION = 120
MAX_CLASS = 700


def _sources() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def test_the_live_dispatcher_is_a_facade():
    lines = (ROOT / "live" / "dispatcher.py").read_text().count("\n")
    assert lines <= MAX_DISPATCHER, f"live/dispatcher.py has {lines} lines"


def test_no_module_is_too_long():
    long = {p.relative_to(ROOT).as_posix(): n for p in _sources()
            if (n := p.read_text().count("\n")) > MAX_MODULE}
    assert not long, f"modules over {MAX_MODULE} lines: {long}"


def test_no_function_or_class_is_too_long():
    long = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                limit = MAX_FUNCTION
            elif isinstance(node, ast.ClassDef):
                limit = MAX_CLASS
            else:
                continue
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > limit:
                long.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} "
                            f"{node.name} ({size} lines)")
    assert not long, "\n".join(long)
