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
from numba import njit
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
    """The members' children still to come of age: the month each does, and their parent.
    The latest scheduled are in ``month`` and ``parent``, in the order scheduled; once they
    are ``MERGE_FROM`` they are merged into the others (``sorted_month``, ``sorted_parent``),
    kept in order of month (those of a month in the order scheduled), where a month's are
    found by binary search: a month's parents (:func:`_due`) without a pass over every child
    still to come, nor a sort at each schedule. The month's step writes the parents of those
    due and the children's states to ``due_parent`` and ``due_state``, with room for every
    child still to come (instead of returning new arrays, each of which costs a boxing)."""

    def __init__(self) -> None:
        self.month = np.zeros(0, np.int32)
        self.parent = np.zeros(0, np.int64)
        self.sorted_month = np.zeros(0, np.int32)
        self.sorted_parent = np.zeros(0, np.int64)
        self.due_parent = np.zeros(0, np.int64)
        self.due_state = np.zeros(0, np.int8)

    def add(self, month: np.ndarray, parent: np.ndarray, t: int) -> None:
        """Children of ``parent`` who come of age in ``month`` (each after month ``t``)."""
        self.month = np.concatenate([self.month, month])
        self.parent = np.concatenate([self.parent, parent])
        if len(self.month) >= MERGE_FROM:
            self.sorted_month, self.sorted_parent = _merged(
                self.sorted_month, self.sorted_parent, self.month, self.parent, t
            )
            self.month, self.parent = self.month[:0], self.parent[:0]

    def due(self, t: int) -> np.ndarray:
        """The parents of the children who come of age in month ``t``, in the order
        scheduled."""
        out = np.empty(len(self.sorted_month) + len(self.month), dtype=np.int64)
        return out[: _due(self.sorted_month, self.sorted_parent, self.month, self.parent, t, out)]

    def make_room(self) -> None:
        """Room in ``due_parent`` and ``due_state`` for every child still to come (twice)."""
        scheduled = len(self.sorted_month) + len(self.month)
        self.due_parent = np.zeros(2 * scheduled, np.int64)
        self.due_state = np.zeros(2 * scheduled, np.int8)


MERGE_FROM = 2048  # the latest scheduled passed over each month (~1 us), before a merge


def schedule_children(w: World, parents: np.ndarray, per_member: float) -> None:
    """Members' children (``per_member`` on average): each comes of age at a random month of
    the coming years."""
    p, rng, births = w.population, w.rng, w.memory(Births)
    k = rng.poisson(per_member, len(parents))
    parent = np.repeat(parents, k)
    age_now = rng.random(len(parent))  # uniform within 0-fighting age (scaled in _coming_of_age)
    births.add(_coming_of_age(age_now, w.t, p.fighting_age_years), parent, w.t)


@njit(cache=True)
def _coming_of_age(u, t, fighting_age):  # pragma: no cover - compiled
    """The month each child comes of age (int32): ``t`` plus the months, rounded up, from an
    age uniform within 0-``fighting_age`` years (``Generator.uniform(0, fighting_age)``'s
    scaling of a uniform draw ``u``) to ``fighting_age``."""
    month = np.empty(len(u), dtype=np.int32)
    for j in range(len(u)):
        age = 0.0 + (fighting_age - 0.0) * u[j]
        month[j] = t + np.int32(np.ceil((fighting_age - age) * 12))
    return month


def of_fighting_age(w: World, idx: np.ndarray) -> np.ndarray:
    """Boolean per index: old enough to fight (``population.fighting_age_years``)."""
    return w.pop.birth[idx] <= born_by(w)


def born_by(w: World) -> np.int16:
    """The last month of birth of fighting age in month ``t``, as the months of birth are
    stored (int16): ``t - birth >= population.fighting_age_years * 12`` exactly when
    ``birth <= born_by`` (months of birth are whole), one integer comparison per person
    that compiled passes keep in 16 bits."""
    return np.int16(np.floor(w.t - w.population.fighting_age_years * 12))


