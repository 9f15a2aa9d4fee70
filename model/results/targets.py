"""Model quantities computed with each public figure's own definition.

Every quantity reads a finished :class:`~regroup.core.model.RegroupModel`'s public arrays
(``pop``), monthly tables (``counts``: persons by month x state x role x origin) and series;
all counts are in persons. A target (``regroup.config.targets.Target``) says at which date
or over which window, and which people (origin, foreign regions, roles).

=====================  ===========================================================  =========
quantity               definition                                                   needs
=====================  ===========================================================  =========
``arrived``            persons of ``who`` who arrived by ``date`` (by origin: the      date
                       arrivals series; with regions or roles: members who joined,
                       children who came of age included)
``role_share``         share of ``who.roles`` among persons of ``who.origin``       date
                       (and ``who.regions``) who joined by ``date``
``region_share``       share of ``who.regions`` among foreign persons who joined    date
                       by ``date``
``killed``             persons of ``who`` dead by ``date`` (any cause)              date
``killed_share``       dead by ``date`` among those of ``who`` who joined by it     date
``returned``           foreign persons of ``who`` back home by ``date``             date
``returned_share``     back home by ``date`` among those of ``who`` who joined by   date
                       it
``in_states``          persons of ``who`` in ``states`` in the month ``date``       date, states
                       (by role and origin only: no regions)
``recruits_per_month`` mean foreign arrivals a month over ``window``                window
``public_defections``  public defections over ``window``                            window
``defections_share``   share of the defections of ``window`` made in ``part``       window, part
``reoffending_share``  released prisoners who reoffended / released prisoners        --
                       (whole run; the outcome column of the same name also counts
                       reintegrated returnees who reoffended in its numerator)
``sentence_home_years`` mean prison sentence at home in years (the mean of the      --
                       range every home sentence is drawn from)
=====================  ===========================================================  =========
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from regroup.config.fields import month_index
from regroup.core.states import Region, Role, State

if TYPE_CHECKING:
    from regroup.config.targets import Target
    from regroup.core.model import RegroupModel


@dataclass(frozen=True)
class Quantity:
    """How to compute one kind of target: what it needs from the target, which parts of
    ``who`` it honours, and the function."""

    needs: tuple[str, ...]
    who: tuple[str, ...]
    compute: Callable[[RegroupModel, Target], float]


def _t(m: RegroupModel, date: str) -> int:
    return min(m.months - 1, max(0, month_index(date, m.p.time.start)))


def _who(m: RegroupModel, target: Target, roles: bool = True) -> np.ndarray:
    """Rows of the population ``target.who`` counts (origin, regions, roles)."""
    pop, n = m.pop, m.pop.n
    region = pop.region[:n]
    who = target.who
    mask = np.ones(n, dtype=bool)
    if who.origin == "foreign":
        mask &= region != Region.LOCAL
    elif who.origin == "local":
        mask &= region == Region.LOCAL
    if who.regions:
        mask &= np.isin(region, [Region[r.upper()] for r in who.regions])
    if roles and who.roles:
        mask &= np.isin(pop.role[:n], [Role[r.upper()] for r in who.roles])
    return mask


def _joined_by(m: RegroupModel, t: int) -> np.ndarray:
    n = m.pop.n
    return (m.pop.joined[:n] <= t) & (m.pop.state[:n] != State.PENDING)


def _share(num: np.ndarray, den: np.ndarray) -> float:
    d = np.count_nonzero(den)
    return float(np.count_nonzero(num & den) / d) if d else math.nan


def arrived(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    who = target.who
    if not (who.regions or who.roles):  # the arrivals series: no children who came of age
        series = {"foreign": ("arrived_foreign",), "local": ("arrived_local",)}
        names = series.get(who.origin, ("arrived_foreign", "arrived_local"))
        return float(sum(getattr(m.series, s)[: t + 1].sum() for s in names))
    return float(np.count_nonzero(_who(m, target) & _joined_by(m, t)) * m.scale)


def role_share(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    base = _who(m, target, roles=False) & _joined_by(m, t)
    return _share(_who(m, target), base)


def region_share(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    foreign = m.pop.region[: m.pop.n] != Region.LOCAL
    return _share(_who(m, target), foreign & _joined_by(m, t))


def _dead_by(m: RegroupModel, t: int) -> np.ndarray:
    n = m.pop.n
    return (m.pop.state[:n] == State.DEAD) & (m.pop.entered[:n] <= t)


def killed(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    return float(np.count_nonzero(_who(m, target) & _dead_by(m, t)) * m.scale)


def killed_share(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    return _share(_dead_by(m, t), _who(m, target) & _joined_by(m, t))


def _back_by(m: RegroupModel, t: int) -> np.ndarray:
    when = m.pop.returned[: m.pop.n]
    return (when >= 0) & (when <= t)


def returned(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    foreign = m.pop.region[: m.pop.n] != Region.LOCAL
    return float(np.count_nonzero(_who(m, target) & foreign & _back_by(m, t)) * m.scale)


def returned_share(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    return _share(_back_by(m, t), _who(m, target) & _joined_by(m, t))


def in_states(m: RegroupModel, target: Target) -> float:
    t = _t(m, target.date)
    states = [State[s.upper()] for s in target.states]
    roles = [Role[r.upper()] for r in target.who.roles] if target.who.roles else list(Role)
    origins = {"local": [0], "foreign": [1], "all": [0, 1]}[target.who.origin]
    cells = m.counts[t][np.ix_(states, roles, origins)]
    return float(cells.sum(dtype=np.float64))


def _window(m: RegroupModel, window: list[str]) -> slice:
    return slice(_t(m, window[0]), _t(m, window[1]) + 1)


def recruits_per_month(m: RegroupModel, target: Target) -> float:
    return float(m.series.arrived_foreign[_window(m, target.window)].mean())


def public_defections(m: RegroupModel, target: Target) -> float:
    return float(m.series.public_defections[_window(m, target.window)].sum())


def defections_share(m: RegroupModel, target: Target) -> float:
    whole = float(m.series.public_defections[_window(m, target.window)].sum())
    part = float(m.series.public_defections[_window(m, target.part)].sum())
    return part / whole if whole > 0 else math.nan


def reoffending_share(m: RegroupModel, target: Target) -> float:
    n = m.pop.n
    return _share(m.pop.reoffended[:n], m.pop.ever_released[:n])


def sentence_home_years(m: RegroupModel, target: Target) -> float:
    years = m.p.prison.sentence_home_years
    return float((years.low + years.high) / 2)


QUANTITIES: dict[str, Quantity] = {
    "arrived": Quantity(("date",), ("regions", "roles"), arrived),
    "role_share": Quantity(("date",), ("regions", "roles"), role_share),
    "region_share": Quantity(("date",), ("regions",), region_share),
    "killed": Quantity(("date",), ("regions", "roles"), killed),
    "killed_share": Quantity(("date",), ("regions", "roles"), killed_share),
    "returned": Quantity(("date",), ("regions", "roles"), returned),
    "returned_share": Quantity(("date",), ("regions", "roles"), returned_share),
    "in_states": Quantity(("date", "states"), ("roles",), in_states),
    "recruits_per_month": Quantity(("window",), (), recruits_per_month),
    "public_defections": Quantity(("window",), (), public_defections),
    "defections_share": Quantity(("window", "part"), (), defections_share),
    "reoffending_share": Quantity((), (), reoffending_share),
    "sentence_home_years": Quantity((), (), sentence_home_years),
}


def target_value(m: RegroupModel, target: Target) -> float:
    """The model's value of one computable target."""
    return QUANTITIES[target.quantity].compute(m, target)


def target_values(m: RegroupModel, targets: dict[str, Target]) -> dict[str, Any]:
    """Every computable target of ``targets`` (name -> value) for a finished model."""
    return {name: target_value(m, t) for name, t in targets.items() if t.computable}


def in_range(value: float, target: Target) -> bool:
    """Whether ``value`` lies in the target's public range."""
    return bool(target.low <= value <= target.high)
