"""Escape (seeds 000, 001, 003).

Members who want to leave: Amni walk away with group funds; leaders bribe their way out
(foreign leaders buy new documents); others look for a smuggler, which takes months and
costs $7,000-10,000 (the smuggler may be Amni, who takes the money and kills); those
without the fee may try alone: easy while the borders were open and the kill-on-escape
policy unenforced, mostly fatal later. At the border, capture
by border police (detained, deported home) or evasion (hiding abroad, or home). Early
leavers may take group funds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup import justice, prison
from regroup.disillusionment import wants_to_leave
from regroup.states import Custody, Disposition, Region, Role, State

if TYPE_CHECKING:
    from regroup.model import RegroupModel


def leave_territory(m: RegroupModel, idx: np.ndarray) -> None:
    """Set the disposition on leaving (Deen, seed 000); early leavers may take group funds."""
    if len(idx) == 0:  # nothing to do, and nothing drawn
        return
    pop = m.pop
    dedicated = pop.commitment[idx] >= m.p.regroup.commitment_threshold
    disturbed = m.draw(len(idx)) < m.p.escape.trauma_share
    pop.disposition[idx] = np.where(
        dedicated,
        Disposition.DANGEROUS,
        np.where(disturbed, Disposition.DISTURBED, Disposition.DISILLUSIONED),
    )
    if m.t <= m.theft_until:
        thieves = m.chance(idx, m.p.escape.theft_share)
        take_group_funds(m, thieves)


def take_group_funds(m: RegroupModel, idx: np.ndarray) -> None:
    m.pop.funds[idx] += m.rng.exponential(m.p.escape.group_funds_usd, len(idx))


def cross_border(m: RegroupModel, idx: np.ndarray) -> None:
    """At the border: capture (border custody), or evasion to hiding abroad or home."""
    if len(idx) == 0:
        return
    e, t, pop = m.p.escape, m.t, m.pop
    captured = m.draw(len(idx)) < e.border_capture * m.schedule.border[t]
    taken = idx[captured]
    local = pop.region[taken] == Region.LOCAL
    pop.move(taken[~local], State.DETAINED, t, Custody.BORDER)
    prison.admit(m, taken[local], home=False)
    pop.known[taken] = True
    m.tally["border_captures"] += len(taken)
    out = idx[~captured]
    foreign = out[pop.region[out] != Region.LOCAL]
    go_home = m.draw(len(foreign)) < m.table(e.go_home_share, local=0.0)[pop.region[foreign]]
    justice.arrive_home(m, foreign[go_home])
    abroad = np.concatenate([foreign[~go_home], out[pop.region[out] == Region.LOCAL]])
    pop.move(abroad, State.HIDING_ABROAD, t)


def step(m: RegroupModel) -> None:
    e, t, pop, rng = m.p.escape, m.t, m.pop, m.rng
    enforcement = m.schedule.enforcement[t]
    leavers = wants_to_leave(m, pop.where(State.ACTIVE, t=t))
    role = pop.role[leavers]

    # Amni walk away, unknown, with group funds
    amni = m.chance(leavers[role == Role.AMNI], e.amni_walkaway)
    leave_territory(m, amni)
    take_group_funds(m, amni)
    local = pop.region[amni] == Region.LOCAL
    pop.move(amni[local], State.HIDING_LOCAL, t)
    pop.move(amni[~local], State.HIDING_ABROAD, t)
    pop.documents[amni[~local]] = True

    # leaders bribe their way out with group money; foreign leaders buy new documents
    leaders = m.chance(leavers[role == Role.LEADER], e.leader_bribe_success)
    leave_territory(m, leaders)
    take_group_funds(m, leaders)
    local = pop.region[leaders] == Region.LOCAL
    pop.move(leaders[local], State.HIDING_LOCAL, t)
    foreign = leaders[~local]
    pop.move(foreign, State.HIDING_ABROAD, t)
    pop.documents[foreign] = True
    pop.known[foreign] = False

    # everyone else: a smuggler if they can pay, otherwise on foot
    others = leavers[(role != Role.AMNI) & (role != Role.LEADER)]
    can_pay = pop.funds[others] >= e.smuggler_fee_usd.low
    searching = others[can_pay]
    pop.move(searching, State.ESCAPING, t)
    on_foot = m.chance(
        others[~can_pay], e.self_exit_rate * (1.0 - enforcement) + e.desperate_exit_rate
    )
    caught = m.draw(len(on_foot)) < e.on_foot_detection * enforcement
    pop.move(on_foot[caught], State.DEAD, t)
    m.tally["killed_escaping"] += int(caught.sum())
    leave_territory(m, np.concatenate([searching, on_foot[~caught]]))
    cross_border(m, on_foot[~caught])

    # the search for a smuggler, under way
    esc = pop.where(State.ESCAPING, t=t)
    u = m.draw(len(esc))
    detected = u < m.p.security.detection * enforcement
    pop.move(esc[detected], State.DEAD, t)
    m.tally["killed_escaping"] += int(detected.sum())
    esc = esc[~detected]
    slowed = 1.0 - e.crackdown_search_effect * m.schedule.crackdown[t]
    found = m.chance(esc, slowed / e.search_months)
    fee = rng.uniform(e.smuggler_fee_usd.low, e.smuggler_fee_usd.high, len(found))
    pays = pop.funds[found] >= fee
    stuck = found[~pays]  # the fee has gone up, or funds were spent
    in_territory = m.schedule.control[t] > 0
    pop.move(stuck, State.ACTIVE if in_territory else State.HIDING_LOCAL, t)
    paid = found[pays]
    pop.funds[paid] -= fee[pays]
    m.tally["smuggler_payments"] += len(paid)
    betrayed = m.draw(len(paid)) < e.amni_smuggler_share
    pop.move(paid[betrayed], State.DEAD, t)
    m.tally["killed_escaping"] += int(betrayed.sum())
    cross_border(m, paid[~betrayed])
