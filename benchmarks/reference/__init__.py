"""An idiomatic-Mesa reference implementation of part of the model's rules, and the outcomes
it shares with the real model (see :mod:`benchmarks.reference.model`)."""

from __future__ import annotations

import numpy as np
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.core.states import State

from benchmarks.reference.model import MECHANISMS, ReferenceModel

__all__ = [
    "MECHANISMS",
    "SHARED_OUTCOMES",
    "ReferenceModel",
    "real_outcomes",
    "reference_outcomes",
    "run_real",
    "run_reference",
]

# End-of-run counts, in agents, that both implementations produce:
# killed (dead), escaped (out of the territory and free: hiding or returned home),
# imprisoned (held by states: detained in the region or in prison at home), released (from
# a prison sentence, at any time).
SHARED_OUTCOMES = ("killed", "escaped", "imprisoned", "released")
GROUPS = {
    "killed": ("DEAD",),
    "escaped": ("HIDING_LOCAL", "HIDING_ABROAD", "RETURNED"),
    "imprisoned": ("DETAINED", "PRISON_HOME"),
}


def real_outcomes(m: RegroupModel) -> dict[str, int]:
    """The shared outcomes of a finished real model."""
    n = m.pop.n
    counts = np.bincount(m.pop.state[:n], minlength=len(State))
    out = {k: int(sum(counts[State[s]] for s in states)) for k, states in GROUPS.items()}
    out["released"] = int(np.count_nonzero(m.pop.ever_released[:n]))
    return out


def reference_outcomes(m: ReferenceModel) -> dict[str, int]:
    """The shared outcomes of a finished reference model."""
    counts: dict[str, int] = {}
    released = 0
    for a in m.agents:
        counts[a.state.name] = counts.get(a.state.name, 0) + 1
        released += a.ever_released
    out = {k: sum(counts.get(s, 0) for s in states) for k, states in GROUPS.items()}
    out["released"] = released
    return out


def run_real(scenario: Scenario, seed: int) -> RegroupModel:
    """The real model restricted to the mechanisms the reference implements."""
    return RegroupModel(scenario, seed=seed, mechanisms=MECHANISMS).run()


def run_reference(scenario: Scenario, seed: int) -> ReferenceModel:
    return ReferenceModel(scenario, seed=seed).run()
