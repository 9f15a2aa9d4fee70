"""Evidence labels and priors: every substantive parameter has both, priors stay inside the
allowed bounds, sources say honestly what the seeds contain, and draws make valid scenarios."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from pydantic import BaseModel
from regroup.config.evidence import (
    LABELS,
    Prior,
    draw,
    iter_parameters,
    label_counts,
    scenario_parameters,
)
from regroup.config.experiment import ExperimentFile
from regroup.config.fields import RoleProbs, RoleShares, param, range_param, table
from regroup.config.scenario import read_yaml, with_overrides
from regroup.config.schema import Scenario

SPECS = scenario_parameters()
IDS = [s.path for s in SPECS]
CONTROL = {
    "time.start",
    "time.end",
    "population.scale",
    "policy.start",
    "policy.prison_measures",
    "policy.intelligence_sharing",
    "policy.reintegration",
    "policy.defector_voice",
    "policy.grievances",
    "policy.border_crackdown",
}
SEEDS = Path(os.environ.get("REGROUP_SEEDS", ROOT.parent / "shared" / "seeds"))
# a named document: a seed, or a publication with its year ("ICSR 2018", "Renard 2020")
DOCUMENT = re.compile(r"seed \d{3}|[A-Z][A-Za-z.&-]+(?: [A-Z][A-Za-z.&-]+)* (?:19|20)\d\d")
QUOTE = re.compile(r"(?<![A-Za-z])'(.+?)'(?![A-Za-z])")


def _norm(text: str) -> str:
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u2013", "-"), ("\u2014", "-")):
        text = text.replace(a, b)
    return " ".join(text.replace("\u201c", '"').replace("\u201d", '"').split())


def _leaf_paths(model: BaseModel, prefix: str = ""):
    for name, field in type(model).model_fields.items():
        if "unit" in (field.json_schema_extra or {}):
            yield f"{prefix}{name}"
        elif isinstance(getattr(model, name), BaseModel):
            yield from _leaf_paths(getattr(model, name), f"{prefix}{name}.")


def test_every_parameter_is_substantive_or_control():
    assert set(IDS) | CONTROL == set(_leaf_paths(Scenario()))
    assert not set(IDS) & CONTROL
    assert len(IDS) == len(set(IDS)) > 100


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_substantive_parameter_has_a_label_and_a_prior(spec):
    assert spec.evidence in LABELS, f"{spec.path}: evidence label missing"
    assert spec.prior is not None, f"{spec.path}: prior missing"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_prior_extremes_and_middle_make_valid_scenarios(spec):
    """The prior's whole support maps inside the parameter's allowed bounds."""
    for u in (0.0, 0.5, 1.0):
        value = spec.value(np.full(spec.dims, u))
        with_overrides(Scenario(), {spec.path: value}, spec.path)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_sources_are_honest(spec):
    src = spec.source
    if spec.evidence == "published":
        assert DOCUMENT.search(src), f"{spec.path}: a published number names no document"
    elif spec.evidence == "fitted":
        assert "fitted" in src and re.search(r"\d", src), f"{spec.path}: name the figure"
        assert DOCUMENT.search(src) or "officials" in src or "UN " in src
    else:
        assert "assumption" in src, f"{spec.path}: say that the value is an assumption"
        if re.search(r"seeds? \d{3}", src):  # a seed backs the direction, not the number
            assert re.search(r"support|names|recommends|describe|reconciling", src), spec.path


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not available")
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_phrases_quoted_from_seeds_are_in_them(spec):
    texts = {p.name[:3]: _norm(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    cited = set(re.findall(r"\d{3}", " ".join(re.findall(r"seeds? [\d, ]+", spec.source))))
    for phrase in QUOTE.findall(spec.source):
        found = {n for n, t in texts.items() if _norm(phrase) in t}
        assert found & cited, f"{spec.path}: {phrase!r} is not in seed(s) {sorted(cited)}"


def test_the_named_overstated_citations_are_assumptions():
    by_path = {s.path: s for s in SPECS}
    for path in ("prison.radicalisation", "regroup.ideology_threshold", "regroup.critical_mass"):
        assert by_path[path].evidence == "assumption"
    assert by_path["escape.smuggler_fee_usd"].evidence == "published"
    assert "$7,000 and $10,000" in by_path["escape.smuggler_fee_usd"].source


@pytest.mark.parametrize("name", ["sensitivity", "screening"])
def test_sensitivity_experiments_cover_the_decisive_parameters_within_their_priors(name):
    """Critical mass, prison tie formation and a decay of commitment (or loyalty) outside
    prison can each decide a headline outcome; every range lies within the prior's support."""
    spec = ExperimentFile.model_validate(read_yaml(ROOT / "experiments" / f"{name}.yaml"))
    by_path = {s.path: s for s in SPECS}
    params = spec.parameters
    assert {"regroup.critical_mass", "prison.tie_formation"} <= set(params)
    assert any(path.endswith("_decay") for path in params)
    for path, rng in params.items():
        lo, hi = by_path[path].prior.support
        assert lo <= rng.low < rng.high <= hi, path


def test_label_counts_add_up_and_docs_show_them():
    counts = label_counts()
    assert sum(counts.values()) == len(SPECS)
    assert counts["assumption"] > counts["fitted"] > counts["published"] >= 1
    text = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    line = ", ".join(f"{counts[k]} {k}" for k in LABELS)
    assert f"**{len(SPECS)} substantive parameters**: {line}." in text


