"""The event heap: ``(time, priority, seq, event)``; simulated time never goes back."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from ..errors import SimulationError

__all__ = ["Engine", "Event", "SimEvent"]


class SimEvent(Protocol):
    """Any event the engine can run: its ``kind`` selects the handler."""

    @property
    def kind(self) -> str:
        """The handler's kind."""
        ...


@attrs.frozen
class Event:
    """One scheduled event.

    Attributes
    ----------
    kind:
        What happens (``"arrival"``, ``"complete"``, ``"day"``…).
    data:
        Free details (ticket id, technician id…).
    """

    kind: str
    data: dict[str, Any] = attrs.field(factory=dict, eq=False)


class Engine:
    """A deterministic discrete-event engine (as in simpy: a heap, a clock, handlers).

    Events at the same time are ordered by ``priority`` (lower first), then
    by insertion order (``seq``), so a run is reproducible. Time is in integer
    seconds from the horizon origin.

    Parameters
    ----------
    start:
        Initial clock (seconds).
    """

    def __init__(self, start: int = 0) -> None:
        self.now = int(start)
        self._heap: list[tuple[int, int, int, SimEvent]] = []
        self._seq = 0
        self.processed = 0
        self._handlers: dict[str, Callable[[Any], None]] = {}

    def on(self, kind: str, handler: Callable[[Any], None]) -> None:
        """Register the handler of an event kind."""
        self._handlers[kind] = handler

    def schedule(self, time: int, kind: str | SimEvent, priority: int = 5,
                 **data: Any) -> SimEvent:
        """Schedule an event at ``time`` (>= now) and return it.

        ``kind`` is an event record (e.g. :class:`fsdispatch.sim.events.TicketArrives`),
        or a kind name whose ``data`` make a generic :class:`Event`.

        Raises
        ------
        SimulationError
            If ``time`` is before the clock.
        """
        time = int(time)
        event: SimEvent = Event(kind, data) if isinstance(kind, str) else kind
        if time < self.now:
            raise SimulationError(f"event {event.kind!r} scheduled at t={time} s, before the "
                                  f"clock t={self.now} s: simulated time never goes back")
        heapq.heappush(self._heap, (time, priority, self._seq, event))
        self._seq += 1
        return event

    def __len__(self) -> int:
        return len(self._heap)

    def peek(self) -> int | None:
        """Time of the next event, or ``None``."""
        return self._heap[0][0] if self._heap else None

    def run(self, until: int) -> None:
        """Process events with time ``<= until`` in order; the clock ends at ``until``."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            time, _, _, event = heapq.heappop(heap)
            if time < self.now:  # pragma: no cover - guarded by schedule()
                raise SimulationError(f"time went back from {self.now} to {time}")
            self.now = time
            handler = self._handlers.get(event.kind)
            if handler is None:
                raise SimulationError(f"no handler for event kind {event.kind!r}")
            handler(event)
            self.processed += 1
        self.now = max(self.now, int(until))
