"""Input tables: rows of normalised cells whose errors name the file, row and column (private)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...domain import Location
from ...errors import ValidationError
from ..json_format import _read_text
from ._cells import _as_float, _CellError, _missing, _pandas

if TYPE_CHECKING:
    import pandas as pd

_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "long": "lon"}


class _Table:
    """One input table: rows as dicts of normalised column names, errors name file/row/column."""

    def __init__(self, data: Any, name: str, from_file: bool) -> None:
        pd = _pandas()
        if not isinstance(data, pd.DataFrame):
            raise ValidationError(f"{name}: expected a pandas DataFrame, got "
                                  f"{type(data).__name__}", field=name,
                                  value=type(data).__name__)
        self.name = name
        self.from_file = from_file
        columns = {}
        for col in data.columns:
            norm = re.sub(r"\s+", "_", str(col).strip().lower())
            norm = _ALIASES.get(norm, norm)
            if norm in columns:
                raise ValidationError(f"{name}: column {str(col)!r} appears twice "
                                      f"(as {norm!r})", entity=name, field=str(col))
            columns[norm] = col
        self.columns = columns
        self.frame = data
        self.labels = list(data.index)
        self.rows = [dict(zip(columns, values, strict=True))
                     for values in data[list(columns.values())].itertuples(index=False,
                                                                          name=None)]
        self.issues: list[ValidationError] = []

    def row_name(self, pos: int) -> str:
        """Spreadsheet row number for files (header = row 1), index label for DataFrames."""
        return str(pos + 2) if self.from_file else str(self.labels[pos])

    def where(self, pos: int, column: str | None) -> str:
        text = f"{self.name}, row {self.row_name(pos)}"
        return text + (f", column {self.columns.get(column, column)!r}" if column else "")

    def require(self, *groups: tuple[str, ...]) -> None:
        for group in groups:
            if not any(c in self.columns for c in group):
                names = " or ".join(repr(c) for c in group)
                raise ValidationError(
                    f"{self.name}: required column {names} is missing (columns: "
                    f"{', '.join(map(str, self.frame.columns))})", entity=self.name,
                    field=group[0])

    def has(self, column: str) -> bool:
        return column in self.columns

    def error(self, pos: int, column: str | None, message: str, value: Any = None,
              entity_id: str | None = None,
              cls: type[ValidationError] = ValidationError) -> ValidationError:
        err = cls(f"{self.where(pos, column)}: {message}", entity=self.name, entity_id=entity_id,
                  field=self.columns.get(column, column) if column else None, value=value)
        self.issues.append(err)
        return err


class _Row:
    """Cell access for one row; failures are recorded on the table."""

    def __init__(self, table: _Table, pos: int) -> None:
        self.table = table
        self.pos = pos
        self.values = table.rows[pos]
        self.ok = True

    def raw(self, column: str) -> Any:
        value = self.values.get(column)
        return None if _missing(value) else value

    def get(self, column: str, conv: Callable[[Any], Any], default: Any = None) -> Any:
        value = self.raw(column)
        if value is None:
            return default
        try:
            return conv(value)
        except _CellError as exc:
            shown = value if isinstance(value, int | float | str) else str(value)
            self.table.error(self.pos, column, f"expected {exc.expected}, got {shown!r}",
                             value=shown)
            self.ok = False
            return default

    def required(self, column: str, conv: Callable[[Any], Any]) -> Any:
        if self.raw(column) is None:
            self.table.error(self.pos, column, "required value is empty")
            self.ok = False
            return None
        return self.get(column, conv)

    def location(self, prefix: str = "", id_column: str = "location_id",
                 required: bool = True) -> Location | None:
        """The row's location from ``lat``/``lon`` (geographic), ``x``/``y`` (planar) or
        ``id_column`` (a travel matrix row), the coordinate columns named after ``prefix``;
        None, with the issue recorded, when it cannot be read (or is absent and ``required``)."""
        loc_id = self.get(id_column, lambda v: str(v).strip())
        try:
            for first, second, make in (("lat", "lon", Location.geo),
                                        ("x", "y", Location.planar)):
                cols = (prefix + first, prefix + second)
                if self.raw(cols[0]) is None and self.raw(cols[1]) is None:
                    continue
                a, b = self.get(cols[0], _as_float), self.get(cols[1], _as_float)
                if a is None or b is None:
                    if self.ok:
                        self.table.error(self.pos, cols[1] if a is not None else cols[0],
                                         f"required value is empty ({first} and {second} go "
                                         "together)")
                    self.ok = False
                    return None
                return make(a, b, id=loc_id)
        except ValidationError as exc:
            column = prefix + ("lat" if "latitude" in exc.message else
                               "lon" if "longitude" in exc.message else "x")
            self.table.error(self.pos, column, exc.message, value=exc.value)
            self.ok = False
            return None
        if loc_id is not None:
            return Location.planar(0.0, 0.0, id=loc_id)  # position comes from the travel matrix
        if required:
            self.table.error(self.pos, prefix + "lat",
                             f"a location is required: {prefix}lat/{prefix}lon, "
                             f"{prefix}x/{prefix}y or {id_column}")
            self.ok = False
        return None

    def build(self, factory: Callable[..., Any], fields: Mapping[str, str],
              entity_id: str | None, **kwargs: Any) -> Any:
        """Construct a domain object; a ValidationError is mapped to the column of its field."""
        try:
            return factory(**kwargs)
        except ValidationError as exc:
            for issue in exc.issues:
                field = (issue.field or "").split("[")[0].split(".")[0]
                self.table.error(self.pos, fields.get(field), issue.message, value=issue.value,
                                 entity_id=entity_id, cls=type(issue))
            self.ok = False
            return None



def _read_csv(path: str | Path, sep: str | None) -> pd.DataFrame:
    pd = _pandas()
    # strict UTF-8 (BOM allowed), like the JSON files; binary and UTF-16 files are named
    text = _read_text(path, hint=" (save the sheet as 'CSV UTF-8')")
    path = Path(path)
    if not text.strip():
        raise ValidationError(f"{path}: the file is empty; expected a header row",
                              field="path", value=str(path))
    header = text.split("\n", 1)[0]
    if sep is None:
        sep = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValidationError(f"{path}: not a readable CSV file: {first}", field="path",
                              value=str(path)) from None
    return frame
