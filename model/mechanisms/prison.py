"""Prison (seed 003): sentences and releases over the next decade; peer influence inside
(Camp Bucca) pulls each prisoner's ideology and loyalty toward the cell's mix, weighted toward
its most extreme members, either way; prisoners disengage at a rate; cellmates form ties;
isolation measures (``prison.isolation`` raised by ``policy.prison_measures``, by the place of
the prison) cut influence and ties. Admission seizes a share of the prisoner's money. Released
prisoners are watched only where intelligence sharing reaches (``justice``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, RangeIn, Strict, param, range_param
from regroup.core import ties as tie_kinds
from regroup.core.population import Field
from regroup.core.states import IN_CONFLICT, Custody, Role, State
from regroup.core.world import PERSONS, Output

if TYPE_CHECKING:
    from regroup.core.world import World

HOME_FACILITY = 1_000_000  # cell labels: (place + 1) x this + cell number
FIELDS = {
    "cell": Field(np.int32),  # prison cell or block
    "release": Field(np.int16, -1),  # month a sentence ends
    "ever_released": Field(np.bool_),
    "ever_imprisoned": Field(np.bool_),  # ever in a state prison (not a camp or border custody)
}
OUTPUTS = {"executed_by_states": Output(PERSONS, "Executed in prisons in the region.", flow=True)}


class Prison(Strict):
    sentence_home_years: RangeIn(0, 50) = range_param(
        3,
        10,
        "years",
        "fitted: uniform 3-10 years, mean 6.5, inside the average EU terrorism sentence of 5-8.6 "
        "years (Europol TE-SAT 2017; GLOBSEC 2018); the spread an assumption",
        "Sentence at home (uniform).",
        ge=0,
        le=50,
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.8, mode=1, high=1.25),
    )
    sentence_region_years: RangeIn(0, 50) = range_param(
        5,
        20,
        "years",
        "seed 003 supports the direction (low-level fighters 'may be released over the next "
        "decade'); range assumption",
        "Sentence in Iraqi or Syrian prisons (uniform).",
        ge=0,
        le=50,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.6, high=1.4),
    )
    execution: float = param(
        0.001,
        "probability/month",
        "seed 003 supports the direction (leaders 'faced a high risk of getting sentenced to "
        "death if caught'); value assumption",
        "Monthly probability a prisoner in the region is executed.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.001, sigma=0.6, low=0.0003, high=0.003),
    )
    leader_execution_factor: float = param(
        5.0,
        "factor",
        "seed 003 supports the direction (leaders 'faced a high risk of getting sentenced to "
        "death if caught'); value assumption",
        "Execution risk of imprisoned leaders relative to other prisoners.",
        ge=0,
        le=100,
        evidence="assumption",
        prior=Prior(kind="uniform", low=2, high=10),
    )
    radicalisation: float = param(
        0.04,
        "share of the gap/month",
        "seed 003 supports the direction (guards concerned that 'further radicalisation and "
        "coordination will be ongoing in prisons', as at Camp Bucca); value assumption",
        "Monthly pull of a prisoner's ideology and loyalty toward the cell's mix (either way).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.04, sigma=0.35, low=0.02, high=0.08),
    )
    zeal_weight: float = param(
        2.0,
        "factor",
        "seed 003 supports the direction (radicalisation 'ongoing in prisons': the committed set "
        "the tone); value assumption (0: the plain mean of the cell; large: near its most "
        "extreme member)",
        "Extra weight of a cellmate's views in the cell's mix per unit of their ideology.",
        ge=0,
        le=50,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=6.0),
    )
    disengagement: float = param(
        0.001,
        "ideology and loyalty/month",
        "assumption (disengagement in prison happens; no seed gives a rate); the prior is "
        "bounded by terrorism reoffending after release of 1.6-4.8% (Renard 2020; Hodwitz "
        "2019): at the other defaults, above about 0.003 a month reoffending falls below 1.6%",
        "Monthly loss of ideology and loyalty of every prisoner (disengagement).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.003),
    )
    seizure_share: float = param(
        0.5,
        "share",
        "assumption (the model's design: arrests seize money); value assumption",
        "Share of a person's funds seized when they are imprisoned.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.9),
    )
    tie_formation: float = param(
        0.05,
        "probability/month",
        "seed 003 supports the direction ('further radicalisation and coordination will be "
        "ongoing in prisons', as at Camp Bucca); value assumption",
        "Monthly probability a prisoner forms a tie with a cellmate.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.05, sigma=0.4, low=0.02, high=0.1),
    )
    isolation: float = param(
        0.1,
        "share",
        ASSUMPTION,
        "Baseline isolation of extremist prisoners: cuts radicalisation and tie formation.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.3),
    )
    cell_size: int = param(
        20,
        "persons",
        ASSUMPTION,
        "Prisoners per cell or block.",
        ge=2,
        le=500,
        evidence="assumption",
        prior=Prior(kind="triangular", low=8, mode=20, high=50),
    )


def admit(w: World, idx: np.ndarray, home: bool) -> None:
    """Imprison ``idx`` in the region (DETAINED) or at home (PRISON_HOME) with a sentence."""
    if len(idx) == 0:
        return
    p, pop, t = w.group(Prison), w.pop, w.t
    years = p.sentence_home_years if home else p.sentence_region_years
    pop.release[idx] = t + np.ceil(w.rng.uniform(years.low, years.high, len(idx)) * 12)
    state = State.PRISON_HOME if home else State.DETAINED
    # at home, in the home country; otherwise where caught in a conflict place (Iraq, Syria,
    # another theatre), and a local caught outside them is handed over to Iraq or Syria
    here = pop.place[idx]
    place = pop.home[idx] if home else np.where(IN_CONFLICT.take(here), here, pop.home[idx])
    # one facility a place: cells never mix prisoners of two countries
    facility = (place.astype(np.int64) + 1) * HOME_FACILITY
    held = np.count_nonzero(pop.view("state") == int(state))
    cells = max(1, (held + len(idx)) // p.cell_size)
    pop.cell[idx] = facility + w.rng.integers(0, cells, len(idx))
    pop.move(idx, state, t, Custody.PRISON if not home else Custody.NONE, place=place)
    pop.known[idx] = True
    pop.ever_imprisoned[idx] = True
    pop.funds[idx] *= np.float32(1.0 - p.seizure_share)


def isolation(w: World, idx: np.ndarray) -> np.ndarray:
    """Isolation of each prisoner in ``idx``: the baseline ``prison.isolation``, raised by
    the share of prisoners under measures where the prison is (``policy.prison_measures``:
    its region value in Iraq's and Syria's prisons, its home value in home prisons)."""
    base = w.group(Prison).isolation
    return base + w.coverage_of("prison_measures", idx) * (1.0 - base)


def monitor_released(w: World, idx: np.ndarray) -> None:
    """Whether the authorities watch the released ``idx``: decided by ``justice`` (which
    imports this module, hence the import here)."""
    from regroup.mechanisms.justice import monitor_released as decide

    decide(w, idx)


def inmates(w: World) -> np.ndarray:
    pop = w.pop
    sentenced = pop.mask(State.DETAINED) & (pop.view("custody") == int(Custody.PRISON))
    return np.flatnonzero(sentenced | pop.mask(State.PRISON_HOME))


def cells(cell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group people by their cell label: ``(order, group, start, size)``.

    ``order`` lists positions in ``cell`` sorted by cell (stably); ``group`` numbers each
    position's cell in that order; a cell's members are ``order[start[g]:start[g] + size[g]]``.
    Labels are first made dense (facility, then cell within it) so that the sort is NumPy's
    radix sort of 16-bit keys when they fit, several times faster than sorting the labels.
    """
    facility, within = np.divmod(cell, HOME_FACILITY)
    key = facility * (int(within.max()) + 1) + within  # same order as the labels
    if key.max() < 1 << 16:
        key = key.astype(np.uint16)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    size = np.diff(np.r_[first, len(cell)])
    group = np.empty(len(cell), dtype=np.intp)
    group[order] = np.repeat(np.arange(len(first)), size)
    return order, group, first, size


