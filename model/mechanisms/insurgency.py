"""The remnant insurgency in Iraq and Syria (seed 003: "Some may continue to participate in
insurgency operations"; the model brief's UN figures).

Insurgent cells are members in the state REMOBILISED ("back in an organised group") whose
place is Iraq or Syria. They form as cities fall (``collapse``: loyal fighters who leave the
territory alive stay behind at ``collapse.stay_behind``) and, in every month after the
territory has fallen below its peak, from loyal fighters hiding locally there; once the
territory held counts as lost, prison breaks (Poisson, per place) free detainees there.
Cells lose members to counter-insurgency (killed, or captured and imprisoned in the region)
and to drop-out back into local hiding. Each month the module counts the group's members and
its active fighters by place, two quantities the public figures keep apart:

- ``members_by_place``: in the group's territory (ACTIVE), in an organised group
  (REMOBILISED), or free outside one and loyal (``regroup.loyalty_threshold``): hiding
  locally or abroad, in a criminal network, back home or released -- the free states from
  which ``recruitment`` remobilises; every role, women and minors included (UN monitors:
  "most not fighting but able to be called on");
- ``fighters_by_place``: fighting roles (not settlers, women or minors) in the territory or
  in an organised group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import model_validator
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.states import (
    FIGHTING,
    FREE_STATES,
    IN_THE_REGION,
    THE_REGION,
    Custody,
    Place,
    State,
)
from regroup.core.world import INDEX, PERSONS, Output
from regroup.mechanisms import prison
from regroup.mechanisms.regrouping import territory_gone

if TYPE_CHECKING:
    from regroup.core.world import World

N_PLACES = len(Place)
OUTPUTS = {
    "members_by_place": Output(
        PERSONS,
        "Members of the group by place: in its territory, in an organised group (insurgent "
        "cells in Iraq and Syria), or free there and loyal; every role.",
        by="place",
    ),
    "fighters_by_place": Output(
        PERSONS,
        "Active fighters by place: fighting roles in the territory or in an organised group.",
        by="place",
    ),
    "joined_cells": Output(
        PERSONS, "Loyal fighters hiding in Iraq or Syria who joined a cell.", flow=True
    ),
    "killed_in_cells": Output(PERSONS, "Cell members killed by counter-insurgency.", flow=True),
    "captured_in_cells": Output(
        PERSONS, "Cell members captured by counter-insurgency (prison in the region).", flow=True
    ),
    "left_cells": Output(PERSONS, "Cell members who dropped out back into hiding.", flow=True),
    "prison_breaks": Output(INDEX, "Prison breaks by place (events).", flow=True, by="place"),
    "freed_in_breaks": Output(
        PERSONS, "Detainees freed by prison breaks, by place.", flow=True, by="place"
    ),
}


class Insurgency(Strict):
    """Insurgent cells in Iraq and Syria after the loss of territory; prison breaks."""

    join_rate: float = param(
        0.03,
        "probability/month",
        "seed 003 supports the direction (local fighters in rural hiding: 'Some may continue to "
        "participate in insurgency operations'); value assumption",
        "Monthly probability that a loyal fighter hiding locally in Iraq or Syria joins a cell, "
        "once territory has been lost since the peak.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.03, sigma=0.6, low=0.005, high=0.1),
    )
    death: float = param(
        0.005,
        "probability/month",
        "assumption (raids and air strikes on cells; no seed gives a rate); acts on top of the "
        "detection of everyone sought (hiding.detection)",
        "Monthly probability that a cell member in Iraq or Syria is killed by counter-insurgency.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.005, sigma=0.5, low=0.0015, high=0.02),
    )
    capture: float = param(
        0.005,
        "probability/month",
        "assumption (counter-insurgency raids; no seed gives a rate); acts on top of the "
        "detection of everyone sought (hiding.detection)",
        "Monthly probability that a cell member in Iraq or Syria is captured and imprisoned in "
        "the region.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.005, sigma=0.5, low=0.0015, high=0.02),
    )
    drop_out: float = param(
        0.005,
        "probability/month",
        "seed 003 supports the direction (fighters in hiding 'might prefer to demobilise'); "
        "value assumption",
        "Monthly probability that a loyal cell member in Iraq or Syria drops back into hiding "
        "(members no longer loyal drop out the month they are not).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.005, sigma=0.6, low=0.001, high=0.02),
    )
    breaks_iraq_per_year: float = param(
        0.05,
        "events/year",
        'assumption: breaks happened (Iraq\'s 2012-13 "Breaking the Walls" campaign), but no '
        "seed gives a rate",
        "Expected prison breaks a year in Iraq once the territory held is lost (Poisson).",
        ge=0,
        le=12,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.3),
    )
    breaks_syria_per_year: float = param(
        0.1,
        "events/year",
        "assumption: breaks happened (the attack on a prison in Hasakah, January 2022), but no "
        "seed gives a rate",
        "Expected prison breaks a year in Syria once the territory held is lost (Poisson).",
        ge=0,
        le=12,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.5),
    )
    freed_share: float = param(
        0.05,
        "share",
        "assumption (one facility of the place's prisons and camps is hit; no seed gives a share)",
        "Share of the people held in a place's prisons and camps that one break frees.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.01, high=0.15),
    )

    @model_validator(mode="after")
    def _competing(self) -> Insurgency:
        """Death, capture and drop-out are one draw's competing outcomes."""
        total = self.death + self.capture + self.drop_out
        if total > 1:
            raise ValueError(f"death + capture + drop_out must be <= 1 (they sum to {total:g})")
        return self


