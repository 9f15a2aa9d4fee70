"""The tie graph (unit, family, prison cell): growth, neighbours, connectivity."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from regroup.core.ties import CELL, FAMILY, UNIT, Ties, union_find

FAST = settings(max_examples=50, deadline=None)


def reference_components(n: int, edges: list[tuple[int, int]], nodes: set[int]) -> list[set]:
    """Connected components of the graph restricted to ``nodes``, by union-find."""
    parent = {v: v for v in nodes}

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for a, b in edges:
        if a in nodes and b in nodes:
            parent[find(a)] = find(b)
    groups: dict[int, set] = {}
    for v in nodes:
        groups.setdefault(find(v), set()).add(v)
    return sorted(groups.values(), key=min)


graphs = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
        st.sets(st.integers(0, n - 1), min_size=1),
    )
)


def build(edges: list[tuple[int, int]], capacity: int = 4) -> Ties:
    ties = Ties(capacity=capacity)  # small: adding must grow the arrays
    if edges:
        a, b = (np.array(x, dtype=np.int64) for x in zip(*edges, strict=True))
        ties.add(a, b, UNIT)
    return ties


@FAST
@given(graph=graphs)
def test_components_match_union_find(graph):
    n, edges, nodes = graph
    label = build(edges).components(np.array(sorted(nodes)), n)
    outside = np.setdiff1d(np.arange(n), sorted(nodes))
    assert np.all(label[outside] == -1)
    found: dict[int, set] = {}
    for v in nodes:
        found.setdefault(int(label[v]), set()).add(v)
    assert sorted(found.values(), key=min) == reference_components(n, edges, nodes)


@FAST
@given(graph=graphs, groups=st.lists(st.integers(0, 2), min_size=30, max_size=30))
def test_components_within_groups_match_union_find_of_same_group_ties(graph, groups):
    """With a group per person (a place), only ties inside a group connect."""
    n, edges, nodes = graph
    group = np.array(groups[:n], dtype=np.int8)
    label = build(edges).components(np.array(sorted(nodes)), n, group=group)
    same = [(a, b) for a, b in edges if group[a] == group[b]]
    found: dict[int, set] = {}
    for v in nodes:
        found.setdefault(int(label[v]), set()).add(v)
    assert sorted(found.values(), key=min) == reference_components(n, same, nodes)
    assert all(len({int(group[v]) for v in c}) == 1 for c in found.values())


def test_a_component_split_by_groups_keeps_its_ties():
    ties = build([(0, 1), (1, 2), (2, 3)])
    nodes = np.arange(4)
    assert len(np.unique(ties.components(nodes, 4))) == 1
    label = ties.components(nodes, 4, group=np.array([0, 0, 1, 1], dtype=np.int8))
    assert label.tolist() == [0, 0, 2, 2]  # two components, labelled by their first member
    assert ties.m == 3
    assert len(np.unique(ties.components(nodes, 4))) == 1  # without groups: one again


@FAST
@given(graph=graphs)
def test_neighbours_and_any_neighbour(graph):
    n, edges, flagged = graph
    ties = build(edges)
    loops = [(a, b) for a, b in edges if a != b]
    assert ties.m == len(loops)  # self-ties are dropped, the rest kept after growing
    flag = np.zeros(n, dtype=bool)
    flag[sorted(flagged)] = True
    near = ties.any_neighbour(flag)
    for v in range(n):
        expected = {b for a, b in loops if a == v} | {a for a, b in loops if b == v}
        assert set(ties.neighbours(v).tolist()) == expected
        assert near[v] == any(flag[u] for u in expected)


def test_chain_connects_each_group_and_nothing_across():
    ties = Ties()
    members = np.array([10, 11, 12, 13, 14, 15, 16])
    group = np.array([2, 1, 2, 1, 3, 2, 1])
    ties.chain(members, group, FAMILY)
    assert ties.m == len(members) - len(np.unique(group))  # size - 1 edges per group
    assert np.all(ties.kind[: ties.m] == FAMILY)
    label = ties.components(members, 20)
    for g in np.unique(group):
        assert len(np.unique(label[members[group == g]])) == 1
    assert len(np.unique(label[members])) == 3


def test_kinds_are_kept_per_edge():
    ties = Ties(capacity=1)
    ties.add(np.array([0, 1]), np.array([1, 2]), UNIT)
    ties.add(np.array([3]), np.array([4]), CELL)
    assert ties.kind[: ties.m].tolist() == [UNIT, UNIT, CELL]
    src, dst = ties.edges
    assert (src.tolist(), dst.tolist()) == ([0, 1, 3], [1, 2, 4])


def test_cuts_and_questions_match_a_plain_edge_list_through_growth():
    """Many ties (the index of each person's ties is built, the tail scanned), cuts (one draw
    per touched tie, in tie order), additions, and questions about the same set, sets with
    a few newcomers (answered from the last answer) and other sets, between them: the same
    answers, ties and draws as a plain edge list."""
    rng, draws, plain_draws = (np.random.default_rng(s) for s in (3, 4, 4))
    n = 400
    ties, src, dst = Ties(capacity=16), np.zeros(0, np.intp), np.zeros(0, np.intp)

    def add(k: int) -> None:
        nonlocal src, dst
        a, b = rng.integers(0, n, k), rng.integers(0, n, k)
        ties.add(a, b, UNIT)
        src, dst = np.r_[src, a[a != b]], np.r_[dst, b[a != b]]

    def cut() -> None:
        nonlocal src, dst
        members = np.unique(rng.integers(0, n, int(rng.integers(1, 20))))
        ties.cut(members, 0.5, draws)
        touched = np.flatnonzero(np.isin(src, members) | np.isin(dst, members))
        drop = touched[plain_draws.random(len(touched)) < 0.5]
        src, dst = np.delete(src, drop), np.delete(dst, drop)

    def ask(inside: np.ndarray) -> None:
        keep = inside[src] & inside[dst]
        got = ties.among(inside)
        assert np.array_equal(got[0], src[keep]) and np.array_equal(got[1], dst[keep])
        flag = inside & (rng.random(n) < 0.2)
        near = np.zeros(n, bool)
        near[dst[keep][flag[src[keep]]]] = near[src[keep][flag[dst[keep]]]] = True
        assert np.array_equal(ties.any_neighbour(flag, among=inside), near)
        nodes = np.flatnonzero(inside)
        label = ties.components(nodes, n)
        expected = union_find(len(nodes), *np.searchsorted(nodes, (src[keep], dst[keep])))
        assert np.array_equal(label[nodes], expected)

    wide = rng.random(n) < 0.7
    for month in range(40):
        add(int(rng.integers(0, 3000 if month < 5 else 300)))
        cut()
        narrow = wide & (rng.random(n) < 0.97)
        ask(narrow)
        ask(wide)  # a few newcomers
        ask(wide)  # the same set
        cut()
        ask(wide)
        add(int(rng.integers(0, 50)))
        ask(wide | (rng.random(n) < 0.01))
        ask(rng.random(n) < 0.5)  # another set
        wide = (wide & (rng.random(n) < 0.98)) | (rng.random(n) < 0.02)
    assert ties.m == len(src) and np.array_equal(ties.edges[0], src)
    assert np.array_equal(ties.dst[: ties.m], dst) and np.all(ties.kind[: ties.m] == UNIT)


def test_questions_kept_under_their_keys_match_a_fresh_filter_as_sets_alternate():
    """Two kinds of monthly question (a large set, a subset of it) asked in turn, each kept
    under its own key and carried over, with people joining and leaving, cuts and new ties in
    between: each answer is the set of remaining ties between two people of the set."""
    rng = np.random.default_rng(21)
    n = 400
    ties = Ties()
    ties.add(rng.integers(0, n, 3000), rng.integers(0, n, 3000), UNIT)
    wide = rng.random(n) < 0.7
    for _ in range(12):
        narrow = wide & (rng.random(n) < 0.4)
        for key, inside in (("wide", wide), ("narrow", narrow), (None, narrow)):
            src, dst = ties.inside(inside, key) if key else ties.among(inside)
            all_src, all_dst = ties.stored[0], ties.stored[1]
            keep = ties.stored[2] & inside[all_src] & inside[all_dst]
            want = sorted(zip(all_src[keep].tolist(), all_dst[keep].tolist(), strict=True))
            assert sorted(zip(src.tolist(), dst.tolist(), strict=True)) == want
        flip = rng.random(n) < 0.03  # a few leave the set, a few join
        wide = wide ^ flip
        ties.cut(rng.choice(n, 5, replace=False), 0.5, rng)
        ties.add(rng.integers(0, n, 700), rng.integers(0, n, 700), FAMILY)  # index rebuilt


def test_kept_answers_follow_index_rebuilds_without_cuts_and_never_bring_back_a_cut_tie():
    """A kept answer brought up to date across an index rebuild that renumbers nothing (ties
    added since it was found are now indexed, not scanned), and across people who leave and
    rejoin the set after their ties were cut: the same set of ties, with their ends in order,
    as a fresh filter of the remaining ties."""
    rng = np.random.default_rng(5)
    n = 300
    ties = Ties(capacity=8)
    inside = rng.random(n) < 0.6

    def check() -> None:
        src, dst, alive = ties.stored
        keep = alive & inside[src] & inside[dst]
        got = ties.inside(inside, "kept")
        want = sorted(zip(src[keep].tolist(), dst[keep].tolist(), strict=True))
        assert sorted(zip(got[0].tolist(), got[1].tolist(), strict=True)) == want

    ties.add(rng.integers(0, n, 3000), rng.integers(0, n, 3000), UNIT)
    check()
    for _ in range(6):  # no cuts: each rebuild keeps the numbers (and the answer)
        ties.add(rng.integers(0, n, 2500), rng.integers(0, n, 2500), FAMILY)
        inside ^= rng.random(n) < 0.02
        check()
    arrested = rng.choice(n, 20, replace=False)
    ties.cut(arrested, 0.7, rng)
    inside[arrested] = False  # they leave, their ties cut
    check()
    inside[arrested] = True  # and come back: their cut ties stay out
    check()
    inside ^= rng.random(n) < 0.01
    ties.cut(rng.choice(n, 10, replace=False), 0.5, rng)
    check()


def test_prefetch_changes_nothing_even_out_of_bounds():
    """The kernels' prefetch only asks for memory: the array and the answer stay as they
    were, for any index, one past the end included (as a walk asks for a person's first
    entry when it has none)."""
    from numba import njit
    from regroup.core.compiled import prefetch

    @njit
    def fetch_all(a, idx):
        for i in idx:
            prefetch(a, i)
        return a.sum()

    a = np.arange(10, dtype=np.int32)
    assert fetch_all(a, np.array([0, 3, 9, 10], dtype=np.intp)) == 45
    assert fetch_all(a, np.zeros(0, dtype=np.intp)) == 45
    assert a.tolist() == list(range(10))


def test_drop_matches_the_numpy_steps():
    """_drop marks gone and notes, in order, the touched ties whose draw is below the share:
    as the NumPy steps (a mask, the marks, the notes), for none, one and every tie."""
    from regroup.core.ties import _drop

    rng = np.random.default_rng(5)
    for k in (0, 1, 7, 300):
        touched = np.sort(rng.choice(1000, k, replace=False)).astype(np.intp)
        draw = rng.random(k)
        for share in (0.0, 0.3, 1.0):
            alive = rng.random(1000) < 2  # all remain
            cuts = np.full(20 + k, -7, dtype=np.int32)
            got = _drop(touched, draw, share, alive, cuts, 20)
            drop = touched[draw < share]
            expected_alive = np.ones(1000, bool)
            expected_alive[drop] = False
            assert got == 20 + len(drop) and np.array_equal(cuts[20:got], drop)
            assert np.all(cuts[:20] == -7) and np.array_equal(alive, expected_alive)


def test_cut_of_people_with_no_linked_ties():
    """Cutting the ties of people beyond every tie's end (never linked) and of people with
    ties in the tail: the ties touched as a plain edge list finds them, the others kept."""
    ties = Ties(capacity=8)
    ties.add(np.array([0, 1, 2]), np.array([1, 2, 3]), UNIT)  # all in the tail
    ties.cut(np.array([50, 900]), 1.0, np.random.default_rng(0))  # nobody's ties
    assert ties.m == 3
    ties.cut(np.array([3, 1000]), 1.0, np.random.default_rng(0))  # the tie 2-3 only
    assert ties.edges[0].tolist() == [0, 1] and ties.edges[1].tolist() == [1, 2]


def test_touching_into_a_buffer_matches_a_plain_edge_list():
    """_touching writes the remaining ties with an end among the members, each once, in
    increasing order, into the buffer; into one too short, nothing (minus the room needed),
    for no member, one and many, indexed ties and the tail's."""
    from regroup.core.ties import _touching

    rng = np.random.default_rng(8)
    n, ties = 60, Ties(capacity=8)
    for _ in range(4):
        ties.add(rng.integers(0, n, 900), rng.integers(0, n, 900), UNIT)
        ties._index()
        ties.add(rng.integers(0, n, 40), rng.integers(0, n, 40), UNIT)  # a tail
        ties.cut(rng.choice(n, 3, replace=False), 0.5, rng)
    ties._link(n)
    src, dst, alive = ties.stored
    for members in (np.zeros(0, np.intp), np.array([7]), np.unique(rng.integers(0, n, 20))):
        args = (members, ties._start, ties._tie, ties._alive, ties._head, ties._next)
        expected = np.flatnonzero(alive & (np.isin(src, members) | np.isin(dst, members)))
        short = np.full(max(len(expected) - 1, 0), -5, dtype=np.intp)
        if len(expected):
            assert _touching(*args, short) < 0 and np.all(short == -5)
        out = np.empty(4 * len(src), dtype=np.intp)
        k = _touching(*args, out)
        assert np.array_equal(out[:k], expected)


