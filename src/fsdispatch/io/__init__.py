"""Input/output: JSON formats (schema-versioned, JSON Schemas shipped), Solomon files, and
pandas/CSV tables (:mod:`fsdispatch.io.tabular`; pandas is imported on first use)."""

from . import json_format
from .json_format import *  # noqa: F403
from .solomon import read_solomon, read_solomon_solution

# the tables' functions (not their column lists), each listed once: in its module's __all__
from .tabular import read as _read
from .tabular import travel_matrix as _travel_matrix
from .tabular import write as _write
from .tabular.read import *  # noqa: F403
from .tabular.travel_matrix import *  # noqa: F403
from .tabular.write import *  # noqa: F403

__all__ = ["read_solomon", "read_solomon_solution"]
__all__ += json_format.__all__
__all__ += _read.__all__
__all__ += _travel_matrix.__all__
__all__ += _write.__all__
