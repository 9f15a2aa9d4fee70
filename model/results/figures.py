"""Figures of a sweep's results: scenarios side by side, over time, and against the baseline.

Every builder takes :class:`~regroup.results.analysis.Results` and returns a matplotlib figure (or
None when the results cannot show it); :func:`figure_specs` lists them for ``regroup plot``
and ``regroup report``, which build them one at a time so memory stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from regroup.experiments.runner import AtomicDir
from regroup.results.analysis import (
    HEADLINE,
    Results,
    effects_table,
    present,
    regroup_table,
    summary_table,
)
from regroup.results.plots import fan, plt

LABELS = {
    "regroup_pool_end": "regrouping pool at the end (persons)",
    "regroup_pool_peak": "peak regrouping pool after the loss of territory (persons)",
    "regroup_year": "year of the regroup event (runs that regrouped)",
    "regrouped": "P(regrouped by the end)",
    "connected_pool": "regrouping pool (persons)",
    "free": "free members (persons)",
}


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ") + " (persons)")


def colors(res: Results) -> dict[str, str]:
    """The baseline in black, other scenarios in the default cycle."""
    out, k = {}, 0
    for name in res.scenarios:
        if name == res.baseline:
            out[name] = "k"
        else:
            out[name] = f"C{k % 10}"
            k += 1
    return out


def distribution(res: Results, outcome: str) -> plt.Figure:
    """Box plot per scenario (median, quartiles, 5-95% whiskers, runs as dots) and ECDFs."""
    groups = {k: v for k, v in res.by_scenario(outcome).items() if len(v)}
    names = list(groups)
    col = colors(res)
    fig, (box, ecdf) = plt.subplots(1, 2, figsize=(12, 4.2), width_ratios=[3, 2])
    box.boxplot(
        list(groups.values()),
        whis=(5, 95),
        showfliers=False,
        widths=0.55,
        medianprops={"color": "C3", "lw": 2},
    )
    rng = np.random.default_rng(0)
    for i, (name, values) in enumerate(groups.items(), start=1):
        x = i + rng.uniform(-0.18, 0.18, len(values))
        box.plot(x, values, ".", color=col[name], alpha=0.35, ms=4)
        box.annotate(f"{np.median(values):,.0f}", (i + 0.3, np.median(values)), fontsize=8)
        ecdf.ecdf(values, color=col[name], label=name)
    box.set_xticks(range(1, len(names) + 1), names, rotation=30, ha="right")
    box.set_ylabel(label(outcome))
    box.set_title("runs per scenario (box: quartiles and median; whiskers 5-95%)", fontsize=10)
    box.grid(alpha=0.3, axis="y")
    ecdf.set_xlabel(label(outcome))
    ecdf.set_ylabel("share of runs at or below")
    ecdf.set_title("empirical CDF", fontsize=10)
    ecdf.grid(alpha=0.3)
    ecdf.legend(fontsize=8)
    fig.suptitle(f"{outcome}: distribution over runs, by scenario")
    fig.tight_layout()
    return fig


def panels(k: int, cols: int, width: float, height: float, **kw) -> tuple[plt.Figure, list]:
    """A figure with ``k`` panels in rows of at most ``cols``; unused cells switched off."""
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, **kw)
    for ax in list(axes.flat)[k:]:
        ax.axis("off")
    return fig, list(axes.flat)[:k]


def fan_by_scenario(res: Results, column: str) -> plt.Figure | None:
    """Fan chart of a monthly indicator, one panel per scenario, baseline median dashed."""
    try:
        ind = res.indicators([column])
    except (OSError, ValueError):
        return None
    if ind.empty:
        return None
    table = ind.pivot_table(index="run_id", columns="month", values=column, observed=True)
    months = pd.to_datetime(table.columns.astype(str))
    scenario_of = ind.groupby("run_id")["scenario"].first()
    names = [n for n in res.scenarios if (scenario_of == n).any()]
    fig, axes = panels(len(names), 4, 4, 2.8, sharex=True, sharey=True)
    col = colors(res)
    base = table.loc[scenario_of.index[scenario_of == res.baseline]]
    for ax, name in zip(axes, names, strict=True):
        values = table.loc[scenario_of.index[scenario_of == name]].to_numpy()
        fan(ax, months, values, col[name] if name != res.baseline else "C0")
        if name != res.baseline and len(base):
            ax.plot(months, base.median().to_numpy(), "k--", lw=1, label="baseline median")
            ax.legend(fontsize=7, loc="upper left")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(label(column))
    fig.suptitle(f"{label(column)} over time: median, 50% and 90% of runs")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def regroup_curves(res: Results) -> plt.Figure | None:
    """P(regrouped by year) with its 90% interval, one panel per scenario, baseline dashed."""
    table = regroup_table(res)
    if table.empty:
        return None
    groups = dict(list(table.groupby("scenario", sort=False)))
    base = groups.get(res.baseline)
    fig, axes = panels(len(groups), 4, 4, 2.8, sharex=True, sharey=True)
    col = colors(res)
    for ax, (name, part) in zip(axes, groups.items(), strict=True):
        color = col[name] if name != res.baseline else "C0"
        ax.fill_between(part["year"], part["low"], part["high"], color=color, alpha=0.25)
        ax.plot(part["year"], part["p"], "o-", ms=3, color=color)
        if base is not None and name != res.baseline:
            ax.plot(base["year"], base["p"], "k--", lw=1, label="baseline")
            ax.legend(fontsize=7, loc="upper left")
        ax.set_title(name, fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("P(regrouped by year)")
    fig.suptitle("Probability the group has regrouped, by year (band: 90% interval)")
    fig.tight_layout()
    return fig


def effects(res: Results) -> plt.Figure | None:
    """Each scenario's effect against the baseline, with bootstrap 90% intervals."""
    table = effects_table(res)
    if table.empty:
        return None
    outcomes = list(dict.fromkeys(table["outcome"]))
    height = 1.2 + 0.35 * table["scenario"].nunique()
    fig, axes = panels(len(outcomes), 3, 5, height)
    col = colors(res)
    for ax, outcome in zip(axes, outcomes, strict=True):
        part = table[table["outcome"] == outcome].reset_index(drop=True)
        y = np.arange(len(part))[::-1]
        for yi, row in zip(y, part.itertuples(), strict=True):
            ax.errorbar(
                row.effect,
                yi,
                xerr=[[row.effect - row.low], [row.high - row.effect]],
                fmt="o",
                color=col[row.scenario],
                capsize=3,
            )
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(y, part["scenario"])
        ax.set_title(f"{outcome}\n({part['statistic'].iloc[0]} vs {res.baseline})", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle("Effect of each scenario against the baseline (bootstrap 90% intervals)")
    fig.tight_layout()
    return fig


def parameters(res: Results) -> plt.Figure | None:
    """The experiment's outcome against each design parameter, runs as dots."""
    if not res.parameters:
        return None
    outcome = res.manifest["experiment"]["settings"]["outcome"]
    fig, axes = panels(len(res.parameters), 3, 4.5, 3.4)
    col = colors(res)
    for ax, param in zip(axes, res.parameters, strict=True):
        for name in res.scenarios:
            runs = res.outcomes[res.outcomes["scenario"] == name]
            ax.plot(runs[param], runs[outcome], ".", alpha=0.4, color=col[name], label=name)
        ax.set_xlabel(param)
        ax.set_ylabel(label(outcome))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{outcome} against the design parameters (one dot per run)")
    fig.tight_layout()
    return fig


Builder = Callable[[Results], "plt.Figure | None"]


def figure_specs(res: Results) -> Iterator[tuple[str, str, Builder]]:
    """(file name, caption, builder) of every figure, in the report's order."""
    yield (
        "effects.png",
        "Each scenario's effect against the baseline: difference in medians (P(regrouped): "
        "in shares), with bootstrap 90% intervals.",
        effects,
    )
    yield "p_regrouped_by_year.png", "P(regrouped by year) with 90% intervals.", regroup_curves
    for column in ("connected_pool", "free"):
        yield (
            f"fan_{column}.png",
            f"Fan chart of {label(column)} over time, per scenario.",
            lambda r, c=column: fan_by_scenario(r, c),
        )
    for outcome in present(res, HEADLINE):
        yield (
            f"distribution_{outcome}.png",
            f"Distribution of {outcome} per scenario: box plots and ECDFs.",
            lambda r, o=outcome: distribution(r, o),
        )
    yield "parameters.png", "The outcome against each design parameter.", parameters


def each_figure(res: Results) -> Iterator[tuple[str, str, plt.Figure]]:
    """Build the figures one at a time; the caller saves each, then it is closed."""
    for name, caption, build in figure_specs(res):
        fig = build(res)
        if fig is None:
            continue
        try:
            yield name, caption, fig
        finally:
            plt.close(fig)


def write_figures(res: Results, out: Path) -> list[Path]:
    """Write every figure and the tables (CSV) into ``out``, replacing it whole."""
    names = []
    with AtomicDir(out) as tmp:
        for name, _, fig in each_figure(res):
            fig.savefig(tmp / name, dpi=110)
            names.append(name)
        summary_table(res).to_csv(tmp / "summary.csv", index=False)
        effects_table(res).to_csv(tmp / "effects.csv", index=False)
        regroup_table(res).to_csv(tmp / "p_regrouped_by_year.csv", index=False)
    return [out / n for n in names]
