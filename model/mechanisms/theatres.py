"""Travel to other theatres (issue 10; seed 003: "any piece of land from the Middle East to
the Philippines will do").

Once the group has held and lost its territory (``World.territory_lost``), each month
dedicated fighters (ideology and loyalty at or above their thresholds; not women, minors
only of fighting age) who are free and hiding — locally in Iraq or Syria, or abroad — travel
to another theatre with probability ``theatres.travel_rate``; dedicated fighters released
from prison travel at ``theatres.released_factor`` times that rate. A traveller goes to
Libya with a probability that depends on the region of origin (``theatres.libya_north_africa``
for North Africans, ``theatres.libya_former_soviet`` for Russian speakers and Central Asians,
``theatres.libya_others`` for everyone else), otherwise to Afghanistan. On arrival their
state becomes remobilised (in an organised group) and their place the theatre; with
probability ``theatres.joins_affiliate`` each is tied into the affiliate's network (an
affiliate tie to a random member of the model who joined it there before; the first to join
in a theatre are chained to each other), the others arrive with only the ties they had.
Their other ties keep their reach, but count for the regrouping pool only once both ends are
in the same place (``regrouping``). Members in another theatre are killed there at
``theatres.death`` a month.

The UN monitors' figures for 2018 (3,000-4,000 members in Libya, 3,500-4,500 in Afghanistan,
"significant numbers" moved to Afghanistan) count every member there, most of them recruited
locally, whom the model does not follow: the relocated members the model counts are a lower
bound of those figures, never to be compared with them as equals. The affiliates' own
leaders and money are outside the model too, so a theatre's regrouping potential counts only
pools anchored by the model's own funded members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core import ties as tie_kinds
from regroup.core.population import NOBODY, PEOPLE, Field, move_rows, row_at
from regroup.core.states import OTHER_THEATRES, Custody, Place, Region, Role, State, code_bits
from regroup.core.world import PERSONS, Output, as_compared, distinct
from regroup.mechanisms.demography import born_by_month
from regroup.mechanisms.insurgency import Roster, in_places

if TYPE_CHECKING:
    from regroup.core.world import World

FIELDS = {"affiliated": Field(np.bool_)}  # tied into an affiliate's network on arrival
WOMAN, MINOR = int(Role.WOMAN), int(Role.MINOR)
RELEASED, REMOBILISED = int(State.RELEASED), int(State.REMOBILISED)
LIBYA, AFGHANISTAN = int(Place.LIBYA), int(Place.AFGHANISTAN)
NO_CUSTODY = int(Custody.NONE)
IN_OTHER_THEATRES = code_bits(*OTHER_THEATRES)  # Libya and Afghanistan, as bits
OUTPUTS = {
    "theatre_travellers": Output(
        PERSONS, "Members who travelled to another theatre, by destination.", flow=True, by="place"
    ),
    "killed_in_theatres": Output(
        PERSONS, "Members killed in another theatre, by theatre.", flow=True, by="place"
    ),
}


class Theatres(Strict):
    """Travel to other theatres (Libya, Afghanistan) after the territory is lost."""

    travel_rate: float = param(
        0.01,
        "probability/month",
        "seed 003 supports the direction ('any piece of land from the Middle East to the "
        "Philippines will do'; leaders and Amni members who fled could 're-establish the group "
        "in their new location'); UN monitors (2018) counted members in Libya and "
        "Afghanistan, most of them recruited locally, which bounds the travellers from above "
        "only; value assumption",
        "Monthly probability that a dedicated fighter hiding, locally or abroad, travels to "
        "another theatre once the territory is lost.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.7, low=0.002, high=0.04),
    )
    released_factor: float = param(
        0.5,
        "factor",
        "seed 003 supports the direction (low-level fighters in prison 'may be released over "
        "the next decade'); factor assumption",
        "Travel of dedicated fighters released from prison relative to those hiding.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=1.0),
    )
    libya_north_africa: float = param(
        0.8,
        "share",
        "assumption; UN monitors (2018, model brief) counted 3,000-4,000 members in Libya, a "
        "neighbour of the North African countries of origin; no source gives where each origin "
        "went, so the prior says only that North Africans went mostly to Libya",
        "Share of North African travellers to another theatre who go to Libya (the rest to "
        "Afghanistan).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.5, high=0.95),
    )
    libya_former_soviet: float = param(
        0.1,
        "share",
        'assumption; UN monitors (2018, model brief): "significant numbers" moved to '
        "Afghanistan, a neighbour of Central Asia; no source gives where each origin went, so "
        "the prior says only that Russian speakers and Central Asians went mostly to Afghanistan",
        "Share of travellers from the former Soviet Union (Russian speakers, Central Asians) to "
        "another theatre who go to Libya (the rest to Afghanistan).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.3),
    )
    libya_others: float = param(
        0.3,
        "share",
        'assumption; UN monitors (2018, model brief): "significant numbers" moved to '
        "Afghanistan, and about as many members in Afghanistan (3,500-4,500) as in Libya "
        "(3,000-4,000); the prior says only that the others went mostly to Afghanistan",
        "Share of the other travellers to another theatre (locals, from Europe and Turkey, the "
        "Middle East and the Gulf, and other countries) who go to Libya (the rest to "
        "Afghanistan).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    joins_affiliate: float = param(
        0.5,
        "probability",
        "assumption: seed 003 supports the direction (those who fled have 'experience and "
        "connections'); how many travellers are taken into the affiliate's network is not in "
        "any source, so the prior spans few to nearly all",
        "Probability that a traveller to another theatre is tied into the affiliate's network "
        "there (to a member of the model already there); the others arrive with only the ties "
        "they had.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.9),
    )
    death: float = param(
        0.01,
        "probability/month",
        "assumption: the affiliates in Libya and Afghanistan fought (and lost ground to) "
        "national forces, rival groups and air strikes; no seed gives a rate",
        "Monthly probability that a member in another theatre is killed there.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.6, low=0.002, high=0.04),
    )


class Travel:
    """What travel remembers in a run: the members of the affiliates' networks, and the
    parameters as the rules take them (:meth:`start`; they do not change during a run), and
    the last month of birth of fighting age by month (``born_by``), the people per state
    (``people``: the population's tally, a view kept up to date by every move)."""

    def __init__(self) -> None:
        self.affiliated = Roster(lambda pop, rows: pop.affiliated[rows])
        self.to_libya: np.ndarray | None = None  # by region of origin
        self.rate = self.released = self.highest = self.joins = self.death = 0.0
        self.extremist = self.loyal = np.float32(0)
        self.born_by: np.ndarray | None = None
        self.people: np.ndarray | None = None
        self.by_place = np.zeros(N_PLACES, dtype=np.int64)  # the killed by place (a buffer)
        self.by_destination = np.zeros(N_PLACES, dtype=np.int64)  # the travellers by place
        # those arriving, then the affiliates' networks there (_destinations); noted as moved
        # by the population until its next grouping by state, before the next month's step
        self.arriving = np.empty(0, dtype=np.intp)

    def start(self, w: World) -> None:
        """Take the run's constants: the probability of going to Libya by region of origin;
        the travel rates of those hiding and of the released, and the higher of them; the
        share joining an affiliate's network; the death rate there; the dedicated's
        thresholds as the rows' values are compared with them; born_by by month; the
        population's tally."""
        th, pop = w.group(Theatres), w.pop
        by_region = np.full(len(Region), th.libya_others)
        by_region[Region.NORTH_AFRICA] = th.libya_north_africa
        by_region[Region.FORMER_SOVIET] = th.libya_former_soviet
        self.to_libya = by_region
        self.rate, self.released = th.travel_rate, th.travel_rate * th.released_factor
        self.highest = max(self.rate, self.released)
        self.joins, self.death = th.joins_affiliate, th.death
        self.extremist = as_compared(w.extremist_from, pop.ideology)
        self.loyal = as_compared(w.loyal_from, pop.loyalty)
        self.born_by = born_by_month(w)
        self.people = pop.tally[PEOPLE]


def travellers(w: World, mem: Travel) -> np.ndarray:
    """Those who travel to another theatre this month (before the destination is drawn):
    dedicated fighters hiding or released, each with their travel rate. Thinned, not a draw
    each (as :func:`regroup.mechanisms.combat._fight`): candidates at the highest rate
    (``World.few_of``), each kept if a dedicated fighter and a further draw falls below
    their own rate over the highest; only the candidates' rows are read."""
    t, pop = w.t, w.pop
    # those hiding, and the released, looked up apart (one group each, cheaper than merging
    # them): the positions among them together are found without merging
    hiding = pop.where(State.HIDING_LOCAL, State.HIDING_ABROAD, t=t)
    from_prison = pop.where(State.RELEASED, t=t)
    rng = w.rng  # World.few_of's draws, then the thinning's, in one call
    k = w.how_many(len(hiding) + len(from_prison), mem.highest)
    if k == 0:
        return NOBODY
    return _dedicated_travellers(
        hiding,
        from_prison,
        rng.random(2 * k),
        k,
        mem.highest,
        pop.state,
        pop.role,
        pop.birth,
        pop.ideology,
        pop.loyalty,
        mem.born_by[t],
        mem.extremist,
        mem.loyal,
        mem.rate,
        mem.released,
    )


def attrition(w: World, mem: Travel) -> None:
    """Members in another theatre since before this month are killed there at
    ``theatres.death``."""
    pop = w.pop
    k = 0  # (nobody remobilised before the insurgency: nobody to draw for)
    if mem.people[REMOBILISED]:
        idx = in_places(pop.where(State.REMOBILISED, t=w.t), pop.place, IN_OTHER_THEATRES)
        k = w.how_many(len(idx), mem.death)  # World.chance's draws
    if k == 0:  # nobody to move, and a count of nobody by place, as ever
        w.count("killed_in_theatres", NOBODY_BY_PLACE)
        return
    killed = _killed(idx, w.rng.random(k), pop.place, mem.by_place)
    pop.move(killed, State.DEAD, w.t)
    w.count("killed_in_theatres", mem.by_place)


N_PLACES = len(Place)
NOBODY_BY_PLACE = np.zeros(N_PLACES, dtype=np.int64)  # np.bincount of nobody, by place
NOBODY_BY_PLACE.flags.writeable = False


def arrive(w: World, mem: Travel, idx: np.ndarray, dest: Place, there: np.ndarray) -> None:
    """``idx`` arrive in theatre ``dest``: remobilised there; those who join the affiliate's
    network (``theatres.joins_affiliate``; marked ``affiliated``, added to the network's
    roster by the caller) are tied to a member of it already there (``there``; chained to
    each other if there is none)."""
    pop, t = w.pop, w.t
    # moved there (Population.move's writes, then noted as moved) and who joins, in one call
    joining = _join(
        idx, w.rng.random(len(idx)), mem.joins, pop.affiliated, int(dest), t, pop.place,
        pop.state, pop.entered, pop.custody, pop.tally,
    )  # fmt: skip
    pop.moved(idx, t)
    if len(there) == 0:
        w.ties.chain(joining, np.zeros(len(joining), dtype=np.int8), tie_kinds.AFFILIATE)
    elif len(joining):  # each tied to a member there drawn as World.integers draws
        w.ties.add(joining, _partners(there, w.draw(len(joining))), tie_kinds.AFFILIATE)


def step(w: World) -> None:
    mem = w.memory(Travel)
    if mem.to_libya is None:  # the run's first month
        mem.start(w)
    attrition(w, mem)
    if not w.territory_lost:
        return
    going = travellers(w, mem)
    k = len(going)
    if k == 0:
        return
    pop, network = w.pop, mem.affiliated.rows(w)
    if k + len(network) > len(mem.arriving):
        mem.arriving = np.empty(2 * (k + len(network)), dtype=np.intp)
    # the destinations, and each theatre's network before anyone arrives (arrivals in one
    # are not in the other's), in one pass, written to Travel's buffer
    arriving, there = mem.arriving[:k], mem.arriving[k:]
    to_libya, in_network, in_libya = _destinations(
        going,
        w.rng.random(k),
        mem.to_libya,
        pop.region,
        network,
        pop.state,
        pop.place,
        pop.affiliated,
        arriving,
        there,
    )
    by_destination = mem.by_destination
    for dest, idx, members in (
        (Place.LIBYA, arriving[:to_libya], there[:in_libya]),
        (Place.AFGHANISTAN, arriving[to_libya:], there[in_libya:in_network]),
    ):
        if len(idx):
            arrive(w, mem, idx, dest, members)
        by_destination[dest] = len(idx)
    mem.affiliated.include(w, arriving[pop.affiliated[arriving]])  # those who joined, at once
    w.count("theatre_travellers", by_destination)


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _dedicated_travellers(  # pragma: no cover - compiled
    hiding,
    from_prison,
    u,
    k,
    highest,
    state,
    role,
    birth,
    ideology,
    loyalty,
    born_by,
    extremist,
    loyal,
    rate,
    released,
):
    """The ``k`` candidates (``World.few_of``: ``distinct`` of the uniform numbers
    ``u[:k]``, positions among ``hiding`` and ``from_prison`` together in row order) who
    travel, in order: those who are dedicated fighters (ideology and loyalty at or above
    ``extremist`` and ``loyal``; not women; minors only if born by the month ``born_by``, of
    fighting age) and whose draw ``u[k + j]`` times ``highest`` falls below their travel rate
    (``released`` for those released from prison, else ``rate``). Each candidate was picked
    with probability ``highest``, so each dedicated fighter travels with their own rate,
    independently."""
    picks = distinct(u[:k], len(hiding) + len(from_prison))
    out = np.empty(k, dtype=np.intp)
    n = 0
    for j in range(k):
        i = row_at(picks[j], hiding, from_prison)
        r = role[i]
        own = released if state[i] == RELEASED else rate
        out[n] = i
        n += (
            (loyalty[i] >= loyal)
            & (ideology[i] >= extremist)
            & (r != WOMAN)
            & ((r != MINOR) | (birth[i] <= born_by))
            & (u[k + j] * highest < own)
        )
    return out[:n]


@njit(cache=True)
def _killed(idx, u, place, by_place):  # pragma: no cover - compiled
    """Those of ``idx`` killed (``World.chance``: ``idx`` at ``distinct`` of the uniform
    numbers ``u``), in order; ``by_place`` set to how many of them in each place."""
    killed = idx[distinct(u, len(idx))]
    by_place[:] = 0
    for i in killed:
        by_place[place[i]] += 1
    return killed


@njit(cache=True)
def _destinations(  # pragma: no cover - compiled
    going, u, libya, region, network, state, place, affiliated, arriving, there
):
    """Where ``going`` go: those whose draw ``u`` falls below the share ``libya`` for their
    region of origin to Libya, the others to Afghanistan; and the rows of ``network``
    (increasing) in an affiliate's network in each theatre: in an organised group there,
    tied into the network on arrival. Writes ``going`` with Libya's first to ``arriving``,
    the network's rows in Libya then in Afghanistan to ``there`` (each part in order);
    returns how many go to Libya, how many are in the networks and how many in Libya's."""
    afghanistan = np.empty_like(going)
    a = b = 0
    for j in range(len(going)):
        i = going[j]
        to_libya = np.int64(u[j] < libya[region[i]])
        arriving[a], afghanistan[b] = i, i
        a += to_libya
        b += 1 - to_libya
    arriving[a:] = afghanistan[:b]
    afghanistan = np.empty_like(network)
    c = d = 0
    for i in network:
        if state[i] == REMOBILISED and affiliated[i]:
            if place[i] == LIBYA:
                there[c] = i
                c += 1
            elif place[i] == AFGHANISTAN:
                afghanistan[d] = i
                d += 1
    there[c : c + d] = afghanistan[:d]
    return a, c + d, c


@njit(cache=True)
def _join(
    idx, u, share, affiliated, dest, t, place, state, entered, custody, tally
):  # pragma: no cover - compiled
    """``idx`` moved to REMOBILISED in place ``dest`` in month ``t`` (as
    :meth:`Population.move` writes them: :func:`move_rows`); returns those who join the
    affiliate's network (draw ``u`` below ``share``), in order, each one's ``affiliated``
    flag set, the others' cleared."""
    for i in idx:
        place[i] = dest
    move_rows(idx, REMOBILISED, t, NO_CUSTODY, state, entered, custody, tally)
    out = np.empty(len(idx), dtype=np.intp)
    k = 0
    for j in range(len(idx)):
        i = idx[j]
        joins = u[j] < share
        affiliated[i] = joins
        out[k] = i
        k += joins
    return out[:k]


@njit(cache=True)
def _partners(there, u):  # pragma: no cover - compiled
    """A member of ``there`` for each uniform draw ``u``: ``there`` at ``floor(u x
    len(there))``, as :meth:`World.integers` draws below ``len(there)`` (one call for
    its draw, scaling and gather)."""
    out = np.empty(len(u), dtype=np.intp)
    n = len(there)
    for j in range(len(u)):
        out[j] = there[np.intp(u[j] * n)]
    return out
