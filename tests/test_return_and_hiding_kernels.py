"""The compiled passes of justice, hiding and camps that fuse a rule's steps or write into a
per-run buffer give what the steps they replace gave (NumPy on random rows), and the one
draw that stands for two consecutive draws gives the same numbers."""

from __future__ import annotations

import numpy as np
from regroup.core.states import (
    COMMAND_ROLES,
    FREE_STATES,
    HIDING_STATES,
    Custody,
    Region,
    Role,
    State,
)
from regroup.core.world import distinct
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


def sent_home_by_numpy(rows, border, foreign, deported, reached, most, table, region):
    """What :func:`justice._sent_home` computes, as World.chance, World.draw and NumPy."""
    k = len(reached) // 2
    gone = rows[0, :border][distinct(deported, border)]
    picked = rows[1, :foreign][distinct(reached[:k], foreign)]
    kept = picked[reached[k:] * most < table[region[picked]]]
    return np.sort(np.concatenate((gone, kept)))


def test_sent_home_merges_the_deported_with_the_repatriated_after_thinning():
    rng = np.random.default_rng(2)
    p = rows_of(rng)
    table = np.r_[0.0, rng.random(len(Region) - 1)]
    most = float(table.max())
    # many and few picked, nobody, one row, every row
    for border, foreign, k1, k2 in (
        (300, 700, 40, 200),
        (300, 700, 3, 2),
        (0, 0, 0, 0),
        (1, 1, 1, 1),
        (300, 700, 300, 700),
        (0, 700, 0, 90),
        (300, 0, 120, 0),
    ):
        rows = np.empty((3, N), dtype=np.intp)
        perm = rng.permutation(N)
        rows[0, :border] = np.sort(perm[:border])
        rows[1, :foreign] = np.sort(perm[border : border + foreign])
        deported, reached = rng.random(k1), rng.random(2 * k2)
        expected = sent_home_by_numpy(
            rows.copy(), border, foreign, deported, reached, most, table, p["region"]
        )
        k = justice._sent_home(rows, border, foreign, deported, reached, most, table, p["region"])
        assert np.array_equal(rows[0, :k], expected)


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


def drifting_by_numpy(rows, died, tempted, p, living):
    """What hiding's drift into crime computes, in NumPy: of ``rows`` but those at positions
    ``died``, the ``tempted`` (positions among those left) who are exposed."""
    left = np.delete(rows, died)
    picked = left[tempted]
    foreign = p["region"][picked] != Region.LOCAL
    exposed = (~p["documents"][picked] & foreign) | (p["funds"][picked] < living)
    return picked[exposed]


def test_drifting_finds_the_tempted_among_those_still_hiding():
    """Those of the hiding who did not die, the tempted picked by position among them (found
    by position, skipping the dead before each), the exposed kept: on random rows, and with
    nobody dead, everybody dead but one, every one tempted, one row, no row."""
    rng = np.random.default_rng(4)
    p = rows_of(rng)
    living = np.float32(250.0)
    rows = np.flatnonzero(rng.random(N) < 0.8)
    died = np.sort(rng.choice(len(rows), 50, replace=False))
    cases = [
        (rows, died, np.sort(rng.choice(len(rows) - 50, 400, replace=False))),
        (rows, died[:0], np.sort(rng.choice(len(rows), 400, replace=False))),
        (rows, np.arange(1, len(rows)), np.array([0])),
        (rows, np.arange(len(rows) - 1), np.array([0])),
        (rows, died, np.arange(len(rows) - 50)),
        (rows[:1], died[:0], np.array([0])),
        (rows[:0], died[:0], died[:0]),
    ]
    for hiding_rows, dead, tempted in cases:
        got = hiding._drifting(
            hiding_rows, dead, tempted, p["documents"], p["region"], p["funds"], living
        )
        expected = drifting_by_numpy(hiding_rows, dead, tempted, p, living)
        assert len(got) > 0 or len(expected) == 0
        assert np.array_equal(got, expected)


