"""The world a mechanism's monthly step receives, and the outputs the mechanisms declare.

A mechanism's ``step(w)`` gets a :class:`World`: the members' arrays, the ties, the clock, the
generator, this month's policy lever coverages per place, the scale, and the world-level
definitions that several mechanisms share (who is extremist, loyal, dedicated or qualified;
whether the territory is lost). It reads its own
parameter group with ``w.group(ItsGroup)``, keeps what it remembers between months in
``w.memory(ItsMemory)``, and writes the outputs it declared (``OUTPUTS``, in agents) to
``w.out``. Outputs are converted to persons (agents x scale) in one place,
:meth:`Outputs.persons`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numba import njit
from pydantic import BaseModel
from regroup.config.fields import as_array, month_index
from regroup.core.compiled import lowest_bit
from regroup.core.population import NOBODY
from regroup.core.states import IN_CONFLICT, Place, Region

if TYPE_CHECKING:
    from regroup.config.schema import Scenario
    from regroup.core.population import Population
    from regroup.core.ties import Ties

G = TypeVar("G")

# ----------------------------------------------------------------------------- outputs
PERSONS = "persons"  # a number of people: agents x scale
USD = "USD"  # money held by people: per agent x scale
INDEX = "index"  # a dimensionless level (not scaled)
SCALED_UNITS = (PERSONS, USD)
CATEGORIES = {None: (), "region": Region, "place": Place}  # what an output can be split by


@dataclass(frozen=True)
class Output:
    """One output a mechanism writes: a value per month, or per month and category ``by``
    (``"region"``: region of origin, :class:`Region`; ``"place"``: where, :class:`Place`).

    ``flow`` outputs count events in the month (their total over the run is meaningful);
    the others are levels at the end of the month.
    """

    unit: str
    description: str
    flow: bool = False
    by: str | None = None

    def __post_init__(self) -> None:
        if self.by not in CATEGORIES:
            raise ValueError(f"Output.by: {self.by!r} is not one of {sorted(CATEGORIES)}")

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one month's value."""
        return () if self.by is None else (len(CATEGORIES[self.by]),)

    @property
    def scaled(self) -> bool:
        return self.unit in SCALED_UNITS


class Outputs:
    """Every declared output, month by month, in agents; flows also keep a running total."""

    def __init__(self, declared: dict[str, Output], months: int, scale: float) -> None:
        self.declared = declared
        self.scale = scale
        self.raw = {name: np.zeros((months, *o.shape)) for name, o in declared.items()}
        self.total = {name: 0 for name, o in declared.items() if o.flow}

    def scaled(self, agents: Any) -> Any:
        """A number of agents (or their money) in persons: the one place agents become persons."""
        return agents * self.scale

    def persons(self, name: str, value: Any) -> Any:
        """A value of output ``name`` in its reported unit (persons where it counts people or
        their money)."""
        return self.scaled(value) if self.declared[name].scaled else value

    def series(self) -> SimpleNamespace:
        """Every output month by month, in reported units."""
        return SimpleNamespace(**{k: self.persons(k, v) for k, v in self.raw.items()})

    def totals(self) -> dict[str, float]:
        """Every flow's total over the months so far, in reported units."""
        return {k: self.persons(k, v) for k, v in self.total.items()}


# ----------------------------------------------------------------------------- levers
REGION_PLACES = IN_CONFLICT  # where a lever's region value applies; its home value elsewhere
NO_COVERAGE = np.zeros(len(Place))
NO_COVERAGE.flags.writeable = False


def by_place(region: float, home: float) -> np.ndarray:
    """A lever's coverage per place (indexed by :class:`Place`): ``region`` in the conflict
    places (Iraq, Syria, Libya, Afghanistan), ``home`` in the others (home countries, Turkey)."""
    values = np.where(REGION_PLACES, float(region), float(home))
    values.flags.writeable = False
    return values


