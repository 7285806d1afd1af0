"""Routing-engine matrix responses read into :class:`~fsdispatch.MatrixTravel` arrays (private).

OSRM ``/table``: ``{"code": "Ok", "durations": [[s, ...], ...], "distances": [[m, ...]]}``
(seconds and metres, rows are sources, ``null`` where there is no route).
Valhalla matrix (``/sources_to_targets``): ``sources_to_targets`` is a list of rows of
``{"from_index", "to_index", "time", "distance"}`` (verbose, the default) or
``{"durations": [[...]], "distances": [[...]]}`` (concise); seconds, and distances in
the response's ``units`` (``"kilometers"`` by default, or ``"miles"``).
Both are read as square matrices over the given locations, in order; any shape,
index or value out of place raises a ``ValidationError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..units import MAX_TRAVEL_DISTANCE_KM, MAX_TRAVEL_TIME
from ._validate import fail
from .location import Location

MILE_KM = 1.609344
"""Kilometres per (international) mile."""


def location_ids(entity: str, locations: Sequence[Location | str]) -> tuple[str, ...]:
    """The ids of ``locations`` (Location objects with an id, or id strings)."""
    if isinstance(locations, str | bytes) or not isinstance(locations, Sequence):
        fail(
            entity,
            None,
            "locations",
            type(locations).__name__,
            "must be a sequence of Location objects or ids",
        )
    ids: list[str] = []
    for k, loc in enumerate(locations):
        loc_id = loc.id if isinstance(loc, Location) else loc
        if not isinstance(loc_id, str) or not loc_id:
            fail(
                entity,
                None,
                f"locations[{k}]",
                loc,
                "must be a Location with an id or a non-empty id string",
            )
        ids.append(loc_id)  # type: ignore[arg-type]
    if not ids:
        fail(entity, None, "locations", [], "must not be empty")
    return tuple(ids)


def _cell(
    entity: str, field: str, value: Any, unreachable: float | None, null_value: float
) -> float:
    if value is None:
        if unreachable is None:
            fail(
                entity,
                None,
                field,
                None,
                "must be a number (null: no route; pass unreachable= seconds to accept it)",
            )
        return null_value
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(entity, None, field, value, "must be a number")
    return float(value)


def _square(
    entity: str,
    name: str,
    rows: Any,
    n: int,
    unreachable: float | None,
    null_value: float,
    scale: float,
) -> np.ndarray:
    """An ``n × n`` float matrix from a JSON list of rows (``null`` -> ``null_value``)."""
    if not isinstance(rows, list) or len(rows) != n:
        fail(entity, None, name, _shape(rows), f"must be a list of {n} rows (one per location)")
    out = np.empty((n, n), dtype=np.float64)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != n:
            fail(entity, None, f"{name}[{i}]", _shape(row), f"must be a list of {n} values")
        for j, value in enumerate(row):
            v = _cell(entity, f"{name}[{i}][{j}]", value, unreachable, null_value)
            out[i, j] = v if value is None else v * scale
    return out


def _shape(value: Any) -> str:
    return f"a list of {len(value)}" if isinstance(value, list) else type(value).__name__


def _check_unreachable(entity: str, unreachable: float | None) -> None:
    if unreachable is not None and (
        isinstance(unreachable, bool)
        or not isinstance(unreachable, int | float)
        or not 0 <= unreachable <= MAX_TRAVEL_TIME
    ):
        fail(
            entity,
            None,
            "unreachable",
            unreachable,
            f"must be seconds within [0, {MAX_TRAVEL_TIME}] or None",
        )


def osrm_matrices(
    response: Any,
    locations: Sequence[Location | str],
    unreachable: float | None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray | None]:
    """``(ids, durations s, distances km or None)`` of an OSRM ``/table`` response."""
    entity = "MatrixTravel.from_osrm"
    _check_unreachable(entity, unreachable)
    ids = location_ids(entity, locations)
    if not isinstance(response, Mapping):
        fail(entity, None, "response", type(response).__name__, "must be a JSON object")
    code = response.get("code", "Ok")
    if code != "Ok":
        fail(entity, None, "code", code, f"must be 'Ok' (message: {response.get('message')!r})")
    if "durations" not in response:
        fail(
            entity,
            None,
            "durations",
            None,
            "must be in the response (request annotations=duration or duration,distance)",
        )
    n = len(ids)
    dur = _square(
        entity, "durations", response["durations"], n, unreachable, float(unreachable or 0.0), 1.0
    )
    dist = None
    if response.get("distances") is not None:
        dist = _square(
            entity, "distances", response["distances"], n, unreachable, MAX_TRAVEL_DISTANCE_KM, 1e-3
        )
    return ids, dur, dist


def valhalla_matrices(
    response: Any,
    locations: Sequence[Location | str],
    unreachable: float | None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray | None]:
    """``(ids, durations s, distances km)`` of a Valhalla matrix response."""
    entity = "MatrixTravel.from_valhalla"
    _check_unreachable(entity, unreachable)
    ids = location_ids(entity, locations)
    if not isinstance(response, Mapping):
        fail(entity, None, "response", type(response).__name__, "must be a JSON object")
    units = response.get("units", "kilometers")
    scales = {"kilometers": 1.0, "km": 1.0, "miles": MILE_KM, "mi": MILE_KM}
    if units not in scales:
        fail(entity, None, "units", units, "must be 'kilometers' or 'miles'")
    scale = scales[units]
    body = response.get("sources_to_targets")
    n = len(ids)
    null_s, null_km = float(unreachable or 0.0), MAX_TRAVEL_DISTANCE_KM
    if isinstance(body, Mapping):  # concise: {"durations": [[...]], "distances": [[...]]}
        if "durations" not in body:
            fail(entity, None, "sources_to_targets.durations", None, "must be in the response")
        dur = _square(
            entity, "sources_to_targets.durations", body["durations"], n, unreachable, null_s, 1.0
        )
        dist = None
        if body.get("distances") is not None:
            dist = _square(
                entity,
                "sources_to_targets.distances",
                body["distances"],
                n,
                unreachable,
                null_km,
                scale,
            )
        return ids, dur, dist
    if not isinstance(body, list) or len(body) != n:
        fail(
            entity,
            None,
            "sources_to_targets",
            _shape(body),
            f"must be a list of {n} rows (one per location) or a concise object",
        )
    dur = np.full((n, n), np.nan)
    dist = np.full((n, n), np.nan)
    for i, row in enumerate(body):
        if not isinstance(row, list) or len(row) != n:
            fail(
                entity,
                None,
                f"sources_to_targets[{i}]",
                _shape(row),
                f"must be a list of {n} cells",
            )
        for k, cell in enumerate(row):
            where = f"sources_to_targets[{i}][{k}]"
            if not isinstance(cell, Mapping):
                fail(entity, None, where, cell, "must be an object")
            a, b = cell.get("from_index", i), cell.get("to_index", k)
            for name, idx in (("from_index", a), ("to_index", b)):
                if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < n:
                    fail(entity, None, f"{where}.{name}", idx, f"must be an index within [0, {n})")
            if not np.isnan(dur[a, b]):
                fail(entity, None, where, (a, b), "must not repeat a (from_index, to_index) pair")
            dur[a, b] = _cell(entity, f"{where}.time", cell.get("time"), unreachable, null_s)
            d = cell.get("distance")
            dist[a, b] = (
                null_km
                if d is None and unreachable is not None
                else _cell(entity, f"{where}.distance", d, unreachable, null_km) * scale
            )
    return ids, dur, dist
