"""Sweeps: the same numbers on 1 or 2 workers or a Dask cluster; failures recorded; resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from pandas.testing import assert_frame_equal
from regroup.cli import app
from regroup.config.experiment import load_experiment
from regroup.config.scenario import ConfigError, load_scenario
from regroup.experiments import sweep
from regroup.experiments.designs import replicate_seeds, run_seeds
from regroup.experiments.runner import scenario_experiment
from sweep_support import SCENARIOS, monthly, outcomes, write_experiment
from typer.testing import CliRunner

TWO = [str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "combined.yaml")]


def parts(results) -> list[str]:
    return sorted(str(p.relative_to(results)) for p in results.glob("*/part-*.parquet"))


def assert_same_results(a, b) -> None:
    assert parts(a) == parts(b)
    assert_frame_equal(outcomes(a), outcomes(b))
    for table in ("timeseries", "indicators"):
        assert_frame_equal(monthly(a, table), monthly(b, table))


def test_one_two_workers_and_a_dask_cluster_give_identical_results(tmp_path):
    path = write_experiment(
        tmp_path,
        scenarios=TWO,
        parameters={"policy.reintegration": {"low": 0.0, "high": 1.0}},
        design={"kind": "lhs", "samples": 2},
        replicates=1,
        batch_size=3,
    )
    exp = load_experiment(path)
    sweep.run_sweep(exp, tmp_path / "one", workers=1)
    sweep.run_sweep(exp, tmp_path / "two", workers=2)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = sweep.run_sweep(exp, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert summary.runs == summary.ran == 4 and summary.failed == 0

    ref = outcomes(tmp_path / "one")
    assert list(ref["run_id"]) == list(range(4))
    assert ref["error"].isna().all()
    # seeds by design sample and replicate, the same in both scenarios (paired comparisons)
    expected = run_seeds(exp.spec.seed, 2, 1)[[0, 1, 0, 1]].ravel()
    np.testing.assert_array_equal(ref["seed"], expected)
    assert (ref["draw"] == 0).all()
    # the design parameter is a column; each run's scenario has it applied
    assert ref.groupby("point_id")["policy.reintegration"].nunique().eq(1).all()
    assert ref["policy.reintegration"].nunique() == 2
    # runs are not copies of each other: each sample gets its own seed
    assert ref["killed_total"].nunique() > 1
    assert len(pd.read_parquet(tmp_path / "one" / "indicators")["run_id"].unique()) == 4
    assert_same_results(tmp_path / "one", tmp_path / "two")
    assert_same_results(tmp_path / "one", tmp_path / "dask")


def test_a_failing_run_is_recorded_and_the_rest_finish(tmp_path, monkeypatch):
    path = write_experiment(tmp_path, replicates=4, batch_size=2)
    real = sweep.run_replicate

    def flaky(scenario, seed, replicate=0):
        if replicate == 2:
            raise RuntimeError(f"boom in replicate {replicate}")
        return real(scenario, seed, replicate)

    monkeypatch.setattr(sweep, "run_replicate", flaky)  # inherited by the forked workers
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["sweep", str(path), "--workers", "2", "--out", str(out)])
    assert result.exit_code == 1
    assert "1 of 4 runs failed" in result.output

    table = outcomes(out)
    assert list(table["run_id"]) == [0, 1, 2, 3]
    failed = table[table["error"].notna()]
    assert list(failed["replicate"]) == [2]
    assert failed["error"].iloc[0] == "RuntimeError: boom in replicate 2"
    assert "flaky" in pd.read_parquet(out / "outcomes.parquet")["traceback"].iloc[2]
    assert failed[["killed_total", "regroup_pool_end", "regroup_year"]].isna().all().all()
    ok = table[table["error"].isna()]
    assert ok[["killed_total", "regroup_pool_end", "returned"]].notna().all().all()
    assert sorted(pd.read_parquet(out / "indicators")["run_id"].unique()) == [0, 1, 3]


def test_a_sweep_killed_mid_way_resumes_to_the_uninterrupted_results(tmp_path):
    path = write_experiment(tmp_path, scenarios=TWO, replicates=6, batch_size=2)
    exp = load_experiment(path)
    sweep.run_sweep(exp, tmp_path / "whole", workers=2)

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "regroup.cli", "sweep", str(path), "-w", "2"]
    proc = subprocess.Popen(
        [*command, "--out", str(out)],
        start_new_session=True,  # its own process group: the kill takes the workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while not list((out / "outcomes").glob("part-*.parquet")):
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "no batch written in time"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "outcomes").glob("part-*.parquet")))
    assert 1 <= done < 6, "the kill should land mid-way"
    assert not (out / "outcomes.parquet").exists()

    summary = sweep.run_sweep(exp, out, workers=2, resume=True)
    assert summary.ran == 12 - 2 * done  # only the missing batches ran again
    assert summary.failed == 0
    assert_same_results(tmp_path / "whole", out)
    assert not list(out.rglob(".*.tmp-*"))

    # resuming a finished sweep runs nothing and changes nothing
    again = sweep.run_sweep(exp, out, workers=2, resume=True)
    assert again.ran == 0
    assert_same_results(tmp_path / "whole", out)


def test_results_directories_are_not_overwritten_or_mixed(tmp_path):
    path = write_experiment(tmp_path, replicates=1)
    out = tmp_path / "results"
    sweep.run_sweep(load_experiment(path), out)
    before = pd.read_parquet(out / "outcomes.parquet")

    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists; pass --resume" in result.output

    other = load_experiment(write_experiment(tmp_path, name="other", replicates=1, seed=99))
    with pytest.raises(ConfigError, match="written by another experiment file"):
        sweep.run_sweep(other, out, resume=True)
    assert_frame_equal(pd.read_parquet(out / "outcomes.parquet"), before)


def test_a_run_is_a_sweep_of_one_scenario(tmp_path):
    """``regroup run`` writes what ``regroup sweep`` of the run's experiment.yaml writes."""
    path = tmp_path / "small.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'baseline.yaml'}\npopulation:\n  scale: 50\n"
        'time:\n  end: "2019-12"\n',
        encoding="utf-8",
    )
    exp = scenario_experiment(load_scenario(path), path, replicates=3, seed=5)
    sweep.run_sweep(exp, tmp_path / "run", workers=2, kind="run")
    assert outcomes(tmp_path / "run")["seed"].tolist() == replicate_seeds(5, 3)
    again = load_experiment(tmp_path / "run" / "experiment.yaml")
    sweep.run_sweep(again, tmp_path / "sweep", workers=1)
    assert_same_results(tmp_path / "run", tmp_path / "sweep")
    kinds = [
        json.loads((tmp_path / d / "manifest.json").read_text())["kind"] for d in ("run", "sweep")
    ]
    assert kinds == ["run", "sweep"]


