"""Regenerate the staffing example's CSV files (deterministic; already checked in).

* ``team.csv`` — 10 technicians (the technicians CSV format of ``docs/formats.md``):
  homes, one day's shift and break, skills and levels, speed factor;
* ``ticket_history.csv`` — four weeks of tickets (``created_at``, place, category,
  priority, skills, tier, realised ``duration_min``), drawn from the simulator's
  default demand model; this stands in for an export of the user's ticket system.

    python examples/staffing/make_data.py
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fsdispatch.generate import generate_scenario
from fsdispatch.sim import DemandModel, ServiceModel, history_frame
from fsdispatch.sim.models import draw_arrivals

HERE = Path(__file__).resolve().parent
START = datetime(2025, 12, 1, tzinfo=UTC)  # a Monday, four weeks before the study


#: a mixed team: every skill of the history covered, HVAC (the busiest trade) by five
SKILLS = ("hvac:2;electrical:2", "hvac:2;gas:2", "plumbing:2;appliance:2", "hvac:2;solar:2",
          "electrical:2;appliance:2", "plumbing:2;gas:1", "hvac:2;plumbing:2",
          "electrical:2;solar:1", "hvac:1;appliance:2", "appliance:1;plumbing:1")


def team_rows() -> list[dict[str, object]]:
    """Ten generated technicians as technicians-CSV rows."""
    scenario = generate_scenario(10, 0, seed=11, days=1, start_date=START, center=(52.52, 13.40),
                                 radius_km=12, num_parts=0)
    rows = []
    for k, tech in enumerate(scenario.technicians, start=1):
        shift = tech.shifts[0]
        brk = shift.breaks[0] if shift.breaks else None
        rows.append({
            "technician_id": f"tech-{k:02d}",
            "lat": round(tech.start_location.lat, 5), "lon": round(tech.start_location.lon, 5),
            "shift_start": f"{shift.start:%H:%M}", "shift_end": f"{shift.end:%H:%M}",
            "break_window": "" if brk is None else
            f"{brk.window.start:%H:%M}-{brk.window.end:%H:%M}",
            "break_min": "" if brk is None else int(brk.duration // 60),
            "skills": SKILLS[k - 1],
            "service_factor": round(tech.service_factor, 2),
        })
    return rows


def main() -> None:
    """Write team.csv and ticket_history.csv next to this script."""
    import pandas as pd

    pd.DataFrame(team_rows()).to_csv(HERE / "team.csv", index=False)
    demand = DemandModel(tickets_per_day=38, radius_km=12, center=(52.52, 13.40))
    arrivals = draw_arrivals(demand, ServiceModel(), START, 28, np.random.default_rng(20),
                             np.random.default_rng(21))
    history_frame(arrivals).to_csv(HERE / "ticket_history.csv", index=False)


if __name__ == "__main__":
    main()
