"""Places (issue 10): the regrouping pool counted per place, travel to other theatres (the
destination by region of origin, joining the affiliate's network, attrition there), where new
recruits join, and every person's place consistent with their state."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHORT_END, small
from regroup.config.fields import month_index
from regroup.core import ties as tie_kinds
from regroup.core.model import RegroupModel
from regroup.core.states import (
    CONFLICT_PLACES,
    THE_REGION,
    Custody,
    Place,
    Region,
    Role,
    State,
)
from regroup.mechanisms import recruitment, regrouping, theatres

IRAQ, SYRIA, TURKEY, LIBYA, AFGHANISTAN = (
    Place.IRAQ,
    Place.SYRIA,
    Place.TURKEY,
    Place.LIBYA,
    Place.AFGHANISTAN,
)
DEDICATED = {"ideology": 0.9, "loyalty": 0.9, "skill": 0.9}
LEADS = {"ideology": 0.9, "loyalty": 0.9, "skill": 0.0}  # dedicated, not in the pool (unskilled)


def at_month(m: RegroupModel, date: str) -> None:
    """Put a fresh model in month ``date`` (mechanisms read ``m.t``)."""
    m.t = month_index(date, m.p.time.start)


def add(m: RegroupModel, count: int, role: Role, state: State, place: Place, **values):
    """Members in ``state`` at ``place`` since last month (locals of that place by default)."""
    values.setdefault("birth", m.t - 25 * 12)
    values.setdefault("region", Region.LOCAL)
    values.setdefault("home", place)
    return m.add_members(
        count, role=role, state=state, place=place, entered=m.t - 1, joined=m.t - 1, **values
    )


def by_place(m: RegroupModel, name: str) -> dict[Place, float]:
    """This month's value of a by-place output, in persons, for the places where it is not 0."""
    row = getattr(m.series, name)[m.t]
    return {Place(p): float(row[p]) for p in np.flatnonzero(row)}


# ----------------------------------------------------------------------------- pools by place


def test_a_pool_split_between_two_places_is_two_pools(fresh_model):
    m = fresh_model({"regroup.critical_mass": 1e6})
    at_month(m, "2021-01")
    s = m.scale
    leader = add(m, 1, Role.LEADER, State.HIDING_LOCAL, IRAQ, funds=1e6, **LEADS)
    pool = add(m, 6, Role.VETERAN, State.HIDING_LOCAL, IRAQ, **DEDICATED)
    m.ties.chain(np.r_[leader, pool], np.zeros(7), tie_kinds.UNIT)  # one chain: leader first
    regrouping.step(m.world)
    assert m.series.largest_pool[m.t] == 6 * s  # all in Iraq: one pool
    assert by_place(m, "potential_by_place") == {IRAQ: 6 * s}

    # the chain's last three cross into Turkey: the ties stay, the pool splits
    m.pop.place[pool[3:]] = TURKEY
    m.pop.state[pool[3:]] = State.HIDING_ABROAD
    regrouping.step(m.world)
    assert m.ties.m == 6  # no tie was lost
    assert by_place(m, "pool_by_place") == {IRAQ: 3 * s, TURKEY: 3 * s}
    assert by_place(m, "potential_by_place") == {IRAQ: 3 * s}  # Turkey's three: no anchor
    assert m.connected[pool[:3]].all() and not m.connected[pool[3:]].any()

    # with a funded dedicated escaper among them, Turkey's three are a pool of their own
    m.pop.funds[pool[3]] = 1e6
    regrouping.step(m.world)
    assert by_place(m, "potential_by_place") == {IRAQ: 3 * s, TURKEY: 3 * s}
    assert m.series.largest_pool[m.t] == 3 * s  # not 6: two pools that cannot act together
    assert m.series.connected_pool[m.t] == 6 * s


