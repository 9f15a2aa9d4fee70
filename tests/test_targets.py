"""The targets file: every public figure of the brief, validated; each model quantity
computed with the source's definition, and the same numbers as the outcome columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from regroup.config.errors import ConfigError
from regroup.config.fields import month_index
from regroup.config.targets import Target, Who, load_targets
from regroup.core.states import FIGHTING_ROLES, Role, State
from regroup.results.outcomes import outcome_row
from regroup.results.targets import QUANTITIES, target_value, target_values

TARGETS = ROOT / "experiments" / "targets.yaml"

# the figures of the model brief and issue 11, by the name the targets file gives them
BRIEF_FIGURES = {
    "foreign_total",  # up to 30,000 (seed 000) .. 52,808 (CTC Sentinel); ICSR 41,490
    "foreign_by_2015",  # up to 30,000 by 2015 (seed 000)
    "foreign_present_2015",  # about 25,000 foreign fighters present (seed 002)
    "women_share",  # 13% women (ICSR 2018)
    "minors_share",  # 12% minors (ICSR 2018)
    "mena_share",  # 45% MENA (ICSR 2018), half from North Africa (seed 000)
    "europe_share",  # up to a quarter from Europe and Turkey (seed 000)
    "fighters_killed_early_2017",  # US officials 45,000-60,000
    "foreign_killed_2016",  # as many as 25,000 (seed 000)
    "europe_killed_share_2017",  # 15-20%
    "returned_late_2017",  # 5,600 to 33 countries (seed 004)
    "returned_share_2018_06",  # 7,366, about 18% (ICSR 2018)
    "europe_returned_share_2017",  # 30-35%
    "europe_returned_2017",  # as many as 5,000 Europeans (seed 001)
    "uk_returned_2017",  # UK 425 of 850 (seed 004)
    "country_returns_2017",  # Turkey 900, Tunisia 800, Saudi Arabia 760 (seed 004)
    "recruits_per_month_2014_15",
    "recruits_per_month_spring_2016",
    "recruits_per_month_autumn_2016",
    "public_defections_2014_2015",  # 58 (seed 002)
    "defections_in_2015",  # two-thirds in 2015 (seed 002)
    "in_iraq_syria_2018",  # UN 20,000-30,000
    "iraq_syria_split_2018",  # roughly equally split (UN)
    "libya_2018",
    "afghanistan_2018",
    "active_fighting_dec_2017",  # coalition: fewer than 1,000-3,000 fighting
    "active_iraq_syria_2019",  # UN: more than 10,000 active
    "reoffending_share",  # 1.6-4.8%
    "eu_sentence_years",  # 5-8.6 years
}


def test_every_figure_of_the_brief_is_a_target_with_a_source() -> None:
    targets = load_targets(TARGETS)
    assert BRIEF_FIGURES <= set(targets)
    for name, t in targets.items():
        assert t.low <= t.high and t.source and t.counts, name
        if not t.computable:
            assert t.reason and t.quantity is None, name


def test_figures_by_country_are_not_computable() -> None:
    """The model has places (tests/test_insurgency.py) but regions of origin, not countries."""
    targets = load_targets(TARGETS)
    for name in ("uk_returned_2017", "country_returns_2017"):
        assert not targets[name].computable


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = """
targets:
  x:
    quantity: {quantity}
    {when}
    low: {low}
    high: {high}
    counts: everyone
    source: a source
