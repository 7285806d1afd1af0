"""Every numba kernel compiles once: one signature per kernel on a cold start.

numba compiles a separate version of a jitted function for every distinct
argument type it sees — a literal ``-1`` versus an int64, a read-only versus
a writable array, a ``uint64`` loop index. Each extra version costs seconds
on a fresh install. These tests run the bundled day's path (compile, greedy,
the evaluator) and a short ``ls`` solve in a subprocess with an empty numba
cache and count the compilations of every kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import collections, json, sys
from numba.core import event

counts = collections.Counter()


class Count(event.Listener):
    def on_start(self, ev):
        d = ev.data["dispatcher"]
        module = str(getattr(d.py_func, "__module__", ""))
        if module.startswith("fsdispatch"):
            counts[module + "." + d.py_func.__name__] += 1

    def on_end(self, ev):
        pass


event.register("numba:compile", Count())
import fsdispatch as fd

scenario = fd.load_scenario(sys.argv[1])
fd.solve(scenario, "greedy")
if sys.argv[2] == "ls":
    fd.solve(scenario, "ls", seed=0, max_iterations=200)
print(json.dumps(counts))
"""


def _compile_counts(tmp_path: Path, backend: str) -> dict[str, int]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    env.pop("NUMBA_BOUNDSCHECK", None)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT / "examples/metro_day.json"),
                          backend], capture_output=True, text=True, env=env, timeout=900,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    counts: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return counts


def test_each_kernel_compiles_once_on_a_cold_start(tmp_path: Path) -> None:
    """The bundled day solved by greedy, then ``ls``, from an empty cache (also the warm-ups
    and the evaluator) compiles every kernel exactly once."""
    counts = _compile_counts(tmp_path, "ls")
    assert counts, "nothing was compiled: the cache was not empty"
    # (the struct converter compiles once per kind of struct, by design)
    twice = {name: n for name, n in counts.items()
             if n > 1 and not name.endswith("structs._to_struct")}
    assert not twice, f"kernels compiled more than once (one signature each expected): {twice}"
