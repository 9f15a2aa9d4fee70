"""Experiment files: scenarios x parameter design x replicates, validated before anything runs.

An experiment file names scenario files (paths relative to the experiment file) and/or
parameter ranges addressed by dotted path (``policy.prison_measures: {low: 0, high: 1}``), a
design (``grid``, ``lhs``, ``sobol`` or ``morris``), replicates per design point and a seed.
Every problem is one :class:`~regroup.config.scenario.ConfigError` naming the file and the dotted
field, for example ``experiments/x.yaml: design.kind: Input should be 'grid', ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from regroup.config.scenario import ConfigError, load_scenario, read_yaml, validate, with_overrides
from regroup.config.schema import Scenario
from regroup.results.outcomes import CALIBRATION, OUTCOMES

KNOWN_OUTCOMES = (*OUTCOMES, *CALIBRATION)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamRange(_Strict):
    """A parameter's range (``low``/``high``) or, for grid designs, its explicit ``values``."""

    low: float | None = None
    high: float | None = None
    values: list[Any] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> ParamRange:
        if self.values is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give either low/high or values, not both")
        elif self.low is None or self.high is None:
            raise ValueError("give low and high (or values for a grid)")
        elif self.low > self.high:
            raise ValueError("low must be <= high")
        return self


class Design(_Strict):
    """How design points are drawn from the parameter ranges."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(
        None,
        ge=1,
        description="lhs: points; sobol: base samples N (a power of 2); morris: "
        "trajectories. Not used by grid.",
    )
    levels: int | None = Field(
        None, ge=2, description="grid: values per low/high range [3]; morris: levels [4]."
    )
    second_order: bool = Field(False, description="sobol: also sample second-order indices.")

    @field_validator("samples", mode="after")
    @classmethod
    def _power_of_2(cls, samples: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "sobol" and samples is not None and samples & (samples - 1):
            raise ValueError("must be a power of 2 for a sobol design")
        return samples

    @field_validator("levels", mode="after")
    @classmethod
    def _even(cls, levels: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("kind") == "morris" and levels is not None and levels % 2:
            raise ValueError("must be even for a morris design")
        return levels

    @model_validator(mode="after")
    def _needs_samples(self) -> Design:
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"samples: required for a {self.kind} design")
        return self

    @property
    def n_levels(self) -> int:
        """Grid values per range, or Morris levels, with their defaults (3 and 4)."""
        return self.levels or (4 if self.kind == "morris" else 3)


class Executor(_Strict):
    """Where runs go: a local process pool (``workers``) or a Dask ``scheduler`` address."""

    workers: int | None = Field(None, ge=1)
    scheduler: str | None = None


class ExperimentFile(_Strict):
    """The settings of an experiment file."""

    name: str
    description: str = ""
    scenarios: list[str] = Field(default_factory=list)
    baseline: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, ParamRange] = Field(default_factory=dict)
    design: Design = Field(default_factory=Design)
    replicates: int = Field(ge=1)
    seed: int = Field(ge=0)
    outcome: str = "regroup_pool_end"
    batch_size: int = Field(10, ge=1, le=10_000)
    timeseries: bool = True
    executor: Executor = Field(default_factory=Executor)

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentFile:
        if self.outcome not in KNOWN_OUTCOMES:
            raise ValueError(f"outcome: unknown outcome {self.outcome!r}")
        if self.design.kind != "grid":
            if not self.parameters:
                raise ValueError(f"parameters: a {self.design.kind} design needs parameter ranges")
            for key, rng in self.parameters.items():
                if rng.values is not None:
                    raise ValueError(
                        f"parameters.{key}: values lists are for grid designs; "
                        f"a {self.design.kind} design needs low and high"
                    )
                if rng.low == rng.high:
                    raise ValueError(f"parameters.{key}: low must be < high")
        if self.design.kind == "morris" and len(self.parameters) < 2:
            raise ValueError("parameters: a morris design needs at least 2 parameters")
        return self


@dataclass
class Experiment:
    """A validated experiment: the file's settings plus its loaded scenarios."""

    path: Path
    spec: ExperimentFile
    scenarios: list[Scenario]
    integer: dict[str, bool] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def baseline(self) -> str:
        names = [s.name for s in self.scenarios]
        if self.spec.baseline:
            return self.spec.baseline
        return "baseline" if "baseline" in names else names[0]

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def schema_field(dotted: str) -> FieldInfo | None:
    """The Scenario schema field at ``dotted`` (``escape.search_months``), or None."""
    model: Any = Scenario
    info = None
    for part in dotted.split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = info.annotation
    return info


def _check_paths(source: Path, spec: ExperimentFile) -> dict[str, bool]:
    """Every dotted path must exist; ranges need numeric leaves. Returns integer flags."""
    for key in spec.overrides:
        if schema_field(key) is None:
            raise ConfigError(f"{source}: overrides.{key}: no such parameter in the scenario")
    integer = {}
    for key, rng in spec.parameters.items():
        info = schema_field(key)
        if info is None:
            raise ConfigError(f"{source}: parameters.{key}: no such parameter in the scenario")
        if rng.values is None and info.annotation not in (float, int):
            raise ConfigError(
                f"{source}: parameters.{key}: not a number; give a grid of values instead"
            )
        integer[key] = info.annotation is int
        if key in spec.overrides:
            raise ConfigError(f"{source}: parameters.{key}: also set in overrides")
    return integer


def _load_scenarios(source: Path, spec: ExperimentFile) -> list[Scenario]:
    if not spec.scenarios:
        return [with_overrides(Scenario(name="defaults"), spec.overrides, str(source))]
    out: list[Scenario] = []
    for i, rel in enumerate(spec.scenarios):
        file = source.parent / rel
        try:
            sc = load_scenario(file)
        except ConfigError as exc:
            raise ConfigError(f"{source}: scenarios.{i}: {exc}") from None
        try:
            sc = with_overrides(sc, spec.overrides, f"{source}: overrides ({sc.name})")
        except ConfigError as exc:
            raise ConfigError(str(exc)) from None
        if any(s.name == sc.name for s in out):
            raise ConfigError(f"{source}: scenarios.{i}: a second scenario named {sc.name!r}")
        out.append(sc)
    return out


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file and every design point it implies.

    Raises ConfigError (naming the file and dotted field) on the first problem; nothing is
    written by this function, so a sweep can check everything before it creates its output.
    """
    from regroup.experiments.designs import design_table

    path = Path(path)
    spec = validate(ExperimentFile, read_yaml(path), path)
    integer = _check_paths(path, spec)
    scenarios = _load_scenarios(path, spec)
    if spec.baseline is not None and spec.baseline not in {s.name for s in scenarios}:
        raise ConfigError(f"{path}: baseline: no scenario named {spec.baseline!r}")
    exp = Experiment(path, spec, scenarios, integer)
    if spec.parameters:
        by_name = {s.name: s for s in scenarios}
        for point in design_table(exp).to_dict("records"):
            source = f"{path}: design point {point['point_id']} ({point['scenario']})"
            point_scenario(by_name[point["scenario"]], point_values(exp, point), source)
    return exp


def point_values(exp: Experiment, point: dict[str, Any]) -> dict[str, Any]:
    """The parameter values (dotted path -> value) of one row of the design table."""
    return {key: point[key] for key in exp.spec.parameters}


def point_scenario(base: Scenario, values: dict[str, Any], source: str = "design point"):
    """``base`` with a design point's parameter values applied (validated)."""
    return with_overrides(base, values, source) if values else base
