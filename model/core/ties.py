"""Social ties between members (unit, family, prison cell, recruitment, affiliate) as a sparse
undirected graph."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

UNIT, FAMILY, CELL, RECRUITED, AFFILIATE = 1, 2, 3, 4, 5  # AFFILIATE: joined in another theatre
INSURGENT_CELL = 6  # an insurgent cell in Iraq or Syria, and its link to a commander


class Among(NamedTuple):
    """The ties among the people ``inside`` when ``m`` ties were stored and ``gone`` of them
    cut: their numbers and ends."""

    inside: np.ndarray
    m: int
    gone: int
    tie: np.ndarray
    src: np.ndarray
    dst: np.ndarray


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
    since (the tail) are scanned. The index is rebuilt (and the list compacted) when the
    tail outgrows a share of it.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._m = 0  # ties stored, gone ones included
        self._gone = 0  # cut ties still stored
        self._src = np.zeros(capacity, dtype=np.intp)
        self._dst = np.zeros(capacity, dtype=np.intp)
        self._kind = np.zeros(capacity, dtype=np.int8)
        self._alive = np.zeros(capacity, dtype=np.bool_)
        self._built = 0  # ties (by number) in the index
        self._start = np.zeros(1, dtype=np.intp)
        self._tie = np.zeros(0, dtype=np.int32)
        # the last answer of _inside() for each kind of question (see inside())
        self._answers: dict[str | None, Among] = {}

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
        keep = a != b
        a, b = a[keep], b[keep]
        k = len(a)
        if k == 0:
            return
        if self._m + k > len(self._src):
            cap = max(self._m + k, 2 * len(self._src))
            for name in ("_src", "_dst", "_kind", "_alive"):
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: self._m] = old[: self._m]
                setattr(self, name, new)
        end = self._m + k
        self._src[self._m : end] = a
        self._dst[self._m : end] = b
        self._kind[self._m : end] = kind
        self._alive[self._m : end] = True
        self._m = end

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
        tail = slice(self._built, self._m)
        touched = _touching(
            members, self._start, self._tie, self._alive, self._built,
            self._src[tail], self._dst[tail], self._alive[tail],
        )  # fmt: skip
        drop = touched[rng.random(len(touched)) < share]  # one draw a touched tie, in order
        self._alive[drop] = False
        self._gone += len(drop)

    # ------------------------------------------------------------------ questions
    def neighbours(self, i: int) -> np.ndarray:
        src, dst = self.edges
        return np.unique(np.concatenate([dst[src == i], src[dst == i]]))

    def among(self, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ties between two people for whom ``inside`` (a boolean per person) is true, in
        their order."""
        last = self._inside(inside)
        order = np.argsort(last.tie)
        return last.src[order].astype(np.intp), last.dst[order].astype(np.intp)

    def inside(self, inside: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The ends of the ties between two people for whom ``inside`` (a boolean per person)
        is true, in no particular order. The answer is remembered under ``key`` (one for each
        kind of question a mechanism asks every month, such as "the free") and updated for
        the next question with that key: cheaper than a pass over every tie when the set
        changes little from one question to the next."""
        last = self._inside(inside, key)
        return last.src, last.dst

    def any_neighbour(self, flag: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
        """Boolean per person: tied to at least one person for whom ``flag`` is true.

        With ``among`` (a boolean per person), only ties between two such people count.
        """
        if among is None:
            among = np.ones(len(flag), dtype=np.bool_)
        last = self._inside(among)
        return _any_neighbour(flag, last.src, last.dst)

    def components(self, nodes: np.ndarray, n: int, group: np.ndarray | None = None) -> np.ndarray:
        """Component label per person for the graph restricted to ``nodes`` (-1 elsewhere).

        With ``group`` (a code per person, such as the place where each is), only ties
        between two people of the same group connect them: a component never spans two
        groups (the ties across them are kept, and count again once their ends meet).

        A component's label is the position in ``nodes`` of its first member, so labels
        grow with the components' first members (as ``scipy.sparse.csgraph`` numbers them).
        """
        inside = np.zeros(n, dtype=np.bool_)
        inside[nodes] = True
        last = self._inside(inside)
        if group is None:
            group = np.zeros(n, dtype=np.int8)
        return _components(nodes, n, group, last.src, last.dst)

    def _inside(self, inside: np.ndarray, key: str | None = None) -> Among:
        """The ties among ``inside`` (:class:`Among`, in no particular order), the last answer
        remembered.

        The months ask this for nearly the same set again and again (free members in
        ``allegiance``, with the active in ``upbringing``, again in ``regrouping``, and next
        month): the same set is answered from the last answer; otherwise, when few people
        joined the set, the last answer is filtered (dropping the ties cut since and those of
        the people who left), and the ties of the people who joined are looked up in the
        index, and the ties added since are filtered; only a set with many newcomers is
        filtered from every tie.
        """
        self._index()  # before reading the last answer: a rebuild renumbers the ties
        last, m = self._answers.get(key), self._m
        if last is not None and len(last.inside) <= len(inside):
            same, joined = _joined(inside, last.inside)
            if same and last.m == m and last.gone == self._gone:
                return last
            if len(joined) <= len(inside) // 8:
                found = _update(
                    inside, joined, last.tie, last.src, last.dst, self._start, self._tie,
                    self._src, self._dst, self._alive, self._built, last.m, m,
                )  # fmt: skip
                self._answers[key] = Among(inside.copy(), m, self._gone, *found)
                return self._answers[key]
        everyone = np.zeros(0, dtype=np.int32)
        found = _update(
            inside, everyone, everyone, everyone, everyone, self._start, self._tie,
            self._src, self._dst, self._alive, 0, 0, m,
        )  # fmt: skip
        self._answers[key] = Among(inside.copy(), m, self._gone, *found)
        return self._answers[key]

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

    def _index(self) -> None:
        """Rebuild the index when the ties added since it was built outnumber an eighth of
        those in it (a scan of the tail costs less than a rebuild until then)."""
        if self._m - self._built > TAIL + self._built // 8:
            self._compact()
            self._start, self._tie = _build_index(self._src, self._dst, self._m)
            self._built = self._m


TAIL = 2048  # ties that may always wait outside the index


@njit(cache=True)
def _build_index(src, dst, m):  # pragma: no cover - compiled
    """Each person's ties among the first ``m`` (a counting sort of both ends): person ``v``'s
    ties are ``tie[start[v]:start[v + 1]]``, in increasing order."""
    top = 0
    for i in range(m):
        top = max(top, src[i], dst[i])
    start = np.zeros(top + 2, dtype=np.intp)
    for i in range(m):
        start[src[i] + 1] += 1
        start[dst[i] + 1] += 1
    for v in range(top + 1):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    tie = np.empty(2 * m, dtype=np.int32)
    for i in range(m):
        s, d = src[i], dst[i]
        tie[fill[s]] = i
        fill[s] += 1
        tie[fill[d]] = i
        fill[d] += 1
    return start, tie


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
def _touching(members, start, tie, alive, built, src, dst, remains):  # pragma: no cover
    """Numbers of the remaining ties with an end among ``members``, in increasing order: the
    indexed ties of each member, then those of the tail (numbered from ``built``: ends
    ``src``, ``dst``, whether it ``remains``)."""
    people = len(start) - 1
    count = 0
    for v in members:
        if v < people:
            count += start[v + 1] - start[v]
    out = np.empty(count + len(src), dtype=np.intp)
    k = 0
    for v in members:
        if v < people:
            for j in range(start[v], start[v + 1]):
                out[k] = tie[j]
                k += alive[tie[j]]
    if len(src):
        top = members.max()
        hit = np.zeros(top + 1, dtype=np.bool_)
        for v in members:
            hit[v] = True
        for i in range(len(src)):
            s, d = src[i], dst[i]
            out[k] = built + i
            k += remains[i] & ((s <= top and hit[s]) | (d <= top and hit[d]))
    return np.unique(out[:k])  # a tie between two members was found twice


def _joined(inside: np.ndarray, before: np.ndarray) -> tuple[bool, np.ndarray]:
    """Whether ``inside`` is the same set as ``before`` (both boolean per person), and who
    is inside but was not before (as far as ``before`` goes); compared eight at a time."""
    k = len(before) // 8 * 8
    a, b = np.ascontiguousarray(inside[:k]), np.ascontiguousarray(before[:k])
    same, joined = _joined_words(inside, before, a.view(np.uint64), b.view(np.uint64))
    return same and len(inside) == len(before), joined


@njit(cache=True)
def _joined_words(inside, before, inside_words, before_words):  # pragma: no cover - compiled
    """:func:`_joined`, the booleans also packed eight to a word."""
    same = True
    joined = np.empty(len(before), dtype=np.intp)
    k = 0
    for w in range(len(inside_words)):
        a, b = inside_words[w], before_words[w]
        if a != b:
            same = False
            if a & ~b:
                for v in range(8 * w, 8 * w + 8):
                    joined[k] = v
                    k += inside[v] & ~before[v]
    for v in range(8 * len(inside_words), len(before)):
        same &= inside[v] == before[v]
        joined[k] = v
        k += inside[v] & ~before[v]
    return same, joined[:k].copy()


@njit(cache=True)
def _update(  # pragma: no cover - compiled
    inside, joined, tie, src, dst, start, index, all_src, all_dst, alive, built, last, m
):  # fmt: skip
    """The remaining ties among ``inside``, given those (``tie``, ends ``src``-``dst``) among
    a set that ``inside`` differs from by the people who left and those who ``joined``,
    found when ``last`` ties were stored: those of them that remain; the ties numbered below
    ``last`` of the people who joined (from the index of ties numbered below ``built``, and
    a scan of those from ``built``); and the ties added since."""
    people = len(start) - 1
    count = len(tie) + max(last - built, 0) + m - last
    for v in joined:
        if v < people:
            count += start[v + 1] - start[v]
    out_tie = np.empty(count, dtype=np.int32)  # half the memory to stream again
    out_src = np.empty(count, dtype=np.int32)
    out_dst = np.empty(count, dtype=np.int32)
    k = 0
    for j in range(len(tie)):
        i, s, d = tie[j], src[j], dst[j]
        out_tie[k], out_src[k], out_dst[k] = i, s, d  # written for every tie, kept if inside
        k += alive[i] & inside[s] & inside[d]
    if len(joined):
        new = np.zeros(len(inside), dtype=np.bool_)
        for v in joined:
            new[v] = True
        for v in joined:
            if v >= people:
                continue
            for j in range(start[v], start[v + 1]):
                i = index[j]
                s, d = all_src[i], all_dst[i]
                u = s ^ d ^ v  # the other end
                out_tie[k], out_src[k], out_dst[k] = i, s, d
                k += (i < last) & alive[i] & inside[u] & (~new[u] | (v < u))  # once a tie
        k = _scan(inside, new, all_src[built:last], all_dst[built:last], alive[built:last], built,
              True, out_tie, out_src, out_dst, k)  # fmt: skip
    k = _scan(inside, inside, all_src[last:m], all_dst[last:m], alive[last:m], last, False,
              out_tie, out_src, out_dst, k)  # fmt: skip
    return out_tie[:k].copy(), out_src[:k].copy(), out_dst[:k].copy()


@njit(cache=True)
def _scan(
    inside, touch, src, dst, alive, first, touching, out_tie, out_src, out_dst, k
):  # pragma: no cover
    """Append to ``out_*`` from position ``k`` the remaining ties among ``inside`` of
    ``src``-``dst`` (numbered from ``first``), only those with an end in ``touch`` if
    ``touching``; returns the new end. (Loops from 0 to an array's length: LLVM then knows
    the indices are not negative, which makes them twice as fast.)"""
    for i in range(len(src)):
        s, d = src[i], dst[i]
        out_tie[k], out_src[k], out_dst[k] = first + i, s, d
        k += alive[i] & inside[s] & inside[d] & (~touching | touch[s] | touch[d])
    return k


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
def _find(root, x):  # pragma: no cover - compiled
    """The root of ``x``'s tree, halving the path on the way."""
    while root[x] != x:
        root[x] = root[root[x]]
        x = root[x]
    return x


@njit(cache=True)
def _join(root, x, y):  # pragma: no cover - compiled
    """Merge the trees of ``x`` and ``y``: the larger root is hooked onto the smaller."""
    x, y = _find(root, x), _find(root, y)
    if x < y:
        root[y] = x
    elif y < x:
        root[x] = y


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

    Union-find whose roots are always their tree's smallest node (the larger of two roots is
    hooked onto the smaller), with path halving; at the end every node points to its root
    (in increasing order, each node's parent is smaller and already final).
    """
    root = np.arange(k)
    for i in range(len(a)):
        _join(root, a[i], b[i])
    for v in range(k):
        root[v] = root[root[v]]
    return root