def born_by_month(w: World) -> np.ndarray:
    """:func:`born_by` for each month of the run (indexed by month), computed as it is: for
    a mechanism that keeps it for the run instead of a call each month."""
    months = np.arange(w.months)  # as floats: the subtraction and floor of born_by, in order
    return np.floor(months - w.population.fighting_age_years * 12).astype(np.int16)


def step(w: World) -> None:
    births, pop, t = w.memory(Births), w.pop, w.t
    if births.due_parent.shape[0] < births.sorted_month.shape[0] + births.month.shape[0]:
        births.make_room()  # for every child still to come
    k = _children_due(
        births.sorted_month, births.sorted_parent, births.month, births.parent, t, pop.state,
        pop.region, pop.returned, w.schedule.control[t] > 0, births.due_parent,
        births.due_state,
    )  # fmt: skip
    if k == 0:
        return
    parent, p, rng = births.due_parent[:k], w.population, w.rng
    ideology_spread = rng.random(k)  # the spread of the children's ideology, then of their
    loyalty_spread = rng.random(k)  # loyalty, within +-SPREAD (scaled in _from_parents)
    birth = int(t - p.fighting_age_years * 12)
    idx = pop.add(k, state=births.due_state[:k], role=MINOR, entered=t, joined=t, birth=birth)
    _from_parents(
        idx,
        parent,
        pop.state,
        pop.region,
        pop.place,
        pop.home,
        pop.custody,
        pop.returned,
        pop.ideology,
        pop.loyalty,
        t,
        np.float32(p.child_commitment),  # it multiplies float32 values in float32
        ideology_spread,
        loyalty_spread,
    )
    w.ties.add(idx, parent, tie_kinds.FAMILY)
    w.count("came_of_age", k)


MINOR, CAMP, NO_CUSTODY = int(Role.MINOR), int(Custody.CAMP), int(Custody.NONE)
SPREAD = 0.1  # children's ideology and loyalty: their parent's (times commitment) +- this


@njit(cache=True)
def _children_due(
    sorted_month, sorted_parent, month, parent, t, state, region, returned, territory,
    due_parent, due_state,
):  # pragma: no cover - compiled  # fmt: skip
    """The children who come of age in month ``t``: their parents, in the order scheduled
    (:func:`_due`), to ``due_parent``, and their states (:func:`_child_states`) to
    ``due_state``; returns how many."""
    k = _due(sorted_month, sorted_parent, month, parent, t, due_parent)
    _child_states(due_parent[:k], state, region, returned, territory, due_state)
    return k


@njit(cache=True)
def _due(sorted_month, sorted_parent, month, parent, t, out):  # pragma: no cover - compiled
    """The parents of the children who come of age in month ``t``, in the order scheduled,
    written to ``out``; returns how many: those of ``sorted_month`` (in order of month: two
    binary searches), then those of the latest scheduled, ``month`` (a pass)."""
    lo = np.searchsorted(sorted_month, t, side="left")
    hi = np.searchsorted(sorted_month, t, side="right")
    out[: hi - lo] = sorted_parent[lo:hi]
    k = hi - lo
    for i in range(len(month)):  # branch-free: writes every parent, keeps those due
        out[k] = parent[i]
        k += month[i] == t
    return k


@njit(cache=True)
def _merged(sorted_month, sorted_parent, month, parent, t):  # pragma: no cover - compiled
    """The children still to come of age from month ``t`` on (``sorted_month``,
    ``sorted_parent``: in order of month) with those scheduled since (``month``, ``parent``)
    merged in: in order of month, those of a month in the order scheduled (the earlier
    first)."""
    order = np.argsort(month, kind="mergesort")  # stable
    first = np.searchsorted(sorted_month, t, side="left")  # those due before ``t`` are gone
    old_month, old_parent = sorted_month[first:], sorted_parent[first:]
    n = len(old_month) + len(month)
    out_month, out_parent = np.empty(n, dtype=month.dtype), np.empty(n, dtype=parent.dtype)
    a = j = 0  # the next of the earlier; the next place to fill
    for b in order:  # each later one after the earlier due by its month, copied in a block
        end = np.searchsorted(old_month, month[b], side="right")
        out_month[j : j + end - a] = old_month[a:end]
        out_parent[j : j + end - a] = old_parent[a:end]
        j += end - a
        a = end
        out_month[j], out_parent[j] = month[b], parent[b]
        j += 1
    out_month[j:] = old_month[a:]
    out_parent[j:] = old_parent[a:]
    return out_month, out_parent


