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
from regroup.core.population import NOBODY, Field, row_at
from regroup.core.states import Custody, Disposition, State
from regroup.core.world import distinct
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


class Reach:
    """Per run: the programmes' coverage per place as last seen (``World.coverage``: the
    same array from the lever's start on), the largest monthly probability of reintegrating
    under it, the parameters (``r``) and the reoffending rate as NumPy multiplies a float32
    array by it (float32), whether the lever is on (``on``); buffers :func:`_joining`
    writes (``joined``, ``gone``: room for ``room`` rows each, made larger when more are
    chosen). The rows of ``joined`` are noted
    as moved by the population until its next grouping by state, at the start of the next
    month, before this step writes them again."""

    def __init__(self) -> None:
        self.coverage: np.ndarray | None = None
        self.most = 0.0
        self.room = 0
        self.joined = self.gone = np.empty(0, dtype=np.intp)

    def update(self, w: World, coverage: np.ndarray) -> None:
        r = self.r = w.group(Reintegration)
        self.coverage = coverage
        self.most = min(1.0, r.base_rate + r.programme_effect * float(coverage.max()))
        self.rate = np.float32(r.reoffending)
        # whether the lever reaches anyone: it changes only with the coverage (its start)
        self.on = w.lever_on("reintegration")

    def make_room(self, k: int) -> None:
        """Buffers for ``k`` chosen rows at least."""
        self.room = max(k, 2 * self.room)
        self.joined = np.empty(self.room, dtype=np.intp)
        self.gone = np.empty(self.room, dtype=np.intp)


DANGEROUS = int(Disposition.DANGEROUS)  # for kernels


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
def _joining(
    returned, released, u, k, place, coverage, base, effect, most, joined, gone
):  # pragma: no cover - compiled
    """Those who reintegrate this month: ``k`` positions (``World.few_of``: ``distinct`` of
    the uniform numbers ``u[:k]``) among the ``returned`` and ``released`` together in row
    order are reached (each with the largest monthly probability ``most``); those whose
    draw ``u[k + j]`` falls below their own probability, ``base`` + ``effect`` x the
    programme coverage where they are (``coverage`` per place), over ``most`` (thinning)
    join, in row order, written to ``joined``; and the positions in ``released`` of those
    who were released (increasing, each found by bisection) to ``gone``. Returns how many
    of each."""
    chosen = distinct(u[:k], len(returned) + len(released))
    n = 0
    for j in range(k):
        i = row_at(chosen[j], returned, released)
        joined[n] = i
        n += u[k + j] * most < base + effect * coverage[place[i]]
    at = np.searchsorted(released, joined[:n])
    g = 0
    for j in range(n):
        p = at[j]
        if p < len(released) and released[p] == joined[j]:
            gone[g] = p
            g += 1
    return n, g


@njit(cache=True)
def _reoffending(
    released, gone, reintegrated, u, k, ideology, reoffended, rate, reintegrated_risk
):  # pragma: no cover - compiled
    """Those who reoffend this month, of ``k`` positions (``World.few_of``: ``distinct`` of
    the uniform numbers ``u[:k]``) among ``released`` but those at positions ``gone``
    (increasing: the released who reintegrated just now, skipped without copying the
    others) then ``reintegrated`` (each reached with the largest monthly risk, ``rate``):
    those whose draw ``u[k + j]`` falls below their own risk over ``rate`` (thinning). The
    risk is ``rate`` (float32, as NumPy multiplies a float32 array by a number) times
    ideology, times ``reintegrated_risk`` for the reintegrated; they are marked as
    ``reoffended``."""
    still = len(released) - len(gone)
    chosen = distinct(u[:k], still + len(reintegrated))
    out = np.empty(k, dtype=np.intp)
    n = skipped = 0
    for j in range(k):
        q = chosen[j]
        if q < still:
            p = q + skipped  # the q-th kept: past every gone position at or before it
            while skipped < len(gone) and gone[skipped] <= p:
                skipped += 1
                p += 1
            i, factor = released[p], 1.0
        else:
            i, factor = reintegrated[q - still], reintegrated_risk
        out[n] = i
        n += u[k + j] * rate < (rate * ideology[i]) * factor
    for i in out[:n]:
        reoffended[i] = True
    return out[:n]


def step(w: World) -> None:
    t, pop, reach = w.t, w.pop, w.memory(Reach)
    coverage = w.coverage("reintegration")
    if reach.coverage is not coverage:  # (the lever's start, or the run's first month)
        reach.update(w, coverage)
    r = reach.r
    if reach.on:
        # the share reached where each is: the lever's region value in the conflict places,
        # its home value elsewhere; the 'dangerous' pretend to have disavowed: the programme
        # misses those who pass it
        _deradicalise(  # the rows unsigned: no negative-index wraparound at each read
            reachable(w).view(np.uint64), pop.place, pop.disposition, pop.ideology, pop.loyalty,
            coverage, r.deradicalisation, r.dangerous_pass,
        )  # fmt: skip
    # returnees and released prisoners (since before this month) reintegrate: a rare event,
    # drawn for the few reached at the largest probability, then thinned to each one's own
    # (the two looked up apart: positions among them together are found without merging)
    # (World.few_of's draws, then the thinning's: one uniform number each, in one call)
    returned, released, rng = pop.where(State.RETURNED, t=t), pop.where(State.RELEASED, t=t), w.rng
    k = w.how_many(len(returned) + len(released), reach.most)
    gone = NOBODY  # the positions among the released of those who joined
    if k:  # (with nobody reached, nothing more drawn)
        if k > reach.room:
            reach.make_room(k)
        n, g = _joining(
            returned, released, rng.random(2 * k), k, pop.place, coverage, r.base_rate,
            r.programme_effect, reach.most, reach.joined, reach.gone,
        )  # fmt: skip
        pop.move(reach.joined[:n], State.REINTEGRATED, t)
        gone = reach.gone[:g]

    # the released and the reintegrated, both since before this month (not those who
    # reintegrated just now), may reoffend: risk at most the rate (ideology at most 1)
    reintegrated = pop.where(State.REINTEGRATED, t=t)
    rate = reach.rate
    k = w.how_many(len(released) - len(gone) + len(reintegrated), float(rate))
    if k:
        catch(
            w,
            _reoffending(
                released, gone, reintegrated, rng.random(2 * k), k, pop.ideology,
                pop.reoffended, rate, r.reintegrated_risk,
            ),
        )  # fmt: skip
