"""Property-based test of issue 7: mutated scenario and experiment files given to
``validate``, ``run`` and ``sweep`` end with exit 0 or 2, never a traceback; on exit 2 nothing
is written; otherwise nothing outside ``results/`` of the working folder; memory stays bounded.

Each example works in a fresh folder ``<tmp>/a/b/work`` (the working directory), so that a
name such as ``../../x`` or an absolute path into ``<tmp>/outside`` would show up as a write
outside it. Runs are tiny (4 months, one agent per 1,000 persons, at most a few runs) and the
figures of ``run`` are stubbed (they take longer than the runs; the year limits that keep
them drawable are tested in test_input_safety.py). Examples are derandomised and bounded:
the whole file takes well under a minute.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from regroup.cli import app
from typer.testing import CliRunner

PEAK_BYTES = 400e6  # Python-side peak (tracemalloc) of one command
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCENARIO: dict[str, Any] = {
    "name": "fz",
    "time": {"start": "2013-01", "end": "2013-04"},
    "population": {"scale": 1000},
}
EXPERIMENT: dict[str, Any] = {
    "name": "fzx",
    "scenarios": ["s.yaml"],
    "replicates": 1,
    "seed": 1,
    "timeseries": False,
    "batch_size": 2,
    "parameters": {"hiding.detection": {"values": [0.01, 0.02]}},
}

# scenario fields whose hostile values cannot make a valid run long or large
RUN_PATHS = [
    "name",
    "description",
    "extends",
    "hiding.detection",
    "hiding.living_cost_usd",
    "escape.smuggler_fee_usd",
    "escape.smuggler_fee_usd.low",
    "schedules.border_control",
    "policy.start",
    "policy.grievances",
    "population.unit_size",
    "combat.death_hazard.zealot",
    "population.foreign_region_shares.north_africa",
    "no_such.setting",
]
# and those a scenario can only be validated with (a valid value may mean a long run)
VALIDATE_PATHS = [*RUN_PATHS, "time", "time.start", "time.end", "population.scale", "population"]
EXPERIMENT_PATHS = [
    "name",
    "scenarios",
    "scenarios.0",
    "replicates",
    "seed",
    "batch_size",
    "outcome",
    "baseline",
    "design",
    "design.kind",
    "design.samples",
    "design.levels",
    "parameters",
    "parameters.hiding.detection",
    "parameters.hiding.detection.low",
    "parameters.hiding.detection.values",
    "overrides",
    "overrides.policy.grievances",
    "no_such_key",
]

OUTSIDE = "<outside>"  # replaced by an absolute path next to the working folder
HOSTILE = [
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
    "",
    ".",
    "..",
    "../../x",
    "a/b",
    OUTSIDE,
    "[bold red]x[/]",
    "x\ny",
    "\x1b[31m",
    "2013-13",
    "0000-01",
    "1899-12",
    "2201-01",
    "2013-02",
    "9999-12",
    10**30,
    -1,
    0,
    1,
    2,
    0.5,
    1e308,
    [],
    {},
    [["2013-01", 0.5]],
    [["2013-01", math.nan]],
    {"low": math.nan, "high": 1},
    {"low": 2, "high": 1},
    {"low": 0.01, "high": 0.02},
    {"values": [0.01, True]},
    {"kind": "lhs", "samples": 3},
    {"kind": "sobol", "samples": 1},
    {"kind": "morris", "samples": 1},
    {"kind": "grid", "levels": 10**9},
    ["s.yaml", "s.yaml"],
    ["missing.yaml"],
    ["/dev/zero"],
    "s.yaml",
    "e.yaml",
    "/dev/zero",
    "/proc/self/environ",
]
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-2, max_value=4),  # larger sizes: test_input_safety.py
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``dotted`` set (scenario groups nest; experiment maps whose keys
    are dotted paths, such as ``parameters``, take the rest of the path as one key)."""
    head, _, rest = dotted.partition(".")
    out = dict(data)
    if rest and head in ("parameters", "overrides"):
        key, _, field = rest.rpartition(".") if rest.count(".") > 1 else (rest, "", "")
        inner = dict(out.get(head) or {}) if isinstance(out.get(head), dict) else {}
        if field:
            cur = inner.get(key)
            inner[key] = {**(cur if isinstance(cur, dict) else {}), field: value}
        else:
            inner[key] = value
        out[head] = inner
    elif rest and isinstance(out.get(head), list):
        items = list(out[head])
        index = int(rest) if rest.isdigit() else 0
        if index < len(items):
            items[index] = value
        out[head] = items
    elif rest:
        child = out.get(head)
        out[head] = set_dotted(child if isinstance(child, dict) else {}, rest, value)
    else:
        out[head] = value
    return out


