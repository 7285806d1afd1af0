"""Solomon / Gehring–Homberger VRPTW instances and their solution files.

The Solomon text format (also used by the Gehring & Homberger extended sets)::

    C101

    VEHICLE
    NUMBER     CAPACITY
      25         200

    CUSTOMER
    CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

        0      40         50          0          0       1236          0
        1      45         68         10        912        967         90
        ...

Row 0 is the depot; its due date closes every route. Service must *start*
within ``[READY TIME, DUE DATE]``; waiting is allowed.

Conventions (the DIMACS 2021 VRPTW challenge, so that the evaluator's objective
equals the published DIMACS distances):

* every arc distance and travel time is the Euclidean distance **truncated to
  one decimal**. fsdispatch scales time by 10 so that everything is integer
  seconds: travel seconds ``= floor(10 · euclid(i, j))``, and windows, service
  times and the depot due date are multiplied by 10;
* the travel model is an explicit :class:`~fsdispatch.MatrixTravel` with
  ``durations`` in those seconds and ``distances = durations / 10`` (km), so
  ``evaluation.kpis.distance_km`` is the DIMACS distance;
* the objective is distance only (weight 1 per km; travel time, overtime,
  SLA and window-lateness weights 0) plus a 10⁶ penalty per unassigned ticket,
  so dropping a customer never pays;
* every vehicle becomes a technician ``v01``, ``v02``… starting and ending at
  the depot with one shift ``[0, depot due date]`` and the vehicle capacity;
  every customer becomes a ticket whose id is its Solomon customer number
  (``"1"`` … ``"100"``) with its demand, one hard window and its service time;
* internal time 0 is :data:`ORIGIN` (2000-01-01 00:00 UTC).

Solution files (``.sol``, as published with the DIMACS / CVRPLIB best known
solutions) hold one line ``Route #r: c1 c2 ...`` per vehicle, customers
numbered as in the instance, then optionally ``Cost <value>``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from ..domain.location import Location
from ..domain.objective import ObjectiveWeights
from ..domain.scenario import Scenario
from ..domain.technician import Shift, Technician
from ..domain.ticket import Priority, Ticket, TimeWindow
from ..domain.travel import MatrixTravel
from ..errors import ValidationError
from ..plan import Plan
from ..units import Horizon

if TYPE_CHECKING:
    from ..problem.problem import Problem

__all__ = [
    "ORIGIN",
    "TIME_SCALE",
    "UNASSIGNED_PENALTY",
    "SolomonInstance",
    "dimacs_travel",
    "parse_solomon",
    "read_solomon",
    "read_solomon_solution",
]

ORIGIN: datetime = datetime(2000, 1, 1, tzinfo=UTC)
"""Internal time 0 of every scenario read from a Solomon file."""

TIME_SCALE: int = 10
"""Seconds per Solomon time unit (10: one decimal of the DIMACS truncation)."""

UNASSIGNED_PENALTY: float = 1e6
"""Objective penalty per unassigned customer (dominates any distance)."""

_ENTITY = "SolomonFile"


def _error(path: str, lineno: int | None, what: str, value: object) -> ValidationError:
    where = f"{path}, line {lineno}" if lineno is not None else path
    return ValidationError(f"{where}: {what}, got {value!r}.", entity=_ENTITY, entity_id=path,
                           field=f"line {lineno}" if lineno is not None else None, value=value)


@attrs.frozen(eq=False)
class SolomonInstance:
    """The raw content of a Solomon text file, in Solomon units.

    Row 0 of every array is the depot, rows ``1..n`` the customers in file order.

    Attributes
    ----------
    name:
        Instance name (first line of the file).
    num_vehicles, capacity:
        Fleet size and vehicle capacity.
    customer:
        int64 array of shape ``(n + 1,)``: customer numbers as written.
    x, y:
        float64 arrays of shape ``(n + 1,)``: coordinates.
    demand, ready, due, service:
        Arrays of shape ``(n + 1,)``: demand (int64), window start and end and
        service time (float64, Solomon time units).
    lines:
        int64 array of shape ``(n + 1,)``: the line number of each row (for messages).
    path:
        The file read.
    """

    name: str
    num_vehicles: int
    capacity: int
    customer: np.ndarray
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    lines: np.ndarray
    path: str

    @property
    def num_customers(self) -> int:
        """Number of customers ``n`` (the depot excluded)."""
        return int(self.customer.shape[0]) - 1


def dimacs_travel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """DIMACS travel matrix in tenths: ``floor(10 · euclid(i, j))``, exactly.

    Parameters
    ----------
    x, y:
        float64 arrays of shape ``(n,)``: coordinates.

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(n, n)``. For integer coordinates the result is
        exact (``isqrt(100 · (dx² + dy²))``); otherwise ``1e-9`` guards the
        floor against rounding just below an integer.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    sq = dx * dx + dy * dy
    tenths = np.floor(TIME_SCALE * np.sqrt(sq) + 1e-9).astype(np.int64)
    if np.all(x == np.round(x)) and np.all(y == np.round(y)) and sq.max(initial=0.0) < 2**40:
        # exact integer square root: k = floor(sqrt(100 * sq)); fix any float error
        target = np.rint(sq).astype(np.int64) * TIME_SCALE * TIME_SCALE
        tenths -= (tenths * tenths > target).astype(np.int64)
        tenths += ((tenths + 1) * (tenths + 1) <= target).astype(np.int64)
    return tenths


