"""Return and justice (seeds 002, 004): deportation after border capture, repatriation
from prisons and camps, prosecution at home (most returnees are imprisoned), and
monitoring of the free (the rest may vanish from view); screening flags the 'dangerous' for
monitoring unless they pass as disavowed (seed 000). Released people are monitored like
returnees only where intelligence sharing reaches (``policy.intelligence_sharing``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, RegionFactors, Strict, param, table
from regroup.core.population import Field
from regroup.core.states import Custody, Disposition, Region, State
from regroup.mechanisms import prison
from regroup.mechanisms.hiding import first_back_home, going_home

if TYPE_CHECKING:
    from regroup.core.world import World


FIELDS = {"monitored": Field(np.bool_)}  # a free returnee the authorities watch


class Justice(Strict):
    """Return home, prosecution, monitoring."""

    repatriation: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.003,
            "europe_turkey": 0.003,
            "former_soviet": 0.005,
            "middle_east_gulf": 0.003,
            "other": 0.003,
        },
        "probability/month",
        "assumption (slow repatriation from camps and prisons in Iraq and Syria)",
        "Monthly probability a detained foreigner is sent home.",
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1, sigma=0.5, low=0.4, high=2.5),
    )
    deportation_months: float = param(
        12.0,
        "months",
        "seed 000 supports the mechanism (defectors 'surrendered to border police' in Turkey); "
        "months assumption",
        "Mean months before a foreigner caught leaving is deported home (many were held "
        "for long in Turkey, or by the forces that caught them).",
        ge=0.5,
        le=24,
        evidence="assumption",
        prior=Prior(kind="triangular", low=3, mode=12, high=24),
    )
    prosecution: float = param(
        0.55,
        "share",
        "seed 004 supports the direction ('Most are imprisoned, or disappear from view'); seed "
        "002 ('Almost all returnees face legal proceedings'); share assumption",
        "Share of returnees who are prosecuted and imprisoned.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.35, high=0.8),
    )
    monitored: float = param(
        0.6,
        "share",
        "seed 004 supports the direction (security forces 'do not have the resources to monitor' "
        "returnees; many 'disappear from view'); share assumption",
        "Share of free returnees the authorities monitor (the rest vanish from view).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.3, high=0.85),
    )
    screening_pass: float = param(
        0.5,
        "share",
        "seed 000 supports the direction (the dangerous 'have not disavowed their beliefs but "
        "pretend to have done so'); share assumption",
        "Share of 'dangerous' free returnees who pass screening (the rest are monitored).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.2, high=0.9),
    )
    camp_release: float = param(
        0.004,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a local held in a camp is released.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.004, sigma=0.5, low=0.0015, high=0.01),
    )


def arrive_home(w: World, idx: np.ndarray) -> None:
    """Foreigners reach their home country: prosecuted and imprisoned, or free."""
    if len(idx) == 0:
        return
    j, pop = w.group(Justice), w.pop
    first_back_home(idx, pop.returned, w.t)
    prosecuted, free = _split(idx, w.draw(len(idx)), j.prosecution)
    prison.admit(w, prosecuted, home=True)
    pop.move(free, State.RETURNED, w.t, place=pop.home[free])
    watch(w, free)


def watch(w: World, free: np.ndarray) -> None:
    """Decide who among the ``free`` the authorities monitor: ``justice.monitored`` of them,
    and screening flags the 'dangerous' unless they pass as disavowed (seed 000)."""
    if len(free) == 0:  # nobody to decide about (no draws are skipped: they would be empty)
        return
    j, pop = w.group(Justice), w.pop
    monitored = w.draw(len(free))
    passes = w.draw(len(free))
    _watch(
        free,
        monitored,
        passes,
        j.monitored,
        j.screening_pass,
        pop.disposition,
        pop.monitored,
        pop.known,
    )


def monitor_released(w: World, idx: np.ndarray) -> None:
    """People released from state custody (``idx``) are watched only where intelligence
    sharing reaches (``policy.intelligence_sharing``, by where they are released): there they
    come under the returnees' monitoring (:func:`watch`); elsewhere nobody follows them up
    (seed 004: returnees 'disappear from view'), and a flag from an earlier return lapses."""
    if len(idx) == 0:
        return
    w.pop.monitored[idx] = False
    if w.lever_on("intelligence_sharing"):  # no draws without it: the baseline is unchanged
        reached = w.draw(len(idx)) < w.coverage_of("intelligence_sharing", idx)
        watch(w, idx[reached])


def step(w: World) -> None:
    j, t, pop = w.group(Justice), w.t, w.pop
    held = pop.where(State.DETAINED, t=t)
    if len(held):
        # foreigners are sent home, a rare event (w.chance: no draw for each): those caught at
        # the border by deportation; the others by their region's repatriation, drawn for the
        # few reached at the largest region's probability, then thinned to their own
        border, foreign, camp = _in_custody(held.view(np.uint64), pop.custody, pop.region)
        repatriation = w.table(j.repatriation, local=0.0)
        most = float(repatriation.max())
        deported = w.chance(border, 1.0 / j.deportation_months)
        reached = w.chance(foreign, most)
        repatriated = reached[w.draw(len(reached)) * most < repatriation[pop.region[reached]]]
        arrive_home(w, np.sort(np.concatenate((deported, repatriated))))
        released = w.chance(camp, j.camp_release)
        pop.move(released, State.RELEASED, t)
        monitor_released(w, released)

    abroad = pop.where(State.HIDING_ABROAD, t=t)
    if len(abroad):
        foreign = _foreign_with_papers(abroad.view(np.uint64), pop.documents, pop.region)
        arrive_home(w, going_home(w, foreign))


_BORDER, _CAMP = int(Custody.BORDER), int(Custody.CAMP)
_LOCAL, _DANGEROUS = int(Region.LOCAL), int(Disposition.DANGEROUS)


@njit(cache=True)
def _in_custody(held, custody, region):  # pragma: no cover - compiled
    """``held`` (detained in the region) by what may happen to them this month, each in
    order: the foreigners caught at the border (to be deported), the other foreigners (to be
    repatriated), and the locals held in a camp (to be released)."""
    border = np.empty(len(held), dtype=np.intp)
    foreign = np.empty(len(held), dtype=np.intp)
    camp = np.empty(len(held), dtype=np.intp)
    a = b = c = 0
    for i in held:  # writes every row to each, keeps those wanted (branch-free)
        local, kind = region[i] == _LOCAL, custody[i]
        border[a], foreign[b], camp[c] = i, i, i
        a += (not local) & (kind == _BORDER)
        b += (not local) & (kind != _BORDER)
        c += local & (kind == _CAMP)
    return border[:a], foreign[:b], camp[:c]


@njit(cache=True)
def _split(idx, draws, share):  # pragma: no cover - compiled
    """``idx`` split by ``draws`` (one each): those drawn below ``share``, and the rest; both
    in the order of ``idx``."""
    below = np.empty(len(idx), dtype=np.intp)
    rest = np.empty(len(idx), dtype=np.intp)
    a = b = 0
    for j in range(len(idx)):
        hit = draws[j] < share
        below[a], rest[b] = idx[j], idx[j]
        a += hit
        b += not hit
    return below[:a], rest[:b]


@njit(cache=True)
def _foreign_with_papers(idx, documents, region):  # pragma: no cover - compiled
    """The foreigners among ``idx`` who have documents, in the order of ``idx``."""
    out = np.empty(len(idx), dtype=np.intp)
    k = 0
    for i in idx:
        out[k] = i
        k += documents[i] & (region[i] != _LOCAL)
    return out[:k]


@njit(cache=True)
def _watch(
    free, monitored_draws, pass_draws, share, screening_pass, disposition, monitored, known
):  # pragma: no cover
    """:func:`watch` with its two draws per person: monitored if the first draw is below
    ``share``, except the 'dangerous', who are monitored unless the second is below
    ``screening_pass``; the monitored become known."""
    for j in range(len(free)):
        i = free[j]
        if disposition[i] == _DANGEROUS:
            watched = not pass_draws[j] < screening_pass
        else:
            watched = monitored_draws[j] < share
        monitored[i] = watched
        known[i] = known[i] | watched
