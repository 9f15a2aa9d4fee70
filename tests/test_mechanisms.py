"""Each mechanism on its own: a module's ``step`` on hand-made members, or a whole run with
overrides that switch one mechanism off, compared with a run where it is on."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from conftest import SHORT_END, Trace
from regroup.config.fields import month_index
from regroup.core import ties as tie_kinds
from regroup.core.model import RegroupModel
from regroup.core.population import move_rows
from regroup.core.states import (
    CIVILIAN,
    Custody,
    Disposition,
    Place,
    Region,
    Role,
    State,
    membership,
)
from regroup.mechanisms import (
    camps,
    combat,
    demography,
    disillusionment,
    escape,
    hiding,
    justice,
    prison,
    recruitment,
    regrouping,
    security,
    theatres,
)

HIDING = (State.HIDING_LOCAL, State.HIDING_ABROAD)
SHORT = {"time.end": SHORT_END}


def at_month(m: RegroupModel, date: str) -> None:
    """Put a fresh model in month ``date`` (mechanisms read ``m.t``)."""
    m.t = month_index(date, m.p.time.start)


def add(
    m: RegroupModel,
    count: int,
    role: Role,
    state: State,
    region: Region = Region.LOCAL,
    **values,
) -> np.ndarray:
    """Members who have been in ``state`` since last month, aged 25 unless told otherwise."""
    values.setdefault("birth", m.t - 25 * 12)
    return m.add_members(
        count, role=role, state=state, region=region, entered=m.t - 1, joined=m.t - 1, **values
    )


def in_prison(snapshot) -> np.ndarray:
    """Serving a sentence: in prison at home, or in a regional prison (not a camp)."""
    s = snapshot.state
    return (s == State.PRISON_HOME) | ((s == State.DETAINED) & (snapshot.custody == Custody.PRISON))


def binomial_margin(n: int, p: float, sigmas: float = 5.0) -> float:
    return sigmas * np.sqrt(n * p * (1 - p)) + 1


# ----------------------------------------------------------------------------- combat


@pytest.mark.parametrize(
    ("zealot", "veteran"),
    [(0.04, 0.008), (0.008, 0.04)],
    ids=["zealots-riskier", "veterans-riskier"],
)
def test_combat_deaths_follow_the_role_hazard(fresh_model, zealot, veteran):
    m = fresh_model({"combat.death_hazard.zealot": zealot, "combat.death_hazard.veteran": veteran})
    at_month(m, "2017-03")  # full combat intensity
    intensity = m.schedule.intensity[m.t]
    n = 4000
    z = add(m, n, Role.ZEALOT, State.ACTIVE)
    v = add(m, n, Role.VETERAN, State.ACTIVE)
    combat.step(m.world)
    for idx, hazard in ((z, zealot), (v, veteran)):
        dead = int(np.count_nonzero(m.pop.state[idx] == State.DEAD))
        expected = n * hazard * intensity
        assert abs(dead - expected) <= binomial_margin(n, hazard * intensity)
    dead = np.count_nonzero(m.pop.state[: m.pop.n] == State.DEAD)
    assert m.world.out.total["killed_in_combat"] == dead  # in agents


def test_no_combat_deaths_without_fighting(fresh_model):
    m = fresh_model({"schedules.combat_intensity": [["2013-01", 0.0]]})
    at_month(m, "2017-03")
    idx = add(m, 2000, Role.ZEALOT, State.ACTIVE, skill=0.2)
    combat.step(m.world)
    assert np.all(m.pop.state[idx] == State.ACTIVE)
    assert np.all(m.pop.skill[idx] == pytest.approx(0.2))  # no fighting, no experience


def test_fighters_gain_skill_at_the_front(fresh_model):
    m = fresh_model({"combat.death_hazard.novice": 0.0})
    at_month(m, "2017-03")
    idx = add(m, 50, Role.NOVICE, State.ACTIVE, skill=0.1)
    combat.step(m.world)
    gain = m.p.combat.skill_gain_per_month * m.schedule.intensity[m.t]
    assert m.pop.skill[idx] == pytest.approx(np.full(50, 0.1 + gain), abs=1e-6)


def test_zealots_die_at_a_higher_rate_than_veterans(cached_run):
    """Seed 003's pattern at the calibrated defaults, over whole runs (several seeds)."""
    dead = {Role.ZEALOT: [0, 0], Role.VETERAN: [0, 0]}
    for seed in (1, 2):
        m = cached_run(SHORT, seed=seed)
        n = m.pop.n
        for role, tally in dead.items():
            mine = m.pop.role[:n] == role
            tally[0] += int(np.count_nonzero(mine & (m.pop.state[:n] == State.DEAD)))
            tally[1] += int(np.count_nonzero(mine))
    zealots, veterans = (dead[r][0] / dead[r][1] for r in (Role.ZEALOT, Role.VETERAN))
    assert zealots > veterans + 0.05


