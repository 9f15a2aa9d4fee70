"""Upbringing (seed 003: the children of fighters 'could potentially add fresh blood to any
reorganised group's manpower'): minors of fighting age who are free and tied to a dedicated,
qualified member (their kin, or the pool's members) gain skill through training; in an
organised group (remobilised) they train as every member does (``recruitment``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from regroup.config.evidence import Prior
from regroup.config.fields import Strict, param
from regroup.core.population import PEOPLE, Rows
from regroup.core.states import FREE_BITS, FREE_STATES, Role, State, code_bits
from regroup.mechanisms.demography import born_by_month

if TYPE_CHECKING:
    from regroup.core.world import World

# where a trainer can be: free, or in the territory
TRAINERS = (*FREE_STATES, State.ACTIVE)


class Upbringing(Strict):
    """Training of members' children by committed, skilled kin."""

    kin_training: float = param(
        0.02,
        "skill/month",
        "seed 003 supports the direction (children 'could potentially add fresh blood to any "
        "reorganised group's manpower'); value assumption",
        "Monthly skill gained by a free minor of fighting age tied to a dedicated, qualified "
        "member (up to 1).",
        ge=0,
        le=0.5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.04),
    )


def step(w: World) -> None:
    rows, pop = w.memory(Parts), w.pop
    if rows.teaches is None:
        rows.start(w)
    if not rows.teaches:
        return
    if pop.state.shape[0] > rows.own.shape[0]:  # the population has grown
        rows.fit(pop)
    # the ties asked about: with nobody in the territory, those among the free (allegiance's
    # question of the month, answered again at no cost); else those among the pupils and
    # trainers (fewer people than all those free or in the territory, every tie that teaches)
    territory = rows.people[ACTIVE] > 0
    any_pupil = _parts(
        pop.state,
        pop.role,
        pop.birth,
        pop.ideology,
        pop.loyalty,
        pop.skill,
        pop.n,
        rows.born_by[w.t],
        rows.extremist_from,
        rows.loyal_from,
        rows.qualified_from,
        not territory,
        rows.inside,
        rows.own,
    )
    if not any_pupil:  # nobody to teach: no need for the ties
        return
    key = "pupils and trainers" if territory else "free"
    src, dst = w.ties.inside(rows.inside[: pop.n], key=key)
    _train(src, dst, rows.own, pop.skill, rows.kin_training)


class Parts(Rows):
    """:class:`Rows` for upbringing (its per-run memory): ``inside`` marks the people whose
    ties are asked about, ``own`` holds each person's part (pupil, trainer); the run's
    constants, made at the first step (:meth:`start`)."""

    def __init__(self) -> None:
        super().__init__()
        self.teaches: bool | None = None  # whether kin train at all

    def start(self, w: World) -> None:
        """The run's constants: whether kin train, ``kin_training`` and the thresholds as
        float32 (as the values they meet), the last month of birth of fighting age each month
        (:func:`~regroup.mechanisms.demography.born_by_month`), the people per state (kept up
        to date by the population's moves)."""
        u = w.group(Upbringing)
        self.teaches = u.kin_training > 0
        self.kin_training = np.float32(u.kin_training)
        self.extremist_from = np.float32(w.extremist_from)
        self.loyal_from = np.float32(w.loyal_from)
        self.qualified_from = np.float32(w.qualified_from)
        self.born_by = born_by_month(w)
        self.people = w.pop.tally[PEOPLE]


AROUND = code_bits(*TRAINERS)
MINOR, ACTIVE = int(Role.MINOR), int(State.ACTIVE)
PUPIL, TRAINER = 1, 2  # the bits of a part
# the bits of a part as bytes, for ``_parts`` (see there)
NONE_BYTE, PUPIL_BYTE, TRAINER_BYTE = np.uint8(0), np.uint8(PUPIL), np.uint8(TRAINER)


