"""The ``milp`` backend: PuLP routing and assignment MILPs (CBC by default, HiGHS when installed).

Split as PyJobShop does: :mod:`.variables`, :mod:`.constraints`,
:mod:`.objective` build the model; :mod:`.solver` runs it. PuLP is imported
only when the backend solves.
"""

from .solver import MilpSolver

__all__ = ["MilpSolver"]
