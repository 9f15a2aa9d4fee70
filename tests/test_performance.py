"""What the speed-ups rely on: bulk-created members are ordinary registered Mesa agents, and a
finished model can be freed (memory stays flat over many runs)."""

from __future__ import annotations

import gc
import weakref

import mesa
import numpy as np
from regroup.model import RegroupModel
from regroup.population import Member, Population
from regroup.scenario import with_overrides
from regroup.schema import Scenario
from regroup.states import FREE_STATES, State


def small(seed: int = 3) -> RegroupModel:
    scenario = with_overrides(Scenario(), {"population.scale": 200, "time.end": "2018-12"})
    return RegroupModel(scenario, seed=seed)


def test_members_are_registered_mesa_agents_one_per_row():
    model = small().run()
    n = model.pop.n
    assert n > 100
    assert len(model.agents) == len(model.agents_by_type[Member]) == len(model.members) == n
    assert [a.index for a in model.members] == list(range(n))
    assert sorted(a.unique_id for a in model.agents) == list(range(1, n + 1))
    assert all(a.model is model and a.pos is None for a in model.members)
    states = model.pop.state[:n]
    assert [a.state for a in model.members[:50]] == [State(s) for s in states[:50]]


def test_agents_created_one_by_one_continue_the_ids():
    model = small()
    model.step()
    n = model.pop.n
    extra = Member(model, 0)
    assert extra.unique_id == n + 1
    assert extra in model.agents and extra in model.agents_by_type[Member]


def test_a_finished_model_is_freed():
    model = small().run()
    ref = weakref.ref(model)
    assert model not in mesa.Agent._ids
    del model
    gc.collect()
    assert ref() is None


def test_population_mask_matches_isin():
    pop = Population(capacity=64)
    rng = np.random.default_rng(9)
    pop.add(1000, state=rng.integers(0, len(State), 1000), entered=rng.integers(0, 20, 1000))
    for states in ((State.ACTIVE,), FREE_STATES, (State.DEAD, State.DETAINED)):
        expected = np.isin(pop.view("state"), states)
        assert np.array_equal(pop.mask(*states), expected)
        later = expected & (pop.view("entered") < 10)
        assert np.array_equal(pop.where(*states, t=10), np.flatnonzero(later))
