"""Runs that draw their parameters: paired draws and seeds across scenarios, recorded draws,
the same numbers on 1 or 2 workers, the command line, scenario discovery on the results."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from regroup.cli import app
from regroup.config.experiment import load_experiment
from regroup.experiments import sweep
from sweep_support import FAST, SCENARIOS, outcomes, write_experiment
from typer.testing import CliRunner

PRIOR = {"parameters": "prior", "replicates_per_draw": 2}
TWO = [str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "prison_measures.yaml")]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Two scenarios x 2 draws x 2 replicates, on 1 and on 2 workers."""
    folder = tmp_path_factory.mktemp("drawn")
    path = write_experiment(folder, scenarios=TWO, replicates=4, uncertainty=PRIOR)
    exp = load_experiment(path)
    sweep.run_sweep(exp, folder / "one", workers=1)
    sweep.run_sweep(exp, folder / "two", workers=2)
    return exp, folder


def test_runs_record_their_draw_and_its_parameters(drawn):
    exp, folder = drawn
    table = outcomes(folder / "one")
    assert exp.draws == 2 and sorted(table["draw"].unique()) == [0, 1]
    assert (table["draw"] == table["replicate"] // 2).all()
    assert "regroup.critical_mass" in table.columns and "prison.radicalisation" in table.columns
    drawn_cols = [c for c in table.columns if c.startswith(("regroup.", "prison.", "hiding."))]
    per_draw = table.groupby(["scenario", "draw"])[drawn_cols].nunique()
    assert (per_draw == 1).all().all()  # the runs of one draw share its parameters
    by_draw = table[table["scenario"] == "baseline"].groupby("draw")["regroup.critical_mass"]
    assert by_draw.first().nunique() == 2  # two draws, two parameter sets


def test_every_scenario_gets_the_same_draws_and_seeds(drawn):
    _, folder = drawn
    table = outcomes(folder / "one").set_index(["draw", "replicate"])
    base = table[table["scenario"] == "baseline"]
    policy = table[table["scenario"] == "prison_measures"]
    assert (base["seed"] == policy["seed"]).all()
    assert (base["regroup.critical_mass"] == policy["regroup.critical_mass"]).all()


def test_drawn_runs_are_the_same_on_one_or_two_workers(drawn):
    _, folder = drawn
    assert_frame_equal(outcomes(folder / "one"), outcomes(folder / "two"))


def test_a_parameter_the_scenario_sets_is_not_drawn(tmp_path):
    scenario = tmp_path / "fixed_mass.yaml"
    scenario.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nregroup:\n  critical_mass: 777\n")
    path = write_experiment(
        tmp_path, scenarios=[str(SCENARIOS / "baseline.yaml"), str(scenario)], uncertainty=PRIOR
    )
    draws = sweep.parameter_draws(load_experiment(path))
    kept, free = draws["fixed_mass"][0], draws["baseline"][0]
    assert "regroup.critical_mass" not in kept.record
    assert "regroup.critical_mass" in free.record
    # the other parameters are drawn alike in both scenarios
    kept_free = {k: v for k, v in free.record.items() if k != "regroup.critical_mass"}
    assert kept.record == kept_free


def test_replicates_that_do_not_split_evenly_leave_a_smaller_last_draw(tmp_path):
    path = write_experiment(tmp_path, replicates=3, uncertainty=PRIOR)
    exp = load_experiment(path)
    assert exp.draws == 2
    runs = sweep.runs_table(exp, sweep.design_table(exp))
    assert runs["draw"].tolist() == [0, 0, 1]


def scenario_file(tmp_path):
    path = tmp_path / "small.yaml"
    fast = "population:\n  scale: {}\ntime:\n  end: '{}'\n".format(
        FAST["population.scale"], FAST["time.end"]
    )
    path.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\nname: small\n{fast}")
    return path


def test_run_takes_parameters_from_the_command_line(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(scenario_file(tmp_path)), "-n", "4", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--parameters", "prior", "--replicates-per-draw", "1"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "outcomes.parquet")
    assert sorted(table["draw"]) == [0, 1, 2, 3]
    assert table["regroup.critical_mass"].nunique() == 4

    result = CliRunner().invoke(app, ["discover", str(out), "--outcome", "killed_total"])
    assert result.exit_code == 0, result.output
    assert (out / "discovery" / "prim_box.csv").exists()
    assert (out / "discovery" / "prim_tradeoff.png").exists()


def test_a_missing_posterior_file_is_an_input_error(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(scenario_file(tmp_path)), "-n", "2", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--parameters", "nowhere.parquet"])
    assert result.exit_code == 2
    assert "nowhere.parquet" in result.output
    assert not out.exists()


def test_discover_explains_fixed_runs(tmp_path):
    out = tmp_path / "run"
    args = ["run", str(scenario_file(tmp_path)), "-n", "2", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    result = CliRunner().invoke(app, ["discover", str(out)])
    assert result.exit_code == 2
    assert "no drawn parameters" in result.output


def test_plot_and_report_show_the_uncertainty_of_drawn_runs(drawn, tmp_path):
    _, folder = drawn
    figures = tmp_path / "figures"
    result = CliRunner().invoke(app, ["plot", str(folder / "one"), "--out", str(figures)])
    assert result.exit_code == 0, result.output
    for name in ("variance_split.png", "policy_robustness.png"):
        assert (figures / name).stat().st_size > 0
    effects = pd.read_csv(figures / "paired_effects.csv")
    assert effects["scenario"].tolist() == ["prison_measures"]
    assert effects["draws"].tolist() == [2]
    assert 0 <= effects["lowers"].iloc[0] <= 1
    split = pd.read_csv(figures / "variance_split.csv")
    assert set(split["scenario"]) == {"baseline", "prison_measures"}
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(folder / "one"), "--out", str(report)])
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert "P(regrouped by 2030) over parameter draws" in text
    assert "Paired effects on the pool" in text
