"""Issue 7, the input side: every hostile or careless input a new user might give gets the
project's usual error (file and field or line named, exit 2, nothing written) quickly and
within bounded memory, and ``--help`` shows every default. One test per case."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
import yaml
from conftest import SCENARIOS
from regroup.cli import app
from regroup.config import yaml_loader
from regroup.config.errors import ConfigError, ConfigWarning
from regroup.config.experiment import estimate, load_experiment
from regroup.config.limits import (
    MAX_DESIGN_POINTS,
    MAX_REPLICATES,
    MAX_RUNS,
    MAX_SAMPLES,
)
from regroup.config.scenario import load_scenario
from regroup.config.yaml_loader import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from typer.testing import CliRunner

BASELINE = SCENARIOS / "baseline.yaml"


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    return CliRunner()


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def only_inputs(folder: Path, *inputs: Path) -> bool:
    """Nothing but the input files in ``folder`` (no output folder, no temporary one)."""
    return sorted(folder.iterdir()) == sorted(inputs)


def refused(cli: CliRunner, args: list[str], *expected: str, seconds: float = 10.0) -> str:
    """Run the command; assert exit 2, every ``expected`` text in the error, quickly."""
    start = time.perf_counter()
    result = cli.invoke(app, args)
    took = time.perf_counter() - start
    assert result.exit_code == 2, (result.output, result.exception)
    for text in expected:
        assert text in result.output, result.output
    assert took < seconds, f"took {took:.1f} s"
    return result.output


def experiment(folder: Path, body: str, name: str = "exp.yaml") -> Path:
    """An experiment file over the baseline scenario (path relative to ``folder``)."""
    text = f"name: exp\nscenarios: [{BASELINE}]\nseed: 1\n" + body
    return write(folder / name, text)


# ----------------------------------------------------------------------------- 4. --help


def _commands() -> dict:
    return dict(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_help_shows_every_default_and_bracketed_text(cli, command):
    result = cli.invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for param in _commands()[command].params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        help_text = " ".join((param.help or "").split())
        assert help_text in text, f"{command} {param.opts}: help lost: {help_text!r}"
        if not param.is_flag and param.default is not None:
            assert f"[default: {param.default}" in text, f"{command} {param.opts}"


def test_help_of_sweep_keeps_all_cores(cli):
    result = cli.invoke(app, ["sweep", "--help"], terminal_width=200)
    assert "Local worker processes [all cores]." in result.output
    assert "Results directory [results/<name>]." in result.output


# ----------------------------------------------------------------------------- 5. YAML


def _laughs(levels: int = 9, width: int = 10) -> str:
    lines = ["a0: &a0 {x: 1, y: 2, z: 3, w: 4, v: 5, u: 6, t: 7, s: 8, r: 9, q: 10}"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_nested_aliases_fail_fast_in_bounded_memory(cli, tmp_path):
    path = write(tmp_path / "laughs.yaml", _laughs())
    assert path.stat().st_size < 1000
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match=f"more than {MAX_YAML_NODES:,} values") as info:
            load_scenario(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"{peak / 1e6:.0f} MB"
    assert str(info.value).startswith(f"{path}: ") and "(line " in str(info.value)
    refused(cli, ["validate", str(path)], str(path), "aliases expand")
    assert only_inputs(tmp_path, path)


def test_merge_keys_of_merge_keys_are_counted_too(tmp_path):
    text = "a0: &a0 {x: 1}\n" + "".join(
        f"a{i}: &a{i}\n  <<: [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)
    )
    with pytest.raises(ConfigError, match="aliases expand"):
        load_scenario(write(tmp_path / "merge.yaml", text))


def test_small_aliases_still_work(tmp_path):
    text = (
        "shape: &shape [[2013-01, 0.1], [2016-01, 0.9]]\n"
        "schedules:\n  border_control: *shape\n  enforcement: *shape\n"
    )
    # ``shape`` is not a setting: the anchor is loaded, then validation names the key
    with pytest.raises(ConfigError, match="shape: unknown setting"):
        load_scenario(write(tmp_path / "a.yaml", text))
    text = "schedules:\n  border_control: &s [[2013-01, 0.1], [2016-01, 0.9]]\n  enforcement: *s\n"
    sc = load_scenario(write(tmp_path / "b.yaml", text))
    assert sc.schedules.enforcement.points == sc.schedules.border_control.points


@pytest.mark.parametrize(
    "text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a {b: [1, {c: *a}]}\n"], ids=str
)
def test_a_self_referencing_anchor_is_an_error(cli, tmp_path, text):
    path = write(tmp_path / "self.yaml", text)
    refused(cli, ["validate", str(path)], f"{path}: an anchor refers to itself (line 1")


@pytest.mark.parametrize("opening", ["[", "{a: "], ids=["brackets", "braces"])
def test_very_deep_nesting_is_an_error_not_a_recursion_error(cli, tmp_path, opening):
    path = write(tmp_path / "deep.yaml", opening * 20_000)
    out = refused(cli, ["validate", str(path)], f"{path}: ", "(line 1, column")
    # the composer stops at MAX_YAML_DEPTH; libyaml's parser, reading ahead, may stop first
    assert f"nested more than {MAX_YAML_DEPTH}" in out or "maximum nesting depth" in out


def test_deep_block_nesting_is_an_error(tmp_path):
    text = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "1\n"
    with pytest.raises(ConfigError, match=r"nested more than \d+ levels deep \(line \d+"):
        load_scenario(write(tmp_path / "deep.yaml", text))


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(cli, tmp_path):
    path = write(tmp_path / "big.yaml", "# " + "x" * MAX_YAML_BYTES + "\n")
    refused(cli, ["validate", str(path)], f"{path}: file larger than the limit", seconds=2)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (a NUL byte on line 3"),
        ("name: x\n".encode("utf-16"), "not a text file"),
        (b"name: x\ndescription: caf\xe9\n", "not UTF-8 text (byte 0xe9 on line 2)"),
        (b"name: \x07bell\n", "malformed YAML"),
    ],
    ids=["binary", "utf-16", "latin-1", "control-character"],
)
def test_binary_or_non_utf8_input_is_an_error(cli, tmp_path, data, expected):
    path = write(tmp_path / "bad.yaml", data)
    refused(cli, ["validate", str(path)], f"{path}: ", expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "escape:\n  search_months: 3\npolicy:\n  grievances: 0.2\n"
            "escape:\n  search_months: 5\n",
            "escape: set twice (lines 1 and 5)",
        ),
        (
            "escape:\n  search_months: 3\n  search_months: 5\n",
            "escape.search_months: set twice (lines 2 and 3)",
        ),
    ],
    ids=["top-level", "nested"],
)
def test_a_duplicate_key_is_an_error(cli, tmp_path, text, expected):
    path = write(tmp_path / "dup.yaml", text)
    refused(cli, ["validate", str(path)], f"{path}: {expected}")


LOADERS = [
    yaml_loader.PyLoader,
    *([] if yaml_loader.Loader is yaml_loader.PyLoader else [yaml_loader.Loader]),
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_laughs(), "aliases expand to more than"),
        ("a: &a [*a]\n", "an anchor refers to itself"),
        ("a: " + "[" * 20_000 + "\n", "nest"),
        (
            "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)) + "  " * 40 + "1\n",
            "nested",
        ),
        ("a: 1\nb: 2\na: 3\n", "a: set twice (lines 1 and 3)"),
        ("a: [1, {b: 2, b: 3}]\n", "a.1.b: set twice"),
    ],
    ids=["laughs", "self", "brackets", "indents", "duplicate", "duplicate-in-list"],
)
def test_both_loaders_refuse_the_same_documents(loader, text, expected):
    """libyaml's parser where PyYAML has it, else the pure-Python one: the same checks."""
    with pytest.raises((yaml_loader.YamlLimitError, yaml.YAMLError)) as info:
        yaml_loader.parse(text, loader)
    assert expected in str(info.value)
    assert yaml_loader.parse("a: &x [1, 2]\nb: *x\n<<: {c: 3}\n", loader) == {
        "a": [1, 2],
        "b": [1, 2],
        "c": 3,
    }


