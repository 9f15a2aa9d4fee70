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
from regroup.core import ties as tie_kinds
from regroup.core.states import (
    COMMAND_ROLES,
    FAMILY_ROLES,
    FIGHTING,
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
OUTPUTS = {
    "arrived_foreign": Output(PERSONS, "Foreign recruits who arrived.", flow=True),
    "arrived_local": Output(PERSONS, "Local recruits who joined.", flow=True),
}


HOME = np.array([0] + [HOME_PLACE[r] for r in Region if r != Region.LOCAL], dtype=np.int8)


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
    a = w.attributes
    k = len(role)
    rng = w.rng
    if place is None:
        local = region == Region.LOCAL
        in_iraq = rng.random(k) < np.where(
            local, w.population.local_in_iraq, w.population.foreign_in_iraq
        )
        place = np.where(in_iraq, Place.IRAQ, Place.SYRIA).astype(np.int8)
        home = np.where(local, place, HOME[region]).astype(np.int8)
    else:
        home = place
    ideology = w.table(a.ideology)[role] + rng.uniform(-0.1, 0.1, k)
    loyalty = w.table(a.loyalty)[role] + rng.uniform(-0.1, 0.1, k)
    skill = w.table(a.skill)[role] + rng.uniform(-0.1, 0.1, k)
    region_funds = w.table(a.region_funds, local=1.0)[region]
    funds = rng.exponential(1.0, k) * w.table(a.funds_usd)[role] * region_funds
    known = rng.random(k) < w.table(a.known_share)[role]
    documents = (region != Region.LOCAL) & (rng.random(k) < a.documents_share)
    lo, hi = w.population.minor_age_years.low, w.population.minor_age_years.high
    age = np.where(role == Role.MINOR, rng.uniform(lo, hi, k), 25.0)
    return w.add(
        k,
        state=state,
        role=role,
        region=region,
        place=place,
        home=home,
        entered=t,
        joined=t,
        birth=(t - age * 12).astype(np.int16),
        ideology=np.clip(ideology, 0, 1),
        loyalty=np.clip(loyalty, 0, 1),
        skill=np.clip(skill, 0, 1),
        funds=funds,
        known=known,
        documents=documents,
    )


def _tie_units(w: World, idx: np.ndarray) -> None:
    """Fighters in units of ``unit_size`` by region and place, each unit under a commander;
    women and minors in families with a fighter or settler of their region, where that is."""
    pop, rng = w.pop, w.rng
    role, region = pop.role[idx], pop.region[idx]
    fighters = idx[FIGHTING[role] | (role == Role.SETTLER)]
    if len(fighters):
        unit = rng.integers(0, max(1, len(fighters) // w.population.unit_size), len(fighters))
        label = _side(pop, fighters) * 1_000_000 + unit
        w.ties.chain(fighters, label, tie_kinds.UNIT)
        # each unit's first member reports to a commander of the same region and place
        order = np.argsort(label, kind="stable")
        first = np.r_[True, label[order][1:] != label[order][:-1]]
        heads = fighters[order][first]
        commanders = pop.where(State.ACTIVE)
        commanders = commanders[COMMANDING.take(pop.role[commanders])]
        if len(commanders):
            theirs = _side(pop, commanders)
            head_side = _side(pop, heads)
            for r in np.unique(head_side):
                mine = commanders[theirs == r]
                pool = mine if len(mine) else commanders
                h = heads[head_side == r]
                w.ties.add(h, pool[rng.integers(0, len(pool), len(h))], tie_kinds.UNIT)
    # families live with a fighter or settler of their region, where that member is
    family = idx[IN_FAMILY.take(role)]
    if len(family) and len(fighters):
        for r in np.unique(region):
            fam = family[pop.region[family] == r]
            heads = fighters[pop.region[fighters] == r]
            if len(fam) and len(heads):
                head = heads[rng.integers(0, len(heads), len(fam))]
                w.ties.add(fam, head, tie_kinds.FAMILY)
                pop.place[fam] = pop.place[head]
                pop.home[fam] = pop.home[head]


def _side(pop, idx: np.ndarray) -> np.ndarray:
    """Region of origin and place together, as one label."""
    return pop.region[idx].astype(np.int64) * len(Place) + pop.place[idx]


def _arrive(w: World, count: int, region_p: np.ndarray, role_p: np.ndarray, regions):
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    rng = w.rng
    region = np.asarray(regions)[rng.choice(len(region_p), count, p=region_p)]
    role = rng.choice(len(role_p), count, p=role_p).astype(np.int8)
    idx = new_members(w, region.astype(np.int8), role, State.ACTIVE, w.t)
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
    foreign_regions = [r for r in Region if r != Region.LOCAL]
    f = _arrive(
        w,
        n_foreign,
        w.table(p.foreign_region_shares),
        w.table(p.foreign_role_shares),
        foreign_regions,
    )
    loc = _arrive(w, n_local, np.ones(1), w.table(p.local_role_shares), [Region.LOCAL])
    w.count("arrived_foreign", len(f))
    w.count("arrived_local", len(loc))
    if len(loc):
        schedule_children(w, loc, p.local_children_per_member)
    if len(f):
        schedule_children(w, f, p.foreign_children_per_member)