# ------------------------------------------------------------------------ bad priors


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: param(
                0.5, "x", "s", "d", ge=0, le=1, prior=Prior(kind="uniform", low=0.2, high=1.5)
            ),
            "outside the allowed",
        ),
        (
            lambda: param(
                0.5, "x", "s", "d", ge=0, le=1, prior=Prior(kind="uniform", low=0.6, high=0.9)
            ),
            "leaves out the default",
        ),
        (
            lambda: param(
                5, "x", "s", "d", ge=2, le=10, prior=Prior(kind="triangular", low=1, mode=5, high=9)
            ),
            "outside the allowed",
        ),
        (
            lambda: table(
                RoleProbs,
                dict.fromkeys(RoleProbs.model_fields, 0.9),
                "x",
                "s",
                "d",
                prior=Prior(kind="uniform", low=0.8, high=1.2),
            ),
            "outside the allowed",
        ),
        (
            lambda: table(
                RoleShares,
                dict.fromkeys(RoleShares.model_fields, 0.1),
                "x",
                "s",
                "d",
                prior=Prior(kind="uniform", low=0.8, high=1.2),
            ),
            "needs a dirichlet",
        ),
        (
            lambda: range_param(
                3, 10, "y", "s", "d", ge=0, le=12, prior=Prior(kind="uniform", low=0.5, high=1.5)
            ),
            "outside the allowed",
        ),
        (
            lambda: param(
                "2014-12", "YYYY-MM", "s", "d", prior=Prior(kind="uniform", low=1, high=6)
            ),
            "must contain 0",
        ),
        (
            lambda: param(0.5, "x", "s", "d", ge=0, le=1, control=True, evidence="assumption"),
            "control setting",
        ),
    ],
)
def test_a_prior_that_does_not_fit_its_parameter_raises(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "uniform", "low": 1.0},
        {"kind": "uniform", "low": 2.0, "high": 1.0},
        {"kind": "triangular", "low": 0.0, "mode": 2.0, "high": 1.0},
        {"kind": "lognormal", "median": 1.0, "sigma": 0.5},
        {"kind": "lognormal", "median": 1.0, "sigma": 0.5, "low": 0.0, "high": 2.0},
        {"kind": "beta", "a": 2.0, "low": 0.0, "high": 1.0},
        {"kind": "gamma", "low": 0.0, "high": 1.0},
    ],
)
def test_incomplete_or_disordered_priors_are_rejected(kwargs):
    with pytest.raises(ValueError):
        Prior(**kwargs)


# ------------------------------------------------------------------------ distributions


@pytest.mark.parametrize(
    ("prior", "mean"),
    [
        (Prior(kind="uniform", low=2, high=4), 3.0),
        (Prior(kind="triangular", low=0, mode=3, high=3), 2.0),
        (Prior(kind="beta", a=2, b=2, low=10, high=20), 15.0),
    ],
)
def test_samples_follow_the_prior(prior, mean):
    x = prior.sample(np.random.default_rng(1), 20_000)
    lo, hi = prior.support
    assert x.min() >= lo and x.max() <= hi
    assert abs(x.mean() - mean) < 0.02 * (hi - lo)


def test_truncated_lognormal_stays_in_its_support_with_its_median():
    prior = Prior(kind="lognormal", median=0.04, sigma=0.35, low=0.02, high=0.08)
    x = prior.sample(np.random.default_rng(2), 20_000)
    assert 0.02 <= x.min() and x.max() <= 0.08
    assert abs(np.median(x) - 0.04) < 0.002
    assert prior.ppf([0.0, 1.0]).tolist() == pytest.approx([0.02, 0.08])


def test_dirichlet_shares_sum_to_one_around_the_defaults_and_keep_zeros():
    prior = Prior(kind="dirichlet", concentration=100)
    mean = np.array([0.5, 0.3, 0.2, 0.0])
    x = prior.shares_ppf(np.random.default_rng(3).random((5_000, 4)), mean)
    assert np.allclose(x.sum(axis=1), 1.0)
    assert np.all(x[:, 3] == 0)
    assert np.allclose(x.mean(axis=0), mean, atol=0.01)


# ------------------------------------------------------------------------ draws


def _child(i: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(20181111).spawn(8)[i])


def test_a_draw_sets_every_substantive_parameter_and_makes_a_valid_scenario():
    values = draw(_child(0))
    assert list(values) == IDS
    scenario = with_overrides(Scenario(), values, "draw")
    assert scenario != Scenario()
    assert scenario.prison.radicalisation == pytest.approx(values["prison.radicalisation"])
    assert isinstance(scenario.prison.cell_size, int)
    shares = scenario.population.foreign_role_shares
    assert shares.local_recruit == 0
    assert sum(shares.model_dump().values()) == pytest.approx(1)


def test_draws_are_reproducible_from_a_seed_sequence_child_and_differ_between_children():
    assert draw(_child(1)) == draw(_child(1))
    a, b = draw(_child(1)), draw(_child(2))
    assert a["regroup.critical_mass"] != b["regroup.critical_mass"]


def test_drawn_values_lie_in_their_priors():
    by_path = {s.path: s for s in SPECS}
    for i in range(4):
        values = draw(_child(i))
        for path in ("regroup.critical_mass", "prison.radicalisation", "allegiance.loyalty_decay"):
            lo, hi = by_path[path].prior.support
            assert lo <= values[path] <= hi
        fee = values["escape.smuggler_fee_usd"]
        assert 7000 * 0.85 <= fee["low"] and fee["high"] <= 10000 * 1.15
        assert fee["high"] / fee["low"] == pytest.approx(10000 / 7000)


def test_draw_refuses_a_parameter_without_a_prior():
    specs = list(iter_parameters(Scenario))
    bare = [type(specs[0])(**{**specs[0].__dict__, "prior": None})]
    with pytest.raises(ValueError, match="no prior"):
        draw(np.random.default_rng(0), bare)