def test_an_integer_too_long_to_convert_is_an_error(cli, tmp_path):
    path = write(tmp_path / "long.yaml", "population:\n  unit_size: " + "9" * 5000 + "\n")
    refused(cli, ["validate", str(path)], f"{path}: malformed YAML")


def test_experiment_files_use_the_same_loader(cli, tmp_path):
    path = experiment(tmp_path, "replicates: 1\nreplicates: 2\n")
    refused(cli, ["sweep", str(path), "--out", str(tmp_path / "out")], "replicates: set twice")
    laughs = write(tmp_path / "laughs.yaml", _laughs())
    refused(cli, ["sweep", str(laughs), "--out", str(tmp_path / "out")], "aliases expand")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- 6. sizes


def test_run_refuses_a_billion_replicates_at_once(cli, tmp_path):
    out = tmp_path / "out"
    text = refused(
        cli, ["run", str(BASELINE), "-n", "1000000000", "--out", str(out)], "--replicates"
    )
    assert f"{MAX_REPLICATES}" in text
    assert not out.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "replicates: 1000000000\n",
            f"replicates: Input should be less than or equal to {MAX_REPLICATES}",
        ),
        (
            "replicates: 1\ndesign: {kind: lhs, samples: 1000000000}\n"
            "parameters:\n  hiding.detection: {low: 0.01, high: 0.02}\n",
            f"design.samples: Input should be less than or equal to {MAX_SAMPLES}",
        ),
        (
            "replicates: 1\nparameters:\n"
            + "".join(
                f"  {key}: {{values: [{', '.join(str(v / 100) for v in range(10))}]}}\n"
                for key in [
                    "hiding.detection",
                    "hiding.crime_rate",
                    "allegiance.loyalty_decay",
                    "prison.radicalisation",
                    "prison.tie_formation",
                    "policy.prison_measures",
                    "policy.grievances",
                    "policy.reintegration",
                    "policy.defector_voice",
                ]
            ),
            f"design: 1,000,000,000 design points (1 scenario(s) x 1,000,000,000 grid samples); "
            f"the limit is {MAX_DESIGN_POINTS:,}",
        ),
        (
            "replicates: 100\ndesign: {kind: lhs, samples: 20000}\n"
            "parameters:\n  hiding.detection: {low: 0.01, high: 0.02}\n",
            f"= 2,000,000 runs; the limit is {MAX_RUNS:,}",
        ),
        (
            "replicates: 1\ndesign: {kind: grid, levels: 1000000000}\n"
            "parameters:\n  hiding.detection: {low: 0.01, high: 0.02}\n",
            "design.levels: Input should be less than or equal to",
        ),
    ],
    ids=["replicates", "lhs-samples", "grid-points", "total-runs", "grid-levels"],
)
def test_sweep_sizes_are_bounded_before_anything_is_allocated(cli, tmp_path, body, expected):
    path = experiment(tmp_path, body)
    tracemalloc.start()
    try:
        refused(cli, ["sweep", str(path), "--out", str(tmp_path / "out")], f"{path}: ", expected)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6, f"{peak / 1e6:.0f} MB"
    assert only_inputs(tmp_path, path)


