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
# # Which van stock pays?
#
# Van stock policies (target units per part in every van, refilled overnight
# from the depot) compared by first-time-fix rate, stock-outs, follow-up
# visits and parts holding cost, on identical demand *and* identical part
# needs (common random numbers). A visit whose needed part is not in the van
# fails first-time fix and creates a follow-up whose parts are ordered from
# the depot. Set-up: `examples/sim_parts.json` (6 technicians, ~33 tickets a
# weekday, five skus), greedy-insertion dispatch.
#
# This file is a jupytext percent script; `build.py` executes it into
# `van_stock.ipynb`. `FSDISPATCH_NOTEBOOK_SIZE=small` runs a tiny version.

# %%
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from fsdispatch.inventory import forecast_ledger
from fsdispatch.sim import (
    VanStockPolicy,
    aggregate,
    confidence_interval,
    run_experiment,
    simulate,
)
from fsdispatch.sim.cli import load_config

CONFIG = Path("..") / "sim_parts.json"
KPIS = ["ftf_rate", "stockouts", "stockout_follow_ups", "follow_up_visits", "parts_fill_rate",
        "van_stock_value", "parts_holding_cost", "sla_resolution"]


def parameters() -> dict[str, Any]:
    """Run size: full, or tiny with ``FSDISPATCH_NOTEBOOK_SIZE=small``."""
    small = os.environ.get("FSDISPATCH_NOTEBOOK_SIZE", "full") == "small"
    return {"days": 1 if small else 5, "seeds": 1 if small else 5,
            "technicians": 2 if small else 6, "tickets_per_day": 16 if small else 33,
            "workers": 1 if small else int(os.environ.get("FSDISPATCH_NOTEBOOK_WORKERS", "1"))}


def policies(config: Any) -> list[VanStockPolicy]:
    """Empty vans, two service-level policies, a hand-set standard and four of each."""
    cats = config.demand.categories
    return [VanStockPolicy({}, "empty"),
            VanStockPolicy.from_service_level(config.parts, cats, 5.5, 0.8),
            config.van_stock,
            VanStockPolicy.from_service_level(config.parts, cats, 5.5, 0.95),
            VanStockPolicy(dict.fromkeys(config.parts.skus, 4), "four-each")]


def paired(frame: Any, baseline: str, kpis: list[str]) -> Any:
    """Per policy and KPI: mean of (policy − baseline) over the same seeds, with a 95 % CI."""
    base = frame[frame.parts_policy == baseline].set_index("seed")
    rows = []
    for name in [p for p in frame.parts_policy.unique() if p != baseline]:
        other = frame[frame.parts_policy == name].set_index("seed")
        for kpi in kpis:
            m, lo, hi = confidence_interval((other[kpi] - base[kpi]).dropna().tolist())
            rows.append({"parts_policy": name, "kpi": kpi, "diff": m, "low": lo, "high": hi})
    return pd.DataFrame(rows)


# %% [markdown]
# ## Parameters and policies

# %%
params = parameters()
config = load_config(CONFIG)
config = attrs.evolve(config, days=params["days"], num_technicians=params["technicians"],
                      demand=attrs.evolve(config.demand,
                                          tickets_per_day=params["tickets_per_day"]))
stock = policies(config)
pd.DataFrame([{"parts_policy": p.name, **p.levels} for p in stock]).fillna(0)

# %% [markdown]
# ## Mean and 95 % confidence interval per van stock policy

# %%
if params["workers"] > 1:
    with ProcessPoolExecutor(params["workers"]) as ex:
        frame = run_experiment(config, ["greedy-insertion"], seeds=params["seeds"],
                               van_stock=stock, executor=ex)
else:
    frame = run_experiment(config, ["greedy-insertion"], seeds=params["seeds"], van_stock=stock)
agg = aggregate(frame, kpis=KPIS)
agg["ci"] = [f"{m:.3f} [{lo:.3f}, {hi:.3f}]"
             for m, lo, hi in zip(agg["mean"], agg.low, agg.high, strict=True)]
table = agg.pivot(index="kpi", columns="parts_policy", values="ci").loc[
    KPIS, [p.name for p in stock]]
print(f"{len(frame)} replications, {frame.wall_time.sum():.0f} s of simulation")
table  # noqa: B018

# %% [markdown]
# ## Paired differences against the hand-set standard (same seeds)

# %%
diffs = paired(frame, config.van_stock.name, ["ftf_rate", "stockouts", "parts_holding_cost"])
diffs.round(3)

# %% [markdown]
# ## The trade-off: first-time fix against holding cost

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for p in stock:
    a = agg[agg.parts_policy == p.name].set_index("kpi")
    x, y = a.loc["parts_holding_cost"], a.loc["ftf_rate"]
    ax.errorbar(x["mean"], y["mean"], xerr=[[x["mean"] - x.low], [x.high - x["mean"]]],
                yerr=[[y["mean"] - y.low], [y.high - y["mean"]]], marker="o", capsize=3,
                label=p.name)
ax.set_xlabel(f"parts holding cost over {params['days']} days")
ax.set_ylabel("first-time-fix rate")
ax.legend(fontsize=8)
fig.tight_layout()
if "ipykernel" not in sys.modules:
    fig.savefig("van_stock.png", dpi=120)
    print(table.to_string())

# %% [markdown]
# ## Consumption history for forecasting
#
# Each run keeps its stock in a `fsdispatch.inventory.StockLedger`; the
# depot's daily demand (what the vans pulled from it) is the input of the
# intermittent-demand forecasts (Croston/SBA) of `fsdispatch.inventory`.

# %%
one = simulate(config, "greedy-insertion", seed=0, van_stock=config.van_stock)
ledger = one.ledger
depot = ledger.locations("depot")[0]
history = pd.DataFrame({sku: ledger.consumption_history(
    depot, sku, timedelta(days=1), one.origin, one.origin + timedelta(days=one.days))
    for sku in config.parts.skus},
    index=[f"day {d}" for d in range(one.days)])
history  # noqa: B018

# %% [markdown]
# The same history through the SBA forecast of `fsdispatch.inventory`
# (units per day at the depot; a five-day history only illustrates the
# hand-over, a real forecast wants months).

# %%
forecasts = forecast_ledger(ledger, timedelta(days=1), one.origin,
                            one.origin + timedelta(days=one.days), method="sba")
pd.DataFrame([{"sku": sku, "rate_per_day": f.rate, "periods_with_demand": f.num_demands}
              for (loc, sku), f in forecasts.items() if loc == depot])
