"""What a run reports: one row of outcomes, and monthly tables, all in persons.

Every outcome is defined in the README (section "Outcomes"); the definitions below are the
code behind them. Besides the fixed columns (:data:`OUTCOMES`, :data:`CALIBRATION`), the row
splits outcomes by place and by region of origin (:data:`SPLIT`, :func:`split_row`): killed,
returned and imprisoned by region of origin, persons by place at the end, and every output a
mechanism declares with ``by="place"`` or ``by="region"``, whatever it is; the monthly tables
have the same splits in long format (:data:`MONTHLY`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from regroup.config.fields import month_index
from regroup.core.schedules import year_of
from regroup.core.states import (
    FREE_STATES,
    HELD_BY_STATES,
    HIDING_STATES,
    THE_REGION,
    Place,
    Region,
    Role,
    State,
)
from regroup.core.world import Output
from regroup.mechanisms.regrouping import composition

if TYPE_CHECKING:
    from regroup.core.model import RegroupModel

OUTCOMES = (
    "foreign_total",
    "killed_foreign",
    "killed_total",
    "returned",
    "detained_end",
    "hiding_end",
    "released_total",
    "reoffended",
    "criminal_end",
    "regroup_pool_end",
    "regroup_pool_peak",
    "regrouped",
    "regroup_year",
    "able_to_regroup_2025",
    "able_to_regroup_2030",
    "rival_pool_end",
    "supporters_end",
    "pool_ever_imprisoned_end",
    "pool_foreign_end",
    "pool_hiding_abroad_end",
    "pool_mean_ideology_end",
    "pool_mean_loyalty_end",
    "smuggled_from_camps",
)
# columns for calibration against the public figures in the model brief
CALIBRATION = (
    "returned_share_2018_06",
    "europe_killed_share_2017",
    "europe_returned_share_2017",
    "recruits_per_month_2014_15",
    "recruits_per_month_spring_2016",
    "recruits_per_month_autumn_2016",
    "in_iraq_syria_2018",
    "public_defections_2014_2015",
    "reoffending_share",
    "new_recruits",
    "came_of_age",
)


def able_to_regroup(m: RegroupModel, year: int) -> float:
    """1 if some place's regrouping potential in June of ``year`` is at or above the critical
    mass (``regroup.critical_mass``), else 0 (NaN outside the run): the regroup event read at
    one date. The event itself is the first crossing after the loss of territory, often the
    remnant in 2018-19, before most policies act; this reading asks whether the potential is
    still (or again) there years later."""
    t = month_index(f"{year}-06", m.p.time.start)
    if not 0 <= t < m.months:
        return math.nan
    return float(m.series.potential_by_place[t].max() >= m.p.regroup.critical_mass)


def _month(m: RegroupModel, date: str) -> int:
    return min(m.months - 1, max(0, month_index(date, m.p.time.start)))


def outcome_row(m: RegroupModel) -> dict[str, Any]:
    """The per-run outcomes of a finished model, in persons."""
    pop, out = m.pop, m.world.out
    n = pop.n
    state, region = pop.state[:n], pop.region[:n]
    foreign = region != Region.LOCAL
    dead = state == State.DEAD
    end = m.months - 1
    lost = np.flatnonzero(m.schedule.control < m.world.lost_below)
    after = lost[0] if len(lost) else end
    rm = m.regroup_month
    tally, series, counts = m.tally, m.series, m.counts

    def count(mask) -> float:
        return float(out.scaled(np.count_nonzero(mask)))

    def share(num, den) -> float:
        d = np.count_nonzero(den)
        return float(np.count_nonzero(num) / d) if d else math.nan

    def mean_series(series, a: str, b: str) -> float:
        return float(series[_month(m, a) : _month(m, b) + 1].mean())

    t17, t18 = _month(m, "2017-12"), _month(m, "2018-06")
    europe = (region == Region.EUROPE_TURKEY) & (pop.joined[:n] <= t17)
    by_2018 = foreign & (pop.joined[:n] <= t18)
    returned_when = pop.returned[:n]
    iraq_syria = (State.ACTIVE, State.HIDING_LOCAL, State.ESCAPING, State.GROUP_PRISON)
    row = {
        "foreign_total": tally["arrived_foreign"],
        "killed_foreign": count(dead & foreign),
        "killed_total": count(dead),
        "returned": count(foreign & (returned_when >= 0)),
        "detained_end": count(np.isin(state, (State.DETAINED, State.PRISON_HOME))),
        "hiding_end": count(np.isin(state, HIDING_STATES)),
        "released_total": count(pop.ever_released[:n]),
        "reoffended": count(pop.reoffended[:n]),
        "criminal_end": count(state == State.CRIMINAL),
        "regroup_pool_end": float(series.connected_pool[end]),
        "regroup_pool_peak": float(series.connected_pool[after:].max()),
        "regrouped": rm is not None,
        "regroup_year": year_of(m.p.time.start, rm) if rm is not None else math.nan,
        **{f"able_to_regroup_{y}": able_to_regroup(m, y) for y in (2025, 2030)},
        **pool_end(m),
        "smuggled_from_camps": tally["smuggled_from_camps"],
        "returned_share_2018_06": share(
            by_2018 & (returned_when >= 0) & (returned_when <= t18), by_2018
        ),
        "europe_killed_share_2017": share(europe & dead & (pop.entered[:n] <= t17), europe),
        "europe_returned_share_2017": share(
            europe & (returned_when >= 0) & (returned_when <= t17), europe
        ),
        "recruits_per_month_2014_15": mean_series(series.arrived_foreign, "2014-01", "2015-12"),
        "recruits_per_month_spring_2016": mean_series(series.arrived_foreign, "2016-03", "2016-05"),
        "recruits_per_month_autumn_2016": mean_series(series.arrived_foreign, "2016-09", "2016-11"),
        "in_iraq_syria_2018": float(counts[t18][list(iraq_syria)].sum()),
        "public_defections_2014_2015": float(
            series.public_defections[_month(m, "2014-01") : _month(m, "2015-08") + 1].sum()
        ),
        "reoffending_share": share(pop.reoffended[:n], pop.ever_released[:n]),
        "new_recruits": tally["new_recruits"],
        "came_of_age": tally["came_of_age"],
    }
    return row


def pool_end(m: RegroupModel) -> dict[str, float]:
    """The connected pool's make-up in the last month, the rival pool and the supporters."""
    c, out, series = composition(m.world), m.world.out, m.series
    end = m.months - 1
    members = c.state[end].sum()

    def mean(total: float) -> float:
        return float(total / members) if members else math.nan

    return {
        "rival_pool_end": float(series.rival_pool[end]),
        "supporters_end": float(series.supporters[end]),
        "pool_ever_imprisoned_end": float(out.scaled(c.imprisoned[end, 1])),
        "pool_foreign_end": float(out.scaled(c.region[end, 1:].sum())),
        "pool_hiding_abroad_end": float(out.scaled(c.state[end, State.HIDING_ABROAD])),
        "pool_mean_ideology_end": mean(c.ideology[end]),
        "pool_mean_loyalty_end": mean(c.loyalty[end]),
    }


