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
from regroup.core.population import PEOPLE, Field, Rows, move_rows
from regroup.core.states import IN_CONFLICT, Custody, Role, State, code_bits
from regroup.core.world import PERSONS, Output, distinct

if TYPE_CHECKING:
    from regroup.core.population import Population
    from regroup.core.world import World

HOME_FACILITY = 1_000_000  # cell labels: (place + 1) x this + cell number
DETAINED, LEADER = int(State.DETAINED), int(Role.LEADER)  # as the compiled kernels read them
PRISON_HOME, IN_PRISON = int(State.PRISON_HOME), int(Custody.PRISON)
RELEASED, DEAD, NO_CUSTODY = int(State.RELEASED), int(State.DEAD), int(Custody.NONE)
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
    k = len(idx)
    if k == 0:
        return
    inmates, pop, t = w.memory(Inmates), w.pop, w.t
    if inmates.p is None:
        inmates.start(w)
    rows = np.array(idx, dtype=np.intp)  # kept: the next step adds them to its inmates
    _admission(
        rows, t, w.rng.random(2 * k), inmates.terms[home], pop.place, pop.home,
        pop.release, pop.cell, pop.known, pop.ever_imprisoned, pop.funds, pop.state,
        pop.entered, pop.custody, inmates.tally,
    )  # fmt: skip
    pop.moved(rows, t)
    inmates.note(rows)


