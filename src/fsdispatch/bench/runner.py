"""Run our solvers and the peers on the bundled VRPTW sets; tables of gaps to the BKS.

Every solver runs in the same process, one after the other, on the same
compiled :class:`~fsdispatch.Problem`; every plan is scored by
:func:`fsdispatch.evaluate`. Gaps are to the DIMACS 2021 best known solutions
(distance only, arcs truncated to one decimal; ``bks_dimacs`` in ``bks.csv``).
"""

from __future__ import annotations

import csv
import fnmatch
import os
import time
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path

import attrs

from ..errors import FsdispatchError, ValidationError
from ..evaluate.evaluator import evaluate
from ..io.solomon import read_solomon, read_solomon_solution
from ..problem.compile import compile_scenario
from ..problem.problem import Problem
from ..solvers.base import SolveResult
from ..solvers.registry import available_solvers
from ..solvers.solve import solve
from .peers import PEERS, peer_available, solve_peer

__all__ = [
    "DEFAULT_INSTANCES",
    "DEFAULT_SOLVERS",
    "SETS",
    "BenchReport",
    "BenchRow",
    "check_bks",
    "find_data_dir",
    "list_instances",
    "load_bks",
    "run_benchmark",
]

SETS: dict[str, str] = {"solomon": "solomon", "gh200": "homberger200"}
"""Set name -> folder under the benchmark data directory."""

DEFAULT_INSTANCES: dict[str, tuple[str, ...]] = {
    "solomon": ("C101", "C201", "R101", "R201", "RC101", "RC201"),
    "gh200": ("C1_2_1", "C2_2_1", "R1_2_1", "R2_2_1", "RC1_2_1", "RC2_2_1"),
}
"""One instance per class (C1, C2, R1, R2, RC1, RC2), used when none are named."""

DEFAULT_SOLVERS: tuple[str, ...] = ("ls", "greedy", "ortools", "pyvrp", "vroom")

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    """A log callback that drops messages."""


def find_data_dir(data_dir: str | PathLike[str] | None = None) -> Path:
    """The benchmark data directory (holding ``solomon/`` and ``homberger200/``).

    Looks at ``data_dir``, then ``$FSDISPATCH_BENCH_DATA``, then
    ``./benchmarks/data``, then ``benchmarks/data`` of the source checkout this
    package was installed from (editable installs).

    Raises
    ------
    ValidationError
        None of these holds the data; the message lists where it looked.
    """
    candidates: list[Path] = []
    if data_dir is not None:
        candidates.append(Path(data_dir))
    else:
        env = os.environ.get("FSDISPATCH_BENCH_DATA")
        if env:
            candidates.append(Path(env))
        candidates.append(Path.cwd() / "benchmarks" / "data")
        candidates.append(Path(__file__).resolve().parents[3] / "benchmarks" / "data")
    for path in candidates:
        if any((path / folder).is_dir() for folder in SETS.values()):
            return path
    raise ValidationError(
        "benchmark data not found (looked in " + ", ".join(str(p) for p in candidates)
        + "); pass --data-dir DIR or set FSDISPATCH_BENCH_DATA to a folder holding "
        "solomon/ and homberger200/ (benchmarks/data in the source repository)",
        field="data_dir", value=str(candidates[0]))


def _set_dir(set_name: str, data_dir: str | PathLike[str] | None) -> Path:
    if set_name not in SETS:
        raise ValidationError.for_field("bench", None, "set", set_name,
                                        f"must be one of {', '.join(SETS)}")
    path = find_data_dir(data_dir) / SETS[set_name]
    if not path.is_dir():
        raise ValidationError(f"benchmark set {set_name!r} not found: {path} is not a folder",
                              field="set", value=set_name)
    return path


def list_instances(set_name: str = "solomon", patterns: Sequence[str] | None = None, *,
                   data_dir: str | PathLike[str] | None = None) -> list[Path]:
    """Instance files of a set matching name patterns.

    Parameters
    ----------
    set_name:
        ``"solomon"`` (56 instances, 100 customers) or ``"gh200"`` (60, 200 customers).
    patterns:
        Instance names or shell patterns, case-insensitive (``["C101", "R1*"]``);
        ``None`` means one instance per class (:data:`DEFAULT_INSTANCES`),
        ``["all"]`` every instance.
    data_dir:
        See :func:`find_data_dir`.

    Raises
    ------
    ValidationError
        Unknown set, or a pattern matching no instance.
    """
    folder = _set_dir(set_name, data_dir)
    files = sorted(folder.glob("*.txt"))
    by_name = {f.stem.upper(): f for f in files}
    if patterns is None:
        patterns = DEFAULT_INSTANCES[set_name]
    patterns = [p.strip() for p in patterns if p.strip()]
    if [p.lower() for p in patterns] == ["all"]:
        return files
    out: list[Path] = []
    for pattern in patterns:
        hits = [f for name, f in by_name.items() if fnmatch.fnmatchcase(name, pattern.upper())]
        if not hits:
            raise ValidationError.for_field("bench", None, "instances", pattern,
                                            f"must match an instance of set {set_name!r} "
                                            f"(e.g. {files[0].stem if files else 'C101'})")
        out.extend(f for f in sorted(hits, key=_natural) if f not in out)
    return out


