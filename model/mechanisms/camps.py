"""Camps (model brief): families held by states in camps in the region (settlers, women,
minors; children whose parents are held) have their own radicalisation, toward the camp's mix
weighted to its most extreme; some are smuggled out, paying or helped by the group's networks
if loyal; repatriation of foreigners is in ``justice``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
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


def detainees(w: World) -> np.ndarray:
    pop = w.pop
    return np.flatnonzero(pop.mask(State.DETAINED) & (pop.view("custody") == int(Custody.CAMP)))


def step(w: World) -> None:
    c, t, pop = w.group(Camps), w.t, w.pop
    idx = detainees(w)
    if len(idx) == 0:
        return
    # radicalisation toward the camp's mix: locals and foreigners held apart (annexes)
    foreign = (pop.region[idx] != int(Region.LOCAL)).astype(np.int64)
    ideology, loyalty = pop.ideology[idx], pop.loyalty[idx]
    weight = 1.0 + c.zeal_weight * ideology
    total = np.bincount(foreign, weights=weight, minlength=2)
    for name, x in (("ideology", ideology), ("loyalty", loyalty)):
        mix = np.bincount(foreign, weights=weight * x, minlength=2) / np.maximum(total, 1e-12)
        getattr(pop, name)[idx] = np.clip(x + c.radicalisation * (mix[foreign] - x), 0.0, 1.0)
    # smuggling out: paying their way, or helped by the group's networks if loyal
    settled = idx[pop.entered[idx] < t]
    pays = pop.funds[settled] >= c.smuggling_fee_usd
    able = pays | w.loyal(pop.loyalty[settled])
    out = w.chance(settled[able], c.smuggling)
    payers = out[pop.funds[out] >= c.smuggling_fee_usd]
    pop.funds[payers] -= np.float32(c.smuggling_fee_usd)
    local = pop.region[out] == int(Region.LOCAL)
    pop.move(out[local], State.HIDING_LOCAL, t)
    abroad = out[~local]
    pop.move(abroad, State.HIDING_ABROAD, t, place=Place.TURKEY)
    pop.documents[abroad] = False
    w.count("smuggled_from_camps", len(out))
