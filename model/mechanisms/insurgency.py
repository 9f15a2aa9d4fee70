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
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core import ties as tie_kinds
from regroup.core.population import Field, appended
from regroup.core.states import (
    COMMAND_BITS,
    COMMANDING,
    FIGHTING,
    FIGHTING_BITS,
    FREE_BITS,
    THE_REGION,
    Custody,
    Place,
    State,
    code_bits,
)
from regroup.core.world import INDEX, PERSONS, USD, Output, as_compared
from regroup.mechanisms import prison

if TYPE_CHECKING:
    from collections.abc import Callable

    from regroup.core.population import Population
    from regroup.core.world import World

N_PLACES = len(Place)
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
IN_GROUP = code_bits(State.ACTIVE, State.REMOBILISED)  # in the territory or a cell
REGION = code_bits(*THE_REGION)
assert THE_REGION == (0, 1), "the cells' kernels count Iraq and Syria as places 0 and 1"
REMOBILISED, DEAD = int(State.REMOBILISED), int(State.DEAD)


def members_and_fighters_by_place(w: World) -> tuple[np.ndarray, np.ndarray]:
    """The group's members and its active fighters counted by place, in one pass over the rows.

    Members (the UN monitors' count): in its territory, in an organised group, or free
    elsewhere and loyal (able to be called on). Fighters: a fighting role in the territory or
    in an organised group."""
    pop = w.pop
    return _members_and_fighters(
        pop.state, pop.role, pop.place, pop.loyalty, pop.n, as_compared(w.loyal_from, pop.loyalty)
    )


def cells(w: World) -> np.ndarray:
    """Cell members in Iraq or Syria who were already there last month."""
    pop = w.pop
    return in_places(pop.where(State.REMOBILISED, t=w.t), pop.place, REGION)


# ----------------------------------------------------------------------------- rosters
class Roster:
    """The rows that may meet a condition (``meets``), in increasing order, so that a rule
    looks at them only and not at every row: the rows that met it when added to the
    population, and those the mechanism gives it (:meth:`include`) when it makes the
    condition true (so nothing else may make it true). Once a year the dead and those no
    longer meeting it are dropped."""

    PRUNE_EVERY = 12  # months

    def __init__(self, meets: Callable[[Population, np.ndarray | slice], np.ndarray]) -> None:
        self.meets = meets
        self._rows = np.empty(0, dtype=np.intp)
        self._scanned = 0  # rows of the population looked at so far
        self._pruned = -self.PRUNE_EVERY  # the month last pruned

    def rows(self, w: World) -> np.ndarray:
        """Every row alive that meets the condition, and perhaps some that do not."""
        pop = w.pop
        if pop.n > self._scanned:  # rows added since: added after every row held
            met = self.meets(pop, slice(self._scanned, pop.n))
            self._rows = appended(self._rows, met, self._scanned)
            self._scanned = pop.n
        if w.t >= self._pruned + self.PRUNE_EVERY or w.t < self._pruned:
            self._pruned = w.t
            rows = self._rows
            self._rows = rows[self.meets(pop, rows) & (pop.state[rows] != DEAD)]
        return self._rows

    def include(self, w: World, rows: np.ndarray) -> None:
        """Rows that now meet the condition."""
        if len(rows):
            self._rows = _union(self.rows(w), rows)

    def update(self, rows: np.ndarray) -> None:
        """The rows of :meth:`rows` with those that now meet the condition, as a caller's
        pass over them merged them (increasing, without repeats)."""
        self._rows = rows


# ----------------------------------------------------------------------------- cells
class Cells:
    """What the cells remember: the next cell number, and each place's open cell (the one
    new members fill; -1: none) with how many agents have joined it; and who may be in the
    network: in a cell (only :func:`form_cells` puts a member in one), or of a commanding
    role (a member's role never changes); and who may command, apart (half as many rows
    for :func:`fund` to look at)."""

    def __init__(self) -> None:
        self.next_id = 0
        self.size = 0  # a cell's size in agents (:func:`cell_agents`; 0: not yet known)
        self.open = np.full(N_PLACES, NO_CELL, dtype=np.int64)
        self.filled = np.zeros(N_PLACES, dtype=np.int64)
        self.network = Roster(
            lambda pop, rows: (
                (pop.insurgent_cell[rows] != NO_CELL) | COMMANDING.take(pop.role[rows])
            )
        )
        self.command = Roster(lambda pop, rows: COMMANDING.take(pop.role[rows]))


