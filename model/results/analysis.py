"""Reading a results directory (of ``regroup run`` or ``sweep``), and the tables analysts
compare scenarios with.

* :func:`summary_table`: per scenario and outcome, the median and the 90% range of runs;
* :func:`effects_table`: each scenario against the baseline: difference in medians (for
  ``regrouped``: in the share of runs that regrouped), with a bootstrap 90% interval;
* :func:`regroup_table`: P(regrouped by the end of each year) with a 90% Jeffreys interval,
  per scenario.

Failed runs (rows with an ``error``) are left out of every table and counted apart.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from regroup.results.files import OutputError, manifest_kind, read_manifest
from scipy import stats

# outcomes shown per scenario (the README defines each); regrouped is shown as P(regroup)
HEADLINE = (
    "regroup_pool_end",
    "regroup_pool_peak",
    "regroup_year",
    "hiding_end",
    "criminal_end",
    "detained_end",
    "reoffended",
    "released_total",
    "returned",
    "killed_total",
    "killed_foreign",
    "foreign_total",
)
# outcomes a policy acts on after the loss of territory: compared with the baseline
EFFECTS = (
    "regroup_pool_end",
    "regroup_pool_peak",
    "regrouped",
    "hiding_end",
    "criminal_end",
    "reoffended",
)
LEVEL = 0.90
YEARS = ("regroup_year",)  # outcomes that are calendar years


def number_format(outcome: str) -> str:
    """The format spec an outcome's values are printed with: years as 2026, shares as 0.25,
    counts of persons as 12,345."""
    if outcome in YEARS:
        return ".0f"
    return ".2f" if outcome == "regrouped" or "share" in outcome else ",.0f"


@dataclass
class Results:
    """A finished sweep: outcome rows of the runs that succeeded, failures, design, manifest."""

    path: Path
    outcomes: pd.DataFrame
    failures: pd.DataFrame
    design: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def kind(self) -> str:
        """``run`` (one scenario's replicates) or ``sweep``."""
        return manifest_kind(self.manifest)

    @property
    def name(self) -> str:
        return self.manifest["experiment"]["name"]

    @property
    def scenarios(self) -> list[str]:
        return list(self.manifest["scenarios"])

    @property
    def baseline(self) -> str:
        return self.manifest["experiment"]["baseline"]

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest["experiment"]["settings"]["parameters"])

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    def years(self) -> np.ndarray:
        """Calendar years the scenarios cover, first to last."""
        times = [s["time"] for s in self.manifest["scenarios"].values()]
        first = min(int(t["start"][:4]) for t in times)
        return np.arange(first, max(int(t["end"][:4]) for t in times) + 1)

    def indicators(self, columns: list[str]) -> pd.DataFrame:
        """Monthly indicators (``scenario``, ``run_id``, ``month`` and ``columns``)."""
        cols = ["scenario", "run_id", "month", *columns]
        return pd.read_parquet(self.path / "indicators", columns=cols)

    def by_scenario(self, outcome: str) -> dict[str, np.ndarray]:
        """Values of ``outcome`` per scenario (NaN left out), in scenario order."""
        groups = {}
        for name in self.scenarios:
            values = self.outcomes.loc[self.outcomes["scenario"] == name, outcome]
            groups[name] = values.dropna().to_numpy(dtype=float)
        return groups


def load_results(path: str | Path) -> Results:
    """Load a finished results directory; OutputError (naming it) if it is not one."""
    path = Path(path)
    table = path / "outcomes.parquet"
    manifest = read_manifest(path)
    if manifest is None or manifest_kind(manifest) not in ("run", "sweep"):
        raise OutputError(f"{path}: not a results directory of regroup run or sweep")
    if "experiment" not in manifest:
        raise OutputError(
            f"{path}: written by an earlier version of regroup run; run the scenario again"
        )
    if not table.is_file():
        raise OutputError(
            f"{path}: the sweep has not finished (no outcomes.parquet); "
            "finish it with regroup sweep --resume"
        )
    rows = pd.read_parquet(table)
    failed = rows["error"].notna()
    return Results(
        path,
        rows[~failed].reset_index(drop=True),
        rows[failed].reset_index(drop=True),
        pd.read_parquet(path / "design.parquet"),
        manifest,
    )


def present(res: Results, names: tuple[str, ...]) -> list[str]:
    """Those of ``names`` that the results hold with at least one value."""
    return [n for n in names if n in res.outcomes and res.outcomes[n].notna().any()]


def summary_table(res: Results) -> pd.DataFrame:
    """Per scenario and outcome: runs, median, the 5% and 95% quantiles, and the mean."""
    q = [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2]
    rows = []
    for outcome in present(res, HEADLINE):
        for name, values in res.by_scenario(outcome).items():
            lo, med, hi = np.quantile(values, q) if len(values) else (np.nan,) * 3
            rows.append(
                {
                    "outcome": outcome,
                    "scenario": name,
                    "runs": len(values),
                    "median": med,
                    "low": lo,
                    "high": hi,
                    "mean": values.mean() if len(values) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _median_difference(x, y, axis=-1):
    return np.median(x, axis=axis) - np.median(y, axis=axis)


def _mean_difference(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def effect(policy: np.ndarray, base: np.ndarray, share: bool, seed: int) -> dict[str, float]:
    """Difference in medians (or in shares) with a bootstrap interval (percentile method)."""
    stat = _mean_difference if share else _median_difference
    value = float(stat(policy, base))
    lo = hi = np.nan
    if len(policy) >= 2 and len(base) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot = stats.bootstrap(
                (policy, base),
                stat,
                vectorized=True,
                n_resamples=2000,
                confidence_level=LEVEL,
                method="percentile",
                rng=np.random.default_rng(seed),
            )
        lo, hi = boot.confidence_interval
    return {"effect": value, "low": float(lo), "high": float(hi)}


def effects_table(res: Results) -> pd.DataFrame:
    """Every scenario against the baseline, on the outcomes policies act on."""
    rows = []
    for outcome in present(res, EFFECTS):
        groups = res.by_scenario(outcome)
        base = groups.get(res.baseline, np.array([]))
        share = outcome == "regrouped"
        for name, values in groups.items():
            if name == res.baseline or not len(values) or not len(base):
                continue
            row = {
                "outcome": outcome,
                "scenario": name,
                "statistic": "difference in share" if share else "difference in medians",
                "baseline": float(base.mean() if share else np.median(base)),
                "value": float(values.mean() if share else np.median(values)),
            }
            row.update(effect(values, base, share, res.seed))
            rows.append(row)
    columns = ["outcome", "scenario", "statistic", "baseline", "value", "effect", "low", "high"]
    return pd.DataFrame(rows, columns=columns)


def regroup_probability(outcomes: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """P(regrouped by the end of each year) with a 90% Jeffreys interval."""
    n = len(outcomes)
    rows = []
    for y in years:
        k = int((outcomes["regroup_year"] <= y).sum())
        lo, hi = stats.beta.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2], k + 0.5, n - k + 0.5)
        rows.append(
            {
                "year": int(y),
                "p": k / n,
                "low": 0.0 if k == 0 else lo,
                "high": 1.0 if k == n else hi,
            }
        )
    return pd.DataFrame(rows)


def regroup_table(res: Results) -> pd.DataFrame:
    """P(regrouped by the end of each year) with its 90% interval, per scenario and year."""
    frames = []
    for name in res.scenarios:
        runs = res.outcomes[res.outcomes["scenario"] == name]
        if len(runs):
            table = regroup_probability(runs, res.years())
            table.insert(0, "scenario", name)
            frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
