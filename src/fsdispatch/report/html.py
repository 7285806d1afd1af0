"""The dispatch report: one self-contained HTML file of a plan (map, timeline, KPIs, reasons).

Everything is inline (SVG, CSS and a little JavaScript): the file works offline
and loads nothing from the network. Hovering a visit (on the map, the timeline
or the route list) shows its ticket, technician, window, ETA and SLA slack,
and highlights the same visit everywhere.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._day import (
    DayModel,
    RouteDay,
    VisitDay,
    build_day,
    project,
    resolve_inputs,
    technician_colours,
    window_text,
)
from ..problem.reasons import REASON_TEXT
from ..units import HOUR, MINUTE

if TYPE_CHECKING:
    from ..evaluate.evaluation import Evaluation
    from ..plan import Plan

__all__ = ["render_report", "save_report"]

_MAP_W, _MAP_H, _PAD = 900.0, 560.0, 24.0
_LABEL_W, _PLOT_W, _ROW_H, _AXIS_H = 120.0, 980.0, 22.0, 26.0


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _minutes(seconds: float) -> str:
    return f"{seconds / MINUTE:,.0f} min"


class _Fmt:
    """Local time formatting in the horizon's timezone."""

    def __init__(self, day: DayModel) -> None:
        horizon = day.problem.scenario.horizon
        self.start = horizon.start
        self.multi_day = horizon.length > 26 * HOUR

    def dt(self, seconds: int) -> datetime:
        return self.start + timedelta(seconds=int(seconds))

    def time(self, seconds: int) -> str:
        return self.dt(seconds).strftime("%a %H:%M" if self.multi_day else "%H:%M")


def _slack_text(v: VisitDay) -> str:
    if v.slack is None:
        return "no SLA deadline"
    if v.slack < 0:
        return f"SLA late by {-v.slack / MINUTE:.0f} min"
    return f"{v.slack / MINUTE:.0f} min to the SLA deadline"


def _visit_tip(day: DayModel, fmt: _Fmt, route: RouteDay, v: VisitDay) -> str:
    ticket = day.problem.scenario.tickets[v.ticket_idx]
    windows = window_text(day.problem, v.ticket_idx, "%a %H:%M" if fmt.multi_day else "%H:%M")
    lines = [
        f"{v.ticket_id} · {ticket.priority.name} {ticket.category}",
        f"technician {route.technician_id} (shift {route.shift}), visit {v.position + 1}",
        f"window {windows.replace(';', ', ') or 'any time'} ({ticket.window_kind})",
        f"ETA {fmt.time(v.arrival)} · service {fmt.time(v.start)}–{fmt.time(v.end)}",
        f"SLA slack: {_slack_text(v)}",
    ]
    if v.wait:
        lines.append(f"waits {_minutes(v.wait)}")
    if v.window_late:
        lines.append(f"window late {_minutes(v.window_late)}")
    return "\n".join(lines)


def _unassigned_tip(day: DayModel, j: int, reason: str) -> str:
    ticket = day.problem.scenario.tickets[j]
    windows = window_text(day.problem, j)
    return "\n".join([f"{ticket.id} · {ticket.priority.name} {ticket.category} · UNASSIGNED",
                      f"reason: {reason} — {REASON_TEXT.get(reason, reason)}",
                      f"window {windows.replace(';', ', ') or 'any time'}"])


