"""Scenario files: ``extends`` chains, deep merge, overrides, and the project's scenarios."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from conftest import SCENARIOS
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from regroup.config.errors import ConfigWarning
from regroup.config.fields import Range, Schedule
from regroup.config.scenario import ConfigError, deep_merge, load_scenario, set_path, with_overrides
from regroup.config.schema import Scenario

FAST = settings(max_examples=40, deadline=None)

# every policy scenario file and the levers it pulls
POLICY_FILES = {
    "prison_measures": {"prison_measures"},
    "intelligence_sharing": {"intelligence_sharing"},
    "reintegration": {"reintegration"},
    "defector_voice": {"defector_voice"},
    "grievances": {"grievances"},
    "border_crackdown": {"border_crackdown"},
    "combined": {
        "prison_measures",
        "intelligence_sharing",
        "reintegration",
        "defector_voice",
        "grievances",
    },
    "maximal": {
        "prison_measures",
        "intelligence_sharing",
        "reintegration",
        "defector_voice",
        "grievances",
        "border_crackdown",
    },
}
LEVERS = set().union(*POLICY_FILES.values())


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def without_names(sc: Scenario) -> dict:
    data = sc.model_dump()
    del data["name"], data["description"]
    return data


# ----------------------------------------------------------------------------- the project's


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_file_loads_under_its_own_name(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    assert len(sc.description) > 40


@pytest.mark.parametrize("stem", sorted(POLICY_FILES))
def test_a_policy_scenario_sets_its_levers_and_nothing_else(baseline, stem):
    sc = load_scenario(SCENARIOS / f"{stem}.yaml")
    assert re.search(r"seeds? 00\d", sc.description), "the description cites its seed"
    levers = POLICY_FILES[stem]
    for lever in LEVERS:
        assert getattr(sc.policy, lever).on == (lever in levers), lever
    reset = with_overrides(sc, {f"policy.{lever}": 0.0 for lever in levers})
    assert without_names(reset) == without_names(baseline)


def test_the_baseline_pulls_no_lever(baseline):
    assert not any(getattr(baseline.policy, lever).on for lever in LEVERS)


def test_combined_is_every_recommended_lever_without_the_border_counterfactual():
    singles = set().union(*(v for k, v in POLICY_FILES.items() if k not in ("combined", "maximal")))
    assert POLICY_FILES["combined"] == singles - {"border_crackdown"}
    # at the coverages of the single-lever files
    combined = load_scenario(SCENARIOS / "combined.yaml").policy
    for lever in POLICY_FILES["combined"]:
        alone = load_scenario(SCENARIOS / f"{lever}.yaml").policy
        assert getattr(combined, lever) == getattr(alone, lever), lever


def test_the_reachable_scenarios_stay_below_the_maximal_one():
    maximal = load_scenario(SCENARIOS / "maximal.yaml").policy
    for lever in LEVERS:
        top = getattr(maximal, lever)
        assert (top.region, top.home, top.start) == (1.0, 1.0, None), lever
        alone = getattr(load_scenario(SCENARIOS / f"{lever}.yaml").policy, lever)
        assert alone.on and min(alone.region, alone.home) < 1.0, lever


# ----------------------------------------------------------------------------- extends


def test_extends_merges_a_chain_of_files(tmp_path):
    write(
        tmp_path / "root.yaml",
        "name: root\ndescription: the root\nescape:\n  search_months: 5\n"
        "hiding:\n  detection: 0.02\n  go_home: 0.03\n",
    )
    write(tmp_path / "mid.yaml", "extends: root.yaml\nname: middle\nhiding:\n  detection: 0.05\n")
    leaf = write(
        tmp_path / "deeper" / "leaf.yaml",
        "extends: ../mid.yaml\n"
        "schedules:\n  combat_intensity: [['2013-01', 0.1], ['2020-01', 0.9]]\n",
    )
    sc = load_scenario(leaf)
    assert sc.escape.search_months == 5  # from the root, two files up
    assert sc.hiding.detection == 0.05  # the nearer file wins
    assert sc.hiding.go_home == 0.03  # siblings in a mapping survive the merge
    # a list (a schedule) is replaced whole, not merged point by point
    assert sc.schedules.combat_intensity.points == [("2013-01", 0.1), ("2020-01", 0.9)]
    # name and description are never inherited: the name defaults to the file's stem
    assert (sc.name, sc.description) == ("leaf", "")


def test_a_file_can_set_one_entry_of_a_table_or_one_end_of_a_range(tmp_path):
    leaf = write(
        tmp_path / "one.yaml",
        "combat:\n  death_hazard:\n    zealot: 0.04\nescape:\n  smuggler_fee_usd: {low: 8000}\n",
    )
    sc, default = load_scenario(leaf), Scenario()
    assert sc.combat.death_hazard.zealot == 0.04
    assert sc.combat.death_hazard.veteran == default.combat.death_hazard.veteran
    assert (sc.escape.smuggler_fee_usd.low, sc.escape.smuggler_fee_usd.high) == (
        8000,
        default.escape.smuggler_fee_usd.high,
    )


def test_an_empty_file_is_the_default_scenario_with_a_warning(tmp_path):
    with pytest.warns(ConfigWarning, match="empty.yaml: no settings in the file"):
        sc = load_scenario(write(tmp_path / "empty.yaml", ""))
    assert without_names(sc) == without_names(Scenario())


def lever_of(path: Path, lever: str) -> tuple:
    got = getattr(load_scenario(path).policy, lever)
    return (got.region, got.home, got.start)


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        ("{home: 0.7}", (0.5, 0.7, None)),
        ("{region: 0.1}", (0.1, 0.5, None)),
        ("{start: 2019-01}", (0.5, 0.5, "2019-01")),
        ("{}", (0.5, 0.5, None)),
    ],
)
def test_a_mapping_over_a_parents_bare_number_keeps_what_it_leaves_out(tmp_path, child, expected):
    write(tmp_path / "parent.yaml", "policy:\n  prison_measures: 0.5\n  start: 2017-10\n")
    leaf = write(
        tmp_path / "child.yaml", f"extends: parent.yaml\npolicy:\n  prison_measures: {child}\n"
    )
    assert lever_of(leaf, "prison_measures") == expected


def test_a_bare_number_survives_a_chain_of_partial_mappings(tmp_path):
    write(tmp_path / "root.yaml", "policy:\n  reintegration: 0.4\n")
    write(tmp_path / "mid.yaml", "extends: root.yaml\nescape:\n  search_months: 5\n")
    write(tmp_path / "near.yaml", "extends: mid.yaml\npolicy:\n  reintegration: {home: 0.9}\n")
    leaf = write(
        tmp_path / "leaf.yaml", "extends: near.yaml\npolicy:\n  reintegration: {start: 2019-06}\n"
    )
    assert lever_of(leaf, "reintegration") == (0.4, 0.9, "2019-06")


def test_a_bare_number_over_a_parents_mapping_replaces_it_whole(tmp_path):
    # a bare number is both values from policy.start, as in a design: the parent's own start
    # goes with the mapping it replaces
    write(
        tmp_path / "parent.yaml",
        "policy:\n  border_crackdown: {region: 0.2, home: 0.6, start: 2018-01}\n",
    )
    leaf = write(
        tmp_path / "child.yaml", "extends: parent.yaml\npolicy:\n  border_crackdown: 0.3\n"
    )
    assert lever_of(leaf, "border_crackdown") == (0.3, 0.3, None)


@pytest.mark.parametrize(
    ("parent", "child", "culprit", "message"),
    [
        # the parent's bad number under the child's mapping: the value it leaves to the parent
        ("1.5", "{home: 0.7}", "parent", "policy.prison_measures.region: Input should be less"),
        ("true", "{region: 0.7}", "parent", "policy.prison_measures.home: Input should be a"),
        # the child's bad value in a mapping over the parent's number
        ("0.5", "{home: 1.2}", "child", "policy.prison_measures.home: Input should be less"),
        ("0.5", "{hoem: 0.2}", "child", "policy.prison_measures.hoem: unknown setting"),
        ("0.5", "{start: 2019-13}", "child", "policy.prison_measures.start: '2019-13' is not"),
        # the child's bad bare number over the parent's mapping: named at the lever
        ("{region: 0.2, start: 2018-01}", "1.5", "child", "policy.prison_measures: Input should"),
        # the parent's bad start survives the child's mapping and names the parent
        (
            "{region: 0.2, start: 2018-13}",
            "{home: 0.4}",
            "parent",
            "policy.prison_measures.start: '2018-13'",
        ),
    ],
)
def test_a_bad_lever_across_extends_names_the_file_that_set_it(
    tmp_path, parent, child, culprit, message
):
    write(tmp_path / "parent.yaml", f"policy:\n  prison_measures: {parent}\n")
    leaf = write(
        tmp_path / "child.yaml", f"extends: parent.yaml\npolicy:\n  prison_measures: {child}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_scenario(leaf)
    lines = str(err.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{tmp_path / culprit}.yaml: {message}"), lines


# ----------------------------------------------------------------------------- merge, overrides

keys = st.sampled_from(["a", "b", "c", "d"])
leaves = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=3), st.none())
nested = st.recursive(
    st.dictionaries(keys, leaves, max_size=4),
    lambda children: st.dictionaries(keys, st.one_of(leaves, children), max_size=4),
    max_leaves=12,
)


@FAST
@given(base=nested, over=nested)
def test_deep_merge(base, over):
    base0, over0 = copy.deepcopy(base), copy.deepcopy(over)
    out = deep_merge(base, over)
    assert (base, over) == (base0, over0)  # inputs untouched
    assert set(out) == set(base) | set(over)
    for k, v in out.items():
        if k not in over:
            assert v == base[k]
        elif isinstance(over[k], dict) and isinstance(base.get(k), dict):
            assert v == deep_merge(base[k], over[k])
        else:
            assert v == over[k]
    assert deep_merge(base, {}) == base and deep_merge({}, over) == over
    assert deep_merge(out, over) == out  # applying the same overrides again changes nothing


@FAST
@given(data=nested, path=st.lists(keys, min_size=1, max_size=3), value=leaves)
def test_set_path_sets_one_value(data, path, value):
    before = copy.deepcopy(data)
    out = set_path(data, ".".join(path), value)
    assert data == before
    node = out
    for key in path:
        node = node[key]
    assert node == value


def bounded_floats(model: BaseModel, prefix: str = ""):
    """(dotted path, low, high) for every float parameter with both bounds (not shares)."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, (Range, Schedule)) or "Shares" in type(value).__name__:
            continue
        if isinstance(value, BaseModel):
            yield from bounded_floats(value, f"{path}.")
        elif isinstance(value, float):
            lo = hi = None
            for meta in field.metadata:
                lo, hi = getattr(meta, "ge", lo), getattr(meta, "le", hi)
            if lo is not None and hi is not None:
                yield path, float(lo), float(hi)


