"""Escape (seeds 000, 001, 003).

Members who want to leave: Amni walk away with group funds; leaders bribe their way out
(foreign leaders buy new documents); others look for a smuggler, which takes months and
costs $7,000-10,000 (the smuggler may be Amni, who takes the money and kills); those
without the fee may try alone: easy while the borders were open and the kill-on-escape
policy unenforced, mostly fatal later. At the border, capture
by border police (detained, deported home) or evasion (hiding abroad, or home). Early
leavers may take group funds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import (
    Month,
    RangeIn,
    RegionFactors,
    Strict,
    param,
    range_param,
    table,
)
from regroup.core.population import NOBODY, PEOPLE
from regroup.core.states import Custody, Disposition, Place, Region, Role, State
from regroup.core.world import PERSONS, Output, as_compared, distinct
from regroup.mechanisms import disillusionment, justice, prison
from regroup.mechanisms.security import detected

if TYPE_CHECKING:
    from regroup.core.world import World


# codes as plain ints: NumPy compares an array with an IntEnum member 4x slower
LOCAL, AMNI, LEADER = int(Region.LOCAL), int(Role.AMNI), int(Role.LEADER)
DANGEROUS, DISTURBED = int(Disposition.DANGEROUS), int(Disposition.DISTURBED)
DISILLUSIONED = int(Disposition.DISILLUSIONED)
OUTPUTS = {
    "killed_escaping": Output(PERSONS, "Killed trying to leave the territory.", flow=True),
    "smuggler_payments": Output(PERSONS, "Paid a smuggler.", flow=True),
    "border_captures": Output(PERSONS, "Caught at the border.", flow=True),
}


class Escape(Strict):
    smuggler_fee_usd: RangeIn(0, 1e6) = range_param(
        7000,
        10000,
        "USD/person",
        "seed 003 (Mironova, NATO Review 2018): smuggling 'cost between $7,000 and $10,000 a "
        "person'",
        "Smuggler's fee per person.",
        ge=0,
        le=1e6,
        evidence="published",
        prior=Prior(kind="triangular", low=0.85, mode=1, high=1.15),
    )
    search_months: float = param(
        4.0,
        "months",
        "seed 001 supports the direction (one man 'had been trying to escape for almost a year, "
        "but was unable to find a smuggler'); mean assumption",
        "Mean months to find a smuggler.",
        ge=0.5,
        le=36,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=4, sigma=0.5, low=1.5, high=12),
    )
    crackdown_search_effect: float = param(
        0.7,
        "share",
        "model brief (smuggling crackdowns); value assumption",
        "Share by which a full smuggling crackdown cuts the chance of finding a smuggler.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=0.9),
    )
    amni_smuggler_share: float = param(
        0.1,
        "share",
        "seed 003 supports the direction ('no guarantee that the smuggler was not working for "
        "ISIS internal security'); share assumption",
        "Share of smugglers who work for Amni.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.02, high=0.25),
    )
    border_capture: float = param(
        0.6,
        "share",
        "seed 000 supports the direction ('many have been captured as they try to cross the "
        "border into Turkey'; 'an unknown number' evaded); value assumption",
        "Probability of capture at the border, times border control.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=0.8),
    )
    self_exit_rate: float = param(
        0.3,
        "probability/month",
        "seed 000 supports the direction (defectors surrendered 'at the Kilis crossing into "
        "Turkey'); seed 003 (later, the policy was 'to kill, on the spot, anyone trying to "
        "escape'); value assumption",
        "Monthly probability that someone without the smuggler's fee tries to leave alone, "
        "times (1 - enforcement).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.15, high=0.5),
    )
    desperate_exit_rate: float = param(
        0.005,
        "probability/month",
        "seed 003 supports the direction (takfiris 'tried to escape the group just to survive - "
        "very few of them succeeded'); value assumption",
        "Monthly probability that someone without the fee tries to leave alone whatever the "
        "enforcement.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.002, high=0.01),
    )
    on_foot_detection: float = param(
        0.25,
        "probability",
        "seed 003 supports the direction (the policy was 'to kill, on the spot, anyone trying to "
        "escape'); value assumption",
        "Probability that an attempt alone is caught, times enforcement (caught = killed).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.4),
    )
    leader_bribe_success: float = param(
        0.5,
        "probability/month",
        "seed 003 supports the direction (leaders took the group's money, which 'enabled them to "
        "bribe their way out'); value assumption",
        "Monthly probability that a leader who wants to leave bribes his way out.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.25, high=0.75),
    )
    amni_walkaway: float = param(
        0.3,
        "probability/month",
        "seed 003 supports the direction ('many Amni members were able to walk away'); value "
        "assumption",
        "Monthly probability an Amni member who wants to leave walks away.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.15, high=0.5),
    )
    go_home_share: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.3,
            "europe_turkey": 0.85,
            "former_soviet": 0.15,
            "middle_east_gulf": 0.4,
            "other": 0.3,
        },
        "share",
        "seed 001 supports the direction (Russian-speakers hiding abroad; seed 003: 'hiding in "
        "Eastern Europe and Central Asia'); seed 004 counts returnees by country (Turkey 900, "
        "Tunisia 800, Saudi Arabia 760), not shares; values assumption",
        "Share of escaped foreigners who go straight home rather than hide abroad.",
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.8, high=1.15),
    )
    theft_until: Month = param(
        "2014-12",
        "YYYY-MM",
        "seeds 001, 003 support the direction ('At the beginning', individuals 'absconded with "
        "significant amounts of the group's funds'); month assumption",
        "Last month in which leavers may take group funds.",
        evidence="assumption",
        prior=Prior(kind="triangular", low=-6, mode=0, high=6),
    )
    theft_share: float = param(
        0.3,
        "share",
        "seed 001 supports the direction (early escapees 'had either clashed with the leadership "
        "or stolen money from the group'); share assumption",
        "Share of early leavers who take group funds.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    trauma_share: float = param(
        0.3,
        "share",
        "seed 000 supports the category (Deen: 'The disturbed: those suffering from trauma akin "
        "to PTSD'); share assumption",
        "Share of leavers, not dedicated, who leave disturbed rather than disillusioned.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    group_funds_usd: float = param(
        60000.0,
        "USD",
        "seed 003 supports the direction (leaders left 'taking large amounts of the group's money "
        "with them'); value assumption",
        "Mean group money taken by a leader, an Amni member or an early thief who leaves.",
        ge=0,
        le=1e7,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=60000, sigma=0.7, low=15000, high=240000),
    )


class Leaving:
    """Per run: the parameters as the rules take them (:func:`leaving`; they do not change
    during a run), and the rows made disillusioned on leaving the territory since
    recruitment last took them (:func:`newly_disillusioned`; the would-be public defectors
    it keeps)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.e: Escape | None = None
        self.fee = self.extremist = self.loyal = np.float32(0)  # as the rows are compared
        self.theft_until = 0  # a month index
        self.go_home = np.zeros(0)  # by region of origin (locals 0)


