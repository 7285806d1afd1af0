"""The bundled examples of issue #19 (crew jobs, weekly hours, escalation) run, and what
they print holds up to the shared evaluator."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import fsdispatch as fd
from fsdispatch.live.crew import crew_view

EXAMPLES = Path(__file__).parent.parent / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_crews_example(capsys: pytest.CaptureFixture[str]) -> None:
    module = _load("crews")
    out = module.main(["--time-limit", "0.5"])
    crews = [t for t in module.build_scenario().tickets if t.crew_size > 1]
    for name in ("greedy", "ls"):
        result = out[name]
        ev = fd.evaluate(result.problem, result.plan)
        assert ev.is_feasible, ev.violations
        starts: dict[str, set[object]] = {}
        techs: dict[str, list[str]] = {}
        for v in fd.to_schedule(result.problem, result.plan, ev).visits:
            starts.setdefault(v.ticket_id, set()).add(v.start)
            techs.setdefault(v.ticket_id, []).append(v.technician_id)
        for ticket in crews:  # every crew job served by two technicians together
            assert len(set(techs[ticket.id])) == 2 and len(starts[ticket.id]) == 1
    res = out["live"]
    assert res.placed and len(res.crew) == 2
    problem, plan = crew_view(out["desk"])
    assert fd.evaluate(problem, plan).is_feasible
    text = capsys.readouterr().out
    assert "crew job T-04:" in text and "inserted: placed with the crew" in text


def test_weekly_hours_example(capsys: pytest.CaptureFixture[str]) -> None:
    module = _load("weekly_hours")
    results = module.main(["--time-limit", "0.5"])
    for key, result in results.items():
        ev = fd.evaluate(result.problem, result.plan)
        assert ev.is_feasible, ev.violations
        if key.endswith("weekly"):
            done = {t.id: t.week_work_done for t in result.problem.scenario.technicians}
            for tech in ev.technicians:
                assert tech.work_min * 60 + done[tech.technician_id] <= module.CAP + 1e-6
            assert ev.kpis.weekly_overtime_min > 0
            assert "weekly_hours" in ev.kpis.unassigned_by_reason
    free = results["greedy, free"].evaluation
    assert max(t.work_min for t in free.technicians) * 60 > module.CAP  # the cap binds
    assert "40 h cap" in capsys.readouterr().out


def test_escalation_example(capsys: pytest.CaptureFixture[str]) -> None:
    module = _load("escalation")
    d = module.main()
    assert d.ticket("T-00009").priority is fd.Priority.P1
    assert d.assignment("T-00009") is not None
    assert [e.data["new"] for e in d.log.events("T-00009", kind="priority")] == ["P1"]
    assert fd.evaluate(d.problem, d.plan).is_feasible
    assert "priority P4 -> P1" in capsys.readouterr().out
