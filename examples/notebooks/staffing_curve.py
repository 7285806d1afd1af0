# %% [markdown]
# # How many technicians do we need?
#
# A staffing curve: SLA attainment (with 95 % confidence intervals) against
# the number of technicians, for a fixed demand and the greedy-insertion
# policy; the answer is the smallest staffing whose lower CI bound meets the
# target. Cells are marked `# %%` (jupytext percent format); run as a script:
# `python examples/notebooks/staffing_curve.py --staffing 8 10 12 14 --seeds 5`.

# %%
from __future__ import annotations

import argparse
from typing import Any

from fsdispatch.sim import DemandModel, SimConfig, aggregate, run_experiment


def staffing_curve(staffing: list[int], per_day: float = 60.0, days: int = 5, seeds: int = 5,
                   policy: str = "greedy-insertion", kpi: str = "sla_response") -> Any:
    """SLA attainment per staffing level (aggregated frame: mean, low, high)."""
    config = SimConfig(num_technicians=staffing[0], days=days,
                       demand=DemandModel(tickets_per_day=per_day, radius_km=15))
    frame = run_experiment(config, [policy], staffing=staffing, seeds=seeds, progress=True)
    return aggregate(frame, kpis=[kpi, "backlog_end", "utilisation"])


def needed(curve: Any, target: float, kpi: str = "sla_response") -> int | None:
    """Smallest staffing whose lower 95 % bound of ``kpi`` meets ``target``."""
    rows = curve[(curve.kpi == kpi) & (curve.low >= target)]
    return int(rows.num_technicians.min()) if len(rows) else None


# %%
def main(argv: list[str] | None = None) -> Any:
    """Print the curve and the staffing that meets the target."""
    ap = argparse.ArgumentParser(description="How many technicians do we need?")
    ap.add_argument("--staffing", type=int, nargs="+", default=[8, 10, 12, 14])
    ap.add_argument("--per-day", type=float, default=60.0)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--target", type=float, default=0.9)
    args = ap.parse_args(argv)
    curve = staffing_curve(args.staffing, args.per_day, args.days, args.seeds)
    print(curve.to_string(index=False))
    print(f"technicians needed for sla_response >= {args.target:.0%} (lower CI bound):",
          needed(curve, args.target))
    try:  # the plot, when matplotlib is installed
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        c = curve[curve.kpi == "sla_response"]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.errorbar(c.num_technicians, c["mean"], yerr=[c["mean"] - c.low, c.high - c["mean"]],
                    marker="o", capsize=3)
        ax.axhline(args.target, ls="--", color="grey")
        ax.set_xlabel("technicians")
        ax.set_ylabel("SLA response attainment")
        fig.tight_layout()
        fig.savefig("staffing_curve.png", dpi=120)
    except ImportError:
        pass
    return curve


# %%
if __name__ == "__main__":
    main()
