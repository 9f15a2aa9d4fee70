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
from regroup.core.states import (
    COMMAND_ROLES,
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

IN_FAMILY, COMMANDING = membership(Role, *FAMILY_ROLES), membership(Role, *COMMAND_ROLES)
IN_UNITS = membership(Role, *FIGHTING_ROLES, Role.SETTLER)  # fighters and settlers
OUTPUTS = {
    "arrived_foreign": Output(PERSONS, "Foreign recruits who arrived.", flow=True),
    "arrived_local": Output(PERSONS, "Local recruits who joined.", flow=True),
}


HOME = np.array([0] + [HOME_PLACE[r] for r in Region if r != Region.LOCAL], dtype=np.int8)
FOREIGN = np.array(FOREIGN_REGIONS, dtype=np.int8)
LOCAL = np.array([Region.LOCAL], dtype=np.int8)
ONE = np.ones(1)  # the locals' one region, with certainty
PLACES = len(Place)
SIDES = len(Region) * PLACES  # region of origin and place together (_side)
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
    if place is None:
        place, home = _in_territory(region, rng.random(k), p.local_in_iraq, p.foreign_in_iraq)
    else:
        home = place
    tables = traits(w)
    ideology, loyalty, skill, funds, known, documents, birth = _attributes(
        role,
        region,
        rng.uniform(-0.1, 0.1, k),
        rng.uniform(-0.1, 0.1, k),
        rng.uniform(-0.1, 0.1, k),
        rng.exponential(1.0, k),
        rng.random(k),
        rng.random(k),
        rng.uniform(p.minor_age_years.low, p.minor_age_years.high, k),
        tables.by_role,
        tables.region_funds,
        a.documents_share,
        t,
    )
    return w.add(
        k,
        state=state,
        role=role,
        region=region,
        place=place,
        home=home,
        entered=t,
        joined=t,
        birth=birth,
        ideology=ideology,
        loyalty=loyalty,
        skill=skill,
        funds=funds,
        known=known,
        documents=documents,
    )


@njit(cache=True)
def _in_territory(region, u, local_in_iraq, foreign_in_iraq):  # pragma: no cover - compiled
    """Place and home of members joining in the territory, from a uniform draw each: Iraq
    with the probability for their origin, else Syria; home there for locals, else the place
    of their region of origin."""
    place = np.empty(len(region), dtype=np.int8)
    home = np.empty(len(region), dtype=np.int8)
    for i in range(len(region)):
        local = region[i] == _LOCAL
        place[i] = _IRAQ if u[i] < (local_in_iraq if local else foreign_in_iraq) else _SYRIA
        home[i] = place[i] if local else HOME[region[i]]
    return place, home


@njit(cache=True)
def _attributes(  # pragma: no cover - compiled
    role,
    region,
    u_ideology,
    u_loyalty,
    u_skill,
    wealth,
    u_known,
    u_documents,
    minor_age,
    by_role,
    region_funds,
    documents_share,
    t,
):
    """New members' attributes from their draws: ideology, loyalty and skill, their role's
    value plus noise, within 0-1; funds, the role's mean times the region's factor times an
    exponential draw; known to the authorities (by role); documents (foreigners only); the
    month of birth (minors at the drawn age, the others at 25)."""
    k = len(role)
    ideology = np.empty(k, dtype=np.float32)
    loyalty = np.empty(k, dtype=np.float32)
    skill = np.empty(k, dtype=np.float32)
    funds = np.empty(k, dtype=np.float32)
    known = np.empty(k, dtype=np.bool_)
    documents = np.empty(k, dtype=np.bool_)
    birth = np.empty(k, dtype=np.int16)
    for i in range(k):
        r = role[i]
        ideology[i] = min(max(by_role[0, r] + u_ideology[i], 0.0), 1.0)
        loyalty[i] = min(max(by_role[1, r] + u_loyalty[i], 0.0), 1.0)
        skill[i] = min(max(by_role[2, r] + u_skill[i], 0.0), 1.0)
        funds[i] = wealth[i] * by_role[3, r] * region_funds[region[i]]
        known[i] = u_known[i] < by_role[4, r]
        documents[i] = (region[i] != _LOCAL) & (u_documents[i] < documents_share)
        age = minor_age[i] if r == _MINOR else 25.0
        birth[i] = np.int16(t - age * 12)
    return ideology, loyalty, skill, funds, known, documents, birth


class Command:
    """Per run: the rows of members with a command role, in row order (roles never change),
    and how many rows have been looked at."""

    def __init__(self) -> None:
        self.rows = np.zeros(0, dtype=np.intp)
        self.seen = 0


def commanders(w: World) -> np.ndarray:
    """Members with a command role in the territory (ACTIVE) now, in row order."""
    pop, mem = w.pop, w.memory(Command)
    if mem.seen < pop.n:
        new = np.flatnonzero(COMMANDING.take(pop.role[mem.seen : pop.n])) + mem.seen
        mem.rows, mem.seen = np.concatenate((mem.rows, new)), pop.n
    return mem.rows[pop.state[mem.rows] == _ACTIVE]


def _tie_units(w: World, idx: np.ndarray) -> None:
    """Fighters in units of ``unit_size`` by region and place, each unit under a commander;
    women and minors in families with a fighter or settler of their region, where that is."""
    pop, rng = w.pop, w.rng
    role = pop.role[idx]
    fighters = idx[IN_UNITS.take(role)]
    if len(fighters):
        unit = rng.integers(0, max(1, len(fighters) // w.population.unit_size), len(fighters))
        a, b, heads, run_side, run_start = _units(fighters, _side(pop, fighters), unit)
        # each unit's first member reports to a commander of the same region and place
        command = commanders(w)
        if len(command):
            mine, start = _grouped(command, _side(pop, command), SIDES)
            start, bounds = start.tolist(), run_start.tolist()
            reports = [b]
            for j, r in enumerate(run_side.tolist()):  # each side's first members, in order
                pool = mine[start[r] : start[r + 1]] if start[r + 1] > start[r] else command
                reports.append(pool[rng.integers(0, len(pool), bounds[j + 1] - bounds[j])])
            a, b = np.concatenate((a, heads)), np.concatenate(reports)
        w.ties.add(a, b, tie_kinds.UNIT)
    # families live with a fighter or settler of their region, where that member is
    family = idx[IN_FAMILY.take(role)]
    if len(family) and len(fighters):
        fam, fam_start = _grouped(family, pop.region[family], len(Region))
        heads, head_start = _grouped(fighters, pop.region[fighters], len(Region))
        members, homes = [], []
        for r in range(len(Region)):
            mine = fam[fam_start[r] : fam_start[r + 1]]
            theirs = heads[head_start[r] : head_start[r + 1]]
            if len(mine) and len(theirs):
                members.append(mine)
                homes.append(theirs[rng.integers(0, len(theirs), len(mine))])
        if members:
            fam, head = np.concatenate(members), np.concatenate(homes)
            w.ties.add(fam, head, tie_kinds.FAMILY)
            pop.place[fam] = pop.place[head]
            pop.home[fam] = pop.home[head]


@njit(cache=True)
def _units(fighters, side, unit):  # pragma: no cover - compiled
    """Fighters in units (``unit`` within their ``side``), in unit order (stable): the ties of
    each to the next of its unit (two arrays of ends); each unit's first member; and the runs
    of those first members by side (each run's side, and where each run starts, then the
    end)."""
    label = side * UNIT_LABELS + unit
    order = np.argsort(label, kind="mergesort")
    m = len(order)
    a = np.empty(m, dtype=np.intp)
    b = np.empty(m, dtype=np.intp)
    heads = np.empty(m, dtype=np.intp)
    run_side = np.empty(m, dtype=np.int64)
    run_start = np.empty(m + 1, dtype=np.int64)
    k = h = r = 0
    for j in range(m):
        i = order[j]
        if j > 0 and label[i] == label[order[j - 1]]:
            a[k], b[k] = fighters[order[j - 1]], fighters[i]
            k += 1
            continue
        if r == 0 or side[i] != run_side[r - 1]:
            run_side[r], run_start[r] = side[i], h
            r += 1
        heads[h] = fighters[i]
        h += 1
    run_start[r] = h
    return (
        a[:k].copy(),
        b[:k].copy(),
        heads[:h].copy(),
        run_side[:r].copy(),
        run_start[: r + 1].copy(),
    )


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


def _side(pop, idx: np.ndarray) -> np.ndarray:
    """Region of origin and place together, as one label."""
    return _sides(idx, pop.region, pop.place)


@njit(cache=True)
def _sides(idx, region, place):  # pragma: no cover - compiled
    """:func:`_side` in one pass."""
    out = np.empty(len(idx), dtype=np.int64)
    for j in range(len(idx)):
        out[j] = np.int64(region[idx[j]]) * PLACES + place[idx[j]]
    return out


def _arrive(w: World, count: int, region_p: np.ndarray, role_p: np.ndarray, regions):
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    rng = w.rng
    region = regions[rng.choice(len(region_p), count, p=region_p)]
    role = rng.choice(len(role_p), count, p=role_p).astype(np.int8)
    idx = new_members(w, region, role, State.ACTIVE, w.t)
    _tie_units(w, idx)
    return idx


def step(w: World) -> None:
    p, t, s = w.population, w.t, w.schedule
    rng = w.rng
    # travellers need a territory to travel to
    open_share = (1 - s.border[t]) * min(1.0, s.control[t] / p.destination_control)
    foreign_mean = p.foreign_peak_recruits_per_month * w.out.raw["appeal"][t] * open_share
    local_mean = p.local_recruits_per_month * s.control[t]
    n_foreign = int(rng.poisson(w.agents(max(foreign_mean, 0.0))))
    n_local = int(rng.poisson(w.agents(local_mean)))
    f = _arrive(
        w, n_foreign, w.table(p.foreign_region_shares), w.table(p.foreign_role_shares), FOREIGN
    )
    loc = _arrive(w, n_local, ONE, w.table(p.local_role_shares), LOCAL)
    w.count("arrived_foreign", len(f))
    w.count("arrived_local", len(loc))
    if len(loc):
        schedule_children(w, loc, p.local_children_per_member)
    if len(f):
        schedule_children(w, f, p.foreign_children_per_member)
