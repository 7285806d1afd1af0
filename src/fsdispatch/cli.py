"""The ``fsdispatch`` command line: solve, check, report, import, generate, bench.

Invalid input (any :class:`~fsdispatch.errors.FsdispatchError`, unreadable or
malformed JSON, an invalid argument) prints one line on stderr and exits with
code 2. Arguments and output paths are checked before any file is read or any
work starts, so nothing (no progress bar, no partial output) is printed before
such an error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__
from ._args import check_out, int_at_least
from .errors import FsdispatchError, ValidationError

if TYPE_CHECKING:
    from .domain.scenario import Scenario
    from .evaluate.evaluation import Evaluation
    from .plan import Plan
    from .problem.problem import Problem
    from .solvers.base import ProgressEvent

__all__ = ["main"]


def _fmt_time(dt: object) -> str:
    return dt.strftime("%a %H:%M") if hasattr(dt, "strftime") else str(dt)


def print_summary(result_problem: Problem, plan: Plan, evaluation: Evaluation, *,
                  solver: str | None = None,
                  status: str | None = None, runtime: float | None = None,
                  out: TextIO | None = None, max_routes: int | None = None) -> None:
    """Print a readable summary: header, KPI table, routes and unassigned tickets."""
    from .schedule import to_schedule

    problem = result_problem
    out = out if out is not None else sys.stdout
    sc = problem.scenario
    k = evaluation.kpis
    w = out.write
    w(f"scenario  {sc.name or '(unnamed)'}: {problem.num_technicians} technicians, "
      f"{problem.num_routes} shifts, {problem.num_tickets} tickets\n")
    if solver is not None:
        w(f"solver    {solver}  status={status}  runtime={runtime:.2f}s\n")
    w(f"objective {evaluation.objective:,.1f}   feasible={evaluation.is_feasible}\n\n")
    rows = [
        ("assigned", f"{k.assigned} / {k.num_tickets}"),
        ("by priority", "  ".join(f"{p} {a}/{t}" for p, (a, t) in k.assigned_by_priority.items()
                                  if t)),
        ("SLA attainment", f"{k.sla_attainment_pct:.1f} % ({k.sla_met}/{k.sla_tickets})"),
        ("lateness total / max", f"{k.total_lateness_min:,.0f} / {k.max_lateness_min:,.0f} min"),
        ("travel", f"{k.travel_time_min:,.0f} min, {k.distance_km:,.1f} km"),
        ("service / work", f"{k.service_min:,.0f} / {k.work_min:,.0f} min"),
        ("utilisation", f"{k.utilisation_pct:.1f} %"),
        ("overtime", f"{k.overtime_min:,.0f} min"),
        ("load spread / std", f"{k.load_spread_min:,.0f} / {k.load_std_min:,.0f} min"),
        ("preferred technician", f"{k.preferred_hits}/{k.preferred_requests}"),
        ("routes used", f"{k.routes_used} / {problem.num_routes}"),
    ]
    if problem.num_depots:
        rows.append(("depot stops", f"{k.depot_stops} ({k.parts_picked} parts picked up)"))
    if sc.category_parts or any(t.probable_parts for t in sc.tickets):
        rows.append(("expected first-time fix", f"{k.expected_first_time_fix_pct:.1f} % "
                     f"({k.expected_revisits:.1f} revisits)"))
    width = max(len(r[0]) for r in rows)
    w("KPIs\n")
    for name, value in rows:
        w(f"  {name:<{width}}  {value}\n")
    sched = to_schedule(problem, plan, evaluation)
    by_route: dict[str, list[Any]] = {}
    for v in sched.visits:
        by_route.setdefault(f"{v.technician_id}#{v.shift}", []).append(v)
    w("\nRoutes\n")
    tech_kpi = {t.technician_id: t for t in evaluation.technicians}
    shown = 0
    for label, visits in by_route.items():
        if max_routes is not None and shown >= max_routes:
            w(f"  … {len(by_route) - shown} more routes\n")
            break
        shown += 1
        tk = tech_kpi[label.rsplit("#", 1)[0]]
        w(f"  {label:<14} {len(visits):>2} tickets  back {_fmt_time(sched.route_end[label])}  "
          f"travel {tk.travel_min:.0f} min  util {tk.utilisation_pct:.0f} %\n")
        w("     " + ", ".join(
            (f"{v.pickup_start.strftime('%H:%M')} [{v.pickup_depot_id}] "
             if v.pickup_depot_id is not None else "")
            + f"{v.start.strftime('%H:%M')} {v.ticket_id}" for v in visits) + "\n")
    if sched.unassigned:
        w(f"\nUnassigned ({len(sched.unassigned)}): "
          + ", ".join(f"{r} {n}" for r, n in sorted(k.unassigned_by_reason.items())) + "\n")
        items = list(sched.unassigned.items())
        w("  " + ", ".join(f"{t} ({r})" for t, r in items[:12])
          + (" …" if len(items) > 12 else "") + "\n")
    if evaluation.violations:
        w(f"\nViolations ({len(evaluation.violations)})\n")
        for violation in evaluation.violations:
            w(f"  {violation}\n")


# ------------------------------------------------------------------ argument checks
def _one_line(text: str) -> str:
    """``text`` on one line: line breaks become ``" | "``, control characters are escaped."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    joined = " | ".join(lines)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in joined)