"""


@pytest.mark.parametrize(
    "quantity, when, low, high, field, message",
    [
        ("deaths", "date: 2017-01", 1, 2, "targets.x", "unknown quantity 'deaths'"),
        ("killed", "date: 2017-01", 5, 2, "targets.x", "low must be <= high"),
        ("killed", "", 1, 2, "targets.x", "needs a date"),
        (
            "killed",
            "date: 2017-01\n    window: [2014-01, 2015-01]",
            1,
            2,
            "targets.x",
            "takes no window",
        ),
        ("recruits_per_month", "window: [2016-01, 2015-01]", 1, 2, "targets.x.window", "first"),
        ("killed", "date: 2017-13", 1, 2, "targets.x.date", ""),
    ],
)
def test_bad_targets_name_file_and_field(
    tmp_path: Path, quantity: str, when: str, low: float, high: float, field: str, message: str
) -> None:
    path = _write(tmp_path, GOOD.format(quantity=quantity, when=when, low=low, high=high))
    with pytest.raises(ConfigError) as exc:
        load_targets(path)
    text = str(exc.value)
    assert str(path) in text and field in text and message in text, text


def test_unknown_region_and_uncomputable_without_reason(tmp_path: Path) -> None:
    bad_region = GOOD.format(quantity="killed", when="date: 2017-01", low=1, high=2).replace(
        "low:", "who: {origin: foreign, regions: [atlantis]}\n    low:"
    )
    with pytest.raises(ConfigError, match="targets.x.who.regions.*atlantis"):
        load_targets(_write(tmp_path, bad_region))
    no_reason = "targets:\n  y: {low: 1, high: 2, counts: a, source: b, computable: false}\n"
    with pytest.raises(ConfigError, match="targets.y.*needs a reason"):
        load_targets(_write(tmp_path, no_reason))


def test_targets_with_an_outcome_column_give_its_number(cached_run) -> None:
    """The quantities reproduce outcomes.py's calibration columns on one run; only the
    reoffending share differs by definition (the source counts released prisoners; the
    outcome column also counts reintegrated returnees who reoffended)."""
    m = cached_run(seed=3)
    row = outcome_row(m)
    targets = load_targets(TARGETS)
    values = target_values(m, targets)
    checked = 0
    for name, t in targets.items():
        if t.outcome is None:
            continue
        if name == "reoffending_share":
            assert values[name] <= row[t.outcome] + 1e-12
            continue
        assert values[name] == pytest.approx(row[t.outcome], rel=1e-9, nan_ok=True), name
        checked += 1
    assert checked >= 8


def test_quantities_follow_their_definitions(cached_run) -> None:
    m = cached_run(seed=3)
    n = m.pop.n

    def t(quantity: str, **kw) -> float:
        return target_value(
            m, Target(quantity=quantity, low=0, high=1, counts="c", source="s", **kw)
        )

    fighters = [r.label for r in FIGHTING_ROLES]
    others = [r.label for r in Role if r not in FIGHTING_ROLES]
    everyone = t("killed", date="2032-12")
    assert everyone == pytest.approx(np.count_nonzero(m.pop.state[:n] == State.DEAD) * m.scale)
    split = t("killed", date="2032-12", who=Who(roles=fighters)) + t(
        "killed", date="2032-12", who=Who(roles=others)
    )
    assert split == pytest.approx(everyone)
    assert t("killed", date="2016-01") < everyone  # deaths accumulate
    by_origin = t("in_states", date="2018-06", states=["active"], who=Who(origin="foreign"))
    by_origin += t("in_states", date="2018-06", states=["active"], who=Who(origin="local"))
    assert by_origin == pytest.approx(t("in_states", date="2018-06", states=["active"]))
    # the share of a window's public defections made in a part of it (at this small scale the
    # brief's window, 2014-01 to 2015-08, may hold none: a wider one is used)
    window, part = ["2014-01", "2017-12"], ["2015-01", "2015-08"]
    spoke = m.series.public_defections
    a, b, c, d = (month_index(date, m.p.time.start) for date in (*window, *part))
    share = t("defections_share", window=window, part=part)
    assert spoke[a : b + 1].sum() > 0
    assert share == pytest.approx(spoke[c : d + 1].sum() / spoke[a : b + 1].sum())
    assert 0 <= share <= 1
    assert np.isnan(t("defections_share", window=["2013-01", "2013-01"], part=["2013-01"] * 2))
    assert set(QUANTITIES) >= {"killed", "returned", "in_states", "defections_share"}
