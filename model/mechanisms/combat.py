"""Combat: a monthly death hazard by role times combat intensity and the region's exposure
(seed 003: zealots and novices die early, veterans fight to the end; seed 000: locals were
the main front-line fighters); skill grows with months at the front."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.fields import RegionFactors, RoleProbs, Strict, param, table
from regroup.core.states import State

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel


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
        "seed 003 (zealots volunteer for suicidal missions and die early, novices die by "
        "errors, veterans fight to the end); values assumption calibrated to seed 000 "
        "(as many as 25,000 foreigners killed) and the EU CT coordinator (15-20% of Europeans)",
        "Monthly death probability in territory at full combat intensity.",
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
        "seed 000 (the main front-line fighters were Iraqis and Syrians; foreigners were "
        "propaganda assets), seed 003 (Russian-speakers from the Caucasus fought to the end); "
        "values assumption calibrated to the EU CT coordinator (15-20% of Europeans dead, 2017)",
        "Exposure of foreigners to death in combat and when overrun, relative to locals.",
    )
    skill_gain_per_month: float = param(
        0.02,
        "skill/month",
        "seed 003 (skill grows with months at the front); value assumption",
        "Skill gained per month at the front at full intensity.",
        ge=0,
        le=0.2,
    )
    front_transfer_rate: float = param(
        0.15,
        "probability/month",
        "seed 003 (dissidents sent from prison to the front when fighters ran short)",
        "Monthly probability a group prisoner is sent to the front, times the fighter shortage.",
        ge=0,
        le=1,
    )


def step(m: RegroupModel) -> None:
    c, t, pop = m.p.combat, m.t, m.pop
    intensity = m.schedule.intensity[t]
    idx = pop.where(State.ACTIVE, t=t)
    if len(idx) == 0:
        return
    role = pop.role[idx]
    exposure = m.table(c.region_exposure, local=1.0)[pop.region[idx]]
    dead = m.draw(len(idx)) < m.table(c.death_hazard)[role] * exposure * intensity
    pop.move(idx[dead], State.DEAD, t)
    m.tally["killed_in_combat"] += int(dead.sum())
    alive = idx[~dead & m.fighting[role]]
    pop.skill[alive] = np.minimum(1.0, pop.skill[alive] + c.skill_gain_per_month * intensity)
