"""Prison (seed 003): sentences and releases over the next decade; peer influence inside
(Camp Bucca) pulls each prisoner's ideology and loyalty toward the cell's mix, weighted toward
its most extreme members, either way; prisoners disengage at a rate; cellmates form ties;
isolation measures (``prison.isolation`` raised by ``policy.prison_measures``, by the place of
the prison) cut influence and ties. Admission seizes a share of the prisoner's money. Released
prisoners are watched only where intelligence sharing reaches (``justice``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, RangeIn, Strict, param, range_param
from regroup.core import ties as tie_kinds
from regroup.core.population import NOBODY, PEOPLE, Field, Rows, move_rows
from regroup.core.states import IN_CONFLICT, Custody, Role, State, code_bits
from regroup.core.world import PERSONS, Output

if TYPE_CHECKING:
    from regroup.core.population import Population
    from regroup.core.world import World

HOME_FACILITY = 1_000_000  # cell labels: (place + 1) x this + cell number
DETAINED, LEADER = int(State.DETAINED), int(Role.LEADER)  # as the compiled kernels read them
PRISON_HOME, IN_PRISON = int(State.PRISON_HOME), int(Custody.PRISON)
FIELDS = {
    "cell": Field(np.int32),  # prison cell or block
    "release": Field(np.int16, -1),  # month a sentence ends
    "ever_released": Field(np.bool_),
    "ever_imprisoned": Field(np.bool_),  # ever in a state prison (not a camp or border custody)
}
OUTPUTS = {"executed_by_states": Output(PERSONS, "Executed in prisons in the region.", flow=True)}


class Prison(Strict):
    sentence_home_years: RangeIn(0, 50) = range_param(
        3,
        10,
        "years",
        "fitted: uniform 3-10 years, mean 6.5, inside the average EU terrorism sentence of 5-8.6 "
        "years (Europol TE-SAT 2017; GLOBSEC 2018); the spread an assumption",
        "Sentence at home (uniform).",
        ge=0,
        le=50,
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.8, mode=1, high=1.25),
    )
    sentence_region_years: RangeIn(0, 50) = range_param(
        5,
        20,
        "years",
        "seed 003 supports the direction (low-level fighters 'may be released over the next "
        "decade'); range assumption",
        "Sentence in Iraqi or Syrian prisons (uniform).",
        ge=0,
        le=50,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.6, high=1.4),
    )
    execution: float = param(
        0.001,
        "probability/month",
        "seed 003 supports the direction (leaders 'faced a high risk of getting sentenced to "
        "death if caught'); value assumption",
        "Monthly probability a prisoner in the region is executed.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.001, sigma=0.6, low=0.0003, high=0.003),
    )
    leader_execution_factor: float = param(
        5.0,
        "factor",
        "seed 003 supports the direction (leaders 'faced a high risk of getting sentenced to "
        "death if caught'); value assumption",
        "Execution risk of imprisoned leaders relative to other prisoners.",
        ge=0,
        le=100,
        evidence="assumption",
        prior=Prior(kind="uniform", low=2, high=10),
    )
    radicalisation: float = param(
        0.04,
        "share of the gap/month",
        "seed 003 supports the direction (guards concerned that 'further radicalisation and "
        "coordination will be ongoing in prisons', as at Camp Bucca); value assumption",
        "Monthly pull of a prisoner's ideology and loyalty toward the cell's mix (either way).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.04, sigma=0.35, low=0.02, high=0.08),
    )
    zeal_weight: float = param(
        2.0,
        "factor",
        "seed 003 supports the direction (radicalisation 'ongoing in prisons': the committed set "
        "the tone); value assumption (0: the plain mean of the cell; large: near its most "
        "extreme member)",
        "Extra weight of a cellmate's views in the cell's mix per unit of their ideology.",
        ge=0,
        le=50,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=6.0),
    )
    disengagement: float = param(
        0.001,
        "ideology and loyalty/month",
        "assumption (disengagement in prison happens; no seed gives a rate); the prior is "
        "bounded by terrorism reoffending after release of 1.6-4.8% (Renard 2020; Hodwitz "
        "2019): at the other defaults, above about 0.003 a month reoffending falls below 1.6%",
        "Monthly loss of ideology and loyalty of every prisoner (disengagement).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.003),
    )
    seizure_share: float = param(
        0.5,
        "share",
        "assumption (the model's design: arrests seize money); value assumption",
        "Share of a person's funds seized when they are imprisoned.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.9),
    )
    tie_formation: float = param(
        0.05,
        "probability/month",
        "seed 003 supports the direction ('further radicalisation and coordination will be "
        "ongoing in prisons', as at Camp Bucca); value assumption",
        "Monthly probability a prisoner forms a tie with a cellmate.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.05, sigma=0.4, low=0.02, high=0.1),
    )
    isolation: float = param(
        0.1,
        "share",
        ASSUMPTION,
        "Baseline isolation of extremist prisoners: cuts radicalisation and tie formation.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.3),
    )
    cell_size: int = param(
        20,
        "persons",
        ASSUMPTION,
        "Prisoners per cell or block.",
        ge=2,
        le=500,
        evidence="assumption",
        prior=Prior(kind="triangular", low=8, mode=20, high=50),
    )


def admit(w: World, idx: np.ndarray, home: bool) -> None:
    """Imprison ``idx`` in the region (DETAINED) or at home (PRISON_HOME) with a sentence."""
    if len(idx) == 0:
        return
    inmates, pop = w.memory(Inmates), w.pop
    terms = inmates.admission(w, home)
    rows = np.array(idx, dtype=np.intp)  # kept: the next step adds them to its inmates
    _admission(
        rows, w.t, w.draw(2 * len(rows)), terms, pop.place, pop.home, pop.release, pop.cell,
        pop.known, pop.ever_imprisoned, pop.funds, pop.state, pop.entered, pop.custody,
        pop.tally,
    )  # fmt: skip
    pop.moved(rows, w.t)
    inmates.admitted.append(rows)


# the terms of an admission (Inmates.admission), as _admission reads them
LOW, SPAN, CELL_SIZE, KEPT, HOME, STATE, CUSTODY = range(7)


@njit(cache=True)
def _admission(
    idx, t, draw, terms, place, home_place, release, cell_label, known, ever, funds, state,
    entered, custody, tally,
):  # pragma: no cover - compiled  # fmt: skip
    """Admission of each ``idx[j]`` on the ``terms`` of :meth:`Inmates.admission`: the month
    the sentence (uniform between ``low`` and ``low + span`` years, from ``draw[j]``) ends;
    where held (``place``): the home country at home, otherwise where caught in a conflict
    place (Iraq, Syria, another theatre), and a local caught outside them is handed over to
    Iraq or Syria; one of that place's facility's cells (as many as the prisoners in the
    state with those admitted, per ``cell_size``, at least one; uniform, from
    ``draw[k + j]``; cells never mix prisoners of two countries); known; ``kept`` of their
    money left after the seizure; then moved into the prison's state and custody
    (:func:`move_rows`; ``tally``: :attr:`Population.tally`). Everyone's values are read
    before any is written, as NumPy's fancy indexing does when a row repeats."""
    k = len(idx)
    low, span, home = terms[LOW], terms[SPAN], terms[HOME] != 0
    kept, into, code = np.float32(terms[KEPT]), np.int64(terms[STATE]), np.int64(terms[CUSTODY])
    cells = max(1, (tally[PEOPLE, into] + k) // np.int64(terms[CELL_SIZE]))
    held_at = np.empty(k, dtype=place.dtype)
    left = np.empty(k, dtype=funds.dtype)
    for j in range(k):
        i = idx[j]
        held_at[j] = place[i] if not home and IN_CONFLICT[place[i]] else home_place[i]
        left[j] = funds[i] * kept
    for j in range(k):
        i = idx[j]
        release[i] = np.int16(t + np.ceil((low + span * draw[j]) * 12))
        cell = min(np.int64(draw[k + j] * cells), cells - 1)
        cell_label[i] = np.int32((np.int64(held_at[j]) + 1) * HOME_FACILITY + cell)
        known[i] = True
        ever[i] = True
        funds[i] = left[j]
        place[i] = held_at[j]
    move_rows(idx, into, t, code, state, entered, custody, tally)


def isolation(w: World, idx: np.ndarray) -> np.ndarray:
    """Isolation of each prisoner in ``idx`` (see :func:`isolation_by_place`)."""
    return isolation_by_place(w)[w.pop.place[idx]]


def isolation_by_place(w: World) -> np.ndarray:
    """Isolation of prisoners in each place (indexed by :class:`Place`): the baseline
    ``prison.isolation``, raised by the share of prisoners under measures where the prison is
    (``policy.prison_measures``: its region value in Iraq's and Syria's prisons, its home
    value in home prisons)."""
    base = w.group(Prison).isolation
    return base + w.coverage("prison_measures") * (1.0 - base)


def monitor_released(w: World, idx: np.ndarray) -> None:
    """Whether the authorities watch the released ``idx``: decided by ``justice`` (which
    imports this module, hence the import here)."""
    from regroup.mechanisms.justice import monitor_released as decide

    decide(w, idx)


def held_in(pop: Population, custody: Custody, *states: State) -> np.ndarray:
    """Rows DETAINED in ``custody``, or in any of ``states``, in increasing order: one
    compiled pass over the rows (cheaper than ``pop.where`` of the states, then a filter)."""
    return _held_in(pop.state, pop.custody, pop.n, code_bits(*states), int(custody))


@njit(cache=True)
def _held_in(state, custody, n, wanted, code):  # pragma: no cover - compiled
    """Rows ``0..n-1`` in a state whose bit is set in ``wanted``, or DETAINED in custody
    ``code``."""
    out = np.empty(n + 1, dtype=np.intp)
    k = 0
    for i in range(n):  # writes every row, keeps those held (branch-free)
        s = np.int64(state[i])
        out[k] = i
        k += ((wanted >> s) & 1) | np.int64((s == DETAINED) & (custody[i] == code))
    return out[:k]


class Inmates(Rows):
    """The prisoners kept between months (``w.memory``), in increasing order, brought up to
    date each month from the rows admitted since (:func:`admit` notes them) and the rows
    added since, instead of a pass over every row: a row becomes an inmate only by
    :func:`admit` or by being added as one, and any move out shows in its state."""

    FIELDS = {"mark": np.uint8}

    def __init__(self) -> None:
        super().__init__()
        self.rows = NOBODY
        self.admitted: list[np.ndarray] = []  # rows admitted since the last update
        self.seen = 0  # rows at the last update
        self.terms: dict[bool, np.ndarray] = {}  # of an admission at home, in the region

    def admission(self, w: World, home: bool) -> np.ndarray:
        """The terms of an admission at home or in the region for the run (kept): the
        sentence's lowest years and span, ``cell_size``, the share of money kept after the
        seizure (a float32), whether at home, the state and custody of those admitted; as
        one array for :func:`_admission` (made at the first admission of each kind)."""
        if home in self.terms:
            return self.terms[home]
        p = w.group(Prison)
        years = p.sentence_home_years if home else p.sentence_region_years
        low, span = float(years.low), float(years.high) - float(years.low)
        state = State.PRISON_HOME if home else State.DETAINED
        custody = Custody.NONE if home else Custody.PRISON
        kept = np.float32(1.0 - p.seizure_share)
        terms = [low, span, p.cell_size, kept, home, state, custody]
        self.terms[home] = np.array(terms, dtype=np.float64)
        return self.terms[home]

    def update(self, pop: Population) -> np.ndarray:
        """Serving a sentence now, in increasing order: in a regional prison (not a camp or
        border custody), or at home."""
        self.fit(pop)
        fresh = np.concatenate(self.admitted) if self.admitted else NOBODY
        # the rows unsigned: no negative-index wraparound at each read (12% off)
        self.rows = _roster(
            self.rows.view(np.uint64), fresh.astype(np.intp, copy=False).view(np.uint64),
            self.seen, pop.n, pop.state, pop.custody, self.mark,
        )  # fmt: skip
        self.admitted, self.seen = [], pop.n
        return self.rows


@njit(cache=True, inline="always")
def _serving(state, custody, i):  # pragma: no cover - compiled
    """Whether row ``i`` serves a sentence: in prison at home, or DETAINED in a prison."""
    s = state[i]
    return (s == PRISON_HOME) | ((s == DETAINED) & (custody[i] == IN_PRISON))


@njit(cache=True)
def _roster(rows, fresh, seen, n, state, custody, mark):  # pragma: no cover - compiled
    """:meth:`Inmates.update`: the kept ``rows`` still serving a sentence, merged with the
    ``fresh`` rows (admitted since, repeats allowed; and the rows ``seen..n-1`` added since)
    now serving; ``mark`` (zero per row) is used and left zero."""
    for i in fresh:
        mark[i] = 1
    new = np.empty(len(fresh) + n - seen, dtype=np.intp)
    k = 0
    for i in fresh:  # each once
        if mark[i] == 1:
            mark[i] = 2
            new[k] = i
            k += _serving(state, custody, i)
    for i in range(seen, n):
        new[k] = i
        k += (mark[i] == 0) & _serving(state, custody, i)
    new = np.sort(new[:k])
    out = np.empty(len(rows) + k, dtype=np.intp)
    a = b = 0
    for i in rows:
        if (mark[i] == 0) & _serving(state, custody, i):
            while b < k and new[b] < i:
                out[a] = new[b]
                a, b = a + 1, b + 1
            out[a] = i
            a += 1
    for j in range(b, k):
        out[a] = new[j]
        a += 1
    for i in fresh:
        mark[i] = 0
    return out[:a]


def cells(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group people by their cell label: ``(order, group, start, size)``.

    ``order`` lists positions in ``cell`` sorted by cell (stably); ``group`` numbers each
    position's cell in that order; a cell's members are ``order[start[g]:start[g] + size[g]]``.
    """
    return _cells(cell)


@njit(cache=True)
def _cells(cell):  # pragma: no cover - compiled
    """:func:`cells`: labels made dense keys in the same order (facility, then cell within
    it), counted into place (a stable counting sort), or sorted stably if too sparse. Keys,
    positions and the order are read as unsigned where they index (no wraparound test)."""
    n = len(cell)
    facility = np.empty(n, dtype=np.intp)
    key = np.empty(n, dtype=np.intp)  # the cell within the facility, then the dense key
    low, high, span = HOME_FACILITY, 0, 1
    for j in range(n):  # labels are never negative: an unsigned division is a multiply
        label = np.uint32(cell[j])
        f = label // np.uint32(HOME_FACILITY)
        facility[j], key[j] = f, label - f * np.uint32(HOME_FACILITY)
        low, high, span = min(low, facility[j]), max(high, facility[j]), max(span, key[j] + 1)
    for j in range(n):
        key[j] += (facility[j] - low) * span
    keys = max(high - low + 1, 1) * span
    if keys <= 4 * n + 65536:
        first = np.zeros(keys + 1, dtype=np.intp)  # becomes the first position of each key
        ukey, counts = key.view(np.uint64), first[1:]  # unsigned: no wraparound at each read
        for j in range(n):
            counts[ukey[j]] += 1
        for c in range(1, keys + 1):
            first[c] += first[c - 1]
        order = np.empty(n, dtype=np.intp)
        at = first.view(np.uint64)
        for j in range(n):
            p = at[ukey[j]]
            order[p] = j
            at[ukey[j]] = p + np.uint64(1)
    else:
        order = np.argsort(key, kind="mergesort")
    group = np.empty(n, dtype=np.intp)
    start = np.empty(n + 1, dtype=np.intp)
    g, last = -1, -1
    rank = order.view(np.uint64)
    for j in range(n):
        if key[rank[j]] != last:
            g += 1
            start[g] = j
            last = key[rank[j]]
        group[rank[j]] = g
    start[g + 1] = n
    return order, group, start[: g + 1].copy(), np.diff(start[: g + 2])


@njit(cache=True)
def _sentences(idx, state, entered, release, ever_released, t):  # pragma: no cover - compiled
    """Of the prisoners ``idx``, those settled before month ``t``: whose sentence has ended
    (their rows, marked ``ever_released``), and those in the region's prisons (DETAINED) who
    may be executed (their positions in ``idx``; each one's risk is looked up only for those
    the draws pick, :func:`_executions`); also whether each prisoner stays (not released)."""
    k = len(idx)
    released = np.empty(k, dtype=np.intp)
    regional = np.empty(k, dtype=np.intp)
    stays = np.ones(k, dtype=np.bool_)
    a = b = 0
    for j in range(k):
        i = idx[j]
        if entered[i] >= t:
            continue
        if release[i] <= t:
            released[a] = i
            ever_released[i] = True
            stays[j] = False
            a += 1
        else:  # writes each one serving on, keeps those in the region's prisons
            regional[b] = j
            b += state[i] == DETAINED
    return released[:a], regional[:b], stays


@njit(cache=True)
def _executions(
    idx, stays, regional, role, picked, thin, execution, leader_factor, top
):  # pragma: no cover - compiled
    """The rows executed (of the ``regional`` positions ``picked`` at the highest risk
    ``top``, those whose ``thin`` draw falls below their own risk over ``top``: ``execution``
    a month, leaders' ``leader_factor`` times higher), no longer marked as staying in
    ``stays``."""
    executed = np.empty(len(picked), dtype=np.intp)
    e = 0
    for m in range(len(picked)):
        j = regional[picked[m]]
        risk = execution * (leader_factor if role[idx[j]] == LEADER else 1.0)
        if thin[m] < risk / top:
            executed[e] = idx[j]
            stays[j] = False
            e += 1
    return executed[:e]


@njit(cache=True)
def _segment_sum(x, lo, n):  # pragma: no cover - compiled
    """Sum of ``x[lo:lo + n]`` (float32) exactly as NumPy's pairwise summation adds it."""
    if n < 8:
        res = np.float32(0.0)
        for i in range(lo, lo + n):
            res += x[i]
        return res
    if n <= 128:  # eight running sums, then the remainder
        end = lo + n - n % 8
        res = _eight_sums(x, lo, end)
        for i in range(end, lo + n):
            res += x[i]
        return res
    half = n // 2
    half -= half % 8
    return _segment_sum(x, lo, half) + _segment_sum(x, lo + half, n - half)


@njit(cache=True, inline="always")
def _eight_sums(x, lo, end):  # pragma: no cover - compiled
    """NumPy's unrolled sum of ``x[lo:end]`` (a multiple of eight values): eight running sums,
    added in pairs."""
    r0, r1, r2, r3 = x[lo], x[lo + 1], x[lo + 2], x[lo + 3]
    r4, r5, r6, r7 = x[lo + 4], x[lo + 5], x[lo + 6], x[lo + 7]
    i = lo + 8
    while i < end:
        r0, r1, r2, r3 = r0 + x[i], r1 + x[i + 1], r2 + x[i + 2], r3 + x[i + 3]
        r4, r5, r6, r7 = r4 + x[i + 4], r5 + x[i + 5], r6 + x[i + 6], r7 + x[i + 7]
        i += 8
    return ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))


@njit(cache=True)
def _cell_sums(weight, weighted, start, size):  # pragma: no cover - compiled
    """``np.add.reduceat(x, start)`` of the float32 ``weight`` and of both rows of
    ``weighted`` (rows 0-2 of the result): each segment's first value plus the NumPy sum of
    the rest (:func:`_segment_sum`; the three together in one loop up to 129 members, the
    usual cell)."""
    out = np.empty((3, len(start)), dtype=np.float32)
    ideologies, loyalties = weighted[0], weighted[1]
    for g in range(len(start)):
        lo, n = start[g], size[g]
        first, end, last = lo + 1, lo + n, lo + n
        if n <= 8:  # one by one
            r0 = r1 = r2 = np.float32(0.0)
        elif n <= 129:  # eight running sums, then the remainder one by one
            end = last - (n - 1) % 8
            r0, r1 = _eight_sums(weight, first, end), _eight_sums(ideologies, first, end)
            r2 = _eight_sums(loyalties, first, end)
            first = end
        else:  # pairwise halves
            r0, r1 = _segment_sum(weight, first, n - 1), _segment_sum(ideologies, first, n - 1)
            r2 = _segment_sum(loyalties, first, n - 1)
            first = last
        for i in range(first, last):
            r0 += weight[i]
            r1 += ideologies[i]
            r2 += loyalties[i]
        out[0, g] = weight[lo] + r0
        out[1, g] = ideologies[lo] + r1
        out[2, g] = loyalties[lo] + r2
    return out


@njit(cache=True)
def _influence(
    idx, order, start, size, group, place, ideology, loyalty, pull, zeal_weight, disengagement
):  # pragma: no cover - compiled
    """Pull each prisoner ``idx[j]``'s ideology and loyalty toward the cell's mix (weighted
    ``1 + zeal_weight x ideology``, the committed set the tone) by the share ``pull`` of the
    gap where the prison is (per place), less ``disengagement`` (both float32: computed as the
    views are kept), within 0-1; the cells as :func:`cells` gives them."""
    k = len(idx)
    views = np.empty((2, k), dtype=np.float32)  # ideology, loyalty of each prisoner
    for j in range(k):
        views[0, j], views[1, j] = ideology[idx[j]], loyalty[idx[j]]
    weight = np.empty(k, dtype=np.float32)  # in cell order
    weighted = np.empty((2, k), dtype=np.float32)
    for j in range(k):
        o = order[j]
        weight[j] = np.float32(1.0) + zeal_weight * views[0, o]
        weighted[0, j], weighted[1, j] = weight[j] * views[0, o], weight[j] * views[1, o]
    sums = _cell_sums(weight, weighted, start, size)
    mix = np.empty((2, len(start)), dtype=np.float32)  # ideology, loyalty of each cell
    for g in range(len(start)):
        mix[0, g], mix[1, g] = sums[1, g] / sums[0, g], sums[2, g] / sums[0, g]
    held_at, cell_of = place.view(np.uint8), group.view(np.uint64)  # unsigned: no wraparound
    zero, one = np.float32(0.0), np.float32(1.0)
    for j in range(k):  # in float32, as the views are kept (float64 halves the vector width)
        i = idx[j]
        g, share = cell_of[j], pull[held_at[i]]
        x = views[0, j]
        ideology[i] = min(max(x + share * (mix[0, g] - x) - disengagement, zero), one)
        x = views[1, j]
        loyalty[i] = min(max(x + share * (mix[1, g] - x) - disengagement, zero), one)


@njit(cache=True)
def _in_cells(
    held, stays, cell, place, ideology, loyalty, picked, thin, pull, chance, top, zeal_weight,
    disengagement,
):  # pragma: no cover - compiled  # fmt: skip
    """A month in the cells for the prisoners left (``idx``: those of ``held`` who ``stays``):
    grouped by cell (:func:`cells`), pulled toward their cell's mix (:func:`_influence`);
    returns the positions in ``idx`` of those who form a tie (of the positions ``picked`` at
    the highest chance ``top``, those whose ``thin`` draw falls below the ``chance`` where
    they are held over ``top``), the cells (``order, group, start, size``) and ``idx``."""
    idx = np.empty(len(held), dtype=np.uint64)  # unsigned: no wraparound at each read
    label = np.empty(len(held), dtype=cell.dtype)
    k = 0
    for q in range(len(held)):  # writes every prisoner, keeps those who stay (branch-free)
        idx[k], label[k] = held[q], cell[held[q]]
        k += stays[q]
    idx, label = idx[:k], label[:k]
    order, group, start, size = _cells(label)
    _influence(
        idx, order, start, size, group, place, ideology, loyalty, pull, zeal_weight, disengagement
    )
    forming = np.empty(len(picked), dtype=np.intp)
    f = 0
    for m in range(len(picked)):
        forming[f] = picked[m]  # writes each one picked, keeps those who form a tie
        f += thin[m] < chance[place[idx[picked[m]]]] / top
    return forming[:f], order, group, start, size, idx


@njit(cache=True)
def _mates(forming, draw, order, group, start, size, idx):  # pragma: no cover - compiled
    """The rows of ``idx`` at the positions ``forming``, and for each a cellmate's row
    (``draw`` picks one of the cell's members, themselves included)."""
    rows = np.empty(len(forming), dtype=np.intp)
    mates = np.empty(len(forming), dtype=np.intp)
    for j in range(len(forming)):
        g = group[forming[j]]
        rows[j] = idx[forming[j]]
        mates[j] = idx[order[start[g] + np.int64(draw[j] * size[g])]]
    return rows, mates


class CellRates:
    """The cells' monthly rates per place, kept for a run (``w.memory``): recomputed only
    when the coverage of ``policy.prison_measures`` changes (at the lever's start)."""

    def __init__(self) -> None:
        self.coverage: np.ndarray | None = None
        self.pull = self.chance = np.empty(0)  # radicalisation, tie formation per place
        self.top = 0.0  # the highest chance of tie formation
        self.disengagement = np.float32(0.0)

    def of(self, w: World) -> CellRates:
        """The rates this month (``prison.radicalisation`` and ``prison.tie_formation`` where
        isolation does not reach, :func:`isolation_by_place`; ``prison.disengagement``). The
        pull and the disengagement are float32, as the views they change are kept."""
        coverage = w.coverage("prison_measures")
        if coverage is not self.coverage:
            p, open_share = w.group(Prison), 1.0 - isolation_by_place(w)
            self.coverage = coverage
            self.pull = (p.radicalisation * open_share).astype(np.float32)
            self.chance = p.tie_formation * open_share
            self.top = float(self.chance.max())
            self.disengagement = np.float32(p.disengagement)
        return self


def step(w: World) -> None:
    p, t, pop = w.group(Prison), w.t, w.pop
    idx = w.memory(Inmates).update(pop)
    rows = idx.view(np.uint64)  # unsigned for the kernels: no negative-index wraparound
    released, regional, stays = _sentences(
        rows, pop.state, pop.entered, pop.release, pop.ever_released, t
    )
    pop.move(released, State.RELEASED, t)
    monitor_released(w, released)  # under watch only with intelligence sharing

    top = min(p.execution * max(p.leader_execution_factor, 1.0), 1.0)  # the highest risk
    picked = w.few_of(len(regional), top)  # who may be executed, at the highest risk
    thin = w.draw(len(picked))  # each kept at their own risk
    executed = _executions(
        idx, stays, regional, pop.role, picked, thin, p.execution, p.leader_execution_factor, top
    )
    pop.move(executed, State.DEAD, t)
    w.count("executed_by_states", len(executed))
    left = len(idx) - len(released) - len(executed)  # those who stay
    if left < 2:
        return

    rates = w.memory(CellRates).of(w)
    picked = w.few_of(left, rates.top)  # who forms a tie (the influence draws nothing)
    thin = w.draw(len(picked))  # each kept at their own rate
    forming, order, group, start, size, idx = _in_cells(
        rows, stays, pop.cell, pop.place, pop.ideology, pop.loyalty, picked, thin, rates.pull,
        rates.chance, rates.top, np.float32(p.zeal_weight), rates.disengagement,
    )  # fmt: skip
    if len(forming):
        w.ties.add(
            *_mates(forming, w.draw(len(forming)), order, group, start, size, idx), tie_kinds.CELL
        )
