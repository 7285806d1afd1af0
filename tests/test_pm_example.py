"""The bundled PM-week example runs and serves every PM visit in its window."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import fsdispatch as fd


def test_pm_week_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).parent.parent / "examples" / "pm_week.py"
    spec = importlib.util.spec_from_file_location("pm_week", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--time-limit", "1"])
    scenario, pm = module.build_scenario()
    assert len(pm) > 0 and len({t.asset_id for t in pm}) < len(scenario.assets)  # some not due
    for result in results.values():
        ev = fd.evaluate(result.problem, result.plan)
        assert ev.is_feasible, ev.violations
        visits = {v.ticket_id: v for v in fd.to_schedule(result.problem, result.plan, ev).visits}
        for ticket in pm:
            (window,) = ticket.windows
            assert window.start <= visits[ticket.id].start <= window.end
        assert ev.kpis.cost_per_ticket > 0
    out = capsys.readouterr().out
    assert "PM visits" in out and "per ticket" in out and "on-time arrival" in out


def test_pm_week_plans_json_options(tmp_path: Path) -> None:
    """``--save-plans`` writes the built-in assets and plans; ``build_scenario`` on the loaded
    file gives the same PM tickets as the built-in ones (what ``--plans`` runs)."""
    path = Path(__file__).parent.parent / "examples" / "pm_week.py"
    spec = importlib.util.spec_from_file_location("pm_week_plans", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "plans.json"
    assert module.main(["--save-plans", str(out)]) == {}
    book = fd.load_maintenance(out)
    assert book == fd.MaintenanceBook(*module.assets_and_plans())
    assert module.build_scenario(book) == module.build_scenario()
