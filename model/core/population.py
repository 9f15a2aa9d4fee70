"""The members' state arrays, and the Mesa agent that is a view onto one row of them.

All per-step work is NumPy over these arrays; a :class:`Member` reads its own row, so
inspecting an agent always shows the current state of that person.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np
from regroup.core.states import Custody, Disposition, Region, Role, State

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

# name -> dtype of every per-person array
FIELDS: dict[str, type] = {
    "state": np.int8,
    "role": np.int8,
    "region": np.int8,
    "disposition": np.int8,
    "custody": np.int8,
    "entered": np.int16,  # month the current state was entered
    "joined": np.int16,  # month of arrival (or of coming of age)
    "birth": np.int16,  # month of birth (for minors and children; others -1000)
    "release": np.int16,  # month a sentence ends
    "cell": np.int32,  # prison cell or block
    "commitment": np.float32,
    "skill": np.float32,
    "funds": np.float32,  # USD
    "wish": np.float32,  # wish to leave, 0-1
    "known": np.bool_,
    "documents": np.bool_,
    "monitored": np.bool_,
    "returned": np.int16,  # month first back in the home country (foreigners), else -1
    "ever_released": np.bool_,
    "reoffended": np.bool_,
}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are created at once.

    Otherwise every few hundred new agents trigger a collection, and the older generations'
    collections walk every agent created so far; they run once, afterwards, instead.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Member(mesa.Agent):
    """One person (or ``scale`` persons) drawn into the group; reads the model's arrays."""

    def __init__(self, model: RegroupModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @classmethod
    def create_many(cls, model: RegroupModel, rows: np.ndarray) -> list[Member]:
        """One registered agent per row: what ``Member(model, row)`` does, for many at once.

        ``mesa.Agent.__init__`` registers agents one at a time (a log call and two weak-set
        insertions each), which made agent creation a tenth of a full-scale run. This takes
        unique ids from the same per-model counter and registers the agents in the same
        three places as ``mesa.Model.register_agent``, in bulk. Mesa is pinned (3.3.1);
        tests/test_performance.py checks that the agents are registered as Mesa would.
        """
        ids = mesa.Agent._ids[model]
        agents = []
        for row in rows.tolist():
            agent = cls.__new__(cls)
            agent.model, agent.unique_id, agent.pos, agent.index = model, next(ids), None, row
            agents.append(agent)
        new = dict.fromkeys(agents)
        model._agents.update(new)
        if cls not in model._agents_by_type:
            model._agents_by_type[cls] = mesa.agent.AgentSet([], random=model.random)
        model._agents_by_type[cls]._agents.update(new)
        model._all_agents._agents.update(new)
        return agents

    def _get(self, name: str):
        return getattr(self.model.pop, name)[self.index]

    @property
    def state(self) -> State:
        return State(int(self._get("state")))

    @property
    def role(self) -> Role:
        return Role(int(self._get("role")))

    @property
    def region(self) -> Region:
        return Region(int(self._get("region")))

    @property
    def origin(self) -> str:
        return "local" if self.region == Region.LOCAL else "foreign"

    @property
    def disposition(self) -> Disposition:
        return Disposition(int(self._get("disposition")))

    @property
    def commitment(self) -> float:
        return float(self._get("commitment"))

    @property
    def skill(self) -> float:
        return float(self._get("skill"))

    @property
    def funds(self) -> float:
        return float(self._get("funds"))

    @property
    def known(self) -> bool:
        return bool(self._get("known"))

    @property
    def documents(self) -> bool:
        return bool(self._get("documents"))

    @property
    def ties(self) -> list[Member]:
        """The members this one is tied to (unit, family, prison cell)."""
        agents = self.model.members
        return [agents[j] for j in self.model.ties.neighbours(self.index)]

    def __repr__(self) -> str:
        return (
            f"Member({self.unique_id}: {self.role.label}, {self.region.label}, "
            f"{self.state.label}, commitment={self.commitment:.2f}, skill={self.skill:.2f}, "
            f"funds=${self.funds:,.0f})"
        )


def membership(kind: type[IntEnum], *codes: int) -> np.ndarray:
    """Boolean per code of ``kind``, true for ``codes``.

    ``membership(kind, *codes).take(values)`` tests which ``values`` are among ``codes``; for
    the small arrays of a step it costs a fraction of ``np.isin``.
    """
    table = np.zeros(len(kind), dtype=bool)
    table[[int(c) for c in codes]] = True
    return table


# fields whose "nothing yet" value is not 0
INITIAL = {"returned": -1, "release": -1}


class Population:
    """Growable per-person arrays; rows are never removed (the dead keep their row)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        for name, dtype in FIELDS.items():
            setattr(self, name, np.full(capacity, INITIAL.get(name, 0), dtype=dtype))

    @property
    def capacity(self) -> int:
        return len(self.state)

    def _grow(self, needed: int) -> None:
        cap = max(needed, 2 * self.capacity)
        for name in FIELDS:
            old = getattr(self, name)
            new = np.full(cap, INITIAL.get(name, 0), dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def add(self, count: int, **values) -> np.ndarray:
        """Append ``count`` rows; ``values`` are scalars or arrays per field. Returns indices."""
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        idx = np.arange(self.n, self.n + count)
        for name, value in values.items():
            getattr(self, name)[idx] = value
        self.n += count
        return idx

    def view(self, name: str) -> np.ndarray:
        """The live part of one array."""
        return getattr(self, name)[: self.n]

    def mask(self, *states: State, t: int | None = None) -> np.ndarray:
        """Boolean per person: in any of ``states``; with ``t``, only those who entered before t.

        One comparison per state (``np.isin`` costs many times more on these small codes),
        with a plain ``int``: NumPy compares an int8 array with an ``IntEnum`` member by
        first converting the whole array to int64, ten times slower.
        """
        s = self.state[: self.n]
        mask = s == int(states[0])
        for state in states[1:]:
            mask |= s == int(state)
        if t is not None:
            mask &= self.entered[: self.n] < t
        return mask

    def where(self, *states: State, t: int | None = None) -> np.ndarray:
        """Indices of people in any of ``states``; with ``t``, only those who entered before t."""
        return np.flatnonzero(self.mask(*states, t=t))

    def move(self, idx: np.ndarray, state: State, t: int, custody: Custody = Custody.NONE):
        """Move people to ``state`` in month ``t``."""
        if len(idx) == 0:  # most moves of a month are of nobody; skip the three writes
            return
        self.state[idx] = state
        self.entered[idx] = t
        self.custody[idx] = custody
