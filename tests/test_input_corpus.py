"""Bad-input corpus: every malformed file, argument or API call gets a typed, one-line error.

Issue #15, part 4. Each case mutates a bundled file (``examples/metro_day.json``,
``examples/parts_day.json``, the plan ``tests/data/corpus/parts_day.plan.json``
written by ``fsdispatch solve --out``, the CSV templates ``examples/*.csv``,
``examples/sim_small.json``) or passes a bad argument, and asserts that

* the Python API raises an :class:`~fsdispatch.errors.FsdispatchError`
  subclass (never a bare TypeError/KeyError/UnicodeDecodeError…), and
* the CLI exits with code 2 after printing exactly one line on stderr,

and that the message names the offending field, JSON path, option or file.
Nothing here solves: where the CLI would solve, the error must come first.

Groups (one test function each, parametrized):

1. scenario JSON, structure — a required key dropped, a wrong type, an unknown key;
2. scenario/plan/config files, bytes — undecodable, truncated, duplicate keys,
   deep nesting, NaN, huge numbers, not a file;
3. scenario JSON, wrong data that used to be accepted (both lat/lon and x/y,
   ``true`` in a matrix, a shift listed twice in a plan…);
4. plan JSON mutations;
5. CSV tables and travel matrices;
6. the simulation config;
7. Python API calls;
8. CLI arguments and paths, in-process (``fsdispatch.cli.main``);
9. a few CLI cases in a subprocess (the installed command, end to end).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fsdispatch as fd
from fsdispatch.cli import main
from fsdispatch.errors import FsdispatchError, ValidationError
from fsdispatch.io import load_plan, load_scenario, save_plan, save_scenario
from fsdispatch.io.json_format import plan_from_dict, scenario_from_dict
from fsdispatch.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
METRO = EXAMPLES / "metro_day.json"
PARTS = EXAMPLES / "parts_day.json"
PLAN = CORPUS / "parts_day.plan.json"
SIM = EXAMPLES / "sim_small.json"

pd = pytest.importorskip("pandas")


# ---------------------------------------------------------------------- helpers
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


METRO_DATA = _json(METRO)
PARTS_DATA = _json(PARTS)
PLAN_DATA = _json(PLAN)
SIM_DATA = _json(SIM)
DROP = object()  # "remove this key"
# the metro day with an asset, cost rates and a ticket on the asset (issue #19)
ASSETS_DATA = {**METRO_DATA,
               "assets": [{"id": "AHU-1", "location": METRO_DATA["tickets"][0]["location"],
                           "kind": "hvac", "installed_at": "2024-05-01T00:00:00+00:00",
                           "customer_id": "C-1"}],
               "cost_rates": {"travel_per_km": 0.4, "travel_per_hour": 9.0},
               "tickets": [{**METRO_DATA["tickets"][0], "asset_id": "AHU-1"},
                           *METRO_DATA["tickets"][1:]]}


def _jpath(path: tuple[Any, ...]) -> str:
    """``("tickets", 0, "id")`` -> ``"$.tickets[0].id"``."""
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)


def _mutate(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``data`` with ``path`` set to ``value`` (or removed for ``DROP``).

    Only the containers along the path are copied, so a case costs microseconds.
    """
    if not path:
        return value
    out = copy.copy(data)
    head, rest = path[0], path[1:]
    if rest:
        out[head] = _mutate(data[head], rest, value)
    elif value is DROP:
        del out[head]
    else:
        out[head] = value
    return out


def _raises(call: Callable[[], Any], cls: type[BaseException] = ValidationError
            ) -> BaseException:
    """Run ``call``; it must raise ``cls`` (an FsdispatchError subclass); return the error."""
    assert issubclass(cls, FsdispatchError)
    with pytest.raises(cls) as info:
        call()
    return info.value


def _names(err: BaseException, *needles: str) -> None:
    """The message names every needle (field, JSON path, option, file…)."""
    text = str(err)
    for needle in needles:
        assert needle in text, f"{needle!r} not named in: {text}"


def _cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI in-process; it must exit 2 with exactly one stderr line, returned."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2, (code, captured.err)
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert "error:" in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def parts_problem() -> fd.Problem:
    """The compiled ``examples/parts_day.json`` (the plan corpus is read against it)."""
    return fd.compile_scenario(load_scenario(PARTS))


def test_bases_are_valid(parts_problem):
    """The unmutated bases load, so every case below fails because of its mutation."""
    assert scenario_from_dict(METRO_DATA).num_tickets == 200
    assert scenario_from_dict(PARTS_DATA).num_tickets == 80
    assert scenario_from_dict(ASSETS_DATA).tickets[0].asset_id == "AHU-1"
    plan = plan_from_dict(parts_problem, PLAN_DATA, strict=True)
    assert fd.evaluate(parts_problem, plan).is_feasible
    from fsdispatch.sim.cli import config_from_dict

    assert config_from_dict(SIM_DATA).num_technicians == 6


# ------------------------------------------------ 1. scenario JSON: structure
STR = [5, True, [], {}, 10**30]
OPT_STR = [5, True, [], {}]
INT = ["x", "NaN", 1.5, True, [], {}, None]
OPT_INT = ["x", "NaN", 1.5, True, []]
NUM = ["x", "NaN", "1e3", True, [], {}, None]
DT = ["x", 5, True, "2026-01-05T08:00:00", "2026-13-45T00:00:00+00:00", [], None]
OPT_DT = ["x", 5, "2026-01-05T08:00:00", {}]
LOC = ["x", 5, [], {}, None, {"lat": 52.5}, {"lat": "x", "lon": 13.4}, {"x": 1.0, "y": True},
       {"lat": 52.5, "lon": 13.4, "z": 1}]
OPT_LOC = ["x", 5, [], {"lon": 13.4}]
LIST = ["x", 5, {}, True, None]
MAP_INT = ["x", 5, [], True, {"k": "x"}, {"k": 1.5}, {"k": True}]
MAP_NUM = ["x", 5, [], True, {"k": "x"}, {"k": None}, {"k": [1]}]
PRIO = ["P9", "urgent", 5, True, None, []]

T0 = ("technicians", 0)
S0 = (*T0, "shifts", 0)
K0 = ("tickets", 0)

