"""Regrouping's compiled count records what NumPy would: its float32 sums of the pool's
funds, ideology and loyalty are NumPy's to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from regroup.mechanisms.regrouping import _float32_sum


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 127, 128, 129, 136, 1000, 4099, 70_001])
def test_float32_sums_are_numpys_to_the_bit(size):
    rng = np.random.default_rng(size)
    values = rng.lognormal(3.0, 3.0, 100_000).astype(np.float32)  # spread: rounding matters
    rows = np.sort(rng.choice(len(values), size, replace=False)).astype(np.intp)
    expected = values[rows].sum()
    found = np.float32(_float32_sum(values, rows.view(np.uint64)))
    assert found.tobytes() == expected.tobytes()
