"""The dispatch report: one self-contained HTML file per plan that works offline.

``render_report(result)`` returns the HTML text and ``save_report(result,
path="day.html")`` writes it; the CLI's ``fsdispatch report SCENARIO.json
PLAN.json --html day.html`` does the same from files. The page holds a map of
the routes (SVG, coloured by technician), a timeline of each technician's day
(travel, service, waiting and breaks), the KPI table, each technician's visits
and the unassigned tickets with their reasons; hovering a visit shows its
ticket, window, ETA and SLA slack. No network, no CDN: inline SVG, CSS and
JavaScript only.
"""

from ..problem.reasons import REASON_TEXT
from .html import render_report, save_report

__all__ = ["REASON_TEXT", "render_report", "save_report"]
