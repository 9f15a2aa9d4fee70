"""Disillusionment: the four defector narratives (seed 002) and territorial loss raise
the wish to leave, differently by role: settlers after 2015 as the war comes to them
(seed 001), leaders when the territory looks lost (seeds 001, 003). The narratives work on
those disloyal to the group; wanting to leave erodes loyalty much more than ideology
(seed 002: defectors reject the group's strategy, yet 'many still hold extremist views')."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import (
    ASSUMPTION,
    RegionFactors,
    RoleFactors,
    Strict,
    param,
    table,
)
from regroup.core.population import NOBODY, Field
from regroup.core.states import CIVILIAN, Role, State
from regroup.core.world import as_compared

if TYPE_CHECKING:
    from regroup.core.world import World

FIELDS = {"wish": Field(np.float32)}  # the wish to leave, 0-1
ACTIVE = int(State.ACTIVE)


class Disillusionment(Strict):
    """The four defector narratives (seed 002) and territorial loss raise the wish to leave."""

    infighting: float = param(
        0.006,
        "wish/month",
        "seed 002 names the narrative ('group infighting', one of four driving defectors to "
        "leave); value assumption",
        "Push of group infighting.",
        ge=0,
        le=0.5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.006, sigma=0.4, low=0.003, high=0.012),
    )
    brutality: float = param(
        0.006,
        "wish/month",
        "seed 002 names the narrative ('brutality against Sunni Muslims'); value assumption",
        "Push of brutality against Sunnis.",
        ge=0,
        le=0.5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.006, sigma=0.4, low=0.003, high=0.012),
    )
    corruption: float = param(
        0.004,
        "wish/month",
        "seed 002 names the narrative (corruption and un-Islamic behaviour); value assumption",
        "Push of corruption and 'un-Islamic' conduct.",
        ge=0,
        le=0.5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.004, sigma=0.4, low=0.002, high=0.008),
    )
    quality_of_life: float = param(
        0.006,
        "wish/month",
        "seed 002 names the narrative ('poor quality of life'); value assumption",
        "Push of poor quality of life.",
        ge=0,
        le=0.5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.006, sigma=0.4, low=0.003, high=0.012),
    )
    territorial_loss: float = param(
        0.08,
        "wish/month",
        "seed 000 supports the direction (recruits who fled, 'fed up with the group's inability "
        "to hold on to territory'); seed 001 likewise; value assumption",
        "Push per month times the share of peak territory lost.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.08, sigma=0.4, low=0.04, high=0.16),
    )
    sensitivity: RoleFactors = table(
        RoleFactors,
        {
            "zealot": 0.2,
            "veteran": 0.3,
            "novice": 1.0,
            "settler": 1.5,
            "dissident": 3.0,
            "leader": 0.4,
            "amni": 0.3,
            "local_recruit": 1.2,
            "woman": 1.0,
            "minor": 0.5,
        },
        "factor",
        "seeds 001, 003 support the order (dissidents 'grown dissatisfied with the ISIS brand of "
        "Islam'; settlers found the caliphate 'too dangerous'); values assumption",
        "How strongly each role feels the narratives.",
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1, sigma=0.3, low=0.6, high=1.6),
    )
    settler_war_push: float = param(
        0.04,
        "wish/month",
        "seed 001 supports the direction (after 2015 those who 'simply wanted to live under the "
        "caliphate found that it was too dangerous'); value assumption",
        "Extra push on settlers, women and minors times combat intensity.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.04, sigma=0.4, low=0.02, high=0.08),
    )
    leader_despair_control: float = param(
        0.4,
        "share of territory",
        "seeds 001, 003 support the direction (from 2017 leaders 'began to realize that ISIS "
        "would not recover from its territorial losses'); threshold assumption",
        "Territory below which leaders judge the territory lost and want to leave.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.6),
    )
    leader_despair_push: float = param(
        0.25,
        "wish/month",
        "seeds 001, 003 support the direction (leaders left once they saw the group 'would not "
        "recover from its territorial losses'); value assumption",
        "Monthly push on leaders once territory is below leader_despair_control.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    leave_threshold: float = param(
        0.5,
        "0-1",
        ASSUMPTION,
        "Wish to leave above which a member tries to.",
        ge=0.05,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.35, high=0.65),
    )
    loyalty_loss: float = param(
        0.5,
        "loyalty per unit wish",
        "seed 002 supports the direction (defectors 'reject ISIS's strategy and tactics'); value "
        "assumption",
        "Loyalty to the group lost per unit of wish to leave gained.",
        ge=0,
        le=2,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.25, high=1.0),
    )
    ideology_loss: float = param(
        0.1,
        "ideology per unit wish",
        "seed 002 supports the direction (returnees reject the group's strategy but 'many still "
        "hold extremist views'): ideology falls less than loyalty; value assumption",
        "Ideology lost per unit of wish to leave gained.",
        ge=0,
        le=2,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.3),
    )
    region_leave_factor: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 1.0,
            "europe_turkey": 3.5,
            "former_soviet": 0.7,
            "middle_east_gulf": 1.2,
            "other": 1.0,
        },
        "factor",
        "fitted to European travellers 30-35% returned (EU counter-terrorism coordinator 2017) "
        "against about 18% of all foreigners (ICSR 2018), both via the model brief; values for "
        "the other regions an assumption",
        "How much more readily members of each foreign region want to leave.",
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.8, mode=1, high=1.25),
    )


def region_factor(w: World) -> np.ndarray:
    """Leave factor by region code (1 for locals)."""
    return w.table(w.group(Disillusionment).region_leave_factor, local=1.0)


class Territory:
    """Those in the territory (ACTIVE) since before month ``t`` who wanted to leave after the
    month's push (:func:`leavers`), in row order: the push finds them as it goes, and each
    question in the month keeps those not moved since (:func:`_still_settled`) instead of
    testing every member's wish. The wish to leave changes only in the push; without a push
    this month (the model run without this mechanism) the first question tests them."""

    def __init__(self) -> None:
        self.t = -1  # the month they are for (-1: none yet)
        self.leavers = NOBODY
        self.d: Disillusionment | None = None  # the run's parameters, once started

    def start(self, w: World) -> None:
        """The push's constants for the run: the parameters, the sensitivity by role, the
        leave factor by region (:func:`region_factor`), the narratives' sum (float32: it
        multiplies float32 loyalties in float32), the threshold as the wishes meet it."""
        d = self.d = w.group(Disillusionment)
        self.sensitivity, self.region_factor = w.table(d.sensitivity), region_factor(w)
        self.narratives = np.float32(d.infighting + d.brutality + d.corruption + d.quality_of_life)
        self.threshold = as_compared(d.leave_threshold, w.pop.wish)


def step(w: World) -> None:
    pop = w.pop
    if pop.count(State.ACTIVE) == 0:  # nobody left in the territory (most of the run)
        return
    territory, s, t = w.memory(Territory), w.schedule, w.t
    if territory.d is None:
        territory.start(w)
    d = territory.d
    despair = s.control[t] < d.leader_despair_control  # leaders judge the territory lost
    territory.leavers = _push(
        # unsigned rows: Numba then skips the wraparound of a negative index at each of the
        # kernel's reads and writes (30-40% of its time, measured at months 20-60)
        pop.where(State.ACTIVE).view(np.uint64),
        pop.role,
        pop.region,
        pop.wish,
        pop.loyalty,
        pop.ideology,
        territory.sensitivity,
        territory.region_factor,
        territory.narratives,
        d.territorial_loss * s.loss[t],
        d.settler_war_push * s.intensity[t],
        d.leader_despair_push if despair else 0.0,
        d.loyalty_loss,
        d.ideology_loss,
        pop.entered,
        t,
        territory.threshold,
    )
    territory.t = t


def leavers(w: World) -> np.ndarray:
    """The members in the territory (ACTIVE) since before this month who want to leave, in
    row order: ``wants_to_leave(w, w.pop.where(State.ACTIVE, t=w.t))``, from the month's
    :class:`Territory` (found by the push; security asks, then escape)."""
    territory, pop = w.memory(Territory), w.pop
    if territory.t != w.t:
        territory.leavers = wants_to_leave(w, pop.where(State.ACTIVE, t=w.t))
        territory.t = w.t
        return territory.leavers
    return _still_settled(territory.leavers, pop.state, pop.entered, w.t)


LEADER = int(Role.LEADER)


@njit(cache=True)
def _push(  # pragma: no cover - compiled
    active,
    role,
    region,
    wish,
    loyalty,
    ideology,
    sensitivity,
    region_factor,
    narratives,
    territorial_loss,
    war_push,
    despair_push,
    loyalty_loss,
    ideology_loss,
    entered,
    t,
    threshold,
):
    """In place, for everyone in the territory (``active``): the month's push to leave (the
    narratives on the disloyal, territorial loss, the war on civilians, despair on leaders),
    times the role's sensitivity and the region's factor; it adds to the wish to leave (up to
    1) and erodes loyalty and ideology (down to 0). The arithmetic and precision of the NumPy
    expressions it replaces (float32 where they were), so results are bit-identical. The
    push of the war and of despair is by role only, so it is worked out per role first (a
    role has at most one of the two: adding the other's 0 changed nothing); the pass over
    the rows then has no branch left (the ternaries per row stopped its vectorisation).
    Returns those of ``active`` there since before month ``t`` (``entered``) whose wish now
    reaches ``threshold``, in order: the month's would-be leavers (:class:`Territory`),
    found in a second pass: the push's pass then carries nothing from row to row (in whole
    runs, each call's least time over 10 runs alternated, 6.79 -> 6.39 ms a run)."""
    one = np.float32(1.0)
    by_role = np.empty(len(sensitivity))
    for r in range(len(sensitivity)):
        by_role[r] = np.float64(CIVILIAN[r]) * war_push + np.float64(r == LEADER) * despair_push
    for i in active:
        r = role[i]
        c = loyalty[i]
        push = sensitivity[r] * (narratives * (one - c) + territorial_loss) + by_role[r]
        push *= region_factor[region[i]]
        wish[i] = _at_most_1(wish[i] + push)
        loyalty[i] = _at_least_0(c - loyalty_loss * push)
        ideology[i] = _at_least_0(ideology[i] - ideology_loss * push)
    out = np.empty(len(active), dtype=np.intp)
    k = 0
    for i in active:
        out[k] = i  # branch-free: writes every row, keeps the would-be leavers
        k += (wish[i] >= threshold) & (entered[i] < t)
    return out[:k]


@njit(cache=True, inline="always")
def _at_most_1(x):  # pragma: no cover - compiled
    """``np.minimum(1.0, x)``, exactly."""
    return 1.0 if 1.0 < x else x


@njit(cache=True, inline="always")
def _at_least_0(x):  # pragma: no cover - compiled
    """``np.maximum(0.0, x)``, exactly (-0.0 stays -0.0, as there)."""
    return 0.0 if 0.0 > x else x


def wants_to_leave(w: World, idx: np.ndarray) -> np.ndarray:
    """Those of ``idx`` whose wish to leave reaches ``disillusionment.leave_threshold``, in
    their order."""
    wish = w.pop.wish
    return _at_least(idx, wish, as_compared(w.group(Disillusionment).leave_threshold, wish))


@njit(cache=True)
def _at_least(idx, values, threshold):  # pragma: no cover - compiled
    """Those of ``idx`` whose value is at least ``threshold`` (in the values' type, as NumPy
    compares them), in order: one pass instead of a gather, a comparison and a selection."""
    out = np.empty(len(idx), dtype=idx.dtype)
    k = 0
    for i in idx:  # writes every one, keeps those at or above (branch-free)
        out[k] = i
        k += values[i] >= threshold
    return out[:k]


@njit(cache=True)
def _still_settled(rows, state, entered, t):  # pragma: no cover - compiled
    """Those of ``rows`` still in the territory (ACTIVE) since before month ``t``, in order."""
    out = np.empty(len(rows), dtype=np.intp)
    k = 0
    for i in rows:  # branch-free: writes every one, keeps those wanted
        out[k] = i
        k += (state[i] == ACTIVE) & (entered[i] < t)
    return out[:k]
