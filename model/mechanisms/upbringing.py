"""Upbringing (seed 003: the children of fighters 'could potentially add fresh blood to any
reorganised group's manpower'): minors of fighting age who are free and tied to a dedicated,
qualified member (their kin, or the pool's members) gain skill through training; in an
organised group (remobilised) they train as every member does (``recruitment``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import FREE_STATES, Role, State
from regroup.mechanisms.demography import of_fighting_age

if TYPE_CHECKING:
    from regroup.core.world import World

# where a trainer can be: free, or in the territory
TRAINERS = (*FREE_STATES, State.ACTIVE)


class Upbringing(Strict):
    """Training of members' children by committed, skilled kin."""

    kin_training: float = param(
        0.02,
        "skill/month",
        "seed 003 supports the direction (children 'could potentially add fresh blood to any "
        "reorganised group's manpower'); value assumption",
        "Monthly skill gained by a free minor of fighting age tied to a dedicated, qualified "
        "member (up to 1).",
        ge=0,
        le=0.5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.04),
    )


def step(w: World) -> None:
    u, pop = w.group(Upbringing), w.pop
    if u.kin_training <= 0:
        return
    minors = np.flatnonzero(pop.mask(*FREE_STATES) & (pop.view("role") == int(Role.MINOR)))
    minors = minors[of_fighting_age(w, minors)]
    if len(minors) == 0:
        return
    around = pop.mask(*TRAINERS)
    trainer = around & w.dedicated_rows() & w.qualified(pop.view("skill"))
    taught = minors[w.ties.any_neighbour(trainer, among=around)[minors]]
    pop.skill[taught] = np.minimum(1.0, pop.skill[taught] + u.kin_training)
