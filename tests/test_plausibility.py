"""The baseline's medians fall inside the public ranges of the model brief.

The ranges come from the targets file (``experiments/targets.yaml``), where each names its
source and the people it counts; where the brief gives one figure rather than a range, the
range used is stated there with its reason. The runs use
``population.scale: 4`` (a quarter of the agents): the expected values do not depend on the
scale, only the noise does, and the median over replicates absorbs it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from regroup.config.scenario import load_scenario, with_overrides
from regroup.config.targets import TARGETS_FILE, load_targets
from regroup.experiments.runner import run_replicates

REPLICATES = 8

# outcome column -> (low, high, source and what it counts), from the targets file
# (experiments/targets.yaml): every target that names an outcome column
PUBLIC_RANGES = {
    t.outcome: (t.low, t.high, f"{t.source} [counts: {t.counts}]")
    for t in load_targets(TARGETS_FILE).values()
    if t.outcome is not None
}


@pytest.fixture(scope="module")
def baseline_medians() -> pd.Series:
    scenario = with_overrides(load_scenario("scenarios/baseline.yaml"), {"population.scale": 4})
    rows = [r.outcomes for r in run_replicates(scenario, REPLICATES, seed=2018)]
    return pd.DataFrame(rows).median(numeric_only=True)


@pytest.mark.parametrize("column", sorted(PUBLIC_RANGES))
def test_baseline_median_within_public_range(baseline_medians: pd.Series, column: str) -> None:
    low, high, source = PUBLIC_RANGES[column]
    value = baseline_medians[column]
    assert low <= value <= high, f"{column}: median {value:.4g} outside [{low}, {high}] ({source})"


def test_recruitment_collapses_from_2014_15_to_late_2016(baseline_medians: pd.Series) -> None:
    """US officials: from 1,500-2,000 a month to about 50, a fall of 30-40 times."""
    ratio = baseline_medians["recruits_per_month_2014_15"] / max(
        baseline_medians["recruits_per_month_autumn_2016"], 1.0
    )
    assert 15 <= ratio <= 80, ratio
