"""Evidence labels and priors of the parameters, and draws of a whole parameter set.

Every substantive parameter carries an evidence label and a prior in its field metadata
(``param(..., evidence=..., prior=Prior(...))``):

- ``published``: the cited source contains the number;
- ``fitted``: tuned to a named public figure (the source says which);
- ``assumption``: no source gives the number (a seed may support its direction only).

Run-control settings (``time.*``, ``population.scale``) and the policy levers, which a
scenario chooses, are marked ``control=True`` and carry neither.

What a prior is a distribution of depends on the kind of parameter:

- a number: the value itself (an ``int`` is rounded);
- a per-role or per-region table: a common multiplicative factor on every entry; a table of
  shares: a Dirichlet around its defaults (``kind="dirichlet"``, ``concentration``);
- a range ``low``-``high``: a common factor on both ends;
- a schedule or a month: a shift in whole months (the values of a schedule keep their shape).

Every prior has a finite support ``[low, high]`` (the log-normal is truncated to it); a prior
whose support maps outside the parameter's allowed bounds raises when the field is declared,
so a bad prior stops the import. :func:`draw` turns a random generator into one value for
every substantive parameter, keyed by dotted path, in the form that
:func:`regroup.config.scenario.with_overrides` accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats

LABELS = ("published", "fitted", "assumption")
Label = Literal["published", "fitted", "assumption"]
Target = Literal["value", "factor", "shift", "shares"]


class Prior(BaseModel):
    """A distribution with finite support ``[low, high]``.

    ``uniform(low, high)``; ``triangular(low, mode, high)``; ``beta(a, b)`` scaled to
    ``[low, high]``; ``lognormal(median, sigma)`` truncated to ``[low, high]``;
    ``dirichlet(concentration)`` for tables of shares (support: the simplex, around the
    table's defaults).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["uniform", "triangular", "beta", "lognormal", "dirichlet"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    a: float | None = Field(None, gt=0)
    b: float | None = Field(None, gt=0)
    median: float | None = Field(None, gt=0)
    sigma: float | None = Field(None, gt=0)
    concentration: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Prior:
        need = {
            "uniform": ("low", "high"),
            "triangular": ("low", "mode", "high"),
            "beta": ("low", "high", "a", "b"),
            "lognormal": ("low", "high", "median", "sigma"),
            "dirichlet": ("concentration",),
        }[self.kind]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind} prior needs {', '.join(missing)}")
        if self.kind == "dirichlet":
            return self
        if not self.low < self.high:
            raise ValueError("low must be < high")
        if self.kind == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError("mode must lie within [low, high]")
        if self.kind == "lognormal" and (self.low <= 0 or not self.low <= self.median <= self.high):
            raise ValueError("a lognormal needs 0 < low <= median <= high")
        return self

    def _dist(self):
        lo, hi = self.low, self.high
        if self.kind == "uniform":
            return stats.uniform(lo, hi - lo)
        if self.kind == "triangular":
            return stats.triang((self.mode - lo) / (hi - lo), lo, hi - lo)
        if self.kind == "beta":
            return stats.beta(self.a, self.b, lo, hi - lo)
        return stats.lognorm(self.sigma, scale=self.median)

    def ppf(self, u: Any) -> np.ndarray:
        """Quantiles at ``u`` in [0, 1]. A Dirichlet takes ``u`` of shape (..., k) and needs
        its mean shares: use :meth:`shares_ppf`."""
        u = np.asarray(u, dtype=float)
        if self.kind == "dirichlet":
            raise TypeError("a dirichlet prior needs its mean shares: use shares_ppf(u, mean)")
        d = self._dist()
        if self.kind == "lognormal":
            lo, hi = d.cdf(self.low), d.cdf(self.high)
            return np.clip(d.ppf(lo + u * (hi - lo)), self.low, self.high)
        return d.ppf(u)

    def shares_ppf(self, u: Any, mean: Any) -> np.ndarray:
        """Dirichlet shares with ``mean`` from uniforms ``u`` (..., k): independent gamma
        quantiles, normalised. Shares whose mean is 0 stay 0."""
        u = np.asarray(u, dtype=float)
        mean = np.asarray(mean, dtype=float)
        alpha = mean * float(self.concentration)
        g = np.zeros(u.shape)
        pos = alpha > 0
        g[..., pos] = stats.gamma(alpha[pos]).ppf(np.clip(u[..., pos], 1e-12, 1 - 1e-12))
        return g / g.sum(axis=-1, keepdims=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws (by inverse transform of ``rng.random``)."""
        return self.ppf(rng.random(n))

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value the prior can give."""
        return float(self.low), float(self.high)

    def describe(self) -> str:
        """A short text form, e.g. ``lognormal(median 0.04, sigma 0.35) in [0.02, 0.08]``."""
        if self.kind == "dirichlet":
            return f"dirichlet(concentration {self.concentration:g}) around the defaults"
        if self.kind == "uniform":
            return f"uniform({self.low:g}, {self.high:g})"
        if self.kind == "triangular":
            return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"
        if self.kind == "beta":
            return f"beta({self.a:g}, {self.b:g}) on [{self.low:g}, {self.high:g}]"
        return (
            f"lognormal(median {self.median:g}, sigma {self.sigma:g}) "
            f"in [{self.low:g}, {self.high:g}]"
        )


def check_prior(
    prior: Prior | None,
    target: Target,
    default: Any,
    bounds: list[tuple[float | None, float | None]] | tuple[float | None, float | None],
    integer: bool = False,
) -> None:
    """Raise ValueError if ``prior`` does not fit its parameter: the wrong kind for the target,
    a support that maps outside the allowed ``bounds`` (one (ge, le) per entry of ``default``
    for tables and ranges), or a support that leaves out the default."""
    if prior is None:
        return
    if target == "shares":
        if prior.kind != "dirichlet":
            raise ValueError("a table of shares needs a dirichlet prior")
        return
    if prior.kind == "dirichlet":
        raise ValueError("a dirichlet prior is for tables of shares only")
    lo, hi = prior.support
    if target == "shift":
        if not lo <= 0 <= hi:
            raise ValueError(f"prior {prior.describe()}: a shift's support must contain 0")
        return
    if target == "factor":
        if not lo <= 1 <= hi:
            raise ValueError(f"prior {prior.describe()}: a factor's support must contain 1")
        values = list(default)
        for v, (ge, le) in zip(values, bounds, strict=True):
            for f in (lo, hi):
                x = v * f
                if (ge is not None and x < ge - 1e-12) or (le is not None and x > le + 1e-12):
                    raise ValueError(
                        f"prior {prior.describe()}: factor {f:g} takes {v:g} to {x:g}, "
                        f"outside the allowed [{ge}, {le}]"
                    )
        return
    ge, le = bounds
    ends = (round(lo), round(hi)) if integer else (lo, hi)
    if (ge is not None and ends[0] < ge) or (le is not None and ends[1] > le):
        raise ValueError(f"prior {prior.describe()} lies outside the allowed [{ge}, {le}]")
    if not lo <= default <= hi:
        raise ValueError(f"prior {prior.describe()} leaves out the default {default:g}")


# ------------------------------------------------------------------------ the parameters


@dataclass(frozen=True)
class ParameterSpec:
    """One substantive parameter: its dotted path, label, source, prior and how a prior
    draw becomes a value the scenario accepts."""

    path: str
    evidence: str | None
    source: str
    prior: Prior | None
    target: Target
    default: Any
    integer: bool = False

    @property
    def dims(self) -> int:
        """Uniforms one draw needs (the number of shares for a Dirichlet, else 1)."""
        return len(self.default) if self.target == "shares" else 1

    def value(self, u: Any) -> Any:
        """The override value (for :func:`with_overrides`) at uniforms ``u`` (``dims`` of
        them): a number, a table as a mapping, a range as ``{low, high}``, a schedule as its
        list of points, or a month ``YYYY-MM``."""
        prior = self.prior
        if self.target == "shares":
            shares = prior.shares_ppf(np.atleast_1d(u), list(self.default.values()))
            return dict(zip(self.default, (float(x) for x in shares), strict=True))
        return self.at(float(prior.ppf(np.atleast_1d(u))[0]))

    def at(self, x: float) -> Any:
        """The override value at ``x`` on the prior's scale: the value itself, a factor on
        a table or range, or a shift in months (not for tables of shares)."""
        from regroup.config.fields import month_index

        if self.target == "value":
            return int(round(x)) if self.integer else x
        if self.target == "factor":
            if isinstance(self.default, dict):
                return {k: v * x for k, v in self.default.items()}
            low, high = self.default
            return {"low": low * x, "high": high * x}
        shift = int(round(x))
        if isinstance(self.default, str):
            return _month_str(month_index(self.default) + shift)
        return [[_month_str(month_index(d) + shift), v] for d, v in self.default]


def _month_str(index: int, start: str = "2013-01") -> str:
    y0, m0 = (int(x) for x in start.split("-"))
    y, m = divmod(y0 * 12 + m0 - 1 + index, 12)
    return f"{y:04d}-{m + 1:02d}"


def iter_parameters(model: type[BaseModel], prefix: str = "") -> Iterator[ParameterSpec]:
    """Every substantive parameter of ``model`` (e.g. ``Scenario``) in schema order; control
    settings (``control=True``) and fields without a unit (names) are left out."""
    from regroup.config.fields import Range, Schedule

    defaults = model()
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra or {}
        value = getattr(defaults, name)
        path = f"{prefix}{name}"
        if "unit" not in extra:
            if isinstance(value, BaseModel) and not isinstance(value, (Range, Schedule)):
                yield from iter_parameters(type(value), f"{path}.")
            continue
        if extra.get("control"):
            continue
        if isinstance(value, Range):
            default: Any = (value.low, value.high)
        elif isinstance(value, Schedule):
            default = [tuple(p) for p in value.points]
        elif isinstance(value, BaseModel):
            default = value.model_dump()
        else:
            default = value
        yield ParameterSpec(
            path=path,
            evidence=extra.get("evidence"),
            source=extra["source"],
            prior=Prior(**extra["prior"]) if extra.get("prior") else None,
            target=extra.get("prior_on", "value"),
            default=default,
            integer=isinstance(value, int) and not isinstance(value, bool),
        )


def scenario_parameters() -> list[ParameterSpec]:
    """The substantive parameters of the Scenario schema."""
    from regroup.config.schema import Scenario

    return list(iter_parameters(Scenario))


def label_counts(specs: list[ParameterSpec] | None = None) -> dict[str, int]:
    """How many substantive parameters carry each evidence label (and how many none)."""
    specs = scenario_parameters() if specs is None else specs
    counts = dict.fromkeys(LABELS, 0)
    for s in specs:
        counts[s.evidence or "missing"] = counts.get(s.evidence or "missing", 0) + 1
    return counts


def draw(rng: np.random.Generator, specs: list[ParameterSpec] | None = None) -> dict[str, Any]:
    """One parameter set from the priors: dotted path -> override value, for every
    substantive parameter, in schema order (so one generator state gives one set).

    Seed ``rng`` from a replicate's SeedSequence child (``np.random.default_rng(child)``) to
    make the draw independent of where the run happens; apply it with
    ``with_overrides(scenario, draw(rng))``.
    """
    specs = scenario_parameters() if specs is None else specs
    out = {}
    for spec in specs:
        if spec.prior is None:
            raise ValueError(f"{spec.path}: no prior to draw from")
        out[spec.path] = spec.value(rng.random(spec.dims))
    return out
