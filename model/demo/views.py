"""The demo's charts as Matplotlib figures (no pyplot: each call makes its own figure).

Drawing, not the model, limits the demo's frame rate: the figures are small, drawn at a low
resolution, from aggregates and a sample of a few hundred members.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from regroup.demo.wiring import (
    EVENTS,
    MEASURES,
    STATE_GROUPS,
    Comparison,
    DemoModel,
    Network,
    layout,
    month_of,
    network_sample,
    people_by_group,
    pool_series,
)

try:
    from regroup.core.states import State
except ImportError:  # pragma: no cover - before the package was reorganised
    from regroup.states import State  # type: ignore[no-redef]

DPI = 72
SIZE = (7.2, 3.4)
FAINT = dict(color="black", alpha=0.35, lw=1.0, ls="--")


def _figure(size: tuple[float, float] = SIZE, right: float = 0.9) -> tuple[Figure, object]:
    # fixed margins: a constrained layout cost more than the drawing itself
    fig = Figure(figsize=size, dpi=DPI)
    fig.subplots_adjust(left=0.1, right=right, bottom=0.09, top=0.9)
    return fig, fig.add_subplot()


def _years(ax, model: DemoModel) -> None:
    """Month axis labelled in years over the whole run, with the key events marked."""
    ticks = [month_of(model, f"{y}-01") for y in range(2013, 2033, 2)]
    ax.set_xticks(ticks, [str(y) for y in range(2013, 2033, 2)], fontsize=8)
    ax.set_xlim(0, model.months - 1)
    top = ax.get_ylim()[1]
    for label, name in EVENTS:
        x = month_of(model, label)
        ax.axvline(x, color="black", lw=0.7, ls=":")
        ax.text(x + 1, top * 0.97, name, fontsize=7, va="top", rotation=90)


def _now(ax, model: DemoModel) -> None:
    if model.t >= 0:
        ax.axvline(model.t, color="#d62728", lw=1.2)


def states_figure(model: DemoModel) -> Figure:
    """People by state over time (stacked), the share of territory held, the key events, and
    the comparison run's stack boundaries drawn faintly."""
    fig, ax = _figure()
    groups = people_by_group(model)
    x = np.arange(groups.shape[1])
    if groups.shape[1]:
        ax.stackplot(
            x, groups, colors=[c for *_, c in STATE_GROUPS], labels=[n for n, *_ in STATE_GROUPS]
        )
    other = model.comparison
    if other is not None and other.t >= 0:
        faint = np.cumsum(people_by_group(other), axis=0)
        for row in faint:
            ax.plot(np.arange(len(row)), row, **FAINT)
        ax.plot([], [], label="baseline, same seed (dashed)", **FAINT)
    ax.set_ylabel("persons", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.set_ylim(0, max(1.0, groups.sum(axis=0).max(initial=0) * 1.05))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6.5, loc="upper left", ncol=2, frameon=False)
    terr = ax.twinx()
    terr.plot(np.arange(model.months), model.schedule.control, color="black", lw=1.5)
    terr.set_ylim(0, 1.05)
    terr.set_ylabel("territory held (black line, share)", fontsize=8)
    terr.tick_params(labelsize=8)
    _years(ax, model)
    _now(ax, model)
    ax.set_title(f"People by state, {model.month}", fontsize=10)
    return fig


