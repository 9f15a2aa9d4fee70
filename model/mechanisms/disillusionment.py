"""Disillusionment: the four defector narratives (seed 002) and territorial loss raise
the wish to leave, differently by role: settlers after 2015 as the war comes to them
(seed 001), leaders when the territory looks lost (seeds 001, 003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.fields import (
    ASSUMPTION,
    SEED_002,
    RegionFactors,
    RoleFactors,
    Strict,
    param,
    table,
)
from regroup.core.population import membership
from regroup.core.states import Role, State

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

CIVILIANS = np.array([Role.SETTLER, Role.WOMAN, Role.MINOR])
CIVILIAN = membership(Role, *CIVILIANS)


class Disillusionment(Strict):
    """The four defector narratives (seed 002) and territorial loss raise the wish to leave."""

    infighting: float = param(
        0.006, "wish/month", SEED_002, "Push of group infighting.", ge=0, le=0.5
    )
    brutality: float = param(
        0.006, "wish/month", SEED_002, "Push of brutality against Sunnis.", ge=0, le=0.5
    )
    corruption: float = param(
        0.004, "wish/month", SEED_002, "Push of corruption and 'un-Islamic' conduct.", ge=0, le=0.5
    )
    quality_of_life: float = param(
        0.006, "wish/month", SEED_002, "Push of poor quality of life.", ge=0, le=0.5
    )
    territorial_loss: float = param(
        0.08,
        "wish/month",
        "seeds 000, 001 (exodus as the caliphate crumbles)",
        "Push per month times the share of peak territory lost.",
        ge=0,
        le=1,
    )
    sensitivity: RoleFactors = table(
        RoleFactors,
        {
            "zealot": 0.2,
            "veteran": 0.3,
            "novice": 1.0,
            "settler": 1.5,
            "dissident": 3.0,
            "leader": 0.4,
            "amni": 0.3,
            "local_recruit": 1.2,
            "woman": 1.0,
            "minor": 0.5,
        },
        "factor",
        "seeds 001, 003 (dissidents and settlers most disillusioned); values assumption",
        "How strongly each role feels the narratives.",
    )
    settler_war_push: float = param(
        0.04,
        "wish/month",
        "seed 001 (after 2015 settlers found the caliphate too dangerous)",
        "Extra push on settlers, women and minors times combat intensity.",
        ge=0,
        le=1,
    )
    leader_despair_control: float = param(
        0.4,
        "share of territory",
        "seeds 001, 003 (leaders left from 2017, when recovery looked impossible)",
        "Territory below which leaders judge the territory lost and want to leave.",
        ge=0,
        le=1,
    )
    leader_despair_push: float = param(
        0.25,
        "wish/month",
        "seeds 001, 003 (leaders left once recovery looked impossible); value assumption",
        "Monthly push on leaders once territory is below leader_despair_control.",
        ge=0,
        le=1,
    )
    leave_threshold: float = param(
        0.5, "0-1", ASSUMPTION, "Wish to leave above which a member tries to.", ge=0.05, le=1
    )
    commitment_loss: float = param(
        0.5,
        "commitment per unit wish",
        ASSUMPTION,
        "Commitment lost per unit of wish to leave gained.",
        ge=0,
        le=2,
    )
    region_leave_factor: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 1.0,
            "europe_turkey": 3.5,
            "former_soviet": 0.7,
            "middle_east_gulf": 1.2,
            "other": 1.0,
        },
        "factor",
        "EU CT coordinator 2017 (30-35% of Europeans returned) against ICSR 2018 (about 18% "
        "of all foreigners): Europeans left more; values assumption",
        "How much more readily members of each foreign region want to leave.",
    )


def region_factor(m: RegroupModel) -> np.ndarray:
    """Leave factor by region code (1 for locals)."""
    return m.table(m.p.disillusionment.region_leave_factor, local=1.0)


def step(m: RegroupModel) -> None:
    d, s, t, pop = m.p.disillusionment, m.schedule, m.t, m.pop
    idx = pop.where(State.ACTIVE)
    if len(idx) == 0:
        return
    role = pop.role[idx]
    c = pop.commitment[idx]
    sens = m.table(d.sensitivity)[role]
    narratives = d.infighting + d.brutality + d.corruption + d.quality_of_life
    push = sens * (narratives * (1.0 - c) + d.territorial_loss * s.loss[t])
    push += CIVILIAN.take(role) * d.settler_war_push * s.intensity[t]
    if s.control[t] < d.leader_despair_control:
        push += (role == Role.LEADER) * d.leader_despair_push
    push *= region_factor(m)[pop.region[idx]]
    pop.wish[idx] = np.minimum(1.0, pop.wish[idx] + push)
    pop.commitment[idx] = np.maximum(0.0, c - d.commitment_loss * push)


def wants_to_leave(m: RegroupModel, idx: np.ndarray) -> np.ndarray:
    return idx[m.pop.wish[idx] >= m.p.disillusionment.leave_threshold]
