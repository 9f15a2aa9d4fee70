"""Reintegration (seed 003): returnees and released prisoners reintegrate, faster with
de-radicalisation and reintegration programmes, which also lower ideology and loyalty (of the
'dangerous', who pretend to have disavowed, seed 000, only those who fail to pass). Programmes
reach the share ``policy.reintegration`` gives where each person is (region or home value). Released
people may reoffend, the more extreme the likelier (Renard 2020; Hodwitz 2019)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import ASSUMPTION, Strict, param
from regroup.core.population import Field
from regroup.core.states import Custody, Disposition, State
from regroup.mechanisms.hiding import catch
from regroup.mechanisms.prison import held_in

if TYPE_CHECKING:
    from regroup.core.world import World


FIELDS = {"reoffended": Field(np.bool_)}  # re-imprisoned for a new terrorism offence


class Reintegration(Strict):
    base_rate: float = param(
        0.01,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a returnee or released prisoner reintegrates without a programme.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="lognormal", median=0.01, sigma=0.5, low=0.004, high=0.025),
    )
    programme_effect: float = param(
        0.04,
        "probability/month",
        "seed 003 recommends the lever ('considering de-radicalisation and reintegration "
        "programmes'); effect size assumption",
        "Extra monthly reintegration probability at full programme coverage.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.01, high=0.08),
    )
    deradicalisation: float = param(
        0.02,
        "commitment/month",
        "seed 003 recommends the lever ('de-radicalisation and reintegration programmes') and "
        "gives no effect size; value assumption",
        "Monthly loss of ideology and loyalty at full programme coverage.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.005, high=0.04),
    )
    dangerous_pass: float = param(
        0.7,
        "share",
        "seed 000 supports the direction (the dangerous 'have not disavowed their beliefs but "
        "pretend to have done so'); share assumption",
        "Share of the 'dangerous' whom de-radicalisation programmes miss because they pass as "
        "disavowed.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=1.0),
    )
    reintegrated_risk: float = param(
        0.3,
        "factor",
        "assumption (reintegration lowers reoffending)",
        "Reoffending risk of the reintegrated relative to other released people.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.6),
    )
    reoffending: float = param(
        0.0012,
        "probability/month",
        "fitted to terrorism reoffending after release of 1.6-4.8% (Renard 2020; Hodwitz 2019, "
        "via the model brief); checked in tests/test_plausibility.py",
        "Monthly probability a released person commits a terrorism offence, times ideology.",
        ge=0,
        le=1,
        evidence="fitted",
        prior=Prior(kind="triangular", low=0.0008, mode=0.0012, high=0.0018),
    )


def reachable(w: World) -> np.ndarray:
    """Whom programmes can reach: returnees, released prisoners, the reintegrated, and
    prisoners (at home, and sentenced in the region's prisons; not camps or border custody)."""
    free = (State.RETURNED, State.RELEASED, State.REINTEGRATED, State.PRISON_HOME)
    return held_in(w.pop, Custody.PRISON, *free)


DANGEROUS, REINTEGRATED = int(Disposition.DANGEROUS), int(State.REINTEGRATED)  # for kernels


@njit(cache=True)
def _deradicalise(
    reached, place, disposition, ideology, loyalty, coverage, rate, missed
):  # pragma: no cover - compiled
    """Lower the ideology and loyalty of each of ``reached`` by ``rate`` times the programme
    coverage where they are (``coverage`` per place), times ``1 - missed`` for the
    'dangerous' (who pass as disavowed), not below 0."""
    for i in reached:
        effect = rate * coverage[place[i]] * (1.0 - missed if disposition[i] == DANGEROUS else 1.0)
        for x in (ideology, loyalty):
            lowered = x[i] - effect
            x[i] = 0.0 if lowered < 0.0 else lowered


@njit(cache=True)
def _reoffending(at_risk, draw, state, ideology, rate, reintegrated_risk):  # pragma: no cover
    """Those of ``at_risk`` whose ``draw`` falls below their monthly risk of reoffending:
    ``rate`` (float32, as NumPy multiplies a float32 array by a number) times ideology,
    times ``reintegrated_risk`` for the reintegrated."""
    out = np.empty(len(at_risk), dtype=np.intp)
    k = 0
    for j in range(len(at_risk)):
        i = at_risk[j]
        factor = reintegrated_risk if state[i] == REINTEGRATED else 1.0
        out[k] = i
        k += draw[j] < (rate * ideology[i]) * factor
    return out[:k]


def step(w: World) -> None:
    r, t, pop = w.group(Reintegration), w.t, w.pop
    out = pop.where(State.RETURNED, State.RELEASED, t=t)
    coverage = 0.0
    if w.lever_on("reintegration"):
        # the share reached where each is: the lever's region value in the conflict places,
        # its home value elsewhere; the 'dangerous' pretend to have disavowed: the programme
        # misses those who pass it
        _deradicalise(
            reachable(w), pop.place, pop.disposition, pop.ideology, pop.loyalty,
            w.coverage("reintegration"), r.deradicalisation, r.dangerous_pass,
        )  # fmt: skip
        coverage = w.coverage_of("reintegration", out)
    joined = w.chance(out, r.base_rate + r.programme_effect * coverage)
    pop.move(joined, State.REINTEGRATED, t)

    at_risk = pop.where(State.RELEASED, State.REINTEGRATED, t=t)
    offended = _reoffending(
        at_risk, w.draw(len(at_risk)), pop.state, pop.ideology, np.float32(r.reoffending),
        r.reintegrated_risk,
    )  # fmt: skip
    pop.reoffended[offended] = True
    catch(w, offended)