def _number(text: str, expected: str) -> float:
    """``text`` as a float, or an argparse error saying what was ``expected``."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def _fraction(text: str) -> float:
    """An argparse ``type``: a number within [0, 1]."""
    value = _number(text, "a number within [0, 1]")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], got {text!r}")
    return value


def _seconds(text: str) -> float:
    """An argparse ``type``: a finite number of seconds >= 0."""
    value = _number(text, "seconds (a number >= 0)")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds >= 0, got {text!r}")
    return value



class _ProgressLine:
    """The live progress line of ``fsdispatch solve``: a ``progress`` callback for
    :func:`fsdispatch.solve` writing to ``stream`` (stderr).

    Nothing is written during the first ``delay`` seconds (quick solves stay quiet).
    Then, on a terminal, one line is rewritten in place (``\\r``) at most every
    ``interval`` seconds; on anything else (a pipe, a log file), a plain line is written
    at most every ``plain_interval`` seconds. The line reads
    ``solving [ls]  12.3 s  best 1,234.5  assigned 812  iterations 40,960``: seconds since
    the line was created (scenario compilation included), the objective and assigned
    tickets of the best plan so far (``-`` when the backend does not report them) and the
    backend's iteration count. :meth:`close` shows the last event if it came too soon
    to be shown (once a line has been shown) and ends a terminal line with a newline.
    """

    DELAY = 2.0  #: default ``delay``
    INTERVAL = 0.25  #: default ``interval``
    PLAIN_INTERVAL = 5.0  #: default ``plain_interval``

    def __init__(self, stream: TextIO, *, delay: float | None = None,
                 interval: float | None = None, plain_interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty()) if callable(isatty) else False
        self.delay = self.DELAY if delay is None else delay
        self.interval = self.INTERVAL if interval is None else interval
        self.plain_interval = self.PLAIN_INTERVAL if plain_interval is None else plain_interval
        self.clock = clock
        self.start = clock()
        self.last = -math.inf
        self.width = 0
        self.shown = False
        self.pending: tuple[ProgressEvent, float] | None = None

    @staticmethod
    def format(event: ProgressEvent, elapsed: float) -> str:
        """The text of the line for ``event``, ``elapsed`` seconds into the solve."""
        best = "-" if event.best_objective is None else f"{event.best_objective:,.1f}"
        assigned = "-" if event.assigned is None else f"{event.assigned:,}"
        return (f"solving [{event.solver}] {elapsed:6.1f} s  best {best}  "
                f"assigned {assigned}  iterations {event.iteration:,}")

    def __call__(self, event: ProgressEvent) -> None:
        """Show ``event`` if the line is due (see the class docstring)."""
        now = self.clock()
        elapsed = now - self.start
        if elapsed < self.delay:
            return
        if now - self.last < (self.interval if self.tty else self.plain_interval):
            self.pending = (event, elapsed)  # shown on close if nothing newer is
            return
        self.last = now
        self._show(event, elapsed)

    def _show(self, event: ProgressEvent, elapsed: float) -> None:
        self.pending = None
        line = self.format(event, elapsed)
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = max(self.width, len(line))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Show the last event if it was not (so the line ends on the solve's final state)
        and end the terminal line (so what follows starts on a new line)."""
        if self.shown and self.pending is not None:
            self._show(*self.pending)
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` on one line and exit with code 2."""
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


# ------------------------------------------------------------------------ commands


def _cmd_solve(args: argparse.Namespace) -> int:
    from .io import load_scenario, save_plan
    from .solvers import get_solver, solve

    check_out(args.out, "--out")
    options: dict[str, Any] = {}
    if args.max_candidates is not None:
        options["max_candidates"] = args.max_candidates
    if args.workers is not None:
        options["workers"] = args.workers
    backend = get_solver(args.solver, **options)  # unknown solver or option: before any work
    scenario = load_scenario(args.scenario)
    # --progress: a line per event on stdout; else a live line on stderr unless --quiet
    line = None if args.progress or args.quiet else _ProgressLine(sys.stderr)
    try:
        result = solve(scenario, backend, time_limit=args.time_limit, seed=args.seed,
                       display=args.progress, progress=line)  # (compiles the scenario)
    finally:
        if line is not None:
            line.close()
    problem = result.problem
    if args.out:
        save_plan(problem, result.plan, args.out, evaluation=result.evaluation,
                  solver=result.solver)
    if not args.quiet:
        print_summary(problem, result.plan, result.evaluation, solver=result.solver,
                      status=result.status.value, runtime=result.runtime,
                      max_routes=args.max_routes)
        if args.out:
            print(f"\nplan written to {args.out}")
    return 0 if result.evaluation.is_feasible else 1


def _cmd_check(args: argparse.Namespace) -> int:
    from .evaluate import evaluate
    from .io import load_plan, load_scenario
    from .problem import compile_scenario

    problem = compile_scenario(load_scenario(args.scenario))
    plan = load_plan(problem, args.plan)
    evaluation = evaluate(problem, plan)
    print_summary(problem, plan, evaluation, max_routes=args.max_routes)
    if evaluation.is_feasible:
        print("\nplan is feasible")
        return 0
    print(f"\nplan is INFEASIBLE: {len(evaluation.violations)} violation(s)")
    return 1


def _cmd_report(args: argparse.Namespace) -> int:
    from .evaluate import evaluate
    from .io import load_plan, load_scenario
    from .problem import compile_scenario

    if not args.html and not args.csv:
        raise ValidationError("report: nothing to write; give --html FILE and/or --csv DIR",
                              field="--html")
    check_out(args.html, "--html")
    check_out(args.csv, "--csv", directory=True)
    problem = compile_scenario(load_scenario(args.scenario))
    plan = load_plan(problem, args.plan)
    evaluation = evaluate(problem, plan)
    if args.html:
        from .report import save_report

        save_report(problem, plan, evaluation, path=args.html, title=args.title)
        print(f"report written to {args.html}")
    if args.csv:
        from .io.tabular import plan_to_frames

        try:
            files = plan_to_frames(problem, plan, evaluation).to_csv(args.csv)
        except OSError as exc:
            raise ValidationError(f"cannot write to {args.csv!r}: {exc.strerror}",
                                  field="--csv", value=args.csv) from None
        print(f"tables written to {args.csv}: " + ", ".join(f.name for f in files))
    if not evaluation.is_feasible:
        print(f"plan is INFEASIBLE: {len(evaluation.violations)} violation(s)")
    return 0


def _write_scenario(scenario: Scenario, out: str | None, note: str = "") -> int:
    """Save ``scenario`` as JSON to ``out`` and say so (with ``note`` after the counts), or
    print the JSON when ``out`` is None."""
    from .io import save_scenario

    text = save_scenario(scenario, out)
    if out is None:
        print(text)
    else:
        print(f"wrote {out}: {scenario.num_technicians} technicians, "
              f"{scenario.num_tickets} tickets{note}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from .io.tabular import read_scenario_csv

    check_out(args.out, "--out")
    scenario = read_scenario_csv(args.tickets, args.technicians, parts=args.parts,
                                 date=args.date, timezone=args.timezone, travel=args.travel,
                                 speed_profile=args.speed_profile, name=args.name or "")
    return _write_scenario(scenario, args.out)


def _cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate_scenario

    check_out(args.out, "--out")
    scenario = generate_scenario(args.technicians, args.tickets, seed=args.seed, days=args.days,
                                 name=args.name, crew_fraction=args.crew_fraction)
    return _write_scenario(scenario, args.out, f", {args.days} day(s)")


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import check_bks, run_benchmark

    check_out(args.out, "--out")
    if args.check_bks:
        problems = check_bks(args.set, data_dir=args.data_dir)
        for line in problems:
            print(line)
        print(f"BKS check of set {args.set!r}: "
              + ("all solutions feasible and equal to bks_dimacs" if not problems
                 else f"{len(problems)} problem(s)"))
        return 0 if not problems else 1
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    instances = [s for s in args.instances.split(",") if s.strip()] if args.instances else None

    def log(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    report = run_benchmark(args.set, instances, solvers=solvers, time_limit=args.time_limit,
                           seed=args.seed, data_dir=args.data_dir, log=log)
    print(f"\n{args.set}: time limit {args.time_limit:g} s per solver and instance, "
          f"seed {args.seed}; distance = our evaluator's objective (DIMACS convention)\n")
    print(report.table())
    print()
    print(report.summary())
    for name, why in report.skipped.items():
        print(f"skipped {name}: {why}")
    if args.out:
        report.to_csv(args.out)
        print(f"\ntable written to {args.out}")
    return 0


def _command(sub: Any, name: str, func: Callable[[argparse.Namespace], int], summary: str,
             description: str | None = None) -> argparse.ArgumentParser:
    """Add the subcommand ``name``, run by ``func`` (``summary``: its line in ``--help``)."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=description)
    p.set_defaults(func=func)
    return p


def _plan_files(p: argparse.ArgumentParser) -> None:
    """The two positional files of a command that judges a plan."""
    p.add_argument("scenario", help="scenario JSON file")
    p.add_argument("plan", help="plan JSON file")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fsdispatch`` command."""
    parser = _Parser(
        prog="fsdispatch",
        description="Field-service dispatch: solve, check, report, import, generate, bench.")
    parser.add_argument("--version", action="version", version=f"fsdispatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = _command(sub, "solve", _cmd_solve, "solve a scenario and print the plan")
    p.add_argument("scenario", help="scenario JSON file")
    p.add_argument("--solver", default="greedy", help="backend name (default: greedy)")
    p.add_argument("--time-limit", type=_seconds, default=None, help="seconds (>= 0)")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--max-candidates", type=int_at_least(1), default=None,
                   help="greedy: routes priced per ticket (>= 1)")
    p.add_argument("--workers", type=int_at_least(1), default=None,
                   help="ls: parallel searches on threads, the best plan wins (>= 1)")
    p.add_argument("--out", help="write the plan JSON here (its folder must exist)")
    p.add_argument("--max-routes", type=int_at_least(0), default=None,
                   help="print at most this many routes")
    p.add_argument("--progress", action="store_true",
                   help="print a line per solver progress event (instead of the live line)")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing (no summary, no progress line)")

    p = _command(sub, "check", _cmd_check, "evaluate a plan; exit 0 only if it is feasible")
    _plan_files(p)
    p.add_argument("--max-routes", type=int_at_least(0), default=None)

    p = _command(sub, "report", _cmd_report,
                 "write a plan's HTML report (map, timeline, KPIs) or CSV",
                 "Evaluate a plan and write a self-contained HTML report that works offline, "
                 "and/or its tables as CSV files.")
    _plan_files(p)
    p.add_argument("--html", default=None, help="write the HTML report here")
    p.add_argument("--csv", default=None, metavar="DIR",
                   help="write visits.csv, technicians.csv, unassigned.csv, kpis.csv here "
                   "(needs pandas)")
    p.add_argument("--title", default=None, help="page title")

    p = _command(sub, "import", _cmd_import,
                 "build a scenario JSON from CSV exports (needs pandas)",
                 "Read tickets and technicians CSV files (one row each; columns in the docs' "
                 "how-to 'Import from Excel or CSV') and write the scenario JSON.")
    p.add_argument("tickets", help="tickets CSV file")
    p.add_argument("technicians", help="technicians CSV file")
    p.add_argument("--parts", default=None, help="parts catalogue CSV file")
    p.add_argument("--date", default=None, help="day of bare local times, YYYY-MM-DD")
    p.add_argument("--timezone", default="UTC", help="IANA timezone of local times "
                   "(default: UTC)")
    p.add_argument("--travel", default=None, help="travel matrix CSV or .npz (default: "
                   "straight-line travel at 40 km/h × 1.3)")
    p.add_argument("--speed-profile", default=None, metavar="PROFILE.csv",
                   help="traffic: time,factor[,weekday] CSV; travel is then timed by "
                   "departure under it (default: static travel)")
    p.add_argument("--name", default=None, help="scenario name (default: the tickets file's)")
    p.add_argument("--out", default=None, help="output file (default: stdout)")

    p = _command(sub, "generate", _cmd_generate, "generate a realistic synthetic scenario")
    p.add_argument("--technicians", type=int_at_least(0), default=25)
    p.add_argument("--tickets", type=int_at_least(0), default=200)
    p.add_argument("--days", type=int_at_least(1), default=1)
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--name", default=None)
    p.add_argument("--crew-fraction", type=_fraction, default=0.0,
                   help="share of tickets made crew jobs of two technicians (default: 0)")
    p.add_argument("--out", default=None, help="output file (default: stdout)")

    p = _command(sub, "bench", _cmd_bench,
                 "VRPTW benchmark (Solomon, Gehring-Homberger) vs peers",
                 "Run our solvers and peers (OR-Tools, PyVRP, VROOM) on bundled VRPTW "
                 "instances; print distance, vehicles, gap to the DIMACS BKS, time and "
                 "feasibility, all judged by our evaluator.")
    p.add_argument("--set", default="solomon", choices=["solomon", "gh200"],
                   help="instance set (default: solomon)")
    p.add_argument("--instances", default=None,
                   help="comma-separated names or patterns, e.g. C101,R1* or 'all' "
                   "(default: one instance per class)")
    p.add_argument("--time-limit", type=_seconds, default=10.0,
                   help="seconds per solver and instance (default: 10)")
    p.add_argument("--solvers", default="ls,greedy,ortools,pyvrp,vroom",
                   help="comma-separated; unavailable ones are skipped "
                   "(default: ls,greedy,ortools,pyvrp,vroom)")
    p.add_argument("--seed", type=int_at_least(0), default=1)
    p.add_argument("--out", default=None, help="also write the table as CSV here")
    p.add_argument("--data-dir", default=None,
                   help="folder holding solomon/ and homberger200/ (default: benchmarks/data)")
    p.add_argument("--check-bks", action="store_true",
                   help="only re-check every BKS .sol of the set with our evaluator")
    p.add_argument("--quiet", action="store_true", help="no per-run progress lines")

    from .sim.cli import add_parser as _add_simulate

    _add_simulate(sub)
    return parser


def _error_line(exc: BaseException) -> str:
    """The one stderr line for an input error: ``fsdispatch: error: <message>``.

    A :class:`~fsdispatch.errors.ValidationError` aggregating several issues
    shows its first issue (with any file prefix) and ``(+N more)``.
    """
    text = str(exc) or type(exc).__name__
    issues: tuple[ValidationError, ...] = getattr(exc, "issues", ())
    if len(issues) > 1:
        head = text.splitlines()[0]
        prefix = head.split(f"{len(issues)} validation errors", 1)[0]
        text = f"{prefix}{issues[0].message} (+{len(issues) - 1} more)"
    else:
        text = text.splitlines()[0] if text.strip() else text
    return f"fsdispatch: error: {_one_line(text)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fsdispatch`` command; returns the exit code.

    Usage errors exit (``SystemExit``) with code 2 and one stderr line;
    invalid input returns 2 after printing one stderr line (see :func:`_error_line`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except (FsdispatchError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(_error_line(exc), file=sys.stderr)
        return 2
    except OSError as exc:  # an output that could not be written after all (disk full…)
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"fsdispatch: error: cannot access{where}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
