"""Scenario files: YAML with ``extends`` and overrides, validated against the schema.

Every problem becomes one :class:`ConfigError` naming the file and the dotted path of the
field, for example ``scenarios/x.yaml: escape.smuggler_fee_usd: low must be <= high``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from regroup.config.errors import ConfigError, ConfigWarning
from regroup.config.schema import POLICY_LEVERS, Scenario
from regroup.config.yaml_loader import load_yaml

MAX_ERROR_LINES = 20
"""Problems listed in one error message; the rest are counted."""
MAX_EXTENDS = 16
"""Longest chain of ``extends``."""


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping safely (see :mod:`regroup.config.yaml_loader`); errors name the
    file and line. An empty file is an empty mapping."""
    data = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    return data


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Overrides win; nested mappings merge; lists (schedules) are replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaves(data: dict[str, Any], prefix: tuple = ()):
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key)


def resolve_extends(
    path: Path, _chain: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], dict[tuple, Path]]:
    """The file's settings merged over those of the file it ``extends`` (recursively), and
    for every setting the file that set it."""
    given, path = path, path.resolve()
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ConfigError(f"{_chain[0]}: circular extends: {cycle}")
    if len(_chain) >= MAX_EXTENDS:
        raise ConfigError(f"{_chain[0]}: extends: a chain of more than {MAX_EXTENDS} files")
    data = read_yaml(path)
    if not data:
        shown = path if _chain else given
        message = f"{shown}: no settings in the file: the defaults are used"
        warnings.warn(ConfigWarning(message), stacklevel=2)
    parent = data.pop("extends", None)
    origins = dict.fromkeys(_leaves(data), path)
    if parent is None:
        return data, origins
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends: must be a file name")
    parent_path = (path.parent / parent).resolve()
    if not parent_path.is_file():
        raise ConfigError(f"{path}: extends: file not found: {parent}")
    base, base_origins = resolve_extends(parent_path, (*_chain, path))
    base.pop("name", None)
    base.pop("description", None)
    base = _levers_as_mappings(base, data)
    return deep_merge(base, data), {**base_origins, **origins}


def _levers_as_mappings(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` (a parent's settings) with each policy lever that ``over`` (the child) sets by
    a mapping written as one too, the way the schema reads a bare number (``0.5`` is
    ``{region: 0.5, home: 0.5}``), so that the child's mapping merges over it: a parent's
    ``prison_measures: 0.5`` under a child's ``{home: 0.7}`` is region 0.5, home 0.7. Any
    value that is not a mapping is copied so, so that a bad one is still reported (at
    ``.region`` and ``.home``, naming the parent). The other way, a child's bare number
    replaces the parent's mapping whole (both values, from ``policy.start``), as it does in
    a design.

    The origins need no change: the parent's ``("policy", lever)`` still names the parent
    for ``.region`` and ``.home``, and what the child sets is named by its own, longer keys.
    """
    policy, child = base.get("policy"), over.get("policy")
    if not isinstance(policy, dict) or not isinstance(child, dict):
        return base
    levers = [
        lever
        for lever in POLICY_LEVERS
        if isinstance(child.get(lever), dict)
        and lever in policy
        and not isinstance(policy[lever], dict)
    ]
    if not levers:
        return base
    policy = dict(policy)
    for lever in levers:
        policy[lever] = {"region": policy[lever], "home": policy[lever]}
    return {**base, "policy": policy}


def _source_of(loc: tuple, origins: dict[tuple, Path], default: Path | str) -> Path | str:
    """The file that set the setting at ``loc`` (or one of its parents or children)."""
    for k in range(len(loc), 0, -1):
        if loc[:k] in origins:
            return origins[loc[:k]]
    inside = [f for key, f in origins.items() if key[: len(loc)] == loc]
    return inside[-1] if loc and inside else default


def format_validation_error(
    source: Path | str, exc: ValidationError, origins: dict[tuple, Path] | None = None
) -> str:
    """One line per problem: ``file: dotted.path: message``; with ``origins``, the file is
    the one (of an ``extends`` chain) that set the field."""
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"] if p != "points")
        where = _source_of(loc, origins, source) if origins else source
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        lines.append(f"{where}: {'.'.join(loc)}: {msg}" if loc else f"{where}: {msg}")
    if len(lines) > MAX_ERROR_LINES:  # a file of thousands of bad entries: the first ones
        more = len(lines) - MAX_ERROR_LINES
        lines = [*lines[:MAX_ERROR_LINES], f"{source}: and {more:,} more problems"]
    return "\n".join(lines)


def validate(
    model: type[BaseModel],
    data: dict[str, Any],
    source: Path | str,
    origins: dict[tuple, Path] | None = None,
) -> Any:
    """Validate ``data`` against ``model``; raise ConfigError naming the file and fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc, origins)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file. Its name defaults to the file's stem.

    The file (with what it extends) is merged over the defaults, so that it can set a single
    entry of a table (``combat.death_hazard.zealot``) or one end of a range.
    """
    path = Path(path)
    data, origins = resolve_extends(path)
    data.setdefault("name", path.stem)
    merged = deep_merge(Scenario().model_dump(), data)
    origins = {k: (path if f == path.resolve() else f) for k, f in origins.items()}
    scenario = validate(Scenario, merged, path, origins)
    named_by = _source_of(("uncertainty", "parameters", "posterior"), origins, path)
    scenario.uncertainty = scenario.uncertainty.relative_to(Path(named_by).parent)
    return scenario


def set_path(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of nested ``data`` with ``dotted`` (``escape.search_months``) set to ``value``.

    A path through a value that is not a mapping replaces it with one, so that validation
    reports the field (``escape.search_months: Input should be a valid number``).
    """
    head, _, rest = dotted.partition(".")
    out = dict(data)
    if rest:
        child = out.get(head)
        out[head] = set_path(dict(child) if isinstance(child, dict) else {}, rest, value)
    else:
        out[head] = value
    return out


def with_overrides(scenario: Scenario, overrides: dict[str, Any], source: str = "overrides"):
    """A validated copy of ``scenario`` with dotted-path overrides applied."""
    data = scenario.model_dump()
    for dotted, value in overrides.items():
        data = set_path(data, dotted, value)
    return validate(Scenario, data, source)
