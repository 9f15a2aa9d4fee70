"""Regrouping potential (seed 003: "enough dedicated and qualified members"), place by place.

The pool: free members who are dedicated (ideology and loyalty at or above their
thresholds, ``World.dedicated``) and qualified (skill >= threshold, of fighting age).
Free members who are extremist and qualified but disloyal are counted apart: the rival pool,
available to rival or successor groups. Free, loyal women and under-age minors in a funded
component are its supporters: they carry ties and money but are not counted as fighters.

Connected: in the same component as a funded anchor — a leader or Amni member, or a
dedicated fighter abroad (hiding abroad, or remobilised in another theatre), with funds — of
the tie graph among free members, counting only ties between two people in the same place
(issue 10: ties keep their reach across places, but a pool split between two places is two
pools that cannot act together).

The regrouping potential of a place, each month, is the number of persons in the largest
such funded connected pool there (0 if none): a continuous quantity. The regroup event is
one reading of it: the first month, once the group has held and lost its territory, in which
the potential of some place reaches ``regroup.critical_mass`` (an assumption with a prior);
its month and place are remembered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core.population import Field, Rows
from regroup.core.states import (
    COMMAND_BITS,
    FREE_BITS,
    OTHER_THEATRES,
    Place,
    Region,
    Role,
    State,
    code_bits,
)
from regroup.core.ties import find_root, join_roots
from regroup.core.world import PERSONS, USD, Output, as_compared
from regroup.mechanisms.demography import born_by

if TYPE_CHECKING:
    from regroup.core.population import Population
    from regroup.core.world import World

N_REGIONS, N_PLACES, N_STATES, N_ROLES = len(Region), len(Place), len(State), len(Role)
IN_OTHER_THEATRE = code_bits(*OTHER_THEATRES)  # places, as bits
# The region of origin of a person recruited in a place after the territory is lost (the
# place's own region; Turkey counts with Europe, Libya with North Africa, Afghanistan other).
REGION_OF_PLACE = np.array(
    [
        Region.LOCAL,  # Iraq
        Region.LOCAL,  # Syria
        Region.EUROPE_TURKEY,  # Turkey
        Region.NORTH_AFRICA,
        Region.EUROPE_TURKEY,  # Europe
        Region.FORMER_SOVIET,
        Region.MIDDLE_EAST_GULF,
        Region.OTHER,  # other countries
        Region.NORTH_AFRICA,  # Libya
        Region.OTHER,  # Afghanistan
    ],
    dtype=np.int8,
)
FIELDS = {"connected": Field(np.bool_)}  # in a funded pool (as of last month's count)
OUTPUTS = {
    "pool": Output(PERSONS, "Free members who are dedicated and qualified."),
    "connected_pool": Output(PERSONS, "The pool's members tied to a funded leader."),
    "largest_pool": Output(PERSONS, "The largest pool tied to one funded leader."),
    "pool_funds": Output(USD, "Funds of the members and supporters of connected pools."),
    "rival_pool": Output(
        PERSONS, "Free, qualified extremists disloyal to the group: available to rivals."
    ),
    "supporters": Output(
        PERSONS, "Loyal free women and under-age minors in a funded component (not fighters)."
    ),
    "pool_by_region": Output(PERSONS, "The pool by region of origin.", by="region"),
    "largest_by_region": Output(PERSONS, "The largest connected pool of each region.", by="region"),
    "funds_by_region": Output(USD, "Funds of connected pools by region.", by="region"),
    "pool_by_place": Output(PERSONS, "The pool by place (where its members are).", by="place"),
    "connected_by_place": Output(
        PERSONS, "The pool's members in a funded pool of their place.", by="place"
    ),
    "potential_by_place": Output(
        PERSONS,
        "Regrouping potential: the largest funded connected pool of each place.",
        by="place",
    ),
    "funds_by_place": Output(
        USD, "Funds of the members and supporters of connected pools, by place.", by="place"
    ),
}


class Regroup(Strict):
    """Regrouping potential (seed 003: 'enough dedicated and qualified members')."""

    ideology_threshold: float = param(
        0.6,
        "0-1",
        "seed 003 supports the concept ('enough dedicated and qualified members'); threshold "
        "assumption",
        "Ideology at or above which a member is extremist (dedicated if also loyal).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.5, high=0.7),
    )
    loyalty_threshold: float = param(
        0.5,
        "0-1",
        "seeds 002, 003 support the distinction (takfiri extremists turned on the group's "
        "leadership; defectors who reject it still hold extremist views); threshold assumption",
        "Loyalty at or above which a member is loyal to the group (dedicated if also extremist).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=0.6),
    )
    skill_threshold: float = param(
        0.3,
        "0-1",
        "seed 003 supports the concept ('enough dedicated and qualified members'); threshold "
        "assumption",
        "Skill at or above which a member is qualified.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.4),
    )
    leader_funds_usd: float = param(
        10000.0,
        "USD",
        "seed 003 supports the direction (local leaders 'are still alive and free and have the "
        "group's money'); value assumption",
        "Funds a leader or Amni member needs to anchor a pool.",
        ge=0,
        le=1e7,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=10000, sigma=0.6, low=3000, high=30000),
    )
    critical_mass: float = param(
        1000.0,
        "persons",
        ASSUMPTION,
        "Regrouping potential of a place (its largest funded connected pool) at which the "
        "group is deemed to regroup there.",
        ge=1,
        le=1e6,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1000, sigma=0.7, low=250, high=4000),
    )
    territory_lost_below: float = param(
        0.05,
        "share of territory",
        ASSUMPTION,
        "Territory below which the group counts as having lost it (regrouping can start).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.01, high=0.1),
    )


class Pools:
    """What regrouping remembers from last month: the funded anchor of the largest pool (-1:
    none), that pool and its supporters as shares of the critical mass, and the month and
    place of the regroup event (None before it)."""

    largest_anchor = -1
    momentum = 0.0
    support = 0.0
    regroup_month: int | None = None
    regroup_place: int | None = None


class Composition:
    """The connected pool's make-up each month, in agents: by state, role, region of origin
    and ever imprisoned (by states); and the sums of its members' ideology and loyalty."""

    def __init__(self) -> None:
        self.months = 0

    def allocate(self, months: int) -> None:
        self.months = months
        self.state = np.zeros((months, len(State)))
        self.role = np.zeros((months, len(Role)))
        self.region = np.zeros((months, N_REGIONS))
        self.imprisoned = np.zeros((months, 2))  # never, ever imprisoned by states
        self.ideology = np.zeros(months)
        self.loyalty = np.zeros(months)


