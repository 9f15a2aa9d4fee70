"""The per-person arrays' selections by state: the month's grouping kept up to date from the
rows moved and added, groups taken whole when nobody left them."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.core.population import (
    LEFT,
    PEOPLE,
    Population,
    _group_by_state,
    _merge,
    _update_groups,
    move_rows,
    row_at,
)
from regroup.core.states import Custody, State


def test_where_matches_a_test_of_every_row_as_people_move_month_by_month():
    """Month by month as a model runs it (grouped first thing, rows added entering in the
    month): each selection, with and without the month, equals a test of every row, whether
    nobody, a few or many left the wanted states since the grouping, moves into the same state
    and repeats included, and moves made by a compiled kernel (``move_rows``, then ``moved``)."""
    pop = Population(capacity=64)
    rng = np.random.default_rng(3)
    pop.add(3000, state=rng.integers(1, len(State), 3000), entered=rng.integers(0, 10, 3000))
    wanted = [(s,) for s in State] + [(State.RELEASED, State.REINTEGRATED)]
    for t in range(10, 22):
        pop.group_by_state(t)
        for _ in range(4):
            for states in wanted:
                expected = np.isin(pop.view("state"), states)
                assert np.array_equal(pop.where(*states), np.flatnonzero(expected))
                before = expected & (pop.view("entered") < t)
                assert np.array_equal(pop.where(*states, t=t), np.flatnonzero(before))
                assert pop.count(*states) == np.count_nonzero(expected)
            state = State(int(rng.integers(1, len(State))))
            moved = rng.choice(pop.where(state), min(pop.count(state), int(rng.integers(0, 30))))
            pop.move(np.r_[moved, moved[:3]], State(int(rng.integers(1, len(State)))), t)
            rows = rng.choice(pop.n, 5).astype(np.intp)
            move_rows(rows, int(State.DETAINED), t, int(Custody.PRISON), pop.state, pop.entered,
                      pop.custody, pop.tally)  # fmt: skip
            pop.moved(rows, t)
        k = int(rng.integers(0, 40))
        pop.add(k, state=rng.integers(1, len(State), k), entered=t)
    assert np.array_equal(pop.tally[PEOPLE], np.bincount(pop.view("state"), minlength=len(State)))
    assert pop.tally[LEFT].sum() > 0


def test_where_takes_in_the_rows_added_since_the_grouping():
    """Rows added after the month's grouping (none, one, many; entered before the month or
    in it) follow the wanted groups' rows, for one state (written after its group) and for
    several (merged): each selection equals a test of every row."""
    rng = np.random.default_rng(11)
    pop = Population(capacity=16)
    pop.add(500, state=rng.integers(1, len(State), 500), entered=rng.integers(0, 5, 500))
    wanted = [(State.DETAINED,), (State.HIDING_LOCAL, State.HIDING_ABROAD), (State.ACTIVE,)]
    for t in range(5, 12):
        pop.group_by_state(t)
        for states in wanted:  # asked for once, so grouped from the next month
            pop.where(*states, t=t)
        for k in (0, 1, int(rng.integers(2, 200))):
            state = rng.choice([State.DETAINED, State.HIDING_ABROAD, State.RETURNED], k)
            pop.add(k, state=state, entered=rng.integers(t - 1, t + 1, k))
            moved = rng.choice(pop.n, 10).astype(np.intp)
            pop.move(moved, State(int(rng.integers(1, len(State)))), t)
            for states in wanted:
                expected = np.isin(pop.view("state"), states)
                assert np.array_equal(pop.where(*states), np.flatnonzero(expected))
                before = expected & (pop.view("entered") < t)
                assert np.array_equal(pop.where(*states, t=t), np.flatnonzero(before))


def test_a_grouping_brought_up_to_date_equals_a_fresh_one():
    """The groups brought up to date from the moved and added rows (each old group copied in
    runs between the rows that left or entered it) are those of a grouping from scratch; the
    states at the grouping are brought up to date and the moved rows' bits cleared."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        rows = int(rng.integers(0, 400))
        n = rows + int(rng.integers(0, 40))
        then = rng.integers(0, len(State), rows).astype(np.int8)
        state = np.r_[then, rng.integers(0, len(State), n - rows)].astype(np.int8)
        grouped = int(rng.integers(0, 1 << len(State)))  # any states, the dead among them
        order, start = _group_by_state(then, rows, np.bincount(then, minlength=len(State)), grouped)
        moved = rng.integers(0, n, int(rng.integers(0, 80))).astype(np.intp)  # repeats
        state[moved] = rng.integers(0, len(State), len(moved))  # some back where they were
        marks = np.zeros((rows + 63) >> 6, dtype=np.uint64)
        marked = int(rng.integers(0, len(moved) + 1))  # the first bits set already
        for i in moved[:marked][moved[:marked] < rows]:
            marks[i >> 6] |= np.uint64(1) << np.uint64(i & 63)
        then = np.r_[then, np.zeros(n - rows + 3, dtype=np.int8)]  # a buffer over every row
        got = _update_groups(order, start, then, marks, moved, marked, state, rows, n, grouped)
        fresh = _group_by_state(state, n, np.bincount(state, minlength=len(State)), grouped)
        assert np.array_equal(got[0], fresh[0]) and np.array_equal(got[1], fresh[1])
        assert np.array_equal(  # the states not grouped left out
            np.sort(got[0]), np.flatnonzero((grouped >> state.astype(np.int64)) & 1)
        )
        assert np.array_equal(then[:n], state) and not marks.any()  # ready for the next