def pool_composition(m: RegroupModel) -> dict[str, np.ndarray]:
    """The connected pool by month: persons by state (free states), role, region of origin
    and ever imprisoned; its members' mean ideology and loyalty (NaN when empty)."""
    c, scaled = composition(m.world), m.world.out.scaled
    members = c.state.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ideology = np.where(members > 0, c.ideology / members, np.nan)
        loyalty = np.where(members > 0, c.loyalty / members, np.nan)
    data = {f"pool_state_{s.label}": scaled(c.state[:, s]) for s in FREE_STATES}
    data |= {f"pool_role_{r.label}": scaled(c.role[:, r]) for r in Role}
    data |= {f"pool_origin_{r.label}": scaled(c.region[:, r]) for r in Region}
    data["pool_never_imprisoned"] = scaled(c.imprisoned[:, 0])
    data["pool_ever_imprisoned"] = scaled(c.imprisoned[:, 1])
    data["pool_mean_ideology"] = ideology
    data["pool_mean_loyalty"] = loyalty
    return data


STATE_NAMES = [s.label for s in State]
ROLE_NAMES = [r.label for r in Role]


def _months(m: RegroupModel, t: np.ndarray) -> pd.Categorical:
    """The month column of a monthly table: month ``t`` of each row, its label a category
    (every month of the run, in order), made from the codes (labelling every row first and
    looking each label up took 7 ms a table of 30,000 rows)."""
    return pd.Categorical.from_codes(t, m.month_label(np.arange(m.months)))


