"""Outputs by place and by region of origin: the model's counts, the outcome row's splits,
the long monthly tables, and a run directory with its tables and figures (issue 10, item 3)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, run
from regroup.cli import app
from regroup.config.fields import month_index
from regroup.core.states import HELD_BY_STATES, HIDING_STATES, Place, Region, State
from regroup.core.world import PERSONS, Output
from regroup.results.outcomes import (
    CATEGORY_LABELS,
    MONTHLY,
    SPLIT,
    indicators_by_origin,
    indicators_by_place,
    outcome_row,
    split_columns,
    split_row,
    stem,
    timeseries,
    timeseries_by_origin,
    timeseries_by_place,
)
from typer.testing import CliRunner

END = "2026-12"  # past the first snapshot years (2018, 2020, 2025), before the last (2030)
# outputs by category whose sum over the categories is another output (when both exist)
TOTALS = {
    "pool_by_region": "pool",
    "pool_by_place": "pool",
    "connected_by_place": "connected_pool",
    "funds_by_place": "pool_funds",
}


@pytest.fixture(scope="module")
def model():
    return run({"time.end": END}, seed=4)


def alive(counts: np.ndarray) -> np.ndarray:
    """``counts`` of one month (states first) without the pending and the dead."""
    return np.delete(counts, [State.PENDING, State.DEAD], axis=0)


def test_counts_by_place_and_origin_add_up_to_the_counts_by_state(model):
    by_state = model.counts.sum(axis=(2, 3))  # month x state
    np.testing.assert_allclose(model.counts_by_place.sum(axis=2), by_state)
    np.testing.assert_allclose(model.counts_by_origin.sum(axis=2), by_state)
    # foreign in the old table = every region but local in the new one
    np.testing.assert_allclose(
        model.counts.sum(axis=2)[..., 1], model.counts_by_origin[..., 1:].sum(axis=2)
    )
    # the last month agrees with the members' arrays
    n = model.pop.n
    place, state = model.pop.place[:n], model.pop.state[:n]
    for p in (Place.IRAQ, Place.TURKEY, Place.EUROPE):
        here = np.count_nonzero((place == p) & (state == State.RETURNED)) * model.scale
        assert model.counts_by_place[-1, State.RETURNED, p] == here
    assert alive(model.counts_by_place[-1]).sum() > 0


def test_the_splits_of_the_outcome_row_add_up_to_their_totals(model):
    row, split = outcome_row(model), split_row(model)
    assert list(split) == split_columns(model.world.out.declared) == list(SPLIT)
    assert not set(split) & set(row), "a split column repeats an outcome's name"
    assert split["pool_origin_north_africa_end"] == model.series.pool_by_region[-1, 1]

    def total(what: str, labels) -> float:
        return sum(split[f"{what}_{c}"] for c in labels)

    regions, foreign = [r.label for r in Region], [r.label for r in Region][1:]
    places = [p.label for p in Place]
    assert total("killed", regions) == pytest.approx(row["killed_total"])
    assert total("killed", foreign) == pytest.approx(row["killed_foreign"])
    assert total("returned", foreign) == pytest.approx(row["returned"])
    n = model.pop.n
    imprisoned = np.count_nonzero(model.pop.ever_imprisoned[:n]) * model.scale
    assert total("imprisoned", regions) == pytest.approx(imprisoned)
    assert 0 < split["imprisoned_local"] < imprisoned
    assert total("hiding", [f"{p}_end" for p in places]) == pytest.approx(row["hiding_end"])
    assert total("detained", [f"{p}_end" for p in places]) == pytest.approx(row["detained_end"])
    end = model.counts[-1]
    assert total("in", [f"{p}_end" for p in places]) == pytest.approx(alive(end).sum())
    assert split["hiding_iraq_end"] == pytest.approx(
        model.counts_by_place[-1, list(HIDING_STATES), Place.IRAQ].sum()
    )
    assert split["detained_europe_end"] == pytest.approx(
        model.counts_by_place[-1, list(HELD_BY_STATES), Place.EUROPE].sum()
    )


def test_every_output_by_category_becomes_columns(model):
    """Whatever the mechanisms declare by place or region: its last month (a level) or
    total (a flow) per category, the snapshots in June of their years (NaN after the end),
    the sum over categories equal to the total where there is one."""
    split, series, declared = split_row(model), vars(model.series), model.world.out.declared
    by = {k: o for k, o in declared.items() if o.by is not None}
    assert {"pool_by_region", "largest_by_region", "funds_by_region"} <= set(by)
    for name, o in by.items():
        values = series[name]
        origin = "origin_" if o.by == "region" else ""
        for code, label in enumerate(CATEGORY_LABELS[o.by]):
            column = f"{stem(name)}_{origin}{label}" + ("" if o.flow else "_end")
            expected = values[:, code].sum() if o.flow else values[-1, code]
            assert split[column] == pytest.approx(expected), column
        if name in TOTALS and TOTALS[name] in series:
            total = series[TOTALS[name]]  # funds are float32 sums: equal to rounding
            np.testing.assert_allclose(values.sum(axis=1), total, rtol=1e-6, err_msg=name)
    if "potential_by_place" in by:
        t = month_index("2020-06", model.p.time.start)
        potential = series["potential_by_place"]
        assert split["potential_syria_2020"] == potential[t, Place.SYRIA]
        assert split["potential_iraq_2025"] == potential[t + 60, Place.IRAQ]
        assert math.isnan(split["potential_iraq_2030"])  # after the run's end
    if "members_by_place" in by:
        t = month_index("2018-06", model.p.time.start)
        members = series["members_by_place"][t]
        assert split["members_iraq_syria_2018"] == pytest.approx(members[:2].sum())


def test_an_output_whose_columns_are_taken_is_refused():
    killed = Output(PERSONS, "killed, by place", flow=True, by="place")
    with pytest.raises(ValueError, match="'killed_by_place'.*killed_north_africa"):
        split_columns({"killed_by_place": killed})


def test_an_output_declared_later_gets_its_columns_and_rows(model, monkeypatch):
    """A flow by place that no mechanism declares yet: the row gets its totals per place,
    and indicators_by_place a column with its monthly values."""
    out = model.world.out
    extra = Output(PERSONS, "test travellers", flow=True, by="place")
    values = np.zeros((model.months, len(Place)))
    values[30, Place.LIBYA] = 2
    values[40, Place.AFGHANISTAN] = 3
    monkeypatch.setattr(out, "declared", {**out.declared, "travellers_by_place": extra})
    monkeypatch.setitem(out.raw, "travellers_by_place", values)
    split = split_row(model)
    assert split["travellers_libya"] == 2 * model.scale
    assert split["travellers_afghanistan"] == 3 * model.scale
    assert split["travellers_iraq"] == 0
    assert list(split) == split_columns(out.declared)
    table = indicators_by_place(model)
    assert table["travellers"].sum() == 5 * model.scale
    at = table[(table["month"] == model.month_label(30)) & (table["place"] == "libya")]
    assert at["travellers"].tolist() == [2 * model.scale]


def test_long_tables_add_up_over_places_and_regions(model):
    ts = timeseries(model)
    total = ts.groupby(["month", "state"], observed=True)["persons"].sum()
    for table in (timeseries_by_place(model), timeseries_by_origin(model)):
        assert (table["persons"] > 0).all()  # zero cells left out
        sums = table.groupby(["month", "state"], observed=True)["persons"].sum()
        pd.testing.assert_series_equal(sums, total, check_names=False)
    origin = indicators_by_origin(model)
    assert len(origin) == model.months * len(Region)
    pool = origin.groupby("month", observed=True)["pool"].sum().to_numpy()
    np.testing.assert_allclose(pool, model.series.pool)
    place = indicators_by_place(model)
    declared = [k for k, o in model.world.out.declared.items() if o.by == "place"]
    if place is None:
        assert not declared
    else:
        assert list(place.columns[2:]) == [stem(k) for k in declared]
        for k in declared:
            np.testing.assert_allclose(
                place[stem(k)].to_numpy().reshape(model.months, len(Place)), vars(model.series)[k]
            )


def test_the_regroup_place_is_where_the_event_happened():
    m = run({"time.end": END, "regroup.critical_mass": 1}, seed=4)
    row = split_row(m)
    assert m.regroup_month is not None
    if "potential_by_place" in m.world.out.declared:  # the event is read place by place
        assert row["regroup_place"] == m.regroup_place.label
        t = m.regroup_month
        assert m.series.potential_by_place[t, m.regroup_place] >= 1
    never = split_row(run({"time.end": END, "regroup.critical_mass": 1e6}, seed=4))
    assert never["regroup_place"] is pd.NA


# ----------------------------------------------------------------------------- a run directory


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """``regroup run`` of the baseline at test scale: 2 replicates on 2 workers, to 2026."""
    folder = tmp_path_factory.mktemp("run")
    scenario = folder / "small.yaml"
    scenario.write_text(
        f"extends: {SCENARIOS / 'baseline.yaml'}\nname: small\n"
        f"population:\n  scale: 50\ntime:\n  end: '{END}'\n"
        "uncertainty:\n  parameters: fixed\n",
        encoding="utf-8",
    )
    out = folder / "out"
    args = ["run", str(scenario), "--replicates", "2", "--workers", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_a_run_directory_holds_the_tables_by_place_and_origin(run_dir):
    outcomes = pd.read_parquet(run_dir / "outcomes.parquet")
    assert set(SPLIT) <= set(outcomes.columns)
    for place in Place:
        assert f"in_{place.label}_end" in outcomes and f"hiding_{place.label}_end" in outcomes
    for region in Region:
        assert f"killed_{region.label}" in outcomes and f"imprisoned_{region.label}" in outcomes
    assert outcomes["regroup_place"].dtype == "string"
    csv = pd.read_csv(run_dir / "outcomes.csv")
    assert csv["killed_north_africa"].tolist() == outcomes["killed_north_africa"].tolist()
    declared = any((run_dir / "indicators_by_place").glob("part-*"))
    for name in MONTHLY:
        if name == "indicators_by_place" and not declared:
            continue  # nothing is declared by place
        table = pd.read_parquet(run_dir / name)
        assert sorted(table["run_id"].unique()) == [0, 1], name
        assert {"scenario", "month"} <= set(table.columns), name
    by_place = pd.read_parquet(run_dir / "timeseries_by_place")
    by_state = pd.read_parquet(run_dir / "timeseries")
    a = by_place.groupby(["run_id", "state"], observed=True)["persons"].sum()
    b = by_state.groupby(["run_id", "state"], observed=True)["persons"].sum()
    pd.testing.assert_series_equal(a, b, check_names=False)
    figures = run_dir / "figures"
    origin = pd.read_csv(figures / "by_origin.csv")
    assert set(origin["origin"]) == {r.label for r in Region}
    end = pd.read_csv(figures / "end_by_place.csv")
    assert {"iraq", "syria", "turkey"} <= set(end["place"])
    if declared:
        assert (figures / "potential_by_place.png").stat().st_size > 10_000
        potential = pd.read_csv(figures / "potential_by_place.csv")
        assert set(potential["year"]) == {2020, 2025}  # 2030 is after this run's end
        assert not (figures / "potential_effects_by_place.csv").exists()  # one scenario


def test_able_to_regroup_reads_the_potential_against_the_critical_mass():
    """1 when some place's potential in June of the year reaches the critical mass, 0 when
    none does, NaN for a year outside the run."""
    from regroup.results.outcomes import able_to_regroup

    low = run({"regroup.critical_mass": 1.0})
    june = month_index("2030-06", low.p.time.start)
    assert low.series.potential_by_place[june].max() > 0  # some potential is left in 2030
    assert able_to_regroup(low, 2030) == 1.0
    high = run({"regroup.critical_mass": 1e6})
    assert able_to_regroup(high, 2030) == 0.0
    short = run({"time.end": "2024-12"})
    assert math.isnan(able_to_regroup(short, 2025))