# (base, path, bad values): every value must be rejected naming the path
STRUCTURE_FIELDS: list[tuple[str, tuple[Any, ...], list[Any]]] = [
    ("metro", ("name",), STR),
    ("metro", ("horizon",), ["x", 5, [], None]),
    ("metro", ("horizon", "start"), DT),
    ("metro", ("horizon", "end"), DT),
    ("metro", ("travel",), ["x", 5, []]),
    ("metro", ("travel", "model"), ["x", 5, None]),
    ("metro", ("travel", "speed_kmh"), NUM),
    ("metro", ("travel", "detour"), NUM[:4]),
    ("metro", ("travel", "rounding"), [5, None]),
    ("metro", ("skills",), ["x", 5, {}]),
    ("metro", ("skills", 0), [5, None, []]),
    ("metro", ("parts",), ["x", {}]),
    ("metro", ("parts", 0), ["x", 5]),
    ("metro", ("parts", 0, "sku"), [5, None, True]),
    ("metro", ("parts", 0, "unit_cost"), NUM[:4]),
    ("metro", ("sla_policy",), ["x", 5, []]),
    ("metro", ("sla_policy", "targets"), ["x", 5, {}]),
    ("metro", ("sla_policy", "targets", 0, "priority"), PRIO),
    ("metro", ("sla_policy", "targets", 0, "response"), OPT_INT),
    ("metro", ("sla_policy", "targets", 0, "tier"), [5, None]),
    ("metro", ("objective",), ["x", 5, []]),
    ("metro", ("objective", "unassigned"), ["x", 5, [], {"P9": 1.0}, {"P1": "x"}]),
    ("metro", ("objective", "travel_time"), NUM[:5]),
    ("metro", ("technicians",), LIST),
    ("metro", (*T0,), ["x", 5, [], None]),
    ("metro", (*T0, "id"), [*STR, None]),
    ("metro", (*T0, "start_location"), LOC),
    ("metro", (*T0, "end_location"), OPT_LOC),
    ("metro", (*T0, "shifts"), ["x", 5, {}, None]),
    ("metro", (*S0, "start"), DT),
    ("metro", (*S0, "end"), DT[:4]),
    ("metro", (*S0, "start_location"), OPT_LOC),
    ("metro", (*S0, "breaks"), ["x", 5, {}]),
    ("metro", (*S0, "breaks", 0, "duration"), INT),
    ("metro", (*S0, "breaks", 0, "start"), DT[:4]),
    ("metro", (*T0, "skills"), MAP_INT),
    ("metro", (*T0, "service_factor"), NUM),
    ("metro", (*T0, "skill_factors"), MAP_NUM[:5]),
    ("metro", (*T0, "max_tickets_per_day"), OPT_INT),
    ("metro", (*T0, "max_overtime"), INT),
    ("metro", (*T0, "cost_per_hour"), NUM[:5]),
    ("metro", (*T0, "van_stock"), MAP_INT),
    ("metro", (*T0, "capacity"), OPT_INT),
    ("metro", (*T0, "recent_workload"), INT[:5]),
    ("metro", ("tickets",), LIST),
    ("metro", (*K0,), ["x", 5, [], None]),
    ("metro", (*K0, "id"), [*STR, None]),
    ("metro", (*K0, "location"), LOC),
    ("metro", (*K0, "duration"), INT),
    ("metro", (*K0, "category"), [5, True, None]),
    ("metro", (*K0, "required_skills"), MAP_INT),
    ("metro", (*K0, "windows"), ["x", 5, {}, [5], [{"start": "x", "end": "y"}]]),
    ("metro", (*K0, "window_kind"), [5, None]),
    ("metro", (*K0, "lateness_cost"), NUM[:5]),
    ("metro", (*K0, "priority"), PRIO),
    ("metro", (*K0, "customer_id"), OPT_STR),
    ("metro", (*K0, "customer_tier"), [5, None]),
    ("metro", (*K0, "created_at"), OPT_DT),
    ("metro", (*K0, "response_by"), OPT_DT[:3]),
    ("metro", (*K0, "resolve_by"), OPT_DT[:3]),
    ("metro", (*K0, "preferred_technicians"), ["x", 5, [5], [None]]),
    ("metro", (*K0, "excluded_technicians"), ["x", {}, [True]]),
    ("metro", (*K0, "parts"), MAP_INT[:5]),
    ("metro", (*K0, "demand"), INT[:5]),
    ("parts", ("depots",), ["x", 5, {}]),
    ("parts", ("depots", 0, "id"), [5, None]),
    ("parts", ("depots", 0, "location"), LOC[:5]),
    ("parts", ("depots", 0, "stock"), MAP_INT[:5]),
    ("parts", ("depots", 0, "opening_hours"), ["x", [5]]),
    ("parts", ("depots", 0, "pickup_time"), INT[:5]),
    ("parts", ("category_parts",), ["x", 5, []]),
    ("parts", ("category_parts", "repair"), ["x", 5, [], {"P019": "x"}]),
    ("parts", ("tickets", 0, "probable_parts"), MAP_NUM),
    ("assets", ("assets",), ["x", 5, {}, [5]]),
    ("assets", ("assets", 0, "id"), [*STR, None]),
    ("assets", ("assets", 0, "location"), LOC),
    ("assets", ("assets", 0, "kind"), [5, None, []]),
    ("assets", ("assets", 0, "installed_at"), OPT_DT),
    ("assets", ("assets", 0, "customer_id"), OPT_STR),
    ("assets", ("cost_rates",), ["x", 5, []]),
    ("assets", ("cost_rates", "travel_per_km"), NUM[:5]),
    ("assets", ("cost_rates", "travel_per_hour"), NUM[:5]),
    ("assets", (*K0, "asset_id"), OPT_STR),
]
STRUCTURE_CASES = [pytest.param(base, path, value, id=f"{base}{_jpath(path)}={value!r}"[:90])
                   for base, path, values in STRUCTURE_FIELDS for value in values]

REQUIRED_KEYS = [
    ("metro", ("horizon",)), ("metro", ("technicians",)), ("metro", ("tickets",)),
    ("metro", ("horizon", "start")), ("metro", ("horizon", "end")),
    ("metro", (*T0, "id")), ("metro", (*T0, "start_location")),
    ("metro", (*T0, "start_location", "lat")), ("metro", (*T0, "start_location", "lon")),
    ("metro", (*S0, "start")), ("metro", (*S0, "end")),
    ("metro", (*S0, "breaks", 0, "start")), ("metro", (*S0, "breaks", 0, "end")),
    ("metro", (*S0, "breaks", 0, "duration")),
    ("metro", (*K0, "id")), ("metro", (*K0, "location")), ("metro", (*K0, "duration")),
    ("metro", (*K0, "location", "lat")), ("metro", ("parts", 0, "sku")),
    ("metro", ("sla_policy", "targets", 0, "priority")),
    ("parts", ("depots", 0, "id")), ("parts", ("depots", 0, "location")),
    ("parts", ("depots", 0, "opening_hours", 0, "start")),
    ("parts", ("tickets", 0, "windows", 0, "end")),
    ("assets", ("assets", 0, "id")), ("assets", ("assets", 0, "location")),
]

UNKNOWN_KEYS = [(), ("horizon",), ("travel",), T0, S0, (*S0, "breaks", 0), K0,
                (*K0, "location"), ("parts", 0), ("sla_policy",), ("objective",),
                ("sla_policy", "targets", 0)]
ASSET_UNKNOWN_KEYS = [("assets", 0), ("cost_rates",)]


def _base(name: str) -> Any:
    return {"metro": METRO_DATA, "parts": PARTS_DATA, "assets": ASSETS_DATA}[name]


@pytest.mark.parametrize("base, path, value", STRUCTURE_CASES)
def test_scenario_field_of_wrong_type_is_rejected(base, path, value):
    """A scenario field set to a wrong type (null, string, list, object, bool, huge int,
    "NaN" as a string, a naive datetime…) raises a ValidationError naming its JSON path."""
    data = _mutate(_base(base), path, value)
    err = _raises(lambda: scenario_from_dict(data))
    _names(err, _jpath(path))


@pytest.mark.parametrize("base, path", [pytest.param(b, p, id=f"{b}{_jpath(p)}")
                                        for b, p in REQUIRED_KEYS])
def test_scenario_required_key_dropped(base, path):
    """Dropping a required key raises a ValidationError naming the missing key's JSON path."""
    data = _mutate(_base(base), path, DROP)
    err = _raises(lambda: scenario_from_dict(data))
    _names(err, _jpath(path))


@pytest.mark.parametrize("path", UNKNOWN_KEYS + ASSET_UNKNOWN_KEYS, ids=_jpath)
def test_scenario_unknown_key_is_rejected(path):
    """A misspelt key anywhere (``"duraton"``) is an error naming it, never silently ignored."""
    data = _mutate(ASSETS_DATA if path in ASSET_UNKNOWN_KEYS else METRO_DATA,
                   (*path, "duraton"), 1)
    err = _raises(lambda: scenario_from_dict(data))
    _names(err, _jpath((*path, "duraton")))


@pytest.mark.parametrize("value", [
    [], "x", 5, None, {"format": "fsdispatch.plan"}, {"format": "fsdispatch.scenario",
                                                       "version": 2},
    {"format": 5}, {"version": "1"}, {"version": True},
], ids=repr)
def test_scenario_header_and_top_level(value):
    """A top level that is not an object, or the wrong format/version, is rejected."""
    data = value if not isinstance(value, dict) else {**METRO_DATA, **value}
    err = _raises(lambda: scenario_from_dict(data))
    assert err.field is not None and err.field.startswith("$")


# ------------------------------------------------ 2. files: bytes and parsing
def _metro_text() -> str:
    return METRO.read_text(encoding="utf-8")