def timeseries(m: RegroupModel) -> pd.DataFrame:
    """People by month x state x role x origin (persons; zero cells left out)."""
    t, s, r, o = np.nonzero(m.counts)
    return pd.DataFrame(
        {
            "month": _months(m, t),
            "state": pd.Categorical.from_codes(s, STATE_NAMES),
            "role": pd.Categorical.from_codes(r, ROLE_NAMES),
            "origin": pd.Categorical.from_codes(o, ["local", "foreign"]),
            "persons": m.counts[t, s, r, o].astype(np.float64),
        }
    )


def indicators(m: RegroupModel) -> pd.DataFrame:
    """Monthly scalars: appeal, arrivals, public defections, the regrouping pool by region,
    the rival pool, the supporters, and the connected pool's composition."""
    s, counts = m.series, m.counts
    data: dict[str, Any] = {
        "month": m.month_label(np.arange(m.months)),
        "territorial_control": m.schedule.control,
        "appeal": s.appeal,
        "arrived_foreign": s.arrived_foreign,
        "arrived_local": s.arrived_local,
        "public_defections": s.public_defections,
        "free": counts[:, list(FREE_STATES)].sum(axis=(1, 2, 3)),
        "pool": s.pool,
        "connected_pool": s.connected_pool,
        "largest_pool": s.largest_pool,
        "pool_funds_usd": s.pool_funds,
        "rival_pool": s.rival_pool,
        "supporters": s.supporters,
        **pool_composition(m),
    }
    for r in Region:
        data[f"pool_{r.label}"] = s.pool_by_region[:, r]
        data[f"largest_pool_{r.label}"] = s.largest_by_region[:, r]
        data[f"pool_funds_usd_{r.label}"] = s.funds_by_region[:, r]
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------- by place, origin
PLACES = tuple(p.label for p in Place)
REGIONS = tuple(r.label for r in Region)
CATEGORY_LABELS = {"place": PLACES, "region": REGIONS}
SNAPSHOT_MONTH = "06"  # a year's value is its June's: mid-year, as the UN monitors' counts
# outputs also read at given years: ``<stem>_<place>_<year>``
SNAPSHOTS = {"potential_by_place": (2020, 2025, 2030), "members_by_place": (2018, 2020)}
# ... and summed over Iraq and Syria (``<stem>_iraq_syria_<year>``): counts of people, which
# add up (the potential, a largest pool per place, does not)
SUMMED = ("members_by_place",)
THE_REGION_LABEL = "iraq_syria"
ALIVE = tuple(s for s in State if s not in (State.PENDING, State.DEAD))
END_BY_PLACE = {"in": ALIVE, "hiding": HIDING_STATES, "detained": HELD_BY_STATES}
FOREIGN = tuple(r for r in Region if r != Region.LOCAL)
BY_ORIGIN = {"killed": tuple(Region), "returned": FOREIGN, "imprisoned": tuple(Region)}