@njit(cache=True)
def _parts(  # pragma: no cover - compiled
    state,
    role,
    birth,
    ideology,
    loyalty,
    skill,
    n,
    born_by,
    extremist_from,
    loyal_from,
    qualified_from,
    all_free,
    inside,
    part,
):
    """For each row ``i < n``, in one pass over the rows: ``part[i]``, bit 1 a pupil (a free
    minor of fighting age: born by the month ``born_by``, see ``demography.born_by``), bit 2
    a trainer (dedicated and qualified, free or in the territory), and ``inside[i]``, free if
    ``all_free``, else a pupil or a trainer. Returns whether anyone is a pupil. The pass is
    written once (:func:`_parts_pass`) and compiled for each value of ``all_free``, so that
    ``inside`` is not computed both ways and blended (a tenth to a sixth of the pass)."""
    if all_free:
        return _parts_pass(
            state, role, birth, ideology, loyalty, skill, n, born_by,
            extremist_from, loyal_from, qualified_from, True, inside, part,
        )  # fmt: skip
    return _parts_pass(
        state, role, birth, ideology, loyalty, skill, n, born_by,
        extremist_from, loyal_from, qualified_from, False, inside, part,
    )  # fmt: skip


@njit(cache=True, inline="always")
def _parts_pass(  # pragma: no cover - compiled
    state,
    role,
    birth,
    ideology,
    loyalty,
    skill,
    n,
    born_by,
    extremist_from,
    loyal_from,
    qualified_from,
    all_free,
    inside,
    part,
):
    """:func:`_parts`' pass (inlined, ``all_free`` a constant there). Without branches and in
    narrow types, which the compiler vectorises: booleans; the state's bit (``1 << state``)
    tested against both sets; the month of birth against ``born_by``, both int16; the part's
    bits chosen as bytes and whether any pupil an ``or``, not shifted or counted in Numba's
    64-bit integers (carried out in 64-bit lanes: a fifth more time)."""
    free_bits, around, one = np.uint32(FREE_BITS), np.uint32(AROUND), np.uint32(1)
    any_pupil = False
    for i in range(n):
        bit = np.uint32(one << np.uint32(state[i]))
        free = (bit & free_bits) != 0
        pupil = free & (role[i] == MINOR) & (birth[i] <= born_by)
        trainer = (
            ((bit & around) != 0)
            & (ideology[i] >= extremist_from)
            & (loyalty[i] >= loyal_from)
            & (skill[i] >= qualified_from)
        )
        inside[i] = free if all_free else pupil | trainer
        part[i] = (PUPIL_BYTE if pupil else NONE_BYTE) | (TRAINER_BYTE if trainer else NONE_BYTE)
        any_pupil |= pupil
    return any_pupil


@njit(cache=True)
def _train(src, dst, part, skill, gain):  # pragma: no cover - compiled
    """Skill ``gain`` (float32, up to 1) for each pupil tied to a trainer (``part``, by the
    skills before any gain; ``src``-``dst``: ties among a set holding every pupil and
    trainer), in place, once however many trainers: a pupil taught loses its pupil bit. The
    ties' ends are read as unsigned numbers (a signed index costs a test for a negative one,
    counted from the end, on every access).

    Two passes, neither with a branch on the ties' parts (a few ties in a hundred teach, at
    random: in a run, where the predictor has not seen the ties since the month before, a
    test per tie mispredicts): the first lists the ties that teach by the parts before any
    gain (bit arithmetic, each tie written, kept if it teaches); the second, over those in
    order, gives the gain by the parts as they are then (a part only loses its pupil bit,
    so no other tie can teach), by selects. In whole runs (each call's least time over 10
    runs alternated, two sets) 24.5 -> 21.3 and 22.0 -> 18.7 us a call."""
    teaching = np.empty(len(src), dtype=np.uint32)
    m = 0
    for k in range(len(src)):
        a, b = np.uint32(src[k]), np.uint32(dst[k])
        pa, pb = part[a], part[b]
        teaching[m] = k
        m += ((pa & (pb >> 1)) | (pb & (pa >> 1))) & PUPIL  # TRAINER is 2 * PUPIL
    one = np.float32(1.0)
    for q in range(m):
        k = teaching[q]
        a, b = np.uint32(src[k]), np.uint32(dst[k])
        pa, pb = part[a], part[b]
        teaches_a = (pa & (pb >> 1) & PUPIL) != 0  # a a pupil, b a trainer
        teaches_b = (pb & (pa >> 1) & PUPIL) != 0
        s = skill[a]
        skill[a] = min(s + gain, one) if teaches_a else s
        part[a] = (pa & TRAINER) if teaches_a else pa
        s = skill[b]  # (read after a's: the same row if a tie joins a person to itself)
        skill[b] = min(s + gain, one) if teaches_b else s
        part[b] = (pb & TRAINER) if teaches_b else pb