def _laughs() -> str:
    lines = ["l0: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


@st.composite
def text_edits(draw: st.DrawFn, text: str) -> bytes:
    """Byte-level damage to a YAML text: an inserted byte string, a line doubled or dropped,
    a cut, an alias bomb, deep nesting or a self-reference appended, a BOM or a NUL."""
    data = text.encode("utf-8")
    kind = draw(
        st.sampled_from(
            # the first (and simplest) leaves the text as it is, and comes up most often
            ["none"] * 4
            + ["insert", "double", "drop", "cut", "laughs", "deep", "self", "bom", "nul"]
        )
    )
    at = draw(st.integers(0, len(data)))
    lines = data.splitlines(keepends=True)
    line = draw(st.integers(0, max(0, len(lines) - 1)))
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    if kind == "double" and lines:
        return b"".join([*lines[: line + 1], lines[line], *lines[line + 1 :]])
    if kind == "drop" and lines:
        return b"".join(lines[:line] + lines[line + 1 :])
    if kind == "cut":
        return data[:at]
    if kind == "laughs":
        return data + _laughs().encode()
    if kind == "deep":
        # (20,000 brackets: test_input_safety.py; PyYAML's scanner looks back 1,024 characters)
        return data + b"deep: " + b"[" * draw(st.integers(30, 300)) + b"\n"
    if kind == "self":
        return data + b"me: &me [1, *me]\n"
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "nul":
        return data[:at] + b"\0" + data[at:]
    return data


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], paths: list[str], outside: str) -> bytes:
    """``base`` with up to three fields set to hostile values, dumped, then damaged."""
    data = base
    for _ in range(draw(st.integers(0, 3))):
        value = draw(values)
        data = set_dotted(
            data, draw(st.sampled_from(paths)), outside if value == OUTSIDE else value
        )
    return draw(text_edits(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))


def snapshot(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@contextmanager
def sandbox():
    """A fresh ``<tmp>/a/b/work`` as the working directory; yields (tmp, work)."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        work = root / "a" / "b" / "work"
        work.mkdir(parents=True)
        os.chdir(work)
        try:
            yield root, work
        finally:
            os.chdir(old)


def check(args: list[str], root: Path, work: Path, inputs: set[Path]) -> None:
    """Run the command; exit 0 or 2 without a traceback, bounded memory, and writes only
    under ``results/`` of the working folder (none at all on exit 2)."""
    before = snapshot(root)
    assert inputs <= before
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = CliRunner().invoke(app, args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    took = time.perf_counter() - start
    files = {p.name: p.read_bytes()[:400] for p in inputs if p.is_file()}  # for the report
    assert result.exit_code in (0, 2), (result.exit_code, result.output, files)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception,
        files,
    )
    assert "Traceback" not in result.output
    assert peak < PEAK_BYTES, f"{peak / 1e6:.0f} MB"
    assert took < 60, f"{took:.0f} s"  # a hang, not a slow machine
    new = snapshot(root) - before
    if result.exit_code == 2:
        assert not new, (sorted(map(str, new)), result.output)
    results = work / "results"
    outside = [p for p in new if p != results and results not in p.parents]
    assert not outside, (sorted(map(str, outside)), result.output, files)


def _figures_stub(res: Any, out: Path, workers: int = 1) -> list[Path]:
    Path(out).mkdir(parents=True, exist_ok=True)
    return []


@settings(max_examples=40, **SETTINGS)
@given(st.data())
def test_validate_never_crashes_on_mutated_scenarios(data: st.DataObject) -> None:
    with sandbox() as (root, work):
        outside = str(root / "outside")
        text = data.draw(mutated(SCENARIO, VALIDATE_PATHS, outside))
        path = work / "s.yaml"
        path.write_bytes(text)
        check(["validate", "s.yaml"], root, work, {path})


@settings(max_examples=10, **SETTINGS)
@given(st.data())
def test_run_never_crashes_on_mutated_scenarios(data: st.DataObject) -> None:
    with sandbox() as (root, work):
        outside = str(root / "outside")
        path = work / "s.yaml"
        path.write_bytes(data.draw(mutated(SCENARIO, RUN_PATHS, outside)))
        with mock.patch("regroup.results.figures.write_figures", _figures_stub):
            check(["run", "s.yaml", "-n", "2", "-w", "1"], root, work, {path})


@settings(max_examples=12, **SETTINGS)
@given(st.data())
def test_sweep_never_crashes_on_mutated_experiments(data: st.DataObject) -> None:
    with sandbox() as (root, work):
        outside = str(root / "outside")
        scenario = work / "s.yaml"
        if data.draw(st.booleans()):
            scenario.write_bytes(data.draw(mutated(SCENARIO, RUN_PATHS, outside)))
        else:
            scenario.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
        path = work / "e.yaml"
        path.write_bytes(data.draw(mutated(EXPERIMENT, EXPERIMENT_PATHS, outside)))
        check(["sweep", "e.yaml", "-w", "1"], root, work, {path, scenario})


def test_the_unmutated_files_run():
    """The harness itself: the base scenario and experiment run, inside results/ only."""
    with sandbox() as (root, work):
        scenario = work / "s.yaml"
        scenario.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
        path = work / "e.yaml"
        path.write_text(yaml.safe_dump(EXPERIMENT), encoding="utf-8")
        with mock.patch("regroup.results.figures.write_figures", _figures_stub):
            check(["run", "s.yaml", "-n", "2", "-w", "1"], root, work, {scenario, path})
        check(["sweep", "e.yaml", "-w", "1"], root, work, {scenario, path})
        assert (work / "results" / "fz" / "manifest.json").is_file()
        assert (work / "results" / "fzx" / "manifest.json").is_file()
