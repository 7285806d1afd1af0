"""Travel models: how long (seconds) and how far (km) it is from one location to another.

Two models ship:

* :class:`GeometricTravel` — great-circle (haversine) distance for geographic
  locations or Euclidean distance for planar ones, multiplied by a detour
  factor, driven at a constant speed. Nothing is stored per pair: compiled
  kernels compute travel on the fly, so 20 000 locations cost no dense matrix.
* :class:`MatrixTravel` — an explicit duration matrix in seconds (and an
  optional distance matrix in km), e.g. from a road-network router, keyed by
  :attr:`Location.id`; :meth:`MatrixTravel.from_osrm` and
  :meth:`MatrixTravel.from_valhalla` read a routing engine's matrix response.

Every model answers :meth:`travel_seconds` ``(origin, destination, depart=None)``
with the same whole seconds the compiled kernels use; both models are static
(the same at any hour), so they ignore ``depart``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from ..units import (
    MAX_DETOUR,
    MAX_SPEED_KMH,
    MAX_TRAVEL_DISTANCE_KM,
    MAX_TRAVEL_TIME,
    MIN_SPEED_KMH,
)
from ._validate import check_number, describe_seconds, fail, to_tuple, warn

if TYPE_CHECKING:
    from .location import Location

__all__ = ["EARTH_RADIUS_KM", "GeometricTravel", "MatrixTravel"]

EARTH_RADIUS_KM = 6371.0088


@attrs.frozen
class GeometricTravel:
    """Straight-line distance × detour factor, driven at a constant speed.

    Travel time in seconds is ``rounding(distance_km * detour / speed_kmh * 3600)``.
    With the bounds on speed, detour and coordinates (the ranges section of
    ``docs/concepts.md``) the longest possible leg is below 5.1·10⁸ seconds, so
    travel times never overflow.

    Parameters
    ----------
    speed_kmh:
        Average driving speed in km/h, within [1, 1000] (default 40).
    detour:
        Road-distance / straight-line-distance ratio, within [1, 5] (default 1.3).
    rounding:
        How travel seconds are rounded: ``"round"`` (nearest, default),
        ``"ceil"`` or ``"floor"``.
    """

    speed_kmh: float = 40.0
    detour: float = 1.3
    rounding: Literal["round", "ceil", "floor"] = "round"

    def __attrs_post_init__(self) -> None:
        check_number("GeometricTravel", None, "speed_kmh", self.speed_kmh,
                     minimum=MIN_SPEED_KMH, maximum=MAX_SPEED_KMH, unit=" km/h")
        check_number("GeometricTravel", None, "detour", self.detour, minimum=1.0,
                     maximum=MAX_DETOUR)
        if self.rounding not in ("round", "ceil", "floor"):
            fail("GeometricTravel", None, "rounding", self.rounding,
                 "must be 'round', 'ceil' or 'floor'")

    @property
    def kind(self) -> str:
        """``"geometric"``."""
        return "geometric"

    def travel_seconds(self, origin: Location, destination: Location,
                       depart: datetime | None = None) -> int:
        """Whole seconds to drive from ``origin`` to ``destination`` (``depart`` is ignored:
        the model is static).

        The compiled kernels' formula (``kernels/timing.py``), so a live ETA or a
        simulator leg computed here equals the plan's: straight-line km (haversine
        for geographic locations, Euclidean for planar ones) × ``detour`` ×
        3600 / ``speed_kmh``, rounded by ``rounding``. Both locations must be of
        the same kind (``ValidationError`` otherwise).
        """
        if origin == destination:
            return 0
        if origin.geographic != destination.geographic:
            fail("GeometricTravel", None, "destination", destination,
                 "must be geographic like the origin" if origin.geographic
                 else "must be planar like the origin")
        if origin.geographic:
            xa, ya, xb, yb = np.radians(np.array([origin.x, origin.y, destination.x,
                                                  destination.y], dtype=np.float64)).tolist()
            ca, cb = np.cos(np.array([ya, yb])).tolist()
            s1 = math.sin(0.5 * (yb - ya))
            s2 = math.sin(0.5 * (xb - xa))
            h = min(s1 * s1 + ca * cb * s2 * s2, 1.0)
            km = 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
        else:
            dx = float(origin.x) - float(destination.x)
            dy = float(origin.y) - float(destination.y)
            km = math.sqrt(dx * dx + dy * dy)
        secs = km * self.detour * (3600.0 / float(self.speed_kmh))
        if self.rounding == "round":
            return math.floor(secs + 0.5)
        if self.rounding == "ceil":
            return math.ceil(secs - 1e-9)
        return math.floor(secs + 1e-9)


def _numeric(value: Any) -> bool:
    """Whether ``value`` holds only real numbers (no bools, strings or other objects)."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        return False
    if raw.dtype.kind in "iuf":
        return True
    if raw.dtype.kind != "O":  # bool, str, bytes, complex, datetime...
        return False
    return all(isinstance(v, int | float | np.integer | np.floating)
               and not isinstance(v, bool | np.bool_) for v in raw.ravel())


