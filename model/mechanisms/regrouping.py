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
from numba import literal_unroll, njit
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
from regroup.mechanisms.demography import born_by_month

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


class Counting(Rows):
    """What regrouping's monthly count reuses in a run (its ``World.memory``).

    Per row (:class:`~regroup.core.population.Rows`): ``inside``, whether free; ``root``, a
    free row's parent in the union-find of the components of the free (each row its own on
    entry to :func:`_components`, written by :func:`_sort_rows`; other rows' are never
    read); ``slot``, the number of a funded component whose first member the row is (-1
    elsewhere, between months: :func:`_pools`); ``kind``, the row's kind this month, 0 if
    not free (:func:`_sort_rows`); ``pool``, ``anchors``, ``backing``: those lists this
    month.

    Per run: ``people``, the population's arrays the kernels read (new ones when it grows:
    ``state`` tells); ``buffers``, the per-row arrays above; ``thresholds``, the world's
    definitions as compared (:func:`~regroup.core.world.as_compared`); ``records``, the
    arrays of :data:`OUTPUTS` in order, and ``made_of``, the composition's
    (:class:`Composition`), each written at the month's row; ``pools``, what regrouping
    remembers (:class:`Pools`); ``per_agent``, persons per agent (``Outputs.scaled``);
    ``born_by``, the last month of birth of fighting age by month
    (:func:`~regroup.mechanisms.demography.born_by_month`)."""

    FIELDS = {
        "inside": np.bool_,
        "root": np.int32,
        "slot": np.int32,
        "kind": np.uint8,
        "pool": np.intp,
        "anchors": np.intp,
        "backing": np.intp,
    }
    LISTS = frozenset({"root", "slot", "pool", "anchors", "backing"})  # written before read

    def __init__(self) -> None:
        super().__init__()
        self.out = None  # the run's outputs, once started
        self.state = None  # the population's state array when last fitted

    def start(self, w: World) -> None:
        """Take the run's constants: thresholds, output arrays, memories, scale."""
        pop, c = w.pop, composition(w)
        self.out, self.pools, self.group = w.out, memory(w), w.group(Regroup)
        self.thresholds = (
            as_compared(w.extremist_from, pop.ideology),
            as_compared(w.loyal_from, pop.loyalty),
            as_compared(w.qualified_from, pop.skill),
            as_compared(self.group.leader_funds_usd, pop.funds),
        )
        self.records = tuple(w.out.raw[name] for name in OUTPUTS)
        self.made_of = (c.state, c.role, c.region, c.imprisoned, c.ideology, c.loyalty)
        self.per_agent = w.out.scaled(1)
        self.born_by = born_by_month(w)

    def fit(self, pop: Population) -> None:
        """Buffers for every row of ``pop``, and its arrays (new ones when it has grown)."""
        if self._made < pop.capacity:
            super().fit(pop)
            self.slot[:] = -1
        self.state = pop.state
        self.people = (
            pop.state, pop.role, pop.place, pop.region, pop.birth, pop.ideology, pop.loyalty,
            pop.skill, pop.funds, pop.ever_imprisoned, pop.connected,
        )  # fmt: skip
        self.buffers = (
            self.inside,
            self.root,
            self.slot,
            self.kind,
            self.pool,
            self.anchors,
            self.backing,
        )


def memory(w: World) -> Pools:
    return w.memory(Pools)


def composition(w: World) -> Composition:
    """The connected pool's composition by month (see :class:`Composition`)."""
    c = w.memory(Composition)
    if c.months != w.months:
        c.allocate(w.months)
    return c


MINOR, WOMAN = int(Role.MINOR), int(Role.WOMAN)
HIDING_ABROAD, REMOBILISED = int(State.HIDING_ABROAD), int(State.REMOBILISED)


