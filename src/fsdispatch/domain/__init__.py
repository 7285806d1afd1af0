"""The typed domain model: locations, travel, skills, SLAs, parts, tickets, technicians."""

from .location import Location
from .parts import Depot, Part
from .scenario import Scenario
from .sla import SlaPolicy, SlaTarget
from .technician import Break, Shift, Technician
from .ticket import Priority, Ticket, TimeWindow
from .travel import GeometricTravel, MatrixTravel, TravelModel

__all__ = [
    "Break",
    "Depot",
    "GeometricTravel",
    "Location",
    "MatrixTravel",
    "Part",
    "Priority",
    "Scenario",
    "Shift",
    "SlaPolicy",
    "SlaTarget",
    "Technician",
    "Ticket",
    "TimeWindow",
    "TravelModel",
]
