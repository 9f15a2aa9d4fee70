"""Prison's compiled month against the NumPy statements of what it computes: the grouping
by cell (a stable sort by label), each cell's mix (``np.add.reduceat`` in cell order, as
float32), the pull toward it, and who forms a tie; on random inputs and on edge cases
(nobody, one prisoner, everyone staying, cells of every size NumPy sums differently)."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.core.world import distinct
from regroup.mechanisms import prison

F32 = np.float32


def _labels(rng: np.random.Generator, k: int, cells: int, places: int = 3) -> np.ndarray:
    """Cell labels of ``k`` prisoners: a facility per place, ``cells`` cells in each."""
    place = rng.integers(0, places, k)
    return ((place + 1) * prison.HOME_FACILITY + rng.integers(0, cells, k)).astype(np.int32)


@pytest.mark.parametrize("k", [0, 1, 2, 500])
@pytest.mark.parametrize("cells", [1, 7, 300, 50_000])  # the last is too sparse to count
def test_cells_group_as_a_stable_sort_by_label(k, cells):
    rng = np.random.default_rng(k + cells)
    label = _labels(rng, k, cells)
    order, group, start, size = prison.cells(label)
    labels, inverse, counts = np.unique(label, return_inverse=True, return_counts=True)
    assert np.array_equal(order, np.argsort(label, kind="stable"))
    assert np.array_equal(group, inverse.reshape(-1))
    assert np.array_equal(size, counts)
    assert np.array_equal(start, np.cumsum(counts) - counts)
    assert np.array_equal(label[order[start]], labels)


@pytest.mark.parametrize("cells", [0, 1, 7, 500])
def test_cells_by_size_as_a_stable_sort(cells):
    """The cells in increasing size, those of one size in their order: np.argsort, stable."""
    size = np.random.default_rng(cells).integers(1, 40, cells)
    by = prison._by_size(size, max(1, size.max(initial=1)))
    assert by.dtype == np.uint32
    assert np.array_equal(by, np.argsort(size, kind="stable"))


def _numpy_mixes(views, order, start, zeal_weight):
    """Each cell's mix as NumPy states it: weights and weighted views in cell order, summed
    by ``np.add.reduceat`` (float32)."""
    x, y = views[order, 0], views[order, 1]
    w = F32(1.0) + zeal_weight * x
    s0 = np.add.reduceat(w, start)
    return np.add.reduceat(w * x, start) / s0, np.add.reduceat(w * y, start) / s0


@pytest.mark.parametrize(
    "sizes",
    [[1], [8], [9], [1, 2, 3, 8, 9, 10, 16, 17], [129, 130, 300], [17, 3, 9, 1, 130, 8, 2, 3, 9]],
)
def test_mixes_are_numpys_sums_in_cell_order(sizes):
    """Cells of up to eight members are summed one by one, up to 129 in eight running sums,
    larger ones pairwise: each exactly as np.add.reduceat sums them."""
    rng = np.random.default_rng(len(sizes))
    label = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(label)
    label = (prison.HOME_FACILITY + label).astype(np.int32)
    views = rng.random((len(label), 2)).astype(np.float32)
    order, _, start, size = prison.cells(label)
    zeal_weight = F32(2.5)
    mix = prison._mixes(views, order, start, size, zeal_weight)
    ideology, loyalty = _numpy_mixes(views, order, start, zeal_weight)
    assert mix.dtype == np.float32
    assert np.array_equal(mix[0], ideology) and np.array_equal(mix[1], loyalty)


def _month(rng: np.random.Generator, n: int, held: int, stay: float, cells: int = 40):
    """A month's arguments for ``_in_cells``: ``held`` prisoners among ``n`` rows (in row
    order), a share ``stay`` of them staying, the draws of who may form a tie (how many, then
    uniform numbers to pick them and to thin them)."""
    places = 4
    rows = np.sort(rng.choice(n, held, replace=False)).astype(np.intp)
    stays = np.zeros(n, dtype=np.bool_)
    stays[:held] = rng.random(held) < stay
    place = rng.integers(0, places, n).astype(np.int8)
    cell = (place.astype(np.int64) + 1) * prison.HOME_FACILITY + rng.integers(0, cells, n)
    picks = min(int(stays[:held].sum()), 30)
    chance = rng.random(places) * 0.5
    return dict(
        held=rows, stays=stays, cell=cell.astype(np.int32), place=place,
        ideology=rng.random(n).astype(np.float32), loyalty=rng.random(n).astype(np.float32),
        u=rng.random(2 * picks), picks=picks, pull=(rng.random(places) * 0.2).astype(F32),
        chance=chance, top=float(chance.max()), zeal_weight=F32(2.0), disengagement=F32(0.001),
    )  # fmt: skip


def _numpy_month(a):
    """What ``_in_cells`` computes, as NumPy states it: the new ideology and loyalty of every
    row, the rows kept, and each tie-former's row, cell start and size."""
    idx = a["held"][a["stays"][: len(a["held"])]]
    label = a["cell"][idx]
    order = np.argsort(label, kind="stable")
    _, group, size = np.unique(label, return_inverse=True, return_counts=True)
    group, start = group.reshape(-1), np.cumsum(size) - size
    views = np.stack((a["ideology"][idx], a["loyalty"][idx]), axis=1)
    mixes = _numpy_mixes(views, order, start, a["zeal_weight"])
    pull = a["pull"][a["place"][idx]]
    ideology, loyalty = a["ideology"].copy(), a["loyalty"].copy()
    for new, mix, x in ((ideology, mixes[0], views[:, 0]), (loyalty, mixes[1], views[:, 1])):
        new[idx] = np.clip(x + pull * (mix[group] - x) - a["disengagement"], F32(0), F32(1))
    k = a["picks"]
    j = distinct(a["u"][:k], len(idx))  # World.few_of's positions
    forms = a["u"][k:] < a["chance"][a["place"][idx[j]]] / a["top"]
    ties = idx[j][forms], start[group[j]][forms], size[group[j]][forms]
    return ideology, loyalty, idx, order, ties


@pytest.mark.parametrize(
    ("held", "stay"), [(0, 1.0), (1, 1.0), (2, 0.0), (300, 1.0), (300, 0.9), (3000, 0.97)]
)
def test_a_month_in_the_cells_is_numpys(held, stay):
    rng = np.random.default_rng(held)
    n = max(2 * held, 10)
    a = _month(rng, n, held, stay)
    ideology, loyalty, idx, order, (former, first, size) = _numpy_month(a)
    names = ("kept", "order", "former", "first", "size")
    out = {name: np.full(n, -1, dtype=np.int32 if name == "order" else np.intp) for name in names}
    f = prison._in_cells(*a.values(), *out.values())
    assert np.array_equal(a["ideology"], ideology) and np.array_equal(a["loyalty"], loyalty)
    assert np.array_equal(out["kept"][: len(idx)], idx)
    assert np.array_equal(out["order"][: len(idx)], order)
    assert f == len(former)
    assert np.array_equal(out["former"][:f], former)
    assert np.array_equal(out["first"][:f], first) and np.array_equal(out["size"][:f], size)