def leaving(w: World) -> Leaving:
    """The run's :class:`Leaving`, its parameters set on first use: the escape group, the
    lowest smuggler's fee and the dedicated's thresholds as the rows' values are compared
    with them, the last month of theft, and the share of escaped foreigners who go home."""
    mem = w.memory(Leaving)
    if mem.e is None:
        e, pop = w.group(Escape), w.pop
        mem.fee = as_compared(e.smuggler_fee_usd.low, pop.funds)
        mem.extremist = as_compared(w.extremist_from, pop.ideology)
        mem.loyal = as_compared(w.loyal_from, pop.loyalty)
        mem.theft_until = w.month(e.theft_until)
        mem.go_home = w.table(e.go_home_share, local=0.0)
        mem.e = e
    return mem


def newly_disillusioned(w: World) -> np.ndarray:
    """The rows made disillusioned on leaving since the last call (repeats allowed, in no
    particular order); the list starts again empty."""
    mem = w.memory(Leaving)
    rows = np.concatenate(mem.rows) if len(mem.rows) > 1 else mem.rows[0] if mem.rows else NOBODY
    mem.rows = []
    return rows


def leave_territory(w: World, idx: np.ndarray) -> None:
    """Set the disposition on leaving (Deen, seed 000); early leavers may take group funds."""
    if len(idx):  # (with nobody, nothing to do, and nothing drawn)
        depart(w, leaving(w), idx)


