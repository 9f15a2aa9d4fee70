"""Demography: members' children reach fighting age within the decade (seed 003).

Children of local members appear as persons in the month they come of age: in a camp if
their parent is dead or held by states, otherwise living free (unknown) in their community.
Their commitment follows the parent's. Minors who arrived with their families are members
already and simply age (see :func:`of_fighting_age`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup import ties as tie_kinds
from regroup.states import FREE_STATES, Custody, Role, State

if TYPE_CHECKING:
    from regroup.model import RegroupModel


def of_fighting_age(m: RegroupModel, idx: np.ndarray) -> np.ndarray:
    """Boolean per index: old enough to fight (``population.fighting_age_years``)."""
    return (m.t - m.pop.birth[idx]) >= m.p.population.fighting_age_years * 12


def step(m: RegroupModel) -> None:
    due = m.children.month == m.t
    if not due.any():
        return
    parent = m.children.parent[due]
    pop, p = m.pop, m.p.population
    k = len(parent)
    parent_state = pop.state[parent]
    free = np.isin(parent_state, FREE_STATES)
    state = np.where(free, State.HIDING_LOCAL, State.DETAINED).astype(np.int8)
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
        custody=np.where(free, Custody.NONE, Custody.CAMP),
    )
    m.ties.add(idx, parent, tie_kinds.FAMILY)
    m.tally["came_of_age"] += k
