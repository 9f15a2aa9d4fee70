"""The demo's model wiring, without any browser: controls, scenario, model and view data.

Everything the page shows is computed here from the model's public arrays (``model.counts``,
``model.series``, ``model.pop``, ``model.ties``, ``model.schedule``), so it can be tested and
timed without Solara. Prevention research: aggregate figures only, no real person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from regroup import RegroupModel, Scenario, load_scenario

try:  # the package is being reorganised into sub-packages
    from regroup.core.states import FREE_STATES, State
except ImportError:  # pragma: no cover - before the move
    from regroup.states import FREE_STATES, State  # type: ignore[no-redef]

#: Persons per agent in the demo: coarse enough to step far faster than the page draws.
DEMO_SCALE = 20.0
#: The seed the demo opens on (seed 003 tells the story the demo follows).
DEFAULT_SEED = 3
#: Members drawn in the network picture (a sample: the page says so).
NETWORK_SAMPLE = 300

LEVERS = (
    "prison_measures",
    "intelligence_sharing",
    "reintegration",
    "defector_voice",
    "grievances",
    "border_crackdown",
)


def _threshold() -> tuple[str, str]:
    """Where the pool's dedication threshold lives (the schema is being revised: commitment
    may become ideology and loyalty), and its label."""
    if "commitment_threshold" in type(Scenario().regroup).model_fields:
        return "regroup.commitment_threshold", "Commitment needed to count as dedicated"
    return "regroup.ideology_threshold", "How extreme a member must be to count as dedicated"


THRESHOLD_PATH, THRESHOLD_LABEL = _threshold()

# where each setting lives in the scenario
PATHS = {
    **{lever: f"policy.{lever}" for lever in LEVERS},
    "start": "policy.start",
    "radicalisation": "prison.radicalisation",
    "commitment_threshold": THRESHOLD_PATH,
    "critical_mass": "regroup.critical_mass",
}

# Key events of the loss of territory (public dates), marked on the charts.
EVENTS = (("2017-07", "Mosul"), ("2017-10", "Raqqa"), ("2019-03", "last territory"))

# Start dates a teacher can pick for the levers: every quarter from 2014 to 2025.
START_MONTHS = tuple(f"{y}-{m:02d}" for y in range(2014, 2026) for m in (1, 4, 7, 10))


@dataclass(frozen=True)
class Control:
    """One control on the page: what it sets, how a teacher reads it, which mechanism."""

    name: str  # a field of :class:`Settings`
    label: str  # read aloud
    mechanism: str  # the model's mechanism it acts on
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05

    @property
    def path(self) -> str:
        return PATHS[self.name]

    @property
    def source(self) -> str:
        """The seed document or publication the schema cites for this parameter."""
        section, key = self.path.split(".")
        info = type(getattr(Scenario(), section)).model_fields[key]
        extra = info.json_schema_extra or {}
        return str(extra.get("source", "assumption"))  # type: ignore[union-attr]

    @property
    def tooltip(self) -> str:
        """One line: the parameter's path and its source (a seed document or 'assumption')."""
        return f"{self.path} — source: {self.source}"


LEVER_CONTROLS = (
    Control("prison_measures", "Stop prisoners organising (prison measures)", "prison"),
    Control("intelligence_sharing", "Share intelligence between countries", "hiding"),
    Control("reintegration", "Reintegration programmes", "reintegration"),
    Control("defector_voice", "Let defectors speak publicly", "recruitment"),
    Control("grievances", "Address grievances (quality of life, discrimination)", "recruitment"),
    Control("border_crackdown", "Close the border and the smugglers' routes", "escape"),
)
START_CONTROL = Control("start", "Levers act from (month)", "all levers", 0, 0, 0)
ASSUMPTION_CONTROLS = (
    Control("radicalisation", "How fast prisons radicalise (per month)", "prison", 0.0, 0.2, 0.01),
    Control("commitment_threshold", THRESHOLD_LABEL, "regrouping", 0.3, 0.9),
    Control(
        "critical_mass", "People needed to regroup (critical mass)", "regrouping", 100, 5000, 100
    ),
)
CONTROLS = (*LEVER_CONTROLS, START_CONTROL, *ASSUMPTION_CONTROLS)