def depart(w: World, mem: Leaving, idx: np.ndarray) -> None:
    """:func:`leave_territory` of ``idx`` (some)."""
    pop = w.pop
    disillusioned = _dispose(
        idx,
        w.rng.random(len(idx)),
        mem.e.trauma_share,
        pop.ideology,
        pop.loyalty,
        mem.extremist,
        mem.loyal,
        pop.disposition,
    )
    if len(disillusioned):
        mem.rows.append(disillusioned)
    if w.t <= mem.theft_until:
        take_group_funds(w, mem, w.chance(idx, mem.e.theft_share))


def take_group_funds(w: World, mem: Leaving, idx: np.ndarray) -> None:
    w.pop.funds[idx] += w.rng.exponential(mem.e.group_funds_usd, len(idx))


def cross_border(w: World, mem: Leaving, idx: np.ndarray) -> None:
    """At the border: capture (border custody), or evasion to hiding abroad or home."""
    if len(idx) == 0:
        return
    e, t, pop = mem.e, w.t, w.pop
    at_border, taken, local_taken, foreign_free = _at_border(
        idx, w.rng.random(len(idx)), e.border_capture * w.schedule.border[t], pop.region
    )
    if taken:
        pop.move(at_border[local_taken:taken], State.DETAINED, t, Custody.BORDER, Place.TURKEY)
        prison.admit(w, at_border[:local_taken], home=False)
        pop.known[at_border[:taken]] = True
        w.count("border_captures", taken)
    # the others: foreigners (drawn in order) go home or hide abroad, locals hide abroad
    away, home = _go_home(at_border[taken:], w.rng.random(foreign_free), mem.go_home, pop.region)
    justice.arrive_home(w, away[:home])
    pop.move(away[home:], State.HIDING_ABROAD, t, place=Place.TURKEY)


ACTIVE, ESCAPING = int(State.ACTIVE), int(State.ESCAPING)


def step(w: World) -> None:
    t, pop = w.t, w.pop
    # (with nobody escaping before the leavers join them, the search is of nobody: those who
    # start it this month search from the next)
    people = pop.tally[PEOPLE]  # per state, kept up to date by every move
    active, escaping = people[ACTIVE], people[ESCAPING]
    if not (active or escaping):  # (none once the territory is lost and the last left)
        return
    mem = leaving(w)
    if active:
        leavers = disillusionment.leavers(w)
        if len(leavers):  # (with nobody, every draw below is of nobody)
            leave(w, mem, leavers)
    if escaping:
        search(w, mem, pop.where(State.ESCAPING, t=t))


def slip_out(w: World, mem: Leaving, idx: np.ndarray, new_identity: bool) -> None:
    """``idx`` leave the territory with the group's funds: locals to hide at home, foreigners
    to Turkey with documents; with a ``new_identity`` foreigners are unknown from then on."""
    if len(idx) == 0:
        return
    pop, t = w.pop, w.t
    depart(w, mem, idx)
    take_group_funds(w, mem, idx)
    local, foreign = pop.by_origin(idx)
    pop.move(local, State.HIDING_LOCAL, t)
    pop.move(foreign, State.HIDING_ABROAD, t, place=Place.TURKEY)
    pop.documents[foreign] = True
    if new_identity:
        pop.known[foreign] = False


