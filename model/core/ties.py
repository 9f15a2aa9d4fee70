"""Social ties between members (unit, family, prison cell, recruitment, affiliate) as a sparse
undirected graph."""

from __future__ import annotations

import numpy as np
from numba import njit
from regroup.core.compiled import prefetch
from regroup.core.population import grown

UNIT, FAMILY, CELL, RECRUITED, AFFILIATE = 1, 2, 3, 4, 5  # AFFILIATE: joined in another theatre
INSURGENT_CELL = 6  # an insurgent cell in Iraq or Syria, and its link to a commander


class _Answer:
    """The ties among a set of people (those between two of its members), kept from one
    question to the next: each stored tie's position in the answer (``pos``, OUT if not in
    it, GONE if cut) and the answer's ties (``tie``, ends ``src``-``dst``, the first ``k``),
    so that the ties of the people who joined or left the set, those cut and those added
    since can be put in or taken out (a tie taken out is replaced by the answer's last)
    without copying the rest; ``inside[:n]`` is the set (with room for people added later,
    outside it so far), ``m`` the ties stored and ``cuts`` the ties cut (noted in
    ``Ties._cuts``) when it was last brought up to date."""

    def __init__(self, capacity: int) -> None:
        self.inside = np.zeros(0, dtype=np.bool_)
        self.n = 0
        self.pos = np.full(capacity, -1, dtype=np.int32)
        self.tie = np.empty(capacity, dtype=np.int32)
        self.src = np.empty(capacity, dtype=np.int32)
        self.dst = np.empty(capacity, dtype=np.int32)
        self.k = -1  # never answered: found from every tie
        self.m = 0
        self.cuts = 0

    def grow(self, capacity: int) -> None:
        """Room for ``capacity`` stored ties."""
        for name in ("pos", "tie", "src", "dst"):
            setattr(self, name, grown(getattr(self, name), capacity, fill=-1))


