"""The one evaluator: feasibility, KPIs and the objective of any plan."""

from .evaluation import (
    Evaluation,
    Kpis,
    TeamKpis,
    TechnicianKpis,
    TerritoryKpis,
    Violation,
    VisitTimes,
)
from .evaluator import check_plan, evaluate, parts_flow

__all__ = ["Evaluation", "Kpis", "TeamKpis", "TechnicianKpis", "TerritoryKpis", "Violation",
           "VisitTimes", "check_plan", "evaluate", "parts_flow"]