# ----------------------------------------------------------------------------- arrivals


def test_no_local_arrivals_without_territory(cached_run):
    empty = cached_run({"schedules.territorial_control": [["2013-01", 0.0]], "time.end": "2016-12"})
    held = cached_run({"time.end": "2016-12"})
    assert held.tally["arrived_local"] > 0  # the check below can fail
    assert empty.tally["arrived_local"] == 0
    assert empty.tally["came_of_age"] == 0  # no local parents, no children
    assert not empty.series.arrived_local.any()
    assert not np.any(empty.pop.region[: empty.pop.n] == Region.LOCAL)


# ----------------------------------------------------------------------------- escape

ZERO_FUNDS = {
    **{f"attributes.funds_usd.{role.label}": 0.0 for role in Role},
    "escape.group_funds_usd": 0.0,
    "escape.theft_share": 0.0,
}


def test_nobody_pays_a_smuggler_without_funds(cached_run):
    broke = cached_run({**ZERO_FUNDS, **SHORT})
    paying = cached_run(SHORT)
    assert paying.tally["smuggler_payments"] > 0
    assert broke.tally["smuggler_payments"] == 0
    assert broke.tally["arrived_foreign"] > 0  # people were there who could have paid


def test_the_crackdown_makes_smugglers_harder_to_find(fresh_model):
    """From ``policy.start`` the crackdown cuts the monthly chance of finding a smuggler."""
    found = {}
    for crackdown in (0.0, 1.0):
        m = fresh_model({"policy.border_crackdown": crackdown})
        at_month(m, "2018-03")
        add(m, 5000, Role.NOVICE, State.ESCAPING, region=Region.NORTH_AFRICA, funds=50_000.0)
        escape.step(m.world)
        found[crackdown] = m.world.out.total["smuggler_payments"]  # all who find one can pay
    expected = 5000 / m.p.escape.search_months * (1 - m.p.security.detection)
    assert found[0.0] > 0.8 * expected
    assert found[1.0] < 0.5 * found[0.0]


def test_paying_the_smuggler_costs_the_fee(fresh_model):
    # no seizure on arrest: the fee is all that is spent
    m = fresh_model(
        {"escape.amni_smuggler_share": 0.0, "security.detection": 0.0, "prison.seizure_share": 0.0}
    )
    at_month(m, "2016-06")
    idx = add(m, 3000, Role.SETTLER, State.ESCAPING, region=Region.EUROPE_TURKEY, funds=20_000.0)
    escape.step(m.world)
    gone = idx[m.pop.state[idx] != State.ESCAPING]
    fee = m.p.escape.smuggler_fee_usd
    spent = 20_000.0 - m.pop.funds[gone]
    assert len(gone) == m.world.out.total["smuggler_payments"] > 0
    assert np.all((spent >= fee.low - 0.01) & (spent <= fee.high + 0.01))


# ----------------------------------------------------------------------------- security


@pytest.mark.parametrize("enforcement", [0.0, 1.0])
def test_amni_catches_would_be_leavers_only_when_it_can_enforce(fresh_model, enforcement):
    m = fresh_model(
        {"schedules.enforcement": [["2013-01", enforcement]], "security.detection": 0.5}
    )
    at_month(m, "2015-06")
    leavers = add(m, 2000, Role.SETTLER, State.ACTIVE, wish=1.0)
    stayers = add(m, 2000, Role.SETTLER, State.ACTIVE, wish=0.0)
    security.step(m.world)
    caught = np.isin(m.pop.state[leavers], (State.DEAD, State.GROUP_PRISON))
    assert np.all(m.pop.state[stayers] == State.ACTIVE)
    if enforcement == 0.0:
        assert not caught.any()
    else:
        assert abs(caught.sum() - 1000) <= binomial_margin(2000, 0.5)


