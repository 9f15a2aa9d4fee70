"""Demography: members' children reach fighting age within the decade (seed 003).

Children of local members appear as persons in the month they come of age: in the
territory while the group holds it, in a camp if their parent is held by states (or dead
once the territory is gone), otherwise living free (unknown) in their community.
Their commitment follows the parent's. Minors who arrived with their families are members
already and simply age (see :func:`of_fighting_age`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.core import ties as tie_kinds
from regroup.core.population import membership
from regroup.core.states import HELD_BY_STATES, Custody, Role, State

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

IN_TERRITORY = (State.ACTIVE, State.ESCAPING, State.GROUP_PRISON)
HELD, INSIDE = membership(State, *HELD_BY_STATES), membership(State, *IN_TERRITORY)


def of_fighting_age(m: RegroupModel, idx: np.ndarray) -> np.ndarray:
    """Boolean per index: old enough to fight (``population.fighting_age_years``)."""
    return (m.t - m.pop.birth[idx]) >= m.p.population.fighting_age_years * 12


def where_children_are(m: RegroupModel, parent_state: np.ndarray) -> np.ndarray:
    """A child's state on coming of age, from the parent's: in the territory while the
    group holds it (unless the parent is held by states); in a camp if the parent is held
    by states, or dead once the territory is gone; otherwise free in the community."""
    held = HELD.take(parent_state)
    in_territory = INSIDE.take(parent_state)
    territory = m.schedule.control[m.t] > 0
    state = np.full(len(parent_state), State.HIDING_LOCAL, dtype=np.int8)
    dead = parent_state == State.DEAD
    state[(in_territory | dead) & territory] = State.ACTIVE
    state[held | (dead & ~territory)] = State.DETAINED
    return state


def step(m: RegroupModel) -> None:
    due = m.children.month == m.t
    if not due.any():
        return
    parent = m.children.parent[due]
    pop, p = m.pop, m.p.population
    k = len(parent)
    state = where_children_are(m, pop.state[parent])
    commit = np.clip(
        pop.commitment[parent] * p.child_commitment + m.rng.uniform(-0.1, 0.1, k), 0, 1
    )
    idx = m.add_members(
        k,
        state=state,
        role=Role.MINOR,
        region=pop.region[parent],
        entered=m.t,
        joined=m.t,
        birth=int(m.t - p.fighting_age_years * 12),
        commitment=commit,
        custody=np.where(state == State.DETAINED, Custody.CAMP, Custody.NONE),
    )
    m.ties.add(idx, parent, tie_kinds.FAMILY)
    m.tally["came_of_age"] += k
