"""Return and justice (seeds 002, 004): deportation after border capture, repatriation
from prisons and camps, prosecution at home (most returnees are imprisoned), and
monitoring of the free (the rest may vanish from view)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup import prison
from regroup.states import Custody, Region, State

if TYPE_CHECKING:
    from regroup.model import RegroupModel


def arrive_home(m: RegroupModel, idx: np.ndarray) -> None:
    """Foreigners reach their home country: prosecuted and imprisoned, or free."""
    if len(idx) == 0:
        return
    j, pop = m.p.justice, m.pop
    first = idx[pop.returned[idx] < 0]
    pop.returned[first] = m.t
    prosecuted = m.draw(len(idx)) < j.prosecution
    prison.admit(m, idx[prosecuted], home=True)
    free = idx[~prosecuted]
    pop.move(free, State.RETURNED, m.t)
    monitored = m.draw(len(free)) < j.monitored
    pop.monitored[free] = monitored
    pop.known[free] = pop.known[free] | monitored


def step(m: RegroupModel) -> None:
    j, t, pop = m.p.justice, m.t, m.pop
    held = pop.where(State.DETAINED, t=t)
    custody, region = pop.custody[held], pop.region[held]
    foreign = region != int(Region.LOCAL)
    rate = np.where(
        custody == int(Custody.BORDER),
        1.0 / j.deportation_months,
        m.table(j.repatriation, local=0.0)[region],
    )
    sent = foreign & (m.draw(len(held)) < rate)
    arrive_home(m, held[sent])
    camp = held[~foreign & (custody == int(Custody.CAMP))]
    pop.move(m.chance(camp, j.camp_release), State.RELEASED, t)

    abroad = pop.where(State.HIDING_ABROAD, t=t)
    abroad = abroad[pop.documents[abroad] & (pop.region[abroad] != Region.LOCAL)]
    arrive_home(m, m.chance(abroad, m.p.hiding.go_home))