def leave(w: World, mem: Leaving, leavers: np.ndarray) -> None:
    """Members who want to leave the territory: Amni walk away, leaders bribe their way out,
    the others search for a smuggler if they can pay, or try alone."""
    e, t, pop = mem.e, w.t, w.pop
    enforcement = w.schedule.enforcement[t]
    ways, amni, leaders, searching, poor = _ways_out(
        leavers.view(np.uint64), pop.role, pop.funds, mem.fee
    )
    # Amni walk away, unknown, with group funds
    slip_out(w, mem, w.chance(ways[0, :amni], e.amni_walkaway), new_identity=False)
    # leaders bribe their way out with group money; foreign leaders buy new documents
    slip_out(w, mem, w.chance(ways[1, :leaders], e.leader_bribe_success), new_identity=True)

    # everyone else: a smuggler if they can pay, otherwise on foot
    searching = ways[2, :searching]
    pop.move(searching, State.ESCAPING, t)
    # (World.chance's count; who, and who of them is caught, from the next draws: one call)
    k = w.how_many(poor, e.self_exit_rate * (1.0 - enforcement) + e.desperate_exit_rate)
    on_foot = NOBODY
    if k:
        killed, on_foot = _on_foot(ways[3, :poor], w.draw(2 * k), e.on_foot_detection * enforcement)
        if len(killed):  # (a count of nobody adds nothing)
            pop.move(killed, State.DEAD, t)
            w.count("killed_escaping", len(killed))
    leave_territory(w, np.concatenate((searching, on_foot)))
    cross_border(w, mem, on_foot)


def search(w: World, mem: Leaving, esc: np.ndarray) -> None:
    """The search for a smuggler, under way (``esc``: searching since before this month):
    Amni may catch the searchers; who finds one pays the fee if they can, and crosses unless
    the smuggler is Amni."""
    if len(esc) == 0:  # (with nobody, every draw below is of nobody)
        return
    e, t, pop = mem.e, w.t, w.pop
    caught = detected(w, esc)
    killed = esc[caught]
    if len(killed):  # (a count of nobody adds nothing)
        pop.move(killed, State.DEAD, t)
        w.count("killed_escaping", len(killed))
    esc = esc[~caught]
    slowed = 1.0 - e.crackdown_search_effect * w.schedule.crackdown[t]
    k = w.how_many(len(esc), slowed / e.search_months)  # World.chance's count
    if k == 0:
        return
    # who finds one (World.chance's pick) and the fee each is asked (as Generator.uniform
    # draws it), consecutive draws in one call; those who can pay do (_smugglers)
    low, high = float(e.smuggler_fee_usd.low), float(e.smuggler_fee_usd.high)
    stuck, paid = _smugglers(esc, w.draw(2 * k), low, high - low, pop.funds)
    in_territory = w.schedule.control[t] > 0  # the fee has gone up, or funds were spent
    pop.move(stuck, State.ACTIVE if in_territory else State.HIDING_LOCAL, t)
    w.count("smuggler_payments", len(paid))
    if len(paid) == 0:  # (nobody to draw for, or to cross)
        return
    killed, crossing = _split(paid, w.draw(len(paid)), e.amni_smuggler_share)  # betrayed
    if len(killed):
        pop.move(killed, State.DEAD, t)
        w.count("killed_escaping", len(killed))
    cross_border(w, mem, crossing)


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _dispose(  # pragma: no cover - compiled
    idx, u, trauma, ideology, loyalty, extremist, loyal, disposition
):
    """Each leaver's disposition, written for ``idx``: dangerous if dedicated (ideology and
    loyalty at or above ``extremist`` and ``loyal``), otherwise disturbed if their draw ``u``
    is below ``trauma``, else disillusioned. Returns the disillusioned, in order."""
    out = np.empty(len(idx), dtype=np.intp)
    k = 0
    for j in range(len(idx)):
        i = idx[j]
        if ideology[i] >= extremist and loyalty[i] >= loyal:
            disposition[i] = DANGEROUS
        elif u[j] < trauma:
            disposition[i] = DISTURBED
        else:
            disposition[i] = DISILLUSIONED
            out[k] = i
            k += 1
    return out[:k]


@njit(cache=True)
def _on_foot(poor, u, detection):  # pragma: no cover - compiled
    """Of ``poor``, those who try to leave on foot, ``k`` of them (half of the uniform
    numbers ``u``) picked as ``World.chance`` picks them (:func:`distinct` of the first
    half), split by the second half: those whose number falls below ``detection`` are caught
    (killed), the others go on; returns both, each in order."""
    k = len(u) // 2
    return _split(poor[distinct(u[:k], len(poor))], u[k:], detection)