def inmates(w: World) -> Inmates:
    """Prison's per-run memory, started (for a rule that admits people in its own compiled
    call with :func:`_admission`, then :meth:`Inmates.note`)."""
    memory = w.memory(Inmates)
    if memory.p is None:
        memory.start(w)
    return memory


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
    """Prison's per-run memory (``w.memory``). The roster: the prisoners kept between months,
    in increasing order (``roster[:count]``), brought up to date each month from the rows
    admitted since (:func:`admit` notes them) and the rows added since, instead of a pass
    over every row: a row becomes an inmate only by :func:`admit` or by being added as one,
    and any move out shows in its state. Buffers over every row that the month's kernels
    write instead of returning new arrays (each returned array costs a boxing); the rows
    released and executed that the step notes as moved (:meth:`Population.moved`) are
    rewritten only by the next month's step, after the month's grouping by state has let go
    of them. The run's constants (made at the first step or admission, :meth:`start`) and the
    cells' rates per place (:meth:`rates`)."""

    FIELDS = {
        "mark": np.uint8,  # zero per row (used by _serve, left zero)
        "roster": np.intp,  # the prisoners, in increasing order
        "stays": np.bool_,  # per prisoner: not released nor executed this month
        "released": np.intp,  # the rows released this month
        "regional": np.intp,  # the positions in the roster of those who may be executed
        "executed": np.intp,  # the rows executed this month
        "kept": np.intp,  # the prisoners who stay (in the cells)
        "order": np.int32,  # positions in ``kept`` in cell order (cells)
        "former": np.intp,  # the rows who form a tie this month
        "first": np.intp,  # the first position (in ``order``) of each one's cell
        "size": np.intp,  # the size of each one's cell
        "mate": np.intp,  # the cellmate each one is tied to
    }
    LISTS = frozenset(FIELDS) - {"mark"}  # written before they are read

    def __init__(self) -> None:
        super().__init__()
        self.count = 0  # prisoners on the roster
        self.fresh = np.empty(1024, dtype=np.intp)  # the rows admitted since the last update
        self.admitted = 0  # how many (in ``fresh``)
        self.seen = 0  # rows at the last update
        self.p: Prison | None = None  # the run's parameters, once started
        self.coverage: np.ndarray | None = None  # of prison measures, for the cells' rates

    def fit(self, pop: Population) -> None:
        """Buffers for every row of ``pop``, the roster kept when they grow."""
        roster = self.roster[: self.count]
        super().fit(pop)
        self.roster[: self.count] = roster

    def note(self, rows: np.ndarray) -> None:
        """Note the rows admitted (``rows``, np.intp) for the next step's roster: copied into
        ``fresh`` (doubled when full)."""
        start, end = self.admitted, self.admitted + len(rows)
        if end > self.fresh.shape[0]:
            self.fresh = np.concatenate([self.fresh[:start], np.empty(end, dtype=np.intp)])
        self.fresh[start:end] = rows
        self.admitted = end

    def start(self, w: World) -> None:
        """The run's constants: the parameters, the terms of an admission at home and in the
        region (:meth:`admission`), the highest risk of execution (a leader's), the zeal
        weight (float32, as the views it weighs), and justice's decision on the released
        (justice imports this module, hence the import here)."""
        from regroup.mechanisms.justice import monitor_released

        p = self.p = w.group(Prison)
        self.terms = {home: self.admission(p, home) for home in (False, True)}
        self.top = min(p.execution * max(p.leader_execution_factor, 1.0), 1.0)
        self.zeal_weight = np.float32(p.zeal_weight)
        self.monitor_released = monitor_released
        self.tally = w.pop.tally  # made once with the population

    @staticmethod
    def admission(p: Prison, home: bool) -> np.ndarray:
        """The terms of an admission at home or in the region: the sentence's lowest years
        and span, ``cell_size``, the share of money kept after the seizure (a float32),
        whether at home, the state and custody of those admitted; as one array for
        :func:`_admission`."""
        years = p.sentence_home_years if home else p.sentence_region_years
        low, span = float(years.low), float(years.high) - float(years.low)
        state = State.PRISON_HOME if home else State.DETAINED
        custody = Custody.NONE if home else Custody.PRISON
        kept = np.float32(1.0 - p.seizure_share)
        terms = [low, span, p.cell_size, kept, home, state, custody]
        return np.array(terms, dtype=np.float64)

    def rates(self, w: World, coverage: np.ndarray) -> None:
        """The cells' monthly rates per place for the lever's ``coverage`` (recomputed only
        when it changes, at the lever's start): ``pull`` (``prison.radicalisation``) and
        ``chance`` (``prison.tie_formation``) where isolation does not reach
        (:func:`isolation_by_place`), ``top_tie`` the highest chance; ``disengagement``. The
        pull and the disengagement are float32, as the views they change are kept."""
        p, open_share = self.p, 1.0 - isolation_by_place(w)
        self.coverage = coverage
        self.pull = (p.radicalisation * open_share).astype(np.float32)
        self.chance = p.tie_formation * open_share
        self.top_tie = float(self.chance.max())
        self.disengagement = np.float32(p.disengagement)


@njit(cache=True, inline="always")
def _serving(state, custody, i):  # pragma: no cover - compiled
    """Whether row ``i`` serves a sentence: in prison at home, or DETAINED in a prison."""
    s = state[i]
    return (s == PRISON_HOME) | ((s == DETAINED) & (custody[i] == IN_PRISON))


@njit(cache=True)
def _roster(roster, count, fresh, seen, n, state, custody, mark):  # pragma: no cover - compiled
    """The roster (``roster[:count]``, in increasing order) brought up to date in place: the
    kept rows still serving a sentence, merged with the ``fresh`` rows (admitted since,
    repeats allowed; and the rows ``seen..n-1`` added since) now serving; returns its
    length. ``mark`` (zero per row) is used and left zero. Rows are read unsigned where they
    index (no wraparound test)."""
    rows, fresh = roster.view(np.uint64), fresh.view(np.uint64)
    for i in fresh:
        mark[i] = 1
    new = np.empty(len(fresh) + n - seen, dtype=np.uint64)
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
    a = 0
    for q in range(count):  # the kept still serving, in place (branch-free)
        i = rows[q]
        rows[a] = i
        a += (mark[i] == 0) & _serving(state, custody, i)
    total = a + k
    out, b = total - 1, k - 1  # merged from the end, in place (none is both kept and new)
    while b >= 0:
        if a > 0 and rows[a - 1] > new[b]:
            rows[out] = rows[a - 1]
            a -= 1
        else:
            rows[out] = new[b]
            b -= 1
        out -= 1
    for i in fresh:
        mark[i] = 0
    return total


