"""Travel to other theatres (issue 10; seed 003: "any piece of land from the Middle East to
the Philippines will do").

Once the group has held and lost its territory (``regrouping.territory_gone``), each month
dedicated fighters (ideology and loyalty at or above their thresholds; not women, minors
only of fighting age) who are free and hiding — locally in Iraq or Syria, or abroad — travel
to another theatre with probability ``theatres.travel_rate``; dedicated fighters released
from prison travel at ``theatres.released_factor`` times that rate. A traveller goes to
Libya with probability ``theatres.libya_share``, otherwise to Afghanistan. On arrival they
join the affiliate there: their state becomes remobilised (in an organised group), their
place the theatre, and each is tied (an affiliate tie) to a random member of the model
already remobilised there (the first arrivals of a month to a theatre without any are
chained to each other). Their other ties keep their reach, but count for the regrouping
pool only once both ends are in the same place (``regrouping``).

The UN monitors' figures for 2018 (3,000-4,000 members in Libya, 3,500-4,500 in Afghanistan,
"significant numbers" moved to Afghanistan) count every member there, most of them recruited
locally, whom the model does not follow: the relocated members the model counts are a lower
bound of those figures, never to be compared with them as equals. The affiliates' own
leaders and money are outside the model too, so a theatre's regrouping potential counts only
pools anchored by the model's own funded members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core import ties as tie_kinds
from regroup.core.states import Place, Role, State
from regroup.core.world import PERSONS, Output
from regroup.mechanisms.demography import of_fighting_age
from regroup.mechanisms.regrouping import territory_gone

if TYPE_CHECKING:
    from regroup.core.world import World

OUTPUTS = {
    "theatre_travellers": Output(
        PERSONS, "Members who travelled to another theatre, by destination.", flow=True, by="place"
    )
}


class Theatres(Strict):
    """Travel to other theatres (Libya, Afghanistan) after the territory is lost."""

    travel_rate: float = param(
        0.01,
        "probability/month",
        "seed 003 supports the direction ('any piece of land from the Middle East to the "
        "Philippines will do'; leaders and Amni members who fled could 're-establish the group "
        "in their new location'); UN monitors (2018) counted members in Libya and "
        "Afghanistan, most of them recruited locally, which bounds the travellers from above "
        "only; value assumption",
        "Monthly probability that a dedicated fighter hiding, locally or abroad, travels to "
        "another theatre once the territory is lost.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.7, low=0.002, high=0.04),
    )
    released_factor: float = param(
        0.5,
        "factor",
        "seed 003 supports the direction (low-level fighters in prison 'may be released over "
        "the next decade'); factor assumption",
        "Travel of dedicated fighters released from prison relative to those hiding.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=1.0),
    )
    libya_share: float = param(
        0.4,
        "share",
        "assumption; UN monitors (2018) counted about as many members in Libya (3,000-4,000) as "
        "in Afghanistan (3,500-4,500) and significant numbers moving to Afghanistan, which "
        "supports only that both drew travellers, Afghanistan at least as many",
        "Share of travellers to another theatre who go to Libya (the rest to Afghanistan).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.6),
    )


def travellers(w: World) -> np.ndarray:
    """Those who travel to another theatre this month (before the destination is drawn)."""
    th, t, pop = w.group(Theatres), w.t, w.pop
    hiding = pop.where(State.HIDING_LOCAL, State.HIDING_ABROAD, State.RELEASED, t=t)
    role = pop.role[hiding]
    fighter = role != Role.WOMAN
    minor = role == Role.MINOR
    fighter[minor] = of_fighting_age(w, hiding[minor])
    idx = hiding[fighter & w.dedicated_rows(hiding)]
    rate = np.where(
        pop.state[idx] == State.RELEASED, th.travel_rate * th.released_factor, th.travel_rate
    )
    return idx[w.draw(len(idx)) < rate]


def step(w: World) -> None:
    if not territory_gone(w):
        return
    th, t, pop, rng = w.group(Theatres), w.t, w.pop, w.rng
    going = travellers(w)
    if len(going) == 0:
        return
    to_libya = w.draw(len(going)) < th.libya_share
    for dest, idx in ((Place.LIBYA, going[to_libya]), (Place.AFGHANISTAN, going[~to_libya])):
        if len(idx) == 0:
            continue
        there = pop.where(State.REMOBILISED)
        there = there[pop.place[there] == dest]  # the affiliate's members the model follows
        pop.move(idx, State.REMOBILISED, t, place=dest)
        if len(there):
            w.ties.add(idx, there[rng.integers(0, len(there), len(idx))], tie_kinds.AFFILIATE)
        else:
            w.ties.chain(idx, np.zeros(len(idx), dtype=np.int8), tie_kinds.AFFILIATE)
    w.count("theatre_travellers", np.bincount(pop.place[going], minlength=len(Place)))
