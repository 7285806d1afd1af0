"""What :func:`~fsdispatch.sim.run_experiment` returns: a DataFrame with study statistics.

Imported on first use (it needs pandas: ``pip install "fsdispatch[sim]"``).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..errors import ValidationError
from .metrics import KPI_NAMES, PARTS_KPI_NAMES, TEAM_KPI_NAMES, aggregate
from .staffing import min_staff_level, paired_differences

__all__ = ["ExperimentResult"]

#: KPIs where less is better (``min_staff`` then uses the upper confidence bound)
LOWER_IS_BETTER = frozenset({
    "backlog_end", "backlog_mean", "time_to_arrival_h", "time_to_resolution_h",
    "travel_share", "overtime_h", "stockouts", "follow_ups", "holding_cost"})


class ExperimentResult(pd.DataFrame):
    """One row per replication (``policy``, ``num_technicians``, ``seed``, KPIs, ...).

    A pandas DataFrame (every DataFrame operation works and returns a plain
    DataFrame) with the statistics of a staffing study. The replications of a
    seed are paired: every staffing level and policy saw the same tickets
    (common random numbers), so differences are taken seed by seed.

    Attributes
    ----------
    teams:
        ``staffing level -> technician ids`` of each level's team (nested
        studies on a Scenario; empty for generated teams), in ``.attrs``.

    When technicians name teams (``Technician.team``), the ``by_team`` column holds
    each replication's KPIs per team; :meth:`team_frame` spreads them out.
    """

    @property
    def _constructor(self) -> Any:
        return pd.DataFrame

    @property
    def teams(self) -> dict[int, tuple[str, ...]]:
        """Each staffing level's technician ids (nested studies), else ``{}``."""
        return dict(self.attrs.get("teams", {}))

    def team_frame(self) -> pd.DataFrame:
        """KPIs per technician team: one row per replication and team.

        Columns ``policy``, ``num_technicians`` (and ``parts_policy`` when
        present), ``seed``, ``team`` (``""``: technicians without one) and the
        :data:`~fsdispatch.sim.metrics.TEAM_KPI_NAMES` (``ftf_rate``,
        ``sla_response``, ``labour_cost``, …). Empty when no technician names a
        team. Aggregate with ``aggregate(frame, by=("policy", "num_technicians",
        "team"))``.
        """
        keys = [c for c in ("policy", "num_technicians", "parts_policy", "seed")
                if c in self.columns]
        cols = [*keys, "team", *TEAM_KPI_NAMES]
        if "by_team" not in self.columns:
            return pd.DataFrame(columns=cols)
        rows = [{**{k: row[k] for k in keys}, "team": team, **kpis}
                for _, row in self.iterrows() if isinstance(row["by_team"], dict)
                for team, kpis in row["by_team"].items()]
        return pd.DataFrame(rows, columns=cols)

    # ------------------------------------------------------------ helpers
    def _metric(self, metric: str) -> None:
        if metric not in self.columns:
            known = [k for k in KPI_NAMES + PARTS_KPI_NAMES if k in self.columns]
            raise ValidationError.for_field("ExperimentResult", None, "metric", metric,
                                            f"is not a column; KPIs: {known}")

    def _policy(self, policy: str | None) -> tuple[str, Any]:
        names = list(dict.fromkeys(self["policy"]))
        if policy is None:
            if len(names) > 1:
                raise ValidationError.for_field("ExperimentResult", None, "policy", None,
                                                f"must name one of {names}")
            policy = names[0]
        if policy not in names:
            raise ValidationError.for_field("ExperimentResult", None, "policy", policy,
                                            f"must be one of {names}")
        return policy, pd.DataFrame(self[self["policy"] == policy])

    # --------------------------------------------------------- statistics
    def compare(self, baseline: int | str | None = None, metric: str = "sla_response",
                confidence: float = 0.95) -> pd.DataFrame:
        """Paired differences to a baseline, seed by seed, with t confidence intervals.

        Parameters
        ----------
        baseline:
            A staffing level (an ``int``; default: the smallest): every other
            level of the same policy is compared with it; or a policy name
            (a ``str``): every other policy at the same level is compared with it.
        metric:
            A KPI column.
        confidence:
            Two-sided confidence level of the interval (default 0.95).

        Returns
        -------
        pandas.DataFrame
            One row per (policy, level) other than the baseline, where the
            baseline ran too: ``policy``,
            ``num_technicians``, ``baseline``, ``metric``, ``n`` (paired
            seeds), ``mean`` (mean of ``value - baseline value``), ``sd``,
            ``low``, ``high`` (``mean ± t(0.5 + confidence/2, n-1) · sd / √n``;
            NaN below two seeds).
        """
        self._metric(metric)
        if baseline is None:
            baseline = int(min(self["num_technicians"]))
        rows = []
        if isinstance(baseline, str):
            if baseline not in set(self["policy"]):
                raise ValidationError.for_field("ExperimentResult", None, "baseline", baseline,
                                                f"must be a policy of {sorted(set(self.policy))}"
                                                " or a staffing level")
            for level, group in self.groupby("num_technicians", sort=True):
                base = group[group["policy"] == baseline].set_index("seed")[metric]
                if not len(base):
                    continue
                for pol, g in group.groupby("policy", sort=False):
                    if pol == baseline:
                        continue
                    stats = paired_differences(g.set_index("seed")[metric].to_dict(),
                                               base.to_dict(), confidence)
                    rows.append({"policy": pol, "num_technicians": level,
                                 "baseline": baseline, "metric": metric, **stats})
        else:
            if isinstance(baseline, bool) or int(baseline) not in set(self["num_technicians"]):
                raise ValidationError.for_field("ExperimentResult", None, "baseline", baseline,
                                                f"must be a staffing level of "
                                                f"{sorted(set(self.num_technicians))}"
                                                " or a policy name")
            for pol, group in self.groupby("policy", sort=False):
                base = group[group["num_technicians"] == baseline].set_index("seed")[metric]
                if not len(base):
                    continue
                for level, g in group.groupby("num_technicians", sort=True):
                    if level == baseline:
                        continue
                    stats = paired_differences(g.set_index("seed")[metric].to_dict(),
                                               base.to_dict(), confidence)
                    rows.append({"policy": pol, "num_technicians": level,
                                 "baseline": baseline, "metric": metric, **stats})
        return pd.DataFrame(rows, columns=["policy", "num_technicians", "baseline", "metric",
                                           "n", "mean", "sd", "low", "high"])

    def min_staff(self, metric: str = "sla_response", target: float = 0.95,
                  confidence: float = 0.95, *, policy: str | None = None,
                  higher_is_better: bool | None = None) -> int | None:
        """The smallest staffing level that meets ``target`` with the stated confidence.

        A level meets the target when the one-sided lower confidence bound of
        the metric's mean over seeds, ``mean - t(confidence, n-1) · sd / √n``,
        is at least ``target`` (for KPIs where lower is better, e.g.
        ``backlog_end``, the upper bound at most ``target``). Levels are tried
        from the smallest; a level with fewer than two seeds never qualifies.

        Parameters
        ----------
        metric, target:
            KPI column and the value to reach (e.g. ``sla_response``, 0.95).
        confidence:
            One-sided confidence level (default 0.95).
        policy:
            Which policy's rows (needed when the experiment ran several).
        higher_is_better:
            Direction of the metric (default: known from the KPI name).

        Returns
        -------
        int or None
            The level, or ``None`` when no level studied meets the target.
        """
        self._metric(metric)
        _, rows = self._policy(policy)
        if higher_is_better is None:
            higher_is_better = metric not in LOWER_IS_BETTER
        values = {int(level): [float(x) for x in g[metric]]
                  for level, g in rows.groupby("num_technicians", sort=True)}
        found, _ = min_staff_level(values, float(target), confidence, higher_is_better)
        return found

    def staffing_table(self, metric: str = "sla_response", confidence: float = 0.95, *,
                       policy: str | None = None) -> pd.DataFrame:
        """Per level: mean, two-sided CI and the one-sided bound :meth:`min_staff` uses."""
        self._metric(metric)
        _, rows = self._policy(policy)
        higher = metric not in LOWER_IS_BETTER
        values = {int(level): [float(x) for x in g[metric]]
                  for level, g in rows.groupby("num_technicians", sort=True)}
        _, bounds = min_staff_level(values, -math.inf if higher else math.inf, confidence,
                                    higher)
        agg = aggregate(rows, by=("num_technicians",), kpis=[metric], level=confidence)
        agg["bound"] = [bounds[int(n)] for n in agg["num_technicians"]]
        return agg.drop(columns=["kpi"])

    def plot(self, kpi: str = "sla_response", ax: Any = None, level: float = 0.95) -> Any:
        """The KPI against staffing, one line with its CI band per policy (matplotlib axes)."""
        from .plots import plot_kpi_vs_staffing

        self._metric(kpi)
        return plot_kpi_vs_staffing(aggregate(pd.DataFrame(self), kpis=[kpi], level=level),
                                    kpi, ax=ax)