def _as_matrix(value: Any, name: str, maximum: float, unit: str) -> np.ndarray:
    if not _numeric(value):
        fail("MatrixTravel", None, name, type(value).__name__, "must be a square numeric matrix")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        fail("MatrixTravel", None, name, type(value).__name__, "must be a square numeric matrix")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        fail("MatrixTravel", None, name, f"shape {arr.shape}", "must be a square matrix")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(arr))[0])
        fail("MatrixTravel", None, f"{name}[{bad[0]}][{bad[1]}]", float(arr[bad]),
             "must be finite")
    if np.any(arr < 0):
        bad = tuple(int(k) for k in np.argwhere(arr < 0)[0])
        fail("MatrixTravel", None, f"{name}[{bad[0]}][{bad[1]}]", float(arr[bad]), "must be >= 0")
    if np.any(arr > maximum):
        bad = tuple(int(k) for k in np.argwhere(arr > maximum)[0])
        fail("MatrixTravel", None, f"{name}[{bad[0]}][{bad[1]}]", float(arr[bad]),
             f"must be <= {unit}")
    arr.setflags(write=False)
    return arr


@attrs.frozen(eq=False)
class MatrixTravel:
    """Explicit travel matrices keyed by location id.

    Parameters
    ----------
    location_ids:
        Row/column labels; every :class:`Location` of the scenario must carry
        an ``id`` from this list.
    durations:
        Travel durations in **seconds**, shape ``(n, n)``, each within
        [0, 365 days] (:data:`~fsdispatch.units.MAX_TRAVEL_TIME`). Values are
        rounded to whole seconds. A non-zero diagonal is accepted with a
        :class:`~fsdispatch.errors.FsdispatchWarning`.
    distances:
        Optional distances in km, shape ``(n, n)``, each within [0, 100 000].
        When omitted, distance KPIs are reported as 0.
    """

    location_ids: tuple[str, ...] = attrs.field(converter=to_tuple)
    durations: np.ndarray = attrs.field()
    distances: np.ndarray | None = None

    def __attrs_post_init__(self) -> None:
        ids = self.location_ids
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            fail("MatrixTravel", None, "location_ids", dup, "must be unique")
        dur = _as_matrix(self.durations, "durations", MAX_TRAVEL_TIME,
                         describe_seconds(MAX_TRAVEL_TIME))
        rounded = np.rint(dur).astype(np.int64)
        rounded.setflags(write=False)
        object.__setattr__(self, "durations", rounded)
        if dur.shape[0] != len(ids):
            fail("MatrixTravel", None, "durations", f"shape {dur.shape}",
                 f"must be ({len(ids)}, {len(ids)}) to match location_ids")
        if self.distances is not None:
            dist = _as_matrix(self.distances, "distances", MAX_TRAVEL_DISTANCE_KM,
                              f"{MAX_TRAVEL_DISTANCE_KM:.0f} km")
            if dist.shape != dur.shape:
                fail("MatrixTravel", None, "distances", f"shape {dist.shape}",
                     f"must equal the durations shape {dur.shape}")
            object.__setattr__(self, "distances", dist)
        _warn_diagonal(rounded, "durations", ids)
        if self.distances is not None:
            _warn_diagonal(self.distances, "distances", ids)

    @property
    def kind(self) -> str:
        """``"matrix"``."""
        return "matrix"

    def index(self) -> dict[str, int]:
        """Location id -> matrix row."""
        return {loc_id: k for k, loc_id in enumerate(self.location_ids)}

    def travel_seconds(self, origin: Location, destination: Location,
                       depart: datetime | None = None) -> int:
        """Seconds from ``origin`` to ``destination`` by their ``id`` rows (``depart`` is
        ignored: the matrix is static); 0 from a location to itself, as in the kernels.

        Raises
        ------
        UnknownReferenceError
            If a location has no ``id`` or one not in :attr:`location_ids` (a
            matrix has no travel from an arbitrary point).
        """
        if origin == destination:
            return 0
        a = _matrix_row(self.location_ids, origin, "origin")
        b = _matrix_row(self.location_ids, destination, "destination")
        return int(self.durations[a, b])

    @classmethod
    def from_osrm(cls, response: Any, locations: Sequence[Location | str], *,
                  unreachable: float | None = None) -> MatrixTravel:
        """A matrix from an OSRM ``/table`` response (parsed JSON).

        Parameters
        ----------
        response:
            The response mapping: ``durations`` (seconds, rows = sources) and
            optionally ``distances`` (metres, read as km); ``code`` other than
            ``"Ok"`` is an error. Request it with the same coordinates as sources
            and destinations, in the order of ``locations``.
        locations:
            The :class:`Location` objects (each with an ``id``) or ids, in the
            order of the request's coordinates.
        unreachable:
            Seconds to use for a ``null`` cell (no route). By default a ``null``
            raises ``ValidationError`` naming the cell; with a value, a ``null``
            distance becomes the largest allowed (100 000 km).
        """
        from ._routing import osrm_matrices

        ids, dur, dist = osrm_matrices(response, locations, unreachable)
        return cls(ids, dur, dist)

    @classmethod
    def from_valhalla(cls, response: Any, locations: Sequence[Location | str], *,
                      unreachable: float | None = None) -> MatrixTravel:
        """A matrix from a Valhalla ``/sources_to_targets`` (matrix) response (parsed JSON).

        Parameters
        ----------
        response:
            The response mapping. ``sources_to_targets`` is either the verbose
            form (a list of rows of ``{"from_index", "to_index", "time",
            "distance"}``) or the concise one (``{"durations": [[...]],
            "distances": [[...]]}``); times are seconds, distances in the
            response's ``units`` (``"kilometers"``, the default, or ``"miles"``).
            Request it with the same locations as sources and targets, in order.
        locations:
            The :class:`Location` objects (each with an ``id``) or ids, in order.
        unreachable:
            As in :meth:`from_osrm`: seconds for a missing or ``null`` time
            (default: ``ValidationError``).
        """
        from ._routing import valhalla_matrices

        ids, dur, dist = valhalla_matrices(response, locations, unreachable)
        return cls(ids, dur, dist)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatrixTravel):
            return NotImplemented
        same_dist = (self.distances is None and other.distances is None) or (
            self.distances is not None and other.distances is not None
            and np.array_equal(self.distances, other.distances))
        return (self.location_ids == other.location_ids
                and np.array_equal(self.durations, other.durations) and same_dist)

    __hash__ = None  # type: ignore[assignment]


