"""Internal security (Amni): those heard discussing escape are imprisoned or killed;
group prisoners are executed, or sent to the front when fighters run short (seed 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from regroup.disillusionment import wants_to_leave
from regroup.states import State

if TYPE_CHECKING:
    from regroup.model import RegroupModel


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
