"""What the speed-ups rely on: members become ordinary registered Mesa agents when first asked
for, a finished model can be freed (memory stays flat over many runs), and the fast helpers give the
answers of the plain NumPy/SciPy code they replace."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace

import mesa
import numpy as np
import pytest
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.core.population import Member, Population
from regroup.core.states import FREE_STATES, State, membership
from regroup.core.ties import Ties, union_find
from regroup.core.world import World, distinct
from regroup.mechanisms import prison
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.stats import chisquare


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


def test_agents_are_made_when_first_asked_for_and_keep_up_with_new_members():
    model = small()
    for _ in range(12):
        model.step()
    assert len(mesa.Model.agents.fget(model)) == 0  # Mesa's own registry: nothing made yet
    n = model.pop.n
    assert n > 0 and len(model.agents) == n
    for _ in range(12):
        model.step()
    assert model.pop.n > n and len(model.agents) == model.pop.n
    ids = sorted(a.unique_id for a in model.agents)
    assert ids == list(range(1, model.pop.n + 1))  # ids continue, one per row
    extra = Member(model, 0)
    assert extra.unique_id == model.pop.n + 1
    assert extra in model.agents and extra in model.agents_by_type[Member]


def test_a_finished_model_is_freed():
    model = small().run()
    ref = weakref.ref(model)
    assert model not in mesa.Agent._ids
    del model
    gc.collect()
    assert ref() is None


def test_union_find_matches_scipy_components_with_first_member_labels():
    rng = np.random.default_rng(7)
    for k, m in ((1, 0), (50, 0), (200, 150), (2000, 1900), (2000, 4000)):
        a, b = rng.integers(0, k, m), rng.integers(0, k, m)
        labels = union_find(k, a, b)
        graph = sparse.coo_matrix((np.ones(m), (a, b)), shape=(k, k))
        _, expected = connected_components(graph, directed=False)
        # the same partition ...
        pairs = np.unique(np.c_[labels, expected], axis=0)
        assert len(pairs) == len(np.unique(labels)) == len(np.unique(expected))
        # ... labelled by each component's smallest node
        first = np.full(k, k)
        np.minimum.at(first, expected, np.arange(k))
        assert np.array_equal(labels, first[expected])


def test_ties_among_a_shrinking_set_match_a_fresh_filter():
    rng = np.random.default_rng(8)
    ties = Ties()
    ties.add(rng.integers(0, 500, 3000), rng.integers(0, 500, 3000), 1)
    wide = rng.random(500) < 0.6
    narrow = wide & (rng.random(500) < 0.5)
    other = rng.random(500) < 0.5  # not inside ``wide``
    for inside in (wide, narrow, other, narrow):
        src, dst = ties.among(inside)
        all_src, all_dst = ties.edges
        keep = inside[all_src] & inside[all_dst]
        assert np.array_equal(src, all_src[keep]) and np.array_equal(dst, all_dst[keep])
    ties.add(np.array([1, 2]), np.array([3, 4]), 1)  # new ties: filtered from all again
    src, _ = ties.among(narrow)
    assert len(src) == np.count_nonzero(narrow[ties.edges[0]] & narrow[ties.edges[1]])
    grown = np.r_[narrow, True]  # a new member without ties
    src, _ = ties.among(grown)
    assert len(src) == np.count_nonzero(grown[ties.edges[0]] & grown[ties.edges[1]])


def test_population_mask_and_where_match_isin_through_moves_and_additions():
    """The selections for month t (rows grouped by state once a month, each grouping brought
    up to date from the last) stay right while people move and join during the month, and
    from one month to the next."""
    pop = Population(capacity=64)
    rng = np.random.default_rng(9)
    pop.add(1000, state=rng.integers(0, len(State), 1000), entered=rng.integers(0, 20, 1000))
    for t in (20, 20, 20, 21, 21, 23, 23, 23, 24, 25, 26):
        # from the groups (one state, two), from every row (many states, the dead: not grouped)
        for states in (
            (State.ACTIVE,),
            (State.HIDING_LOCAL, State.REMOBILISED),
            (State.DEAD,),
            FREE_STATES,
            (State.DEAD, State.DETAINED),
        ):
            expected = np.isin(pop.view("state"), states)
            assert np.array_equal(pop.mask(*states), expected)
            assert np.array_equal(pop.where(*states), np.flatnonzero(expected))
            before = expected & (pop.view("entered") < t)
            assert np.array_equal(pop.mask(*states, t=t), before)
            assert np.array_equal(pop.where(*states, t=t), np.flatnonzero(before))
            assert pop.count(*states) == np.count_nonzero(expected)
        moved = rng.choice(pop.n, 40)  # repeats; some moved back where they were
        pop.move(moved, State(int(rng.integers(1, len(State)))), t)
        k = int(rng.integers(0, 50))
        pop.add(k, state=rng.integers(0, len(State), k), entered=rng.integers(0, t + 1, k))


def test_prison_cells_group_like_unique():
    rng = np.random.default_rng(10)
    facility = rng.integers(0, 7, 3000) * prison.HOME_FACILITY
    for high in (5, 400, 20_000):  # the last does not fit 16-bit keys
        cell = (facility + rng.integers(0, high, 3000)).astype(np.int32)
        order, group, start, size = prison.cells(cell)
        labels, inverse = np.unique(cell, return_inverse=True)
        assert np.array_equal(group, inverse)
        assert np.array_equal(order, np.argsort(inverse, kind="stable"))
        assert np.array_equal(size, np.bincount(inverse))
        assert np.array_equal(cell[order[start]], labels)


def test_membership_tables_match_isin():
    values = np.random.default_rng(11).integers(0, len(State), 500).astype(np.int8)
    codes = (State.DETAINED, State.PRISON_HOME, State.ACTIVE)
    assert np.array_equal(membership(State, *codes).take(values), np.isin(values, codes))


class Draws(SimpleNamespace):
    """World's draws with a generator of the test's own (they read nothing else of it)."""

    how_many = World.how_many
    few_of = World.few_of


def few_of(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return Draws(rng=rng).few_of(n, p)


@pytest.mark.parametrize(("n", "p"), [(0, 0.1), (50, 0.0), (1, 1.0), (1000, 0.003), (5000, 0.2)])
def test_how_many_then_one_call_draws_as_few_of_then_a_draw(n, p):
    """A rule that picks who inside its own kernel (reintegration, theatres: ``how_many``,
    then one call for the positions' and the thinning's uniform numbers, the positions
    ``distinct`` of the first ``k``) takes ``few_of``'s positions, then the numbers of a
    draw of as many, and leaves the generator where they do; with nobody, or a
    probability of 0, nothing is drawn."""
    for seed in range(5):
        old = Draws(rng=np.random.default_rng(seed))
        chosen = old.few_of(n, p)
        thin = old.rng.random(len(chosen))
        new = Draws(rng=np.random.default_rng(seed))
        k = new.how_many(n, p)
        u = new.rng.random(2 * k)
        assert np.array_equal(distinct(u[:k], n), chosen)
        assert np.array_equal(u[k:], thin)
        assert new.rng.random() == old.rng.random()  # the generator left in the same state
    if n == 0 or p == 0.0:
        untouched = Draws(rng=np.random.default_rng(1))
        assert untouched.how_many(n, p) == 0
        assert untouched.rng.random() == np.random.default_rng(1).random()


@pytest.mark.parametrize(("n", "k"), [(100, 5), (40_000, 300), (2_000, 300), (300, 300)])
def test_distinct_positions_are_floyds_in_order(n, k):
    """``distinct`` takes the positions Floyd's algorithm takes (written plainly here) and
    returns them in order, whichever way it keeps and orders them: looked up among a few,
    flagged then sorted, or flagged then read off the flags."""
    u = np.random.default_rng(n + k).random(k)
    taken: list[int] = []
    for q in range(k):
        top = n - k + q
        i = min(int(u[q] * (top + 1)), top)
        taken.append(top if i in taken else i)
    assert np.array_equal(distinct(u, n), np.sort(taken))


def test_integers_are_uniform_below_their_bounds_from_one_draw_each():
    """``World.integers`` draws each value uniformly below its bound (one bound for ``k``,
    or one each), from one uniform number each: the values' frequencies (chi-squared), the
    largest value just below the bound, and the stream left as after ``k`` uniform numbers."""
    for high in (1, 2, 7, 37):
        ours, numpy = np.random.default_rng(5), np.random.default_rng(5)
        x = World.integers(SimpleNamespace(rng=ours), high, 20_000)
        assert x.min() >= 0 and x.max() == high - 1
        if high > 1:
            assert chisquare(np.bincount(x, minlength=high)).pvalue > 1e-3
        numpy.random(20_000)
        assert ours.random() == numpy.random()
    bounds = np.repeat(np.arange(1, 6, dtype=np.int64), 20_000)
    x = World.integers(SimpleNamespace(rng=np.random.default_rng(6)), bounds)
    assert np.all((x >= 0) & (x < bounds))
    for b in range(2, 6):
        assert chisquare(np.bincount(x[bounds == b], minlength=b)).pvalue > 1e-3
    assert len(World.integers(SimpleNamespace(rng=np.random.default_rng(7)), 3, 0)) == 0