def test_limits_are_documented_in_the_readme():
    from conftest import ROOT

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for limit in [MAX_REPLICATES, MAX_SAMPLES, MAX_DESIGN_POINTS, MAX_RUNS, MAX_YAML_BYTES]:
        assert f"{limit:,}" in readme, limit


def test_a_large_sweep_prints_its_cost_before_it_starts(cli, tmp_path, monkeypatch):
    import regroup.experiments.sweep as sweep

    path = experiment(
        tmp_path,
        "replicates: 20\ndesign: {kind: lhs, samples: 100}\n"
        "parameters:\n  hiding.detection: {low: 0.01, high: 0.02}\n",
    )
    exp = load_experiment(path)
    cost = estimate(exp, workers=2)
    assert (cost.points, cost.runs, cost.workers) == (100, 2000, 2)
    assert cost.large
    # full scale, 240 months: about 3.6 s a run (docs/performance.md), on 2 workers
    assert 2000 * 3.0 / 2 < cost.seconds < 2000 * 4.5 / 2
    assert estimate(exp, workers=1).seconds == pytest.approx(2 * cost.seconds)

    def stop(*args, **kwargs):
        raise ConfigError("stopped by the test")

    monkeypatch.setattr(sweep, "run_sweep", stop)
    result = cli.invoke(app, ["sweep", str(path), "-w", "2", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "exp: 100 design points x replicates = 2,000 runs; rough estimate on 2" in (
        " ".join(result.output.split())
    )


def test_markup_in_a_sweep_name_is_printed_as_written(cli, tmp_path, monkeypatch):
    import regroup.experiments.sweep as sweep

    path = write(
        tmp_path / "exp.yaml",
        f"name: 'x[bold]y'\nscenarios: [{BASELINE}]\nseed: 1\nreplicates: 1000\n",
    )

    def done(*args, **kwargs):  # a sweep that ran nothing
        return SimpleNamespace(runs=1000, ran=0, seconds=0.0, failed=0)

    monkeypatch.setattr(sweep, "run_sweep", done)
    out = tmp_path / "o[red]x[/red]"
    result = cli.invoke(app, ["sweep", str(path), "-w", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # long lines wrap: at spaces, or inside a path without any
    assert "x[bold]y: 1 design points x replicates = 1,000 runs" in " ".join(result.output.split())
    assert f"wrote {out}/:" in "".join(result.output.splitlines())


def test_a_small_sweep_is_not_large(tmp_path):
    path = experiment(tmp_path, "replicates: 2\noverrides:\n  population.scale: 50\n")
    assert not estimate(load_experiment(path), workers=2).large


# ----------------------------------------------------------------------------- 7. validation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("escape:\n  smuggler_fee_usd: {low: .nan, high: 9000}\n", "escape.smuggler_fee_usd.low"),
        ("escape:\n  smuggler_fee_usd: {low: 7000, high: .inf}\n", "escape.smuggler_fee_usd.high"),
        ("hiding:\n  detection: .nan\n", "hiding.detection"),
        ("hiding:\n  living_cost_usd: -.inf\n", "hiding.living_cost_usd"),
        ("combat:\n  death_hazard:\n    zealot: .nan\n", "combat.death_hazard.zealot"),
        (
            "schedules:\n  border_control: [[2013-01, .nan]]\n",
            "schedules.border_control.0.1",
        ),
        ("hiding:\n  detection: 'nan'\n", "hiding.detection"),
    ],
    ids=["range-low", "range-high", "scalar", "minus-inf", "table", "schedule", "string"],
)
def test_nan_and_infinity_are_rejected_in_scenarios(cli, tmp_path, text, expected):
    path = write(tmp_path / "nan.yaml", text)
    refused(cli, ["validate", str(path)], f"{path}: {expected}: Input should be a finite number")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_infinity_are_rejected_in_experiment_ranges(cli, tmp_path, value):
    path = experiment(
        tmp_path,
        "replicates: 1\ndesign: {kind: lhs, samples: 4}\n"
        f"parameters:\n  hiding.detection: {{low: {value}, high: 0.02}}\n",
    )
    refused(
        cli,
        ["sweep", str(path), "--out", str(tmp_path / "out")],
        f"{path}: parameters.hiding.detection.low: Input should be a finite number",
    )
    assert only_inputs(tmp_path, path)


def test_nan_in_grid_values_is_rejected(cli, tmp_path):
    path = experiment(
        tmp_path, "replicates: 1\nparameters:\n  hiding.detection: {values: [.nan]}\n"
    )
    refused(
        cli,
        ["sweep", str(path), "--out", str(tmp_path / "out")],
        "hiding.detection: Input should be a finite number",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hiding:\n  detection: true\n", "hiding.detection"),
        ("population:\n  unit_size: false\n", "population.unit_size"),
        ("escape:\n  smuggler_fee_usd: {low: true, high: 9000}\n", "escape.smuggler_fee_usd.low"),
        ("combat:\n  death_hazard:\n    zealot: true\n", "combat.death_hazard.zealot"),
        ("schedules:\n  border_control: [[2013-01, true]]\n", "schedules.border_control.0.1"),
    ],
    ids=["float", "int", "range", "table", "schedule"],
)
def test_true_or_false_for_a_number_is_an_error(cli, tmp_path, text, expected):
    path = write(tmp_path / "bool.yaml", text)
    refused(cli, ["validate", str(path)], f"{path}: {expected}: Input should be a valid number")


@pytest.mark.parametrize("body", ["replicates: true\n", "replicates: 1\nseed: false\n"])
def test_true_or_false_for_a_number_is_an_error_in_experiments(cli, tmp_path, body):
    path = write(tmp_path / "exp.yaml", f"name: exp\nscenarios: [{BASELINE}]\n" + body)
    if "seed" not in body:
        path = write(path, path.read_text() + "seed: 1\n")
    refused(cli, ["sweep", str(path), "--out", str(tmp_path / "out")], "not true or false")


def test_integers_are_still_numbers(tmp_path):
    text = (
        "hiding:\n  detection: 0\n  living_cost_usd: 300\n"
        "schedules:\n  enforcement: [[2013-01, 1]]\n"
    )
    sc = load_scenario(write(tmp_path / "ints.yaml", text))
    assert sc.hiding.detection == 0.0 and sc.hiding.living_cost_usd == 300.0
    assert sc.schedules.enforcement.points[0][1] == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "policy:\n  grievances: 0.5\n  start: 2040-01\n",
            "policy.start: 2040-01 is after time.end (2032-12)",
        ),
        (
            "policy:\n  prison_measures: 0.5\ntime:\n  start: 2019-01\n",
            "policy.start: 2017-10 is before time.start (2019-01)",
        ),
    ],
    ids=["after-end", "before-start"],
)
def test_policy_start_must_lie_inside_time_when_a_lever_is_set(cli, tmp_path, text, expected):
    path = write(tmp_path / "policy.yaml", text)
    refused(cli, ["validate", str(path)], f"{path}: {expected}")


