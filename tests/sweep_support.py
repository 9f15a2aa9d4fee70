"""Helpers shared by the experiment and sweep tests: small experiment files, table checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXPERIMENTS = ROOT / "experiments"
# test scale (about 1,500 agents) and a horizon just past the loss of territory
FAST = {"population.scale": 50, "time.end": "2019-12"}


def write_experiment(folder: Path, name: str = "exp", **settings: Any) -> Path:
    """An experiment file in ``folder`` with small defaults, ``settings`` overriding them."""
    data: dict[str, Any] = {
        "name": name,
        "scenarios": [str(SCENARIOS / "baseline.yaml")],
        "overrides": dict(FAST),
        "replicates": 2,
        "seed": 11,
    }
    data.update(settings)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def outcomes(results: Path) -> pd.DataFrame:
    """The consolidated outcomes of a results directory, without the timing column."""
    return pd.read_parquet(results / "outcomes.parquet").drop(columns=["seconds"])


def monthly(results: Path, table: str) -> pd.DataFrame:
    """A monthly table (``timeseries`` or ``indicators``), sorted for comparison."""
    df = pd.read_parquet(results / table)
    keys = [c for c in ("run_id", "month", "state", "role", "origin") if c in df]
    df = df.sort_values(keys, ignore_index=True)
    for col in df.select_dtypes("category"):
        df[col] = df[col].astype(str)
    return df
