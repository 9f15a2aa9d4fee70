"""The remnant insurgency (``insurgency``, with the stay-behind and withdrawal of ``collapse``):
cells in Iraq and Syria only after territory is lost, cells as networks (tied within a cell of
their place, linked to a commander or another cell at ``cell_linkage``), the cells' income for
the commanders of their place, prison breaks of one place from their start,
counter-insurgency, members and fighters by place, and the targets computed from them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHORT_END
from regroup.config.errors import ConfigError
from regroup.config.fields import month_index
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.config.targets import Target, Who, load_targets
from regroup.core import ties as tie_kinds
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


# ----------------------------------------------------------------------------- cells as networks
CELLS = {"insurgency.join_rate": 1.0, "insurgency.cell_size": 5 * 50.0}  # 5 agents a cell


def _cell_ties(m: RegroupModel) -> tuple[np.ndarray, np.ndarray]:
    ties = m.ties
    keep = ties.kind[: ties.m] == tie_kinds.INSURGENT_CELL
    return ties.src[: ties.m][keep], ties.dst[: ties.m][keep]


def _components(m: RegroupModel, idx: np.ndarray) -> np.ndarray:
    """Component label of each of ``idx`` among ``idx`` (ties within a place only)."""
    return m.ties.components(idx, m.pop.n, group=m.pop.place[: m.pop.n])[idx]


def test_cell_joiners_are_tied_into_cells_of_their_place(fresh_model):
    m = fresh_model({**CELLS, "insurgency.cell_linkage": 0.0})
    at_month(m, "2019-06")
    iraq = add(m, 23, State.HIDING_LOCAL, Place.IRAQ)
    syria = add(m, 17, State.HIDING_LOCAL, Place.SYRIA)
    insurgency.join(m.world)
    cell = m.pop.insurgent_cell
    assert insurgency.cell_agents(m.world) == 5
    assert np.all(m.pop.state[np.r_[iraq, syria]] == State.REMOBILISED)
    assert not set(cell[iraq]) & set(cell[syria])  # a cell is in one place
    for idx, n_cells in ((iraq, 5), (syria, 4)):  # 23 = 4 x 5 + 3; 17 = 3 x 5 + 2
        sizes = np.unique(cell[idx], return_counts=True)[1]
        assert len(sizes) == n_cells and sizes.max() == 5
    src, dst = _cell_ties(m)
    assert len(src) == 40 - 9  # a chain per cell: members - 1 ties each
    np.testing.assert_array_equal(cell[src], cell[dst])  # ties only inside a cell
    joined = np.r_[iraq, syria]
    label = _components(m, joined)
    for c in np.unique(cell[joined]):  # without linkage, each cell is one component, alone
        assert len(np.unique(label[cell[joined] == c])) == 1
    assert len(np.unique(label)) == 9

    # the next joiners first fill Iraq's open cell (3 of 5), tied to its members, then open one
    m.t += 1
    more = add(m, 4, State.HIDING_LOCAL, Place.IRAQ)
    insurgency.join(m.world)
    open_cell = np.unique(cell[iraq], return_counts=True)
    open_cell = open_cell[0][open_cell[1] == 3][0]
    assert np.count_nonzero(cell[more] == open_cell) == 2
    assert len(np.unique(_components(m, np.r_[iraq, more]))) == 5 + 1


def test_a_large_batch_of_joiners_fills_cells_like_a_small_one(fresh_model):
    """The kernels write into per-run buffers that grow with the population: a batch far
    larger than the population the buffers were made for fills the open cell, then whole
    cells, each a chain, as a small batch does."""
    m = fresh_model({**CELLS, "insurgency.cell_linkage": 0.0})
    at_month(m, "2019-06")
    first = add(m, 3, State.REMOBILISED, Place.IRAQ)
    insurgency.form_cells(m.world, first)  # one open cell of 3 (of 5)
    m.t += 1
    batch = add(m, 4 * m.pop.n + 1000, State.REMOBILISED, Place.IRAQ)
    insurgency.form_cells(m.world, batch)  # as collapse forms them (not from a lookup)
    joined = np.r_[first, batch]
    cell = m.pop.insurgent_cell[joined]
    ids, sizes = np.unique(cell, return_counts=True)
    assert sizes.max() == 5 and np.count_nonzero(sizes < 5) <= 1  # only the last one open
    assert len(ids) == -(-len(joined) // 5)
    assert np.count_nonzero(cell[len(first) :] == cell[0]) == 2  # the open cell filled first
    src, dst = _cell_ties(m)
    assert len(src) == len(joined) - len(ids)  # a chain per cell: members - 1 ties each
    np.testing.assert_array_equal(m.pop.insurgent_cell[src], m.pop.insurgent_cell[dst])
    assert len(np.unique(_components(m, joined))) == len(ids)


@pytest.mark.parametrize("linkage", [0.0, 1.0])
def test_cell_linkage_ties_cells_to_a_commander_of_their_place(fresh_model, linkage):
    m = fresh_model({**CELLS, "insurgency.cell_linkage": linkage})
    at_month(m, "2019-06")
    commander = add(m, 1, State.REMOBILISED, Place.IRAQ, role=Role.AMNI)  # joins no cell
    disloyal = add(m, 1, State.HIDING_LOCAL, Place.IRAQ, role=Role.LEADER, loyalty=0.1)
    elsewhere = add(m, 1, State.HIDING_LOCAL, Place.SYRIA, role=Role.LEADER)
    joiners = add(m, 30, State.HIDING_LOCAL, Place.IRAQ)  # six cells
    insurgency.join(m.world)
    assert np.all(m.pop.state[joiners] == State.REMOBILISED)
    label = _components(m, np.r_[commander, disloyal, elsewhere, joiners])
    c, d, e, cells = label[0], label[1], label[2], label[3:]
    assert d not in cells and e not in cells  # not a commander, or not in that place
    if linkage == 1.0:
        assert np.all(cells == c)  # every cell's head tied to the only commander there
    else:
        assert c not in cells and len(np.unique(cells)) == 6  # six cells, each alone


def test_without_a_commander_new_cells_link_to_older_cells_of_their_place(fresh_model):
    m = fresh_model({**CELLS, "insurgency.cell_linkage": 1.0})
    at_month(m, "2019-06")
    first = add(m, 5, State.HIDING_LOCAL, Place.SYRIA)  # one cell, no commander anywhere
    insurgency.join(m.world)
    m.t += 1
    later = add(m, 10, State.HIDING_LOCAL, Place.SYRIA)  # two more cells
    iraq = add(m, 5, State.HIDING_LOCAL, Place.IRAQ)  # a cell in Iraq: nothing to link to
    insurgency.join(m.world)
    label = _components(m, np.r_[first, later, iraq])
    assert len(np.unique(label[:15])) == 1  # Syria's three cells: one network
    assert not set(label[15:]) & set(label[:15])


def test_stay_behind_at_the_collapse_forms_cells(fresh_model):
    m = fresh_model({"collapse.withdrawal": 20.0, "collapse.stay_behind": 1.0})
    at_month(m, "2017-10")
    add(m, 400, State.ACTIVE, Place.SYRIA)
    collapse.step(m.world)
    cell = m.pop.insurgent_cell[: m.pop.n]
    behind = np.flatnonzero(m.pop.state[: m.pop.n] == State.REMOBILISED)
    assert len(behind) > 100 and np.all(cell[behind] >= 0)
    src, dst = _cell_ties(m)
    assert len(src) >= len(behind) - len(np.unique(cell[behind]))
    assert np.all(m.pop.place[src] == Place.SYRIA) and np.all(m.pop.place[dst] == Place.SYRIA)


def test_income_funds_the_commanders_of_the_cells_place_only(fresh_model):
    income = 300.0
    m = fresh_model({"insurgency.income_usd": income})
    at_month(m, "2020-01")
    add(m, 40, State.REMOBILISED, Place.IRAQ)  # cells in Iraq
    add(m, 10, State.REMOBILISED, Place.SYRIA)  # cells in Syria, whose commander is held
    add(m, 30, State.REMOBILISED, Place.LIBYA)  # not cells
    lead = {"role": Role.LEADER, "funds": 1000.0}
    iraq = add(m, 2, State.HIDING_LOCAL, Place.IRAQ, **lead)
    disloyal = add(m, 1, State.HIDING_LOCAL, Place.IRAQ, **{**lead, "loyalty": 0.1})
    held = add(m, 1, State.DETAINED, Place.SYRIA, **lead)
    libya = add(m, 1, State.REMOBILISED, Place.LIBYA, **lead)
    turkey = add(m, 1, State.HIDING_ABROAD, Place.TURKEY, region=Region.NORTH_AFRICA, **lead)
    insurgency.fund(m.world)
    funds = m.pop.funds
    # Iraq's 40 cell members bring 40 x income, shared by Iraq's two loyal commanders
    np.testing.assert_allclose(funds[iraq], 1000.0 + 40 * income / 2, rtol=1e-6)
    for other in (disloyal, held, libya, turkey):
        assert funds[other] == 1000.0
    out = m.world.out.raw["insurgency_income"][m.t]
    assert out[Place.IRAQ] == 40 * income and out.sum() == out[Place.IRAQ]  # Syria's: lost


def test_linkage_and_income_decide_the_remnants_potential(cached_run):
    """The Iraq and Syria potential is not fixed by structure: isolated, unfunded cells
    leave it far below well-linked, funded ones (the two ends of the priors)."""
    t = month_index("2020-06", "2013-01")
    low, high = (
        cached_run(
            {
                "time.end": SHORT_END,
                "insurgency.cell_linkage": linkage,
                "insurgency.income_usd": income,
                "regroup.critical_mass": 1e6,
            }
        ).series.potential_by_place[t, list(THE_REGION)]
        for linkage, income in ((0.1, 5.0), (0.9, 2000.0))
    )
    assert high.max() > 3 * max(low.max(), 50.0)


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


def test_the_competing_rates_are_bounded_each_so_any_allowed_values_fit_one_draw():
    top = {f"insurgency.{k}": 0.3 for k in ("death", "capture", "drop_out")}
    sc = with_overrides(Scenario(), top)  # each at its bound: 0.9 together
    assert sc.insurgency.death + sc.insurgency.capture + sc.insurgency.drop_out <= 1
    with pytest.raises(ConfigError, match="insurgency.death: Input should be less than or equal"):
        with_overrides(Scenario(), {"insurgency.death": 0.31})


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


def test_merge_into_a_roster_in_place_gives_the_union():
    """Roster's in-place merge (from the end, so that no row is overwritten before it has
    moved) gives np.union1d of the rows held and the new ones (repeats, rows already held,
    rows before and after every row held), and the in-place append keeps the rows met."""
    rng = np.random.default_rng(3)
    for _ in range(500):
        n = int(rng.integers(1, 300))
        rows = np.sort(rng.choice(n, int(rng.integers(0, n)), replace=False)).astype(np.intp)
        new = rng.choice(n, int(rng.integers(0, 30))).astype(np.intp)
        held = np.full(n, -7, dtype=np.intp)
        held[: len(rows)] = rows
        k = insurgency._merge_into(held, len(rows), new)
        assert np.array_equal(held[:k], np.union1d(rows, new))
        met = rng.random(n) < 0.3
        k = insurgency._append_met(held, 0, met, 5)
        assert np.array_equal(held[:k], 5 + np.flatnonzero(met))


# ----------------------------------------------------------------------------- kernels
FREE_CODES = np.array([int(s) for s in FREE_STATES])


def _population(rng: np.random.Generator, n: int):
    """Random codes for ``n`` rows: state, role, cell (-1 for a third), place, loyalty."""
    state = rng.integers(0, len(State), n).astype(np.int8)
    role = rng.integers(0, len(Role), n).astype(np.int8)
    cell = np.where(rng.random(n) < 1 / 3, -1, rng.integers(0, 6, n)).astype(np.int32)
    place = rng.integers(0, len(Place), n).astype(np.int8)
    loyalty = rng.random(n).astype(np.float32)
    return state, role, cell, place, loyalty


def test_fates_split_the_cell_members_as_numpy_does():
    """_fates against NumPy: of the members (in order), the killed (draw below the first
    threshold), those dropping out (below the third, or not loyal), the captured (below the
    second), those staying, each part in order; those leaving a cell taken out of it, the
    killed and those dropping out moved (empty, one row, all rows; a threshold repeated)."""
    rng = np.random.default_rng(13)
    loyal_from = np.float32(0.5)
    for n in (0, 1, 2, 50, 400):
        state, role, cell, _, loyalty = _population(rng, n)
        for chances in ((0.1, 0.3, 0.5), (0.2, 0.2, 0.6), (0.0, 0.0, 0.0), (0.5, 0.7, 1.0)):
            for idx in (np.arange(n), np.sort(rng.choice(n, n // 2, replace=False)), [n - 1]):
                idx = np.asarray(idx[:n], dtype=np.intp)
                u = rng.random(len(idx))
                c, s = cell.copy(), state.copy()
                entered, custody = np.zeros(n, np.int32), np.ones(n, np.int8)
                tally = np.zeros((2, len(State)), np.int64)
                out = np.full(n + 1, -7, dtype=np.intp)
                killed, leaving, captured = insurgency._fates(
                    idx, u, out, loyalty, c, chances, loyal_from, 4, s, entered, custody, tally
                )
                dead = u < chances[0]
                taken = ~dead & (u < chances[1])
                left = ~dead & ~taken & ((u < chances[2]) | ~(loyalty[idx] >= loyal_from))
                stay = ~dead & ~taken & ~left
                want = np.concatenate((idx[dead], idx[left], idx[taken], idx[stay]))
                assert (killed, leaving, captured) == (dead.sum(), left.sum(), taken.sum())
                np.testing.assert_array_equal(out[: len(idx)], want)
                gone = idx[~stay]
                assert (c[gone] == -1).all() and (np.delete(c, gone) == np.delete(cell, gone)).all()
                assert (s[idx[dead]] == State.DEAD).all()
                assert (s[idx[left]] == State.HIDING_LOCAL).all()
                np.testing.assert_array_equal(s[idx[taken | stay]], state[idx[taken | stay]])


def test_command_rosters_append_and_keep_what_numpy_selects():
    """_append_commanding and _keep_commanding against NumPy: the rows of a commanding role
    (leaders, Amni) or, with cells, in a cell, appended from a start row and, of the rows
    held, kept in place when alive (empty, one row, all rows)."""
    rng = np.random.default_rng(11)
    for n in (0, 1, 2, 50, 400):
        state, role, cell, _, _ = _population(rng, n)
        for cells in (False, True):
            meets = np.isin(role, [Role.LEADER, Role.AMNI]) | (cells & (cell != -1))
            for start in {0, n // 3, n}:
                held = np.full(n + 3, -7, dtype=np.intp)
                held[:3] = [-1, -2, -3]  # rows held before: kept as they are
                k = insurgency._append_commanding(held, 3, start, n, role, cell, cells)
                want = start + np.flatnonzero(meets[start:])
                np.testing.assert_array_equal(held[:k], np.r_[-1, -2, -3, want])
            for rows in (np.arange(n), np.sort(rng.choice(n, n // 2, replace=False)), [n - 1]):
                rows = np.asarray(rows[:n], dtype=np.intp)
                held = np.r_[rows, [-7, -7]].astype(np.intp)
                k = insurgency._keep_commanding(held, len(rows), role, cell, state, cells)
                want = rows[(meets & (state != State.DEAD))[rows]]
                np.testing.assert_array_equal(held[:k], want)
                assert (held[len(rows) :] == -7).all()  # nothing written past the rows held


def test_link_targets_are_the_cell_members_and_commanders_of_each_place():
    """_link_targets against NumPy: of the rows given, by place (Iraq, Syria), in order, the
    remobilised in a cell and the free, loyal leaders and Amni (empty, one row, all rows)."""
    rng = np.random.default_rng(5)
    loyal_from = np.float32(0.5)
    for n in (0, 1, 2, 50, 400):
        state, role, cell, place, loyalty = _population(rng, n)
        for rows in (np.arange(n), np.sort(rng.choice(n, n // 2, replace=False)), [n - 1]):
            rows = np.asarray(rows[:n], dtype=np.intp)
            targets = np.full((2, n + 1), -7, dtype=np.intp)
            counts = insurgency._link_targets(
                rows, state, role, cell, place, loyalty, loyal_from, targets
            )
            in_cell = (state == State.REMOBILISED) & (cell != -1)
            commands = (
                np.isin(state, FREE_CODES)
                & np.isin(role, [Role.LEADER, Role.AMNI])
                & (loyalty >= loyal_from)
            )
            for p in (0, 1):
                want = rows[((in_cell | commands) & (place == p))[rows]]
                assert counts[p] == len(want)
                np.testing.assert_array_equal(targets[p, : counts[p]], want)


def test_newcomers_split_by_place_and_find_the_open_cells_members():
    """_newcomers against NumPy: the newcomers in Iraq and in Syria, in order, out of their
    cells and noted after the pending rows; each place's open-cell members (remobilised
    there, still in it), in increasing order without repeats, from its joiners (some joined
    twice, some in the open cell of the other place, some newcomers themselves)."""
    rng = np.random.default_rng(6)
    for n in (1, 2, 30, 300):
        for _ in range(40):
            state, _, cell, place, _ = _population(rng, n)
            place[rng.random(n) < 0.5] = rng.integers(0, 2)  # most in Iraq or Syria
            state[rng.random(n) < 0.5] = State.REMOBILISED
            idx = rng.choice(n, int(rng.integers(0, n + 1)), replace=False).astype(np.intp)
            open_ids = np.array([rng.integers(-1, 3), rng.integers(-1, 3)] + [-1] * 8)
            filled = np.array([rng.integers(1, 8), rng.integers(1, 8)] + [0] * 8)
            filled[open_ids == -1] = 0
            open_rows = rng.integers(0, n, (10, 8)).astype(np.intp)
            pending = np.full(n + 3, -7, dtype=np.intp)
            pending[:3] = [0, 0, 1]
            new, old = np.full((2, 2, n), -7, dtype=np.intp)
            want_cell = cell.copy()
            in_region = idx[place[idx] < 2]
            want_cell[in_region] = -1
            *counts, n_pending = insurgency._newcomers(
                idx, cell, place, state, open_ids, filled, open_rows, new, old, pending, 3
            )
            np.testing.assert_array_equal(cell, want_cell)
            assert n_pending == 3 + len(in_region)
            np.testing.assert_array_equal(pending[3:n_pending], in_region)
            for p in (0, 1):
                assert counts[p] == np.count_nonzero(place[idx] == p)
                np.testing.assert_array_equal(new[p, : counts[p]], idx[place[idx] == p])
                if len(in_region) == 0:  # nobody joins: not looked at
                    assert counts[2 + p] == 0
                    continue
                joined = np.unique(open_rows[p, : filled[p]])
                keep = (
                    (cell[joined] == open_ids[p])
                    & (state[joined] == State.REMOBILISED)
                    & (place[joined] == p)
                )
                want = joined[keep] if open_ids[p] != -1 else joined[:0]
                assert counts[2 + p] == len(want)
                np.testing.assert_array_equal(old[p, : counts[2 + p]], want)


@pytest.mark.parametrize("cell_size", [3 * 50.0, 7 * 50.0])
def test_the_open_cells_members_found_from_its_joiners_are_those_a_pass_finds(
    fresh_model, cell_size
):
    """In a run, at each formation of cells, each place's open-cell members that _newcomers
    finds from the cell's joiners are every row in that cell, remobilised there (a pass over
    every row); and the network, brought up to date, holds every member of a cell (remobilised,
    with a cell)."""
    m = fresh_model({"insurgency.cell_size": cell_size, "time.end": SHORT_END})
    pop, seen = m.pop, []
    kernel = insurgency._newcomers

    def checked(idx, cell, place, state, open_ids, filled, *rest):
        counts = kernel(idx, cell, place, state, open_ids, filled, *rest)
        old = rest[2]
        if counts[0] + counts[1]:
            n = pop.n
            for p in (0, 1):
                rows = np.flatnonzero(
                    (cell[:n] == open_ids[p])
                    & (state[:n] == State.REMOBILISED)
                    & (place[:n] == p)
                    & (open_ids[p] != -1)
                )
                np.testing.assert_array_equal(old[p, : counts[2 + p]], rows)
                seen.append(len(rows))
        return counts

    insurgency._newcomers = checked
    try:
        m.run()
    finally:
        insurgency._newcomers = kernel
    assert len(seen) > 20 and sum(seen) > 0
    mem = m.world.memory(insurgency.Cells)
    insurgency._merge_pending(m.world, mem)
    network = mem.network.held[: mem.network.k]
    in_cell = (pop.insurgent_cell[: pop.n] != -1) & (pop.state[: pop.n] == State.REMOBILISED)
    assert np.count_nonzero(in_cell) and set(np.flatnonzero(in_cell)) <= set(network)


def test_members_and_fighters_counted_in_pairs_are_those_numpy_counts():
    """_members_and_fighters (rows counted two at a time) against NumPy: by place, the
    members (in the territory or a cell, or free and loyal) and the fighters (a fighting
    role in the territory or a cell), over the first n rows (none, one, odd and even n, all
    rows members, nine in ten not)."""
    rng = np.random.default_rng(7)
    loyal_from = np.float32(0.5)
    for n in (0, 1, 2, 3, 17, 101, 1000, 4001, 4003):
        state, role, _, place, loyalty = _population(rng, n + 5)
        if n == 101:
            state[:] = State.ACTIVE
        if n == 4003:  # nine in ten not members (most pairs counted in one count)
            state[rng.random(n + 5) < 0.9] = State.DEAD
        out = np.full((2, len(Place)), -7, dtype=np.int64)
        insurgency._members_and_fighters(state, role, place, loyalty, n, loyal_from, out)
        state, role, place, loyalty = state[:n], role[:n], place[:n], loyalty[:n]
        in_group = np.isin(state, [State.ACTIVE, State.REMOBILISED])
        member = in_group | (np.isin(state, FREE_CODES) & (loyalty >= loyal_from))
        fighter = in_group & np.isin(role, FIGHTING_ROLES)
        np.testing.assert_array_equal(out[0], np.bincount(place[member], minlength=len(Place)))
        np.testing.assert_array_equal(out[1], np.bincount(place[fighter], minlength=len(Place)))


def test_fund_credits_the_commanders_of_each_place_as_numpy_does():
    """_fund against NumPy: the rows given (of commanding roles, as the command roster's),
    those free, loyal and in Iraq or Syria share their place's income (per cell member) in
    float32; nothing where a place has no commander or no member (no rows, one row)."""
    rng = np.random.default_rng(8)
    loyal_from, income = np.float32(0.5), 100.0
    for n in (1, 2, 60, 500):
        for _ in range(20):
            state, _, _, place, loyalty = _population(rng, n)
            place[rng.random(n) < 0.6] = rng.integers(0, 2)
            rows = np.sort(rng.choice(n, int(rng.integers(0, n + 1)), replace=False))
            members = rng.choice(n, int(rng.integers(0, 30))).astype(np.intp)
            funds = rng.random(n).astype(np.float32)
            want = funds.copy()
            credited = np.full(len(Place), -1.0)
            any_credited = insurgency._fund(
                members, rows.astype(np.intp), state, place, loyalty, loyal_from, funds,
                income, credited,
            )  # fmt: skip
            heads = rows[
                (place[rows] < 2) & np.isin(state[rows], FREE_CODES) & (loyalty[rows] >= loyal_from)
            ]
            n_members = np.bincount(place[members], minlength=len(Place))
            n_heads = np.bincount(place[heads], minlength=len(Place))
            paid = (n_members > 0) & (n_heads > 0)
            want_credited = np.where(paid, income * n_members, 0.0)
            share = np.zeros(len(Place), dtype=np.float32)
            share[paid] = (want_credited[paid] / n_heads[paid]).astype(np.float32)
            got = heads[paid[place[heads]]]
            want[got] += share[place[got]]
            np.testing.assert_array_equal(credited, want_credited)
            np.testing.assert_array_equal(funds, want)
            assert any_credited == bool(paid.any())


def test_rows_in_the_region_and_loyal_fighters_there_are_those_numpy_selects():
    """_in_places and _loyal_fighters_in_region (rows read unsigned) against NumPy: of the
    rows given (increasing, as Population.where gives them), those in Iraq or Syria, and
    those there of a fighting role and loyal, in order (no rows, one row, every row, some)."""
    rng = np.random.default_rng(11)
    loyal_from = np.float32(0.5)
    for n in (1, 2, 50, 3000):
        _, role, _, place, loyalty = _population(rng, n)
        for idx in (
            np.zeros(0, dtype=np.intp),
            np.array([n - 1], dtype=np.intp),
            np.arange(n, dtype=np.intp),
            np.flatnonzero(rng.random(n) < 0.3),
        ):
            out = np.full(len(idx) + 1, -7, dtype=np.intp)
            k = insurgency._in_places(idx, place, insurgency.REGION, out)
            np.testing.assert_array_equal(out[:k], idx[place[idx] < 2])
            k = insurgency._loyal_fighters_in_region(idx, place, role, loyalty, loyal_from, out)
            wanted = (place[idx] < 2) & np.isin(role[idx], FIGHTING_ROLES)
            wanted &= loyalty[idx] >= loyal_from
            np.testing.assert_array_equal(out[:k], idx[wanted])
