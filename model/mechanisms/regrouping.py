"""Regrouping potential (seed 003: "enough dedicated and qualified members").

The pool: free members who are dedicated (commitment >= threshold) and qualified
(skill >= threshold, of fighting age). Connected: in the same component of the tie graph
among free members as a leader or Amni member with funds. A regroup event happens, once
the territory is lost, when one connected pool reaches the critical mass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core.population import Field
from regroup.core.states import COMMAND_ROLES, FREE_STATES, Region, Role
from regroup.core.world import PERSONS, USD, Output
from regroup.mechanisms.demography import of_fighting_age

if TYPE_CHECKING:
    from regroup.core.world import World

N_REGIONS = len(Region)
FIELDS = {"connected": Field(np.bool_)}  # in a funded pool (as of last month's count)
OUTPUTS = {
    "pool": Output(PERSONS, "Free members who are dedicated and qualified."),
    "connected_pool": Output(PERSONS, "The pool's members tied to a funded leader."),
    "largest_pool": Output(PERSONS, "The largest pool tied to one funded leader."),
    "pool_funds": Output(USD, "Funds of the members of connected pools."),
    "pool_by_region": Output(PERSONS, "The pool by region of origin.", regions=True),
    "largest_by_region": Output(
        PERSONS, "The largest connected pool of each region.", regions=True
    ),
    "funds_by_region": Output(USD, "Funds of connected pools by region.", regions=True),
}


class Regroup(Strict):
    """Regrouping potential (seed 003: 'enough dedicated and qualified members')."""

    commitment_threshold: float = param(
        0.6,
        "0-1",
        "seed 003 supports the concept ('enough dedicated and qualified members'); threshold "
        "assumption",
        "Commitment at or above which a member is dedicated.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.5, high=0.7),
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
        "Connected pool size, with a funded leader, at which the group is deemed to regroup.",
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
    """What regrouping remembers from last month: the funded leader or Amni member anchoring
    the largest pool (-1: none), that pool as a share of the critical mass, and the month of
    the regroup event (None before it)."""

    largest_anchor = -1
    momentum = 0.0
    regroup_month: int | None = None


def memory(w: World) -> Pools:
    return w.memory(Pools)


def step(w: World) -> None:
    g, t, pop, out = w.group(Regroup), w.t, w.pop, w.out
    n = pop.n
    is_free = pop.mask(*FREE_STATES)
    free = np.flatnonzero(is_free)
    dedicated = w.dedicated(pop.view("commitment")) & is_free
    cand = np.flatnonzero(dedicated & (pop.view("skill") >= g.skill_threshold))
    cand = cand[of_fighting_age(w, cand) | (pop.role[cand] != Role.MINOR)]
    region = pop.region[cand]
    w.record("pool", len(cand))
    w.record("pool_by_region", np.bincount(region, minlength=N_REGIONS))

    role = pop.view("role")
    anchor = (role == int(COMMAND_ROLES[0])) | (role == int(COMMAND_ROLES[1]))
    anchors = np.flatnonzero(anchor & is_free & (pop.view("funds") >= g.leader_funds_usd))
    connected = pop.view("connected")
    connected[:] = False
    pools = memory(w)
    pools.largest_anchor, pools.momentum = -1, 0.0
    if len(anchors) == 0 or len(cand) == 0:
        return
    label = w.ties.components(free, n)
    funded = np.zeros(label.max() + 1, dtype=bool)
    funded[label[anchors]] = True
    linked = cand[funded[label[cand]]]
    connected[linked] = True
    if len(linked) == 0:
        return
    size = np.bincount(label[linked])
    biggest = int(np.argmax(size))
    w.record("connected_pool", len(linked))
    w.record("largest_pool", size[biggest])
    funds = pop.funds[linked]
    w.record("pool_funds", funds.sum())
    lr = pop.region[linked]
    w.record("funds_by_region", np.bincount(lr, weights=funds, minlength=N_REGIONS))
    largest_by_region = out.raw["largest_by_region"]
    for r in np.unique(lr):
        largest_by_region[t, r] = np.bincount(label[linked[lr == r]]).max()
    in_biggest = anchors[label[anchors] == biggest]
    pools.largest_anchor = int(in_biggest[np.argmax(pop.funds[in_biggest])])
    largest = out.persons("largest_pool", size[biggest])
    pools.momentum = largest / g.critical_mass
    if pools.regroup_month is None and w.territory_lost and largest >= g.critical_mass:
        pools.regroup_month = t
