"""Return and justice (seeds 002, 004): deportation after border capture, repatriation
from prisons and camps, prosecution at home (most returnees are imprisoned), and
monitoring of the free (the rest may vanish from view); screening flags the 'dangerous' for
monitoring unless they pass as disavowed (seed 000). Released people are monitored like
returnees only where intelligence sharing reaches (``policy.intelligence_sharing``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, RegionFactors, Strict, param, table
from regroup.core.population import Field, move_rows
from regroup.core.states import Custody, Disposition, Region, State
from regroup.core.world import distinct
from regroup.mechanisms import prison
from regroup.mechanisms.hiding import first_back_home, going_home

if TYPE_CHECKING:
    from regroup.core.world import World


FIELDS = {"monitored": Field(np.bool_)}  # a free returnee the authorities watch


class Justice(Strict):
    """Return home, prosecution, monitoring."""

    repatriation: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.003,
            "europe_turkey": 0.003,
            "former_soviet": 0.005,
            "middle_east_gulf": 0.003,
            "other": 0.003,
        },
        "probability/month",
        "assumption (slow repatriation from camps and prisons in Iraq and Syria)",
        "Monthly probability a detained foreigner is sent home.",
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1, sigma=0.5, low=0.4, high=2.5),
    )
    deportation_months: float = param(
        12.0,
        "months",
        "seed 000 supports the mechanism (defectors 'surrendered to border police' in Turkey); "
        "months assumption",
        "Mean months before a foreigner caught leaving is deported home (many were held "
        "for long in Turkey, or by the forces that caught them).",
        ge=0.5,
        le=24,
        evidence="assumption",
        prior=Prior(kind="triangular", low=3, mode=12, high=24),
    )
    prosecution: float = param(
        0.55,
        "share",
        "seed 004 supports the direction ('Most are imprisoned, or disappear from view'); seed "
        "002 ('Almost all returnees face legal proceedings'); share assumption",
        "Share of returnees who are prosecuted and imprisoned.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.35, high=0.8),
    )
    monitored: float = param(
        0.6,
        "share",
        "seed 004 supports the direction (security forces 'do not have the resources to monitor' "
        "returnees; many 'disappear from view'); share assumption",
        "Share of free returnees the authorities monitor (the rest vanish from view).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.3, high=0.85),
    )
    screening_pass: float = param(
        0.5,
        "share",
        "seed 000 supports the direction (the dangerous 'have not disavowed their beliefs but "
        "pretend to have done so'); share assumption",
        "Share of 'dangerous' free returnees who pass screening (the rest are monitored).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.9),
    )
    camp_release: float = param(
        0.004,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a local held in a camp is released.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.004, sigma=0.5, low=0.0015, high=0.01),
    )


def arrive_home(w: World, idx: np.ndarray) -> None:
    """Foreigners reach their home country: prosecuted and imprisoned, or free (and watched
    or not, as :func:`watch` decides). One compiled call (:func:`_arrival`) with one draw
    of ``3 n``: the ``n`` of the split, the ``2 k`` of the ``k`` admissions
    (:func:`prison.admit`), the ``2 (n - k)`` of the free's watch, as three consecutive draws
    gave them."""
    n = len(idx)
    if n == 0:
        return
    court, pop, t = w.memory(Court), w.pop, w.t
    if court.size < 0:
        court.fit(w)
    inmates = court.inmates
    rows, k = _arrival(
        idx, w.rng.random(3 * n), t, court.terms, inmates.terms[True], pop.returned, pop.home,
        pop.place, pop.release, pop.cell, pop.known, pop.ever_imprisoned, pop.funds,
        pop.state, pop.entered, pop.custody, inmates.tally, pop.disposition, pop.monitored,
    )  # fmt: skip
    pop.moved(rows, t)  # the prosecuted, then the free (as admit, then move, noted them)
    if k:
        inmates.note(rows[:k])


def watch(w: World, free: np.ndarray) -> None:
    """Decide who among the ``free`` the authorities monitor: ``justice.monitored`` of them,
    and screening flags the 'dangerous' unless they pass as disavowed (seed 000)."""
    if len(free) == 0:  # nobody to decide about (no draws are skipped: they would be empty)
        return
    j, pop = w.group(Justice), w.pop
    _watch(
        free, w.draw(2 * len(free)), j.monitored, j.screening_pass, pop.disposition,
        pop.monitored, pop.known,
    )  # fmt: skip


def monitor_released(w: World, idx: np.ndarray) -> None:
    """People released from state custody (``idx``) are watched only where intelligence
    sharing reaches (``policy.intelligence_sharing``, by where they are released): there they
    come under the returnees' monitoring (:func:`watch`); elsewhere nobody follows them up
    (seed 004: returnees 'disappear from view'), and a flag from an earlier return lapses."""
    if len(idx) == 0:
        return
    w.pop.monitored[idx] = False
    if w.lever_on("intelligence_sharing"):  # no draws without it: the baseline is unchanged
        reached = w.draw(len(idx)) < w.coverage_of("intelligence_sharing", idx)
        watch(w, idx[reached])


class Court:
    """Per run (``w.memory``): what :func:`step` reads each month, made in its first month
    (:meth:`fit`): the repatriation probability by region (locals 0) and the largest of
    them, the monthly probability of deportation, of release from a camp, an arrival's
    ``terms`` (prosecution, monitored, screening pass: :func:`_arrival`), prison's memory
    (:func:`prison.inmates`); and a buffer of three rows of row indices for the month's
    selections, grown with the population."""

    def __init__(self) -> None:
        self.size = -1  # the buffer's length (-1: the run's values not made yet)
        self.rows = np.empty((3, 0), dtype=np.intp)

    def fit(self, w: World) -> None:
        """Fill the run's values (first month) and grow the buffer past ``pop.n`` rows."""
        if self.size < 0:
            j = w.group(Justice)
            self.repatriation = w.table(j.repatriation, local=0.0)
            self.most = float(self.repatriation.max())
            self.deportation = 1.0 / j.deportation_months
            self.camp_release = j.camp_release
            self.terms = np.array([j.prosecution, j.monitored, j.screening_pass])
            self.inmates = prison.inmates(w)
        self.size = 2 * w.pop.n + 1024
        self.rows = np.empty((3, self.size), dtype=np.intp)


