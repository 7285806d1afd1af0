"""Why a ticket is left out: the reason names what actually blocks it."""

from __future__ import annotations

from datetime import timedelta

import pytest

import fsdispatch as fd
from conftest import DAY0, at

pytestmark = pytest.mark.property  # solver tests: CI reruns them bounds-checked


def _van_runs_out(depot_stock: int | None = None) -> fd.Scenario:
    """One technician whose van holds one unit of part P; two tickets need it."""
    parts = [fd.Part("P", "a spare part")]
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(17))],
                         van_stock={"P": 1})
    tickets = [fd.Ticket(f"T{k}", fd.Location.planar(5 + k, 0), 30 * fd.MINUTE,
                         parts={"P": 1}) for k in range(2)]
    depots = () if depot_stock is None else (
        fd.Depot("D", fd.Location.planar(50, 0), stock={"P": depot_stock}),)
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), [tech], tickets,
                       parts=parts, depots=depots,
                       travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0), name="van")


@pytest.mark.solvers(exact=False)
def test_a_ticket_the_van_has_no_parts_left_for_is_no_part(solver_name: str) -> None:
    """When the van's stock is used up by another ticket, the one left out is ``no_part``
    (its route had room and time), not ``no_capacity``."""
    result = fd.solve(_van_runs_out(), solver_name, seed=0, max_iterations=50) \
        if solver_name == "ls" else fd.solve(_van_runs_out(), solver_name)
    assert result.evaluation.is_feasible
    reasons = list(result.plan.to_ids(result.problem)["unassigned"].values())
    assert reasons == ["no_part"]


@pytest.mark.solvers(exact=False)
def test_an_empty_depot_is_no_part_too(solver_name: str) -> None:
    """A depot with nothing left cannot help: still ``no_part``."""
    scenario = _van_runs_out(depot_stock=0)
    result = fd.solve(scenario, solver_name, seed=0, max_iterations=50) if solver_name == "ls" \
        else fd.solve(scenario, solver_name)
    assert list(result.plan.to_ids(result.problem)["unassigned"].values()) == ["no_part"]


def test_a_full_day_is_still_no_capacity() -> None:
    """A ticket that needs no parts and does not fit the day is ``no_capacity``."""
    tech = fd.Technician("A", fd.Location.planar(0, 0), [fd.Shift(at(8), at(10))])
    tickets = [fd.Ticket(f"T{k}", fd.Location.planar(1, 0), 60 * fd.MINUTE) for k in range(3)]
    scenario = fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), [tech], tickets,
                           travel=fd.GeometricTravel(speed_kmh=60.0, detour=1.0))
    result = fd.solve(scenario, "greedy")
    reasons = list(result.plan.to_ids(result.problem)["unassigned"].values())
    assert reasons and set(reasons) == {"no_capacity"}
