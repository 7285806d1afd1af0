"""Benchmarks: the Solomon / Gehring–Homberger VRPTW sets and peer solvers.

* :func:`solve_peer` runs OR-Tools routing, PyVRP or VROOM on a pure-VRPTW
  :class:`~fsdispatch.Problem` and scores the result with
  :func:`fsdispatch.evaluate`.
* :func:`run_benchmark` runs our solvers (through :func:`fsdispatch.solve`)
  and the peers on bundled instances and reports gaps to the DIMACS best
  known solutions; ``fsdispatch bench`` is its command line.
"""

from .peers import PEERS, peer_available, solve_peer
from .runner import (
    DEFAULT_INSTANCES,
    DEFAULT_SOLVERS,
    SETS,
    BenchReport,
    BenchRow,
    check_bks,
    find_data_dir,
    list_instances,
    load_bks,
    run_benchmark,
)
from .vrptw import VrptwData, vrptw_data, why_not_vrptw

__all__ = [
    "DEFAULT_INSTANCES",
    "DEFAULT_SOLVERS",
    "PEERS",
    "SETS",
    "BenchReport",
    "BenchRow",
    "VrptwData",
    "check_bks",
    "find_data_dir",
    "list_instances",
    "load_bks",
    "peer_available",
    "run_benchmark",
    "solve_peer",
    "vrptw_data",
    "why_not_vrptw",
]
