"""Disillusionment: the four defector narratives (seed 002) and territorial loss raise
the wish to leave, differently by role: settlers after 2015 as the war comes to them
(seed 001), leaders when the territory looks lost (seeds 001, 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.population import membership
from regroup.states import Role, State

if TYPE_CHECKING:
    from regroup.model import RegroupModel

CIVILIANS = np.array([Role.SETTLER, Role.WOMAN, Role.MINOR])
CIVILIAN = membership(Role, *CIVILIANS)


def region_factor(m: RegroupModel) -> np.ndarray:
    """Leave factor by region code (1 for locals)."""
    return m.table(m.p.disillusionment.region_leave_factor, local=1.0)


def step(m: RegroupModel) -> None:
    d, s, t, pop = m.p.disillusionment, m.schedule, m.t, m.pop
    idx = pop.where(State.ACTIVE)
    if len(idx) == 0:
        return
    role = pop.role[idx]
    c = pop.commitment[idx]
    sens = m.table(d.sensitivity)[role]
    narratives = d.infighting + d.brutality + d.corruption + d.quality_of_life
    push = sens * (narratives * (1.0 - c) + d.territorial_loss * s.loss[t])
    push += CIVILIAN.take(role) * d.settler_war_push * s.intensity[t]
    if s.control[t] < d.leader_despair_control:
        push += (role == Role.LEADER) * d.leader_despair_push
    push *= region_factor(m)[pop.region[idx]]
    pop.wish[idx] = np.minimum(1.0, pop.wish[idx] + push)
    pop.commitment[idx] = np.maximum(0.0, c - d.commitment_loss * push)


def wants_to_leave(m: RegroupModel, idx: np.ndarray) -> np.ndarray:
    return idx[m.pop.wish[idx] >= m.p.disillusionment.leave_threshold]
