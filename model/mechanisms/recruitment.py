"""Recruitment appeal (seeds 000, 002, 003) and remobilisation after the territory is lost.

The appeal is the brand's perceived effectiveness (the territory held, or a decaying memory
of it that a regrouping pool's activity feeds), the propaganda value
of foreign fighters in territory, and grievances at home, minus the counter-narrative of
defectors who speak publicly (deterred by prosecution unless a legal path exists). It
drives foreign arrivals (``arrivals``). Once the territory is lost, it draws dedicated free
members tied to a funded leader back into an organised group, and new recruits into the
largest connected pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core import ties as tie_kinds
from regroup.core.compiled import lowest_bit
from regroup.core.population import NOBODY, PEOPLE, Field
from regroup.core.states import (
    FREE_STATES,
    IN_CONFLICT,
    Disposition,
    Region,
    Role,
    State,
    code_bits,
)
from regroup.core.world import INDEX, PERSONS, Output
from regroup.mechanisms import regrouping
from regroup.mechanisms.arrivals import new_members
from regroup.mechanisms.escape import newly_disillusioned

if TYPE_CHECKING:
    from regroup.core.world import World

# where former members can be heard from: out of the territory, not in local hiding
SPEAKERS = (
    State.HIDING_ABROAD,
    State.RETURNED,
    State.RELEASED,
    State.REINTEGRATED,
    State.PRISON_HOME,
    State.DETAINED,
)
REMOBILISABLE = (
    State.HIDING_LOCAL,
    State.HIDING_ABROAD,
    State.RETURNED,
    State.RELEASED,
    State.CRIMINAL,
)


# codes the kernels read (sets of states as bits of an integer)
SPEAKING = np.int32(code_bits(*SPEAKERS))
REJOINING = np.int32(code_bits(*REMOBILISABLE))
_DISILLUSIONED = int(Disposition.DISILLUSIONED)
_DEAD, _LOCAL, _ACTIVE = int(State.DEAD), int(Region.LOCAL), int(State.ACTIVE)
_REMOBILISED = int(State.REMOBILISED)
NOVICE = int(Role.NOVICE)
FIELDS = {"spoke": Field(np.bool_)}  # has spoken publicly against the group
OUTPUTS = {
    "appeal": Output(INDEX, "The group's appeal, relative to the peak of the caliphate (1)."),
    "public_defections": Output(PERSONS, "Defectors who spoke publicly.", flow=True),
    "new_recruits": Output(PERSONS, "Recruited into a pool after territory is lost.", flow=True),
}


class Recruitment(Strict):
    """Recruitment appeal (seeds 000, 002, 003) and remobilisation after territory is lost."""

    brand: float = param(
        0.7,
        "weight",
        "seed 003 supports the direction ('Because of its perceived effectiveness, the ISIS brand "
        "may still attract new members'); weight assumption",
        "Weight of territorial success in the appeal.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=1.0),
    )
    propaganda: float = param(
        0.1,
        "weight",
        "seed 000 supports the direction (foreign recruits were key in 'internationalizing the "
        "group, making it a global product'); weight assumption",
        "Weight of the foreign fighters in territory in the appeal.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.2),
    )
    grievance: float = param(
        0.2,
        "weight",
        "seed 003 supports the direction (new members 'who may have grievances in their home "
        "country'); weight assumption",
        "Weight of grievances at home in the appeal.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.4),
    )
    counter_narrative: float = param(
        0.1,
        "weight",
        "seed 003 supports the direction (former members 'are very successful in explaining to "
        "prospective ISIS supporters why the organisation did not live up to their "
        "expectations'); seed 002 likewise; weight assumption",
        "Weight of public defectors' counter-narrative (subtracted).",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.2),
    )
    counter_half_saturation: float = param(
        1000.0,
        "persons",
        ASSUMPTION,
        "Public defectors at which the counter-narrative reaches half its weight.",
        ge=1,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1000, sigma=0.5, low=300, high=3000),
    )
    speak_rate: float = param(
        0.025,
        "probability/month",
        "fitted to 58 public defections, Jan 2014 - Aug 2015 (ICSR 2015, whose study seed 002 "
        "reports); checked in tests/test_plausibility.py",
        "Monthly probability that a disillusioned ex-member speaks publicly.",
        ge=0,
        le=1,
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.015, mode=0.025, high=0.04),
    )
    legal_deterrence: float = param(
        0.8,
        "share",
        "seed 002 supports the direction (legal proceedings and prison sentences 'provide few "
        "incentives for defectors to share their experiences'); value assumption",
        "Share of would-be public defectors deterred by prosecution.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.6, high=0.95),
    )
    remobilise_rate: float = param(
        0.02,
        "probability/month",
        "seed 003 supports the direction (leaders' 'experience and connections could allow them "
        "to re-establish the group'); value assumption",
        "Monthly probability a dedicated member tied to a funded leader rejoins, times appeal.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.02, sigma=0.35, low=0.01, high=0.04),
    )
    training_gain: float = param(
        0.01,
        "skill/month",
        "seed 003 supports the direction (re-establishing the group takes 'experience'); value "
        "assumption",
        "Skill gained per month in a remobilised group.",
        ge=0,
        le=0.2,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.005, high=0.02),
    )
    brand_decay: float = param(
        0.05,
        "share/month",
        "seed 003 supports the direction (in 2018, after the territory was nearly gone: "
        "'Because of its perceived effectiveness, the ISIS brand may still attract new "
        "members'); value assumption",
        "Monthly decay of the brand's perceived effectiveness once it exceeds the territory held.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.02, high=0.15),
    )
    activity_effect: float = param(
        0.02,
        "effectiveness/month",
        "seed 003 supports the direction (the brand's appeal rests on 'perceived "
        "effectiveness'); value assumption",
        "Monthly gain in perceived effectiveness from a pool at critical mass (in proportion "
        "below it).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.05),
    )
    new_recruits_per_month: float = param(
        30.0,
        "persons/month",
        "seed 003 supports the direction ('the ISIS brand may still attract new members'); value "
        "assumption",
        "New recruits a month into a connected pool at full appeal, per critical mass.",
        ge=0,
        le=1e4,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=30, sigma=0.5, low=10, high=60),
    )


class Recruiting:
    """What recruitment remembers, per run: its parameters (set at the first use,
    :func:`_memory`); the brand's perceived effectiveness (0-1) from month to month; every
    row that may speak publicly, in row order: the disillusioned who have not spoken (some
    may be in a state out of SPEAKERS now; the dead, those who spoke and those disposed
    otherwise since are dropped at each look; ``held[:k]``, a buffer with room for every row,
    changed in place), and how many rows it has looked at (:func:`speakers`, which writes
    the would-be speakers into ``speaking``, also with room for every row, as is
    ``rejoining``, for :func:`remobilise`: :meth:`room`); and what the
    levers' coverage last seen gives: whether the grievances lever's is one value everywhere
    (:func:`grievances_addressed`), the largest probability to speak that the defector-voice
    lever allows and whether it varies by place (:func:`public_defections`)."""

    def __init__(self) -> None:
        self.r: Recruitment | None = None
        self.perceived, self.month = 0.0, -1
        self.held, self.speaking = np.empty((2, 0), dtype=np.int32)
        self.rejoining = np.empty(0, dtype=np.intp)
        self.k = self.seen = 0
        self.grievances: np.ndarray | None = None
        self.uniform = True
        self.voice: np.ndarray | None = None
        self.most, self.varies = 0.0, False

    def room(self, n: int) -> None:
        """Buffers with room for ``n`` rows (twice as many: the population grows), the roster
        of the disillusioned kept. The roster and the speakers as int32 row numbers (the
        roster is read and written back each month: half the bytes of intp's)."""
        held = np.empty((2, 2 * n), dtype=np.int32)
        held[0, : self.k] = self.held[: self.k]
        self.held, self.speaking = held
        self.rejoining = np.empty(2 * n, dtype=np.intp)


def _memory(w: World) -> Recruiting:
    """Recruitment's memory, with the run's parameters (set at the first use)."""
    mem = w.memory(Recruiting)
    if mem.r is None:
        r = mem.r = w.group(Recruitment)
        mem.peak = r.brand + r.propaganda * 0.5 + r.grievance  # the appeal at the peak
        mem.gain = np.float32(r.training_gain)  # as NumPy adds it to float32 skills
    return mem


def perceived_effectiveness(w: World, mem: Recruiting | None = None) -> float:
    """This month's perceived effectiveness of the brand: the territory held, or, when more,
    last month's perception decayed by ``recruitment.brand_decay`` and fed by the largest
    pool's activity (its size over the critical mass, last month, at most 1)."""
    t, mem = w.t, mem or _memory(w)
    if mem.month != t:  # (min and max written out: a Python call each)
        r, momentum = mem.r, regrouping.memory(w).momentum
        activity = momentum if momentum < 1.0 else 1.0
        remembered = mem.perceived * (1.0 - r.brand_decay) + r.activity_effect * activity
        held = float(w.schedule.control[t])
        perceived = remembered if remembered > held else held
        mem.perceived = perceived if perceived < 1.0 else 1.0
        mem.month = t
    return mem.perceived


class Census(NamedTuple):
    """What the month's step needs to know of the members before anyone moves."""

    speakers: np.ndarray  # disillusioned, in a SPEAKERS state, not yet spoken (row order)
    active: int  # in the territory (ACTIVE)
    foreign: int  # of them, foreigners


def census(w: World) -> Census:
    """The would-be public defectors and the members in the territory (and how many are
    foreign), now: from the roster of the disillusioned and grouped lookups."""
    pop = w.pop
    # (none once the territory is lost; pop.count: the people per state, kept by every move)
    active = int(pop.tally[PEOPLE, _ACTIVE])
    foreign = _foreign(pop.state, pop.region, pop.n) if active else 0
    return Census(speakers(w), active, foreign)


def speakers(w: World) -> np.ndarray:
    """The would-be public defectors now: disillusioned, in a SPEAKERS state, not yet spoken,
    in row order. The disposition is set on leaving the territory (``escape``) or on joining:
    the roster of the disillusioned takes in those made so on leaving and the rows added
    since it last looked, instead of a pass over every row."""
    pop, mem = w.pop, w.memory(Recruiting)  # (the roster needs no parameter)
    n = pop.n
    if n > mem.held.shape[0]:
        mem.room(n)
    mem.k, j = _speakers(
        mem.held, mem.k, newly_disillusioned(w), mem.seen, n, pop.state, pop.disposition,
        pop.spoke, mem.speaking,
    )  # fmt: skip
    mem.seen = n
    return mem.speaking[:j]


def remobilisable(w: World) -> np.ndarray:
    """Those who may rejoin: in a REMOBILISABLE state since before this month, in a funded
    pool (``connected``, as of last month's count), in row order."""
    pop = w.pop
    out = np.empty(pop.n, dtype=np.intp)
    return out[: _rejoining(pop.connected, pop.n, pop.state, pop.entered, np.int16(w.t), out)]


@njit(cache=True)
def _foreign(state, region, n):  # pragma: no cover - compiled
    """How many of the rows ``0..n-1`` are in the territory (ACTIVE) and foreigners: one
    pass the compiler vectorises (a count of two byte tests) instead of listing those in the
    territory (``Population.where``) and gathering their origins."""
    k = 0
    for i in range(n):
        k += np.int64(state[i] == _ACTIVE) & np.int64(region[i] != _LOCAL)
    return k


@njit(cache=True)
def _speakers(held, k, fresh, seen, n, state, disposition, spoke, out):  # pragma: no cover
    """The roster of the disillusioned (``held[:k]``, increasing) brought up to date with the
    rows made disillusioned since (``fresh``, repeats allowed) and the disillusioned among the
    rows ``seen..n-1`` added since: those still disillusioned, alive and not yet spoken,
    written back into ``held``; and of them the would-be speakers (in a SPEAKERS state),
    written into ``out``. Both in row order; returns how many of each.

    The few new rows are merged in first (most months none); then one branch-free pass over
    the roster (int32 row numbers: half the bytes of intp's to read and write back; read
    unsigned: no negative-index wraparound at each read): every
    row is written at each list's next slot, which advances only if it belongs there (the
    roster's slot is never after the row read)."""
    roster = held[:k]
    added = np.empty(n - seen, dtype=np.intp)
    a = 0
    for i in range(seen, n):
        added[a] = i
        a += disposition[i] == _DISILLUSIONED
    if len(fresh) or a:
        roster = _merged(roster, np.sort(np.concatenate((fresh, added[:a]))))
    kept = held
    m = j = 0
    for i in roster.view(np.uint32):
        s = np.int32(state[i])
        keep = (
            np.int32(disposition[i] == _DISILLUSIONED)
            & (1 - np.int32(spoke[i]))
            & np.int32(s != _DEAD)
        )
        kept[m] = out[j] = i
        m += keep
        j += keep & ((SPEAKING >> s) & 1)
    return m, j


@njit(cache=True)
def _merged(rows, extra):  # pragma: no cover - compiled
    """The rows of ``rows`` (increasing, no repeats) and ``extra`` (increasing, repeats
    allowed), in increasing order, each once (in the type of ``rows``)."""
    out = np.empty(len(rows) + len(extra), dtype=rows.dtype)
    a = b = m = 0
    last = -1
    while a < len(rows) or b < len(extra):
        if b == len(extra) or (a < len(rows) and rows[a] <= extra[b]):
            i = rows[a]
            a += 1
        else:
            i = extra[b]
            b += 1
        if i != last:
            out[m] = last = i
            m += 1
    return out[:m]


@njit(cache=True)
def _rejoining(connected, n, state, entered, t, out):  # pragma: no cover - compiled
    """The rows ``0..n-1`` in a funded pool (``connected``) in a REMOBILISABLE state since
    before month ``t``, in order, written into ``out``; returns how many.

    Two passes: a flag per row (:func:`_rejoins`) in a pass the compiler vectorises (the
    connected, 2-7% of the rows, are scattered: a fifth of the words of eight flags hold
    one, and a branch on each mispredicted), then the set flags found a word at a time, a
    word of eight rows without one skipped with one test, in the others a set flag at a
    time (its byte's position from its bit's, by :func:`~regroup.core.compiled.lowest_bit`)."""
    flags = np.empty((n + 7) // 8 * 8, dtype=np.uint8)
    for i in range(n):
        flags[i] = _rejoins(i, connected, state, entered, t)
    flags[n:] = 0
    words = flags.view(np.uint64)
    k = 0
    one = np.uint64(1)
    for word in range(len(words)):
        b = words[word]
        while b:
            out[k] = word * 8 + (lowest_bit(b) >> 3)  # the lowest set bit: a rejoining row's
            k += 1
            b &= b - one
    return k


@njit(cache=True, inline="always")
def _rejoins(i, connected, state, entered, t):  # pragma: no cover - compiled
    """1 if row ``i`` is connected, in a REMOBILISABLE state since before month ``t``."""
    return np.uint8(
        np.int32(connected[i]) & ((REJOINING >> np.int32(state[i])) & 1) & np.int32(entered[i] < t)
    )


def appeal(w: World, now: Census | None = None, mem: Recruiting | None = None) -> float:
    """The appeal this month, relative to its value at the peak of the caliphate (1)."""
    mem = mem or _memory(w)
    r = mem.r
    if now is None:
        now = census(w)
    foreign_share = now.foreign / (now.active if now.active > 1 else 1)  # (max written out)
    grievance = r.grievance * (1.0 - grievances_addressed(w, mem))
    spoken = w.out.scaled(w.out.total["public_defections"])  # in persons
    counter = r.counter_narrative * spoken / (spoken + r.counter_half_saturation)
    effective = perceived_effectiveness(w, mem)
    raw = r.brand * effective + r.propaganda * foreign_share + grievance - counter
    level = raw / mem.peak
    return level if level > 0.0 else 0.0


def grievances_addressed(w: World, mem: Recruiting | None = None) -> float:
    """The share of the appeal's grievance term addressed this month (``policy.grievances``).

    The appeal is one number for the whole group, so the lever's per-place coverage is
    averaged over where the free members are: they are whom the appeal draws back, and their
    networks recruit. The region value then weighs with the share of them in the conflict
    places, the home value with the rest; with nobody free, the home value (recruits travel
    from home)."""
    coverage = w.coverage("grievances")
    mem = mem or _memory(w)
    if coverage is not mem.grievances:  # the lever's values change at its start only
        mem.grievances, mem.uniform = coverage, bool(coverage.min() == coverage.max())
    if mem.uniform:  # off, or one value everywhere
        return float(coverage[0])
    pop = w.pop
    where = pop.view("place")[pop.mask(*FREE_STATES)]
    if len(where) == 0:
        return float(coverage[~IN_CONFLICT].max())
    return float(coverage[where].mean())


def public_defections(w: World, now: Census | None = None, mem: Recruiting | None = None) -> None:
    """Disillusioned former members out of the territory speak publicly; the legal deterrence
    is lifted for the share ``policy.defector_voice`` gives where each is (the law of the
    country they are in: the home value at home and in Turkey, the region value in Iraq's and
    Syria's prisons)."""
    pop, mem = w.pop, mem or _memory(w)
    r = mem.r
    idx = (census(w) if now is None else now).speakers
    n = len(idx)
    if n == 0:  # nobody to speak, nothing drawn
        return
    # a rare event: drawn for the few reached at the largest probability (where the lever
    # lifts the deterrence most), then thinned to each one's own where the lever varies
    voice = w.coverage("defector_voice")
    if voice is not mem.voice:  # the lever's values change at its start only
        mem.voice, mem.varies = voice, bool(voice.min() != voice.max())
        mem.most = r.speak_rate * (1.0 - r.legal_deterrence * (1.0 - float(voice.max())))
    most = mem.most
    speak = idx[w.few_of(n, most)]  # (w.chance of them)
    if mem.varies and len(speak):
        deterred = r.legal_deterrence * (1.0 - w.coverage_of("defector_voice", speak))
        speak = speak[w.draw(len(speak)) * most < r.speak_rate * (1.0 - deterred)]
    pop.spoke[speak] = True
    w.count("public_defections", len(speak))


def remobilise(
    w: World, level: float, mem: Recruiting | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Free members in a funded pool (last month) rejoin; new recruits join the largest pool.
    Returns both (now REMOBILISED): those who rejoin, the recruits."""
    t, pop, mem = w.t, w.pop, mem or _memory(w)
    r = mem.r
    n = pop.n  # (remobilisable, into a buffer)
    if n > mem.held.shape[0]:
        mem.room(n)
    k = _rejoining(pop.connected, n, pop.state, pop.entered, np.int16(t), mem.rejoining)
    rejoin = mem.rejoining[w.few_of(k, r.remobilise_rate * level)]  # (w.chance of them)
    pop.move(rejoin, State.REMOBILISED, t)
    # new recruits join the largest pool, tied to the leader who anchors it
    pools = regrouping.memory(w)
    anchor = pools.largest_anchor
    if anchor < 0:
        return rejoin, NOBODY
    # women in the pool's network recruit too, without being counted as fighters
    reach = pools.momentum + pools.support
    mean = r.new_recruits_per_month * level * (reach if reach < 1.0 else 1.0)
    k = int(w.rng.poisson(w.agents(mean)))
    if k == 0:
        return rejoin, NOBODY
    # recruited where the anchor is, with that place's region of origin (issue 10); each
    # array filled in place (np.full costs three calls)
    place = np.empty(k, dtype=np.int8)
    place[:] = pop.place[anchor]
    region = regrouping.REGION_OF_PLACE[place]
    novices = np.empty(k, dtype=np.int8)
    novices[:] = NOVICE
    idx = new_members(w, region, novices, State.REMOBILISED, t, place=place)
    anchors = np.empty(k, dtype=np.intp)
    anchors[:] = anchor
    w.ties.add(idx, anchors, tie_kinds.RECRUITED)
    w.count("new_recruits", k)
    return rejoin, idx


def train(w: World, mem: Recruiting | None = None) -> None:
    """Training in a remobilised group builds the skill of every member now REMOBILISED
    (:func:`_train`; nothing to do with nobody remobilised)."""
    pop = w.pop
    if pop.tally[PEOPLE, _REMOBILISED]:
        _train(pop.state, pop.skill, pop.n, (mem or _memory(w)).gain)


@njit(cache=True)
def _train(state, skill, n, gain):  # pragma: no cover - compiled
    """Add ``gain`` to the skill of the rows ``0..n-1`` in REMOBILISED, at most 1 (in
    float32, as NumPy adds a Python float to a float32 array); the others' skill written
    back as it was. One pass the compiler vectorises (a select, every row written) instead
    of listing the remobilised (``Population.where``) and gathering them: 55-70 -> 17-27 us a
    month (2-6 thousand remobilised of 88-111 thousand rows)."""
    one = np.float32(1.0)
    for i in range(n):
        s = skill[i]
        skill[i] = min(one, s + gain) if state[i] == _REMOBILISED else s


def step(w: World) -> None:
    mem = _memory(w)
    now = census(w)  # nobody moves before remobilise: one look serves until then
    public_defections(w, now, mem)
    level = appeal(w, now, mem)
    w.record("appeal", level)
    if w.territory_lost:
        remobilise(w, level, mem)
    train(w, mem)  # the remobilised, those who rejoined and the recruits