def _natural(path: Path) -> tuple[object, ...]:
    parts = path.stem.replace("_", " _ ").split()
    return tuple(int(p) if p.isdigit() else p for p in parts)


def load_bks(set_dir: str | PathLike[str]) -> dict[str, float]:
    """Instance name (upper case) -> DIMACS best known distance, from ``bks.csv``."""
    path = Path(set_dir) / "bks.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {row["instance"].upper(): float(row["bks_dimacs"])
                for row in csv.DictReader(handle) if row.get("bks_dimacs")}


@attrs.frozen
class BenchRow:
    """One solver on one instance.

    Attributes
    ----------
    set, instance, solver:
        What ran.
    objective:
        The evaluator's objective (= DIMACS distance when everyone is served).
    vehicles:
        Routes used.
    assigned, num_tickets:
        Customers served, and in all.
    bks:
        DIMACS best known distance (``None`` if unknown).
    gap_pct:
        ``100 · (objective − bks) / bks`` for feasible plans serving everyone, else ``None``.
    time_s:
        Wall-clock seconds of the solve (peers: including model building).
    feasible:
        The evaluator found no violation.
    status:
        The solve status.
    """

    set: str
    instance: str
    solver: str
    objective: float
    vehicles: int
    assigned: int
    num_tickets: int
    bks: float | None
    gap_pct: float | None
    time_s: float
    feasible: bool
    status: str


_COLUMNS = ("set", "instance", "solver", "objective", "vehicles", "assigned", "num_tickets",
            "bks", "gap_pct", "time_s", "feasible", "status")


@attrs.frozen
class BenchReport:
    """Rows of a benchmark run plus the solvers skipped (name -> why)."""

    rows: tuple[BenchRow, ...]
    skipped: dict[str, str] = attrs.field(factory=dict)
    time_limit: float = 0.0

    def table(self) -> str:
        """A fixed-width table: instance, solver, distance, vehicles, BKS, gap, time, feasible."""
        head = (f"{'instance':<10} {'solver':<8} {'distance':>10} {'veh':>4} {'BKS':>9} "
                f"{'gap %':>7} {'time s':>7}  feasible")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            dist = f"{r.objective:10.1f}" if r.objective < 1e6 else f"{'(unserved)':>10}"
            bks = f"{r.bks:9.1f}" if r.bks is not None else f"{'-':>9}"
            gap = f"{r.gap_pct:7.2f}" if r.gap_pct is not None else f"{'-':>7}"
            feasible = "yes" if r.feasible else "NO"
            if r.assigned < r.num_tickets:
                feasible += f" ({r.num_tickets - r.assigned} unserved)"
            lines.append(f"{r.instance:<10} {r.solver:<8} {dist} {r.vehicles:4d} {bks} {gap} "
                         f"{r.time_s:7.2f}  {feasible}")
        return "\n".join(lines)

    def summary(self) -> str:
        """Per set and solver: runs, feasible runs, mean gap % (feasible runs) and mean time."""
        groups: dict[tuple[str, str], list[BenchRow]] = {}
        for r in self.rows:
            groups.setdefault((r.set, r.solver), []).append(r)
        head = (f"{'set':<8} {'solver':<8} {'runs':>4} {'feasible':>8} {'mean gap %':>10} "
                f"{'mean time s':>11}")
        lines = [head, "-" * len(head)]
        for (set_name, solver), rows in groups.items():
            gaps = [r.gap_pct for r in rows if r.gap_pct is not None]
            gap = f"{sum(gaps) / len(gaps):10.2f}" if gaps else f"{'-':>10}"
            mean_time = sum(r.time_s for r in rows) / len(rows)
            lines.append(f"{set_name:<8} {solver:<8} {len(rows):4d} "
                         f"{sum(r.feasible for r in rows):8d} {gap} {mean_time:11.2f}")
        return "\n".join(lines)

    def to_csv(self, path: str | PathLike[str]) -> None:
        """Write the rows as CSV (one header line, columns as :class:`BenchRow`)."""
        with Path(path).open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(_COLUMNS)
            for r in self.rows:
                values = []
                for c in _COLUMNS:
                    value = getattr(r, c)
                    if isinstance(value, float):
                        value = round(value, 4 if c != "time_s" else 3)
                    values.append("" if value is None else value)
                writer.writerow(values)


def _row(set_name: str, instance: str, result: SolveResult, bks: float | None,
         time_s: float) -> BenchRow:
    k = result.evaluation.kpis
    objective = result.evaluation.objective
    complete = result.is_feasible and k.assigned == k.num_tickets
    gap = 100.0 * (objective - bks) / bks if complete and bks else None
    if gap is not None and abs(gap) < 1e-9:  # float noise of summing tenths
        gap = 0.0
    return BenchRow(set=set_name, instance=instance, solver=result.solver, objective=objective,
                    vehicles=k.routes_used, assigned=k.assigned, num_tickets=k.num_tickets,
                    bks=bks, gap_pct=gap, time_s=time_s, feasible=result.is_feasible,
                    status=result.status.value)


