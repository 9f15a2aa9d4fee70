"""Allegiance outside prison and camps (seeds 000, 002, 003): ideology and loyalty of free
members are reinforced by ties to committed free members and, for loyalty, by the group's
brand (the appeal, ``recruitment``); without them they decay, loyalty faster than ideology
(seed 002: defectors who reject the group 'still hold extremist views'). The 'disturbed'
(seed 000: trauma) withdraw: reinforcement reaches them less (an assumption)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import FREE_STATES, Disposition, code_bits

if TYPE_CHECKING:
    from regroup.core.world import World


class Allegiance(Strict):
    """Reinforcement and decay of ideology and loyalty among free members."""

    tie_reinforcement: float = param(
        0.02,
        "share of the gap/month",
        "model brief (commitment decays unless reinforced by ties); value assumption",
        "Monthly pull toward 1 of the ideology (loyalty) of a free member tied to a free "
        "extremist (dedicated member).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.005, high=0.05),
    )
    brand_reinforcement: float = param(
        0.02,
        "share of the gap/month",
        "seed 003 supports the direction ('Because of its perceived effectiveness, the ISIS brand "
        "may still attract new members'); value assumption",
        "Monthly pull toward 1 of a free member's loyalty, times the appeal.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.05),
    )
    loyalty_decay: float = param(
        0.01,
        "loyalty/month",
        "assumption: no seed gives it (the model brief's design: commitment decays unless "
        "reinforced by ties)",
        "Monthly loss of loyalty of a free member without a tie to a dedicated free member.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.35, low=0.005, high=0.02),
    )
    ideology_decay: float = param(
        0.004,
        "ideology/month",
        "seed 002 supports the direction (returnees who reject the group 'still hold extremist "
        "views': ideology lasts longer than loyalty); value assumption",
        "Monthly loss of ideology of a free member without a tie to a free extremist.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.001, high=0.01),
    )
    disturbed_factor: float = param(
        0.5,
        "factor",
        "seed 000 names the category (Deen: 'The disturbed: those suffering from trauma akin to "
        "PTSD'); that trauma withdraws them from the group's reinforcement is an assumption",
        "Reinforcement reaching a disturbed member, relative to others.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=1.0),
    )


def step(w: World) -> None:
    a, pop = w.group(Allegiance), w.pop
    appeal = w.out.raw["appeal"][w.t]
    _reinforce(
        pop.state,
        pop.disposition,
        pop.ideology,
        pop.loyalty,
        pop.n,
        *w.ties.inside(pop.mask(*FREE_STATES), key="free"),
        FREE,
        np.float32(w.extremist_from),
        np.float32(w.loyal_from),
        a.disturbed_factor,
        a.tie_reinforcement,
        a.brand_reinforcement * appeal,
        a.ideology_decay,
        a.loyalty_decay,
    )


FREE = code_bits(*FREE_STATES)  # the free states as bits (bit ``code`` each)
# bits of _ties_to_committed's ``tied``: the own bits (below) of the free people one is tied to
TIED_TO_EXTREMIST, TIED_TO_DEDICATED = 2, 4
DISTURBED = int(Disposition.DISTURBED)


@njit(cache=True)
def _ties_to_committed(  # pragma: no cover - compiled
    state, ideology, loyalty, n, src, dst, free_states, extremist_from, loyal_from
):
    """The free people (in order) and, per person, bit 2 if tied to a free extremist and bit 4
    if tied to a free dedicated member (``src``-``dst``: the ties between two free people)."""
    # each person's own bits: 1 free, 2 free extremist, 4 free dedicated
    own = np.empty(n, dtype=np.uint8)
    free = np.empty(n, dtype=np.intp)
    k = 0
    for i in range(n):
        is_free = (free_states >> np.int64(state[i])) & 1
        extremist = np.int64(ideology[i] >= extremist_from)
        dedicated = extremist & np.int64(loyalty[i] >= loyal_from)
        own[i] = is_free * (1 | (extremist << 1) | (dedicated << 2))
        free[k] = i  # written for everyone, kept for the free
        k += is_free
    tied = np.zeros(n, dtype=np.uint8)
    for e in range(len(src)):
        s, d = src[e], dst[e]
        tied[s] |= own[d]
        tied[d] |= own[s]
    return free[:k], tied


@njit(cache=True)
def _reinforce(  # pragma: no cover - compiled
    state,
    disposition,
    ideology,
    loyalty,
    n,
    src,
    dst,
    free_states,
    extremist_from,
    loyal_from,
    disturbed_factor,
    tie_reinforcement,
    brand_pull,
    ideology_decay,
    loyalty_decay,
):
    """The month's ideology and loyalty of every free person, in place: pulled toward 1 by a
    tie to a free extremist (ideology) or dedicated member (loyalty, also by the brand, worth
    ``brand_pull``), less for the disturbed; else decaying. The same arithmetic, in the same
    order and precision, as the NumPy expressions it replaced (results are bit-identical)."""
    free, tied = _ties_to_committed(
        state, ideology, loyalty, n, src, dst, free_states, extremist_from, loyal_from
    )
    one = np.float32(1.0)
    for k in free:
        reach = disturbed_factor if disposition[k] == DISTURBED else 1.0
        to_extremist = 1.0 if tied[k] & TIED_TO_EXTREMIST else 0.0
        to_dedicated = 1.0 if tied[k] & TIED_TO_DEDICATED else 0.0
        i, lo = ideology[k], loyalty[k]
        i_new = i + reach * tie_reinforcement * to_extremist * (one - i)
        i_new -= ideology_decay * (1.0 - to_extremist)
        pull = reach * (tie_reinforcement * to_dedicated + brand_pull)
        lo_new = lo + pull * (one - lo) - loyalty_decay * (1.0 - to_dedicated)
        ideology[k] = min(max(i_new, 0.0), 1.0)  # np.clip(., 0, 1), -0.0 included
        loyalty[k] = min(max(lo_new, 0.0), 1.0)
