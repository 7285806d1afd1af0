"""Every numba kernel compiles once: one signature per kernel on a cold start.

numba compiles a separate version of a jitted function for every distinct
argument type it sees — a literal ``-1`` versus an int64, a read-only versus
a writable array, a ``uint64`` loop index. Each extra version costs seconds
on a fresh install. These tests run the bundled day's path (compile, greedy,
the evaluator) and a short ``ls`` solve in a subprocess with an empty numba
cache and count the compilations of every kernel. A cold ``ls`` first compiles its
search kernels in a second process (``fsdispatch.solvers._ahead``): the last test
checks that they then load here, and that the plan is the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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
objectives = {}
for backend in [b for b in sys.argv[2:] if b != "live"]:
    result = fd.solve(scenario, backend, seed=0,
                      **({"max_iterations": 200} if backend == "ls" else {}))
    assert result.evaluation.is_feasible
    objectives[backend] = result.objective
if "live" in sys.argv[2:]:
    fd.live.warm_up()  # the live desk's and the simulator's kernels
print(json.dumps({"counts": counts, "objectives": objectives}))
"""

def _twice(counts: dict[str, int]) -> dict[str, int]:
    """The kernels compiled more than once (the struct converter compiles once per kind of
    struct). The schedule rule's variant is chosen by the day's kernel data (a static
    day's travel group is of its own type, see ``kernels.timing.leg_time``): a static day
    compiles only the static variant, so every kernel once."""
    return {name: n for name, n in counts.items()
            if n > 1 and not name.endswith("structs._to_struct")}


_SEARCH = tuple(f"fsdispatch.solvers.local_search.{m}." for m in ("_state", "operators", "_search",
                                                                          "moves"))
"""The modules of the search's own kernels."""


def _run(cache: Path, *backends: str, ahead: bool = False) -> dict[str, Any]:
    """Solve the bundled day with ``backends`` in turn in a new process on the numba cache
    ``cache``; the kernels it compiled (how often each) and the objectives."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache),
               FSDISPATCH_COMPILE_AHEAD="1" if ahead else "0")
    env.pop("NUMBA_BOUNDSCHECK", None)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT / "examples/metro_day.json"),
                          *backends], capture_output=True, text=True, env=env, timeout=900,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bundled day solved by greedy, then ``ls``, from an empty cache, everything
    compiled in one process (the second process does not start: greedy is cached when
    ``ls`` warms up)."""
    return _run(tmp_path_factory.mktemp("one") / "numba-cache", "greedy", "ls", "live")


def test_each_kernel_compiles_once_on_a_cold_start(one_process: dict[str, Any]) -> None:
    """The bundled day solved by greedy, then ``ls``, from an empty cache, then the live
    desk's warm-up (also the backends' warm-ups and the evaluator) compiles every kernel
    exactly once."""
    counts = one_process["counts"]
    assert counts, "nothing was compiled: the cache was not empty"
    assert any(name.startswith(_SEARCH) for name in counts)
    twice = _twice(counts)
    assert not twice, f"kernels compiled more than once (one signature each expected): {twice}"


def test_a_second_process_compiles_the_search_ahead(tmp_path: Path,
                                                    one_process: dict[str, Any]) -> None:
    """On a cold cache, ``ls``'s search kernels compile in a second process while the greedy
    start compiles here: this process loads them from the cache (compiles none of them,
    and nothing twice), and the plan is the one that compiling in one process gives."""
    cache = tmp_path / "numba-cache"
    ahead = _run(cache, "ls", ahead=True)
    counts = ahead["counts"]
    assert any(name.endswith("_greedy_kernels.greedy_steps") for name in counts), \
        "the greedy start was not compiled here: the cache was not empty"
    # (the reasons' kernel of tickets left out compiles here, meanwhile)
    search = {name for name in counts if name.startswith(_SEARCH)} \
        - {"fsdispatch.solvers.local_search._search.cheapest_able"}
    assert not search, f"search kernels compiled here, not ahead: {sorted(search)}"
    twice = _twice(counts)
    assert not twice, f"kernels compiled more than once: {twice}"
    assert ahead["objectives"]["ls"] == one_process["objectives"]["ls"]
    # the cache it left is complete: a new process compiles nothing
    assert _run(cache, "ls")["counts"] == {}
