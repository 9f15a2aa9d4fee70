"""Reading results: tables, figures, the HTML report and sensitivity analysis."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from regroup.cli import app
from regroup.config.experiment import load_experiment
from regroup.experiments.designs import design_table
from regroup.experiments.sensitivity import analyse
from regroup.experiments.sweep import run_sweep
from regroup.results.analysis import Results, effect, load_results
from regroup.results.figures import distribution, plt, regroup_curves, write_figures
from regroup.results.report import render
from sweep_support import EXPERIMENTS, write_experiment
from typer.testing import CliRunner

RANGES = {
    "policy.prison_measures": {"low": 0.0, "high": 1.0},
    "regroup.critical_mass": {"low": 50.0, "high": 400.0},
    "allegiance.loyalty_decay": {"low": 0.0, "high": 0.05},
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """The shipped smoke experiment, swept once for this module's tests."""
    out = tmp_path_factory.mktemp("smoke") / "results"
    run_sweep(load_experiment(EXPERIMENTS / "smoke.yaml"), out, workers=2)
    return out


def test_figures_drawn_by_two_processes_are_the_same_files(smoke, tmp_path):
    res = load_results(smoke)
    one = write_figures(res, tmp_path / "one")
    two = write_figures(res, tmp_path / "two", workers=2)
    assert [p.name for p in one] == [p.name for p in two] and len(one) > 10
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    listed = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert listed == sorted(p.name for p in (tmp_path / "one").iterdir())


def test_plot_writes_figures_and_tables_from_the_runs(smoke):
    result = CliRunner().invoke(app, ["plot", str(smoke)])
    assert result.exit_code == 0, result.output
    figures = smoke / "figures"
    for name in (
        "effects.png",
        "p_regrouped_by_year.png",
        "fan_connected_pool.png",
        "distribution_regroup_pool_end.png",
    ):
        assert (figures / name).stat().st_size > 10_000
    runs = pd.read_parquet(smoke / "outcomes.parquet")
    summary = pd.read_csv(figures / "summary.csv")
    pool = summary[summary["outcome"] == "hiding_end"].set_index("scenario")
    for name, group in runs.groupby("scenario"):
        assert pool.loc[name, "median"] == pytest.approx(group["hiding_end"].median())
        assert pool.loc[name, "low"] <= pool.loc[name, "median"] <= pool.loc[name, "high"]
    effects = pd.read_csv(figures / "effects.csv").set_index("outcome")
    assert set(effects["scenario"]) == {"combined"}
    medians = runs.groupby("scenario")["regroup_pool_end"].median()
    row = effects.loc["regroup_pool_end"]
    assert row["effect"] == pytest.approx(medians["combined"] - medians["baseline"])
    assert row["low"] <= row["effect"] <= row["high"]
    p = pd.read_csv(figures / "p_regrouped_by_year.csv")
    assert set(p["scenario"]) == {"baseline", "combined"}
    assert (p["low"] <= p["p"]).all() and (p["p"] <= p["high"]).all()