def test_policy_start_outside_a_short_window_is_fine_without_a_lever(tmp_path):
    sc = load_scenario(write(tmp_path / "short.yaml", "time:\n  end: 2015-12\n"))
    assert sc.policy.start == "2017-10"


@pytest.mark.parametrize(
    "text",
    [
        "time:\n  start: 0000-01\n  end: 0002-12\n",
        "time:\n  end: 9999-12\n",
        "schedules:\n  border_control: [[0001-01, 0.5]]\n",
    ],
    ids=["year-0", "year-9999", "schedule-year-1"],
)
def test_years_must_be_ones_the_figures_can_draw(cli, tmp_path, text):
    path = write(tmp_path / "years.yaml", text)
    refused(cli, ["validate", str(path)], f"{path}: ", "the year must be between 1900 and 2200")


def test_an_empty_scenario_file_is_a_warning_not_an_error(cli, tmp_path):
    path = write(tmp_path / "empty.yaml", "# nothing here yet\n")
    with pytest.warns(ConfigWarning, match="no settings in the file"):
        load_scenario(path)
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"warning: {path}: no settings in the file: the defaults are used" in result.stderr
    assert "ok (empty)" in result.stdout


def test_markup_in_a_name_is_printed_as_written(cli, tmp_path):
    path = write(tmp_path / "m.yaml", "name: '[bold red]x[red]'\nhiding:\n  detection: 2\n")
    out = refused(cli, ["validate", str(path)], "hiding.detection")
    path = write(tmp_path / "ok.yaml", "name: '[bold red]x[red]'\n")
    result = cli.invoke(app, ["validate", str(path)])
    assert "ok ([bold red]x[red])" in result.stdout, out


