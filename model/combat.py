"""Combat: a monthly death hazard by role times combat intensity and the region's exposure
(seed 003: zealots and novices die early, veterans fight to the end; seed 000: locals were
the main front-line fighters); skill grows with months at the front."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.states import State

if TYPE_CHECKING:
    from regroup.model import RegroupModel


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
