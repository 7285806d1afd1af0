"""Compiled problem: arrays, index maps and objective weights."""

from .compile import compile_scenario
from .objective import ObjectiveWeights
from .problem import Incompatibility, IndexMap, KernelData, Problem

__all__ = ["Incompatibility", "IndexMap", "KernelData", "ObjectiveWeights", "Problem",
           "compile_scenario"]