def cell_agents(w: World) -> int:
    """A cell's size in agents (``insurgency.cell_size`` persons, at least one agent)."""
    mem = w.memory(Cells)
    if not mem.size:  # a parameter: the same all run
        mem.size = max(1, int(round(w.agents(w.group(Insurgency).cell_size))))
    return mem.size


def form_cells(w: World, idx: np.ndarray) -> None:
    """Tie the new cell members ``idx`` (remobilised in Iraq or Syria this month) into cells
    of their place: in a random order, they fill the place's open cell up to the cell size,
    then new cells. Members of one cell are tied in a chain; the first to join an open cell
    that still has members is tied to one of them. Each new cell's head (its first member;
    also the first to rejoin an open cell left empty) is tied with probability
    ``insurgency.cell_linkage`` to one person drawn from the place's commanders and the
    members of its other cells."""
    if len(idx) == 0:
        return
    pop, mem = w.pop, w.memory(Cells)
    # by place, each out of any cell it was in (a member caught and freed again joins a new
    # one); by place, the members of its open cell, and the commanders and members of cells
    # there; and the network with the newcomers
    iraq, syria, old, n_old, targets, n_targets, network = _newcomers_and_targets(
        idx,
        mem.network.rows(w).view(np.uint64),  # unsigned: no negative-index wraparound
        pop.state,
        pop.role,
        pop.insurgent_cell,
        pop.place,
        pop.loyalty,
        mem.open,
        as_compared(w.loyal_from, pop.loyalty),
    )
    if len(iraq) + len(syria) == 0:
        return
    mem.network.update(network)
    rng, k = w.rng, cell_agents(w)
    linkage = w.group(Insurgency).cell_linkage
    ends = [], []  # the ties, place by place, added at once
    for place, new in zip(THE_REGION, (iraq, syria), strict=True):
        if len(new) == 0:
            continue
        rng.shuffle(new)  # the order rng.permutation(len(new)) gives, in place
        filled = int(mem.filled[place])
        # the ties of the place's newcomers, in this order: each to the one before in its cell
        a, b, heads = _fill(new, pop.insurgent_cell, filled, int(mem.open[place]), mem.next_id, k)
        mem.next_id += (filled + len(new) - 1) // k + 1 - (1 if filled else 0)  # cells started
        mem.open[place], mem.filled[place] = pop.insurgent_cell[new[-1]], (filled + len(new)) % k
        if mem.filled[place] == 0:  # the last cell is full: the next member opens a new one
            mem.open[place] = NO_CELL
        ends[0].append(a)
        ends[1].append(b)
        if filled and n_old[place]:  # the open cell's first newcomer joins a remaining member
            ends[0].append(heads[:1])
            pick = rng.integers(0, n_old[place])  # as rng.integers(0, n_old[place], 1)
            ends[1].append(old[place, pick : pick + 1])
            heads = heads[1:]
        # each head, at the linkage, to a commander or a member of another cell there
        heads = w.chance(heads, linkage)
        if len(heads) and n_targets[place]:
            ends[0].append(heads)
            ends[1].append(targets[place, w.integers(n_targets[place], len(heads))])
    w.ties.add(np.concatenate(ends[0]), np.concatenate(ends[1]), tie_kinds.INSURGENT_CELL)


def fund(w: World, members: np.ndarray | None = None) -> None:
    """Each place's cells bring ``insurgency.income_usd`` a member, shared equally among the
    place's commanders (nobody gets it where there is none). ``members``: the cell members
    (:func:`cells`), if known."""
    pop, income = w.pop, w.group(Insurgency).income_usd
    if income <= 0:
        return
    members = cells(w) if members is None else members
    if len(members) == 0:
        return
    credited = _fund(
        members.view(np.uint64),  # unsigned: no negative-index wraparound at each read
        w.memory(Cells).command.rows(w).view(np.uint64),
        pop.state,
        pop.role,
        pop.place,
        pop.loyalty,
        as_compared(w.loyal_from, pop.loyalty),
        pop.funds,
        income,
    )
    if credited.any():
        w.count("insurgency_income", credited)


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
    """``value`` at ``place``, zero elsewhere (an output by place)."""
    out = np.zeros(N_PLACES)
    out[place] = value
    return out