def pool_figure(model: DemoModel) -> Figure:
    """The regrouping pool over time: all, connected to a funded leader, the largest
    connected pool, the critical mass, and the comparison run faintly."""
    fig, ax = _figure()
    s = pool_series(model)
    x = np.arange(len(s["pool"]))
    ax.plot(x, s["pool"], color="#fdae61", lw=1.5, label="dedicated and qualified, free")
    ax.plot(x, s["connected"], color="#f46d43", lw=1.5, label="connected to a funded leader")
    ax.plot(x, s["largest"], color="#b2182b", lw=2.2, label="largest connected pool")
    critical = model.p.regroup.critical_mass
    ax.axhline(critical, color="black", lw=1.2, label=f"critical mass ({critical:,.0f})")
    other = model.comparison
    if other is not None and other.t >= 0:
        o = pool_series(other)
        ax.plot(np.arange(len(o["largest"])), o["largest"], label="largest, baseline", **FAINT)
    top = max(critical, s["pool"].max(initial=0)) * 1.15
    ax.set_ylim(0, top)
    if model.regroup_month is not None:
        ax.axvline(model.regroup_month, color="#b2182b", lw=1, ls="-.")
        ax.text(
            model.regroup_month + 1, critical * 1.02, "regroup event", fontsize=7, color="#b2182b"
        )
    ax.set_ylabel("persons", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    _years(ax, model)
    _now(ax, model)
    ax.set_title(f"The regrouping pool, {model.month}", fontsize=10)
    return fig


NETWORK_COLOURS = {
    State.HIDING_LOCAL: ("hiding locally", "#fdae61"),
    State.HIDING_ABROAD: ("hiding abroad", "#e08214"),
    State.RETURNED: ("returned home", "#74add1"),
    State.RELEASED: ("released from prison", "#4575b4"),
    State.CRIMINAL: ("criminal networks", "#8c510a"),
    State.REMOBILISED: ("remobilised", "#d73027"),
}


def network_figure(model: DemoModel, net: Network | None = None) -> Figure:
    """Ties among a sample of free members, coloured by state; dedicated members ringed in
    black, members of a funded pool drawn larger."""
    fig, ax = _figure((7.2, 4.2), right=0.75)
    net = net if net is not None else network_sample(model)
    xy = layout(net, model.layout if isinstance(model, DemoModel) else None)
    if len(net.edges):
        segments = xy[net.edges]
        ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.5, zorder=1))
    colours = np.array(["#cccccc"] * len(net.members), dtype=object)
    for state, (name, colour) in NETWORK_COLOURS.items():
        here = net.state == int(state)
        colours[here] = colour
        ax.scatter([], [], color=colour, s=20, label=name)
    if len(net.members):
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=np.where(net.in_pool, 36, 12),
            c=list(colours),
            edgecolors=np.where(net.dedicated, "black", "none").tolist(),
            linewidths=0.8,
            zorder=2,
        )
    ax.scatter([], [], color="white", edgecolors="black", s=20, label="dedicated (ringed)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal", adjustable="datalim")
    shown, total = len(net.members), net.free_total
    ax.set_title(
        f"Ties among free members, {model.month}: a sample of {shown} of {total} agents "
        f"({total * model.scale:,.0f} persons)",
        fontsize=9,
    )
    return fig


def comparison_figure(comparison: Comparison) -> Figure:
    """Median and 10-90% band over seeds, baseline (grey) against the chosen levers (red)."""
    fig = Figure(figsize=(7.2, 6.6), dpi=DPI)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.05, top=0.95, hspace=0.3)
    axes = fig.subplots(len(MEASURES), 1, sharex=True)
    x = np.arange(len(comparison.months))
    for ax, (key, title) in zip(axes, MEASURES.items(), strict=True):
        for side, colour, name in (
            ("baseline", "#636363", "baseline (no levers)"),
            ("levers", "#b2182b", "chosen levers"),
        ):
            data = getattr(comparison, side)[key]
            lo, mid, hi = np.percentile(data, [10, 50, 90], axis=1)
            ax.fill_between(x, lo, hi, color=colour, alpha=0.2, lw=0)
            ax.plot(x, mid, color=colour, lw=1.8, label=f"{name}: median, 10-90% band")
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_ylabel("persons", fontsize=8)
    axes[0].legend(fontsize=7, loc="upper left", frameon=False)
    years = range(2013, 2033, 2)
    starts = [int(np.flatnonzero(comparison.months == f"{y}-01")[0]) for y in years]
    axes[-1].set_xticks(starts, [str(y) for y in years])
    axes[-1].set_xlim(0, len(x) - 1)
    return fig
