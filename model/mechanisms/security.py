"""Internal security (Amni): those heard discussing escape are imprisoned or killed;
group prisoners are executed, or sent to the front when fighters run short (seed 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import State
from regroup.mechanisms.disillusionment import wants_to_leave

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel


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


def fighter_shortage(m: RegroupModel) -> float:
    """1 - fighters in territory / their peak so far, times combat intensity."""
    pop = m.pop
    active = pop.where(State.ACTIVE)
    fighters = int(m.fighting[pop.role[active]].sum())
    m.peak_fighters = max(m.peak_fighters, fighters)
    if m.peak_fighters == 0:
        return 0.0
    return (1.0 - fighters / m.peak_fighters) * m.schedule.intensity[m.t]


def step(m: RegroupModel) -> None:
    sec, t, pop = m.p.security, m.t, m.pop
    enforcement = m.schedule.enforcement[t]
    leavers = wants_to_leave(m, pop.where(State.ACTIVE, t=t))
    caught = m.chance(leavers, sec.detection * enforcement)
    killed = m.draw(len(caught)) < sec.execute_share
    pop.move(caught[killed], State.DEAD, t)
    pop.move(caught[~killed], State.GROUP_PRISON, t)
    m.tally["killed_by_group"] += int(killed.sum())

    held = pop.where(State.GROUP_PRISON, t=t)
    executed = m.draw(len(held)) < sec.prison_execution
    pop.move(held[executed], State.DEAD, t)
    m.tally["killed_by_group"] += int(executed.sum())
    held = held[~executed]
    to_front = m.chance(held, m.p.combat.front_transfer_rate * fighter_shortage(m))
    pop.move(to_front, State.ACTIVE, t)
