"""Experiments: policies × staffing × seeds through executors (in-process, threads, Dask)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from fsdispatch.sim import DemandModel, ServiceModel, SimConfig, aggregate, run_experiment

pd = pytest.importorskip("pandas")

#: one short working day, 3 technicians: a replication takes well under a second
CONFIG = SimConfig(num_technicians=3, days=1, workforce_seed=1,
                   demand=DemandModel(tickets_per_day=12, radius_km=8),
                   service=ServiceModel(p_absent=0.0))
KEY = ["policy", "num_technicians", "seed"]


@pytest.fixture(scope="module")
def in_process():
    """The reference grid run in this process: 2 policies × 2 staffing levels × 2 seeds."""
    return run_experiment(CONFIG, ["greedy-insertion", "manual-zones"], staffing=[2, 3],
                          seeds=2)


def _same(a, b):
    cols = [c for c in a.columns if c not in ("wall_time",)]
    a = a.sort_values(KEY).reset_index(drop=True)[cols]
    b = b.sort_values(KEY).reset_index(drop=True)[cols]
    pd.testing.assert_frame_equal(a, b)


def test_experiment_grid_has_one_row_per_replication(in_process):
    """Every (policy, staffing, seed) runs once; aggregate() gives CIs per group."""
    assert len(in_process) == 8
    assert set(in_process.num_technicians) == {2, 3}
    agg = aggregate(in_process, kpis=["utilisation", "completed"])
    assert len(agg) == 2 * 2 * 2
    assert (agg.n == 2).all() and (agg.low <= agg["mean"]).all()


def test_thread_pool_gives_the_same_results(in_process):
    """Replications are independent and seeded: a thread pool reproduces the in-process run."""
    with ThreadPoolExecutor(max_workers=2) as ex:
        threaded = run_experiment(CONFIG, ["greedy-insertion", "manual-zones"],
                                  staffing=[2, 3], seeds=2, executor=ex, progress=True)
    _same(in_process, threaded)


def test_dask_local_cluster_runs_the_same_experiment(in_process):
    """A dask.distributed LocalCluster's executor runs the experiment with identical results."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = run_experiment(CONFIG, ["greedy-insertion", "manual-zones"], staffing=[2, 3],
                                seeds=2, executor=client.get_executor())
    _same(in_process, result)


def test_simulate_command_writes_results(tmp_path, capsys):
    """The `simulate` command reads a JSON config, prints CIs and writes one CSV row per run."""
    import argparse
    import json

    from fsdispatch.sim.cli import add_parser, config_from_dict

    cfg = tmp_path / "sim.json"
    cfg.write_text(json.dumps({"num_technicians": 2, "days": 1,
                               "demand": {"tickets_per_day": 8, "radius_km": 6},
                               "service": {"p_absent": 0.0}}))
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out = tmp_path / "results.csv"
    args = parser.parse_args(["simulate", str(cfg), "--policy", "manual-zones", "--seeds", "2",
                              "--out", str(out)])
    assert args.func(args) == 0
    assert "sla_response" in capsys.readouterr().out
    assert len(pd.read_csv(out)) == 2
    with pytest.raises(Exception, match="tickets_per_hour"):
        config_from_dict({"demand": {"tickets_per_hour": 3}})
