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
from regroup.core.population import NOBODY, Field, grown, move_rows
from regroup.core.states import (
    COMMAND_BITS,
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
HIDING_LOCAL, NO_CUSTODY = int(State.HIDING_LOCAL), int(Custody.NONE)
KINDS = 1 + 2 * N_PLACES  # a row's code when counted: 0 not a member, 1 + 2 * place + fighter


def members_and_fighters_by_place(
    w: World, mem: Cells | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The group's members and its active fighters counted by place, in one pass over the rows.

    Members (the UN monitors' count): in its territory, in an organised group, or free
    elsewhere and loyal (able to be called on). Fighters: a fighting role in the territory or
    in an organised group."""
    pop = w.pop
    loyal_from = mem.loyal_from if mem else as_compared(w.loyal_from, pop.loyalty)
    by_place = np.empty((2, N_PLACES), dtype=np.int64)
    _members_and_fighters(pop.state, pop.role, pop.place, pop.loyalty, pop.n, loyal_from, by_place)
    return by_place[0], by_place[1]


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
    longer meeting it are dropped. The rows are kept in ``held[:k]``, a buffer with room for
    every row of the population (a row is there once), changed in place: an array
    :meth:`rows` returns is valid until the roster next changes."""

    PRUNE_EVERY = 12  # months

    def __init__(
        self, meets: Callable[[Population, np.ndarray | slice], np.ndarray] | None = None
    ) -> None:
        # the condition as a NumPy statement, for _append and _prune (a subclass that does
        # both in compiled code, CommandRoster, needs none)
        self.meets = meets
        self.held = np.empty(0, dtype=np.intp)
        self.k = 0  # the rows held
        self._scanned = 0  # rows of the population looked at so far
        self._pruned = -self.PRUNE_EVERY  # the month last pruned

    def rows(self, w: World) -> np.ndarray:
        """Every row alive that meets the condition, and perhaps some that do not."""
        pop = w.pop
        n = pop.n
        if n > self._scanned:  # rows added since: added after every row held
            if n > self.held.shape[0]:  # room for every row, twice the population's
                self.held = grown(self.held, 2 * n, self.k)
            self.k = self._append(pop, self._scanned, n)
            self._scanned = n
        if w.t >= self._pruned + self.PRUNE_EVERY or w.t < self._pruned:
            self._pruned = w.t
            self.k = self._prune(pop)
        return self.held[: self.k]

    def _append(self, pop: Population, start: int, n: int) -> int:
        """The rows ``start..n-1`` that meet the condition written after ``held[:k]``;
        returns how many it holds."""
        return _append_met(self.held, self.k, self.meets(pop, slice(start, n)), start)

    def _prune(self, pop: Population) -> int:
        """``held[:k]`` without the dead and those no longer meeting the condition, in
        place, in order; returns how many are kept."""
        rows = self.held[: self.k]
        kept = rows[self.meets(pop, rows) & (pop.state[rows] != DEAD)]
        self.held[: len(kept)] = kept
        return len(kept)

    def include(self, w: World, rows: np.ndarray) -> None:
        """Rows that now meet the condition."""
        if len(rows):
            self.rows(w)
            self.k = _merge_into(self.held, self.k, rows)


# ----------------------------------------------------------------------------- cells
class CommandRoster(Roster):
    """A :class:`Roster` of the rows of a commanding role (a role never changes) and, with
    ``cells``, of those in a cell, whose passes over the rows added and over the rows held
    (the yearly prune) are each one compiled call (:func:`_append_commanding`,
    :func:`_keep_commanding`): NumPy's few small calls on a month's ~200 new rows cost
    10-20 us in a run, their data and code cold."""

    def __init__(self, cells: bool) -> None:
        super().__init__()
        self.cells = cells

    def _append(self, pop: Population, start: int, n: int) -> int:
        return _append_commanding(
            self.held, self.k, start, n, pop.role, pop.insurgent_cell, self.cells
        )

    def _prune(self, pop: Population) -> int:
        return _keep_commanding(
            self.held, self.k, pop.role, pop.insurgent_cell, pop.state, self.cells
        )


class Cells:
    """What the cells remember: the next cell number, and each place's open cell (the one
    new members fill; -1: none) with how many agents have joined it; and who may be in the
    network: in a cell (only :func:`form_cells` puts a member in one), or of a commanding
    role (a member's role never changes); and who may command, apart (half as many rows
    for :func:`fund` to look at). Per run, set at the first use (:func:`_memory`): the
    parameters, a cell's size in agents and the loyalty threshold as the kernels compare
    it; and buffers the kernels write instead of returning new arrays (:meth:`grow`). The
    cell members by fate (``fated``) are written once a month: those moved are noted as
    moved by views of it, which the next month's grouping by state lets go.

    The newcomers since the network was last looked at (``pending[:n_pending]``) are merged
    into it only when a new cell's head is to be linked (:func:`_link_to`): until they join
    a cell they count in none of its lists. The members of each place's open cell (its
    ``filled`` joiners, in ``open_rows``) give the members a newcomer may be tied to without
    a pass over the network."""

    def __init__(self) -> None:
        self.next_id = 0
        self.size = 0  # a cell's size in agents (:func:`cell_agents`; 0: not yet known)
        self.open = np.full(N_PLACES, NO_CELL, dtype=np.int64)
        self.filled = np.zeros(N_PLACES, dtype=np.int64)
        self.network = CommandRoster(cells=True)
        self.command = CommandRoster(cells=False)
        self.pending = np.empty(0, dtype=np.intp)  # newcomers not yet merged into network
        self.n_pending = 0
        self.open_rows = np.empty((N_PLACES, 0), dtype=np.intp)  # joiners of the open cells
        self.credited = np.zeros(N_PLACES)  # the month's income credited by place
        self.by_place = np.zeros((2, N_PLACES), dtype=np.int64)  # the members, the fighters
        self.made = 0  # the rows each buffer holds
        self.grow(1)

    def start(self, w: World) -> None:
        """The run's constants."""
        g = self.g = w.group(Insurgency)
        self.size = max(1, int(round(w.agents(g.cell_size))))
        self.open_rows = np.empty((N_PLACES, self.size), dtype=np.intp)
        self.loyal_from = as_compared(w.loyal_from, w.pop.loyalty)
        # the fates' thresholds on one draw: killed, captured, dropping out
        self.fates = (g.death, g.death + g.capture, g.death + g.capture + g.drop_out)

    def grow(self, rows: int) -> None:
        """Buffers for ``rows`` rows at least (twice as many, for the population's growth):
        ``rows``, the rows kept by a pass; ``fated``, the cell members by fate; by place
        (Iraq, Syria), ``new``, the newcomers, ``old``, the members of the open cell,
        ``targets``, the link targets; ``ties``, the ends of the new ties."""
        self.made = 2 * rows
        self.rows, self.fated = np.empty((2, self.made), dtype=np.intp)
        self.new, self.old, self.targets, self.ties = np.empty((4, 2, self.made), dtype=np.intp)


def _memory(w: World) -> Cells:
    """The cells' memory, with the run's constants (set at the first use)."""
    mem = w.memory(Cells)
    if not mem.size:
        mem.start(w)
    return mem


def cell_agents(w: World) -> int:
    """A cell's size in agents (``insurgency.cell_size`` persons, at least one agent)."""
    return _memory(w).size


def form_cells(w: World, idx: np.ndarray, mem: Cells | None = None) -> None:
    """Tie the new cell members ``idx`` (distinct rows, remobilised in Iraq or Syria this
    month) into cells of their place: in a random order, they fill the place's open cell up
    to the cell size, then new cells. Members of one cell are tied in a chain; the first to
    join an open cell that still has members is tied to one of them. Each new cell's head
    (its first member; also the first to rejoin an open cell left empty) is tied with
    probability ``insurgency.cell_linkage`` to one person drawn from the place's commanders
    and the members of its other cells."""
    k = len(idx)
    if k == 0:
        return
    pop, rng, mem = w.pop, w.rng, mem or _memory(w)
    if mem.made <= pop.n + k:
        mem.grow(pop.n + k + 1)
    new, old, targets, ties = mem.new, mem.old, mem.targets, mem.ties
    if mem.n_pending + k > len(mem.pending):  # room for them (merged when needed)
        _merge_pending(w, mem)
        if k > len(mem.pending):
            mem.pending = np.empty(max(2 * k, 4096), dtype=np.intp)
    # by place, each out of any cell it was in (a member caught and freed again joins a new
    # one); by place, the members of its open cell; the newcomers noted for the network
    *counts, mem.n_pending = _newcomers(
        idx, pop.insurgent_cell, pop.place, pop.state, mem.open, mem.filled, mem.open_rows,
        new, old, mem.pending, mem.n_pending,
    )  # fmt: skip
    if counts[0] + counts[1] == 0:
        return
    size, linkage = mem.size, mem.g.cell_linkage
    n_targets = None  # the link targets by place, listed for the first head linked
    m = 0  # the ties written, place by place, added at once
    for place in (0, 1):  # Iraq, Syria (as codes: an enum slows a compiled call)
        n, n_old = counts[place], counts[2 + place]
        if n == 0:
            continue
        rng.shuffle(new[place, :n])  # the order rng.permutation(n) gives, in place
        filled = int(mem.filled[place])
        heads = (filled + n - 1) // size + 1  # the cells filled: each one's first newcomer
        with_old = -1  # the member of the open cell its first newcomer joins, if any
        if filled and n_old:
            with_old = int(old[place, rng.integers(0, n_old)])  # as rng.integers(0, n_old, 1)
            heads -= 1
        # each (other) head, at the linkage, to a commander or a member of another cell there
        linked = w.few_of(heads, linkage)
        to, n_linked = NOBODY, len(linked)
        if n_linked:
            # listed once a call: the newcomers of Iraq filled first count for Syria's lists
            # in none (of another place), so the lists are as before any was filled
            if n_targets is None:
                n_targets = _link_to(w, mem)
            if n_targets[place]:
                to = targets[place, w.integers(n_targets[place], n_linked)]
        mem.next_id, m = _fill(
            new[place, :n], pop.insurgent_cell, mem.open, mem.filled, mem.open_rows, place,
            mem.next_id, size, with_old, linked, to, ties, m,
        )  # fmt: skip
    w.ties.add(ties[0, :m], ties[1, :m], tie_kinds.INSURGENT_CELL)


def _merge_pending(w: World, mem: Cells) -> None:
    """The network brought up to date (:meth:`Roster.rows`) with the newcomers noted since."""
    network = mem.network
    network.rows(w)
    if mem.n_pending:
        network.k = _merge_into(network.held, network.k, mem.pending[: mem.n_pending])
        mem.n_pending = 0


def _link_to(w: World, mem: Cells) -> tuple[int, int]:
    """The link targets of Iraq and Syria (:func:`_link_targets`) written into
    ``mem.targets``, from the network brought up to date; returns how many by place."""
    _merge_pending(w, mem)
    pop, network = w.pop, mem.network
    return _link_targets(
        network.held[: network.k], pop.state, pop.role, pop.insurgent_cell, pop.place,
        pop.loyalty, mem.loyal_from, mem.targets,
    )  # fmt: skip


def fund(w: World, members: np.ndarray | None = None, mem: Cells | None = None) -> None:
    """Each place's cells bring ``insurgency.income_usd`` a member, shared equally among the
    place's commanders (nobody gets it where there is none). ``members``: the cell members
    (:func:`cells`), if known."""
    pop, mem = w.pop, mem or _memory(w)
    income = mem.g.income_usd
    if income <= 0:
        return
    members = cells(w) if members is None else members
    if len(members) == 0:
        return
    credited = mem.credited
    if _fund(
        members,
        mem.command.rows(w),
        pop.state,
        pop.place,
        pop.loyalty,
        mem.loyal_from,
        pop.funds,
        income,
        credited,
    ):
        w.count("insurgency_income", credited)  # (added to the output: not kept)


# ----------------------------------------------------------------------------- the rules
def prison_breaks(w: World, mem: Cells | None = None) -> None:
    """Breaks in each place of the region (Poisson, once the territory held is lost): each frees
    every person held there in a prison or camp with probability ``freed_share`` (per break);
    loyal fighters join cells, the others hide locally, in the same place."""
    t, pop, mem = w.t, w.pop, mem or _memory(w)
    g = mem.g
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
        form_cells(w, freed[to_cell], mem)
        pop.move(freed[~to_cell], State.HIDING_LOCAL, t)
        w.count("prison_breaks", _at(place, k))
        w.count("freed_in_breaks", _at(place, len(freed)))


def _at(place: Place, value: float) -> np.ndarray:
    """``value`` at ``place``, zero elsewhere (an output by place)."""
    out = np.zeros(N_PLACES)
    out[place] = value
    return out


def join(w: World, mem: Cells | None = None) -> None:
    """Loyal fighters hiding locally in Iraq or Syria join cells (once territory has been lost
    since the peak)."""
    t, pop, mem = w.t, w.pop, mem or _memory(w)
    idx = pop.where(State.HIDING_LOCAL, t=t)
    if mem.made <= pop.n:
        mem.grow(pop.n + 1)
    rows = mem.rows
    k = _loyal_fighters_in_region(idx, pop.place, pop.role, pop.loyalty, mem.loyal_from, rows)
    joining = rows[w.few_of(k, mem.g.join_rate)]  # (w.chance of them)
    pop.move(joining, State.REMOBILISED, t)
    form_cells(w, joining, mem)
    w.count("joined_cells", len(joining))


def counter_insurgency(w: World, mem: Cells | None = None) -> np.ndarray:
    """Cells lose members: killed, captured (prison in the region), or dropping out into
    local hiding (every member no longer loyal; the loyal at ``drop_out``). Returns the cell
    members who remain."""
    t, pop, mem = w.t, w.pop, mem or _memory(w)
    idx = pop.where(State.REMOBILISED, t=t)
    if mem.made <= pop.n:
        mem.grow(pop.n + 1)
    k = _in_places(idx, pop.place, REGION, mem.rows)  # the cell members (:func:`cells`)
    if k == 0:
        return NOBODY
    u = w.draw(k)
    # the three compete in one draw: below death, killed; then captured; then dropping out
    # (the killed and those dropping out moved by _fates)
    fates = mem.fated
    killed, leaving, captured = _fates(
        mem.rows[:k], u, fates, pop.loyalty, pop.insurgent_cell, mem.fates, mem.loyal_from, t,
        pop.state, pop.entered, pop.custody, pop.tally,
    )  # fmt: skip
    moved = killed + leaving
    pop.moved(fates[:moved], t)
    prison.admit(w, fates[moved : moved + captured], home=False)
    w.count("killed_in_cells", killed)
    w.count("captured_in_cells", captured)
    w.count("left_cells", leaving)
    return fates[moved + captured : k]


def step(w: World) -> None:
    mem = w.memory(Cells)  # (_memory)
    if not mem.size:
        mem.start(w)
    if w.schedule.loss[w.t] > 0:  # some territory lost since the peak: areas to operate in
        join(w, mem)
    if w.territory_lost:  # held, then lost
        prison_breaks(w, mem)
    fund(w, counter_insurgency(w, mem), mem)
    pop, by_place = w.pop, mem.by_place  # (members_and_fighters_by_place)
    _members_and_fighters(
        pop.state, pop.role, pop.place, pop.loyalty, pop.n, mem.loyal_from, by_place
    )
    w.record("members_by_place", by_place[0])
    w.record("fighters_by_place", by_place[1])


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _members_and_fighters(state, role, place, loyalty, n, loyal_from, out):  # pragma: no cover
    """Members (in the territory or a cell, or free and loyal) and fighters (a fighting role
    in the territory or a cell) among rows ``0..n-1``, counted by place, written into
    ``out`` (rows 0 and 1).

    Branch-free: a first pass codes each row (:data:`KINDS`: not a member, or a member by
    place and whether a fighter), which the compiler vectorises; a second counts the rows
    two at a time, by their pair of codes (half as many counts, the pass's cost), in eight
    interleaved tallies: most rows are not members (nine in ten from the middle of a run), so
    most pairs add to one count, and each tally's add waits for the one before it in that
    tally (4 -> 8 tallies: in whole runs, each call's least time over 10 runs alternated,
    33.8 -> 29.9 us a call)."""
    code = np.empty(n + 1, dtype=np.uint8)
    for i in range(n):
        s = np.int64(state[i])
        in_group = (IN_GROUP >> s) & 1
        member = in_group | ((FREE_BITS >> s) & 1 & np.int64(loyalty[i] >= loyal_from))
        fighter = in_group & ((FIGHTING_BITS >> np.int64(role[i])) & 1)
        code[i] = member * (1 + 2 * np.int64(place[i]) + fighter)
    code[n] = 0  # the last pair's second row when n is odd: not a member
    tally = np.zeros((8, KINDS * KINDS), dtype=np.int32)
    for j in range((n + 1) // 2):
        tally[j & 7, np.int64(code[2 * j]) * KINDS + np.int64(code[2 * j + 1])] += 1
    pairs = tally[0] + tally[1] + tally[2] + tally[3] + tally[4] + tally[5] + tally[6] + tally[7]
    count = np.zeros(KINDS, dtype=np.int64)  # rows by code
    for a in range(KINDS):
        for b in range(KINDS):
            count[a] += pairs[a * KINDS + b]
            count[b] += pairs[a * KINDS + b]
    for p in range(N_PLACES):
        out[0, p] = count[1 + 2 * p] + count[2 + 2 * p]  # a fighter is a member
        out[1, p] = count[2 + 2 * p]


@njit(cache=True)
def in_places(idx, place, where):  # pragma: no cover - compiled
    """The rows of ``idx`` whose place is one of ``where`` (bits), in order."""
    out = np.empty(len(idx), dtype=np.intp)
    return out[: _in_places(idx, place, where, out)]


@njit(cache=True)
def _in_places(idx, place, where, out):  # pragma: no cover - compiled
    """:func:`in_places` written into ``out``; returns how many. ``idx`` (row indices, intp)
    is read unsigned, through a view (in whole runs, each call's least time over 10 runs
    alternated, 3.2 -> 3.0 us a call)."""
    k = 0
    for i in idx.view(np.uint64):  # unsigned: no negative-index wraparound at each read
        out[k] = i
        k += (where >> np.int64(place[i])) & 1
    return k


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
def _loyal_fighters_in_region(idx, place, role, loyalty, loyal_from, out):  # pragma: no cover
    """The rows of ``idx`` in Iraq or Syria with a fighting role and loyal, in order, written
    into ``out``; returns how many. ``idx`` (row indices, intp) is read unsigned, through a
    view: no test for a negative index at each read (in whole runs, each call's least time
    over 10 runs alternated, 15.7 -> 5.3 us a call, though even alone on captured inputs)."""
    k = 0
    for i in idx.view(np.uint64):
        out[k] = i
        k += (
            (REGION >> np.int64(place[i]))
            & (FIGHTING_BITS >> np.int64(role[i]))
            & 1
            & np.int64(loyalty[i] >= loyal_from)
        )
    return k


@njit(cache=True)
def _newcomers(
    idx, cell, place, state, open_ids, filled, open_rows, new, old, pending, n_pending
):  # pragma: no cover - compiled
    """The rows of ``idx`` in Iraq and those in Syria, each in order, into ``new`` (rows 0 and
    1), taken out of any cell (``cell``) they were in, and noted after ``pending[:n_pending]``;
    then for each place the members of its open cell (``open_ids``; its joiners since it
    opened, ``open_rows``, still in it and remobilised there), in increasing order without
    repeats, into ``old``. Returns how many newcomers and how many members of the open cell,
    each for Iraq, then Syria, and how many rows ``pending`` holds. With no newcomers in
    Iraq or Syria, nothing else is looked at (0 members of the open cells).

    The open cell's members are among its joiners (only :func:`_fill` puts a row in a cell,
    and cell numbers are not reused), so a few rows are looked at, not the network."""
    n = np.zeros(2, dtype=np.int64)
    n_old = np.zeros(2, dtype=np.int64)
    for i in idx:
        p = np.int64(place[i])
        if p < 2:
            new[p, n[p]] = i
            n[p] += 1
            cell[i] = NO_CELL
            pending[n_pending] = i
            n_pending += 1
    if n[0] + n[1] == 0:  # nobody joins: no lists needed
        return 0, 0, 0, 0, n_pending
    for p in range(2):
        if open_ids[p] == NO_CELL:
            continue
        joined = np.sort(open_rows[p, : filled[p]])  # a few rows (fewer than a cell's size)
        k = 0
        for j in range(len(joined)):
            i = joined[j]
            if j and i == joined[j - 1]:  # joined twice (left it, and rejoined it)
                continue
            if cell[i] == open_ids[p] and state[i] == REMOBILISED and place[i] == p:
                old[p, k] = i
                k += 1
        n_old[p] = k
    return n[0], n[1], n_old[0], n_old[1], n_pending


@njit(cache=True)
def _fill(
    new, cell, open_ids, filled, open_rows, place, next_id, size, old, linked, to, ties, m
):  # pragma: no cover - compiled
    """Put ``new`` (in order) into cells of ``size`` in ``place``: its open cell
    (``open_ids``, with ``filled`` members; 0: none open), then new cells from ``next_id``;
    writes ``cell``, and the place's open cell, how many have joined it and who
    (``open_rows``). Writes the ties into
    ``ties`` (ends in rows 0 and 1) from ``m``, in this order: each member to the one before
    in its cell; the first newcomer to ``old`` (a member of the open cell; -1: none); the
    heads (each cell's first newcomer, but for one tied to ``old``) at positions ``linked``
    to ``to`` (none if empty). Returns the next cell number and the ties written."""
    k = filled[place]
    offset = 1 if k else 0
    open_id = open_ids[place]
    heads = np.empty(len(new), dtype=np.intp)
    n_heads = 0
    for j in range(len(new)):
        slot = k + j
        c = open_id if slot < size * offset else next_id + slot // size - offset
        cell[new[j]] = c
        if j and c == cell[new[j - 1]]:
            ties[0, m], ties[1, m] = new[j - 1], new[j]
            m += 1
        else:
            heads[n_heads] = new[j]
            n_heads += 1
    first = 0
    if old >= 0:
        ties[0, m], ties[1, m] = heads[0], old
        m += 1
        first = 1
    for q in range(len(to)):
        ties[0, m], ties[1, m] = heads[first + linked[q]], to[q]
        m += 1
    filled[place] = f = (k + len(new)) % size
    # the last cell is full: the next member opens a new one
    open_ids[place] = cell[new[-1]] if f else NO_CELL
    if f > len(new):  # the open cell still open: its joiners before these kept
        open_rows[place, k:f] = new
    elif f:  # a new open cell: the last f newcomers
        open_rows[place, :f] = new[len(new) - f :]
    return next_id + (k + len(new) - 1) // size + 1 - offset, m


@njit(cache=True)
def _link_targets(
    rows, state, role, cell, place, loyalty, loyal_from, targets
):  # pragma: no cover - compiled
    """For Iraq and Syria (0 and 1), of ``rows`` (increasing): the link targets, the members
    of cells there and the commanders there (:func:`_commands`), in order, written into
    ``targets``; returns how many by place.

    Branch-free (which rows count is too irregular to predict): each row is written at each
    list's next slot, which advances only if it counts there."""
    targets_iraq = targets_syria = 0
    for i in rows.view(np.uint64):  # unsigned: no negative-index wraparound at each read
        p = np.int64(place[i])
        in_cell = np.int64(state[i] == REMOBILISED) & np.int64(cell[i] != NO_CELL)
        target = in_cell | _commands(i, state, role, loyalty, loyal_from)
        targets[0, targets_iraq] = targets[1, targets_syria] = i
        targets_iraq += np.int64(p == 0) & target
        targets_syria += np.int64(p == 1) & target
    return targets_iraq, targets_syria


@njit(cache=True)
def _fund(
    members, rows, state, place, loyalty, loyal_from, funds, income, credited
):  # pragma: no cover - compiled
    """Credit each place's commanders (of ``rows``, those in Iraq or Syria who command there:
    :func:`_commands`; writes ``funds``) with ``income`` for each of its cell members
    ``members`` (in Iraq or Syria, places 0 and 1, as :func:`cells` gives them), shared
    equally (in float32, as NumPy adds a float32 to float32 funds); writes the income
    credited by place into ``credited`` (none where there is no commander) and returns
    whether any was. ``rows`` are of commanding roles (the command
    roster's: a role never changes), so their roles are not read.

    The commanders are selected without a branch (each row written, kept if it commands
    there), then counted by place: branches on the place, state and loyalty mispredict in a
    run, where the predictor has not learnt the rows since the month before (in whole runs,
    each call's least time over 10 runs alternated, 33.0 -> 16.2 us a call, though slower
    alone on captured inputs run again and again). The members, and the commanders as they
    are selected, are counted by place in registers: a tally in memory makes each add wait
    on the one before (whole runs alternated as above: 4.15 -> 3.65 ms a run). The rows are
    read unsigned: no negative-index wraparound at each read."""
    n_members = np.zeros(N_PLACES, dtype=np.int64)
    n_heads = np.zeros(N_PLACES, dtype=np.int64)
    iraq = syria = 0
    for i in members.view(np.uint64):
        p = np.int64(place[i])
        iraq += p == 0
        syria += p == 1
    n_members[0], n_members[1] = iraq, syria
    command = np.empty(len(rows), dtype=np.intp)
    k = iraq = 0
    for i in rows.view(np.uint64):
        command[k] = i
        p = np.int64(place[i])
        kept = (
            (REGION >> p)
            & (FREE_BITS >> np.int64(state[i]))
            & 1
            & np.int64(loyalty[i] >= loyal_from)
        )
        k += kept
        iraq += kept & np.int64(p == 0)
    command = command[:k]
    n_heads[0], n_heads[1] = iraq, k - iraq
    credited[:] = 0.0
    share = np.zeros(N_PLACES, dtype=np.float32)
    any_credited = False
    for p in range(N_PLACES):
        if n_members[p] and n_heads[p]:
            credited[p] = income * n_members[p]  # per person of an agent: agents x scale cancel
            share[p] = np.float32(credited[p] / n_heads[p])
            any_credited |= credited[p] != 0.0
    for i in command:
        if n_members[place[i]]:  # funds elsewhere untouched
            funds[i] += share[place[i]]
    return any_credited


@njit(cache=True)
def _fates(
    idx, u, out, loyalty, cell, chances, loyal_from, t, state, entered, custody, tally
):  # pragma: no cover - compiled
    """The cell members ``idx`` killed, captured, dropping out and staying, from their draws
    ``u``: below ``chances[0]``, killed; below ``chances[1]``, captured; below
    ``chances[2]`` or no longer loyal, dropping out. Those leaving a cell are taken out of it
    (``cell``); the killed move to DEAD, those dropping out to local hiding, in month ``t``
    (:func:`move_rows`; ``tally``: :attr:`Population.tally`). Writes them all into ``out``,
    each part in order: the killed, those dropping out, the captured, those staying; returns
    how many killed, dropping out and captured."""
    killed, captured, left = chances
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
    at = 0
    for fate in (0, 2, 1, 3):
        out[at : at + n[fate]] = fates[fate, : n[fate]]
        at += n[fate]
    move_rows(out[: n[0]], DEAD, t, NO_CUSTODY, state, entered, custody, tally)
    move_rows(out[n[0] : n[0] + n[2]], HIDING_LOCAL, t, NO_CUSTODY, state, entered, custody, tally)
    return n[0], n[2], n[1]


@njit(cache=True)
def _append_met(held, k, met, offset):  # pragma: no cover - compiled
    """Write after ``held[:k]`` ``offset`` plus the position of each true value of ``met``,
    in order (a roster grown by the rows added since it last looked, ``met`` their test);
    returns how many ``held`` now has."""
    for q in range(len(met)):  # branch-free: writes every one, keeps those met
        held[k] = offset + q
        k += met[q]
    return k


@njit(cache=True, inline="always")
def _commanding(i, role, cell, cells):  # pragma: no cover - compiled
    """1 if row ``i`` is of a commanding role or, with ``cells`` (0 or 1), in a cell, else 0
    (branch-free)."""
    return ((COMMAND_BITS >> np.int64(role[i])) & 1) | (cells & np.int64(cell[i] != NO_CELL))


@njit(cache=True)
def _append_commanding(held, k, start, n, role, cell, cells):  # pragma: no cover - compiled
    """Write after ``held[:k]`` the rows ``start..n-1`` of a commanding role or, with
    ``cells``, in a cell (:func:`_commanding`), in order; returns how many ``held`` now has.
    Branch-free: each row written, kept if it counts."""
    with_cells = np.int64(cells)
    for i in range(start, n):
        held[k] = i
        k += _commanding(i, role, cell, with_cells)
    return k


@njit(cache=True)
def _keep_commanding(held, k, role, cell, state, cells):  # pragma: no cover - compiled
    """Keep of ``held[:k]``, in place and in order, the rows alive and of a commanding role
    or, with ``cells``, in a cell (:func:`_commanding`); returns how many are kept.
    Branch-free, the rows read unsigned (no negative-index wraparound at each read)."""
    with_cells = np.int64(cells)
    m = 0
    for i in held[:k].view(np.uint64):  # m <= the position read: nothing unread overwritten
        held[m] = i
        m += _commanding(i, role, cell, with_cells) & np.int64(state[i] != DEAD)
    return m


@njit(cache=True)
def _merge_into(held, k, new):  # pragma: no cover - compiled
    """Merge ``new`` (a few rows) into ``held[:k]`` (increasing) in place, in increasing order
    without repeats (``held`` has room for them); returns how many ``held`` now has.

    From the end: each row of ``held`` moves up by the number of new rows after it, so
    none is overwritten before it has moved. ``new`` sorted and its repeats dropped in a loop
    (Numba's ``np.unique`` builds lists)."""
    new = np.sort(new)
    u = 0
    for j in range(len(new)):
        if u == 0 or new[j] != new[u - 1]:
            new[u] = new[j]
            u += 1
    new = new[:u]
    at = np.searchsorted(held[:k], new)
    fresh = np.empty(len(new), dtype=np.bool_)  # not in held already
    total = k
    for j in range(len(new)):
        fresh[j] = at[j] == k or held[at[j]] != new[j]
        total += fresh[j]
    end, top = total, k  # next slot to write (from the end), end of the rows not yet moved
    for j in range(len(new) - 1, -1, -1):
        for q in range(top - 1, at[j] - 1, -1):
            end -= 1
            held[end] = held[q]
        top = at[j]
        if fresh[j]:
            end -= 1
            held[end] = new[j]
    return total
