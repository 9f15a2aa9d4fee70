"""Figures a reader understands without the code: fan charts, distributions, P(regroup)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

SHOWN_STATES = [
    "active",
    "dead",
    "group_prison",
    "escaping",
    "hiding_local",
    "hiding_abroad",
    "detained",
    "returned",
    "prison_home",
    "released",
    "reintegrated",
    "criminal",
    "remobilised",
]


def by_state(ts: pd.DataFrame) -> pd.DataFrame:
    """Persons per (replicate, month, state), zero-filled."""
    table = ts.groupby(["replicate", "month", "state"], observed=False)["persons"].sum()
    return table.unstack("state", fill_value=0.0)


def fan(ax, months: np.ndarray, values: np.ndarray, color: str, label: str | None = None):
    """Median line with 50% and 90% bands; ``values`` is replicates x months."""
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(months, q[0], q[4], color=color, alpha=0.18, lw=0)
    ax.fill_between(months, q[1], q[3], color=color, alpha=0.35, lw=0)
    ax.plot(months, q[2], color=color, lw=1.5, label=label)


def fan_chart(ts: pd.DataFrame, title: str) -> plt.Figure:
    table = by_state(ts)
    months = pd.to_datetime(table.index.get_level_values("month").unique().astype(str))
    states = [s for s in SHOWN_STATES if s in table.columns and table[s].max() > 0]
    cols = 4
    rows = int(np.ceil(len(states) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows), sharex=True)
    for ax, state in zip(axes.flat, states, strict=False):
        values = table[state].unstack("month").to_numpy()
        fan(ax, months, values, "C0")
        ax.set_title(state.replace("_", " "), fontsize=10)
        ax.set_ylabel("persons")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(states) :]:
        ax.axis("off")
    fig.suptitle(f"{title}: people by state (median, 50% and 90% of replicates)")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def pool_distribution(outcomes: pd.DataFrame, title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    values = outcomes["regroup_pool_end"].to_numpy(dtype=float)
    ax.hist(values, bins=min(40, max(5, len(values) // 5)), color="C1", alpha=0.8)
    med = np.median(values)
    ax.axvline(med, color="k", ls="--", label=f"median {med:,.0f}")
    ax.set_xlabel("regrouping pool at the end (persons: free, dedicated, qualified, connected)")
    ax.set_ylabel("replicates")
    ax.set_title(f"{title}: regrouping pool at the end of the run")
    ax.legend()
    fig.tight_layout()
    return fig


def regroup_probability(outcomes: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """P(regrouped by year) with a 90% Jeffreys interval, per year."""
    n = len(outcomes)
    rows = []
    for y in years:
        k = int((outcomes["regroup_year"] <= y).sum())
        lo, hi = stats.beta.ppf([0.05, 0.95], k + 0.5, n - k + 0.5)
        rows.append(
            {
                "year": int(y),
                "p": k / n,
                "low": 0.0 if k == 0 else lo,
                "high": 1.0 if k == n else hi,
            }
        )
    return pd.DataFrame(rows)


def regroup_curve(outcomes: pd.DataFrame, years: np.ndarray, title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    table = regroup_probability(outcomes, years)
    ax.fill_between(
        table["year"], table["low"], table["high"], color="C3", alpha=0.25, label="90% interval"
    )
    ax.plot(table["year"], table["p"], "o-", color="C3", label="share of replicates")
    ax.set_ylim(0, 1)
    ax.set_xlabel("year")
    ax.set_ylabel("P(regrouped by year)")
    ax.set_title(f"{title}: probability the group has regrouped, by year")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def scenario_figures(
    outcomes: pd.DataFrame, ts: pd.DataFrame, ind: pd.DataFrame, out: Path, title: str
) -> list[Path]:
    """Write the three figures of a scenario run into ``out``; returns their paths."""
    months = ind["month"].unique()
    years = np.arange(int(months[0][:4]), int(months[-1][:4]) + 1)
    figures = {
        "fan_chart_states.png": fan_chart(ts, title),
        "regroup_pool_end.png": pool_distribution(outcomes, title),
        "p_regrouped_by_year.png": regroup_curve(outcomes, years, title),
    }
    paths = []
    for name, fig in figures.items():
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        paths.append(out / name)
    return paths
