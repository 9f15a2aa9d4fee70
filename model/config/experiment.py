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
from regroup.config import limits
from regroup.config.fields import Strict, month_index
from regroup.config.limits import (
    MAX_DESIGN_POINTS,
    MAX_LEVELS,
    MAX_REPLICATES,
    MAX_RUNS,
    MAX_SAMPLES,
    MAX_WORKERS,
)
from regroup.config.scenario import ConfigError, load_scenario, read_yaml, validate, with_overrides
from regroup.config.schema import LEVER_TYPES, Scenario
from regroup.config.uncertainty import Uncertainty
from regroup.results.outcomes import CALIBRATION, LABEL_OUTCOMES, OUTCOMES, SPLIT

KNOWN_OUTCOMES = (*OUTCOMES, *CALIBRATION, *(c for c in SPLIT if c not in LABEL_OUTCOMES))


class _Strict(Strict):
    """Unknown keys are errors; numbers are finite and never true/false (see fields.Strict)."""

    model_config = ConfigDict(validate_assignment=False)


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
        le=MAX_SAMPLES,
        description="lhs: points; sobol: base samples N (a power of 2); morris: "
        "trajectories. Not used by grid.",
    )
    levels: int | None = Field(
        None,
        ge=2,
        le=MAX_LEVELS,
        description="grid: values per low/high range [3]; morris: levels [4].",
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

    workers: int | None = Field(None, ge=1, le=MAX_WORKERS)
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
    replicates: int = Field(ge=1, le=MAX_REPLICATES)
    seed: int = Field(ge=0)
    outcome: str = "regroup_pool_end"
    batch_size: int = Field(10, ge=1, le=10_000)
    timeseries: bool = True
    executor: Executor = Field(default_factory=Executor)
    uncertainty: Uncertainty | None = None  # None: the scenarios' own (they must agree)

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
        points = design_points(self)
        if points > MAX_DESIGN_POINTS:
            raise ValueError(
                f"design: {points:,} design points ({_size_text(self)}); the limit is "
                f"{MAX_DESIGN_POINTS:,} (README, Limits)"
            )
        if points * self.replicates > MAX_RUNS:
            raise ValueError(
                f"replicates: {points:,} design points x {self.replicates:,} replicates = "
                f"{points * self.replicates:,} runs; the limit is {MAX_RUNS:,} (README, Limits)"
            )
        return self


def samples_per_scenario(spec: ExperimentFile) -> int:
    """Rows of the design per scenario, from the file alone (before anything is sampled).

    Grid: the product of the axes (``values`` or ``levels`` each; integer parameters may
    collapse a little); LHS: ``samples``; Sobol': N (D + 2), or N (2D + 2) with second-order
    indices; Morris: N (D + 1).
    """
    params, design = spec.parameters, spec.design
    d = len(params)
    if not params:
        return 1
    if design.kind == "grid":
        total = 1
        for rng in params.values():
            total *= len(rng.values) if rng.values is not None else design.n_levels
        return total
    n = design.samples or 0
    if design.kind == "lhs":
        return n
    if design.kind == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    return n * (d + 1)


def design_points(spec: ExperimentFile) -> int:
    """Design points of the experiment: scenarios (at least 1) x samples of the design."""
    return max(1, len(spec.scenarios)) * samples_per_scenario(spec)


def _size_text(spec: ExperimentFile) -> str:
    scenarios = max(1, len(spec.scenarios))
    return f"{scenarios} scenario(s) x {samples_per_scenario(spec):,} {spec.design.kind} samples"


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

    @property
    def uncertainty(self) -> Uncertainty:
        """Where the runs' parameters come from: the file's ``uncertainty``, else the one its
        scenarios share (paths resolved). Every scenario uses it, so that they are paired."""
        if self.spec.uncertainty is not None:
            return self.spec.uncertainty.relative_to(self.path.parent)
        return self.scenarios[0].uncertainty

    @property
    def draws(self) -> int:
        """Parameter sets per design point (1 with fixed parameters)."""
        return self.uncertainty.draws(self.spec.replicates)


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
        numeric = info.annotation in (float, int) or info.annotation in LEVER_TYPES
        if rng.values is None and not numeric:
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


def _check_uncertainty(exp: Experiment) -> None:
    """The scenarios agree on their ``uncertainty`` (unless the file sets it), and a posterior
    file is readable and fits the schema."""
    from regroup.experiments.draws import read_posterior

    path, spec = exp.path, exp.spec
    if spec.uncertainty is None:
        first = exp.scenarios[0]
        for i, sc in enumerate(exp.scenarios):
            if sc.uncertainty != first.uncertainty:
                raise ConfigError(
                    f"{path}: scenarios.{i}: uncertainty differs from {first.name!r}'s; a "
                    "comparison draws the same parameter sets for every scenario: set "
                    "uncertainty in the experiment file"
                )
    if not exp.uncertainty.fixed and exp.uncertainty.source != "prior":
        read_posterior(Path(exp.uncertainty.source))


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
    _check_uncertainty(exp)
    if spec.parameters:
        by_name = {s.name: s for s in scenarios}
        for point in design_table(exp).to_dict("records"):
            source = f"{path}: design point {point['point_id']} ({point['scenario']})"
            point_scenario(by_name[point["scenario"]], point_values(exp, point), source)
    return exp


@dataclass(frozen=True)
class Estimate:
    """A sweep's size and rough cost on the project machine (docs/performance.md)."""

    points: int
    runs: int
    seconds: float
    megabytes: float
    workers: int

    @property
    def large(self) -> bool:
        """Worth telling the user before it starts."""
        return self.runs >= limits.LARGE_SWEEP_RUNS or self.seconds >= limits.LARGE_SWEEP_SECONDS

    def text(self) -> str:
        """One line: runs, time on the workers and memory."""
        minutes = self.seconds / 60
        when = f"{minutes:,.0f} min" if minutes < 120 else f"{minutes / 60:,.1f} h"
        return (
            f"{self.points:,} design points x replicates = {self.runs:,} runs; rough estimate "
            f"on {self.workers} worker(s): {when}, {self.megabytes / 1024:,.1f} GB of memory"
        )


def estimate(exp: Experiment, workers: int) -> Estimate:
    """The sweep's runs, and a rough time and memory on ``workers`` local processes.

    Per scenario, the run time scales with its months and its agents (1 / ``population.scale``);
    a ranged ``population.scale`` counts at its low end.
    """
    spec = exp.spec
    per_scenario = samples_per_scenario(spec)
    seconds = megabytes = 0.0
    for sc in exp.scenarios:
        scale = sc.population.scale
        rng = spec.parameters.get("population.scale")
        if rng is not None:
            scale = min(rng.values) if rng.values is not None else rng.low
        scale = max(float(scale), 0.1)
        months = month_index(sc.time.end, sc.time.start) + 1
        seconds += per_scenario * spec.replicates * limits.run_seconds(scale, months)
        megabytes = max(megabytes, limits.worker_megabytes(scale))
    workers = max(1, workers)
    points = per_scenario * len(exp.scenarios)
    return Estimate(
        points, points * spec.replicates, seconds / workers, megabytes * workers, workers
    )


def point_values(exp: Experiment, point: dict[str, Any]) -> dict[str, Any]:
    """The parameter values (dotted path -> value) of one row of the design table."""
    return {key: point[key] for key in exp.spec.parameters}


def point_scenario(base: Scenario, values: dict[str, Any], source: str = "design point"):
    """``base`` with a design point's parameter values applied (validated)."""
    return with_overrides(base, values, source) if values else base


def with_uncertainty(
    exp: Experiment, parameters: str | None = None, per_draw: int | None = None
) -> Experiment:
    """``exp`` with its ``uncertainty`` set from the command line: ``parameters`` is
    ``fixed``, ``prior`` or a posterior file (relative to the current folder), ``per_draw``
    the replicates per parameter set; what is not given stays as the files say."""
    if parameters is None and per_draw is None:
        return exp
    current = exp.uncertainty
    settings = current.model_dump()
    if parameters is not None:
        given = parameters if parameters in ("fixed", "prior") else {"posterior": parameters}
        settings["parameters"] = given
    if per_draw is not None:
        settings["replicates_per_draw"] = per_draw
    u = validate(Uncertainty, settings, "--parameters").relative_to(Path.cwd())
    out = Experiment(exp.path, exp.spec.model_copy(update={"uncertainty": u}), exp.scenarios)
    out.integer = exp.integer
    _check_uncertainty(out)
    return out