def _number(path: str, lineno: int, token: str, column: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise _error(path, lineno, f"{column} must be a number", token) from None
    if not math.isfinite(value):
        raise _error(path, lineno, f"{column} must be finite", token)
    return value


def _integer(path: str, lineno: int, token: str, column: str, minimum: int) -> int:
    value = _number(path, lineno, token, column)
    if value != int(value):
        raise _error(path, lineno, f"{column} must be an integer", token)
    if value < minimum:
        raise _error(path, lineno, f"{column} must be >= {minimum}", token)
    return int(value)


_COLUMNS = ("customer number", "x", "y", "demand", "ready time", "due date", "service time")


def _read_blocks(spath: str, path: str | PathLike[str]
                 ) -> tuple[str, int, int, list[tuple[int, list[float]]]]:
    """The name, vehicle count, capacity and (line, values) customer rows of the file."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise _error(spath, None, f"cannot read the file ({exc.strerror})", spath) from None
    lines = text.splitlines()
    name = ""
    num_vehicles = capacity = -1
    section = ""
    rows: list[tuple[int, list[float]]] = []
    for lineno, raw in enumerate(lines, start=1):
        tokens = raw.split()
        if not tokens:
            continue
        head = tokens[0].upper()
        if not name and section == "":
            if head in ("VEHICLE", "CUSTOMER"):
                raise _error(spath, lineno, "the first line must be the instance name", raw)
            name = raw.strip()
            section = "name"
            continue
        if head == "VEHICLE":
            section = "vehicle"
            continue
        if head == "CUSTOMER" and len(tokens) == 1:
            if num_vehicles < 0:
                raise _error(spath, lineno, "the VEHICLE block (NUMBER CAPACITY) must come "
                             "before CUSTOMER", raw.strip())
            section = "customer"
            continue
        if section == "vehicle":
            if head == "NUMBER":
                continue
            if len(tokens) != 2:
                raise _error(spath, lineno, "the vehicle line must hold NUMBER and CAPACITY",
                             raw.strip())
            num_vehicles = _integer(spath, lineno, tokens[0], "vehicle number", 1)
            capacity = _integer(spath, lineno, tokens[1], "vehicle capacity", 0)
            section = "after_vehicle"
            continue
        if section == "customer":
            if head.startswith("CUST"):
                continue
            if len(tokens) != 7:
                raise _error(spath, lineno, "a customer line must hold 7 numbers (CUST NO., "
                             "XCOORD., YCOORD., DEMAND, READY TIME, DUE DATE, SERVICE TIME)",
                             raw.strip())
            values = [_number(spath, lineno, tok, col) for tok, col in zip(tokens, _COLUMNS,
                                                                           strict=True)]
            rows.append((lineno, values))
            continue
        raise _error(spath, lineno, "unexpected line (expected the VEHICLE or CUSTOMER block)",
                     raw.strip())
    if not name:
        raise _error(spath, None, "the file is empty", "")
    if num_vehicles < 0:
        raise _error(spath, None, "missing the VEHICLE block (NUMBER CAPACITY)", "")
    if not rows:
        raise _error(spath, None, "missing the CUSTOMER table (depot and customers)", "")
    return name, num_vehicles, capacity, rows


def _check_customers(spath: str, rows: list[tuple[int, list[float]]], capacity: int) -> None:
    """Reject a customer row with a bad number, demand, time or service time."""
    seen: dict[int, int] = {}
    for k, (lineno, values) in enumerate(rows):
        number = values[0]
        if number != int(number) or number < 0:
            raise _error(spath, lineno, "customer number must be an integer >= 0",
                         _fmt(number))
        if int(number) in seen:
            raise _error(spath, lineno, f"customer number must be unique (also on line "
                         f"{seen[int(number)]})", int(number))
        seen[int(number)] = lineno
        demand = values[3]
        if demand != int(demand) or demand < 0:
            raise _error(spath, lineno, "demand must be an integer >= 0", _fmt(demand))
        if k and demand > capacity:
            raise _error(spath, lineno, f"demand must not exceed the vehicle capacity "
                         f"{capacity}", _fmt(demand))
        ready, due, service = values[4], values[5], values[6]
        for value, column in ((ready, "ready time"), (due, "due date"),
                              (service, "service time")):
            if value < 0:
                raise _error(spath, lineno, f"{column} must be >= 0", _fmt(value))
            scaled = value * TIME_SCALE
            if abs(scaled - round(scaled)) > 1e-6:
                raise _error(spath, lineno, f"{column} must have at most one decimal",
                             _fmt(value))
        if due < ready:
            raise _error(spath, lineno, f"due date must not be before ready time {_fmt(ready)}",
                         _fmt(due))
        if k and service <= 0:
            raise _error(spath, lineno, "service time must be > 0 (a ticket needs a "
                         "positive duration)", _fmt(service))


def parse_solomon(path: str | PathLike[str]) -> SolomonInstance:
    """Read a Solomon / Gehring–Homberger text file without converting it.

    Parameters
    ----------
    path:
        The ``.txt`` instance.

    Returns
    -------
    SolomonInstance
        Raw values in Solomon units.

    Raises
    ------
    ValidationError
        The file is missing, or a line is malformed; the message names the
        file, the line and the value.
    """
    spath = str(path)
    name, num_vehicles, capacity, rows = _read_blocks(spath, path)
    _check_customers(spath, rows, capacity)
    depot_line, depot = rows[0]
    if depot[5] <= 0:
        raise _error(spath, depot_line, "the depot due date (route horizon) must be > 0",
                     _fmt(depot[5]))
    arr = np.array([values for _, values in rows], dtype=np.float64)
    return SolomonInstance(
        name=name, num_vehicles=num_vehicles, capacity=capacity,
        customer=arr[:, 0].astype(np.int64), x=arr[:, 1].copy(), y=arr[:, 2].copy(),
        demand=arr[:, 3].astype(np.int64), ready=arr[:, 4].copy(), due=arr[:, 5].copy(),
        service=arr[:, 6].copy(), lines=np.array([ln for ln, _ in rows], dtype=np.int64),
        path=spath)


def _fmt(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _secs(value: float) -> int:
    return round(value * TIME_SCALE)


def read_solomon(path: str | PathLike[str], *, name: str | None = None) -> Scenario:
    """Read a Solomon / Gehring–Homberger VRPTW instance as a :class:`~fsdispatch.Scenario`.

    The mapping follows the DIMACS 2021 convention (see the module docstring):
    time is scaled ×10 to integer seconds, travel seconds are
    ``floor(10 · euclid)`` in an explicit :class:`~fsdispatch.MatrixTravel`
    whose distances are ``durations / 10`` km, and the objective is the
    distance plus a 10⁶ penalty per unassigned customer. So for a feasible plan
    serving everyone, ``evaluate(problem, plan).objective`` is the DIMACS
    distance.

    Parameters
    ----------
    path:
        The ``.txt`` instance file.
    name:
        Scenario name; default the instance name on the file's first line.

    Returns
    -------
    Scenario
        Technicians ``v01``… (one per vehicle; one shift ``[0, depot due]``,
        capacity = vehicle capacity, start and end at the depot, no skills) and
        tickets ``"1"``… named by the Solomon customer numbers (demand, one hard
        window ``[ready, due]`` for the service start, service duration), all P3.

    Raises
    ------
    ValidationError
        A malformed or inconsistent file; the message names the file, the line
        and the value.

    Examples
    --------
    >>> import fsdispatch as fd
    >>> problem = fd.compile_scenario(fd.read_solomon("C101.txt"))  # doctest: +SKIP
    >>> plan = fd.read_solomon_solution(problem, "C101.sol")  # doctest: +SKIP
    >>> fd.evaluate(problem, plan).objective  # doctest: +SKIP
    827.3
    """
    inst = parse_solomon(path)
    n = inst.num_customers
    loc_ids = [f"n{int(c)}" for c in inst.customer]
    locations = [Location.planar(float(inst.x[k]), float(inst.y[k]), id=loc_ids[k])
                 for k in range(n + 1)]
    durations = dimacs_travel(inst.x, inst.y)
    travel = MatrixTravel(loc_ids, durations, durations / float(TIME_SCALE))
    depot_due = _secs(float(inst.due[0]))
    depot_ready = _secs(float(inst.ready[0]))
    horizon = Horizon(ORIGIN, ORIGIN + timedelta(seconds=depot_due))

    def at(seconds: int) -> datetime:
        return ORIGIN + timedelta(seconds=seconds)

    width = len(str(inst.num_vehicles))
    shift = Shift(at(depot_ready), at(depot_due))
    technicians = [Technician(f"v{k + 1:0{width}d}", locations[0], [shift],
                              capacity=inst.capacity)
                   for k in range(inst.num_vehicles)]
    tickets = []
    for k in range(1, n + 1):
        try:
            tickets.append(Ticket(
                str(int(inst.customer[k])), locations[k], _secs(float(inst.service[k])),
                category="delivery",
                windows=[TimeWindow(at(_secs(float(inst.ready[k]))),
                                    at(_secs(float(inst.due[k]))))],
                priority=Priority.P3, demand=int(inst.demand[k])))
        except ValidationError as exc:  # pragma: no cover - parse_solomon checks first
            raise _error(inst.path, int(inst.lines[k]), exc.message, exc.value) from None
    weights = ObjectiveWeights(
        unassigned={p: UNASSIGNED_PENALTY for p in Priority},
        sla_lateness={p: 0.0 for p in Priority},
        window_lateness=0.0, travel_time=0.0, distance=1.0, overtime=0.0)
    return Scenario(horizon, technicians, tickets, travel=travel, objective=weights,
                    name=name if name is not None else inst.name)


_ROUTE = re.compile(r"^\s*Route\s*#\s*(\S+?)\s*:(.*)$", re.IGNORECASE)


def read_solomon_solution(problem: Problem, path: str | PathLike[str]) -> Plan:
    """Read a ``.sol`` solution file (``Route #r: c1 c2 ...``) as a :class:`~fsdispatch.Plan`.

    Route ``#r`` becomes route ``r - 1`` of ``problem`` (technician ``v<r>``
    for a scenario from :func:`read_solomon`); customer numbers are ticket
    ids. ``Cost`` and other non-route lines are ignored. Customers the file
    does not mention are left out of the plan, so the evaluator reports them
    as ``missing``.

    Parameters
    ----------
    problem:
        The compiled scenario the solution belongs to.
    path:
        The ``.sol`` file.

    Returns
    -------
    Plan

    Raises
    ------
    ValidationError
        Unreadable file, a bad route number, a repeated route, a customer
        number the problem does not know; the message names the file, the line
        and the value.
    """
    spath = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise _error(spath, None, f"cannot read the file ({exc.strerror})", spath) from None
    routes: list[list[int]] = [[] for _ in range(problem.num_routes)]
    seen: dict[int, int] = {}
    index = problem.index
    found = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        match = _ROUTE.match(raw)
        if match is None:
            if raw.strip().lower().startswith("route"):
                raise _error(spath, lineno, "a route line must read 'Route #<r>: c1 c2 ...'",
                             raw.strip())
            continue
        found = True
        number_text, body = match.group(1), match.group(2)
        if not number_text.isdigit() or int(number_text) < 1:
            raise _error(spath, lineno, "route number must be an integer >= 1", number_text)
        number = int(number_text)
        if number > problem.num_routes:
            raise _error(spath, lineno, f"route number must be <= {problem.num_routes} "
                         "(the number of vehicles)", number)
        if number in seen:
            raise _error(spath, lineno, f"route number must be unique (also on line "
                         f"{seen[number]})", number)
        seen[number] = lineno
        for token in body.split():
            ticket_id = token
            if token.isdigit():
                ticket_id = str(int(token))
            if not index.has_ticket(ticket_id):
                raise _error(spath, lineno, "unknown customer number", token)
            routes[number - 1].append(index.ticket_idx(ticket_id))
    if not found:
        raise _error(spath, None, "no 'Route #<r>: ...' line found", "")
    return Plan(routes=routes)
