"""Travel matrices from a road-network router (CSV or ``.npz``) and their ids against a scenario."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ...domain import MatrixTravel, Scenario, SpeedProfile
from ...errors import UnknownReferenceError, ValidationError
from ..json_format import _as_path
from ._cells import _as_float, _CellError
from ._table import _read_csv

__all__ = ["check_travel_ids", "read_speed_profile", "read_travel_matrix"]


def _location_ids(scenario: Scenario) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for tech in scenario.technicians:
        out.append((f"Technician {tech.id!r}", tech.start_location.id))
        if tech.end_location is not None:
            out.append((f"Technician {tech.id!r}", tech.end_location.id))
        for shift in tech.shifts:
            for loc in (shift.start_location, shift.end_location):
                if loc is not None:
                    out.append((f"Technician {tech.id!r}", loc.id))
    out += [(f"Ticket {t.id!r}", t.location.id) for t in scenario.tickets]
    return out


def check_travel_ids(scenario: Scenario | Sequence[str], travel: MatrixTravel, *,
                     source: str | Path = "travel matrix") -> None:
    """Check that every location of a scenario has a row in a travel matrix.

    Parameters
    ----------
    scenario:
        A scenario, or the location ids it uses.
    travel:
        The matrix (e.g. from :func:`read_travel_matrix`).
    source:
        Name of the matrix in the message (e.g. its file).

    Raises
    ------
    UnknownReferenceError
        Naming how many ids are missing, the first few, and who uses them.
    """
    known = set(travel.location_ids)
    if isinstance(scenario, Scenario):
        used = _location_ids(scenario)
        missing = [(who, loc) for who, loc in used if loc is None or loc not in known]
        if missing:
            shown = ", ".join(f"{who}: {loc!r}" for who, loc in missing[:5])
            raise UnknownReferenceError(
                f"{source}: {len(missing)} location(s) of the scenario have no row in the "
                f"matrix ({shown}{', …' if len(missing) > 5 else ''}); every location needs an "
                f"id from the matrix's {len(known)} location ids", field="location_ids",
                value=missing[0][1])
        return
    absent = sorted({loc for loc in scenario if loc not in known})
    if absent:
        raise UnknownReferenceError(
            f"{source}: {len(absent)} location id(s) used by the scenario are not in the matrix "
            f"({', '.join(map(repr, absent[:5]))}{', …' if len(absent) > 5 else ''})",
            field="location_ids", value=absent[0])


def read_travel_matrix(path: str | Path, *, distances: str | Path | None = None,
                       scenario: Scenario | None = None,
                       distance_unit: Literal["km", "m"] = "km") -> MatrixTravel:
    """Read a travel matrix produced by a road-network router.

    Formats:

    * ``.npz``: arrays ``location_ids`` (strings), ``durations`` (seconds, shape
      ``(n, n)``) and optional ``distances``.
    * square CSV: a header ``location_id,<id 1>,<id 2>,…`` and one row per
      origin ``<id>,<seconds>,…`` (durations; ``distances`` may name a second
      file of the same shape).
    * long CSV: columns ``from``, ``to``, ``duration_s`` and optional
      ``distance_km`` (or ``distance_m``); every ordered pair of distinct ids
      must be present (the diagonal defaults to 0).

    Parameters
    ----------
    path:
        The file.
    distances:
        Optional square CSV of distances (same ids, same order).
    scenario:
        When given, :func:`check_travel_ids` checks that it uses only ids of the matrix.
    distance_unit:
        ``"km"`` (default) or ``"m"`` (OSRM and most routers): the unit of the
        distances in the file; they are stored in km.

    Returns
    -------
    MatrixTravel
        Durations in whole seconds, distances in km.

    Raises
    ------
    ValidationError
        Naming the file and the row and column of a bad value.
    """
    path = _as_path(path)
    scale = 0.001 if distance_unit == "m" else 1.0
    if distance_unit not in ("km", "m"):
        raise ValidationError(f"distance_unit must be 'km' or 'm', got {distance_unit!r}",
                              field="distance_unit", value=distance_unit)
    if path.suffix.lower() == ".npz":
        travel = _read_npz(path, scale)
    else:
        travel = _read_matrix_csv(path, distances, scale)
    if scenario is not None:
        check_travel_ids(scenario, travel, source=path)
    return travel


def _read_npz(path: Path, scale: float) -> MatrixTravel:
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError:  # neither an archive nor an array: numpy tries (and refuses) pickle
        raise ValidationError(f"cannot read {str(path)!r}: not a NumPy .npz archive",
                              field="path", value=str(path)) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValidationError(f"cannot read {str(path)!r}: {exc}", field="path",
                              value=str(path)) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValidationError(f"{path}: expected an .npz archive of arrays, got a single array",
                              field="path", value=str(path))
    with data:
        for key in ("location_ids", "durations"):
            if key not in data.files:
                raise ValidationError(f"{path}: array {key!r} is missing (arrays: "
                                      f"{', '.join(data.files)})", field=key)
        try:
            ids = [str(x) for x in np.atleast_1d(data["location_ids"]).tolist()]
            durations = _npz_numbers(path, "durations", data["durations"])
            dist = (_npz_numbers(path, "distances", data["distances"]) * scale
                    if "distances" in data.files else None)
        except ValidationError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValidationError(f"cannot read {str(path)!r}: {exc}", field="path",
                                  value=str(path)) from None
    return _matrix(path, ids, durations, dist)


def _npz_numbers(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """``array`` as float64, rejecting booleans and non-numbers (naming the array)."""
    if array.dtype.kind not in "iuf":
        raise ValidationError(f"{path}: array {key!r} must hold numbers, got dtype "
                              f"{array.dtype}", field=key, value=str(array.dtype))
    return array.astype(np.float64)


def _matrix(source: Path, ids: list[str], durations: Any, distances: Any) -> MatrixTravel:
    try:
        return MatrixTravel(location_ids=ids, durations=durations, distances=distances)
    except ValidationError as exc:
        raise ValidationError(f"{source}: {exc.message}", entity="MatrixTravel",
                              field=exc.field, value=exc.value) from None


def _numeric(path: Path, frame: Any, first_row: int, offset: int = 1) -> np.ndarray:
    values = np.full(frame.shape, np.nan)
    for i in range(frame.shape[0]):
        for j in range(frame.shape[1]):
            cell = frame.iat[i, j]
            try:
                values[i, j] = _as_float(cell)
            except _CellError:
                raise ValidationError(
                    f"{path}, row {i + first_row}, column {str(frame.columns[j])!r}: expected a "
                    f"number, got {cell!r}", field=str(frame.columns[j]), value=cell) from None
    return values


def _read_matrix_csv(path: Path, distances: str | Path | None, scale: float) -> MatrixTravel:
    frame = _read_csv(path, None)
    cols = [str(c).strip().lower() for c in frame.columns]
    if "from" in cols and "to" in cols:
        frame.columns = cols
        if "duration_s" not in cols:
            raise ValidationError(f"{path}: required column 'duration_s' is missing (columns: "
                                  f"{', '.join(cols)})", field="duration_s")
        ids = list(dict.fromkeys([str(v).strip() for v in frame["from"]]
                                 + [str(v).strip() for v in frame["to"]]))
        pos = {loc: k for k, loc in enumerate(ids)}
        n = len(ids)
        dur = np.full((n, n), np.nan)
        np.fill_diagonal(dur, 0.0)
        dist_col = "distance_km" if "distance_km" in cols else (
            "distance_m" if "distance_m" in cols else None)
        dist = np.full((n, n), np.nan) if dist_col else None
        if dist is not None:
            np.fill_diagonal(dist, 0.0)
        want = ["duration_s"] + ([dist_col] if dist_col else [])
        values = _numeric(path, frame[want], 2)
        for k in range(frame.shape[0]):
            a, b = pos[str(frame["from"].iat[k]).strip()], pos[str(frame["to"].iat[k]).strip()]
            dur[a, b] = values[k, 0]
            if dist is not None:
                dist[a, b] = values[k, 1] * (0.001 if dist_col == "distance_m" else scale)
        if np.isnan(dur).any():
            a, b = (int(x) for x in np.argwhere(np.isnan(dur))[0])
            raise ValidationError(f"{path}: no row for the pair from {ids[a]!r} to {ids[b]!r} "
                                  "(every ordered pair of distinct ids is needed)",
                                  field="from", value=(ids[a], ids[b]))
        if dist is not None and np.isnan(dist).any():
            dist = None
        return _matrix(path, ids, dur, dist)
    ids = [str(v).strip() for v in frame.iloc[:, 0]]
    header = [str(c).strip() for c in frame.columns[1:]]
    if ids != header:
        raise ValidationError(
            f"{path}: a square matrix needs the same ids, in the same order, in the first column "
            f"and the header; got {len(ids)} row ids and {len(header)} column ids"
            + (f" (first difference: row {ids[k]!r} vs column {header[k]!r})"
               if (k := next((i for i, (a, b) in enumerate(zip(ids, header, strict=False))
                              if a != b), -1)) >= 0 else ""),
            field="location_ids", value=len(ids))
    dur = _numeric(path, frame.iloc[:, 1:], 2)
    dist = None
    if distances is not None:
        dframe = _read_csv(distances, None)
        dids = [str(v).strip() for v in dframe.iloc[:, 0]]
        if dids != ids or [str(c).strip() for c in dframe.columns[1:]] != ids:
            raise ValidationError(f"{distances}: distance matrix ids differ from the ids of "
                                  f"{path}", field="location_ids", value=str(distances))
        dist = _numeric(Path(distances), dframe.iloc[:, 1:], 2) * scale
    return _matrix(path, ids, dur, dist)




def read_speed_profile(path: str | Path, *, sep: str | None = None) -> SpeedProfile:
    """A :class:`~fsdispatch.SpeedProfile` from a CSV of ``time,factor[,weekday]`` rows.

    ``time`` is a local time of day (``07:00``), ``factor`` the speed multiplier from
    then on (0.5: trips take twice as long). Rows with a ``weekday`` (``monday`` or
    0 = Monday .. 6) give that day's own profile; the others the default one. Every
    error names the file and the row.
    """
    frame = _read_csv(path, sep)
    cols = [str(c).strip().lower() for c in frame.columns]
    frame.columns = cols
    for need in ("time", "factor"):
        if need not in cols:
            raise ValidationError(f"{path}: required column {need!r} is missing (columns: "
                                  f"{', '.join(cols)})", field=need)
    default: list[tuple[str, float]] = []
    days: dict[Any, list[tuple[str, float]]] = {}
    for k in range(frame.shape[0]):
        when = str(frame["time"].iat[k]).strip()
        try:
            factor = _as_float(frame["factor"].iat[k])
        except _CellError as exc:
            raise ValidationError(f"{path}: row {k + 2}, column 'factor': {exc}",
                                  field="factor", value=frame["factor"].iat[k]) from None
        day = str(frame["weekday"].iat[k]).strip().lower() if "weekday" in cols else ""
        if day:
            key: Any = int(day) if day.isdigit() else day
            days.setdefault(key, []).append((when, factor))
        else:
            default.append((when, factor))
    try:
        return SpeedProfile(default, weekdays=days or None)
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc.message}", field=exc.field,
                              value=exc.value) from None
