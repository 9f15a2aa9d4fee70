"""Scenario discovery: the parameter regions in which an outcome happens (PRIM).

EMA Workbench's PRIM peels boxes over the runs' drawn parameters (one column per dotted
parameter name) toward the runs where the outcome happened: the group regrouped, or a
policy failed to lower the regrouping pool against the baseline in the same draw. The
peeling trajectory is the coverage/density trade-off; the chosen box is the densest box
that still covers at least ``min_coverage`` of the cases. Each restriction comes with its
quasi-p-value (PRIM's binomial test of the box with and without it): with few runs and many
drawn parameters PRIM also restricts parameters by chance, and those have large qp values.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


class DiscoveryError(ValueError):
    """The runs cannot answer the question (no drawn parameters, no cases, no contrast)."""


@dataclass
class Discovery:
    """PRIM's answer: the trade-off, the chosen box and the cases it was asked about."""

    question: str
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim per peeling step
    box: pd.DataFrame  # parameter, low, high, drawn_low, drawn_high, qp_value (restricted)
    chosen: int  # row of the trajectory
    cases: int
    runs: int


def parameter_columns(outcomes: pd.DataFrame) -> list[str]:
    """The drawn parameters: numeric columns with dotted names that vary between runs."""
    return [
        c
        for c in outcomes.columns
        if "." in c
        and pd.api.types.is_numeric_dtype(outcomes[c])
        and outcomes[c].nunique(dropna=True) > 1
    ]


def cases_for(
    outcomes: pd.DataFrame, outcome: str, policy: str | None, baseline: str
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The runs to explain, their parameters and whether each is a case.

    ``outcome`` is a boolean outcome column (``regrouped``) or a numeric one (a case is a
    value above the baseline's median). With ``policy``, a case is a run of that policy in
    which the outcome is not lowered against the baseline run with the same draw and seed.
    """
    if outcome not in outcomes.columns:
        raise DiscoveryError(f"--outcome: no column {outcome!r} in outcomes.parquet")
    params = parameter_columns(outcomes)
    if not params:
        raise DiscoveryError(
            "no drawn parameters in outcomes.parquet: run with `parameters: prior` (or a "
            "design over parameter ranges) so that runs differ in their parameters"
        )
    values = outcomes[outcome].astype(float)
    if policy is None:
        runs = outcomes[outcomes["scenario"] == baseline] if baseline else outcomes
        y = values.loc[runs.index].to_numpy()
        if set(np.unique(y[~np.isnan(y)])) - {0.0, 1.0}:
            y = y > np.nanmedian(y)
        question = f"{outcome} in {baseline or 'all scenarios'}"
        return runs[params], np.asarray(y, dtype=bool), question
    scenarios = set(outcomes["scenario"])
    if policy not in scenarios:
        raise DiscoveryError(f"--policy: no scenario {policy!r} (have {sorted(scenarios)})")
    keys = ["draw", "replicate"]
    base = outcomes[outcomes["scenario"] == baseline].set_index(keys)[outcome].astype(float)
    runs = outcomes[outcomes["scenario"] == policy]
    diff = runs.set_index(keys)[outcome].astype(float) - base
    if diff.isna().all():
        raise DiscoveryError(f"{policy!r} and {baseline!r} share no draws and seeds")
    y = (diff >= 0).to_numpy()
    question = f"{policy} fails to lower {outcome} against {baseline}"
    return runs[params], y, question


def discover(
    outcomes: pd.DataFrame,
    outcome: str = "regrouped",
    policy: str | None = None,
    baseline: str = "baseline",
    threshold: float = 0.8,
    min_coverage: float = 0.5,
) -> Discovery:
    """Run PRIM on the runs' drawn parameters for ``outcome`` (see :func:`cases_for`)."""
    x, y, question = cases_for(outcomes, outcome, policy, baseline)
    if y.sum() == 0 or y.all():
        share = "no run" if y.sum() == 0 else "every run"
        raise DiscoveryError(f"{question}: {share} is a case, so there is no region to find")
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():  # EMA Workbench warns about optional parallel back ends
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        logging.getLogger("EMA").setLevel(logging.ERROR)
        box = prim.Prim(x, y, threshold=threshold).find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    eligible = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int(eligible["density"].idxmax()) if len(eligible) else 0
    lims = box.box_lims[chosen]
    full = box.box_lims[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = box.inspect(chosen, style="data")[0][1]
    qp = stats.xs("qp value", axis=1, level=1).min(axis=1) if len(stats) else pd.Series()
    rows = [
        {
            "parameter": p,
            "low": float(lims.at[0, p]),
            "high": float(lims.at[1, p]),
            "drawn_low": float(full.at[0, p]),
            "drawn_high": float(full.at[1, p]),
            "qp_value": float(qp.get(p, np.nan)),
        }
        for p in x.columns
        if (lims.at[0, p], lims.at[1, p]) != (full.at[0, p], full.at[1, p])
    ]
    columns = ["parameter", "low", "high", "drawn_low", "drawn_high", "qp_value"]
    table = pd.DataFrame(rows, columns=columns).sort_values("qp_value", ignore_index=True)
    return Discovery(question, trajectory, table, chosen, int(y.sum()), len(y))


def figures(found: Discovery):
    """The trade-off (coverage against density, the chosen box ringed) and the box."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = found.trajectory
    trade, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
    dots = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    c = t.loc[found.chosen]
    ax.scatter([c["coverage"]], [c["density"]], s=120, facecolors="none", edgecolors="red")
    ax.set(xlabel="coverage (share of cases inside the box)", ylabel="density (cases/box)")
    ax.set_title(f"PRIM trade-off: {found.question}", fontsize=9)
    trade.colorbar(dots, ax=ax, label="parameters restricted")

    b = found.box
    limits, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(1, len(b))), layout="constrained")
    for i, row in enumerate(b.itertuples(index=False)):
        span = (row.drawn_high - row.drawn_low) or 1.0
        lo, hi = (row.low - row.drawn_low) / span, (row.high - row.drawn_low) / span
        ax.plot([0, 1], [i, i], color="0.85", lw=6, solid_capstyle="butt")
        ax.plot([lo, hi], [i, i], color="tab:red", lw=6, solid_capstyle="butt")
        ax.text(1.02, i, f"{row.low:.3g} – {row.high:.3g}", va="center", fontsize=8)
    ax.set_yticks(range(len(b)), list(b["parameter"]))
    ax.set_xlim(0, 1.3)
    ax.set_xticks([0, 1], ["lowest drawn", "highest drawn"])
    ax.invert_yaxis()
    ax.set_title(
        f"box {found.chosen}: coverage {c['coverage']:.2f}, density {c['density']:.2f}",
        fontsize=9,
    )
    return {"prim_tradeoff": trade, "prim_box": limits}
