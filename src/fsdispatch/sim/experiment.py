"""Experiments: policies × staffing levels × seeds, through any ``concurrent.futures.Executor``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any

import attrs

from ..domain import Asset, Scenario
from ..errors import ValidationError
from .demand import FittedDemand
from .models import DemandModel, ServiceModel, SimConfig
from .parts import PartsModel, VanStockPolicy
from .policies import Policy, get_policy
from .staffing import Staffing, team_scenario

if TYPE_CHECKING:
    from .results import ExperimentResult

__all__ = ["pilot_utilisation", "run_experiment", "run_replication"]


def run_replication(config: SimConfig | Scenario, policy: Policy | str, seed: int,
                    **options: Any) -> dict[str, Any]:
    """One replication as a flat row: ``policy``, ``num_technicians``, ``seed``, KPIs,
    ``events``, ``wall_time`` (a module-level function, so executors can pickle it);
    when technicians name teams, ``by_team`` holds :meth:`SimResult.team_kpis`.

    ``options`` go to :func:`~fsdispatch.sim.simulate` (``days``, ``demand``,
    ``service``, ``parts``, ``van_stock``, ``roster``).
    """
    import copy

    from .simulator import simulate

    # a fresh copy per replication: a policy's state never leaks between runs
    pol = get_policy(policy) if isinstance(policy, str) else copy.deepcopy(policy)
    result = simulate(config, pol, seed, **options)
    if isinstance(config, SimConfig):
        parts_model, stock = options.get("parts") or config.parts, \
            options.get("van_stock") or config.van_stock
    else:
        parts_model, stock = options.get("parts"), options.get("van_stock")
    parts = {} if parts_model is None else {
        "parts_policy": stock.name if stock is not None else "empty"}
    teams = {} if not any(t.team for t in result.technician_objects.values()) else {
        "by_team": result.team_kpis()}
    return {"policy": result.policy, "num_technicians": result.num_technicians, **parts,
            "seed": seed, **result.kpis(), "events": result.events,
            "wall_time": result.wall_time, "backlog": [n for _, n in result.backlog],
            **teams}


def pilot_utilisation(scenario: Scenario, policy: Policy | str = "greedy-insertion",
                      seed: int = 0, **options: Any) -> dict[str, float]:
    """Each technician's utilisation in one run of the whole team (the staffing pilot).

    Utilisation = (service + travel time) / shift time of the technician over
    the run (0 without shift time). ``options`` go to :func:`~fsdispatch.sim.simulate`.
    """
    import copy

    from .simulator import simulate

    pol = get_policy(policy) if isinstance(policy, str) else copy.deepcopy(policy)
    result = simulate(scenario, pol, seed, **options)
    return {t.technician_id: (t.service + t.travel) / t.shift_time if t.shift_time > 0
            else 0.0 for t in result.technicians}


class _InProcess(Executor):
    """Runs each task at submission, in this process (the default)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


def run_experiment(config: SimConfig | Scenario,
                   policies: Sequence[Policy | str] = ("greedy-insertion",),
                   staffing: Sequence[int] | Staffing | None = None,
                   seeds: int | Sequence[int] = 5, *,
                   demand: DemandModel | FittedDemand | None = None,
                   service: ServiceModel | None = None, days: int | None = None,
                   parts: PartsModel | None = None,
                   van_stock: Sequence[VanStockPolicy] | None = None,
                   executor: Executor | None = None, progress: bool = False,
                   assets: Sequence[Asset] | None = None,
                   ) -> ExperimentResult:
    """Run every (policy, staffing level, seed) replication and collect the KPIs.

    Replication ``seed`` is the same for every policy and staffing level, so
    comparisons use common random numbers: the same tickets, arrival times,
    service outcomes and (on nested teams) technician absences.

    Parameters
    ----------
    config:
        The user's team as a :class:`~fsdispatch.Scenario` (technicians,
        skills, homes, shifts, parts, SLA policy, travel; its tickets are the
        backlog at the start), or a :class:`SimConfig` (a generated team).
    policies:
        Policy names or picklable policy objects (each replication gets a
        fresh copy, so state never leaks from one run into another).
    staffing:
        With a Scenario: a :class:`Staffing` spec, or levels (ints, meaning
        ``Staffing(levels)``: the least utilised technicians removed first,
        measured in a pilot run of the whole team with the first policy and
        seed 0); default: the whole team. Teams are nested: each level's team
        contains every smaller level's. With a SimConfig: ints replace
        ``num_technicians`` (independently generated teams, as before), or a
        :class:`Staffing` spec applied to the config's generated team.
    seeds:
        A number of replications (seeds ``0..n-1``) or explicit seeds.
    demand, service, days, parts:
        Models and horizon (default: the config's; with a Scenario the
        default demand model, the default service model and the horizon's
        days). ``demand`` may be fitted with :func:`~fsdispatch.sim.fit_demand`.
    van_stock:
        Van stock policies to compare (needs a parts model; default: the
        config's). Each row then has a ``parts_policy`` column (the policy's
        name) and the parts KPIs; the same seed gives every parts policy the
        same tickets and part needs.
    executor:
        Any :class:`concurrent.futures.Executor` — a ``ProcessPoolExecutor``,
        or ``dask.distributed.Client(...).get_executor()`` for a cluster.
        Default: run in this process, one after the other.
    progress:
        Show a tqdm bar over replications.
    assets:
        Bind every drawn ticket to its nearest asset (see the ``assets`` option of
        :func:`~fsdispatch.sim.simulate`); default ``None``.

    Returns
    -------
    ExperimentResult
        A pandas DataFrame, one row per replication: ``policy``,
        ``num_technicians``, ``parts_policy`` (with a parts model), ``seed``,
        every KPI of :data:`~fsdispatch.sim.metrics.KPI_NAMES` (and
        :data:`~fsdispatch.sim.metrics.PARTS_KPI_NAMES` with parts),
        ``events``, ``wall_time`` and ``backlog`` (hourly open tickets, a
        list); with :meth:`~ExperimentResult.compare`,
        :meth:`~ExperimentResult.min_staff` and :meth:`~ExperimentResult.plot`.
        Aggregate with :func:`~fsdispatch.sim.metrics.aggregate`.

    Raises
    ------
    ValidationError
        Empty policies or seeds, a staffing level the team cannot reach,
        ``van_stock`` without a parts model.
    """
    from .results import ExperimentResult

    seed_list = _check_experiment(config, policies, seeds)
    has_parts = (parts or (config.parts if isinstance(config, SimConfig) else None)) is not None
    if van_stock is not None and not has_parts:
        raise ValidationError.for_field("run_experiment", None, "van_stock", van_stock,
                                        "needs a parts model (parts=... or config.parts)")
    default_stock = config.van_stock if isinstance(config, SimConfig) else None
    stocks: list[VanStockPolicy | None] = list(van_stock) if van_stock else [default_stock]
    options: dict[str, Any] = {k: v for k, v in (("demand", demand), ("service", service),
                                                 ("days", days), ("parts", parts),
                                                 ("assets", assets)) if v is not None}
    teams, tasks = _experiment_tasks(config, policies, staffing, stocks, seed_list, options)
    ex = executor or _InProcess()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="replications", unit="rep")
    futures = []
    for cfg, pol, seed, opts in tasks:
        fut = ex.submit(run_replication, cfg, pol, seed, **opts)
        if bar is not None:
            fut.add_done_callback(lambda _f: bar.update(1))
        futures.append(fut)
    try:
        rows = [f.result() for f in futures]
    finally:
        if bar is not None:
            bar.close()
    result = ExperimentResult(rows)
    result.attrs["teams"] = teams
    return result


