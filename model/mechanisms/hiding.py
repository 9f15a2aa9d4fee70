"""Hiding (seed 003): detection by intelligence (raised by sharing between states where it
reaches), also of monitored returnees and released prisoners who act on extremist views;
arrests that cut ties and seize money (more with sharing); the cost of living and
leaders' support of fighters' widows and children; drift into criminal networks for those
without papers or means; death in the insurgency."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core.states import (
    COMMAND_ROLES,
    FREE_STATES,
    HIDING_STATES,
    IN_CONFLICT,
    Region,
    State,
)
from regroup.core.world import PERSONS, Output
from regroup.mechanisms import prison

if TYPE_CHECKING:
    from regroup.core.world import World

# states whose members the authorities are looking for
SOUGHT = (State.HIDING_LOCAL, State.HIDING_ABROAD, State.CRIMINAL, State.REMOBILISED)
# free people the authorities may be monitoring (``justice``)
WATCHED = (State.RETURNED, State.RELEASED)
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
    support_usd: float = param(
        500.0,
        "USD/month",
        "seed 003 supports the direction (leaders' money will allow them 'to support ISIS "
        "fighters' widows and children'); value assumption",
        "Monthly spending of a free leader or Amni member on fighters' widows and children.",
        ge=0,
        le=1e5,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=500, sigma=0.6, low=150, high=2000),
    )
    tie_cut_share: float = param(
        0.5,
        "share",
        "seed 003 supports the direction ('intelligence-sharing to track down former fighters' "
        "disrupts their networks); value assumption",
        "Share of an arrested person's ties that the arrest cuts (contacts exposed or scattered).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=1.0),
    )
    monitored_detection: float = param(
        0.01,
        "probability/month",
        "seed 004 supports the direction (security forces lack 'the resources to monitor' "
        "returnees); value assumption",
        "Monthly probability that a monitored free returnee who is extremist is caught acting "
        "(times ideology).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.5, low=0.003, high=0.03),
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


def intelligence(w: World, idx: np.ndarray) -> np.ndarray:
    """Detection relative to today's, per person in ``idx``: 1 + ``policy.intelligence_gain``
    x the coverage of intelligence sharing where each is."""
    return 1.0 + w.policy.intelligence_gain * w.coverage_of("intelligence_sharing", idx)


def detection(w: World, idx: np.ndarray) -> np.ndarray:
    """Monthly probability of being caught, per person in ``idx``."""
    h, pop = w.group(Hiding), w.pop
    intel = intelligence(w, idx)
    known = np.where(pop.known[idx], 1.0, h.unknown_factor)
    abroad = np.where(pop.state[idx] == int(State.HIDING_ABROAD), h.abroad_factor, 1.0)
    return h.detection * intel * known * abroad


def going_home(w: World, abroad: np.ndarray) -> np.ndarray:
    """Those hiding abroad (with documents) among ``abroad`` who go home this month."""
    return w.chance(abroad, w.group(Hiding).go_home)


def catch(w: World, idx: np.ndarray) -> None:
    """Arrest: those caught in a conflict place are held there, locals caught elsewhere in
    Iraq or Syria, foreigners caught elsewhere in prison at home; the arrest
    cuts a share (``hiding.tie_cut_share``) of the arrested people's ties. Intelligence
    sharing where they are arrested cuts more of the rest (``policy.sharing_tie_cut``) and
    seizes more of the money prison admission leaves (``policy.sharing_seizure``)."""
    if len(idx) == 0:
        return
    pop, policy = w.pop, w.policy
    base = w.group(Hiding).tie_cut_share
    sharing = w.coverage_of("intelligence_sharing", idx)
    share = base + (1.0 - base) * policy.sharing_tie_cut * sharing
    for value in np.unique(share):  # one value without sharing: one cut, as before
        w.ties.cut(idx[share == value], float(value), w.rng)
    kept = np.float32(1.0) - (policy.sharing_seizure * sharing).astype(np.float32)
    # held where caught in a conflict place (Iraq, Syria, another theatre), and locals
    # anywhere (handed over to Iraq or Syria); foreigners caught elsewhere go home to prison
    there = (pop.region[idx] == Region.LOCAL) | IN_CONFLICT.take(pop.place[idx])
    prison.admit(w, idx[there], home=False)
    home = idx[~there]
    pop.returned[home[pop.returned[home] < 0]] = w.t
    prison.admit(w, home, home=True)
    pop.funds[idx] *= kept


def step(w: World) -> None:
    h, t, pop = w.group(Hiding), w.t, w.pop
    sought = pop.where(*SOUGHT, t=t)
    caught = sought[w.draw(len(sought)) < detection(w, sought)]
    # monitored returnees (and released prisoners, whom only intelligence sharing brings
    # under watch): the extremist among them may be caught acting
    watched = pop.where(*WATCHED, t=t)
    watched = watched[pop.monitored[watched] & w.extremist(pop.ideology[watched])]
    risk = h.monitored_detection * intelligence(w, watched) * pop.ideology[watched]
    catch(w, np.concatenate([caught, watched[w.draw(len(watched)) < risk]]))

    funds = pop.view("funds")  # funds are never negative: a zero cost leaves them as they are
    cost = np.float32(h.living_cost_usd) * pop.mask(*HIDING_STATES)
    role = pop.view("role")
    command = (role == int(COMMAND_ROLES[0])) | (role == int(COMMAND_ROLES[1]))
    cost += np.float32(h.support_usd) * (command & pop.mask(*FREE_STATES))
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
