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
from regroup.core.states import FREE_STATES, Region, Role
from regroup.mechanisms.demography import of_fighting_age
from regroup.mechanisms.recruitment import territory_lost

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

ANCHORS = (Role.LEADER, Role.AMNI)
N_REGIONS = len(Region)


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


def step(m: RegroupModel) -> None:
    g, t, pop, s = m.p.regroup, m.t, m.pop, m.series
    n = pop.n
    is_free = pop.mask(*FREE_STATES)
    free = np.flatnonzero(is_free)
    dedicated = (pop.view("commitment") >= g.commitment_threshold) & is_free
    cand = np.flatnonzero(dedicated & (pop.view("skill") >= g.skill_threshold))
    cand = cand[of_fighting_age(m, cand) | (pop.role[cand] != Role.MINOR)]
    region = pop.region[cand]
    s.pool[t] = len(cand) * m.scale
    s.pool_by_region[t] = np.bincount(region, minlength=N_REGIONS) * m.scale

    role = pop.view("role")
    anchor = (role == int(ANCHORS[0])) | (role == int(ANCHORS[1]))
    anchors = np.flatnonzero(anchor & is_free & (pop.view("funds") >= g.leader_funds_usd))
    m.connected = np.zeros(n, dtype=bool)
    m.largest_anchor = -1
    if len(anchors) == 0 or len(cand) == 0:
        return
    label = m.ties.components(free, n)
    funded = np.zeros(label.max() + 1, dtype=bool)
    funded[label[anchors]] = True
    linked = cand[funded[label[cand]]]
    m.connected[linked] = True
    if len(linked) == 0:
        return
    size = np.bincount(label[linked])
    biggest = int(np.argmax(size))
    s.connected_pool[t] = len(linked) * m.scale
    s.largest_pool[t] = size[biggest] * m.scale
    funds = pop.funds[linked]
    s.pool_funds[t] = funds.sum() * m.scale
    lr = pop.region[linked]
    s.funds_by_region[t] = np.bincount(lr, weights=funds, minlength=N_REGIONS) * m.scale
    for r in np.unique(lr):
        s.largest_by_region[t, r] = np.bincount(label[linked[lr == r]]).max() * m.scale
    in_biggest = anchors[label[anchors] == biggest]
    m.largest_anchor = int(in_biggest[np.argmax(pop.funds[in_biggest])])
    if m.regroup_month is None and territory_lost(m) and s.largest_pool[t] >= g.critical_mass:
        m.regroup_month = t
