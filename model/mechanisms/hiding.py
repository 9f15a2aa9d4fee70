"""Hiding (seed 003): detection by intelligence (raised by sharing between states where it
reaches), also of monitored returnees and released prisoners who act on extremist views;
arrests that cut ties and seize money (more with sharing); the cost of living and
leaders' support of fighters' widows and children; drift into criminal networks for those
without papers or means; death in the insurgency."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core.states import (
    COMMAND_ROLES,
    CONFLICT_PLACES,
    FREE_STATES,
    HIDING_STATES,
    Region,
    State,
    code_bits,
)
from regroup.core.world import PERSONS, Output, as_compared, distinct
from regroup.mechanisms import prison

if TYPE_CHECKING:
    from regroup.core.world import World

# states whose members the authorities are looking for
SOUGHT = (State.HIDING_LOCAL, State.HIDING_ABROAD, State.CRIMINAL, State.REMOBILISED)
# free people the authorities may be monitoring (``justice``)
WATCHED = (State.RETURNED, State.RELEASED)
OUTPUTS = {
    "killed_in_insurgency": Output(PERSONS, "Killed in the insurgency while hiding.", flow=True)
}


class Hiding(Strict):
    detection: float = param(
        0.01,
        "probability/month",
        "seed 003 supports the direction ('intelligence-sharing to track down former fighters'); "
        "value assumption",
        "Monthly probability that a known person in hiding is caught.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.35, low=0.005, high=0.02),
    )
    unknown_factor: float = param(
        0.2,
        "factor",
        "seed 003 supports the direction ('Unknown members of Amni are able to hide in towns'); "
        "value assumption",
        "Detection of people unknown to the authorities, relative to known ones.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.4),
    )
    abroad_factor: float = param(
        0.6,
        "factor",
        ASSUMPTION,
        "Detection abroad relative to locally.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.3, high=1.2),
    )
    living_cost_usd: float = param(
        250.0,
        "USD/month",
        ASSUMPTION,
        "Monthly cost of living in hiding.",
        ge=0,
        le=10000,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=250, sigma=0.4, low=100, high=600),
    )
    crime_drift: float = param(
        0.03,
        "probability/month",
        "seed 003 supports the direction (defectors without documents or means are 'easy prey for "
        "criminal networks'); value assumption",
        "Monthly probability that someone without papers or funds turns to crime.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.03, sigma=0.5, low=0.01, high=0.08),
    )
    crime_income_usd: float = param(
        400.0,
        "USD/month",
        "seed 003 supports the activity ('illegal debt collection and burglary'); value assumption",
        "Monthly income in a criminal network.",
        ge=0,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=400, sigma=0.5, low=150, high=1000),
    )
    support_usd: float = param(
        500.0,
        "USD/month",
        "seed 003 supports the direction (leaders' money will allow them 'to support ISIS "
        "fighters' widows and children'); value assumption",
        "Monthly spending of a free leader or Amni member on fighters' widows and children.",
        ge=0,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=500, sigma=0.6, low=150, high=2000),
    )
    tie_cut_share: float = param(
        0.5,
        "share",
        "seed 003 supports the direction ('intelligence-sharing to track down former fighters' "
        "disrupts their networks); value assumption",
        "Share of an arrested person's ties that the arrest cuts (contacts exposed or scattered).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=1.0),
    )
    monitored_detection: float = param(
        0.01,
        "probability/month",
        "seed 004 supports the direction (security forces lack 'the resources to monitor' "
        "returnees); value assumption",
        "Monthly probability that a monitored free returnee who is extremist is caught acting "
        "(times ideology).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.5, low=0.003, high=0.03),
    )
    insurgency_death: float = param(
        0.002,
        "probability/month",
        "seed 003 supports the direction ('Some may continue to participate in insurgency "
        "operations'); value assumption",
        "Monthly death probability in local hiding (insurgency, raids).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.002, sigma=0.5, low=0.0007, high=0.006),
    )
    go_home: float = param(
        0.005,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a foreigner hiding abroad with documents goes home.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.005, sigma=0.5, low=0.002, high=0.0125),
    )


def detection(w: World, idx: np.ndarray) -> np.ndarray:
    """Monthly probability of being caught, per person in ``idx``: ``hiding.detection`` x
    intelligence (:func:`_intelligence`) x ``hiding.unknown_factor`` for those unknown to
    the authorities x ``hiding.abroad_factor`` for those hiding abroad."""
    h, pop = w.group(Hiding), w.pop
    return _detection(
        idx,
        pop.state,
        pop.place,
        pop.known,
        w.coverage("intelligence_sharing"),
        w.policy.intelligence_gain,
        h.detection,
        h.unknown_factor,
        h.abroad_factor,
    )


def going_home(w: World, abroad: np.ndarray) -> np.ndarray:
    """Those hiding abroad (with documents) among ``abroad`` who go home this month."""
    return w.chance(abroad, w.group(Hiding).go_home)


def catch(w: World, idx: np.ndarray) -> None:
    """Arrest: those caught in a conflict place are held there, locals caught elsewhere in
    Iraq or Syria, foreigners caught elsewhere in prison at home; the arrest
    cuts a share (``hiding.tie_cut_share``) of the arrested people's ties. Intelligence
    sharing where they are arrested cuts more of the rest (``policy.sharing_tie_cut``) and
    seizes more of the money prison admission leaves (``policy.sharing_seizure``)."""
    if len(idx) == 0:
        return
    pop, policy, s, t = w.pop, w.policy, w.memory(Search), w.t
    if s.size < 0:
        s.fit(w)
    base = s.tie_cut
    sharing = None
    if not w.lever_on("intelligence_sharing"):
        w.ties.cut(idx, float(base), w.rng)  # no sharing anywhere: one share, one cut
    else:
        sharing = w.coverage_of("intelligence_sharing", idx)
        share = base + (1.0 - base) * policy.sharing_tie_cut * sharing
        for value in np.unique(share):  # one cut per share, in increasing order of share
            w.ties.cut(idx[share == value], float(value), w.rng)
    # held where caught in a conflict place (Iraq, Syria, another theatre), and locals
    # anywhere (handed over to Iraq or Syria); foreigners caught elsewhere go home to prison
    inmates = s.inmates  # admitted as prison.admit would, in the region then at home
    rows = _arrested(
        idx, w.rng.random(2 * len(idx)), t, inmates.terms[False], inmates.terms[True],
        pop.region, pop.place, pop.home, pop.returned, pop.release, pop.cell, pop.known,
        pop.ever_imprisoned, pop.funds, pop.state, pop.entered, pop.custody, inmates.tally,
    )  # fmt: skip
    pop.moved(rows, t)
    inmates.note(rows)
    if sharing is not None:  # without sharing nothing more is seized (funds x 1)
        pop.funds[idx] *= np.float32(1.0) - (policy.sharing_seizure * sharing).astype(np.float32)


class Search:
    """Per run (``w.memory``): what :func:`step` reads each month, made in its first month
    (:meth:`fit`): the rates of being caught (:func:`_thinned`) and the highest of them
    (for this month's coverage of intelligence sharing, ``sharing``), the thresholds as
    compared with the people's values (``as_compared``), the month's money as float32, the
    probability of death in the insurgency each month, the share of ties an arrest cuts and
    prison's memory (:func:`prison.inmates`, for :func:`catch`); and a buffer of row indices (or
    positions), grown with the population."""

    def __init__(self) -> None:
        self.size = -1  # the buffer's length (-1: the run's values not made yet)
        self.rows = np.empty(0, dtype=np.intp)
        self.sharing: np.ndarray | None = None

    def fit(self, w: World) -> None:
        """Fill the run's values (first month) and grow the buffer past ``pop.n`` rows."""
        if self.size < 0:
            h, pop = w.group(Hiding), w.pop
            self.rates = (h.detection, h.unknown_factor, h.abroad_factor, h.monitored_detection)
            self.gain = w.policy.intelligence_gain
            self.extremist_from = as_compared(w.extremist_from, pop.ideology)
            self.broke_below = as_compared(h.living_cost_usd, pop.funds)
            self.money = tuple(np.float32(x) for x in (h.living_cost_usd, h.support_usd))
            self.income = np.float32(h.crime_income_usd)
            self.death = h.insurgency_death * (1.0 + w.schedule.intensity)
            self.crime_drift = h.crime_drift
            self.inmates = prison.inmates(w)
            self.tie_cut = h.tie_cut_share
        self.size = 2 * w.pop.n + 1024
        self.rows = np.empty(self.size, dtype=np.intp)

    def aim(self, sharing: np.ndarray) -> None:
        """The highest probability of being caught (:func:`_highest`) with ``sharing``."""
        self.sharing = sharing
        self.highest = _highest(sharing, self.gain, *self.rates)


