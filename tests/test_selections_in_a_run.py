"""Every selection by state that the mechanisms make in a real run equals a test of every
row. ``Population.where`` answers from the month's grouping and the rows noted as moved
since; several mechanisms note rows moved from their per-run buffers, which must stay as
they were until the next month's grouping lets them go. A mechanism that rewrote such a
buffer too early, or wrote a state without ``move``, would make a selection miss or keep
someone: this catches it, whichever mechanism does it."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.config.scenario import load_scenario, with_overrides
from regroup.core.model import RegroupModel
from regroup.core.population import Population


@pytest.mark.parametrize("scenario", ["baseline", "maximal"])
def test_every_selection_of_a_run_equals_a_test_of_every_row(scenario, monkeypatch):
    where = Population.where
    asked = []

    def checked(self, *states, t=None):
        rows = where(self, *states, t=t)
        n = self.n
        wanted = np.isin(self.state[:n], [int(s) for s in states])
        if t is not None:
            wanted &= self.entered[:n] < t
        assert np.array_equal(rows, np.flatnonzero(wanted)), (states, t)
        asked.append(states)
        return rows

    monkeypatch.setattr(Population, "where", checked)
    sc = with_overrides(load_scenario(f"scenarios/{scenario}.yaml"), {"population.scale": 10.0})
    RegroupModel(sc, seed=3).run()
    assert len(asked) > 2000  # the mechanisms' selections, every month
