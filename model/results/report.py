"""One self-contained HTML report of a run or a sweep, to send to a colleague.

Figures are embedded as base64 PNGs; the tables of medians and intervals, the effects
against the baseline, any sensitivity results, the failures, the experiment file and the
manifest are all inside the one file. Nothing is fetched from elsewhere when it is opened.
"""

from __future__ import annotations

import base64
import html
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from regroup.results import uncertainty
from regroup.results.analysis import (
    LEVEL,
    Results,
    effects_table,
    end_place_table,
    number_format,
    origin_table,
    place_effects,
    place_table,
    place_targets,
    regroup_table,
    summary_table,
)
from regroup.results.figures import each_figure
from regroup.results.files import check_output, write_text

CSS = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
.wide { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; vertical-align: top; }
td small { color: #666; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
.note { color: #555; font-size: 0.9em; }
"""


def _img(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(src: str, caption: str) -> str:
    return (
        f'<figure><img src="{src}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _table(df: pd.DataFrame, escaped: bool = False) -> str:
    """An HTML table in a box that scrolls sideways rather than widen the page; cells of an
    ``escaped`` frame are HTML already (their text escaped where it came from the user)."""
    if escaped:
        df = df.rename(columns=lambda c: html.escape(str(c)))
    table = df.to_html(
        index=False, border=0, na_rep="", escape=not escaped, float_format=lambda v: f"{v:,.3g}"
    )
    return f"<div class='wide'>{table}</div>"


def _interval(mid: float, lo: float, hi: float, fmt: str = ",.0f", sep: str = " ") -> str:
    if np.isnan(mid):
        return ""
    if np.isnan(lo):
        return f"{mid:{fmt}}"
    return f"{mid:{fmt}}{sep}[{lo:{fmt}}, {hi:{fmt}}]"


def _by_scenario(table: pd.DataFrame, index: list[str], res: Results) -> pd.DataFrame:
    """``table``'s ``cell`` column as rows ``index`` (in their order) x scenario columns."""
    wide = table.pivot(index=index, columns="scenario", values="cell")
    rows = table[index].drop_duplicates()
    order = pd.MultiIndex.from_frame(rows) if len(index) > 1 else rows[index[0]]
    wide = wide.reindex(index=order, columns=[s for s in res.scenarios if s in wide.columns])
    return wide.rename_axis(None, axis=1).reset_index()


def medians_table(
    res: Results, table: pd.DataFrame | None = None, index: tuple[str, ...] = ("outcome",)
) -> pd.DataFrame:
    """Rows ``index`` x scenario: the median over ``[5%, 95%]`` of the runs (HTML cells), of
    a :func:`~regroup.results.analysis.summary_table` [of the headline outcomes]."""
    table = summary_table(res) if table is None else table.copy()
    if table.empty:
        return table
    table["cell"] = [
        _interval(m, lo, hi, number_format(o), "<br><small>")
        + ("</small>" if not np.isnan(lo) else "")
        for o, m, lo, hi in table[["outcome", "median", "low", "high"]].to_numpy()
    ]
    return _by_scenario(table, list(index), res)


def place_effects_display(res: Results) -> pd.DataFrame:
    """Place and year x scenario: each scenario's paired effect on the regrouping potential
    (median over draws [90% of draws]) and the share of draws in which it lowers it."""
    table = place_effects(res)
    if table.empty:
        return table
    table["cell"] = [
        f"{_interval(m, lo, hi, '+,.0f')}<br><small>lowers in {share:.0%}</small>"
        for m, lo, hi, share in table[["median_effect", "low", "high", "lowers"]].to_numpy()
    ]
    return _by_scenario(table, ["place", "year"], res)


def targets_display(res: Results) -> pd.DataFrame:
    """The public figures counted by place x scenario: median [5%, 95%] of runs and the
    share of runs in the figure's range."""
    table = place_targets(res)
    if table.empty:
        return table
    fmt = [".2f" if share else ",.0f" for share in table["share"]]
    table["figure"] = [
        html.escape(f"{c} ({p}, {d}): {lo:{f}}-{hi:{f}}")
        for c, p, d, lo, hi, f in zip(
            table["counts"],
            table["places"],
            table["date"],
            table["public_low"],
            table["public_high"],
            fmt,
            strict=True,
        )
    ]
    table["cell"] = [
        f"{_interval(m, lo, hi, f)}<br><small>in range: {share:.0%}</small>"
        for m, lo, hi, share, f in zip(
            table["median"], table["low"], table["high"], table["in_range"], fmt, strict=True
        )
    ]
    return _by_scenario(table, ["figure"], res)


def effects_display(res: Results) -> pd.DataFrame:
    table = effects_table(res)
    if table.empty:
        return table
    fmt = [number_format(o) for o in table["outcome"]]
    return pd.DataFrame(
        {
            "scenario": table["scenario"],
            "outcome": table["outcome"],
            "statistic": table["statistic"],
            "baseline": [f"{v:{f}}" for v, f in zip(table["baseline"], fmt, strict=True)],
            "scenario value": [f"{v:{f}}" for v, f in zip(table["value"], fmt, strict=True)],
            f"effect [{LEVEL:.0%} interval]": [
                _interval(e, lo, hi, f)
                for e, lo, hi, f in zip(
                    table["effect"], table["low"], table["high"], fmt, strict=True
                )
            ],
        }
    )


def regroup_display(res: Results) -> pd.DataFrame:
    """P(regrouped by year) for a few years (every other of the last ten), per scenario."""
    table = regroup_table(res)
    if table.empty:
        return table
    years = sorted(table["year"].unique())[::-1][:10:2][::-1]
    table = table[table["year"].isin(years)].copy()
    table["cell"] = [
        _interval(p, lo, hi, ".2f") for p, lo, hi in table[["p", "low", "high"]].to_numpy()
    ]
    wide = table.pivot(index="scenario", columns="year", values="cell").reindex(res.scenarios)
    wide.columns = [f"by {y}" for y in wide.columns]
    return wide.reset_index()


def _sensitivity(res: Results) -> str:
    folder = res.path / "sensitivity"
    parts = []
    for csv in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        parts.append(f"<h3>{html.escape(csv.stem)}</h3>")
        parts.append(_table(pd.read_csv(csv)))
        png = csv.with_suffix(".png")
        if png.is_file():
            src = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
            parts.append(_figure(src, f"Ranked sensitivity indices ({csv.stem})."))
    return "\n".join(parts)


def _about(res: Results) -> tuple[str, str]:
    """The report's title and its opening note."""
    m = res.manifest
    settings = m["experiment"]["settings"]
    runs = f"{len(res.outcomes) + len(res.failures)} runs ({len(res.failures)} failed)"
    if res.kind == "run":
        title = f"regroup run: {res.name}"
        what = f"{runs} of the scenario, seed {m['seed']}."
    else:
        title = f"regroup experiment: {res.name}"
        what = (
            f"{runs} of {len(res.scenarios)} scenario(s); design {settings['design']['kind']}, "
            f"{settings['replicates']} replicate(s) per design point, experiment seed "
            f"{m['seed']}. Baseline: {res.baseline}."
        )
    note = (
        f"{what} Git commit {m.get('git_commit')}; report written "
        f"{time.strftime('%Y-%m-%d %H:%M')}. Intervals are 90%: ranges of runs, bootstrap "
        "intervals of effects, Jeffreys intervals of probabilities. Prevention research on "
        "aggregate public figures."
    )
    return title, note


def place_sections(res: Results) -> list[tuple[str, pd.DataFrame, bool]]:
    """The report's tables by place and by region of origin: (heading, table, escaped)."""
    return [
        (
            "Regrouping potential per place (the largest funded connected pool there, mid-year): "
            "median and [5%, 95%] of runs",
            medians_table(res, place_table(res), ("place", "year")),
            True,
        ),
        (
            "Effect of each scenario on the regrouping potential per place, paired by parameter "
            "draw and seed (median [90% of draws]; share of draws in which it lowers it)",
            place_effects_display(res),
            True,
        ),
        (
            "Members per place (mid-year): median and [5%, 95%] of runs",
            medians_table(res, place_table(res, "members"), ("place", "year")),
            True,
        ),
        (
            "Against the public figures counted by place (UN monitors): median and [5%, 95%] "
            "of runs in the figure's month",
            targets_display(res),
            True,
        ),
        (
            "Killed, returned and imprisoned by states, by region of origin: median and "
            "[5%, 95%] of runs",
            medians_table(res, origin_table(res), ("what", "origin")),
            True,
        ),
        (
            "People by place at the end (alive; in hiding; held by states): median and "
            "[5%, 95%] of runs",
            medians_table(res, end_place_table(res), ("who", "place")),
            True,
        ),
    ]


def render(res: Results) -> str:
    """The report's HTML text."""
    m = res.manifest
    exp = m["experiment"]
    title, note = _about(res)
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(exp['settings'].get('description') or '')}</p>",
        f"<p class='note'>{html.escape(note)}</p>",
    ]
    tables = [
        ("Effects against the baseline", effects_display(res), False),
        ("P(regrouped by the end of the year) [90% interval]", regroup_display(res), False),
        ("Outcomes: median and [5%, 95%] of runs", medians_table(res), True),
        *place_sections(res),
    ]
    headings = {
        "p_regrouped_by_2030": "P(regrouped by 2030) over parameter draws [90% interval]",
        "paired_effects": "Paired effects on the pool at the end, over parameter draws "
        "(median, 90% of draws; lowers: share of draws in which the scenario lowers it)",
        "variance_split": "Where each outcome's spread comes from: parameters or chance",
    }
    for stem, df in uncertainty.tables(res.outcomes, res.baseline).items():
        tables.insert(0, (headings[stem], df, False))
    for heading, df, escaped in tables:
        if not df.empty:
            sections += [f"<h2>{html.escape(heading)}</h2>", _table(df, escaped)]
    sections.append("<h2>Figures</h2>")
    for _, caption, fig in each_figure(res):
        sections.append(_figure(_img(fig), caption))
    sens = _sensitivity(res)
    if sens:
        sections += ["<h2>Sensitivity analysis</h2>", sens]
    if len(res.failures):
        cols = ["run_id", "scenario", "replicate", "seed", "error"]
        sections += ["<h2>Failed runs</h2>", _table(res.failures[cols])]
    experiment_text = (res.path / "experiment.yaml").read_text(encoding="utf-8")
    sections += [
        "<h2>Experiment file</h2>"
        + (
            "<p class='note'>(regroup sweep of this file repeats the run)</p>"
            if res.kind == "run"
            else ""
        ),
        f"<p class='note'>{html.escape(exp['file'])}</p>",
        f"<pre>{html.escape(experiment_text)}</pre>",
        "<h2>Manifest</h2>",
        "<details><summary>manifest.json (scenarios, seeds, versions, commit)</summary>"
        f"<pre>{html.escape(json.dumps(m, indent=2))}</pre></details>",
    ]
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='generator' content='regroup'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def write_report(res: Results, out: Path | None = None) -> Path:
    """Write the report (atomically) to ``out`` [``<results>/report.html``]; the path is
    checked before any work (OutputError naming it)."""
    out = Path(out or res.path / "report.html")
    check_output(out, "file")
    write_text(render(res), out)
    return out