def join(w: World) -> None:
    """Loyal fighters hiding locally in Iraq or Syria join cells (once territory has been lost
    since the peak)."""
    g, t, pop = w.group(Insurgency), w.t, w.pop
    idx = pop.where(State.HIDING_LOCAL, t=t)
    loyal_from = as_compared(w.loyal_from, pop.loyalty)
    idx = _loyal_fighters_in_region(idx, pop.place, pop.role, pop.loyalty, loyal_from)
    joining = w.chance(idx, g.join_rate)
    pop.move(joining, State.REMOBILISED, t)
    form_cells(w, joining)
    w.count("joined_cells", len(joining))


def counter_insurgency(w: World) -> np.ndarray:
    """Cells lose members: killed, captured (prison in the region), or dropping out into
    local hiding (every member no longer loyal; the loyal at ``drop_out``). Returns the cell
    members who remain."""
    g, t, pop = w.group(Insurgency), w.t, w.pop
    idx = cells(w)
    if len(idx) == 0:
        return idx
    u = w.draw(len(idx))
    # the three compete in one draw: below death, killed; then captured; then dropping out
    killed, captured, leaving, staying = _fates(
        idx.view(np.uint64),  # unsigned: no negative-index wraparound at each read
        u,
        pop.loyalty,
        pop.insurgent_cell,
        g.death,
        g.death + g.capture,
        g.death + g.capture + g.drop_out,
        as_compared(w.loyal_from, pop.loyalty),
    )
    pop.move(killed, State.DEAD, t)
    prison.admit(w, captured, home=False)
    pop.move(leaving, State.HIDING_LOCAL, t)
    w.count("killed_in_cells", len(killed))
    w.count("captured_in_cells", len(captured))
    w.count("left_cells", len(leaving))
    return staying


def step(w: World) -> None:
    if w.schedule.loss[w.t] > 0:  # some territory lost since the peak: areas to operate in
        join(w)
    if w.territory_lost:  # held, then lost
        prison_breaks(w)
    fund(w, counter_insurgency(w))
    members, fighters = members_and_fighters_by_place(w)
    w.record("members_by_place", members)
    w.record("fighters_by_place", fighters)


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _members_and_fighters(state, role, place, loyalty, n, loyal_from):  # pragma: no cover
    """Members (in the territory or a cell, or free and loyal) and fighters (a fighting role
    in the territory or a cell) among rows ``0..n-1``, counted by place.

    Branch-free: a first pass codes each row (place, member, fighter), a second counts the
    codes in four interleaved tallies (consecutive rows rarely wait for each other)."""
    code = np.empty(n, dtype=np.uint8)
    for i in range(n):
        s = np.int64(state[i])
        in_group = (IN_GROUP >> s) & 1
        member = in_group | ((FREE_BITS >> s) & 1 & np.int64(loyalty[i] >= loyal_from))
        fighter = in_group & ((FIGHTING_BITS >> np.int64(role[i])) & 1)
        code[i] = np.int64(place[i]) * 4 + fighter * 2 + member
    tally = np.zeros((4, N_PLACES * 4), dtype=np.int64)
    for i in range(n):
        tally[i & 3, code[i]] += 1
    by_place = tally.sum(axis=0).reshape(N_PLACES, 4)
    return by_place[:, 1] + by_place[:, 3], by_place[:, 3]  # a fighter is a member


@njit(cache=True)
def in_places(idx, place, where):  # pragma: no cover - compiled
    """The rows of ``idx`` whose place is one of ``where`` (bits), in order."""
    out = np.empty(len(idx), dtype=np.intp)
    k = 0
    for i in idx:
        out[k] = i
        k += (where >> np.int64(place[i])) & 1
    return out[:k]


