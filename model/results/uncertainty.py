"""What the outcomes' spread comes from, and paired policy effects over parameter draws.

Runs that draw their parameters carry a ``draw`` column: the index of the parameter set,
shared by every scenario of a comparison, with ``replicate`` numbering the runs (seeds)
within a draw. Replicates nested within draws split each outcome's variance into a part due
to the parameters and a part due to chance; the same draws and seeds in every scenario make
policy effects paired differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["draw", "replicate"]


def variance_split(outcomes: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per scenario and outcome: total variance and the shares due to parameters and chance.

    A one-way random-effects split (method of moments): chance is the mean variance among
    replicates of one draw; the parameters' part is the variance of the draw means less the
    chance that remains in a mean of ``r`` replicates, floored at 0. Needs at least two
    draws, and a draw with two or more replicates; otherwise the shares are NaN.
    """
    rows = []
    for scenario, runs in outcomes.groupby("scenario", sort=False):
        for col in columns:
            values = runs[["draw", col]].dropna().astype({col: float})
            per_draw = values.groupby("draw")[col]
            counts = per_draw.count()
            total = float(values[col].var(ddof=1)) if len(values) > 1 else np.nan
            chance = param = np.nan
            if len(counts) >= 2 and counts.max() >= 2:
                chance = float(per_draw.var(ddof=1)[counts >= 2].mean())
                r = float(len(counts) / (1.0 / counts).sum())  # harmonic mean replicates
                param = max(0.0, float(per_draw.mean().var(ddof=1)) - chance / r)
            both = param + chance
            rows.append(
                {
                    "scenario": scenario,
                    "outcome": col,
                    "variance": total,
                    "parameter_share": param / both if both > 0 else np.nan,
                    "chance_share": chance / both if both > 0 else np.nan,
                    "draws": len(counts),
                    "replicates_per_draw": float(counts.mean()) if len(counts) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def paired_effects(
    outcomes: pd.DataFrame,
    baseline: str,
    column: str,
    level: float = 0.9,
) -> pd.DataFrame:
    """Each scenario's effect on ``column`` against ``baseline``, paired by draw and seed.

    Runs are matched on (draw, replicate), which share parameters and seed; the effect of a
    draw is the mean difference over its replicates. Reported: the median effect over draws
    and its ``level`` interval over draws, the mean effect, and ``lowers`` (robustness), the
    share of draws in which the scenario lowers the outcome. Runs of one parameter set (fixed
    parameters) are paired by seed alone: each replicate counts as a draw.
    """
    base = outcomes[outcomes["scenario"] == baseline].set_index(KEYS)[column]
    alpha = (1.0 - level) / 2.0
    rows = []
    for scenario, runs in outcomes.groupby("scenario", sort=False):
        if scenario == baseline:
            continue
        diff = (runs.set_index(KEYS)[column] - base).dropna()
        if diff.empty:
            raise ValueError(
                f"scenario {scenario!r} shares no (draw, replicate) with {baseline!r}: "
                "a paired comparison needs the same draws and seeds in every scenario"
            )
        unit = "draw" if diff.index.get_level_values("draw").nunique() > 1 else "replicate"
        by_draw = diff.groupby(level=unit).mean()
        rows.append(
            {
                "scenario": scenario,
                "outcome": column,
                "median_effect": float(by_draw.median()),
                "low": float(by_draw.quantile(alpha)),
                "high": float(by_draw.quantile(1.0 - alpha)),
                "mean_effect": float(by_draw.mean()),
                "lowers": float((by_draw < 0).mean()),
                "raises": float((by_draw > 0).mean()),
                "draws": len(by_draw),
            }
        )
    return pd.DataFrame(rows)


def probability_by(
    outcomes: pd.DataFrame, year: int, level: float = 0.9, column: str = "regroup_year"
) -> pd.DataFrame:
    """Per scenario: P(regrouped by ``year``) with a ``level`` interval over draws.

    The probability is the share of runs that regrouped by the end of ``year``; its
    interval comes from the per-draw shares (a percentile bootstrap over draws, 2,000
    resamples from a fixed seed), so it widens with the parameters' uncertainty.
    """
    rng = np.random.default_rng(0)
    alpha = (1.0 - level) / 2.0
    rows = []
    for scenario, runs in outcomes.groupby("scenario", sort=False):
        hit = (runs[column] <= year).astype(float)  # NaN (never) compares False
        per_draw = hit.groupby(runs["draw"]).mean().to_numpy()
        boot = rng.choice(per_draw, (2000, len(per_draw))).mean(axis=1)
        rows.append(
            {
                "scenario": scenario,
                "year": year,
                "probability": float(hit.mean()),
                "low": float(np.quantile(boot, alpha)),
                "high": float(np.quantile(boot, 1.0 - alpha)),
                "draws": len(per_draw),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- figures

SPLIT_OUTCOMES = ("regroup_pool_end", "regroup_pool_peak", "killed_total", "returned")


def drawn(outcomes: pd.DataFrame) -> bool:
    """Whether the runs drew their parameters (several draws in one scenario)."""
    return "draw" in outcomes.columns and outcomes.groupby("scenario")["draw"].nunique().max() > 1


def variance_figure(outcomes: pd.DataFrame, columns: tuple[str, ...] = SPLIT_OUTCOMES):
    """Per scenario, for each outcome, the share of its variance due to the parameters
    (dark) and to chance (light), as horizontal stacked bars; None without draws."""
    import matplotlib.pyplot as plt

    cols = [c for c in columns if c in outcomes.columns]
    if not drawn(outcomes) or not cols:
        return None
    table = variance_split(outcomes, cols)
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig, axes = plt.subplots(
        1,
        len(cols),
        figsize=(2.6 * len(cols) + 1.5, 0.4 * len(scenarios) + 1.4),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    for ax, col in zip(axes[0], cols, strict=True):
        part = table[table["outcome"] == col].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))
        ax.barh(y, part["parameter_share"], color="C0", label="parameters")
        ax.barh(
            y,
            part["chance_share"],
            left=part["parameter_share"],
            color="C0",
            alpha=0.3,
            label="chance",
        )
        ax.set_xlim(0, 1)
        ax.set_title(col.replace("_", " "), fontsize=9)
        ax.set_yticks(y, scenarios)
        ax.invert_yaxis()
    fig.legend(
        *axes[0][0].get_legend_handles_labels(),
        loc="outside lower center",
        ncols=2,
        fontsize=8,
        frameon=False,
        title="share of the variance over runs due to",
    )
    return fig


def robustness_figure(outcomes: pd.DataFrame, baseline: str, column: str = "regroup_pool_end"):
    """Each policy's paired effect on ``column`` over draws (median and 90% interval), and
    the share of draws in which it lowers it; None without draws or other scenarios."""
    import matplotlib.pyplot as plt

    if not drawn(outcomes) or outcomes["scenario"].nunique() < 2:
        return None
    table = paired_effects(outcomes, baseline, column)
    y = np.arange(len(table))
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(9, 0.45 * len(table) + 1.5),
        sharey=True,
        layout="constrained",
        gridspec_kw={"width_ratios": [2, 1]},
    )
    left.errorbar(
        table["median_effect"],
        y,
        xerr=[table["median_effect"] - table["low"], table["high"] - table["median_effect"]],
        fmt="o",
        color="C1",
        capsize=3,
    )
    left.axvline(0, color="k", lw=0.8)
    left.set_xlabel(f"effect on {column.replace('_', ' ')} (persons; median, 90% of draws)")
    left.set_yticks(y, table["scenario"])
    left.invert_yaxis()
    right.barh(y, table["lowers"], height=0.5, color="C2")
    right.set_xlim(0, 1)
    right.set_xlabel("share of draws in which it lowers it")
    for yi, v in zip(y, table["lowers"], strict=True):
        right.text(min(v + 0.02, 0.85), yi, f"{v:.0%}", va="center", fontsize=8)
    return fig


# ----------------------------------------------------------------------------- tables

BY_YEAR = 2030


def tables(outcomes: pd.DataFrame, baseline: str) -> dict[str, pd.DataFrame]:
    """The uncertainty tables of drawn runs, by file stem (none without draws):
    P(regrouped by 2030) with its interval over draws, the variance split, and each
    scenario's paired effect on the pool and its robustness."""
    if not drawn(outcomes):
        return {}
    out = {
        "p_regrouped_by_2030": probability_by(outcomes, BY_YEAR),
        "variance_split": variance_split(
            outcomes, [c for c in SPLIT_OUTCOMES if c in outcomes.columns]
        ),
    }
    if outcomes["scenario"].nunique() > 1:
        out["paired_effects"] = paired_effects(outcomes, baseline, "regroup_pool_end")
    return out
