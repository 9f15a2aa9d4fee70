"""Designs produce the right points, and runs the right seeds (no model runs here)."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.config.experiment import load_experiment
from regroup.experiments.designs import design_table, replicate_seeds, run_seeds, salib_problem
from sweep_support import SCENARIOS, write_experiment

RANGES = {
    "policy.prison_measures": {"low": 0.0, "high": 1.0},
    "regroup.critical_mass": {"low": 50.0, "high": 400.0},
    "allegiance.loyalty_decay": {"low": 0.0, "high": 0.05},
}


def load(tmp_path, **settings):
    return load_experiment(write_experiment(tmp_path, **settings))


def test_grid_is_the_full_product_for_every_scenario(tmp_path):
    exp = load(
        tmp_path,
        scenarios=[str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "combined.yaml")],
        parameters={
            "policy.prison_measures": {"low": 0, "high": 1},
            "escape.search_months": {"values": [3, 9]},
        },
        design={"kind": "grid", "levels": 3},
    )
    table = design_table(exp)
    assert list(table["point_id"]) == list(range(12))
    assert list(table["scenario"]) == ["baseline"] * 6 + ["combined"] * 6
    pairs = set(zip(table["policy.prison_measures"], table["escape.search_months"], strict=True))
    assert pairs == {(p, s) for p in (0.0, 0.5, 1.0) for s in (3, 9)}
    # both scenarios get the same points, in the same order
    first, second = table.iloc[:6, 2:], table.iloc[6:, 2:]
    assert first.reset_index(drop=True).equals(second.reset_index(drop=True))


def test_no_parameters_gives_one_point_per_scenario(tmp_path):
    files = [str(SCENARIOS / f"{n}.yaml") for n in ("baseline", "reintegration", "grievances")]
    table = design_table(load(tmp_path, scenarios=files))
    assert list(table.columns) == ["point_id", "scenario"]
    assert list(table["scenario"]) == ["baseline", "reintegration", "grievances"]


def test_latin_hypercube_fills_every_stratum_once(tmp_path):
    n = 16
    exp = load(tmp_path, parameters=RANGES, design={"kind": "lhs", "samples": n})
    table = design_table(exp)
    assert len(table) == n
    for key, r in RANGES.items():
        unit = (table[key].to_numpy() - r["low"]) / (r["high"] - r["low"])
        assert ((unit >= 0) & (unit <= 1)).all()
        assert sorted(np.floor(unit * n).astype(int)) == list(range(n))


def test_designs_follow_the_experiment_seed(tmp_path):
    a = design_table(load(tmp_path, parameters=RANGES, design={"kind": "lhs", "samples": 8}))
    b = design_table(load(tmp_path, parameters=RANGES, design={"kind": "lhs", "samples": 8}))
    c = design_table(
        load(tmp_path, parameters=RANGES, design={"kind": "lhs", "samples": 8}, seed=12)
    )
    assert a.equals(b)
    assert not np.allclose(a[list(RANGES)].to_numpy(), c[list(RANGES)].to_numpy())


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_design_is_saltelli_sampling(tmp_path, second_order):
    n, d = 8, len(RANGES)
    design = {"kind": "sobol", "samples": n, "second_order": second_order}
    exp = load(tmp_path, parameters=RANGES, design=design)
    table = design_table(exp)
    assert len(table) == n * (2 * d + 2 if second_order else d + 2)
    x = table[list(RANGES)].to_numpy()
    bounds = np.array(salib_problem(exp.spec.parameters)["bounds"])
    assert (x >= bounds[:, 0]).all() and (x <= bounds[:, 1]).all()
    # Saltelli blocks: A, then A with column i from B (AB_i) ..., then B
    a, b = x[0 :: len(table) // n], x[len(table) // n - 1 :: len(table) // n]
    for i in range(d):
        ab_i = x[1 + i :: len(table) // n]
        expected = a.copy()
        expected[:, i] = b[:, i]
        np.testing.assert_array_equal(ab_i, expected)


def test_morris_trajectories_move_one_parameter_at_a_time(tmp_path):
    r, d = 4, len(RANGES)
    exp = load(tmp_path, parameters=RANGES, design={"kind": "morris", "samples": r, "levels": 4})
    x = design_table(exp)[list(RANGES)].to_numpy()
    assert x.shape == (r * (d + 1), d)
    for t in range(r):
        steps = np.diff(x[t * (d + 1) : (t + 1) * (d + 1)], axis=0)
        assert ((steps != 0).sum(axis=1) == 1).all()
        assert sorted(np.flatnonzero(steps)[:] % d) == list(range(d))


def test_integer_parameters_get_whole_numbers(tmp_path):
    exp = load(
        tmp_path,
        parameters={"population.unit_size": {"low": 5, "high": 40}},
        design={"kind": "lhs", "samples": 6},
    )
    values = design_table(exp)["population.unit_size"]
    assert values.dtype.kind == "i" and values.between(5, 40).all()


def test_run_seeds_depend_only_on_point_and_replicate():
    seeds = run_seeds(7, points=3, replicates=4)
    assert seeds.shape == (3, 4)
    assert len(np.unique(seeds)) == 12 and (seeds >= 0).all()
    # more replicates or points keep the seeds already drawn
    np.testing.assert_array_equal(run_seeds(7, points=5, replicates=6)[:3, :4], seeds)
    # the seed is SeedSequence(seed).spawn(2)[1].spawn(points)[p].spawn(replicates)[r]
    child = np.random.SeedSequence(7).spawn(2)[1].spawn(3)[2].spawn(4)[1]
    assert seeds[2, 1] == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
    assert not np.array_equal(run_seeds(8, 3, 4), seeds)


def test_one_design_point_is_seeded_like_regroup_run():
    """One point: replicate r gets child r of SeedSequence(seed), as ``regroup run`` does."""
    seeds = run_seeds(7, points=1, replicates=4)
    assert seeds.shape == (1, 4)
    assert seeds[0].tolist() == replicate_seeds(7, 4)
    child = np.random.SeedSequence(7).spawn(4)[3]
    assert seeds[0, 3] == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