@njit(cache=True)
def _split(rows, u, p):  # pragma: no cover - compiled
    """``rows`` split by a uniform number each (``u``): those whose number falls below
    ``p``, then the others, each in order (``rows[u < p]``, ``rows[~(u < p)]`` in one
    pass)."""
    below = np.empty(len(rows), dtype=np.intp)
    rest = np.empty(len(rows), dtype=np.intp)
    a = b = 0
    for j in range(len(rows)):
        i = rows[j]
        hit = u[j] < p
        below[a], rest[b] = i, i
        a += hit
        b += not hit
    return below[:a], rest[:b]


@njit(cache=True)
def _smugglers(esc, u, low, span, funds):  # pragma: no cover - compiled
    """Of the searchers ``esc``, those who find a smuggler, ``k`` of them (half of the
    uniform numbers ``u``) picked as ``World.chance`` picks them (:func:`distinct` of the
    first half), each asked a fee of ``low + span x`` their number in the second half (as
    ``Generator.uniform`` draws between ``low`` and ``low + span``): returns those who
    cannot pay (funds below the fee) and those who can, whose fee is taken from their funds
    (in float64, stored as float32, as NumPy's ``funds[paid] -= fee``), each in order. One
    call for the pick, the draw and seven NumPy steps on the few found."""
    k = len(u) // 2
    found = esc[distinct(u[:k], len(esc))]
    stuck = np.empty(k, dtype=np.intp)
    paid = np.empty(k, dtype=np.intp)
    a = b = 0
    for j in range(k):
        i = found[j]
        fee = low + span * u[k + j]
        if funds[i] >= fee:
            funds[i] = funds[i] - fee
            paid[b] = i
            b += 1
        else:
            stuck[a] = i
            a += 1
    return stuck[:a], paid[:b]


@njit(cache=True)
def _ways_out(leavers, role, funds, fee):  # pragma: no cover - compiled
    """The ``leavers`` split by how they try to leave, a row each (in order), and how many in
    each: Amni members, leaders, the others who can pay a smuggler's ``fee`` (funds at or
    above it), and the others who cannot."""
    ways = np.empty((4, len(leavers)), dtype=np.intp)
    a = b = c = d = 0
    for i in leavers:
        r = role[i]
        if r == AMNI:
            ways[0, a] = i
            a += 1
        elif r == LEADER:
            ways[1, b] = i
            b += 1
        elif funds[i] >= fee:
            ways[2, c] = i
            c += 1
        else:
            ways[3, d] = i
            d += 1
    return ways, a, b, c, d


@njit(cache=True)
def _at_border(idx, u, capture, region):  # pragma: no cover - compiled
    """``idx`` at the border, captured where their draw ``u`` falls below ``capture``: the
    captured locals, the captured foreigners, the others' foreigners, then their locals,
    each part in order; how many were captured, how many of them are locals, and how many
    foreigners were not captured."""
    n = len(idx)
    parts = np.empty((4, n), dtype=np.intp)
    k = np.zeros(4, dtype=np.int64)
    for j in range(n):
        i = idx[j]
        p = 2 * np.int64(not u[j] < capture) + np.int64(region[i] != LOCAL)
        parts[p, k[p]] = i
        k[p] += 1
    out = np.empty(n, dtype=np.intp)
    at = 0
    for p in (0, 1, 3, 2):  # captured locals, foreigners; the others' foreigners, locals
        out[at : at + k[p]] = parts[p, : k[p]]
        at += k[p]
    return out, k[0] + k[1], k[0], k[3]


@njit(cache=True)
def _go_home(others, u, share, region):  # pragma: no cover - compiled
    """Of those not captured (``others``: foreigners, then locals), the foreigners (one draw
    ``u`` each, in order) whose draw falls below the ``share`` of their region of origin go
    home; the other foreigners and the locals stay abroad. Returns those going home, then
    the others (the foreigners first), and how many go home."""
    n, foreign = len(others), len(u)
    out = np.empty(n, dtype=np.intp)
    stay = np.empty(n, dtype=np.intp)
    h = s = 0
    for j in range(foreign):
        i = others[j]
        home = np.int64(u[j] < share[region[i]])
        out[h], stay[s] = i, i
        h += home
        s += 1 - home
    out[h : h + s] = stay[:s]
    out[h + s :] = others[foreign:]
    return out, h
