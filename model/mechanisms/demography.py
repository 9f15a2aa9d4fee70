"""Demography: members' children reach fighting age within the decade (seed 003).

Children of local and foreign members appear as persons in the month they come of age: in the
territory while the group holds it, in a camp if their parent is held by states (or dead
once the territory is gone), otherwise living free (unknown) in their community.
Their ideology and loyalty follow the parent's; their skill comes from training
(``upbringing``). Minors who arrived with their families are members
already and simply age (see :func:`of_fighting_age`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.core import ties as tie_kinds
from regroup.core.states import (
    HELD_BY_STATES,
    IN_TERRITORY,
    IN_THE_REGION,
    Custody,
    Place,
    Region,
    Role,
    State,
    membership,
)
from regroup.core.world import PERSONS, Output

if TYPE_CHECKING:
    from regroup.core.world import World

OUTPUTS = {"came_of_age": Output(PERSONS, "Members' children who reached fighting age.", flow=True)}
HELD, INSIDE = membership(State, *HELD_BY_STATES), membership(State, *IN_TERRITORY)


class Births:
    """The members' children still to come of age: the month each does, and their parent."""

    def __init__(self) -> None:
        self.month = np.zeros(0, np.int32)
        self.parent = np.zeros(0, np.int64)


def schedule_children(w: World, parents: np.ndarray, per_member: float) -> None:
    """Members' children (``per_member`` on average): each comes of age at a random month of
    the coming years."""
    p, rng, births = w.population, w.rng, w.memory(Births)
    k = rng.poisson(per_member, len(parents))
    parent = np.repeat(parents, k)
    age_now = rng.uniform(0, p.fighting_age_years, len(parent))
    month = w.t + np.ceil((p.fighting_age_years - age_now) * 12).astype(np.int32)
    births.month = np.concatenate([births.month, month])
    births.parent = np.concatenate([births.parent, parent])


def of_fighting_age(w: World, idx: np.ndarray) -> np.ndarray:
    """Boolean per index: old enough to fight (``population.fighting_age_years``)."""
    return (w.t - w.pop.birth[idx]) >= w.population.fighting_age_years * 12


def where_children_are(w: World, parent_state: np.ndarray) -> np.ndarray:
    """A child's state on coming of age, from the parent's: in the territory while the
    group holds it (unless the parent is held by states); in a camp if the parent is held
    by states, or dead once the territory is gone; otherwise free in the community."""
    held = HELD.take(parent_state)
    in_territory = INSIDE.take(parent_state)
    territory = w.schedule.control[w.t] > 0
    state = np.full(len(parent_state), State.HIDING_LOCAL, dtype=np.int8)
    dead = parent_state == State.DEAD
    state[(in_territory | dead) & territory] = State.ACTIVE
    state[held | (dead & ~territory)] = State.DETAINED
    return state


def where_they_live(state: np.ndarray, parent_place: np.ndarray, home: np.ndarray) -> np.ndarray:
    """A child's place: at home once returned, or when living free locally while the parent
    is out of Iraq and Syria; in Turkey if abroad while the parent is in the region;
    otherwise with the parent."""
    in_region = IN_THE_REGION.take(parent_place)
    at_home = (state == State.RETURNED) | ((state == State.HIDING_LOCAL) & ~in_region)
    place = np.where(at_home, home, parent_place)
    place[(state == State.HIDING_ABROAD) & in_region] = Place.TURKEY
    return place


def step(w: World) -> None:
    births = w.memory(Births)
    due = births.month == w.t
    if not due.any():
        return
    parent = births.parent[due]
    pop, p = w.pop, w.population
    k = len(parent)
    state = where_children_are(w, pop.state[parent])
    # a foreign member's child living free is at home if the parent has come home, else abroad
    foreign_free = (pop.region[parent] != int(Region.LOCAL)) & (state == State.HIDING_LOCAL)
    at_home = pop.returned[parent] >= 0
    state[foreign_free & at_home] = State.RETURNED
    # a parent in prison at home: the child lives free at home, not in a camp in the region
    state[pop.state[parent] == State.PRISON_HOME] = State.RETURNED
    state[foreign_free & ~at_home] = State.HIDING_ABROAD
    ideology = np.clip(
        pop.ideology[parent] * p.child_commitment + w.rng.uniform(-0.1, 0.1, k), 0, 1
    )
    loyalty = np.clip(pop.loyalty[parent] * p.child_commitment + w.rng.uniform(-0.1, 0.1, k), 0, 1)
    idx = w.add(
        k,
        state=state,
        role=Role.MINOR,
        region=pop.region[parent],
        place=where_they_live(state, pop.place[parent], pop.home[parent]),
        home=pop.home[parent],
        entered=w.t,
        joined=w.t,
        birth=int(w.t - p.fighting_age_years * 12),
        ideology=ideology,
        loyalty=loyalty,
        custody=np.where(state == State.DETAINED, Custody.CAMP, Custody.NONE),
    )
    pop.returned[idx[state == State.RETURNED]] = w.t
    w.ties.add(idx, parent, tie_kinds.FAMILY)
    w.count("came_of_age", k)
