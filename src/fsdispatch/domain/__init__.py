"""The typed domain model: locations, travel, skills, SLAs, parts, tickets, technicians."""

from .asset import Asset, MaintenancePlan, maintenance_tickets
from .costs import CostRates
from .location import Location
from .parts import Depot, Part
from .scenario import Scenario
from .sla import SlaPolicy, SlaTarget
from .technician import Break, Shift, Technician
from .ticket import Priority, Ticket, TimeWindow
from .traffic import SpeedProfile, TimeDependentMatrix, TimeDependentTravel, TravelModel
from .travel import GeometricTravel, MatrixTravel

__all__ = [
    "Asset",
    "Break",
    "CostRates",
    "Depot",
    "GeometricTravel",
    "Location",
    "MaintenancePlan",
    "MatrixTravel",
    "Part",
    "Priority",
    "Scenario",
    "Shift",
    "SlaPolicy",
    "SlaTarget",
    "SpeedProfile",
    "Technician",
    "Ticket",
    "TimeDependentMatrix",
    "TimeDependentTravel",
    "TimeWindow",
    "TravelModel",
    "maintenance_tickets",
]