def stem(name: str) -> str:
    """An output's name without ``_by_place`` or ``_by_region``: the stem of its columns."""
    return name.removesuffix("_by_place").removesuffix("_by_region")


def _prefix(name: str, o: Output) -> str:
    """Where an output's category goes in its column names: ``<stem>_`` and the place, or
    ``<stem>_origin_`` and the region of origin (``pool_origin_north_africa_end``, so that no
    region's column is taken for a place's, ``pool_north_africa_end``)."""
    return f"{stem(name)}_origin_" if o.by == "region" else f"{stem(name)}_"


def split_columns(declared: Mapping[str, Output]) -> list[str]:
    """The columns :func:`split_row` gives, in order, for the ``declared`` outputs;
    ValueError, naming the output, if one would take a column that another already has."""
    cols = [f"{k}_{r.label}" for k, regions in BY_ORIGIN.items() for r in regions]
    cols += [f"{k}_{p}_end" for k in END_BY_PLACE for p in PLACES]
    for name, o in declared.items():
        if o.by is None:
            continue
        labels, pre = CATEGORY_LABELS[o.by], _prefix(name, o)
        mine = [f"{pre}{c}" if o.flow else f"{pre}{c}_end" for c in labels]
        for year in SNAPSHOTS.get(name, ()):
            mine += [f"{pre}{c}_{year}" for c in labels]
            if name in SUMMED:
                mine.append(f"{pre}{THE_REGION_LABEL}_{year}")
        clash = set(mine) & {*cols, *OUTCOMES, *CALIBRATION}
        if clash:
            raise ValueError(
                f"output {name!r}: its outcome column(s) {', '.join(sorted(clash))} are "
                "already taken; rename the output"
            )
        cols += mine
    cols.append("regroup_place")
    return cols


def split_row(m: RegroupModel) -> dict[str, Any]:
    """Outcomes by region of origin and by place, in persons (USD for funds):

    * ``killed_<region>`` (dead by the end), ``returned_<region>`` (foreign, ever back home:
      field ``returned`` >= 0), ``imprisoned_<region>`` (ever in a state prison);
    * ``in_<place>_end`` (alive), ``hiding_<place>_end``, ``detained_<place>_end`` (held by
      states) in the last month;
    * each output declared ``by`` place or region: its total over the run per category
      (``<stem>_<place>``, ``<stem>_origin_<region>``) for a flow, else its last month
      (``<stem>_<place>_end``, ``<stem>_origin_<region>_end``);
      the outputs of :data:`SNAPSHOTS` also in June of each of their years
      (``<stem>_<place>_<year>``; those of :data:`SUMMED` also ``<stem>_iraq_syria_<year>``,
      Iraq and Syria together; NaN outside the run);
    * ``regroup_place``: the place of the regroup event (``pd.NA`` if none).
    """
    pop, out = m.pop, m.world.out
    n, end = pop.n, m.months - 1
    state, region = pop.state[:n], pop.region[:n]
    held = {
        "killed": state == State.DEAD,
        "returned": pop.returned[:n] >= 0,
        "imprisoned": pop.ever_imprisoned[:n],
    }
    row: dict[str, Any] = {}
    for what, regions in BY_ORIGIN.items():
        per = out.scaled(np.bincount(region[held[what]], minlength=len(Region)))
        row |= {f"{what}_{r.label}": float(per[r]) for r in regions}
    last = m.counts_by_place[end]
    for what, states in END_BY_PLACE.items():
        per = last[list(states)].sum(axis=0)
        row |= {f"{what}_{p.label}_end": float(per[p]) for p in Place}
    series = vars(m.series)
    for name, o in out.declared.items():
        if o.by is None:
            continue
        labels, pre, values = CATEGORY_LABELS[o.by], _prefix(name, o), series[name]
        at = values.sum(axis=0) if o.flow else values[end]
        suffix = "" if o.flow else "_end"
        row |= {f"{pre}{c}{suffix}": float(v) for c, v in zip(labels, at, strict=True)}
        for year in SNAPSHOTS.get(name, ()):
            t = month_index(f"{year}-{SNAPSHOT_MONTH}", m.p.time.start)
            at = values[t] if 0 <= t < m.months else np.full(len(labels), math.nan)
            row |= {f"{pre}{c}_{year}": float(v) for c, v in zip(labels, at, strict=True)}
            if name in SUMMED:
                row[f"{pre}{THE_REGION_LABEL}_{year}"] = float(at[list(THE_REGION)].sum())
    where = m.regroup_place
    row["regroup_place"] = pd.NA if where is None else where.label  # NA: the table's missing
    return row


