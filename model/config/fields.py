"""Building blocks of the parameter schema: a parameter with its unit and source, ranges,
per-role and per-region tables, months and schedules.

Rates are monthly probabilities unless the unit says otherwise. Sources name a seed file
(``seed 003`` is ``003_b4ca4e9215a03097.txt`` in ``shared/seeds``), a publication, or say
plainly ``assumption``.
"""

from __future__ import annotations

import re
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from regroup.config.evidence import Label, Prior, Target, check_prior
from regroup.core.states import Region, Role

SEED_000 = "seed 000 (VICE News on defectors, Deen's three categories)"
SEED_001 = "seed 001 (Foreign Affairs, foreign fighters who left ISIS)"
SEED_002 = "seed 002 (NJOHSP on the ICSR defector study)"
SEED_003 = "seed 003 (Mironova, NATO Review 2018)"
SEED_004 = "seed 004 (Soufan Center via news report)"
ASSUMPTION = "assumption"


def _extra(
    unit: str,
    source: str,
    evidence: Label | None,
    prior: Prior | None,
    target: Target,
    control: bool,
) -> dict[str, Any]:
    """The field metadata: unit, source, and evidence label and prior (see config.evidence)."""
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if control:
        if evidence is not None or prior is not None:
            raise ValueError("a control setting carries no evidence label or prior")
        extra["control"] = True
        return extra
    if evidence is not None:
        extra["evidence"] = evidence
    if prior is not None:
        extra["prior"] = prior.model_dump(exclude_none=True)
        extra["prior_on"] = target
    return extra


def param(
    default: Any,
    unit: str,
    source: str,
    doc: str,
    ge: float | None = None,
    le: float | None = None,
    *,
    evidence: Label | None = None,
    prior: Prior | None = None,
    control: bool = False,
) -> Any:
    """A parameter field carrying its unit, source, evidence label and prior for the docs.

    The prior is on the value (on a shift in months for a ``YYYY-MM`` month); it must lie
    within ``[ge, le]``. ``control=True`` marks run-control settings and policy levers.
    """
    month = isinstance(default, str)
    target: Target = "shift" if month else "value"
    check_prior(prior, target, default, (ge, le), integer=isinstance(default, int))
    return Field(
        default,
        ge=ge,
        le=le,
        description=doc,
        json_schema_extra=_extra(unit, source, evidence, prior, target, control),
    )


def _is_number(annotation: Any) -> bool:
    """Whether a field's type is a number (``float``, ``int``, optional or annotated)."""
    if annotation in (float, int):
        return True
    if get_origin(annotation) in (Annotated, Union, UnionType):
        return any(_is_number(a) for a in get_args(annotation) if a is not type(None))
    return False


_NUMBER_FIELDS: dict[type, frozenset[str]] = {}


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, assignments are checked, numbers
    are finite (no NaN or infinity) and never ``true``/``false``."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool):
            numbers = _NUMBER_FIELDS.get(cls)
            if numbers is None:
                fields = cls.model_fields.items()
                numbers = frozenset(k for k, f in fields if _is_number(f.annotation))
                _NUMBER_FIELDS[cls] = numbers
            if info.field_name in numbers:
                raise ValueError("Input should be a valid number, not true or false")
        return value


