"""Parameter sets for runs: fixed, from the priors, from a posterior file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from regroup.config.errors import ConfigError
from regroup.config.evidence import scenario_parameters
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.experiments.draws import parameter_sets


def test_fixed_is_one_empty_set():
    (only,) = parameter_sets("fixed", 10, seed=1)
    assert only.overrides == {} and only.record == {}


def test_prior_draws_are_reproducible_distinct_and_valid():
    sets = parameter_sets("prior", 4, seed=7)
    again = parameter_sets("prior", 4, seed=7)
    assert [s.record for s in sets] == [s.record for s in again]
    assert sets[0].record != sets[1].record
    for s in sets:  # every draw is a scenario the schema accepts
        with_overrides(Scenario(), s.overrides)
    paths = {p.path for p in scenario_parameters()}
    assert {k.rsplit(".", 1)[0] if k not in paths else k for k in sets[0].record} <= paths


def test_prior_draws_do_not_depend_on_how_many_are_made():
    few = parameter_sets("prior", 2, seed=3)
    many = parameter_sets("prior", 6, seed=3)
    assert [s.record for s in few] == [s.record for s in many[:2]]


def test_kept_parameters_stay_and_do_not_shift_the_others():
    free = parameter_sets("prior", 2, seed=5)
    kept = parameter_sets("prior", 2, seed=5, keep={"regroup.critical_mass"})
    for a, b in zip(free, kept, strict=True):
        assert "regroup.critical_mass" in a.record
        assert "regroup.critical_mass" not in b.record
        a.record.pop("regroup.critical_mass")
        assert a.record == b.record


def test_prior_draws_fill_each_prior_support():
    spec = next(s for s in scenario_parameters() if s.path == "regroup.critical_mass")
    values = [s.record[spec.path] for s in parameter_sets("prior", 200, seed=11)]
    lo, hi = spec.prior.support
    assert lo <= min(values) and max(values) <= hi
    assert np.ptp(values) > 0.5 * (hi - lo)


def posterior(tmp_path, **columns):
    path = tmp_path / "posterior.parquet"
    pd.DataFrame(columns).to_parquet(path)
    return path


def test_posterior_rows_are_drawn_by_weight(tmp_path):
    path = posterior(tmp_path, **{"regroup.critical_mass": [500.0, 3000.0], "weight": [0.0, 2.0]})
    sets = parameter_sets(path, 5, seed=1, others="fixed")
    assert {s.record["regroup.critical_mass"] for s in sets} == {3000.0}
    scenario = with_overrides(Scenario(), sets[0].overrides)
    assert scenario.regroup.critical_mass == 3000.0
    assert scenario.prison.radicalisation == Scenario().prison.radicalisation


def test_posterior_others_come_from_their_priors(tmp_path):
    """With ``others: prior`` the parameters the file does not name are drawn from their
    priors (as a calibration with ``others: prior`` drew them); the file's stay its own,
    and a parameter the scenario sets stays out of the draws."""
    path = posterior(tmp_path, **{"regroup.critical_mass": [500.0, 3000.0], "weight": [1.0, 1.0]})
    sets = parameter_sets(path, 40, seed=3, keep={"prison.cell_size"})
    assert {s.record["regroup.critical_mass"] for s in sets} == {500.0, 3000.0}
    radicalisation = {s.record["prison.radicalisation"] for s in sets}
    assert len(radicalisation) == 40  # a fresh prior draw in every set
    spec = next(s for s in scenario_parameters() if s.path == "prison.radicalisation")
    lo, hi = spec.prior.support
    assert all(lo <= v <= hi for v in radicalisation)
    assert all("prison.cell_size" not in s.record for s in sets)
    # the same seed gives the same sets
    again = parameter_sets(path, 40, seed=3, keep={"prison.cell_size"})
    assert [s.record for s in again] == [s.record for s in sets]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"regroup.critical_mass": [1.0]}, "'weight' column"),
        ({"nope.x": [1.0], "weight": [1.0]}, "'nope.x' is not a parameter"),
        ({"regroup.critical_mass": [1.0, 2.0], "weight": [1.0, -1.0]}, "non-negative"),
        ({"regroup.critical_mass": [1.0], "weight": [0.0]}, "sum to more than 0"),
        ({"regroup.critical_mass": [np.nan], "weight": [1.0]}, "missing or infinite"),
    ],
)
def test_bad_posterior_files_name_the_file_and_the_problem(tmp_path, columns, message):
    path = posterior(tmp_path, **columns)
    with pytest.raises(ConfigError, match=message) as err:
        parameter_sets(path, 2, seed=1)
    assert str(path) in str(err.value)
