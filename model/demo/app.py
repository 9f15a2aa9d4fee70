"""The classroom demo: a Mesa SolaraViz page (``regroup demo`` serves it).

Run with ``solara run regroup.demo.app`` or, better, ``regroup demo`` (which turns telemetry
off and serves the front end from the local asset cache). The scenario comes from the
``REGROUP_DEMO_SCENARIO`` environment variable (the baseline when unset).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
import solara
import solara.lab
from mesa.visualization import SolaraViz
from regroup.demo.wiring import (
    ASSUMPTION_CONTROLS,
    LEVER_CONTROLS,
    START_CONTROL,
    START_MONTHS,
    STATE_GROUPS,
    Control,
    DemoModel,
    Settings,
    compare_runs,
    load_settings,
    people_by_group,
    pool_series,
    release,
)

TITLE = "regroup — classroom demo"
#: Months stepped between two frames, and the pause between frames (ms): drawing the charts,
#: not the model, limits the speed (see benchmarks: demo months per second).
RENDER_INTERVAL = 12
PLAY_INTERVAL = 1

FRAMING = (
    "Prevention research. A simulation built from aggregate published figures only: it "
    "contains no real person and nothing operational. Runs compare scenarios; they are not "
    "forecasts."
)

STORY = """
**Seed 003 in a few lines** (Vera Mironova, *Can ISIS regroup?*, NATO Review 2018, from
interviews with former fighters). Many members died, the most committed and the least
experienced first. The survivors are in prison or in hiding. Leaders and the anonymous
internal-security men (Amni) slipped away with the group's money. Prisoners may radicalise
each other, as in Camp Bucca, and will be released over the next decade; members' children
come of age. The question: will there again be *enough dedicated and qualified members*,
free, connected and funded, to regroup?
"""

MECHANISMS = """
**Which control is which mechanism**

| control | mechanism in the model |
|---|---|
| Stop prisoners organising | prison: radicalisation and ties in cells |
| Share intelligence | hiding: detection of those in hiding |
| Reintegration programmes | reintegration of returnees and released prisoners |
| Let defectors speak | recruitment: the group's appeal |
| Address grievances | recruitment: the group's appeal |
| Close the border | escape: smugglers and the border |
| How fast prisons radicalise | prison (an assumption) |
| Commitment needed, critical mass | regrouping: who counts, how many are enough |

Settings take effect when you press **Reset** (the run starts again in 2013-01).
**Speed**: *Play Interval* is the pause between frames (lower is faster); *Render Interval*
is the number of months stepped per frame (higher is faster, less smooth).
"""

EXPERIMENTS = """
**Three guided experiments** (press Reset after changing settings, then ▶)

1. **Prison measures in 2018.** Set *Stop prisoners organising* to 0.8 and *Levers act from*
   to 2018-01. Watch the regrouping pool against the dashed baseline after 2022, when
   prisoners are released. Then look at the network: fewer ringed (dedicated) members.
2. **Intelligence sharing alone.** Reset the other levers to 0 and set *Share intelligence*
   to 1. Does the pool shrink? (In this version of the model it does not: ask the class why
   finding people in hiding might push some of them closer together.)
3. **Everything at once.** Set every lever to 0.8. Then open *Page 1* and compare 8 seeds:
   which differences are chance, and which are the policy?
"""


@lru_cache(maxsize=1)
def initial_settings() -> Settings:
    """The settings the page opens on: the scenario of ``REGROUP_DEMO_SCENARIO`` (or the
    baseline) at the demo's scale. Immutable, so sessions may share it."""
    return load_settings(os.environ.get("REGROUP_DEMO_SCENARIO") or None)


def _slider(control: Control, settings: solara.Reactive[Settings]) -> None:
    value = getattr(settings.value, control.name)

    def set_value(v: Any, name: str = control.name) -> None:
        settings.set(settings.value.changed(**{name: v}))

    with solara.Tooltip(control.tooltip):
        with solara.Column(gap="0px", classes=["regroup-control"]):
            solara.Text(f"{control.label}: {value:g}", style={"font-size": "0.9em"})
            solara.SliderFloat(
                "",
                value=float(value),
                min=control.low,
                max=control.high,
                step=control.step,
                on_value=set_value,
            )


@solara.component
def SettingsCard(settings: solara.Reactive[Settings], model: solara.Reactive[DemoModel]) -> None:
    """The levers and their start, the decisive assumptions and the seed, with tooltips."""
    s = settings.value
    with solara.Card("Policy levers (0 = today, 1 = fully)"):
        solara.Markdown(
            "Each slider is the share reached, in Iraq and Syria and at home alike.",
            style={"font-size": "0.8em"},
        )
        for control in LEVER_CONTROLS:
            _slider(control, settings)
        months = list(START_MONTHS)
        if s.start not in months:
            months = sorted([*months, s.start])
        with solara.Tooltip(START_CONTROL.tooltip):
            with solara.Column(gap="0px"):
                solara.Select(
                    START_CONTROL.label,
                    value=s.start,
                    values=months,
                    on_value=lambda v: settings.set(settings.value.changed(start=v)),
                )
    with solara.Card("The assumptions that decide most"):
        solara.Markdown(
            "Ranked first by the project's sensitivity study (Sobol' indices, "
            "docs/analyst-guide.md).",
            style={"font-size": "0.8em"},
        )
        for control in ASSUMPTION_CONTROLS:
            _slider(control, settings)
        with solara.Tooltip("Seed of the random numbers: the same seed gives the same run."):
            with solara.Column(gap="0px"):
                solara.InputInt(
                    "Seed (same seed, same run)",
                    value=s.seed,
                    on_value=lambda v: settings.set(settings.value.changed(seed=max(0, int(v)))),
                )
        if model.value.settings != s:
            solara.Warning("Settings changed: press Reset to start again with them.", dense=True)