def test_potential_is_the_largest_funded_pool_of_each_place(fresh_model):
    m = fresh_model({"regroup.critical_mass": 1e6})
    at_month(m, "2021-01")
    s = m.scale
    for size in (2, 5):  # two separate funded pools in Syria
        leader = add(m, 1, Role.AMNI, State.HIDING_LOCAL, SYRIA, funds=1e6, **LEADS)
        pool = add(m, size, Role.VETERAN, State.HIDING_LOCAL, SYRIA, **DEDICATED)
        m.ties.add(np.repeat(leader, size), pool, tie_kinds.UNIT)
    broke = add(m, 1, Role.LEADER, State.HIDING_LOCAL, SYRIA, funds=0.0, **LEADS)
    unfunded = add(m, 9, Role.VETERAN, State.HIDING_LOCAL, SYRIA, **DEDICATED)
    m.ties.add(np.repeat(broke, 9), unfunded, tie_kinds.UNIT)
    regrouping.step(m.world)
    assert by_place(m, "pool_by_place") == {SYRIA: 16 * s}
    assert by_place(m, "connected_by_place") == {SYRIA: 7 * s}
    assert by_place(m, "potential_by_place") == {SYRIA: 5 * s}


def test_the_sum_over_places_equals_the_total(cached_run):
    m = cached_run({"time.end": SHORT_END})
    s = m.series
    assert s.pool[-1] > 0 and s.connected_pool[-1] > 0  # the checks below can fail
    np.testing.assert_allclose(s.pool_by_place.sum(axis=1), s.pool)
    np.testing.assert_allclose(s.pool_by_region.sum(axis=1), s.pool)
    np.testing.assert_allclose(s.connected_by_place.sum(axis=1), s.connected_pool)
    np.testing.assert_allclose(s.funds_by_place.sum(axis=1), s.pool_funds, rtol=1e-6)
    np.testing.assert_allclose(s.potential_by_place.max(axis=1), s.largest_pool)
    assert np.all(s.potential_by_place <= s.connected_by_place)
    assert np.all(s.connected_by_place <= s.pool_by_place)
    # a pool in one place: the largest pool of a region of origin is no larger than the largest
    assert np.all(s.largest_by_region.max(axis=1) <= s.largest_pool)


# ----------------------------------------------------------------------------- the regroup event


def test_the_regroup_event_is_where_the_potential_crossed(fresh_model):
    m = fresh_model({"regroup.critical_mass": 4 * 50.0})  # four agents at the test scale
    at_month(m, "2021-01")
    for place, size in ((IRAQ, 3), (TURKEY, 4), (SYRIA, 3)):
        state = State.HIDING_ABROAD if place == TURKEY else State.HIDING_LOCAL
        leader = add(m, 1, Role.LEADER, state, place, funds=1e6, **LEADS)
        pool = add(m, size, Role.VETERAN, state, place, **DEDICATED)
        m.ties.add(np.repeat(leader, size), pool, tie_kinds.UNIT)
    # Iraq and Syria are tied to each other: together they would be 6, but they are apart
    m.ties.add(pool[:1], np.flatnonzero(m.pop.place[: m.pop.n] == IRAQ)[-1:], tie_kinds.UNIT)
    regrouping.step(m.world)
    assert m.regroup_month == m.t
    assert m.regroup_place == TURKEY
    assert regrouping.memory(m.world).regroup_place == TURKEY
    m.t += 1
    regrouping.step(m.world)  # remembered once: the first month
    assert m.regroup_month == m.t - 1


def test_in_a_run_the_event_place_is_the_first_place_at_critical_mass(cached_run):
    for critical in (400.0, 200.0, 100.0):  # the largest critical mass a run reaches
        m = cached_run({"regroup.critical_mass": critical, "time.end": SHORT_END})
        if m.regroup_month is not None:
            break
    assert m.regroup_month is not None  # the checks below can fail
    potential, t = m.series.potential_by_place, m.regroup_month
    assert potential[t, m.regroup_place] >= critical
    assert potential[t, m.regroup_place] == potential[t].max()
    gone = np.flatnonzero(m.schedule.control + m.schedule.loss >= m.world.lost_below)[0]
    lost = np.flatnonzero((m.schedule.control < m.world.lost_below) & (np.arange(m.months) > gone))
    assert t >= lost[0]
    assert np.all(potential[lost[0] : t] < critical)