# ------------------------------------------------------------------------ map
def _map_svg(day: DayModel, colours: dict[str, str], fmt: _Fmt) -> str:
    scenario = day.problem.scenario
    tickets = scenario.tickets
    depots = []
    for route in day.routes:
        depots += [route.start_location, route.end_location]
    locations = [t.location for t in tickets] + depots
    if not locations:
        return '<p class="note">No locations to draw.</p>'
    if len({(loc.x, loc.y) for loc in locations}) <= 1 and all(loc.id for loc in locations):
        return ('<p class="note">The locations have no coordinates (travel comes from a '
                'matrix): no map.</p>')
    xy = project(locations)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = max(float((hi - lo).max()), 1e-9)
    scale = min((_MAP_W - 2 * _PAD) / max(float(hi[0] - lo[0]), span * 1e-3),
                (_MAP_H - 2 * _PAD) / max(float(hi[1] - lo[1]), span * 1e-3))
    width = (hi[0] - lo[0]) * scale + 2 * _PAD
    height = (hi[1] - lo[1]) * scale + 2 * _PAD

    def pt(k: int) -> tuple[float, float]:
        return (round(float((xy[k, 0] - lo[0]) * scale + _PAD), 1),
                round(float(height - ((xy[k, 1] - lo[1]) * scale + _PAD)), 1))

    n = len(tickets)
    depot_pt = {}
    for k, route in enumerate(day.routes):
        depot_pt[route.route] = (pt(n + 2 * k), pt(n + 2 * k + 1))
    out = [f'<svg id="map-svg" class="map" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" role="img" '
           f'aria-label="map of the routes">']
    out.append('<g class="routes">')
    for route in day.routes:
        if not route.visits:
            continue
        colour = colours[route.technician_id]
        start, end = depot_pt[route.route]
        if day.assignment_mode:
            for v in route.visits:
                x, y = pt(v.ticket_idx)
                out.append(f'<line class="route spoke" data-tech="{_e(route.technician_id)}" '
                           f'x1="{start[0]}" y1="{start[1]}" x2="{x}" y2="{y}" '
                           f'stroke="{colour}"/>')
            continue
        points = [start] + [pt(v.ticket_idx) for v in route.visits] + [end]
        coords = " ".join(f"{x},{y}" for x, y in points)
        out.append(f'<polyline class="route" data-tech="{_e(route.technician_id)}" '
                   f'points="{coords}" stroke="{colour}"><title>{_e(route.label)}: '
                   f'{len(route.visits)} visits</title></polyline>')
    out.append('</g><g class="depots">')
    seen = set()
    for route in day.routes:
        start, _end = depot_pt[route.route]
        if (route.technician_id, start) in seen:
            continue
        seen.add((route.technician_id, start))
        colour = colours[route.technician_id]
        out.append(f'<rect class="depot" data-tech="{_e(route.technician_id)}" '
                   f'x="{start[0] - 5}" y="{start[1] - 5}" width="10" height="10" '
                   f'fill="{colour}"><title>{_e(route.technician_id)} start</title></rect>')
    out.append('</g><g class="visits">')
    for route in day.routes:
        colour = colours[route.technician_id]
        for v in route.visits:
            x, y = pt(v.ticket_idx)
            tip = _visit_tip(day, fmt, route, v)
            late = " late" if (v.slack is not None and v.slack < 0) or v.window_late else ""
            out.append(f'<circle class="visit{late}" data-ticket="{_e(v.ticket_id)}" '
                       f'data-tech="{_e(route.technician_id)}" data-tip="{_e(tip)}" '
                       f'cx="{x}" cy="{y}" r="5" fill="{colour}"><title>{_e(tip)}</title>'
                       f'</circle>')
    for j, reason in day.unassigned:
        x, y = pt(j)
        tip = _unassigned_tip(day, j, reason)
        out.append(f'<g class="unassigned-marker" data-ticket="{_e(tickets[j].id)}" '
                   f'data-tip="{_e(tip)}"><title>{_e(tip)}</title>'
                   f'<circle cx="{x}" cy="{y}" r="6" class="hit"/>'
                   f'<path d="M{x - 4},{y - 4}L{x + 4},{y + 4}M{x - 4},{y + 4}L{x + 4},{y - 4}"/>'
                   f'</g>')
    out.append("</g></svg>")
    return "".join(out)