@njit(cache=True)
def _commands(i, state, role, loyalty, loyal_from):  # pragma: no cover - compiled
    """1 if row ``i`` commands where it is (free, of a commanding role and loyal), else 0
    (branch-free)."""
    return (
        (FREE_BITS >> np.int64(state[i]))
        & (COMMAND_BITS >> np.int64(role[i]))
        & 1
        & np.int64(loyalty[i] >= loyal_from)
    )


@njit(cache=True)
def _loyal_fighters_in_region(idx, place, role, loyalty, loyal_from):  # pragma: no cover
    """The rows of ``idx`` in Iraq or Syria with a fighting role and loyal, in order."""
    out = np.empty(len(idx), dtype=np.intp)
    k = 0
    for i in idx:
        out[k] = i
        k += (
            (REGION >> np.int64(place[i]))
            & (FIGHTING_BITS >> np.int64(role[i]))
            & 1
            & np.int64(loyalty[i] >= loyal_from)
        )
    return out[:k]


@njit(cache=True)
def _newcomers(idx, place, cell):  # pragma: no cover - compiled
    """The rows of ``idx`` in Iraq and those in Syria, each in order, taken out of any cell
    (``cell``) they were in."""
    out = np.empty((2, len(idx)), dtype=np.intp)
    n = np.zeros(2, dtype=np.int64)
    for i in idx:
        p = np.int64(place[i])
        if p < 2:
            out[p, n[p]] = i
            n[p] += 1
            cell[i] = NO_CELL
    return out[0, : n[0]], out[1, : n[1]]


@njit(cache=True)
def _newcomers_and_targets(
    idx, rows, state, role, cell, place, loyalty, open_ids, loyal_from
):  # pragma: no cover - compiled
    """:func:`_newcomers` of ``idx``; the network ``rows`` (increasing) with them
    (:func:`_union`); and over it, :func:`_link_targets` (the newcomers count in neither of
    its lists: out of any cell, and a commander among them was in ``rows`` already). With
    no newcomers in Iraq or Syria, nothing is looked at (all empty)."""
    iraq, syria = _newcomers(idx, place, cell)
    network = rows.view(np.intp)
    if len(iraq) + len(syria):
        network = _union(network, np.concatenate((iraq, syria)))
    else:  # nobody joins: no lists needed
        network = network[:0]
    old, n_old, targets, n_targets = _link_targets(
        network.view(np.uint64), state, role, cell, place, loyalty, open_ids, loyal_from
    )
    return iraq, syria, old, n_old, targets, n_targets, network


@njit(cache=True)
def _fill(new, cell, filled, open_id, next_id, size):  # pragma: no cover - compiled
    """Put ``new`` (in order) into cells of ``size``: the open cell ``open_id`` (which has
    ``filled`` members, 0: none open), then new cells from ``next_id``; writes ``cell``.
    Returns the ties of each member to the one before in its cell (ends ``a``, ``b``) and
    the first newcomer of each cell (its head)."""
    offset = 1 if filled else 0
    a = np.empty(len(new), dtype=np.intp)
    b = np.empty(len(new), dtype=np.intp)
    heads = np.empty(len(new), dtype=np.intp)
    ties = n_heads = 0
    for j in range(len(new)):
        slot = filled + j
        c = open_id if slot < size * offset else next_id + slot // size - offset
        cell[new[j]] = c
        if j and c == cell[new[j - 1]]:
            a[ties], b[ties] = new[j - 1], new[j]
            ties += 1
        else:
            heads[n_heads] = new[j]
            n_heads += 1
    return a[:ties], b[:ties], heads[:n_heads]