@solara.component
def Notes() -> None:
    """Teacher notes: the story of seed 003, the controls' mechanisms, three experiments."""
    with solara.Card("Teacher notes"):
        solara.Markdown(STORY)
        solara.Markdown(EXPERIMENTS)
        solara.Markdown(MECHANISMS)


def Framing(model: DemoModel) -> solara.Element:
    """The framing, always on the page, with the current month and key figures (persons)."""
    groups = people_by_group(model)
    now = groups[:, -1] if groups.shape[1] else np.zeros(len(STATE_GROUPS))
    pool = pool_series(model)
    largest = float(pool["largest"][-1]) if len(pool["largest"]) else 0.0
    held = {name: value for (name, *_), value in zip(STATE_GROUPS, now, strict=True)}
    side = (
        "levers on; dashed lines: the same seed without them"
        if model.comparison
        else ("no lever on: this run is the baseline")
    )
    rows = [
        f"| month | {model.month} (month {model.t + 1} of {model.months}) |",
        f"| territory held | {model.schedule.control[max(model.t, 0)]:.0%} |",
        f"| in the territory | {held['In the territory']:,.0f} |",
        f"| held by states | {held['Held by states']:,.0f} |",
        f"| hiding | {held['Hiding']:,.0f} |",
        f"| largest connected pool | {largest:,.0f} (critical mass "
        f"{model.p.regroup.critical_mass:,.0f}) |",
        f"| regrouped | {model.month_label(model.regroup_month) if model.regroup_month is not None else 'not yet'} |",  # noqa: E501
        f"| scale | one agent = {model.scale:g} persons; seed {model.settings.seed}; {side} |",
    ]
    with solara.Column(classes=["regroup-now"]) as main:
        solara.Info(FRAMING, dense=True)
        solara.Markdown("| now | |\n|---|---|\n" + "\n".join(rows))
    return main


def StatesView(model: DemoModel) -> solara.Element:
    from regroup.demo.views import states_figure

    return solara.FigureMatplotlib(states_figure(model), format="png")


def PoolView(model: DemoModel) -> solara.Element:
    from regroup.demo.views import pool_figure

    return solara.FigureMatplotlib(pool_figure(model), format="png")


def NetworkView(model: DemoModel) -> solara.Element:
    from regroup.demo.views import network_figure

    with solara.Column() as main:
        solara.FigureMatplotlib(network_figure(model), format="png")
        solara.Markdown(
            "A **sample** of at most 300 free members (agents; each stands for "
            f"{model.scale:g} persons): whole groups of tied members first. Colour: where they "
            "are; black ring: dedicated; larger: connected to a funded leader.",
            style={"font-size": "0.8em"},
        )
    return main


@solara.component
def CompareRuns(model: DemoModel) -> None:
    """Page 1: several seeds of the baseline and of the current run's levers."""
    from regroup.demo.views import comparison_figure

    count = solara.use_reactive(8)
    settings = model.settings

    def run() -> Any:
        return compare_runs(settings, range(1, count.value + 1))

    task = solara.lab.use_task(run, dependencies=None)
    with solara.Column():
        solara.Info(FRAMING, dense=True)
        solara.Markdown(
            "**Compare runs.** The same settings as the run on Page 0 (reset it to change them), "
            "for several seeds, with the levers and without (the baseline). The band shows what "
            "chance does; the gap between the medians is the policy."
        )
        solara.SliderInt("Seeds", value=count, min=4, max=16)
        solara.Button(
            f"Compare {count.value} seeds", color="primary", on_click=task, disabled=task.pending
        )
        if task.pending:
            solara.ProgressLinear(True)
            solara.Text(f"running {2 * count.value} whole runs…")
        elif task.finished and task.value is not None:
            c = task.value
            solara.FigureMatplotlib(comparison_figure(c), format="png")
            n = len(c.seeds)
            solara.Markdown(
                f"Regrouped by 2032: baseline {sum(x is not None for x in c.regrouped['baseline'])}"
                f" of {n} seeds; chosen levers {sum(x is not None for x in c.regrouped['levers'])}"
                f" of {n} seeds.",
                style={"font-size": "0.9em"},
            )
        elif task.error:
            solara.Error(f"The comparison failed: {task.exception}")


COMPONENTS = [
    (Framing, 0),
    (StatesView, 0),
    (PoolView, 0),
    (NetworkView, 0),
    (CompareRuns, 1),
]


@solara.component
def Page() -> None:
    """One browser session: its own settings and its own model (never shared)."""
    settings = solara.use_reactive(initial_settings())
    model = solara.use_memo(lambda: solara.reactive(DemoModel(initial_settings())), [])

    def free_old() -> Any:
        current = model.value
        return lambda: release(current)

    solara.use_effect(free_old, [model.value])
    solara.Title(TITLE)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params={"settings": settings},  # Reset rebuilds DemoModel(settings=...)
        name=f"{TITLE} · prevention research, aggregate figures, no real person",
        play_interval=PLAY_INTERVAL,
        render_interval=RENDER_INTERVAL,
    )
    TeacherSidebar(settings, model)


@solara.component
def TeacherSidebar(settings: solara.Reactive[Settings], model: solara.Reactive[DemoModel]) -> None:
    """The settings and the teacher notes, below Mesa's play controls in the sidebar."""
    with solara.Sidebar():
        solara.Info(FRAMING, dense=True)
        SettingsCard(settings, model)
        Notes()


page = Page
