"""Monte Carlo replicates of a scenario, in parallel, written atomically to a directory.

Replicate ``i`` gets the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so the
numbers do not depend on the number of workers or the order runs finish in.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.results.outcomes import indicators, outcome_row, timeseries


@dataclass
class RunResult:
    """One replicate's outcomes (a row) and monthly tables."""

    outcomes: dict[str, Any]
    timeseries: pd.DataFrame
    indicators: pd.DataFrame


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """One independent 63-bit seed per replicate, from ``SeedSequence(seed).spawn``."""
    children = np.random.SeedSequence(seed).spawn(replicates)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def run_replicate(scenario: Scenario, seed: int, replicate: int = 0) -> RunResult:
    """Run one replicate of ``scenario`` with ``seed``."""
    model = RegroupModel(scenario, seed=seed).run()
    row = {"scenario": scenario.name, "replicate": replicate, "seed": seed}
    row.update(outcome_row(model))
    ts = timeseries(model)
    ind = indicators(model)
    for df in (ts, ind):
        df.insert(0, "replicate", replicate)
    return RunResult(row, ts, ind)


def _run_packed(args: tuple[Scenario, int, int]) -> RunResult:
    return run_replicate(*args)


def pool_context() -> multiprocessing.context.BaseContext:
    """Fork where available (fast start; ``import mesa`` switches the default to spawn)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_replicates(
    scenario: Scenario, replicates: int, seed: int, workers: int = 1
) -> Iterator[RunResult]:
    """Yield the replicates' results in replicate order."""
    jobs = [(scenario, s, i) for i, s in enumerate(replicate_seeds(seed, replicates))]
    if workers <= 1:
        yield from map(_run_packed, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        yield from pool.map(_run_packed, jobs, chunksize=1)


def git_commit() -> str | None:
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
    names = ["regroup", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "matplotlib"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(scenario: Scenario, **extra: Any) -> dict[str, Any]:
    return {
        "scenario": scenario.model_dump(mode="json"),
        **extra,
        "versions": versions(),
        "git_commit": git_commit(),
        "command": " ".join(sys.argv),
    }


class AtomicDir:
    """Write into a temporary sibling directory; rename it to ``final`` on success only."""

    def __init__(self, final: Path) -> None:
        self.final = Path(final)
        self.tmp = self.final.with_name(f".{self.final.name}.tmp-{os.getpid()}")

    def __enter__(self) -> Path:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.final.exists():
            old = self.final.with_name(f".{self.final.name}.old-{os.getpid()}")
            self.final.rename(old)
            self.tmp.rename(self.final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.tmp.rename(self.final)


def run_to_directory(
    scenario: Scenario,
    out: Path,
    replicates: int,
    seed: int,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    plots: bool = True,
) -> Path:
    """Run the replicates and write outcomes, time series, manifest and figures to ``out``."""
    seeds = replicate_seeds(seed, replicates)
    rows, series, inds = [], [], []
    for result in run_replicates(scenario, replicates, seed, workers):
        rows.append(result.outcomes)
        series.append(result.timeseries)
        inds.append(result.indicators)
        if progress:
            progress(1)
    outcomes = pd.DataFrame(rows)
    ts = pd.concat(series, ignore_index=True)
    ind = pd.concat(inds, ignore_index=True)
    with AtomicDir(out) as tmp:
        outcomes.to_parquet(tmp / "outcomes.parquet", index=False)
        ts.to_parquet(tmp / "timeseries.parquet", index=False)
        ind.to_parquet(tmp / "indicators.parquet", index=False)
        info = manifest(
            scenario, seed=seed, replicates=replicates, replicate_seeds=seeds, workers=workers
        )
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2))
        if plots:
            from regroup.results import plots as plotting

            plotting.scenario_figures(outcomes, ts, ind, tmp, scenario.name)
    return out
