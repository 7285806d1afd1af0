"""The HTML dispatch report: self-contained, complete, and working in a real browser; the
``fsdispatch report`` and ``fsdispatch import`` commands."""

from __future__ import annotations

import json
import os
import re
import shutil
from html import escape as html_escape
from pathlib import Path

import pytest

import fsdispatch as fd
from fsdispatch.cli import main

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


def _ticket_ids_in(html: str, attribute: str = "data-ticket") -> set[str]:
    return set(re.findall(rf'{attribute}="([^"]+)"', html))


@pytest.fixture
def city_result(city: fd.Scenario) -> fd.SolveResult:
    """The ``city`` day (8 technicians, 60 tickets) solved by greedy: some tickets unassigned."""
    return fd.solve(city, solver="greedy", seed=0)


def test_report_is_self_contained(city_result):
    """The page loads nothing: no external script, stylesheet, image, font or URL."""
    html = fd.render_report(city_result)
    assert html.startswith("<!DOCTYPE html>")
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"<img", html)
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {"#hatch"}


def test_report_shows_every_technician_ticket_and_reason(city_result):
    """Every technician has a row and a timeline row; every ticket is on the map; each
    unassigned ticket is listed with its reason and its explanation."""
    html = fd.render_report(city_result)
    problem, plan = city_result.problem, city_result.plan
    for tech_id in problem.index.technician_ids:
        assert f'class="tech-row" data-tech="{tech_id}"' in html
        assert f'<g class="row" data-tech="{tech_id}">' in html
    map_svg = html[html.index('<svg id="map-svg"'):html.index("</svg>", html.index("map-svg"))]
    assert _ticket_ids_in(map_svg) == set(problem.index.ticket_ids)
    assert plan.unassigned, "the fixture should leave tickets unassigned"
    table = html[html.index('id="unassigned-table"'):]
    for j, reason in plan.unassigned.items():
        ticket_id = problem.index.ticket_ids[j]
        row = re.search(rf'data-ticket="{ticket_id}".*?</tr>', table, re.S)
        assert row is not None and f"<code>{reason.value}</code>" in row.group(0)
        assert html_escape(fd.report.REASON_TEXT[reason.value]) in row.group(0)
    assert html.count('class="seg service') == city_result.evaluation.kpis.assigned