def cells(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group people by their cell label: ``(order, group, start, size)``.

    ``order`` lists positions in ``cell`` sorted by cell (stably); ``group`` numbers each
    position's cell in that order; a cell's members are ``order[start[g]:start[g] + size[g]]``.
    """
    order = np.empty(len(cell), dtype=np.int32)
    return (order, *_cells(cell, order))


@njit(cache=True)
def _cells(cell, order):  # pragma: no cover - compiled
    """:func:`cells`, the order written to ``order[:len(cell)]``, ``(group, start, size)``
    returned (:func:`_bounds`, then :func:`_grouped`)."""
    group = np.empty(len(cell), dtype=np.intp)
    low, high, span = _bounds(cell)
    start, size = _grouped(cell, low, high, span, order, group)
    return group, start, size


@njit(cache=True, inline="always")
def _bounds(label):  # pragma: no cover - compiled
    """The lowest and highest facility of the cell labels ``label``, and one more than the
    highest cell within a facility."""
    low, high, span = HOME_FACILITY, 0, 1
    for j in range(len(label)):  # a reduction only (no stores)
        f, c = _split(label[j])
        low, high, span = min(low, f), max(high, f), max(span, c + 1)
    return low, high, span


@njit(cache=True, inline="always")
def _split(label):  # pragma: no cover - compiled
    """A cell label's facility and cell within it (labels are never negative: an unsigned
    division is a multiply)."""
    f = np.uint32(label) // np.uint32(HOME_FACILITY)
    return np.intp(f), np.intp(np.uint32(label) - f * np.uint32(HOME_FACILITY))


@njit(cache=True)
def _grouped(label, low, high, span, order, group):  # pragma: no cover - compiled
    """Positions grouped by cell ``label`` (facilities ``low..high``, cells within them below
    ``span``: :func:`_bounds`): their order (stable) written to ``order``, each one's group
    (numbered in that order) to ``group``; returns each group's first position in the order
    and size. Labels made dense keys in the same order (facility, then cell within it),
    counted into place (a stable counting sort; each key's group and first position from one
    walk over the keys, so nothing is read back in the order), or sorted stably if too
    sparse. Keys are read as unsigned where they index (no wraparound test)."""
    n = len(label)
    key = np.empty(n, dtype=np.intp)
    for j in range(n):
        f, c = _split(label[j])
        key[j] = (f - low) * span + c
    keys = max(high - low + 1, 1) * span
    start = np.empty(n + 1, dtype=np.intp)
    size = np.empty(n + 1, dtype=np.intp)
    ukey = key.view(np.uint64)
    if keys <= 4 * n + 65536:
        at = np.zeros(keys, dtype=np.int32)  # each key's count, then its next position
        of = np.empty(keys, dtype=np.int32)  # each key's group
        for j in range(n):
            at[ukey[j]] += 1
        g = p = 0
        for c in range(keys):  # branch-free: an empty key's group is the next one's
            m = at[c]
            start[g], size[g], of[c], at[c] = p, m, g, p
            p += m
            g += m > 0
        for j in range(n):
            c = ukey[j]
            order[at[c]] = j
            at[c] += 1
            group[j] = of[c]
        return start[:g], size[:g]
    order[:n] = np.argsort(key, kind="mergesort")
    g, last = -1, -1
    for j in range(n):
        o = np.uint64(order[j])  # unsigned: no wraparound
        if key[o] != last:
            g += 1
            start[g] = j
            last = key[o]
        group[o] = g
    start[g + 1] = n
    return start[: g + 1], np.diff(start[: g + 2])


@njit(cache=True)
def _serve(
    roster, count, fresh, seen, n, t, state, custody, entered, release, ever_released, mark,
    stays, released, regional, tally,
):  # pragma: no cover - compiled  # fmt: skip
    """The month's sentences, in order: the roster brought up to date (:func:`_roster`);
    of the prisoners, those settled before month ``t``: whose sentence has ended (written to
    ``released``, marked ``ever_released``, then moved to RELEASED: :func:`move_rows`), and
    those in the region's prisons (DETAINED) who may be executed (their positions in the
    roster, to ``regional``; each one's risk is looked up only for those the draws pick,
    :func:`_executions`); whether each prisoner stays (not released), to ``stays``. Returns
    the roster's length, how many are released and how many may be executed."""
    count = _roster(roster, count, fresh, seen, n, state, custody, mark)
    idx = roster.view(np.uint64)  # unsigned: no negative-index wraparound at each read
    a = b = 0
    for j in range(count):
        i = idx[j]
        stays[j] = True
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
    move_rows(released[:a], RELEASED, t, NO_CUSTODY, state, entered, custody, tally)
    return count, a, b


