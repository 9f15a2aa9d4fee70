"""Combat: a monthly death hazard by role times combat intensity and the region's exposure
(seed 003: zealots and novices die early, veterans fight to the end; seed 000: locals were
the main front-line fighters); skill grows with months at the front."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import RegionFactors, RoleProbs, Strict, param, table
from regroup.core.states import FIGHTING_BITS, State
from regroup.core.world import PERSONS, Output

if TYPE_CHECKING:
    from regroup.core.world import World

OUTPUTS = {"killed_in_combat": Output(PERSONS, "Killed at the front.", flow=True)}


class Combat(Strict):
    death_hazard: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.03,
            "veteran": 0.006,
            "novice": 0.012,
            "settler": 0.002,
            "dissident": 0.01,
            "leader": 0.004,
            "amni": 0.002,
            "local_recruit": 0.006,
            "woman": 0.002,
            "minor": 0.002,
        },
        "probability/month",
        "fitted to European travellers 15-20% dead (EU counter-terrorism coordinator 2017, model "
        "brief) and 'as many as 25,000' foreigners killed (seed 000, US government estimate); "
        "seed 003 supports the order (zealots 'killed early', inexperienced members 'killed in "
        "disproportionately high numbers', experienced fighters 'fighting until their last "
        "breath'); the split between roles an assumption",
        "Monthly death probability in territory at full combat intensity.",
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.8, mode=1, high=1.25),
    )
    region_exposure: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.8,
            "europe_turkey": 0.05,
            "former_soviet": 1.0,
            "middle_east_gulf": 0.8,
            "other": 0.7,
        },
        "factor (locals 1)",
        "fitted to European travellers 15-20% dead (EU counter-terrorism coordinator 2017, model "
        "brief); seed 000 supports the direction ('The main fighters on the front line were the "
        "Arabs', Iraqis and Syrians); values for the other regions an assumption",
        "Exposure of foreigners to death in combat and when overrun, relative to locals.",
        evidence="fitted",
        prior=Prior(kind="uniform", low=0.8, high=1.25),
    )
    skill_gain_per_month: float = param(
        0.02,
        "skill/month",
        "seed 003 supports the direction (it sets 'Experienced fighters' apart from 'young, "
        "inexperienced group members'); value assumption",
        "Skill gained per month at the front at full intensity.",
        ge=0,
        le=0.2,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.01, high=0.04),
    )
    front_transfer_rate: float = param(
        0.15,
        "probability/month",
        "seed 003 supports the direction (dissidents 'when a shortage of fighters arose - sent to "
        "the most dangerous frontlines'); value assumption",
        "Monthly probability a group prisoner is sent to the front, times the fighter shortage.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.3),
    )


class Front:
    """What combat remembers: the most fighters the territory has held; the run's parameters
    and tables by role and region (made at the first step, :meth:`start`)."""

    peak_fighters = 0
    c: Combat | None = None

    def start(self, w: World) -> None:
        """The run's constants: the parameters, the death hazard by role, the exposure by
        region (:func:`exposures`)."""
        self.c = w.group(Combat)
        self.hazard, self.exposure = w.table(self.c.death_hazard), exposures(w)


def exposures(w: World) -> np.ndarray:
    """Exposure to death in combat, or when overrun, per region of origin (locals 1)."""
    return w.table(w.group(Combat).region_exposure, local=1.0)


def fighter_shortage(w: World) -> float:
    """1 - fighters in territory / their peak so far, times combat intensity."""
    pop, front = w.pop, w.memory(Front)
    # nobody in the territory once it is lost: no pass over every row then
    fighters = _fighters_in_territory(pop.state, pop.role, pop.n) if pop.count(State.ACTIVE) else 0
    front.peak_fighters = max(front.peak_fighters, fighters)
    if front.peak_fighters == 0:
        return 0.0
    return (1.0 - fighters / front.peak_fighters) * w.schedule.intensity[w.t]


def sent_to_front(w: World, held: np.ndarray) -> np.ndarray:
    """The group prisoners among ``held`` sent to the front this month, as fighters run short."""
    return w.chance(held, w.group(Combat).front_transfer_rate * fighter_shortage(w))


def step(w: World) -> None:
    pop = w.pop
    if pop.count(State.ACTIVE) == 0:  # nobody in the territory (nothing drawn)
        return
    front, t = w.memory(Front), w.t
    if front.c is None:
        front.start(w)
    c, hazard, exposure = front.c, front.hazard, front.exposure
    intensity = w.schedule.intensity[t]
    idx = pop.where(State.ACTIVE, t=t)
    if len(idx) == 0:
        return
    highest = _highest(hazard, exposure, intensity)
    picks = w.few_of(len(idx), highest)  # the candidates
    thin = w.rng.random(len(picks))  # whether each is killed
    dead = _fight(
        idx.view(np.uint64),  # unsigned: no negative-index wraparound at each read and write
        picks,
        thin,
        highest,
        pop.role,
        pop.region,
        pop.skill,
        hazard,
        exposure,
        intensity,
        c.skill_gain_per_month * intensity,
    )
    pop.move(dead, State.DEAD, t)
    w.count("killed_in_combat", len(dead))


ACTIVE = int(State.ACTIVE)


@njit(cache=True)
def _highest(hazard, exposure, intensity):  # pragma: no cover - compiled
    """The highest monthly death probability at the front: the largest role's hazard x
    region's exposure x ``intensity`` (as :func:`_fight` computes a person's), at most 1."""
    highest = 0.0
    for h in hazard:
        for e in exposure:
            highest = max(highest, h * e * intensity)
    return min(1.0, highest)


@njit(cache=True)
def _fight(  # pragma: no cover - compiled
    idx, picks, thin, highest, role, region, skill, hazard, exposure, intensity, skill_gain
):
    """The people of ``idx`` killed this month, in order; the fighters among the others gain
    ``skill_gain`` (up to 1), in place, in float64 as the NumPy expression did. Thinned, not
    a draw each: ``picks`` are the candidates' positions in ``idx`` (``World.few_of``),
    each person one with the ``highest`` death probability anyone has (their number a
    binomial draw); the ``j``-th candidate dies if ``thin[j]`` x ``highest`` falls below
    their role's hazard x their region's exposure x the intensity:
    so each dies with their own probability, independently, as with a draw each.
    The candidates are judged first, then one pass without a branch gives every fighter the
    skill (a blend: ``gained x f + skill x (1 - f)``, exact, with ``f`` 1 for a fighting
    role, a bit test), and the dead get their skill back: a branch per row on whether one
    is a candidate or a fighter stopped the pass's vectorisation (warm at month 55, 150 ->
    70 us)."""
    k = len(picks)
    dead = np.empty(k, dtype=np.intp)
    c = 0
    for j in range(k):  # branch-free: writes every candidate, keeps those killed
        i = idx[picks[j]]
        dead[c] = i
        c += thin[j] * highest < hazard[role[i]] * exposure[region[i]] * intensity
    dead = dead[:c]
    before = np.empty(c, dtype=skill.dtype)
    for j in range(c):
        before[j] = skill[dead[j]]
    for i in idx:
        f = np.float64((FIGHTING_BITS >> np.int64(role[i])) & 1)
        s = skill[i]
        gained = s + skill_gain
        skill[i] = (1.0 if 1.0 < gained else gained) * f + s * (1.0 - f)  # np.minimum(1.0, gained)
    for j in range(c):  # the dead gained nothing
        skill[dead[j]] = before[j]
    return dead


@njit(cache=True)
def _fighters_in_territory(state, role, n):  # pragma: no cover - compiled
    """How many people in the territory (ACTIVE) have a fighting role. (A bit test, not a
    table lookup: the compiler vectorises the pass, 67 -> 19 us over 78,000 rows.)"""
    k = 0
    for i in range(n):
        k += (state[i] == ACTIVE) & ((FIGHTING_BITS >> np.int64(role[i])) & 1)
    return k