def _usable(solvers: Sequence[str], log: Log) -> tuple[list[str], dict[str, str]]:
    ours = set(available_solvers())
    usable: list[str] = []
    skipped: dict[str, str] = {}
    for name in solvers:
        if name in PEERS:
            if peer_available(name):
                usable.append(name)
            else:
                pkg = "pyvroom" if name == "vroom" else name
                skipped[name] = f"not installed (pip install {pkg})"
        elif name in ours:
            usable.append(name)
        else:
            skipped[name] = (f"not a registered solver yet (available: {', '.join(sorted(ours))}"
                             f"; peers: {', '.join(PEERS)})")
    for name, why in skipped.items():
        log(f"skipping solver {name!r}: {why}")
    return usable, skipped


def _run_one(problem: Problem, solver: str, time_limit: float, seed: int) -> SolveResult:
    if solver in PEERS:
        return solve_peer(problem, solver, time_limit=time_limit, seed=seed)
    return solve(problem, solver=solver, time_limit=time_limit, seed=seed)


def run_benchmark(set_name: str = "solomon", instances: Sequence[str] | None = None, *,
                  solvers: Sequence[str] = DEFAULT_SOLVERS, time_limit: float = 10.0,
                  seed: int = 1, data_dir: str | PathLike[str] | None = None,
                  warmup: bool = True, log: Log | None = None) -> BenchReport:
    """Run solvers on benchmark instances and compare with the DIMACS BKS.

    Our solvers run through :func:`fsdispatch.solve`; the peers through
    :func:`~fsdispatch.bench.solve_peer`. A solver that is not registered
    (e.g. a backend still being written) or whose package is missing is
    skipped with a message, not an error.

    Parameters
    ----------
    set_name:
        ``"solomon"`` or ``"gh200"``.
    instances:
        Names or patterns (see :func:`list_instances`).
    solvers:
        Our backends (``"greedy"``, ``"ls"``…) and peers (``"ortools"``,
        ``"pyvrp"``, ``"vroom"``), run in this order on each instance.
    time_limit:
        Seconds per solver and instance (default 10).
    seed:
        Seed passed to every solver (default 1).
    data_dir:
        See :func:`find_data_dir`.
    warmup:
        Solve the first instance once with each of our solvers before timing
        (loads or compiles numba kernels, so compile time is not counted).
    log:
        Called with one progress line per run (default: silent).

    Returns
    -------
    BenchReport
    """
    log = log or _quiet
    folder = _set_dir(set_name, data_dir)
    paths = list_instances(set_name, instances, data_dir=data_dir)
    bks = load_bks(folder)
    usable, skipped = _usable(solvers, log)
    rows: list[BenchRow] = []
    warmed: set[str] = set()
    for path in paths:
        problem = compile_scenario(read_solomon(path))
        name = path.stem.upper()
        for solver in usable:
            if warmup and solver not in PEERS and solver not in warmed:
                _run_one(problem, solver, min(1.0, time_limit), seed)
                warmed.add(solver)
            tic = time.perf_counter()
            try:
                result = _run_one(problem, solver, time_limit, seed)
            except FsdispatchError as exc:
                skipped.setdefault(solver, f"failed on {name}: {exc}")
                log(f"{name:<10} {solver:<8} failed: {exc}")
                continue
            elapsed = time.perf_counter() - tic
            time_s = result.runtime if solver not in PEERS else elapsed
            row = _row(set_name, name, result, bks.get(name), time_s)
            rows.append(row)
            gap = f"{row.gap_pct:6.2f} %" if row.gap_pct is not None else "   -"
            log(f"{name:<10} {solver:<8} distance {row.objective:10.1f}  veh {row.vehicles:3d}"
                f"  gap {gap}  {time_s:6.2f} s  feasible={row.feasible}")
    return BenchReport(rows=tuple(rows), skipped=skipped, time_limit=float(time_limit))


def check_bks(set_name: str = "solomon", *,
              data_dir: str | PathLike[str] | None = None) -> list[str]:
    """Re-check every BKS ``.sol`` of a set with our evaluator.

    Returns
    -------
    list of str
        One message per instance whose solution is infeasible or whose
        objective differs from ``bks_dimacs`` by more than 1e-6 (empty: all agree).
    """
    folder = _set_dir(set_name, data_dir)
    bks = load_bks(folder)
    problems: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        sol = path.with_suffix(".sol")
        if not sol.exists():
            problems.append(f"{path.stem}: no .sol file")
            continue
        problem = compile_scenario(read_solomon(path))
        evaluation = evaluate(problem, read_solomon_solution(problem, sol))
        want = bks.get(path.stem.upper())
        if not evaluation.is_feasible:
            problems.append(f"{path.stem}: infeasible ({evaluation.violations[0]})")
        elif want is None or abs(evaluation.objective - want) > 1e-6:
            problems.append(f"{path.stem}: objective {evaluation.objective:.4f} != BKS {want}")
    return problems
