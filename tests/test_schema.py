"""The parameter schema: defaults, validation rules, tables in code order, schedules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from regroup.config.fields import Range, Schedule, as_array, month_index
from regroup.config.scenario import ConfigError, with_overrides
from regroup.config.schema import Scenario
from regroup.core.schedules import month_label, monthly, year_of
from regroup.core.states import Region, Role

FAST = settings(max_examples=40, deadline=None)


def tables(model: BaseModel, prefix: str = ""):
    """(dotted path, table) for every per-role or per-region table in the scenario."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if not isinstance(value, BaseModel) or isinstance(value, (Range, Schedule)):
            continue
        keys = list(type(value).model_fields)
        if keys in ([r.label for r in Role], [r.label for r in Region if r != Region.LOCAL]):
            yield f"{prefix}{name}", value
        else:
            yield from tables(value, f"{prefix}{name}.")


TABLES = list(tables(Scenario()))


def test_the_defaults_are_a_valid_scenario():
    sc = Scenario()
    assert Scenario.model_validate(sc.model_dump()) == sc
    assert len(TABLES) >= 10  # by role or region: commitment, hazards, shares, factors...


@pytest.mark.parametrize(("path", "table"), TABLES, ids=[p for p, _ in TABLES])
def test_tables_follow_the_codes_of_the_arrays(path, table):
    """``as_array(table)[code]`` must be the value for that code, or roles get mixed up."""
    keys = list(type(table).model_fields)
    codes = Role if keys[0] == Role(0).label else [r for r in Region if r != Region.LOCAL]
    values = as_array(table)
    for i, code in enumerate(codes):
        assert values[i] == getattr(table, code.label)
        if codes is Role:
            assert i == code.value


@pytest.mark.parametrize(
    "path",
    [
        "population.foreign_region_shares",
        "population.foreign_role_shares",
        "population.local_role_shares",
    ],
)
def test_shares_sum_to_one(path):
    sc = Scenario()
    table = sc
    for part in path.split("."):
        table = getattr(table, part)
    assert sum(table.model_dump().values()) == pytest.approx(1.0)
    first = next(iter(table.model_dump()))
    with pytest.raises(ConfigError, match=rf"{path}: shares must sum to 1"):
        with_overrides(sc, {f"{path}.{first}": getattr(table, first) + 0.1})


def test_foreigners_are_never_local_recruits():
    over = {
        "population.foreign_role_shares.local_recruit": 0.1,
        "population.foreign_role_shares.novice": Scenario().population.foreign_role_shares.novice
        - 0.1,
    }
    with pytest.raises(ConfigError, match=r"foreign_role_shares\.local_recruit: must be 0"):
        with_overrides(Scenario(), over)


@FAST
@given(low=st.floats(-1e6, 1e6), high=st.floats(-1e6, 1e6))
def test_a_range_is_valid_iff_low_is_at_most_high(low, high):
    if low <= high:
        assert Range(low=low, high=high).high == high
    else:
        with pytest.raises(ValidationError, match="low must be <= high"):
            Range(low=low, high=high)


@pytest.mark.parametrize(
    ("low", "high", "ok"), [(0, 50, True), (2, 2, True), (-1, 5, False), (3, 51, False)]
)
def test_a_range_parameter_stays_within_its_bounds(low, high, ok):
    over = {"prison.sentence_home_years": {"low": low, "high": high}}
    if ok:
        assert with_overrides(Scenario(), over).prison.sentence_home_years.low == low
    else:
        with pytest.raises(ConfigError, match=r"prison\.sentence_home_years: .*within \[0"):
            with_overrides(Scenario(), over)


@pytest.mark.parametrize("month", ["2015-13", "2015-00", "15-01", "2015-1", "2015/01", "May 2015"])
def test_months_are_written_yyyy_mm(month):
    with pytest.raises(ConfigError, match=r"policy\.start: .*not a month written YYYY-MM"):
        with_overrides(Scenario(), {"policy.start": month})


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([["2015-01", 0.5], ["2014-01", 0.2]], "strictly increasing"),
        ([["2015-01", 0.5], ["2015-01", 0.2]], "strictly increasing"),
        ([["2015-01", 1.5]], "less than or equal to 1"),
        ([["2015-01", -0.1]], "greater than or equal to 0"),
        ([], "at least 1"),
    ],
    ids=["backwards", "repeated", "above-1", "below-0", "empty"],
)
def test_schedules_are_checked(points, message):
    with pytest.raises(ConfigError, match=rf"schedules\.combat_intensity.*{message}"):
        with_overrides(Scenario(), {"schedules.combat_intensity": points})


def test_the_end_comes_after_the_start():
    with pytest.raises(ConfigError, match=r"time: end must be after start"):
        with_overrides(Scenario(), {"time.end": "2012-12"})


# ----------------------------------------------------------------------------- months


@FAST
@given(y=st.integers(1990, 2100), mo=st.integers(1, 12))
def test_month_index_and_label_agree(y, mo):
    date = f"{y}-{mo:02d}"
    t = month_index(date, "2013-01")
    assert t == (y - 2013) * 12 + mo - 1
    if t >= 0:
        assert month_label("2013-01", t) == date
        assert year_of("2013-01", t) == y


# ----------------------------------------------------------------------------- schedules

knots = st.lists(st.tuples(st.integers(0, 300), st.floats(0.0, 1.0)), min_size=1, max_size=8).map(
    lambda pts: sorted(dict(pts).items())
)


def as_schedule(pts) -> Schedule:
    return Schedule(points=[(month_label("2013-01", t).item(), v) for t, v in pts])


@FAST
@given(pts=knots, months=st.integers(1, 400))
def test_a_schedule_interpolates_within_its_points(pts, months):
    values = monthly(as_schedule(pts), "2013-01", months)
    ys = [v for _, v in pts]
    assert values.shape == (months,)
    assert np.all(values >= min(ys) - 1e-12) and np.all(values <= max(ys) + 1e-12)
    for t, v in pts:
        if t < months:
            assert values[t] == pytest.approx(v)
    first, last = pts[0], pts[-1]
    assert np.all(values[: first[0] + 1] == pytest.approx(first[1]))  # flat before
    assert np.all(values[last[0] :] == pytest.approx(last[1]))  # flat after


def test_a_schedule_is_linear_between_points():
    s = Schedule(points=[("2014-01", 0.2), ("2015-01", 0.8)])
    values = monthly(s, "2013-01", 36)
    assert values[12] == pytest.approx(0.2) and values[24] == pytest.approx(0.8)
    assert values[18] == pytest.approx(0.5)
    assert np.allclose(np.diff(values[12:25]), 0.05)
    assert np.all(values[:12] == 0.2) and np.all(values[24:] == 0.8)
