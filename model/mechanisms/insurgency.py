"""The remnant insurgency in Iraq and Syria (seed 003: "Some may continue to participate in
insurgency operations"; the model brief's UN figures).

Insurgent cells are members in the state REMOBILISED ("back in an organised group") whose
place is Iraq or Syria. They form as cities fall (``collapse``: loyal fighters who leave the
territory alive stay behind at ``collapse.stay_behind``) and, in every month after the
territory has fallen below its peak, from loyal fighters hiding locally there; once the
territory held counts as lost, prison breaks (Poisson, per place) free detainees there.
Cells lose members to counter-insurgency (killed, or captured and imprisoned in the region)
and to drop-out back into local hiding.

Cells are networks (UN experts, model brief: "small cells in desert and rural areas", "a
covert network"): whoever joins (``form_cells``) is tied into a cell of its place of about
``insurgency.cell_size`` persons; each new cell's head is tied, with probability
``insurgency.cell_linkage``, to a commander (a free, loyal leader or Amni member in that
place) or to a member of another cell there. The remnant funds itself (extortion, smuggling,
the group's hidden reserves; seed 003: local leaders "have the group's money"): each month
every cell member brings ``insurgency.income_usd``, shared among the place's commanders.

Each month the module counts the group's members and its active fighters by place, two
quantities the public figures keep apart:

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
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core import ties as tie_kinds
from regroup.core.population import Field
from regroup.core.states import (
    COMMAND_ROLES,
    FIGHTING,
    FREE_STATES,
    IN_THE_REGION,
    THE_REGION,
    Custody,
    Place,
    Role,
    State,
    membership,
)
from regroup.core.world import INDEX, PERSONS, USD, Output
from regroup.mechanisms import prison
from regroup.mechanisms.regrouping import territory_gone

if TYPE_CHECKING:
    from regroup.core.world import World

N_PLACES = len(Place)
COMMANDING = membership(Role, *COMMAND_ROLES)
NO_CELL = -1
FIELDS = {"insurgent_cell": Field(np.int32, NO_CELL)}  # the cell joined last (-1: none)
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
    "insurgency_income": Output(
        USD, "The cells' income credited to the commanders, by place.", flow=True, by="place"
    ),
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
        le=0.3,  # the three compete in one draw: at most 0.9 together
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
        le=0.3,  # the three compete in one draw: at most 0.9 together
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
        le=0.3,  # the three compete in one draw: at most 0.9 together
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

    cell_size: float = param(
        10.0,
        "persons",
        'assumption: UN experts (model brief) describe "small cells in desert and rural '
        'areas"; no source gives a size',
        "Persons in an insurgent cell (in agents: cell_size / scale, at least 1): members who "
        "join one in a place fill its open cell, then start a new one.",
        ge=1,
        le=1000,
        evidence="assumption",
        prior=Prior(kind="triangular", low=3, mode=10, high=30),
    )
    cell_linkage: float = param(
        0.5,
        "probability",
        'assumption: UN monitors (model brief) describe "a covert network"; how well its cells '
        "are linked is not in any source, so the prior spans isolated to well-linked cells",
        "Probability that a new cell's head is tied to a commander (a free, loyal leader or "
        "Amni member in its place) or to a member of another cell there.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.9),
    )
    income_usd: float = param(
        100.0,
        "USD/month",
        "seed 003 supports the direction (local leaders 'are still alive and free and have the "
        "group's money'); extortion, smuggling and hidden reserves after 2019 are not in the "
        "seeds, so the value is an assumption with a prior from near zero to substantial",
        "Monthly income per cell member in Iraq or Syria, shared among the place's commanders "
        "(free, loyal leaders and Amni members there); lost when a place has none.",
        ge=0,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=100, sigma=1.0, low=5, high=2000),
    )


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


def commanders(w: World) -> np.ndarray:
    """The commanders in Iraq and Syria: free, loyal leaders and Amni members there."""
    pop = w.pop
    idx = pop.where(*FREE_STATES)
    idx = idx[COMMANDING.take(pop.role[idx]) & IN_THE_REGION.take(pop.place[idx])]
    return idx[w.loyal(pop.loyalty[idx])]


# ----------------------------------------------------------------------------- cells
class Cells:
    """What the cells remember: the next cell number, and each place's open cell (the one
    new members fill; -1: none) with how many agents have joined it."""

    def __init__(self) -> None:
        self.next_id = 0
        self.open = np.full(N_PLACES, NO_CELL, dtype=np.int64)
        self.filled = np.zeros(N_PLACES, dtype=np.int64)


def cell_agents(w: World) -> int:
    """A cell's size in agents (``insurgency.cell_size`` persons, at least one agent)."""
    return max(1, int(round(w.agents(w.group(Insurgency).cell_size))))


