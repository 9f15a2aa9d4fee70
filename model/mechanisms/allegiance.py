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
from regroup.core.population import Rows
from regroup.core.states import FREE_BITS, Disposition

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
    rows, pop = w.memory(FreeRows), w.pop
    if rows.a is None:
        rows.start(w)
    if pop.state.shape[0] > rows.own.shape[0]:  # the population has grown
        rows.fit(pop)
    a = rows.a
    _own_bits(
        pop.state,
        pop.ideology,
        pop.loyalty,
        pop.n,
        rows.extremist_from,
        rows.loyal_from,
        rows.inside,
        rows.own,
    )
    _reinforce(
        pop.disposition,
        pop.ideology,
        pop.loyalty,
        pop.n,
        *w.ties.inside(rows.inside[: pop.n], key="free"),
        rows.own,
        a.disturbed_factor,
        a.tie_reinforcement,
        a.brand_reinforcement * w.out.raw["appeal"][w.t],
        a.ideology_decay,
        a.loyalty_decay,
    )


class FreeRows(Rows):
    """:class:`~regroup.core.population.Rows` for the free (allegiance's per-run memory):
    ``inside``, free, and ``own``, a byte per row (its bits: :func:`_own_bits`, then those
    gathered from each one's ties, :func:`_reinforce`); the run's parameters and thresholds
    (float32, as the views they are compared with), made at the first step (:meth:`start`)."""

    def __init__(self) -> None:
        super().__init__()
        self.a: Allegiance | None = None

    def start(self, w: World) -> None:
        """The run's constants."""
        self.a = w.group(Allegiance)
        self.extremist_from = np.float32(w.extremist_from)
        self.loyal_from = np.float32(w.loyal_from)


DISTURBED = int(Disposition.DISTURBED)
# the own bits as bytes, for ``_own_bits`` (see there)
NONE_BYTE, FREE_BYTE, EXTREMIST_BYTE, DEDICATED_BYTE = (np.uint8(b) for b in (0, 1, 2, 4))


# Sequential, branch-free passes over every row: faster here than gathering the free (a
# third of the rows) by index. A choice per row is a blend (``x * c + y * (1 - c)``, exact for
# finite values), not ``x if c else y``: with the free spread at random over the rows, a
# branch mispredicts and stops the compiler's vectorisation; so does float64 arithmetic on
# the float32 values (the parameters are converted once). A bit becomes a float through a
# test (``(b & 2) != 0``), not a shift (``(b >> 1) & 1``): Numba does integer arithmetic in
# 64 bits, which the vectorised loop then carries out in 64-bit lanes.
@njit(cache=True)
def _own_bits(  # pragma: no cover - compiled
    state, ideology, loyalty, n, extremist_from, loyal_from, inside, own
):
    """For each row ``i < n``: ``inside[i]``, free, and ``own[i]``, bit 1 free, bit 2 free
    extremist, bit 4 free dedicated (0 for the others), the other bits zero. The state's bit
    (``1 << state``) tested in 32 bits and the byte's bits chosen as bytes, not shifted in
    Numba's 64-bit integers (which the vectorised loop carries out in 64-bit lanes): in whole
    runs (each call's least time over 10 runs alternated, two sets) 12.9 -> 12.2 and 12.7 ->
    11.7 us a call."""
    one, free_bits = np.uint32(1), np.uint32(FREE_BITS)
    for i in range(n):
        free = (np.uint32(one << np.uint32(state[i])) & free_bits) != 0
        extremist = ideology[i] >= extremist_from
        dedicated = extremist & (loyalty[i] >= loyal_from)
        inside[i] = free
        bits = FREE_BYTE | (EXTREMIST_BYTE if extremist else NONE_BYTE)
        own[i] = (bits | (DEDICATED_BYTE if dedicated else NONE_BYTE)) if free else NONE_BYTE


@njit(cache=True)
def _reinforce(  # pragma: no cover - compiled
    disposition,
    ideology,
    loyalty,
    n,
    src,
    dst,
    own,
    disturbed_factor,
    tie_reinforcement,
    brand_pull,
    ideology_decay,
    loyalty_decay,
):
    """The month's ideology and loyalty of every free person (``own`` bit 1), in place:
    pulled toward 1 by a tie to a free extremist (ideology) or dedicated member (loyalty,
    also by the brand, worth ``brand_pull``), less for the disturbed; else decaying
    (``src``-``dst``: the ties between two free people). The NumPy expressions it replaced,
    in the same order, but in float32 (the values' own precision) instead of float64.

    The own bits (1, 2, 4) of those each one is tied to are gathered into the same byte, as
    bits 8, 16, 32 (:func:`_own_bits` writes the whole byte again next month): a tie's ends
    then touch one array, not two (in a run, 52 -> 38 us a call against a separate array of
    gathered bits, zeroed after). The ends are read as unsigned numbers: a signed index costs
    a test for a negative one (counted from the end) on each access, three times the
    instructions of the loop."""
    for e in range(len(src)):  # the own bits of the free one is tied to, shifted by 3
        s, d = np.uint32(src[e]), np.uint32(dst[e])
        own[s] |= (own[d] & 7) << 3
        own[d] |= (own[s] & 7) << 3
    one, zero = np.float32(1.0), np.float32(0.0)  # in float32, as the values are stored
    reached, reinforced = np.float32(disturbed_factor), np.float32(tie_reinforcement)
    brand, ideology_loss = np.float32(brand_pull), np.float32(ideology_decay)
    loyalty_loss = np.float32(loyalty_decay)
    for k in range(n):  # computed for everyone, kept for the free (blends, see above)
        disturbed = np.float32(disposition[k] == DISTURBED)
        reach = reached * disturbed + one * (one - disturbed)
        bits = own[k]
        to_extremist = np.float32((bits & 16) != 0)  # 1 if tied to a free extremist
        to_dedicated = np.float32((bits & 32) != 0)  # 1 if tied to a dedicated member
        i, lo = ideology[k], loyalty[k]
        i_new = i + reach * reinforced * to_extremist * (one - i)
        i_new -= ideology_loss * (one - to_extremist)
        pull = reach * (reinforced * to_dedicated + brand)
        lo_new = lo + pull * (one - lo) - loyalty_loss * (one - to_dedicated)
        free = np.float32((bits & 1) != 0)
        ideology[k] = min(max(i_new, zero), one) * free + i * (one - free)  # np.clip(., 0, 1)
        loyalty[k] = min(max(lo_new, zero), one) * free + lo * (one - free)