def test_row_at_is_the_row_at_a_position_of_two_lists_merged():
    """``row_at(q, first, second)`` is the q-th row of the two increasing lists taken
    together, for every q, whether either list is empty, short or interleaved."""
    rng = np.random.default_rng(4)
    for n, share in ((0, 0.5), (1, 0.5), (40, 0.0), (40, 1.0), (300, 0.1), (300, 0.7)):
        rows = np.sort(rng.choice(1000, n, replace=False))
        in_first = rng.random(n) < share
        first, second = rows[in_first], rows[~in_first]
        assert [row_at(q, first, second) for q in range(n)] == list(rows)


def test_merge_is_the_sorted_union_of_two_increasing_lists():
    """``_merge`` of two increasing lists with no common row is NumPy's sort of both, for
    empty, single-row and interleaved lists, either one running out first."""
    rng = np.random.default_rng(6)
    cases = [(0, 0.5), (1, 0.0), (1, 1.0), (2, 0.5), (40, 0.0), (40, 1.0), (300, 0.1)]
    cases += [(int(rng.integers(0, 80)), float(rng.random())) for _ in range(300)]
    for n, share in cases:
        rows = np.sort(rng.choice(10_000, n, replace=False)).astype(np.intp)
        in_first = rng.random(n) < share
        first, second = rows[in_first], rows[~in_first]
        for a, b in ((first, second), (second, first)):
            got = _merge(a, b)
            assert got.dtype == np.intp and np.array_equal(got, rows)
    a = np.arange(3, dtype=np.intp)  # one side wholly before the other
    assert _merge(a, a + 3).tolist() == _merge(a + 3, a).tolist() == list(range(6))


def test_a_state_written_around_move_stops_the_grouping():
    """The grouping takes each state's size from the counts that ``move`` keeps: a state
    written directly makes them wrong, and the grouping raises instead of writing past its
    groups (every row of the last state moved to the first, counts unchanged)."""
    state = np.repeat(np.arange(len(State), dtype=np.int8), 50)
    counts = np.bincount(state, minlength=len(State))
    grouped = (1 << len(State)) - 1 - (1 << State.DEAD)
    order, start = _group_by_state(state, len(state), counts, grouped)
    assert np.array_equal(np.diff(start), np.where(np.arange(len(State)) == State.DEAD, 0, 50))
    state[state == len(State) - 1] = 0
    with pytest.raises(RuntimeError, match="other than by Population.move"):
        _group_by_state(state, len(state), counts, grouped)