BOUNDED = list(bounded_floats(Scenario()))


def get(sc: BaseModel, dotted: str):
    for part in dotted.split("."):
        sc = getattr(sc, part)
    return sc


def test_most_parameters_are_bounded():
    assert len(BOUNDED) > 100


@FAST
@given(param=st.sampled_from(BOUNDED), share=st.floats(0.0, 1.0))
def test_with_overrides_sets_a_value_within_bounds(baseline, param, share):
    path, lo, hi = param
    value = lo + share * (hi - lo)
    sc = with_overrides(baseline, {path: value})
    assert get(sc, path) == pytest.approx(value)
    assert with_overrides(sc, {path: get(baseline, path)}) == baseline  # and back


@FAST
@given(param=st.sampled_from(BOUNDED), excess=st.floats(1e-3, 1e3))
def test_with_overrides_rejects_a_value_out_of_bounds(baseline, param, excess):
    path, _, hi = param
    with pytest.raises(ConfigError) as info:
        with_overrides(baseline, {path: hi + excess}, source="sweep.yaml")
    assert f"sweep.yaml: {path}: Input should be less than or equal to" in str(info.value)


def test_with_overrides_names_an_unknown_path(baseline):
    with pytest.raises(ConfigError, match=r"^overrides: escape\.no_such_thing: unknown setting$"):
        with_overrides(baseline, {"escape.no_such_thing": 1})


@pytest.mark.parametrize(
    ("path", "field"),
    [("escape.search_months.low", "escape.search_months"), ("time.start.year", "time.start")],
)
def test_an_override_path_through_a_value_names_the_value(baseline, path, field):
    with pytest.raises(ConfigError, match=rf"^overrides: {field}: Input should be a valid"):
        with_overrides(baseline, {path: 3})