# ----------------------------------------------------------------------------- other theatres

TRAVEL = {
    "theatres.travel_rate": 1.0,
    "theatres.released_factor": 0.0,
    "theatres.joins_affiliate": 1.0,
}


@pytest.mark.parametrize(("libya_share", "there"), [(1.0, LIBYA), (0.0, AFGHANISTAN)])
def test_a_member_who_travels_to_another_theatre_counts_there(fresh_model, libya_share, there):
    m = fresh_model({**TRAVEL, "theatres.libya_others": libya_share, "regroup.critical_mass": 1e6})
    at_month(m, "2021-01")
    s = m.scale
    leader = add(m, 1, Role.LEADER, State.HIDING_LOCAL, IRAQ, funds=1e6, **LEADS)
    pool = add(m, 4, Role.VETERAN, State.HIDING_ABROAD, TURKEY, **DEDICATED)
    m.ties.add(np.repeat(leader, 4), pool, tie_kinds.UNIT)
    stays = add(m, 2, Role.VETERAN, State.HIDING_LOCAL, IRAQ, ideology=0.9, loyalty=0.1)
    released = add(m, 2, Role.VETERAN, State.RELEASED, IRAQ, **DEDICATED)
    regrouping.step(m.world)
    assert by_place(m, "potential_by_place") == {}  # Iraq's leader, Turkey's four: apart
    theatres.step(m.world)
    went = np.r_[leader, pool]
    assert np.all(m.pop.state[went] == State.REMOBILISED)
    assert np.all(m.pop.place[went] == there)
    assert np.all(m.pop.state[stays] == State.HIDING_LOCAL)  # not loyal: stays
    assert np.all(m.pop.state[released] == State.RELEASED)  # released_factor 0
    assert by_place(m, "theatre_travellers") == {there: 5 * s}
    assert m.world.out.total["theatre_travellers"][there] == 5
    regrouping.step(m.world)
    assert by_place(m, "pool_by_place") == {there: 4 * s, IRAQ: 2 * s}
    assert by_place(m, "potential_by_place") == {there: 4 * s}  # together again, there


@pytest.mark.parametrize("joins", [1.0, 0.0])
def test_travellers_join_the_affiliates_network_at_their_share(fresh_model, joins):
    m = fresh_model({**TRAVEL, "theatres.libya_others": 1.0, "theatres.joins_affiliate": joins})
    at_month(m, "2021-01")
    network = add(m, 3, Role.VETERAN, State.REMOBILISED, LIBYA, affiliated=True, **DEDICATED)
    outside = add(m, 3, Role.VETERAN, State.REMOBILISED, LIBYA, **DEDICATED)  # not in it
    going = add(m, 4, Role.VETERAN, State.HIDING_LOCAL, SYRIA, **DEDICATED)
    theatres.step(m.world)
    assert np.all(m.pop.place[going] == LIBYA)
    for i in going:
        tied = set(m.ties.neighbours(int(i)))
        assert not tied & set(outside.tolist())  # never tied to members outside the network
        assert bool(tied & set(network.tolist())) == (joins == 1.0)
    assert np.all(m.pop.affiliated[going] == (joins == 1.0))
    kinds = m.ties.kind[: m.ties.m]
    assert np.all(kinds == tie_kinds.AFFILIATE) and m.ties.m == 4 * joins


def test_a_share_of_travellers_joins_the_affiliate(fresh_model):
    m = fresh_model({**TRAVEL, "theatres.libya_others": 0.0, "theatres.joins_affiliate": 0.3})
    at_month(m, "2021-01")
    going = add(m, 2000, Role.VETERAN, State.HIDING_LOCAL, IRAQ, **DEDICATED)
    theatres.step(m.world)
    joined = np.count_nonzero(m.pop.affiliated[going])
    assert abs(joined - 600) < 5 * np.sqrt(2000 * 0.3 * 0.7)
    # those who joined are one network (the first chained to each other, later ones to them)
    label = m.ties.components(going, m.pop.n, group=m.pop.place[: m.pop.n])[going]
    assert len(np.unique(label[m.pop.affiliated[going]])) == 1
    assert len(np.unique(label)) == 1 + 2000 - joined  # the others arrive alone


