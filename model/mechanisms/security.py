"""Internal security (Amni): those heard discussing escape are imprisoned or killed;
group prisoners are executed, or sent to the front when fighters run short (seed 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.population import PEOPLE
from regroup.core.states import State
from regroup.core.world import PERSONS, Output
from regroup.mechanisms.combat import sent_to_front
from regroup.mechanisms.disillusionment import leavers

if TYPE_CHECKING:
    from regroup.core.world import World

OUTPUTS = {
    "killed_by_group": Output(PERSONS, "Killed by the group's internal security.", flow=True)
}


class Security(Strict):
    """Internal security (Amni): dissent, group prison, executions."""

    detection: float = param(
        0.02,
        "probability/month",
        "seed 003 supports the direction (the group would 'imprison anyone heard discussing' "
        "escape); value assumption",
        "Monthly probability Amni catches a member who wants to leave, times enforcement.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.01, high=0.04),
    )
    execute_share: float = param(
        0.25,
        "share",
        "seed 003 supports the direction (the policy was 'to kill, on the spot, anyone trying to "
        "escape from the group and imprison anyone heard discussing it'); share assumption",
        "Share of those caught who are killed on the spot rather than imprisoned.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    prison_execution: float = param(
        0.02,
        "probability/month",
        "seed 003 supports the direction (dissidents 'were either killed in ISIS prisons or' sent "
        "to the front); value assumption",
        "Monthly probability a group prisoner is executed.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.01, high=0.04),
    )


def detected(w: World, idx: np.ndarray) -> np.ndarray:
    """Boolean per person in ``idx``: caught by Amni this month (discussing or attempting
    escape)."""
    return w.rng.random(len(idx)) < w.group(Security).detection * w.schedule.enforcement[w.t]


def execute(w: World, held: np.ndarray) -> np.ndarray:
    """Amni kill a share of ``held`` (caught, or prisoners in a falling city); returns the rest."""
    if len(held) == 0:  # nobody to kill: no draws, nothing to count
        return held
    killed = w.rng.random(len(held)) < w.group(Security).execute_share
    dead = held[killed]
    w.pop.move(dead, State.DEAD, w.t)
    w.count("killed_by_group", len(dead))
    return held[~killed]


def step(w: World) -> None:
    t, pop = w.t, w.pop
    people = pop.tally[PEOPLE]  # per state, kept up to date by every move
    if people[ACTIVE] == 0 and people[GROUP_PRISON] == 0:  # no territory, no prisoners: no
        return  # draws, nobody sent to the front (most of the run)
    sec = w.group(Security)
    if people[ACTIVE]:  # the territory's members: none once it is lost
        caught = w.chance(leavers(w), sec.detection * w.schedule.enforcement[t])
        pop.move(execute(w, caught), State.GROUP_PRISON, t)

    held = pop.where(State.GROUP_PRISON, t=t) if people[GROUP_PRISON] else NOBODY
    if len(held):
        executed = w.rng.random(len(held)) < sec.prison_execution
        dead = held[executed]
        pop.move(dead, State.DEAD, t)
        w.count("killed_by_group", len(dead))
        held = held[~executed]
    # asked every month with prisoners or fighters: the front remembers its most fighters
    # (with neither, nobody is sent and the most is unchanged: a pass over every row saved)
    if len(held) or people[ACTIVE]:
        pop.move(sent_to_front(w, held), State.ACTIVE, t)


NOBODY = np.empty(0, dtype=np.intp)
ACTIVE, GROUP_PRISON = int(State.ACTIVE), int(State.GROUP_PRISON)