@pytest.mark.parametrize(
    ("start", "end"), [("1900-01", "1900-06"), ("2200-07", "2200-12")], ids=["1900", "2200"]
)
def test_the_first_and_last_allowed_years_run_and_draw(cli, tmp_path, start, end):
    path = write(
        tmp_path / "edge.yaml",
        f"time:\n  start: {start}\n  end: {end}\npopulation:\n  scale: 1000\n",
    )
    out = tmp_path / "out"
    result = cli.invoke(app, ["run", str(path), "-n", "1", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert list((out / "figures").glob("*.png"))


def test_thousands_of_bad_entries_give_a_short_message(cli, tmp_path):
    path = write(tmp_path / "many.yaml", "".join(f"k{i}: 1\n" for i in range(5000)))
    out = refused(cli, ["validate", str(path)], f"{path}: k0: unknown setting")
    assert f"{path}: and 4,980 more problems" in " ".join(out.split())
    assert out.count("\n") <= 25


def test_a_long_chain_of_extends_is_an_error(cli, tmp_path):
    for i in range(40):
        write(tmp_path / f"s{i}.yaml", f"extends: s{i + 1}.yaml\n" if i < 39 else "name: end\n")
    refused(cli, ["validate", str(tmp_path / "s0.yaml")], "extends: a chain of more than 16 files")


def test_validate_warns_of_a_name_that_is_not_a_folder_name(cli, tmp_path):
    path = write(tmp_path / "n.yaml", 'name: "../../x\\e[2J"\n')
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "holds a path separator" in result.stderr
    assert "ok ('../../x\\x1b[2J')" in result.stdout  # quoted: no escape reaches the terminal
    assert "\x1b" not in result.output