def step(w: World) -> None:
    t, pop, run = w.t, w.pop, w.memory(Counting)
    if run.out is not w.out:  # the run's first month
        run.start(w)
    if run.state is not pop.state:  # the population has grown: new arrays
        run.fit(pop)
    pools, n = run.pools, pop.n
    pools.largest_anchor, pools.momentum, pools.support = -1, 0.0, 0.0
    listed = _sort_rows(t, n, run.people, run.buffers, run.born_by[t], run.thresholds, run.records)
    if listed[0] == 0 or listed[1] == 0:  # no pool, or no funded anchor
        return
    src, dst = w.ties.inside(run.inside[:n], key="free")  # as allegiance asks this month
    linked, size, where, supporters, anchor = _pools(
        t, src, dst, run.people, run.buffers, listed, run.records, run.made_of
    )
    if linked == 0:
        return
    g = run.group
    pools.support = supporters * run.per_agent / g.critical_mass
    pools.largest_anchor = anchor
    largest = size * run.per_agent
    pools.momentum = largest / g.critical_mass
    if pools.regroup_month is None and largest >= g.critical_mass and w.territory_lost:
        pools.regroup_month = t
        pools.regroup_place = where  # the place whose potential crossed


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _sort_rows(t, n, people, buffers, born_by, thresholds, records):  # pragma: no cover
    """Of rows ``0..n-1`` (``people``: the population's arrays; ``buffers``: the per-row
    arrays of :class:`Counting`), each list in increasing order in its buffer: the pool
    (free dedicated fighters: extremist, loyal and qualified, not women, and minors only if
    born by ``born_by``, :func:`~regroup.mechanisms.demography.born_by`); the funded anchors
    (free leaders and Amni members, and dedicated fighters abroad: hiding abroad, or
    remobilised in another theatre; holding the leader's funds); the backing (free, loyal
    non-fighters: supporters if in a funded component). Writes whether each row is free,
    each row its own root, and no row connected (yet); records month ``t``'s outputs
    (``records``) from nothing: the pool, the rivals (free, extremist, qualified, disloyal
    fighters), the pool by region of origin and by place. Returns the lengths of the pool,
    the anchors and the backing.

    The first pass, over every row, has no branches nor 64-bit arithmetic (booleans, 32-bit
    bit tests), so the compiler vectorises it; it writes each row's kind, 0 unless free, so
    the rows of some kind (7-12k of 80-110k at full scale, fewer than the free) are listed by
    one branch-free pass over a byte a row, and only they are sorted into the lists. The pool's
    count by region and place is kept in four tables taken in turn (a count waits on the
    last one in its table)."""
    state, role, place, region, birth, ideology, loyalty, skill, funds, _, connected = people
    row_free, root, _, kind, pool, anchors, backing = buffers
    extremist_from, loyal_from, qualified_from, leader_funds = thresholds
    free_bits, command_bits, other_theatre, one = (
        np.uint32(FREE_BITS), np.uint32(COMMAND_BITS), np.uint32(IN_OTHER_THEATRE), np.uint32(1)
    )  # fmt: skip
    # each row's kind: bit 1 in the pool, 2 a rival, 4 backing, 8 an anchor (0 if not free)
    for i in range(n):
        s, r = state[i], role[i]
        fighter = (r != WOMAN) & ((r != MINOR) | (birth[i] <= born_by))
        loyal = loyalty[i] >= loyal_from
        extremist = fighter & (ideology[i] >= extremist_from) & (skill[i] >= qualified_from)
        elsewhere = ((other_theatre >> np.uint32(place[i])) & one) != 0
        abroad = (s == HIDING_ABROAD) | ((s == REMOBILISED) & elsewhere)
        command = ((command_bits >> np.uint32(r)) & one) != 0
        anchor = (command | (abroad & extremist & loyal)) & (funds[i] >= leader_funds)
        free = ((free_bits >> np.uint32(s)) & one) != 0
        row_free[i] = free
        connected[i] = False
        root[i] = i
        kind[i] = (
            np.uint8(extremist & loyal)
            | (np.uint8(extremist & ~loyal) << np.uint8(1))
            | (np.uint8(loyal & ~fighter) << np.uint8(2))
            | (np.uint8(anchor) << np.uint8(3))
        ) & (np.uint8(0) - np.uint8(free))  # all bits if free, none if not
    some = pool  # the rows of some kind listed first in the pool's buffer (never overtaken)
    k = 0
    for i in range(n):  # without branches: each row written, kept if of some kind
        some[k] = i
        k += kind[i] != 0
    npool = na = nb = rivals = 0
    for i in some[:k].view(np.uint64):  # unsigned: no negative-index wraparound at each read
        b = kind[i]
        pool[npool], backing[nb], anchors[na] = i, i, i  # kept as they qualify
        npool += b & 1
        rivals += (b >> 1) & 1
        nb += (b >> 2) & 1
        na += (b >> 3) & 1
    for a in literal_unroll(records):  # the month's count, from nothing (even if counted before)
        a[t] = 0
    pool_out, rival_out, by_region, by_place = records[0], records[4], records[6], records[9]
    pool_out[t], rival_out[t] = npool, rivals
    region, place = region.view(np.uint8), place.view(np.uint8)  # tables read unsigned
    counts = np.zeros((4, N_REGIONS * N_PLACES), dtype=np.int64)
    listed = pool[:npool].view(np.uint64)
    for j in range(npool):
        i = listed[j]
        counts[j & 3, region[i] * N_PLACES + place[i]] += 1
    for r in range(N_REGIONS):
        for p in range(N_PLACES):
            key = r * N_PLACES + p
            c = counts[0, key] + counts[1, key] + counts[2, key] + counts[3, key]
            by_region[t, r] += c
            by_place[t, p] += c
    return npool, na, nb