def test_report_is_one_self_contained_file(smoke):
    out = smoke.parent / "sent.html"
    result = CliRunner().invoke(app, ["report", str(smoke), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,', text)) >= 6
    assert not re.search(r'(src|href)="(https?:|file:|/)', text)
    assert "Effects against the baseline" in text and "combined" in text
    assert "name: smoke" in text  # the experiment file
    assert "&quot;run_seeds&quot;" in text  # the manifest (HTML-escaped)
    assert not list(smoke.parent.glob(".sent.html.tmp-*"))


def test_plot_and_report_reject_a_directory_without_results(tmp_path):
    for command in ("plot", "report"):
        result = CliRunner().invoke(app, [command, str(tmp_path)])
        assert result.exit_code == 2
        assert f"{tmp_path}: not a results directory of regroup run or sweep" in result.output
    assert list(tmp_path.iterdir()) == []


def test_bootstrap_effect_finds_a_shift_and_no_shift():
    rng = np.random.default_rng(5)
    base = rng.normal(1000, 50, 60)
    shifted = effect(base - 200 + rng.normal(0, 5, 60), base, share=False, seed=1)
    assert shifted["low"] <= -200 <= shifted["high"] and shifted["high"] < 0
    same = effect(rng.normal(1000, 50, 60), base, share=False, seed=1)
    assert same["low"] < 0 < same["high"]
    share = effect(np.r_[np.ones(30), np.zeros(10)], np.r_[np.ones(10), np.zeros(30)], True, 1)
    assert share["effect"] == pytest.approx(0.5) and 0 < share["low"] < 0.5 < share["high"]


def synthetic(tmp_path, kind: str, samples: int, f) -> Results:
    """Results of a known function ``f(x)`` over the design of an experiment file."""
    design = {"kind": kind, "samples": samples}
    exp = load_experiment(write_experiment(tmp_path, parameters=RANGES, design=design))
    table = design_table(exp)
    x = table[list(RANGES)].to_numpy()
    runs = table[["point_id", "scenario"]].assign(out=f(x), error=None)
    manifest = {
        "experiment": {"settings": exp.spec.model_dump(mode="json"), "baseline": "baseline"},
        "scenarios": {"baseline": {}},
        "seed": 3,
    }
    return Results(tmp_path, runs, runs.iloc[:0], table, manifest)


def scaled(x):
    """The parameters rescaled to [0, 1]."""
    lows = np.array([r["low"] for r in RANGES.values()])
    highs = np.array([r["high"] for r in RANGES.values()])
    return (x - lows) / (highs - lows)


def test_sobol_indices_rank_a_known_function(tmp_path):
    res = synthetic(tmp_path, "sobol", 256, lambda x: 4 * scaled(x)[:, 1] + scaled(x)[:, 0])
    table = analyse(res, "out")["baseline"].set_index("parameter")
    assert list(table.index) == ["regroup.critical_mass", "policy.prison_measures",
                                 "allegiance.loyalty_decay"]  # fmt: skip
    # additive: S1 = ST = 16/17 and 1/17; the third parameter does nothing
    assert table.loc["regroup.critical_mass", "S1"] == pytest.approx(16 / 17, abs=0.1)
    assert table.loc["policy.prison_measures", "ST"] == pytest.approx(1 / 17, abs=0.05)
    assert abs(table.loc["allegiance.loyalty_decay", "ST"]) < 0.01
    assert (table["ST_conf"].iloc[:2] > 0).all()


def test_morris_screening_ranks_a_known_function(tmp_path):
    res = synthetic(tmp_path, "morris", 10, lambda x: scaled(x)[:, 2] ** 2 * 6 + scaled(x)[:, 0])
    table = analyse(res, "out")["baseline"].set_index("parameter")
    assert table.index[0] == "allegiance.loyalty_decay"
    assert table.loc["policy.prison_measures", "mu_star"] == pytest.approx(1.0)
    assert table.loc["policy.prison_measures", "sigma"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc["regroup.critical_mass", "mu_star"] == pytest.approx(0.0)


def test_sensitivity_command_runs_the_sweep_once_and_ranks_parameters(tmp_path):
    path = write_experiment(
        tmp_path,
        parameters=RANGES,
        design={"kind": "morris", "samples": 2, "levels": 4},
        replicates=1,
        batch_size=4,
        timeseries=False,
    )
    out = tmp_path / "results"
    args = ["sensitivity", str(path), "--out", str(out), "-w", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sensitivity" / "morris_regroup_pool_end_baseline.csv")
    assert sorted(table["parameter"]) == sorted(RANGES)
    assert list(table["mu_star"]) == sorted(table["mu_star"], reverse=True)
    assert (out / "sensitivity" / "morris_regroup_pool_end_baseline.png").is_file()
    assert not list((out / "timeseries").glob("part-*"))  # timeseries: false
    # a second call reuses the finished sweep and can analyse another outcome
    again = CliRunner().invoke(app, [*args, "--outcome", "hiding_end"])
    assert again.exit_code == 0, again.output
    assert "(0 run now" in again.output
    assert (out / "sensitivity" / "morris_hiding_end_baseline.csv").is_file()
    assert len(load_results(out).outcomes) == 8


# ----------------------------------------------------------------- figures a reader trusts


def regrouping(tmp_path, years: dict[str, list[float]]) -> Results:
    """Results of a run per scenario whose runs regrouped in ``years`` (NaN: never)."""
    rows = [
        {"scenario": name, "run_id": i, "regroup_year": y, "regrouped": y == y, "error": None}
        for name, ys in years.items()
        for i, y in enumerate(ys)
    ]
    time = {"start": "2013-01", "end": "2032-12"}
    settings = {"replicates": 3, "design": {"kind": "grid"}, "parameters": {}, "outcome": "x"}
    manifest = {
        "kind": "run",
        "experiment": {"name": "t", "file": "t.yaml", "settings": settings, "baseline": "a"},
        "scenarios": {name: {"time": time} for name in years},
        "seed": 1,
        "versions": {},
        "command": "",
    }
    (tmp_path / "experiment.yaml").write_text("name: t\n")
    return Results(tmp_path, pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame(), manifest)


def tick_labels(axis) -> list[str]:
    plt.gcf().canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_years_are_printed_as_years_on_a_tight_axis(tmp_path):
    """All runs regrouped in 2026: the axis spans a year either side (not 1925-2125) and its
    ticks read 2025, 2026, 2027 (not 2,026 or 2025.5); the report's table says 2026."""
    res = regrouping(tmp_path, {"a": [2026.0, 2026.0, 2026.0]})
    fig = distribution(res, "regroup_year")
    box, ecdf = fig.axes
    assert box.get_ylim() == (2025.0, 2027.0) and ecdf.get_xlim() == (2025.0, 2027.0)
    for labels in (tick_labels(box.yaxis), tick_labels(ecdf.xaxis)):
        assert labels and all(re.fullmatch(r"20\d\d", t) for t in labels), labels
    plt.close(fig)
    text = render(res)
    assert "2026" in text and "2,026" not in text


def test_p_regrouped_is_a_step_with_whole_year_ticks(tmp_path):
    res = regrouping(tmp_path, {"a": [2020.0, 2025.0, np.nan], "b": [2030.0, np.nan, np.nan]})
    fig = regroup_curves(res)
    for ax in fig.axes:
        curves = [line for line in ax.get_lines() if isinstance(line, Line2D)]
        assert curves and all(line.get_drawstyle() == "steps-post" for line in curves)
        labels = tick_labels(ax.xaxis)
        assert labels and all(re.fullmatch(r"20\d\d", t) for t in labels), labels
    # the step holds its last value through the last year
    x, y = fig.axes[0].get_lines()[0].get_data()
    assert x[-1] == 2033 and y[-1] == pytest.approx(2 / 3)
    assert y[list(x).index(2024)] == pytest.approx(1 / 3)
    plt.close(fig)


def test_every_panel_of_the_fan_charts_has_its_year_axis(smoke):
    from regroup.results.figures import fan_by_scenario, fan_states

    res = load_results(smoke)
    for fig in (fan_states(res), fan_by_scenario(res, "free")):
        visible = [ax for ax in fig.axes if ax.axison]
        assert len(visible) > 1
        for ax in visible:
            labels = tick_labels(ax.xaxis)
            assert labels and all(re.fullmatch(r"20\d\d", t) for t in labels), labels
        plt.close(fig)


def test_report_tables_put_scenarios_in_columns_and_intervals_under_medians(smoke):
    text = render(load_results(smoke))
    table = text[text.index("Outcomes: median") :]
    table = table[: table.index("</table>")]
    header = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    assert re.findall(r"<th>(.*?)</th>", header) == ["outcome", "baseline", "combined"]
    assert "<br><small>[" in table
    assert "<div class='wide'>" in text  # a table wider than the page scrolls in its box


# ----------------------------------------------------------------- by place and region of origin


def place_results(tmp_path) -> Results:
    """Two scenarios x 3 paired runs (draw 0, replicates 0-2): the potential per place at
    2020 and 2025 as outcome columns, and month by month in ``indicators_by_place`` (Iraq
    ten times Syria; nothing in Turkey)."""
    rows, monthly = [], []
    months = pd.period_range("2019-01", "2020-12", freq="M").astype(str)
    for s, name in enumerate(("base", "policy")):
        for rep in range(3):
            run_id = 3 * s + rep
            level = 100.0 * (rep + 1) - 50.0 * s  # the policy lowers Iraq by 50 in every pair
            rows.append(
                {"scenario": name, "run_id": run_id, "draw": 0, "replicate": rep, "error": None,
                 "potential_iraq_2020": level, "potential_syria_2020": level / 10,
                 "potential_turkey_2020": 0.0, "potential_iraq_2025": 2 * level,
                 "potential_syria_2025": level / 5, "potential_turkey_2025": 0.0}
            )  # fmt: skip
            for place, factor in (("iraq", 1.0), ("syria", 0.1), ("turkey", 0.0)):
                monthly.append(
                    pd.DataFrame(
                        {"run_id": run_id, "scenario": name, "month": months, "place": place,
                         "potential": factor * level * np.linspace(0, 1, len(months))}
                    )
                )  # fmt: skip
    (tmp_path / "indicators_by_place").mkdir()
    pd.concat(monthly).to_parquet(tmp_path / "indicators_by_place" / "part-0.parquet")
    res = regrouping(tmp_path, {"base": [], "policy": []})
    res.outcomes = pd.DataFrame(rows)
    res.manifest["experiment"]["baseline"] = "base"
    return res


def test_potential_per_place_tables_and_paired_effects(tmp_path):
    from regroup.results.analysis import place_effects, place_table

    res = place_results(tmp_path)
    table = place_table(res).set_index(["place", "year", "scenario"])
    assert set(table.index.get_level_values("place")) == {"iraq", "syria"}  # Turkey is all 0
    assert table.loc[("iraq", 2020, "base"), "median"] == 200.0
    assert table.loc[("syria", 2025, "policy"), "median"] == pytest.approx(30.0)
    row = table.loc[("iraq", 2020, "base")]
    assert row["low"] == pytest.approx(110.0) and row["high"] == pytest.approx(290.0)
    effects = place_effects(res).set_index(["place", "year"])
    assert set(effects["scenario"]) == {"policy"}
    # one parameter set: paired by seed, each replicate a draw; -50 in Iraq in every pair
    iraq = effects.loc[("iraq", 2020)]
    assert iraq["median_effect"] == iraq["low"] == iraq["high"] == -50.0
    assert iraq["lowers"] == 1.0 and iraq["draws"] == 3
    assert effects.loc[("iraq", 2025), "median_effect"] == -100.0
    assert effects.loc[("syria", 2020), "median_effect"] == pytest.approx(-5.0)


def test_potential_by_place_is_small_multiples_with_a_shared_scale_or_its_own(tmp_path):
    from regroup.results.figures import by_place

    res = place_results(tmp_path)
    shared, own = by_place(res, sharey=True), by_place(res, sharey=False)
    for fig in (shared, own):
        panels = [ax for ax in fig.axes if ax.axison]
        assert [ax.get_title() for ax in panels] == ["Iraq", "Syria"]  # Turkey is all 0
        for ax in panels:
            labels = tick_labels(ax.xaxis)
            assert labels and all(re.fullmatch(r"20\d\d", t) for t in labels), labels
            # the baseline's median ends at the median run's last value
            x, y = ax.get_lines()[0].get_data()
            assert y[-1] == pytest.approx(200.0 if ax.get_title() == "Iraq" else 20.0)
    tops = [[ax.get_ylim()[1] for ax in fig.axes if ax.axison] for fig in (shared, own)]
    assert tops[0][0] == tops[0][1]
    assert tops[1][1] < tops[1][0] / 5  # Syria on its own scale
    for fig in (shared, own):
        plt.close(fig)


def test_report_and_plot_show_outcomes_by_place_and_origin(smoke):
    res = load_results(smoke)
    text = render(res)
    for heading in (
        "Killed, returned and imprisoned by states, by region of origin",
        "People by place at the end",
    ):
        assert heading in text
    runs = res.outcomes
    if "potential_iraq_2020" in runs:  # regrouping reads the potential place by place
        assert runs["regroup_place"].isna().eq(~runs["regrouped"].astype(bool)).all()
        assert "Regrouping potential per place" in text
        assert "Effect of each scenario on the regrouping potential per place" in text
    figures = smoke / "figures"
    if not figures.is_dir():
        assert CliRunner().invoke(app, ["plot", str(smoke)]).exit_code == 0
    origin = pd.read_csv(figures / "by_origin.csv")
    killed = origin[(origin["what"] == "killed") & (origin["scenario"] == "baseline")]
    base = runs[runs["scenario"] == "baseline"]
    for r in killed.itertuples():
        assert r.median == pytest.approx(base[f"killed_{r.origin}"].median())


def test_public_figures_by_place_are_read_in_their_month(tmp_path):
    from types import SimpleNamespace

    from regroup.results.analysis import place_targets

    res = place_results(tmp_path)
    figure = {"counts": "c", "source": "s", "model_part": False, "part_places": None}
    targets = {
        "both": SimpleNamespace(quantity="potential", places=["iraq", "syria"], date="2020-12",
                                low=150.0, high=250.0, **figure),
        "share": SimpleNamespace(quantity="potential_share", places=["iraq", "syria"],
                                 date="2020-12", low=0.5, high=1.0,
                                 **(figure | {"part_places": ["iraq"]})),
        "elsewhere": SimpleNamespace(quantity="arrived", places=None, date="2020-12",
                                     low=0.0, high=1.0, **figure),
    }  # fmt: skip
    table = place_targets(res, targets).set_index(["target", "scenario"])
    assert set(table.index.get_level_values("target")) == {"both", "share"}
    # December 2020: the last month, Iraq + Syria = 1.1 x the run's level (100, 200, 300)
    both = table.loc[("both", "base")]
    assert both["median"] == pytest.approx(220.0) and both["in_range"] == pytest.approx(1 / 3)
    assert not both["share"]
    share = table.loc[("share", "policy")]
    assert share["median"] == pytest.approx(1 / 1.1) and share["in_range"] == 1.0
