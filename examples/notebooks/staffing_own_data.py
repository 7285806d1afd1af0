# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Staffing study on your own data
#
# *With our team and our tickets, how many technicians (and with which
# skills) do we need to hit our SLA targets, and what does each extra hire buy?*
#
# 1. load **your team** (technicians CSV: homes, shifts, skills) and **your
#    ticket history** (a CSV export: when each ticket came in, where, what,
#    how long the job took);
# 2. **fit** a demand model to the history (arrivals by weekday and hour,
#    category and priority mix, places, service times);
# 3. **sweep** nested staffing levels of your team — fewer technicians (the
#    least utilised go first) and more (clones of a named technician at a new
#    base) — over several seeds with common random numbers;
# 4. **compare** each level with today's team (paired differences with 95 %
#    intervals) and **answer**: the smallest team that meets the SLA target
#    with 95 % confidence, and what each hire buys.
#
# The data here (`examples/staffing/`) is synthetic (see `make_data.py`
# there); replace the two paths with your own files. This file is a jupytext
# percent script; `build.py` executes it into `staffing_own_data.ipynb`.
# Run size: the full study by default, `FSDISPATCH_NOTEBOOK_SIZE=small` for
# the CI smoke run.

# %%
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

import fsdispatch as fd
from fsdispatch.sim import extend_shifts

DATA = Path("..") / "staffing" if Path("..", "staffing").exists() else Path("examples/staffing")
SMALL = os.environ.get("FSDISPATCH_NOTEBOOK_SIZE", "full") == "small"
WORKERS = 1 if SMALL else int(os.environ.get("FSDISPATCH_NOTEBOOK_WORKERS", "1"))
params = {
    "days": 2 if SMALL else 10,  # simulated days (from a Monday)
    "seeds": 2 if SMALL else 6,  # replications per level
    "levels": [8, 10, 11] if SMALL else [6, 7, 8, 9, 10, 11, 12],
    "target": 0.90,  # SLA response attainment to reach ...
    "confidence": 0.95,  # ... with this confidence
    "workers": WORKERS,
}
params  # noqa: B018

# %% [markdown]
# ## 1. Your team and your ticket history
#
# The team is read with `read_scenario_csv` (the technicians CSV of
# `docs/formats.md`; `open_tickets.csv` is today's backlog, here empty) for
# one day, then `extend_shifts` repeats each technician's shift on every
# weekday of the study.

# %%
day_team = fd.read_scenario_csv(DATA / "open_tickets.csv", DATA / "team.csv", date="2026-01-05")
team = extend_shifts(day_team, params["days"])
pd.DataFrame([{"technician": t.id, "skills": dict(t.skills), "shift":
               f"{t.shifts[0].start:%H:%M}-{t.shifts[0].end:%H:%M}",
               "speed factor": t.service_factor} for t in team.technicians])

# %%
history = pd.read_csv(DATA / "ticket_history.csv")
print(f"{len(history)} tickets from {history.created_at.min()} to {history.created_at.max()}")
history.head()

# %% [markdown]
# ## 2. Fit the demand
#
# `fit_demand` estimates one Poisson arrival rate per weekday and hour, the
# category and priority shares, and a lognormal service time per category;
# simulated tickets take their place, skills and tier from a historical ticket
# of the same category.

# %%
demand = fd.fit_demand(history)

# %%
fig, ax = plt.subplots(figsize=(9, 2.8))
im = ax.imshow(demand.rates, aspect="auto", cmap="Blues")
ax.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
ax.set_xlabel("hour of day")
ax.set_title("fitted arrivals per hour")
fig.colorbar(im, ax=ax)
fig.tight_layout()

# %% [markdown]
# ## 3. Sweep nested staffing levels
#
# Below today's 10 technicians, the least utilised go first (measured in a
# pilot run of the whole team); above it, clones of `tech-01` (HVAC and
# electrical, the busiest trades) based at the north depot. Every level's
# team contains every smaller level's, and with the same seed every level sees
# the same tickets, durations and absences, so differences between levels are
# the technicians' effect, not noise.

# %%
north_depot = fd.Location.geo(52.575, 13.43)
staffing = fd.Staffing(params["levels"], remove_order="least_utilised",
                       add=[fd.Hire("tech-01", 2, home=north_depot, label="north-hvac-")])


def sweep(executor=None):
    """The study: every level × seed with the greedy-insertion policy."""
    return fd.run_experiment(team, ["greedy-insertion"], staffing=staffing,
                             seeds=params["seeds"], demand=demand, executor=executor,
                             progress=False)  # progress=True: a tqdm bar over replications


if params["workers"] > 1:
    import distributed

    with distributed.LocalCluster(n_workers=params["workers"], threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = sweep(client.get_executor())
else:
    result = sweep()
for level, ids in result.teams.items():
    print(f"{level:>3}: {', '.join(ids)}")

# %%
table = result.staffing_table("sla_response", confidence=params["confidence"])
table  # noqa: B018

# %% [markdown]
# ## 4. Compare with today's team

# %%
today = len(day_team.technicians)
result.compare(baseline=today, metric="sla_response")

# %%
result.compare(baseline=today, metric="completed")

# %% [markdown]
# ## The answer
#
# The smallest level whose one-sided 95 % lower bound of SLA response
# attainment reaches the target, and what each step up buys (paired
# difference with the next smaller team, 95 % interval): a step whose
# interval straddles 0 buys nothing measurable at this demand.

# %%
needed = result.min_staff("sla_response", target=params["target"],
                          confidence=params["confidence"])
print(f"technicians needed for sla_response >= {params['target']:.0%} "
      f"with {params['confidence']:.0%} confidence: {needed}")
if needed is not None:
    print("team:", ", ".join(result.teams[needed]))
levels = sorted(result.teams)
for small, big in itertools.pairwise(levels):
    step = result.compare(baseline=small, metric="sla_response")
    row = step[step.num_technicians == big].iloc[0]
    print(f"{small} -> {big} technicians: SLA response {row['mean']:+.3f} "
          f"[{row['low']:+.3f}, {row['high']:+.3f}]")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
result.plot("sla_response", ax=axes[0])
axes[0].axhline(params["target"], ls="--", color="grey", label="target")
axes[0].legend()
result.plot("backlog_end", ax=axes[1])
fig.tight_layout()
