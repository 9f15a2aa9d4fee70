"""Escape's and arrivals' compiled splits against the NumPy steps they replace (the same
rows, in the same order)."""

from __future__ import annotations

import numpy as np
from regroup.core.states import Region
from regroup.mechanisms.arrivals import _drawn
from regroup.mechanisms.escape import _at_border, _go_home


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
