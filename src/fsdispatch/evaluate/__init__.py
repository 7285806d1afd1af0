"""The one evaluator: feasibility, KPIs and the objective of any plan."""

from .evaluation import Evaluation, Kpis, TechnicianKpis, Violation, VisitTimes
from .evaluator import check_plan, evaluate, parts_flow

__all__ = ["Evaluation", "Kpis", "TechnicianKpis", "Violation", "VisitTimes", "check_plan",
           "evaluate", "parts_flow"]
