"""Policy levers (scenario switches, 0 = today's baseline): each acts only from
``policy.start`` and moves its target in the expected direction. Runs to 2022 at test scale,
pooled over two seeds; the margins are far from what chance gives at these sizes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SHORT_END
from regroup.core import ties as tie_kinds
from regroup.core.states import State

SEEDS = (1, 2)
SHORT = {"time.end": SHORT_END}
LEVERS = (
    "prison_measures",
    "intelligence_sharing",
    "reintegration",
    "defector_voice",
    "grievances",
    "border_crackdown",
)
SOUGHT = [State.HIDING_LOCAL, State.HIDING_ABROAD, State.CRIMINAL, State.REMOBILISED]


def lever(name: str) -> dict:
    return {**SHORT, f"policy.{name}": 1.0}


def pooled(cached_run, overrides: dict, measure) -> float:
    return float(sum(measure(cached_run(overrides, seed=s)) for s in SEEDS))


@pytest.mark.parametrize("name", LEVERS)
def test_a_lever_changes_nothing_before_policy_start(cached_run, name):
    base, changed = cached_run(SHORT), cached_run(lever(name))
    start = base.policy_from
    assert start == changed.policy_from > 0
    assert np.array_equal(base.counts[:start], changed.counts[:start])
    assert np.array_equal(base.series.appeal[:start], changed.series.appeal[:start])
    assert np.array_equal(base.schedule.border[:start], changed.schedule.border[:start])


def cell_ties(m) -> float:
    """Ties formed between cellmates (isolation cuts their forming; arrests may cut some)."""
    return float(np.count_nonzero(m.ties.kind[: m.ties.m] == tie_kinds.CELL))


def reintegrated(m) -> float:
    return float(m.counts[-1, State.REINTEGRATED].sum())


def sought(m) -> float:
    return float(m.counts[-1, SOUGHT].sum())


def defections_after_start(m) -> float:
    return float(m.series.public_defections[m.policy_from :].sum())


@pytest.mark.parametrize(
    ("name", "measure", "factor"),
    [
        ("prison_measures", cell_ties, 0.8),  # lower
        ("intelligence_sharing", sought, 0.8),  # fewer left to find
        ("reintegration", reintegrated, 1.2),  # more
        ("defector_voice", defections_after_start, 1.5),  # more speak publicly
    ],
)
def test_a_lever_moves_its_target(cached_run, name, measure, factor):
    base = pooled(cached_run, SHORT, measure)
    with_lever = pooled(cached_run, lever(name), measure)
    assert base > 0
    if factor < 1:
        assert with_lever < factor * base
    else:
        assert with_lever > factor * base


def test_addressing_grievances_lowers_the_appeal(cached_run):
    for seed in SEEDS:
        base = cached_run(SHORT, seed=seed).series.appeal
        changed = cached_run(lever("grievances"), seed=seed)
        start = changed.policy_from
        # the same members up to the start: the appeal differs by the grievance term alone
        assert changed.series.appeal[start] < base[start]
        assert changed.series.appeal[start:].mean() < base[start:].mean()


def test_the_border_crackdown_closes_the_border(cached_run):
    base, changed = cached_run(SHORT), cached_run(lever("border_crackdown"))
    start = base.policy_from
    assert base.schedule.border[start] < 1.0
    assert np.all(changed.schedule.border[start:] == 1.0)
    assert np.all(changed.schedule.crackdown[start:] == 1.0)
    assert not changed.series.arrived_foreign[start:].any()