def step(w: World) -> None:
    t, pop, court = w.t, w.pop, w.memory(Court)
    if court.size < pop.n:
        court.fit(w)
    rows = court.rows
    held = pop.where(State.DETAINED, t=t)
    if len(held):
        # foreigners are sent home, a rare event (w.chance: no draw for each): those caught at
        # the border by deportation; the others by their region's repatriation, drawn for the
        # few reached at the largest region's probability, then thinned to their own
        border, foreign, camp = _in_custody(held, pop.custody, pop.region, rows)
        # World.chance's draws for the deported (how many, then which), then for the
        # reached, then the reached's thinning (one call: the two consecutive draws)
        k = w.how_many(border, court.deportation)
        deported = w.draw(k) if k else NO_DRAWS
        k = w.how_many(foreign, court.most)
        reached = w.draw(2 * k) if k else NO_DRAWS
        # those sent home into row 0 (row 2 is in use)
        sent = _sent_home(
            rows, border, foreign, deported, reached, court.most, court.repatriation, pop.region
        )
        if sent:
            arrive_home(w, rows[0, :sent])
        released = w.chance(rows[2, :camp], court.camp_release)
        pop.move(released, State.RELEASED, t)
        monitor_released(w, released)

    abroad = pop.where(State.HIDING_ABROAD, t=t)
    if len(abroad):
        foreign = _foreign_with_papers(abroad, pop.documents, pop.region, rows[0])
        arrive_home(w, going_home(w, rows[0, :foreign]))


_BORDER, _CAMP = int(Custody.BORDER), int(Custody.CAMP)
_RETURNED, _NO_CUSTODY = int(State.RETURNED), int(Custody.NONE)
# an arrival's terms (Court.terms), as _arrival reads them
PROSECUTION, MONITORED, SCREENING_PASS = range(3)
_LOCAL, _DANGEROUS = int(Region.LOCAL), int(Disposition.DANGEROUS)
NO_DRAWS = np.empty(0)  # the uniform numbers of nobody picked


@njit(cache=True)
def _in_custody(held, custody, region, out):  # pragma: no cover - compiled
    """``held`` (detained in the region, increasing) by what may happen to them this month,
    each in order into a row of ``out``: the foreigners caught at the border (to be deported,
    row 0), the other foreigners (to be repatriated, row 1), and the locals held in a camp
    (to be released, row 2); returns how many in each."""
    a = b = c = 0
    for i in held.view(np.uint64):  # writes every row to each, keeps those wanted (branch-free)
        local, kind = region[i] == _LOCAL, custody[i]
        out[0, a], out[1, b], out[2, c] = i, i, i
        a += (not local) & (kind == _BORDER)
        b += (not local) & (kind != _BORDER)
        c += local & (kind == _CAMP)
    return a, b, c


