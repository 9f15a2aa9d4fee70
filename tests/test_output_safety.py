"""Output safety (issue 7, items 1-3): names are labels, output paths are checked before any
work, no folder regroup did not write is ever deleted or overwritten, nothing is left
half-written, and ``--resume`` refuses another experiment or another version of the code.

Every refusal is exit status 2 with the path (or file and field) named, and leaves the
user's files as they were.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS
from regroup.cli import app
from regroup.experiments import sweep
from regroup.results.files import OutputError, staged
from sweep_support import write_experiment
from typer.testing import CliRunner

# a scenario that runs in about a second: coarse, and ending in mid-2014
TINY = 'population:\n  scale: 100\ntime:\n  end: "2014-06"\n'


def scenario(folder: Path, name: str = "tiny") -> Path:
    path = folder / "tiny.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'baseline.yaml'}\nname: {json.dumps(name)}\n{TINY}",
        encoding="utf-8",
    )
    return path


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a sweep gets as far as its runs (the checks come before any work)."""

    def started(*args, **kwargs):
        raise AssertionError("the sweep started working before its output was checked")

    monkeypatch.setattr(sweep, "_sweep", started)


@pytest.fixture
def user_folder(tmp_path) -> Path:
    """A folder of the user's, with a file and a subfolder in it."""
    folder = tmp_path / "thesis"
    (folder / "chapter").mkdir(parents=True)
    (folder / "notes.txt").write_text("keep me")
    (folder / "chapter" / "draft.md").write_text("keep me too")
    return folder


def refused(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())  # the message is not wrapped, but be sure
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("/home/me/thesis", "holds a path separator"),
        ("../../x", "holds a path separator"),
        ("a\\b", "holds a path separator"),
        ("..", "starts with '.'"),
        (".hidden", "starts with '.'"),
        ("bell\x07", "holds a control character"),
        (" padded", "starts or ends with a space"),
    ],
)
def test_a_name_is_a_label_never_a_path(tmp_path, monkeypatch, no_work, name, problem):
    monkeypatch.chdir(tmp_path)
    path = scenario(tmp_path, name)
    refused(invoke("run", path, "-n", 1), f"{path}: name:", problem, "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]  # no results/


def test_an_absolute_name_does_not_touch_the_folder_it_names(
    tmp_path, monkeypatch, no_work, user_folder
):
    """``name: /home/me/thesis`` used to delete that folder and put results in its place."""
    before = snapshot(user_folder)
    monkeypatch.chdir(tmp_path)
    refused(invoke("run", scenario(tmp_path, str(user_folder)), "-n", 1), "name:")
    assert snapshot(user_folder) == before


def test_an_experiment_name_and_its_scenarios_names_are_labels(tmp_path, monkeypatch, no_work):
    monkeypatch.chdir(tmp_path)
    path = write_experiment(tmp_path, name="..")
    refused(invoke("sweep", path), f"{path}: name: '..'")
    path = write_experiment(tmp_path, scenarios=[str(scenario(tmp_path, "a/b"))])
    refused(invoke("sweep", path, "--out", tmp_path / "out"), "tiny.yaml: name: 'a/b'")
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


# ----------------------------------------------------------------------------- folders


def test_run_out_a_folder_of_someone_elses_leaves_it_untouched(tmp_path, no_work, user_folder):
    """``--out`` at an existing folder used to delete everything in it."""
    before = snapshot(user_folder)
    result = invoke("run", scenario(tmp_path), "-n", 1, "--out", user_folder)
    refused(result, f"{user_folder}: exists and holds files regroup did not write", "notes.txt")
    assert snapshot(user_folder) == before


def test_plot_out_a_folder_of_someone_elses_leaves_it_untouched(tmp_path, user_folder):
    results = tmp_path / "results"
    assert invoke("run", scenario(tmp_path), "-n", 2, "--out", results).exit_code == 0
    before = snapshot(user_folder)
    result = invoke("plot", results, "--out", user_folder)
    refused(result, f"{user_folder}: exists and holds files regroup did not write")
    assert snapshot(user_folder) == before
    # nor the results folder itself
    refused(invoke("plot", results, "--out", results), "which regroup plot does not replace")
    assert (results / "outcomes.parquet").is_file()
    # its own figures folder is replaced whole; a file added to it protects it
    figures = results / "figures"
    assert invoke("plot", results).exit_code == 0
    (figures / "mine.txt").write_text("mine")
    refused(invoke("plot", results), f"{figures}: holds files regroup did not write (mine.txt)")
    assert (figures / "mine.txt").read_text() == "mine"
    # figures of an earlier regroup (no manifest): refused, and the message says what to do
    (figures / "mine.txt").unlink()
    (figures / "manifest.json").unlink()
    refused(invoke("plot", results), "if an earlier regroup wrote them, delete the folder")
    assert (figures / "effects.csv").is_file()


def test_run_replaces_an_earlier_run_but_nothing_else(tmp_path):
    out = tmp_path / "out"
    path = scenario(tmp_path)
    assert invoke("run", path, "-n", 2, "--seed", 1, "--out", out).exit_code == 0
    first = pd.read_parquet(out / "outcomes.parquet")
    result = invoke("run", path, "-n", 3, "--seed", 2, "--out", out)
    assert result.exit_code == 0, result.output
    second = pd.read_parquet(out / "outcomes.parquet")
    assert len(second) == 3 and set(second["seed"]).isdisjoint(first["seed"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]  # no temp left
    # a file of the user's inside it, or a sweep's results: refused, untouched
    (out / "notes.txt").write_text("mine")
    refused(invoke("run", path, "-n", 1, "--out", out), "notes.txt")
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "kind": "sweep"}))
    refused(invoke("run", path, "-n", 1, "--out", out), "holds the output of regroup sweep")
    assert pd.read_parquet(out / "outcomes.parquet").equals(second)


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_out_an_existing_file_is_refused(tmp_path, no_work, command):
    target = tmp_path / "results.txt"
    target.write_text("a file")
    source = scenario(tmp_path) if command == "run" else write_experiment(tmp_path)
    refused(invoke(command, source, "--out", target), f"{target}: exists and is not a folder")
    assert target.read_text() == "a file"


