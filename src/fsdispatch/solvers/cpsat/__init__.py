"""The ``cpsat`` backend: OR-Tools CP-SAT routing and assignment models with proven bounds.

Split as PyJobShop does: :mod:`.variables`, :mod:`.constraints`,
:mod:`.objective` build the model; :mod:`.solver` runs it. OR-Tools is
imported only when the backend solves.
"""

from .solver import CpSatSolver

__all__ = ["CpSatSolver"]
