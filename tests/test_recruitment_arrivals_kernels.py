"""The compiled passes of recruitment and arrivals give what a plain NumPy statement of their
rule gives (on random rows, and on empty, one-row and all-row inputs)."""

from __future__ import annotations

import numpy as np
from regroup.core.states import State
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