def _long(m: RegroupModel, counts: np.ndarray, column: str, labels: tuple[str, ...]):
    """Persons by month x state x ``column`` (zero cells left out)."""
    t, s, c = np.nonzero(counts)
    return pd.DataFrame(
        {
            "month": _months(m, t),
            "state": pd.Categorical.from_codes(s, STATE_NAMES),
            column: pd.Categorical.from_codes(c, labels),
            "persons": counts[t, s, c].astype(np.float64),
        }
    )


def timeseries_by_place(m: RegroupModel) -> pd.DataFrame:
    """People by month x state x place (persons; zero cells left out)."""
    return _long(m, m.counts_by_place, "place", PLACES)


def timeseries_by_origin(m: RegroupModel) -> pd.DataFrame:
    """People by month x state x region of origin (persons; zero cells left out)."""
    return _long(m, m.counts_by_origin, "origin", REGIONS)


def _outputs_by(m: RegroupModel, by: str, column: str) -> pd.DataFrame | None:
    """Every output declared ``by`` place or region, month by month: one row per month and
    category (``column``), one column per output (its :func:`stem`); None if there is none."""
    names = [k for k, o in m.world.out.declared.items() if o.by == by]
    if not names:
        return None
    labels, series = CATEGORY_LABELS[by], vars(m.series)
    data: dict[str, Any] = {
        "month": _months(m, np.repeat(np.arange(m.months), len(labels))),
        column: pd.Categorical.from_codes(np.tile(np.arange(len(labels)), m.months), labels),
    }
    data |= {stem(k): np.asarray(series[k], dtype=np.float64).reshape(-1) for k in names}
    return pd.DataFrame(data)


def indicators_by_place(m: RegroupModel) -> pd.DataFrame | None:
    """The outputs declared by place, per month and place (None if there is none)."""
    return _outputs_by(m, "place", "place")


def indicators_by_origin(m: RegroupModel) -> pd.DataFrame | None:
    """The outputs declared by region of origin, per month and region (None if none)."""
    return _outputs_by(m, "region", "origin")


# every monthly table by folder name; those with ``timeseries`` in the name count people by
# state (an experiment's ``timeseries: false`` leaves them out)
MONTHLY: dict[str, Callable[[RegroupModel], pd.DataFrame | None]] = {
    "timeseries": timeseries,
    "indicators": indicators,
    "timeseries_by_place": timeseries_by_place,
    "timeseries_by_origin": timeseries_by_origin,
    "indicators_by_place": indicators_by_place,
    "indicators_by_origin": indicators_by_origin,
}


def _declared() -> dict[str, Output]:
    from regroup.core.model import OUTPUTS

    return OUTPUTS


SPLIT = tuple(split_columns(_declared()))  # the columns of split_row for the model's outputs


def declared_by(by: str) -> dict[str, Output]:
    """The model's outputs declared ``by`` place or region, by the stem that names their
    column in the monthly tables (``potential`` for ``potential_by_place``)."""
    return {stem(k): o for k, o in _declared().items() if o.by == by}


LABEL_OUTCOMES = ("regroup_place",)  # outcome columns that hold a label, not a number
