"""Camps (model brief): families held by states in camps in the region (settlers, women,
minors; children whose parents are held) have their own radicalisation, toward the camp's mix
weighted to its most extreme; some are smuggled out, paying or helped by the group's networks
if loyal; repatriation of foreigners is in ``justice``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.population import NOBODY, Population
from regroup.core.states import Custody, Place, Region, State
from regroup.core.world import PERSONS, Output

if TYPE_CHECKING:
    from regroup.core.world import World

OUTPUTS = {"smuggled_from_camps": Output(PERSONS, "Smuggled out of camps.", flow=True)}


class Camps(Strict):
    """Radicalisation in camps and smuggling out."""

    radicalisation: float = param(
        0.03,
        "share of the gap/month",
        "model brief (camps with their own radicalisation); seed 003 supports the direction "
        "(radicalisation in detention, as at Camp Bucca); value assumption",
        "Monthly pull of a detainee's ideology and loyalty toward the camp's mix.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.06),
    )
    zeal_weight: float = param(
        2.0,
        "factor",
        "assumption (the committed set the tone, as in prisons)",
        "Extra weight of a detainee's views in the camp's mix per unit of their ideology.",
        ge=0,
        le=50,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=6.0),
    )
    smuggling: float = param(
        0.004,
        "probability/month",
        "model brief (smuggling out of camps); value assumption",
        "Monthly probability that a detainee who can pay, or who is loyal (the group's "
        "networks pay), is smuggled out of a camp.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.004, sigma=0.6, low=0.001, high=0.015),
    )
    smuggling_fee_usd: float = param(
        2500.0,
        "USD/person",
        "assumption; seed 003's fee out of the territory ($7,000-10,000) supports only the "
        "order of magnitude",
        "Fee to be smuggled out of a camp.",
        ge=0,
        le=1e6,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=2500, sigma=0.5, low=1000, high=8000),
    )


LOCAL = int(Region.LOCAL)  # as the compiled kernels read them
DETAINED, CAMP = int(State.DETAINED), int(Custody.CAMP)


class Held:
    """Per run: the rows held in a camp (DETAINED, custody CAMP) in increasing order, as
    last counted, the rows looked at so far (``seen``) and those sent to a camp since (by
    :func:`detain`). People enter a camp only by :func:`detain` or born in one (new rows, from
    ``demography``): the roster is brought up to date from its own rows still held, those
    sent since and the rows added since, without a pass over every row (a move out of a camp
    writes another custody)."""

    def __init__(self) -> None:
        self.rows = NOBODY
        self.seen = 0
        self.sent: list[np.ndarray] = []
        self.size = -1  # the length of ``able`` (-1: the run's values not made yet)

    def update(self, pop: Population) -> np.ndarray:
        """The rows held in a camp now (see the class), in increasing order."""
        sent = np.sort(np.concatenate(self.sent)) if self.sent else NOBODY
        self.rows = _roster(self.rows, sent, self.seen, pop.n, pop.state, pop.custody)
        self.seen, self.sent = pop.n, []
        return self.rows

    def fit(self, w: World) -> None:
        """For :func:`step`: the run's parameters as its kernels read them (made in its first
        month: the fee, weight and loyalty threshold as float32, see :func:`_camp_month`), and
        ``able``, a buffer of row indices grown past ``pop.n`` rows."""
        if self.size < 0:
            c = w.group(Camps)
            self.radicalisation, self.smuggling = c.radicalisation, c.smuggling
            self.zeal_weight = np.float32(c.zeal_weight)
            self.fee = np.float32(c.smuggling_fee_usd)
            self.loyal_from = np.float32(w.loyal_from)
        self.size = 2 * w.pop.n + 1024
        self.able = np.empty(self.size, dtype=np.intp)


def detain(w: World, idx: np.ndarray) -> None:
    """Send ``idx`` (row indices) to a camp this month: DETAINED in custody CAMP (the way
    into a camp other than birth, see :class:`Held`)."""
    w.pop.move(idx, State.DETAINED, w.t, Custody.CAMP)
    if len(idx):
        w.memory(Held).sent.append(idx)


@njit(cache=True)
def _roster(rows, sent, seen, n, state, custody):  # pragma: no cover - compiled
    """The rows held in a camp (DETAINED, custody CAMP), in increasing order, of: ``rows``
    (the last roster, each below ``seen``) merged with ``sent`` (increasing, repeats allowed;
    those from ``seen`` on are among the next), then the rows ``seen..n-1``. Branch-free
    appends (each row written, kept if held and not the one kept before it). In most months
    nobody was sent: then the last roster is read in a plain pass, without the merge's tests
    (in whole runs, each call's least time over 10 runs alternated, 2.14 -> 1.64 ms a run),
    reading its rows (intp) unsigned through a view: no test for a negative index at each
    read (7.6 -> 6.5 us a call, 1.83 -> 1.56 ms a run)."""
    out = np.empty(len(rows) + len(sent) + n - seen, dtype=np.intp)
    k = a = b = 0
    last = -1
    if len(sent) == 0:  # (the roster has no repeats: no test of the last one kept)
        for i in rows.view(np.uint64):
            out[k] = i
            k += (state[i] == DETAINED) & (custody[i] == CAMP)
        a = len(rows)
    while a < len(rows) or (b < len(sent) and sent[b] < seen):
        if b == len(sent) or sent[b] >= seen or (a < len(rows) and rows[a] <= sent[b]):
            i = rows[a]
            a += 1
        else:
            i = sent[b]
            b += 1
        out[k] = i
        k += (i != last) & (state[i] == DETAINED) & (custody[i] == CAMP)
        last = i
    for i in range(seen, n):
        out[k] = i
        k += (state[i] == DETAINED) & (custody[i] == CAMP)
    return out[:k]


@njit(cache=True)
def _camp_month(
    held,
    region,
    entered,
    ideology,
    loyalty,
    funds,
    t,
    radicalisation,
    zeal_weight,
    fee,
    loyal_from,
    able,
):  # pragma: no cover - compiled
    """A month in the camps for those ``held`` (increasing); those able to leave into
    ``able``, returns how many.

    Each detainee's ideology and loyalty are pulled by ``radicalisation`` of the gap toward
    the mix of their annex (locals and foreigners are held apart), weighted ``1 + zeal_weight
    x ideology`` (the committed set the tone); within 0-1. Sums as ``np.bincount`` adds them
    (in float64, in row order). Able to leave: the detainees held since before month ``t``
    who can pay the ``fee`` or are loyal (loyalty, after the pull, at least ``loyal_from``:
    the group's networks pay), in row order. ``fee`` and ``loyal_from`` come as float32, as
    NumPy compares a float32 array with a number. One pass over the detainees sums the
    mix, one pulls and selects, both without a branch on the annex: each row adds to all six
    sums, times 1 for its annex and 0 for the other (adding 0.0 leaves a sum's bits as they
    are), and reads its annex's mix by a select. In whole runs (each call's least time over
    10 runs of one seed, alternated) 5.98 -> 5.36 ms a run; the same sums with a branch on
    the annex were faster alone on captured inputs (38 -> 33 us a call) but slower in runs
    (6.45 ms: the branch mispredicts while the rows' reads miss the cache)."""
    rows = held.view(np.uint64)  # unsigned: no negative-index wraparound at each read (10% off)
    one = np.float32(1.0)
    total0 = total1 = ideology0 = ideology1 = loyalty0 = loyalty1 = 0.0  # 0 local, 1 foreign
    for i in rows:
        foreign = np.float64(region[i] != LOCAL)
        local = 1.0 - foreign
        x = ideology[i]
        weight = one + zeal_weight * x
        # float32 products, as NumPy's, then each sum in float64
        by_weight, by_ideology = np.float64(weight), np.float64(weight * x)
        by_loyalty = np.float64(weight * loyalty[i])
        total0 += by_weight * local
        total1 += by_weight * foreign
        ideology0 += by_ideology * local
        ideology1 += by_ideology * foreign
        loyalty0 += by_loyalty * local
        loyalty1 += by_loyalty * foreign
    total0, total1 = max(total0, 1e-12), max(total1, 1e-12)
    mix_ideology0, mix_ideology1 = ideology0 / total0, ideology1 / total1
    mix_loyalty0, mix_loyalty1 = loyalty0 / total0, loyalty1 / total1
    m = 0
    for i in rows:
        foreign = region[i] != LOCAL
        mix_ideology = mix_ideology1 if foreign else mix_ideology0
        mix_loyalty = mix_loyalty1 if foreign else mix_loyalty0
        x = ideology[i]
        ideology[i] = min(max(x + radicalisation * (mix_ideology - x), 0.0), 1.0)
        x = loyalty[i]
        loyalty[i] = min(max(x + radicalisation * (mix_loyalty - x), 0.0), 1.0)
        able[m] = i  # writes every one, keeps those able (branch-free)
        m += (entered[i] < t) & ((funds[i] >= fee) | (loyalty[i] >= loyal_from))
    return m


@njit(cache=True)
def _smuggled(out, region, funds, documents, fee):  # pragma: no cover - compiled
    """Those smuggled out (``out``) pay the ``fee`` (float32) if they can; returns the locals
    then the foreigners among them, each part in order, and how many locals; the foreigners
    travel without documents."""
    rows = np.empty(len(out), dtype=np.intp)
    abroad = np.empty(len(out), dtype=np.intp)
    k = m = 0
    for i in out:
        if funds[i] >= fee:
            funds[i] -= fee
        if region[i] == LOCAL:
            rows[k] = i
            k += 1
        else:
            abroad[m] = i
            documents[i] = False
            m += 1
    rows[k:] = abroad[:m]
    return rows, k


def step(w: World) -> None:
    t, pop, camps = w.t, w.pop, w.memory(Held)
    # radicalisation toward the camp's mix; smuggling out: paying their way, or helped by
    # the group's networks if loyal (w.loyal)
    held = camps.update(pop)
    if len(held) == 0:
        return
    if camps.size < pop.n:
        camps.fit(w)
    able = _camp_month(
        held, pop.region, pop.entered, pop.ideology, pop.loyalty, pop.funds, t,
        camps.radicalisation, camps.zeal_weight, camps.fee, camps.loyal_from, camps.able,
    )  # fmt: skip
    out = w.chance(camps.able[:able], camps.smuggling)
    smuggled = len(out)
    if smuggled == 0:  # (0 counted otherwise)
        return
    w.count("smuggled_from_camps", smuggled)
    rows, local = _smuggled(out, pop.region, pop.funds, pop.documents, camps.fee)
    pop.move(rows[:local], State.HIDING_LOCAL, t)
    pop.move(rows[local:], State.HIDING_ABROAD, t, place=Place.TURKEY)
