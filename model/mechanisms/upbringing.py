"""Upbringing (seed 003: the children of fighters 'could potentially add fresh blood to any
reorganised group's manpower'): minors of fighting age who are free and tied to a dedicated,
qualified member (their kin, or the pool's members) gain skill through training; in an
organised group (remobilised) they train as every member does (``recruitment``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import FREE_STATES, Role, State, code_bits
from regroup.mechanisms.allegiance import Rows

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
    rows = w.memory(AroundRows)
    around = rows.select(pop, AROUND)
    # with nobody in the territory, the set is allegiance's (the free): its answer is reused
    key = "trainers" if pop.count(State.ACTIVE) else "free"
    _train(
        around,
        pop.state,
        pop.role,
        pop.birth,
        pop.ideology,
        pop.loyalty,
        pop.skill,
        *w.ties.inside(rows.inside[: pop.n], key=key),
        rows.own,
        rows.tied,
        w.t,
        w.population.fighting_age_years * 12,
        np.float32(w.extremist_from),
        np.float32(w.loyal_from),
        np.float32(w.qualified_from),
        np.float32(u.kin_training),
    )


class AroundRows(Rows):
    """:class:`Rows` for those free or in the territory (upbringing's per-run memory)."""


FREE = code_bits(*FREE_STATES)  # the states as bits (bit ``code`` each)
AROUND = code_bits(*TRAINERS)
MINOR = int(Role.MINOR)


@njit(cache=True)
def _train(  # pragma: no cover - compiled
    around,
    state,
    role,
    birth,
    ideology,
    loyalty,
    skill,
    src,
    dst,
    part,
    taught,
    t,
    fighting_age_months,
    extremist_from,
    loyal_from,
    qualified_from,
    gain,
):
    """Skill ``gain`` (float32, up to 1) for each pupil (a free minor of fighting age) tied
    to a trainer (dedicated and qualified, free or in the territory), in place (``around``:
    the people free or in the territory; ``src``-``dst``: the ties between two of them;
    ``part`` and ``taught``: scratch bytes per row, ``taught`` zero on entry and on return)."""
    pupils = 0
    for i in around:  # every part read before any skill changes
        pupil = (
            ((FREE >> np.int64(state[i])) & 1)
            & np.int64(role[i] == MINOR)
            & np.int64(t - birth[i] >= fighting_age_months)
        )
        trainer = (
            np.int64(ideology[i] >= extremist_from)
            & np.int64(loyalty[i] >= loyal_from)
            & np.int64(skill[i] >= qualified_from)
        )
        part[i] = pupil | (trainer << 1)  # bit 1 a pupil, bit 2 a trainer
        pupils += pupil
    if pupils == 0:
        return
    for k in range(len(src)):
        a, b = part[src[k]], part[dst[k]]
        taught[src[k]] |= a & (b >> 1)  # written for every tie: a pupil's tie to a trainer
        taught[dst[k]] |= b & (a >> 1)
    for i in around:
        if taught[i]:
            skill[i] = min(skill[i] + gain, np.float32(1.0))
            taught[i] = 0
