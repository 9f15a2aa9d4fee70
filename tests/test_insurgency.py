"""The remnant insurgency (``insurgency``, with the stay-behind and withdrawal of ``collapse``):
cells in Iraq and Syria only after territory is lost, prison breaks of one place from their
start, counter-insurgency, members and fighters by place, and the targets computed from them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHORT_END
from regroup.config.errors import ConfigError
from regroup.config.fields import month_index
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.config.targets import Target, Who, load_targets
from regroup.core.model import RegroupModel
from regroup.core.states import (
    FIGHTING_ROLES,
    FREE_STATES,
    THE_REGION,
    Custody,
    Place,
    Region,
    Role,
    State,
)
from regroup.mechanisms import collapse, insurgency
from regroup.results.targets import QUANTITIES, in_range, target_value

# only the insurgency's own routes into an organised group: no remobilisation by a pool, no
# new recruits, no travel to other theatres
OWN_ROUTES = {
    "time.end": SHORT_END,
    "recruitment.remobilise_rate": 0.0,
    "recruitment.new_recruits_per_month": 0.0,
    "theatres.travel_rate": 0.0,
}


def at_month(m: RegroupModel, date: str) -> int:
    m.t = t = month_index(date, m.p.time.start)
    return t


def first_month_lost(m: RegroupModel) -> int:
    """The first month the territory counts as lost after the group held it."""
    control = m.schedule.control
    peak = int(np.argmax(control))
    return peak + int(np.flatnonzero(control[peak:] < m.world.lost_below)[0])


def add(m: RegroupModel, count: int, state: State, place: Place, **values) -> np.ndarray:
    """Members in ``state`` at ``place`` since last month (veterans, local, loyal unless told)."""
    values.setdefault("role", Role.VETERAN)
    values.setdefault("region", Region.LOCAL)
    values.setdefault("loyalty", 0.9)
    values.setdefault("ideology", 0.9)
    values.setdefault("birth", m.t - 25 * 12)
    return m.add_members(count, state=state, place=place, entered=m.t - 1, joined=m.t - 1, **values)


# ----------------------------------------------------------------------------- cells


def test_cells_form_only_after_territory_is_lost_and_only_in_iraq_and_syria(fresh_model):
    m = fresh_model(OWN_ROUTES)
    pop, loss, cells = m.pop, m.schedule.loss, []
    outside = 0
    while m.running:
        m.step()
        rem = pop.state[: pop.n] == State.REMOBILISED
        place = pop.place[: pop.n]
        cells.append(np.count_nonzero(rem))
        outside += np.count_nonzero(rem & ~np.isin(place, THE_REGION))
    cells = np.array(cells)
    assert cells[loss[: len(cells)] == 0].sum() == 0  # none while the territory is whole
    assert cells.max() > 0 and outside == 0
    tally = m.tally
    assert tally["stayed_behind"] > 0 and tally["joined_cells"] > 0


def test_without_the_insurgency_routes_no_cell_forms(fresh_model):
    m = fresh_model(
        {
            **OWN_ROUTES,
            "collapse.stay_behind": 0.0,
            "insurgency.join_rate": 0.0,
            "insurgency.breaks_iraq_per_year": 0.0,
            "insurgency.breaks_syria_per_year": 0.0,
        }
    )
    m.run()
    assert m.tally["stayed_behind"] == 0 and m.tally["joined_cells"] == 0
    assert m.counts[:, State.REMOBILISED].sum() == 0


def test_join_takes_loyal_fighters_hiding_in_the_region_only(fresh_model):
    m = fresh_model({"insurgency.join_rate": 1.0})
    at_month(m, "2019-06")
    loyal = add(m, 200, State.HIDING_LOCAL, Place.IRAQ)
    disloyal = add(m, 200, State.HIDING_LOCAL, Place.SYRIA, loyalty=0.1)
    women = add(m, 200, State.HIDING_LOCAL, Place.SYRIA, role=Role.WOMAN)
    abroad = add(m, 200, State.HIDING_ABROAD, Place.TURKEY, region=Region.EUROPE_TURKEY)
    insurgency.step(m.world)
    state = m.pop.state
    assert np.all(state[loyal] == State.REMOBILISED)
    assert np.all(m.pop.place[loyal] == Place.IRAQ)
    for other in (disloyal, women):
        assert np.all(state[other] == State.HIDING_LOCAL)
    assert np.all(state[abroad] == State.HIDING_ABROAD)


def test_withdrawal_and_stay_behind_move_loyal_fighters_underground(fresh_model):
    m = fresh_model({"collapse.withdrawal": 20.0, "collapse.stay_behind": 1.0})
    t = at_month(m, "2017-10")  # control falls from 0.35 (2017-07) toward 0.15
    assert collapse.lost_share(m.world) > 0
    loyal = add(m, 400, State.ACTIVE, Place.SYRIA)
    paid = add(m, 400, State.ACTIVE, Place.SYRIA, role=Role.LOCAL_RECRUIT, loyalty=0.2)
    collapse.step(m.world)
    state = m.pop.state
    # every loyal local fighter left the territory (overrun or withdrawn); the living are in
    # cells unless captured
    assert not np.any(state[loyal] == State.ACTIVE)
    alive = loyal[state[loyal] != State.DEAD]
    assert set(np.unique(state[alive])) <= {State.REMOBILISED, State.DETAINED}
    assert np.count_nonzero(state[alive] == State.REMOBILISED) > 100
    # the disloyal are only overrun: most stay in the territory, none joins a cell
    assert np.count_nonzero(state[paid] == State.ACTIVE) > 100
    assert not np.any(state[paid] == State.REMOBILISED)
    assert np.all(m.pop.entered[alive] == t)


# ----------------------------------------------------------------------------- breaks


def _held(m: RegroupModel, count: int, place: Place, custody: Custody, **values) -> np.ndarray:
    idx = add(m, count, State.DETAINED, place, **values)
    m.pop.custody[idx] = custody
    return idx


def test_a_prison_break_frees_only_prisoners_of_its_place(fresh_model):
    m = fresh_model(
        {
            "insurgency.breaks_iraq_per_year": 12.0,
            "insurgency.breaks_syria_per_year": 0.0,
            "insurgency.freed_share": 1.0,
        }
    )
    t0 = at_month(m, "2020-01")
    iraq_loyal = _held(m, 100, Place.IRAQ, Custody.PRISON)
    iraq_other = _held(m, 100, Place.IRAQ, Custody.CAMP, role=Role.WOMAN)
    syria = _held(m, 100, Place.SYRIA, Custody.PRISON)
    border = _held(m, 100, Place.TURKEY, Custody.BORDER, region=Region.NORTH_AFRICA)
    w = m.world
    for t in range(t0, t0 + 24):  # one break or more within two years (P(none) = e^-24)
        w.t = t
        insurgency.prison_breaks(w)
        if w.out.raw["prison_breaks"][t, Place.IRAQ] > 0:
            break
    assert w.out.raw["prison_breaks"][w.t, Place.IRAQ] > 0
    assert np.all(m.pop.state[iraq_loyal] == State.REMOBILISED)  # loyal fighters: cells
    assert np.all(m.pop.state[iraq_other] == State.HIDING_LOCAL)  # the others hide
    assert np.all(m.pop.place[np.r_[iraq_loyal, iraq_other]] == Place.IRAQ)
    assert np.all(m.pop.custody[np.r_[iraq_loyal, iraq_other]] == Custody.NONE)
    assert np.all(m.pop.state[np.r_[syria, border]] == State.DETAINED)
    assert w.out.raw["freed_in_breaks"][w.t, Place.IRAQ] == 200
    assert w.out.raw["freed_in_breaks"][:, Place.SYRIA].sum() == 0


def test_no_prison_break_before_the_territory_is_lost(fresh_model):
    m = fresh_model(
        {
            "insurgency.breaks_syria_per_year": 12.0,
            "insurgency.freed_share": 1.0,
            "insurgency.capture": 0.0,  # nobody freed is taken back
        }
    )
    t0 = at_month(m, "2016-01")
    held = _held(m, 100, Place.SYRIA, Custody.PRISON)
    w = m.world
    lost = first_month_lost(m)
    for t in range(t0, lost):
        w.t = t
        insurgency.step(w)
    assert np.all(m.pop.state[held] == State.DETAINED)
    assert w.out.raw["prison_breaks"].sum() == 0
    for t in range(lost, lost + 24):  # from its start, breaks free them
        w.t = t
        insurgency.step(w)
    assert np.all(m.pop.state[held] != State.DETAINED)


# ----------------------------------------------------------------------------- counter-insurgency


@pytest.mark.parametrize(("death", "capture", "drop_out"), [(0.3, 0.2, 0.1), (0.0, 0.0, 0.0)])
def test_counter_insurgency_removes_members(fresh_model, death, capture, drop_out):
    m = fresh_model(
        {"insurgency.death": death, "insurgency.capture": capture, "insurgency.drop_out": drop_out}
    )
    t = at_month(m, "2020-01")
    n = 3000
    cell = add(m, n, State.REMOBILISED, Place.SYRIA)
    elsewhere = add(m, 500, State.REMOBILISED, Place.LIBYA)
    disloyal = add(m, 300, State.REMOBILISED, Place.IRAQ, loyalty=0.1)
    insurgency.counter_insurgency(m.world)
    state = m.pop.state[cell]
    for p, got in (
        (death, np.count_nonzero(state == State.DEAD)),
        (capture, np.count_nonzero(state == State.DETAINED)),
        (drop_out, np.count_nonzero(state == State.HIDING_LOCAL)),
    ):
        assert abs(got - n * p) <= 5 * np.sqrt(n * p * (1 - p)) + 1
    captured = cell[state == State.DETAINED]
    assert np.all(m.pop.custody[captured] == Custody.PRISON)
    assert np.all(m.pop.place[captured] == Place.SYRIA)
    assert np.all(m.pop.state[elsewhere] == State.REMOBILISED)  # not a cell: left alone
    assert not np.any(m.pop.state[disloyal] == State.REMOBILISED)  # no longer loyal: out
    cells = np.r_[cell, disloyal]
    out = m.world.out.raw
    assert out["killed_in_cells"][t] == np.count_nonzero(m.pop.state[cells] == State.DEAD)


def test_competing_rates_must_sum_to_at_most_one():
    with pytest.raises(ConfigError, match="insurgency.*death \\+ capture \\+ drop_out"):
        with_overrides(Scenario(), {"insurgency.death": 0.6, "insurgency.capture": 0.5})


# ----------------------------------------------------------------------------- by place


def _independent_counts(m: RegroupModel) -> tuple[np.ndarray, np.ndarray]:
    """Members and fighters by place (agents), counted here from the arrays."""
    pop, n = m.pop, m.pop.n
    state, place = pop.state[:n], pop.place[:n]
    organised = np.isin(state, (State.ACTIVE, State.REMOBILISED))
    loyal_free = np.isin(state, FREE_STATES) & (pop.loyalty[:n] >= m.p.regroup.loyalty_threshold)
    member = organised | loyal_free
    fighter = organised & np.isin(pop.role[:n], FIGHTING_ROLES)
    return (
        np.bincount(place[member], minlength=len(Place)),
        np.bincount(place[fighter], minlength=len(Place)),
    )


@pytest.mark.parametrize("date", ["2016-06", "2018-06", "2021-06"])
def test_members_and_fighters_by_place_sum_to_the_totals(fresh_model, date):
    m = fresh_model({"time.end": SHORT_END})
    end = month_index(date, m.p.time.start)
    while m.t < end - 1 or m.steps == 0:
        m.step()
    m.t = end  # the insurgency's step of the next month, alone
    insurgency.step(m.world)
    members, fighters = _independent_counts(m)
    raw = m.world.out.raw
    np.testing.assert_array_equal(raw["members_by_place"][end], members)
    np.testing.assert_array_equal(raw["fighters_by_place"][end], fighters)
    assert raw["members_by_place"][end].sum() == members.sum() > 0
    assert np.all(fighters <= members)  # every fighter is a member


def test_the_series_are_in_persons_and_every_fighter_is_a_member(cached_run):
    m = cached_run({"time.end": SHORT_END})
    s = m.series
    assert np.all(s.fighters_by_place <= s.members_by_place)
    assert np.all(s.members_by_place % m.scale == 0)
    t = month_index("2015-06", m.p.time.start)  # the territory at its peak: members are there
    assert s.members_by_place[t, list(THE_REGION)].sum() > 0.9 * s.members_by_place[t].sum()


def test_same_seed_same_numbers():
    sc = with_overrides(Scenario(), {"population.scale": 50, "time.end": SHORT_END})
    a, b, c = (RegroupModel(sc, seed=s).run() for s in (7, 7, 8))
    for name in ("members_by_place", "fighters_by_place", "freed_in_breaks", "joined_cells"):
        np.testing.assert_array_equal(getattr(a.series, name), getattr(b.series, name))
    assert not np.array_equal(a.series.members_by_place, c.series.members_by_place)


# ----------------------------------------------------------------------------- targets


def _target(**kw) -> Target:
    return Target(low=0, high=1, counts="c", source="s", **kw)


def test_place_quantities_follow_their_definitions(cached_run):
    m = cached_run({"time.end": SHORT_END})
    t = month_index("2018-06", m.p.time.start)
    s = m.series
    region = ["iraq", "syria"]
    members = target_value(m, _target(quantity="members", date="2018-06", places=region))
    assert members == pytest.approx(s.members_by_place[t, list(THE_REGION)].sum())
    iraq = target_value(m, _target(quantity="members", date="2018-06", places=["iraq"]))
    share = target_value(
        m,
        _target(quantity="members_share", date="2018-06", places=region, part_places=["iraq"]),
    )
    assert share == pytest.approx(iraq / members) and 0 < share < 1
    fighters = target_value(m, _target(quantity="fighters", date="2018-06", places=region))
    assert 0 < fighters <= members
    assert {"members", "fighters", "members_share"} <= set(QUANTITIES)


def test_the_place_figures_are_computable_and_name_what_they_count():
    targets = load_targets()
    for name in (
        "in_iraq_syria_2018",
        "iraq_syria_split_2018",
        "active_fighting_dec_2017",
        "active_iraq_syria_2019",
        "libya_2018",
        "afghanistan_2018",
    ):
        assert targets[name].computable and targets[name].places, name
    assert targets["active_fighting_dec_2017"].quantity == "fighters"  # not members
    assert targets["in_iraq_syria_2018"].quantity == "members"
    for name in ("libya_2018", "afghanistan_2018"):  # the model holds only relocated members
        assert targets[name].model_part and not targets["in_iraq_syria_2018"].model_part


def test_a_model_part_figure_bounds_the_model_from_above_only():
    whole = _target(quantity="members", date="2018-06", places=["libya"])
    part = whole.model_copy(update={"model_part": True, "low": 3000, "high": 4000})
    assert in_range(100, part) and not in_range(4500, part)
    assert not in_range(100, part.model_copy(update={"model_part": False}))


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"places": ["atlantis"]}, "unknown place 'atlantis'"),
        ({"places": ["iraq"], "part_places": ["syria"]}, "part_places"),
        ({"places": ["iraq"], "who": Who(origin="foreign")}, "counts every origin"),
        ({}, "needs a places"),
    ],
)
def test_bad_place_targets_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        _target(quantity="members", date="2018-06", **kw)