@njit(cache=True)
def _executions(
    roster, stays, regional, b, role, u, k, execution, leader_factor, top, executed, t, state,
    entered, custody, tally,
):  # pragma: no cover - compiled  # fmt: skip
    """The rows executed, written to ``executed``: of the ``b`` positions ``regional``, ``k``
    picked at the highest risk ``top`` (``World.few_of``: ``distinct`` of the uniform
    numbers ``u[:k]``), those whose draw ``u[k + m]`` falls below their own risk over
    ``top`` (``execution`` a month, leaders' ``leader_factor`` times higher); no longer
    marked as staying in ``stays``, moved to DEAD (:func:`move_rows`); returns how many."""
    picked = distinct(u[:k], b)
    e = 0
    for m in range(k):
        j = regional[picked[m]]
        risk = execution * (leader_factor if role[roster[j]] == LEADER else 1.0)
        if u[k + m] < risk / top:
            executed[e] = roster[j]
            stays[j] = False
            e += 1
    move_rows(executed[:e], DEAD, t, NO_CUSTODY, state, entered, custody, tally)
    return e


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
def _mixes(views, order, start, size, zeal_weight):  # pragma: no cover - compiled
    """Each cell's mix of ideology and loyalty (rows 0-1), its members' ``views`` (ideology,
    loyalty per position) weighted ``1 + zeal_weight x ideology``: the weighted sums over the
    sum of the weights, each ``np.add.reduceat`` in cell order (the segment's first value plus
    the NumPy sum of the rest: :func:`_segment_sum`). A cell of up to eight members (most) is
    weighed and summed in one loop; a larger one is weighed into ``weights`` first (as long
    as the largest cell: it stays in the nearest cache). The cells are taken smallest first
    (:func:`_by_size`): the loops' lengths and the branch on the size then repeat from one
    cell to the next, where in cell order (sizes 1 to 60 mixed) they mispredicted at each
    cell; each cell's sums are the same."""
    cells = len(start)
    mix = np.empty((2, cells), dtype=np.float32)
    largest = 1
    for g in range(cells):
        largest = max(largest, size[g])
    weights = np.empty((3, largest), dtype=np.float32)
    one = np.float32(1.0)
    for g in _by_size(size, largest):
        lo, n = start[g], size[g]
        o = np.uint64(order[lo])  # unsigned: no wraparound
        x, y = views[o, 0], views[o, 1]
        w0 = one + zeal_weight * x
        w1, w2 = w0 * x, w0 * y
        r0 = r1 = r2 = np.float32(0.0)
        if n <= 8:  # one by one
            for j in range(lo + 1, lo + n):
                o = np.uint64(order[j])
                x, y = views[o, 0], views[o, 1]
                w = one + zeal_weight * x
                r0 += w
                r1 += w * x
                r2 += w * y
        else:
            for j in range(1, n):
                o = np.uint64(order[lo + j])
                x, y = views[o, 0], views[o, 1]
                w = one + zeal_weight * x
                weights[0, j], weights[1, j], weights[2, j] = w, w * x, w * y
            # not a literal 1: a cached call to the recursive _segment_sum then crashes
            r0, r1, r2 = _rest_sums(weights, np.intp(1), n - 1)
        s0 = w0 + r0
        mix[0, g], mix[1, g] = (w1 + r1) / s0, (w2 + r2) / s0
    return mix


