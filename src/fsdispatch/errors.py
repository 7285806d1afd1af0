"""The fsdispatch exception hierarchy.

Every error the library raises on purpose derives from :class:`FsdispatchError`,
so an embedding product can catch one class. Messages follow one shape: what is
wrong, where (entity and field), which value, and what is expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "BackendFailedError",
    "BackendUnavailableError",
    "FsdispatchError",
    "FsdispatchWarning",
    "InfeasiblePlanError",
    "InsufficientStockError",
    "InternalCheckError",
    "InvalidQuantityError",
    "InventoryError",
    "OverReservationError",
    "ReservationConflictError",
    "SimulationError",
    "SolverError",
    "TransitionError",
    "UnknownLocationError",
    "UnknownReferenceError",
    "UnknownSolverError",
    "UnsupportedProblemError",
    "ValidationError",
]


class FsdispatchError(Exception):
    """Root of every error raised deliberately by fsdispatch."""


class FsdispatchWarning(UserWarning):
    """Suspicious input that is accepted but probably not what was meant.

    Emitted with :func:`warnings.warn` while validating domain objects, e.g. for a
    break as long as its shift, a ticket created after the horizon end or an
    explicit travel matrix with a non-zero diagonal. Turn it into an error with
    ``warnings.simplefilter("error", fsdispatch.FsdispatchWarning)``.
    """


class ValidationError(FsdispatchError, ValueError):
    """Invalid input data.

    Attributes
    ----------
    entity:
        Kind of object at fault (``"Ticket"``, ``"Technician"``, ``"Scenario"``…).
    entity_id:
        Identifier of the object at fault, or ``None``.
    field:
        Name (or JSON path) of the offending field, or ``None``.
    value:
        The offending value.
    issues:
        When several problems were collected at once, each of them; otherwise
        a one-element tuple holding this error.
    """

    def __init__(
        self,
        message: str,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        field: str | None = None,
        value: Any = None,
        issues: Sequence[ValidationError] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.entity = entity
        self.entity_id = entity_id
        self.field = field
        self.value = value
        self.issues: tuple[ValidationError, ...] = tuple(issues) if issues else (self,)

    @classmethod
    def for_field(
        cls,
        entity: str,
        entity_id: str | None,
        field: str,
        value: Any,
        expected: str,
    ) -> ValidationError:
        """Build the standard message ``Entity 'id': field expected, got value.``"""
        where = f"{entity} {entity_id!r}" if entity_id is not None else entity
        return cls(
            f"{where}: {field} {expected}, got {value!r}.",
            entity=entity,
            entity_id=entity_id,
            field=field,
            value=value,
        )

    @classmethod
    def collect(cls, issues: Sequence[ValidationError]) -> ValidationError:
        """Aggregate several issues into one error (a single one is returned as is)."""
        if len(issues) == 1:
            return issues[0]
        head = f"{len(issues)} validation errors:\n" + "\n".join(
            f"  - {issue.message}" for issue in issues
        )
        first = issues[0]
        return cls(
            head,
            entity=first.entity,
            entity_id=first.entity_id,
            field=first.field,
            value=first.value,
            issues=issues,
        )


class UnknownReferenceError(ValidationError):
    """An object references an id that does not exist in the scenario."""


class SolverError(FsdispatchError):
    """Base class of solver-related errors."""


class UnknownSolverError(SolverError, KeyError):
    """No backend is registered under the requested name."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class BackendUnavailableError(SolverError):
    """A backend's optional dependency is not installed; the message says what to install."""


class UnsupportedProblemError(SolverError):
    """The backend's capabilities do not cover this problem; the message says why."""


class BackendFailedError(SolverError):
    """The native solver failed; the original exception is chained."""


class InfeasiblePlanError(FsdispatchError):
    """Raised by :func:`fsdispatch.check_plan` when a plan has violations."""

    def __init__(self, message: str, violations: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.violations = tuple(violations)


class InternalCheckError(FsdispatchError, AssertionError):
    """An internal consistency check of the debug mode failed (``FSDISPATCH_ASSERT=1``).

    A solver's incremental bookkeeping (an insertion's priced cost, a local
    search move's delta) disagreed with the shared evaluator: a bug in
    fsdispatch. The message says where and by how much.
    """


class TransitionError(FsdispatchError):
    """An invalid ticket lifecycle transition."""


class SimulationError(FsdispatchError):
    """An error inside the discrete-event simulator."""


class InventoryError(FsdispatchError):
    """Base class of spare-parts stock errors (:mod:`fsdispatch.inventory`)."""


class InsufficientStockError(InventoryError):
    """A stock location does not hold enough free units for a movement.

    Attributes
    ----------
    location_id:
        The stock location (depot or van) at fault.
    sku:
        The part.
    requested:
        Units asked for.
    available:
        Units free at the location (on hand minus reserved), or on hand when
        the movement draws on reserved units.
    """

    def __init__(self, message: str, *, location_id: str, sku: str, requested: int,
                 available: int) -> None:
        super().__init__(message)
        self.location_id = location_id
        self.sku = sku
        self.requested = requested
        self.available = available

    def __reduce__(self) -> tuple[Any, ...]:  # keyword-only __init__: keep picklable
        return (_rebuild_error, (type(self), str(self), self.__dict__))


class OverReservationError(InsufficientStockError):
    """A reservation asks for more units than are available (on hand minus reserved)."""


class ReservationConflictError(InventoryError):
    """A ticket already holds a reservation for this location and part."""


class UnknownLocationError(InventoryError):
    """A stock location id is not in the ledger."""


class InvalidQuantityError(InventoryError, ValueError):
    """A quantity is not a non-negative integer (or a smoothing/service parameter is out of range).

    Attributes
    ----------
    field:
        Name of the offending argument or mapping key.
    value:
        The offending value.
    """

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (type(self), str(self), self.__dict__))


def _rebuild_error(cls: type[Exception], message: str, state: dict[str, Any]) -> Exception:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err