@njit(cache=True)
def _sent_home(
    rows, border, foreign, deported, reached, most, repatriation, region
):  # pragma: no cover - compiled
    """Those sent home this month, in increasing order into row 0 of ``rows`` (returns how
    many), as ``World.chance`` would pick them (:func:`distinct` of the uniform numbers):
    the deported, one of ``deported`` for each, among the first ``border`` of row 0; and
    those reached at the ``most`` likely region's repatriation, the first half of
    ``reached`` for each, among the first ``foreign`` of row 1, whose draw in the second
    half x ``most`` falls below their own region's ``repatriation`` (both increasing, none
    in both). Fused: ``World.chance`` twice and a draw cost more in Python calls than here."""
    gone = rows[0, distinct(deported, border)]  # a copy: row 0 is written below
    k = len(reached) // 2
    chosen = distinct(reached[:k], foreign)
    kept = np.empty(k, dtype=np.intp)
    b = 0
    for j in range(k):
        i = rows[1, chosen[j]]
        kept[b] = i
        b += reached[k + j] * most < repatriation[region[i]]
    out, a, c, d = rows[0], 0, 0, len(gone)
    for m in range(d + b):  # merged in order
        take = c == b or (a < d and gone[a] < kept[c])
        if take:
            out[m] = gone[a]
            a += 1
        else:
            out[m] = kept[c]
            c += 1
    return d + b


@njit(cache=True)
def _arrival(
    idx, draws, t, terms, admission, returned, home, place, release, cell, known, ever, funds,
    state, entered, custody, tally, disposition, monitored,
):  # pragma: no cover - compiled  # fmt: skip
    """Arrival home of the foreigners ``idx`` (``terms``: :attr:`Court.terms`), with
    ``draws`` of ``3 n``, in order: month ``t`` becomes the first month back home of those
    not back before, those whose draw (the first ``n``) falls below ``justice.prosecution``
    are prosecuted (:func:`_arrive`): admitted to prison at home on the terms
    ``admission`` (:func:`prison._admission`, the next ``2 k`` draws); the others are free
    in their ``home`` country (RETURNED) and watched or not (:func:`_watch`, the last
    ``2 (n - k)``). Returns the prosecuted, then the free (each part in the order of
    ``idx``), as a new array, and how many are prosecuted."""
    out, a = _arrive(idx, draws, terms[PROSECUTION], returned, home, place, t)
    n = len(idx)
    if a:
        prison._admission(
            out[:a], t, draws[n : n + 2 * a], admission, place, home, release, cell, known,
            ever, funds, state, entered, custody, tally,
        )  # fmt: skip
    free = out[a:]
    move_rows(free, _RETURNED, t, _NO_CUSTODY, state, entered, custody, tally)
    _watch(
        free, draws[n + 2 * a :], terms[MONITORED], terms[SCREENING_PASS], disposition,
        monitored, known,
    )  # fmt: skip
    return out, a


@njit(cache=True)
def _arrive(idx, draws, share, returned, home, place, t):  # pragma: no cover - compiled
    """Arrival home of the foreigners ``idx``, with a draw each: month ``t`` becomes the first
    month back home of those not back before (:func:`first_back_home`); returns those drawn
    below ``share`` (to be prosecuted), then the others (free, now in their ``home``
    country), each part in the order of ``idx``, and how many are prosecuted."""
    first_back_home(idx, returned, t)
    n = len(idx)
    out = np.empty(n, dtype=np.intp)
    rest = np.empty(n, dtype=np.intp)
    a = b = 0
    for j in range(n):
        hit = draws[j] < share
        out[a], rest[b] = idx[j], idx[j]
        a += hit
        b += not hit
    out[a:] = rest[:b]
    for i in rest[:b]:
        place[i] = home[i]
    return out, a


@njit(cache=True)
def _foreign_with_papers(idx, documents, region, out):  # pragma: no cover - compiled
    """The foreigners among ``idx`` who have documents, in the order of ``idx``, into
    ``out``; returns how many."""
    k = 0
    for i in idx.view(np.uint64):
        out[k] = i
        k += documents[i] & (region[i] != _LOCAL)
    return k


@njit(cache=True)
def _watch(
    free, draws, share, screening_pass, disposition, monitored, known
):  # pragma: no cover - compiled
    """:func:`watch` with two draws per person (the first ``len(free)`` of ``draws``, then the
    next): monitored if the first is below ``share``, except the 'dangerous', who are
    monitored unless the second is below ``screening_pass``; the monitored become known."""
    n = len(free)
    for j in range(n):
        i = free[j]
        if disposition[i] == _DANGEROUS:
            watched = not draws[n + j] < screening_pass
        else:
            watched = draws[j] < share
        monitored[i] = watched
        known[i] = known[i] | watched