def test_link_matches_a_plain_edge_list():
    """_link puts each end of the ties ``first`` to ``m`` at the head of its person's list:
    walked from ``head``, a person's entries (``2 * tie + side``) are those of the ties with
    an end at them, the latest first, then the entries linked before; with too little room
    in ``head``, it links none and returns the people it needs room for. For no tie, one and
    many."""
    from regroup.core.ties import _link

    rng = np.random.default_rng(11)
    n = 40
    for m in (0, 1, 500):
        src = rng.integers(0, n, m).astype(np.intp)
        dst = (src + rng.integers(1, n, m)) % n  # no self-tie
        after = np.full(2 * m, -9, dtype=np.int32)
        top = max(src.max(initial=-1), dst.max(initial=-1))
        if m:
            short = np.full(top, -1, dtype=np.int32)
            assert _link(short, after, src, dst, 0, m) == top + 1
            assert np.all(short == -1) and np.all(after == -9)
        head = np.full(n, -1, dtype=np.int32)
        first = m // 3
        assert _link(head, after, src, dst, 0, first) == 0
        assert _link(head, after, src, dst, first, m) == 0
        ends = np.stack([src, dst], axis=1).ravel()  # entry 2 * i + side's person
        for v in range(n):
            walked, e = [], head[v]
            while e >= 0:
                walked.append(e)
                e = after[e]
            assert walked == np.flatnonzero(ends == v)[::-1].tolist()