class FreeRoots(Rows):
    """:class:`~regroup.core.population.Rows` whose ``inside`` marks the free; ``root``, a free
    row's parent in the union-find of the components of the free (each free row its own on
    entry to :func:`_components`, written by :func:`_sort_rows`; other rows' values are
    stale, never read); ``slot``, per row, the number of a funded component whose first
    member it is (-1 elsewhere, between months: :func:`_pools`)."""

    FIELDS = {"inside": np.bool_, "root": np.int32, "slot": np.int32}

    def fit(self, pop: Population) -> None:
        if self._made < pop.capacity:
            super().fit(pop)
            self.slot[:] = -1


def memory(w: World) -> Pools:
    return w.memory(Pools)


def composition(w: World) -> Composition:
    """The connected pool's composition by month (see :class:`Composition`)."""
    c = w.memory(Composition)
    if c.months != w.months:
        c.allocate(w.months)
    return c


def record_composition(w: World, linked: np.ndarray) -> None:
    pop, t, c = w.pop, w.t, composition(w)
    counts = _tally(linked, pop.state, pop.role, pop.region, pop.ever_imprisoned)
    c.state[t], c.role[t], c.region[t], c.imprisoned[t] = counts
    c.ideology[t] = pop.ideology[linked].sum()
    c.loyalty[t] = pop.loyalty[linked].sum()


