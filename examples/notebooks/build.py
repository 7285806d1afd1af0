"""Execute the example notebooks (jupytext percent scripts) into ``.ipynb`` files with outputs.

``python examples/notebooks/build.py`` runs every notebook at full size and
writes ``<name>.ipynb`` next to its script (tables and plots included);
``--small`` runs the tiny CI size (``FSDISPATCH_NOTEBOOK_SIZE=small``);
``--out DIR`` writes elsewhere; names select notebooks. Needs the ``dev``
extra (jupytext, nbclient, ipykernel, nbformat).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTEBOOKS = ("staffing_curve", "smart_dispatch", "van_stock", "staffing_own_data")


def clean(nb: Any) -> Any:
    """Drop the script-only ``# noqa: B018`` markers (a notebook displays a bare last line)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("  # noqa: B018", "")
    return nb


def execute(name: str, *, small: bool = False, out_dir: Path | None = None,
            timeout: int = 3600, workers: int = 1) -> Any:
    """Execute ``<name>.py`` as a notebook and write ``<name>.ipynb``; return the notebook.

    The kernel runs in this directory with ``FSDISPATCH_NOTEBOOK_SIZE`` set to
    ``small`` or ``full`` (and ``FSDISPATCH_NOTEBOOK_WORKERS``).
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = clean(jupytext.read(HERE / f"{name}.py"))
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    saved = {k: os.environ.get(k) for k in ("FSDISPATCH_NOTEBOOK_SIZE",
                                            "FSDISPATCH_NOTEBOOK_WORKERS", "MPLBACKEND")}
    os.environ["FSDISPATCH_NOTEBOOK_SIZE"] = "small" if small else "full"
    os.environ["FSDISPATCH_NOTEBOOK_WORKERS"] = str(workers)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(HERE)}})
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    target = (out_dir or HERE) / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return nb


def main(argv: Sequence[str] | None = None) -> int:
    """Build the notebooks named on the command line (default: all)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", default=list(NOTEBOOKS))
    ap.add_argument("--small", action="store_true", help="the tiny CI size")
    ap.add_argument("--out", type=Path, default=None, help="output directory")
    ap.add_argument("--workers", type=int, default=1, help="processes per experiment")
    args = ap.parse_args(argv)
    for name in args.names:
        tic = time.perf_counter()
        execute(name, small=args.small, out_dir=args.out, workers=args.workers)
        print(f"{name}: executed in {time.perf_counter() - tic:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
