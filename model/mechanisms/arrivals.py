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
from regroup.core.population import membership
from regroup.core.states import Region, Role, State

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

FAMILY_ROLES = (Role.WOMAN, Role.MINOR)
COMMANDERS = (Role.LEADER, Role.AMNI)
IN_FAMILY, COMMANDING = membership(Role, *FAMILY_ROLES), membership(Role, *COMMANDERS)


def new_members(
    m: RegroupModel, region: np.ndarray, role: np.ndarray, state: State, t: int
) -> np.ndarray:
    """Create members with attributes drawn by role; returns their indices."""
    a = m.p.attributes
    k = len(role)
    rng = m.rng
    commit = m.table(a.commitment)[role] + rng.uniform(-0.1, 0.1, k)
    skill = m.table(a.skill)[role] + rng.uniform(-0.1, 0.1, k)
    region_funds = m.table(a.region_funds, local=1.0)[region]
    funds = rng.exponential(1.0, k) * m.table(a.funds_usd)[role] * region_funds
    known = rng.random(k) < m.table(a.known_share)[role]
    documents = (region != Region.LOCAL) & (rng.random(k) < a.documents_share)
    lo, hi = m.p.population.minor_age_years.low, m.p.population.minor_age_years.high
    age = np.where(role == Role.MINOR, rng.uniform(lo, hi, k), 25.0)
    return m.add_members(
        k,
        state=state,
        role=role,
        region=region,
        entered=t,
        joined=t,
        birth=(t - age * 12).astype(np.int16),
        commitment=np.clip(commit, 0, 1),
        skill=np.clip(skill, 0, 1),
        funds=funds,
        known=known,
        documents=documents,
    )


def _tie_units(m: RegroupModel, idx: np.ndarray) -> None:
    """Fighters in units of ``unit_size`` by region, each unit under a commander;
    women and minors in families with a fighter or settler of their region."""
    pop, rng = m.pop, m.rng
    role, region = pop.role[idx], pop.region[idx]
    fighters = idx[m.fighting[role] | (role == Role.SETTLER)]
    if len(fighters):
        unit = rng.integers(0, max(1, len(fighters) // m.p.population.unit_size), len(fighters))
        label = pop.region[fighters].astype(np.int64) * 1_000_000 + unit
        m.ties.chain(fighters, label, tie_kinds.UNIT)
        # each unit's first member reports to a commander of the same region
        order = np.argsort(label, kind="stable")
        first = np.r_[True, label[order][1:] != label[order][:-1]]
        heads = fighters[order][first]
        commanders = pop.where(State.ACTIVE)
        commanders = commanders[COMMANDING.take(pop.role[commanders])]
        if len(commanders):
            for r in np.unique(pop.region[heads]):
                mine = commanders[pop.region[commanders] == r]
                pool = mine if len(mine) else commanders
                h = heads[pop.region[heads] == r]
                m.ties.add(h, pool[rng.integers(0, len(pool), len(h))], tie_kinds.UNIT)
    family = idx[IN_FAMILY.take(role)]
    if len(family) and len(fighters):
        for r in np.unique(region):
            fam = family[pop.region[family] == r]
            heads = fighters[pop.region[fighters] == r]
            if len(fam) and len(heads):
                m.ties.add(fam, heads[rng.integers(0, len(heads), len(fam))], tie_kinds.FAMILY)


def _arrive(m: RegroupModel, count: int, region_p: np.ndarray, role_p: np.ndarray, regions):
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    rng = m.rng
    region = np.asarray(regions)[rng.choice(len(region_p), count, p=region_p)]
    role = rng.choice(len(role_p), count, p=role_p).astype(np.int8)
    idx = new_members(m, region.astype(np.int8), role, State.ACTIVE, m.t)
    _tie_units(m, idx)
    return idx


def step(m: RegroupModel) -> None:
    p, t, s = m.p.population, m.t, m.schedule
    rng = m.rng
    # travellers need a territory to travel to
    open_share = (1 - s.border[t]) * min(1.0, s.control[t] / p.destination_control)
    foreign_mean = p.foreign_peak_recruits_per_month * m.series.appeal[t] * open_share
    local_mean = p.local_recruits_per_month * s.control[t]
    n_foreign = int(rng.poisson(max(foreign_mean, 0.0) / m.scale))
    n_local = int(rng.poisson(local_mean / m.scale))
    foreign_regions = [r for r in Region if r != Region.LOCAL]
    f = _arrive(
        m,
        n_foreign,
        m.table(p.foreign_region_shares),
        m.table(p.foreign_role_shares),
        foreign_regions,
    )
    loc = _arrive(m, n_local, np.ones(1), m.table(p.local_role_shares), [Region.LOCAL])
    m.tally["arrived_foreign"] += len(f)
    m.tally["arrived_local"] += len(loc)
    m.series.arrived_foreign[t] = len(f) * m.scale
    m.series.arrived_local[t] = len(loc) * m.scale
    if len(loc):
        _schedule_children(m, loc)


def _schedule_children(m: RegroupModel, parents: np.ndarray) -> None:
    """Local members' children: each comes of age at a random month of the coming years."""
    p, rng = m.p.population, m.rng
    k = rng.poisson(p.local_children_per_member, len(parents))
    parent = np.repeat(parents, k)
    age_now = rng.uniform(0, p.fighting_age_years, len(parent))
    month = m.t + np.ceil((p.fighting_age_years - age_now) * 12).astype(np.int32)
    m.children.month = np.concatenate([m.children.month, month])
    m.children.parent = np.concatenate([m.children.parent, parent])
