"""One replicate of a scenario, replicates in memory, and ``regroup run`` as an experiment.

``regroup run SCENARIO`` is a sweep of one scenario: :func:`scenario_experiment` makes the
one-point experiment (a grid without parameters) that :mod:`regroup.experiments.sweep` runs
and writes like any other. Replicate ``i`` gets the ``i``-th child of
``numpy.random.SeedSequence(seed)``, so the numbers do not depend on the number of workers
or the order runs finish in.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from regroup.config.experiment import Experiment, ExperimentFile
from regroup.config.scenario import validate
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.experiments.designs import replicate_seeds
from regroup.results.outcomes import MONTHLY, outcome_row, split_row


@dataclass
class RunResult:
    """One replicate's outcomes (a row: the outcomes, then their splits by place and region
    of origin) and monthly tables (by folder name, :data:`~regroup.results.outcomes.MONTHLY`;
    a table with nothing to show is left out)."""

    outcomes: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def timeseries(self) -> pd.DataFrame:
        """Persons by month x state x role x origin."""
        return self.tables["timeseries"]

    @property
    def indicators(self) -> pd.DataFrame:
        """The monthly scalars."""
        return self.tables["indicators"]


def run_replicate(scenario: Scenario, seed: int, replicate: int = 0) -> RunResult:
    """Run one replicate of ``scenario`` with ``seed``."""
    model = RegroupModel(scenario, seed=seed).run()
    row = {"scenario": scenario.name, "replicate": replicate, "seed": seed}
    row.update(outcome_row(model))
    row.update(split_row(model))
    tables = {}
    for name, make in MONTHLY.items():
        df = make(model)
        if df is not None:
            df.insert(0, "replicate", replicate)
            tables[name] = df
    return RunResult(row, tables)


def _run_packed(args: tuple[Scenario, int, int]) -> RunResult:
    return run_replicate(*args)


def pool_context() -> multiprocessing.context.BaseContext:
    """Fork where available (fast start; ``import mesa`` switches the default to spawn)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_replicates(
    scenario: Scenario, replicates: int, seed: int, workers: int = 1
) -> Iterator[RunResult]:
    """Yield the replicates' results in replicate order, in memory (nothing is written)."""
    jobs = [(scenario, s, i) for i, s in enumerate(replicate_seeds(seed, replicates))]
    if workers <= 1:
        yield from map(_run_packed, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        yield from pool.map(_run_packed, jobs, chunksize=1)


@dataclass
class ScenarioRun(Experiment):
    """The experiment ``regroup run`` makes of one scenario file (its ``path``)."""

    def text(self) -> str:
        """An experiment file that repeats the run with ``regroup sweep``."""
        settings = self.spec.model_dump(mode="json", exclude_defaults=True)
        return yaml.safe_dump(settings, sort_keys=False)


def scenario_experiment(scenario: Scenario, path: Path, replicates: int, seed: int) -> ScenarioRun:
    """``replicates`` runs of ``scenario`` (read from ``path``) with the run seed ``seed``;
    ConfigError if the experiment file's limits refuse them."""
    settings = {
        "name": scenario.name,
        "description": scenario.description,
        "scenarios": [str(Path(path).resolve())],
        "replicates": replicates,
        "seed": seed,
    }
    spec = validate(ExperimentFile, settings, path)
    return ScenarioRun(Path(path), spec, [scenario])
