"""The compiled passes of recruitment and arrivals give what a plain NumPy statement of their
rule gives (on random rows, and on empty, one-row and all-row inputs)."""

from __future__ import annotations

import numpy as np
from regroup.core.states import Region, State
from regroup.mechanisms import recruitment

N = 5003  # not a multiple of eight: the flags read a word at a time leave a tail


def test_rejoining_lists_the_connected_who_may_rejoin():
    """Connected, in a REMOBILISABLE state since before month ``t``, in row order, of the
    first ``n`` rows: sparse and dense flags, and none, one, every row, a tail."""
    rng = np.random.default_rng(11)
    state = rng.integers(0, len(State), N).astype(np.int8)
    entered = rng.integers(0, 10, N).astype(np.int16)
    t = np.int16(5)
    rejoins = np.isin(state, recruitment.REMOBILISABLE) & (entered < t)
    for share in (0.0, 0.02, 0.3, 1.0):
        connected = rng.random(N) < share
        for n in (N, N - 5, 4000, 9, 1, 0):
            out = np.empty(N, dtype=np.intp)
            k = recruitment._rejoining(connected, n, state, entered, t, out)
            expected = np.flatnonzero(connected[:n] & rejoins[:n])
            assert np.array_equal(out[:k], expected)
    one = np.zeros(N, dtype=np.bool_)
    one[N - 1] = True
    state[N - 1], entered[N - 1] = State.RETURNED, 0
    out = np.empty(N, dtype=np.intp)
    assert recruitment._rejoining(one, N, state, entered, t, out) == 1 and out[0] == N - 1


def test_train_adds_the_gain_to_the_remobilised_only():
    """The skill of the rows in REMOBILISED grows by the gain, at most 1, as NumPy adds a
    Python float to float32 skills; every other row's skill is left as it was (bit for bit):
    on random rows, and with none, one and every row remobilised, and ``n`` below the
    arrays' length."""
    rng = np.random.default_rng(12)
    gain = 0.01
    for share in (0.0, 0.05, 1.0):
        state = np.where(rng.random(N) < share, State.REMOBILISED, State.RETURNED).astype(np.int8)
        state[rng.random(N) < 0.1] = State.DEAD
        skill = rng.random(N).astype(np.float32)
        skill[:50] = np.float32(0.995)  # the cap reached
        for n in (N, 4000, 1, 0):
            got = skill.copy()
            recruitment._train(state, got, n, np.float32(gain))
            expected = skill.copy()
            rows = np.flatnonzero(state[:n] == State.REMOBILISED)
            expected[rows] = np.minimum(expected[rows] + gain, 1.0)
            assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))
    state[:] = State.RETURNED
    state[7] = State.REMOBILISED
    got = np.zeros(N, dtype=np.float32)
    recruitment._train(state, got, N, np.float32(gain))
    assert np.flatnonzero(got).tolist() == [7] and got[7] == np.float32(gain)


def test_foreign_counts_the_foreigners_in_the_territory():
    """Of the first ``n`` rows, those ACTIVE and not local (random rows; none, one, every row
    in the territory; ``n`` below the length, one, none)."""
    rng = np.random.default_rng(13)
    region = rng.integers(0, len(Region), N).astype(np.int8)
    for share in (0.0, 0.4, 1.0):
        state = np.where(rng.random(N) < share, State.ACTIVE, State.DEAD).astype(np.int8)
        for n in (N, 4000, 1, 0):
            expected = np.count_nonzero((state[:n] == State.ACTIVE) & (region[:n] != Region.LOCAL))
            assert recruitment._foreign(state, region, n) == expected
    state = np.full(N, State.DEAD, dtype=np.int8)
    state[9], region[9] = State.ACTIVE, Region.LOCAL + 1
    assert recruitment._foreign(state, region, N) == 1
