"""Shared fixtures: small-scale scenarios, cached runs, and month-by-month traces.

Runs are cached per test process (pytest-xdist gives each worker its own cache) and keyed by
their overrides and seed, so tests that need the same run share it. A cached model is shared:
tests must not change it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from regroup.config.scenario import load_scenario, with_overrides
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DOCS = ROOT / "docs"

# Persons per agent in tests: about 3,000 agents over the whole run, one to two seconds a
# full run on a busy core (the mechanisms' per-month overhead dominates at this size).
SMALL_SCALE = 50
# A horizon long enough for everything after the fall of Raqqa (policy.start 2017-10) to
# play out for five years, half the default one.
SHORT_END = "2022-12"


@cache
def baseline_scenario() -> Scenario:
    """The baseline scenario file, at full scale."""
    return load_scenario(SCENARIOS / "baseline.yaml")


def small(overrides: dict[str, Any] | None = None, scale: float = SMALL_SCALE) -> Scenario:
    """The baseline at test scale with dotted-path ``overrides``."""
    return with_overrides(baseline_scenario(), {"population.scale": scale, **(overrides or {})})


def _key(overrides: dict[str, Any] | None, seed: int, scale: float) -> str:
    return json.dumps([overrides or {}, seed, scale], sort_keys=True, default=str)


_RUNS: dict[str, RegroupModel] = {}
_TRACES: dict[str, Trace] = {}


def run(overrides: dict[str, Any] | None = None, seed: int = 1, scale: float = SMALL_SCALE):
    """A finished small-scale run (cached: do not change the returned model)."""
    key = _key(overrides, seed, scale)
    if key in _TRACES:  # the same run, stepped month by month
        return _TRACES[key].model
    if key not in _RUNS:
        _RUNS[key] = RegroupModel(small(overrides, scale), seed=seed).run()
    return _RUNS[key]


@dataclass
class Snapshot:
    """The members' arrays and the tallies (in agents) at the end of one month."""

    t: int
    n: int
    state: np.ndarray
    custody: np.ndarray
    region: np.ndarray
    ideology: np.ndarray
    returned: np.ndarray
    tally: dict[str, float]


@dataclass
class Trace:
    """A run stepped month by month, with a snapshot after every step."""

    model: RegroupModel
    months: list[Snapshot] = field(default_factory=list)

    def pairs(self):
        """Consecutive (before, after) snapshots."""
        return zip(self.months, self.months[1:], strict=False)


def trace(overrides: dict[str, Any] | None = None, seed: int = 1, scale: float = SMALL_SCALE):
    """A small-scale run stepped month by month (cached: do not change it)."""
    key = _key(overrides, seed, scale)
    if key not in _TRACES:
        model = RegroupModel(small(overrides, scale), seed=seed)
        out = Trace(model)
        pop = model.pop
        while model.running:
            model.step()
            n = pop.n
            out.months.append(
                Snapshot(
                    t=model.t,
                    n=n,
                    state=pop.state[:n].copy(),
                    custody=pop.custody[:n].copy(),
                    region=pop.region[:n].copy(),
                    ideology=pop.ideology[:n].copy(),
                    returned=pop.returned[:n].copy(),
                    tally=dict(model.world.out.total),
                )
            )
        _TRACES[key] = out
    return _TRACES[key]


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The baseline scenario at full scale."""
    return baseline_scenario()


@pytest.fixture(scope="session")
def small_scenario() -> Callable[..., Scenario]:
    """A factory: ``small_scenario({"dotted.path": value})`` at test scale."""
    return small


@pytest.fixture(scope="session")
def cached_run() -> Callable[..., RegroupModel]:
    """A factory of finished, shared runs: ``cached_run(overrides, seed=1)``."""
    return run


@pytest.fixture(scope="session")
def traced_run() -> Callable[..., Trace]:
    """A factory of shared month-by-month traces: ``traced_run(overrides, seed=1)``."""
    return trace


@pytest.fixture(scope="session")
def baseline_trace() -> Trace:
    """The baseline at test scale, month by month (shared)."""
    return trace()


@pytest.fixture
def fresh_model() -> Callable[..., RegroupModel]:
    """A factory of new, unstepped small-scale models that a test may change."""

    def make(overrides: dict[str, Any] | None = None, seed: int = 1) -> RegroupModel:
        return RegroupModel(small(overrides), seed=seed)

    return make
