"""The package's layers: no module imports from a layer above its own.

Layers, bottom up (a module may import its own layer and the ones below):
the shared basics; the domain model; the numba kernels; the compiled problem
and plans; the evaluator; the solvers; live dispatch and inventory; IO and
reports; the simulator; the public facade and the command line. Imports made
only for type checking count too: a layer never names what sits above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fsdispatch

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "units", "random", "_optional", "_args"),
    ("domain", "generate"),
    ("kernels",),
    ("problem", "plan"),
    ("evaluate", "schedule", "_day"),
    ("_debug", "solvers", "testing"),
    ("live", "inventory"),
    ("io", "report", "plotting"),
    ("sim", "bench"),
    ("<root>", "cli"),
)
RANK = {name: level for level, names in enumerate(LAYERS) for name in names}
ROOT = Path(fsdispatch.__file__).parent


def _part(module: str) -> str:
    """The top-level part of ``fsdispatch.x.y`` (``<root>`` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, imported fsdispatch module)`` of every import in a source file."""
    rel = path.relative_to(ROOT.parent).with_suffix("")
    module = ".".join(rel.parts)
    is_pkg = module.endswith(".__init__")
    if is_pkg:
        module = module[: -len(".__init__")]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, t) for line, t in out if t == "fsdispatch" or t.startswith("fsdispatch.")]


def test_every_part_of_the_package_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert parts <= set(RANK), sorted(parts - set(RANK))


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        own = _part(".".join(rel.parts).removesuffix(".__init__"))
        for line, target in _imports(path):
            other = _part(target)
            if other != own and RANK[other] > RANK[own]:
                upward.append(f"{path.relative_to(ROOT.parent)}:{line} {own} -> {target}")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_the_kernels_import_nothing_above_them():
    for path in sorted((ROOT / "kernels").rglob("*.py")):
        for line, target in _imports(path):
            assert target.startswith("fsdispatch.kernels"), f"{path.name}:{line} {target}"
