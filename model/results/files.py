"""Writing outputs safely: names that are labels, output paths checked before any work, and
one atomic writer.

* :func:`check_name`: a scenario or experiment ``name`` is a label, never a path. It is
  refused (not rewritten) if it is empty, longer than 100 characters, starts or ends with a
  space, starts with ``.`` (hidden, ``..``), or holds ``/``, ``\\`` or a control character.
* :func:`check_output`: before anything runs, an output path must not be the current folder
  or one above it, not a file where a folder goes (nor the reverse), and sit in a folder that
  can be created and written. An existing folder is used only if regroup wrote it (its
  ``manifest.json`` says so) and it holds nothing regroup did not write; anything else is an
  :class:`OutputError` naming the path, and the folder is left untouched.
* :func:`staged`: everything is written into a hidden sibling ``.<name>.tmp-<pid>`` and renamed
  into place when complete; on any error the temporary is removed (an OSError, such as a full
  disk, becomes an OutputError naming the path), so nothing is ever half-written.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from regroup.config.scenario import ConfigError

Kind = Literal["run", "sweep", "figures", "file"]

# what regroup writes at the top of each kind of folder (earlier versions' run files included)
RESULTS_ENTRIES = (
    "manifest.json",
    "experiment.yaml",
    "design.parquet",
    "runs.parquet",
    "outcomes.parquet",
    "outcomes.csv",
    "outcomes",
    "indicators",
    "timeseries",
    "timeseries_by_place",
    "timeseries_by_origin",
    "indicators_by_place",
    "indicators_by_origin",
    "figures",
    "report.html",
    "sensitivity",
    "timeseries.parquet",
    "indicators.parquet",
    "fan_chart_states.png",
    "regroup_pool_end.png",
    "p_regrouped_by_year.png",
)
OWNED: dict[str, tuple[str, ...]] = {
    "run": RESULTS_ENTRIES,
    "sweep": RESULTS_ENTRIES,
    "figures": ("manifest.json", "*.png", "*.csv"),
}
COMMAND = {"run": "regroup run", "sweep": "regroup sweep", "figures": "regroup plot"}
MAX_NAME = 100


class OutputError(ConfigError):
    """An output path that cannot be used; the message names it. Nothing was written."""


def check_name(name: str, source: str | Path) -> str:
    """``name`` if it is a label that is safe as a folder or file name, else OutputError."""
    problem = None
    if not name or name != name.strip():
        problem = "is empty or starts or ends with a space"
    elif len(name) > MAX_NAME:
        problem = f"is longer than {MAX_NAME} characters"
    elif "/" in name or "\\" in name:
        problem = "holds a path separator"
    elif name.startswith("."):
        problem = "starts with '.'"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        problem = "holds a control character"
    if problem:
        raise OutputError(
            f"{source}: name: {name!r} {problem}; a name is a label, not a path "
            "(letters, digits, spaces, '_', '-', '.'); to write elsewhere pass --out"
        )
    return name


def git_commit() -> str | None:
    """The commit of the code's git checkout, if it is one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def versions() -> dict[str, str]:
    """Python's and the main packages' versions."""
    names = ["regroup", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def figures_manifest(results: Path, **extra: Any) -> dict[str, Any]:
    """The manifest of a figures folder made from the results at ``results``."""
    return {
        "kind": "figures",
        "results": str(results),
        **extra,
        "versions": versions(),
        "command": " ".join(sys.argv),
    }


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest if regroup wrote it (it names versions and a command), else None."""
    try:
        info = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not {"versions", "command"} <= info.keys():
        return None
    return info


def manifest_kind(info: dict[str, Any]) -> str:
    """What wrote a manifest: ``run``, ``sweep`` or ``figures`` (earlier versions had no kind)."""
    return info.get("kind") or ("sweep" if "experiment" in info else "run")


def _shown(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _probe(folder: Path) -> None:
    """OutputError unless a file can be created in ``folder`` (or, if missing, its parent)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{existing}: is a file, not a folder; choose another --out")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".regroup-probe-", dir=existing))
    except OSError as exc:
        raise OutputError(f"{existing}: cannot write here ({exc.strerror or exc})") from None


def check_output(path: Path, kind: Kind, resume: bool = False) -> Literal["new", "replace"]:
    """Check ``path`` before any work; ``new`` if nothing is there to keep, ``replace`` if it
    holds an earlier output of the same kind that may be replaced whole.

    ``kind`` is ``run``, ``sweep`` (a folder kept and finished by ``resume``), ``figures``
    (folders) or ``file``. Raises OutputError naming the path; nothing is created or changed.
    """
    path = Path(path)
    full, here = path.resolve(), Path.cwd().resolve()
    if full == here or full in here.parents:
        raise OutputError(f"{path}: is the current folder or holds it; name a new folder")
    if kind == "file":
        if path.is_dir():
            raise OutputError(f"{path}: is a folder; name a file")
        _probe(path.parent)
        return "new"
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another --out")
    _probe(path if path.is_dir() else path.parent)
    entries = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    if not entries:
        return "new"
    info = read_manifest(path)
    if info is None:
        older = kind in OWNED and all(any(fnmatch(e, p) for p in OWNED[kind]) for e in entries)
        hint = "; if an earlier regroup wrote them, delete the folder yourself" if older else ""
        raise OutputError(
            f"{path}: exists and holds files regroup did not write ({_shown(entries)}){hint}; "
            "choose another --out (nothing was changed)"
        )
    written = manifest_kind(info)
    if kind == "sweep" and written in ("run", "sweep"):
        if not resume:
            raise OutputError(
                f"{path}: already exists; pass --resume to finish it, or choose another --out"
            )
        return "new"
    if written != kind:
        raise OutputError(
            f"{path}: holds the output of {COMMAND.get(written, written)}, which "
            f"{COMMAND[kind]} does not replace; choose another --out (nothing was changed)"
        )
    foreign = [e for e in entries if not any(fnmatch(e, p) for p in OWNED[kind])]
    if foreign:
        raise OutputError(
            f"{path}: holds files regroup did not write ({_shown(foreign)}); move them or "
            "choose another --out (nothing was changed)"
        )
    return "replace"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _move_into_place(tmp: Path, path: Path) -> None:
    if tmp.is_dir() and path.is_dir() and any(path.iterdir()):
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def public(path: Path) -> Path:
    """``path`` as the user will see it: each temporary ``.<name>.tmp-<pid>`` as ``<name>``."""
    return Path(*(re.sub(r"^\.(.+)\.tmp-\d+$", r"\1", part) for part in Path(path).parts))


@contextmanager
def staged(path: Path, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` (a new folder if ``folder``) to write into; when
    the block ends without error, rename it to ``path`` (replacing what is there, which
    :func:`check_output` allowed). On error the temporary is removed; OSError -> OutputError."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove(tmp)
        if folder:
            tmp.mkdir()
        yield tmp
        _move_into_place(tmp, path)
    except OSError as exc:
        raise OutputError(f"{public(path)}: cannot write: {exc.strerror or exc}") from None
    finally:
        _remove(tmp)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` and rename ``tmp`` to ``path``; on error remove ``tmp``."""
    with staged(path) as tmp:
        write(tmp)


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """``df`` as a Parquet file at ``path``, atomically."""
    write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


def write_json(data: Any, path: Path) -> None:
    """``data`` as indented JSON at ``path``, atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=str)))


def write_text(text: str, path: Path) -> None:
    """``text`` (UTF-8) at ``path``, atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
