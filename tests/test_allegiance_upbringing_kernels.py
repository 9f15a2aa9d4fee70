"""Allegiance's and upbringing's compiled passes against the NumPy statements of what they
compute (float32 arithmetic in the same order, so the same bits), on random rows and ties and
on the edges: nobody, one row, every row, no ties."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.core.states import FREE_STATES, Disposition, Role, State
from regroup.mechanisms.allegiance import _own_bits, _reinforce
from regroup.mechanisms.upbringing import TRAINERS, _parts, _train

F32 = np.float32
SIZES = [(0, 40), (1, 40), (40, 40), (300, 400), (400, 400)]  # (n, rows): the first n count


def people(rows: int, seed: int) -> dict[str, np.ndarray]:
    """Random rows as the population stores them."""
    rng = np.random.default_rng(seed)
    return {
        "state": rng.integers(0, len(State), rows).astype(np.int8),
        "role": rng.integers(0, len(Role), rows).astype(np.int8),
        "birth": rng.integers(-200, 60, rows).astype(np.int16),
        "disposition": rng.integers(0, len(Disposition), rows).astype(np.int8),
        "ideology": rng.random(rows).astype(F32),
        "loyalty": rng.random(rows).astype(F32),
        "skill": rng.random(rows).astype(F32),
    }


def ties_among(inside: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random ties (none to oneself) between two people of ``inside``, as
    ``Ties.inside`` gives them (int32 ends)."""
    rng = np.random.default_rng(seed)
    members = np.flatnonzero(inside)
    if len(members) < 2:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    a = rng.choice(members, count)
    b = rng.choice(members, count)
    keep = a != b
    return a[keep].astype(np.int32), b[keep].astype(np.int32)


def own_bits_numpy(p, n, extremist_from, loyal_from):
    free = np.isin(p["state"][:n], FREE_STATES)
    extremist = free & (p["ideology"][:n] >= extremist_from)
    dedicated = extremist & (p["loyalty"][:n] >= loyal_from)
    return free, (free * 1 + extremist * 2 + dedicated * 4).astype(np.uint8)


@pytest.mark.parametrize("n, rows", SIZES)
def test_own_bits_are_the_free_and_their_commitment(n, rows):
    p = people(rows, 1)
    inside, own = np.zeros(rows, dtype=np.bool_), np.zeros(rows, dtype=np.uint8)
    _own_bits(p["state"], p["ideology"], p["loyalty"], n, F32(0.6), F32(0.5), inside, own)
    free, bits = own_bits_numpy(p, n, F32(0.6), F32(0.5))
    assert np.array_equal(inside[:n], free) and np.array_equal(own[:n], bits)
    assert not inside[n:].any() and not own[n:].any()


@pytest.mark.parametrize("n, rows", SIZES)
@pytest.mark.parametrize("ties", [0, 1, 50, 600])
def test_reinforcement_is_the_numpy_update_in_float32(n, rows, ties):
    p = people(rows, 2)
    factor, tie, brand, ideology_loss, loyalty_loss = 0.5, 0.02, 0.013, 0.004, 0.01
    free, bits = own_bits_numpy(p, n, F32(0.6), F32(0.5))
    own = np.zeros(rows, dtype=np.uint8)
    own[:n] = bits
    src, dst = ties_among(free, ties, 3)
    ideology, loyalty = p["ideology"].copy(), p["loyalty"].copy()
    before = own.copy()
    _reinforce(
        p["disposition"], ideology, loyalty, n, src, dst, own,
        factor, tie, brand, ideology_loss, loyalty_loss,
    )  # fmt: skip

    # the NumPy statement: the bits of those one is tied to, then the update where free
    near = np.zeros(rows, dtype=np.uint8)
    np.bitwise_or.at(near, src, before[dst])
    np.bitwise_or.at(near, dst, before[src])
    assert np.array_equal(own, before | (near << 3))  # the bits gathered, in the same byte
    near = near[:n]
    one, i, lo = F32(1), p["ideology"][:n], p["loyalty"][:n]
    to_extremist = ((near & 2) != 0).astype(F32)
    to_dedicated = ((near & 4) != 0).astype(F32)
    reach = np.where(p["disposition"][:n] == Disposition.DISTURBED, F32(factor), one)
    i_new = i + reach * F32(tie) * to_extremist * (one - i)
    i_new = i_new - F32(ideology_loss) * (one - to_extremist)
    pull = reach * (F32(tie) * to_dedicated + F32(brand))
    lo_new = lo + pull * (one - lo) - F32(loyalty_loss) * (one - to_dedicated)
    expected_i = np.where(free, np.clip(i_new, F32(0), one), i)
    expected_lo = np.where(free, np.clip(lo_new, F32(0), one), lo)

    assert ideology[:n].tobytes() == expected_i.tobytes()
    assert loyalty[:n].tobytes() == expected_lo.tobytes()
    assert ideology[n:].tobytes() == p["ideology"][n:].tobytes()  # the rows past n untouched
    assert loyalty[n:].tobytes() == p["loyalty"][n:].tobytes()
    if ties and n == rows == 400:
        assert (to_extremist > 0).any() and (to_dedicated > 0).any()  # the ties did something