def test_out_the_current_folder_is_refused(tmp_path, monkeypatch, no_work):
    path = scenario(tmp_path)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for out in (".", ".."):
        refused(invoke("run", path, "-n", 1, "--out", out), f"{out}: is the current folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "tiny.yaml"]


def test_a_folder_inside_a_file_is_refused(tmp_path, no_work):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "results"
    refused(invoke("run", scenario(tmp_path), "--out", out), f"{tmp_path / 'file'}: is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_any_work(tmp_path, no_work):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    refused(invoke("run", scenario(tmp_path), "--out", locked / "x"), f"{locked}: cannot write")
    assert list(locked.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, monkeypatch, no_work):
    """The same check as above for any user (root included): the folder is probed by
    creating a temporary folder in it, here made to fail as on a read-only folder."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        if Path(kwargs.get("dir", "")) == locked:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    result = invoke("run", scenario(tmp_path), "--out", locked / "x")
    refused(result, f"{locked}: cannot write here (Permission denied)")
    result = invoke("sweep", write_experiment(tmp_path), "--out", locked)
    refused(result, f"{locked}: cannot write here")
    assert list(locked.iterdir()) == []


def test_a_full_disk_is_a_clear_error_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "out"
    result = invoke("run", scenario(tmp_path), "-n", 1, "--out", out)
    refused(result, f"{out}: cannot write: No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_staged_writes_appear_whole_or_not_at_all(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged(out, folder=True) as tmp:
        (tmp / "outcomes.parquet").write_text("half")
        raise RuntimeError("a run failed")
    assert list(tmp_path.iterdir()) == []
    for files in (["a", "b"], ["c"]):
        with staged(out, folder=True) as tmp:
            for name in files:
                (tmp / name).write_text(name)
    assert sorted(p.name for p in out.iterdir()) == ["c"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with pytest.raises(OutputError, match="out: cannot write"), staged(out) as tmp:
        raise OSError(errno.EROFS, "Read-only file system")


def test_report_out_a_missing_folder_creates_it_and_a_folder_is_refused(tmp_path):
    results = tmp_path / "results"
    assert invoke("run", scenario(tmp_path), "-n", 2, "--out", results).exit_code == 0
    report = tmp_path / "new" / "folder" / "report.html"
    result = invoke("report", results, "--out", report)
    assert result.exit_code == 0, result.output
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    refused(invoke("report", results, "--out", tmp_path / "new"), "new: is a folder")


# ----------------------------------------------------------------------------- resume


def test_resume_refuses_another_code_version_unless_forced(tmp_path):
    path = write_experiment(tmp_path, replicates=1, overrides={"population.scale": 100,
                                                               "time.end": "2014-06"})  # fmt: skip
    out = tmp_path / "results"
    assert invoke("sweep", path, "--out", out, "-w", 1).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["code"]["source_sha256"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "outcomes" / next((out / "outcomes").iterdir()).name).unlink()  # interrupted
    before = snapshot(out)

    result = invoke("sweep", path, "--out", out, "--resume")
    refused(result, f"{out}: was written by another version of the code", "--force-resume")
    assert snapshot(out) == before

    result = invoke("sweep", path, "--out", out, "--force-resume", "-w", 1)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["ran"] for s in manifest["sessions"]] == [1, 1]  # the code of each session
    assert manifest["code"]["source_sha256"] == "0" * 64  # the code it was started with
    assert manifest["sessions"][1]["code"]["source_sha256"] != "0" * 64
    # a finished sweep is reused whatever the code (sensitivity of another outcome): nothing runs
    (out / "manifest.json").write_text(json.dumps({**manifest, "code": {}}))
    result = invoke("sweep", path, "--out", out, "--resume")
    assert result.exit_code == 0 and "(0 run now" in result.output, result.output


def test_resume_refuses_another_experiment_file(tmp_path):
    tiny = {"population.scale": 100, "time.end": "2014-06"}
    out = tmp_path / "results"
    path = write_experiment(tmp_path, replicates=1, overrides=tiny)
    assert invoke("sweep", path, "--out", out, "-w", 1).exit_code == 0
    before = snapshot(out)
    other = write_experiment(tmp_path, name="other", replicates=1, seed=99, overrides=tiny)
    for flag in ("--resume", "--force-resume"):
        result = invoke("sweep", other, "--out", out, flag)
        refused(result, f"{out}: was written by another experiment file", "choose another --out")
    assert snapshot(out) == before
