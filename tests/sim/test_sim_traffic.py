"""The simulator under time-dependent travel: the technicians' legs are the schedule
rule's, timed by their departure."""

from __future__ import annotations

from datetime import time, timedelta

import fsdispatch as fd
from conftest import DAY0, at
from fsdispatch.sim import ServiceModel, simulate

RUSH = fd.SpeedProfile([(time(0, 0), 1.0), (time(7, 0), 0.5), (time(10, 0), 1.0)])
BASE = fd.GeometricTravel(speed_kmh=36.0, detour=1.0)


HOME, SITE = fd.Location.geo(48.85, 2.35), fd.Location.geo(48.85, 2.45)


def _day(travel: fd.TravelModel) -> fd.Scenario:
    tech = fd.Technician("A", HOME, [fd.Shift(at(8), at(17))])
    ticket = fd.Ticket("T1", SITE, 30 * fd.MINUTE)
    return fd.Scenario(fd.Horizon(DAY0, DAY0 + timedelta(days=1)), [tech], [ticket],
                       travel=travel)


def test_the_first_leg_of_a_rush_hour_morning_takes_twice_as_long():
    service = ServiceModel(travel_sigma=0.0)
    legs = {}
    for name, travel in (("static", BASE), ("rush", fd.TimeDependentTravel(BASE, RUSH))):
        res = simulate(_day(travel), "greedy-insertion", seed=1, days=1, service=service)
        first = next(v for v in res.visits if v.ticket_id == "T1")
        legs[name] = (first.depart, first.travel)
    drive = BASE.travel_seconds(HOME, SITE)  # ~7.3 km: ~730 s
    assert legs["static"] == (8 * 3600, drive)  # leaves at 08:00 (shift start)
    assert legs["rush"] == (8 * 3600, 2 * drive)  # the whole leg at half speed