def form_cells(w: World, idx: np.ndarray) -> None:
    """Tie the new cell members ``idx`` (remobilised in Iraq or Syria this month) into cells
    of their place: in a random order, they fill the place's open cell up to the cell size,
    then new cells. Members of one cell are tied in a chain; the first to join an open cell
    that still has members is tied to one of them. Each new cell's head (its first member;
    also the first to rejoin an open cell left empty) is tied with probability
    ``insurgency.cell_linkage`` to one person drawn from the place's commanders and the
    members of its other cells."""
    idx = idx[IN_THE_REGION.take(w.pop.place[idx])]
    if len(idx) == 0:
        return
    pop, rng, mem = w.pop, w.rng, w.memory(Cells)
    k = cell_agents(w)
    kind = tie_kinds.INSURGENT_CELL
    pop.insurgent_cell[idx] = NO_CELL  # a member caught and freed again joins a new cell
    before = pop.where(State.REMOBILISED)
    before = before[pop.insurgent_cell[before] != NO_CELL]  # members of cells already
    command = commanders(w)
    for place in THE_REGION:
        new = idx[pop.place[idx] == int(place)]
        if len(new) == 0:
            continue
        new = new[rng.permutation(len(new))]
        filled, open_id = int(mem.filled[place]), int(mem.open[place])
        slot = filled + np.arange(len(new))  # places in the open cell, then in new ones
        offset = 1 if filled else 0
        cell = np.where(slot < k * offset, open_id, mem.next_id + slot // k - offset)
        n_new = int(slot[-1] // k + 1 - offset)  # cells started by this call
        pop.insurgent_cell[new] = cell
        w.ties.chain(new, cell, kind)
        mem.next_id += n_new
        mem.open[place], mem.filled[place] = cell[-1], (filled + len(new)) % k
        if mem.filled[place] == 0:  # the last cell is full: the next member opens a new one
            mem.open[place] = NO_CELL
        here = before[pop.place[before] == int(place)]
        heads = new[np.r_[True, cell[1:] != cell[:-1]]]  # the first of each cell this call
        if filled:  # the open cell's first newcomer joins a remaining member, if any
            old = here[pop.insurgent_cell[here] == open_id]
            if len(old):
                w.ties.add(heads[:1], old[rng.integers(0, len(old), 1)], kind)
                heads = heads[1:]
        link(w, heads, command[pop.place[command] == int(place)], here)


def link(w: World, heads: np.ndarray, command: np.ndarray, members: np.ndarray) -> None:
    """Tie each of ``heads`` with probability ``insurgency.cell_linkage`` to one person drawn
    from the commanders ``command`` and the ``members`` of existing cells, all of the heads'
    place."""
    heads = w.chance(heads, w.group(Insurgency).cell_linkage)
    if len(heads) == 0:
        return
    targets = np.union1d(command, members)
    if len(targets) == 0:
        return
    chosen = targets[w.rng.integers(0, len(targets), len(heads))]
    w.ties.add(heads, chosen, tie_kinds.INSURGENT_CELL)


def fund(w: World) -> None:
    """Each place's cells bring ``insurgency.income_usd`` a member, shared equally among the
    place's commanders (nobody gets it where there is none)."""
    pop, income = w.pop, w.group(Insurgency).income_usd
    if income <= 0:
        return
    members = np.bincount(pop.place[cells(w)], minlength=N_PLACES)
    if not members.any():
        return
    command = commanders(w)
    for place in THE_REGION:
        heads = command[pop.place[command] == int(place)]
        if members[place] == 0 or len(heads) == 0:
            continue
        total = income * members[place]  # per person of an agent: agents x scale cancel
        pop.funds[heads] += np.float32(total / len(heads))
        w.count("insurgency_income", _at(place, total))


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
        form_cells(w, freed[to_cell])
        pop.move(freed[~to_cell], State.HIDING_LOCAL, t)
        w.count("prison_breaks", _at(place, k))
        w.count("freed_in_breaks", _at(place, len(freed)))


def _at(place: Place, value: float) -> np.ndarray:
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
    form_cells(w, joining)
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
    pop.insurgent_cell[idx[killed | captured | leaving]] = NO_CELL
    w.count("killed_in_cells", int(killed.sum()))
    w.count("captured_in_cells", int(captured.sum()))
    w.count("left_cells", int(leaving.sum()))


def step(w: World) -> None:
    if w.schedule.loss[w.t] > 0:  # some territory lost since the peak: areas to operate in
        join(w)
    if territory_gone(w):  # held, then lost
        prison_breaks(w)
    counter_insurgency(w)
    fund(w)
    w.record("members_by_place", by_place(w, members(w)))
    w.record("fighters_by_place", by_place(w, fighters(w)))
