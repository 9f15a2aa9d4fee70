"""Camps (model brief): families held by states in camps in the region (settlers, women,
minors; children whose parents are held) have their own radicalisation, toward the camp's mix
weighted to its most extreme; some are smuggled out, paying or helped by the group's networks
if loyal; repatriation of foreigners is in ``justice``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import Custody, Place, Region, State
from regroup.core.world import PERSONS, Output

if TYPE_CHECKING:
    from regroup.core.world import World

OUTPUTS = {"smuggled_from_camps": Output(PERSONS, "Smuggled out of camps.", flow=True)}


class Camps(Strict):
    """Radicalisation in camps and smuggling out."""

    radicalisation: float = param(
        0.03,
        "share of the gap/month",
        "model brief (camps with their own radicalisation); seed 003 supports the direction "
        "(radicalisation in detention, as at Camp Bucca); value assumption",
        "Monthly pull of a detainee's ideology and loyalty toward the camp's mix.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.06),
    )
    zeal_weight: float = param(
        2.0,
        "factor",
        "assumption (the committed set the tone, as in prisons)",
        "Extra weight of a detainee's views in the camp's mix per unit of their ideology.",
        ge=0,
        le=50,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=6.0),
    )
    smuggling: float = param(
        0.004,
        "probability/month",
        "model brief (smuggling out of camps); value assumption",
        "Monthly probability that a detainee who can pay, or who is loyal (the group's "
        "networks pay), is smuggled out of a camp.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.004, sigma=0.6, low=0.001, high=0.015),
    )
    smuggling_fee_usd: float = param(
        2500.0,
        "USD/person",
        "assumption; seed 003's fee out of the territory ($7,000-10,000) supports only the "
        "order of magnitude",
        "Fee to be smuggled out of a camp.",
        ge=0,
        le=1e6,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=2500, sigma=0.5, low=1000, high=8000),
    )


LOCAL = int(Region.LOCAL)  # as the compiled kernels read them
DETAINED, CAMP = int(State.DETAINED), int(Custody.CAMP)


EIGHT_CAMPS = np.uint64(CAMP * 0x0101010101010101)  # CAMP in each byte of a word
LOW_BITS = np.uint64(0x7F7F7F7F7F7F7F7F)


@njit(cache=True)
def _in_camps(state, custody, n):  # pragma: no cover - compiled
    """Rows ``0..n-1`` held in a camp (DETAINED, custody CAMP), in increasing order.

    Few rows are (one in fifteen at most): the custody codes are read eight at a time (a
    64-bit word), and a word with no byte equal to CAMP is skipped (exact: a byte's high bit
    is set in ``zero`` only if the byte of ``v`` is 0, as the low seven bits of each byte
    are added apart and cannot carry into the next); the rows of the other words are tested
    one by one, branch-free."""
    held = np.empty(n + 1, dtype=np.intp)
    k = 0
    words = n // 8
    for j, word in enumerate(custody[: 8 * words].view(np.uint64)):
        v = word ^ EIGHT_CAMPS  # a zero byte where the custody is CAMP
        zero = ~(((v & LOW_BITS) + LOW_BITS) | v | LOW_BITS)
        if zero != 0:
            for i in range(8 * j, 8 * j + 8):
                held[k] = i
                k += np.int64(custody[i] == CAMP) & np.int64(state[i] == DETAINED)
    for i in range(8 * words, n):
        held[k] = i
        k += np.int64(custody[i] == CAMP) & np.int64(state[i] == DETAINED)
    return held[:k]


@njit(cache=True)
def _camp_month(
    state,
    custody,
    region,
    entered,
    ideology,
    loyalty,
    funds,
    n,
    t,
    radicalisation,
    zeal_weight,
    fee,
    loyal_from,
):  # pragma: no cover - compiled
    """A month in the camps, over rows ``0..n-1``; returns how many are held, and those able
    to leave.

    Each detainee's ideology and loyalty are pulled by ``radicalisation`` of the gap toward
    the mix of their annex (locals and foreigners are held apart), weighted ``1 + zeal_weight
    x ideology`` (the committed set the tone); within 0-1. Sums as ``np.bincount`` adds them
    (in float64, in row order). Able to leave: the detainees held since before month ``t``
    who can pay the ``fee`` or are loyal (loyalty, after the pull, at least ``loyal_from``:
    the group's networks pay), in row order. ``fee`` and ``loyal_from`` come as float32, as
    NumPy compares a float32 array with a number. :func:`_in_camps` finds the detainees, one
    pass over them sums the mix, one pulls and selects."""
    held = _in_camps(state, custody, n)
    k = len(held)
    rows = held.view(np.uint64)  # unsigned: no negative-index wraparound at each read (10% off)
    total = np.zeros(2)
    weighted = np.zeros((2, 2))  # ideology, loyalty x local, foreign
    for i in rows:
        annex = np.int64(region[i] != LOCAL)
        weight = np.float32(1.0) + zeal_weight * ideology[i]
        total[annex] += weight
        weighted[0, annex] += weight * ideology[i]
        weighted[1, annex] += weight * loyalty[i]
    mix = weighted / np.maximum(total, 1e-12)
    able = np.empty(k, dtype=np.intp)
    m = 0
    for i in rows:
        annex = np.int64(region[i] != LOCAL)
        for v, x in enumerate((ideology, loyalty)):
            x[i] = min(max(x[i] + radicalisation * (mix[v, annex] - x[i]), 0.0), 1.0)
        able[m] = i  # writes every one, keeps those able (branch-free)
        m += (entered[i] < t) & ((funds[i] >= fee) | (loyalty[i] >= loyal_from))
    return k, able[:m]


@njit(cache=True)
def _smuggled(out, region, funds, documents, fee):  # pragma: no cover - compiled
    """Those smuggled out (``out``) pay the ``fee`` (float32) if they can; returns the locals
    and the foreigners among them, in order; the foreigners travel without documents."""
    local = np.empty(len(out), dtype=np.intp)
    abroad = np.empty(len(out), dtype=np.intp)
    k = m = 0
    for i in out:
        if funds[i] >= fee:
            funds[i] -= fee
        if region[i] == LOCAL:
            local[k] = i
            k += 1
        else:
            abroad[m] = i
            documents[i] = False
            m += 1
    return local[:k], abroad[:m]


def step(w: World) -> None:
    c, t, pop = w.group(Camps), w.t, w.pop
    # radicalisation toward the camp's mix; smuggling out: paying their way, or helped by
    # the group's networks if loyal (w.loyal)
    fee = np.float32(c.smuggling_fee_usd)
    held, able = _camp_month(
        pop.state, pop.custody, pop.region, pop.entered, pop.ideology, pop.loyalty, pop.funds,
        pop.n, t, c.radicalisation, np.float32(c.zeal_weight), fee, np.float32(w.loyal_from),
    )  # fmt: skip
    if held == 0:
        return
    out = w.chance(able, c.smuggling)
    w.count("smuggled_from_camps", len(out))
    if len(out) == 0:
        return
    local, abroad = _smuggled(out, pop.region, pop.funds, pop.documents, fee)
    pop.move(local, State.HIDING_LOCAL, t)
    pop.move(abroad, State.HIDING_ABROAD, t, place=Place.TURKEY)