# ----------------------------------------------------------------------------- prison


def _prisoner_rises(tr: Trace) -> tuple[int, int]:
    """(prisoner-months observed, of which the prisoner's ideology rose)."""
    pairs = rises = 0
    for before, after in tr.pairs():
        both = in_prison(before) & in_prison(after)[: before.n]
        pairs += int(both.sum())
        rises += int(np.count_nonzero(after.ideology[: before.n][both] > before.ideology[both]))
    return pairs, rises


@pytest.mark.parametrize(
    ("overrides", "radicalised"),
    [
        (SHORT, True),
        ({**SHORT, "prison.isolation": 1.0}, False),
        ({**SHORT, "policy.prison_measures": 1.0}, True),
    ],
    ids=["baseline", "complete-isolation", "measures-from-2017-10"],
)
def test_isolated_prisoners_are_not_radicalised(traced_run, overrides, radicalised):
    tr = traced_run(overrides)
    pairs, rises = _prisoner_rises(tr)
    assert pairs > 1000  # enough prisoners were watched
    assert (rises > 0) == radicalised
    if "policy.prison_measures" in overrides:
        # measures act from policy.start only: no rise after it
        late = Trace(tr.model, tr.months[tr.model.policy_from - 1 :])
        assert _prisoner_rises(late)[1] == 0


def test_isolation_stops_ties_forming_in_cells(traced_run):
    open_cells = traced_run(SHORT).model.ties
    isolated = traced_run({**SHORT, "prison.isolation": 1.0}).model.ties
    assert np.count_nonzero(open_cells.kind[: open_cells.m] == tie_kinds.CELL) > 0
    assert np.count_nonzero(isolated.kind[: isolated.m] == tie_kinds.CELL) == 0


def test_prisoners_are_released_when_their_sentence_ends(fresh_model):
    m = fresh_model({"prison.execution": 0.0})
    at_month(m, "2020-01")
    due = add(m, 30, Role.LOCAL_RECRUIT, State.PRISON_HOME, release=m.t)
    later = add(m, 30, Role.LOCAL_RECRUIT, State.PRISON_HOME, release=m.t + 1)
    prison.step(m.world)
    assert np.all(m.pop.state[due] == State.RELEASED)
    assert np.all(m.pop.ever_released[due])
    assert np.all(m.pop.state[later] == State.PRISON_HOME)
    assert not m.pop.ever_released[later].any()


# ----------------------------------------------------------------------------- justice


@pytest.mark.parametrize(
    ("prosecution", "state"), [(1.0, State.PRISON_HOME), (0.0, State.RETURNED)]
)
def test_returnees_are_prosecuted_or_free(fresh_model, prosecution, state):
    m = fresh_model({"justice.prosecution": prosecution})
    at_month(m, "2018-01")
    idx = add(m, 40, Role.NOVICE, State.DETAINED, region=Region.EUROPE_TURKEY)
    justice.arrive_home(m.world, idx)
    assert np.all(m.pop.state[idx] == state)
    assert np.all(m.pop.returned[idx] == m.t)


# ----------------------------------------------------------------------------- hiding


def _hiding_to_prison(tr: Trace) -> list[tuple[int, int, int, bool]]:
    """(from state, to state, region, went home that month) for each move hiding -> prison."""
    moves = []
    for before, after in tr.pairs():
        moved = np.isin(before.state, HIDING) & in_prison(after)[: before.n]
        for i in np.flatnonzero(moved):
            went_home = after.returned[i] == after.t
            moves.append((before.state[i], after.state[i], before.region[i], went_home))
    return moves


def test_detection_catches_people_in_hiding(traced_run):
    locals_caught = [mv for mv in _hiding_to_prison(traced_run(SHORT)) if mv[2] == Region.LOCAL]
    assert len(locals_caught) > 0