def _dup(text: str, key: str) -> str:
    """``text`` with the first ``"key": …`` preceded by a second ``"key": []``."""
    marker = f'"{key}": '
    at = text.index(marker)
    return text[:at] + f'"{key}": [], ' + text[at:]


BYTE_CASES: dict[str, Callable[[str], bytes]] = {
    "utf16": lambda t: t.encode("utf-16"),
    "utf16-be": lambda t: t.encode("utf-16-be"),
    "utf16-le-no-bom": lambda t: t.encode("utf-16-le"),
    "utf32": lambda t: t.encode("utf-32"),
    "latin1": lambda t: t.replace('"name": "', '"name": "Zürich ', 1).encode("latin-1"),
    "cp1252-quote": lambda t: t.replace('"name": "', '"name": "\u201c', 1).encode("cp1252"),
    "invalid-utf8": lambda t: t.encode()[:200] + b"\xff\xfe\xfd" + t.encode()[200:],
    "lone-continuation": lambda t: t.encode()[:50] + b"\x80" + t.encode()[50:],
    "overlong": lambda t: t.encode()[:50] + b"\xc0\xaf" + t.encode()[50:],
    "surrogate": lambda t: t.encode()[:50] + b"\xed\xa0\x80" + t.encode()[50:],
    "binary": lambda t: bytes(range(256)) * 8,
    "nul-bytes": lambda t: t.encode()[:100] + b"\x00" + t.encode()[100:],
    "gzip": lambda t: b"\x1f\x8b\x08\x00" + bytes(range(200)),
    "zip": lambda t: b"PK\x03\x04" + bytes(range(200)),
    "png": lambda t: b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
    "empty": lambda t: b"",
    "whitespace": lambda t: b"   \n\t\n",
    "bom-only": lambda t: b"\xef\xbb\xbf",
    "truncated-1pct": lambda t: t.encode()[: len(t) // 100],
    "truncated-50pct": lambda t: t.encode()[: len(t) // 2],
    "truncated-last-byte": lambda t: t.encode().rstrip()[:-1],
    "trailing-garbage": lambda t: t.encode() + b"}",
    "two-documents": lambda t: t.encode() + t.encode(),
    "deep-arrays": lambda t: b"[" * 100_000 + b"]" * 100_000,
    "deep-objects": lambda t: b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep-in-field": lambda t: t.replace('"skills": [', '"skills": ' + "[" * 60_000 + "]"
                                         * 60_000 + ', "x": [', 1).encode(),
    "nan": lambda t: t.replace('"speed_kmh": 35.0', '"speed_kmh": NaN').encode(),
    "infinity": lambda t: t.replace('"detour": 1.35', '"detour": Infinity').encode(),
    "minus-infinity": lambda t: t.replace('"detour": 1.35', '"detour": -Infinity').encode(),
    "5000-digits": lambda t: t.replace('"version": 1', '"version": ' + "9" * 5000).encode(),
    "single-quotes": lambda t: t.replace('"format"', "'format'", 1).encode(),
    "trailing-comma": lambda t: t.replace('"version": 1,', '"version": 1,,', 1).encode(),
    "comment": lambda t: ("// scenario\n" + t).encode(),
    "dup-tickets": lambda t: _dup(t, "tickets").encode(),
    "dup-technicians": lambda t: _dup(t, "technicians").encode(),
    "dup-horizon": lambda t: t.replace('"horizon": {', '"horizon": 1, "horizon": {', 1).encode(),
    "dup-in-ticket": lambda t: t.replace('"duration": 900', '"duration": 900, "duration": 60',
                                         1).encode(),
    "dup-in-location": lambda t: t.replace('"lat": ', '"lat": 1, "lat": ', 1).encode(),
    "top-level-array": lambda t: b"[" + t.encode() + b"]",
    "top-level-string": lambda t: b'"fsdispatch.scenario"',
    "top-level-number": lambda t: b"1",
    "top-level-null": lambda t: b"null",
}

# what each byte case must mention besides the file name
BYTE_HINTS = {"utf16": "UTF-16", "utf16-be": "UTF-16", "utf32": "UTF-32",
              "utf16-le-no-bom": "NUL", "nul-bytes": "NUL", "latin1": "UTF-8",
              "dup-tickets": "$.tickets", "dup-in-ticket": "$.tickets[0].duration",
              "dup-horizon": "$.horizon", "nan": "$.travel.speed_kmh",
              "infinity": "$.travel.detour", "deep-arrays": "nested too deeply",
              "dup-in-location": ".lat"}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BYTE_CASES))
def test_scenario_file_bytes(tmp_path, case):
    """load_scenario on an undecodable, truncated, duplicated-key, deeply nested or otherwise
    malformed file raises a ValidationError naming the file (and the JSON path where known)."""
    path = _write(tmp_path, f"{case}.json", BYTE_CASES[case](_metro_text()))
    err = _raises(lambda: load_scenario(path))
    _names(err, str(path), BYTE_HINTS.get(case, ""))


@pytest.mark.parametrize("case", ["utf16", "binary", "truncated-50pct", "dup-tickets",
                                  "deep-arrays", "nan", "latin1", "empty"])
def test_scenario_file_bytes_cli(tmp_path, capsys, case):
    """``fsdispatch solve`` on the same files: exit 2, one stderr line naming the file."""
    path = _write(tmp_path, f"{case}.json", BYTE_CASES[case](_metro_text()))
    line = _cli(capsys, ["solve", str(path)])
    assert str(path) in line


@pytest.mark.parametrize("case", ["utf16", "utf16-le-no-bom", "latin1", "binary",
                                  "truncated-50pct", "deep-objects", "infinity", "empty",
                                  "trailing-garbage"])
def test_plan_file_bytes(tmp_path, parts_problem, case):
    """load_plan rejects undecodable or malformed plan files naming the file."""
    text = PLAN.read_text(encoding="utf-8").replace('"shift": 0', '"shift": 0, "x": 1.35', 1)
    path = _write(tmp_path, f"{case}.plan.json", BYTE_CASES[case](text))
    err = _raises(lambda: load_plan(parts_problem, path))
    _names(err, str(path))


def test_plan_duplicate_key_names_the_path(tmp_path, parts_problem):
    """A plan repeating a key (a second ``"routes": []`` would drop every route) is rejected."""
    text = _dup(PLAN.read_text(encoding="utf-8"), "routes")
    path = _write(tmp_path, "dup.plan.json", text.encode())
    err = _raises(lambda: load_plan(parts_problem, path))
    _names(err, str(path), "$.routes", "duplicate key")


@pytest.mark.parametrize("make", [
    lambda tmp: tmp / "missing.json",
    lambda tmp: tmp,
    lambda tmp: tmp / "sub" / "deeper.json",
], ids=["missing", "directory", "missing-folder"])
def test_unreadable_paths(tmp_path, make):
    """A missing file or a directory given as the scenario file names the path."""
    path = make(tmp_path)
    err = _raises(lambda: load_scenario(path))
    _names(err, str(path))


@pytest.mark.parametrize("value", [123, None, 1.5, b"metro_day.json", ["a.json"], True],
                         ids=repr)
def test_load_scenario_path_of_wrong_type(value):
    """load_scenario(123) (or None, bytes, a list…) is a ValidationError, not a TypeError."""
    err = _raises(lambda: load_scenario(value))
    _names(err, "path")


# ------------------------------------------ 3. wrong data that used to be accepted
def _matrix_scenario(durations: Any, distances: Any = None) -> dict[str, Any]:
    """metro_day with a two-point matrix travel model (ids don't match: never reached)."""
    travel = {"model": "matrix", "location_ids": ["a", "b"], "durations": durations}
    if distances is not None:
        travel["distances"] = distances
    return _mutate(METRO_DATA, ("travel",), travel)


