"""Policy levers: each a coverage with a start, with a value for the region (the conflict
places) and one for home (home countries and Turkey). A lever acts only from its start and
only where it applies; a bare number is the full form with both values; bad values are
refused with the field named. Whole runs go to 2022 at test scale, pooled over two seeds;
the margins are far from what chance gives at these sizes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS, SHORT_END
from regroup.config.errors import ConfigError
from regroup.config.fields import month_index
from regroup.config.scenario import load_scenario, with_overrides
from regroup.config.schema import POLICY_LEVERS, Scenario
from regroup.core import ties as tie_kinds
from regroup.core.model import RegroupModel
from regroup.core.states import CONFLICT_PLACES, Custody, Disposition, Place, Region, Role, State
from regroup.core.world import Levers
from regroup.mechanisms import hiding, justice, prison, recruitment, reintegration

SEEDS = (1, 2)
SHORT = {"time.end": SHORT_END}
SOUGHT = [State.HIDING_LOCAL, State.HIDING_ABROAD, State.CRIMINAL, State.REMOBILISED]
EUROPE = {"region": Region.EUROPE_TURKEY, "place": Place.EUROPE, "home": Place.EUROPE}
IRAQ = {"region": Region.LOCAL, "place": Place.IRAQ, "home": Place.IRAQ}


def lever(name: str, value=1.0) -> dict:
    return {**SHORT, f"policy.{name}": value}


def pooled(cached_run, overrides: dict, measure) -> float:
    return float(sum(measure(cached_run(overrides, seed=s)) for s in SEEDS))


def at_month(m: RegroupModel, date: str) -> None:
    """Put a fresh model in month ``date`` (mechanisms read ``m.t``)."""
    m.t = month_index(date, m.p.time.start)


def add(m: RegroupModel, count: int, state: State, where: dict, **values) -> np.ndarray:
    """Members in ``state`` since last month at ``where`` (region, place, home), aged 25."""
    values.setdefault("role", Role.NOVICE)
    values.setdefault("birth", m.t - 25 * 12)
    return m.add_members(count, state=state, entered=m.t - 1, joined=m.t - 1, **where, **values)


# ----------------------------------------------------------------------------- the forms


def test_a_bare_number_is_both_values_from_policy_start(cached_run):
    bare = with_overrides(Scenario(), {"policy.reintegration": 0.4})
    full = with_overrides(Scenario(), {"policy.reintegration": {"region": 0.4, "home": 0.4}})
    assert bare == full
    assert bare.policy.reintegration.start is None
    assert bare.policy.start_of("reintegration") == bare.policy.start
    a = cached_run(lever("reintegration", 0.4))
    b = cached_run(lever("reintegration", {"region": 0.4, "home": 0.4, "start": "2017-10"}))
    assert np.array_equal(a.counts, b.counts)


def test_a_mapping_sets_what_it_names_and_leaves_the_rest_off(tmp_path):
    path = tmp_path / "home_only.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'baseline.yaml'}\npolicy:\n  prison_measures: {{home: 0.6}}\n",
        encoding="utf-8",
    )
    lever = load_scenario(path).policy.prison_measures
    assert (lever.region, lever.home, lever.start) == (0.0, 0.6, None)
    # a sweep can set one value of a lever and keep the others
    sc = with_overrides(load_scenario(SCENARIOS / "prison_measures.yaml"), {})
    one = with_overrides(sc, {"policy.prison_measures.home": 0.9}).policy.prison_measures
    assert (one.region, one.home, one.start) == (0.2, 0.9, "2018-01")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("policy.prison_measures", 1.5, "policy.prison_measures: Input should be less than or "),
        ("policy.prison_measures", -0.1, "policy.prison_measures: Input should be greater than"),
        ("policy.prison_measures", True, "policy.prison_measures: Input should be a coverage"),
        ("policy.prison_measures", math.nan, "policy.prison_measures: Input should be a finite"),
        ("policy.prison_measures.region", 2.0, "policy.prison_measures.region: Input should be"),
        ("policy.reintegration", {"regoin": 0.3}, "policy.reintegration.regoin: unknown setting"),
        (
            "policy.reintegration",
            {"home": 0.3, "start": "2018-13"},
            "policy.reintegration.start: '2018-13' is not a month written YYYY-MM",
        ),
        (
            "policy.defector_voice",
            {"home": 0.5, "start": "2040-01"},
            "policy.defector_voice.start: 2040-01 is after time.end (2032-12)",
        ),
        (
            "policy.defector_voice",
            {"home": 0.5, "start": "2012-06"},
            "policy.defector_voice.start: 2012-06 is before time.start (2013-01)",
        ),
    ],
    ids=[
        "above-1",
        "below-0",
        "bool",
        "nan",
        "region-above-1",
        "misspelt",
        "bad-month",
        "start-after-end",
        "start-before-start",
    ],
)
def test_bad_lever_values_are_refused_naming_the_field(path, value, message):
    with pytest.raises(ConfigError) as err:
        with_overrides(Scenario(), {path: value})
    assert message in str(err.value)


def test_a_bad_lever_in_a_file_names_the_file_and_the_field(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("policy:\n  intelligence_sharing: {region: 0.3, home: 1.2}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: policy\.intelligence_sharing\.home: "):
        load_scenario(path)


def test_a_start_outside_the_window_is_fine_for_a_lever_that_is_off():
    sc = with_overrides(Scenario(), {"policy.grievances": {"region": 0, "start": "2040-01"}})
    assert not sc.policy.grievances.on


# ----------------------------------------------------------------------------- coverage


def test_coverage_is_the_region_value_in_conflict_places_and_home_elsewhere(fresh_model):
    m = fresh_model({"policy.reintegration": {"region": 0.2, "home": 0.7, "start": "2019-01"}})
    w = m.world
    at_month(m, "2018-12")
    assert not w.coverage("reintegration").any() and not w.lever_on("reintegration")
    at_month(m, "2019-01")
    expected = [0.2 if place in CONFLICT_PLACES else 0.7 for place in Place]
    assert w.coverage("reintegration").tolist() == expected and w.lever_on("reintegration")
    assert w.levers.reintegration.tolist() == expected
    assert Levers.names() == POLICY_LEVERS  # the world knows every lever of the schema
    for other in POLICY_LEVERS:
        if other != "reintegration":
            assert not w.coverage(other).any() and not w.lever_on(other)
    idx = np.concatenate([add(m, 2, State.RETURNED, EUROPE), add(m, 3, State.RELEASED, IRAQ)])
    assert w.coverage_of("reintegration", idx).tolist() == [0.7, 0.7, 0.2, 0.2, 0.2]


# ----------------------------------------------------------------------------- from its start


@pytest.mark.parametrize("name", POLICY_LEVERS)
def test_a_lever_changes_nothing_before_policy_start(cached_run, name):
    base, changed = cached_run(SHORT), cached_run(lever(name))
    start = base.policy_from
    assert start == changed.policy_from > 0
    assert np.array_equal(base.counts[:start], changed.counts[:start])
    assert np.array_equal(base.series.appeal[:start], changed.series.appeal[:start])
    assert np.array_equal(base.schedule.border[:start], changed.schedule.border[:start])


@pytest.mark.parametrize("name", POLICY_LEVERS)
def test_a_lever_with_its_own_start_changes_nothing_before_it(cached_run, name):
    own = lever(name, {"region": 1.0, "home": 1.0, "start": "2019-06"})
    base, changed = cached_run(SHORT), cached_run(own)
    start = month_index("2019-06", base.p.time.start)
    assert np.array_equal(base.counts[:start], changed.counts[:start])
    assert np.array_equal(base.series.appeal[:start], changed.series.appeal[:start])
    assert np.array_equal(base.schedule.border[:start], changed.schedule.border[:start])
    # and from it the lever acts, unless it is the border's, which nobody crosses by then
    if name != "border_crackdown":
        same = np.array_equal(base.counts, changed.counts) and np.array_equal(
            base.series.public_defections, changed.series.public_defections
        )
        assert not same


# ----------------------------------------------------------------------------- where it applies


def test_prison_measures_at_home_leave_the_prisons_of_iraq_as_they_are(fresh_model):
    """Measures at home only: prisoners in Iraq are pulled toward their cell's mix exactly as
    without measures; prisoners at home are isolated (only disengagement moves them)."""
    measures = {"policy.prison_measures": {"home": 1.0}, "prison.execution": 0.0}
    ideology = {}
    for name, overrides in (("none", {"prison.execution": 0.0}), ("home", measures)):
        m = fresh_model(overrides, seed=7)
        at_month(m, "2019-01")
        later = {"release": m.t + 100}
        iraq = add(m, 10, State.DETAINED, IRAQ, custody=Custody.PRISON, **later)
        home = add(m, 10, State.PRISON_HOME, EUROPE, **later)
        for idx, place in ((iraq, Place.IRAQ), (home, Place.EUROPE)):
            m.pop.cell[idx] = (place + 1) * prison.HOME_FACILITY  # one cell a place
            m.pop.ideology[idx] = np.linspace(0.2, 1.0, 10)
        iso = prison.isolation(m.world, np.concatenate([iraq, home]))
        prison.step(m.world)
        ideology[name] = (m.pop.ideology[iraq].copy(), m.pop.ideology[home].copy(), iso)
    base = m.p.prison.isolation
    assert np.allclose(ideology["home"][2], [base] * 10 + [1.0] * 10)
    assert np.array_equal(ideology["home"][0], ideology["none"][0])  # Iraq: unchanged
    assert not np.array_equal(ideology["home"][1], ideology["none"][1])
    disengaged = np.clip(np.linspace(0.2, 1.0, 10) - m.p.prison.disengagement, 0, 1)
    assert np.allclose(ideology["home"][1], disengaged.astype(np.float32))


def test_reintegration_in_the_region_reaches_no_one_at_home(fresh_model):
    m = fresh_model(
        {
            "policy.reintegration": {"region": 1.0},
            "reintegration.base_rate": 0.0,
            "reintegration.programme_effect": 0.0,
            "reintegration.reoffending": 0.0,
        }
    )
    at_month(m, "2019-01")
    returnees = add(m, 20, State.RETURNED, EUROPE, ideology=0.8, loyalty=0.8)
    released = add(m, 20, State.RELEASED, IRAQ, ideology=0.8, loyalty=0.8)
    held = add(m, 20, State.DETAINED, IRAQ, custody=Custody.PRISON, ideology=0.8, loyalty=0.8)
    reintegration.step(m.world)
    pop, drop = m.pop, m.p.reintegration.deradicalisation
    assert np.all(pop.ideology[returnees] == np.float32(0.8))
    assert np.allclose(pop.ideology[released], 0.8 - drop)
    assert np.allclose(pop.loyalty[held], 0.8 - drop)  # prisoners in the region too


def test_defector_voice_at_home_frees_speakers_at_home_only(fresh_model):
    m = fresh_model(
        {
            "policy.defector_voice": {"home": 1.0},
            "recruitment.legal_deterrence": 1.0,
            "recruitment.speak_rate": 1.0,
        }
    )
    at_month(m, "2019-01")
    disillusioned = {"disposition": Disposition.DISILLUSIONED}
    home = add(m, 30, State.RETURNED, EUROPE, **disillusioned)
    iraq = add(m, 30, State.DETAINED, IRAQ, custody=Custody.PRISON, **disillusioned)
    recruitment.public_defections(m.world)
    assert m.pop.spoke[home].all()
    assert not m.pop.spoke[iraq].any()


def test_intelligence_sharing_raises_detection_only_where_it_reaches(fresh_model):
    m = fresh_model({"policy.intelligence_sharing": {"home": 1.0}})
    m0 = fresh_model()
    turkey = {"region": Region.NORTH_AFRICA, "place": Place.TURKEY, "home": Place.NORTH_AFRICA}
    found = {}
    for name, model in (("sharing", m), ("none", m0)):
        at_month(model, "2019-01")
        idx = np.concatenate(
            [
                add(model, 5, State.HIDING_LOCAL, IRAQ, known=True),
                add(model, 5, State.HIDING_ABROAD, turkey, known=True),
            ]
        )
        found[name] = hiding.detection(model.world, idx)
    gain = 1.0 + m.p.policy.intelligence_gain
    assert np.array_equal(found["sharing"][:5], found["none"][:5])  # Iraq: the region value 0
    assert np.allclose(found["sharing"][5:], gain * found["none"][5:])  # Turkey: home value


def test_grievances_weigh_their_values_by_where_the_free_members_are(fresh_model):
    m = fresh_model({"policy.grievances": {"region": 1.0, "home": 0.2}})
    at_month(m, "2019-01")
    w = m.world
    assert recruitment.grievances_addressed(w) == pytest.approx(0.2)  # nobody free: home
    add(m, 30, State.HIDING_LOCAL, IRAQ)
    add(m, 10, State.RETURNED, EUROPE)
    add(m, 50, State.DETAINED, IRAQ, custody=Custody.PRISON)  # not free: not counted
    assert recruitment.grievances_addressed(w) == pytest.approx(0.75 * 1.0 + 0.25 * 0.2)
    at_month(m, "2017-09")  # before policy.start
    assert recruitment.grievances_addressed(w) == 0.0


# ----------------------------------------------------------------------------- intelligence


def test_with_sharing_released_prisoners_are_monitored_like_returnees(fresh_model):
    def released(overrides: dict) -> np.ndarray:
        m = fresh_model({"justice.monitored": 1.0, "prison.execution": 0.0, **overrides})
        at_month(m, "2020-01")
        idx = add(m, 50, State.PRISON_HOME, EUROPE, release=m.t, monitored=True)
        prison.step(m.world)
        assert (m.pop.state[idx] == State.RELEASED).all()
        return m.pop.monitored[idx]

    assert not released({}).any()  # nobody follows them up; a flag from a past return lapses
    assert released({"policy.intelligence_sharing": {"home": 1.0}}).all()
    assert not released({"policy.intelligence_sharing": {"region": 1.0}}).any()  # not at home


def test_intelligence_sharing_can_arrest_a_monitored_released_prisoner(fresh_model):
    """Released at home with sharing there: monitored, and the extremist caught acting."""
    outcome = {}
    for name, sharing in (("sharing", {"home": 1.0}), ("none", 0.0)):
        m = fresh_model(
            {
                "policy.intelligence_sharing": sharing,
                "justice.monitored": 1.0,
                "hiding.monitored_detection": 1.0,
                "hiding.detection": 0.0,
                "prison.execution": 0.0,
            }
        )
        at_month(m, "2020-01")
        idx = add(m, 40, State.PRISON_HOME, EUROPE, release=m.t, ideology=1.0, loyalty=1.0)
        prison.step(m.world)
        at_month(m, "2020-02")
        hiding.step(m.world)
        outcome[name] = m.pop.state[idx]
    assert (outcome["sharing"] == State.PRISON_HOME).all()
    assert (outcome["none"] == State.RELEASED).all()


def test_intelligence_sharing_can_arrest_a_monitored_returnee(fresh_model):
    """Returnees who come home free are monitored (``justice.monitored``); sharing where they
    are multiplies the chance that an extremist among them is caught acting."""
    caught = {}
    n = 3000
    for name, sharing in (("sharing", {"home": 1.0}), ("region only", {"region": 1.0})):
        m = fresh_model(
            {
                "policy.intelligence_sharing": sharing,
                "justice.prosecution": 0.0,
                "justice.monitored": 1.0,
                "hiding.monitored_detection": 0.1,
                "hiding.detection": 0.0,
            }
        )
        at_month(m, "2020-01")
        abroad = {**EUROPE, "place": Place.TURKEY, "documents": True}
        idx = add(m, n, State.HIDING_ABROAD, abroad, ideology=1.0, loyalty=1.0)
        justice.arrive_home(m.world, idx)
        assert (m.pop.state[idx] == State.RETURNED).all() and m.pop.monitored[idx].all()
        at_month(m, "2020-02")
        hiding.step(m.world)
        caught[name] = np.count_nonzero(m.pop.state[idx] == State.PRISON_HOME)
    gain = 1.0 + m.p.policy.intelligence_gain
    for name, p in (("region only", 0.1), ("sharing", min(1.0, 0.1 * gain))):
        assert abs(caught[name] - p * n) < 5 * np.sqrt(n * p * (1 - p)) + 1, name


def test_with_sharing_an_arrest_cuts_more_ties_and_seizes_more_money(fresh_model):
    def arrest(sharing: float) -> tuple[int, float]:
        m = fresh_model(
            {
                "policy.intelligence_sharing": {"region": sharing},
                "policy.sharing_tie_cut": 1.0,
                "policy.sharing_seizure": 1.0,
                "hiding.tie_cut_share": 0.0,
                "prison.seizure_share": 0.5,
            }
        )
        at_month(m, "2021-01")
        idx = add(m, 6, State.HIDING_LOCAL, IRAQ, funds=1000.0)
        m.ties.chain(idx, np.zeros(6), tie_kinds.UNIT)
        hiding.catch(m.world, idx[2:3])
        return len(m.ties.neighbours(int(idx[2]))), float(m.pop.funds[idx[2]])

    assert arrest(0.0) == (2, 500.0)  # today's: ties kept, half the money seized
    assert arrest(1.0) == (0, 0.0)


# ----------------------------------------------------------------------------- whole runs


def cell_ties(m) -> float:
    """Ties formed between cellmates (isolation cuts their forming; arrests may cut some)."""
    return float(np.count_nonzero(m.ties.kind[: m.ties.m] == tie_kinds.CELL))


def reintegrated(m) -> float:
    return float(m.counts[-1, State.REINTEGRATED].sum())


def sought(m) -> float:
    return float(m.counts[-1, SOUGHT].sum())


def defections_after_start(m) -> float:
    return float(m.series.public_defections[m.policy_from :].sum())


@pytest.mark.parametrize(
    ("name", "measure", "factor"),
    [
        ("prison_measures", cell_ties, 0.8),  # lower
        ("intelligence_sharing", sought, 0.8),  # fewer left to find
        ("reintegration", reintegrated, 1.2),  # more
        ("defector_voice", defections_after_start, 1.5),  # more speak publicly
    ],
)
def test_a_lever_moves_its_target(cached_run, name, measure, factor):
    base = pooled(cached_run, SHORT, measure)
    with_lever = pooled(cached_run, lever(name), measure)
    assert base > 0
    if factor < 1:
        assert with_lever < factor * base
    else:
        assert with_lever > factor * base


def test_addressing_grievances_lowers_the_appeal(cached_run):
    for seed in SEEDS:
        base = cached_run(SHORT, seed=seed).series.appeal
        changed = cached_run(lever("grievances"), seed=seed)
        start = changed.policy_from
        # the same members up to the start: the appeal differs by the grievance term alone
        assert changed.series.appeal[start] < base[start]
        assert changed.series.appeal[start:].mean() < base[start:].mean()


def test_the_border_crackdown_closes_the_border(cached_run):
    base, changed = cached_run(SHORT), cached_run(lever("border_crackdown"))
    start = base.policy_from
    assert base.schedule.border[start] < 1.0
    assert np.all(changed.schedule.border[start:] == 1.0)
    assert np.all(changed.schedule.crackdown[start:] == 1.0)
    assert not changed.series.arrived_foreign[start:].any()


def test_the_border_crackdown_acts_at_the_larger_of_its_two_values():
    """One border, two sides: a crackdown on either side closes the crossing."""
    split = with_overrides(Scenario(), {"policy.border_crackdown": {"region": 0.2, "home": 0.6}})
    assert split.policy.border_crackdown.level == 0.6
    one = RegroupModel(with_overrides(Scenario(), {"policy.border_crackdown": 0.6}), seed=1)
    two = RegroupModel(split, seed=1)
    assert np.array_equal(one.schedule.border, two.schedule.border)
    assert np.array_equal(one.schedule.crackdown, two.schedule.crackdown)


def test_the_border_crackdown_from_2014_cuts_foreign_arrivals(cached_run):
    """The counterfactual of scenarios/border_crackdown.yaml acts from its own start, 2014,
    long before policy.start, when the border was still open."""
    crackdown = load_scenario(SCENARIOS / "border_crackdown.yaml").policy.border_crackdown
    assert crackdown.start == "2014-01"
    overrides = lever("border_crackdown", crackdown.model_dump())
    start = month_index("2014-01", "2013-01")
    arrived = {}
    for name, over in (("base", SHORT), ("crackdown", overrides)):
        runs = [cached_run(over, seed=s) for s in SEEDS]
        arrived[name] = sum(float(m.series.arrived_foreign.sum()) for m in runs)
        border = runs[0].schedule.border
    before = cached_run(SHORT).schedule.border
    assert border[start - 1] == before[start - 1]
    assert border[start] == pytest.approx(before[start] + 0.8 * (1 - before[start]))
    assert border[start] > 0.8
    assert arrived["crackdown"] < 0.6 * arrived["base"]