def folders(results) -> dict[str, int]:
    """Every folder under ``results`` (hidden ones included) and how many entries it holds."""
    return {
        str(p.relative_to(results)): len(list(p.iterdir()))
        for p in results.rglob("*")
        if p.is_dir()
    }


def test_a_table_no_run_writes_leaves_no_folder(tmp_path):
    path = write_experiment(tmp_path, replicates=2, batch_size=1, timeseries=False)
    out = tmp_path / "results"
    sweep.run_sweep(load_experiment(path), out)
    found = folders(out)
    assert 0 not in found.values(), found
    assert not any(name.startswith("timeseries") for name in found), found
    for sub in ("outcomes", "indicators", "indicators_by_place", "indicators_by_origin"):
        assert found[sub] == 2, found  # one part per batch


def test_a_sweep_whose_runs_all_fail_leaves_only_its_outcomes(tmp_path, monkeypatch):
    def broken(scenario, seed, replicate=0):
        raise RuntimeError("boom")

    monkeypatch.setattr(sweep, "run_replicate", broken)
    path = write_experiment(tmp_path, replicates=2, batch_size=1)
    out = tmp_path / "results"
    summary = sweep.run_sweep(load_experiment(path), out)
    assert summary.failed == 2
    assert folders(out) == {"outcomes": 2}
    assert outcomes(out)["error"].tolist() == ["RuntimeError: boom"] * 2


def test_a_part_folder_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    store = sweep.ResultsDir(tmp_path, batch_size=1, n_runs=2, params=[])
    table = pd.DataFrame({"run_id": [0], "x": [1.0]})

    def fail(self, path, **kwargs):
        open(path, "wb").close()  # a part begun, then the disk fills
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(pd.DataFrame, "to_parquet", fail)
        with pytest.raises(ConfigError, match="No space left on device"):
            store.write_part("indicators", store.part_name(0), table)
    assert list(tmp_path.iterdir()) == []  # no folder, empty or half-written, and no temporary

    store.write_part("indicators", store.part_name(0), table)
    store.write_part("indicators", store.part_name(1), table.assign(run_id=1))
    assert sorted(p.name for p in (tmp_path / "indicators").iterdir()) == [
        "part-000000-000000.parquet",
        "part-000001-000001.parquet",
    ]
    assert pd.read_parquet(tmp_path / "indicators")["run_id"].tolist() == [0, 1]


def test_resume_removes_empty_and_temporary_part_folders(tmp_path):
    path = write_experiment(tmp_path, replicates=2, batch_size=1, timeseries=False)
    exp = load_experiment(path)
    out = tmp_path / "results"
    sweep.run_sweep(exp, out)
    # as an earlier version left it, killed in its second batch: every part folder made up
    # front (the timeseries ones empty), and a part folder staged but not renamed
    (out / "outcomes" / "part-000001-000001.parquet").unlink()
    (out / "outcomes.parquet").unlink()
    for sub in sweep.MONTHLY:
        (out / sub).mkdir(exist_ok=True)
    (out / ".extra.tmp-1").mkdir()  # not a part folder: not ours to remove
    staged = out / ".indicators_by_place.tmp-99999"
    staged.mkdir()
    (staged / "part-000001-000001.parquet").write_bytes(b"half")

    summary = sweep.run_sweep(exp, out, resume=True)
    assert summary.ran == 1 and summary.failed == 0
    found = folders(out)
    assert found == {
        "outcomes": 2,
        "indicators": 2,
        "indicators_by_place": 2,
        "indicators_by_origin": 2,
        ".extra.tmp-1": 0,
    }, found
