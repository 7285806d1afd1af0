"""Experiments: policies × staffing levels × seeds, through any ``concurrent.futures.Executor``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import Any

import attrs

from ..errors import ValidationError
from .metrics import _pd
from .models import SimConfig
from .parts import VanStockPolicy
from .policies import Policy, get_policy

__all__ = ["run_experiment", "run_replication"]


def run_replication(config: SimConfig, policy: Policy | str, seed: int) -> dict[str, Any]:
    """One replication as a flat row: ``policy``, ``num_technicians``, ``seed``, KPIs,
    ``events``, ``wall_time`` (a module-level function, so executors can pickle it)."""
    import copy

    from .simulator import simulate

    # a fresh copy per replication: a policy's state never leaks between runs
    pol = get_policy(policy) if isinstance(policy, str) else copy.deepcopy(policy)
    result = simulate(config, pol, seed)
    parts = {} if config.parts is None else {
        "parts_policy": config.van_stock.name if config.van_stock is not None else "empty"}
    return {"policy": result.policy, "num_technicians": config.num_technicians, **parts,
            "seed": seed, **result.kpis(), "events": result.events,
            "wall_time": result.wall_time, "backlog": [n for _, n in result.backlog]}


class _InProcess(Executor):
    """Runs each task at submission, in this process (the default)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


def run_experiment(config: SimConfig, policies: Sequence[Policy | str],
                   staffing: Sequence[int] | None = None, seeds: int | Sequence[int] = 5, *,
                   van_stock: Sequence[VanStockPolicy] | None = None,
                   executor: Executor | None = None, progress: bool = False) -> Any:
    """Run every (policy, staffing level, seed) replication and collect the KPIs.

    Replication ``seed`` is the same for every policy and staffing level, so
    comparisons use common random numbers.

    Parameters
    ----------
    config:
        The base set-up; ``num_technicians`` is replaced by each staffing level.
    policies:
        Policy names or picklable policy objects (each replication gets a
        fresh copy, so state never leaks from one run into another).
    staffing:
        Numbers of technicians (default: the config's).
    seeds:
        A number of replications (seeds ``0..n-1``) or explicit seeds.
    van_stock:
        Van stock policies to compare (needs ``config.parts``; default: the
        config's). Each row then has a ``parts_policy`` column (the policy's
        name) and the parts KPIs; the same seed gives every parts policy the
        same tickets and part needs.
    executor:
        Any :class:`concurrent.futures.Executor` — a ``ProcessPoolExecutor``,
        or ``dask.distributed.Client(...).get_executor()`` for a cluster.
        Default: run in this process, one after the other.
    progress:
        Show a tqdm bar over replications.

    Returns
    -------
    pandas.DataFrame
        One row per replication: ``policy``, ``num_technicians``,
        ``parts_policy`` (with a parts model), ``seed``, every KPI of
        :data:`~fsdispatch.sim.metrics.KPI_NAMES` (and
        :data:`~fsdispatch.sim.metrics.PARTS_KPI_NAMES` with parts), ``events``,
        ``wall_time`` and ``backlog`` (hourly open tickets, a list).
        Aggregate with :func:`~fsdispatch.sim.metrics.aggregate`.
    """
    pd = _pd()
    if not policies:
        raise ValidationError.for_field("run_experiment", None, "policies", policies,
                                        "must not be empty")
    if isinstance(seeds, bool) or (isinstance(seeds, int) and seeds < 1):
        raise ValidationError.for_field("run_experiment", None, "seeds", seeds,
                                        "must be an integer >= 1 or a non-empty list of seeds")
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise ValidationError.for_field("run_experiment", None, "seeds", seeds,
                                        "must be an integer >= 1 or a non-empty list of seeds")
    levels = list(staffing) if staffing is not None else [config.num_technicians]
    if van_stock is not None and config.parts is None:
        raise ValidationError.for_field("run_experiment", None, "van_stock", van_stock,
                                        "needs a parts model in config.parts")
    stocks: list[VanStockPolicy | None] = list(van_stock) if van_stock else [config.van_stock]
    tasks = [(attrs.evolve(config, num_technicians=int(n), van_stock=v), p, int(s))
             for p, n, v, s in itertools.product(policies, levels, stocks, seed_list)]
    ex = executor or _InProcess()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="replications", unit="rep")
    futures = []
    for task in tasks:
        fut = ex.submit(run_replication, *task)
        if bar is not None:
            fut.add_done_callback(lambda _f: bar.update(1))
        futures.append(fut)
    try:
        rows = [f.result() for f in futures]
    finally:
        if bar is not None:
            bar.close()
    return pd.DataFrame(rows)