def step(w: World) -> None:
    t, pop, s = w.t, w.pop, w.memory(Search)
    if s.size < pop.n:
        s.fit(w)
    # those sought, and monitored returnees (and released prisoners, whom only intelligence
    # sharing brings under watch): the extremist among them may be caught acting
    # (:func:`_thinned`: the candidates drawn at the highest probability anyone can have,
    # how many, then who and their thinning in one draw: the draws of ``few_of``, then
    # ``draw``)
    sharing = w.coverage("intelligence_sharing")
    if sharing is not s.sharing:
        s.aim(sharing)
    k = w.how_many(pop.n, s.highest)  # the candidates
    if k:
        caught = _thinned(
            w.draw(2 * k), pop.n, s.highest, t, pop.state, pop.entered, pop.place, pop.known,
            pop.monitored, pop.ideology, s.extremist_from, sharing, s.gain, *s.rates, s.rows,
        )  # fmt: skip
        catch(w, s.rows[:caught])

    _spend(pop.state, pop.role, pop.funds, pop.n, *s.money, s.income)

    # those hiding since before this month (those caught have left): the locals may die in
    # the insurgency; the others may drift into crime if exposed
    hiding = pop.where(*HIDING_STATES, t=t)
    local = _positions_in(hiding, pop.state, _HIDING_LOCAL_BIT, s.rows)
    # (World.chance's draws for the locals who die, then World.few_of's for the tempted
    # among those still hiding: who they are is picked in _fates)
    dead = w.how_many(local, s.death[t])
    died = w.draw(dead) if dead else NO_DRAWS
    k = w.how_many(len(hiding) - dead, s.crime_drift)
    if dead or k:
        killed, drifted = _fates(
            hiding, s.rows[:local], died, w.draw(k) if k else NO_DRAWS, pop.documents,
            pop.region, pop.funds, s.broke_below,
        )  # fmt: skip
        if dead:  # (nobody moved, 0 counted otherwise)
            pop.move(killed, State.DEAD, t)
            w.count("killed_in_insurgency", dead)
        pop.move(drifted, State.CRIMINAL, t)


