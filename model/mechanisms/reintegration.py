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
from regroup.core.states import Custody, Disposition, State, code_bits
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


RETURNED, RELEASED = int(State.RETURNED), int(State.RELEASED)
_OUT_BITS = code_bits(State.RETURNED, State.RELEASED)  # may reintegrate
_AT_RISK_BITS = code_bits(State.RELEASED, State.REINTEGRATED)  # may reoffend


@njit(cache=True)
def _out_and_at_risk(state, entered, t, n):  # pragma: no cover - compiled
    """Rows ``0..n-1`` in each state since before month ``t`` (as ``pop.where(..., t=t)``
    selects them), in row order: the returnees and released prisoners (who may reintegrate),
    and the released and reintegrated (who may reoffend). One branch-free pass: late in a
    run both sets are large."""
    out = np.empty(n + 1, dtype=np.intp)
    at_risk = np.empty(n + 1, dtype=np.intp)
    j = k = 0
    for i in range(n):  # writes every row, keeps those in each set
        s = np.int64(state[i])
        before = np.int64(entered[i] < t)
        out[j] = i
        at_risk[k] = i
        j += (_OUT_BITS >> s) & before & 1
        k += (_AT_RISK_BITS >> s) & before & 1
    return out[:j], at_risk[:k]


@njit(cache=True)
def _joining(out, draw, state, place, coverage, base, effect):  # pragma: no cover - compiled
    """Those of ``out`` whose ``draw`` falls below their monthly probability of reintegrating,
    ``base`` + ``effect`` x the programme coverage where they are (``coverage`` per place);
    and how many of them are released prisoners (no longer at risk of reoffending as such)."""
    joined = np.empty(len(out), dtype=np.intp)
    k = released = 0
    for j in range(len(out)):
        i = out[j]
        if draw[j] < base + effect * coverage[place[i]]:  # few a month: a predictable branch
            joined[k] = i
            k += 1
            released += state[i] == RELEASED
    return joined[:k], released


@njit(cache=True)
def _reoffending(
    at_risk, t, draw, entered, state, ideology, reoffended, rate, reintegrated_risk
):  # pragma: no cover - compiled
    """Those of ``at_risk`` still in their state since before month ``t`` (not those who
    reintegrated this month) whose draw (``draw``, one each, in order) falls below their
    monthly risk of reoffending: ``rate`` (float32, as NumPy multiplies a float32 array by a
    number) times ideology, times ``reintegrated_risk`` for the reintegrated; marked as
    ``reoffended``."""
    # the factor by a lookup: the two states are mixed, and a branch cost three times more
    factor = np.array([1.0, reintegrated_risk])
    out = np.empty(len(draw), dtype=np.intp)
    j = k = 0
    for i in at_risk:
        if entered[i] >= t:
            continue
        if draw[j] < (rate * ideology[i]) * factor[np.int64(state[i] == REINTEGRATED)]:
            out[k] = i
            k += 1
        j += 1
    for i in out[:k]:
        reoffended[i] = True
    return out[:k]


def step(w: World) -> None:
    r, t, pop = w.group(Reintegration), w.t, w.pop
    out, at_risk = _out_and_at_risk(pop.state, pop.entered, t, pop.n)
    if w.lever_on("reintegration"):
        # the share reached where each is: the lever's region value in the conflict places,
        # its home value elsewhere; the 'dangerous' pretend to have disavowed: the programme
        # misses those who pass it
        _deradicalise(  # the rows unsigned: no negative-index wraparound at each read
            reachable(w).view(np.uint64), pop.place, pop.disposition, pop.ideology, pop.loyalty,
            w.coverage("reintegration"), r.deradicalisation, r.dangerous_pass,
        )  # fmt: skip
    out, at_risk = out.view(np.uint64), at_risk.view(np.uint64)  # no wraparound in the kernels
    joined, released = _joining(
        out, w.draw(len(out)), pop.state, pop.place, w.coverage("reintegration"), r.base_rate,
        r.programme_effect,
    )  # fmt: skip
    pop.move(joined, State.REINTEGRATED, t)

    offended = _reoffending(
        at_risk, t, w.draw(len(at_risk) - released), pop.entered, pop.state, pop.ideology,
        pop.reoffended, np.float32(r.reoffending), r.reintegrated_risk,
    )  # fmt: skip
    catch(w, offended)