def test_visit_tooltip_holds_ticket_window_eta_and_slack(tiny):
    """Hovering data of a visit names the ticket, technician, window, ETA and SLA slack."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan.from_ids(problem, {"B#0": ["T2"]}, {"T1": "no_capacity",
                                                        "T3": "no_capacity"})
    html = fd.render_report(problem, plan)
    tip = re.search(r'class="seg service" data-ticket="T2" data-tech="B" data-tip="([^"]+)"',
                    html)
    assert tip is not None
    text = tip.group(1)
    # B leaves (10, 0) at 8:00; T2 at (5, 5) is 7.07 km away at 60 km/h: arrives 08:07
    assert "T2 · P3 repair" in text and "technician B" in text
    assert "window 13:00-15:00 (hard)" in text
    assert "ETA 08:07 · service 13:00–14:00" in text
    assert "SLA slack: no SLA deadline" in text
    assert "waits" in text


def test_timeline_draws_travel_waiting_service_and_breaks(tiny):
    """The timeline has a travel, waiting and service block per visit, the way home, and the
    break the evaluator placed."""
    problem = fd.compile_scenario(tiny)
    plan = fd.Plan.from_ids(problem, {"B#0": ["T2"]}, {"T1": "no_capacity",
                                                        "T3": "no_capacity"})
    evaluation = fd.evaluate(problem, plan)
    html = fd.render_report(problem, plan, evaluation)
    row = re.search(r'<g class="row" data-tech="B">(.*?)</g>', html, re.S)
    assert row is not None
    body = row.group(1)
    assert body.count('class="seg travel"') == 2  # to T2 and home
    assert body.count('class="seg wait"') == 1
    assert body.count('class="seg service') == 1
    sched = fd.to_schedule(problem, plan, evaluation)
    assert len(sched.breaks) == 1
    assert body.count('class="seg brk"') == 1
    start = sched.breaks[0].start.strftime("%H:%M")
    assert f"<title>break {start}" in body


def test_report_handles_empty_assignment_and_infeasible_plans(tiny):
    """An empty plan, an assignment-only plan and an infeasible plan all render; violations
    are listed."""
    problem = fd.compile_scenario(tiny)
    empty = fd.render_report(problem, fd.Plan.empty(problem))
    assert "3 unassigned" in empty
    assignment = fd.solve(problem, solver="greedy", mode="assignment")
    html = fd.render_report(assignment)
    assert "Assignment-only plan" in html and "spoke" in html
    bad = fd.Plan.from_ids(problem, {"A#0": ["T2"]}, {"T1": "open", "T3": "open"})
    html = fd.render_report(problem, bad)
    assert 'id="violations"' in html and "[skill]" in html


def test_report_escapes_ids():
    """Ids are HTML-escaped everywhere (a ticket id cannot inject markup)."""
    from datetime import UTC, datetime, timedelta

    day = datetime(2026, 3, 2, tzinfo=UTC)
    tech = fd.Technician('<b>"x"</b>', fd.Location.planar(0, 0),
                         [fd.Shift(day + timedelta(hours=8), day + timedelta(hours=16))])
    ticket = fd.Ticket("<script>alert(1)</script>", fd.Location.planar(1, 1), 600)
    s = fd.Scenario(fd.Horizon(day, day + timedelta(days=1)), [tech], [ticket],
                    name="a & b")
    html = fd.render_report(fd.solve(s))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html.replace("<b>greedy</b>", "")
    assert "a &amp; b" in html


def test_save_report_writes_a_file_and_reports_bad_paths(tiny, tmp_path):
    """save_report writes UTF-8 HTML; an unwritable path is a ValidationError."""
    result = fd.solve(tiny)
    out = fd.save_report(result, path=tmp_path / "day.html", title="Monday")
    assert out.read_text(encoding="utf-8").count("<title>Monday</title>") == 1
    with pytest.raises(fd.ValidationError, match="cannot write"):
        fd.save_report(result, path=tmp_path / "missing" / "day.html")


# ------------------------------------------------------------------ CLI
def test_cli_report_writes_html_and_csv(tiny, tmp_path, capsys):
    """``fsdispatch report SCENARIO PLAN --html F --csv DIR`` writes the report and tables."""
    scenario = tmp_path / "s.json"
    fd.save_scenario(tiny, scenario)
    plan = tmp_path / "p.json"
    result = fd.solve(tiny)
    fd.save_plan(result.problem, result.plan, plan)
    code = main(["report", str(scenario), str(plan), "--html", str(tmp_path / "day.html"),
                 "--csv", str(tmp_path / "tables")])
    assert code == 0
    assert "T1" in (tmp_path / "day.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "kpis.csv", "technicians.csv", "unassigned.csv", "visits.csv"]
    assert "report written" in capsys.readouterr().out


@pytest.mark.parametrize("args, needle", [
    (["--html", "{tmp}/x.html", "--plan-missing"], "cannot read"),
    ([], "nothing to write"),
    (["--html", "{tmp}/no/such/dir/x.html"], "cannot write"),
])
def test_cli_report_errors_are_one_line_and_exit_2(tiny, tmp_path, capsys, args, needle):
    """Missing input, no output option and an unwritable path: one line on stderr, exit 2."""
    scenario = tmp_path / "s.json"
    fd.save_scenario(tiny, scenario)
    plan = tmp_path / "p.json"
    result = fd.solve(tiny)
    fd.save_plan(result.problem, result.plan, plan)
    argv = ["report", str(scenario), str(plan)]
    for a in args:
        if a == "--plan-missing":
            argv[2] = str(tmp_path / "absent.json")
        else:
            argv.append(a.format(tmp=tmp_path))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_cli_import_converts_csv_to_scenario_json(tmp_path, capsys):
    """``fsdispatch import`` turns the CSV templates into a scenario JSON; a bad cell is one
    line on stderr naming file, row and column, exit 2."""
    pytest.importorskip("pandas")
    ex = ROOT / "examples"
    out = tmp_path / "day.json"
    code = main(["import", str(ex / "tickets.csv"), str(ex / "technicians.csv"), "--parts",
                 str(ex / "parts.csv"), "--date", "2026-01-05", "--timezone", "Europe/Berlin",
                 "--out", str(out)])
    assert code == 0
    scenario = fd.load_scenario(out)
    assert scenario.num_tickets == 9 and scenario.name == "tickets"
    assert json.loads(out.read_text())["horizon"]["start"] == "2026-01-05T00:00:00+01:00"
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("ticket_id,x,y,duration_min\nA,1,0,ten\n")
    techs = tmp_path / "t.csv"
    techs.write_text("technician_id,x,y,shift_start,shift_end\nt1,0,0,08:00,17:00\n")
    assert main(["import", str(bad), str(techs), "--date", "2026-01-05"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}, row 2, column 'duration_min'" in err[0]


# ------------------------------------------------------------------ real browser
def _browser_paths() -> tuple[str, str] | None:
    browser = os.environ.get("FSDISPATCH_CHROMIUM") or next(
        (p for name in ("chromium", "chromium-browser", "google-chrome")
         if (p := shutil.which(name))), None)
    driver = os.environ.get("FSDISPATCH_CHROMEDRIVER") or shutil.which("chromedriver")
    if browser is None or driver is None:
        return None
    return browser, driver


def test_report_in_headless_chromium(city_result, tmp_path):
    """End to end in a real headless Chromium: every technician and every ticket is on the
    page, hovering a visit shows its tooltip (ticket, ETA, SLA slack), no script error, no
    network request; a full-page screenshot is saved to artifacts/report.png."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    paths = _browser_paths()
    if paths is None:
        pytest.skip("no Chromium and chromedriver found (apt-get install chromium "
                    "chromium-driver, or set FSDISPATCH_CHROMIUM / FSDISPATCH_CHROMEDRIVER)")
    browser, driver_path = paths
    page = fd.save_report(city_result, path=tmp_path / "day.html")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1250,1000", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        driver.set_page_load_timeout(30)
        driver.get(page.resolve().as_uri())
        problem, plan = city_result.problem, city_result.plan
        assert driver.title.startswith("Dispatch")
        # every technician: a visible row in the technicians table
        shown = {el.text for el in driver.find_elements(By.CSS_SELECTOR,
                                                        "#technician-table .tech-id")}
        assert shown == set(problem.index.technician_ids)
        # every ticket: a visible chip (assigned) or a row of the unassigned table
        chips = {el.get_attribute("data-ticket") for el in
                 driver.find_elements(By.CSS_SELECTOR, "#technician-table .chip")
                 if el.is_displayed()}
        unassigned = {el.text for el in
                      driver.find_elements(By.CSS_SELECTOR, "#unassigned-table .ticket-id")
                      if el.is_displayed()}
        assert chips | unassigned == set(problem.index.ticket_ids)
        assert len(unassigned) == len(plan.unassigned)
        # the map and the timeline are rendered with a real size
        for svg_id in ("map-svg", "gantt-svg"):
            box = driver.find_element(By.ID, svg_id).rect
            assert box["width"] > 300 and box["height"] > 150
        # hovering a visit on the timeline shows its tooltip and highlights it everywhere
        target = driver.find_elements(By.CSS_SELECTOR, "#gantt-svg rect.service")[0]
        ticket_id = target.get_attribute("data-ticket")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
        ActionChains(driver).move_to_element(target).perform()
        tooltip = driver.find_element(By.ID, "tooltip")
        assert tooltip.is_displayed()
        assert ticket_id in tooltip.text and "ETA" in tooltip.text and "SLA" in tooltip.text
        lit = driver.find_elements(By.CSS_SELECTOR, f'.hl[data-ticket="{ticket_id}"]')
        assert len(lit) >= 3  # map marker, timeline block, chip
        # offline: nothing fetched, no script error
        assert driver.execute_script(
            "return performance.getEntriesByType('resource').length") == 0
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        # full-page screenshot as a test artifact
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1250, min(int(height) + 120, 8000))
        driver.execute_script("window.scrollTo(0, 0)")
        ActionChains(driver).move_to_element(target).perform()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "report.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()
