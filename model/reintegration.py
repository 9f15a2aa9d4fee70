"""Reintegration (seed 003): returnees and released prisoners reintegrate, faster with
de-radicalisation and reintegration programmes, which also lower commitment (not for the
'dangerous', who only pretend to have disavowed, seed 000). Released people may reoffend,
the more committed the likelier (Renard 2020; Hodwitz 2019)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.hiding import catch
from regroup.states import Disposition, State

if TYPE_CHECKING:
    from regroup.model import RegroupModel


def step(m: RegroupModel) -> None:
    r, t, pop = m.p.reintegration, m.t, m.pop
    coverage = m.policy("reintegration")
    out = pop.where(State.RETURNED, State.RELEASED, t=t)
    if coverage > 0:
        reached = pop.where(State.RETURNED, State.RELEASED, State.REINTEGRATED, State.PRISON_HOME)
        reached = reached[pop.disposition[reached] != Disposition.DANGEROUS]
        pop.commitment[reached] = np.maximum(
            0.0, pop.commitment[reached] - r.deradicalisation * coverage
        )
    joined = m.chance(out, r.base_rate + r.programme_effect * coverage)
    pop.move(joined, State.REINTEGRATED, t)

    at_risk = pop.where(State.RELEASED, State.REINTEGRATED, t=t)
    factor = np.where(pop.state[at_risk] == int(State.REINTEGRATED), r.reintegrated_risk, 1.0)
    risk = r.reoffending * pop.commitment[at_risk] * factor
    offended = at_risk[m.draw(len(at_risk)) < risk]
    pop.reoffended[offended] = True
    catch(m, offended)
