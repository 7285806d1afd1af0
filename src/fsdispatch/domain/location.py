"""Locations: WGS84 latitude/longitude or planar x/y (kilometres)."""

from __future__ import annotations

import math

import attrs

from ..units import MAX_COORDINATE_KM
from ._validate import fail

__all__ = ["Location"]


@attrs.frozen
class Location:
    """A point where work happens or a technician starts or ends the day.

    Use :meth:`geo` for latitude/longitude (WGS84, degrees) and :meth:`xy` for
    planar coordinates in kilometres. ``id`` names the location's row in an
    explicit travel matrix (:class:`~fsdispatch.MatrixTravel`); geometric
    travel models ignore it.

    Parameters
    ----------
    x:
        Longitude in degrees (geographic, within [-180, 180]) or x in km (planar,
        within [-10 000, 10 000], :data:`~fsdispatch.units.MAX_COORDINATE_KM`).
    y:
        Latitude in degrees (geographic, within [-90, 90]) or y in km (planar,
        within [-10 000, 10 000]).
    geographic:
        ``True`` for WGS84 coordinates, ``False`` for planar ones.
    id:
        Optional key into a travel matrix.
    """

    x: float
    y: float
    geographic: bool = False
    id: str | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("x", "y"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or (
                    isinstance(value, float) and not math.isfinite(value)):
                fail("Location", self.id, "longitude" if self.geographic and name == "x" else
                     "latitude" if self.geographic else name, value, "must be a finite number")
        if self.geographic:
            if not -90.0 <= self.y <= 90.0:
                fail("Location", self.id, "latitude", self.y, "must be within [-90, 90]")
            if not -180.0 <= self.x <= 180.0:
                fail("Location", self.id, "longitude", self.x, "must be within [-180, 180]")
        else:
            for name in ("x", "y"):
                value = getattr(self, name)
                if not -MAX_COORDINATE_KM <= value <= MAX_COORDINATE_KM:
                    fail("Location", self.id, name, value,
                         f"must be within [-{MAX_COORDINATE_KM:.0f}, {MAX_COORDINATE_KM:.0f}] km")
        if self.id is not None and (not isinstance(self.id, str) or not self.id):
            fail("Location", None, "id", self.id, "must be a non-empty string or None")

    @classmethod
    def geo(cls, lat: float, lon: float, id: str | None = None) -> Location:
        """A WGS84 location from latitude and longitude in degrees."""
        return cls(x=lon, y=lat, geographic=True, id=id)

    @classmethod
    def planar(cls, x: float, y: float, id: str | None = None) -> Location:
        """A planar location with coordinates in kilometres."""
        return cls(x=x, y=y, geographic=False, id=id)

    @property
    def lat(self) -> float:
        """Latitude in degrees (geographic locations)."""
        return self.y

    @property
    def lon(self) -> float:
        """Longitude in degrees (geographic locations)."""
        return self.x
