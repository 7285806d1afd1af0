"""fsdispatch: field-service dispatch with a typed model and real optimisation.

The data flow is one-directional::

    Scenario (typed, validated) --compile_scenario--> Problem (arrays)
        --solve(solver=...)--> Plan --evaluate--> Evaluation (feasibility, KPIs, objective)

Quick start::

    import fsdispatch as fd
    scenario = fd.generate_scenario(num_technicians=25, num_tickets=200, seed=1)
    result = fd.solve(scenario, solver="greedy")
    print(result.evaluation.kpis)
"""

import logging

from .domain import (
    Break,
    Depot,
    GeometricTravel,
    Location,
    MatrixTravel,
    Part,
    Priority,
    Scenario,
    Shift,
    SlaPolicy,
    SlaTarget,
    Technician,
    Ticket,
    TimeWindow,
)
from .domain.asset import Asset, MaintenancePlan, maintenance_tickets
from .domain.costs import CostRates
from .domain.objective import ObjectiveWeights
from .errors import (
    BackendFailedError,
    BackendUnavailableError,
    FsdispatchError,
    FsdispatchWarning,
    InfeasiblePlanError,
    InternalCheckError,
    InventoryError,
    OverReservationError,
    SimulationError,
    SolverError,
    TransitionError,
    UnknownReferenceError,
    UnknownSolverError,
    UnsupportedProblemError,
    ValidationError,
)
from .evaluate import (
    Evaluation,
    Kpis,
    TeamKpis,
    TechnicianKpis,
    TerritoryKpis,
    Violation,
    check_plan,
    evaluate,
)
from .evaluate.history import AssetHistory, ServiceVisit, asset_history
from .generate import generate_scenario
from .inventory import StockLedger
from .io import (
    MaintenanceBook,
    PlanFrames,
    load_maintenance,
    load_plan,
    load_scenario,
    maintenance_from_dict,
    maintenance_to_dict,
    plan_from_dict,
    plan_to_dict,
    plan_to_frames,
    read_maintenance_csv,
    read_scenario_csv,
    read_solomon,
    read_solomon_solution,
    read_travel_matrix,
    save_maintenance,
    save_plan,
    save_scenario,
    scenario_from_dict,
    scenario_from_frames,
    scenario_to_dict,
)
from .live import (
    BusinessCalendar,
    Dispatcher,
    EscalationRule,
    Eta,
    EtaModel,
    EventLog,
    GrabPool,
    Lifecycle,
    SlaWatch,
    TicketEvent,
    TicketState,
    explain,
)
from .plan import Plan, UnassignedReason
from .plotting import plot_routes, plot_schedule
from .problem import Incompatibility, Problem, compile_scenario
from .report import render_report, save_report
from .schedule import Schedule, ScheduledBreak, ScheduledVisit, to_schedule
from .sim import FittedDemand, Hire, SimConfig, Staffing, fit_demand, run_experiment, simulate
from .solvers import (
    Capabilities,
    Limits,
    ProgressEvent,
    Solver,
    SolveResult,
    SolveStatus,
    available_solvers,
    get_solver,
    register_solver,
    solve,
)
from .units import DAY, HOUR, MINUTE, SECOND, Horizon

__version__ = "0.1.0"

__all__ = [
    "DAY",
    "HOUR",
    "MINUTE",
    "SECOND",
    "Asset",
    "AssetHistory",
    "BackendFailedError",
    "BackendUnavailableError",
    "Break",
    "BusinessCalendar",
    "Capabilities",
    "CostRates",
    "Depot",
    "Dispatcher",
    "EscalationRule",
    "Eta",
    "EtaModel",
    "Evaluation",
    "EventLog",
    "FittedDemand",
    "FsdispatchError",
    "FsdispatchWarning",
    "GeometricTravel",
    "GrabPool",
    "Hire",
    "Horizon",
    "Incompatibility",
    "InfeasiblePlanError",
    "InternalCheckError",
    "InventoryError",
    "Kpis",
    "Lifecycle",
    "Limits",
    "Location",
    "MaintenanceBook",
    "MaintenancePlan",
    "MatrixTravel",
    "ObjectiveWeights",
    "OverReservationError",
    "Part",
    "Plan",
    "PlanFrames",
    "Priority",
    "Problem",
    "ProgressEvent",
    "Scenario",
    "Schedule",
    "ScheduledBreak",
    "ScheduledVisit",
    "ServiceVisit",
    "Shift",
    "SimConfig",
    "SimulationError",
    "SlaPolicy",
    "SlaTarget",
    "SlaWatch",
    "SolveResult",
    "SolveStatus",
    "Solver",
    "SolverError",
    "Staffing",
    "StockLedger",
    "TeamKpis",
    "Technician",
    "TechnicianKpis",
    "TerritoryKpis",
    "Ticket",
    "TicketEvent",
    "TicketState",
    "TimeWindow",
    "TransitionError",
    "UnassignedReason",
    "UnknownReferenceError",
    "UnknownSolverError",
    "UnsupportedProblemError",
    "ValidationError",
    "Violation",
    "__version__",
    "asset_history",
    "available_solvers",
    "check_plan",
    "compile_scenario",
    "evaluate",
    "explain",
    "fit_demand",
    "generate_scenario",
    "get_solver",
    "load_maintenance",
    "load_plan",
    "load_scenario",
    "maintenance_from_dict",
    "maintenance_tickets",
    "maintenance_to_dict",
    "plan_from_dict",
    "plan_to_dict",
    "plan_to_frames",
    "plot_routes",
    "plot_schedule",
    "read_maintenance_csv",
    "read_scenario_csv",
    "read_solomon",
    "read_solomon_solution",
    "read_travel_matrix",
    "register_solver",
    "render_report",
    "run_experiment",
    "save_maintenance",
    "save_plan",
    "save_report",
    "save_scenario",
    "scenario_from_dict",
    "scenario_from_frames",
    "scenario_to_dict",
    "simulate",
    "solve",
    "to_schedule",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
