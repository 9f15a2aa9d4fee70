"""Collapse: as cities fall, members in the lost areas are overrun (seed 003).

The share overrun each month is the share of the remaining territory lost that month
(everyone, once the last territory falls). Overrun members die fighting (by role), are
captured alive (locals mostly: they fill the prisons; women, minors and settlers go to
camps), or slip out. Ahead of the fall the group also withdraws local loyal fighters who
were not overrun underground. Of those who leave alive and free, loyal fighters may stay
behind in insurgent cells (REMOBILISED, where they are, tied into a cell there: see
``insurgency``); the others hide
locally (locals) or search for a smuggler (foreigners). Group prisoners in lost areas are
executed or left behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, RoleProbs, Strict, param, table
from regroup.core.population import marked
from regroup.core.states import (
    CIVILIAN,
    FIGHTING_BITS,
    Region,
    State,
)
from regroup.core.world import PERSONS, Output, as_compared
from regroup.mechanisms import camps, insurgency, prison
from regroup.mechanisms.combat import exposures
from regroup.mechanisms.escape import leave_territory
from regroup.mechanisms.security import execute

if TYPE_CHECKING:
    from regroup.core.world import World

# codes as plain ints: NumPy compares an array with an IntEnum member 4x slower
ACTIVE, LOCAL = int(State.ACTIVE), int(Region.LOCAL)
OUTPUTS = {
    "killed_at_collapse": Output(PERSONS, "Killed as their city fell.", flow=True),
    "stayed_behind": Output(
        PERSONS, "Loyal fighters who left the territory and stayed behind in cells.", flow=True
    ),
    "withdrawn": Output(
        PERSONS, "Loyal fighters the group withdrew underground as its territory shrank.", flow=True
    ),
}


class Collapse(Strict):
    local_captured: float = param(
        0.45,
        "share",
        "seed 003 supports the direction (those in prison are 'mostly low-level local fighters "
        "who surrendered or were taken alive'); value assumption",
        "Share of overrun locals captured alive.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.25, high=0.65),
    )
    foreign_captured: float = param(
        0.3,
        "share",
        "seed 003 supports the direction (prisons hold 'mostly low-level local fighters', so "
        "fewer foreigners are taken alive); value assumption",
        "Share of overrun foreigners captured alive.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    die_fighting: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.8,
            "veteran": 0.6,
            "novice": 0.35,
            "settler": 0.15,
            "dissident": 0.3,
            "leader": 0.5,
            "amni": 0.1,
            "local_recruit": 0.1,
            "woman": 0.1,
            "minor": 0.1,
        },
        "share",
        "seed 003 supports the order (experienced fighters 'fighting until their last breath'; "
        "leaders 'chose to die on the battlefield' or 'refused to surrender alive'); values "
        "assumption",
        "Share of overrun members of each role who die fighting.",
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.8, high=1.25),
    )
    exposure: float = param(
        0.5,
        "factor",
        ASSUMPTION,
        "Share of members in a lost area who are overrun (per unit of territory lost).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.25, high=0.75),
    )
    withdrawal: float = param(
        5.0,
        "factor",
        "fitted to the 20,000-30,000 members in Iraq and Syria in 2018 (UN Monitoring Team, "
        'model brief: "most not fighting but able to be called on"): without withdrawal the '
        "baseline counts about 15,000, with 5 about 21,000 (scale 10, 4 seeds); seed 003 "
        "supports the direction (local fighters 'forced to live in hiding, in rural areas')",
        "Share of the local loyal fighters left in the territory (not overrun) whom the group "
        "withdraws underground, per unit of the remaining territory lost that month (at most "
        "all of them).",
        ge=0,
        le=20,
        evidence="fitted",
        prior=Prior(kind="triangular", low=2, mode=5, high=10),
    )
    stay_behind: float = param(
        0.3,
        "share",
        "seed 003 supports the direction (local fighters who escaped: 'Some may continue to "
        "participate in insurgency operations'); value assumption",
        "Share of the loyal fighters leaving the territory alive and free (slipping out or "
        "withdrawn) who stay behind in an insurgent cell instead of hiding or leaving.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.6),
    )


def lost_share(w: World) -> float:
    """The share of the remaining territory lost this month (1 when the last falls)."""
    control = w.schedule.control
    t = w.t
    if t == 0 or control[t - 1] <= 0:
        return 0.0
    if control[t] <= 0:
        return 1.0
    return max(0.0, control[t - 1] - control[t]) / control[t - 1]


def overrun_share(w: World) -> float:
    """The share of the members in the territory overrun this month (all at the end)."""
    lost = lost_share(w)
    return 1.0 if lost >= 1.0 else min(1.0, w.group(Collapse).exposure * lost)


def withdrawal_share(w: World) -> float:
    """The share of the loyal fighters left in the territory who go underground this month."""
    return min(1.0, w.group(Collapse).withdrawal * lost_share(w))


def _loyal_fighters(w: World, idx: np.ndarray, locals_only: bool) -> np.ndarray:
    """The loyal fighters among ``idx`` (locals only, with ``locals_only``) who are still in
    the territory since before this month: every row of ``idx`` in it then and not moved
    since (a move sets the month entered), as :meth:`Population.where` would find them."""
    pop = w.pop
    loyal = as_compared(w.loyal_from, pop.loyalty)
    return _loyal_fighters_in_territory(
        idx.view(np.uint64),  # unsigned: no negative-index wraparound at each read (30% off)
        pop.state,
        pop.entered,
        w.t,
        pop.role,
        pop.region,
        pop.loyalty,
        loyal,
        locals_only,
    )


def _local_loyal_fighters(w: World, active: np.ndarray) -> np.ndarray:
    """The local loyal fighters of ``active`` (``w.pop.where(State.ACTIVE, t=w.t)``) still in
    the territory since before this month, in row order (:func:`_loyal_fighters` with
    ``locals_only``). While the territory holds more than a third of the rows, two passes over
    every row that the compiler vectorises find them for less than a visit of each of
    ``active`` (79 against 179 us at month 40; 95 against 64 us at month 60, with a fifth)."""
    pop = w.pop
    if 3 * len(active) <= pop.n:
        return _loyal_fighters(w, active, locals_only=True)
    loyal = as_compared(w.loyal_from, pop.loyalty)
    return _local_loyal_fighters_in_territory(
        pop.state, pop.entered, w.t, pop.role, pop.region, pop.loyalty, loyal, pop.n
    )


def underground(w: World, idx: np.ndarray) -> None:
    """People leaving the territory alive and free: loyal fighters stay behind in an
    insurgent cell with probability ``collapse.stay_behind``; the others hide locally
    (locals) or search for a smuggler (foreigners)."""
    if len(idx) == 0:  # nothing to do, and nothing drawn
        return
    c, t, pop = w.group(Collapse), w.t, w.pop
    leave_territory(w, idx)
    loyal_fighters = _loyal_fighters(w, idx, locals_only=False)
    cell = w.chance(loyal_fighters, c.stay_behind)
    if len(cell):
        pop.move(cell, State.REMOBILISED, t)  # where they are, in Iraq or Syria
        insurgency.form_cells(w, cell)
        w.count("stayed_behind", len(cell))
    local, foreign = pop.by_origin(idx, State.ACTIVE)
    pop.move(local, State.HIDING_LOCAL, t)
    pop.move(foreign, State.ESCAPING, t)


def overrun(w: World, idx: np.ndarray) -> None:
    """Members overrun as their city falls: they die fighting (by role, and exposure by
    origin), are captured alive (civilians to camps, the others to prison), or slip out."""
    if len(idx) == 0:  # nothing to do, and nothing drawn
        return
    c, t, pop = w.group(Collapse), w.t, w.pop
    dead, taken, to_camp, to_prison, slipping = _fates(
        idx,
        w.draw(len(idx)),  # dying fighting,
        w.draw(len(idx)),  # then captured alive
        pop.role,
        pop.region,
        w.table(c.die_fighting),
        exposures(w),
        c.local_captured,
        c.foreign_captured,
    )
    pop.move(dead, State.DEAD, t)
    w.count("killed_at_collapse", len(dead))
    if len(taken):
        leave_territory(w, taken)
        camps.detain(w, to_camp)
        prison.admit(w, to_prison, home=False)
        pop.known[taken] = True
    underground(w, slipping)


def step(w: World) -> None:
    f = overrun_share(w)
    if f == 0.0:
        return
    t, pop = w.t, w.pop
    # each a share of a group (w.chance: how many, then who; no draw per member)
    active = pop.where(State.ACTIVE, t=t)
    overrun(w, w.chance(active, f))
    # ahead of the fall the group withdraws local loyal fighters not overrun underground
    rest = _local_loyal_fighters(w, active)
    withdrawn = w.chance(rest, withdrawal_share(w))
    underground(w, withdrawn)
    w.count("withdrawn", len(withdrawn))

    prisoners = pop.where(State.GROUP_PRISON, t=t)
    held = w.chance(prisoners, f)
    if len(held):
        left = execute(w, held)
        leave_territory(w, left)
        pop.move(left, State.HIDING_LOCAL, t)


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _fates(  # pragma: no cover - compiled
    idx, u_die, u_taken, role, region, die, exposure, local_captured, foreign_captured
):
    """The overrun ``idx`` by fate, each part in order: those who die fighting (draw
    ``u_die`` below their role's ``die`` share times their region's ``exposure``); those
    captured alive (the others whose draw ``u_taken`` is below their origin's share
    captured), and these split into civilians (to camps) and the others (to prison); and
    those who slip out."""
    k = len(idx)
    dead, taken, slipping = np.empty(k, np.intp), np.empty(k, np.intp), np.empty(k, np.intp)
    to_camp, to_prison = np.empty(k, np.intp), np.empty(k, np.intp)
    a = b = c = d = e = 0
    for j in range(k):
        i = idx[j]
        r = role[i]
        captured = local_captured if region[i] == LOCAL else foreign_captured
        if u_die[j] < die[r] * exposure[region[i]]:
            dead[a] = i
            a += 1
        elif u_taken[j] < captured:
            taken[b] = i
            b += 1
            if CIVILIAN[r]:
                to_camp[c] = i
                c += 1
            else:
                to_prison[d] = i
                d += 1
        else:
            slipping[e] = i
            e += 1
    return dead[:a], taken[:b], to_camp[:c], to_prison[:d], slipping[:e]


@njit(cache=True)
def _loyal_fighters_in_territory(  # pragma: no cover - compiled
    idx, state, entered, t, role, region, loyalty, loyal, locals_only
):
    """The rows of ``idx`` in the territory (ACTIVE) since before month ``t``, of a fighting
    role and loyal (loyalty at or above ``loyal``), in order; with ``locals_only``, locals
    only."""
    out = np.empty(len(idx), dtype=np.intp)
    anywhere = np.int64(not locals_only)
    k = 0
    for i in idx:  # branch-free: writes every row, keeps those wanted
        out[k] = i
        k += _loyal_fighter(i, state, entered, t, role, region, loyalty, loyal, anywhere)
    return out[:k]


@njit(cache=True)
def _local_loyal_fighters_in_territory(  # pragma: no cover - compiled
    state, entered, t, role, region, loyalty, loyal, n
):
    """:func:`_loyal_fighters_in_territory` of every row ``0..n-1``, locals only: a first
    pass marks them (branch-free, vectorised), a second keeps those marked."""
    hit = np.empty(n, dtype=np.uint8)
    k = 0
    for i in range(n):
        h = _loyal_fighter(i, state, entered, t, role, region, loyalty, loyal, 0)
        hit[i] = h
        k += h
    return marked(hit, k)


@njit(cache=True, inline="always")
def _loyal_fighter(  # pragma: no cover - compiled
    i, state, entered, t, role, region, loyalty, loyal, anywhere
):
    """1 if row ``i`` is in the territory (ACTIVE) since before month ``t``, of a fighting
    role (its bit in FIGHTING_BITS: a table lookup would stop vectorisation), loyal (loyalty at or
    above ``loyal``) and local (or ``anywhere``), else 0."""
    return (
        np.int64(state[i] == ACTIVE)
        & np.int64(entered[i] < t)
        & ((FIGHTING_BITS >> np.int64(role[i])) & 1)
        & np.int64(loyalty[i] >= loyal)
        & (np.int64(region[i] == LOCAL) | anywhere)
    )
