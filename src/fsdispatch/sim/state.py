"""Simulation state (what happened) and the read-only view policies decide from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .events import TechnicianStatus

if TYPE_CHECKING:
    from ..live import Dispatcher

__all__ = ["SimView", "TechnicianRecord", "TicketRecord", "Visit"]


@attrs.define
class TicketRecord:
    """The story of one ticket (times in seconds from the simulation origin).

    ``outcome`` is ``"completed"``, ``"cancelled"`` or ``"open"`` (at the horizon).
    """

    ticket_id: str
    arrival: int
    priority: int
    tier: str
    category: str
    response_target: int | None
    resolution_target: int | None
    follow_up_of: str | None = None
    first_scheduled: int | None = None
    first_on_site: int | None = None
    completed: int | None = None
    resolved: int | None = None  # completed, including its follow-up visit
    cancelled: int | None = None
    visits: int = 0
    failed_visits: int = 0
    needs_follow_up: bool = False
    technician_id: str | None = None
    interruptions: int = 0  # visits cut short because the technician fell ill
    parts_needed: tuple[str, ...] = ()  # skus the job needs (drawn; unknown to the desk)
    stockout: bool = False  # the first visit lacked a needed part

    @property
    def outcome(self) -> str:
        """``completed``, ``cancelled`` or ``open``."""
        if self.completed is not None:
            return "completed"
        if self.cancelled is not None:
            return "cancelled"
        return "open"


@attrs.define
class Visit:
    """One realised visit: departure, arrival on site, start and end of work (seconds)."""

    technician_id: str
    ticket_id: str
    day: int
    depart: int
    arrive: int
    end: int
    outcome: str  # "done", "not_home", "interrupted", "open_at_horizon"
    travel: int = 0


@attrs.define
class TechnicianRecord:
    """A technician's realised time per replication (seconds)."""

    technician_id: str
    shift_time: int = 0
    travel: int = 0
    service: int = 0
    overtime: int = 0
    days_worked: int = 0
    absences: int = 0
    visits_done: int = 0
    sick_days: int = 0  # days on which the technician fell ill during the shift
    sick_at: list[int] = attrs.field(factory=list)  # when they fell ill (seconds)


class SimView:
    """What a policy sees: the clock, the live dispatcher, technicians' states.

    The view is read-only; policies act through :attr:`dispatcher` (the same
    :class:`~fsdispatch.Dispatcher` an embedding product uses).
    """

    def __init__(self, sim: Any) -> None:
        self._sim = sim

    @property
    def now(self) -> datetime:
        """Simulated time (timezone-aware)."""
        return self._sim.to_dt(self._sim.engine.now)

    @property
    def dispatcher(self) -> Dispatcher | None:
        """Today's live dispatcher (``None`` on a day without shifts)."""
        return self._sim.d

    def idle_technicians(self) -> list[str]:
        """Technicians on shift with nothing to do right now."""
        return sorted(t for t, s in self._sim.status.items() if s == TechnicianStatus.IDLE)

    def status(self, technician_id: str) -> TechnicianStatus:
        """What the technician is doing (a :class:`TechnicianStatus`, equal to its string:
        ``off``, ``idle``, ``travel``, ``on_site``, ``break``, ``absent`` or ``sick``)."""
        return self._sim.status.get(technician_id, TechnicianStatus.OFF)

    def open_tickets(self) -> list[str]:
        """Tickets known to today's dispatcher that are open (not started, not cancelled)."""
        d = self._sim.d
        if d is None:
            return []
        return [t for t in d.lifecycle.tickets() if d.state(t).is_open]

    def solver_seed(self) -> int:
        """A seed from the solver stream (the same sequence for every policy)."""
        return int(self._sim.solver_rng.integers(2**31 - 1))

    def schedule(self, seconds: int, callback: Callable[[SimView], None]) -> None:
        """Call ``callback(view)`` after ``seconds`` of simulated time (a timer)."""
        from .events import Timer

        self._sim.engine.schedule(self._sim.engine.now + int(seconds), Timer(callback), 8)
