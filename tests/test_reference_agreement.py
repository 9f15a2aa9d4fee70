"""The vectorised model implements the rules that the idiomatic-Mesa reference spells out agent
by agent (``benchmarks/reference``).

Both run the same small scenario (the baseline at 150 persons per agent, to 2022-12) with the
real model restricted to the mechanisms the reference implements, over many seeds. For each
shared outcome (killed, escaped, imprisoned, released: end-of-run counts in agents) the two
samples' distributions must not differ by a two-sample Kolmogorov-Smirnov test at an overall
level of 1% (Bonferroni: 0.25% per outcome). With fixed seeds the result is deterministic; a
re-tuned scenario gives a fresh pair of samples, with a 1% chance of a false alarm.

The test fails when the two implementations' rules diverge enough to shift an outcome, for
example a hazard applied to the wrong roles, a transition one of them lacks, or a rule changed
in the model but not in the reference: the second test shows that dropping one transition (the
group killing members it catches leaving) is caught at this sample size.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from scipy.stats import ks_2samp

from benchmarks.reference import (
    SHARED_OUTCOMES,
    real_outcomes,
    reference_outcomes,
    run_real,
    run_reference,
)

SCALE = 150
END = "2022-12"
SEEDS = range(30)
ALPHA = 0.01
PER_OUTCOME = ALPHA / len(SHARED_OUTCOMES)


# the reference leaves out remobilisation, so also the collapse's routes into insurgent cells
NO_CELLS = {"collapse.stay_behind": 0.0, "collapse.withdrawal": 0.0}


def scenario(overrides: dict | None = None) -> Scenario:
    return with_overrides(
        Scenario(), {"population.scale": SCALE, "time.end": END, **NO_CELLS, **(overrides or {})}
    )


def sample(outcomes: list[dict[str, int]]) -> dict[str, np.ndarray]:
    return {k: np.array([o[k] for o in outcomes]) for k in SHARED_OUTCOMES}


@cache
def real_sample() -> dict[str, np.ndarray]:
    sc = scenario()
    return sample([real_outcomes(run_real(sc, seed)) for seed in SEEDS])


def test_reference_and_model_agree_on_shared_outcomes():
    real = real_sample()
    sc = scenario()
    reference = sample([reference_outcomes(run_reference(sc, 10_000 + s)) for s in SEEDS])
    for k in SHARED_OUTCOMES:
        assert real[k].mean() > 5, f"{k}: too rare at this scale to compare"
    means = {k: (real[k].mean(), reference[k].mean()) for k in SHARED_OUTCOMES}
    assert not differing(real, reference), f"(model, reference) means: {means}"


def differing(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """The shared outcomes whose distributions differ at the per-outcome level."""
    return [k for k in SHARED_OUTCOMES if ks_2samp(a[k], b[k]).pvalue <= PER_OUTCOME]


def test_the_comparison_detects_a_missing_transition():
    # the model without the group's killing of members caught leaving (a rule one
    # implementation could lack) against the model with it
    lacking = sample(
        [real_outcomes(run_real(scenario({"security.execute_share": 0.0}), s)) for s in SEEDS]
    )
    assert differing(real_sample(), lacking)
