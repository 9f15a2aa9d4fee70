"""Figures of a results directory, the same for ``regroup run`` and ``regroup sweep``.

Every builder takes :class:`~regroup.results.analysis.Results` and returns a matplotlib
figure (or None when the results cannot show it); :func:`figure_specs` lists them for
``regroup plot`` and ``regroup report``, which build them one at a time so memory stays
small. Years are printed as years (2026, never 2,026 or 2012.5), every panel of a
multi-panel chart over time has its own year axis, and P(regrouped by year) is drawn as the
step it is: it can only change from one year's end to the next. Outputs by place are small
multiples: one panel a place, on a shared value axis or each on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402
from regroup.results import uncertainty  # noqa: E402
from regroup.results.analysis import (  # noqa: E402
    HEADLINE,
    POTENTIAL,
    YEARS,
    Results,
    effects_table,
    end_place_table,
    number_format,
    origin_table,
    place_effects,
    place_table,
    place_targets,
    present,
    regroup_table,
    summary_table,
)
from regroup.results.files import check_output, figures_manifest, staged, write_json  # noqa: E402
from regroup.results.outcomes import declared_by  # noqa: E402

LABELS = {
    "regroup_pool_end": "regrouping pool at the end (persons)",
    "regroup_pool_peak": "peak regrouping pool after the loss of territory (persons)",
    "regroup_year": "year of the regroup event (runs that regrouped)",
    "regrouped": "P(regrouped by the end)",
    "connected_pool": "regrouping pool (persons)",
    "free": "free members (persons)",
    "potential": "regrouping potential (persons)",
    "funds": "funds of connected pools (USD)",
}
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


def label(name: str) -> str:
    """An axis label for an outcome or indicator, with its unit."""
    return LABELS.get(name, name.replace("_", " ") + " (persons)")


def place_label(column: str) -> str:
    """An axis label for an output by place (a column of ``indicators_by_place``): its
    name and the unit it is declared with."""
    o = declared_by("place").get(column)
    return LABELS.get(column) or f"{column.replace('_', ' ')} ({o.unit if o else 'persons'})"


def colors(res: Results) -> dict[str, str]:
    """The baseline in C0 (black when other scenarios are shown beside it), the others C1..."""
    if len(res.scenarios) == 1:
        return {res.scenarios[0]: "C0"}
    out, k = {}, 1
    for name in res.scenarios:
        if name == res.baseline:
            out[name] = "k"
        else:
            out[name] = f"C{k % 10}"
            k += 1
    return out


def value_axis(axis, outcome: str, values: np.ndarray) -> None:
    """Ticks of an outcome's axis: years as whole years (a single year gets a year either
    side, not matplotlib's +-5% of 2026), counts with thousands separators."""
    fmt = number_format(outcome)
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:{fmt}}"))
    if outcome in YEARS:
        axis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        if len(values):
            set_lim = axis.axes.set_ylim if axis is axis.axes.yaxis else axis.axes.set_xlim
            set_lim(values.min() - 1, values.max() + 1)


def year_axis(ax, months: pd.DatetimeIndex) -> None:
    """A date axis with whole years as ticks, shown on this panel whatever its neighbours."""
    span = (months.max().year - months.min().year) if len(months) else 0
    ax.xaxis.set_major_locator(mdates.YearLocator(base=2 if span <= 12 else 5))
    ax.xaxis.set_minor_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.tick_params(axis="x", labelbottom=True, labelsize=8)


def panels(k: int, cols: int, width: float, height: float, **kw) -> tuple[plt.Figure, list]:
    """A figure with ``k`` panels in rows of at most ``cols`` (at least 7 inches wide); unused
    cells switched off."""
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    size = (max(width * cols, 7.0), height * rows)  # room for the title over a single panel
    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, **kw)
    for ax in list(axes.flat)[k:]:
        ax.axis("off")
    return fig, list(axes.flat)[:k]


def fan(
    ax, months, values: np.ndarray, color: str, label: str | None = None, inner: bool = True
) -> None:
    """Median line with the 90% band and (if ``inner``) the 50% band; ``values`` is runs x
    months."""
    q = np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(months, q[0], q[4], color=color, alpha=0.15, lw=0)
    if inner:
        ax.fill_between(months, q[1], q[3], color=color, alpha=0.3, lw=0)
    ax.plot(months, q[2], color=color, lw=1.5, label=label)