def _check_experiment(config: Any, policies: Any, seeds: Any) -> list[int]:
    """The seeds of an experiment, its policies and config checked (typed errors)."""
    if isinstance(policies, str) or not isinstance(policies, Sequence) or not policies:
        raise ValidationError.for_field("run_experiment", None, "policies", policies,
                                        "must be a non-empty list of policies")
    if isinstance(seeds, bool) or (isinstance(seeds, int) and seeds < 1):
        raise ValidationError.for_field("run_experiment", None, "seeds", seeds,
                                        "must be an integer >= 1 or a non-empty list of seeds")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ValidationError.for_field("run_experiment", None, "seeds", seeds,
                                        "must be an integer >= 1 or a non-empty list of seeds")
    if not isinstance(config, SimConfig | Scenario):
        raise ValidationError.for_field("run_experiment", None, "config",
                                        type(config).__name__,
                                        "must be a Scenario or a SimConfig")
    return seed_list


def _experiment_tasks(config: SimConfig | Scenario, policies: Sequence[Policy | str],
                      staffing: Sequence[int] | Staffing | None,
                      stocks: Sequence[VanStockPolicy | None], seed_list: Sequence[int],
                      options: dict[str, Any],
                      ) -> tuple[dict[int, tuple[str, ...]],
                                 list[tuple[Any, Policy | str, int, dict[str, Any]]]]:
    """``(teams by level, replications)``: each replication's config, policy, seed and
    options; on a Scenario (or a Staffing spec) the nested teams of the levels."""
    if isinstance(config, SimConfig) and not isinstance(staffing, Staffing):
        levels = list(staffing) if staffing is not None else [config.num_technicians]
        return {}, [(attrs.evolve(config, num_technicians=int(n), van_stock=v), p, int(s),
                     options)
                    for p, n, v, s in itertools.product(policies, levels, stocks, seed_list)]
    scenario, options = _study_inputs(config, options)
    spec = staffing if isinstance(staffing, Staffing) else Staffing(
        list(staffing) if staffing is not None else [len(scenario.technicians)])
    util = None
    if spec.needs_pilot and min(spec.levels) < len(scenario.technicians):
        util = pilot_utilisation(scenario, policies[0], 0, **options)
    by_level = spec.teams(scenario, util)
    roster = tuple(t.id for t in spec.pool(scenario))
    teams = {n: tuple(t.id for t in team) for n, team in by_level.items()}
    return teams, [(team_scenario(scenario, by_level[n]), p, int(s),
                    {**options, "van_stock": v, "roster": roster})
                   for p, n, v, s in itertools.product(policies, spec.levels, stocks, seed_list)]


def _study_inputs(config: SimConfig | Scenario, options: dict[str, Any]
                  ) -> tuple[Scenario, dict[str, Any]]:
    """The team as a Scenario and the simulate() options of a nested staffing study."""
    if isinstance(config, Scenario):
        return config, options
    from .simulator import _config_scenario

    if config.warmup_backlog:
        raise ValidationError.for_field("run_experiment", None, "config.warmup_backlog",
                                        config.warmup_backlog,
                                        "must be 0 with a Staffing spec (give the backlog as "
                                        "the scenario's tickets)")
    scenario, _ = _config_scenario(config)
    out = {"days": config.days, "demand": config.demand, "service": config.service,
           "parts": config.parts, **options}
    return scenario, out
