"""Parameter sets for runs: the scenario's own values, draws from the priors, or draws from
a calibrated posterior.

``parameters: fixed`` runs every replicate with the scenario's values. ``parameters: prior``
draws each parameter set from the schema's priors; ``parameters: {posterior: FILE}`` draws
weighted rows of a posterior file (Parquet: one column per fitted parameter, dotted path,
on its prior's scale, and a ``weight`` column); the parameters the file does not name are
drawn from their priors (``others: prior``, the default, matching a calibration that drew
them) or keep the scenario's values (``others: fixed``). Draw ``d`` comes from child ``d``
of the third child of ``SeedSequence(seed)`` (the first two seed the design and the runs),
so every scenario of a comparison gets the same parameter sets, on any number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from regroup.config.errors import ConfigError
from regroup.config.evidence import ParameterSpec, scenario_parameters

WEIGHT = "weight"


@dataclass(frozen=True)
class ParameterSet:
    """One draw: ``overrides`` for the scenario (dotted path -> value) and ``record``, the
    drawn numbers for the outcome table (one column per parameter; tables of shares one per
    entry; factors and shifts as drawn)."""

    overrides: dict[str, Any]
    record: dict[str, float]


def draw_stream(seed: int, draws: int) -> list[np.random.SeedSequence]:
    """The draws' seed sequences: children of the third child of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(3)[2].spawn(draws)


def from_prior(
    rng: np.random.Generator, specs: list[ParameterSpec], keep: set[str]
) -> ParameterSet:
    """Every parameter with a prior drawn (all uniforms drawn, in schema order, so that a
    parameter kept at the scenario's value does not shift the others' draws)."""
    overrides, record = {}, {}
    for spec in specs:
        u = rng.random(spec.dims)
        if spec.path in keep or spec.prior is None:
            continue
        if spec.target == "shares":
            shares = spec.value(u)
            overrides[spec.path] = shares
            record.update({f"{spec.path}.{k}": float(v) for k, v in shares.items()})
            continue
        x = float(spec.prior.ppf(u)[0])
        overrides[spec.path] = spec.at(x)
        record[spec.path] = x
    return ParameterSet(overrides, record)


def read_posterior(path: Path, specs: dict[str, ParameterSpec] | None = None) -> pd.DataFrame:
    """A posterior file, checked: known scalar parameters, weights >= 0 summing above 0."""
    specs = specs if specs is not None else {s.path: s for s in scenario_parameters()}
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable Parquet posterior file ({exc})") from exc
    if WEIGHT not in table.columns:
        raise ConfigError(f"{path}: a posterior file needs a {WEIGHT!r} column")
    for col in table.columns.drop(WEIGHT):
        spec = specs.get(col)
        if spec is None:
            raise ConfigError(f"{path}: column {col!r} is not a parameter of the schema")
        if spec.target == "shares":
            raise ConfigError(f"{path}: column {col!r}: tables of shares cannot be fitted")
        if not np.isfinite(table[col].to_numpy(float)).all():
            raise ConfigError(f"{path}: column {col!r} has missing or infinite values")
    w = table[WEIGHT].to_numpy(float)
    if len(w) == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(
            f"{path}: {WEIGHT}: weights must be finite, non-negative and sum to more than 0"
        )
    return table


def from_posterior(
    rng: np.random.Generator,
    table: pd.DataFrame,
    specs: dict[str, ParameterSpec],
    keep: set[str],
) -> ParameterSet:
    """One weighted row of a posterior file as a parameter set."""
    w = table[WEIGHT].to_numpy(float)
    row = table.iloc[int(rng.choice(len(w), p=w / w.sum()))]
    overrides, record = {}, {}
    for col in table.columns.drop(WEIGHT):
        if col in keep:
            continue
        x = float(row[col])
        overrides[col] = specs[col].at(x)
        record[col] = x
    return ParameterSet(overrides, record)


def parameter_sets(
    source: str | Path,
    draws: int,
    seed: int,
    keep: set[str] = frozenset(),
    others: str = "prior",
) -> list[ParameterSet]:
    """``draws`` parameter sets from ``source`` (``"fixed"``, ``"prior"`` or a posterior
    file); ``keep`` names parameters that stay at the scenario's values (those a design or
    the scenario file sets). ``fixed`` gives one empty set. With a posterior file, ``others``
    says where the parameters it does not name come from: their priors (``"prior"``) or the
    scenario (``"fixed"``)."""
    if source == "fixed":
        return [ParameterSet({}, {})]
    if source == "prior":
        specs = scenario_parameters()
        missing = [s.path for s in specs if s.prior is None]
        if missing:
            raise ConfigError(f"parameters: prior: no prior for {', '.join(missing[:5])}")
        return [from_prior(np.random.default_rng(s), specs, keep) for s in draw_stream(seed, draws)]
    specs = scenario_parameters()
    by_path = {s.path: s for s in specs}
    table = read_posterior(Path(source), by_path)
    fitted = set(table.columns.drop(WEIGHT))
    sets = []
    for s in draw_stream(seed, draws):
        rng = np.random.default_rng(s)
        drawn = from_posterior(rng, table, by_path, keep)
        if others == "prior":
            rest = from_prior(rng, specs, set(keep) | fitted)
            drawn = ParameterSet(
                {**rest.overrides, **drawn.overrides}, {**rest.record, **drawn.record}
            )
        sets.append(drawn)
    return sets


def _at(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def set_by(scenario: Any) -> set[str]:
    """The parameters ``scenario`` sets to other values than the schema's defaults: a
    scenario or experiment file that changes a parameter keeps it out of the draws."""
    from regroup.config.schema import Scenario

    mine, default = scenario.model_dump(), Scenario().model_dump()
    return {s.path for s in scenario_parameters() if _at(mine, s.path) != _at(default, s.path)}
