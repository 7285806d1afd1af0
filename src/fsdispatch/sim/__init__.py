"""Policy simulator: days or weeks of field service, deterministic under a seed.

Arrivals, service outcomes, travel noise and solver seeds come from four
independent streams spawned from the replication seed, so policies compared
with the same seed face the same demand (common random numbers). Policies
decide through the live :class:`~fsdispatch.Dispatcher`; see ``docs/simulation.md``.
"""

from .engine import Engine, Event
from .events import TechnicianStatus
from .experiment import run_experiment
from .metrics import (
    KPI_NAMES,
    KPI_RANGES,
    PARTS_KPI_NAMES,
    aggregate,
    confidence_interval,
    kpi_range,
    replication_kpis,
)
from .models import Arrival, DemandModel, ServiceModel, SimConfig, draw_arrivals
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
from .simulator import SimResult, simulate
from .state import SimView, TechnicianRecord, TicketRecord, Visit

__all__ = [
    "KPI_NAMES",
    "KPI_RANGES",
    "PARTS_KPI_NAMES",
    "Arrival",
    "BasePolicy",
    "BatchReoptimize",
    "DemandModel",
    "Engine",
    "Event",
    "GrabPoolPolicy",
    "GreedyInsertion",
    "ManualZones",
    "NearestIdle",
    "PartsModel",
    "Policy",
    "ServiceModel",
    "SimConfig",
    "SimResult",
    "SimView",
    "TechnicianRecord",
    "TechnicianStatus",
    "TicketRecord",
    "VanStockPolicy",
    "Visit",
    "aggregate",
    "confidence_interval",
    "draw_arrivals",
    "get_policy",
    "kpi_range",
    "replication_kpis",
    "run_experiment",
    "simulate",
]