# Compiled passes over the people each rule is about.
_HIDING_ABROAD = int(State.HIDING_ABROAD)
_HIDING_LOCAL_BIT = code_bits(State.HIDING_LOCAL)
_SOUGHT_BITS = code_bits(*SOUGHT)
_WATCHED_BITS = code_bits(*WATCHED)
_HIDING_LOCAL, _CRIMINAL = int(State.HIDING_LOCAL), int(State.CRIMINAL)
# the free but those hiding and the criminals, and the command roles (_spend's tests)
_FREE = tuple(int(x) for x in FREE_STATES if x not in (*HIDING_STATES, State.CRIMINAL))
_COMMAND = tuple(int(r) for r in COMMAND_ROLES)
assert len(_FREE) == 3 and len(_COMMAND) == 2, "_spend tests three other free states, two roles"
_LOCAL = int(Region.LOCAL)
_CONFLICT_BITS = code_bits(*CONFLICT_PLACES)
NO_DRAWS = np.empty(0)  # the uniform numbers of nobody picked


@njit(cache=True)
def _intelligence(i, place, sharing, gain):  # pragma: no cover - compiled
    """Detection of person ``i`` relative to today's (:func:`_intelligence_in` where the
    person is)."""
    return _intelligence_in(place[i], sharing, gain)


