"""Arrivals: foreign recruits drawn by the appeal, local recruits drawn by pay and food.

Foreign inflow is Poisson with mean ``foreign_peak_recruits_per_month`` times the appeal
(``recruitment``) times the open share of the border, and less while the territory is
small (none once it is gone);
local inflow scales with territory.
New members are tied into fighting units (with a commander) and families.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.core import ties as tie_kinds
from regroup.core.population import appended
from regroup.core.states import (
    COMMANDING,
    FAMILY_ROLES,
    FIGHTING_ROLES,
    FOREIGN_REGIONS,
    HOME_PLACE,
    Place,
    Region,
    Role,
    State,
    membership,
)
from regroup.core.world import PERSONS, Output
from regroup.mechanisms.demography import schedule_children

if TYPE_CHECKING:
    from regroup.core.world import World

IN_FAMILY = membership(Role, *FAMILY_ROLES)
IN_UNITS = membership(Role, *FIGHTING_ROLES, Role.SETTLER)  # fighters and settlers
OUTPUTS = {
    "arrived_foreign": Output(PERSONS, "Foreign recruits who arrived.", flow=True),
    "arrived_local": Output(PERSONS, "Local recruits who joined.", flow=True),
}


HOME = np.array([0] + [HOME_PLACE[r] for r in Region if r != Region.LOCAL], dtype=np.int8)
FOREIGN = np.array(FOREIGN_REGIONS, dtype=np.int8)
LOCAL = np.array([Region.LOCAL], dtype=np.int8)
ROLES = np.arange(len(Role), dtype=np.int8)
NOBODY = np.zeros(0, dtype=np.intp)
N_REGIONS = len(Region)
PLACES = len(Place)
SIDES = len(Region) * PLACES  # region of origin and place together (_sides)
UNIT_LABELS = 1_000_000  # units of one side are labelled side * UNIT_LABELS + unit
_LOCAL, _MINOR, _ACTIVE = int(Region.LOCAL), int(Role.MINOR), int(State.ACTIVE)  # plain ints
_IRAQ, _SYRIA = int(Place.IRAQ), int(Place.SYRIA)


class Traits:
    """Per run: the role tables of the attributes new members draw (ideology, loyalty, skill,
    funds, known share: one row each, indexed by role) and the funds factor by region."""

    def __init__(self) -> None:
        self.by_role: np.ndarray | None = None
        self.region_funds: np.ndarray | None = None


def traits(w: World) -> Traits:
    """The attribute tables, built on first use in a run."""
    mem = w.memory(Traits)
    if mem.by_role is None:
        a = w.attributes
        tables = (a.ideology, a.loyalty, a.skill, a.funds_usd, a.known_share)
        mem.by_role = np.stack([w.table(table) for table in tables])
        mem.region_funds = w.table(a.region_funds, local=1.0)
    return mem


def new_members(
    w: World,
    region: np.ndarray,
    role: np.ndarray,
    state: State,
    t: int,
    place: np.ndarray | None = None,
) -> np.ndarray:
    """Create members with attributes drawn by role; returns their indices.

    Without ``place`` they join in the territory: locals in Iraq (``population.local_in_iraq``)
    or Syria, where their home is; foreigners in Iraq (``population.foreign_in_iraq``) or
    Syria, their home the place of their region of origin. With ``place``, they join there and
    it is their home.
    """
    a, p = w.attributes, w.population
    k = len(role)
    rng = w.rng
    # uniform draws scaled in _attributes as rng.uniform scales them (a NumPy call less each);
    # those in a row taken by one call, a row each (rng.random(a + b) draws the numbers of
    # rng.random(a) then rng.random(b)): (Iraq or Syria,) ideology, loyalty, skill (the
    # role's value plus noise within +-NOISE); then known, documents, age (of a minor)
    parts = 3 if place is not None else 4
    first = rng.random(parts * k).reshape(parts, k)
    wealth = rng.standard_exponential(k)  # (rng.exponential(1.0, k): the same numbers)
    later = rng.random(3 * k).reshape(3, k)
    idx = w.add(k, state=state, role=role, region=region, entered=t, joined=t)
    pop = w.pop
    if place is not None:
        pop.place[idx] = place
        pop.home[idx] = place
    else:
        _in_territory(
            idx, region, first[0], p.local_in_iraq, p.foreign_in_iraq, pop.place, pop.home
        )
    tables = traits(w)
    _attributes(
        idx,
        role,
        region,
        first[parts - 3 :],
        wealth,
        later,
        tables.by_role,
        tables.region_funds,
        a.documents_share,
        p.minor_age_years.low,
        p.minor_age_years.high - p.minor_age_years.low,
        t,
        pop.ideology,
        pop.loyalty,
        pop.skill,
        pop.funds,
        pop.known,
        pop.documents,
        pop.birth,
    )
    return idx


@njit(cache=True)
def _in_territory(  # pragma: no cover - compiled
    idx, region, u, local_in_iraq, foreign_in_iraq, place, home
):
    """Place and home, written for members ``idx`` joining in the territory (of ``region``),
    from a uniform draw each: Iraq with the probability for their origin, else Syria; home
    there for locals, else the place of their region of origin."""
    for j in range(len(idx)):
        local = region[j] == _LOCAL
        where = _IRAQ if u[j] < (local_in_iraq if local else foreign_in_iraq) else _SYRIA
        place[idx[j]] = where
        home[idx[j]] = where if local else HOME[region[j]]


@njit(cache=True)
def _attributes(  # pragma: no cover - compiled
    idx,
    role,
    region,
    u_traits,
    wealth,
    u_later,
    by_role,
    region_funds,
    documents_share,
    age_from,
    age_range,
    t,
    ideology,
    loyalty,
    skill,
    funds,
    known,
    documents,
    birth,
):
    """New members' attributes from their draws, written for ``idx`` (of ``role`` and
    ``region``): ideology, loyalty and skill (uniform draws ``u_traits``, a row each), their
    role's value plus noise (uniform within +-``NOISE``), within 0-1; funds, the role's mean
    times the region's factor times an exponential draw; known to the authorities (by
    role), documents (foreigners only) and the month of birth (minors at an age uniform from
    ``age_from`` over ``age_range``, the others at 25), from the uniform draws ``u_later``,
    a row each. Uniform draws ``u`` are scaled as ``Generator.uniform`` scales them (low +
    range * u); values in the arrays' types, as NumPy's stores converted them."""
    for j in range(len(idx)):
        i = idx[j]
        r = role[j]
        ideology[i] = np.float32(min(max(by_role[0, r] + _noise(u_traits[0, j]), 0.0), 1.0))
        loyalty[i] = np.float32(min(max(by_role[1, r] + _noise(u_traits[1, j]), 0.0), 1.0))
        skill[i] = np.float32(min(max(by_role[2, r] + _noise(u_traits[2, j]), 0.0), 1.0))
        funds[i] = np.float32(wealth[j] * by_role[3, r] * region_funds[region[j]])
        known[i] = u_later[0, j] < by_role[4, r]
        documents[i] = (region[j] != _LOCAL) & (u_later[1, j] < documents_share)
        age = age_from + age_range * u_later[2, j] if r == _MINOR else 25.0
        birth[i] = np.int16(t - age * 12)


NOISE = 0.1  # new members' ideology, loyalty and skill: their role's value +- this


@njit(cache=True)
def _noise(u):  # pragma: no cover - compiled
    """Noise uniform within +-``NOISE`` from a uniform draw ``u``, as
    ``Generator.uniform(-NOISE, NOISE)`` computes it."""
    return -NOISE + (NOISE - -NOISE) * u


class Command:
    """Per run: the rows of members with a command role, in row order (roles never change),
    and how many rows have been looked at."""

    def __init__(self) -> None:
        self.rows = np.zeros(0, dtype=np.intp)
        self.seen = 0


def command_roles(w: World) -> np.ndarray:
    """Every member with a command role (alive or not, anywhere), in row order."""
    pop, mem = w.pop, w.memory(Command)
    if mem.seen < pop.n:
        new = COMMANDING.take(pop.role[mem.seen : pop.n])
        mem.rows, mem.seen = appended(mem.rows, new, mem.seen), pop.n
    return mem.rows


def commanders(w: World) -> np.ndarray:
    """Members with a command role in the territory (ACTIVE) now, in row order."""
    rows = command_roles(w)
    return rows[w.pop.state[rows] == _ACTIVE]


def _tie_units(w: World, idx: np.ndarray, n_units: int) -> None:
    """Fighters in units of ``unit_size`` by region and place, each unit under a commander;
    women and minors in families with a fighter or settler of their region, where that is
    (``n_units``: how many of ``idx`` are in units). The units, their ties and the families
    are found in one compiled call (:func:`_organised`), between the draws."""
    if n_units == 0:  # nobody to tie, nobody for the families to live with
        return
    pop = w.pop
    # each fighter's unit drawn below the number of units, as World.integers draws it
    units = max(1, n_units // w.population.unit_size)
    ends, k, pools, pool, homes, home = _organised(
        idx.view(np.uint64), w.draw(n_units), units, command_roles(w), pop.role, pop.state,
        pop.region, pop.place,
    )  # fmt: skip
    if len(pools):  # each unit's first member reports to a commander (drawn from its pool)
        ends[1, k:] = _drawn(pools, pool, w.draw(pool.shape[1]))
        w.ties.add(ends[0], ends[1], tie_kinds.UNIT)
    else:
        w.ties.add(ends[0, :k], ends[1, :k], tie_kinds.UNIT)
    # families live with a fighter or settler of their region, where that member is
    if home.shape[1]:
        head = _drawn(homes, home[1:], w.draw(home.shape[1]))
        w.ties.add(home[0], head, tie_kinds.FAMILY)
        _live_with(home[0], head, pop.place, pop.home)


@njit(cache=True)
def _organised(  # pragma: no cover - compiled
    idx, u, units, command, role, state, region, place
):
    """The new members ``idx`` (read unsigned) split into those in units and in families
    (:func:`_split`); the units' members each in the unit ``floor(u * units)`` of a uniform
    draw ``u`` each (as :meth:`World.integers` draws below ``units``), tied in units
    (:func:`_units`: ``ends``, how many ties, the commanders' ``pools`` and each unit's
    ``pool``); and the families' homes (:func:`_families`: ``homes``, ``home``). One call
    for what took three and a draw between them."""
    parts, n_units, n_family = _split(idx, role)
    fighters, family = parts[0, :n_units], parts[1, :n_family]
    unit = np.empty(n_units, dtype=np.intp)
    for j in range(n_units):
        unit[j] = np.intp(u[j] * units)
    ends, k, pools, pool = _units(fighters, unit, command, state, region, place)
    homes, home = _families(family, fighters, region)
    return ends, k, pools, pool, homes, home


@njit(cache=True)
def _split(idx, role):  # pragma: no cover - compiled
    """The rows of ``idx`` in units (fighters and settlers) and in families (women and
    minors), a row each (in order), and how many in each."""
    parts = np.empty((2, len(idx)), dtype=np.intp)
    n_units = n_family = 0
    for i in idx:
        if IN_UNITS[role[i]]:
            parts[0, n_units] = i
            n_units += 1
        if IN_FAMILY[role[i]]:
            parts[1, n_family] = i
            n_family += 1
    return parts, n_units, n_family


@njit(cache=True)
def _units(fighters, unit, command, state, region, place):  # pragma: no cover - compiled
    """Fighters in units (``unit`` within their side: region of origin and place), in unit
    order (stable). Returns the ties of each to the next of its unit, then each unit's first
    member (``ends``, two rows: the ties' ends, then the first members in the first row)
    and how many ties; and where each first member's commander is drawn from: the
    commanders (of ``command``, those in the territory) of its side, or all of them where
    its side has none, as a start and a size (``pool``, two rows) in ``pools`` (empty if
    nobody commands)."""
    side = np.empty(len(fighters), dtype=np.int64)
    for j in range(len(fighters)):
        side[j] = np.int64(region[fighters[j]]) * PLACES + place[fighters[j]]
    label = side * UNIT_LABELS + unit
    # a stable sort by label: two stable counting sorts, by unit then by side (an argsort
    # costs more for the few hundred fighters of a month)
    by_unit, _ = _grouped(np.arange(len(unit)), unit, unit.max() + 1 if len(unit) else 1)
    order, _ = _grouped(by_unit, side[by_unit], SIDES)
    m = len(order)
    h = 1 if m else 0  # the units: the first fighter, and each one of a new label
    for j in range(1, m):
        h += label[order[j]] != label[order[j - 1]]
    k = m - h  # the ties
    ends = np.empty((2, m), dtype=np.intp)
    heads = ends[0, k:]
    head_side = np.empty(h, dtype=np.int64)
    tie = head = 0
    for j in range(m):
        i = order[j]
        if j > 0 and label[i] == label[order[j - 1]]:
            ends[0, tie], ends[1, tie] = fighters[order[j - 1]], fighters[i]
            tie += 1
        else:
            heads[head], head_side[head] = fighters[i], side[i]
            head += 1
    # the commanders in the territory, grouped by side, then all of them in row order
    active = command[_in_state(command, state, _ACTIVE)]
    by_side, start = _grouped(active, _sides(active, region, place), SIDES)
    pools = np.concatenate((by_side, active)) if len(active) else active
    pool = np.empty((2, h), dtype=np.int64)
    for j in range(h):
        s = head_side[j]
        if start[s + 1] > start[s]:
            pool[0, j], pool[1, j] = start[s], start[s + 1] - start[s]
        else:
            pool[0, j], pool[1, j] = len(active), len(active)
    return ends, k, pools, pool


@njit(cache=True)
def _drawn(pools, pool, u):  # pragma: no cover - compiled
    """One member drawn from each pool (``pool``: its start and size in ``pools``, two rows)
    with a uniform draw ``u`` each, as :meth:`World.integers` draws a position below the
    size: ``floor(u * size)``."""
    out = np.empty(len(u), dtype=np.intp)
    for j in range(len(u)):
        out[j] = pools[pool[0, j] + np.intp(u[j] * pool[1, j])]
    return out


@njit(cache=True)
def _in_state(rows, state, code):  # pragma: no cover - compiled
    """Boolean per row of ``rows``: in state ``code``."""
    out = np.empty(len(rows), dtype=np.bool_)
    for j in range(len(rows)):
        out[j] = state[rows[j]] == code
    return out


@njit(cache=True)
def _families(family, fighters, region):  # pragma: no cover - compiled
    """``fighters`` grouped by region (``homes``), and the members of ``family`` whose region
    of origin has fighters or settlers among them, grouped by region (in order within one),
    each with where its home is drawn from: three rows, the members, then a start and a size
    in ``homes``."""
    fam, fam_start = _grouped(family, _regions(family, region), N_REGIONS)
    homes, home_start = _grouped(fighters, _regions(fighters, region), N_REGIONS)
    k = 0
    for r in range(N_REGIONS):
        if home_start[r + 1] > home_start[r]:
            k += fam_start[r + 1] - fam_start[r]
    home = np.empty((3, k), dtype=np.int64)
    k = 0
    for r in range(N_REGIONS):
        theirs = home_start[r + 1] - home_start[r]
        if theirs == 0:
            continue
        for j in range(fam_start[r], fam_start[r + 1]):
            home[0, k], home[1, k], home[2, k] = fam[j], home_start[r], theirs
            k += 1
    return homes, home


@njit(cache=True)
def _regions(rows, region):  # pragma: no cover - compiled
    """The region of origin of each of ``rows``."""
    out = np.empty(len(rows), dtype=np.int64)
    for j in range(len(rows)):
        out[j] = region[rows[j]]
    return out


@njit(cache=True)
def _live_with(family, head, place, home):  # pragma: no cover - compiled
    """Each of ``family`` takes the place and the home of its ``head``."""
    for j in range(len(family)):
        place[family[j]] = place[head[j]]
        home[family[j]] = home[head[j]]


@njit(cache=True)
def _grouped(rows, key, groups):  # pragma: no cover - compiled
    """``rows`` grouped by ``key`` (a code below ``groups``), in their order within a group
    (a counting sort): group ``g`` is ``out[start[g]:start[g + 1]]``."""
    start = np.zeros(groups + 1, dtype=np.int64)
    for g in key:
        start[g + 1] += 1
    start = np.cumsum(start)
    fill = start[:-1].copy()
    out = np.empty(len(rows), dtype=np.intp)
    for j in range(len(rows)):
        out[fill[key[j]]] = rows[j]
        fill[key[j]] += 1
    return out, start


@njit(cache=True)
def _sides(idx, region, place):  # pragma: no cover - compiled
    """Region of origin and place together, as one label, for each of ``idx``."""
    out = np.empty(len(idx), dtype=np.int64)
    for j in range(len(idx)):
        out[j] = np.int64(region[idx[j]]) * PLACES + place[idx[j]]
    return out


class Shares:
    """Per run: the cumulative shares arrivals draw their regions and roles from, as
    ``Generator.choice`` computes them (its draws, without its checks, at each call)."""

    def __init__(self) -> None:
        self.foreign_regions: np.ndarray | None = None
        self.foreign_roles = self.local_roles = NO_SHARES


NO_SHARES = np.ones(1)  # one category, with certainty (the locals' region)


def shares(w: World) -> Shares:
    """The cumulative shares, built on first use in a run."""
    mem, p = w.memory(Shares), w.population
    if mem.foreign_regions is None:
        mem.foreign_regions = _cumulative(w.table(p.foreign_region_shares))
        mem.foreign_roles = _cumulative(w.table(p.foreign_role_shares))
        mem.local_roles = _cumulative(w.table(p.local_role_shares))
    return mem


def _cumulative(p: np.ndarray) -> np.ndarray:
    """Shares as ``Generator.choice`` cumulates them: the running sum over its last value."""
    cdf = np.asarray(p, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf


@njit(cache=True)
def _choose(cdf, u, labels):  # pragma: no cover - compiled
    """The label of the category each uniform draw ``u`` falls in (``Generator.choice``:
    the number of cumulative shares ``cdf`` at or below the draw)."""
    out = np.empty(len(u), dtype=np.int8)
    for j in range(len(u)):
        c = 0
        while c < len(cdf) and cdf[c] <= u[j]:
            c += 1
        out[j] = labels[c]
    return out


@njit(cache=True)
def _regions_and_roles(region_cdf, role_cdf, u, regions):  # pragma: no cover - compiled
    """New members' regions (of ``regions``) and roles, drawn from their cumulative shares
    with the first and the second half of the uniform draws ``u`` (:func:`_choose`), and how
    many of them are in units (fighters and settlers)."""
    k = len(u) // 2
    drawn = np.empty((2, k), dtype=np.int8)
    drawn[0] = _choose(region_cdf, u[:k], regions)
    drawn[1] = _choose(role_cdf, u[k:], ROLES)
    n_units = 0
    for r in drawn[1]:
        n_units += IN_UNITS[r]
    return drawn, n_units


def _arrive(w: World, count: int, regions: np.ndarray, region_cdf, role_cdf) -> np.ndarray:
    """``count`` members arrive in the territory: their regions (of ``regions``) and roles
    drawn from the cumulative shares, as ``Generator.choice`` draws them."""
    if count == 0:
        return NOBODY
    (region, role), n_units = _regions_and_roles(
        region_cdf, role_cdf, w.rng.random(2 * count), regions
    )
    idx = new_members(w, region, role, State.ACTIVE, w.t)
    _tie_units(w, idx, n_units)
    return idx


def step(w: World) -> None:
    p, t, s = w.population, w.t, w.schedule
    control = s.control[t]
    if control == 0:  # no territory: both means are 0 (a Poisson draw of 0 takes no number)
        return
    rng = w.rng
    # travellers need a territory to travel to
    open_share = (1 - s.border[t]) * min(1.0, control / p.destination_control)
    foreign_mean = p.foreign_peak_recruits_per_month * w.out.raw["appeal"][t] * open_share
    local_mean = p.local_recruits_per_month * control
    scale = w.scale  # persons per agent (as w.agents divides)
    n_foreign = int(rng.poisson(max(foreign_mean, 0.0) / scale))
    n_local = int(rng.poisson(local_mean / scale))
    if n_foreign == n_local == 0:
        return
    cdf = shares(w)
    f = _arrive(w, n_foreign, FOREIGN, cdf.foreign_regions, cdf.foreign_roles)
    loc = _arrive(w, n_local, LOCAL, NO_SHARES, cdf.local_roles)
    w.count("arrived_foreign", len(f))
    w.count("arrived_local", len(loc))
    if len(loc):
        schedule_children(w, loc, p.local_children_per_member)
    if len(f):
        schedule_children(w, f, p.foreign_children_per_member)