def _matrix_row(ids: tuple[str, ...], loc: Location, name: str) -> int:
    """The matrix row of ``loc`` (``UnknownReferenceError`` naming it if it has none)."""
    from ..errors import UnknownReferenceError

    if loc.id is not None and loc.id in ids:
        return ids.index(loc.id)
    raise UnknownReferenceError(
        f"MatrixTravel: {name} location id {loc.id!r} is not a row of the matrix (a "
        "travel matrix has no travel from an arbitrary point: give a location of it)",
        entity="MatrixTravel", field=name, value=loc.id)


def _warn_diagonal(matrix: np.ndarray, name: str, ids: tuple[str, ...]) -> None:
    diagonal = np.diagonal(matrix)
    nonzero = np.flatnonzero(diagonal)
    if nonzero.size:
        k = int(nonzero[0])
        warn(f"MatrixTravel: {name}[{k}][{k}] (from {ids[k]!r} to itself) is "
             f"{float(diagonal[k])!r}, expected 0; {nonzero.size} diagonal cell(s) are "
             "non-zero (staying put should cost nothing)", stacklevel=5)


def __getattr__(name: str) -> Any:
    """``TravelModel`` and the time-dependent models live in :mod:`.traffic` (which imports
    this module); they are also importable from here."""
    if name in ("TravelModel", "TimeDependentTravel", "TimeDependentMatrix", "SpeedProfile"):
        from . import traffic

        return getattr(traffic, name)
    raise AttributeError(name)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (reference implementation, used by tests)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