@njit(cache=True, inline="always")
def _in_funded(rows, k, root, slot, slot_of):  # pragma: no cover - compiled
    """Keep, in place and in order, those of the first ``k`` free ``rows`` whose component
    (by its ``root``) is funded (has a ``slot``), and each one's slot in ``slot_of``;
    returns how many."""
    kept = 0
    for j in range(k):
        i = rows[j]
        c = slot[find_root(root, np.uint64(i))]
        rows[kept], slot_of[kept] = i, c  # written for each, kept if funded (kept <= j)
        kept += c >= 0
    return kept


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
def _float32_sum(values, rows):  # pragma: no cover - compiled
    """The float32 sum of ``values`` at ``rows`` as NumPy sums them (``values[rows].sum()``:
    pairwise, halving a stretch longer than 128 at a multiple of 8, then the left half's sum
    plus the right's; :func:`_block_sum` below that), so the total is the same to the bit.
    The halves wait on a stack (a compiled function calling itself would not load from
    Numba's cache)."""
    todo_lo = np.empty(64, dtype=np.int64)  # stretches to sum, the last first: start,
    todo_k = np.empty(64, dtype=np.int64)  # length (-1: add the last two sums)
    sums = np.empty(64, dtype=np.float32)
    todo_lo[0], todo_k[0] = 0, len(rows)
    waiting, summed = 1, 0
    while waiting:
        waiting -= 1
        lo, k = todo_lo[waiting], todo_k[waiting]
        if k < 0:  # both halves summed
            summed -= 1
            sums[summed - 1] = sums[summed - 1] + sums[summed]
        elif k > 128:  # then the left half, the right half, their sum
            half = k // 2
            half -= half % 8
            todo_lo[waiting], todo_k[waiting] = 0, -1
            todo_lo[waiting + 1], todo_k[waiting + 1] = lo + half, k - half
            todo_lo[waiting + 2], todo_k[waiting + 2] = lo, half
            waiting += 3
        else:
            sums[summed] = _block_sum(values, rows, lo, k)
            summed += 1
    return np.float32(0.0) + sums[0]


@njit(cache=True, inline="always")
def _block_sum(values, rows, lo, k):  # pragma: no cover - compiled
    """NumPy's float32 sum of ``values`` at ``rows[lo:lo + k]``, ``k`` at most 128: in order
    below 8, else eight running sums (every eighth), added in pairs, then the rest in order."""
    v = values
    if k < 8:
        total = np.float32(0.0)
        for j in range(lo, lo + k):
            total += v[rows[j]]
        return total
    r0, r1, r2, r3 = v[rows[lo]], v[rows[lo + 1]], v[rows[lo + 2]], v[rows[lo + 3]]
    r4, r5, r6, r7 = v[rows[lo + 4]], v[rows[lo + 5]], v[rows[lo + 6]], v[rows[lo + 7]]
    whole = lo + k - k % 8
    for j in range(lo + 8, whole, 8):
        r0, r1, r2, r3 = (
            r0 + v[rows[j]],
            r1 + v[rows[j + 1]],
            r2 + v[rows[j + 2]],
            r3 + v[rows[j + 3]],
        )
        r4, r5, r6, r7 = (
            r4 + v[rows[j + 4]],
            r5 + v[rows[j + 5]],
            r6 + v[rows[j + 6]],
            r7 + v[rows[j + 7]],
        )
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(whole, lo + k):
        total += v[rows[j]]
    return total