class Ties:
    """An edge list that grows; connectivity comes from a compiled union-find.

    Ends are stored as ``np.intp``, the type NumPy indexes with (other integer types are
    converted on every lookup, which tripled the cost of the monthly passes over all ties).
    The ties are numbered in the order they were added. A cut tie is only marked gone
    (``_alive``): the others keep their numbers (and the ties among a set of people found
    before the cut stay valid once the gone are filtered out) until the list is compacted,
    which keeps the order of those that remain. ``m``, ``src``, ``dst``, ``kind`` and
    ``edges`` show the ties that remain, in order.

    An arrest cuts the ties of a few people: an index of each person's ties (a CSR layout:
    person ``v``'s ties are ``_tie[_start[v]:_start[v + 1]]``, in order), for the ties
    numbered below ``_built``, finds them without a pass over every tie; the ties added
    since (the tail) are linked person by person when asked about (``_head[v]``: person
    ``v``'s last entry, an entry ``2 * tie + side`` with side 1 for the tie's ``dst``;
    ``_next``: the person's entry before it, -1 at the end). The index is rebuilt when the
    tail outgrows a share of it (the list compacted then only if many of its ties are cut).
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._m = 0  # ties stored, gone ones included
        self._gone = 0  # cut ties still stored
        # the storage (read only below ``_m``): not filled, so that its pages are touched only
        # as ties are stored
        self._src = np.empty(capacity, dtype=np.intp)
        self._dst = np.empty(capacity, dtype=np.intp)
        self._kind = np.empty(capacity, dtype=np.int8)
        self._alive = np.empty(capacity, dtype=np.bool_)
        self._built = 0  # ties (by number) in the index
        self._start = np.zeros(1, dtype=np.intp)
        self._tie = np.zeros(0, dtype=np.int32)
        self._other = np.zeros(0, dtype=np.int32)  # the other end of each (see _build_index)
        # the answer of _inside() for each kind of question (see inside()), kept up to date
        self._answers: dict[str | None, _Answer] = {}
        self._cuts = np.zeros(0, dtype=np.int32)  # the numbers of the ties cut, in turn
        self._touched = np.zeros(0, dtype=np.intp)  # the ties a cut touches (see _touching)
        self._ncuts = 0
        self._head = np.zeros(0, dtype=np.int32)  # the tail's ties of each person (see above)
        self._next = np.zeros(0, dtype=np.int32)
        self._linked = 0  # ties (by number) linked: from _built to _linked

    # ------------------------------------------------------------------ the ties that remain
    @property
    def m(self) -> int:
        """Number of ties."""
        return self._m - self._gone

    @property
    def src(self) -> np.ndarray:
        self._compact()
        return self._src

    @property
    def dst(self) -> np.ndarray:
        self._compact()
        return self._dst

    @property
    def kind(self) -> np.ndarray:
        self._compact()
        return self._kind

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        self._compact()
        return self._src[: self._m], self._dst[: self._m]

    @property
    def stored(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored tie's ends and whether it remains (cut ones are stored until the list
        is compacted), in order: for a pass over the ties that skips the cut ones itself,
        as reading :attr:`edges` compacts the list, which drops the index of each person's
        ties and the remembered answers of :meth:`among` and :meth:`inside` (rebuilt at a
        cost)."""
        m = self._m
        return self._src[:m], self._dst[:m], self._alive[:m]

    # ------------------------------------------------------------------ changes
    def add(self, a: np.ndarray, b: np.ndarray, kind: int) -> None:
        """Add ties a[i]-b[i] (self-ties are dropped)."""
        m = _append(a, b, kind, self._src, self._dst, self._kind, self._alive, self._m)
        if m < 0:  # perhaps no room: the storage doubled (at least), then added
            cap = max(self._m + len(a), 2 * len(self._src))
            for name in ("_src", "_dst", "_kind", "_alive"):
                setattr(self, name, grown(getattr(self, name), cap, self._m))
            m = _append(a, b, kind, self._src, self._dst, self._kind, self._alive, self._m)
        self._m = m

    def chain(self, members: np.ndarray, group: np.ndarray, kind: int) -> None:
        """Tie members that share a ``group`` label: each to the next within the group.

        A chain connects each group with few edges (size - 1), which is all that
        connectivity needs.
        """
        if len(members) < 2:
            return
        order = np.argsort(group, kind="stable")
        m, g = members[order], group[order]
        same = g[1:] == g[:-1]
        self.add(m[:-1][same], m[1:][same], kind)

    def cut(self, members: np.ndarray, share: float, rng: np.random.Generator) -> None:
        """Remove each tie with an end among ``members`` with probability ``share`` (an
        arrest scatters contacts); the other ties keep their order."""
        if self.m == 0 or len(members) == 0 or share <= 0:
            return
        self._index()
        self._link(0)  # (members beyond the linked people have no ties in the tail)
        k, store = -1, (members, self._start, self._tie, self._alive, self._head, self._next)
        while k < 0:  # into the buffer, grown if it may not hold them all
            k = _touching(*store, self._touched)
            if k < 0:
                self._touched = np.empty(max(-k, 2 * len(self._touched)), dtype=np.intp)
        touched = self._touched[:k]
        if self._ncuts + len(touched) > len(self._cuts):  # room to note them all (see _inside)
            room = max(self._ncuts + len(touched), 2 * len(self._cuts))
            self._cuts = grown(self._cuts, room, self._ncuts)
        draw = rng.random(len(touched))  # one draw a touched tie, in order
        ncuts = _drop(touched, draw, share, self._alive, self._cuts, self._ncuts)
        self._gone += ncuts - self._ncuts
        self._ncuts = ncuts

    # ------------------------------------------------------------------ questions
    def neighbours(self, i: int) -> np.ndarray:
        src, dst = self.edges
        return np.unique(np.concatenate([dst[src == i], src[dst == i]]))

    def among(self, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ties between two people for whom ``inside`` (a boolean per person) is true, in
        their order."""
        last = self._inside(inside)
        order = np.argsort(last.tie[: last.k])
        return last.src[order].astype(np.intp), last.dst[order].astype(np.intp)

    def inside(self, inside: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The ends of the ties between two people for whom ``inside`` (a boolean per person)
        is true, in no particular order. The answer is remembered under ``key`` (one for each
        kind of question a mechanism asks every month, such as "the free") and updated for
        the next question with that key: cheaper than a pass over every tie when the set
        changes little from one question to the next."""
        last = self._inside(inside, key)
        return last.src[: last.k], last.dst[: last.k]

    def any_neighbour(self, flag: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
        """Boolean per person: tied to at least one person for whom ``flag`` is true.

        With ``among`` (a boolean per person), only ties between two such people count.
        """
        if among is None:
            among = np.ones(len(flag), dtype=np.bool_)
        last = self._inside(among)
        return _any_neighbour(flag, last.src[: last.k], last.dst[: last.k])

    def components(
        self, nodes: np.ndarray, n: int, group: np.ndarray | None = None, key: str | None = None
    ) -> np.ndarray:
        """Component label per person for the graph restricted to ``nodes`` (-1 elsewhere).

        With ``group`` (a code per person, such as the place where each is), only ties
        between two people of the same group connect them: a component never spans two
        groups (the ties across them are kept, and count again once their ends meet).

        A component's label is the position in ``nodes`` of its first member, so labels
        grow with the components' first members (as ``scipy.sparse.csgraph`` numbers them).
        The ties among ``nodes`` are kept under ``key`` (as by :meth:`inside`).
        """
        inside = np.zeros(n, dtype=np.bool_)
        inside[nodes] = True
        last = self._inside(inside, key)
        if group is None:
            group = np.zeros(n, dtype=np.int8)
        return _components(nodes, n, group, last.src[: last.k], last.dst[: last.k])

    def _inside(self, inside: np.ndarray, key: str | None = None) -> _Answer:
        """The ties among ``inside`` (:class:`_Answer`, in no particular order), the answer
        kept under ``key`` brought up to date.

        The months ask this for nearly the same set again and again (free members in
        ``allegiance``, again in ``regrouping``, and next month): the ties cut since are taken
        out of the answer, the indexed ties of the people who left and joined the set are
        taken out and put in, and the ties not indexed are checked one by one; only a first
        question, or one about a set with many changes, is answered from every tie.
        """
        self._index()  # before reading the answer: a rebuild may renumber the ties (and drop it)
        last = self._answers.get(key)
        n = len(inside)
        self._link(n)
        if last is None or last.n > n:
            last = self._answers[key] = _Answer(len(self._src))
        if len(last.pos) < len(self._src):
            last.grow(len(self._src))
        if len(last.inside) < n:  # room for more people, outside the set so far
            last.inside = np.concatenate([last.inside, np.zeros(n, dtype=np.bool_)])
        last.n = n
        last.k = _refresh(
            np.ascontiguousarray(inside), last.inside[:n], last.pos, last.tie, last.src,
            last.dst, last.k, self._cuts[last.cuts : self._ncuts], self._start, self._tie,
            self._other, self._head, self._next, self._src, self._dst, self._alive,
            self._built, last.m, self._m,
        )  # fmt: skip
        last.m, last.cuts = self._m, self._ncuts
        return last

    # ------------------------------------------------------------------ upkeep
    def _compact(self) -> None:
        """Drop the cut ties from storage (the others keep their order); renumbers the ties,
        so the index is rebuilt on next use."""
        if self._gone:
            self._m = _compact(self._src, self._dst, self._kind, self._alive, self._m)
            self._gone = 0
            self._built = 0
            self._start = np.zeros(1, dtype=np.intp)
            self._answers.clear()
            self._ncuts = 0
            self._head[:], self._linked = -1, 0

    def _link(self, people: int) -> None:
        """Link the tail's ties added since last linked, person by person (see the class),
        with room for at least ``people`` people."""
        if len(self._next) < 2 * len(self._src):  # (only the tail's entries are ever read)
            self._next = grown(self._next, 2 * len(self._src))
        while True:
            if len(self._head) < people:  # (the new people have no ties linked yet)
                room = len(self._head) + max(people - len(self._head), len(self._head))
                self._head = grown(self._head, room, fill=-1)
            if self._m == self._linked:
                return
            people = _link(self._head, self._next, self._src, self._dst, self._linked, self._m)
            if people == 0:  # linked
                self._linked = self._m
                return

    def _index(self) -> None:
        """Rebuild the index when the ties added since it was built outnumber half of those
        in it (the tail's linked lists cost more lookups than the index, not a pass over the
        tail): the index's entries are copied in runs, and only the tail's are sorted in. The
        cut ties stay stored and indexed (every walk skips them) unless they are a quarter of
        the list: compacting renumbers the ties, which drops the kept answers (each answered
        again from every tie) and the index (built again from every tie)."""
        if self._m - self._built > TAIL + self._built // 2:
            if self._gone > self._m // 4:
                self._compact()
            self._start, self._tie, self._other = _build_index(
                self._start, self._tie, self._other, self._built, self._src, self._dst, self._m
            )
            self._built = self._m
            self._head[:], self._linked = -1, self._m


TAIL = 2048  # ties that may always wait outside the index
FAR = 32  # ties between a prefetch and the read it is for (_build_index)


@njit(cache=True)
def _build_index(start, tie, other, built, src, dst, m):  # pragma: no cover - compiled
    """Each person's ties among the first ``m`` (``src``-``dst``), from the index of the first
    ``built`` (``start``, ``tie``, ``other``: none if ``built`` is 0) and a counting sort of the
    ends of those added since: person ``v``'s ties are ``tie[start[v]:start[v + 1]]``, in
    increasing order (the indexed ones, copied in one run per person, then those added since),
    their other ends ``other[start[v]:start[v + 1]]`` (``~end`` for a tie's first end, ``src``:
    its side). Copying the indexed entries in runs costs less than sorting them in again, as
    each would be written to a scattered place. The scattered counts and places of the ties
    added since are asked for ``FAR`` ties ahead (and 2 * ``FAR`` for the places, read to ask
    for where their entries go): in whole runs (each call's least time over 10 runs
    alternated, two sets) 5.17 -> 4.87 and 5.18 -> 4.88 ms a run."""
    known = len(start) - 1  # people in the index
    top = known - 1
    for i in range(built, m):
        top = max(top, src[i], dst[i])
    size = np.zeros(top + 2, dtype=np.intp)  # each person's ties, then where they start
    for i in range(built, m):
        ahead = min(i + FAR, m - 1)
        prefetch(size, src[ahead] + 1)
        prefetch(size, dst[ahead] + 1)
        size[src[i] + 1] += 1
        size[dst[i] + 1] += 1
    for v in range(known):
        size[v + 1] += start[v + 1] - start[v]
    for v in range(top + 1):
        size[v + 1] += size[v]
    new_tie = np.empty(2 * m, dtype=np.int32)
    new_other = np.empty(2 * m, dtype=np.int32)
    fill = size[:-1].copy()
    for v in range(known):  # the indexed ties, in a run per person
        shift = fill[v] - start[v]
        for j in range(start[v], start[v + 1]):
            new_tie[j + shift], new_other[j + shift] = tie[j], other[j]
        fill[v] = start[v + 1] + shift
    for i in range(built, m):  # then the ties added since, in order
        far, near = min(i + 2 * FAR, m - 1), min(i + FAR, m - 1)
        prefetch(fill, src[far])
        prefetch(fill, dst[far])
        prefetch(new_tie, fill[src[near]])
        prefetch(new_other, fill[src[near]])
        prefetch(new_tie, fill[dst[near]])
        prefetch(new_other, fill[dst[near]])
        s, d = src[i], dst[i]
        new_tie[fill[s]], new_other[fill[s]] = i, d
        fill[s] += 1
        new_tie[fill[d]], new_other[fill[d]] = i, ~s
        fill[d] += 1
    return size, new_tie, new_other


@njit(cache=True)
def _append(a, b, kind, src, dst, kinds, alive, m):  # pragma: no cover - compiled
    """Store the ties ``a[i]``-``b[i]`` of ``kind`` but the self-ties after the first ``m``
    stored, in order (in one pass: each written, kept if not a self-tie); returns the new
    number stored, or -1, adding none, if there may not be room for them all."""
    end = m + len(a)
    if end > len(src):
        return -1
    for i in range(len(a)):
        src[m], dst[m], kinds[m], alive[m] = a[i], b[i], kind, True
        m += a[i] != b[i]
    alive[m:end] = False  # the self-ties' places, free again
    return m


@njit(cache=True)
def _compact(src, dst, kind, alive, m):  # pragma: no cover - compiled
    """Move the remaining ties among the first ``m`` to the front, in order; returns how
    many remain."""
    k = 0
    for i in range(m):
        if alive[i]:
            src[k], dst[k], kind[k] = src[i], dst[i], kind[i]
            k += 1
    alive[:k] = True
    alive[k:m] = False
    return k


@njit(cache=True)
def _link(head, after, src, dst, first, m):  # pragma: no cover - compiled
    """Link ties ``first`` to ``m`` to their ends' lists: each end's entry (``2 * tie`` for
    ``src``, ``2 * tie + 1`` for ``dst``) becomes its ``head`` and points ``after`` to the
    one before. Returns 0, or, linking none, the people ``head`` needs room for if it has
    too little. The ends' places are asked for in the pass that finds the largest end, not
    a pass of their own (in whole runs, each call's least time over 10 runs alternated, two
    sets: 4.78 -> 3.57 and 3.66 -> 3.12 ms a run)."""
    top = 0
    for i in range(first, m):  # asked for at once, as each is read and written in turn below
        s, d = src[i], dst[i]
        top = max(top, s, d)
        prefetch(head, s)  # (harmless beyond its end: a hint, never a fault)
        prefetch(head, d)
    if top >= len(head):
        return top + 1
    for i in range(first, m):
        s, d = src[i], dst[i]
        after[2 * i], head[s] = head[s], 2 * i
        after[2 * i + 1], head[d] = head[d], 2 * i + 1
    return 0


@njit(cache=True)
def _touching(members, start, tie, alive, head, after, out):  # pragma: no cover - compiled
    """Numbers of the remaining ties with an end among ``members``, in increasing order, into
    ``out``; returns how many, or, writing none, minus the room they may need if ``out`` may
    be too short (a count, not a new array: no array to return to Python). Found as the
    indexed ties of each member, then those of the tail (linked from ``head`` by ``after``;
    none for a member beyond ``head``: the linked ends are all within it), what the walks
    read prefetched first (as in :func:`_ask_ahead`); then sorted in place, a tie between
    two members (found twice) kept once."""
    people, linked = len(start) - 1, len(head)
    _ask_places(members, start, head)
    for v in members:
        if v < people:
            prefetch(tie, start[v])
        e = head[v] if v < linked else -1
        if e >= 0:
            prefetch(after, e)
    for v in members:
        for j in range(start[v], start[v + 1]) if v < people else range(0):
            prefetch(alive, tie[j])
    count = 0
    for v in members:
        if v < people:
            count += start[v + 1] - start[v]
        e = head[v] if v < linked else -1
        while e >= 0:
            count += 1
            e = after[e]
    if count > len(out):
        return -count
    k = 0
    for v in members:
        if v < people:
            for j in range(start[v], start[v + 1]):
                out[k] = tie[j]
                k += alive[tie[j]]
        e = head[v] if v < linked else -1
        while e >= 0:
            out[k] = e >> 1
            k += alive[e >> 1]
            e = after[e]
    found = out[:k]
    found.sort()
    j = 0
    for i in range(k):
        if i == 0 or found[i] != found[i - 1]:
            found[j] = found[i]
            j += 1
    return j


@njit(cache=True)
def _drop(touched, draw, share, alive, cuts, ncuts):  # pragma: no cover - compiled
    """Cut each ``touched`` tie whose ``draw`` is below ``share``: marked gone and noted in
    ``cuts`` after the first ``ncuts`` (room for them all assumed), in order; returns the
    number noted. (One call for what took four NumPy steps of ~1-2 us each.)"""
    for j in range(len(touched)):
        i = touched[j]
        cuts[ncuts] = i  # written for each, kept if cut
        if draw[j] < share:
            alive[i] = False
            ncuts += 1
    return ncuts


@njit(cache=True)
def _refresh(  # pragma: no cover - compiled
    inside, before, pos, a_tie, a_src, a_dst, k, cut, start, index, other, head, after, src,
    dst, alive, built, last, m,
):  # fmt: skip
    """Bring the answer ``a_tie``, ``a_src``-``a_dst`` (its first ``k``; ``pos``: each
    stored tie's position in it, else OUT, or GONE if cut) about the set ``before`` (found when
    ``last`` ties were stored, ``k`` < 0 if never) up to date for the set ``inside`` (and
    ``before`` with it): the remaining ties among ``inside`` of the ``m`` stored. Takes out
    the ties ``cut`` since and the indexed ties (numbered below ``built``, person ``v``'s
    ``index[start[v]:start[v + 1]]``, to ``other[start[v]:start[v + 1]]``) and the later
    ones (linked from ``head[v]`` by ``after``, see :meth:`Ties._link`) of the people who
    left, puts in those of the people who joined, and checks those added since; when many
    people changed, checks every tie. The other end and ``pos`` are read
    first, as a tie's entries are scattered over memory, and asked for ahead of the walks
    (:func:`_ask_ahead`). The sets are compared eight people at a time (as words).
    Returns the answer's new size."""
    n = len(inside)
    inside_words = inside[: n // 8 * 8].view(np.uint64)
    before_words = before[: n // 8 * 8].view(np.uint64)
    changed = np.empty(n, dtype=np.intp)
    c = 0
    for w in range(len(inside_words)):
        if inside_words[w] != before_words[w]:
            for v in range(8 * w, 8 * w + 8):
                changed[c] = v
                c += inside[v] != before[v]
    for v in range(8 * len(inside_words), n):
        changed[c] = v
        c += inside[v] != before[v]
    if k < 0 or c > n // 8:  # from every tie
        k = 0
        for i in range(m):
            s, d = src[i], dst[i]
            keep = alive[i] & inside[s] & inside[d]
            a_tie[k], a_src[k], a_dst[k] = i, s, d  # written for every tie, kept if inside
            pos[i] = k if keep else (OUT if alive[i] else GONE)
            k += keep
        before[:] = inside
        return k
    people = len(start) - 1
    _ask_ahead(changed[:c], cut, inside, pos, start, index, other, head, after, src, dst, alive)
    for i in cut:
        k = _take_out(i, pos, a_tie, a_src, a_dst, k)
        pos[i] = GONE
    for j in range(c):  # the people who left: out with their ties
        v = changed[j]
        if inside[v]:
            continue
        for e in range(start[v], start[v + 1]) if v < people else range(0):
            if before[max(other[e], ~other[e])]:  # the tie was among the set
                k = _take_out(index[e], pos, a_tie, a_src, a_dst, k)
        e = head[v]
        while e >= 0:
            i = e >> 1
            if before[src[i] if e & 1 else dst[i]]:
                k = _take_out(i, pos, a_tie, a_src, a_dst, k)
            e = after[e]
    # the people who joined: in with their remaining ties to people inside, a tie between
    # two who joined when met from its smaller end (none of their ties was in the answer, and
    # the ties cut are not alive: so ``pos`` need not be read, a cache miss)
    for j in range(c):
        v = changed[j]
        if not inside[v]:
            continue
        for e in range(start[v], start[v + 1]) if v < people else range(0):
            u, i = other[e], index[e]
            w = max(u, ~u)
            if inside[w] and alive[i] and (before[w] or w > v):
                s, d = (v, u) if u >= 0 else (~u, v)
                k = _put_in(i, s, d, pos, a_tie, a_src, a_dst, k)
        e = head[v]
        while e >= 0:
            i = e >> 1
            w = src[i] if e & 1 else dst[i]
            if inside[w] and alive[i] and (before[w] or w > v):
                k = _put_in(i, src[i], dst[i], pos, a_tie, a_src, a_dst, k)
            e = after[e]
    for i in range(last, m):  # added since
        s, d = src[i], dst[i]
        if (alive[i] & inside[s] & inside[d]) != (pos[i] >= 0):  # rarely: a branch seldom taken
            if pos[i] < 0:
                k = _put_in(i, s, d, pos, a_tie, a_src, a_dst, k)
            else:
                k = _take_out(i, pos, a_tie, a_src, a_dst, k)
    for j in range(c):
        before[changed[j]] = inside[changed[j]]
    return k


@njit(cache=True, inline="always")
def _ask_ahead(
    changed, cut, inside, pos, start, index, other, head, after, src, dst, alive
):  # pragma: no cover - compiled
    """Prefetch what :func:`_refresh`'s walks read, in passes over the ``changed`` people
    that wait on nothing: the position of each tie ``cut``, each person's place in the index
    and first tail entry, then the first of their index entries and the ends of that tail
    tie, then the position (of those who left) or the mark (of those who joined) of each
    indexed tie. The walks themselves wait on one cache miss after another (a person's
    place, then its entries, then each tie); asked for all at once, the misses overlap:
    about a quarter less time in a run."""
    people = len(start) - 1
    for i in cut:
        prefetch(pos, i)
    _ask_places(changed, start, head)
    for v in changed:
        if v < people:
            prefetch(other, start[v])
            prefetch(index, start[v])
        e = head[v]
        if e >= 0:
            prefetch(after, e)
            prefetch(src, e >> 1)
            prefetch(dst, e >> 1)
    for v in changed:
        for e in range(start[v], start[v + 1]) if v < people else range(0):
            if inside[v]:
                prefetch(alive, index[e])
            else:
                prefetch(pos, index[e])


@njit(cache=True, inline="always")
def _ask_places(who, start, head):  # pragma: no cover - compiled
    """Prefetch each person's place in the index (``start``) and last tail entry (``head``)
    (see :class:`Ties`): what a walk of their ties reads first."""
    people = len(start) - 1
    for v in who:
        prefetch(head, v)
        if v < people:
            prefetch(start, v)


@njit(cache=True, inline="always")
def _put_in(i, s, d, pos, a_tie, a_src, a_dst, k):  # pragma: no cover - compiled
    """Append tie ``i`` (``s``-``d``) to an answer of ``k`` ties; returns its new size."""
    a_tie[k], a_src[k], a_dst[k] = i, s, d
    pos[i] = k
    return k + 1


@njit(cache=True, inline="always")
def _take_out(i, pos, a_tie, a_src, a_dst, k):  # pragma: no cover - compiled
    """Take tie ``i`` out of an answer of ``k`` ties if it is there (the answer's last tie
    takes its place); returns the new size."""
    p = pos[i]
    if p < 0:
        return k
    k -= 1
    last = a_tie[k]
    a_tie[p], a_src[p], a_dst[p] = last, a_src[k], a_dst[k]
    pos[last] = p
    pos[i] = OUT
    return k


OUT, GONE = -1, -2  # in _Answer.pos: a remaining tie not in the answer, a cut tie


@njit(cache=True)
def _any_neighbour(flag, src, dst):  # pragma: no cover - compiled
    """Per person: tied by one of the ties ``src[i]-dst[i]`` to a flagged person."""
    out = np.zeros(len(flag), dtype=np.bool_)
    for i in range(len(src)):
        if flag[src[i]]:
            out[dst[i]] = True
        if flag[dst[i]]:
            out[src[i]] = True
    return out


@njit(cache=True)
def find_root(root, x):  # pragma: no cover - compiled
    """The root of ``x``'s tree (``root``: each node's parent, a root its own), halving the
    path on the way."""
    while root[x] != x:
        root[x] = root[root[x]]
        x = root[x]
    return x


@njit(cache=True, inline="always")
def join_roots(root, x, y):  # pragma: no cover - compiled
    """Merge the trees of ``x`` and ``y`` (``root``: each node's parent, smaller than the
    node, a root its own), by Rem's algorithm with splicing: walking up from both at once,
    the node whose parent is the larger is re-pointed to the other's parent, until the two
    walks meet or one reaches its root, which is hooked on. Every parent stays smaller than
    its children, so a root is always its tree's smallest node. (Fewer steps than finding
    both roots first: the walks stop where the trees meet, and re-pointing shortens them.)
    Which of the two walks on is chosen by selects, not a branch, which mispredicts on the
    ties' random order (regrouping's joins 16.9 -> 16.2 ms a run)."""
    while True:
        rx, ry = root[x], root[y]
        if rx == ry:
            return
        big = rx > ry
        x, y = (x if big else y), (y if big else x)
        hi, lo = max(rx, ry), min(rx, ry)
        root[x] = lo
        if hi == x:  # x was a root, larger than y's parent: hooked onto it
            return
        x = hi


@njit(cache=True)
def _components(nodes, n, group, src, dst):  # pragma: no cover - compiled
    """:meth:`Ties.components` from the ties ``src``-``dst`` among ``nodes``: union-find over
    the positions in ``nodes``, joining the ends of each tie whose two ends have the same
    group. (The ties' positions are gathered first, in a loop without branches: the joins'
    lookups then wait on fewer cache misses.)"""
    pos = np.full(n, -1, dtype=np.intp)
    for i in range(len(nodes)):
        pos[nodes[i]] = i
    a = np.empty(len(src), dtype=np.intp)
    b = np.empty(len(src), dtype=np.intp)
    k = 0
    for i in range(len(src)):
        s, d = src[i], dst[i]
        a[k], b[k] = pos[s], pos[d]  # written for every tie, kept for those within a group
        k += group[s] == group[d]
    root = union_find(len(nodes), a[:k], b[:k])
    out = np.full(n, -1, dtype=np.int64)
    for i in range(len(nodes)):
        out[nodes[i]] = root[i]
    return out


@njit(cache=True)
def union_find(k: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of nodes ``0..k-1`` joined by edges ``a[i]-b[i]``: the smallest
    node of each component, per node.

    Union-find whose roots are always their tree's smallest node (:func:`join_roots`); at
    the end every node points to its root
    (in increasing order, each node's parent is smaller and already final).
    """
    root = np.arange(k)
    up = root.view(np.uint64)  # unsigned: no negative-index wraparound at each read
    a, b = a.view(np.uint64), b.view(np.uint64)
    for i in range(len(a)):
        join_roots(up, a[i], b[i])
    for v in range(k):
        up[v] = up[up[v]]
    return root