@njit(cache=True, inline="always")
def _intelligence_in(q, sharing, gain):  # pragma: no cover - compiled
    """Detection in place ``q`` relative to today's: 1 + ``policy.intelligence_gain`` x the
    coverage of intelligence sharing (``sharing``, per place) there."""
    return 1.0 + gain * sharing[q]


@njit(cache=True, inline="always")
def _detection_of(
    i, state, place, known, sharing, gain, base, by_known, by_abroad
):  # pragma: no cover
    """:func:`detection` of person ``i``, with its factors looked up by whether the person is
    known and whether hiding abroad (:func:`_factors`): both are mixed among those sought,
    and branches on them cost twice as much."""
    intelligence = _intelligence(i, place, sharing, gain)
    return _detection_by(
        base,
        intelligence,
        by_known[np.int64(known[i])],
        by_abroad[np.int64(state[i] == _HIDING_ABROAD)],
    )


@njit(cache=True, inline="always")
def _detection_by(base, intelligence, known_factor, abroad_factor):  # pragma: no cover
    """:func:`detection` from its factors (in this order of operations, everywhere)."""
    return base * intelligence * known_factor * abroad_factor


@njit(cache=True)
def _highest_detection(sharing, gain, base, by_known, by_abroad):  # pragma: no cover
    """The highest :func:`detection` anyone can have: the largest of its values for every
    place, known or not, hiding abroad or not (computed as for a person, with
    :func:`_intelligence_in` each place)."""
    highest = 0.0
    for q in range(len(sharing)):
        intelligence = _intelligence_in(q, sharing, gain)
        for known_factor in by_known:
            for abroad_factor in by_abroad:
                p = _detection_by(base, intelligence, known_factor, abroad_factor)
                if p > highest:
                    highest = p
    return highest


@njit(cache=True, inline="always")
def _factors(unknown, abroad):  # pragma: no cover - compiled
    """``hiding.unknown_factor`` by whether known (1 if so) and ``hiding.abroad_factor`` by
    whether hiding abroad (1 if not), as :func:`_detection_of` looks them up."""
    return np.array([unknown, 1.0]), np.array([1.0, abroad])


@njit(cache=True)
def _detection(idx, state, place, known, sharing, gain, base, unknown, abroad):  # pragma: no cover
    """:func:`detection` per person in ``idx``."""
    by_known, by_abroad = _factors(unknown, abroad)
    out = np.empty(len(idx))
    for j in range(len(idx)):
        i = idx[j]
        out[j] = _detection_of(i, state, place, known, sharing, gain, base, by_known, by_abroad)
    return out


@njit(cache=True)
def _highest(sharing, gain, base, unknown, abroad, acting):  # pragma: no cover - compiled
    """The highest probability of being caught anyone can have, at most 1: the highest
    :func:`detection` (:func:`_highest_detection`), or ``acting`` x the highest intelligence
    factor x the highest ideology (1) of a monitored extremist."""
    by_known, by_abroad = _factors(unknown, abroad)
    highest = _highest_detection(sharing, gain, base, by_known, by_abroad)
    for q in range(len(sharing)):
        highest = max(highest, acting * _intelligence_in(q, sharing, gain) * 1.0)
    return min(1.0, highest)


