"""Prison (seed 003): sentences and releases over the next decade; radicalisation and
coordination inside (Camp Bucca) pull commitment up and form ties between cellmates;
isolation measures (``prison.isolation`` raised by ``policy.prison_measures``) cut both."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup import ties as tie_kinds
from regroup.states import Custody, Role, State

if TYPE_CHECKING:
    from regroup.model import RegroupModel

HOME_FACILITY = 1_000_000  # cell labels: region prisons below, home prisons above


def admit(m: RegroupModel, idx: np.ndarray, home: bool) -> None:
    """Imprison ``idx`` in the region (DETAINED) or at home (PRISON_HOME) with a sentence."""
    p, pop, t = m.p.prison, m.pop, m.t
    years = p.sentence_home_years if home else p.sentence_region_years
    pop.release[idx] = t + np.ceil(m.rng.uniform(years.low, years.high, len(idx)) * 12)
    state = State.PRISON_HOME if home else State.DETAINED
    facility = (pop.region[idx].astype(np.int64) + 1) * HOME_FACILITY * home
    held = np.count_nonzero(pop.state[: pop.n] == state)
    cells = max(1, (held + len(idx)) // p.cell_size)
    pop.cell[idx] = facility + m.rng.integers(0, cells, len(idx))
    pop.move(idx, state, t, Custody.PRISON if not home else Custody.NONE)
    pop.known[idx] = True


def isolation(m: RegroupModel) -> float:
    base = m.p.prison.isolation
    return base + m.policy("prison_measures") * (1.0 - base)


def inmates(m: RegroupModel) -> np.ndarray:
    pop = m.pop
    idx = pop.where(State.DETAINED, State.PRISON_HOME)
    return idx[(pop.state[idx] == State.PRISON_HOME) | (pop.custody[idx] == Custody.PRISON)]


def step(m: RegroupModel) -> None:
    p, t, pop = m.p.prison, m.t, m.pop
    idx = inmates(m)
    done = idx[(pop.release[idx] <= t) & (pop.entered[idx] < t)]
    pop.move(done, State.RELEASED, t)
    pop.ever_released[done] = True
    idx = np.setdiff1d(idx, done, assume_unique=True)

    regional = idx[(pop.state[idx] == State.DETAINED) & (pop.entered[idx] < t)]
    risk = p.execution * np.where(pop.role[regional] == Role.LEADER, p.leader_execution_factor, 1.0)
    executed = regional[m.draw(len(regional)) < risk]
    pop.move(executed, State.DEAD, t)
    m.tally["executed_by_states"] += len(executed)
    idx = np.setdiff1d(idx, executed, assume_unique=True)
    if len(idx) < 2:
        return

    open_share = 1.0 - isolation(m)
    cell = pop.cell[idx]
    labels, inverse = np.unique(cell, return_inverse=True)
    top = np.zeros(len(labels), dtype=np.float32)
    np.maximum.at(top, inverse, pop.commitment[idx])
    c = pop.commitment[idx]
    pop.commitment[idx] = c + p.radicalisation * open_share * np.maximum(0.0, top[inverse] - c)

    forming = np.flatnonzero(m.draw(len(idx)) < p.tie_formation * open_share)
    if len(forming):
        order = np.argsort(inverse, kind="stable")
        size = np.bincount(inverse, minlength=len(labels))
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        g = inverse[forming]
        mate = order[start[g] + (m.draw(len(forming)) * size[g]).astype(np.int64)]
        m.ties.add(idx[forming], idx[mate], tie_kinds.CELL)
