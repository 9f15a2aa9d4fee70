"""The regroup model: a Mesa model whose monthly step runs one module per mechanism."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType, SimpleNamespace

import mesa
import numpy as np
from pydantic import BaseModel
from regroup.config.fields import as_array, month_index
from regroup.config.schema import Scenario
from regroup.core.population import Member, Population, gc_paused
from regroup.core.schedules import month_label, monthly
from regroup.core.states import FIGHTING_ROLES, Region, Role, State
from regroup.core.ties import Ties
from regroup.mechanisms import (
    arrivals,
    collapse,
    combat,
    demography,
    disillusionment,
    escape,
    hiding,
    justice,
    prison,
    recruitment,
    regrouping,
    reintegration,
    security,
)

# The order of the monthly step. Each module's ``step(model)`` is vectorised over the arrays.
MECHANISMS = (
    demography,  # ageing; members' children come of age
    recruitment,  # appeal, public defections, remobilisation after the territory is lost
    arrivals,  # foreign and local recruits join
    disillusionment,  # the wish to leave grows
    security,  # Amni catches would-be leavers; group prison
    combat,  # deaths at the front; skill grows
    escape,  # smugglers, bribes, walking away, the border
    collapse,  # cities fall: surrender, capture, death, slipping out
    justice,  # deportation, repatriation, prosecution, monitoring
    prison,  # sentences, releases, radicalisation and ties inside
    hiding,  # detection, funds, crime, commitment decay
    reintegration,  # programmes and reoffending
    regrouping,  # the regrouping pool and the regroup event
)

N_STATES, N_ROLES = len(State), len(Role)


class RegroupModel(mesa.Model):
    """Members of the group, monthly from ``time.start`` to ``time.end``.

    Args:
        scenario: a validated :class:`~regroup.config.schema.Scenario` (the baseline if omitted).
        seed: the run's seed; all randomness comes from ``self.rng`` seeded from it.
        mechanisms: the modules run each month, in order (default :data:`MECHANISMS`); a
            subset runs part of the model, as the benchmarks' reference comparison does.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: int | None = None,
        mechanisms: Sequence[ModuleType] = MECHANISMS,
    ) -> None:
        super().__init__(seed=seed)
        self.mechanisms = tuple(mechanisms)
        self.p = p = scenario if scenario is not None else Scenario()
        self.scale = p.population.scale
        self.months = month_index(p.time.end, p.time.start) + 1
        self.t = -1  # month index of the current step (0 = time.start)
        self.policy_from = month_index(p.policy.start, p.time.start)
        self.theft_until = month_index(p.escape.theft_until, p.time.start)

        s = p.schedules
        border = monthly(s.border_control, p.time.start, self.months)
        crackdown = p.policy.border_crackdown * (np.arange(self.months) >= self.policy_from)
        control = monthly(s.territorial_control, p.time.start, self.months)
        self.schedule = SimpleNamespace(
            control=control,
            loss=np.maximum.accumulate(control) - control,  # territory lost since the peak
            intensity=monthly(s.combat_intensity, p.time.start, self.months),
            border=border + crackdown * (1.0 - border),
            crackdown=crackdown,
            enforcement=monthly(s.enforcement, p.time.start, self.months),
        )

        expected = 1.3 * (
            p.population.foreign_peak_recruits_per_month * 30
            + p.population.local_recruits_per_month * 60
        )
        self.pop = Population(capacity=max(1024, int(expected / self.scale)))
        self.ties = Ties(capacity=4 * self.pop.capacity)
        self.members: list[Member] = []
        self.children = SimpleNamespace(month=np.zeros(0, np.int32), parent=np.zeros(0, np.int64))

        # tallies over the run, in agents (multiplied by scale when reported)
        self.tally: dict[str, float] = dict.fromkeys(
            (
                "arrived_foreign",
                "arrived_local",
                "came_of_age",
                "new_recruits",
                "killed_in_combat",
                "killed_by_group",
                "killed_escaping",
                "killed_at_collapse",
                "executed_by_states",
                "smuggler_payments",
                "border_captures",
                "public_defections",
            ),
            0,
        )
        zeros = lambda: np.zeros(self.months)  # noqa: E731
        self.series = SimpleNamespace(
            appeal=zeros(),
            arrived_foreign=zeros(),
            arrived_local=zeros(),
            public_defections=zeros(),
            pool=zeros(),
            connected_pool=zeros(),
            largest_pool=zeros(),
            pool_funds=zeros(),
            pool_by_region=np.zeros((self.months, len(Region))),
            largest_by_region=np.zeros((self.months, len(Region))),
            funds_by_region=np.zeros((self.months, len(Region))),
        )
        self.counts = np.zeros((self.months, N_STATES, N_ROLES, 2), dtype=np.float32)
        self.spoke = np.zeros(0, dtype=bool)
        self.connected = np.zeros(0, dtype=bool)  # in a funded pool (last month)
        self.largest_anchor = -1  # leader anchoring the largest pool
        self.peak_fighters = 0
        self.regroup_month: int | None = None
        self.fighting = np.isin(np.arange(N_ROLES), FIGHTING_ROLES)
        self._tables: dict[tuple[int, float | None], np.ndarray] = {}

    # ------------------------------------------------------------------ helpers
    def draw(self, n: int) -> np.ndarray:
        """``n`` uniform draws from the model's generator."""
        return self.rng.random(n)

    def chance(self, idx: np.ndarray, p) -> np.ndarray:
        """The subset of ``idx`` for which an event of probability ``p`` happens."""
        if len(idx) == 0:
            return idx
        return idx[self.rng.random(len(idx)) < p]

    def table(self, table: BaseModel, local: float | None = None) -> np.ndarray:
        """A per-role or per-region parameter table as an array indexed by code.

        Per-region tables list the foreign regions; ``local`` puts the locals' value in front
        (code 0). Built once per run (parameters do not change during a run): converting the
        table each time cost more than most steps' arithmetic.
        """
        key = (id(table), local)
        if key not in self._tables:
            values = as_array(table)
            self._tables[key] = values if local is None else np.r_[local, values]
        return self._tables[key]

    def policy(self, lever: str) -> float:
        """A policy lever's level this month (0 before ``policy.start``)."""
        return getattr(self.p.policy, lever) if self.t >= self.policy_from else 0.0

    def add_members(self, count: int, **values) -> np.ndarray:
        """Create ``count`` new members (rows and Mesa agents); returns their indices."""
        idx = self.pop.add(count, **values)
        with gc_paused():  # many new objects at once: collect once afterwards
            self.members.extend(Member.create_many(self, idx))
        return idx

    def month_label(self, t: int | np.ndarray) -> np.ndarray:
        return month_label(self.p.time.start, t)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        self.t = self.steps - 1
        for mechanism in self.mechanisms:
            mechanism.step(self)
        pop = self.pop
        n = pop.n
        foreign = pop.region[:n] != int(Region.LOCAL)  # an IntEnum would cost a cast to int64
        code = pop.state[:n] * np.int16(N_ROLES * 2) + pop.role[:n] * np.int16(2) + foreign
        self.counts[self.t] = (
            np.bincount(code, minlength=N_STATES * N_ROLES * 2).reshape(N_STATES, N_ROLES, 2)
            * self.scale
        )
        if self.t + 1 >= self.months:
            self.running = False

    def run(self) -> RegroupModel:
        """Run every month from ``time.start`` to ``time.end``."""
        while self.running:
            self.step()
        # Mesa 3.3 keeps a per-model id counter in a class attribute, which would keep every
        # finished model alive and memory growing run after run (mesa issue #3179).
        mesa.Agent._ids.pop(self, None)
        return self
