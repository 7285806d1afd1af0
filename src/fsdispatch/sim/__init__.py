"""Policy simulator: days or weeks of field service, deterministic under a seed.

Arrivals, service outcomes, travel noise and solver seeds come from four
independent streams spawned from the replication seed, so policies compared
with the same seed face the same demand (common random numbers). Policies
decide through the live :class:`~fsdispatch.Dispatcher`; see ``docs/simulation.md``.
"""

from typing import TYPE_CHECKING, Any

from .demand import FittedDemand, fit_demand, history_frame
from .engine import Engine, Event
from .events import TechnicianStatus
from .experiment import pilot_utilisation, run_experiment
from .metrics import (
    KPI_NAMES,
    KPI_RANGES,
    PARTS_KPI_NAMES,
    TEAM_KPI_NAMES,
    aggregate,
    confidence_interval,
    kpi_range,
    replication_kpis,
    team_kpis,
)
from .models import (
    FLEET_KINDS,
    Arrival,
    DemandModel,
    ServiceModel,
    SimConfig,
    asset_fleet,
    bind_to_assets,
    draw_arrivals,
)
from .parts import PartsModel, VanStockPolicy
from .policies import (
    BasePolicy,
    BatchReoptimize,
    GrabPoolPolicy,
    GreedyInsertion,
    ManualZones,
    NearestIdle,
    Policy,
    get_policy,
)
from .positions import PositionPing, PositionPings
from .simulator import SimResult, simulate
from .staffing import Hire, Staffing, extend_shifts
from .state import SimView, TechnicianRecord, TicketRecord, Visit

__all__ = [
    "FLEET_KINDS",
    "KPI_NAMES",
    "KPI_RANGES",
    "PARTS_KPI_NAMES",
    "TEAM_KPI_NAMES",
    "Arrival",
    "BasePolicy",
    "BatchReoptimize",
    "DemandModel",
    "Engine",
    "Event",
    "ExperimentResult",
    "FittedDemand",
    "GrabPoolPolicy",
    "GreedyInsertion",
    "Hire",
    "ManualZones",
    "NearestIdle",
    "PartsModel",
    "Policy",
    "PositionPing",
    "PositionPings",
    "ServiceModel",
    "SimConfig",
    "SimResult",
    "SimView",
    "Staffing",
    "TechnicianRecord",
    "TechnicianStatus",
    "TicketRecord",
    "VanStockPolicy",
    "Visit",
    "aggregate",
    "asset_fleet",
    "bind_to_assets",
    "confidence_interval",
    "draw_arrivals",
    "extend_shifts",
    "fit_demand",
    "get_policy",
    "history_frame",
    "kpi_range",
    "pilot_utilisation",
    "replication_kpis",
    "run_experiment",
    "simulate",
    "team_kpis",
]

if TYPE_CHECKING:
    from .results import ExperimentResult


def __getattr__(name: str) -> Any:
    """``ExperimentResult`` needs pandas: imported on first use."""
    if name == "ExperimentResult":
        from .results import ExperimentResult

        return ExperimentResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
