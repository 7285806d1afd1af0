"""matplotlib plots of simulation results: policies with CIs, KPI vs staffing, backlog, Gantt.

matplotlib is optional (``pip install "fsdispatch[plot]"``) and imported on first use.
Each function draws on ``ax`` (a new figure if ``None``) and returns the axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BackendUnavailableError

if TYPE_CHECKING:
    from .outcome import SimResult

__all__ = ["plot_backlog", "plot_day_gantt", "plot_kpi_vs_staffing", "plot_policy_comparison"]


def _axes(ax: Any, size: tuple[float, float] = (7, 3.5)) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - exercised only without matplotlib
        raise BackendUnavailableError("plots need matplotlib: pip install \"fsdispatch[plot]\" "
                                      "(or pip install matplotlib)") from None
    _, ax = plt.subplots(figsize=size)
    return ax


def _rows(agg: Any, kpi: str) -> Any:
    rows = agg[agg.kpi == kpi]
    if not len(rows):
        from ..errors import SimulationError

        raise SimulationError(f"no rows for KPI {kpi!r}; available: {sorted(set(agg.kpi))}")
    return rows


def plot_policy_comparison(agg: Any, kpi: str, ax: Any = None) -> Any:
    """Bars of a KPI's mean per policy with its 95 % interval (``aggregate()`` output)."""
    ax = _axes(ax)
    rows = _rows(agg, kpi).groupby("policy", sort=False).first().reset_index()
    x = range(len(rows))
    ax.bar(x, rows["mean"], yerr=[rows["mean"] - rows["low"], rows["high"] - rows["mean"]],
           capsize=4, color="#4c78a8")
    ax.set_xticks(list(x), rows["policy"], rotation=20, ha="right")
    ax.set_ylabel(kpi)
    ax.set_title(f"{kpi} by policy (95 % CI)")
    return ax


def plot_kpi_vs_staffing(agg: Any, kpi: str, ax: Any = None) -> Any:
    """A KPI against the number of technicians, one line (with CI band) per policy."""
    ax = _axes(ax)
    for policy, rows in _rows(agg, kpi).groupby("policy", sort=False):
        rows = rows.sort_values("num_technicians")
        ax.plot(rows["num_technicians"], rows["mean"], marker="o", label=str(policy))
        ax.fill_between(rows["num_technicians"], rows["low"], rows["high"], alpha=0.2)
    ax.set_xlabel("technicians")
    ax.set_ylabel(kpi)
    ax.legend()
    return ax


def plot_backlog(results: list[SimResult] | SimResult, ax: Any = None) -> Any:
    """Open tickets over time (hourly samples), one line per replication."""
    ax = _axes(ax)
    for r in results if isinstance(results, list) else [results]:
        ax.step([t / 86400 for t, _ in r.backlog], [n for _, n in r.backlog], where="post",
                label=f"{r.policy} seed {r.seed}")
    ax.set_xlabel("day")
    ax.set_ylabel("open tickets")
    ax.legend(fontsize="small")
    return ax


def plot_day_gantt(result: SimResult, day: int = 0, ax: Any = None) -> Any:
    """A day's realised visits per technician: travel (light) then work (dark)."""
    techs = sorted({v.technician_id for v in result.visits if v.day == day})
    ax = _axes(ax, (9, 0.3 * len(techs) + 1.5))
    row = {t: k for k, t in enumerate(techs)}
    base = day * 86400
    colour = {"done": "#4c78a8", "not_home": "#e45756", "open_at_horizon": "#aaaaaa"}
    for v in result.visits:
        if v.day != day:
            continue
        y = row[v.technician_id]
        ax.barh(y, (v.arrive - v.depart) / 3600, left=(v.depart - base) / 3600, color="#c6dbef")
        ax.barh(y, (v.end - v.arrive) / 3600, left=(v.arrive - base) / 3600,
                color=colour.get(v.outcome, "#4c78a8"))
    ax.set_yticks(range(len(techs)), techs)
    ax.set_xlabel("hour of day")
    ax.set_title(f"{result.policy}: day {day} (travel light, work dark, not at home red)")
    ax.invert_yaxis()
    return ax
