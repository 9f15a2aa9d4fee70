"""Allegiance outside prison and camps (seeds 000, 002, 003): ideology and loyalty of free
members are reinforced by ties to committed free members and, for loyalty, by the group's
brand (the appeal, ``recruitment``); without them they decay, loyalty faster than ideology
(seed 002: defectors who reject the group 'still hold extremist views'). The 'disturbed'
(seed 000: trauma) withdraw: reinforcement reaches them less (an assumption)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import FREE_STATES, Disposition

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
    free = pop.mask(*FREE_STATES)
    idx = np.flatnonzero(free)
    if len(idx) == 0:
        return
    ideology, loyalty = pop.view("ideology"), pop.view("loyalty")
    extremist = free & w.extremist(ideology)
    dedicated = extremist & w.loyal(loyalty)
    to_extremist = w.ties.any_neighbour(extremist, among=free)[idx]
    to_dedicated = w.ties.any_neighbour(dedicated, among=free)[idx]
    reach = np.where(pop.disposition[idx] == int(Disposition.DISTURBED), a.disturbed_factor, 1.0)
    appeal = w.out.raw["appeal"][w.t]
    i, lo = ideology[idx], loyalty[idx]
    i_new = i + reach * a.tie_reinforcement * to_extremist * (1.0 - i)
    i_new -= a.ideology_decay * ~to_extremist
    pull = reach * (a.tie_reinforcement * to_dedicated + a.brand_reinforcement * appeal)
    lo_new = lo + pull * (1.0 - lo) - a.loyalty_decay * ~to_dedicated
    ideology[idx] = np.clip(i_new, 0.0, 1.0)
    loyalty[idx] = np.clip(lo_new, 0.0, 1.0)
