"""Live dispatch: ticket lifecycle, the live dispatcher, explanations, SLA watch, grab pool.

Importing this package does not load numba; kernels load on first use.
"""

from ._warm import warm_up
from .dispatcher import Dispatcher
from .eta import Eta, EtaModel
from .explain import Alternative, Explanation, Relaxation, apply_relaxation, explain
from .lifecycle import TRANSITIONS, EventLog, Lifecycle, TicketEvent, TicketState
from .pool import ClaimResult, GrabPool, Offer
from .positions import Position
from .results import (
    Change,
    CostBreakdown,
    DelayReport,
    Exclusion,
    InsertResult,
    Option,
    Pin,
    Recommendation,
    ReplanResult,
)
from .sla import BusinessCalendar, EscalationRule, SlaStatus, SlaWatch
from .state import Job, LiveState

__all__ = [
    "TRANSITIONS",
    "Alternative",
    "BusinessCalendar",
    "Change",
    "ClaimResult",
    "CostBreakdown",
    "DelayReport",
    "Dispatcher",
    "EscalationRule",
    "Eta",
    "EtaModel",
    "EventLog",
    "Exclusion",
    "Explanation",
    "GrabPool",
    "InsertResult",
    "Job",
    "Lifecycle",
    "LiveState",
    "Offer",
    "Option",
    "Pin",
    "Position",
    "Recommendation",
    "Relaxation",
    "ReplanResult",
    "SlaStatus",
    "SlaWatch",
    "TicketEvent",
    "TicketState",
    "apply_relaxation",
    "explain",
    "warm_up",
]