def test_destinations_depend_on_the_region_of_origin(fresh_model):
    shares = {"north_africa": 0.8, "former_soviet": 0.1, "others": 0.3}
    m = fresh_model({**TRAVEL, **{f"theatres.libya_{k}": v for k, v in shares.items()}})
    at_month(m, "2021-01")
    n = 2000
    groups = {
        "north_africa": add(m, n, Role.VETERAN, State.HIDING_ABROAD, TURKEY,
                            region=Region.NORTH_AFRICA, **DEDICATED),
        "former_soviet": add(m, n, Role.VETERAN, State.HIDING_ABROAD, TURKEY,
                             region=Region.FORMER_SOVIET, **DEDICATED),
        "others": np.r_[
            add(m, n // 2, Role.VETERAN, State.HIDING_LOCAL, IRAQ, **DEDICATED),
            add(m, n // 2, Role.VETERAN, State.HIDING_ABROAD, TURKEY,
                region=Region.EUROPE_TURKEY, **DEDICATED),
        ],
    }  # fmt: skip
    theatres.step(m.world)
    for name, idx in groups.items():
        place = m.pop.place[idx]
        assert set(np.unique(place)) <= {LIBYA, AFGHANISTAN}
        p = shares[name]
        libya = np.count_nonzero(place == LIBYA)
        assert abs(libya - n * p) < 5 * np.sqrt(n * p * (1 - p)), name


def test_members_in_other_theatres_are_killed_there_only(fresh_model):
    p = 0.3
    m = fresh_model({"theatres.death": p, "theatres.travel_rate": 0.0})
    at_month(m, "2021-01")
    n = 2000
    theatre = np.r_[
        add(m, n // 2, Role.VETERAN, State.REMOBILISED, LIBYA, **DEDICATED),
        add(m, n // 2, Role.VETERAN, State.REMOBILISED, AFGHANISTAN, **DEDICATED),
    ]
    cells = add(m, 500, Role.VETERAN, State.REMOBILISED, IRAQ, **DEDICATED)
    hiding = add(m, 500, Role.VETERAN, State.HIDING_ABROAD, TURKEY, **DEDICATED)
    theatres.step(m.world)
    dead = np.count_nonzero(m.pop.state[theatre] == State.DEAD)
    assert abs(dead - n * p) < 5 * np.sqrt(n * p * (1 - p))
    assert not np.any(m.pop.state[np.r_[cells, hiding]] == State.DEAD)
    killed = m.world.out.raw["killed_in_theatres"][m.t]
    assert killed.sum() == dead and killed[LIBYA] > 0 and killed[AFGHANISTAN] > 0
    assert killed[[LIBYA, AFGHANISTAN]].sum() == killed.sum()


def test_nobody_travels_before_the_territory_is_lost_or_when_the_rate_is_zero(fresh_model):
    for overrides, date in ((TRAVEL, "2015-06"), ({"theatres.travel_rate": 0.0}, "2021-01")):
        m = fresh_model(overrides)
        at_month(m, date)
        idx = add(m, 20, Role.VETERAN, State.HIDING_LOCAL, IRAQ, **DEDICATED)
        theatres.step(m.world)
        assert np.all(m.pop.state[idx] == State.HIDING_LOCAL)
        assert not m.series.theatre_travellers.any()


def test_released_prisoners_travel_at_their_factor(fresh_model):
    m = fresh_model({"theatres.travel_rate": 0.5, "theatres.released_factor": 0.2})
    at_month(m, "2021-01")
    hiding = add(m, 2000, Role.VETERAN, State.HIDING_LOCAL, IRAQ, **DEDICATED)
    released = add(m, 2000, Role.VETERAN, State.RELEASED, IRAQ, **DEDICATED)
    theatres.step(m.world)
    moved = [np.count_nonzero(m.pop.state[idx] == State.REMOBILISED) for idx in (hiding, released)]
    assert abs(moved[0] - 1000) < 5 * np.sqrt(2000 * 0.25)
    assert abs(moved[1] - 200) < 5 * np.sqrt(2000 * 0.1 * 0.9)


# ----------------------------------------------------------------------------- new recruits


@pytest.mark.parametrize(
    ("place", "region"),
    [
        (IRAQ, Region.LOCAL),
        (TURKEY, Region.EUROPE_TURKEY),
        (Place.EUROPE, Region.EUROPE_TURKEY),
        (LIBYA, Region.NORTH_AFRICA),
        (AFGHANISTAN, Region.OTHER),
    ],
)
def test_new_recruits_join_where_the_anchor_is_with_its_region(fresh_model, place, region):
    m = fresh_model({"recruitment.new_recruits_per_month": 1e4})
    at_month(m, "2021-01")
    anchor = add(m, 1, Role.LEADER, State.HIDING_ABROAD, place, region=Region.FORMER_SOVIET,
                 home=Place.FORMER_SOVIET, funds=1e6, **DEDICATED)  # fmt: skip
    pools = regrouping.memory(m.world)
    pools.largest_anchor, pools.momentum = int(anchor[0]), 1.0
    n = m.pop.n
    recruitment.remobilise(m.world, 1.0)
    new = np.arange(n, m.pop.n)
    assert len(new) > 50
    assert np.all(m.pop.place[new] == place) and np.all(m.pop.home[new] == place)
    assert np.all(m.pop.region[new] == region)  # not the anchor's region (former Soviet)
    assert np.all(m.pop.state[new] == State.REMOBILISED)


# ----------------------------------------------------------------------------- invariants


def place_errors(m: RegroupModel) -> list[str]:
    """Who is somewhere their state does not allow."""
    pop, n = m.pop, m.pop.n
    state, place, home = pop.state[:n], pop.place[:n], pop.home[:n]
    region = np.isin(place, [int(p) for p in THE_REGION])
    conflict = np.isin(place, [int(p) for p in CONFLICT_PLACES])
    border = pop.custody[:n] == Custody.BORDER
    rules = {
        "in the territory outside Iraq and Syria": np.isin(
            state, [State.ACTIVE, State.ESCAPING, State.GROUP_PRISON]
        )
        & ~region,
        "hiding locally outside Iraq and Syria": (state == State.HIDING_LOCAL) & ~region,
        "hiding abroad in Iraq or Syria": (state == State.HIDING_ABROAD) & region,
        "returned, not at home": (state == State.RETURNED) & (place != home),
        "in prison at home, not at home": (state == State.PRISON_HOME) & (place != home),
        "detained outside the conflict places and Turkey": (state == State.DETAINED)
        & ~conflict
        & (place != TURKEY),
        "in border custody outside Turkey": (state == State.DETAINED) & border & (place != TURKEY),
        "local with a home outside Iraq and Syria": (pop.region[:n] == Region.LOCAL)
        & ~np.isin(home, [int(p) for p in THE_REGION]),
    }
    return [f"month {m.t}: {k}: {np.count_nonzero(v)}" for k, v in rules.items() if v.any()]


def test_every_persons_place_is_consistent_with_their_state_every_month():
    m = RegroupModel(small({"time.end": SHORT_END}), seed=3)
    errors: list[str] = []
    while m.running:
        m.step()
        errors += place_errors(m)
    assert errors == []
    n = m.pop.n
    assert np.count_nonzero(m.pop.state[:n] == State.HIDING_ABROAD) > 0
    assert np.isin(m.pop.place[:n], [LIBYA, AFGHANISTAN]).any()  # the rules above were tested


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_series_by_place():
    runs = [RegroupModel(small({"time.end": SHORT_END}), seed=11).run() for _ in range(2)]
    a, b = (r.series for r in runs)
    for name in ("pool_by_place", "potential_by_place", "funds_by_place", "theatre_travellers"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert runs[0].regroup_month == runs[1].regroup_month
    assert runs[0].regroup_place == runs[1].regroup_place
    assert a.potential_by_place.any()