@njit(cache=True)
def _thinned(
    u,
    n,
    highest,
    t,
    state,
    entered,
    place,
    known,
    monitored,
    ideology,
    extremist_from,
    sharing,
    gain,
    base,
    unknown,
    abroad,
    acting,
    out,
):  # pragma: no cover - compiled
    """Those caught this month, into ``out`` (returns how many): the sought (in ``SOUGHT``
    since before month ``t``), each with their :func:`detection`, then the monitored
    extremists among those watched (in ``WATCHED`` since before ``t``), each with
    ``hiding.monitored_detection`` (``acting``) x :func:`_intelligence` x ideology; each
    part in row order.

    Thinned, not a draw each (4.3 M draws a run, 1% of them caught), and over every row, so
    that nobody is looked up but the candidates: each of the rows ``0..n-1`` is a candidate
    with the highest probability anyone can have (``highest``, :func:`_highest`; how many,
    ``k``, is one binomial draw, who a uniform sample of that many: :func:`distinct` of the
    first half of ``u``, ``2 k`` uniform numbers, as ``World.few_of`` picks them), and the
    ``j``-th candidate is caught if ``u[k + j]`` x ``highest`` falls below their own
    probability (0 for those neither sought nor watched). So each person is caught with
    their own probability, independently, as with a draw each. The candidates are picked
    here, not by ``few_of``: a call and an array returned fewer (one draw for both halves)."""
    k = len(u) // 2
    picks = distinct(u[:k], n)
    thin = u[k:]
    by_known, by_abroad = _factors(unknown, abroad)
    acted = np.empty(k, dtype=np.intp)  # the watched caught acting
    a = b = 0
    for j in range(k):  # the state first: most candidates are neither sought nor watched,
        i = picks[j]  # and their month of entry is not read (a cache miss each, mostly)
        s = np.int64(state[i])
        if (_SOUGHT_BITS >> s) & 1:
            if entered[i] < t:
                p = _detection_of(i, state, place, known, sharing, gain, base, by_known, by_abroad)
                if thin[j] * highest < p:
                    out[a] = i
                    a += 1
        elif (
            (_WATCHED_BITS >> s) & 1
            and entered[i] < t
            and monitored[i]
            and ideology[i] >= extremist_from
        ):
            if thin[j] * highest < acting * _intelligence(i, place, sharing, gain) * ideology[i]:
                acted[b] = i
                b += 1
    out[a : a + b] = acted[:b]
    return a + b


@njit(cache=True)
def _spend(state, role, funds, n, living, support, income):  # pragma: no cover - compiled
    """A month's money, in place over rows ``0..n-1``, as NumPy did it over every row (the
    same float32 operations): those hiding pay the cost of living, free leaders and Amni
    members their support of fighters' widows and children, funds never go below zero;
    criminals earn their income. Arithmetic on 0/1 flags from byte comparisons of the codes,
    not lookups and branches: the rows' states are mixed (3x faster); comparisons, not
    shifts of a set's bits, since Numba shifts in 64 bits and bytes fill the vector four
    times over (16-22 -> 12-16 us a month)."""
    for i in range(n):
        s, r = state[i], role[i]
        hid = (s == _HIDING_LOCAL) | (s == _HIDING_ABROAD)
        criminal = s == _CRIMINAL
        free = hid | criminal | (s == _FREE[0]) | (s == _FREE[1]) | (s == _FREE[2])
        command = free & ((r == _COMMAND[0]) | (r == _COMMAND[1]))
        left = funds[i] - (living * np.float32(hid) + support * np.float32(command))
        funds[i] = (left if not left < 0 else np.float32(0.0)) + income * np.float32(criminal)