def parts_numpy(p, n, born_by, extremist_from, loyal_from, qualified_from, all_free):
    state = p["state"][:n]
    free = np.isin(state, FREE_STATES)
    pupil = free & (p["role"][:n] == Role.MINOR) & (p["birth"][:n] <= born_by)
    trainer = (
        np.isin(state, TRAINERS)
        & (p["ideology"][:n] >= extremist_from)
        & (p["loyalty"][:n] >= loyal_from)
        & (p["skill"][:n] >= qualified_from)
    )
    inside = free if all_free else pupil | trainer
    return inside, (pupil * 1 + trainer * 2).astype(np.uint8)


@pytest.mark.parametrize("n, rows", SIZES)
@pytest.mark.parametrize("all_free", [False, True])
def test_parts_are_the_pupils_and_trainers(n, rows, all_free):
    p = people(rows, 4)
    inside, part = np.zeros(rows, dtype=np.bool_), np.zeros(rows, dtype=np.uint8)
    thresholds = (np.int16(-20), F32(0.6), F32(0.5), F32(0.3))
    any_pupil = _parts(
        p["state"], p["role"], p["birth"], p["ideology"], p["loyalty"], p["skill"], n,
        *thresholds, all_free, inside, part,
    )  # fmt: skip
    expected_inside, expected_part = parts_numpy(p, n, *thresholds, all_free)
    assert np.array_equal(inside[:n], expected_inside)
    assert np.array_equal(part[:n], expected_part)
    assert bool(any_pupil) == bool((expected_part & 1).any())
    assert not inside[n:].any() and not part[n:].any()
    if n == rows == 400:
        assert any_pupil and (expected_part & 2).any()  # both kinds met


@pytest.mark.parametrize("n, rows", SIZES)
@pytest.mark.parametrize("ties", [0, 1, 50, 600])
def test_training_is_one_gain_for_each_pupil_tied_to_a_trainer(n, rows, ties):
    p = people(rows, 5)
    p["skill"][::3] = F32(0.995)  # some reach 1
    thresholds = (np.int16(-20), F32(0.6), F32(0.5), F32(0.3))
    inside, part = parts_numpy(p, n, *thresholds, all_free=False)
    src, dst = ties_among(inside, ties, 6)
    part_all = np.zeros(rows, dtype=np.uint8)
    part_all[:n] = part
    skill = p["skill"].copy()
    _train(src, dst, part_all, skill, F32(0.02))

    # the NumPy statement: pupils tied to a trainer (by the parts before any gain) gain once
    taught = np.zeros(rows, dtype=np.bool_)
    before = np.zeros(rows, dtype=np.uint8)
    before[:n] = part
    taught[src[(before[src] & 1 != 0) & (before[dst] & 2 != 0)]] = True
    taught[dst[(before[dst] & 1 != 0) & (before[src] & 2 != 0)]] = True
    expected = p["skill"].copy()
    expected[taught] = np.minimum(expected[taught] + F32(0.02), F32(1))
    assert skill.tobytes() == expected.tobytes()
    assert np.array_equal(part_all, np.where(taught, before & 2, before))
    if ties and n == rows == 400:
        assert taught.any() and (expected[taught] == 1).any()
