"""The whole model: bookkeeping invariants month by month, the Mesa agents, the outputs."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.core.states import HIDING_STATES, Region, Role, State
from regroup.results.outcomes import CALIBRATION, OUTCOMES, indicators, outcome_row, timeseries

APPEARING = ("arrived_foreign", "arrived_local", "came_of_age", "new_recruits")


def test_the_run_covers_every_month(baseline_trace):
    m = baseline_trace.model
    assert [s.t for s in baseline_trace.months] == list(range(m.months))
    assert not m.running and m.t == m.months - 1
    assert m.months == 12 * (2032 - 2013 + 1)


def test_every_person_is_in_exactly_one_state_each_month(baseline_trace):
    m = baseline_trace.model
    valid = [s.value for s in State if s != State.PENDING]
    for snap in baseline_trace.months:
        assert np.isin(snap.state, valid).all(), f"month {snap.t}: a state outside the model"
        by_state = m.counts[snap.t].sum(axis=(1, 2))
        assert by_state[State.PENDING] == 0
        assert by_state.sum() == pytest.approx(snap.n * m.scale)
        assert by_state == pytest.approx(np.bincount(snap.state, minlength=len(State)) * m.scale)


def test_people_appear_only_by_arrival_coming_of_age_or_recruitment(baseline_trace):
    previous_n, previous = 0, 0.0
    kinds = {k: 0.0 for k in APPEARING}
    for snap in baseline_trace.months:
        appeared = sum(snap.tally[k] for k in APPEARING)
        assert snap.n - previous_n == appeared - previous, f"month {snap.t}"
        previous_n, previous = snap.n, appeared
        kinds = {k: snap.tally[k] for k in APPEARING}
    # every way of appearing was exercised over the run
    assert all(v > 0 for k, v in kinds.items() if k != "new_recruits"), kinds


def test_the_dead_stay_dead(baseline_trace):
    for before, after in baseline_trace.pairs():
        dead = before.state == State.DEAD
        assert np.all(after.state[: before.n][dead] == State.DEAD), f"month {after.t}"


def test_locals_never_return_home_from_abroad(baseline_trace):
    """Returning home and prison at home are for foreigners; locals stay in the region."""
    last = baseline_trace.months[-1]
    local = last.region == Region.LOCAL
    ever_home = np.zeros(last.n, dtype=bool)
    for snap in baseline_trace.months:
        ever_home[: snap.n] |= np.isin(snap.state, (State.RETURNED, State.PRISON_HOME))
    assert ever_home[~local].any()
    assert not ever_home[local].any()
    assert np.all(last.returned[local] == -1)


# ----------------------------------------------------------------------------- agents


@pytest.fixture(scope="module")
def short_model():
    """A model of its own (tests here may change it), run to the end of 2015."""
    from conftest import small
    from regroup.core.model import RegroupModel

    return RegroupModel(small({"time.end": "2015-12"}), seed=7).run()


def test_every_person_is_a_mesa_agent(short_model):
    m = short_model
    n = m.pop.n
    assert n > 100
    assert len(m.members) == n == len(m.agents)
    assert [a.index for a in m.members] == list(range(n))
    assert len({a.unique_id for a in m.agents}) == n


def test_a_member_reflects_the_arrays(short_model):
    m = short_model
    pop = m.pop
    members = m.members
    assert [a.state for a in members] == [State(s) for s in pop.view("state")]
    assert [a.role for a in members] == [Role(r) for r in pop.view("role")]
    assert [a.region for a in members] == [Region(r) for r in pop.view("region")]
    assert [a.origin for a in members] == [
        "local" if r == Region.LOCAL else "foreign" for r in pop.view("region")
    ]
    assert np.array_equal([a.ideology for a in members], pop.view("ideology"))
    assert np.array_equal([a.loyalty for a in members], pop.view("loyalty"))
    assert np.array_equal([a.skill for a in members], pop.view("skill"))
    assert np.array_equal([a.funds for a in members], pop.view("funds"))
    assert [a.known for a in members] == list(pop.view("known"))
    assert [a.documents for a in members] == list(pop.view("documents"))


def test_a_members_ties_are_its_neighbours_in_the_graph(short_model):
    m = short_model
    src, dst = m.ties.edges
    assert len(src) > 0
    for i in np.unique(src)[:50]:
        agent = m.members[int(i)]
        expected = set(dst[src == i]) | set(src[dst == i])
        assert {a.index for a in agent.ties} == expected
        assert all(a.model is m for a in agent.ties)


def test_a_member_is_a_live_view(short_model):
    m = short_model
    agent = m.members[3]
    m.pop.loyalty[3] = 0.125
    m.pop.move(np.array([3]), State.CRIMINAL, m.t)
    assert agent.loyalty == 0.125
    assert agent.state == State.CRIMINAL
    text = repr(agent)
    assert agent.role.label in text and "criminal" in text and "loyalty=0.12" in text


# ----------------------------------------------------------------------------- outputs


def test_outcome_row_counts_the_final_month(baseline_trace):
    m = baseline_trace.model
    row = outcome_row(m)
    assert list(row) == [*OUTCOMES, *CALIBRATION]
    end = m.counts[-1]
    assert row["killed_total"] == pytest.approx(end[State.DEAD].sum())
    assert row["killed_foreign"] == pytest.approx(end[State.DEAD, :, 1].sum())
    assert row["hiding_end"] == pytest.approx(end[list(HIDING_STATES)].sum())
    assert row["criminal_end"] == pytest.approx(end[State.CRIMINAL].sum())
    held = end[State.DETAINED].sum() + end[State.PRISON_HOME].sum()
    assert row["detained_end"] == pytest.approx(held)
    assert row["foreign_total"] == m.tally["arrived_foreign"]
    assert row["killed_total"] >= row["killed_foreign"] > 0
    assert row["regroup_pool_peak"] >= row["regroup_pool_end"] >= 0
    assert row["regrouped"] == (not math.isnan(row["regroup_year"]))
    if row["regrouped"]:
        assert 2013 <= row["regroup_year"] <= 2032


def test_timeseries_and_indicators_cover_every_month(baseline_trace):
    m = baseline_trace.model
    ts = timeseries(m)
    per_month = ts.groupby("month", observed=False)["persons"].sum().to_numpy()
    assert per_month == pytest.approx(m.counts.sum(axis=(1, 2, 3)))
    assert set(ts["state"].unique()) <= {s.label for s in State if s != State.PENDING}
    ind = indicators(m)
    assert len(ind) == m.months
    assert ind["month"].iloc[0] == "2013-01" and ind["month"].iloc[-1] == "2032-12"
    regions = [f"pool_{r.label}" for r in Region]
    assert ind[regions].sum(axis=1).to_numpy() == pytest.approx(ind["pool"].to_numpy())


def test_a_loop_of_replicates_frees_each_finished_model(monkeypatch):
    """A sweep's replicates (``run_replicate``) leave no finished model alive: Mesa's models
    kept Mesa's step wrapper, a reference cycle that reference counting alone never frees
    (up to nine stayed alive, until a full collection); and a finished model's step does
    nothing."""
    from regroup.experiments import runner

    made = []

    class Recorded(RegroupModel):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(runner, "RegroupModel", Recorded)
    scenario = with_overrides(Scenario(), {"population.scale": 200.0})
    gc.collect()
    for seed in range(6):
        runner.run_replicate(scenario, seed)
        assert [r() for r in made] == [None] * (seed + 1)
    model = RegroupModel(scenario, seed=0).run()
    before = model.agent_counts.copy()
    model.step()
    assert model.steps == model.months and np.array_equal(model.agent_counts, before)


def test_the_counts_kept_from_changed_rows_equal_a_count_of_every_row():
    """``_count`` changes last month's tables by the rows whose codes changed (a few, many,
    none, rows added, the population grown past its buffers): each month's three tables equal
    a count of every row."""
    from regroup.core.model import N_PLACES, N_REGIONS, N_ROLES, N_STATES, Counted, _count
    from regroup.core.population import Population

    rng = np.random.default_rng(8)
    pop, memory, months = Population(capacity=5), Counted(), 12
    out = np.zeros((months, N_STATES, N_ROLES, 2), dtype=np.int32)
    by_place = np.zeros((months, N_STATES, N_PLACES), dtype=np.int32)
    by_origin = np.zeros((months, N_STATES, N_REGIONS), dtype=np.int32)
    codes = {"state": N_STATES, "role": N_ROLES, "region": N_REGIONS, "place": N_PLACES}
    for t in range(months):
        k = int(rng.choice([0, 1, 3, 50]))
        pop.add(k, **{name: rng.integers(0, size, k) for name, size in codes.items()})
        for name, size in codes.items():  # none, one, some or every row changed
            rows = rng.choice(pop.n, int(rng.choice([0, 1, pop.n // 5, pop.n])))
            pop.view(name)[rows] = rng.integers(0, size, len(rows))
        keys = memory.fit(pop)
        _count(pop.state, pop.role, pop.region, pop.place, pop.n, keys.key, keys.now, t, out,
               by_place, by_origin)  # fmt: skip
        state, role, region, place = (pop.view(name) for name in codes)
        expected = np.zeros((N_STATES, N_ROLES, 2), dtype=np.int32)
        np.add.at(expected, (state, role, (region != Region.LOCAL).astype(int)), 1)
        assert np.array_equal(out[t], expected)
        expected = np.zeros((N_STATES, N_PLACES), dtype=np.int32)
        np.add.at(expected, (state, place), 1)
        assert np.array_equal(by_place[t], expected)
        expected = np.zeros((N_STATES, N_REGIONS), dtype=np.int32)
        np.add.at(expected, (state, region), 1)
        assert np.array_equal(by_origin[t], expected)
