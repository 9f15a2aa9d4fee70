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
from regroup.mechanisms.prison import held_in

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


def detainees(w: World) -> np.ndarray:
    """Rows held in camps (DETAINED in camp custody), in increasing order."""
    return held_in(w.pop, Custody.CAMP)


LOCAL = int(Region.LOCAL)  # as the compiled kernels read it


@njit(cache=True)
def _radicalise(idx, region, ideology, loyalty, radicalisation, zeal_weight):  # pragma: no cover
    """Pull each detainee's ideology and loyalty by ``radicalisation`` of the gap toward the
    mix of their annex (locals and foreigners are held apart), weighted ``1 + zeal_weight x
    ideology`` (the committed set the tone); within 0-1. Sums as ``np.bincount`` adds them
    (in float64, in order)."""
    total = np.zeros(2)
    weighted = np.zeros((2, 2))  # ideology, loyalty x local, foreign
    for i in idx:
        annex = np.int64(region[i] != LOCAL)
        weight = np.float32(1.0) + zeal_weight * ideology[i]
        total[annex] += weight
        weighted[0, annex] += weight * ideology[i]
        weighted[1, annex] += weight * loyalty[i]
    mix = weighted / np.maximum(total, 1e-12)
    for i in idx:
        annex = np.int64(region[i] != LOCAL)
        for v, x in enumerate((ideology, loyalty)):
            x[i] = min(max(x[i] + radicalisation * (mix[v, annex] - x[i]), 0.0), 1.0)


@njit(cache=True)
def _able_to_leave(idx, entered, funds, loyalty, t, fee, loyal_from):  # pragma: no cover
    """The detainees of ``idx`` held since before month ``t`` who can pay the ``fee`` or are
    loyal (loyalty at least ``loyal_from``: the group's networks pay). ``fee`` and
    ``loyal_from`` come as float32, as NumPy compares a float32 array with a number."""
    out = np.empty(len(idx), dtype=np.intp)
    k = 0
    for i in idx:  # writes every row, keeps those able (branch-free)
        out[k] = i
        k += (entered[i] < t) & ((funds[i] >= fee) | (loyalty[i] >= loyal_from))
    return out[:k]


def step(w: World) -> None:
    c, t, pop = w.group(Camps), w.t, w.pop
    idx = detainees(w)
    if len(idx) == 0:
        return
    _radicalise(
        idx, pop.region, pop.ideology, pop.loyalty, c.radicalisation, np.float32(c.zeal_weight)
    )
    # smuggling out: paying their way, or helped by the group's networks if loyal (w.loyal)
    fee = np.float32(c.smuggling_fee_usd)
    able = _able_to_leave(
        idx, pop.entered, pop.funds, pop.loyalty, t, fee, np.float32(w.loyal_from)
    )
    out = w.chance(able, c.smuggling)
    w.count("smuggled_from_camps", len(out))
    if len(out) == 0:
        return
    payers = out[pop.funds[out] >= c.smuggling_fee_usd]
    pop.funds[payers] -= fee
    local = pop.region[out] == int(Region.LOCAL)
    pop.move(out[local], State.HIDING_LOCAL, t)
    abroad = out[~local]
    pop.move(abroad, State.HIDING_ABROAD, t, place=Place.TURKEY)
    pop.documents[abroad] = False
