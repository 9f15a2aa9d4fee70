"""The docs match the code: the generated parameter table, and the ODD description."""

from __future__ import annotations

import re

import pytest
from conftest import DOCS
from pydantic import BaseModel
from regroup.config.fields import Range, Schedule
from regroup.config.parameter_table import parameter_table, rows
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.core.model import MECHANISMS
from regroup.results.outcomes import OUTCOMES

ROWS = list(rows(Scenario()))
DOCUMENTED = {row[0] for row in ROWS}


def leaves(model: BaseModel, prefix: str = ""):
    """Dotted paths of every parameter (a range or a schedule is one parameter); the
    ``uncertainty`` setting says where a run's parameters come from and is none itself."""
    for name in type(model).model_fields:
        if not prefix and name == "uncertainty":
            continue
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel) and not isinstance(value, (Range, Schedule)):
            yield from leaves(value, f"{path}.")
        elif path not in ("name", "description"):
            yield path


def dumped(path: str):
    node = Scenario().model_dump(mode="json")
    for part in path.split("."):
        node = node[part]
    return node


def test_parameters_md_is_fresh():
    """Regenerate with ``regroup params --out docs/parameters.md`` (``make docs``)."""
    assert (DOCS / "parameters.md").read_text(encoding="utf-8") == parameter_table()


def test_every_parameter_is_documented_once():
    assert len(DOCUMENTED) == len(ROWS)
    assert DOCUMENTED == set(leaves(Scenario()))


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_every_documented_parameter_has_unit_source_meaning_and_its_path_works(row):
    path, unit, default, _, source, meaning = row
    assert unit and default and source and meaning
    value = dumped(path)
    if isinstance(value, dict) and "points" in value:
        value = value["points"]
    assert with_overrides(Scenario(), {path: value}) == Scenario()


# ----------------------------------------------------------------------------- ODD

ODD = (DOCS / "ODD.md").read_text(encoding="utf-8") if (DOCS / "ODD.md").exists() else ""
ODD_SECTIONS = [
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialization",
    "Input data",
    "Submodels",
]
DESIGN_CONCEPTS = [
    "Basic principles",
    "Emergence",
    "Adaptation",
    "Objectives",
    "Learning",
    "Prediction",
    "Sensing",
    "Interaction",
    "Stochasticity",
    "Collectives",
    "Observation",
]
HEADINGS = [line.lstrip("#").strip() for line in ODD.splitlines() if line.startswith("#")]
GROUPS = tuple(f"{name}." for name in Scenario.model_fields if name not in ("name", "description"))


@pytest.mark.parametrize("section", ODD_SECTIONS + DESIGN_CONCEPTS)
def test_odd_has_every_section(section):
    assert any(section.lower() in h.lower() for h in HEADINGS), section


@pytest.mark.parametrize("module", [m.__name__.rsplit(".", 1)[-1] for m in MECHANISMS])
def test_odd_has_a_submodel_per_mechanism_module(module):
    assert any(f"`{module}`" in h for h in HEADINGS), module


def test_odd_names_only_parameters_that_exist():
    """Every backticked dotted path into the scenario is a parameter, a table or a group."""
    cited = {m for m in re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", ODD) if m.startswith(GROUPS)}
    assert len(cited) > 80
    prefixes = {p.rsplit(".", k)[0] for p in DOCUMENTED for k in range(1, p.count(".") + 1)}
    unknown = sorted(c for c in cited if c not in DOCUMENTED and c not in prefixes)
    assert unknown == []


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_odd_defines_every_outcome(outcome):
    assert f"`{outcome}`" in ODD


def test_odd_states_the_framing_and_points_to_the_parameter_table():
    text = " ".join(ODD.split()).lower()
    for phrase in ("prevention research", "aggregate", "no real person", "nothing operational"):
        assert phrase in text
    assert "parameters.md" in ODD