@pytest.mark.parametrize("durations, where", [
    ([[0, True], [60, 0]], "durations[0][1]"),
    ([[0, 60], [False, 0]], "durations[1][0]"),
    ([[0, "60"], [60, 0]], "durations[0][1]"),
    ([[0, None], [60, 0]], "durations[0][1]"),
    ([[0, [60]], [60, 0]], "durations[0][1]"),
    ([[0, 60], "row"], "durations[1]"),
    ("matrix", "durations"),
    ([[0, 60], {"b": 0}], "durations[1]"),
], ids=lambda v: repr(v)[:40])
def test_matrix_cells_must_be_numbers(durations, where):
    """``true``/``false``, strings or nulls in a travel matrix are rejected naming the cell."""
    err = _raises(lambda: scenario_from_dict(_matrix_scenario(durations)))
    _names(err, f"$.travel.{where}")


def test_matrix_distances_cells_must_be_numbers():
    """The optional distances matrix is checked cell by cell too."""
    data = _matrix_scenario([[0, 60], [60, 0]], [[0, 1.5], [True, 0]])
    _names(_raises(lambda: scenario_from_dict(data)), "$.travel.distances[1][0]")


@pytest.mark.parametrize("path", [
    (*T0, "start_location"), (*K0, "location"), (*T0, "end_location"),
    (*S0, "start_location"),
], ids=_jpath)
@pytest.mark.parametrize("extra", [{"x": 1.0}, {"y": 2.0}, {"x": 1.0, "y": 2.0}],
                         ids=lambda e: "+".join(e))
def test_location_with_both_lat_lon_and_x_y(path, extra):
    """A location giving both lat/lon and x/y is ambiguous: rejected, not silently geographic."""
    data = _mutate(METRO_DATA, path, {"lat": 52.5, "lon": 13.4, **extra})
    err = _raises(lambda: scenario_from_dict(data))
    _names(err, _jpath(path), "not both")


# ----------------------------------------------------------------- 4. plan JSON
R0 = ("routes", 0)
U0 = ("unassigned", 0)
PLAN_FIELDS: list[tuple[tuple[Any, ...], list[Any]]] = [
    (("routes",), ["x", 5, {}, None, True]),
    (R0, ["x", 5, [], None]),
    ((*R0, "technician_id"), [5, None, True, [], {}]),
    ((*R0, "shift"), ["x", "0", 1.5, True, None, []]),
    ((*R0, "tickets"), ["x", 5, {}, None, [5], [None], [["T-00001"]]]),
    ((*R0, "pickups"), ["x", 5, [], {"T-00001": 5}]),
    (("unassigned",), ["x", 5, {}, True]),
    (U0, ["x", 5, [], None]),
    ((*U0, "ticket_id"), [5, None, [], True]),
    ((*U0, "reason"), ["nope", 5, None, "NO_SKILL"]),
    (("mode",), ["x", 5, None, "Routing"]),
    (("format",), ["fsdispatch.scenario", 5, None]),
    (("version",), [2, "1", True, None, 1.5]),
]
PLAN_CASES = [pytest.param(path, value, id=f"{_jpath(path)}={value!r}"[:80])
              for path, values in PLAN_FIELDS for value in values]


@pytest.mark.parametrize("path, value", PLAN_CASES)
def test_plan_field_of_wrong_type(parts_problem, path, value):
    """A plan field of a wrong type raises a ValidationError naming the JSON path."""
    data = _mutate(PLAN_DATA, path, value)
    err = _raises(lambda: plan_from_dict(parts_problem, data))
    _names(err, _jpath(path))


@pytest.mark.parametrize("path", [("routes",), (*R0, "technician_id"), (*R0, "tickets"),
                                  (*U0, "ticket_id")], ids=_jpath)
def test_plan_required_key_dropped(parts_problem, path):
    """Dropping a required plan key names it."""
    data = _mutate(PLAN_DATA, path, DROP)
    _names(_raises(lambda: plan_from_dict(parts_problem, data)), _jpath(path))


@pytest.mark.parametrize("path", [(), R0, U0], ids=_jpath)
def test_plan_unknown_key(parts_problem, path):
    """A misspelt plan key is rejected naming it."""
    data = _mutate(PLAN_DATA, (*path, "ticket"), [])
    _names(_raises(lambda: plan_from_dict(parts_problem, data)), _jpath((*path, "ticket")))


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("shift", [0, None], ids=["same-shift", "shift-defaulted"])
def test_plan_listing_one_shift_twice(parts_problem, strict, shift):
    """A plan listing one technician shift twice is rejected (strict or not), naming both
    positions, instead of silently merging the two routes."""
    first = PLAN_DATA["routes"][0]
    again = {"technician_id": first["technician_id"], "tickets": []}
    if shift is not None:
        again["shift"] = shift
    data = _mutate(PLAN_DATA, ("routes",), [*PLAN_DATA["routes"], again])
    err = _raises(lambda: plan_from_dict(parts_problem, data, strict=strict))
    last = len(PLAN_DATA["routes"])
    _names(err, f"$.routes[{last}]", "$.routes[0]", first["technician_id"])


@pytest.mark.parametrize("path, value", [
    ((*R0, "technician_id"), "nobody"), ((*R0, "tickets", 0), "T-99999"),
    ((*R0, "shift"), 7), ((*R0, "shift"), -1), ((*U0, "ticket_id"), "T-99999"),
    ((*R0, "pickups"), {"T-99999": "warehouse"}),
], ids=lambda v: repr(v)[:30])
def test_plan_unknown_ids_strict(parts_problem, path, value):
    """With strict=True an unknown technician, ticket or shift is an UnknownReferenceError /
    ValidationError naming the value."""
    data = _mutate(PLAN_DATA, path, value)
    err = _raises(lambda: plan_from_dict(parts_problem, data, strict=True))
    _names(err, str(value if not isinstance(value, dict) else "T-99999"))


# --------------------------------------------------------------- 5. CSV tables
def _csv_rows(name: str) -> list[list[str]]:
    with (EXAMPLES / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


CSV_ROWS = {name: _csv_rows(name) for name in ("tickets", "technicians", "parts")}

CSV_CELLS: list[tuple[str, str, list[str]]] = [
    ("tickets", "ticket_id", [""]),
    ("tickets", "lat", ["x", "NaN", "inf", "true", "52,5,1"]),
    ("tickets", "lon", ["x", "1e400"]),
    ("tickets", "duration_min", ["x", "-1", "0", "true", "NaN"]),
    ("tickets", "priority", ["P9", "urgent", "0"]),
    ("tickets", "windows", ["x", "25:00-26:00", "08:00", "08:00-x"]),
    ("tickets", "window_kind", ["sometimes"]),
    ("tickets", "created_at", ["x", "2026-13-45 08:00"]),
    ("tickets", "parts", ["P001:x", "P001:-1", "P999:1"]),
    ("tickets", "skills", ["hvac:x", "hvac:-1"]),
    ("tickets", "demand", ["x", "-1"]),
    ("tickets", "preferred_technicians", ["nobody"]),
    ("tickets", "excluded_technicians", ["nobody"]),
    ("technicians", "technician_id", [""]),
    ("technicians", "lat", ["x", "NaN"]),
    ("technicians", "shift_start", ["x", "25:00", ""]),
    ("technicians", "shift_end", ["x", "24:61"]),
    ("technicians", "break_window", ["x", "12:00"]),
    ("technicians", "break_min", ["x", "-5"]),
    ("technicians", "skills", ["hvac:x", "hvac:-2"]),
    ("technicians", "skill_factors", ["hvac:x", "hvac:-1"]),
    ("technicians", "service_factor", ["x", "-1", "0"]),
    ("technicians", "van_stock", ["P001:x", "P001:-1", "P999:1"]),
    ("technicians", "max_tickets_per_day", ["x", "-1"]),
    ("technicians", "max_overtime_min", ["x", "-1"]),
    ("technicians", "cost_per_hour", ["x", "-1"]),
    ("technicians", "capacity", ["x", "-1"]),
    ("technicians", "recent_workload_min", ["x", "-1"]),
    ("technicians", "end_lat", ["x"]),
    ("parts", "sku", [""]),
    ("parts", "unit_cost", ["x", "-1"]),
]
CSV_CASES = [pytest.param(table, column, value, id=f"{table}.{column}={value!r}")
             for table, column, values in CSV_CELLS for value in values]


def _write_tables(tmp_path: Path, table: str, rows: list[list[str]] | None = None,
                  raw: bytes | None = None) -> dict[str, Path]:
    files = {name: EXAMPLES / f"{name}.csv" for name in CSV_ROWS}
    path = tmp_path / f"{table}.csv"
    if raw is not None:
        path.write_bytes(raw)
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows or [])
    files[table] = path
    return files


