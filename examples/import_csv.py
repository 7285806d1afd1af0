"""From a service desk's CSV export to a dispatched day, a report and tables.

    python examples/import_csv.py

Reads the templates ``examples/tickets.csv``, ``technicians.csv`` and
``parts.csv`` (one row per ticket / technician / part; the columns are listed
in the docs' how-to "Import from Excel or CSV"), solves the day, writes the
HTML report and the result tables (visits, technicians, unassigned with
reasons, KPIs) as CSV into ``artifacts/import_csv/``.
"""

from __future__ import annotations

from pathlib import Path

import fsdispatch as fd
from fsdispatch.io.tabular import plan_to_frames, read_scenario_csv

HERE = Path(__file__).parent


def main(out_dir: Path = Path("artifacts") / "import_csv") -> fd.SolveResult:
    """Import the CSV templates, solve, and write ``day.html`` and the CSV tables."""
    scenario = read_scenario_csv(HERE / "tickets.csv", HERE / "technicians.csv",
                                 parts=HERE / "parts.csv", date="2026-01-05",
                                 timezone="Europe/Berlin", name="csv template day")
    result = fd.solve(scenario, solver="greedy", seed=0)
    frames = plan_to_frames(result)
    print(frames.visits[["technician_id", "ticket_id", "start", "end", "sla_slack_min"]]
          .to_string(index=False))
    print(frames.unassigned[["ticket_id", "reason", "explanation"]].to_string(index=False))
    out_dir.mkdir(parents=True, exist_ok=True)
    frames.to_csv(out_dir)
    fd.save_report(result, path=out_dir / "day.html")
    print(f"\nreport and tables written to {out_dir}/")
    return result


if __name__ == "__main__":
    main()
