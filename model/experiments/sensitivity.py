"""Global sensitivity of one outcome to the design parameters, with SALib.

A ``sobol`` design gives first- and total-order Sobol' indices (S1, ST) with confidence
intervals; a ``morris`` design gives the Morris screening measures mu* (with its interval)
and sigma. The model output at each design point is the mean of the outcome over that
point's replicates (so replicate noise is averaged, not attributed to a parameter). With
several scenarios, each is analysed on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from regroup.config.experiment import ExperimentFile
from regroup.experiments.designs import salib_problem
from regroup.results.analysis import Results
from regroup.results.figures import plt
from regroup.results.files import write_atomic

CONF_LEVEL = 0.95


class SensitivityError(Exception):
    """The results cannot be analysed (wrong design, or design points without results)."""


def _point_means(res: Results, scenario: str, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """The design matrix and the per-point mean outcome of one scenario, in design order."""
    design = res.design[res.design["scenario"] == scenario].sort_values("point_id")
    means = res.outcomes.groupby("point_id")[outcome].mean()
    y = means.reindex(design["point_id"]).to_numpy(dtype=float)
    missing = design["point_id"].to_numpy()[np.isnan(y)]
    if len(missing):
        shown = ", ".join(str(p) for p in missing[:10])
        raise SensitivityError(
            f"{res.path}: {scenario}: no {outcome} values at design point(s) {shown}"
            f"{' ...' if len(missing) > 10 else ''} (failed runs?)"
        )
    return design[res.parameters].to_numpy(dtype=float), y


def analyse(res: Results, outcome: str | None = None) -> dict[str, pd.DataFrame]:
    """Per scenario, a table of indices by parameter, most influential first."""
    settings = ExperimentFile.model_validate(res.manifest["experiment"]["settings"])
    kind = settings.design.kind
    outcome = outcome or settings.outcome
    if kind not in ("sobol", "morris"):
        raise SensitivityError(
            f"{res.path}: design.kind is {kind}; sensitivity needs a sobol or morris design"
        )
    if outcome not in res.outcomes:
        raise SensitivityError(f"{res.path}: no outcome named {outcome!r}")
    problem = salib_problem(settings.parameters)
    tables = {}
    for scenario in res.scenarios:
        x, y = _point_means(res, scenario, outcome)
        if kind == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(
                problem,
                y,
                calc_second_order=settings.design.second_order,
                conf_level=CONF_LEVEL,
                seed=res.seed,
            )
            keys, order = ["S1", "S1_conf", "ST", "ST_conf"], "ST"
        else:
            from SALib.analyze import morris

            si = morris.analyze(
                problem,
                x,
                y,
                conf_level=CONF_LEVEL,
                num_levels=settings.design.n_levels,
                seed=res.seed,
            )
            keys, order = ["mu_star", "mu_star_conf", "sigma", "mu"], "mu_star"
        table = pd.DataFrame({k: np.asarray(si[k], dtype=float) for k in keys})
        table.insert(0, "parameter", problem["names"])
        tables[scenario] = table.sort_values(order, ascending=False, ignore_index=True)
    return tables


def bar_chart(table: pd.DataFrame, scenario: str, outcome: str) -> plt.Figure:
    """Ranked horizontal bars with confidence intervals (Sobol': S1 and ST; Morris: mu*)."""
    sobol = "ST" in table
    pairs = [("ST", "total order"), ("S1", "first order")] if sobol else [("mu_star", "mu*")]
    y = np.arange(len(table))[::-1]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(table)))
    height = 0.8 / len(pairs)
    for i, (key, name) in enumerate(pairs):
        ax.barh(
            y + (i - (len(pairs) - 1) / 2) * height,
            table[key],
            height,
            xerr=table[f"{key}_conf"],
            capsize=3,
            color=f"C{i}",
            label=f"{name} ({CONF_LEVEL:.0%} interval)",
        )
    if not sobol:
        ax.plot(table["sigma"], y, "kD", ms=5, label="sigma (interactions, non-linearity)")
    ax.set_yticks(y, table["parameter"])
    ax.set_xlabel("Sobol' index" if sobol else f"Morris elementary effects on {outcome}")
    ax.axvline(0, color="k", lw=0.8)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8)
    ax.set_title(f"{scenario}: sensitivity of {outcome}, most influential first", fontsize=10)
    fig.tight_layout()
    return fig


def write_sensitivity(
    res: Results, outcome: str | None = None, out: Path | None = None
) -> dict[str, pd.DataFrame]:
    """Analyse; write ``<kind>_<outcome>_<scenario>.csv`` and ``.png`` into ``out``.

    ``out`` defaults to ``<results>/sensitivity``; each file is written atomically, and
    files of other outcomes already there are kept.
    """
    tables = analyse(res, outcome)
    settings = res.manifest["experiment"]["settings"]
    outcome = outcome or settings["outcome"]
    out = Path(out or res.path / "sensitivity")
    out.mkdir(parents=True, exist_ok=True)
    for scenario, table in tables.items():
        stem = f"{settings['design']['kind']}_{outcome}_{scenario}"
        write_atomic(out / f"{stem}.csv", lambda tmp, t=table: t.to_csv(tmp, index=False))
        fig = bar_chart(table, scenario, outcome)
        write_atomic(out / f"{stem}.png", lambda tmp, f=fig: f.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
    return tables
