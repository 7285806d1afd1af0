"""Input/output: JSON formats (schema-versioned, JSON Schemas shipped) and Solomon files."""

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

__all__ = [
    "PLAN_FORMAT",
    "SCENARIO_FORMAT",
    "SCHEMA_VERSION",
    "load_plan",
    "load_scenario",
    "plan_from_dict",
    "plan_to_dict",
    "read_solomon",
    "read_solomon_solution",
    "save_plan",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "schema_path",
]
