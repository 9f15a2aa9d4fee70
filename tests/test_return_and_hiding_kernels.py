"""The compiled passes of justice, hiding and camps that fuse a rule's steps or write into a
per-run buffer give what the steps they replace gave (NumPy on random rows), and the one
draw that stands for two consecutive draws gives the same numbers."""

from __future__ import annotations

import numpy as np
from regroup.core.states import Custody, Region, State
from regroup.mechanisms import camps, hiding, justice

N = 5000


def rows_of(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random per-person arrays, with each state, custody and region present."""
    return {
        "state": rng.integers(0, len(State), N).astype(np.int8),
        "custody": rng.integers(0, len(Custody), N).astype(np.int8),
        "region": rng.integers(0, len(Region), N).astype(np.int8),
        "documents": rng.random(N) < 0.5,
        "funds": (rng.random(N) * 500).astype(np.float32),
        "home": rng.integers(0, 5, N).astype(np.int8),
        "place": rng.integers(0, 5, N).astype(np.int8),
        "returned": np.where(rng.random(N) < 0.5, -1, 3).astype(np.int16),
    }


def test_in_custody_sorts_the_detained_into_three_rows_and_papers_into_one():
    rng = np.random.default_rng(1)
    p = rows_of(rng)
    held = np.sort(rng.choice(N, 3000, replace=False))
    out = np.empty((3, N), dtype=np.intp)
    counts = justice._in_custody(held, p["custody"], p["region"], out)
    local = p["region"][held] == Region.LOCAL
    border = p["custody"][held] == Custody.BORDER
    camp = p["custody"][held] == Custody.CAMP
    expected = [held[~local & border], held[~local & ~border], held[local & camp]]
    for row, (k, part) in enumerate(zip(counts, expected, strict=True)):
        assert len(part) > 0
        assert np.array_equal(out[row, :k], part)
    k = justice._foreign_with_papers(held, p["documents"], p["region"], out[0])
    assert np.array_equal(out[0, :k], held[p["documents"][held] & ~local])


def test_sent_home_merges_the_deported_with_the_repatriated_after_thinning():
    rng = np.random.default_rng(2)
    p = rows_of(rng)
    rows = rng.permutation(N)
    deported, reached = np.sort(rows[:300]), np.sort(rows[300:1000])
    thin, table = rng.random(len(reached)), np.r_[0.0, rng.random(len(Region) - 1)]
    most = float(table.max())
    out = np.empty(N, dtype=np.intp)
    k = justice._sent_home(deported, reached, thin, most, table, p["region"], out)
    repatriated = reached[thin * most < table[p["region"][reached]]]
    assert np.array_equal(out[:k], np.sort(np.concatenate((deported, repatriated))))


def test_arrive_splits_the_prosecuted_and_sends_the_free_home():
    rng = np.random.default_rng(3)
    p = rows_of(rng)
    idx = np.sort(rng.choice(N, 800, replace=False))
    draws = rng.random(len(idx))
    before = {k: v.copy() for k, v in p.items()}
    rows, k = justice._arrive(idx, draws, 0.55, p["returned"], p["home"], p["place"], 7)
    prosecuted, free = idx[draws < 0.55], idx[~(draws < 0.55)]
    assert np.array_equal(rows[:k], prosecuted) and np.array_equal(rows[k:], free)
    place, returned = before["place"].copy(), before["returned"].copy()
    place[free] = before["home"][free]
    returned[idx[returned[idx] < 0]] = 7
    assert np.array_equal(p["place"], place) and np.array_equal(p["returned"], returned)


def test_drifting_finds_the_tempted_among_those_still_hiding():
    """As before the fusion: those of the hiding still in a hiding state, the tempted picked
    by position among them, the exposed kept."""
    rng = np.random.default_rng(4)
    p = rows_of(rng)
    hiding_states = list(hiding.HIDING_STATES)
    p["state"][:] = rng.choice(hiding_states, N)
    rows = np.flatnonzero(rng.random(N) < 0.8)
    p["state"][rng.choice(rows, 50, replace=False)] = State.DEAD  # the killed
    still = rows[np.isin(p["state"][rows], hiding_states)]
    tempted = np.sort(rng.choice(len(still), 400, replace=False))
    living = np.float32(250.0)
    got = hiding._drifting(
        rows, tempted, p["state"], p["documents"], p["region"], p["funds"], living
    )
    picked = still[tempted]
    foreign = p["region"][picked] != Region.LOCAL
    exposed = (~p["documents"][picked] & foreign) | (p["funds"][picked] < living)
    assert np.array_equal(got, picked[exposed])


def test_smuggled_returns_the_locals_then_the_foreigners():
    rng = np.random.default_rng(5)
    p = rows_of(rng)
    out = np.sort(rng.choice(N, 300, replace=False))
    rows, k = camps._smuggled(out, p["region"], p["funds"], p["documents"], np.float32(200))
    local = p["region"][out] == Region.LOCAL
    assert np.array_equal(rows[:k], out[local]) and np.array_equal(rows[k:], out[~local])
    assert not p["documents"][out[~local]].any()


def test_one_draw_of_two_lengths_is_the_two_draws():
    """watch draws its two numbers a person as one draw of twice the people: the same numbers
    as two consecutive draws, and the generator left in the same state."""
    a, b = np.random.default_rng(6), np.random.default_rng(6)
    first, second = a.random(37), a.random(37)
    both = b.random(74)
    assert np.array_equal(both, np.concatenate((first, second)))
    assert a.random() == b.random()