def _read_tables(files: dict[str, Path]) -> fd.Scenario:
    return fd.read_scenario_csv(files["tickets"], files["technicians"], parts=files["parts"],
                                date="2026-01-05", timezone="Europe/Berlin")


@pytest.mark.parametrize("table, column, value", CSV_CASES)
def test_csv_bad_cell(tmp_path, table, column, value):
    """A bad cell in a CSV table raises a ValidationError naming the file and the column."""
    rows = [list(r) for r in CSV_ROWS[table]]
    rows[1][rows[0].index(column)] = value
    files = _write_tables(tmp_path, table, rows)
    err = _raises(lambda: _read_tables(files))
    _names(err, f"{table}.csv")
    assert column in str(err) or (err.field or "").endswith(column.removesuffix("_min")) \
        or column in ("preferred_technicians", "excluded_technicians", "parts", "van_stock",
                      "skill_factors"), str(err)


REQUIRED_COLUMNS = [("tickets", "ticket_id"), ("tickets", "duration_min"),
                    ("tickets", "lat"), ("technicians", "technician_id"),
                    ("technicians", "shift_start"), ("technicians", "shift_end"),
                    ("technicians", "lon"), ("parts", "sku")]


@pytest.mark.parametrize("table, column", REQUIRED_COLUMNS)
def test_csv_required_column_dropped(tmp_path, table, column):
    """Dropping a required column names it and the file."""
    rows = CSV_ROWS[table]
    k = rows[0].index(column)
    files = _write_tables(tmp_path, table, [r[:k] + r[k + 1:] for r in rows])
    err = _raises(lambda: _read_tables(files))
    _names(err, f"{table}.csv", column)


CSV_BYTES: dict[str, Callable[[str], bytes]] = {
    "utf16": lambda t: t.encode("utf-16"),
    "utf16-le-no-bom": lambda t: t.encode("utf-16-le"),
    "utf32": lambda t: t.encode("utf-32"),
    "latin1": lambda t: t.replace("\n", ",café\n", 1).encode("latin-1"),
    "invalid-utf8-late": lambda t: t.encode() + b"T-999,\xff\xfe,13.4,60\n",
    "binary": lambda t: bytes(range(256)) * 4,
    "xlsx": lambda t: b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(100)),
    "empty": lambda t: b"",
    "whitespace": lambda t: b" \n \n",
    "unclosed-quote": lambda t: t.encode() + b'T-999,52.5,13.4,60,repair,P3,,,,,,,,,,0,"oops\n',
}


@pytest.mark.parametrize("case", sorted(CSV_BYTES))
@pytest.mark.parametrize("table", ["tickets", "technicians"])
def test_csv_file_bytes(tmp_path, table, case):
    """Undecodable (UTF-16, Latin-1, binary, an .xlsx renamed .csv) or empty CSV files raise
    a ValidationError naming the file."""
    text = (EXAMPLES / f"{table}.csv").read_text(encoding="utf-8")
    files = _write_tables(tmp_path, table, raw=CSV_BYTES[case](text))
    err = _raises(lambda: _read_tables(files))
    _names(err, f"{table}.csv")


def test_csv_with_utf8_bom_is_accepted(tmp_path):
    """Excel's "CSV UTF-8" (a UTF-8 byte order mark) is still UTF-8: accepted."""
    text = (EXAMPLES / "tickets.csv").read_text(encoding="utf-8")
    files = _write_tables(tmp_path, "tickets", raw=b"\xef\xbb\xbf" + text.encode())
    assert _read_tables(files).num_tickets == 9


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


MATRIX_FILES: dict[str, tuple[str, bytes]] = {
    "true-cell": ("m.csv", b"location_id,a,b\na,0,true\nb,60,0\n"),
    "text-cell": ("m.csv", b"location_id,a,b\na,0,x\nb,60,0\n"),
    "empty-cell": ("m.csv", b"location_id,a,b\na,0,\nb,60,0\n"),
    "ids-differ": ("m.csv", b"location_id,a,b\na,0,1\nc,60,0\n"),
    "long-missing-pair": ("m.csv", b"from,to,duration_s\na,b,60\n"),
    "long-no-duration": ("m.csv", b"from,to,seconds\na,b,60\nb,a,60\n"),
    "long-bad-duration": ("m.csv", b"from,to,duration_s\na,b,soon\nb,a,60\n"),
    "utf16": ("m.csv", "location_id,a\na,0\n".encode("utf-16")),
    "binary": ("m.csv", bytes(range(256))),
    "npz-garbage": ("m.npz", bytes(range(256))),
    "npz-broken-zip": ("m.npz", b"PK\x03\x04" + bytes(range(100))),
    "npz-empty": ("m.npz", b""),
    "npy-named-npz": ("m.npz", _npy_bytes(np.zeros((2, 2)))),
}


@pytest.mark.parametrize("case", sorted(MATRIX_FILES))
def test_travel_matrix_files(tmp_path, case):
    """read_travel_matrix rejects bad cells (``true``, text, blanks), mismatched ids and
    unreadable files with a ValidationError naming the file."""
    name, data = MATRIX_FILES[case]
    path = _write(tmp_path, name, data)
    err = _raises(lambda: fd.read_travel_matrix(path))
    _names(err, str(path))


@pytest.mark.parametrize("arrays", [
    {"location_ids": np.array(["a", "b"]), "durations": np.array([[0, 1], [1, 0]] , dtype=bool)},
    {"location_ids": np.array(["a", "b"]), "durations": np.array([["0", "1"], ["1", "0"]])},
    {"location_ids": np.array(["a", "b"])},
    {"durations": np.zeros((2, 2))},
], ids=["bool", "strings", "no-durations", "no-ids"])
def test_travel_matrix_npz_arrays(tmp_path, arrays):
    """An .npz whose durations are booleans or strings, or which lacks an array, is rejected
    naming the array."""
    path = tmp_path / "m.npz"
    np.savez(path, **arrays)
    err = _raises(lambda: fd.read_travel_matrix(path))
    _names(err, str(path))


# ---------------------------------------------------------- 6. simulation config
SIM_BAD: list[tuple[str, Any, str]] = [
    ("num_technicians", 0, "num_technicians"), ("num_technicians", True, "num_technicians"),
    ("num_technicians", "6", "num_technicians"), ("num_technicians", None, "num_technicians"),
    ("num_technicians", 2.5, "num_technicians"), ("days", -1, "days"), ("days", [], "days"),
    ("workforce_seed", "x", "workforce_seed"), ("workforce_seed", 1.5, "workforce_seed"),
    ("working_days", 5, "working_days"), ("working_days", ["mon"], "working_days[0]"),
    ("working_days", "01234", "working_days"), ("start", "2026-01-05", "start"),
    ("start", "tomorrow", "start"), ("start", 5, "start"),
    ("warmup_backlog", True, "warmup_backlog"),
    ("demand", 5, "demand"), ("demand", "x", "demand"), ("demand", [], "demand"),
    ("demand", {"tickets_per_hour": 3}, "tickets_per_hour"),
    ("demand", {"tickets_per_day": "many"}, "demand.tickets_per_day"),
    ("demand", {"tickets_per_day": True}, "demand.tickets_per_day"),
    ("demand", {"center": [52.5]}, "demand.center"),
    ("demand", {"center": 5}, "demand.center"),
    ("demand", {"center": [52.5, "x"]}, "demand.center[1]"),
    ("demand", {"hour_profile": "flat"}, "demand.hour_profile"),
    ("demand", {"hour_profile": [1, None]}, "demand.hour_profile[1]"),
    ("demand", {"categories": {"repair": 5}}, "demand.categories"),
    ("demand", {"categories": []}, "demand.categories"),
    ("demand", {"tier_mix": {"gold": "x"}}, "demand.tier_mix"),
    ("demand", {"num_hotspots": 2.5}, "demand.num_hotspots"),
    ("service", 5, "service"), ("service", {"p_cancel": "x"}, "service.p_cancel"),
    ("service", {"p_sick": None}, "service.p_sick"),
    ("service", {"cancel_after": 1.5}, "service.cancel_after"),
    ("service", {"duration_sigma": [1]}, "service.duration_sigma"),
    ("service", {"speed": 3}, "speed"),
    ("parts", 5, "parts"), ("parts", {"needs": 5}, "parts.needs"),
    ("parts", {"needs": {"repair": {"valve": "x"}}}, "parts.needs"),
    ("parts", {"needs": {}, "colour": 1}, "colour"),
    ("van_stock", 5, "van_stock"), ("van_stock", {"valve": "x"}, "van_stock"),
    ("van_stock", {"levels": 5}, "van_stock.levels"),
    ("van_stock", {"levels": {}, "name": 5}, "van_stock.name"),
    ("van_stock", {"levels": {}, "extra": 1}, "extra"),
    ("seeds", 5, "seeds"),
]


