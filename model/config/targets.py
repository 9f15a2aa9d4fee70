"""The targets file: every public figure the model is compared with, validated.

``experiments/targets.yaml`` holds one entry per published figure, keyed by a short name::

    returned_late_2017:
      quantity: returned          # what the model computes (regroup.results.targets.QUANTITIES)
      date: 2017-10               # or window: [2014-01, 2015-12]
      who: {origin: foreign}      # which people it counts: origin, regions, roles
      low: 5600
      high: 7366
      counts: foreign affiliates back in their home country (men, women, children)
      source: Soufan Center 2017 (seed 004): 5,600 returned to 33 countries ...
      outcome: null               # the outcome column that reports the same number, if any

Figures counted by place (members and active fighters in Iraq, Syria, Libya, Afghanistan)
name the ``places`` they count (``regroup.core.states.Place`` labels) and, for a share, the
``part_places`` of them in the numerator. A figure that counts more people than the model
holds (Libya's and Afghanistan's members were mostly recruited there; the model holds only
members who travelled from Iraq and Syria) says ``model_part: true``: the model's value is
a part of what the figure counts, so only the figure's high end bounds it (from above), and
it is held out, never fitted. A figure the model cannot compute (it has regions of origin,
no countries) is kept with ``computable: false`` and a ``reason``. Every problem is
one :class:`ConfigError` naming the file and the dotted field, for example
``experiments/targets.yaml: targets.killed_2017.low: low must be <= high``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from regroup.config.errors import ConfigError
from regroup.config.fields import Month, Strict, month_index
from regroup.core.states import Place, Region, Role, State

TARGETS_FILE = Path(__file__).resolve().parents[2] / "experiments" / "targets.yaml"

REGIONS = tuple(r.label for r in Region if r != Region.LOCAL)
ROLES = tuple(r.label for r in Role)
STATES = tuple(s.label for s in State if s != State.PENDING)
PLACES = tuple(p.label for p in Place)


class Who(Strict):
    """Which people a figure counts: origin, and optionally foreign regions and roles."""

    origin: Literal["foreign", "local", "all"] = "all"
    regions: list[str] | None = Field(None, min_length=1)
    roles: list[str] | None = Field(None, min_length=1)

    @field_validator("regions")
    @classmethod
    def _regions(cls, v: list[str] | None) -> list[str] | None:
        for r in v or ():
            if r not in REGIONS:
                raise ValueError(f"unknown region {r!r}; one of {', '.join(REGIONS)}")
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str] | None) -> list[str] | None:
        for r in v or ():
            if r not in ROLES:
                raise ValueError(f"unknown role {r!r}; one of {', '.join(ROLES)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Who:
        if self.regions and self.origin != "foreign":
            raise ValueError("regions: only for origin: foreign")
        return self


class Target(Strict):
    """One public figure: a range of a model quantity at a date or over a window."""

    quantity: str | None = None
    date: Month | None = None
    window: list[Month] | None = Field(None, min_length=2, max_length=2)
    part: list[Month] | None = Field(None, min_length=2, max_length=2)
    who: Who = Field(default_factory=Who)
    states: list[str] | None = Field(None, min_length=1)
    places: list[str] | None = Field(None, min_length=1)
    part_places: list[str] | None = Field(None, min_length=1)
    low: float
    high: float
    counts: str = Field(min_length=1)
    source: str = Field(min_length=1)
    outcome: str | None = None
    computable: bool = True
    reason: str | None = None
    model_part: bool = False  # the model counts only part of the figure's people

    @field_validator("window", "part")
    @classmethod
    def _window(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        if month_index(v[0]) > month_index(v[1]):
            raise ValueError("the window's first month must not be after its last")
        return v

    @field_validator("states")
    @classmethod
    def _states(cls, v: list[str] | None) -> list[str] | None:
        for s in v or ():
            if s not in STATES:
                raise ValueError(f"unknown state {s!r}; one of {', '.join(STATES)}")
        return v

    @field_validator("places", "part_places")
    @classmethod
    def _places(cls, v: list[str] | None) -> list[str] | None:
        for p in v or ():
            if p not in PLACES:
                raise ValueError(f"unknown place {p!r}; one of {', '.join(PLACES)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        from regroup.results.targets import QUANTITIES

        if self.low > self.high:
            raise ValueError("low: low must be <= high")
        if not self.computable:
            if not self.reason:
                raise ValueError("reason: a target with computable: false needs a reason")
            if self.quantity is not None:
                raise ValueError("quantity: a target with computable: false has no quantity")
            return self
        if self.quantity is None:
            raise ValueError("quantity: required (or computable: false with a reason)")
        q = QUANTITIES.get(self.quantity)
        if q is None:
            raise ValueError(
                f"quantity: unknown quantity {self.quantity!r}; one of {', '.join(QUANTITIES)}"
            )
        for name in ("date", "window", "part", "states", "places", "part_places"):
            needed = name in q.needs
            given = getattr(self, name) is not None
            if needed and not given:
                raise ValueError(f"{name}: the quantity {self.quantity!r} needs a {name}")
            if given and not needed:
                raise ValueError(f"{name}: the quantity {self.quantity!r} takes no {name}")
        if self.who.regions and "regions" not in q.who:
            raise ValueError(f"who.regions: the quantity {self.quantity!r} counts no regions")
        if self.who.roles and "roles" not in q.who:
            raise ValueError(f"who.roles: the quantity {self.quantity!r} counts no roles")
        if self.who.origin != "all" and "origin" not in q.who:
            raise ValueError(f"who.origin: the quantity {self.quantity!r} counts every origin")
        if self.part_places and not set(self.part_places) <= set(self.places or ()):
            raise ValueError("part_places: must be among the target's places")
        return self


class TargetsFile(Strict):
    """The file: a description and the targets by name."""

    description: str = ""
    targets: dict[str, Target] = Field(min_length=1)


def load_targets(path: str | Path = TARGETS_FILE) -> dict[str, Target]:
    """Read and validate a targets file; raise ConfigError naming the file and field."""
    from regroup.config.scenario import read_yaml, validate
    from regroup.results.outcomes import CALIBRATION, OUTCOMES

    path = Path(path)
    spec = validate(TargetsFile, read_yaml(path), path)
    for name, t in spec.targets.items():
        if t.outcome is not None and t.outcome not in (*OUTCOMES, *CALIBRATION):
            raise ConfigError(f"{path}: targets.{name}.outcome: unknown outcome {t.outcome!r}")
    return spec.targets


@cache
def default_targets() -> dict[str, Target]:
    """The project's targets (``experiments/targets.yaml``)."""
    return load_targets(TARGETS_FILE)
