"""``regroup calibrate``: bad calibration files, a small single-core calibration (its outputs,
that runs read its posterior, that it repeats from its seed, that it resumes from its
database), and the distance.

The calibrations here are tiny (a dozen particles, two generations, 1/80 scale, runs
ending in 2018) so that the file costs well under a minute of CPU.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from regroup.cli import app
from regroup.config.calibration import load_calibration
from regroup.config.errors import ConfigError
from regroup.config.targets import Target
from regroup.experiments.calibration import RangeDistance, excess, run_calibration
from regroup.experiments.draws import parameter_sets, read_posterior
from typer.testing import CliRunner

EXPERIMENTS = ROOT / "experiments"
SCENARIOS = ROOT / "scenarios"

SMALL = """
name: tiny
scenario: {scenario}
targets: {targets}
overrides:
  population.scale: 80
  time.end: 2018-12
parameters:
  - population.foreign_peak_recruits_per_month
  - combat.death_hazard
fit:
  - recruits_per_month_2014_15
  - returned_share_2018_06
hold_out:
  - fighters_killed_early_2017
population_size: 12
generations: {generations}
max_simulations: 400
predictive: 6
seed: 11
"""


def small_file(tmp_path: Path, generations: int = 2, **replace: str) -> Path:
    text = SMALL.format(
        scenario=ROOT / "scenarios" / "baseline.yaml",
        targets=EXPERIMENTS / "targets.yaml",
        generations=generations,
    )
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "old, new, field, message",
    [
        (
            "  - combat.death_hazard",
            "  - combat.no_such_thing",
            "parameters.1",
            "not a substantive parameter",
        ),
        (
            "  - fighters_killed_early_2017",
            "  - returned_share_2018_06",
            "hold_out.0",
            "also fitted",
        ),
        ("  - returned_share_2018_06\nhold", "  - no_such_target\nhold", "fit.1", "no target"),
        ("  - fighters_killed_early_2017", "  - uk_returned_2017", "hold_out.0", "not computable"),
        ("  - returned_share_2018_06\nhold", "  - libya_2018\nhold", "fit.1", "model_part"),
        ("population_size: 12", "population_size: 12\npopulation_sise: 3", "population_sise", ""),
        ("generations: 2", "generations: 0", "generations", ""),
    ],
)
def test_bad_calibration_file_exits_2_and_writes_nothing(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    path = small_file(tmp_path, **{old: new})
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["calibrate", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and field in result.output and message in result.output
    assert not out.exists()


def test_bad_targets_file_of_a_calibration_exits_2(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    text = (EXPERIMENTS / "targets.yaml").read_text(encoding="utf-8")
    targets.write_text(text.replace("quantity: recruits_per_month\n", "quantity: recruits\n", 1))
    path = small_file(tmp_path, **{str(EXPERIMENTS / "targets.yaml"): str(targets)})
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["calibrate", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert str(targets) in result.output and "unknown quantity 'recruits'" in result.output
    assert not out.exists()


def test_shipped_calibration_files_are_valid() -> None:
    for name in ("calibrate_baseline", "calibrate_smoke", "calibrate_screen"):
        cal = load_calibration(EXPERIMENTS / f"{name}.yaml")
        assert not set(cal.spec.fit) & set(cal.spec.hold_out)


def test_existing_folder_needs_resume_and_foreign_folder_is_refused(tmp_path: Path) -> None:
    path = small_file(tmp_path)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["calibrate", str(path), "--out", str(foreign)])
    assert result.exit_code == 2 and "did not write" in result.output
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


# ------------------------------------------------------------------------------ distance


def _target(low: float, high: float) -> Target:
    return Target(quantity="reoffending_share", low=low, high=high, counts="c", source="s")


def test_distance_is_zero_in_range_and_grows_in_range_widths() -> None:
    t = _target(10, 20)
    assert excess(15, t) == 0 and excess(10, t) == 0 and excess(20, t) == 0
    assert excess(25, t) == pytest.approx(0.5) and excess(0, t) == pytest.approx(1.0)
    assert excess(math.nan, t) == 1.0
    d = RangeDistance({"a": t, "b": _target(0, 1)})
    assert d({"a": 30, "b": 0.5}) == pytest.approx(math.sqrt((1.0**2 + 0) / 2))


# ------------------------------------------------------------------------------ small runs


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cal")
    cal = load_calibration(small_file(tmp))
    run_calibration(cal, tmp / "out", workers=1)
    return tmp / "out"


def test_small_calibration_writes_its_outputs(calibrated: Path) -> None:
    names = {p.name for p in calibrated.iterdir()}
    assert {
        "manifest.json",
        "calibration.db",
        "posterior.parquet",
        "particles.parquet",
        "generations.csv",
        "predictive.parquet",
        "targets.csv",
        "report.html",
        "figures",
    } <= names
    figures = {p.name for p in (calibrated / "figures").iterdir()}
    assert {"prior_posterior.png", "generations.png", "predictive.png", "pairs.png"} <= figures
    info = json.loads((calibrated / "manifest.json").read_text())
    assert info["kind"] == "calibration" and info["status"] == "complete"
    assert info["generations"] == 2 and info["reproducible"] is True
    targets = pd.read_csv(calibrated / "targets.csv")
    assert list(targets["target"]) == [
        "recruits_per_month_2014_15",
        "returned_share_2018_06",
        "fighters_killed_early_2017",
    ]
    assert list(targets["role"]) == ["fitted", "fitted", "held out"]
    assert targets[["posterior_5", "posterior_95"]].notna().all().all()
    html = (calibrated / "report.html").read_text()
    assert "fighters_killed_early_2017" in html and "data:image/png;base64" in html


def test_every_simulation_and_particle_has_its_seed(calibrated: Path) -> None:
    info = json.loads((calibrated / "manifest.json").read_text())
    logged = [
        json.loads(line)
        for f in (calibrated / "simulations").glob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    assert len(logged) == info["simulations"]
    particles = pd.read_parquet(calibrated / "particles.parquet")
    assert set(particles["seed"]) <= {row["seed"] for row in logged}


def test_runs_read_the_posterior_file(calibrated: Path) -> None:
    path = calibrated / "posterior.parquet"
    table = read_posterior(path)
    assert set(table.columns) == {
        "population.foreign_peak_recruits_per_month",
        "combat.death_hazard",
        "weight",
    }
    sets = parameter_sets(path, draws=5, seed=3)
    assert len(sets) == 5
    names = list(table.columns.drop("weight"))
    rows = {tuple(round(s.record[k], 9) for k in names) for s in sets}
    known = {
        tuple(round(v, 9) for v in r) for r in table.drop(columns="weight").itertuples(index=False)
    }
    assert rows <= known
    factor = sets[0].record["combat.death_hazard"]
    assert sets[0].overrides["combat.death_hazard"]["zealot"] == pytest.approx(0.03 * factor)


def test_single_core_calibration_repeats_from_its_seed(calibrated: Path, tmp_path: Path) -> None:
    cal = load_calibration(small_file(tmp_path))
    run_calibration(cal, tmp_path / "again", workers=1)
    first = pd.read_parquet(calibrated / "posterior.parquet")
    second = pd.read_parquet(tmp_path / "again" / "posterior.parquet")
    pd.testing.assert_frame_equal(first, second)


def test_resume_continues_from_the_database(tmp_path: Path) -> None:
    path = small_file(tmp_path, generations=2)
    cal = load_calibration(path)
    # a calibration stopped after its first generation (as if killed between generations)
    stopped = cal.spec.model_copy(update={"generations": 1, "predictive": 0})
    cal.spec = stopped
    run_calibration(cal, tmp_path / "out", workers=1)
    first = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert first["generations"] == 1
    with pytest.raises(ConfigError, match="--resume"):
        run_calibration(load_calibration(path), tmp_path / "out", workers=1)
    run_calibration(load_calibration(path), tmp_path / "out", workers=1, resume=True)
    info = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert info["generations"] == 2
    assert info["simulations"] > first["simulations"]
    gens = pd.read_csv(tmp_path / "out" / "generations.csv")
    assert list(gens["t"]) == [0, 1]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_draws_from_the_shipped_posterior(path: Path) -> None:
    """The baseline and every scenario extending it (so ``make run`` too) draw the fitted
    parameters from the shipped posterior and the others from their priors."""
    from regroup.config.scenario import load_scenario

    u = load_scenario(path).uncertainty
    assert Path(u.source) == (ROOT / "docs" / "calibration" / "posterior.parquet").resolve()
    assert u.others == "prior"


def test_shipped_posterior_is_read_by_runs() -> None:
    path = ROOT / "docs" / "calibration" / "posterior.parquet"
    table = read_posterior(path)
    cal = load_calibration(EXPERIMENTS / "calibrate_baseline.yaml")
    assert list(table.columns) == [*cal.spec.parameters, "weight"]
    sets = parameter_sets(path, draws=3, seed=1, others="fixed")
    assert all(set(s.overrides) == set(cal.spec.parameters) for s in sets)
    drawn = parameter_sets(path, draws=3, seed=1)  # others: prior (the calibration's default)
    assert all(set(s.overrides) > set(cal.spec.parameters) for s in drawn)