def test_fates_picks_the_dead_then_the_drifting_as_chance_and_few_of_would():
    """hiding's deaths and drift in one call: the dead among the locals as ``World.chance``
    picks them, the tempted among those left as ``World.few_of`` does, the exposed tempted
    drift (NumPy and ``distinct``; many, none, one, every one picked; one row, no row)."""
    rng = np.random.default_rng(5)
    p = rows_of(rng)
    living = np.float32(250.0)
    rows = np.flatnonzero(rng.random(N) < 0.8)
    local = np.flatnonzero(p["state"][rows] == State.HIDING_LOCAL)
    n = len(rows)
    for hiding_rows, at, k1, k2 in (
        (rows, local, 30, 400),
        (rows, local, 0, 0),
        (rows, local, 0, 50),
        (rows, local, 7, 0),
        (rows, local, len(local), n - len(local)),
        (rows[:1], np.arange(1), 1, 0),
        (rows[:1], np.arange(1), 0, 1),
        (rows[:0], np.arange(0), 0, 0),
    ):
        died, tempted = rng.random(k1), rng.random(k2)
        killed, drifted = hiding._fates(
            hiding_rows, at, died, tempted, p["documents"], p["region"], p["funds"], living
        )
        gone = at[distinct(died, len(at))]
        picked = distinct(tempted, len(hiding_rows) - k1)
        assert np.array_equal(killed, hiding_rows[gone])
        assert np.array_equal(drifted, drifting_by_numpy(hiding_rows, gone, picked, p, living))


def test_positions_in_lists_where_the_rows_in_the_states_are():
    rng = np.random.default_rng(7)
    p = rows_of(rng)
    bits = hiding._HIDING_LOCAL_BIT
    out = np.empty(N, dtype=np.intp)
    for rows in (np.flatnonzero(rng.random(N) < 0.5), np.arange(N), np.arange(1), np.arange(0)):
        k = hiding._positions_in(rows, p["state"], bits, out)
        expected = np.flatnonzero(p["state"][rows] == State.HIDING_LOCAL)
        assert np.array_equal(out[:k], expected)


def test_thinned_catches_the_candidates_below_their_own_probability():
    """hiding's catches: of the candidates (``distinct`` of the first half of the draws, as
    ``few_of`` picks them), the sought caught with their detection, then the monitored
    extremists among the watched caught acting, each part in row order (NumPy on random rows,
    and with one candidate, every row a candidate)."""
    rng = np.random.default_rng(8)
    p = rows_of(rng)
    t = 5
    entered = rng.integers(0, 8, N).astype(np.int16)
    known = rng.random(N) < 0.5
    monitored = rng.random(N) < 0.5
    ideology = rng.random(N).astype(np.float32)
    extremist_from = np.float32(0.6)
    sharing = rng.random(5)  # per place (the rows' places are 0-4)
    gain, base, unknown, abroad, acting = 0.7, 0.3, 0.2, 0.6, 0.4
    highest = hiding._highest(sharing, gain, base, unknown, abroad, acting)
    out = np.empty(N, dtype=np.intp)
    for k in (700, 1, N):
        u = rng.random(2 * k)
        caught = hiding._thinned(
            u, N, highest, t, p["state"], entered, p["place"], known, monitored, ideology,
            extremist_from, sharing, gain, base, unknown, abroad, acting, out,
        )  # fmt: skip
        picks = distinct(u[:k], N)
        thin = u[k:] * highest
        state, before = p["state"][picks], entered[picks] < t
        intelligence = 1.0 + gain * sharing[p["place"][picks]]
        detection = (
            base
            * intelligence
            * np.where(known[picks], 1.0, unknown)
            * np.where(state == State.HIDING_ABROAD, abroad, 1.0)
        )
        sought = before & np.isin(state, hiding.SOUGHT) & (thin < detection)
        watched = before & np.isin(state, hiding.WATCHED) & monitored[picks]
        watched &= ideology[picks] >= extremist_from
        watched &= thin < acting * intelligence * ideology[picks]
        expected = np.concatenate((picks[sought], picks[watched]))
        assert np.array_equal(out[:caught], expected)
        assert k == 1 or (sought.any() and watched.any())


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


def test_spend_is_the_numpy_month_of_money():
    """hiding's month of money over the first ``n`` rows, as NumPy's float32 steps over
    every row (random rows; every row, one, none)."""
    rng = np.random.default_rng(11)
    state = rng.integers(0, len(State), N).astype(np.int8)
    role = rng.integers(0, len(Role), N).astype(np.int8)
    funds = (rng.random(N) * 900).astype(np.float32)
    living, support, income = np.float32(250.0), np.float32(500.0), np.float32(400.0)
    for n in (N, N - 7, 1, 0):
        got = funds.copy()
        hiding._spend(state, role, got, n, living, support, income)
        s, r, f = state[:n], role[:n], funds[:n]
        hid = np.isin(s, HIDING_STATES).astype(np.float32)
        command = (np.isin(s, FREE_STATES) & np.isin(r, COMMAND_ROLES)).astype(np.float32)
        left = f - (living * hid + support * command)
        criminal = (s == State.CRIMINAL).astype(np.float32)
        want = np.where(left < 0, np.float32(0.0), left) + income * criminal
        assert np.array_equal(got[:n].view(np.uint32), want.view(np.uint32))
        assert np.array_equal(got[n:], funds[n:])
