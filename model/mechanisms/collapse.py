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
from regroup.core.population import marked, move_rows, split_by_origin
from regroup.core.states import (
    CIVILIAN,
    FIGHTING_BITS,
    Custody,
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
ACTIVE_BIT = 1 << ACTIVE  # the state as a set of states (split_by_origin)
HIDING_LOCAL, ESCAPING, NO_CUSTODY = int(State.HIDING_LOCAL), int(State.ESCAPING), int(Custody.NONE)
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
    return float(lost_shares(w.schedule.control)[w.t])


def lost_shares(control: np.ndarray) -> np.ndarray:
    """The share of the remaining territory lost each month, of the territory's ``control``
    each month: none in the first month or once none is left, all when the last falls."""
    before = np.concatenate(([0.0], control[:-1]))  # a month before
    with np.errstate(divide="ignore", invalid="ignore"):  # (months without territory)
        lost = np.maximum(0.0, before - control) / before
    lost[control <= 0] = 1.0
    lost[before <= 0] = 0.0
    return lost


class Fall:
    """Per run (``World.memory``): the collapse's parameters (``c``); each month's share of
    the members in the territory overrun (all of them once the last territory falls) and of
    the local loyal fighters left there whom the group withdraws underground (the schedule
    fixes both for the run); the chance of dying fighting by role (``die``) and the
    exposure by region of origin; loyalty as compared (:func:`as_compared`)."""

    c: Collapse | None = None

    def start(self, w: World) -> None:
        """Take the run's constants."""
        c = self.c = w.group(Collapse)
        lost = lost_shares(w.schedule.control)
        self.overrun = np.where(lost >= 1.0, 1.0, np.minimum(1.0, c.exposure * lost))
        self.withdrawal = np.minimum(1.0, c.withdrawal * lost)
        self.die, self.exposure = w.table(c.die_fighting), exposures(w)
        self.loyal = as_compared(w.loyal_from, w.pop.loyalty)


def underground(w: World, idx: np.ndarray, fall: Fall) -> None:
    """People leaving the territory alive and free: loyal fighters stay behind in an
    insurgent cell with probability ``collapse.stay_behind``; the others hide locally
    (locals) or search for a smuggler (foreigners)."""
    if len(idx) == 0:  # nothing to do, and nothing drawn
        return
    t, pop = w.t, w.pop
    leave_territory(w, idx)
    loyal_fighters = _loyal_fighters_in_territory(
        idx.view(np.uint64),  # unsigned: no negative-index wraparound at each read (30% off)
        pop.state, pop.entered, t, pop.role, pop.region, pop.loyalty, fall.loyal, False,
    )  # fmt: skip
    cell = w.chance(loyal_fighters, fall.c.stay_behind)
    if len(cell):
        pop.move(cell, State.REMOBILISED, t)  # where they are, in Iraq or Syria
        insurgency.form_cells(w, cell)
        w.count("stayed_behind", len(cell))
    moved = _hide_or_escape(idx, t, pop.region, pop.state, pop.entered, pop.custody, pop.tally)
    pop.moved(moved, t)


def overrun(w: World, idx: np.ndarray, fall: Fall) -> None:
    """Members overrun as their city falls: they die fighting (by role, and exposure by
    origin), are captured alive (civilians to camps, the others to prison; all known), or
    slip out."""
    if len(idx) == 0:  # nothing to do, and nothing drawn
        return
    c, t, pop, k = fall.c, w.t, w.pop, len(idx)
    u = w.draw(2 * k)  # dying fighting, then captured alive (two draws of k, in one call)
    fates, dead, taken, to_camp, to_prison = _fates(  # where each part ends in fates
        idx,
        u[:k],
        u[k:],
        pop.role,
        pop.region,
        pop.known,
        fall.die,
        fall.exposure,
        c.local_captured,
        c.foreign_captured,
    )
    pop.move(fates[:dead], State.DEAD, t)
    w.count("killed_at_collapse", dead)
    if taken > dead:
        leave_territory(w, fates[dead:taken])
        camps.detain(w, fates[taken:to_camp])
        prison.admit(w, fates[to_camp:to_prison], home=False)
    underground(w, fates[to_prison:], fall)


def step(w: World) -> None:
    fall, t = w.memory(Fall), w.t
    if fall.c is None:  # the run's first month
        fall.start(w)
    f = fall.overrun[t]
    if f == 0.0:
        return
    pop = w.pop
    # each a share of a group (w.chance: how many, then who; no draw per member)
    active = pop.where(State.ACTIVE, t=t)
    overrun(w, w.chance(active, f), fall)
    # ahead of the fall the group withdraws local loyal fighters not overrun underground
    if 3 * len(active) <= pop.n:  # few in the territory: a visit of each (see the kernel)
        rest = _loyal_fighters_in_territory(
            active.view(np.uint64), pop.state, pop.entered, t, pop.role, pop.region,
            pop.loyalty, fall.loyal, True,
        )  # fmt: skip
    else:
        rest = _local_loyal_fighters_in_territory(
            pop.state, pop.entered, t, pop.role, pop.region, pop.loyalty, fall.loyal, pop.n
        )
    withdrawn = w.chance(rest, fall.withdrawal[t])
    underground(w, withdrawn, fall)
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
    idx, u_die, u_taken, role, region, known, die, exposure, local_captured, foreign_captured
):
    """The overrun ``idx`` by fate, each part in order, one after the other in one array:
    those who die fighting (draw ``u_die`` below their role's ``die`` share times their
    region's ``exposure``); those captured alive (the others whose draw ``u_taken`` is
    below their origin's share captured; now ``known``), then these again split into
    civilians (to camps) and the others (to prison); and those who slip out. Returns the
    array and where each part but the last ends."""
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
            known[i] = True
            if CIVILIAN[r]:
                to_camp[c] = i
                c += 1
            else:
                to_prison[d] = i
                d += 1
        else:
            slipping[e] = i
            e += 1
    out = np.empty(a + 2 * b + e, np.intp)
    ends = np.cumsum(np.array([a, b, c, d, e]))
    out[: ends[0]] = dead[:a]
    out[ends[0] : ends[1]] = taken[:b]
    out[ends[1] : ends[2]] = to_camp[:c]
    out[ends[2] : ends[3]] = to_prison[:d]
    out[ends[3] :] = slipping[:e]
    return out, ends[0], ends[1], ends[2], ends[3]


@njit(cache=True)
def _hide_or_escape(idx, t, region, state, entered, custody, tally):  # pragma: no cover
    """Those of ``idx`` still in the territory (ACTIVE) go underground in month ``t``: the
    locals hide (HIDING_LOCAL), the foreigners search for a smuggler (ESCAPING), each part
    in order, moved as :meth:`Population.move` does (:func:`move_rows`, ``tally``: for
    :meth:`Population.moved`). Returns them, locals first."""
    local, foreign = split_by_origin(idx, region, state, ACTIVE_BIT)
    move_rows(local, HIDING_LOCAL, t, NO_CUSTODY, state, entered, custody, tally)
    move_rows(foreign, ESCAPING, t, NO_CUSTODY, state, entered, custody, tally)
    return np.concatenate((local, foreign))


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
    pass marks them (branch-free, vectorised), a second keeps those marked. While the
    territory holds more than a third of the rows, this finds them for less than a visit of
    each of the ACTIVE (79 against 179 us at month 40; 95 against 64 us at month 60, with a
    fifth)."""
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
