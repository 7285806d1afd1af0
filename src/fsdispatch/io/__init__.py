"""Input/output: JSON formats (schema-versioned, with shipped JSON Schemas)."""

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

__all__ = [
    "PLAN_FORMAT",
    "SCENARIO_FORMAT",
    "SCHEMA_VERSION",
    "load_plan",
    "load_scenario",
    "plan_from_dict",
    "plan_to_dict",
    "save_plan",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "schema_path",
]