@njit(cache=True)
def _by_size(size, largest):  # pragma: no cover - compiled
    """The cells (numbers, as unsigned) in increasing ``size`` (each at most ``largest``),
    cells of one size in their order (a stable counting sort)."""
    at = np.zeros(largest + 1, dtype=np.int32)  # each size's count, then its next position
    for g in range(len(size)):
        at[size[g]] += 1
    p = 0
    for n in range(largest + 1):
        p, at[n] = p + at[n], p
    by = np.empty(len(size), dtype=np.uint32)
    for g in range(len(size)):
        n = size[g]
        by[at[n]] = g
        at[n] += 1
    return by


@njit(cache=True, inline="always")
def _rest_sums(x, lo, n):  # pragma: no cover - compiled
    """NumPy's sums of ``x[r, lo:lo + n]`` for the rows ``r`` 0-2 (``n > 8``): eight running
    sums, then the remainder one by one, up to 128 values; pairwise halves above
    (:func:`_segment_sum`). Inlined in :func:`_mixes` (a call for each cell of more than
    eight members cost ~3% of :func:`_in_cells`)."""
    if n > 128:
        return (
            _segment_sum(x[0], lo, n), _segment_sum(x[1], lo, n), _segment_sum(x[2], lo, n)
        )  # fmt: skip
    last = lo + n
    end = last - n % 8
    r0, r1, r2 = _eight_sums(x[0], lo, end), _eight_sums(x[1], lo, end), _eight_sums(x[2], lo, end)
    for i in range(end, last):
        r0 += x[0, i]
        r1 += x[1, i]
        r2 += x[2, i]
    return r0, r1, r2


@njit(cache=True)
def _in_cells(
    held, stays, cell, place, ideology, loyalty, u, picks, pull, chance, top, zeal_weight,
    disengagement, kept, order, former, first, size,
):  # pragma: no cover - compiled  # fmt: skip
    """A month in the cells for the prisoners left (those of ``held`` who ``stays``, written
    to ``kept``): grouped by cell (:func:`_grouped`, the order to ``order``), each one's
    ideology and loyalty pulled toward their cell's mix (:func:`_mixes`) by the share
    ``pull`` of the gap where the prison is (per place), less ``disengagement`` (both
    float32: computed as the views are kept), within 0-1; returns how many form a tie (of
    ``picks`` positions picked at the highest chance ``top``, ``World.few_of``: ``distinct``
    of the uniform numbers ``u[:picks]``, those whose draw ``u[picks + m]`` falls below the
    ``chance`` where they are held over ``top``), their rows written to ``former``, with
    their cell's first position in ``order`` (``first``) and size (``size``) for
    :func:`_mates`. Each loop does one thing, in row order where it reads or writes rows
    (fused loops measured slower: a compaction and gathers in one loop do not vectorise)."""
    idx = kept.view(np.uint64)  # unsigned: no wraparound at each read
    label = np.empty(len(held), dtype=cell.dtype)
    k = 0
    for q in range(len(held)):  # writes every prisoner, keeps those who stay (branch-free)
        i = np.uint64(held[q])
        idx[k], label[k] = i, cell[i]
        k += stays[q]
    views = np.empty((k, 2), dtype=np.float32)  # ideology, loyalty of each prisoner
    for j in range(k):
        views[j, 0], views[j, 1] = ideology[idx[j]], loyalty[idx[j]]
    idx, label = idx[:k], label[:k]
    group = np.empty(k, dtype=np.int32)
    low, high, span = _bounds(label)
    start, members = _grouped(label, low, high, span, order, group)
    mix = _mixes(views, order[:k], start, members, zeal_weight)
    held_at, cell_of = place.view(np.uint8), group.view(np.uint32)  # unsigned: no wraparound
    zero, one = np.float32(0.0), np.float32(1.0)
    for j in range(k):  # in float32, as the views are kept (float64 halves the vector width)
        i, g = idx[j], cell_of[j]
        pulled = pull[held_at[i]]
        x = views[j, 0]
        ideology[i] = min(max(x + pulled * (mix[0, g] - x) - disengagement, zero), one)
        x = views[j, 1]
        loyalty[i] = min(max(x + pulled * (mix[1, g] - x) - disengagement, zero), one)
    f = 0
    picked = distinct(u[:picks], k)
    for m in range(picks):  # writes each one picked, keeps those who form a tie
        j = picked[m]
        g = group[j]
        former[f], first[f], size[f] = idx[j], start[g], members[g]
        f += u[picks + m] < chance[place[idx[j]]] / top
    return f


