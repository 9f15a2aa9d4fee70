"""The rare events' draws that reintegration and theatres make themselves (how_many, then
one call for the positions' and the thinning's uniform numbers) are World.few_of's, then a
draw of as many: the same positions, numbers and generator state."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from regroup.core.world import World, _distinct
from regroup.mechanisms.reintegration import how_many


@pytest.mark.parametrize(("n", "p"), [(0, 0.1), (50, 0.0), (1, 1.0), (1000, 0.003), (5000, 0.2)])
def test_how_many_then_one_call_draws_as_few_of_then_a_draw(n, p):
    for seed in range(5):
        old = SimpleNamespace(rng=np.random.default_rng(seed))
        chosen = World.few_of(old, n, p)
        thin = old.rng.random(len(chosen))
        rng = np.random.default_rng(seed)
        k = how_many(rng, n, p)
        u = rng.random(2 * k)
        assert np.array_equal(_distinct(u[:k], n), chosen)
        assert np.array_equal(u[k:], thin)
        assert rng.random() == old.rng.random()  # the generator left in the same state