@njit(cache=True)
def _link_targets(
    rows, state, role, cell, place, loyalty, open_ids, loyal_from
):  # pragma: no cover
    """For Iraq and Syria (0 and 1), of ``rows`` (increasing): the members of the place's open
    cell (``open_ids``), and the link targets: the members of existing cells there and the
    commanders there (:func:`_commands`), in order; each with its count.

    Branch-free (which rows count is too irregular to predict): each row is written at each
    list's next slot, which advances only if it counts there."""
    m = len(rows)
    old = np.empty((2, m + 1), dtype=np.intp)  # + 1: a last row that does not count
    targets = np.empty((2, m + 1), dtype=np.intp)
    old_iraq = old_syria = targets_iraq = targets_syria = 0
    for i in rows:
        p = np.int64(place[i])
        iraq, syria = np.int64(p == 0), np.int64(p == 1)
        in_cell = np.int64(state[i] == REMOBILISED) & np.int64(cell[i] != NO_CELL)
        target = in_cell | _commands(i, state, role, loyalty, loyal_from)
        targets[0, targets_iraq] = targets[1, targets_syria] = i
        targets_iraq += iraq & target
        targets_syria += syria & target
        old[0, old_iraq] = old[1, old_syria] = i
        old_iraq += iraq & in_cell & np.int64(cell[i] == open_ids[0])
        old_syria += syria & in_cell & np.int64(cell[i] == open_ids[1])
    n_old = np.array([old_iraq, old_syria])
    return old, n_old, targets, np.array([targets_iraq, targets_syria])


@njit(cache=True)
def _fund(
    members, rows, state, role, place, loyalty, loyal_from, funds, income
):  # pragma: no cover - compiled
    """Credit each place's commanders (of ``rows``, those in Iraq or Syria who command there:
    :func:`_commands`; writes ``funds``) with ``income`` for each of its cell members
    ``members``, shared equally (in float32, as NumPy adds a float32 to float32 funds);
    returns the income credited by place (none where there is no commander).

    Branches test the place first: most rows fail early, and skip the other lookups."""
    n_members = np.zeros(N_PLACES, dtype=np.int64)
    n_heads = np.zeros(N_PLACES, dtype=np.int64)
    for i in members:
        n_members[place[i]] += 1
    command = np.empty(len(rows), dtype=np.intp)
    k = 0
    for i in rows:
        if (REGION >> np.int64(place[i])) & 1 and _commands(i, state, role, loyalty, loyal_from):
            command[k] = i
            k += 1
            n_heads[place[i]] += 1
    command = command[:k]
    credited = np.zeros(N_PLACES)
    share = np.zeros(N_PLACES, dtype=np.float32)
    for p in range(N_PLACES):
        if n_members[p] and n_heads[p]:
            credited[p] = income * n_members[p]  # per person of an agent: agents x scale cancel
            share[p] = np.float32(credited[p] / n_heads[p])
    for i in command:
        if n_members[place[i]]:  # funds elsewhere untouched
            funds[i] += share[place[i]]
    return credited


@njit(cache=True)
def _fates(idx, u, loyalty, cell, killed, captured, left, loyal_from):  # pragma: no cover
    """The cell members ``idx`` killed, captured, dropping out and staying, from their draws
    ``u``: below ``killed``, killed; below ``captured``, captured; below ``left`` or no
    longer loyal, dropping out. Those leaving a cell are taken out of it (``cell``)."""
    fates = np.empty((4, len(idx)), dtype=np.intp)
    n = np.zeros(4, dtype=np.int64)
    for j in range(len(idx)):
        i = idx[j]
        if u[j] < killed:
            fate = 0
        elif u[j] < captured:
            fate = 1
        elif u[j] < left or not loyalty[i] >= loyal_from:
            fate = 2
        else:
            fate = 3
        fates[fate, n[fate]] = i
        n[fate] += 1
        if fate < 3:
            cell[i] = NO_CELL
    return fates[0, : n[0]], fates[1, : n[1]], fates[2, : n[2]], fates[3, : n[3]]


@njit(cache=True)
def _union(rows, new):  # pragma: no cover - compiled
    """The rows of ``rows`` (increasing) and ``new`` (a few), in increasing order without
    repeats."""
    new = np.unique(new)
    at = np.searchsorted(rows, new)
    out = np.empty(len(rows) + len(new), dtype=np.intp)
    k = done = 0
    for j in range(len(new)):
        out[k : k + at[j] - done] = rows[done : at[j]]
        k += at[j] - done
        done = at[j]
        if done == len(rows) or rows[done] != new[j]:
            out[k] = new[j]
            k += 1
    out[k : k + len(rows) - done] = rows[done:]
    return out[: k + len(rows) - done]