# ----------------------------------------------------------------------------- definitions
def members(w: World) -> np.ndarray:
    """Boolean per member: in the group (the UN monitors' count): in its territory, in an
    organised group, or free elsewhere and loyal (able to be called on)."""
    pop = w.pop
    loyal_free = pop.mask(*FREE_STATES) & w.loyal(pop.view("loyalty"))
    return pop.mask(State.ACTIVE, State.REMOBILISED) | loyal_free


def fighters(w: World) -> np.ndarray:
    """Boolean per member: an active fighter: a fighting role in the territory or in an
    organised group."""
    pop = w.pop
    return pop.mask(State.ACTIVE, State.REMOBILISED) & FIGHTING.take(pop.view("role"))


def by_place(w: World, mask: np.ndarray) -> np.ndarray:
    """Agents of ``mask`` counted by their place."""
    return np.bincount(w.pop.view("place")[mask], minlength=N_PLACES)


def cells(w: World) -> np.ndarray:
    """Cell members in Iraq or Syria who were already there last month."""
    pop = w.pop
    idx = pop.where(State.REMOBILISED, t=w.t)
    return idx[IN_THE_REGION.take(pop.place[idx])]


# ----------------------------------------------------------------------------- the rules
def prison_breaks(w: World) -> None:
    """Breaks in each place of the region (Poisson, once the territory held is lost): each frees
    every person held there in a prison or camp with probability ``freed_share`` (per break);
    loyal fighters join cells, the others hide locally, in the same place."""
    g, t, pop = w.group(Insurgency), w.t, w.pop
    rates = {Place.IRAQ: g.breaks_iraq_per_year, Place.SYRIA: g.breaks_syria_per_year}
    held = None
    for place in THE_REGION:
        k = int(w.rng.poisson(rates[place] / 12.0))
        if k == 0:
            continue
        if held is None:
            held = pop.where(State.DETAINED, t=t)
            custody = pop.custody[held]
            held = held[(custody == int(Custody.PRISON)) | (custody == int(Custody.CAMP))]
        here = held[pop.place[held] == int(place)]
        freed = w.chance(here, 1.0 - (1.0 - g.freed_share) ** k)
        to_cell = FIGHTING.take(pop.role[freed]) & w.loyal(pop.loyalty[freed])
        pop.move(freed[to_cell], State.REMOBILISED, t)
        pop.move(freed[~to_cell], State.HIDING_LOCAL, t)
        w.count("prison_breaks", _at(place, k))
        w.count("freed_in_breaks", _at(place, len(freed)))


def _at(place: Place, value: int) -> np.ndarray:
    out = np.zeros(N_PLACES)
    out[place] = value
    return out


def join(w: World) -> None:
    """Loyal fighters hiding locally in Iraq or Syria join cells (once territory has been lost
    since the peak)."""
    g, t, pop = w.group(Insurgency), w.t, w.pop
    idx = pop.where(State.HIDING_LOCAL, t=t)
    able = IN_THE_REGION.take(pop.place[idx]) & FIGHTING.take(pop.role[idx])
    idx = idx[able & w.loyal(pop.loyalty[idx])]
    joining = w.chance(idx, g.join_rate)
    pop.move(joining, State.REMOBILISED, t)
    w.count("joined_cells", len(joining))


def counter_insurgency(w: World) -> None:
    """Cells lose members: killed, captured (prison in the region), or dropping out into
    local hiding (every member no longer loyal; the loyal at ``drop_out``)."""
    g, t, pop = w.group(Insurgency), w.t, w.pop
    idx = cells(w)
    if len(idx) == 0:
        return
    u = w.draw(len(idx))
    killed = u < g.death
    captured = ~killed & (u < g.death + g.capture)
    rest = ~killed & ~captured
    leaving = rest & ((u < g.death + g.capture + g.drop_out) | ~w.loyal(pop.loyalty[idx]))
    pop.move(idx[killed], State.DEAD, t)
    prison.admit(w, idx[captured], home=False)
    pop.move(idx[leaving], State.HIDING_LOCAL, t)
    w.count("killed_in_cells", int(killed.sum()))
    w.count("captured_in_cells", int(captured.sum()))
    w.count("left_cells", int(leaving.sum()))


def step(w: World) -> None:
    if w.schedule.loss[w.t] > 0:  # some territory lost since the peak: areas to operate in
        join(w)
    if territory_gone(w):  # held, then lost
        prison_breaks(w)
    counter_insurgency(w)
    w.record("members_by_place", by_place(w, members(w)))
    w.record("fighters_by_place", by_place(w, fighters(w)))
