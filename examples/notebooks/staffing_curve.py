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
# # How many technicians do we need?
#
# A staffing curve: SLA response attainment (mean and 95 % confidence
# interval, clipped to [0, 1]) against the number of technicians, for a fixed
# demand and the greedy-insertion policy. The answer is the smallest staffing
# whose **lower** CI bound meets the target.
#
# This file is a jupytext percent script; `build.py` next to it executes it
# into `staffing_curve.ipynb`. Run size: the full study by default,
# `FSDISPATCH_NOTEBOOK_SIZE=small` for the CI smoke run; as a script, flags
# override: `python examples/notebooks/staffing_curve.py --staffing 6 8 10 12
# --per-day 55 --days 3 --seeds 4`.

# %%
from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt

from fsdispatch.sim import DemandModel, SimConfig, aggregate, run_experiment
from fsdispatch.sim.plots import plot_kpi_vs_staffing


def parameters(argv: list[str] | None = None) -> dict[str, Any]:
    """Run size: full, or tiny with ``FSDISPATCH_NOTEBOOK_SIZE=small``; script flags override."""
    small = os.environ.get("FSDISPATCH_NOTEBOOK_SIZE", "full") == "small"
    ap = argparse.ArgumentParser(description="How many technicians do we need?")
    ap.add_argument("--staffing", type=int, nargs="+", default=[2, 3] if small else
                    [6, 8, 10, 12])
    ap.add_argument("--per-day", type=float, default=10.0 if small else 55.0)
    ap.add_argument("--days", type=int, default=1 if small else 3)
    ap.add_argument("--seeds", type=int, default=2 if small else 4)
    ap.add_argument("--target", type=float, default=0.9)
    ap.add_argument("--workers", type=int, default=1 if small else
                    int(os.environ.get("FSDISPATCH_NOTEBOOK_WORKERS", "1")))
    in_kernel = "ipykernel" in sys.modules
    args, _ = ap.parse_known_args([] if in_kernel else argv)
    return vars(args)


def staffing_curve(staffing: list[int], per_day: float = 60.0, days: int = 5, seeds: int = 5,
                   policy: str = "greedy-insertion", kpi: str = "sla_response",
                   workers: int = 1) -> Any:
    """SLA attainment per staffing level (aggregated frame: mean, low, high)."""
    config = SimConfig(num_technicians=staffing[0], days=days,
                       demand=DemandModel(tickets_per_day=per_day, radius_km=15))
    kpis = [kpi, "sla_resolution", "backlog_end", "utilisation", "time_to_arrival_h"]
    if workers > 1:
        with ProcessPoolExecutor(workers) as ex:
            frame = run_experiment(config, [policy], staffing=staffing, seeds=seeds,
                                   executor=ex)
    else:
        frame = run_experiment(config, [policy], staffing=staffing, seeds=seeds)
    return aggregate(frame, kpis=kpis)


def needed(curve: Any, target: float, kpi: str = "sla_response") -> int | None:
    """Smallest staffing whose lower 95 % bound of ``kpi`` meets ``target``."""
    rows = curve[(curve.kpi == kpi) & (curve.low >= target)]
    return int(rows.num_technicians.min()) if len(rows) else None


# %% [markdown]
# ## Parameters

# %%
params = parameters()
params  # noqa: B018

# %% [markdown]
# ## The curve (mean and 95 % CI per staffing level)

# %%
curve = staffing_curve(params["staffing"], params["per_day"], params["days"], params["seeds"],
                       workers=params["workers"])
wide = curve.assign(ci=[f"{m:.3f} [{lo:.3f}, {hi:.3f}]"
                        for m, lo, hi in zip(curve["mean"], curve.low, curve.high,
                                             strict=True)])
wide = wide.pivot(index="num_technicians", columns="kpi", values="ci")
wide  # noqa: B018

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
plot_kpi_vs_staffing(curve, "sla_response", ax=axes[0])
axes[0].axhline(params["target"], ls="--", color="grey", label="target")
axes[0].legend()
plot_kpi_vs_staffing(curve, "backlog_end", ax=axes[1])
fig.tight_layout()
if "ipykernel" not in sys.modules:
    fig.savefig("staffing_curve.png", dpi=120)
    print(wide.to_string())

# %% [markdown]
# ## The answer

# %%
answer = needed(curve, params["target"])
print(f"technicians needed for sla_response >= {params['target']:.0%} "
      f"(lower 95 % bound): {answer}")
