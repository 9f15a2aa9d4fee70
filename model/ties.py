"""Social ties between members (unit, family, prison cell) as a sparse undirected graph."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

UNIT, FAMILY, CELL, RECRUITED = 1, 2, 3, 4


class Ties:
    """An edge list that grows; connectivity is computed with ``scipy.sparse.csgraph``."""

    def __init__(self, capacity: int = 4096) -> None:
        self.m = 0
        self.src = np.zeros(capacity, dtype=np.int32)
        self.dst = np.zeros(capacity, dtype=np.int32)
        self.kind = np.zeros(capacity, dtype=np.int8)

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

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        return self.src[: self.m], self.dst[: self.m]

    def neighbours(self, i: int) -> np.ndarray:
        src, dst = self.edges
        return np.unique(np.concatenate([dst[src == i], src[dst == i]]))

    def any_neighbour(self, flag: np.ndarray) -> np.ndarray:
        """Boolean per person: tied to at least one person for whom ``flag`` is true."""
        src, dst = self.edges
        out = np.zeros(len(flag), dtype=bool)
        out[dst[flag[src]]] = True
        out[src[flag[dst]]] = True
        return out

    def components(self, nodes: np.ndarray, n: int) -> np.ndarray:
        """Component label per person for the graph restricted to ``nodes`` (-1 elsewhere)."""
        inside = np.zeros(n, dtype=bool)
        inside[nodes] = True
        src, dst = self.edges
        keep = inside[src] & inside[dst]
        pos = np.full(n, -1, dtype=np.int64)
        pos[nodes] = np.arange(len(nodes))
        k = len(nodes)
        graph = sparse.coo_matrix(
            (np.ones(int(keep.sum()), dtype=np.int8), (pos[src[keep]], pos[dst[keep]])),
            shape=(k, k),
        ).tocsr()
        _, labels = connected_components(graph, directed=False)
        out = np.full(n, -1, dtype=np.int64)
        out[nodes] = labels
        return out
