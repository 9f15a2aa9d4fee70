"""What a run reports: one row of outcomes, and monthly tables, all in persons.

Every outcome is defined in the README (section "Outcomes"); the definitions below are the
code behind them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from regroup.config.fields import month_index
from regroup.core.schedules import year_of
from regroup.core.states import FREE_STATES, HIDING_STATES, Region, Role, State
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


def timeseries(m: RegroupModel) -> pd.DataFrame:
    """People by month x state x role x origin (persons; zero cells left out)."""
    t, s, r, o = np.nonzero(m.counts)
    return pd.DataFrame(
        {
            "month": pd.Categorical(m.month_label(t), categories=m.month_label(range(m.months))),
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
