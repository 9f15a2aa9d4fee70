"""The regroup model: a Mesa model whose monthly step runs one module per mechanism."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType, SimpleNamespace

import mesa
import numpy as np
from numba import njit
from regroup.config.fields import month_index
from regroup.config.schema import Scenario
from regroup.core.population import Member, Population, grown
from regroup.core.schedules import month_label, monthly
from regroup.core.states import Place, Region, Role, State
from regroup.core.ties import Ties
from regroup.core.world import Outputs, World
from regroup.mechanisms import (
    allegiance,
    arrivals,
    camps,
    collapse,
    combat,
    demography,
    disillusionment,
    escape,
    hiding,
    insurgency,
    justice,
    prison,
    recruitment,
    regrouping,
    reintegration,
    security,
    theatres,
    upbringing,
)

# The order of the monthly step. Each module's ``step(world)`` is vectorised over the arrays.
MECHANISMS = (
    demography,  # ageing; members' children come of age
    recruitment,  # appeal, public defections, remobilisation after the territory is lost
    arrivals,  # foreign and local recruits join
    disillusionment,  # the wish to leave grows
    security,  # Amni catches would-be leavers; group prison
    combat,  # deaths at the front; skill grows
    escape,  # smugglers, bribes, walking away, the border
    collapse,  # cities fall: surrender, capture, death, slipping out
    justice,  # deportation, repatriation, prosecution, monitoring
    prison,  # sentences, releases, peer influence and ties inside
    camps,  # radicalisation in camps, smuggling out
    hiding,  # detection, arrests that cut ties, funds, crime
    insurgency,  # cells in Iraq and Syria, counter-insurgency, prison breaks
    allegiance,  # ideology and loyalty of the free: reinforcement by ties and brand, decay
    upbringing,  # members' children trained by committed kin
    reintegration,  # programmes and reoffending
    theatres,  # travel to other theatres (Libya, Afghanistan) after the territory is lost
    regrouping,  # the regrouping pool and the regroup event
)

N_STATES, N_ROLES, N_PLACES, N_REGIONS = len(State), len(Role), len(Place), len(Region)
# what the mechanisms declare: the per-person arrays and the outputs each owns
FIELDS = {name: f for mech in MECHANISMS for name, f in getattr(mech, "FIELDS", {}).items()}
OUTPUTS = {name: o for mech in MECHANISMS for name, o in getattr(mech, "OUTPUTS", {}).items()}


def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep freed memory for reuse (trim above 256 MB, mmap only
    blocks over 32 MB) instead of returning each run's arrays to the system and faulting them
    in again: a fresh process's first full-scale run takes 9,000 page faults instead of 40,000.
    Does nothing where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (its maximum on 64-bit glibc)
    except (OSError, AttributeError):
        pass


keep_freed_memory()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are created at once.

    Otherwise every few hundred new agents trigger a collection, and the older generations'
    collections walk every agent created so far; they run once, afterwards, instead.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class RegroupModel(mesa.Model):
    """Members of the group, monthly from ``time.start`` to ``time.end``.

    The mechanisms work on :attr:`world` (arrays, ties, clock, generator, levers); the model
    runs them, counts people by state, role and origin (and by state and place, and state and
    region of origin) each month, and presents the members
    as Mesa agents (:attr:`agents`), made from the arrays when first asked for.

    Args:
        scenario: a validated :class:`~regroup.config.schema.Scenario` (the baseline if omitted).
        seed: the run's seed; all randomness comes from ``self.rng`` seeded from it.
        mechanisms: the modules run each month, in order (default :data:`MECHANISMS`); a
            subset runs part of the model, as the benchmarks' reference comparison does.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        seed: int | None = None,
        mechanisms: Sequence[ModuleType] = MECHANISMS,
    ) -> None:
        super().__init__(seed=seed)
        self.mechanisms = tuple(mechanisms)
        self.p = p = scenario if scenario is not None else Scenario()
        self.scale = p.population.scale
        self.months = month_index(p.time.end, p.time.start) + 1
        self.policy_from = month_index(p.policy.start, p.time.start)

        s = p.schedules
        border = monthly(s.border_control, p.time.start, self.months)
        # the crackdown (one value: one border) from its own start, else policy.start
        crackdown_from = month_index(p.policy.start_of("border_crackdown"), p.time.start)
        crackdown = p.policy.border_crackdown.level * (np.arange(self.months) >= crackdown_from)
        control = monthly(s.territorial_control, p.time.start, self.months)
        self.schedule = SimpleNamespace(
            control=control,
            loss=np.maximum.accumulate(control) - control,  # territory lost since the peak
            intensity=monthly(s.combat_intensity, p.time.start, self.months),
            border=border + crackdown * (1.0 - border),
            crackdown=crackdown,
            enforcement=monthly(s.enforcement, p.time.start, self.months),
        )

        expected = 1.3 * (
            p.population.foreign_peak_recruits_per_month * 30
            + p.population.local_recruits_per_month * 60
        )
        self.world = w = World(p, self.rng, self.schedule, self.months)
        w.pop = self.pop = Population(max(1024, int(expected / self.scale)), FIELDS)
        w.ties = self.ties = Ties(capacity=4 * self.pop.capacity)
        w.out = Outputs(OUTPUTS, self.months, self.scale)
        # agents by month x state x role x origin; by month x state x place; by month x state
        # x region of origin (all three counted in one pass, :func:`_count`)
        self.agent_counts = np.zeros((self.months, N_STATES, N_ROLES, 2), dtype=np.int32)
        self.place_counts = np.zeros((self.months, N_STATES, N_PLACES), dtype=np.int32)
        self.origin_counts = np.zeros((self.months, N_STATES, N_REGIONS), dtype=np.int32)
        self._members: list[Member] = []

    # ------------------------------------------------------------------ the step
    @property
    def t(self) -> int:
        """Month index of the current step (0 = ``time.start``)."""
        return self.world.t

    @t.setter
    def t(self, value: int) -> None:
        self.world.t = value

    def step(self) -> None:
        if not self.running:  # a finished run (see run)
            return
        w = self.world
        w.t = t = self.steps - 1
        self.pop.group_by_state(t)
        for mechanism in self.mechanisms:
            mechanism.step(w)
        pop = self.pop
        keys = w.memory(Counted).fit(pop)
        _count(
            pop.state,
            pop.role,
            pop.region,
            pop.place,
            pop.n,
            keys.key,
            keys.now,
            t,
            self.agent_counts,
            self.place_counts,
            self.origin_counts,
        )
        if t + 1 >= self.months:
            self.running = False

    def run(self) -> RegroupModel:
        """Run every month from ``time.start`` to ``time.end``.

        The run over, the model lets go of Mesa's step wrapper: Mesa keeps ``step`` (and the
        user's step it wraps) as bound methods on the instance, a reference cycle that only a
        full garbage collection freed, so a loop of runs (a sweep, a calibration) kept up to
        nine finished models alive (at full scale, 668 MB resident after 12 runs instead of
        460 MB). A finished model's ``step`` then does nothing, as before it failed."""
        while self.running:
            self.step()
        for bound in ("step", "_user_step"):
            vars(self).pop(bound, None)
        # Mesa 3.3 keeps a per-model id counter in a class attribute, which would keep every
        # model that made agents alive (mesa issue #3179).
        mesa.Agent._ids.pop(self, None)
        return self

    # ------------------------------------------------------------------ results, in persons
    @property
    def counts(self) -> np.ndarray:
        """Persons by month x state x role x origin (0 local, 1 foreign)."""
        return self.world.out.scaled(self.agent_counts).astype(np.float32)

    @property
    def counts_by_place(self) -> np.ndarray:
        """Persons by month x state x place (:class:`~regroup.core.states.Place`)."""
        return self.world.out.scaled(self.place_counts).astype(np.float32)

    @property
    def counts_by_origin(self) -> np.ndarray:
        """Persons by month x state x region of origin (:class:`~regroup.core.states.Region`)."""
        return self.world.out.scaled(self.origin_counts).astype(np.float32)

    @property
    def tally(self) -> dict[str, float]:
        """Every counted event's total so far, in persons."""
        return self.world.out.totals()

    @property
    def series(self) -> SimpleNamespace:
        """Every output month by month, in persons (or USD, or an index)."""
        return self.world.out.series()

    @property
    def regroup_month(self) -> int | None:
        """Month of the regroup event, if it happened."""
        return regrouping.memory(self.world).regroup_month

    @property
    def regroup_place(self) -> Place | None:
        """Place of the regroup event, if it happened (and the regrouping mechanism says)."""
        code = getattr(regrouping.memory(self.world), "regroup_place", None)
        return None if code is None else Place(code)

    @property
    def connected(self) -> np.ndarray:
        """Boolean per member: in a funded pool last month."""
        return self.pop.connected[: self.pop.n]

    def add_members(self, count: int, **values) -> np.ndarray:
        """Create ``count`` new members; returns their indices."""
        return self.world.add(count, **values)

    def month_label(self, t: int | np.ndarray) -> np.ndarray:
        return month_label(self.p.time.start, t)

    # ------------------------------------------------------------------ Mesa agents
    def _make_agents(self) -> None:
        """One :class:`Member` per row not yet shown as an agent (Mesa's public API)."""
        made, n = len(self._members), self.pop.n
        if made < n:
            with gc_paused():  # many new objects at once: collect once afterwards
                self._members.extend(Member(self, i) for i in range(made, n))

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every member as a Mesa agent, made from the arrays when first asked for."""
        self._make_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        self._make_agents()
        return super().agents_by_type

    @property
    def members(self) -> list[Member]:
        """The agents in row order: ``members[i]`` is the member in row ``i``."""
        self._make_agents()
        return self._members


# the key of a row not counted yet: the number after every combination of codes (8,400,
# numbered in 16 unsigned bits: narrow vectors for the pass that numbers them)
UNCOUNTED = N_STATES * N_ROLES * N_REGIONS * N_PLACES
assert UNCOUNTED < 1 << 16


class Counted:
    """What :func:`_count` keeps between months: each row's combination of codes when last
    counted (``key``, :data:`UNCOUNTED` for rows not counted yet) and a buffer for this
    month's (``now``), both over every row and a multiple of four rows long (compared four
    rows, 64 bits, at a time)."""

    def __init__(self) -> None:
        self.key = np.zeros(0, dtype=np.uint16)
        self.now = np.zeros(0, dtype=np.uint16)

    def fit(self, pop: Population) -> Counted:
        """Room for every row of ``pop`` (the keys so far kept when it has grown)."""
        if len(self.key) < pop.n:
            size = (pop.capacity + 3) & ~3
            self.key = grown(self.key, size, fill=UNCOUNTED)
            self.now = np.full(size, UNCOUNTED, dtype=np.uint16)
        return self


@njit(cache=True)
def _count(
    state, role, region, place, n, key, now, t, out, by_place, by_origin
):  # pragma: no cover - compiled
    """Agents by state x role x origin (0 local, 1 foreign) into ``out[t]``, by state x place
    into ``by_place[t]`` and by state x region of origin into ``by_origin[t]``: last month's
    tables changed by the rows whose combination of the four codes changed since (``key``:
    each row's when last counted, :class:`Counted`), instead of counting every row. Each
    row's combination is numbered in a pass the compiler vectorises (into ``now``), then
    compared with ``key`` four rows (64 bits) at a time: few rows change in a month (moves,
    places, roles), and only theirs are counted, into a change per combination (8,400, the
    unchanged rows of a word cancelling out) that the tables then take in."""
    if t > 0:
        out[t] = out[t - 1]
        by_place[t] = by_place[t - 1]
        by_origin[t] = by_origin[t - 1]
    r1, r2, r3 = np.uint16(N_ROLES), np.uint16(N_REGIONS), np.uint16(N_PLACES)
    for i in range(n):
        code = (np.uint16(state[i]) * r1 + np.uint16(role[i])) * r2 + np.uint16(region[i])
        now[i] = code * r3 + np.uint16(place[i])
    change = np.zeros(UNCOUNTED + 1, dtype=np.int32)  # the last: rows not counted before
    was, new = key.view(np.uint64), now.view(np.uint64)
    for word in range((n + 3) >> 2):
        if was[word] != new[word]:
            for i in range(4 * word, 4 * word + 4):
                change[key[i]] -= 1
                change[now[i]] += 1
                key[i] = now[i]
    for k in range(UNCOUNTED):
        c = change[k]
        if c:
            p, rest = k % N_PLACES, k // N_PLACES
            g, rest = rest % N_REGIONS, rest // N_REGIONS
            r, s = rest % N_ROLES, rest // N_ROLES
            out[t, s, r, np.int64(g != 0)] += c
            by_place[t, s, p] += c
            by_origin[t, s, g] += c