@njit(cache=True)
def _hand_over(idx, region, place, returned, t):  # pragma: no cover - compiled
    """The arrested ``idx``: those held in the region (a local, or caught in a conflict
    place), then those sent home to prison, each part in order, and how many are held in the
    region; month ``t`` becomes the first month back home of those sent home
    (:func:`first_back_home`)."""
    out = np.empty(len(idx), dtype=np.intp)
    home = np.empty(len(idx), dtype=np.intp)
    k = m = 0
    for i in idx:
        in_conflict = (_CONFLICT_BITS >> np.int64(place[i])) & 1
        if (region[i] == _LOCAL) | (in_conflict == 1):
            out[k] = i
            k += 1
        else:
            home[m] = i
            m += 1
    out[k:] = home[:m]
    first_back_home(home[:m], returned, t)
    return out, k


@njit(cache=True)
def _arrested(
    idx, draws, t, region_terms, home_terms, region, place, home, returned, release, cell,
    known, ever, funds, state, entered, custody, tally,
):  # pragma: no cover - compiled  # fmt: skip
    """The arrested ``idx`` handed over (:func:`_hand_over`), then imprisoned as
    :func:`prison.admit` does (:func:`prison._admission`): those held in the region on the
    terms ``region_terms`` with the first ``2 k`` of ``draws`` (``2 len(idx)``), then those
    sent home on ``home_terms`` with the rest (as two consecutive draws gave them). Returns
    the rows admitted, in that order (a new array)."""
    rows, k = _hand_over(idx, region, place, returned, t)
    n = len(rows)
    if k:
        prison._admission(
            rows[:k], t, draws[: 2 * k], region_terms, place, home, release, cell, known, ever,
            funds, state, entered, custody, tally,
        )  # fmt: skip
    if k < n:
        prison._admission(
            rows[k:], t, draws[2 * k :], home_terms, place, home, release, cell, known, ever,
            funds, state, entered, custody, tally,
        )  # fmt: skip
    return rows


@njit(cache=True)
def first_back_home(idx: np.ndarray, returned: np.ndarray, t: int) -> None:  # pragma: no cover
    """Month ``t`` as the first month back home (``returned``) of those in ``idx`` not back
    before."""
    for i in idx:
        if returned[i] < 0:
            returned[i] = t


@njit(cache=True)
def _positions_in(rows, state, bits, out):  # pragma: no cover - compiled
    """The positions in ``rows`` of those in one of the states ``bits`` (a set of codes as
    an integer's bits), in order, into ``out``; returns how many."""
    k = 0
    for j in range(len(rows)):  # branch-free: writes every one, keeps those in the states
        out[k] = j
        k += (bits >> np.int64(state[rows[j]])) & 1
    return k


@njit(cache=True)
def _fates(
    hiding, local, died, tempted, documents, region, funds, living
):  # pragma: no cover - compiled
    """Those of ``hiding`` who die, then those who drift into crime (:func:`_drifting`), as
    ``World.chance`` and ``World.few_of`` pick them (:func:`distinct` of their uniform
    numbers): the dead, one of ``died`` for each, among the ``local`` (positions in
    ``hiding``), the tempted, one of ``tempted`` for each, among those left. One call for
    what took five from Python."""
    gone = local[distinct(died, len(local))]  # positions, increasing
    picked = distinct(tempted, len(hiding) - len(died))
    return hiding[gone], _drifting(hiding, gone, picked, documents, region, funds, living)


@njit(cache=True)
def _drifting(hiding, died, tempted, documents, region, funds, living):  # pragma: no cover
    """Those who drift into crime, in order: of ``hiding`` but those at the positions
    ``died`` (increasing; they died this month), the ``tempted`` (their positions among those
    left, increasing) who are exposed: foreigners without papers, and those who cannot meet
    the cost of living (funds below ``living``). Each tempted found by position (skipping the
    dead before it), not by a pass over those hiding: only the tempted are read."""
    out = np.empty(len(tempted), dtype=np.intp)
    k = d = 0  # drifted, the dead at or before the tempted one
    for p in tempted:
        while d < len(died) and died[d] <= p + d:
            d += 1
        i = hiding[p + d]
        if (not documents[i] and region[i] != _LOCAL) or funds[i] < living:
            out[k] = i
            k += 1
    return out[:k]