def step(w: World) -> None:
    p, t, pop = w.group(Prison), w.t, w.pop
    idx = inmates(w)
    settled = pop.entered[idx] < t
    done = settled & (pop.release[idx] <= t)
    released = idx[done]
    pop.move(released, State.RELEASED, t)
    pop.ever_released[released] = True
    monitor_released(w, released)  # under watch only with intelligence sharing

    regional = np.flatnonzero(settled & ~done & (pop.state[idx] == int(State.DETAINED)))
    leader = pop.role[idx[regional]] == Role.LEADER
    risk = p.execution * np.where(leader, p.leader_execution_factor, 1.0)
    executed = regional[w.draw(len(regional)) < risk]
    pop.move(idx[executed], State.DEAD, t)
    w.count("executed_by_states", len(executed))
    done[executed] = True
    idx = idx[~done]
    if len(idx) < 2:
        return

    open_share = 1.0 - isolation(w, idx)
    order, group, start, size = cells(pop.cell[idx])
    ideology, loyalty = pop.ideology[idx], pop.loyalty[idx]
    weight = 1.0 + p.zeal_weight * ideology  # the committed set the tone
    total = np.add.reduceat(weight[order], start)
    pull = p.radicalisation * open_share
    for name, x in (("ideology", ideology), ("loyalty", loyalty)):
        mix = np.add.reduceat((weight * x)[order], start) / total  # the cell's mix
        moved = x + pull * (mix[group] - x) - p.disengagement
        getattr(pop, name)[idx] = np.clip(moved, 0.0, 1.0)

    forming = np.flatnonzero(w.draw(len(idx)) < p.tie_formation * open_share)
    if len(forming):
        g = group[forming]
        mate = order[start[g] + (w.draw(len(forming)) * size[g]).astype(np.int64)]
        w.ties.add(idx[forming], idx[mate], tie_kinds.CELL)
