"""The check that a change of the random stream left the distributions as they were
(``benchmarks/stream.py``): the same code passes against its own samples, other seeds; a
changed rule fails."""

from __future__ import annotations

import json

import pytest
from regroup.config.scenario import with_overrides

from benchmarks import stream


def test_the_same_code_passes_and_a_changed_rule_fails(tmp_path, monkeypatch, capsys):
    file = tmp_path / "before.json"
    assert stream.main(["save", str(file), "--runs", "12", "--scale", "40"]) == 0
    assert json.loads(file.read_text())["runs"] == 12
    assert stream.main(["check", str(file)]) == 0
    assert "the same distributions" in capsys.readouterr().out

    real = stream.samples  # those in hiding caught three times as often: a changed rule

    def changed(runs, scale=10.0):
        return [
            (name, with_overrides(sc, {"hiding.detection": 0.03}), n)
            for name, sc, n in real(runs, scale)
        ]

    monkeypatch.setattr(stream, "samples", changed)
    assert stream.main(["check", str(file)]) == 1
    assert "statistics differ" in capsys.readouterr().out


def test_bad_arguments_and_files_are_refused_by_name(tmp_path, capsys):
    missing, broken = tmp_path / "missing.json", tmp_path / "broken.json"
    broken.write_text('{"runs": 12}')
    for argv, named in (
        (["check", str(missing)], "missing.json"),
        (["check", str(broken)], "broken.json"),
        (["save", str(tmp_path / "x.json"), "--runs", "1"], "--runs"),
    ):
        with pytest.raises(SystemExit) as exit_:
            stream.main(argv)
        assert exit_.value.code == 2 and named in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
