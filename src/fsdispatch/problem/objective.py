"""Objective weights (defined with the domain model; re-exported here)."""

from ..domain.objective import DEFAULT_SLA, DEFAULT_UNASSIGNED, ObjectiveWeights

__all__ = ["DEFAULT_SLA", "DEFAULT_UNASSIGNED", "ObjectiveWeights"]
