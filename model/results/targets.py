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
``members``            members of the group in ``places`` in the month ``date``     date, places
                       (``insurgency``'s ``members_by_place``: in the territory, in
                       an organised group, or hiding there and loyal; every role)
``fighters``           active fighters in ``places`` in the month ``date``          date, places
                       (``fighters_by_place``: fighting roles in the territory or
                       in an organised group)
``members_share``      members in ``part_places`` / members in ``places``, in the   date, places,
                       month ``date``                                               part_places
=====================  ===========================================================  =========

``who.origin`` is honoured by the quantities that count people one by one (``arrived`` to
``in_states``); the others count every origin, and a target that names one for them is an
error. A ``model_part`` target (the model counts only part of the figure's people) is in
range when its value is at most the figure's high end.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from regroup.config.fields import month_index
from regroup.core.states import Place, Region, Role, State

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


def _at_places(m: RegroupModel, output: str, date: str, places: list[str]) -> float:
    """An output by place (persons) in the month ``date``, summed over ``places``."""
    values = getattr(m.series, output)[_t(m, date)]
    return float(values[[Place[p.upper()] for p in places]].sum(dtype=np.float64))


def members(m: RegroupModel, target: Target) -> float:
    return _at_places(m, "members_by_place", target.date, target.places)


def fighters(m: RegroupModel, target: Target) -> float:
    return _at_places(m, "fighters_by_place", target.date, target.places)


def members_share(m: RegroupModel, target: Target) -> float:
    whole = _at_places(m, "members_by_place", target.date, target.places)
    part = _at_places(m, "members_by_place", target.date, target.part_places)
    return part / whole if whole > 0 else math.nan


WHO = ("origin", "regions", "roles")
QUANTITIES: dict[str, Quantity] = {
    "arrived": Quantity(("date",), WHO, arrived),
    "role_share": Quantity(("date",), WHO, role_share),
    "region_share": Quantity(("date",), ("origin", "regions"), region_share),
    "killed": Quantity(("date",), WHO, killed),
    "killed_share": Quantity(("date",), WHO, killed_share),
    "returned": Quantity(("date",), WHO, returned),
    "returned_share": Quantity(("date",), WHO, returned_share),
    "in_states": Quantity(("date", "states"), ("origin", "roles"), in_states),
    "recruits_per_month": Quantity(("window",), (), recruits_per_month),
    "public_defections": Quantity(("window",), (), public_defections),
    "defections_share": Quantity(("window", "part"), (), defections_share),
    "reoffending_share": Quantity((), (), reoffending_share),
    "sentence_home_years": Quantity((), (), sentence_home_years),
    "members": Quantity(("date", "places"), (), members),
    "fighters": Quantity(("date", "places"), (), fighters),
    "members_share": Quantity(("date", "places", "part_places"), (), members_share),
}


def target_value(m: RegroupModel, target: Target) -> float:
    """The model's value of one computable target."""
    return QUANTITIES[target.quantity].compute(m, target)


def target_values(m: RegroupModel, targets: dict[str, Target]) -> dict[str, Any]:
    """Every computable target of ``targets`` (name -> value) for a finished model."""
    return {name: target_value(m, t) for name, t in targets.items() if t.computable}


def in_range(value: float, target: Target) -> bool:
    """Whether ``value`` lies in the target's public range (at most its high end when the
    model counts only part of the figure's people, ``model_part``)."""
    if target.model_part:
        return bool(value <= target.high)
    return bool(target.low <= value <= target.high)
