"""Figures and the HTML report of a calibration (``regroup calibrate``).

* ``prior_posterior.png``: each fitted parameter's prior density against its weighted
  posterior, on the prior's scale (a value, a factor on a table or range, a shift in months);
* ``pairs.png``: the weighted posterior particles of the most constrained parameters
  (smallest posterior/prior spread), pair by pair;
* ``generations.png``: epsilon, acceptance rate and effective sample size by generation;
* ``predictive.png``: every fitted and held-out target: its public range (green band), the
  prior predictive and the posterior predictive 90% intervals with their medians;
* ``screening.png``: rank correlation of each parameter with each target over the prior.

``report.html`` embeds them with the tables, the calibration file and the manifest.
"""

from __future__ import annotations

import base64
import html
import io
import json
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from regroup.results.files import staged, write_text  # noqa: E402

if TYPE_CHECKING:
    from regroup.config.calibration import Calibration

PRIOR, POSTERIOR, RANGE = "#999999", "#1f5fa8", "#2ca02c"


def _grid(k: int, cols: int, w: float, h: float):
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(w * cols, 7.0), h * rows), squeeze=False)
    for ax in list(axes.flat)[k:]:
        ax.axis("off")
    return fig, list(axes.flat)[:k]


def _spread(v: np.ndarray, w: np.ndarray) -> float:
    m = np.average(v, weights=w)
    return float(np.sqrt(np.average((v - m) ** 2, weights=w)))


def constraint(cal: Calibration, posterior: pd.DataFrame) -> pd.Series:
    """Posterior spread / prior spread of each parameter (1: not constrained by the fit)."""
    rng = np.random.default_rng(0)
    w = posterior["weight"].to_numpy(float)
    out = {}
    for s in cal.parameters:
        prior = s.prior.ppf(rng.random(20_000))
        out[s.path] = _spread(posterior[s.path].to_numpy(float), w) / max(prior.std(), 1e-300)
    return pd.Series(out).sort_values()


