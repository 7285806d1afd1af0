"""``travel_seconds`` on every travel model, and routing-engine matrices read into MatrixTravel."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsdispatch as fd
from fsdispatch.errors import UnknownReferenceError, ValidationError
from fsdispatch.kernels.timing import travel_time
from fsdispatch.problem.compile import _travel_block

LAT = st.floats(-80, 80, allow_nan=False)
LON = st.floats(-180, 180, allow_nan=False)
KM = st.floats(-500, 500, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    LAT,
    LON,
    LAT,
    LON,
    st.sampled_from(["round", "ceil", "floor"]),
    st.floats(5, 120),
    st.floats(1, 3),
)
def test_geometric_seconds_equal_the_compiled_kernels_geographic(
    lat1, lon1, lat2, lon2, rounding, speed, detour
):
    model = fd.GeometricTravel(speed_kmh=speed, detour=detour, rounding=rounding)
    a, b = fd.Location.geo(lat1, lon1), fd.Location.geo(lat2, lon2)
    tv = _travel_block(model, [a, b])
    assert model.travel_seconds(a, b) == int(travel_time(tv, 0, 1))
    assert model.travel_seconds(b, a) == int(travel_time(tv, 1, 0))


@settings(max_examples=100, deadline=None)
@given(KM, KM, KM, KM)
def test_geometric_seconds_equal_the_compiled_kernels_planar(x1, y1, x2, y2):
    model = fd.GeometricTravel(speed_kmh=50.0)
    a, b = fd.Location(x1, y1), fd.Location(x2, y2)
    tv = _travel_block(model, [a, b])
    assert model.travel_seconds(a, b) == int(travel_time(tv, 0, 1))


def test_static_models_ignore_depart():
    model = fd.GeometricTravel(speed_kmh=60.0, detour=1.0)
    a, b = fd.Location(0.0, 0.0), fd.Location(30.0, 0.0)
    assert model.travel_seconds(a, b) == 1800
    night = datetime(2026, 1, 5, 3, tzinfo=UTC)
    rush = datetime(2026, 1, 5, 8, tzinfo=UTC)
    assert model.travel_seconds(a, b, night) == model.travel_seconds(a, b, rush) == 1800
    assert model.travel_seconds(a, a) == 0


def test_geometric_rejects_mixed_kinds():
    with pytest.raises(ValidationError, match="destination"):
        fd.GeometricTravel().travel_seconds(fd.Location.geo(48.0, 11.0), fd.Location(1.0, 2.0))


def test_matrix_seconds_by_id_and_unknown_points():
    m = fd.MatrixTravel(["a", "b"], [[0, 600], [700, 0]])
    a, b = fd.Location(0, 0, id="a"), fd.Location(5, 5, id="b")
    assert m.travel_seconds(a, b) == 600
    assert m.travel_seconds(b, a, datetime(2026, 1, 5, 8, tzinfo=UTC)) == 700
    assert m.travel_seconds(a, a) == 0
    with pytest.raises(UnknownReferenceError, match="'zz'") as err:
        m.travel_seconds(a, fd.Location(1, 1, id="zz"))
    assert err.value.field == "destination"
    with pytest.raises(UnknownReferenceError, match="origin"):
        m.travel_seconds(fd.Location(1, 1), b)


# ------------------------------------------------------------------ OSRM
OSRM = {
    "code": "Ok",
    "durations": [[0, 600.4, 1200], [610, 0, 900.6], [1190, 880, 0]],
    "distances": [[0, 5000, 12000], [5100, 0, 8000], [11900, 7900, 0]],
    "sources": [{"location": [11.5, 48.1]}] * 3,
    "destinations": [{"location": [11.5, 48.1]}] * 3,
}


def test_from_osrm_reads_seconds_and_metres():
    locs = [fd.Location.geo(48.1, 11.5, id="a"), fd.Location.geo(48.2, 11.6, id="b"), "c"]
    m = fd.MatrixTravel.from_osrm(OSRM, locs)
    assert m.location_ids == ("a", "b", "c")
    assert m.durations.tolist() == [[0, 600, 1200], [610, 0, 901], [1190, 880, 0]]
    assert m.distances is not None
    np.testing.assert_allclose(m.distances[0], [0.0, 5.0, 12.0])
    assert m.travel_seconds(locs[0], locs[1]) == 600


def test_from_osrm_durations_only():
    body = {"code": "Ok", "durations": [[0, 60], [70, 0]]}
    m = fd.MatrixTravel.from_osrm(body, ["a", "b"])
    assert m.distances is None and m.durations[1, 0] == 70


def test_from_osrm_null_is_an_error_unless_unreachable_is_given():
    body = {"code": "Ok", "durations": [[0, None], [70, 0]], "distances": [[0, None], [9, 0]]}
    with pytest.raises(ValidationError, match=r"durations\[0\]\[1\]"):
        fd.MatrixTravel.from_osrm(body, ["a", "b"])
    m = fd.MatrixTravel.from_osrm(body, ["a", "b"], unreachable=86_400)
    assert m.durations[0, 1] == 86_400
    assert m.distances is not None and m.distances[0, 1] == fd.units.MAX_TRAVEL_DISTANCE_KM


@pytest.mark.parametrize(
    ("body", "locs", "field"),
    [
        ({"code": "NoTable", "message": "bad"}, ["a"], "code"),
        ({"code": "Ok"}, ["a"], "durations"),
        ({"code": "Ok", "durations": [[0, 1]]}, ["a", "b"], "durations"),
        ({"code": "Ok", "durations": [[0, 1], [1]]}, ["a", "b"], "durations[1]"),
        ({"code": "Ok", "durations": [[0, "x"], [1, 0]]}, ["a", "b"], "durations[0][1]"),
        ({"code": "Ok", "durations": [[0, -5], [1, 0]]}, ["a", "b"], "durations[0][1]"),
        ({"code": "Ok", "durations": [[0]]}, [fd.Location(0, 0)], "locations[0]"),
        ({"code": "Ok", "durations": [[0, 1], [1, 0]]}, ["a", "a"], "location_ids"),
        ([], ["a"], "response"),
    ],
)
def test_from_osrm_bad_shapes_raise_typed_errors(body, locs, field):
    with pytest.raises(ValidationError) as err:
        fd.MatrixTravel.from_osrm(body, locs)
    assert err.value.field == field


# --------------------------------------------------------------- Valhalla
def _verbose(times, dists, units=None):
    n = len(times)
    body = {
        "sources_to_targets": [
            [
                {"from_index": i, "to_index": j, "time": times[i][j], "distance": dists[i][j]}
                for j in range(n)
            ]
            for i in range(n)
        ]
    }
    if units:
        body["units"] = units
    return body


def test_from_valhalla_verbose_kilometres_and_miles():
    times = [[0, 300], [320, 0]]
    km = fd.MatrixTravel.from_valhalla(_verbose(times, [[0, 2.5], [2.6, 0]]), ["a", "b"])
    assert km.durations.tolist() == [[0, 300], [320, 0]]
    assert km.distances is not None and km.distances[0, 1] == pytest.approx(2.5)
    mi = fd.MatrixTravel.from_valhalla(_verbose(times, [[0, 1.0], [2.0, 0]], "miles"), ["a", "b"])
    assert mi.distances is not None and mi.distances[1, 0] == pytest.approx(2 * 1.609344)


def test_from_valhalla_verbose_cells_placed_by_index():
    body = _verbose([[0, 300], [320, 0]], [[0, 1], [1, 0]])
    body["sources_to_targets"][0].reverse()  # cells carry their indices
    m = fd.MatrixTravel.from_valhalla(body, ["a", "b"])
    assert m.durations.tolist() == [[0, 300], [320, 0]]


def test_from_valhalla_concise():
    body = {
        "sources_to_targets": {"durations": [[0, 10], [11, 0]], "distances": [[0, 0.1], [0.2, 0]]},
        "units": "kilometers",
    }
    m = fd.MatrixTravel.from_valhalla(body, ["a", "b"])
    assert m.durations[1, 0] == 11 and m.distances is not None and m.distances[1, 0] == 0.2


def test_from_valhalla_unreachable():
    body = _verbose([[0, None], [320, 0]], [[0, None], [1, 0]])
    with pytest.raises(ValidationError, match=r"sources_to_targets\[0\]\[1\].time"):
        fd.MatrixTravel.from_valhalla(body, ["a", "b"])
    m = fd.MatrixTravel.from_valhalla(body, ["a", "b"], unreachable=10_000)
    assert m.durations[0, 1] == 10_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"units": "furlongs", "sources_to_targets": []}, "units"),
        ({"sources_to_targets": [[{"time": 0, "distance": 0}]]}, "sources_to_targets"),
        (
            {
                "sources_to_targets": [
                    [
                        {"from_index": 0, "to_index": 5, "time": 1, "distance": 1},
                        {"from_index": 0, "to_index": 1, "time": 1, "distance": 1},
                    ],
                    [
                        {"from_index": 1, "to_index": 0, "time": 1, "distance": 1},
                        {"from_index": 1, "to_index": 1, "time": 0, "distance": 0},
                    ],
                ]
            },
            "sources_to_targets[0][0].to_index",
        ),
        (
            {
                "sources_to_targets": [
                    [
                        {"from_index": 0, "to_index": 1, "time": 1, "distance": 1},
                        {"from_index": 0, "to_index": 1, "time": 1, "distance": 1},
                    ],
                    [
                        {"from_index": 1, "to_index": 0, "time": 1, "distance": 1},
                        {"from_index": 1, "to_index": 1, "time": 0, "distance": 0},
                    ],
                ]
            },
            "sources_to_targets[0][1]",
        ),
        ({"sources_to_targets": {"distances": [[0, 1], [1, 0]]}}, "sources_to_targets.durations"),
    ],
)
def test_from_valhalla_bad_shapes_raise_typed_errors(body, field):
    with pytest.raises(ValidationError) as err:
        fd.MatrixTravel.from_valhalla(body, ["a", "b"])
    assert err.value.field == field
