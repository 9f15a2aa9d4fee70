"""Calibration files: which parameters to fit, against which targets, with what budget.

A calibration file (``experiments/calibrate_baseline.yaml``)::

    name: calibrate_baseline
    scenario: ../scenarios/baseline.yaml      # relative to this file
    targets: targets.yaml                     # the targets file [targets.yaml beside it]
    overrides: {population.scale: 10}         # set for every simulation
    parameters: [prison.radicalisation, ...]  # fitted; priors from the schema
    others: prior                             # the rest: drawn from their priors [prior],
                                              # or fixed at the scenario's values
    fit: [foreign_total, ...]                 # targets in the distance
    hold_out: [fighters_killed_early_2017]    # only reported (posterior predictive)
    population_size: 300                      # particles a generation
    generations: 6                            # at most
    final_epsilon: 0.0                        # stop when the distance threshold reaches it
    max_simulations: 3000                     # stop when the budget is spent
    max_minutes: 25                           # stop after this wall time (optional)
    min_acceptance_rate: 0.1                  # stop a generation that accepts fewer [0]
    predictive: 100                           # posterior predictive simulations
    seed: 20181111
    executor: {workers: 2}                    # or {scheduler: tcp://host:8786}

Every problem is one :class:`ConfigError` naming the file and the dotted field, and is found
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from regroup.config.errors import ConfigError
from regroup.config.evidence import ParameterSpec, scenario_parameters
from regroup.config.experiment import Executor
from regroup.config.fields import Strict
from regroup.config.schema import Scenario
from regroup.config.targets import Target, load_targets

MAX_POPULATION = 10_000
MAX_SIMULATIONS = 1_000_000


class CalibrationFile(Strict):
    """The settings of a calibration file."""

    name: str
    description: str = ""
    scenario: str
    targets: str = "targets.yaml"
    overrides: dict = Field(default_factory=dict)
    parameters: list[str] = Field(min_length=1)
    others: Literal["prior", "fixed"] = "prior"
    fit: list[str] = Field(min_length=1)
    hold_out: list[str] = Field(default_factory=list)
    population_size: int = Field(ge=5, le=MAX_POPULATION)
    generations: int = Field(ge=1, le=100)
    final_epsilon: float = Field(0.0, ge=0)
    max_simulations: int = Field(ge=1, le=MAX_SIMULATIONS)
    max_minutes: float | None = Field(None, gt=0)
    min_acceptance_rate: float = Field(0.0, ge=0, lt=1)
    predictive: int = Field(100, ge=0, le=MAX_POPULATION)
    seed: int = Field(ge=0)
    executor: Executor = Field(default_factory=Executor)

    @model_validator(mode="after")
    def _consistent(self) -> CalibrationFile:
        for field in ("parameters", "fit", "hold_out"):
            seen: set[str] = set()
            for i, name in enumerate(getattr(self, field)):
                if name in seen:
                    raise ValueError(f"{field}.{i}: {name!r} is listed twice")
                seen.add(name)
        for i, name in enumerate(self.hold_out):
            if name in self.fit:
                raise ValueError(
                    f"hold_out.{i}: {name!r} is also fitted; a held-out target is only reported"
                )
        return self


@dataclass
class Calibration:
    """A validated calibration: the file's settings, its scenario, targets and parameters."""

    path: Path
    spec: CalibrationFile
    scenario: Scenario
    targets: dict[str, Target]
    parameters: list[ParameterSpec]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def fitted(self) -> dict[str, Target]:
        return {k: self.targets[k] for k in self.spec.fit}

    @property
    def held_out(self) -> dict[str, Target]:
        return {k: self.targets[k] for k in self.spec.hold_out}

    @property
    def reported(self) -> dict[str, Target]:
        """Fitted and held-out targets, in that order."""
        return {**self.fitted, **self.held_out}

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def _parameters(path: Path, names: list[str]) -> list[ParameterSpec]:
    specs = {s.path: s for s in scenario_parameters()}
    out = []
    for i, name in enumerate(names):
        spec = specs.get(name)
        if spec is None:
            raise ConfigError(
                f"{path}: parameters.{i}: {name!r} is not a substantive parameter of the schema"
            )
        if spec.prior is None:
            raise ConfigError(f"{path}: parameters.{i}: {name!r} has no prior to fit from")
        if spec.target == "shares":
            raise ConfigError(
                f"{path}: parameters.{i}: {name!r}: tables of shares cannot be fitted"
            )
        out.append(spec)
    return out


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file, its targets file and its scenario.

    Raises ConfigError naming the file and field; writes nothing.
    """
    from regroup.config.scenario import load_scenario, read_yaml, validate, with_overrides

    path = Path(path)
    spec = validate(CalibrationFile, read_yaml(path), path)
    targets_path = path.parent / spec.targets
    if not targets_path.is_file():
        raise ConfigError(f"{path}: targets: no targets file {targets_path}")
    targets = load_targets(targets_path)
    for field in ("fit", "hold_out"):
        for i, name in enumerate(getattr(spec, field)):
            t = targets.get(name)
            if t is None:
                raise ConfigError(f"{path}: {field}.{i}: no target {name!r} in {targets_path}")
            if not t.computable:
                raise ConfigError(
                    f"{path}: {field}.{i}: target {name!r} is not computable ({t.reason})"
                )
            if field == "fit" and t.model_part:
                raise ConfigError(f"{path}: fit.{i}: target {name!r} is model_part: hold it out")
    params = _parameters(path, spec.parameters)
    for key in spec.overrides:
        if key in spec.parameters:
            raise ConfigError(f"{path}: overrides.{key}: also a fitted parameter")
    scenario_path = path.parent / spec.scenario
    try:
        scenario = load_scenario(scenario_path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: scenario: {exc}") from None
    scenario = with_overrides(scenario, spec.overrides, f"{path}: overrides")
    return Calibration(path, spec, scenario, targets, params)