@pytest.mark.parametrize("key, value, named", SIM_BAD, ids=lambda v: repr(v)[:40])
def test_sim_config_values(key, value, named):
    """A simulation config value of the wrong type (``true`` for a count, a string for a
    list, an object for a number…) or an unknown key raises a ValidationError naming it."""
    from fsdispatch.sim.cli import config_from_dict

    data = {**SIM_DATA, key: value}
    err = _raises(lambda: config_from_dict(data))
    _names(err, named)


@pytest.mark.parametrize("value", [[], "x", 5, None], ids=repr)
def test_sim_config_top_level(value):
    """A config that is not an object is rejected."""
    from fsdispatch.sim.cli import config_from_dict

    _names(_raises(lambda: config_from_dict(value)), "config")


@pytest.mark.parametrize("case", ["utf16", "binary", "truncated-50pct", "empty", "nan",
                                  "top-level-array", "deep-arrays"])
def test_sim_config_files(tmp_path, case):
    """load_config / load_experiment name the file for undecodable or malformed configs."""
    from fsdispatch.sim.cli import load_config, load_experiment

    text = SIM.read_text(encoding="utf-8").replace('"days": 2', '"days": 2, "detour": 1.35')
    text = text.replace('"detour": 1.35', '"workforce_seed": 1.35')
    path = _write(tmp_path, f"{case}.json", BYTE_CASES[case](text))
    _names(_raises(lambda: load_config(path)), str(path))
    _names(_raises(lambda: load_experiment(path)), str(path))


def test_sim_config_duplicate_key(tmp_path):
    """A config repeating a key is rejected naming it."""
    from fsdispatch.sim.cli import load_config

    path = _write(tmp_path, "dup.json", b'{"days": 1, "days": 2}')
    _names(_raises(lambda: load_config(path)), str(path), "$.days", "duplicate")


# ------------------------------------------------------------------ 7. Python API
@pytest.fixture(scope="module")
def small_plan(parts_problem) -> Plan:
    """An empty plan of the parts day (every ticket open)."""
    return Plan.empty(parts_problem)


