"""Input/output: JSON formats (schema-versioned, JSON Schemas shipped), Solomon files, and
pandas/CSV tables (:mod:`fsdispatch.io.tabular`; pandas is imported on first use)."""

from .json_format import (
    PLAN_FORMAT,
    SCENARIO_FORMAT,
    SCHEMA_VERSION,
    load_plan,
    load_scenario,
    plan_from_dict,
    plan_to_dict,
    save_plan,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
    schema_path,
)
from .solomon import read_solomon, read_solomon_solution
from .tabular import (
    PlanFrames,
    check_travel_ids,
    kpis_frame,
    plan_to_frames,
    read_scenario_csv,
    read_travel_matrix,
    scenario_from_frames,
    technicians_frame,
    unassigned_frame,
    visits_frame,
)

__all__ = [
    "PLAN_FORMAT",
    "SCENARIO_FORMAT",
    "SCHEMA_VERSION",
    "PlanFrames",
    "check_travel_ids",
    "kpis_frame",
    "load_plan",
    "load_scenario",
    "plan_from_dict",
    "plan_to_dict",
    "plan_to_frames",
    "read_scenario_csv",
    "read_solomon",
    "read_solomon_solution",
    "read_travel_matrix",
    "save_plan",
    "save_scenario",
    "scenario_from_dict",
    "scenario_from_frames",
    "scenario_to_dict",
    "schema_path",
    "technicians_frame",
    "unassigned_frame",
    "visits_frame",
]
