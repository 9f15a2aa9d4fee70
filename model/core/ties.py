"""Social ties between members (unit, family, prison cell, recruitment, affiliate) as a sparse
undirected graph."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import njit

UNIT, FAMILY, CELL, RECRUITED, AFFILIATE = 1, 2, 3, 4, 5  # AFFILIATE: joined in another theatre
INSURGENT_CELL = 6  # an insurgent cell in Iraq or Syria, and its link to a commander


class Ties:
    """An edge list that grows; connectivity comes from a compiled union-find.

    Ends are stored as ``np.intp``, the type NumPy indexes with (other integer types are
    converted on every lookup, which tripled the cost of the monthly passes over all ties).
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.m = 0
        self.src = np.zeros(capacity, dtype=np.intp)
        self.dst = np.zeros(capacity, dtype=np.intp)
        self.kind = np.zeros(capacity, dtype=np.int8)
        self._among: SimpleNamespace | None = None  # the last call of among()

    def add(self, a: np.ndarray, b: np.ndarray, kind: int) -> None:
        """Add ties a[i]-b[i] (self-ties are dropped)."""
        keep = a != b
        a, b = a[keep], b[keep]
        k = len(a)
        if self.m + k > len(self.src):
            cap = max(self.m + k, 2 * len(self.src))
            for name in ("src", "dst", "kind"):
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: self.m] = old[: self.m]
                setattr(self, name, new)
        self.src[self.m : self.m + k] = a
        self.dst[self.m : self.m + k] = b
        self.kind[self.m : self.m + k] = kind
        self.m += k

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
        touched = _touching(self.src, self.dst, self.m, members)
        drop = touched[rng.random(len(touched)) < share]  # one draw a touched tie
        if len(drop):
            self.m = _drop(self.src, self.dst, self.kind, self.m, drop)
            self._among = None  # the cached answer may hold removed ties

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        return self.src[: self.m], self.dst[: self.m]

    def neighbours(self, i: int) -> np.ndarray:
        src, dst = self.edges
        return np.unique(np.concatenate([dst[src == i], src[dst == i]]))

    def among(self, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ties between two people for whom ``inside`` (a boolean per person) is true.

        A month asks this for a shrinking set (free members in ``hiding``, then fewer of them
        in ``regroup``): when ``inside`` lies within the previous call's set and no tie was
        added since, the answer is filtered from the previous answer, not from every tie.
        """
        last = self._among
        if (
            last is not None
            and last.m == self.m
            and len(last.inside) == len(inside)
            and not (inside & ~last.inside).any()
        ):
            src, dst = last.src, last.dst
        else:
            src, dst = self.edges
        src, dst = _among(inside, src, dst)
        self._among = SimpleNamespace(inside=inside.copy(), m=self.m, src=src, dst=dst)
        return src, dst

    def any_neighbour(self, flag: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
        """Boolean per person: tied to at least one person for whom ``flag`` is true.

        With ``among`` (a boolean per person), only ties between two such people count.
        """
        src, dst = self.edges if among is None else self.among(among)
        return _any_neighbour(flag, src, dst)

    def components(self, nodes: np.ndarray, n: int, group: np.ndarray | None = None) -> np.ndarray:
        """Component label per person for the graph restricted to ``nodes`` (-1 elsewhere).

        With ``group`` (a code per person, such as the place where each is), only ties
        between two people of the same group connect them: a component never spans two
        groups (the ties across them are kept, and count again once their ends meet).

        A component's label is the position in ``nodes`` of its first member, so labels
        grow with the components' first members (as ``scipy.sparse.csgraph`` numbers them).
        """
        inside = np.zeros(n, dtype=bool)
        inside[nodes] = True
        src, dst = self.among(inside)
        if group is not None:
            src, dst = _within(group, src, dst)
        pos = np.full(n, -1, dtype=np.intp)
        pos[nodes] = np.arange(len(nodes))
        out = np.full(n, -1, dtype=np.int64)
        out[nodes] = union_find(len(nodes), pos[src], pos[dst])
        return out


@njit(cache=True)
def _touching(src, dst, m, members):  # pragma: no cover - compiled
    """Positions of the ties ``i < m`` with an end among ``members``, in order."""
    top = max(src[:m].max(), dst[:m].max(), members.max())
    hit = np.zeros(top + 1, dtype=np.bool_)
    for v in members:
        hit[v] = True
    out = np.empty(m, dtype=np.intp)
    k = 0
    for i in range(m):
        out[k] = i
        k += hit[src[i]] | hit[dst[i]]
    return out[:k].copy()


@njit(cache=True)
def _drop(src, dst, kind, m, drop):  # pragma: no cover - compiled
    """Remove in place the ties at positions ``drop`` (increasing) among the first ``m``,
    keeping the others in order; returns how many are kept."""
    k = j = 0
    for i in range(m):
        if j < len(drop) and drop[j] == i:
            j += 1
            continue
        src[k], dst[k], kind[k] = src[i], dst[i], kind[i]
        k += 1
    return k


@njit(cache=True)
def _among(inside: np.ndarray, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ties whose two ends are inside, in their order."""
    a = np.empty(len(src), dtype=np.intp)
    b = np.empty(len(src), dtype=np.intp)
    k = 0
    for i in range(len(src)):
        s, d = src[i], dst[i]
        a[k], b[k] = s, d  # written for every tie, kept for those inside
        k += inside[s] & inside[d]
    return a[:k].copy(), b[:k].copy()


@njit(cache=True)
def _within(group: np.ndarray, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ties whose two ends have the same ``group`` code, in their order."""
    a = np.empty(len(src), dtype=np.intp)
    b = np.empty(len(src), dtype=np.intp)
    k = 0
    for i in range(len(src)):
        s, d = src[i], dst[i]
        a[k], b[k] = s, d  # written for every tie, kept for those within a group
        k += group[s] == group[d]
    return a[:k].copy(), b[:k].copy()


@njit(cache=True)
def _any_neighbour(flag: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    out = np.zeros(len(flag), dtype=np.bool_)
    for i in range(len(src)):
        if flag[src[i]]:
            out[dst[i]] = True
        if flag[dst[i]]:
            out[src[i]] = True
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
        x, y = a[i], b[i]
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        while root[y] != y:
            root[y] = root[root[y]]
            y = root[y]
        if x < y:
            root[y] = x
        elif y < x:
            root[x] = y
    for v in range(k):
        root[v] = root[root[v]]
    return root