class Range(Strict):
    """A uniform range ``low``–``high``."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError("low must be <= high")
        return self


def _within(ge: float, le: float):
    def check(r: Range) -> Range:
        if r.low < ge or r.high > le:
            raise ValueError(f"range must lie within [{ge}, {le}]")
        return r

    return AfterValidator(check)


def RangeIn(ge: float, le: float) -> Any:  # noqa: N802 - used as a type
    """A Range whose ends must lie within [ge, le]."""
    return Annotated[Range, _within(ge, le)]


def range_param(
    low: float,
    high: float,
    unit: str,
    source: str,
    doc: str,
    ge: float,
    le: float,
    *,
    evidence: Label | None = None,
    prior: Prior | None = None,
):
    """A range parameter; its allowed bounds go in the annotation ``RangeIn(ge, le)``. Its
    prior is on a common factor on both ends."""
    check_prior(prior, "factor", (low, high), [(ge, le), (ge, le)])
    extra = _extra(unit, source, evidence, prior, "factor", False)
    return Field(
        default_factory=lambda: Range(low=low, high=high),
        description=doc,
        json_schema_extra={**extra, "bounds": [ge, le]},
    )


def _per_key_model(name: str, keys: list[str], doc: str, shares: bool, ge: float, le: float):
    """A model with one float field per role or region; optionally shares summing to 1."""
    fields = {k: (float, Field(ge=ge, le=le)) for k in keys}
    from pydantic import create_model

    def _sum_to_one(self):
        total = sum(getattr(self, k) for k in keys)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1 (they sum to {total:.6g})")
        return self

    validators = {"_sum": model_validator(mode="after")(_sum_to_one)} if shares else {}
    return create_model(name, __base__=Strict, __doc__=doc, __validators__=validators, **fields)


ROLE_KEYS = [r.label for r in Role]
REGION_KEYS = [r.label for r in Region if r != Region.LOCAL]

RoleShares = _per_key_model("RoleShares", ROLE_KEYS, "Shares by role", True, 0.0, 1.0)
RegionShares = _per_key_model("RegionShares", REGION_KEYS, "Shares by region", True, 0.0, 1.0)
RoleProbs = _per_key_model("RoleProbs", ROLE_KEYS, "A value in [0, 1] by role", False, 0.0, 1.0)
RoleFactors = _per_key_model("RoleFactors", ROLE_KEYS, "A factor >= 0 by role", False, 0.0, 50.0)
RegionFactors = _per_key_model(
    "RegionFactors", REGION_KEYS, "A factor >= 0 by region", False, 0.0, 50.0
)
RoleFunds = _per_key_model("RoleFunds", ROLE_KEYS, "USD by role", False, 0.0, 1e7)


def _entry_bounds(model: type[BaseModel], key: str) -> tuple[float | None, float | None]:
    ge = le = None
    for meta in model.model_fields[key].metadata:
        ge = getattr(meta, "ge", ge)
        le = getattr(meta, "le", le)
    return ge, le


def table(
    model: type[BaseModel],
    values: dict[str, float],
    unit: str,
    source: str,
    doc: str,
    *,
    evidence: Label | None = None,
    prior: Prior | None = None,
):
    """A per-role or per-region table parameter. Its prior is on a common factor on every
    entry, or, for a table of shares, a Dirichlet around the defaults."""
    target: Target = "shares" if model in (RoleShares, RegionShares) else "factor"
    bounds = [_entry_bounds(model, k) for k in values]
    check_prior(prior, target, list(values.values()), bounds)
    return Field(
        default_factory=lambda: model(**values),
        description=doc,
        json_schema_extra=_extra(unit, source, evidence, prior, target, False),
    )


# --------------------------------------------------------------------------- schedules

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(date: str, start: str = "2013-01") -> int:
    """Months from ``start`` to ``date`` (both ``YYYY-MM``)."""
    y, m = (int(x) for x in _MONTH.match(date).groups())
    y0, m0 = (int(x) for x in _MONTH.match(start).groups())
    return (y - y0) * 12 + (m - m0)


FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Months must lie in these years (the figures' date axes cannot draw year 0)."""


def _check_month(v: Any) -> str:
    v = str(v)
    m = _MONTH.match(v)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{v!r} is not a month written YYYY-MM")
    if not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        raise ValueError(f"{v!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return v


Month = Annotated[str, AfterValidator(_check_month)]


class Schedule(Strict):
    """A piecewise-linear schedule: (month, value) points, constant beyond the ends."""

    # strict: a number (an integer too), never true/false
    points: list[tuple[Month, Annotated[float, Field(ge=0.0, le=1.0, strict=True)]]] = Field(
        min_length=1
    )

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, v: Any) -> Any:
        return {"points": v} if isinstance(v, list) else v

    @field_validator("points")
    @classmethod
    def _ascending(cls, pts):
        months = [month_index(d) for d, _ in pts]
        if any(b <= a for a, b in zip(months, months[1:], strict=False)):
            raise ValueError("dates must be strictly increasing")
        return pts


def schedule_param(
    points: list[tuple[str, float]],
    unit: str,
    source: str,
    doc: str,
    *,
    evidence: Label | None = None,
    prior: Prior | None = None,
):
    """A schedule parameter. Its prior is on a shift of all its dates, in whole months."""
    check_prior(prior, "shift", points, (None, None))
    return Field(
        default_factory=lambda: Schedule(points=points),
        description=doc,
        json_schema_extra=_extra(unit, source, evidence, prior, "shift", False),
    )


def as_array(table: BaseModel):
    """A per-role or per-region table as a NumPy array in code order."""
    import numpy as np

    return np.array(list(table.model_dump().values()), dtype=float)
