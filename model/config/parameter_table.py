"""The parameter table in docs/parameters.md, generated from the schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
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

"""


def _fmt(value: Any) -> str:
    if isinstance(value, Range):
        return f"{value.low:g}-{value.high:g}"
    if isinstance(value, Schedule):
        return "; ".join(f"{d}: {v:g}" for d, v in value.points)
    if isinstance(value, float):
        return f"{value:g}"
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
                        extra["unit"],
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


def parameter_table() -> str:
    """The whole of docs/parameters.md."""
    out = [HEADER]
    group = None
    for path, unit, default, bounds, source, doc in rows(Scenario()):
        head = path.split(".")[0]
        if head != group:
            group = head
            doc_line = (type(getattr(Scenario(), head)).__doc__ or "").strip().splitlines()
            out.append(f"\n## {head}\n")
            if doc_line and not doc_line[0].startswith("!!!"):
                out.append(f"{doc_line[0]}\n")
            out.append("| parameter | unit | default | allowed | source | meaning |")
            out.append("|---|---|---|---|---|---|")
        cells = [f"`{path}`", unit, default, bounds, source, doc]
        out.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(out) + "\n"