@njit(cache=True)
def _pools(t, src, dst, people, buffers, listed, records, made_of):  # pragma: no cover
    """The funded pools of month ``t``, from each free member's component
    (:func:`_components` of the ties ``src``-``dst`` among the free, in the union-find
    ``root``; the funded components numbered in ``slot``, by their first member, -1
    elsewhere on entry and on return), for the pool, anchors and backing listed by
    :func:`_sort_rows` (their lengths ``listed``). Keeps, in their buffers, the pool members
    in a component with a funded anchor (the linked, marked ``connected``) and the backing
    there (the supporters). If any are linked, records (``records``): their number, the
    largest component's size (the first of the largest), the supporters, the funds of the
    linked and the supporters (float32 sums, as NumPy's), per place the linked and the
    largest component (the potential), per region of origin the largest count of one
    component's members from that region, the funds of the linked by region, and of the
    linked and the supporters by place (summed in order in float64, as ``np.bincount`` sums
    weights); and the linked's composition (``made_of``: by state, role, region of origin,
    ever imprisoned; sums of ideology and loyalty). Returns the number linked, and of the
    largest component its size, place, supporters and richest anchor (the first of the
    richest). (Each linked member adds to one count of the composition, by state, role and
    ever imprisoned, and one of its component's, by region; the counts by place and region
    come from the components', each of which lies in one place.)"""
    state, role, place, region, _, ideology, loyalty, _, funds, imprisoned, connected = people
    _, root, slot, _, pool, anchors, backing = buffers
    npool, nanchors, nbacking = listed
    root = root.view(np.uint32)  # unsigned: no negative-index wraparound at each read
    _components(src, dst, root, place)
    anchors = anchors[:nanchors].view(np.uint64)
    first = np.empty(nanchors, dtype=np.int64)  # each funded component's first member
    anchor_slot = np.empty(nanchors, dtype=np.int32)
    funded = 0
    for j in range(nanchors):
        c = find_root(root, anchors[j])
        if slot[c] < 0:
            slot[c], first[funded] = funded, c
            funded += 1
        anchor_slot[j] = slot[c]
    linked_slot = np.empty(npool, dtype=np.int32)
    supporter_slot = np.empty(nbacking, dtype=np.int32)
    nlinked = _in_funded(pool, npool, root, slot, linked_slot)
    nsupporters = _in_funded(backing, nbacking, root, slot, supporter_slot)
    for c in first[:funded]:
        slot[c] = -1
    if nlinked == 0:  # nothing recorded
        return 0, 0, 0, 0, -1
    linked, supporters = pool[:nlinked].view(np.uint64), backing[:nsupporters].view(np.uint64)
    per_region = np.zeros((funded, N_REGIONS), dtype=np.int64)
    made = np.zeros((N_STATES, N_ROLES, 2), dtype=np.int64)  # by state, role, ever imprisoned
    pool_out, connected_out, largest_out, funds_out, _, supporters_out = records[:6]
    _, largest_by_region, funds_by_region = records[6:9]
    _, by_place, potential, funds_by_place = records[9:]
    for j in range(nlinked):
        i, c = linked[j], linked_slot[j]
        connected[i] = True
        per_region[c, region[i]] += 1
        made[state[i], role[i], int(imprisoned[i])] += 1
        funds_by_region[t, region[i]] += funds[i]
        funds_by_place[t, place[i]] += funds[i]
    size = np.zeros(funded, dtype=np.int64)
    where = np.zeros(funded, dtype=np.int64)
    by_origin = np.zeros(N_REGIONS, dtype=np.int64)
    for c in range(funded):
        where[c] = place[first[c]]  # a component lies in one place
        for r in range(N_REGIONS):
            size[c] += per_region[c, r]
            by_origin[r] += per_region[c, r]
    biggest = 0
    for c in range(funded):  # the first of the largest: by its first member
        if size[c] > size[biggest] or (size[c] == size[biggest] and first[c] < first[biggest]):
            biggest = c
    with_biggest = 0
    for j in range(nsupporters):
        with_biggest += supporter_slot[j] == biggest
    richest = -1
    for j in range(nanchors):  # the first of the richest anchors of the largest component
        i = anchors[j]
        if anchor_slot[j] == biggest and (richest < 0 or funds[i] > funds[richest]):
            richest = np.intp(i)
    backing_by_place = np.zeros(N_PLACES)  # summed apart, then added, as before
    for i in supporters:
        backing_by_place[place[i]] += funds[i]
    for p in range(N_PLACES):
        funds_by_place[t, p] += backing_by_place[p]
    for c in range(funded):
        by_place[t, where[c]] += size[c]
        potential[t, where[c]] = max(potential[t, where[c]], size[c])
        for r in range(N_REGIONS):
            largest_by_region[t, r] = max(largest_by_region[t, r], per_region[c, r])
    connected_out[t], largest_out[t], supporters_out[t] = nlinked, size[biggest], nsupporters
    funds_out[t] = _float32_sum(funds, linked) + _float32_sum(funds, supporters)
    by_state_out, by_role_out, by_region_out, by_imprisoned_out, ideology_out, loyalty_out = made_of
    by_state_out[t], by_role_out[t], by_imprisoned_out[t] = 0, 0, 0
    for s in range(N_STATES):
        for r in range(N_ROLES):
            for e in range(2):
                by_state_out[t, s] += made[s, r, e]
                by_role_out[t, r] += made[s, r, e]
                by_imprisoned_out[t, e] += made[s, r, e]
    by_region_out[t] = by_origin
    ideology_out[t] = _float32_sum(ideology, linked)
    loyalty_out[t] = _float32_sum(loyalty, linked)
    return nlinked, size[biggest], where[biggest], with_biggest, richest
