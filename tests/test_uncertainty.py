"""Variance split, paired policy effects, P(regrouped by year) and PRIM scenario discovery,
on synthetic runs whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from regroup.results.discovery import DiscoveryError, discover, figures
from regroup.results.uncertainty import paired_effects, probability_by, variance_split


def runs(param_sd: float, chance_sd: float, draws: int = 200, reps: int = 4, seed: int = 1):
    """Outcome = draw effect (sd ``param_sd``) + replicate noise (sd ``chance_sd``)."""
    rng = np.random.default_rng(seed)
    effect = rng.normal(0, param_sd, draws)
    draw = np.repeat(np.arange(draws), reps)
    return pd.DataFrame(
        {
            "scenario": "baseline",
            "draw": draw,
            "replicate": np.tile(np.arange(reps), draws),
            "pool": 100 + effect[draw] + rng.normal(0, chance_sd, draws * reps),
        }
    )


@pytest.mark.parametrize(("param_sd", "chance_sd", "share"), [(3, 1, 0.9), (1, 3, 0.1), (0, 2, 0)])
def test_variance_split_recovers_the_known_shares(param_sd, chance_sd, share):
    table = variance_split(runs(param_sd, chance_sd), ["pool"])
    row = table.iloc[0]
    assert row.parameter_share == pytest.approx(share, abs=0.07)
    assert row.parameter_share + row.chance_share == pytest.approx(1.0)
    assert row.draws == 200 and row.replicates_per_draw == 4


def test_variance_split_needs_replicates_within_draws():
    table = variance_split(runs(3, 1, reps=1), ["pool"])
    assert np.isnan(table.iloc[0].parameter_share)


def policy_runs():
    """A policy that lowers the pool by 10 in draws with draw < 150 and raises it by 5 else."""
    base = runs(5, 2, draws=200, reps=2)
    policy = base.copy()
    policy["scenario"] = "policy"
    policy["pool"] += np.where(policy["draw"] < 150, -10.0, 5.0)
    return pd.concat([base, policy], ignore_index=True)


def test_paired_effects_give_robustness_over_draws():
    table = paired_effects(policy_runs(), "baseline", "pool")
    row = table.set_index("scenario").loc["policy"]
    assert row.lowers == pytest.approx(0.75)
    assert row.raises == pytest.approx(0.25)
    assert row.median_effect == pytest.approx(-10.0)
    assert row.low == pytest.approx(-10.0) and row.high == pytest.approx(5.0)
    assert row.mean_effect == pytest.approx(0.75 * -10 + 0.25 * 5)


def test_paired_effects_refuse_unpaired_runs():
    data = policy_runs()
    data.loc[data["scenario"] == "policy", "draw"] += 1000
    with pytest.raises(ValueError, match="same draws and seeds"):
        paired_effects(data, "baseline", "pool")


def test_probability_by_year_and_its_interval():
    data = runs(1, 1, draws=100, reps=2)
    data["regroup_year"] = np.where(data["draw"] % 4 == 0, 2027.0, np.nan)  # 25% of draws
    row = probability_by(data, 2030).iloc[0]
    assert row.probability == pytest.approx(0.25)
    assert row.low < 0.25 < row.high
    assert probability_by(data, 2026).iloc[0].probability == 0.0


def discovery_runs(n: int = 600, seed: int = 2) -> pd.DataFrame:
    """Regrouped exactly when prison.radicalisation > 0.05 and regroup.critical_mass < 800."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "scenario": "baseline",
            "draw": np.arange(n),
            "replicate": 0,
            "prison.radicalisation": rng.uniform(0, 0.1, n),
            "regroup.critical_mass": rng.uniform(200, 2000, n),
            "hiding.living_cost_usd": rng.uniform(100, 500, n),
        }
    )
    hit = (data["prison.radicalisation"] > 0.05) & (data["regroup.critical_mass"] < 800)
    data["regrouped"] = hit.astype(float)
    return data


def test_prim_finds_the_region_that_decides_the_outcome():
    found = discover(discovery_runs(), "regrouped")
    box = found.box.set_index("parameter")
    assert set(box.index) == {"prison.radicalisation", "regroup.critical_mass"}
    assert box.loc["prison.radicalisation", "low"] == pytest.approx(0.05, abs=0.01)
    assert box.loc["regroup.critical_mass", "high"] == pytest.approx(800, abs=80)
    assert (box["qp_value"] < 1e-6).all()  # both restrictions are far from chance
    chosen = found.trajectory.loc[found.chosen]
    assert chosen.density > 0.9 and chosen.coverage >= 0.5
    assert set(figures(found)) == {"prim_tradeoff", "prim_box"}


def test_prim_for_a_policy_that_fails_in_some_draws():
    base = discovery_runs()
    policy = base.copy()
    policy["scenario"] = "prison_measures"
    # the policy lowers the outcome only where critical mass is high
    policy["regrouped"] = np.where(base["regroup.critical_mass"] > 1200, 0.0, 1.0)
    base["regrouped"] = 0.5
    found = discover(pd.concat([base, policy]), "regrouped", policy="prison_measures")
    assert list(found.box["parameter"]) == ["regroup.critical_mass"]
    assert found.box.iloc[0].high == pytest.approx(1200, abs=100)


def test_discovery_explains_what_it_cannot_do():
    data = discovery_runs()
    with pytest.raises(DiscoveryError, match="no drawn parameters"):
        discover(data[["scenario", "draw", "replicate", "regrouped"]])
    data["regrouped"] = 1.0
    with pytest.raises(DiscoveryError, match="every run is a case"):
        discover(data)
    with pytest.raises(DiscoveryError, match="--policy"):
        discover(discovery_runs(), policy="nope")


def test_uncertainty_figures_need_draws():
    from regroup.results.uncertainty import robustness_figure, variance_figure

    data = policy_runs().rename(columns={"pool": "regroup_pool_end"})
    assert variance_figure(data) is not None
    assert robustness_figure(data, "baseline") is not None
    one_draw = data[data["draw"] == 0]
    assert variance_figure(one_draw) is None
    assert robustness_figure(one_draw, "baseline") is None