@njit(cache=True)
def _mates(draw, kept, order, first, size, mate):  # pragma: no cover - compiled
    """For each of those who form a tie (``len(draw)``, as :func:`_in_cells` wrote them), a
    cellmate's row, to ``mate`` (``draw`` picks one of the cell's members, themselves
    included)."""
    for j in range(len(draw)):
        mate[j] = kept[order[first[j] + np.int64(draw[j] * size[j])]]


def step(w: World) -> None:
    inmates, t, pop = w.memory(Inmates), w.t, w.pop
    if inmates.p is None:
        inmates.start(w)
    if pop.state.shape[0] > inmates.mark.shape[0]:  # the population has grown
        inmates.fit(pop)
    tally = inmates.tally
    count, a, b = _serve(
        inmates.roster, inmates.count, inmates.fresh[: inmates.admitted], inmates.seen, pop.n,
        t, pop.state, pop.custody, pop.entered, pop.release, pop.ever_released, inmates.mark,
        inmates.stays, inmates.released, inmates.regional, tally,
    )  # fmt: skip
    inmates.count, inmates.admitted, inmates.seen = count, 0, pop.n
    if a:
        released = inmates.released[:a]
        pop.moved(released, t)
        inmates.monitor_released(w, released)  # under watch only with intelligence sharing

    p, roster, stays = inmates.p, inmates.roster, inmates.stays
    k, e = w.how_many(b, inmates.top), 0  # who may be executed, at the highest risk
    if k:  # picked, then each kept at their own risk: the draws of few_of and of the thinning
        e = _executions(
            roster, stays, inmates.regional, b, pop.role, w.rng.random(2 * k), k, p.execution,
            p.leader_execution_factor, inmates.top, inmates.executed, t, pop.state, pop.entered,
            pop.custody, tally,
        )  # fmt: skip
    if e:
        pop.moved(inmates.executed[:e], t)
        w.count("executed_by_states", e)
    left = count - a - e  # those who stay
    if left < 2:
        return

    coverage = w.coverage("prison_measures")
    if coverage is not inmates.coverage:
        inmates.rates(w, coverage)
    k = w.how_many(left, inmates.top_tie)  # who forms a tie (the influence draws nothing)
    f = _in_cells(
        roster[:count], stays, pop.cell, pop.place, pop.ideology, pop.loyalty,
        w.rng.random(2 * k), k,
        inmates.pull, inmates.chance, inmates.top_tie, inmates.zeal_weight,
        inmates.disengagement, inmates.kept, inmates.order, inmates.former, inmates.first,
        inmates.size,
    )  # fmt: skip
    if f:
        _mates(
            w.rng.random(f), inmates.kept, inmates.order, inmates.first, inmates.size, inmates.mate
        )
        w.ties.add(inmates.former[:f], inmates.mate[:f], tie_kinds.CELL)