def test_without_detection_nobody_in_hiding_is_caught(traced_run):
    assert (
        _hiding_to_prison(traced_run({**SHORT, "hiding.detection": 0.0, "hiding.go_home": 0.0}))
        == []
    )


def test_without_detection_only_those_going_home_reach_prison(traced_run):
    """Foreigners hiding abroad with documents may go home and be prosecuted there."""
    moves = _hiding_to_prison(traced_run({**SHORT, "hiding.detection": 0.0}))
    assert moves  # the go-home path is used
    for before, after, region, went_home in moves:
        assert (before, after) == (State.HIDING_ABROAD, State.PRISON_HOME)
        assert region != Region.LOCAL and went_home


def test_intelligence_sharing_multiplies_detection_after_policy_start(fresh_model):
    m = fresh_model({"policy.intelligence_sharing": 1.0})
    m0 = fresh_model()
    for model in (m, m0):
        at_month(model, "2016-01")
    idx = add(m, 20, Role.VETERAN, State.HIDING_LOCAL, known=True)
    idx0 = add(m0, 20, Role.VETERAN, State.HIDING_LOCAL, known=True)
    before = hiding.detection(m.world, idx)
    assert np.array_equal(before, hiding.detection(m0.world, idx0))
    for model in (m, m0):
        at_month(model, m.p.policy.start)
    gain = 1.0 + m.p.policy.intelligence_gain
    assert hiding.detection(m.world, idx) == pytest.approx(gain * hiding.detection(m0.world, idx0))
    assert np.all(hiding.detection(m.world, idx) > before)


def test_unknown_people_are_harder_to_find(fresh_model):
    m = fresh_model()
    at_month(m, "2019-01")
    known = add(m, 5, Role.AMNI, State.HIDING_LOCAL, known=True)
    unknown = add(m, 5, Role.AMNI, State.HIDING_LOCAL, known=False)
    ratio = hiding.detection(m.world, unknown) / hiding.detection(m.world, known)
    assert ratio == pytest.approx(m.p.hiding.unknown_factor)


# ----------------------------------------------------------------------------- demography


def test_children_come_of_age_in_their_month(fresh_model):
    m = fresh_model()
    at_month(m, "2024-05")
    free_parent = add(m, 1, Role.LOCAL_RECRUIT, State.HIDING_LOCAL, ideology=0.9, loyalty=0.9)
    jailed_parent = add(m, 1, Role.LOCAL_RECRUIT, State.DETAINED, ideology=0.9, loyalty=0.9)
    parents = np.r_[free_parent, jailed_parent, free_parent]
    births = m.world.memory(demography.Births)
    births.parent = parents
    births.month = np.array([m.t, m.t, m.t + 1], dtype=np.int32)
    n = m.pop.n
    demography.step(m.world)
    assert m.pop.n == n + 2 and m.world.out.total["came_of_age"] == 2
    kids = np.arange(n, n + 2)
    assert np.all(m.pop.role[kids] == Role.MINOR)
    assert list(m.pop.state[kids]) == [State.HIDING_LOCAL, State.DETAINED]
    assert list(m.pop.custody[kids]) == [Custody.NONE, Custody.CAMP]
    assert np.all(demography.of_fighting_age(m.world, kids))
    for kid, parent in zip(kids, parents[:2], strict=True):
        assert parent in m.ties.neighbours(kid)