def distribution(res: Results, outcome: str) -> plt.Figure | None:
    """Box plot per scenario (median, quartiles, 5-95% whiskers, runs as dots) and ECDFs."""
    groups = {k: v for k, v in res.by_scenario(outcome).items() if len(v)}
    if not groups:
        return None
    names = list(groups)
    col = colors(res)
    fmt = number_format(outcome)
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
        box.annotate(f"{np.median(values):{fmt}}", (i + 0.3, np.median(values)), fontsize=8)
        ecdf.ecdf(values, color=col[name], label=name)
    every = np.concatenate(list(groups.values()))
    value_axis(box.yaxis, outcome, every)
    value_axis(ecdf.xaxis, outcome, every)
    box.set_xticks(range(1, len(names) + 1), names, rotation=30 if len(names) > 1 else 0,
                   ha="right" if len(names) > 1 else "center")  # fmt: skip
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


def _by_run(
    frame: pd.DataFrame, value: str, months: list[str] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Runs x ``months`` [those in ``frame``] of ``value`` (zero where a run has no row),
    and each run's scenario."""
    table = frame.pivot_table(
        index="run_id", columns="month", values=value, aggfunc="sum", observed=True
    )
    table.columns = table.columns.astype(str)
    if months is not None:
        table = table.reindex(columns=months)
    table = table.fillna(0.0)
    table.columns = pd.to_datetime(table.columns)
    return table, frame.groupby("run_id", observed=True)["scenario"].first()


def fan_by_scenario(res: Results, column: str) -> plt.Figure | None:
    """Fan chart of a monthly indicator, one panel per scenario, the baseline's median dashed."""
    try:
        ind = res.indicators([column])
    except (OSError, ValueError):
        return None
    if ind.empty:
        return None
    table, scenario_of = _by_run(ind, column)
    names = [n for n in res.scenarios if (scenario_of == n).any()]
    fig, axes = panels(len(names), 4, 4, 2.9, sharey=True)
    col = colors(res)
    base = table.loc[scenario_of.index[scenario_of == res.baseline]]
    for ax, name in zip(axes, names, strict=True):
        values = table.loc[scenario_of.index[scenario_of == name]].to_numpy()
        fan(ax, table.columns, values, col[name] if name != res.baseline else "C0")
        if name != res.baseline and len(base):
            ax.plot(table.columns, base.median().to_numpy(), "k--", lw=1, label="baseline median")
            ax.legend(fontsize=7, loc="upper left")
        ax.set_title(name, fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(alpha=0.3)
        year_axis(ax, table.columns)
    axes[0].set_ylabel(label(column))
    fig.suptitle(f"{label(column)} over time: median, 50% and 90% of runs")
    fig.tight_layout()
    return fig


def fan_states(res: Results) -> plt.Figure | None:
    """People in each state over time, one panel per state: the baseline's fan (median, 50%
    and 90% of runs) and the other scenarios' medians in their colours."""
    cols = ["scenario", "run_id", "month", "state", "persons"]
    try:
        ts = pd.read_parquet(res.path / "timeseries", columns=cols)
    except (OSError, ValueError):
        return None
    if ts.empty:
        return None
    ts["state"] = ts["state"].astype(str)
    months = sorted(ts["month"].astype(str).unique())
    runs = np.sort(ts["run_id"].unique())
    scenario_of = ts.groupby("run_id", observed=True)["scenario"].first().reindex(runs)
    tables = {}
    for state in SHOWN_STATES:
        part = ts[ts["state"] == state]
        if len(part) and part["persons"].max() > 0:
            table = _by_run(part, "persons", months)[0]
            tables[state] = table.reindex(index=runs, fill_value=0.0)
    if not tables:
        return None
    names = [n for n in res.scenarios if (scenario_of == n).any()]
    col = colors(res)
    fig, axes = panels(len(tables), 4, 4, 2.9)
    for ax, (state, table) in zip(axes, tables.items(), strict=True):
        for name in names:
            values = table.loc[(scenario_of == name).to_numpy()].to_numpy()
            if name == res.baseline or len(names) == 1:
                fan(ax, table.columns, values, "C0" if len(names) == 1 else "0.3", name)
            else:
                ax.plot(table.columns, np.median(values, axis=0), color=col[name], lw=1.2,
                        label=f"{name} (median)")  # fmt: skip
        ax.set_title(state.replace("_", " "), fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(alpha=0.3)
        year_axis(ax, table.columns)
    if len(names) > 1:
        axes[0].legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("persons")
    what = (
        "median, 50% and 90% of runs"
        if len(names) == 1
        else (f"{res.baseline}: median, 50% and 90% of runs; other scenarios: medians")
    )
    fig.suptitle(f"People in each state over time ({what})")
    fig.tight_layout()
    return fig


def _through_last_year(part: pd.DataFrame, *columns: str) -> tuple[np.ndarray, list]:
    """Years and ``columns`` with the last year's values repeated at its end, so that a
    step drawn ``where="post"`` covers the last year too."""
    years = part["year"].to_numpy()
    return np.r_[years, years[-1] + 1], [
        np.r_[part[c].to_numpy(), part[c].iloc[-1]] for c in columns
    ]


def regroup_curves(res: Results) -> plt.Figure | None:
    """P(regrouped by the end of each year), a step with its 90% interval, one panel per
    scenario, the baseline dashed."""
    table = regroup_table(res)
    if table.empty:
        return None
    groups = dict(list(table.groupby("scenario", sort=False)))
    base = groups.get(res.baseline)
    fig, axes = panels(len(groups), 4, 4, 2.9, sharey=True)
    col = colors(res)
    for ax, (name, part) in zip(axes, groups.items(), strict=True):
        color = col[name] if name != res.baseline else "C0"
        years, (p, low, high) = _through_last_year(part, "p", "low", "high")
        ax.fill_between(years, low, high, step="post", color=color, alpha=0.25)
        ax.step(years, p, where="post", color=color, lw=1.8)
        if base is not None and name != res.baseline:
            base_years, (base_p,) = _through_last_year(base, "p")
            ax.step(base_years, base_p, "k--", where="post", lw=1, label="baseline")
            ax.legend(fontsize=7, loc="upper left")
        ax.set_title(name, fontsize=10)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(years.min(), years.max())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("P(regrouped by year)")
    dashed = "; dashed: the baseline" if len(groups) > 1 else ""
    fig.suptitle(
        f"P(regrouped by year): a step in each year with regroup events\n"
        f"(band: 90% interval{dashed})",
        fontsize=10,
    )
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
        value_axis(ax.yaxis, outcome, res.outcomes[outcome].dropna().to_numpy())
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{outcome} against the design parameters (one dot per run)")
    fig.tight_layout()
    return fig


COMPOSITION = {  # panel title: the prefix of its indicator columns
    "by state": "pool_state_",
    "by role": "pool_role_",
    "by region of origin": "pool_origin_",
    "ever imprisoned by states": "pool_",
}


def pool_composition(res: Results) -> plt.Figure | None:
    """The regrouping pool's composition over time in the baseline (mean over runs, so the
    layers add up to the mean pool): by state, role, region of origin, ever imprisoned."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(next((res.path / "indicators").rglob("*.parquet"))).names
    except (OSError, StopIteration, ValueError):
        return None
    parts = {
        title: [
            c
            for c in names
            if c.startswith(prefix)
            and (prefix != "pool_" or c in ("pool_ever_imprisoned", "pool_never_imprisoned"))
        ]
        for title, prefix in COMPOSITION.items()
    }
    columns = sorted({c for cols in parts.values() for c in cols})
    if not columns:
        return None
    ind = res.indicators(columns)
    ind = ind[ind["scenario"] == res.baseline] if (ind["scenario"] == res.baseline).any() else ind
    mean = ind.groupby("month", observed=True)[columns].mean()
    mean.index = pd.to_datetime(mean.index.astype(str))
    fig, axes = panels(len(parts), 2, 6, 3.2)
    for ax, (title, cols) in zip(axes, parts.items(), strict=True):
        shown = [c for c in cols if mean[c].max() > 0]
        if shown:
            labels = [c.removeprefix(COMPOSITION[title]).replace("_", " ") for c in shown]
            ax.stackplot(mean.index, mean[shown].to_numpy().T, labels=labels, alpha=0.85)
            ax.legend(fontsize=6, loc="upper left", ncol=2)
        ax.set_title(f"regrouping pool {title}", fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(alpha=0.3)
        year_axis(ax, mean.index)
    axes[0].set_ylabel("persons (mean over runs)")
    fig.suptitle(f"Who is in the regrouping pool ({res.baseline}; mean over runs)")
    fig.tight_layout()
    return fig


def place_series(res: Results, column: str) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """An output by place (a column of ``indicators_by_place``) as runs x months, per place
    with any value other than 0 (place order), and each run's scenario; ({}, empty) if the
    results do not hold it."""
    try:
        table = res.monthly("indicators_by_place", ["place", column])
    except (OSError, ValueError):
        return {}, pd.Series(dtype=str)
    table["place"] = table["place"].astype(str)
    scenario_of = table.groupby("run_id", observed=True)["scenario"].first().astype(str)
    out = {}
    for place in dict.fromkeys(table["place"]):
        part = table[table["place"] == place]
        if part[column].fillna(0).ne(0).any():
            out[place] = _by_run(part, column)[0].reindex(scenario_of.index, fill_value=0.0)
    return out, scenario_of


def by_place(res: Results, column: str = POTENTIAL, sharey: bool = True) -> plt.Figure | None:
    """Small multiples of an output by place over time, one panel a place (places where it
    is 0 in every run left out), on one value axis (``sharey``) or each on its own: the
    baseline's median and 90% of runs, the other scenarios' medians."""
    tables, scenario_of = place_series(res, column)
    if not tables:
        return None
    names = [n for n in res.scenarios if (scenario_of == n).any()]
    col = colors(res)
    fig, axes = panels(len(tables), 4, 4, 2.9, sharey=sharey)
    for ax, (place, table) in zip(axes, tables.items(), strict=True):
        for name in names:
            values = table.loc[(scenario_of == name).to_numpy()].to_numpy()
            if name == res.baseline or len(names) == 1:
                color = "C0" if len(names) == 1 else "0.3"
                fan(ax, table.columns, values, color, f"{name} (median, 90%)", inner=False)
            else:
                ax.plot(table.columns, np.median(values, axis=0), color=col[name], lw=1.2,
                        label=f"{name} (median)")  # fmt: skip
        ax.set_title(place.replace("_", " ").title(), fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        if sharey:
            ax.tick_params(axis="y", labelleft=True)
        ax.grid(alpha=0.3)
        year_axis(ax, table.columns)
    axes[0].legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel(place_label(column))
    scale = "one scale for all places" if sharey else "each place on its own scale"
    fig.suptitle(f"{place_label(column)} by place over time ({scale})")
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
    yield (
        "policy_robustness.png",
        "Each scenario's effect on the regrouping pool at the end, paired by parameter draw "
        "and seed: median and 90% of draws; and the share of draws in which it lowers the pool.",
        lambda r: uncertainty.robustness_figure(r.outcomes, r.baseline),
    )
    yield (
        "variance_split.png",
        "How much of each outcome's variance over runs comes from the parameters (draws) and "
        "how much from chance (seeds within a draw).",
        lambda r: uncertainty.variance_figure(r.outcomes),
    )
    yield (
        "p_regrouped_by_year.png",
        "P(regrouped by the end of each year), with 90% intervals.",
        regroup_curves,
    )
    yield (
        "potential_by_place.png",
        "The regrouping potential (the largest funded connected pool) of each place over time, "
        "on one scale: the baseline's median and 90% of runs, the other scenarios' medians.",
        lambda r: by_place(r, POTENTIAL, sharey=True),
    )
    yield (
        "potential_by_place_own_scale.png",
        "The same, each place on its own scale (small places become visible).",
        lambda r: by_place(r, POTENTIAL, sharey=False),
    )
    for column in res.monthly_values("indicators_by_place"):
        if column != POTENTIAL:
            o = declared_by("place").get(column)
            what = o.description.rstrip(".") if o else place_label(column)
            yield (
                f"{column}_by_place.png",
                f"{what}: each place over time, on one scale.",
                lambda r, c=column: by_place(r, c),
            )
    yield "fan_states.png", "People in each state over time, per scenario.", fan_states
    yield (
        "pool_composition.png",
        "The regrouping pool's composition over time: by state, role, region of origin and "
        "ever imprisoned (the baseline, mean over runs).",
        pool_composition,
    )
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


def place_tables(res: Results) -> dict[str, pd.DataFrame]:
    """The tables by place and by region of origin, by file stem (those with rows): the
    potential per place at its years and each scenario's paired effect on it; killed,
    returned and imprisoned by region of origin; people by place at the end; the public
    figures counted by place; and
    every output by place month by month (median and 90% of runs per scenario)."""
    tables = {
        "potential_by_place": place_table(res),
        "potential_effects_by_place": place_effects(res),
        "by_origin": origin_table(res),
        "end_by_place": end_place_table(res),
        "targets_by_place": place_targets(res),
        "outputs_by_place": place_quantiles(res),
    }
    return {k: v for k, v in tables.items() if not v.empty}


def place_quantiles(res: Results) -> pd.DataFrame:
    """Every output by place, per scenario, place and month: the median and the 5% and 95%
    quantiles of the runs (long format: one row per output, scenario, place, month)."""
    frames = []
    for column in res.monthly_values("indicators_by_place"):
        tables, scenario_of = place_series(res, column)
        for place, table in tables.items():
            for name in res.scenarios:
                values = table.loc[(scenario_of == name).to_numpy()]
                if values.empty:
                    continue
                q = values.quantile([0.05, 0.5, 0.95])
                frames.append(
                    pd.DataFrame(
                        {
                            "output": column,
                            "scenario": name,
                            "place": place,
                            "month": table.columns.strftime("%Y-%m"),
                            "median": q.loc[0.5].to_numpy(),
                            "low": q.loc[0.05].to_numpy(),
                            "high": q.loc[0.95].to_numpy(),
                        }
                    )
                )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _save(res: Results, index: int, folder: Path) -> str | None:
    """Draw the ``index``-th figure of :func:`figure_specs` into ``folder``: its file name, or
    None if the results cannot show it."""
    for name, _, build in itertools.islice(figure_specs(res), index, index + 1):
        fig = build(res)
        if fig is None:
            return None
        try:
            fig.savefig(folder / name, dpi=110)
        finally:
            plt.close(fig)
        return name
    raise IndexError(f"no figure {index}")


_DRAWN: list[Results] = []  # a drawing process's results (:func:`_saved`)


def _adopt(res: Results) -> None:
    _DRAWN[:] = [res]


def _save_adopted(index: int, folder: Path) -> str | None:
    return _save(_DRAWN[0], index, folder)


def _saved(res: Results, folder: Path, workers: int) -> list[str | None]:
    """Each figure drawn into ``folder``, in order (see :func:`_save`), by ``workers``
    processes: each builds the figures it is given from the results it was started with (a
    figure takes 0.05-1.9 s, nearly all of it matplotlib's layout and drawing)."""
    count = sum(1 for _ in figure_specs(res))
    if workers <= 1 or count < 2:
        return [_save(res, i, folder) for i in range(count)]
    from regroup.experiments.runner import pool_context

    with ProcessPoolExecutor(
        max_workers=min(workers, count),
        mp_context=pool_context(),
        initializer=_adopt,
        initargs=(res,),
    ) as pool:
        return list(pool.map(_save_adopted, range(count), itertools.repeat(folder)))


def write_figures(res: Results, out: Path, workers: int = 1) -> list[Path]:
    """Write every figure and the tables (CSV) into the folder ``out``, replacing an earlier
    figures folder whole; OutputError (before any work) if ``out`` holds anything else.
    With ``workers`` > 1 the figures are drawn by that many processes (the same files)."""
    out = Path(out)
    check_output(out, "figures")
    with staged(out, folder=True) as tmp:
        names = [name for name in _saved(res, tmp, workers) if name is not None]
        summary_table(res).to_csv(tmp / "summary.csv", index=False)
        effects_table(res).to_csv(tmp / "effects.csv", index=False)
        for stem, table in uncertainty.tables(res.outcomes, res.baseline).items():
            table.to_csv(tmp / f"{stem}.csv", index=False)
        regroup_table(res).to_csv(tmp / "p_regrouped_by_year.csv", index=False)
        for stem, table in place_tables(res).items():
            table.to_csv(tmp / f"{stem}.csv", index=False)
        write_json(figures_manifest(res.path, files=names), tmp / "manifest.json")
    return [out / n for n in names]