@njit(cache=True)
def _tally(linked, state, role, region, imprisoned):  # pragma: no cover - compiled
    """The ``linked`` counted by state, role, region of origin and ever imprisoned."""
    by_state = np.zeros(N_STATES, dtype=np.int64)
    by_role = np.zeros(N_ROLES, dtype=np.int64)
    by_region = np.zeros(N_REGIONS, dtype=np.int64)
    by_imprisoned = np.zeros(2, dtype=np.int64)
    for i in linked.view(np.uint64):  # unsigned: no negative-index wraparound at each read
        by_state[state[i]] += 1
        by_role[role[i]] += 1
        by_region[region[i]] += 1
        by_imprisoned[int(imprisoned[i])] += 1
    return by_state, by_role, by_region, by_imprisoned


MINOR, WOMAN = int(Role.MINOR), int(Role.WOMAN)
HIDING_ABROAD, REMOBILISED = int(State.HIDING_ABROAD), int(State.REMOBILISED)


def sort_rows(
    w: World,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """The rows regrouping looks at this month: the pool, the funded anchors, the backing,
    the number of rivals, and the pool by region and by place (:func:`_sort_rows`; whether
    each row is free, and each free row its own root, in ``w.memory(FreeRoots)``)."""
    pop, rows = w.pop, w.memory(FreeRoots)
    rows.fit(pop)
    ideology, loyalty, skill, funds = pop.ideology, pop.loyalty, pop.skill, pop.funds
    return _sort_rows(
        pop.n, pop.state, pop.role, pop.place, pop.region, pop.birth, ideology, loyalty, skill,
        funds, rows.inside, rows.root, born_by(w),
        as_compared(w.extremist_from, ideology), as_compared(w.loyal_from, loyalty),
        as_compared(w.qualified_from, skill), as_compared(w.group(Regroup).leader_funds_usd, funds),
    )  # fmt: skip


@njit(cache=True)
def _sort_rows(  # pragma: no cover - compiled
    n, state, role, place, region, birth, ideology, loyalty, skill, funds, row_free, root,
    born_by, extremist_from, loyal_from, qualified_from, leader_funds,
):  # fmt: skip
    """Of rows ``0..n-1``, each list in increasing order (written in place: whether each row
    is free by state, ``row_free``, and each free row its own ``root``): the pool (free
    dedicated fighters: extremist, loyal and qualified, not women, and minors only if born
    by ``born_by``, :func:`~regroup.mechanisms.demography.born_by`); the funded anchors (free
    leaders and Amni members, and dedicated fighters abroad: hiding abroad, or remobilised in
    another theatre; holding ``leader_funds``); the backing (free, loyal non-fighters:
    supporters if in a funded component); and the number of rivals (free, extremist,
    qualified, disloyal fighters); the pool counted by region of origin and by place."""
    free_bits, command_bits, other_theatre, one = (
        np.uint32(FREE_BITS), np.uint32(COMMAND_BITS), np.uint32(IN_OTHER_THEATRE), np.uint32(1)
    )  # fmt: skip
    # each row's kind, in a pass without branches or 64-bit arithmetic (booleans, 32-bit bit
    # tests), which the compiler vectorises: bit 1 in the pool, 2 a rival, 4 backing, 8 an
    # anchor (kept for the free only)
    kind = np.empty(n, dtype=np.uint8)
    for i in range(n):
        s, r = state[i], role[i]
        fighter = (r != WOMAN) & ((r != MINOR) | (birth[i] <= born_by))
        loyal = loyalty[i] >= loyal_from
        extremist = fighter & (ideology[i] >= extremist_from) & (skill[i] >= qualified_from)
        elsewhere = ((other_theatre >> np.uint32(place[i])) & one) != 0
        abroad = (s == HIDING_ABROAD) | ((s == REMOBILISED) & elsewhere)
        command = ((command_bits >> np.uint32(r)) & one) != 0
        anchor = (command | (abroad & extremist & loyal)) & (funds[i] >= leader_funds)
        row_free[i] = ((free_bits >> np.uint32(s)) & one) != 0
        kind[i] = (
            np.uint8(extremist & loyal)
            | (np.uint8(extremist & ~loyal) << np.uint8(1))
            | (np.uint8(loyal & ~fighter) << np.uint8(2))
            | (np.uint8(anchor) << np.uint8(3))
        )
    free = np.empty(n + 1, dtype=np.intp)
    nf = 0
    for i in range(n):  # without branches: each row written, kept if free
        free[nf] = i
        nf += row_free[i]
    pool = np.empty(nf + 1, dtype=np.intp)
    anchors = np.empty(nf + 1, dtype=np.intp)
    backing = np.empty(nf + 1, dtype=np.intp)
    npool = na = nb = rivals = 0
    for i in free[:nf].view(np.uint64):  # unsigned: no negative-index wraparound at each read
        k = kind[i]
        root[i] = i
        pool[npool], backing[nb], anchors[na] = i, i, i  # kept as they qualify
        npool += k & 1
        rivals += (k >> 1) & 1
        nb += (k >> 2) & 1
        na += (k >> 3) & 1
    by_region = np.zeros(N_REGIONS, dtype=np.int64)
    by_place = np.zeros(N_PLACES, dtype=np.int64)
    region, place = region.view(np.uint8), place.view(np.uint8)  # tables read unsigned
    for i in pool[:npool].view(np.uint64):
        by_region[region[i]] += 1
        by_place[place[i]] += 1
    return pool[:npool], anchors[:na], backing[:nb], rivals, by_region, by_place


def step(w: World) -> None:
    g, t, pop, out = w.group(Regroup), w.t, w.pop, w.out
    for name in OUTPUTS:  # this month's count, from nothing (even if counted before)
        out.raw[name][t] = 0
    n = pop.n
    cand, anchors, backing, rivals, pool_by_region, pool_by_place = sort_rows(w)
    w.record("rival_pool", rivals)
    place = pop.view("place")
    w.record("pool", len(cand))
    w.record("pool_by_region", pool_by_region)
    w.record("pool_by_place", pool_by_place)
    connected = pop.view("connected")
    connected[:] = False
    pools = memory(w)
    pools.largest_anchor, pools.momentum, pools.support = -1, 0.0, 0.0
    if len(anchors) == 0 or len(cand) == 0:
        return
    rows = w.memory(FreeRoots)
    src, dst = w.ties.inside(rows.inside[:n], key="free")  # as allegiance asks this month
    found = _pools(
        src, dst, rows.root, rows.slot, cand, anchors, backing, place, pop.region, pop.funds
    )
    linked, backing, size, where, by_place, potential, by_region = found[:7]
    supporters, funds_by_region, funds_by_place, largest_anchor = found[7:]
    connected[linked] = True
    if len(linked) == 0:
        return
    w.record("connected_pool", len(linked))
    w.record("largest_pool", size)
    w.record("connected_by_place", by_place)
    w.record("potential_by_place", potential)  # each component lies in one place
    record_composition(w, linked)
    w.record("supporters", len(backing))
    pools.support = out.persons("supporters", supporters) / g.critical_mass
    w.record("pool_funds", pop.funds[linked].sum() + pop.funds[backing].sum())
    w.record("funds_by_region", funds_by_region)
    w.record("funds_by_place", funds_by_place)
    w.record("largest_by_region", by_region)
    pools.largest_anchor = int(largest_anchor)
    largest = out.persons("largest_pool", size)
    pools.momentum = largest / g.critical_mass
    if pools.regroup_month is None and largest >= g.critical_mass and w.territory_lost:
        pools.regroup_month = t
        pools.regroup_place = int(where)  # the place whose potential crossed


@njit(cache=True)
def _in_funded(rows, root, slot):  # pragma: no cover - compiled
    """The free ``rows`` whose component (by its ``root``) is funded (has a ``slot``), in
    order."""
    out = np.empty(len(rows), dtype=np.intp)
    k = 0
    for i in rows.view(np.uint64):  # unsigned: no negative-index wraparound at each read
        out[k] = i
        k += slot[find_root(root, i)] >= 0
    return out[:k]


@njit(cache=True)
def _components(src, dst, root, place):  # pragma: no cover - compiled
    """Join, in the union-find ``root`` over the rows (each free row its own root on entry),
    the ends of the ties ``src``-``dst`` among the free that lie within a place: a
    component's root is then its first member, the free row with the smallest index. (The
    ties within a place are gathered first, in a loop without branches: the joins then wait
    on fewer cache misses.)"""
    a = np.empty(len(src), dtype=np.uint32)
    b = np.empty(len(src), dtype=np.uint32)
    k = 0
    for e in range(len(src)):
        s, d = np.uint32(src[e]), np.uint32(dst[e])  # unsigned: no wraparound at each read
        a[k], b[k] = s, d  # written for every tie, kept within a place
        k += place[s] == place[d]
    for e in range(k):
        join_roots(root, a[e], b[e])


@njit(cache=True)
def _pools(  # pragma: no cover - compiled
    src, dst, root, slot, pool, anchors, backing, place, region, funds
):  # fmt: skip
    """The funded pools, from each free member's component (:func:`_components` of the ties
    ``src``-``dst`` among the free, in the union-find ``root``, each free row its own on
    entry; the funded components numbered in ``slot``, by their first member, -1 elsewhere
    on entry and on return): the pool members in a component with a funded anchor
    (``linked``) and the backing there (the supporters); the largest component (the first
    of the largest), its size, place, supporters and richest anchor (the first of the
    richest); per place, the linked members and the largest component (the potential); per
    region of origin, the largest count of one component's members from that region; the
    funds of the linked by region, and of the linked and the supporters by place (summed in
    order in float64, as ``np.bincount`` sums weights)."""
    root = root.view(np.uint32)  # unsigned: no negative-index wraparound at each read
    _components(src, dst, root, place)
    anchors = anchors.view(np.uint64)
    first = np.empty(len(anchors), dtype=np.int64)  # each funded component's first member
    funded = 0
    for i in anchors:
        c = find_root(root, i)
        if slot[c] < 0:
            slot[c], first[funded] = funded, c
            funded += 1
    linked = _in_funded(pool, root, slot)
    supporters = _in_funded(backing, root, slot)
    size = np.zeros(funded, dtype=np.int64)
    where = np.zeros(funded, dtype=np.int64)
    per_region = np.zeros((funded, N_REGIONS), dtype=np.int64)
    by_place = np.zeros(N_PLACES, dtype=np.int64)
    funds_by_region = np.zeros(N_REGIONS)
    funds_by_place = np.zeros(N_PLACES)
    backing_by_place = np.zeros(N_PLACES)
    for i in linked.view(np.uint64):
        c = slot[find_root(root, i)]
        size[c] += 1
        where[c] = place[i]
        per_region[c, region[i]] += 1
        by_place[place[i]] += 1
        funds_by_region[region[i]] += funds[i]
        funds_by_place[place[i]] += funds[i]
    biggest = 0
    for c in range(funded):  # the first of the largest: by its first member
        if size[c] > size[biggest] or (size[c] == size[biggest] and first[c] < first[biggest]):
            biggest = c
    potential = np.zeros(N_PLACES, dtype=np.int64)
    by_region = np.zeros(N_REGIONS, dtype=np.int64)
    for c in range(funded):
        potential[where[c]] = max(potential[where[c]], size[c])
        for r in range(N_REGIONS):
            by_region[r] = max(by_region[r], per_region[c, r])
    with_biggest = 0
    for i in supporters.view(np.uint64):
        backing_by_place[place[i]] += funds[i]
        with_biggest += slot[find_root(root, i)] == biggest
    richest = -1
    for i in anchors:  # the first of the richest anchors of the largest component
        if slot[find_root(root, i)] == biggest and (richest < 0 or funds[i] > funds[richest]):
            richest = np.intp(i)
    slot[first[:funded]] = -1
    return (
        linked, supporters, size[biggest], where[biggest], by_place, potential, by_region,
        with_biggest, funds_by_region, funds_by_place + backing_by_place, richest,
    )  # fmt: skip
