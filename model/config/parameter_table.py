"""The parameter table in docs/parameters.md, generated from the schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from regroup.config.evidence import LABELS, ParameterSpec, label_counts, scenario_parameters
from regroup.config.fields import Range, Schedule
from regroup.config.schema import Scenario

HEADER = """# Parameters

Generated from the schema (`model/config/schema.py` and the mechanism modules) by
`regroup params --out docs/parameters.md`; do not edit by hand (a test fails when this file
is stale). Rates are monthly probabilities unless the unit says otherwise. Scenario files set
any of these by its dotted path, e.g.

```yaml
extends: baseline.yaml
escape:
  smuggler_fee_usd: {low: 7000, high: 10000}
```

Every substantive parameter carries an **evidence** label and a **prior**
(`model/config/evidence.py`):

- `published`: the cited source contains the number;
- `fitted`: tuned to a named public figure (the source says which; the figures are checked
  in `tests/test_plausibility.py`);
- `assumption`: no source gives the number; where a seed supports its direction, the source
  says so in those words and quotes it.

The prior is a distribution over the parameter's plausible range, inside its allowed bounds:
on the value for a number; on a common factor on every entry (`x factor`) for a per-role or
per-region table and on both ends of a range; a Dirichlet around the defaults for a table of
shares; a shift in whole months (`shift`) for a schedule or a month. A table's label and
prior are given on each of its rows. Run-control settings (`time.*`, `population.scale`) and
the policy levers, which a scenario chooses, carry neither (`control`).

"""


def _fmt(value: Any) -> str:
    if isinstance(value, Range):
        return f"{value.low:g}-{value.high:g}"
    if isinstance(value, Schedule):
        return "; ".join(f"{d}: {v:g}" for d, v in value.points)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "not set"
    return str(value)


def _bounds(field) -> str:
    extra = field.json_schema_extra or {}
    if "bounds" in extra:
        lo, hi = extra["bounds"]
        return f"{lo:g} to {hi:g}"
    lo = hi = None
    for meta in field.metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    if lo is None and hi is None:
        return ""
    return f"{'' if lo is None else f'{lo:g}'} to {'' if hi is None else f'{hi:g}'}"


def rows(model: BaseModel, prefix: str = "", inherited: dict | None = None):
    """(path, unit, default, range, source, description) for every leaf parameter."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra or inherited or {}
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel) and not isinstance(value, (Range, Schedule)):
            if "unit" in (field.json_schema_extra or {}):
                # a per-role or per-region table: one row per key
                for key, sub in type(value).model_fields.items():
                    yield (
                        f"{path}.{key}",
                        (sub.json_schema_extra or {}).get("unit", extra["unit"]),
                        _fmt(getattr(value, key)),
                        _bounds(sub),
                        extra["source"],
                        field.description or "",
                    )
            else:
                yield from rows(value, f"{path}.")
            continue
        if "unit" not in (field.json_schema_extra or {}):
            continue  # name, description
        yield (
            path,
            extra["unit"],
            _fmt(value),
            _bounds(field),
            extra["source"],
            field.description or "",
        )


def _spec_of(path: str, specs: dict[str, ParameterSpec]) -> ParameterSpec | None:
    """The parameter a row belongs to (a table's rows belong to the table)."""
    return specs.get(path) or specs.get(path.rsplit(".", 1)[0])


def _prior_text(spec: ParameterSpec | None) -> str:
    if spec is None:
        return "control"
    if spec.prior is None:
        return "**missing**"
    text = spec.prior.describe()
    return {"factor": f"x factor ~ {text}", "shift": f"shift (months) ~ {text}"}.get(
        spec.target, text
    )


def summary(specs: list[ParameterSpec]) -> str:
    """The count of substantive parameters by evidence label (a table counts once)."""
    counts = label_counts(specs)
    cells = [f"{counts.get(label, 0)} {label}" for label in LABELS]
    if counts.get("missing"):
        cells.append(f"{counts['missing']} without a label")
    return f"**{len(specs)} substantive parameters**: " + ", ".join(cells) + "."


def parameter_table() -> str:
    """The whole of docs/parameters.md."""
    specs = scenario_parameters()
    by_path = {s.path: s for s in specs}
    out = [HEADER, summary(specs)]
    group = None
    for path, unit, default, bounds, source, doc in rows(Scenario()):
        spec = _spec_of(path, by_path)
        head = path.split(".")[0]
        if head != group:
            group = head
            doc_line = (type(getattr(Scenario(), head)).__doc__ or "").strip().splitlines()
            out.append(f"\n## {head}\n")
            if doc_line and not doc_line[0].startswith("!!!"):
                out.append(f"{doc_line[0]}\n")
            out.append(
                "| parameter | unit | default | allowed | evidence | prior | source | meaning |"
            )
            out.append("|---|---|---|---|---|---|---|---|")
        label = "control" if spec is None else (spec.evidence or "**missing**")
        cells = [f"`{path}`", unit, default, bounds, label, _prior_text(spec), source, doc]
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out) + "\n"
