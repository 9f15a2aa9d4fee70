"""Bad input through the command line: exit status 2, one message naming the file and the
dotted path of the field, and no output directory (nothing half-written)."""

from __future__ import annotations

from pathlib import Path

import pytest
from regroup.cli import app
from typer.testing import CliRunner

# (id, files to write {name: text}, the file given to the CLI, what the message must say)
CASES = [
    (
        "unknown-key",
        {"bad.yaml": "escape:\n  smuggler_fees_usd: 5\n"},
        "bad.yaml",
        ["escape.smuggler_fees_usd: unknown setting"],
    ),
    (
        "unknown-group",
        {"bad.yaml": "escapes:\n  search_months: 5\n"},
        "bad.yaml",
        ["escapes: unknown setting"],
    ),
    (
        "wrong-type",
        {"bad.yaml": "escape:\n  search_months: soon\n"},
        "bad.yaml",
        ["escape.search_months: Input should be a valid number"],
    ),
    (
        "scalar-for-a-table",
        {"bad.yaml": "combat:\n  death_hazard: 0.1\n"},
        "bad.yaml",
        ["combat.death_hazard:"],
    ),
    (
        "out-of-range",
        {"bad.yaml": "hiding:\n  detection: 1.5\n"},
        "bad.yaml",
        ["hiding.detection: Input should be less than or equal to 1"],
    ),
    (
        "out-of-range-in-a-table",
        {"bad.yaml": "combat:\n  death_hazard:\n    zealot: -0.1\n"},
        "bad.yaml",
        ["combat.death_hazard.zealot: Input should be greater than or equal to 0"],
    ),
    (
        "shares-not-summing-to-1",
        {"bad.yaml": "population:\n  foreign_region_shares:\n    north_africa: 0.9\n"},
        "bad.yaml",
        ["population.foreign_region_shares: shares must sum to 1"],
    ),
    (
        "range-low-above-high",
        {"bad.yaml": "escape:\n  smuggler_fee_usd: {low: 10000, high: 7000}\n"},
        "bad.yaml",
        ["escape.smuggler_fee_usd: low must be <= high"],
    ),
    (
        "range-outside-bounds",
        {"bad.yaml": "prison:\n  sentence_home_years: {low: 1, high: 80}\n"},
        "bad.yaml",
        ["prison.sentence_home_years: range must lie within"],
    ),
    (
        "schedule-out-of-order",
        {"bad.yaml": "schedules:\n  territorial_control: [[2016-01, 0.5], [2015-01, 0.2]]\n"},
        "bad.yaml",
        ["schedules.territorial_control: dates must be strictly increasing"],
    ),
    (
        "schedule-bad-month",
        {"bad.yaml": "schedules:\n  territorial_control: [[2015-13, 0.5]]\n"},
        "bad.yaml",
        ["schedules.territorial_control", "'2015-13' is not a month written YYYY-MM"],
    ),
    (
        "schedule-value-above-1",
        {"bad.yaml": "schedules:\n  combat_intensity: [[2015-01, 1.5]]\n"},
        "bad.yaml",
        ["schedules.combat_intensity", "less than or equal to 1"],
    ),
    (
        "end-before-start",
        {"bad.yaml": "time:\n  start: 2013-01\n  end: 2012-06\n"},
        "bad.yaml",
        ["time: end must be after start"],
    ),
    (
        "bad-policy-month",
        {"bad.yaml": "policy:\n  start: 2017-00\n"},
        "bad.yaml",
        ["policy.start: '2017-00' is not a month written YYYY-MM"],
    ),
    (
        "local-recruits-among-foreigners",
        {
            "bad.yaml": "population:\n  foreign_role_shares:\n    local_recruit: 0.1\n"
            "    novice: 0.2\n"
        },
        "bad.yaml",
        ["population.foreign_role_shares.local_recruit: must be 0"],
    ),
    (
        "missing-extends-file",
        {"bad.yaml": "extends: nowhere.yaml\nname: bad\n"},
        "bad.yaml",
        ["extends: file not found: nowhere.yaml"],
    ),
    (
        "extends-not-a-file-name",
        {"bad.yaml": "extends: [a.yaml, b.yaml]\n"},
        "bad.yaml",
        ["extends: must be a file name"],
    ),
    (
        "circular-extends",
        {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"},
        "a.yaml",
        ["circular extends: a.yaml -> b.yaml -> a.yaml"],
    ),
    (
        "extends-itself",
        {"self.yaml": "extends: self.yaml\n"},
        "self.yaml",
        ["circular extends: self.yaml -> self.yaml"],
    ),
    (
        "malformed-yaml",
        {"bad.yaml": "escape:\n  search_months: [1, 2\n"},
        "bad.yaml",
        ["malformed YAML (line"],
    ),
    (
        "not-a-mapping",
        {"bad.yaml": "- escape\n- hiding\n"},
        "bad.yaml",
        ["the top level must be a mapping"],
    ),
    ("missing-scenario-file", {}, "missing.yaml", ["file not found"]),
    (
        "markup-like-key",
        {"bad.yaml": "escape:\n  '[/x]': 1\n"},
        "bad.yaml",
        ["escape.[/x]: unknown setting"],
    ),
]


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    return CliRunner()


def setup_files(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


def nothing_written(tmp_path: Path) -> bool:
    return not any(p.name.startswith(("out", ".out")) for p in tmp_path.iterdir())


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(
    ("files", "target", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_clear_error(cli, tmp_path, command, files, target, expected):
    setup_files(tmp_path, files)
    path = tmp_path / target
    args = [command, str(path)]
    if command == "run":
        args += ["--replicates", "1", "--out", str(tmp_path / "out")]
    result = cli.invoke(app, args)
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith("error: ") and message.count("\n") == 1, message
    assert f"{path}: " in message
    for part in expected:
        assert part in message
    assert nothing_written(tmp_path)


def test_an_error_in_an_extended_file_names_the_file_that_set_it(cli, tmp_path):
    setup_files(
        tmp_path,
        {
            "parent.yaml": "hiding:\n  detection: 2\n",
            "child.yaml": "extends: parent.yaml\nprison:\n  cell_size: 1\n",
        },
    )
    result = cli.invoke(app, ["validate", str(tmp_path / "child.yaml")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'parent.yaml'}: hiding.detection:" in result.stderr
    assert f"{tmp_path / 'child.yaml'}: prison.cell_size:" in result.stderr


def test_a_good_file_validates(cli):
    from conftest import SCENARIOS

    result = cli.invoke(app, ["validate", str(SCENARIOS / "combined.yaml")])
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("ok (combined)")


@pytest.mark.parametrize(
    "extra",
    [
        ["--replicates", "0"],
        ["--replicates", "many"],
        ["--workers", "0"],
        ["--seed", "-1"],
        ["--no-such-option"],
    ],
    ids=["zero-replicates", "non-numeric-replicates", "zero-workers", "negative-seed", "unknown"],
)
def test_bad_arguments_are_refused_before_running(cli, tmp_path, extra):
    from conftest import SCENARIOS

    out = tmp_path / "out"
    result = cli.invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--out", str(out), *extra])
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert nothing_written(tmp_path)


@pytest.mark.parametrize("args", [["run"], ["validate"], ["no-such-command"]])
def test_a_missing_argument_or_command_is_refused(cli, args):
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert "Usage:" in result.output
