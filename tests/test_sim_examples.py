"""Smoke tests of the simulator example notebooks (jupytext scripts) at a tiny size."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

pytest.importorskip("pandas")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "notebooks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, NOTEBOOKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smart_dispatch_notebook_compares_policies_with_cis():
    """'Does smart dispatch pay?' yields one CI row per policy and KPI."""
    nb = _load("smart_dispatch")
    frame, agg = nb.compare(technicians=3, days=1, seeds=2,
                            policies=["manual-zones", "greedy-insertion"])
    assert len(frame) == 4
    assert set(agg.policy) == {"manual-zones", "greedy-insertion"}
    assert set(agg.kpi) == set(nb.KPIS)


def test_staffing_curve_notebook_finds_the_staffing_level():
    """'How many technicians do we need?' gives a curve and the level meeting a target."""
    nb = _load("staffing_curve")
    curve = nb.staffing_curve([2, 3], per_day=10, days=1, seeds=2)
    assert set(curve.num_technicians) == {2, 3}
    assert nb.needed(curve, target=0.0) == 2
    assert nb.needed(curve, target=math.inf) is None
