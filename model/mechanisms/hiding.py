"""Hiding (seed 003): detection by intelligence (raised by sharing between states), the
cost of living, drift into criminal networks for those without papers or means, death in
the insurgency, and commitment that decays unless a tie to a dedicated member reinforces it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core.states import FREE_STATES, HIDING_STATES, Region, State
from regroup.core.world import PERSONS, Output
from regroup.mechanisms import prison

if TYPE_CHECKING:
    from regroup.core.world import World

# states whose members the authorities are looking for
SOUGHT = (State.HIDING_LOCAL, State.HIDING_ABROAD, State.CRIMINAL, State.REMOBILISED)
OUTPUTS = {
    "killed_in_insurgency": Output(PERSONS, "Killed in the insurgency while hiding.", flow=True)
}


class Hiding(Strict):
    detection: float = param(
        0.01,
        "probability/month",
        "seed 003 supports the direction ('intelligence-sharing to track down former fighters'); "
        "value assumption",
        "Monthly probability that a known person in hiding is caught.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.35, low=0.005, high=0.02),
    )
    unknown_factor: float = param(
        0.2,
        "factor",
        "seed 003 supports the direction ('Unknown members of Amni are able to hide in towns'); "
        "value assumption",
        "Detection of people unknown to the authorities, relative to known ones.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.05, high=0.4),
    )
    abroad_factor: float = param(
        0.6,
        "factor",
        ASSUMPTION,
        "Detection abroad relative to locally.",
        ge=0,
        le=5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.3, high=1.2),
    )
    living_cost_usd: float = param(
        250.0,
        "USD/month",
        ASSUMPTION,
        "Monthly cost of living in hiding.",
        ge=0,
        le=10000,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=250, sigma=0.4, low=100, high=600),
    )
    crime_drift: float = param(
        0.03,
        "probability/month",
        "seed 003 supports the direction (defectors without documents or means are 'easy prey for "
        "criminal networks'); value assumption",
        "Monthly probability that someone without papers or funds turns to crime.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.03, sigma=0.5, low=0.01, high=0.08),
    )
    crime_income_usd: float = param(
        400.0,
        "USD/month",
        "seed 003 supports the activity ('illegal debt collection and burglary'); value assumption",
        "Monthly income in a criminal network.",
        ge=0,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=400, sigma=0.5, low=150, high=1000),
    )
    commitment_decay: float = param(
        0.01,
        "commitment/month",
        "assumption: no seed gives it (the model brief's design: commitment decays unless "
        "reinforced by ties)",
        "Monthly loss of commitment for the free without a committed tie.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.35, low=0.005, high=0.02),
    )
    insurgency_death: float = param(
        0.002,
        "probability/month",
        "seed 003 supports the direction ('Some may continue to participate in insurgency "
        "operations'); value assumption",
        "Monthly death probability in local hiding (insurgency, raids).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.002, sigma=0.5, low=0.0007, high=0.006),
    )
    go_home: float = param(
        0.005,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a foreigner hiding abroad with documents goes home.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.005, sigma=0.5, low=0.002, high=0.0125),
    )


def detection(w: World, idx: np.ndarray) -> np.ndarray:
    """Monthly probability of being caught, per person in ``idx``."""
    h, pop = w.group(Hiding), w.pop
    intel = 1.0 + w.policy.intelligence_gain * w.levers.intelligence_sharing
    known = np.where(pop.known[idx], 1.0, h.unknown_factor)
    abroad = np.where(pop.state[idx] == int(State.HIDING_ABROAD), h.abroad_factor, 1.0)
    return h.detection * intel * known * abroad


def going_home(w: World, abroad: np.ndarray) -> np.ndarray:
    """Those hiding abroad (with documents) among ``abroad`` who go home this month."""
    return w.chance(abroad, w.group(Hiding).go_home)


def catch(w: World, idx: np.ndarray) -> None:
    """Arrest: locals go to prison in the region, foreigners to prison at home."""
    if len(idx) == 0:
        return
    pop = w.pop
    local = pop.region[idx] == Region.LOCAL
    prison.admit(w, idx[local], home=False)
    home = idx[~local]
    pop.returned[home[pop.returned[home] < 0]] = w.t
    prison.admit(w, idx[~local], home=True)


def step(w: World) -> None:
    h, t, pop = w.group(Hiding), w.t, w.pop
    sought = pop.where(*SOUGHT, t=t)
    caught = sought[w.draw(len(sought)) < detection(w, sought)]
    catch(w, caught)

    funds = pop.view("funds")  # funds are never negative: a zero cost leaves them as they are
    cost = np.float32(h.living_cost_usd) * pop.mask(*HIDING_STATES)
    np.maximum(funds - cost, 0.0, out=funds)
    funds += np.float32(h.crime_income_usd) * pop.mask(State.CRIMINAL)

    local = pop.where(State.HIDING_LOCAL, t=t)
    killed = w.chance(local, h.insurgency_death * (1.0 + w.schedule.intensity[t]))
    pop.move(killed, State.DEAD, t)
    w.count("killed_in_insurgency", len(killed))

    drifting = pop.where(*HIDING_STATES, t=t)
    without = ~pop.documents[drifting] & (pop.region[drifting] != Region.LOCAL)
    broke = pop.funds[drifting] < h.living_cost_usd
    rate = h.crime_drift * (without | broke)
    pop.move(drifting[w.draw(len(drifting)) < rate], State.CRIMINAL, t)

    free = pop.mask(*FREE_STATES)
    dedicated = free & w.dedicated(pop.view("commitment"))
    reinforced = w.ties.any_neighbour(dedicated, among=free)
    lonely = np.flatnonzero(free & ~reinforced)
    pop.commitment[lonely] = np.maximum(0.0, pop.commitment[lonely] - h.commitment_decay)
