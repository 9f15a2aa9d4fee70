"""Regrouping's compiled count records what NumPy would: each row's kind and the lists
:func:`_sort_rows` makes, and its float32 sums of the pool's funds, ideology and loyalty are
NumPy's to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.core.states import COMMANDING, FREE, OTHER_THEATRES, Role, State
from regroup.mechanisms.regrouping import (
    N_PLACES,
    N_REGIONS,
    OUTPUTS,
    Counting,
    _float32_sum,
    _sort_rows,
)


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 127, 128, 129, 136, 1000, 4099, 70_001])
def test_float32_sums_are_numpys_to_the_bit(size):
    rng = np.random.default_rng(size)
    values = rng.lognormal(3.0, 3.0, 100_000).astype(np.float32)  # spread: rounding matters
    rows = np.sort(rng.choice(len(values), size, replace=False)).astype(np.intp)
    expected = values[rows].sum()
    found = np.float32(_float32_sum(values, rows.view(np.uint64)))
    assert found.tobytes() == expected.tobytes()


CAPACITY, MONTHS, T = 2_000, 5, 3


def people(rng):
    """A population's arrays as :class:`Counting` holds them, drawn at random."""
    n = CAPACITY
    return (
        rng.integers(0, len(State), n).astype(np.int8),  # state
        rng.integers(0, len(Role), n).astype(np.int8),  # role
        rng.integers(0, N_PLACES, n).astype(np.int8),  # place
        rng.integers(0, N_REGIONS, n).astype(np.int8),  # region
        rng.integers(0, 40, n).astype(np.int16),  # birth
        rng.random(n, dtype=np.float32),  # ideology
        rng.random(n, dtype=np.float32),  # loyalty
        rng.random(n, dtype=np.float32),  # skill
        (rng.lognormal(8.0, 2.0, n)).astype(np.float32),  # funds
        rng.random(n) < 0.3,  # ever imprisoned
        rng.random(n) < 0.5,  # connected (last month)
    )


def buffers():
    """:class:`Counting`'s per-row buffers, holding stale values."""
    return tuple(np.full(CAPACITY, 1, dtype=dtype) for dtype in Counting.FIELDS.values())


def records():
    width = {None: (), "region": (N_REGIONS,), "place": (N_PLACES,)}
    return tuple(np.full((MONTHS, *width[o.by]), 7.0) for o in OUTPUTS.values())


@pytest.mark.parametrize("n", [0, 1, 2, 137, CAPACITY])
def test_sort_rows_lists_the_kinds_numpy_finds(n):
    rng = np.random.default_rng(n)
    pop, bufs, recs = people(rng), buffers(), records()
    before = pop[10].copy()
    state, role, place, region, birth, ideology, loyalty, skill, funds, _, connected = pop
    thresholds = (np.float32(0.6), np.float32(0.5), np.float32(0.3), np.float32(10_000.0))
    born_by = 20
    listed = _sort_rows(T, n, pop, bufs, born_by, thresholds, recs)

    s, r, p, g = state[:n], role[:n], place[:n], region[:n]
    free = FREE[s]
    fighter = (r != Role.WOMAN) & ((r != Role.MINOR) | (birth[:n] <= born_by))
    loyal = loyalty[:n] >= thresholds[1]
    extremist = fighter & (ideology[:n] >= thresholds[0]) & (skill[:n] >= thresholds[2])
    abroad = (s == State.HIDING_ABROAD) | (
        (s == State.REMOBILISED) & np.isin(p, [int(x) for x in OTHER_THEATRES])
    )
    anchor = (COMMANDING[r] | (abroad & extremist & loyal)) & (funds[:n] >= thresholds[3])
    pool = np.flatnonzero(free & extremist & loyal)
    anchors = np.flatnonzero(free & anchor)
    backing = np.flatnonzero(free & loyal & ~fighter)
    rivals = np.count_nonzero(free & extremist & ~loyal)

    assert listed == (len(pool), len(anchors), len(backing))
    inside, root, _, _, pool_of, anchors_of, backing_of = bufs
    assert np.array_equal(pool_of[: len(pool)], pool)
    assert np.array_equal(anchors_of[: len(anchors)], anchors)
    assert np.array_equal(backing_of[: len(backing)], backing)
    assert np.array_equal(inside[:n], free)
    assert np.array_equal(root[:n][free], np.flatnonzero(free))  # each free row its own root
    assert not connected[:n].any() and np.array_equal(connected[n:], before[n:])
    names = list(OUTPUTS)
    found = dict(zip(names, recs, strict=True))
    assert found["pool"][T] == len(pool) and found["rival_pool"][T] == rivals
    assert np.array_equal(found["pool_by_region"][T], np.bincount(g[pool], minlength=N_REGIONS))
    assert np.array_equal(found["pool_by_place"][T], np.bincount(p[pool], minlength=N_PLACES))
    for name in set(names) - {"pool", "rival_pool", "pool_by_region", "pool_by_place"}:
        assert not found[name][T].any()  # the month's count from nothing
    for a in recs:
        assert (np.delete(a, T, axis=0) == 7.0).all()  # other months untouched