@dataclass(frozen=True)
class Settings:
    """What the page's controls set: the levers and their start, three assumptions, the seed.

    ``base`` is the scenario the demo opened on; ``scale`` the persons per agent.
    """

    prison_measures: float = 0.0
    intelligence_sharing: float = 0.0
    reintegration: float = 0.0
    defector_voice: float = 0.0
    grievances: float = 0.0
    border_crackdown: float = 0.0
    start: str = "2017-10"
    radicalisation: float = 0.04
    commitment_threshold: float = 0.6
    critical_mass: float = 1000.0
    seed: int = DEFAULT_SEED
    scale: float = DEMO_SCALE
    base: Scenario = field(default_factory=Scenario, compare=False, repr=False)

    @classmethod
    def from_scenario(
        cls, scenario: Scenario, seed: int = DEFAULT_SEED, scale: float = DEMO_SCALE
    ) -> Settings:
        """The settings a scenario implies (its levers and assumptions), at the demo's scale."""
        values = {name: _get(scenario, path) for name, path in PATHS.items()}
        for lever in LEVERS:
            values[lever] = slider_value(values[lever])
        return cls(**values, seed=seed, scale=scale, base=scenario)

    @property
    def levers_on(self) -> bool:
        return any(getattr(self, lever) > 0 for lever in LEVERS)

    def changed(self, **values: Any) -> Settings:
        """A copy with some settings changed (validated when the scenario is built)."""
        return replace(self, **values)

    def values(self) -> dict[str, Any]:
        """The settings as plain values (without the base scenario)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "base"}


def load_settings(path: str | Path | None = None, seed: int = DEFAULT_SEED) -> Settings:
    """Settings for a scenario file (the baseline when ``path`` is None)."""
    scenario = Scenario() if path is None else load_scenario(Path(path))
    return Settings.from_scenario(scenario, seed=seed)


def slider_value(lever: Any) -> float:
    """The one number a lever's slider shows: the coverage where the region (Iraq, Syria, the
    other theatres) and home values agree, else their mean (the scenario's own split is kept
    until the slider is moved, :func:`build_scenario`)."""
    return float(lever.region if lever.region == lever.home else (lever.region + lever.home) / 2)


def _lever_setting(settings: Settings, name: str, on: bool) -> Any:
    """What a lever's slider sets: 0 for the comparison run; the base scenario's lever as it
    is (its split and start) while the slider shows its value; else the slider's value in
    every place, from the lever's own start if it has one (else the page's start)."""
    if not on:
        return 0.0
    value, base = getattr(settings, name), getattr(settings.base.policy, name)
    if value == slider_value(base):
        return base.model_dump()
    return {"region": value, "home": value, "start": base.start}


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def build_scenario(settings: Settings, levers: bool = True) -> Scenario:
    """The scenario a run uses: the base with the settings applied (levers at 0 if not
    ``levers``: the comparison run; a slider sets a lever's coverage in every place), at the
    demo's scale. Invalid values raise ConfigError-like
    pydantic errors."""
    data = settings.base.model_dump()
    for name, path in PATHS.items():
        section, key = path.split(".")
        value = getattr(settings, name)
        if name in LEVERS:
            value = _lever_setting(settings, name, levers)
        data[section][key] = value
    data["population"]["scale"] = settings.scale
    if not levers:
        data["name"] = f"{settings.base.name} (no levers)"
    return Scenario.model_validate(data)


def _settings_of(settings: Any) -> Settings:
    """Settings from a Settings, a Solara reactive holding one, or None (the baseline)."""
    if settings is None:
        return load_settings()
    if isinstance(settings, Settings):
        return settings
    return settings.value  # a solara.Reactive[Settings]: Mesa's Reset rebuilds from it


class DemoModel(RegroupModel):
    """The scenario with the page's settings, stepped together with a comparison run.

    ``settings`` may be a :class:`Settings` or a Solara reactive holding one (Mesa's Reset
    passes the page's reactive, so a reset picks up the controls' current values).
    ``comparison`` is the same seed without the levers (None when no lever is on: the run
    is then the baseline itself).
    """

    def __init__(self, settings: Any = None) -> None:
        s = _settings_of(settings)
        super().__init__(build_scenario(s), seed=s.seed)
        self.settings = s
        self.comparison: RegroupModel | None = (
            RegroupModel(build_scenario(s, levers=False), seed=s.seed) if s.levers_on else None
        )
        self.layout: dict[int, np.ndarray] = {}  # network positions kept between frames

    def step(self) -> None:
        super().step()
        other = self.comparison
        if other is not None and other.running:
            other.step()
        if not self.running:
            release(self)

    @property
    def month(self) -> str:
        """The current month (``YYYY-MM``), or the month before the start before any step."""
        return str(self.month_label(self.t))


def release(model: RegroupModel) -> None:
    """Drop Mesa's per-model id counter so a finished or replaced model can be freed
    (Mesa 3.3 keeps it in a class attribute, mesa issue #3179)."""
    for m in (model, getattr(model, "comparison", None)):
        if m is not None:
            mesa.Agent._ids.pop(m, None)


# ---------------------------------------------------------------------------- view data

STATE_GROUPS: tuple[tuple[str, tuple[State, ...], str], ...] = (
    ("In the territory", (State.ACTIVE,), "#b2182b"),
    ("In the group's prisons", (State.GROUP_PRISON,), "#762a83"),
    ("Escaping", (State.ESCAPING,), "#f46d43"),
    ("Hiding", (State.HIDING_LOCAL, State.HIDING_ABROAD), "#fdae61"),
    ("Held by states", (State.DETAINED, State.PRISON_HOME), "#4575b4"),
    ("Returned home", (State.RETURNED,), "#74add1"),
    ("Released", (State.RELEASED,), "#abd9e9"),
    ("Reintegrated", (State.REINTEGRATED,), "#1a9850"),
    ("Criminal networks", (State.CRIMINAL,), "#8c510a"),
    ("Remobilised", (State.REMOBILISED,), "#d73027"),
    ("Dead", (State.DEAD,), "#bdbdbd"),
)


def month_of(model: RegroupModel, label: str) -> int:
    """Month index of a ``YYYY-MM`` label in the model's run."""
    start = np.datetime64(model.p.time.start, "M")
    return int((np.datetime64(label, "M") - start).astype(int))


def people_by_group(model: RegroupModel) -> np.ndarray:
    """Persons in each of :data:`STATE_GROUPS` per month so far: groups x months."""
    months = model.t + 1
    by_state = model.counts[:months].sum(axis=(2, 3))  # months x states
    out = np.zeros((len(STATE_GROUPS), months))
    for g, (_, states, _) in enumerate(STATE_GROUPS):
        out[g] = by_state[:, [int(s) for s in states]].sum(axis=1)
    return out


def pool_series(model: RegroupModel) -> dict[str, np.ndarray]:
    """The regrouping pool so far: all dedicated and qualified free members, those connected
    to a funded leader, and the largest connected pool (persons)."""
    months = model.t + 1
    s = model.series
    return {
        "pool": s.pool[:months],
        "connected": s.connected_pool[:months],
        "largest": s.largest_pool[:months],
    }


@dataclass
class Network:
    """A sample of free members and the ties among them, for the picture of the people."""

    members: np.ndarray  # indices into model.pop
    state: np.ndarray
    commitment: np.ndarray
    dedicated: np.ndarray  # commitment >= the threshold
    in_pool: np.ndarray  # connected to a funded leader last month
    edges: np.ndarray  # pairs of positions in ``members``
    free_total: int  # free members (agents) of whom this is a sample
    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


def _stable_key(idx: np.ndarray) -> np.ndarray:
    """A pseudo-random order that stays the same for a member from month to month."""
    return (idx.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)


def network_sample(model: RegroupModel, size: int = NETWORK_SAMPLE) -> Network:
    """Up to ``size`` free members, whole groups of tied members first (the largest
    connected pool, then other groups in a stable random order), and their ties."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    pop = model.pop
    n = pop.n
    state = pop.state[:n]
    free_mask = np.isin(state, [int(s) for s in FREE_STATES])
    free = np.flatnonzero(free_mask)
    src, dst = model.ties.edges
    keep = free_mask[src] & free_mask[dst] if len(src) else np.zeros(0, bool)
    src, dst = src[keep], dst[keep]
    pos = np.full(n, -1, dtype=np.int64)
    pos[free] = np.arange(len(free))
    k = len(free)
    connected = model.connected[:n] if len(model.connected) >= n else np.zeros(n, bool)
    graph = coo_matrix((np.ones(len(src)), (pos[src], pos[dst])), shape=(k, k)).tocsr()
    chosen: list[np.ndarray] = []
    if k:
        _, label = connected_components(graph, directed=False)
        size_of = np.bincount(label)
        pool_count = np.bincount(label, weights=connected[free].astype(float))
        # groups with members in the funded pool first (biggest first), then tied groups in a
        # stable random order, then single members
        first = np.full(len(size_of), k, dtype=np.int64)
        np.minimum.at(first, label, np.arange(k))
        key = _stable_key(free[first]).astype(np.float64) / 2**32
        order = np.lexsort((key, -(size_of > 1).astype(np.int64), -pool_count))
        budget = size
        for comp in order:
            if budget <= 0:
                break
            nodes = np.flatnonzero(label == comp)
            if len(nodes) > budget:  # a breadth-first part of a large group keeps its ties
                nodes = breadth_first_order(graph, nodes[0], directed=False)[0][:budget]
            chosen.append(nodes)
            budget -= len(nodes)
    local = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    members = free[local]
    where = np.full(k, -1, dtype=np.int64)
    where[local] = np.arange(len(local))
    a, b = where[pos[src]], where[pos[dst]]
    ok = (a >= 0) & (b >= 0)
    world = getattr(model, "world", None)
    if world is not None and hasattr(world, "dedicated_rows"):  # the model's own definition
        commitment = pop.ideology[members].astype(float)
        dedicated = world.dedicated_rows(members)
    else:
        commitment = pop.commitment[members].astype(float)
        dedicated = commitment >= model.p.regroup.commitment_threshold
    return Network(
        members=members,
        state=state[members].copy(),
        commitment=commitment,
        dedicated=np.asarray(dedicated, dtype=bool),
        in_pool=connected[members],
        edges=np.unique(np.sort(np.c_[a[ok], b[ok]], axis=1), axis=0),
        free_total=k,
    )


def layout(net: Network, previous: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Positions for the sampled members: a few spring-layout iterations started from the
    previous frame's positions, so the picture moves smoothly from month to month."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(len(net.members)))
    g.add_edges_from(map(tuple, net.edges))
    previous = previous or {}
    rng = np.random.default_rng(0)
    start = {i: previous.get(int(m), rng.uniform(-1, 1, 2)) for i, m in enumerate(net.members)}
    if not len(net.members):
        return np.zeros((0, 2))
    placed = nx.spring_layout(g, pos=start, iterations=15, seed=0, k=1.5 / np.sqrt(len(g) + 1))
    out = np.array([placed[i] for i in range(len(net.members))])
    if previous is not None:
        previous.clear()
        previous.update({int(m): out[i] for i, m in enumerate(net.members)})
    return out


# ---------------------------------------------------------------------------- comparing runs


@dataclass
class Comparison:
    """Several seeds of the baseline and of the chosen levers: months x seeds per measure."""

    months: np.ndarray  # labels
    seeds: list[int]
    baseline: dict[str, np.ndarray]
    levers: dict[str, np.ndarray]
    regrouped: dict[str, list[str | None]]  # month of the regroup event per seed, per side


MEASURES = {
    "largest": "Largest connected pool",
    "held": "Held by states",
    "free": "Free members",
}


def _measures(m: RegroupModel) -> dict[str, np.ndarray]:
    by_state = m.counts.sum(axis=(2, 3))
    return {
        "largest": m.series.largest_pool.copy(),
        "held": by_state[:, [int(State.DETAINED), int(State.PRISON_HOME)]].sum(axis=1),
        "free": by_state[:, [int(s) for s in FREE_STATES]].sum(axis=1),
    }


def compare_runs(settings: Settings, seeds: Sequence[int]) -> Comparison:
    """Whole runs for each seed, with and without the levers (same seeds, same assumptions)."""
    sides: dict[str, dict[str, list[np.ndarray]]] = {"baseline": {}, "levers": {}}
    regrouped: dict[str, list[str | None]] = {"baseline": [], "levers": []}
    labels = np.zeros(0)
    for side, with_levers in (("baseline", False), ("levers", True)):
        scenario = build_scenario(settings, levers=with_levers)
        for seed in seeds:
            m = RegroupModel(scenario, seed=int(seed)).run()
            labels = m.month_label(np.arange(m.months))
            for key, values in _measures(m).items():
                sides[side].setdefault(key, []).append(values)
            month = m.regroup_month
            regrouped[side].append(None if month is None else str(m.month_label(month)))
    return Comparison(
        months=labels,
        seeds=[int(s) for s in seeds],
        baseline={k: np.array(v).T for k, v in sides["baseline"].items()},
        levers={k: np.array(v).T for k, v in sides["levers"].items()},
        regrouped=regrouped,
    )
