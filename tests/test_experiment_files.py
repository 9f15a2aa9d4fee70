"""Experiment files: the shipped ones are valid; bad ones get clear errors and write nothing."""

from __future__ import annotations

import dask
import pytest
from regroup.cli import app
from regroup.config.experiment import load_experiment
from regroup.config.scenario import ConfigError
from sweep_support import EXPERIMENTS, SCENARIOS, write_experiment
from typer.testing import CliRunner

POLICIES = (
    "prison_measures",
    "intelligence_sharing",
    "reintegration",
    "defector_voice",
    "grievances",
    "border_crackdown",
    "combined",
    "maximal",
)


def test_policy_comparison_has_every_policy_against_the_baseline():
    exp = load_experiment(EXPERIMENTS / "policy_comparison.yaml")
    assert exp.baseline == "baseline"
    assert {s.name for s in exp.scenarios} == {"baseline", *POLICIES}
    assert exp.spec.replicates >= 20


@pytest.mark.parametrize("name", ["smoke", "sensitivity", "screening", "policy_places"])
def test_shipped_experiments_are_valid(name):
    exp = load_experiment(EXPERIMENTS / f"{name}.yaml")
    assert exp.name == name


def test_policy_places_has_every_policy_at_a_tenth_scale():
    exp = load_experiment(EXPERIMENTS / "policy_places.yaml")
    assert {s.name for s in exp.scenarios} == {"baseline", *POLICIES}
    assert all(s.population.scale == 10 for s in exp.scenarios)


def test_smoke_is_small():
    exp = load_experiment(EXPERIMENTS / "smoke.yaml")
    assert all(s.population.scale >= 20 for s in exp.scenarios)


BAD = [
    ({"colour": "red"}, "colour: unknown setting"),
    ({"design": {"kind": "factorial"}}, "design.kind: Input should be"),
    ({"replicates": 0}, "replicates: Input should be greater than or equal to 1"),
    (
        {"parameters": {"policy.nonsense": {"low": 0, "high": 1}}},
        "parameters.policy.nonsense: no such parameter in the scenario",
    ),
    (
        {"parameters": {"policy.prison_measures": {"low": 1, "high": 0}}},
        "parameters.policy.prison_measures: low must be <= high",
    ),
    (
        {"parameters": {"policy.prison_measures": {"low": 0, "hgih": 1}}},
        "parameters.policy.prison_measures.hgih: unknown setting",
    ),
    (
        {"parameters": {"time.start": {"low": 0, "high": 1}}},
        "parameters.time.start: not a number",
    ),
    (
        {
            "parameters": {"policy.prison_measures": {"low": 0, "high": 2}},
            "design": {"kind": "lhs", "samples": 4},
        },
        "(baseline): policy.prison_measures: Input should be less than or equal to 1",
    ),
    (
        {
            "parameters": {"policy.prison_measures": {"low": 0, "high": 1}},
            "design": {"kind": "sobol", "samples": 6},
        },
        "design.samples: must be a power of 2",
    ),
    ({"design": {"kind": "lhs", "samples": 4}}, "parameters: a lhs design needs parameter"),
    ({"design": {"kind": "morris", "samples": 4, "levels": 5}}, "design.levels: must be even"),
    ({"overrides": {"population.scael": 20}}, "overrides.population.scael: no such parameter"),
    ({"overrides": {"population.scale": -1}}, "population.scale: Input should be greater"),
    ({"scenarios": ["missing.yaml"]}, "scenarios.0: "),
    ({"baseline": "nobody"}, "baseline: no scenario named 'nobody'"),
    ({"outcome": "happiness"}, "outcome: unknown outcome 'happiness'"),
    (
        {"scenarios": [str(SCENARIOS / "baseline.yaml")] * 2},
        "scenarios.1: a second scenario named 'baseline'",
    ),
]


@pytest.mark.parametrize(("settings", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_files_name_the_file_and_the_field(tmp_path, settings, message):
    path = write_experiment(tmp_path, **settings)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nreplicates: [1,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken.yaml: malformed YAML \(line"):
        load_experiment(path)


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_cli_rejects_bad_files_with_exit_2_and_writes_nothing(tmp_path, command):
    path = write_experiment(tmp_path, parameters={"policy.nonsense": {"low": 0, "high": 1}})
    out = tmp_path / "results"
    result = CliRunner().invoke(app, [command, str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "parameters.policy.nonsense: no such parameter" in result.output
    assert str(path) in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_sensitivity_needs_a_sobol_or_morris_design(tmp_path):
    path = write_experiment(tmp_path)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["sensitivity", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "design.kind: sensitivity needs a sobol or morris design" in result.output
    assert not out.exists()


def test_unreachable_scheduler_is_an_error_before_anything_is_written(tmp_path):
    path = write_experiment(tmp_path)
    out = tmp_path / "results"
    args = ["sweep", str(path), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--scheduler tcp://127.0.0.1:9: cannot connect" in result.output
    assert not out.exists()