def test_grown_keeps_what_it_is_asked_to_and_fills_the_rest():
    from regroup.core.population import grown

    old = np.array([5, 6, 7], dtype=np.int16)
    new = grown(old, 6, fill=-1)
    assert new.dtype == np.int16 and new.tolist() == [5, 6, 7, -1, -1, -1]
    assert grown(old, 5, keep=2, fill=0).tolist() == [5, 6, 0, 0, 0]
    bare = grown(old, 4, keep=1)  # the rest left unset
    assert len(bare) == 4 and bare[0] == 5 and bare.dtype == np.int16
    assert grown(np.zeros(0, dtype=np.uint64), 3, fill=0).tolist() == [0, 0, 0]


def test_few_distinct_positions_are_floyds_in_order():
    """``distinct`` of at most 64 numbers (the positions kept in order as they are taken)
    takes the positions Floyd's algorithm takes, written plainly here, in increasing order:
    none, one, all of ``n``, many taken twice (``k`` near ``n``), and draws near 0 and 1."""
    from regroup.core.world import distinct

    rng = np.random.default_rng(8)
    cases = [(0, 0), (1, 1), (1, 0), (5, 5), (64, 64), (65, 64), (10**6, 64), (3, 1)]
    cases += [(int(n), int(rng.integers(0, min(n, 64) + 1))) for n in rng.integers(1, 200, 400)]
    for n, k in cases:
        u = rng.random(k)
        u[rng.random(k) < 0.1] = 1 - 2**-53  # the top of each range
        u[rng.random(k) < 0.1] = 0.0
        taken: list[int] = []
        for q in range(k):
            top = n - k + q
            i = min(int(u[q] * (top + 1)), top)
            taken.append(top if i in taken else i)
        got = distinct(u, n)
        assert got.dtype == np.intp and np.array_equal(got, np.sort(taken)), (n, k)


def _poisoned_run(monkeypatch: pytest.MonkeyPatch | None, scenario) -> dict[str, np.ndarray]:
    """A run's counts, outputs and population; with ``monkeypatch``, every per-run buffer
    named in a ``Rows.LISTS`` filled with a wrong value (7, or true) as soon as it is made."""
    from regroup.core import population
    from regroup.core.model import RegroupModel

    if monkeypatch is not None:
        fit = population.Rows.fit

        def poisoned(self, pop):
            made = self._made
            fit(self, pop)
            if self._made != made:
                for name in self.LISTS:
                    getattr(self, name)[:] = 7

        monkeypatch.setattr(population.Rows, "fit", poisoned)
    m = RegroupModel(scenario, seed=11).run()
    out = {"counts": m.agent_counts.copy(), "places": m.place_counts.copy()}
    out |= {f"out.{k}": np.asarray(v).copy() for k, v in m.world.out.raw.items()}
    out |= {f"pop.{k}": m.pop.view(k).copy() for k in ("state", "place", "funds", "loyalty")}
    return out


@pytest.mark.parametrize("name", ["baseline", "maximal", "combined"])
def test_rows_lists_are_written_before_they_are_read(monkeypatch, name):
    """The buffers a mechanism declares in ``Rows.LISTS`` are left unset when made: a run
    with them full of a wrong value gives the same numbers (else a month reads an entry it
    did not write)."""
    from pathlib import Path

    from regroup.config.scenario import load_scenario

    path = Path(__file__).resolve().parents[1] / "scenarios" / f"{name}.yaml"
    scenario = load_scenario(path).model_copy(deep=True)
    scenario.population.scale = 10.0
    clean = _poisoned_run(None, scenario)
    poisoned = _poisoned_run(monkeypatch, scenario)
    assert clean.keys() == poisoned.keys()
    for key in clean:
        np.testing.assert_array_equal(poisoned[key], clean[key], err_msg=key)
