"""The parts-replenishment example runs end to end and prints an alerts table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fsdispatch.inventory import ReorderAlert

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "parts_replenishment.py"


def _load():
    spec = importlib.util.spec_from_file_location("parts_replenishment", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parts_replenishment_example_prints_alerts(capsys):
    """main() simulates two weeks, forecasts every item and returns consistent alerts."""
    alerts = _load().main(weeks=2, seed=1)
    out = capsys.readouterr().out
    assert "14 days, 25 vans + depot " in out
    assert "reorder alerts" in out and "location   kind  sku" in out
    assert alerts and all(isinstance(a, ReorderAlert) for a in alerts)
    for a in alerts:
        assert a.position <= a.reorder_point < a.order_up_to
        assert a.suggested_qty == a.order_up_to - a.position >= 1
        assert a.available == a.on_hand - a.reserved >= 0
    assert {a.location_kind for a in alerts} <= {"depot", "van"}
