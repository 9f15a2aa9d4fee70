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
    _pools,
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


def components(n, src, dst, place, free):
    """Each free row's component (its smallest member) over the ties within a place."""
    label = np.arange(n)
    for s, d in zip(src, dst, strict=True):  # plain relabelling: small inputs only
        if free[s] and free[d] and place[s] == place[d] and label[s] != label[d]:
            label[label == max(label[s], label[d])] = min(label[s], label[d])
    return label


@pytest.mark.parametrize(
    ("n", "ties"), [(1, 0), (2, 1), (137, 150), (CAPACITY, 0), (CAPACITY, 3000)]
)
def test_pools_are_the_funded_components_numpy_finds(n, ties):
    rng = np.random.default_rng(n + ties)
    pop, bufs, recs = people(rng), buffers(), records()
    state, role, place, region, _, ideology, loyalty, _, funds, imprisoned, connected = pop
    place[:] = rng.integers(0, 3, CAPACITY)  # three places: larger components
    state[rng.random(CAPACITY) < 0.5] = State.HIDING_LOCAL  # more of the free
    thresholds = (np.float32(0.4), np.float32(0.3), np.float32(0.2), np.float32(5_000.0))
    npool, nanchors, nbacking = _sort_rows(T, n, pop, bufs, 20, thresholds, recs)
    inside, _, slot, _, pool_of, anchors_of, backing_of = bufs
    slot[:] = -1  # as between months
    free_rows = np.flatnonzero(inside[:n])
    src, dst = rng.choice(free_rows, (2, ties)) if len(free_rows) else np.zeros((2, 0), int)
    pool, anchors, backing = pool_of[:npool].copy(), anchors_of[:nanchors], backing_of[:nbacking]
    anchors = anchors.copy()
    backing = backing.copy()
    made_of = tuple(
        np.full((MONTHS, *shape), 5.0)
        for shape in [(len(State),), (len(Role),), (N_REGIONS,), (2,), (), ()]
    )
    found = _pools(T, src, dst, pop, bufs, (npool, nanchors, nbacking), recs, made_of)

    label = components(n, src, dst, place, inside)
    funded = np.unique(label[anchors])
    linked = pool[np.isin(label[pool], funded)]
    supporters = backing[np.isin(label[backing], funded)]
    assert np.array_equal(np.flatnonzero(connected[:n]), linked)
    assert (slot == -1).all()
    out = dict(zip(OUTPUTS, recs, strict=True))
    if len(linked) == 0:
        assert found == (0, 0, 0, 0, -1)
        return
    size = {c: np.count_nonzero(label[linked] == c) for c in funded}
    biggest = min(funded, key=lambda c: (-size[c], c))  # the first of the largest
    in_biggest = anchors[label[anchors] == biggest]
    richest = in_biggest[np.argmax(funds[in_biggest])]  # the first of the richest
    assert found == (
        len(linked),
        size[biggest],
        place[biggest],
        np.count_nonzero(label[supporters] == biggest),
        richest,
    )
    assert out["connected_pool"][T] == len(linked) and out["supporters"][T] == len(supporters)
    assert out["largest_pool"][T] == size[biggest]
    expected = np.float32(funds[linked].sum()) + np.float32(funds[supporters].sum())
    assert out["pool_funds"][T] == expected
    assert np.array_equal(
        out["connected_by_place"][T], np.bincount(place[linked], minlength=N_PLACES)
    )
    potential = np.zeros(N_PLACES)
    largest = np.zeros(N_REGIONS)
    for c in funded:
        members = linked[label[linked] == c]
        potential[place[c]] = max(potential[place[c]], len(members))
        largest = np.maximum(largest, np.bincount(region[members], minlength=N_REGIONS))
    assert np.array_equal(out["potential_by_place"][T], potential)
    assert np.array_equal(out["largest_by_region"][T], largest)
    by = np.bincount  # float64 sums in order, as the kernel's
    assert np.array_equal(out["funds_by_region"][T], by(region[linked], funds[linked], N_REGIONS))
    assert np.array_equal(
        out["funds_by_place"][T],
        by(place[linked], funds[linked], N_PLACES)
        + by(place[supporters], funds[supporters], N_PLACES),
    )
    composition = [state, role, region, imprisoned.astype(int)]
    for a, codes in zip(made_of[:4], composition, strict=True):
        assert np.array_equal(a[T], by(codes[linked], minlength=a.shape[1]))
    assert made_of[4][T] == ideology[linked].sum() and made_of[5][T] == loyalty[linked].sum()
