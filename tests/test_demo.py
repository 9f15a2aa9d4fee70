"""The classroom demo's model wiring, without a browser (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara")
pytest.importorskip("networkx")

from regroup.demo import assets, wiring  # noqa: E402
from regroup.demo.wiring import (  # noqa: E402
    CONTROLS,
    DEMO_SCALE,
    LEVER_CONTROLS,
    LEVERS,
    DemoModel,
    build_scenario,
    network_sample,
)

ROOT = Path(__file__).resolve().parents[1]


def test_settings_reach_the_scenario():
    s = wiring.load_settings().changed(
        prison_measures=0.7, start="2018-01", radicalisation=0.1, critical_mass=500, seed=11
    )
    sc = build_scenario(s)
    assert (sc.policy.prison_measures.region, sc.policy.prison_measures.home) == (0.7, 0.7)
    assert sc.policy.start == "2018-01"
    assert sc.prison.radicalisation == 0.1
    assert sc.regroup.critical_mass == 500
    assert sc.population.scale == DEMO_SCALE
    off = build_scenario(s, levers=False)
    assert not any(getattr(off.policy, lever).on for lever in LEVERS)
    # the comparison keeps the assumptions and the start: only the levers go
    assert off.prison.radicalisation == 0.1 and off.policy.start == "2018-01"


def test_invalid_setting_is_refused():
    with pytest.raises(ValueError, match="prison_measures"):
        build_scenario(wiring.load_settings().changed(prison_measures=1.5))


def test_scenario_file_gives_the_opening_settings():
    s = wiring.load_settings(ROOT / "scenarios" / "prison_measures.yaml")
    assert s.prison_measures > 0 and s.levers_on
    assert wiring.load_settings().levers_on is False
    # the file's own split and start stay until the slider moves; then its value is everywhere
    lever = build_scenario(s).policy.prison_measures
    assert lever == s.base.policy.prison_measures and lever.region != lever.home
    moved = build_scenario(s.changed(prison_measures=0.9)).policy.prison_measures
    assert (moved.region, moved.home, moved.start) == (0.9, 0.9, lever.start)


def test_same_seed_same_numbers_and_reset_reseeds():
    import solara

    settings = solara.reactive(wiring.load_settings().changed(seed=5, reintegration=0.5))
    a = DemoModel(settings)  # as Mesa's Reset builds it: from the page's reactive settings
    b = DemoModel(settings.value)
    for _ in range(40):
        a.step()
        b.step()
    assert np.array_equal(a.counts, b.counts)
    assert a.settings.seed == 5 and a.p.policy.reintegration.home == 0.5
    settings.value = settings.value.changed(seed=6)
    c = DemoModel(settings)
    for _ in range(40):
        c.step()
    assert c.t == 39 and not np.array_equal(a.counts, c.counts)


def test_comparison_run_is_the_same_seed_without_levers():
    plain = DemoModel(wiring.load_settings())
    assert plain.comparison is None
    m = DemoModel(wiring.load_settings().changed(prison_measures=1.0, start="2013-06"))
    assert m.comparison is not None
    assert not m.comparison.p.policy.prison_measures.on
    for _ in range(12):
        m.step()
    assert m.comparison.t == m.t == 11
    for _ in range(12):
        plain.step()
    # before the levers act, the comparison run is the baseline itself
    assert np.array_equal(plain.counts[:5], m.comparison.counts[:5])


def test_every_control_names_its_source():
    for control in CONTROLS:
        assert control.label and control.tooltip.startswith(control.path)
        assert "source:" in control.tooltip
    for control in LEVER_CONTROLS:
        assert "seed 00" in control.source or "model brief" in control.source


def test_network_sample_is_free_members_and_their_ties():
    m = DemoModel(wiring.load_settings())
    for _ in range(100):
        m.step()
    net = network_sample(m, size=120)
    assert 0 < len(net.members) <= 120 and net.free_total >= len(net.members)
    assert len(np.unique(net.members)) == len(net.members)
    free = wiring.FREE_STATES
    assert np.isin(net.state, [int(s) for s in free]).all()
    assert len(net.edges) and net.edges.max() < len(net.members)
    src, dst = m.ties.edges
    tied = set(zip(src.tolist(), dst.tolist(), strict=True))
    for i, j in net.edges[:50]:
        a, b = int(net.members[i]), int(net.members[j])
        assert (a, b) in tied or (b, a) in tied


def test_views_draw():
    from regroup.demo.views import network_figure, pool_figure, states_figure

    m = DemoModel(wiring.load_settings().changed(grievances=0.5))
    for _ in range(60):
        m.step()
    for draw in (states_figure, pool_figure, network_figure):
        fig = draw(m)
        assert fig.axes and m.month in fig.axes[0].get_title()


def test_compare_runs_medians():
    c = wiring.compare_runs(wiring.load_settings().changed(prison_measures=1.0), [1, 2])
    assert c.baseline["largest"].shape == (240, 2) == c.levers["free"].shape
    assert c.months[0] == "2013-01"
    # prison measures shrink the end pool over the seeds (one seed's largest pool is a
    # small, noisy number: it may rise in one seed)
    assert c.levers["largest"][-1].sum() < c.baseline["largest"][-1].sum()


def _sliders(rc):
    import ipyvuetify as v

    return list(rc.find(v.Slider).widgets)


def _texts(rc) -> list[str]:
    """Every string in the rendered widget tree (labels, Mesa's step counter)."""
    out: list[str] = []

    def walk(x) -> None:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, list | tuple):
            for c in x:
                walk(c)
        elif x is not None:
            walk(getattr(x, "children", None))
            for slot in getattr(x, "v_slots", None) or []:
                walk(slot.get("children"))

    walk(rc.find().widgets[0] if rc.find().widgets else None)
    return out


