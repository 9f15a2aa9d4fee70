"""Escape's and arrivals' compiled splits against the NumPy steps they replace (the same
rows, in the same order)."""

from __future__ import annotations

import numpy as np
from regroup.core.states import Region
from regroup.core.world import distinct
from regroup.mechanisms.arrivals import _drawn
from regroup.mechanisms.escape import _at_border, _go_home, _on_foot, _smugglers, _split


def test_the_border_splits_as_numpy_selects():
    rng = np.random.default_rng(3)
    region = rng.integers(0, len(Region), 500).astype(np.int8)
    share = rng.random(len(Region))
    idx = np.sort(rng.choice(500, 200, replace=False)).astype(np.intp)
    u, v = rng.random(len(idx)), rng.random(len(idx))
    captured = u < 0.4
    is_local = region == Region.LOCAL
    taken, free = idx[captured], idx[~captured]
    foreign = free[~is_local[free]]
    home = v[: len(foreign)] < share[region[foreign]]

    at_border, n_taken, local_taken, foreign_free = _at_border(idx, u, 0.4, region)
    away, n_home = _go_home(at_border[n_taken:], v[:foreign_free], share, region)

    assert n_taken == len(taken) and foreign_free == len(foreign)
    assert np.array_equal(at_border[:local_taken], taken[is_local[taken]])
    assert np.array_equal(at_border[local_taken:n_taken], taken[~is_local[taken]])
    assert np.array_equal(away[:n_home], foreign[home])
    stay = np.concatenate((foreign[~home], free[is_local[free]]))
    assert np.array_equal(away[n_home:], stay)


def test_a_draw_from_each_pool_is_as_world_integers():
    rng = np.random.default_rng(4)
    pools = rng.integers(0, 1000, 50).astype(np.intp)
    start = rng.integers(0, 40, 30)
    size = rng.integers(1, 11, 30)
    u = rng.random(30)
    expected = pools[start + (u * size).astype(np.intp)]
    assert np.array_equal(_drawn(pools, np.stack((start, size)), u), expected)


def test_smugglers_pick_charge_and_split_as_chance_uniform_and_numpy():
    """The searchers who find a smuggler (World.chance's pick), the fee each is asked (as
    Generator.uniform draws it from the same numbers), those who cannot pay and those who
    pay (funds debited as NumPy's ``funds[paid] -= fee``); many, one, every one, none."""
    rng = np.random.default_rng(6)
    n = 4000
    funds = (rng.random(n) * 16000).astype(np.float32)
    esc = np.sort(rng.choice(n, 900, replace=False)).astype(np.intp)
    for rows, k in ((esc, 120), (esc, 1), (esc, len(esc)), (esc[:1], 1), (esc[:0], 0)):
        state = rng.bit_generator.state
        u = rng.random(2 * k)
        rng.bit_generator.state = state  # the same numbers as World.chance, then uniform
        found = rows[distinct(rng.random(k), len(rows))]
        fee = rng.uniform(7000.0, 10000.0, k)
        want = funds.copy()
        pays = want[found] >= fee
        want[found[pays]] -= fee[pays]
        got = funds.copy()
        stuck, paid = _smugglers(rows, u, 7000.0, 3000.0, got)
        assert np.array_equal(stuck, found[~pays]) and np.array_equal(paid, found[pays])
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_on_foot_picks_and_splits_as_chance_and_numpy():
    """Those who try on foot (World.chance's pick of the first half of the numbers) split by
    the second half: below the detection caught, the others on (many, one, all, none)."""
    rng = np.random.default_rng(7)
    poor = np.sort(rng.choice(5000, 700, replace=False)).astype(np.intp)
    for rows, k in ((poor, 90), (poor, 1), (poor, len(poor)), (poor[:1], 1), (poor[:0], 0)):
        u = rng.random(2 * k)
        tried = rows[distinct(u[:k], len(rows))]
        hit = u[k:] < 0.3
        caught, free = _on_foot(rows, u, 0.3)
        assert np.array_equal(caught, tried[hit]) and np.array_equal(free, tried[~hit])


def test_split_is_numpy_masks():
    rng = np.random.default_rng(8)
    rows = np.sort(rng.choice(5000, 600, replace=False)).astype(np.intp)
    for part in (rows, rows[:1], rows[:0]):
        u = rng.random(len(part))
        below, rest = _split(part, u, 0.25)
        assert np.array_equal(below, part[u < 0.25]) and np.array_equal(rest, part[~(u < 0.25)])
