"""Reading a results directory (of ``regroup run`` or ``sweep``), and the tables analysts
compare scenarios with.

* :func:`summary_table`: per scenario and outcome, the median and the 90% range of runs;
* :func:`effects_table`: each scenario against the baseline: difference in medians (for
  ``regrouped``: in the share of runs that regrouped), with a bootstrap 90% interval;
* :func:`regroup_table`: P(regrouped by the end of each year) with a 90% Jeffreys interval,
  per scenario;
* :func:`place_table`, :func:`place_effects`: an output per place at given years (the
  regrouping potential in 2020, 2025, 2030, say) per scenario, and each scenario's paired
  effect on it; :func:`origin_table`: killed, returned and imprisoned by region of origin;
  :func:`end_place_table`: people by place at the end;
  :func:`place_targets`: the public figures counted by place against the runs.

Failed runs (rows with an ``error``) are left out of every table and counted apart.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from regroup.results import uncertainty
from regroup.results.files import OutputError, manifest_kind, read_manifest
from regroup.results.outcomes import BY_ORIGIN, END_BY_PLACE, PLACES, THE_REGION_LABEL
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
# the key columns of the monthly tables (the others are values)
MONTHLY_KEYS = ("run_id", "point_id", "scenario", "replicate", "month", "place", "origin")
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
        return self.monthly("indicators", columns)

    def monthly(self, table: str, columns: list[str]) -> pd.DataFrame:
        """The monthly table ``table`` (a folder of parts): ``scenario``, ``run_id``,
        ``month`` and ``columns``; OSError or ValueError if it or a column is missing."""
        cols = ["scenario", "run_id", "month", *columns]
        return pd.read_parquet(self.path / table, columns=cols)

    def monthly_values(self, table: str) -> list[str]:
        """The value columns of the monthly table ``table`` (not its keys: run, scenario,
        month, place, ...); [] if there is no such table."""
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(next((self.path / table).rglob("*.parquet"))).names
        except (OSError, StopIteration, ValueError):
            return []
        return [c for c in names if c not in MONTHLY_KEYS]

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


def summary_table(res: Results, outcomes: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """Per scenario and outcome (the headline ones unless told): runs, median, the 5% and 95%
    quantiles, and the mean."""
    q = [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2]
    rows = []
    for outcome in present(res, tuple(outcomes)):
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


# ----------------------------------------------------------------------------- by place, origin

PLACE_LABELS = (*PLACES, THE_REGION_LABEL)  # places, and Iraq and Syria together
POTENTIAL = "potential"  # the regrouping potential per place (stem of its columns)


def place_columns(outcomes: pd.DataFrame, stem: str) -> dict[str, tuple[str, int]]:
    """The outcome columns ``<stem>_<place>_<year>`` and their (place, year), in place order."""
    pattern = re.compile(rf"^{re.escape(stem)}_({'|'.join(PLACE_LABELS)})_(\d{{4}})$")
    found = {c: (m[1], int(m[2])) for c in outcomes.columns if (m := pattern.match(c))}
    order = {p: i for i, p in enumerate(PLACE_LABELS)}
    return dict(sorted(found.items(), key=lambda kv: (order[kv[1][0]], kv[1][1])))


def _labelled(table: pd.DataFrame, names: dict[str, tuple], columns: tuple[str, ...]):
    """``table`` with ``columns`` after its first, from ``names[outcome]`` of each row."""
    if table.empty:
        return table
    table = table.copy()
    for i, col in enumerate(columns):
        table.insert(1 + i, col, [names[o][i] for o in table["outcome"]])
    return table


def place_table(res: Results, stem: str = POTENTIAL, nonzero: bool = True) -> pd.DataFrame:
    """Per outcome ``<stem>_<place>_<year>``, place, year and scenario: runs, median, 5% and
    95% quantiles, mean (:func:`summary_table`). With ``nonzero``, a place whose value is 0
    in every run and year is left out."""
    where = place_columns(res.outcomes, stem)
    if nonzero:
        shown = {p for c, (p, _) in where.items() if res.outcomes[c].fillna(0).ne(0).any()}
        where = {c: w for c, w in where.items() if w[0] in shown}
    return _labelled(summary_table(res, list(where)), where, ("place", "year"))


def place_effects(res: Results, stem: str = POTENTIAL, nonzero: bool = True) -> pd.DataFrame:
    """Each scenario's effect on ``<stem>_<place>_<year>`` against the baseline, paired by
    parameter draw and seed (:func:`regroup.results.uncertainty.paired_effects`); empty with
    one scenario, or with design parameters (several runs share a draw and seed)."""
    where = place_columns(res.outcomes, stem)
    runs = res.outcomes
    if runs["scenario"].nunique() < 2 or res.parameters or not where:
        return pd.DataFrame()
    if nonzero:
        where = {c: w for c, w in where.items() if runs[c].fillna(0).ne(0).any()}
    if not where:
        return pd.DataFrame()
    frames = [uncertainty.paired_effects(runs, res.baseline, c) for c in where]
    return _labelled(pd.concat(frames, ignore_index=True), where, ("place", "year"))


def origin_table(res: Results) -> pd.DataFrame:
    """Killed, returned and imprisoned by states, by region of origin (the outcome columns
    ``killed_<region>``, ...): per scenario, runs, median, 5% and 95% quantiles, mean."""
    names = {f"{k}_{r.label}": (k, r.label) for k, regions in BY_ORIGIN.items() for r in regions}
    return _labelled(summary_table(res, list(names)), names, ("what", "origin"))


def end_place_table(res: Results) -> pd.DataFrame:
    """People by place in the last month: alive, hiding, held by states (the outcome columns
    ``in_<place>_end``, ...), per scenario; a place with nobody in any run left out."""
    names = {f"{k}_{p}_end": (k, p) for k in END_BY_PLACE for p in PLACES}
    shown = {p for c, (_, p) in names.items() if c in res.outcomes and res.outcomes[c].gt(0).any()}
    names = {c: n for c, n in names.items() if n[1] in shown}
    return _labelled(summary_table(res, list(names)), names, ("who", "place"))


def _output_of(quantity: str | None, outputs: set[str]) -> str | None:
    """The output by place a target's quantity reads: itself (``members``), or for a share
    (``members_share``) the output it divides; None if neither is one."""
    if quantity in outputs:
        return quantity
    base = (quantity or "").removesuffix("_share")
    return base if base != quantity and base in outputs else None


def place_targets(res: Results, targets: dict | None = None) -> pd.DataFrame:
    """The public figures counted by place (targets with ``places`` whose quantity is an
    output by place, ``members`` or ``fighters``, or its share, ``members_share``) against
    the runs: the output summed over the target's places in the target's month (a share: over
    its ``part_places`` divided by that), per scenario: median, 5% and 95% quantiles, and
    the share of runs in the figure's range (at most its high end for ``model_part``)."""
    if targets is None:
        from regroup.config.targets import default_targets

        targets = default_targets()
    outputs = set(res.monthly_values("indicators_by_place"))
    chosen = {
        name: (t, column)
        for name, t in targets.items()
        if getattr(t, "places", None) and t.date and (column := _output_of(t.quantity, outputs))
    }
    if not chosen:
        return pd.DataFrame()
    columns = sorted({column for _, column in chosen.values()})
    table = res.monthly("indicators_by_place", ["place", *columns])
    table["month"] = table["month"].astype(str)
    table["place"] = table["place"].astype(str)
    q = [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2]
    rows = []
    for name, (t, column) in chosen.items():
        part = table[(table["month"] == t.date) & table["place"].isin(t.places)]
        per_run = part.groupby("run_id")[column].sum()
        if column != t.quantity:  # a share of the places' total
            inner = part[part["place"].isin(getattr(t, "part_places", None) or t.places)]
            per_run = inner.groupby("run_id")[column].sum().reindex(per_run.index) / per_run
        scenario_of = part.groupby("run_id")["scenario"].first()
        for scenario in res.scenarios:
            values = per_run[scenario_of == scenario].dropna().to_numpy(dtype=float)
            if not len(values):
                continue
            low, med, high = np.quantile(values, q)
            inside = values <= t.high
            if not getattr(t, "model_part", False):
                inside &= values >= t.low
            rows.append(
                {
                    "target": name,
                    "counts": t.counts,
                    "date": t.date,
                    "places": ", ".join(t.places),
                    "share": column != t.quantity,
                    "public_low": t.low,
                    "public_high": t.high,
                    "scenario": scenario,
                    "runs": len(values),
                    "median": med,
                    "low": low,
                    "high": high,
                    "in_range": float(inside.mean()),
                    "source": t.source,
                }
            )
    return pd.DataFrame(rows)