def test_build_index_matches_a_plain_edge_list():
    """_build_index gives each person's ties in increasing order and their other ends (``~``
    the ``src`` for a tie's ``dst``), built from nothing and from the index of the first
    ties, for no tie added, one and many."""
    from regroup.core.ties import _build_index

    rng = np.random.default_rng(12)
    n = 50
    src = rng.integers(0, n, 3000).astype(np.intp)
    dst = (src + rng.integers(1, n, 3000)) % n
    empty = (np.zeros(1, dtype=np.intp), np.zeros(0, dtype=np.int32), np.zeros(0, np.int32))
    for built, m in ((0, 0), (0, 1), (0, 900), (900, 900), (900, 901), (900, 3000)):
        start, tie, other = _build_index(*empty, 0, src, dst, built)
        start, tie, other = _build_index(start, tie, other, built, src, dst, m)
        people = max(src[:m].max(initial=-1), dst[:m].max(initial=-1)) + 1
        assert len(start) >= people + 1
        for v in range(len(start) - 1):
            ties = np.flatnonzero((src[:m] == v) | (dst[:m] == v))
            got = tie[start[v] : start[v + 1]]
            assert got.tolist() == ties.tolist()
            ends = np.where(src[ties] == v, dst[ties], ~src[ties])
            assert other[start[v] : start[v + 1]].tolist() == ends.tolist()
