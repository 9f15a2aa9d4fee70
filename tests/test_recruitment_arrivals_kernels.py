"""The compiled passes of recruitment and arrivals give what a plain NumPy statement of their
rule gives (on random rows, and on empty, one-row and all-row inputs)."""

from __future__ import annotations

import numpy as np
from regroup.core.states import Disposition, Region, Role, State
from regroup.mechanisms import arrivals, recruitment

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


def test_speakers_keeps_the_roster_and_lists_the_would_be_speakers():
    """The roster of the disillusioned (int32 rows) merged with the rows made so since
    (repeats allowed) and the disillusioned among the rows added since, those still
    disillusioned, alive and not yet spoken kept, and of them those in a SPEAKERS state
    listed, both in row order (NumPy on random rows; an empty roster, every row on it, nothing
    new, one row added, every row added)."""
    rng = np.random.default_rng(14)
    state = rng.integers(0, len(State), N).astype(np.int8)
    disposition = rng.integers(0, len(Disposition), N).astype(np.int8)
    spoke = rng.random(N) < 0.2
    for share, seen, fresh in (
        (0.3, N - 40, 25),
        (0.0, N, 0),
        (1.0, N, 0),
        (0.3, N, 0),
        (0.3, N - 1, 1),
        (0.0, 0, 0),
    ):
        roster = np.flatnonzero(rng.random(seen) < share).astype(np.int32)
        made = rng.integers(0, N, fresh)
        held = np.empty(2 * N, dtype=np.int32)
        held[: len(roster)] = roster
        out = np.empty(2 * N, dtype=np.int32)
        m, j = recruitment._speakers(
            held, len(roster), made, seen, N, state, disposition, spoke, out
        )
        added = seen + np.flatnonzero(disposition[seen:] == Disposition.DISILLUSIONED)
        rows = np.union1d(np.union1d(roster, made), added)
        kept = rows[
            (disposition[rows] == Disposition.DISILLUSIONED)
            & ~spoke[rows]
            & (state[rows] != State.DEAD)
        ]
        assert np.array_equal(held[:m], kept)
        assert np.array_equal(out[:j], kept[np.isin(state[kept], recruitment.SPEAKERS)])


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


def test_organised_is_the_split_the_units_and_the_families_of_numpy():
    """arrivals' one call: the new members split by role as NumPy selects them, each unit
    member's unit ``floor(u * units)`` as ``World.integers`` draws it, then the units and the
    families as :func:`arrivals._units` and :func:`arrivals._families` find them from those
    (random members, a few commanders; one member; every member a fighter)."""
    rng = np.random.default_rng(14)
    n = 3000
    role = rng.integers(0, len(Role), n).astype(np.int8)
    state = rng.choice([State.ACTIVE, State.DEAD], n).astype(np.int8)
    region = rng.integers(0, len(Region), n).astype(np.int8)
    place = rng.integers(0, 2, n).astype(np.int8)
    command = np.flatnonzero(arrivals.COMMANDING.take(role))
    fight = np.flatnonzero(arrivals.IN_UNITS.take(role))
    cases = [np.arange(2000, n), np.arange(2500, 2501), fight[fight >= 1000]]
    for idx in cases:
        (_, roles), n_units = arrivals._regions_and_roles(
            np.ones(1), np.ones(1), rng.random(2 * len(idx)), arrivals.LOCAL
        )  # (only the count is checked: of roles drawn from one share each)
        assert n_units == len(roles) * arrivals.IN_UNITS[0]
        fighters = idx[arrivals.IN_UNITS.take(role[idx])]
        family = idx[arrivals.IN_FAMILY.take(role[idx])]
        u, units = rng.random(len(fighters)), max(1, len(fighters) // 7)
        got = arrivals._organised(
            idx.view(np.uint64), u, units, command, role, state, region, place
        )
        unit = (u * units).astype(np.intp)
        expected = arrivals._units(fighters, unit, command, state, region, place)
        expected += arrivals._families(family, fighters, region)
        assert len(got) == len(expected)
        k = got[1]  # the ties, then each unit's first member (its other end drawn later)
        assert np.array_equal(got[0][0], expected[0][0])
        assert np.array_equal(got[0][1, :k], expected[0][1, :k])
        for a, b in zip(got[1:], expected[1:], strict=True):
            assert np.array_equal(a, b)


def test_regions_and_roles_counts_those_in_units():
    rng = np.random.default_rng(15)
    cdf = np.cumsum(np.full(len(Role), 1.0 / len(Role)))
    cdf /= cdf[-1]
    for k in (500, 1, 0):
        (_, roles), n_units = arrivals._regions_and_roles(
            np.ones(1), cdf, rng.random(2 * k), arrivals.LOCAL
        )
        assert n_units == np.count_nonzero(arrivals.IN_UNITS.take(roles))
        assert k < 500 or 0 < n_units < k