def prior_posterior(cal: Calibration, posterior: pd.DataFrame) -> plt.Figure:
    """Prior density against the weighted posterior, per parameter."""
    rng = np.random.default_rng(0)
    fig, axes = _grid(len(cal.parameters), 3, 3.4, 2.6)
    w = posterior["weight"].to_numpy(float)
    for ax, s in zip(axes, cal.parameters, strict=True):
        lo, hi = s.prior.support
        bins = np.linspace(lo, hi, 31)
        ax.hist(
            s.prior.ppf(rng.random(20_000)),
            bins=bins,
            density=True,
            color=PRIOR,
            alpha=0.5,
            label="prior",
        )
        ax.hist(
            posterior[s.path],
            bins=bins,
            weights=w,
            density=True,
            color=POSTERIOR,
            alpha=0.6,
            label="posterior",
        )
        ax.set_title(s.path, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
        ax.set_xlabel(
            {"value": "value", "factor": "factor on the defaults", "shift": "shift (months)"}.get(
                s.target, ""
            ),
            fontsize=7,
        )
    axes[0].legend(fontsize=7)
    fig.suptitle("Prior and posterior of each fitted parameter")
    fig.tight_layout()
    return fig


def pairs(cal: Calibration, posterior: pd.DataFrame, k: int = 4) -> plt.Figure | None:
    """Weighted posterior particles of the ``k`` most constrained parameters, by pairs."""
    top = list(constraint(cal, posterior).index[:k])
    if len(top) < 2:
        return None
    combos = list(combinations(top, 2))
    fig, axes = _grid(len(combos), 3, 3.2, 3.0)
    w = posterior["weight"].to_numpy(float)
    size = 8 + 200 * w / w.max()
    for ax, (a, b) in zip(axes, combos, strict=True):
        ax.scatter(posterior[a], posterior[b], s=size, alpha=0.4, color=POSTERIOR, lw=0)
        ax.set_xlabel(a, fontsize=7)
        ax.set_ylabel(b, fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior particles of the most constrained parameters (size: weight)")
    fig.tight_layout()
    return fig


def generations(gens: pd.DataFrame) -> plt.Figure:
    """Epsilon, acceptance rate and effective sample size by generation."""
    fig, axes = plt.subplots(1, 3, figsize=(10, 3))
    eps = gens["epsilon"].where(gens["epsilon"] < 1e8)
    for ax, col, title in zip(
        axes,
        (eps, gens["acceptance_rate"], gens["ess"]),
        ("epsilon (range widths)", "acceptance rate", "effective sample size"),
        strict=True,
    ):
        ax.plot(gens["t"], col, "o-", color=POSTERIOR)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("generation")
        ax.set_ylim(bottom=0)
    axes[1].set_ylim(0, 1.05)
    fig.tight_layout()
    return fig


def predictive_check(targets: pd.DataFrame) -> plt.Figure:
    """Each target: public range, prior and posterior predictive 90% intervals."""
    fig, axes = _grid(len(targets), 3, 3.6, 1.5)
    for ax, row in zip(axes, targets.itertuples(index=False), strict=True):
        ax.axvspan(row.low, row.high, color=RANGE, alpha=0.25, lw=0)
        ax.plot([row.prior_5, row.prior_95], [1, 1], color=PRIOR, lw=3)
        ax.plot([row.prior_50], [1], "o", color=PRIOR)
        ax.plot([row.posterior_5, row.posterior_95], [0, 0], color=POSTERIOR, lw=3)
        ax.plot([row.posterior_50], [0], "o", color=POSTERIOR)
        ax.set_ylim(-0.7, 1.7)
        ax.set_yticks([0, 1], ["posterior", "prior"], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(
            f"{row.target} ({row.role})",
            fontsize=8,
            color="black" if row.role == "fitted" else "#8a2be2",
        )
    fig.suptitle("Posterior predictive check: 90% intervals against the public range (green)")
    fig.tight_layout()
    return fig


def screening(table: pd.DataFrame) -> plt.Figure:
    """Heat map of rank correlations (parameters x targets) over the prior."""
    data = table.set_index("parameter")
    size = (2.5 + 0.45 * data.shape[1], 2.0 + 0.35 * data.shape[0])
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    im = ax.imshow(data.to_numpy(float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(data.shape[1]), data.columns, rotation=70, ha="right", fontsize=7)
    ax.set_yticks(range(data.shape[0]), data.index, fontsize=7)
    fig.colorbar(im, ax=ax, label="Spearman rho over the prior")
    return fig


def _img(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def write_figures_and_report(
    cal: Calibration,
    out: Path,
    particles: pd.DataFrame,
    gens: pd.DataFrame,
    posterior: pd.DataFrame,
    targets: pd.DataFrame,
    screening_table: pd.DataFrame,
) -> None:
    """``out/figures/*.png`` and ``out/report.html`` (both written atomically)."""
    from regroup.results.report import CSS

    figs = {
        "prior_posterior": (prior_posterior(cal, posterior), "Prior and posterior per parameter"),
        "pairs": (pairs(cal, posterior), "Most constrained parameters, pair by pair"),
        "generations": (generations(gens), "Epsilon, acceptance rate, ESS by generation"),
        "predictive": (predictive_check(targets), "Posterior predictive check of every target"),
        "screening": (screening(screening_table), "Which parameters move which targets"),
    }
    figs = {k: v for k, v in figs.items() if v[0] is not None}
    with staged(out / "figures", folder=True) as tmp:
        for name, (fig, _) in figs.items():
            fig.savefig(tmp / f"{name}.png", dpi=110)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    shown = targets.drop(columns=["source"]).copy()
    cons = constraint(cal, posterior).rename("posterior/prior spread").reset_index()
    cons = cons.rename(columns={"index": "parameter"})
    parts = [
        f"<h1>Calibration: {html.escape(cal.name)}</h1>",
        f"<p>{html.escape(cal.spec.description)}</p>",
        "<p class='note'>ABC-SMC (pyabc) on the unit scale of each schema prior; distance: root "
        "mean square of how far each fitted target lies outside its public range, in range "
        "widths. Held-out targets are not in the distance: their posterior predictive "
        "interval is an independent check.</p>",
        f"<p>{manifest.get('generations')} generations, {manifest.get('simulations'):,} "
        f"simulations, {manifest.get('wall_seconds', 0) / 60:.1f} min of wall time, final "
        f"epsilon {manifest.get('final_epsilon', float('nan')):.3g}, effective sample size "
        f"{manifest.get('final_ess', float('nan')):.0f}.</p>",
        "<h2>Targets: public range and predictive 90% intervals</h2>",
        shown.to_html(index=False, float_format=lambda v: f"{v:,.4g}", border=0),
        "<h2>Parameters</h2>",
        cons.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0),
    ]
    for _, (fig, caption) in figs.items():
        parts.append(
            f"<figure><img src='{_img(fig)}' alt='{html.escape(caption)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
        plt.close(fig)
    parts += [
        "<h2>Generations</h2>",
        gens.to_html(index=False, float_format=lambda v: f"{v:,.4g}", border=0),
        "<h2>Sources of the targets</h2>",
        targets[["target", "source"]].to_html(index=False, border=0),
        "<h2>Calibration file</h2>",
        f"<pre>{html.escape(cal.text())}</pre>",
        "<h2>Manifest</h2>",
        f"<pre>{html.escape(json.dumps(manifest, indent=2, default=str)[:20000])}</pre>",
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(cal.name)}: calibration</title><style>{CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
    write_text(page, out / "report.html")