def test_page_in_process_slider_reset_step():
    """The page without a browser: move a lever, Reset, Step, Reset (Mesa's pattern)."""
    import ipyvuetify as v
    import solara
    from regroup.demo import app

    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    assert "Step: 0" in _texts(rc)
    levers = [s for s in _sliders(rc) if s.max == 1 and s.step == 0.05]
    assert len(levers) == len(LEVER_CONTROLS)
    assert not rc.find(
        v.Alert, children=["Settings changed: press Reset to start again with them."]
    )
    levers[0].v_model = 0.8  # "Stop prisoners organising"
    assert "Stop prisoners organising (prison measures): 0.8" in _texts(rc)
    changed = rc.find(v.Alert, children=["Settings changed: press Reset to start again with them."])
    changed.assert_single()
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert not rc.find(
        v.Alert, children=["Settings changed: press Reset to start again with them."]
    )
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert f"Step: {app.RENDER_INTERVAL}" in _texts(rc)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "Step: 0" in _texts(rc)
    assert "Stop prisoners organising (prison measures): 0.8" in _texts(rc)


def test_assets_cover_what_solara_asks_for(tmp_path):
    import solara.server.settings as solara_settings

    assert len(assets.missing(tmp_path)) >= len(assets.PACKAGES)
    template = Path(solara_settings.__file__).parent / "templates" / "solara.html.j2"
    text = template.read_text()
    for name, version, _ in assets.PACKAGES[:4]:
        # the versions the page asks for (grid layout: in its widget's template)
        if name != "@widgetti/vue-grid-layout":
            assert f"{name}@{version}" in text or name == "font-awesome"
    assert "font-awesome@4.5.0" in solara_settings.assets.fontawesome_path


def test_demo_command_refuses_a_bad_scenario(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy:\n  prison_measures: 3\n")
    run = subprocess.run(
        [sys.executable, "-m", "regroup.cli", "demo", str(bad), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert "policy.prison_measures" in run.stderr
