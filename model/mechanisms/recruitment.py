"""Recruitment appeal (seeds 000, 002, 003) and remobilisation after the territory is lost.

The appeal is the brand's perceived effectiveness (territory held), the propaganda value
of foreign fighters in territory, and grievances at home, minus the counter-narrative of
defectors who speak publicly (deterred by prosecution unless a legal path exists). It
drives foreign arrivals (``arrivals``). Once the territory is lost, it draws dedicated free
members tied to a funded leader back into an organised group, and new recruits into the
largest connected pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core import ties as tie_kinds
from regroup.core.states import Disposition, Region, Role, State
from regroup.mechanisms.arrivals import new_members

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

# where former members can be heard from: out of the territory, not in local hiding
SPEAKERS = (
    State.HIDING_ABROAD,
    State.RETURNED,
    State.RELEASED,
    State.REINTEGRATED,
    State.PRISON_HOME,
    State.DETAINED,
)
REMOBILISABLE = (
    State.HIDING_LOCAL,
    State.HIDING_ABROAD,
    State.RETURNED,
    State.RELEASED,
    State.CRIMINAL,
)


class Recruitment(Strict):
    """Recruitment appeal (seeds 000, 002, 003) and remobilisation after territory is lost."""

    brand: float = param(
        0.7,
        "weight",
        "seed 003 supports the direction ('Because of its perceived effectiveness, the ISIS brand "
        "may still attract new members'); weight assumption",
        "Weight of territorial success in the appeal.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=1.0),
    )
    propaganda: float = param(
        0.1,
        "weight",
        "seed 000 supports the direction (foreign recruits were key in 'internationalizing the "
        "group, making it a global product'); weight assumption",
        "Weight of the foreign fighters in territory in the appeal.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.2),
    )
    grievance: float = param(
        0.2,
        "weight",
        "seed 003 supports the direction (new members 'who may have grievances in their home "
        "country'); weight assumption",
        "Weight of grievances at home in the appeal.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.4),
    )
    counter_narrative: float = param(
        0.1,
        "weight",
        "seed 003 supports the direction (former members 'are very successful in explaining to "
        "prospective ISIS supporters why the organisation did not live up to their "
        "expectations'); seed 002 likewise; weight assumption",
        "Weight of public defectors' counter-narrative (subtracted).",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.2),
    )
    counter_half_saturation: float = param(
        1000.0,
        "persons",
        ASSUMPTION,
        "Public defectors at which the counter-narrative reaches half its weight.",
        ge=1,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1000, sigma=0.5, low=300, high=3000),
    )
    speak_rate: float = param(
        0.025,
        "probability/month",
        "fitted to 58 public defections, Jan 2014 - Aug 2015 (ICSR 2015, whose study seed 002 "
        "reports); checked in tests/test_plausibility.py",
        "Monthly probability that a disillusioned ex-member speaks publicly.",
        ge=0,
        le=1,
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.015, mode=0.025, high=0.04),
    )
    legal_deterrence: float = param(
        0.8,
        "share",
        "seed 002 supports the direction (legal proceedings and prison sentences 'provide few "
        "incentives for defectors to share their experiences'); value assumption",
        "Share of would-be public defectors deterred by prosecution.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.6, high=0.95),
    )
    remobilise_rate: float = param(
        0.02,
        "probability/month",
        "seed 003 supports the direction (leaders' 'experience and connections could allow them "
        "to re-establish the group'); value assumption",
        "Monthly probability a dedicated member tied to a funded leader rejoins, times appeal.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.02, sigma=0.35, low=0.01, high=0.04),
    )
    training_gain: float = param(
        0.01,
        "skill/month",
        "seed 003 supports the direction (re-establishing the group takes 'experience'); value "
        "assumption",
        "Skill gained per month in a remobilised group.",
        ge=0,
        le=0.2,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.005, high=0.02),
    )
    new_recruits_per_month: float = param(
        30.0,
        "persons/month",
        "seed 003 supports the direction ('the ISIS brand may still attract new members'); value "
        "assumption",
        "New recruits a month into a connected pool at full appeal, per critical mass.",
        ge=0,
        le=1e4,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=30, sigma=0.5, low=10, high=60),
    )


def appeal(m: RegroupModel) -> float:
    """The appeal this month, relative to its value at the peak of the caliphate (1)."""
    r, t, pop = m.p.recruitment, m.t, m.pop
    active = pop.where(State.ACTIVE)
    foreign_share = np.count_nonzero(pop.region[active] != Region.LOCAL) / max(1, len(active))
    grievance = r.grievance * (1.0 - m.policy("grievances"))
    spoken = m.tally["public_defections"] * m.scale
    counter = r.counter_narrative * spoken / (spoken + r.counter_half_saturation)
    raw = r.brand * m.schedule.control[t] + r.propaganda * foreign_share + grievance - counter
    peak = r.brand + r.propaganda * 0.5 + r.grievance
    return max(0.0, raw / peak)


def public_defections(m: RegroupModel) -> None:
    r, pop = m.p.recruitment, m.pop
    if len(m.spoke) < pop.n:
        m.spoke = np.concatenate([m.spoke, np.zeros(pop.n - len(m.spoke), dtype=bool)])
    disillusioned = pop.view("disposition") == int(Disposition.DISILLUSIONED)
    idx = np.flatnonzero(pop.mask(*SPEAKERS) & disillusioned & ~m.spoke[: pop.n])
    deterred = r.legal_deterrence * (1.0 - m.policy("defector_voice"))
    speak = m.chance(idx, r.speak_rate * (1.0 - deterred))
    m.spoke[speak] = True
    m.tally["public_defections"] += len(speak)
    m.series.public_defections[m.t] = len(speak) * m.scale


def territory_lost(m: RegroupModel) -> bool:
    return m.schedule.control[m.t] < m.p.regroup.territory_lost_below


def remobilise(m: RegroupModel, level: float) -> None:
    r, t, pop = m.p.recruitment, m.t, m.pop
    if len(m.connected) == 0:
        return
    connected = m.connected  # in a funded pool last month (members who joined since are not)
    idx = np.flatnonzero(pop.mask(*REMOBILISABLE, t=t)[: len(connected)] & connected)
    pop.move(m.chance(idx, r.remobilise_rate * level), State.REMOBILISED, t)
    # new recruits join the largest pool, tied to the leader who anchors it
    anchor = m.largest_anchor
    if anchor < 0:
        return
    pool = m.series.largest_pool[t - 1] if t > 0 else 0.0
    mean = r.new_recruits_per_month * level * min(1.0, pool / m.p.regroup.critical_mass)
    k = int(m.rng.poisson(mean / m.scale))
    if k:
        region = np.full(k, pop.region[anchor], dtype=np.int8)
        idx = new_members(m, region, np.full(k, Role.NOVICE, dtype=np.int8), State.REMOBILISED, t)
        m.ties.add(idx, np.full(k, anchor), tie_kinds.RECRUITED)
        m.tally["new_recruits"] += k


def step(m: RegroupModel) -> None:
    public_defections(m)
    level = appeal(m)
    m.series.appeal[m.t] = level
    if territory_lost(m):
        remobilise(m, level)
    # training in a remobilised group builds skill
    rem = m.pop.where(State.REMOBILISED)
    m.pop.skill[rem] = np.minimum(1.0, m.pop.skill[rem] + m.p.recruitment.training_gain)