API_CALLS: dict[str, tuple[Callable[[Any, Any, Path], Any], tuple[str, ...]]] = {
    "compile_scenario('x')": (lambda p, pl, t: fd.compile_scenario("x"), ("Scenario", "str")),
    "compile_scenario(None)": (lambda p, pl, t: fd.compile_scenario(None), ("Scenario",)),
    "compile_scenario(problem)": (lambda p, pl, t: fd.compile_scenario(p), ("Problem",)),
    "evaluate(p, 'x')": (lambda p, pl, t: fd.evaluate(p, "x"), ("Plan", "str")),
    "evaluate(p, None)": (lambda p, pl, t: fd.evaluate(p, None), ("Plan",)),
    "evaluate(p, dict)": (lambda p, pl, t: fd.evaluate(p, {"routes": []}), ("Plan", "dict")),
    "evaluate('x', plan)": (lambda p, pl, t: fd.evaluate("x", pl), ("Problem", "str")),
    "evaluate(p, short plan)": (lambda p, pl, t: fd.evaluate(p, Plan(routes=[])), ("routes",)),
    "Scenario(technicians=None)": (
        lambda p, pl, t: fd.Scenario(horizon=p.scenario.horizon, technicians=None,
                                     tickets=p.scenario.tickets), ("technicians",)),
    "Scenario(tickets=5)": (
        lambda p, pl, t: fd.Scenario(horizon=p.scenario.horizon,
                                     technicians=p.scenario.technicians, tickets=5),
        ("tickets",)),
    "Scenario(technicians='abc')": (
        lambda p, pl, t: fd.Scenario(horizon=p.scenario.horizon, technicians="abc",
                                     tickets=()), ("technicians[0]",)),
    "Scenario(parts=3)": (
        lambda p, pl, t: fd.Scenario(horizon=p.scenario.horizon, technicians=(), tickets=(),
                                     parts=3), ("parts",)),
    "load_scenario(123)": (lambda p, pl, t: load_scenario(123), ("path", "int")),
    "save_scenario(missing dir)": (
        lambda p, pl, t: save_scenario(p.scenario, t / "missing" / "s.json"), ("missing",)),
    "save_scenario(onto dir)": (lambda p, pl, t: save_scenario(p.scenario, t), (str,)),
    "save_scenario(path=5)": (lambda p, pl, t: save_scenario(p.scenario, 5), ("path",)),
    "save_scenario('x')": (lambda p, pl, t: save_scenario("x"), ("scenario",)),
    "save_plan(missing dir)": (
        lambda p, pl, t: save_plan(p, pl, t / "missing" / "p.json"), ("missing",)),
    "save_plan(p, 'x')": (lambda p, pl, t: save_plan(p, "x"), ("plan",)),
    "save_plan('x', plan)": (lambda p, pl, t: save_plan("x", pl), ("problem",)),
    "load_plan('x', path)": (lambda p, pl, t: load_plan("x", PLAN), ("problem",)),
    "load_plan(p, 5)": (lambda p, pl, t: load_plan(p, 5), ("path",)),
    "plan_from_dict('x', {})": (lambda p, pl, t: plan_from_dict("x", {}), ("problem",)),
    "Plan(routes='abc')": (lambda p, pl, t: Plan(routes="abc"), ("routes",)),
    "Plan(routes=5)": (lambda p, pl, t: Plan(routes=5), ("routes",)),
    "Plan(routes=None)": (lambda p, pl, t: Plan(routes=None), ("routes",)),
    "Plan(routes={0: [1]})": (lambda p, pl, t: Plan(routes={0: [1]}), ("routes",)),
    "Plan(routes=['ab'])": (lambda p, pl, t: Plan(routes=["ab"]), ("routes[0]",)),
    "Plan(routes=[[1.5]])": (lambda p, pl, t: Plan(routes=[[1.5]]), ("routes[0][0]", "1.5")),
    "Plan(routes=[[True]])": (lambda p, pl, t: Plan(routes=[[True]]), ("routes[0]",)),
    "Plan(routes=[['3']])": (lambda p, pl, t: Plan(routes=[["3"]]), ("routes[0]",)),
    "Plan(routes=[[None]])": (lambda p, pl, t: Plan(routes=[[None]]), ("routes[0]",)),
    "Plan(unassigned={0: 'nope'})": (
        lambda p, pl, t: Plan(routes=[], unassigned={0: "nope"}), ("unassigned[0]", "nope",
                                                                   "no_skill")),
    "Plan(unassigned={0: 3})": (lambda p, pl, t: Plan(routes=[], unassigned={0: 3}),
                                ("unassigned[0]",)),
    "Plan(unassigned={'T-1': 'open'})": (
        lambda p, pl, t: Plan(routes=[], unassigned={"T-1": "open"}), ("unassigned",)),
    "Plan(unassigned='abc')": (lambda p, pl, t: Plan(routes=[], unassigned="abc"),
                               ("unassigned",)),
    "Plan(unassigned=5)": (lambda p, pl, t: Plan(routes=[], unassigned=5), ("unassigned",)),
    "Plan(unknown_ids=5)": (lambda p, pl, t: Plan(routes=[], unknown_ids=5), ("unknown_ids",)),
    "Plan(unknown_ids=[1])": (lambda p, pl, t: Plan(routes=[], unknown_ids=[1]),
                              ("unknown_ids",)),
    "Plan(pickups={0: 'depot'})": (lambda p, pl, t: Plan(routes=[], pickups={0: "depot"}),
                                   ("pickups",)),
    "Plan(pickups=[1])": (lambda p, pl, t: Plan(routes=[], pickups=[1]), ("pickups",)),
    "Plan(mode='x')": (lambda p, pl, t: Plan(routes=[], mode="x"), ("mode",)),
    "Limits(max_iterations=1.5)": (lambda p, pl, t: fd.Limits(max_iterations=1.5),
                                   ("max_iterations", "positive integer")),
    "Limits(max_iterations=0)": (lambda p, pl, t: fd.Limits(max_iterations=0),
                                 ("max_iterations",)),
    "Limits(max_iterations=True)": (lambda p, pl, t: fd.Limits(max_iterations=True),
                                    ("max_iterations",)),
    "Limits(max_iterations='10')": (lambda p, pl, t: fd.Limits(max_iterations="10"),
                                    ("max_iterations",)),
    "Limits(no_improvement=0.5)": (lambda p, pl, t: fd.Limits(no_improvement=0.5),
                                   ("no_improvement",)),
    "Limits(no_improvement=-1)": (lambda p, pl, t: fd.Limits(no_improvement=-1),
                                  ("no_improvement",)),
    "Limits(time_limit=nan)": (lambda p, pl, t: fd.Limits(time_limit=float("nan")),
                               ("time_limit",)),
    "Limits(time_limit='5')": (lambda p, pl, t: fd.Limits(time_limit="5"), ("time_limit",)),
    "Limits(time_limit=True)": (lambda p, pl, t: fd.Limits(time_limit=True), ("time_limit",)),
    "Limits(rel_gap=inf)": (lambda p, pl, t: fd.Limits(rel_gap=float("inf")), ("rel_gap",)),
    "solve(p, 'ls', mode=...)": (
        lambda p, pl, t: fd.solve(p, "ls", mode="assignment"),
        ("mode", "'ls'", "neighbours", "max_routes")),
    "solve(p, 'greedy', foo=1)": (
        lambda p, pl, t: fd.solve(p, "greedy", foo=1), ("foo", "max_candidates")),
    "solve(p, 'greedy', max_candidates='x')": (
        lambda p, pl, t: fd.solve(p, "greedy", max_candidates="x"), ("max_candidates",)),
    "solve(p, 'greedy', max_candidates=2.5)": (
        lambda p, pl, t: fd.solve(p, "greedy", max_candidates=2.5), ("max_candidates",)),
    "solve(p, 'greedy', mode=5)": (lambda p, pl, t: fd.solve(p, "greedy", mode=5), ("mode",)),
    "solve(p, 'ls', descent='yes')": (lambda p, pl, t: fd.solve(p, "ls", descent="yes"),
                                      ("descent",)),
    "solve(p, 'ls', moves='yes')": (lambda p, pl, t: fd.solve(p, "ls", moves="yes"),
                                    ("moves",)),
    "solve(p, 'ls', neighbours=-1)": (lambda p, pl, t: fd.solve(p, "ls", neighbours=-1),
                                      ("neighbours",)),
    "get_solver('greedy', foo=1)": (lambda p, pl, t: fd.get_solver("greedy", foo=1),
                                    ("foo", "max_candidates")),
    "get_solver('greedy', capabilities=None)": (
        lambda p, pl, t: fd.get_solver("greedy", capabilities=None), ("capabilities",)),
    "solve(p, 5)": (lambda p, pl, t: fd.solve(p, 5), ("solver",)),
    "solve(p, None)": (lambda p, pl, t: fd.solve(p, None), ("solver",)),
    "solve('x')": (lambda p, pl, t: fd.solve("x"), ("Problem", "str")),
    "solve(p, seed=-1)": (lambda p, pl, t: fd.solve(p, seed=-1), ("seed",)),
    "solve(p, seed='x')": (lambda p, pl, t: fd.solve(p, seed="x"), ("seed",)),
    "solve(p, seed=1.5)": (lambda p, pl, t: fd.solve(p, seed=1.5), ("seed",)),
    "solve(p, max_iterations=1.5)": (lambda p, pl, t: fd.solve(p, "ls", max_iterations=1.5),
                                     ("max_iterations",)),
    "solve(p, time_limit=-1)": (lambda p, pl, t: fd.solve(p, time_limit=-1), ("time_limit",)),
    "solve(p, limits='x')": (lambda p, pl, t: fd.solve(p, limits="x"), ("limits",)),
    "solve(p, progress=5)": (lambda p, pl, t: fd.solve(p, progress=5), ("progress",)),
    "read_scenario_csv(123, ...)": (
        lambda p, pl, t: fd.read_scenario_csv(123, EXAMPLES / "technicians.csv"), ("path",)),
    "read_scenario_csv(missing)": (
        lambda p, pl, t: fd.read_scenario_csv(t / "nope.csv", EXAMPLES / "technicians.csv"),
        ("nope.csv",)),
    "read_travel_matrix(None)": (lambda p, pl, t: fd.read_travel_matrix(None), ("path",)),
    "read_travel_matrix(dir)": (lambda p, pl, t: fd.read_travel_matrix(t), (str,)),
}


@pytest.mark.parametrize("name", sorted(API_CALLS))
def test_python_api_rejects_bad_arguments(tmp_path, parts_problem, small_plan, name):
    """Bad arguments to the public functions raise an FsdispatchError subclass naming the
    argument (never AttributeError/TypeError/KeyError, never an endless loop); the solve
    cases fail before any solving."""
    call, needles = API_CALLS[name]
    err = _raises(lambda: call(parts_problem, small_plan, tmp_path), FsdispatchError)
    _names(err, *(str(tmp_path) if n is str else n for n in needles))


def test_unknown_solver_option_lists_the_options():
    """The unknown-option message lists every option the backend accepts, from its fields."""
    import attrs

    from fsdispatch.solvers.greedy import GreedySolver

    err = _raises(lambda: fd.get_solver("greedy", max_candidate=3))
    options = [f.name for f in attrs.fields(GreedySolver) if f.name not in ("name",
                                                                            "capabilities")]
    _names(err, "max_candidate", *options)


# --------------------------------------------------------------- 8. CLI in-process
@pytest.fixture
def scenario_file() -> str:
    """The bundled parts day (a valid scenario: errors below come from the arguments)."""
    return str(PARTS)


ARG_CASES: list[tuple[list[str], str]] = [
    (["solve", "{s}", "--max-candidates", "0"], "--max-candidates"),
    (["solve", "{s}", "--max-candidates", "-3"], "--max-candidates"),
    (["solve", "{s}", "--max-candidates", "x"], "--max-candidates"),
    (["solve", "{s}", "--max-candidates", "2.5"], "--max-candidates"),
    (["solve", "{s}", "--time-limit", "-1"], "--time-limit"),
    (["solve", "{s}", "--time-limit", "nan"], "--time-limit"),
    (["solve", "{s}", "--time-limit", "inf"], "--time-limit"),
    (["solve", "{s}", "--time-limit", "soon"], "--time-limit"),
    (["solve", "{s}", "--seed", "-1"], "--seed"),
    (["solve", "{s}", "--seed", "x"], "--seed"),
    (["solve", "{s}", "--max-routes", "-1"], "--max-routes"),
    (["solve", "{s}", "--solver", "cp-sat"], "cp-sat"),
    (["solve", "{s}", "--solver", "ls", "--max-candidates", "4"], "max_candidates"),
    (["solve", "{s}", "--bogus"], "--bogus"),
    (["solve"], "scenario"),
    (["check", "{s}"], "plan"),
    (["check", "{s}", "{p}", "--max-routes", "x"], "--max-routes"),
    (["generate", "--technicians", "-1"], "--technicians"),
    (["generate", "--tickets", "x"], "--tickets"),
    (["generate", "--days", "0"], "--days"),
    (["generate", "--seed", "-5"], "--seed"),
    (["bench", "--time-limit", "-1"], "--time-limit"),
    (["bench", "--set", "nope"], "--set"),
    (["bench", "--seed", "x"], "--seed"),
    (["simulate", "{c}", "--seeds", "0"], "--seeds"),
    (["simulate", "{c}", "--seeds", "-2"], "--seeds"),
    (["simulate", "{c}", "--seeds", "x"], "--seeds"),
    (["simulate", "{c}", "--workers", "-1"], "--workers"),
    (["simulate", "{c}", "--workers", "0"], "--workers"),
    (["simulate", "{c}", "--staffing", "0"], "--staffing"),
    (["simulate", "{c}", "--staffing", "4", "x"], "--staffing"),
    (["simulate"], "config"),
    (["nope"], "nope"),
    ([], "command"),
]