ACTIVE, DEAD, DETAINED = int(State.ACTIVE), int(State.DEAD), int(State.DETAINED)
HIDING_LOCAL, HIDING_ABROAD = int(State.HIDING_LOCAL), int(State.HIDING_ABROAD)
RETURNED, PRISON_HOME = int(State.RETURNED), int(State.PRISON_HOME)
LOCAL, TURKEY = int(Region.LOCAL), int(Place.TURKEY)


@njit(cache=True)
def _child_states(parent, state, region, returned, territory, out):  # pragma: no cover
    """Each child's state on coming of age (to ``out``), from the parent's: in the territory
    while the group holds it (``territory``) if the parent is there or dead; in a camp if the
    parent is held by states, or dead once the territory is gone; otherwise free: in the
    community (locals), at home if a foreign parent has come home or is in prison at home,
    else abroad."""
    for j in range(len(parent)):
        q = parent[j]
        ps = state[q]
        dead = ps == DEAD
        s = HIDING_LOCAL
        if (INSIDE[ps] or dead) and territory:
            s = ACTIVE
        if HELD[ps] or (dead and not territory):
            s = DETAINED
        if region[q] != LOCAL and s == HIDING_LOCAL:  # a foreign member's child living free
            s = RETURNED if returned[q] >= 0 else HIDING_ABROAD
        if ps == PRISON_HOME:  # free at home, not in a camp in the region
            s = RETURNED
        out[j] = s


@njit(cache=True)
def _from_parents(  # pragma: no cover - compiled
    idx,
    parent,
    state,
    region,
    place,
    home,
    custody,
    returned,
    ideology,
    loyalty,
    t,
    commitment,
    ideology_spread,
    loyalty_spread,
):
    """Written for each child ``idx[j]`` (its state set) from its parent ``parent[j]``: place,
    at home once returned, or when living free locally while the parent is out of Iraq and
    Syria; in Turkey if abroad while the parent is in the region; otherwise with the parent.
    Custody: a camp for those held. Region and home: the parent's. Month back home: ``t`` for
    those at home, else -1. Ideology and loyalty: the parent's times ``commitment`` plus the
    spread, uniform within +-``SPREAD`` (``Generator.uniform``'s scaling of the uniform
    draws ``ideology_spread`` and ``loyalty_spread``), within 0-1 (the NumPy arithmetic, bit
    for bit, stored as float32)."""
    for j in range(len(idx)):
        i, q = idx[j], parent[j]
        s = state[i]
        in_region = IN_THE_REGION[place[q]]
        at_home = s == RETURNED or (s == HIDING_LOCAL and not in_region)
        where = home[q] if at_home else place[q]
        if s == HIDING_ABROAD and in_region:
            where = TURKEY
        place[i] = where
        custody[i] = CAMP if s == DETAINED else NO_CUSTODY
        region[i], home[i] = region[q], home[q]
        returned[i] = t if s == RETURNED else -1
        spread_i = -SPREAD + (SPREAD - -SPREAD) * ideology_spread[j]
        spread_l = -SPREAD + (SPREAD - -SPREAD) * loyalty_spread[j]
        ideology[i] = np.float32(min(max(ideology[q] * commitment + spread_i, 0.0), 1.0))
        loyalty[i] = np.float32(min(max(loyalty[q] * commitment + spread_l, 0.0), 1.0))