# ------------------------------------------------------------------------ timeline
def _gantt_svg(day: DayModel, colours: dict[str, str], fmt: _Fmt) -> str:
    routes = list(day.routes)
    if not routes:
        return '<p class="note">No technician shifts.</p>'
    lo = min(r.open for r in routes)
    hi = max(max(r.max_close, r.home_arrival or r.close) for r in routes)
    for r in routes:
        for v in r.visits:
            lo = min(lo, v.depart)
            hi = max(hi, v.end)
    lo = (lo // HOUR) * HOUR
    hi = -(-hi // HOUR) * HOUR
    span = max(hi - lo, HOUR)

    def x(t: int) -> float:
        return round(_LABEL_W + (t - lo) / span * _PLOT_W, 1)

    height = _AXIS_H + _ROW_H * len(routes) + 8
    width = _LABEL_W + _PLOT_W + 10
    out = [f'<svg id="gantt-svg" class="gantt" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" role="img" '
           f'aria-label="timeline of each technician\'s day">']
    step = HOUR if span <= 30 * HOUR else 6 * HOUR
    out.append('<g class="axis">')
    for t in range(lo, hi + 1, step):
        out.append(f'<line x1="{x(t)}" y1="{_AXIS_H - 4}" x2="{x(t)}" y2="{height}"/>'
                   f'<text x="{x(t)}" y="{_AXIS_H - 9}">{_e(fmt.time(t))}</text>')
    out.append("</g>")
    one_shift = len({r.technician_id for r in routes}) == len(routes)
    for row, route in enumerate(routes):
        y = _AXIS_H + row * _ROW_H
        colour = colours[route.technician_id]
        label = route.technician_id if one_shift else route.label
        out.append(f'<g class="row" data-tech="{_e(route.technician_id)}">')
        out.append(f'<text class="label" x="{_LABEL_W - 8}" y="{y + _ROW_H * 0.68:.1f}">'
                   f'{_e(label)}</text>')
        out.append(f'<rect class="shift" x="{x(route.open)}" y="{y + 3}" '
                   f'width="{x(route.close) - x(route.open):.1f}" height="{_ROW_H - 6}">'
                   f'<title>{_e(route.label)} shift {_e(fmt.time(route.open))}–'
                   f'{_e(fmt.time(route.close))}</title></rect>')
        if route.max_close > route.close:
            out.append(f'<rect class="overtime" x="{x(route.close)}" y="{y + 3}" '
                       f'width="{x(route.max_close) - x(route.close):.1f}" '
                       f'height="{_ROW_H - 6}"/>')
        segy, segh = y + 5, _ROW_H - 10
        for v in route.visits:
            if v.travel and not day.assignment_mode:
                out.append(f'<rect class="seg travel" x="{x(v.depart)}" y="{segy}" '
                           f'width="{max(x(v.arrival) - x(v.depart), 0.5):.1f}" '
                           f'height="{segh}" fill="{colour}"><title>travel to {_e(v.ticket_id)}'
                           f' {_e(_minutes(v.travel))}</title></rect>')
            if v.start > v.arrival and not day.assignment_mode:
                out.append(f'<rect class="seg wait" x="{x(v.arrival)}" y="{segy}" '
                           f'width="{x(v.start) - x(v.arrival):.1f}" height="{segh}">'
                           f'<title>waiting for {_e(v.ticket_id)} '
                           f'{_e(_minutes(v.start - v.arrival))}</title></rect>')
            tip = _visit_tip(day, fmt, route, v)
            late = " late" if (v.slack is not None and v.slack < 0) or v.window_late else ""
            out.append(f'<rect class="seg service{late}" data-ticket="{_e(v.ticket_id)}" '
                       f'data-tech="{_e(route.technician_id)}" data-tip="{_e(tip)}" '
                       f'x="{x(v.start)}" y="{y + 3}" '
                       f'width="{max(x(v.end) - x(v.start), 1.0):.1f}" height="{_ROW_H - 6}" '
                       f'fill="{colour}"><title>{_e(tip)}</title></rect>')
        if route.home_depart is not None and route.home_arrival is not None and \
                route.home_travel and not day.assignment_mode:
            out.append(f'<rect class="seg travel" x="{x(route.home_depart)}" y="{segy}" '
                       f'width="{max(x(route.home_arrival) - x(route.home_depart), 0.5):.1f}" '
                       f'height="{segh}" fill="{colour}"><title>travel home '
                       f'{_e(_minutes(route.home_travel))}</title></rect>')
        for bs, be in route.breaks:
            out.append(f'<rect class="seg brk" x="{x(bs)}" y="{segy}" '
                       f'width="{x(be) - x(bs):.1f}" height="{segh}"><title>break '
                       f'{_e(fmt.time(bs))}–{_e(fmt.time(be))}</title></rect>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------------ tables
def _kpi_table(day: DayModel) -> str:
    ev = day.evaluation
    k = ev.kpis
    p = day.problem
    rows = [
        ("objective", f"{ev.objective:,.1f}", "the scalar every backend minimises"),
        ("feasible", "yes" if ev.is_feasible else f"NO — {len(ev.violations)} violation(s)",
         "no hard rule is broken"),
        ("assigned", f"{k.assigned} / {k.num_tickets}", "routed tickets"),
        ("by priority", "  ".join(f"{prio} {a}/{t}" for prio, (a, t)
                                  in k.assigned_by_priority.items() if t), "served / total"),
        ("SLA attainment", f"{k.sla_attainment_pct:.1f} % ({k.sla_met}/{k.sla_tickets})",
         "tickets with a deadline served without SLA lateness"),
        ("lateness total / max", f"{k.total_lateness_min:,.0f} / {k.max_lateness_min:,.0f} min",
         "SLA + soft-window lateness"),
        ("travel", f"{k.travel_time_min:,.0f} min, {k.distance_km:,.1f} km",
         "including the legs from the start and back"),
        ("service / work", f"{k.service_min:,.0f} / {k.work_min:,.0f} min", "work = travel + "
         "service"),
        ("idle", f"{k.idle_min:,.0f} min", "shift length − work − breaks"),
        ("utilisation", f"{k.utilisation_pct:.1f} %", "work / shift length"),
        ("overtime", f"{k.overtime_min:,.0f} min", "return after shift end"),
        ("load spread / std", f"{k.load_spread_min:,.0f} / {k.load_std_min:,.0f} min",
         "workload over technicians"),
        ("preferred technician", f"{k.preferred_hits} / {k.preferred_requests}",
         "served by a preferred technician"),
        ("labour cost", f"{k.labour_cost:,.2f}", "Σ cost per hour × work hours"),
        ("travel / parts cost", f"{k.travel_cost:,.2f} / {k.parts_cost:,.2f}",
         "cost rates × km and driving hours / Σ unit cost × parts used"),
        ("cost per ticket", f"{k.cost_per_ticket:,.2f}",
         "(labour + travel + parts) / tickets served"),
        ("on-time arrival", f"{k.on_time_pct:.1f} % ({k.on_time_tickets}/"
         f"{k.appointment_tickets})", "served in their appointment window"),
        ("routes used", f"{k.routes_used} / {p.num_routes}", "shifts with at least one visit"),
    ]
    body = "".join(f'<tr><th scope="row">{_e(a)}</th><td>{_e(b)}</td><td class="why">{_e(c)}'
                   f'</td></tr>' for a, b, c in rows)
    return f'<table id="kpi-table" class="kpis"><tbody>{body}</tbody></table>'


def _technician_table(day: DayModel, colours: dict[str, str], fmt: _Fmt) -> str:
    tk = {t.technician_id: t for t in day.evaluation.technicians}
    head = ("<tr><th>technician</th><th>shift</th><th>visits (service start)</th>"
            "<th>back</th><th>travel</th><th>work</th><th>utilisation</th><th>overtime</th>"
            "<th>cost</th></tr>")
    rows = []
    for route in day.routes:
        t = tk.get(route.technician_id)
        chips = "".join(
            f'<span class="chip" data-ticket="{_e(v.ticket_id)}" '
            f'data-tech="{_e(route.technician_id)}" '
            f'data-tip="{_e(_visit_tip(day, fmt, route, v))}">'
            f'{_e(fmt.time(v.start))} {_e(v.ticket_id)}</span>' for v in route.visits)
        back = fmt.time(route.home_arrival) if route.home_arrival is not None else "—"
        first = route.shift == 0 or t is None
        rows.append(
            f'<tr class="tech-row" data-tech="{_e(route.technician_id)}">'
            f'<td><span class="swatch" style="background:{colours[route.technician_id]}">'
            f'</span><span class="tech-id">{_e(route.technician_id)}</span></td>'
            f'<td>{route.shift} · {_e(fmt.time(route.open))}–{_e(fmt.time(route.close))}</td>'
            f'<td class="chips">{chips or "<em>no visits</em>"}</td><td>{_e(back)}</td>'
            + (f'<td>{t.travel_min:,.0f} min</td><td>{t.work_min:,.0f} min</td>'
               f'<td>{t.utilisation_pct:.0f} %</td><td>{t.overtime_min:,.0f} min</td>'
               f'<td>{t.labour_cost + t.travel_cost + t.parts_cost:,.2f}</td>'
               if first and t is not None else '<td colspan="5" class="why">(see shift 0)</td>')
            + "</tr>")
    return f'<table id="technician-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody>' \
           f'</table>'


def _on_time(g: Any) -> str:
    """A group's on-time arrival: share and counts."""
    return f"{g.on_time_pct:.1f} % ({g.on_time_tickets}/{g.appointment_tickets})"


def _table(table_id: str, heads: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """An HTML table (cells already escaped or numbers)."""
    head = "".join(f"<th>{h}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _groups(day: DayModel) -> str:
    """The per-team and per-territory KPIs, when the scenario names teams or territories."""
    k = day.evaluation.kpis
    parts = []
    if set(k.by_team) - {""}:
        parts.append(_table("team-table", (
            "team", "technicians", "tickets", "travel", "work", "utilisation", "overtime",
            "total cost", "cost per ticket", "on-time arrival"), [(
                _e(t.team or "(no team)"), t.technicians, t.tickets,
                f"{t.travel_min:,.0f} min", f"{t.work_min:,.0f} min",
                f"{t.utilisation_pct:.0f} %", f"{t.overtime_min:,.0f} min",
                f"{t.total_cost:,.2f}", f"{t.cost_per_ticket:,.2f}", _on_time(t))
            for t in k.by_team.values()]))
    if set(k.by_territory) - {""}:
        parts.append(_table("territory-table", (
            "territory", "tickets", "assigned", "out of territory", "service",
            "on-time arrival"), [(
                _e(z.territory or "(no territory)"), z.tickets, z.assigned,
                z.out_of_territory, f"{z.service_min:,.0f} min", _on_time(z))
            for z in k.by_territory.values()]))
    if not parts:
        return ""
    return f'<section id="groups"><h2>Teams and territories</h2>{"".join(parts)}</section>'


def _unassigned_table(day: DayModel) -> str:
    if not day.unassigned:
        return '<p class="note" id="unassigned-none">Every ticket is assigned.</p>'
    tickets = day.problem.scenario.tickets
    counts: dict[str, int] = {}
    for _j, reason in day.unassigned:
        counts[reason] = counts.get(reason, 0) + 1
    summary = ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))
    head = ("<tr><th>ticket</th><th>priority</th><th>category</th><th>skills</th>"
            "<th>window</th><th>reason</th><th>what it means</th></tr>")
    rows = []
    for j, reason in day.unassigned:
        t = tickets[j]
        skills = ";".join(f"{s}:{lvl}" for s, lvl in t.required_skills.items())
        rows.append(f'<tr class="unassigned-row" data-ticket="{_e(t.id)}" '
                    f'data-tip="{_e(_unassigned_tip(day, j, reason))}">'
                    f'<td class="ticket-id">{_e(t.id)}</td><td>{_e(t.priority.name)}</td>'
                    f'<td>{_e(t.category)}</td><td>{_e(skills)}</td>'
                    f'<td>{_e(window_text(day.problem, j) or "any time")}</td>'
                    f'<td><code>{_e(reason)}</code></td>'
                    f'<td class="why">{_e(REASON_TEXT.get(reason, reason))}</td></tr>')
    return (f'<p>{len(day.unassigned)} unassigned: {_e(summary)}.</p>'
            f'<table id="unassigned-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody>'
            f'</table>')


def _violations(day: DayModel) -> str:
    vs = day.evaluation.violations
    if not vs:
        return ""
    items = "".join(f"<li>{_e(str(v))}</li>" for v in vs[:200])
    more = f"<li>… {len(vs) - 200} more</li>" if len(vs) > 200 else ""
    return (f'<section id="violations"><h2>Violations ({len(vs)})</h2>'
            f'<ul class="violations">{items}{more}</ul></section>')


def _legend(day: DayModel, colours: dict[str, str]) -> str:
    seen = dict.fromkeys(r.technician_id for r in day.routes)
    items = "".join(f'<span class="legend-item" data-tech="{_e(t)}"><span class="swatch" '
                    f'style="background:{colours[t]}"></span>{_e(t)}</span>' for t in seen)
    keys = ('<span class="key"><span class="k service"></span>service</span>'
            '<span class="key"><span class="k travel"></span>travel</span>'
            '<span class="key"><span class="k wait"></span>waiting</span>'
            '<span class="key"><span class="k brk"></span>break</span>'
            '<span class="key"><span class="k late"></span>late (SLA or window)</span>'
            '<span class="key"><span class="k unassigned">×</span>unassigned</span>')
    return f'<div class="legend" id="legend">{items}</div><div class="keys">{keys}</div>'


_CSS = """
:root{--fg:#1d2330;--muted:#667085;--line:#d9dee7;--bg:#fff;--soft:#f4f6f9}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
 background:var(--bg);margin:0 auto;max-width:1160px;padding:16px 20px 60px}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:28px 0 8px;
 border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 6px}
nav a{margin-right:14px;color:#2457c5;text-decoration:none}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600}
table.kpis{width:auto}table.kpis th{font-weight:500;padding-right:24px}
.why,.note{color:var(--muted)}.note{font-style:italic}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;
 vertical-align:-1px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0}
.legend-item{cursor:default;white-space:nowrap}
.keys{display:flex;flex-wrap:wrap;gap:4px 16px;color:var(--muted);margin:4px 0 8px}
.k{display:inline-block;width:18px;height:10px;margin-right:5px;vertical-align:0;
 border-radius:2px}
.k.service{background:#4869c7}.k.travel{background:#4869c7;opacity:.35}
.k.wait{background:repeating-linear-gradient(45deg,#cfd5df 0 3px,#fff 3px 6px)}
.k.brk{background:#3b3f46}.k.late{background:#fff;outline:2px solid #d92d20}
.k.unassigned{color:#d92d20;font-weight:700;width:auto;height:auto}
.figure{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:#fbfcfd}
svg{display:block}
svg.map .route{fill:none;stroke-width:2;stroke-opacity:.75}
svg.map .route.spoke{stroke-dasharray:4 3}
svg.map .visit{stroke:#fff;stroke-width:1.2;cursor:pointer}
svg.map .visit.late{stroke:#d92d20;stroke-width:2}
svg.map .depot{stroke:#fff;stroke-width:1}
svg.map .unassigned-marker path{stroke:#d92d20;stroke-width:2.2}
svg.map .unassigned-marker .hit{fill:transparent;cursor:pointer}
svg.gantt .axis line{stroke:#e3e7ee}svg.gantt .axis text{font-size:11px;fill:var(--muted);
 text-anchor:middle}
svg.gantt .label{font-size:12px;text-anchor:end;fill:var(--fg)}
svg.gantt .shift{fill:#eef1f5}svg.gantt .overtime{fill:#f8eaea}
svg.gantt .travel{opacity:.35}svg.gantt .wait{fill:url(#hatch)}
svg.gantt .brk{fill:#3b3f46}
svg.gantt .service{stroke:#fff;stroke-width:.6;cursor:pointer}
svg.gantt .service.late{stroke:#d92d20;stroke-width:1.6}
.chips{line-height:1.9}
.chip{display:inline-block;padding:0 6px;margin:0 3px 2px 0;border:1px solid var(--line);
 border-radius:10px;font-size:12px;white-space:nowrap;cursor:default}
.unassigned-row:hover,.chip:hover{background:#fff7d6}
.hl{outline:2px solid #f5b400!important;background:#fff7d6}
svg .hl{stroke:#f5b400!important;stroke-width:3!important}
.dim{opacity:.12}
#tooltip{position:fixed;z-index:10;pointer-events:none;background:#1d2330;color:#fff;
 padding:7px 9px;border-radius:6px;font-size:12px;white-space:pre-line;max-width:360px;
 box-shadow:0 4px 14px rgba(0,0,0,.25)}
ul.violations{color:#b42318}
@media print{nav,#tooltip{display:none}}
"""

_JS = """
(function(){
  var tip=document.getElementById('tooltip');
  function all(sel){return Array.prototype.slice.call(document.querySelectorAll(sel));}
  function esc(s){return window.CSS&&CSS.escape?CSS.escape(s):s.replace(/"/g,'\\\\"');}
  function mark(ticket,on){
    all('[data-ticket="'+esc(ticket)+'"]').forEach(function(el){
      el.classList.toggle('hl',on);});
  }
  all('[data-tip]').forEach(function(el){
    el.addEventListener('mouseenter',function(){
      tip.textContent=el.getAttribute('data-tip');tip.hidden=false;
      var t=el.getAttribute('data-ticket'); if(t){mark(t,true);}
    });
    el.addEventListener('mousemove',function(ev){
      var x=ev.clientX+14,y=ev.clientY+14,w=tip.offsetWidth,h=tip.offsetHeight;
      if(x+w>window.innerWidth-8){x=ev.clientX-w-14;}
      if(y+h>window.innerHeight-8){y=ev.clientY-h-14;}
      tip.style.left=x+'px';tip.style.top=y+'px';
    });
    el.addEventListener('mouseleave',function(){
      tip.hidden=true; var t=el.getAttribute('data-ticket'); if(t){mark(t,false);}
    });
  });
  all('.legend-item,.tech-row').forEach(function(el){
    var tech=el.getAttribute('data-tech');
    el.addEventListener('mouseenter',function(){
      all('svg [data-tech]').forEach(function(o){
        if(o.getAttribute('data-tech')!==tech){o.classList.add('dim');}});
    });
    el.addEventListener('mouseleave',function(){
      all('svg .dim').forEach(function(o){o.classList.remove('dim');});
    });
  });
})();
"""


def render_report(source: Any, plan: Plan | None = None, evaluation: Evaluation | None = None,
                  *, title: str | None = None) -> str:
    """The dispatch report of a plan as one self-contained HTML document.

    Parameters
    ----------
    source:
        A :class:`~fsdispatch.SolveResult`, or a :class:`~fsdispatch.Problem`
        (or :class:`~fsdispatch.Scenario`) together with ``plan``.
    plan:
        The plan to show (when ``source`` is not a result).
    evaluation:
        Its evaluation; computed with the shared evaluator when omitted.
    title:
        Page title; default ``"Dispatch — <scenario name>"``.

    Returns
    -------
    str
        HTML with inline SVG, CSS and JavaScript only (no network access):
        a map of the routes coloured by technician, a timeline of each
        technician's day (travel, service, waiting, breaks), the KPI table,
        each technician's visits and the unassigned tickets with their
        reasons. Hovering a visit shows its ticket, window, ETA and SLA slack.
    """
    problem, plan, evaluation, solver = resolve_inputs(source, plan, evaluation)
    day = build_day(problem, plan, evaluation, solver)
    fmt = _Fmt(day)
    scenario = problem.scenario
    tech_ids = list(dict.fromkeys(r.technician_id for r in day.routes))
    tech_ids += [t.id for t in scenario.technicians if t.id not in tech_ids]
    colours = dict(zip(tech_ids, technician_colours(len(tech_ids)), strict=True))
    name = scenario.name or "(unnamed scenario)"
    title = title or f"Dispatch — {name}"
    horizon = scenario.horizon
    when = horizon.start.strftime("%A %d %B %Y")
    if horizon.length > 26 * HOUR:
        when += " – " + (horizon.end - timedelta(seconds=1)).strftime("%A %d %B %Y")
    meta = [f"{_e(when)} ({_e(horizon.start.tzname() or horizon.start.strftime('%z'))})",
            f"{problem.num_technicians} technicians",
            f"{problem.num_tickets} tickets"]
    if solver:
        meta.append(f"solver <b>{_e(solver)}</b>")
    meta.append(f"objective {evaluation.objective:,.1f}")
    meta.append("feasible" if evaluation.is_feasible else
                f'<b class="bad">{len(evaluation.violations)} violation(s)</b>')
    mode_note = ('<p class="note">Assignment-only plan: no visit order; times are each '
                 "visit's serve-first estimate.</p>" if day.assignment_mode else "")
    hatch = ('<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
             '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
             '<rect width="3" height="6" fill="#cfd5df"/></pattern></defs></svg>')
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>", hatch,
        f'<header><h1 id="title">{_e(title)}</h1><p class="meta">{" · ".join(meta)}</p>'
        '<nav><a href="#kpis">KPIs</a><a href="#map">Map</a><a href="#timeline">Timeline</a>'
        '<a href="#technicians">Technicians</a><a href="#unassigned">Unassigned</a></nav>'
        "</header>", mode_note,
        f'<section id="kpis"><h2>KPIs</h2>{_kpi_table(day)}</section>',
        f'<section id="map"><h2>Routes</h2>{_legend(day, colours)}'
        f'<div class="figure">{_map_svg(day, colours, fmt)}</div></section>',
        f'<section id="timeline"><h2>Timeline</h2><div class="figure">'
        f"{_gantt_svg(day, colours, fmt)}</div></section>",
        f'<section id="technicians"><h2>Technicians</h2>'
        f"{_technician_table(day, colours, fmt)}</section>",
        f'<section id="unassigned"><h2>Unassigned tickets</h2>{_unassigned_table(day)}'
        "</section>",
        _groups(day),
        _violations(day),
        f'<footer class="note"><p>fsdispatch report · times in {_e(horizon.start.tzinfo)} · '
        "every figure from the shared evaluator</p></footer>",
        f'<div id="tooltip" role="tooltip" hidden></div><script>{_JS}</script>',
        "</body></html>",
    ]
    return "\n".join(parts)


def save_report(source: Any, plan: Plan | None = None, evaluation: Evaluation | None = None,
                *, path: str | Path, title: str | None = None) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path.

    Parameters
    ----------
    source, plan, evaluation, title:
        As in :func:`render_report`.
    path:
        The HTML file to write (its folder must exist).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from ..errors import ValidationError

    text = render_report(source, plan, evaluation, title=title)
    out = Path(path)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot write {str(out)!r}: {exc.strerror}", field="path",
                              value=str(out)) from None
    return out