@dataclass(frozen=True, eq=False)
class Levers:
    """Each policy lever's coverage this month per place (arrays indexed by :class:`Place`,
    0 (today's baseline) to 1 (everyone reached)), all 0 before the lever's start. Mechanisms
    apply them per person with ``coverage[pop.place[idx]]`` (:meth:`World.coverage_of`)."""

    prison_measures: np.ndarray = field(default_factory=lambda: NO_COVERAGE)
    intelligence_sharing: np.ndarray = field(default_factory=lambda: NO_COVERAGE)
    reintegration: np.ndarray = field(default_factory=lambda: NO_COVERAGE)
    defector_voice: np.ndarray = field(default_factory=lambda: NO_COVERAGE)
    grievances: np.ndarray = field(default_factory=lambda: NO_COVERAGE)
    border_crackdown: np.ndarray = field(default_factory=lambda: NO_COVERAGE)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The levers' names, in the schema's order."""
        return tuple(f.name for f in fields(cls))


# ----------------------------------------------------------------------------- the world
class World:
    """What every mechanism's monthly step works on (see the module docstring)."""

    def __init__(
        self, scenario: Scenario, rng: np.random.Generator, schedule: SimpleNamespace, months: int
    ) -> None:
        p = scenario
        self.rng = rng
        # ``n`` uniform draws from the run's generator: its own method, bound once (a Python
        # wrapper cost a call each, 28 a month)
        self.draw: Callable[[int], np.ndarray] = rng.random
        self.schedule = schedule
        self.months = months
        self.t = -1  # month index of the current step (0 = time.start)
        self.start = p.time.start
        self.scale = p.population.scale
        # world-level parameter groups: who joins, their attributes, the policy
        self.population = p.population
        self.attributes = p.attributes
        self.policy = p.policy
        # definitions several mechanisms share (their values are set in the regroup group)
        self.extremist_from = p.regroup.ideology_threshold  # ideology of an extremist
        self.loyal_from = p.regroup.loyalty_threshold  # loyalty of a loyal member
        self.qualified_from = p.regroup.skill_threshold  # skill of a qualified member
        self.lost_below = p.regroup.territory_lost_below  # territory counted as lost
        self.policy_from = month_index(p.policy.start, p.time.start)
        # each lever: the month it starts acting, and its coverage per place from then on
        self._lever_from = {
            name: month_index(p.policy.start_of(name), p.time.start) for name in Levers.names()
        }
        self._lever_values = {
            name: by_place(getattr(p.policy, name).region, getattr(p.policy, name).home)
            for name in Levers.names()
        }
        self._lever_reaches = {name: bool(v.any()) for name, v in self._lever_values.items()}
        self._levers_now: tuple[int, Levers] = (-1, Levers())
        self._groups = {type(g): g for g in dict(p).values() if isinstance(g, BaseModel)}
        self._memory: dict[type, Any] = {}
        self._tables: dict[tuple[int, float | None], np.ndarray] = {}
        self._months: dict[str, int] = {}
        self.pop: Population
        self.ties: Ties
        self.out: Outputs

    # ------------------------------------------------------------------ owned state
    def group(self, kind: type[G]) -> G:
        """The scenario's parameter group of type ``kind`` (a mechanism asks for its own)."""
        return self._groups[kind]

    def memory(self, kind: type[G]) -> G:
        """The ``kind`` instance a mechanism keeps between months (made on first use)."""
        if kind not in self._memory:
            self._memory[kind] = kind()
        return self._memory[kind]

    # ------------------------------------------------------------------ shared definitions
    def coverage(self, lever: str) -> np.ndarray:
        """``lever``'s coverage this month per place (indexed by :class:`Place`; read-only):
        its region value in the conflict places, its home value elsewhere, 0 everywhere
        before its start (``policy.<lever>.start``, else ``policy.start``)."""
        if self.t < self._lever_from[lever]:
            return NO_COVERAGE
        return self._lever_values[lever]

    def coverage_of(self, lever: str, idx: np.ndarray) -> np.ndarray:
        """``lever``'s coverage this month for each person in ``idx``, where they are."""
        idx = np.asarray(idx)
        if idx.dtype == np.bool_:
            raise TypeError("coverage_of takes row indices, not a boolean mask")
        return _lookup(self.coverage(lever), self.pop.place, idx.astype(np.intp, copy=False))

    def lever_on(self, lever: str) -> bool:
        """Whether ``lever`` reaches anyone this month (mechanisms skip their work if not): its
        coverage is not zero everywhere (known for the run) and it has started."""
        return self._lever_reaches[lever] and self.t >= self._lever_from[lever]

    @property
    def levers(self) -> Levers:
        """Every lever's coverage per place this month (see :meth:`coverage`)."""
        t, levers = self._levers_now
        if t != self.t:
            levers = Levers(**{name: self.coverage(name) for name in Levers.names()})
            self._levers_now = (self.t, levers)
        return levers

    @property
    def territory_lost(self) -> bool:
        """Whether the group has lost its territory this month after holding it: its control
        is below ``regroup.territory_lost_below`` and its peak so far reached that (not in the
        first months, before the group took any)."""
        t, s = self.t, self.schedule
        return s.control[t] < self.lost_below <= s.control[t] + s.loss[t]

    def extremist(self, ideology: np.ndarray) -> np.ndarray:
        """Boolean per value: the ideology of an extremist (``regroup.ideology_threshold``)."""
        return ideology >= self.extremist_from

    def loyal(self, loyalty: np.ndarray) -> np.ndarray:
        """Boolean per value: loyal to the group (``regroup.loyalty_threshold``)."""
        return loyalty >= self.loyal_from

    def dedicated(self, ideology: np.ndarray, loyalty: np.ndarray) -> np.ndarray:
        """Boolean per person: dedicated to the group, the one definition the model uses:
        extremist (ideology at or above its threshold) AND loyal (loyalty at or above its)."""
        return (ideology >= self.extremist_from) & (loyalty >= self.loyal_from)

    def dedicated_rows(self, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """:meth:`dedicated` for the members ``idx`` (all live rows by default)."""
        n = self.pop.n
        return self.dedicated(self.pop.ideology[:n][idx], self.pop.loyalty[:n][idx])

    def qualified(self, skill: np.ndarray) -> np.ndarray:
        """Boolean per value: the skill of a qualified member (``regroup.skill_threshold``)."""
        return skill >= self.qualified_from

    def month(self, date: str) -> int:
        """Month index of ``YYYY-MM``."""
        if date not in self._months:
            self._months[date] = month_index(date, self.start)
        return self._months[date]

    # ------------------------------------------------------------------ helpers
    def agents(self, persons: float) -> float:
        """A number of persons (a mean inflow, say) in agents."""
        return persons / self.scale

    def how_many(self, n: int, p: float) -> int:
        """How many of ``n`` people an event of probability ``p`` happens to, each
        independently: one binomial draw (none drawn with nobody, or ``p`` of 0). The first
        half of :meth:`few_of`; a rule that picks who inside its own kernel takes
        :func:`distinct` of the next ``k`` uniform numbers, as :meth:`few_of` does."""
        if n == 0 or p <= 0.0:
            return 0
        return int(self.rng.binomial(n, min(p, 1.0)))

    def few_of(self, n: int, p: float) -> np.ndarray:
        """The positions (increasing) among ``n`` people at which an event of probability
        ``p`` happens to each, independently: how many from a binomial draw
        (:meth:`how_many`), then which of them uniformly without replacement
        (:func:`distinct`, a uniform number each). The same in distribution as a uniform
        number for each person compared with ``p``, in ``k + 1`` draws instead of ``n`` for
        ``k`` events: for rare events over many people. A rule with per-person probabilities
        below ``p`` thins those picked: each kept when a further uniform number falls below
        its own probability divided by ``p``."""
        k = self.how_many(n, p)
        if k == 0:
            return NOBODY
        return distinct(self.rng.random(k), n)

    def integers(self, high: int | np.ndarray, k: int | None = None) -> np.ndarray:
        """``k`` integers drawn uniformly below ``high``; without ``k``, one below each bound
        of the array ``high``: ``floor(u * high)`` of one uniform number ``u`` each. ``u`` is
        a multiple of 2^-53 below 1, so each value's probability is within ``high`` x 2^-53 of
        ``1 / high`` (below 1e-10 for any bound in the model), and the product stays below
        ``high``. NumPy's exact ``Generator.integers`` costs 20-50 us a call for an array of
        bounds or ``k`` of one, ``random`` 1-4 us."""
        u = self.rng.random(len(high) if k is None else k)
        return (u * high).astype(np.intp)

    def chance(self, idx: np.ndarray, p: float) -> np.ndarray:
        """The subset of ``idx`` (in its order) to whom an event of probability ``p`` happens,
        each independently: :meth:`few_of` over them (for a probability per person, thin
        those picked at the highest)."""
        return idx[self.few_of(len(idx), p)]

    def table(self, table: BaseModel, local: float | None = None) -> np.ndarray:
        """A per-role or per-region parameter table as an array indexed by code.

        Per-region tables list the foreign regions; ``local`` puts the locals' value in front
        (code 0). Built once per run (parameters do not change during a run).
        """
        key = (id(table), local)
        if key not in self._tables:
            values = as_array(table)
            self._tables[key] = values if local is None else np.r_[local, values]
        return self._tables[key]

    def add(self, count: int, **values) -> np.ndarray:
        """Append ``count`` new members; returns their indices."""
        return self.pop.add(count, **values)

    def count(self, name: str, agents: int) -> None:
        """Count ``agents`` events of flow output ``name`` this month (in its month and in its
        running total)."""
        out = self.out
        out.raw[name][self.t] += agents
        out.total[name] += agents

    def record(self, name: str, value) -> None:
        """Set output ``name`` for this month (in agents, or per-agent money)."""
        self.out.raw[name][self.t] = value


def as_compared(threshold: float, values: np.ndarray) -> np.generic:
    """``threshold`` in the type NumPy compares ``values`` with it: a Python float against
    float32 values is compared as a float32 (NEP 50), so compiled code given this value
    decides as NumPy's ``values >= threshold`` does."""
    if type(threshold) is float and values.dtype.kind == "f":  # the common case, without
        return values.dtype.type(threshold)  # np.result_type's cost (10 us)
    return np.result_type(values.dtype, threshold).type(threshold)


@njit(cache=True)
def _lookup(table, codes, idx):  # pragma: no cover - compiled
    """``table[codes[idx]]`` in one pass (NumPy gathers twice and converts the codes)."""
    out = np.empty(len(idx), dtype=table.dtype)
    for j in range(len(idx)):
        out[j] = table[codes[idx[j]]]
    return out


@njit(cache=True)
def distinct(u, n):  # pragma: no cover - compiled
    """``len(u)`` distinct positions of ``0..n-1`` taken uniformly (Floyd's algorithm, a
    uniform draw of ``u`` for each), in increasing order. While they are few, the positions
    taken are kept in order, each put in its place (a position taken instead is the largest
    so far), and looked up there; for more, the positions taken are
    bits of ``n / 64`` words (tested and set without a branch), read out in order a set bit
    at a time (:func:`~regroup.core.compiled.lowest_bit`), instead of a flag per position
    and a sort, whose comparisons of random positions mispredict (a thousand of 105k
    positions: 57 -> 17 us)."""
    k = len(u)
    out = np.empty(k, dtype=np.intp)
    if k <= 64:  # kept in order as taken (no sort to call, no copy to make)
        for q in range(k):
            top = n - k + q  # a position in 0..top, or top itself (after all those taken)
            i = min(np.intp(u[q] * (top + 1)), top)
            r = q
            while r > 0 and out[r - 1] > i:
                r -= 1
            if r > 0 and out[r - 1] == i:  # taken
                out[q] = top
                continue
            for j in range(q, r, -1):
                out[j] = out[j - 1]
            out[r] = i
        return out
    bits = np.zeros((n + 63) >> 6, dtype=np.uint64)
    one = np.uint64(1)
    for q in range(k):
        top = n - k + q
        i = min(np.intp(u[q] * (top + 1)), top)
        i += (top - i) * np.intp((bits[i >> 6] >> np.uint64(i & 63)) & one)
        bits[i >> 6] |= one << np.uint64(i & 63)
    m = 0
    for word in range(len(bits)):
        b = bits[word]
        while b:
            out[m] = (word << 6) + lowest_bit(b)
            b &= b - one
            m += 1
    return out
