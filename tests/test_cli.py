"""``regroup run`` end to end (the layout of a sweep), reproducibility whatever the number of
workers, ``regroup plot`` and ``report`` on a run's results, and ``regroup params``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from regroup.cli import app
from regroup.config.parameter_table import parameter_table
from regroup.config.scenario import load_scenario, with_overrides
from regroup.experiments.designs import replicate_seeds
from regroup.experiments.runner import run_replicates
from regroup.results.outcomes import OUTCOMES
from sweep_support import monthly
from typer.testing import CliRunner

SEED, REPLICATES = 4242, 3
# the scenario the e2e file resolves to: name and description are not inherited
# fixed parameters: these runs check the run's layout and determinism against
# run_replicates, which runs one scenario as given (drawn runs: test_uncertainty_runs.py)
SMALL_E2E = {
    "population.scale": 50,
    "name": "small",
    "description": "",
    "uncertainty.parameters": "fixed",
}
OUTCOME_COLUMNS = ["scenario", "replicate", "seed", *OUTCOMES]
EXPECTED_COLUMNS = [
    "scenario",
    "replicate",
    "seed",
    "foreign_total",
    "killed_foreign",
    "killed_total",
    "returned",
    "detained_end",
    "hiding_end",
    "released_total",
    "reoffended",
    "criminal_end",
    "regroup_pool_end",
    "regroup_pool_peak",
    "regrouped",
    "regroup_year",
    "able_to_regroup_2025",
    "able_to_regroup_2030",
    "rival_pool_end",
    "supporters_end",
    "pool_ever_imprisoned_end",
    "pool_foreign_end",
    "pool_hiding_abroad_end",
    "pool_mean_ideology_end",
    "pool_mean_loyalty_end",
    "smuggled_from_camps",
]
PNG = b"\x89PNG\r\n\x1a\n"


def regroup_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("regroup")
    return [str(script)] if script.exists() else [sys.executable, "-m", "regroup.cli"]


@contextmanager
def exclusive(lock: Path, timeout: float = 600.0):
    """Hold ``lock`` (a file created exclusively) for the ``with`` block."""
    waited = 0.0
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            if waited > timeout:
                raise TimeoutError(f"{lock} held for {timeout:.0f} s") from None
            time.sleep(0.2)
            waited += 0.2
    try:
        yield
    finally:
        os.close(fd)
        os.remove(lock)


@pytest.fixture(scope="session")
def e2e(tmp_path_factory) -> tuple[Path, Path]:
    """``regroup run`` at scale 50: 3 replicates on 2 workers. Returns (scenario, out).

    Run once per test session: pytest-xdist workers share it through their common
    temporary directory.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    d = shared / "e2e"
    scenario, out = d / "small.yaml", d / "results" / "small"
    with exclusive(shared / "e2e.lock"):
        if not (d / "done").exists():
            d.mkdir(exist_ok=True)
            scenario.write_text(
                f"extends: {SCENARIOS / 'baseline.yaml'}\nname: small\npopulation:\n  scale: 50\n"
                "uncertainty:\n  parameters: fixed\n",
                encoding="utf-8",
            )
            args = ["run", str(scenario), "-n", str(REPLICATES), "-w", "2", "--seed", str(SEED)]
            done = subprocess.run(
                [*regroup_command(), *args, "--out", str(out)],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            assert f"wrote {out}" in done.stderr
            (d / "done").touch()
    return scenario, out


def test_run_writes_the_layout_of_a_sweep_and_figures(e2e):
    _, out = e2e
    names = {p.name for p in out.iterdir()}
    assert {
        "outcomes.parquet",
        "outcomes.csv",
        "manifest.json",
        "experiment.yaml",
        "design.parquet",
        "runs.parquet",
        "outcomes",
        "indicators",
        "timeseries",
        "figures",
    } <= names
    for table in ("outcomes", "indicators", "timeseries"):
        assert list((out / table).glob("part-*.parquet")), table
    figures = sorted((out / "figures").glob("*.png"))
    assert {"p_regrouped_by_year.png", "fan_states.png", "fan_free.png"} <= {
        f.name for f in figures
    }
    for fig in figures:
        data = fig.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, fig.name
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left
    csv = pd.read_csv(out / "outcomes.csv")
    parquet = pd.read_parquet(out / "outcomes.parquet")
    assert list(csv.columns) == [c for c in parquet.columns if c != "traceback"]
    assert csv["killed_total"].tolist() == parquet["killed_total"].tolist()


def test_outcomes_have_one_row_per_replicate(e2e):
    _, out = e2e
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert OUTCOME_COLUMNS == EXPECTED_COLUMNS
    ids = ["run_id", "point_id", "scenario", "replicate", "draw", "seed", *OUTCOMES]
    assert list(outcomes.columns[: len(ids)]) == ids
    assert outcomes["error"].isna().all() and (outcomes["draw"] == 0).all()
    assert outcomes["run_id"].tolist() == outcomes["replicate"].tolist() == list(range(REPLICATES))
    assert outcomes["seed"].tolist() == replicate_seeds(SEED, REPLICATES)
    assert set(outcomes["scenario"]) == {"small"}
    assert (outcomes["foreign_total"] > 0).all() and (outcomes["killed_total"] > 0).all()
    # different seeds give different runs
    assert outcomes[["killed_total", "returned", "detained_end"]].drop_duplicates().shape[0] > 1


def test_monthly_tables_cover_every_replicate_and_month(e2e):
    _, out = e2e
    ts = pd.read_parquet(out / "timeseries")
    ind = pd.read_parquet(out / "indicators")
    ids = ["run_id", "point_id", "scenario", "replicate"]
    assert list(ts.columns) == [*ids, "month", "state", "role", "origin", "persons"]
    assert sorted(ts["replicate"].unique()) == list(range(REPLICATES))
    assert len(ind) == REPLICATES * 240
    assert (
        ind.groupby("replicate")["month"].agg(["first", "last"]).values.tolist()
        == [["2013-01", "2032-12"]] * REPLICATES
    )


def test_manifest_records_scenario_seeds_versions_and_commit(e2e):
    scenario, out = e2e
    info = json.loads((out / "manifest.json").read_text())
    assert info["kind"] == "run" and info["status"] == "complete"
    assert info["scenarios"] == {"small": load_scenario(scenario).model_dump(mode="json")}
    assert info["scenarios"]["small"]["population"]["scale"] == 50
    assert info["experiment"]["settings"]["replicates"] == REPLICATES
    assert (info["seed"], info["sessions"][0]["workers"]) == (SEED, 2)
    assert info["run_seeds"] == replicate_seeds(SEED, REPLICATES)
    assert info["seeds"].startswith("SeedSequence(seed).spawn(replicates)[replicate]")
    assert info["versions"]["mesa"] == "3.3.1"
    assert info["versions"]["python"].startswith("3.11")
    assert re.fullmatch(r"[0-9a-f]{40}", info["git_commit"])
    assert re.fullmatch(r"[0-9a-f]{64}", info["code"]["source_sha256"])
    # the experiment file it writes repeats the run with regroup sweep
    assert f"- {scenario.resolve()}" in (out / "experiment.yaml").read_text()


@pytest.fixture(scope="session")
def one_worker(baseline):
    """The e2e scenario and seed run on 1 worker in this process (set up first, so that it
    runs while another pytest worker runs the CLI)."""
    scenario = with_overrides(baseline, SMALL_E2E)
    return list(run_replicates(scenario, REPLICATES, SEED, workers=1))


def test_same_seed_same_numbers_with_one_worker_or_two(one_worker, e2e):
    """The CLI ran on 2 worker processes; ``one_worker`` the same scenario and seed on 1."""
    scenario, out = e2e
    assert (
        load_scenario(scenario).model_dump()
        == with_overrides(load_scenario(SCENARIOS / "baseline.yaml"), SMALL_E2E).model_dump()
    ), "the two runs are of the same scenario"
    one = pd.DataFrame([r.outcomes for r in one_worker])
    two = pd.read_parquet(out / "outcomes.parquet")[one.columns]
    pd.testing.assert_frame_equal(one, two, check_dtype=False)
    for table in ("timeseries", "indicators"):
        frames = [getattr(r, table) for r in one_worker]
        mine = pd.concat(frames, ignore_index=True)
        for col in mine.select_dtypes("category"):
            mine[col] = mine[col].astype(str)
        theirs = monthly(out, table).drop(columns=["run_id", "point_id", "scenario"])
        pd.testing.assert_frame_equal(mine, theirs[mine.columns], check_dtype=False)


def test_replicate_seeds_do_not_depend_on_how_many_are_asked_for():
    assert replicate_seeds(7, 5)[:3] == replicate_seeds(7, 3)
    assert replicate_seeds(7, 3) != replicate_seeds(8, 3)
    assert len(set(replicate_seeds(7, 100))) == 100
    child = np.random.SeedSequence(7).spawn(3)[2]
    assert replicate_seeds(7, 3)[2] == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


# ----------------------------------------------------------------------------- plot, report


def test_plot_and_report_work_on_a_run_directory(e2e, tmp_path):
    _, out = e2e
    figures = tmp_path / "figures"
    result = CliRunner().invoke(app, ["plot", str(out), "--out", str(figures)])
    assert result.exit_code == 0, result.output
    assert (figures / "p_regrouped_by_year.png").read_bytes().startswith(PNG)
    assert (figures / "fan_states.png").read_bytes().startswith(PNG)
    summary = pd.read_csv(figures / "summary.csv")
    assert set(summary["scenario"]) == {"small"}
    # every run counts, except for the regroup year: only the runs that regrouped have one
    year = summary["outcome"] == "regroup_year"
    assert (summary.loc[~year, "runs"] == REPLICATES).all()
    assert (summary.loc[year, "runs"] <= REPLICATES).all()
    assert pd.read_csv(figures / "effects.csv").empty  # one scenario: nothing to compare
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(out), "--out", str(report)])
    assert result.exit_code == 0, result.output
    text = report.read_text(encoding="utf-8")
    assert "<h1>regroup run: small</h1>" in text
    assert f"{REPLICATES} runs (0 failed) of the scenario, seed {SEED}" in text
    assert text.count('<img src="data:image/png;base64,') >= 5


# ----------------------------------------------------------------------------- params


def test_params_prints_the_parameter_table():
    result = CliRunner().invoke(app, ["params"])
    assert result.exit_code == 0
    assert result.stdout == parameter_table()


def test_params_writes_the_parameter_table(tmp_path):
    out = tmp_path / "parameters.md"
    result = CliRunner().invoke(app, ["params", "--out", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == parameter_table()
    assert [p.name for p in tmp_path.iterdir()] == ["parameters.md"]