@pytest.mark.parametrize("argv, named", ARG_CASES, ids=lambda v: " ".join(v)[:50]
                         if isinstance(v, list) else v)
def test_cli_invalid_arguments(capsys, argv, named):
    """Invalid arguments (zero/negative counts, NaN seconds, unknown solvers, options or
    subcommands) exit 2 with one stderr line naming the argument, before any work."""
    args = [a.format(s=PARTS, p=PLAN, c=SIM) for a in argv]
    line = _cli(capsys, args)
    assert named in line, line


OUT_CASES: list[tuple[list[str], str]] = [
    (["solve", "{s}", "--out", "{t}/missing/plan.json"], "--out"),
    (["solve", "{s}", "--out", "{t}"], "--out"),
    (["solve", "{s}", "--out", ""], "--out"),
    (["generate", "--tickets", "3", "--out", "{t}/missing/s.json"], "--out"),
    (["generate", "--tickets", "3", "--out", "{t}"], "--out"),
    (["import", "{tickets}", "{techs}", "--out", "{t}/missing/s.json"], "--out"),
    (["report", "{s}", "{p}", "--html", "{t}/missing/r.html"], "--html"),
    (["report", "{s}", "{p}", "--html", "{t}"], "--html"),
    (["report", "{s}", "{p}", "--csv", "{s}"], "--csv"),
    (["report", "{s}", "{p}"], "--html"),
    (["bench", "--out", "{t}/missing/b.csv"], "--out"),
    (["simulate", "{c}", "--out", "{t}/missing/r.csv"], "--out"),
    (["simulate", "{c}", "--out", "{t}"], "--out"),
]


@pytest.mark.parametrize("argv, named", OUT_CASES, ids=lambda v: " ".join(v)[:60]
                         if isinstance(v, list) else v)
def test_cli_output_paths_checked_first(tmp_path, capsys, argv, named):
    """An output into a missing folder or onto a directory exits 2 before any solving,
    simulating or writing (nothing else on stdout/stderr)."""
    args = [a.format(s=PARTS, p=PLAN, c=SIM, t=tmp_path, tickets=EXAMPLES / "tickets.csv",
                     techs=EXAMPLES / "technicians.csv") for a in argv]
    line = _cli(capsys, args)
    assert named in line, line
    assert not (tmp_path / "missing").exists()


SIM_FILES: dict[str, bytes] = {
    "not-json": b"{days: 2}",
    "list": b"[1, 2]",
    "unknown-key": b'{"days": 2, "tecnicians": 4}',
    "bool-count": b'{"num_technicians": true}',
    "string-demand": b'{"demand": "high"}',
    "null-demand-rate": b'{"demand": {"tickets_per_day": null}}',
    "dup": b'{"days": 2, "days": 3}',
    "utf16": '{"days": 2}'.encode("utf-16"),
    "nan": b'{"demand": {"tickets_per_day": NaN}}',
    "van-stock-without-parts": b'{"days": 1, "van_stock": [{"levels": {}}]}',
    "empty": b"",
}


@pytest.mark.parametrize("case", sorted(SIM_FILES))
def test_cli_simulate_bad_config(tmp_path, capsys, case):
    """``simulate`` with a malformed config exits 2 with one line naming the file; no tqdm
    bar is printed first (the one stderr line is the whole of stderr)."""
    path = _write(tmp_path, f"{case}.json", SIM_FILES[case])
    line = _cli(capsys, ["simulate", str(path)])
    assert str(path) in line, line


def test_cli_simulate_missing_config_and_unknown_policy(tmp_path, capsys):
    """A missing config file and an unknown policy name are one-line errors, exit 2."""
    line = _cli(capsys, ["simulate", str(tmp_path / "nope.json")])
    assert "nope.json" in line
    line = _cli(capsys, ["simulate", str(SIM), "--policy", "nearest-idel"])
    assert "nearest-idel" in line and "nearest-idle" in line


PLAN_FILE_CASES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "shift-twice": lambda d: {**d, "routes": [*d["routes"], {**d["routes"][0], "tickets": []}]},
    "bad-reason": lambda d: _mutate(d, (*U0, "reason"), "gone"),
    "routes-string": lambda d: {**d, "routes": "all"},
    "mode": lambda d: {**d, "mode": "sequence"},
    "scenario-not-plan": lambda d: PARTS_DATA,
    "shift-string": lambda d: _mutate(d, (*R0, "shift"), "0"),
}


@pytest.mark.parametrize("case", sorted(PLAN_FILE_CASES))
@pytest.mark.parametrize("command", ["check", "report"])
def test_cli_check_and_report_bad_plan(tmp_path, capsys, case, command):
    """``check``/``report`` with a malformed plan exit 2 with one line naming the plan file."""
    path = tmp_path / f"{case}.plan.json"
    path.write_text(json.dumps(PLAN_FILE_CASES[case](PLAN_DATA)), encoding="utf-8")
    extra = ["--html", str(tmp_path / "r.html")] if command == "report" else []
    line = _cli(capsys, [command, str(PARTS), str(path), *extra])
    assert str(path) in line, line
    assert not (tmp_path / "r.html").exists()


def test_cli_aggregated_error_is_one_line(tmp_path, capsys):
    """A scenario with several issues still prints one line: the first issue and "+N more"."""
    data = copy.deepcopy(METRO_DATA)
    for ticket in data["tickets"][:3]:
        ticket["preferred_technicians"] = ["nobody"]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    line = _cli(capsys, ["solve", str(path)])
    assert str(path) in line and "nobody" in line and "(+2 more)" in line


def test_cli_import_bad_csv(tmp_path, capsys):
    """``import`` of a UTF-16 tickets CSV exits 2 with one line naming the file."""
    path = _write(tmp_path, "tickets.csv",
                  (EXAMPLES / "tickets.csv").read_text(encoding="utf-8").encode("utf-16"))
    line = _cli(capsys, ["import", str(path), str(EXAMPLES / "technicians.csv")])
    assert "tickets.csv" in line and "UTF-16" in line


# ------------------------------------------------------- 9. CLI in a subprocess
SUBPROCESS_CASES = [
    (["solve", "{utf16}"], "UTF-16"),
    (["solve", "{s}", "--max-candidates", "0"], "--max-candidates"),
    (["solve", "{s}", "--out", "{t}/missing/plan.json"], "--out"),
    (["simulate", "{c}", "--seeds", "0"], "--seeds"),
]


@pytest.mark.parametrize("argv, named", SUBPROCESS_CASES,
                         ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else v)
def test_cli_subprocess(tmp_path, argv, named):
    """The installed command, end to end: exit code 2, exactly one stderr line, no traceback,
    nothing on stdout."""
    utf16 = _write(tmp_path, "u.json", _metro_text().encode("utf-16"))
    args = [a.format(s=PARTS, c=SIM, t=tmp_path, utf16=utf16) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "fsdispatch.cli", *args], capture_output=True,
                          text=True, timeout=300)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert named in lines[0] and proc.stdout == ""
