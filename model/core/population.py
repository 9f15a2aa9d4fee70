"""The members' state arrays, and the Mesa agent that is a view onto one row of them.

All per-step work is NumPy over these arrays; a :class:`Member` reads its own row, so
inspecting an agent always shows the current state of that person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np
from numba import njit
from regroup.core.compiled import lowest_bit, prefetch
from regroup.core.states import Custody, Disposition, Place, Region, Role, State, code_bits

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel


class Field(NamedTuple):
    """A per-person array: its type, and its value for a new member."""

    dtype: type
    initial: int = 0


# the arrays every mechanism shares; a mechanism declares the ones only it uses (``FIELDS``)
CORE_FIELDS: dict[str, Field] = {
    "state": Field(np.int8),
    "role": Field(np.int8),
    "region": Field(np.int8),
    "disposition": Field(np.int8),  # set on leaving the territory
    "custody": Field(np.int8),
    "place": Field(np.int8),  # where the person is (Place)
    "home": Field(np.int8),  # the home country's place: where a return goes (Place)
    "entered": Field(np.int16),  # month the current state was entered
    "joined": Field(np.int16),  # month of arrival (or of coming of age)
    "birth": Field(np.int16),  # month of birth (for minors and children; others -1000)
    "ideology": Field(np.float32),  # how extreme the person's views are, 0-1
    "loyalty": Field(np.float32),  # loyalty to the group: its leadership and brand, 0-1
    "skill": Field(np.float32),
    "funds": Field(np.float32),  # USD
    "known": Field(np.bool_),  # known to the authorities
    "documents": Field(np.bool_),
    "returned": Field(np.int16, -1),  # month first back in the home country, else -1
}


class Member(mesa.Agent):
    """One person (or ``scale`` persons) drawn into the group; reads the model's arrays."""

    def __init__(self, model: RegroupModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def _get(self, name: str):
        return getattr(self.model.pop, name)[self.index]

    @property
    def state(self) -> State:
        return State(int(self._get("state")))

    @property
    def role(self) -> Role:
        return Role(int(self._get("role")))

    @property
    def region(self) -> Region:
        return Region(int(self._get("region")))

    @property
    def place(self) -> Place:
        return Place(int(self._get("place")))

    @property
    def home(self) -> Place:
        return Place(int(self._get("home")))

    @property
    def origin(self) -> str:
        return "local" if self.region == Region.LOCAL else "foreign"

    @property
    def disposition(self) -> Disposition:
        return Disposition(int(self._get("disposition")))

    @property
    def ideology(self) -> float:
        return float(self._get("ideology"))

    @property
    def loyalty(self) -> float:
        return float(self._get("loyalty"))

    @property
    def skill(self) -> float:
        return float(self._get("skill"))

    @property
    def funds(self) -> float:
        return float(self._get("funds"))

    @property
    def known(self) -> bool:
        return bool(self._get("known"))

    @property
    def documents(self) -> bool:
        return bool(self._get("documents"))

    @property
    def ties(self) -> list[Member]:
        """The members this one is tied to (unit, family, prison cell)."""
        agents = self.model.members
        return [agents[j] for j in self.model.ties.neighbours(self.index)]

    def __repr__(self) -> str:
        return (
            f"Member({self.unique_id}: {self.role.label}, {self.region.label}, "
            f"in {self.place.label}, "
            f"{self.state.label}, ideology={self.ideology:.2f}, loyalty={self.loyalty:.2f}, "
            f"skill={self.skill:.2f}, "
            f"funds=${self.funds:,.0f})"
        )


class Grouping(NamedTuple):
    """The rows grouped by state in ``month`` (:meth:`Population.group_by_state`), when there
    were ``rows`` rows: those in state ``s`` are ``order[start[s]:start[s + 1]]``, in
    increasing order (the dead not grouped); ``size``: the people per state then, ``then``:
    each row's state then (the first ``rows`` of a per-run buffer that the next grouping
    brings up to date), ``left``: the moves out of each state until then, ``early``:
    whether every row had entered its state before ``month``; ``grouped``: the states
    grouped, as bits (the others' groups are empty)."""

    month: int
    rows: int
    order: np.ndarray
    start: np.ndarray
    size: np.ndarray
    then: np.ndarray
    left: np.ndarray
    early: bool
    grouped: int


class Population:
    """Growable per-person arrays; rows are never removed (the dead keep their row)."""

    def __init__(self, capacity: int = 1024, fields: dict[str, Field] | None = None) -> None:
        self.n = 0
        # the rows grouped by state once a month (see where()), and the rows moved since
        # (each move's indices)
        self._groups: Grouping | None = None
        self._moved: list[np.ndarray] = []
        self._moved_count = 0
        # a bit per grouped row, set for the rows moved since the grouping (the first
        # ``_marked`` of them so far: where() marks the others, the grouping clears them),
        # and each row's state at the grouping (Grouping.then): per-run buffers
        self._marks, self._marked = np.zeros(0, dtype=np.uint64), 0
        self._then = np.zeros(0, dtype=np.int8)
        self._asked = 0  # the states where() has been asked for, as bits: those grouped
        self._grouped_by: tuple = ()  # the grouping's arguments to _select (group_by_state)
        # per state (indexed by code): the people in it (row PEOPLE, count()) and the moves
        # out of it so far (row LEFT: a group is whole while none has left it since the
        # grouping, see where()), kept up to date by add() and move(); given to a compiled
        # kernel that moves rows with move_rows() (then moved()). An attribute, not a
        # property: kernels' callers read it every month.
        self.tally = np.zeros((2, len(State)), dtype=np.int64)
        self._counts, self._left = self.tally[PEOPLE], self.tally[LEFT]
        self._latest = -ALWAYS  # the latest month a row entered its state
        self.fields = {**CORE_FIELDS, **(fields or {})}
        for name, f in self.fields.items():
            setattr(self, name, np.full(capacity, f.initial, dtype=f.dtype))

    @property
    def capacity(self) -> int:
        return len(self.state)

    def _grow(self, needed: int) -> None:
        cap = max(needed, 2 * self.capacity)
        for name, f in self.fields.items():
            setattr(self, name, grown(getattr(self, name), cap, self.n, f.initial))

    def add(self, count: int, **values) -> np.ndarray:
        """Append ``count`` rows; ``values`` are scalars or arrays per field. Returns indices."""
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        rows = slice(self.n, self.n + count)
        for name, value in values.items():
            getattr(self, name)[rows] = value
        self.n += count
        self._counts += np.bincount(self.state[rows], minlength=len(State))
        entered = values.get("entered", self.fields["entered"].initial)
        if count and isinstance(entered, (int, np.integer)):  # most additions: one month
            self._latest = max(self._latest, int(entered))
        elif count:
            self._latest = max(self._latest, int(self.entered[rows].max()))
        return np.arange(rows.start, rows.stop)

    def count(self, *states: State) -> int:
        """How many people are in any of ``states`` now (kept up to date by add and move)."""
        if len(states) == 1:  # most calls: no generator to sum over
            return int(self._counts[states[0]])
        return int(sum(self._counts[s] for s in states))

    def by_origin(self, idx: np.ndarray, *states: State) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``idx`` split into locals and foreigners, each part in order; with
        ``states``, only those now in one of them."""
        wanted = code_bits(*states) if states else EVERY_STATE
        return split_by_origin(idx, self.region, self.state, wanted)

    def view(self, name: str) -> np.ndarray:
        """The live part of one array."""
        return getattr(self, name)[: self.n]

    def mask(self, *states: State, t: int | None = None) -> np.ndarray:
        """Boolean per person: in any of ``states``; with ``t``, only those who entered before t.

        One compiled pass over the rows (NumPy needed a comparison per state, and more).
        """
        late = ALWAYS if t is None else t
        return _mask(self.state, self.entered, code_bits(*states), late, self.n)

    def where(self, *states: State, t: int | None = None) -> np.ndarray:
        """Indices of people in any of ``states`` (in increasing order); with ``t``, only those
        who entered before t.

        Rows are grouped by state once a month (by the month's first call with ``t``), every
        state asked for so far but the dead: the last grouping is brought up to date from the
        rows moved and added since. A call looks only at the wanted states' groups, at the
        rows moved since (:meth:`move` keeps them) and at the rows added since; with ``t``, a
        row moved since entered its state in month ``t`` and is left out anyway. A call for
        the dead, for a state not grouped (asked for the first time: grouped from the next
        month), or for states that held most people, looks at every row once, which is faster
        than merging their groups. So ``state`` and ``entered`` are written only by
        :meth:`move` (or a kernel's :func:`move_rows`, then :meth:`moved`): a grouped row
        written directly would stay in its old group (a state's group untouched by moves is
        taken whole).
        """
        wanted = code_bits(*states)
        self._asked |= wanted
        g = self._groups
        if t is None:
            late = ALWAYS
        else:
            late = t
            if g is None or g.month != t:
                self.group_by_state(t)
                g = self._groups
        if g is None:  # never grouped (a population outside a model's run)
            return _where(self.state, self.entered, wanted, late, self.n)
        n = self.n
        much = self._moved_count > n // 8  # then one pass over every row is faster
        moved = NOBODY if much else self._moved_since()
        rows = _select(
            *self._grouped_by, moved, self._marked, wanted, self.state, self.entered, late, n,
            much, self._left, g.early or t is None,
        )  # fmt: skip
        self._marked = len(moved)
        return rows

    def _moved_since(self) -> np.ndarray:
        """The rows moved since the last grouping (repeats allowed), as one array."""
        if len(self._moved) == 1:
            return self._moved[0]
        moved = np.concatenate(self._moved) if self._moved else NOBODY
        self._moved = [moved] if self._moved else []
        return moved

    def group_by_state(self, t: int) -> None:
        """Group the rows by state for month ``t`` (once a month; :meth:`where`): from the last
        grouping and the rows moved and added since, or from every row when many moved (more
        than a share ``1 / REGROUP_FROM`` of the rows) or a state was asked for the first time.
        Only the states asked for so far are grouped: the others (a fifth of the live rows in
        the baseline: the criminals, those in prison at home) are copied at no grouping. The
        model does it first thing each month, so that the month's selections without ``t``
        merge in only this month's moves."""
        g, n = self._groups, self.n
        if g is not None and g.month == t:
            return
        if len(self._then) < n:  # grown: larger buffers, what they hold kept
            self._then = grown(self._then, self.capacity, fill=0)
            self._marks = grown(self._marks, (self.capacity + 63) >> 6, fill=0)
        grouped = self._asked & ~DEAD
        if g is None or self._moved_count > n // REGROUP_FROM or grouped != g.grouped:
            order, start = _group_by_state(self.state, n, self._counts, grouped)
            self._then[:n] = self.state[:n]
            self._marks[:] = 0
        else:
            order, start = _update_groups(
                g.order, g.start, self._then, self._marks, self._moved_since(),
                self._marked, self.state, g.rows, n, grouped,
            )  # fmt: skip
        size, left, early = self._counts.copy(), self._left.copy(), self._latest < t
        self._groups = Grouping(t, n, order, start, size, self._then, left, early, grouped)
        # where()'s first arguments to _select for the month, in one tuple
        self._grouped_by = (order, start, size, self._then, n, self._marks, left, grouped)
        self._moved, self._moved_count, self._marked = [], 0, 0

    def move(
        self,
        idx: np.ndarray,
        state: State,
        t: int,
        custody: Custody = Custody.NONE,
        place: Place | np.ndarray | None = None,
    ) -> None:
        """Move people (row indices ``idx``) to ``state`` in month ``t`` (and to ``place``, if
        given)."""
        if len(idx) == 0:  # most moves of a month are of nobody; skip the writes
            return
        if type(idx) is not np.ndarray or idx.dtype != INDEX:  # most are row indices already
            idx = np.asarray(idx)
            if idx.dtype.kind not in "iu":
                raise TypeError(f"Population.move takes row indices, not {idx.dtype} values")
            idx = idx.astype(np.intp, copy=False)
        if place is not None:
            self.place[idx] = place
        if self._groups is not None:
            self._moved.append(idx)
            self._moved_count += len(idx)
        if t > self._latest:
            self._latest = t
        move_rows(
            idx, int(state), t, int(custody), self.state, self.entered, self.custody, self.tally
        )

    def moved(self, idx: np.ndarray, t: int) -> None:
        """Note the rows ``idx`` (row indices as ``np.intp``) as moved in month ``t``: for a
        compiled kernel that moved them itself with :func:`move_rows` (given :attr:`tally`),
        which saves a rule :meth:`move`'s call."""
        if self._groups is not None and len(idx):
            self._moved.append(idx)
            self._moved_count += len(idx)
        if len(idx) and t > self._latest:
            self._latest = t


class Rows:
    """Per-run buffers over every row that a mechanism reuses each month instead of
    allocating them (kept in its ``World.memory``), one array per entry of ``FIELDS`` (name:
    dtype). By default ``inside``, a boolean per row (in the month's set of people), and
    ``own``, a byte per row (each person's bits this month); a mechanism names its own.
    Those named in ``LISTS`` are written before they are read (lists of rows, values set for
    the rows a month uses): they are left unset, so that only the pages used are touched
    (zeroing prison's and regrouping's at full scale took 2-6 ms a run, and wrote 20 MB that
    a new process pays for in page faults)."""

    FIELDS: dict[str, type] = {"inside": np.bool_, "own": np.uint8}
    LISTS: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self._made = 0
        for name, dtype in self.FIELDS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))

    def fit(self, pop: Population) -> None:
        """Buffers for every row of ``pop`` (new ones when it has grown: zero, but for the
        ``LISTS``)."""
        if self._made < pop.capacity:
            self._made = pop.capacity
            for name, dtype in self.FIELDS.items():
                make = np.empty if name in self.LISTS else np.zeros
                setattr(self, name, make(pop.capacity, dtype=dtype))


EVERY_STATE = (1 << len(State)) - 1  # every state's bit
PEOPLE, LEFT = 0, 1  # the rows of Population.tally
LOCAL = int(Region.LOCAL)
ALWAYS = 1 << 20  # a month after every month a member can have entered a state
NOBODY = np.empty(0, dtype=np.intp)
INDEX = np.dtype(np.intp)  # the type of the row indices that move() keeps


def grown(old: np.ndarray, size: int, keep: int | None = None, fill=None) -> np.ndarray:
    """``old`` in a new array of ``size`` elements (its type): its first ``keep`` (all of it
    by default) kept, the others ``fill`` (left unset without it). For the per-run buffers
    and stores that grow with the population or the ties."""
    new = np.empty(size, dtype=old.dtype) if fill is None else np.full(size, fill, old.dtype)
    keep = len(old) if keep is None else keep
    new[:keep] = old[:keep]
    return new


@njit(cache=True)
def move_rows(idx, new, t, custody, state, entered, custody_of, tally):  # pragma: no cover
    """Rows ``idx`` (repeats allowed) into state ``new`` since month ``t``, with ``custody``;
    ``tally`` (:attr:`Population.tally`: people per state, moves out of each) follows.
    :meth:`Population.move`'s writes, for a compiled rule that moves people itself (then
    :meth:`Population.moved`)."""
    for i in idx:
        tally[PEOPLE, state[i]] -= 1
        tally[LEFT, state[i]] += 1
        state[i] = new
        entered[i] = t
        custody_of[i] = custody
    tally[PEOPLE, new] += len(idx)


@njit(cache=True)
def split_by_origin(idx, region, state, wanted):  # pragma: no cover - compiled
    """:meth:`Population.by_origin`, ``wanted`` the states as bits; for a compiled rule."""
    local, foreign = np.empty(len(idx), dtype=np.intp), np.empty(len(idx), dtype=np.intp)
    a = b = 0
    for i in idx:
        if (wanted >> np.int64(state[i])) & 1:
            if region[i] == LOCAL:
                local[a] = i
                a += 1
            else:
                foreign[b] = i
                b += 1
    return local[:a], foreign[:b]


# Branch-free loops (a lookup table and ``if`` cost ten times more on mixed states).
@njit(cache=True)
def _mask(state, entered, wanted, t, n):  # pragma: no cover - compiled
    out = np.empty(n, dtype=np.bool_)
    for i in range(n):
        out[i] = ((wanted >> np.int64(state[i])) & 1) & np.int64(entered[i] < t)
    return out


@njit(cache=True)
def _where(state, entered, wanted, t, n):  # pragma: no cover - compiled
    hit = np.empty(n, dtype=np.uint8)
    k = 0
    for i in range(n):
        h = ((wanted >> np.int64(state[i])) & 1) & np.int64(entered[i] < t)
        hit[i] = h
        k += h
    return marked(hit, k)


@njit(cache=True)
def appended(rows, met, offset):  # pragma: no cover - compiled
    """``rows`` followed by ``offset`` plus the position of each true value of ``met``, in
    order (a roster grown by the rows added since it last looked, ``met`` their test)."""
    out = np.empty(len(rows) + len(met), dtype=np.intp)
    out[: len(rows)] = rows
    k = len(rows)
    for q in range(len(met)):  # branch-free: writes every one, keeps those met
        out[k] = offset + q
        k += met[q]
    return out[:k]


@njit(cache=True, inline="always")
def row_at(q, first, second):  # pragma: no cover - compiled
    """The row at position ``q`` of ``first`` and ``second`` (each increasing, no row in
    both) taken together in row order, without merging them: how many of the first ``q``
    come from ``first`` by bisection."""
    lo, hi = max(0, q - len(second)), min(q, len(first))
    while lo < hi:  # the first a with first[a] after the q-th row (more taken from first)
        a = (lo + hi) // 2
        if first[a] < second[q - a - 1]:
            lo = a + 1
        else:
            hi = a
    b = q - lo
    if b == len(second) or (lo < len(first) and first[lo] < second[b]):
        return first[lo]
    return second[b]


@njit(cache=True)
def marked(hit, k):  # pragma: no cover - compiled
    """The rows ``i`` whose ``hit[i]`` is 1 (``k`` of them), in increasing order: every row
    written, those hit kept (branch-free, so the compiler vectorises the loop)."""
    out = np.empty(k + 1, dtype=np.intp)
    j = 0
    for i in range(len(hit)):
        out[j] = i
        j += hit[i]
    return out[:k]


# a grouping is made afresh (one pass over every row) when more rows than this share moved
# since the last: bringing it up to date costs ~35 us and ~0.05 us per row moved, a fresh
# one ~1 ns per row (at full scale, caches flushed: 60 us with 500-670 moved, 190 with 3,050;
# afresh 100-115)
REGROUP_FROM = 48
DEAD = 1 << int(State.DEAD)  # the state never grouped: most rows, never asked for by t
# the type of the grouped rows: half the bytes of row indices to copy each month (a
# population's rows are far fewer than 2^31); selections return them as row indices
GROUPED = np.int32


@njit(cache=True)
def _group_by_state(state, n, counts, grouped):  # pragma: no cover - compiled
    """Rows ``0..n-1`` grouped by state (a counting sort, ``counts`` the rows in each state:
    :attr:`Population.tally`), only the states whose bit is set in ``grouped``: the rows in
    state ``s`` are ``order[start[s]:start[s + 1]]``, in increasing order (none for the
    others). Branch-free: each row is written at its state's next place, the others' (the
    dead among them) all at one place past the end (an ``if`` on the dead, a third of the
    rows spread at random, cost a third more). Should a state have been
    written other than by :meth:`Population.move` (its count then wrong), the writes stay
    inside ``order`` (room for ``n`` rows past the groups) and the grouping raises."""
    states = len(counts)
    start = np.zeros(states + 1, dtype=np.int64)
    step = np.zeros(states, dtype=np.int64)
    for s in range(states):
        step[s] = (grouped >> s) & 1
        start[s + 1] = start[s] + counts[s] * step[s]
    order = np.empty(start[-1] + n + 1, dtype=GROUPED)
    fill = start[:-1].copy()
    for s in range(states):
        fill[s] += (start[-1] - fill[s]) * (1 - step[s])
    for i in range(n):
        s = state[i]
        order[fill[s]] = i
        fill[s] += step[s]
    for s in range(states):
        if step[s] and fill[s] != start[s + 1]:
            raise RuntimeError("a state was written other than by Population.move")
    return order[: start[-1]], start


@njit(cache=True)
def _update_groups(
    order, start, then, marks, moved, marked, state, rows, n, grouped
):  # pragma: no cover - compiled
    """:func:`_group_by_state` from the grouping of the first ``rows`` rows (``order``,
    ``start``; ``then``: their states at the time, brought up to date here), the rows
    ``moved`` since (repeats allowed; the first ``marked`` have their bit set in ``marks``,
    the others get it here, and every bit is cleared) and the rows added since: each group
    keeps its rows still in that state, merged in order with the moved rows that entered it,
    then the rows added in it. Only the moved rows can have left a group (``move`` is the
    only writer of states), so a group is copied in runs up to the place of each row that
    left it or entered it (:func:`_first_at_least`) instead of testing every row's state.
    The moved rows are read in order, each once, from their bits (a sort of them cost more;
    ``np.unique`` 0.15 ms on a thousand rows)."""
    states = len(start) - 1
    one = np.uint64(1)
    for j in range(marked, len(moved)):
        i = moved[j]
        if i < rows:
            marks[i >> 6] |= one << np.uint64(i & 63)
    # the moved rows (each once), their states asked for ahead (scattered, cold); then those
    # now in another state than at the grouping, then the added
    fresh = np.empty(len(moved) + n - rows, dtype=np.intp)
    k = 0
    for word in range((rows + 63) >> 6):
        bits = marks[word]
        if bits:
            marks[word] = 0
            while bits:
                i = (word << 6) + lowest_bit(bits)
                fresh[k] = i
                prefetch(state, i)
                prefetch(then, i)
                k += 1
                bits &= bits - one
    marked_rows, k = k, 0
    for j in range(marked_rows):
        i = fresh[j]
        fresh[k] = i
        k += state[i] != then[i]
    switched = k
    for i in range(rows, n):
        fresh[k] = i
        k += 1
    into, head = _by_state(fresh[:k], state, states)  # the rows that entered each state
    gone, left = _by_state(fresh[:switched], then, states)  # the rows that left each state
    for i in fresh[:k]:
        then[i] = state[i]
    out_start = np.zeros(states + 1, dtype=np.int64)
    out = np.empty(len(order) + k, dtype=GROUPED)
    w = 0
    for s in range(states):
        out_start[s] = w
        if not (grouped >> s) & 1:
            continue
        a, a_end = start[s], start[s + 1]
        b, b_end, g, g_end = head[s], head[s + 1], left[s], left[s + 1]
        while True:  # the old group's runs up to the next row that left or entered (none in it)
            leaves = gone[g] if g < g_end else AFTER
            enters = into[b] if b < b_end else AFTER
            if leaves == enters:  # neither left: the rest of the group
                out[w : w + a_end - a] = order[a:a_end]
                w += a_end - a
                break
            p = _first_at_least(order, a, a_end, min(leaves, enters))
            out[w : w + p - a] = order[a:p]
            w, a = w + p - a, p
            if leaves < enters:  # order[p] left
                a, g = a + 1, g + 1
            else:
                out[w] = enters
                w, b = w + 1, b + 1
    out_start[states] = w
    return out[:w], out_start


AFTER = 1 << 62  # a row after every row


@njit(cache=True)
def _first_at_least(order, a, end, value):  # pragma: no cover - compiled
    """The first position ``p`` from ``a`` (below ``end``, else ``end``) where the increasing
    ``order`` reaches ``value`` (those before ``a`` are below it): steps doubling from ``a``,
    then halving, so a near row costs few reads."""
    hi, step = a, 1
    while hi < end and order[hi] < value:
        a, hi, step = hi + 1, hi + step, 2 * step
    hi = min(hi, end)
    while a < hi:
        mid = (a + hi) >> 1
        if order[mid] < value:
            a = mid + 1
        else:
            hi = mid
    return a


@njit(cache=True)
def _by_state(rows, state, states):  # pragma: no cover - compiled
    """``rows`` grouped by ``state[row]`` (a stable counting sort: each group keeps their
    order): the rows in state ``s`` are ``out[head[s]:head[s + 1]]``."""
    head = np.zeros(states + 1, dtype=np.int64)
    for i in rows:
        head[state[i] + 1] += 1
    for s in range(states):
        head[s + 1] += head[s]
    out = np.empty(len(rows), dtype=np.intp)
    fill = head[:-1].copy()
    for i in rows:
        out[fill[state[i]]] = i
        fill[state[i]] += 1
    return out, head


@njit(cache=True)
def _where_grouped(
    order, start, wanted, whole, marks, early, state, entered, t, rows, n
):  # pragma: no cover - compiled
    """:func:`_where` for ``t`` from rows grouped by state when there were ``rows`` rows: each
    wanted state's group, kept if still in that state since before ``t`` (all of it for the
    states whose bit is set in ``whole``), merged in order; then the rows added since. With
    ``early`` (every grouped row had entered its state before ``t``), only the rows moved
    since the grouping (their bits set in ``marks``) are looked up: the others are still in
    their group's state since before ``t`` (``move`` is the only writer of states), and a
    bit in 14 kB is cheaper to read than a row's state and month scattered over 300 kB."""
    total = parts = 0
    for s in range(len(start) - 1):
        if (wanted >> s) & 1:
            total += start[s + 1] - start[s]
            parts += 1
    # each wanted group's kept rows, one after another, with room for the rows added since
    keep = np.empty(total + n - rows, dtype=np.intp)
    out = keep[:0]
    k = 0
    one = np.uint64(1)
    for s in range(len(start) - 1):
        if not (wanted >> s) & 1:
            continue
        first = k
        group = order[start[s] : start[s + 1]]
        if (whole >> s) & 1:
            keep[k : k + len(group)] = group
            k += len(group)
        elif early:
            for i in group:
                keep[k] = i
                if (marks[i >> 6] >> np.uint64(i & 63)) & one:  # moved: rarely
                    k += state[i] == s and entered[i] < t
                else:
                    k += 1
        else:
            for i in group:
                if state[i] == s and entered[i] < t:
                    keep[k] = i
                    k += 1
        if parts > 1:
            out = _merge(out, keep[first:k])
    first = k
    for i in range(rows, n):  # the rows added since (branch-free, as in _where)
        keep[k] = i
        k += ((wanted >> np.int64(state[i])) & 1) & np.int64(entered[i] < t)
    if parts < 2:  # one group: the added rows follow it in ``keep`` (not copied again)
        return keep[:k]
    if k == first:
        return out
    return np.concatenate((out, keep[first:k]))


@njit(cache=True)
def _select(
    order,
    start,
    size,
    then,
    rows,
    marks,
    left_then,
    grouped,
    moved,
    marked,
    wanted,
    state,
    entered,
    t,
    n,
    much,
    left,
    early,
):  # pragma: no cover - compiled
    """:meth:`Population.where` from the rows grouped by state (``order``, ``start``, each
    state's ``size``; ``then`` the states of its ``rows`` rows then): the wanted states'
    groups (a group is taken whole, without a look at its rows, when none has left the state
    since the grouping, ``left`` the moves out of each state now and ``left_then`` at the
    grouping, and all its rows had ``early`` entered it before ``t``), the rows of ``moved``
    (every row moved since the grouping, repeats allowed; the first ``marked`` already have
    their bit set in ``marks``, the others get it) now wanted and in another state than
    ``then`` (not with ``t``: they entered it in month ``t``), the rows added since; or, for
    a state not ``grouped`` (the dead, a state asked for the first time), when the wanted
    states held more than half the rows (but for one state's group taken whole: a copy costs
    less than the pass, 15 against 26 us for 51k of 79k rows), or when ``much`` has moved
    since the grouping, one pass over every row (:func:`_where`, compiled in here: a
    separate call of it would be first loaded in whichever month of a run first needs it,
    rarely)."""
    one = np.uint64(1)
    for j in range(marked, len(moved)):
        i = moved[j]
        if i < rows:
            marks[i >> 6] |= one << np.uint64(i & 63)
    total = whole = 0
    for s in range(len(size)):
        total += ((wanted >> s) & 1) * size[s]
        whole |= np.int64(early and left[s] == left_then[s]) << s
    one_whole = wanted & (wanted - 1) == 0 and wanted & whole  # copied, not merged
    if much or wanted & ~grouped or (2 * total > rows and not one_whole):
        return _where(state, entered, wanted, t, n)
    out = _where_grouped(order, start, wanted, whole, marks, early, state, entered, t, rows, n)
    if t < ALWAYS:  # with t, a row moved since the grouping entered its state in month t
        return out
    extra = np.empty(len(moved), dtype=np.intp)
    k = 0
    for i in moved:
        if i < rows:  # a row added since is in ``out`` already
            s = state[i]
            extra[k] = i
            k += ((wanted >> np.int64(s)) & 1) & np.int64(s != then[i]) & np.int64(entered[i] < t)
    if k == 0:
        return out
    return _merge(out, np.unique(extra[:k]))


@njit(cache=True)
def _merge(a, b):  # pragma: no cover - compiled
    """Two increasing index arrays with no common value merged into one. Branch-free (two
    groups' rows interleave at random, so a branch on the comparison mispredicted about every
    other row), and each side's next value is read before the comparison that chooses
    whether it is needed: a step then waits on the last comparison, not on a load that
    follows it (11.6 -> 5.5 us for 3,000 and 1,000 rows spread over 100k)."""
    na, nb = len(a), len(b)
    if na == 0:
        return b
    out = np.empty(na + nb, dtype=np.intp)
    i = j = k = 0
    if nb:
        x, y = a[0], b[0]  # the heads: a[i], b[j]
        while i < na - 1 and j < nb - 1:
            first = x < y
            out[k] = min(x, y)
            after_x, after_y = a[i + 1], b[j + 1]
            x = after_x if first else x
            y = y if first else after_y
            i += np.intp(first)
            j += 1 - np.intp(first)
            k += 1
    while i < na and j < nb:  # the last of one side
        x, y = a[i], b[j]
        first = np.intp(x < y)
        out[k] = x if first else y
        i += first
        j += 1 - first
        k += 1
    out[k : k + na - i] = a[i:]
    k += na - i
    out[k : k + nb - j] = b[j:]
    return out