def test_births_come_due_in_the_order_scheduled_across_merges():
    """Births keeps most children in order of month (merged in batches): each month's parents
    are those a pass over every child scheduled finds, in the order scheduled."""
    rng = np.random.default_rng(5)
    births, months, parents = demography.Births(), [], []
    for t in range(120):
        assert births.due(t).tolist() == [q for m, q in zip(months, parents, strict=True) if m == t]
        k = int(rng.integers(0, demography.MERGE_FROM // 3))
        month = (t + 1 + rng.integers(0, 40, k)).astype(np.int32)
        parent = rng.integers(0, 10**6, k)
        births.add(month, parent, t)
        months += month.tolist()
        parents += parent.tolist()
    assert len(births.sorted_month) > 0  # merged at least once


# ----------------------------------------------------------------------------- regroup


@pytest.mark.parametrize(
    ("leader_funds", "regroups"), [(50_000.0, True), (10.0, False)], ids=["funded", "broke"]
)
def test_a_funded_connected_pool_regroups(fresh_model, leader_funds, regroups):
    m = fresh_model({"regroup.critical_mass": 100.0})
    at_month(m, "2020-06")  # the territory is lost
    g = m.p.regroup
    dedicated = {
        "ideology": g.ideology_threshold + 0.1,
        "loyalty": g.loyalty_threshold + 0.1,
        "skill": g.skill_threshold + 0.1,
    }
    leader = add(m, 1, Role.LEADER, State.HIDING_LOCAL, funds=leader_funds)
    pool = add(m, 5, Role.VETERAN, State.HIDING_ABROAD, **dedicated)
    loner = add(m, 3, Role.VETERAN, State.CRIMINAL, **dedicated)
    jailed = add(m, 3, Role.VETERAN, State.PRISON_HOME, **dedicated)
    m.ties.chain(np.r_[leader, pool], np.zeros(6), tie_kinds.UNIT)
    m.ties.add(jailed, np.repeat(leader, 3), tie_kinds.UNIT)
    regrouping.step(m.world)
    t, scale = m.t, m.scale
    assert m.series.pool[t] == (len(pool) + len(loner)) * scale  # free, dedicated, qualified
    assert not m.connected[loner].any() and not m.connected[jailed].any()
    if regroups:
        assert m.connected[pool].all()
        assert m.series.largest_pool[t] == len(pool) * scale
        assert regrouping.memory(m.world).largest_anchor == leader[0]
        assert m.regroup_month == t
    else:
        assert m.series.connected_pool[t] == 0.0
        assert m.regroup_month is None


def test_no_regroup_event_while_the_group_holds_territory(fresh_model):
    m = fresh_model({"regroup.critical_mass": 1.0})
    at_month(m, "2015-06")
    leader = add(m, 1, Role.LEADER, State.HIDING_LOCAL, funds=1e6)
    pool = add(m, 5, Role.VETERAN, State.HIDING_LOCAL, ideology=1.0, loyalty=1.0, skill=1.0)
    m.ties.chain(np.r_[leader, pool], np.zeros(6), tie_kinds.UNIT)
    regrouping.step(m.world)
    assert m.series.largest_pool[m.t] > 0
    assert m.regroup_month is None


def test_the_territory_counts_as_lost_only_after_the_group_held_it(fresh_model):
    """Before the group took territory (its control is below the threshold at the start too)
    nothing that needs the territory lost may start: no regrouping, cells, travel abroad or
    rejoining in the first months."""
    m = fresh_model()
    s, below = m.world.schedule, m.world.lost_below
    lost = []
    for t in range(m.months):
        m.t = t
        lost.append(m.world.territory_lost)
    lost = np.array(lost)
    peak = np.maximum.accumulate(s.control)
    assert s.control[0] < below and not lost[0]  # not yet taken: not lost
    assert np.array_equal(lost, (s.control < below) & (peak >= below))
    assert lost.any() and not lost[s.control >= below].any()


# ----------------------------------------------------------------------------- ownership


def test_each_mechanism_reads_only_its_own_parameter_group():
    from pydantic import BaseModel
    from regroup.core.model import MECHANISMS

    for mech in MECHANISMS:
        source = inspect.getsource(mech)
        own = {
            name
            for name, obj in vars(mech).items()
            if isinstance(obj, type)
            and issubclass(obj, BaseModel)
            and obj.__module__ == mech.__name__
        }
        asked = set(re.findall(r"\.group\((\w+)\)", source))
        assert asked <= own, f"{mech.__name__} reads {asked - own}"
        assert not re.search(r"\b[mw]\.p\.", source), f"{mech.__name__} reads the whole scenario"


def test_fields_and_outputs_are_declared_once_with_a_unit():
    from regroup.core.model import MECHANISMS, RegroupModel
    from regroup.core.population import CORE_FIELDS
    from regroup.core.world import INDEX, PERSONS, USD

    fields, outputs = set(CORE_FIELDS), set()
    for mech in MECHANISMS:
        for name in getattr(mech, "FIELDS", {}):
            assert name not in fields, name
            fields.add(name)
        for name, output in getattr(mech, "OUTPUTS", {}).items():
            assert name not in outputs and output.unit in (PERSONS, USD, INDEX), name
            outputs.add(name)
    m = RegroupModel()
    assert set(m.pop.fields) == fields and set(vars(m.series)) == outputs


def test_the_roster_of_would_be_speakers_misses_nobody(fresh_model, monkeypatch):
    """recruitment keeps a roster of the disillusioned (fed by escape, the one rule that
    makes people so, and by new rows) instead of a pass over every row. Each month its
    answer must be the pass's: disillusioned, in a state they can be heard from, not yet
    spoken. A rule that set a disposition without feeding the roster would fail this."""
    can_speak = membership(State, *recruitment.SPEAKERS)
    answered = []
    look = recruitment.speakers

    def checked(w):
        got = look(w)
        pop, n = w.pop, w.pop.n
        wanted = (pop.disposition[:n] == Disposition.DISILLUSIONED) & ~pop.spoke[:n]
        assert np.array_equal(got, np.flatnonzero(wanted & can_speak.take(pop.state[:n]))), w.t
        answered.append(len(got))
        return got

    monkeypatch.setattr(recruitment, "speakers", checked)
    fresh_model().run()
    assert len(answered) > 100 and sum(answered) > 0


def test_the_roster_of_those_held_in_camps_misses_nobody(fresh_model, monkeypatch):
    """camps keeps a roster of those held in a camp (fed by camps.detain, the one rule that
    sends people there, and by new rows: children born in a camp) instead of a pass over
    every row. Each month its answer must be the pass's: DETAINED in custody CAMP, in row
    order. A rule that sent people to a camp without camps.detain would fail this."""
    answered = []
    look = camps.Held.update

    def checked(self, pop):
        got = look(self, pop)
        n = pop.n
        wanted = (pop.state[:n] == State.DETAINED) & (pop.custody[:n] == Custody.CAMP)
        assert np.array_equal(got, np.flatnonzero(wanted))
        answered.append(len(got))
        return got

    monkeypatch.setattr(camps.Held, "update", checked)
    fresh_model().run()
    assert len(answered) > 100 and max(answered) > 0


def test_the_roster_of_prisoners_misses_nobody(fresh_model, monkeypatch):
    """prison keeps its roster of those serving a sentence, brought up to date in place (fed
    by prison.admit, the one rule that imprisons, and by new rows) instead of a pass over
    every row. Each month the roster must be the pass's: in prison at home, or DETAINED in a
    prison, in row order. A wrong merge of the admitted into the kept would fail this."""
    answered = []
    serve = prison._serve

    def checked(roster, count, fresh, seen, n, t, state, custody, *rest):
        home = state[:n] == State.PRISON_HOME
        wanted = np.flatnonzero(
            home | ((state[:n] == State.DETAINED) & (custody[:n] == Custody.PRISON))
        )
        count, released, regional = serve(roster, count, fresh, seen, n, t, state, custody, *rest)
        assert np.array_equal(roster[:count], wanted), t
        answered.append(count)
        return count, released, regional

    monkeypatch.setattr(prison, "_serve", checked)
    fresh_model().run()
    assert len(answered) > 100 and max(answered) > 0


@pytest.mark.parametrize("years", [15.0, 14.3, 15.7, 16.1])
def test_born_by_for_the_run_is_born_by_each_month(fresh_model, years):
    """demography.born_by_month (kept for a run by upbringing) gives each month what
    demography.born_by gives in that month, for fighting ages whose months are not whole."""
    m = fresh_model({"population.fighting_age_years": years})
    table = demography.born_by_month(m.world)
    assert table.dtype == np.int16 and len(table) == m.world.months
    for t in range(m.world.months):
        m.t = t
        assert table[t] == demography.born_by(m.world), t


def camp_month_numpy(held, region, entered, ideology, loyalty, funds, t, radicalisation, zeal,
                     fee, loyal_from):  # fmt: skip
    """camps._camp_month as NumPy states it: the annexes' mixes by np.bincount (float64 sums in
    row order of float32 terms), the pull within 0-1, then those able to leave."""
    annex = (region[held] != Region.LOCAL).astype(np.intp)
    x, y = ideology[held], loyalty[held]
    weight = np.float32(1.0) + zeal * x
    total = np.maximum(np.bincount(annex, weight, minlength=2), 1e-12)
    for values, v in ((ideology, x), (loyalty, y)):
        mix = np.bincount(annex, weight * v, minlength=2) / total
        pulled = v.astype(np.float64) + radicalisation * (mix[annex] - v)
        values[held] = np.minimum(np.maximum(pulled, 0.0), 1.0)
    able = (entered[held] < t) & ((funds[held] >= fee) | (loyalty[held] >= loyal_from))
    return held[able]


@pytest.mark.parametrize("size", [0, 1, 2, 50, 3000])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_month_in_the_camps_is_the_numpy_statement(size, seed):
    """camps._camp_month (six scalar sums, one pass to pull and select) gives the bits of its
    NumPy statement, on random members held (some rows, or all of them) and a row or none."""
    rng = np.random.default_rng(seed)
    n = 4000
    region = rng.integers(0, 6, n).astype(np.int8) * (rng.random(n) < 0.6)
    entered = rng.integers(0, 12, n).astype(np.int16)
    ideology, loyalty = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    funds = (rng.random(n) * 5000).astype(np.float32)
    held = np.sort(rng.choice(n, size, replace=False)) if size < 3000 else np.arange(n)
    args = (np.int64(6), 0.03, np.float32(2.0), np.float32(2500.0), np.float32(0.7))
    i2, l2 = ideology.copy(), loyalty.copy()
    want = camp_month_numpy(held, region, entered, i2, l2, funds, *args)
    able = np.empty(n, dtype=np.intp)
    m = camps._camp_month(held, region, entered, ideology, loyalty, funds, *args, able)
    assert np.array_equal(able[:m], want)
    assert ideology.tobytes() == i2.tobytes() and loyalty.tobytes() == l2.tobytes()


def push_numpy(active, role, region, wish, loyalty, ideology, sensitivity, factor, narratives,
               loss, war, despair, loyalty_loss, ideology_loss, entered, t, threshold):  # fmt: skip
    """disillusionment._push as NumPy states it: the narratives on the disloyal in float32,
    the rest of the push in float64 by role and region, the wish up to 1 and loyalty and
    ideology down to 0 stored as float32; then the would-be leavers."""
    r = role[active]
    leader = np.arange(len(CIVILIAN)) == Role.LEADER
    by_role = CIVILIAN.astype(np.float64) * war + leader * despair
    disloyal = narratives * (np.float32(1.0) - loyalty[active])  # float32
    push = sensitivity[r] * (disloyal.astype(np.float64) + loss) + by_role[r]
    push *= factor[region[active]]
    wish[active] = np.minimum(1.0, wish[active] + push)
    loyalty[active] = np.maximum(loyalty[active] - loyalty_loss * push, 0.0)
    ideology[active] = np.maximum(ideology[active] - ideology_loss * push, 0.0)
    return active[(wish[active] >= threshold) & (entered[active] < t)]


@pytest.mark.parametrize("size", [0, 1, 2, 50, 3000])
@pytest.mark.parametrize("despair", [0.0, 0.05])
def test_the_push_to_leave_is_the_numpy_statement(size, despair):
    """disillusionment._push (the push's pass, then the would-be leavers' pass) gives the bits
    of its NumPy statement and the same leavers, on random members in the territory (some
    rows, all of them, one or none)."""
    rng = np.random.default_rng(size + 7)
    n = 3000
    role = rng.integers(0, len(Role), n).astype(np.int8)
    region = rng.integers(0, len(Region), n).astype(np.int8)
    wish, loyalty, ideology = (rng.random(n, dtype=np.float32) for _ in range(3))
    entered = rng.integers(0, 12, n).astype(np.int16)
    active = np.sort(rng.choice(n, size, replace=False)) if size < n else np.arange(n)
    sensitivity, factor = rng.random(len(Role)) * 2, rng.random(len(Region)) * 3
    args = (sensitivity, factor, np.float32(0.3), 0.02, 0.04, despair, 0.5, 0.1, entered, 6)
    threshold = np.float32(0.5)
    copies = wish.copy(), loyalty.copy(), ideology.copy()
    want = push_numpy(active, role, region, *copies, *args, threshold)
    got = disillusionment._push(
        active.view(np.uint64), role, region, wish, loyalty, ideology, *args, threshold
    )
    assert np.array_equal(got, want)
    for mine, theirs in zip((wish, loyalty, ideology), copies, strict=True):
        assert mine.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("size", [0, 1, 50, 2000])
@pytest.mark.parametrize("sent", [0, 1, 30])
def test_the_camps_roster_is_the_numpy_selection(size, sent):
    """camps._roster (a plain pass over the last roster when nobody was sent, the merge
    otherwise) gives the rows DETAINED in a camp among the last roster, those sent (sorted,
    repeats allowed, some among the new rows) and the new rows, as NumPy selects them."""
    rng = np.random.default_rng(size + sent)
    n, seen = 2500, 2000
    state = np.where(rng.random(n) < 0.7, State.DETAINED, State.ACTIVE).astype(np.int8)
    custody = np.where(rng.random(n) < 0.8, Custody.CAMP, Custody.PRISON).astype(np.int8)
    rows = np.sort(rng.choice(seen, size, replace=False)) if size < seen else np.arange(seen)
    sent_rows = np.sort(rng.integers(0, n, sent)).astype(np.intp)
    got = camps._roster(rows, sent_rows, seen, n, state, custody)
    candidates = np.union1d(np.union1d(rows, sent_rows), np.arange(seen, n))
    held = (state[candidates] == State.DETAINED) & (custody[candidates] == Custody.CAMP)
    assert np.array_equal(got, candidates[held])


def test_theatres_join_moves_the_arrivals_and_partners_are_as_world_integers():
    """theatres' arrival in one call: the arrivals moved as Population.move moves them (place,
    state, month, custody, tally), those drawn below the share join (flag set, others
    cleared); a partner each as World.integers draws (random rows, one row, no row)."""
    rng = np.random.default_rng(6)
    n = 2000
    fields = {
        "place": rng.integers(0, 5, n).astype(np.int8),
        "state": rng.integers(0, len(State), n).astype(np.int8),
        "entered": rng.integers(0, 40, n).astype(np.int16),
        "custody": rng.integers(0, len(Custody), n).astype(np.int8),
        "affiliated": rng.random(n) < 0.5,
    }
    tally = np.zeros((2, len(State)), dtype=np.int64)
    tally[0] = np.bincount(fields["state"], minlength=len(State))
    every = np.arange(n, dtype=np.intp)
    for idx in (np.flatnonzero(rng.random(n) < 0.3), every[:1], every[:0]):
        u = rng.random(len(idx))
        got = {k: v.copy() for k, v in fields.items()}
        got_tally = tally.copy()
        joining = theatres._join(
            idx, u, 0.4, got["affiliated"], int(Place.LIBYA), 41, got["place"], got["state"],
            got["entered"], got["custody"], got_tally,
        )  # fmt: skip
        want = {k: v.copy() for k, v in fields.items()}
        want_tally = tally.copy()
        want["place"][idx] = Place.LIBYA
        move_rows(
            idx, int(State.REMOBILISED), 41, int(Custody.NONE), want["state"], want["entered"],
            want["custody"], want_tally,
        )  # fmt: skip
        want["affiliated"][idx] = u < 0.4
        assert np.array_equal(joining, idx[u < 0.4])
        assert np.array_equal(got_tally, want_tally)
        for k in fields:
            assert np.array_equal(got[k], want[k])
    there = rng.permutation(n)[:300].astype(np.intp)
    for k in (0, 1, 500):
        v = rng.random(k)
        assert np.array_equal(theatres._partners(there, v), there[(v * len(there)).astype(np.intp)])
