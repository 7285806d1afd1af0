"""The solver strategy interface: limits, statuses, capabilities, results, progress."""

from __future__ import annotations

import enum
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..evaluate.evaluation import Evaluation
    from ..plan import Plan
    from ..problem.problem import Problem

__all__ = [
    "BackendOutput",
    "Capabilities",
    "Limits",
    "ProgressCallback",
    "ProgressEvent",
    "SolveResult",
    "SolveStatus",
    "Solver",
    "print_progress",
]


def _check_limit(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value < 0:
        raise ValidationError.for_field("Limits", None, attribute.name, value,
                                        "must be a finite number >= 0 or None")


def _check_count(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValidationError.for_field("Limits", None, attribute.name, value,
                                        "must be a positive integer or None")


@attrs.frozen
class Limits:
    """Stopping rules, translated by each backend to its native knobs.

    Parameters
    ----------
    time_limit:
        Wall-clock seconds (float) for the solve, excluding compilation; finite, >= 0.
    max_iterations:
        Iteration cap (meaning is backend-specific: insertions, LS iterations…);
        a positive integer.
    rel_gap:
        Relative optimality gap at which exact backends may stop; finite, >= 0.
    no_improvement:
        Stop after this many iterations without improving the best plan; a
        positive integer.

    Any other value raises :class:`~fsdispatch.errors.ValidationError` naming the field.
    """

    time_limit: float | None = attrs.field(default=None, validator=_check_limit)
    max_iterations: int | None = attrs.field(default=None, validator=_check_count)
    rel_gap: float | None = attrs.field(default=None, validator=_check_limit)
    no_improvement: int | None = attrs.field(default=None, validator=_check_count)

    def warn_unsupported(self, backend: str, supported: set[str]) -> None:
        """Warn (not silently ignore) for every set limit the backend cannot honour."""
        for name in ("time_limit", "max_iterations", "rel_gap", "no_improvement"):
            if getattr(self, name) is not None and name not in supported:
                warnings.warn(f"solver {backend!r} ignores the {name} limit", RuntimeWarning,
                              stacklevel=4)


class SolveStatus(enum.Enum):
    """Outcome of a solve, common to every backend."""

    OPTIMAL = "optimal"  #: proven optimal
    FEASIBLE = "feasible"  #: a feasible plan, not proven optimal
    INFEASIBLE = "infeasible"  #: proven that no feasible plan exists
    UNKNOWN = "unknown"  #: the limit was hit before any plan was found
    ERROR = "error"  #: the returned plan breaks a rule (a backend bug; see evaluation)


@attrs.frozen
class Capabilities:
    """What a backend handles; the registry refuses problems outside it.

    Attributes
    ----------
    exact:
        Proves optimality / reports bounds.
    breaks, parts, multi_shift, soft_windows:
        Supports these features.
    depot_stops:
        Plans depot stops (:attr:`Plan.pickups`) for tickets whose parts a van lacks.
    crews:
        Plans crew jobs (tickets with ``crew_size > 1``; see ``docs/crew.md``).
    time_dependent:
        Times travel by the departure under a time-dependent travel model
        (``TimeDependentTravel``, ``TimeDependentMatrix``; see ``docs/traffic.md``).
    max_tickets, max_routes:
        Size limits (``None`` = no limit).
    """

    exact: bool = False
    breaks: bool = True
    parts: bool = True
    multi_shift: bool = True
    soft_windows: bool = True
    depot_stops: bool = True
    crews: bool = False
    time_dependent: bool = True
    max_tickets: int | None = None
    max_routes: int | None = None

    def why_not(self, problem: Problem) -> str | None:
        """Why this backend cannot take ``problem``, or ``None`` if it can."""
        kd = problem.data
        if self.max_tickets is not None and problem.num_tickets > self.max_tickets:
            return f"{problem.num_tickets} tickets exceed its limit of {self.max_tickets}"
        if self.max_routes is not None and problem.num_routes > self.max_routes:
            return f"{problem.num_routes} technician shifts exceed its limit of {self.max_routes}"
        if not self.breaks and kd.brk.dur.shape[0]:
            return "the scenario has breaks, which it does not model"
        if not self.parts and kd.res.part_sku.shape[0]:
            return "tickets need parts, which it does not model"
        if not self.depot_stops and problem.num_depots and kd.res.part_sku.shape[0]:
            return "the scenario has depots for parts pick-ups, which it does not plan"
        if not self.soft_windows and bool(kd.win.soft.any()):
            return "tickets have soft windows, which it does not model"
        if not self.multi_shift and problem.num_routes > len(set(kd.rt.tech.tolist())):
            return "technicians have several shifts, which it does not model"
        if not self.time_dependent and kd.tv.td:
            return ("its travel is time-dependent (traffic), which it does not model: the "
                    "exact model's travel times are static; use 'greedy' or 'ls', or a "
                    "static travel model")
        if not self.crews:
            from ..problem.crew import has_crews

            if has_crews(problem):
                return ("tickets are crew jobs (crew_size > 1), which it does not plan; "
                        "plan them in routing mode")
        return None


@attrs.frozen
class ProgressEvent:
    """Progress report passed to a ``progress`` callback.

    Attributes
    ----------
    solver:
        Backend name.
    elapsed:
        Seconds since the backend's solve started.
    iteration:
        Iterations (or insertions) done so far.
    best_objective:
        Objective of the best plan so far, when the backend knows it (never rises
        from one event to the next of a solve).
    bound:
        Lower bound, for exact backends.
    message:
        Free text.
    assigned:
        Tickets assigned in the best plan so far, when the backend knows it.
    """

    solver: str
    elapsed: float
    iteration: int
    best_objective: float | None = None
    bound: float | None = None
    message: str = ""
    assigned: int | None = None


ProgressCallback = Callable[[ProgressEvent], None]


def print_progress(event: ProgressEvent) -> None:
    """A progress callback that prints one line per event (``display=True``)."""
    parts = [f"[{event.solver}] {event.elapsed:7.2f}s it={event.iteration}"]
    if event.best_objective is not None:
        parts.append(f"best={event.best_objective:.2f}")
    if event.bound is not None:
        parts.append(f"bound={event.bound:.2f}")
    if event.assigned is not None:
        parts.append(f"assigned={event.assigned}")
    if event.message:
        parts.append(event.message)
    print("  ".join(parts), flush=True)


@runtime_checkable
class Solver(Protocol):
    """A dispatch backend.

    ``__init__`` only stores options (frozen, picklable); ``solve`` does the
    work and returns a :class:`BackendOutput`. :func:`fsdispatch.solve`
    evaluates the plan with the shared evaluator. A backend may also define
    ``warm_up() -> float``: :func:`fsdispatch.solve` calls it before starting
    the clock (JIT compilation or cache loading, reported as
    ``stats["jit_seconds"]``, never counted against ``time_limit``), and
    ``compile_ahead(problem) -> None``: called first with the Scenario (or Problem),
    before a scenario is compiled, it may start compiling kernels needed later (those of
    the day's travel kind) in a second process (returns at once; see
    ``fsdispatch.solvers._ahead``).
    """

    name: str
    capabilities: Capabilities

    def solve(self, problem: Problem, limits: Limits, seed: int | None,
              progress: ProgressCallback | None) -> BackendOutput:
        """Solve ``problem`` within ``limits``."""
        ...


@attrs.frozen
class BackendOutput:
    """What a backend returns: a plan plus diagnostics (never trusted for feasibility)."""

    plan: Plan
    status: SolveStatus
    bound: float | None = None
    objective: float | None = None  #: the backend's own objective, a diagnostic only
    stats: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(eq=False)
class SolveResult:
    """The result of :func:`fsdispatch.solve`.

    Attributes
    ----------
    plan:
        The plan (index form); ``plan.to_ids(problem)`` gives ids.
    evaluation:
        The shared evaluator's verdict: objective, KPIs, violations.
    status:
        :class:`SolveStatus`.
    bound:
        Lower bound on the objective when the backend proves one.
    runtime:
        Wall-clock seconds of the backend's solve (excluding compilation).
    stats:
        Backend statistics (iterations, compile time of kernels…).
    solver:
        Backend name.
    problem:
        The problem solved.
    """

    plan: Plan
    evaluation: Evaluation
    status: SolveStatus
    bound: float | None
    runtime: float
    stats: Mapping[str, Any]
    solver: str
    problem: Problem

    @property
    def objective(self) -> float:
        """The evaluator's objective of the plan."""
        return self.evaluation.objective

    @property
    def is_feasible(self) -> bool:
        """Whether the plan breaks no rule."""
        return self.evaluation.is_feasible
