"""The one source of every parameter: name, unit, default, allowed range and source.

Groups mirror the mechanism modules. Rates are monthly probabilities unless the unit says
otherwise. Sources name a seed file (``seed 003`` is ``003_b4ca4e9215a03097.txt`` in
``shared/seeds``), a publication, or say plainly ``assumption``; assumptions are what
calibration and sensitivity analysis are for.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from regroup.states import Region, Role

SEED_000 = "seed 000 (VICE News on defectors, Deen's three categories)"
SEED_001 = "seed 001 (Foreign Affairs, foreign fighters who left ISIS)"
SEED_002 = "seed 002 (NJOHSP on the ICSR defector study)"
SEED_003 = "seed 003 (Mironova, NATO Review 2018)"
SEED_004 = "seed 004 (Soufan Center via news report)"
ASSUMPTION = "assumption"


def param(
    default: Any,
    unit: str,
    source: str,
    doc: str,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A parameter field carrying its unit and source for the generated docs."""
    return Field(
        default,
        ge=ge,
        le=le,
        description=doc,
        json_schema_extra={"unit": unit, "source": source},
    )


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, assignments are checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class Range(Strict):
    """A uniform range ``low``–``high``."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError("low must be <= high")
        return self


def _within(ge: float, le: float):
    def check(r: Range) -> Range:
        if r.low < ge or r.high > le:
            raise ValueError(f"range must lie within [{ge}, {le}]")
        return r

    return AfterValidator(check)


def RangeIn(ge: float, le: float) -> Any:  # noqa: N802 - used as a type
    """A Range whose ends must lie within [ge, le]."""
    return Annotated[Range, _within(ge, le)]


def range_param(low: float, high: float, unit: str, source: str, doc: str, ge: float, le: float):
    """A range parameter; its allowed bounds go in the annotation ``RangeIn(ge, le)``."""
    return Field(
        default_factory=lambda: Range(low=low, high=high),
        description=doc,
        json_schema_extra={"unit": unit, "source": source, "bounds": [ge, le]},
    )


def _per_key_model(name: str, keys: list[str], doc: str, shares: bool, ge: float, le: float):
    """A model with one float field per role or region; optionally shares summing to 1."""
    fields = {k: (float, Field(ge=ge, le=le)) for k in keys}
    from pydantic import create_model

    def _sum_to_one(self):
        total = sum(getattr(self, k) for k in keys)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1 (they sum to {total:.6g})")
        return self

    validators = {"_sum": model_validator(mode="after")(_sum_to_one)} if shares else {}
    return create_model(name, __base__=Strict, __doc__=doc, __validators__=validators, **fields)


ROLE_KEYS = [r.label for r in Role]
REGION_KEYS = [r.label for r in Region if r != Region.LOCAL]

RoleShares = _per_key_model("RoleShares", ROLE_KEYS, "Shares by role", True, 0.0, 1.0)
RegionShares = _per_key_model("RegionShares", REGION_KEYS, "Shares by region", True, 0.0, 1.0)
RoleProbs = _per_key_model("RoleProbs", ROLE_KEYS, "A value in [0, 1] by role", False, 0.0, 1.0)
RoleFactors = _per_key_model("RoleFactors", ROLE_KEYS, "A factor >= 0 by role", False, 0.0, 50.0)
RegionFactors = _per_key_model(
    "RegionFactors", REGION_KEYS, "A factor >= 0 by region", False, 0.0, 50.0
)
RoleFunds = _per_key_model("RoleFunds", ROLE_KEYS, "USD by role", False, 0.0, 1e7)


def table(model: type[BaseModel], values: dict[str, float], unit: str, source: str, doc: str):
    """A per-role or per-region table parameter."""
    return Field(
        default_factory=lambda: model(**values),
        description=doc,
        json_schema_extra={"unit": unit, "source": source},
    )


# --------------------------------------------------------------------------- schedules

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(date: str, start: str = "2013-01") -> int:
    """Months from ``start`` to ``date`` (both ``YYYY-MM``)."""
    y, m = (int(x) for x in _MONTH.match(date).groups())
    y0, m0 = (int(x) for x in _MONTH.match(start).groups())
    return (y - y0) * 12 + (m - m0)


def _check_month(v: Any) -> str:
    v = str(v)
    m = _MONTH.match(v)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{v!r} is not a month written YYYY-MM")
    return v


Month = Annotated[str, AfterValidator(_check_month)]


class Schedule(Strict):
    """A piecewise-linear schedule: (month, value) points, constant beyond the ends."""

    points: list[tuple[Month, Annotated[float, Field(ge=0.0, le=1.0)]]] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, v: Any) -> Any:
        return {"points": v} if isinstance(v, list) else v

    @field_validator("points")
    @classmethod
    def _ascending(cls, pts):
        months = [month_index(d) for d, _ in pts]
        if any(b <= a for a, b in zip(months, months[1:], strict=False)):
            raise ValueError("dates must be strictly increasing")
        return pts


def schedule_param(points: list[tuple[str, float]], unit: str, source: str, doc: str):
    return Field(
        default_factory=lambda: Schedule(points=points),
        description=doc,
        json_schema_extra={"unit": unit, "source": source},
    )


# --------------------------------------------------------------------------- groups


class Time(Strict):
    start: Month = param("2013-01", "YYYY-MM", "model brief (Time)", "First simulated month.")
    end: Month = param("2032-12", "YYYY-MM", "model brief (Time)", "Last simulated month.")

    @model_validator(mode="after")
    def _order(self) -> Time:
        if month_index(self.end, self.start) < 1:
            raise ValueError("end must be after start")
        return self


class Schedules(Strict):
    """Exogenous time schedules, each a list of (YYYY-MM, value in [0, 1]) points."""

    territorial_control: Schedule = schedule_param(
        [
            ("2013-01", 0.01),
            ("2013-12", 0.2),
            ("2014-06", 0.85),
            ("2014-12", 1.0),
            ("2015-06", 1.0),
            ("2016-01", 0.8),
            ("2016-10", 0.6),
            ("2017-07", 0.35),
            ("2017-10", 0.15),
            ("2018-06", 0.08),
            ("2019-03", 0.0),
        ],
        "share of 2015 peak",
        "model brief (Time): rise 2013-14, apex 2014-15, Mosul 2017-07, Raqqa 2017-10, "
        "last territory 2019-03; intermediate values an assumption",
        "Territory the group holds, relative to its peak.",
    )
    combat_intensity: Schedule = schedule_param(
        [
            ("2013-01", 0.3),
            ("2014-06", 0.5),
            ("2015-01", 0.7),
            ("2016-06", 0.9),
            ("2017-01", 1.0),
            ("2017-10", 1.0),
            ("2018-06", 0.6),
            ("2019-03", 0.4),
            ("2020-01", 0.1),
        ],
        "share of peak",
        "model brief (Time): coalition campaign from 2015; shape an assumption",
        "Intensity of fighting; scales combat death hazards.",
    )
    border_control: Schedule = schedule_param(
        [
            ("2013-01", 0.05),
            ("2014-12", 0.15),
            ("2015-09", 0.45),
            ("2016-04", 0.85),
            ("2016-10", 0.97),
            ("2019-01", 0.97),
        ],
        "share",
        "assumption shaped to the fall in recruits per month reported by US officials "
        "(1,500-2,000 in 2014-15, about 50 in autumn 2016)",
        "How closed the borders are to travellers and escapees.",
    )
    enforcement: Schedule = schedule_param(
        [
            ("2013-01", 0.05),
            ("2014-06", 0.3),
            ("2015-06", 1.0),
            ("2017-10", 0.9),
            ("2018-06", 0.5),
            ("2019-03", 0.2),
        ],
        "share",
        "seed 003 (kill-on-escape policy); decline with territorial loss an assumption",
        "The group's capacity to enforce its kill-on-escape policy.",
    )


class Population(Strict):
    scale: float = param(
        1.0,
        "persons per agent",
        "model design",
        "Persons each agent stands for; 1 is full scale. Outcomes are reported in persons.",
        ge=0.1,
        le=1000.0,
    )
    foreign_peak_recruits_per_month: float = param(
        2450.0,
        "persons/month",
        "US officials: 1,500-2,000 new foreign recruits a month in 2014-15 (model brief)",
        "Foreign arrivals a month at full appeal with open borders.",
        ge=0.0,
        le=10000.0,
    )
    destination_control: float = param(
        0.3,
        "share of territory",
        "assumption (a small territory draws fewer travellers; none once it is gone)",
        "Territory below which foreign inflow falls in proportion to the territory held.",
        ge=0.01,
        le=1,
    )
    local_recruits_per_month: float = param(
        1300.0,
        "persons/month",
        "assumption: locals joined for pay and food (seed 003); sized so about 20,000-30,000 "
        "members remain in Iraq and Syria in 2018 (UN Monitoring Team)",
        "Local arrivals a month at full territorial control.",
        ge=0.0,
        le=10000.0,
    )
    foreign_region_shares: RegionShares = table(
        RegionShares,
        {
            "north_africa": 0.30,
            "europe_turkey": 0.20,
            "former_soviet": 0.22,
            "middle_east_gulf": 0.20,
            "other": 0.08,
        },
        "share",
        "seed 000 (half North Africa, up to a quarter Europe and Turkey), seed 001 "
        "(Russian-speakers the largest group), ICSR 2018 (about 45% MENA): a reconciliation, "
        "assumption",
        "Regions of origin of foreign affiliates.",
    )
    foreign_role_shares: RoleShares = table(
        RoleShares,
        {
            "zealot": 0.10,
            "veteran": 0.10,
            "novice": 0.30,
            "settler": 0.13,
            "dissident": 0.05,
            "leader": 0.02,
            "amni": 0.05,
            "local_recruit": 0.0,
            "woman": 0.13,
            "minor": 0.12,
        },
        "share",
        "ICSR 2018 (13% women, 12% minors); seeds 000, 001, 003 for the fighter categories, "
        "whose shares are an assumption",
        "Roles of foreign arrivals.",
    )
    local_role_shares: RoleShares = table(
        RoleShares,
        {
            "zealot": 0.05,
            "veteran": 0.15,
            "novice": 0.12,
            "settler": 0.0,
            "dissident": 0.0,
            "leader": 0.03,
            "amni": 0.05,
            "local_recruit": 0.55,
            "woman": 0.03,
            "minor": 0.02,
        },
        "share",
        "seed 003 (prisons hold mostly low-level locals who joined for pay); shares assumption",
        "Roles of local arrivals.",
    )
    minor_age_years: RangeIn(0, 18) = range_param(
        3, 15, "years", "assumption", "Age of arriving minors (uniform).", ge=0, le=18
    )
    fighting_age_years: float = param(
        15.0, "years", "assumption", "Age at which minors become of fighting age.", ge=10, le=20
    )
    local_children_per_member: float = param(
        0.3,
        "children/member",
        "seed 003 (members' children reach fighting age within the decade); count assumption",
        "Children of local members who come of age within the simulated period.",
        ge=0.0,
        le=3.0,
    )
    child_commitment: float = param(
        0.8,
        "factor",
        "seed 003 (children of fighters as fresh blood); value assumption",
        "A child's commitment on coming of age, relative to the parent's.",
        ge=0,
        le=1.5,
    )
    unit_size: int = param(
        12, "persons", "assumption", "Size of the fighting units that tie members.", ge=2, le=200
    )


class Attributes(Strict):
    """Initial attributes by role."""

    commitment: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.95,
            "veteran": 0.85,
            "novice": 0.65,
            "settler": 0.5,
            "dissident": 0.2,
            "leader": 0.8,
            "amni": 0.85,
            "local_recruit": 0.25,
            "woman": 0.6,
            "minor": 0.5,
        },
        "0-1",
        "seed 003 role descriptions (zealots joined to die, veterans highly dedicated, locals "
        "joined for pay, dissidents turned on the leadership); values assumption",
        "Mean commitment to the group on arrival (individuals vary by +-0.1).",
    )
    skill: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.35,
            "veteran": 0.75,
            "novice": 0.1,
            "settler": 0.05,
            "dissident": 0.4,
            "leader": 0.7,
            "amni": 0.6,
            "local_recruit": 0.2,
            "woman": 0.03,
            "minor": 0.0,
        },
        "0-1",
        "seed 003 (novices inexperienced, veterans experienced); seed 000 (low quality of "
        "foreign recruits); values assumption",
        "Mean skill on arrival (individuals vary by +-0.1).",
    )
    funds_usd: RoleFunds = table(
        RoleFunds,
        {
            "zealot": 800,
            "veteran": 2500,
            "novice": 1500,
            "settler": 2500,
            "dissident": 1500,
            "leader": 20000,
            "amni": 8000,
            "local_recruit": 300,
            "woman": 300,
            "minor": 0,
        },
        "USD",
        "seed 003 (settlers trapped with no money, fee $7,000-10,000 out of reach); "
        "values assumption",
        "Mean personal funds on arrival (exponentially distributed).",
    )
    region_funds: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.8,
            "europe_turkey": 4.0,
            "former_soviet": 1.0,
            "middle_east_gulf": 2.0,
            "other": 1.0,
        },
        "factor (locals 1)",
        "seed 003 (relatives abroad sent money to fighters); values assumption",
        "Personal funds of foreigners relative to the role's mean.",
    )
    known_share: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.5,
            "veteran": 0.6,
            "novice": 0.5,
            "settler": 0.4,
            "dissident": 0.5,
            "leader": 0.8,
            "amni": 0.1,
            "local_recruit": 0.6,
            "woman": 0.3,
            "minor": 0.1,
        },
        "share",
        "seed 003 (Amni masked and unknown to the coalition); values assumption",
        "Share known to the authorities.",
    )
    documents_share: float = param(
        0.6,
        "share",
        "seed 003 (defectors hide without documents); value assumption",
        "Share of foreigners who keep usable travel documents.",
        ge=0,
        le=1,
    )


class Combat(Strict):
    death_hazard: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.03,
            "veteran": 0.006,
            "novice": 0.012,
            "settler": 0.002,
            "dissident": 0.01,
            "leader": 0.004,
            "amni": 0.002,
            "local_recruit": 0.006,
            "woman": 0.002,
            "minor": 0.002,
        },
        "probability/month",
        "seed 003 (zealots volunteer for suicidal missions and die early, novices die by "
        "errors, veterans fight to the end); values assumption calibrated to seed 000 "
        "(as many as 25,000 foreigners killed) and the EU CT coordinator (15-20% of Europeans)",
        "Monthly death probability in territory at full combat intensity.",
    )
    region_exposure: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.8,
            "europe_turkey": 0.05,
            "former_soviet": 1.0,
            "middle_east_gulf": 0.8,
            "other": 0.7,
        },
        "factor (locals 1)",
        "seed 000 (the main front-line fighters were Iraqis and Syrians; foreigners were "
        "propaganda assets), seed 003 (Russian-speakers from the Caucasus fought to the end); "
        "values assumption calibrated to the EU CT coordinator (15-20% of Europeans dead, 2017)",
        "Exposure of foreigners to death in combat and when overrun, relative to locals.",
    )
    skill_gain_per_month: float = param(
        0.02,
        "skill/month",
        "seed 003 (skill grows with months at the front); value assumption",
        "Skill gained per month at the front at full intensity.",
        ge=0,
        le=0.2,
    )
    front_transfer_rate: float = param(
        0.15,
        "probability/month",
        "seed 003 (dissidents sent from prison to the front when fighters ran short)",
        "Monthly probability a group prisoner is sent to the front, times the fighter shortage.",
        ge=0,
        le=1,
    )


class Security(Strict):
    """Internal security (Amni): dissent, group prison, executions."""

    detection: float = param(
        0.02,
        "probability/month",
        "seed 003 (anyone heard discussing escape imprisoned, anyone escaping killed)",
        "Monthly probability Amni catches a member who wants to leave, times enforcement.",
        ge=0,
        le=1,
    )
    execute_share: float = param(
        0.25,
        "share",
        "seed 003; value assumption",
        "Share of those caught who are killed on the spot rather than imprisoned.",
        ge=0,
        le=1,
    )
    prison_execution: float = param(
        0.02,
        "probability/month",
        "seed 003 (dissidents killed in ISIS prisons); value assumption",
        "Monthly probability a group prisoner is executed.",
        ge=0,
        le=1,
    )


class Disillusionment(Strict):
    """The four defector narratives (seed 002) and territorial loss raise the wish to leave."""

    infighting: float = param(
        0.006, "wish/month", SEED_002, "Push of group infighting.", ge=0, le=0.5
    )
    brutality: float = param(
        0.006, "wish/month", SEED_002, "Push of brutality against Sunnis.", ge=0, le=0.5
    )
    corruption: float = param(
        0.004, "wish/month", SEED_002, "Push of corruption and 'un-Islamic' conduct.", ge=0, le=0.5
    )
    quality_of_life: float = param(
        0.006, "wish/month", SEED_002, "Push of poor quality of life.", ge=0, le=0.5
    )
    territorial_loss: float = param(
        0.08,
        "wish/month",
        "seeds 000, 001 (exodus as the caliphate crumbles)",
        "Push per month times the share of peak territory lost.",
        ge=0,
        le=1,
    )
    sensitivity: RoleFactors = table(
        RoleFactors,
        {
            "zealot": 0.2,
            "veteran": 0.3,
            "novice": 1.0,
            "settler": 1.5,
            "dissident": 3.0,
            "leader": 0.4,
            "amni": 0.3,
            "local_recruit": 1.2,
            "woman": 1.0,
            "minor": 0.5,
        },
        "factor",
        "seeds 001, 003 (dissidents and settlers most disillusioned); values assumption",
        "How strongly each role feels the narratives.",
    )
    settler_war_push: float = param(
        0.04,
        "wish/month",
        "seed 001 (after 2015 settlers found the caliphate too dangerous)",
        "Extra push on settlers, women and minors times combat intensity.",
        ge=0,
        le=1,
    )
    leader_despair_control: float = param(
        0.4,
        "share of territory",
        "seeds 001, 003 (leaders left from 2017, when recovery looked impossible)",
        "Territory below which leaders judge the territory lost and want to leave.",
        ge=0,
        le=1,
    )
    leader_despair_push: float = param(
        0.25,
        "wish/month",
        "seeds 001, 003 (leaders left once recovery looked impossible); value assumption",
        "Monthly push on leaders once territory is below leader_despair_control.",
        ge=0,
        le=1,
    )
    leave_threshold: float = param(
        0.5, "0-1", ASSUMPTION, "Wish to leave above which a member tries to.", ge=0.05, le=1
    )
    commitment_loss: float = param(
        0.5,
        "commitment per unit wish",
        ASSUMPTION,
        "Commitment lost per unit of wish to leave gained.",
        ge=0,
        le=2,
    )
    region_leave_factor: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 1.0,
            "europe_turkey": 3.5,
            "former_soviet": 0.7,
            "middle_east_gulf": 1.2,
            "other": 1.0,
        },
        "factor",
        "EU CT coordinator 2017 (30-35% of Europeans returned) against ICSR 2018 (about 18% "
        "of all foreigners): Europeans left more; values assumption",
        "How much more readily members of each foreign region want to leave.",
    )


class Escape(Strict):
    smuggler_fee_usd: RangeIn(0, 1e6) = range_param(
        7000, 10000, "USD/person", SEED_003, "Smuggler's fee per person.", ge=0, le=1e6
    )
    search_months: float = param(
        4.0,
        "months",
        "seed 001 (one man searched for a smuggler for almost a year); mean an assumption",
        "Mean months to find a smuggler.",
        ge=0.5,
        le=36,
    )
    crackdown_search_effect: float = param(
        0.7,
        "share",
        "model brief (smuggling crackdowns); value assumption",
        "Share by which a full smuggling crackdown cuts the chance of finding a smuggler.",
        ge=0,
        le=1,
    )
    amni_smuggler_share: float = param(
        0.1,
        "share",
        "seed 003 (the smuggler may work for Amni, take the money and kill)",
        "Share of smugglers who work for Amni.",
        ge=0,
        le=1,
    )
    border_capture: float = param(
        0.6,
        "share",
        "seed 000 (many captured crossing into Turkey)",
        "Probability of capture at the border, times border control.",
        ge=0,
        le=1,
    )
    self_exit_rate: float = param(
        0.3,
        "probability/month",
        "seeds 000, 001 (early leavers crossed back into Turkey); seed 003 (later, anyone "
        "caught escaping was killed); value assumption",
        "Monthly probability that someone without the smuggler's fee tries to leave alone, "
        "times (1 - enforcement).",
        ge=0,
        le=1,
    )
    desperate_exit_rate: float = param(
        0.005,
        "probability/month",
        "seeds 001, 003 (dissidents tried to flee in 2014-15, very few succeeded)",
        "Monthly probability that someone without the fee tries to leave alone whatever the "
        "enforcement.",
        ge=0,
        le=1,
    )
    on_foot_detection: float = param(
        0.25,
        "probability",
        SEED_003,
        "Probability that an attempt alone is caught, times enforcement (caught = killed).",
        ge=0,
        le=1,
    )
    leader_bribe_success: float = param(
        0.5,
        "probability/month",
        "seed 003 (leaders bribed their way out, foreign leaders bought documents)",
        "Monthly probability that a leader who wants to leave bribes his way out.",
        ge=0,
        le=1,
    )
    amni_walkaway: float = param(
        0.3,
        "probability/month",
        "seed 003 (Amni walked away: unknown, masked, with funds)",
        "Monthly probability an Amni member who wants to leave walks away.",
        ge=0,
        le=1,
    )
    go_home_share: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.3,
            "europe_turkey": 0.85,
            "former_soviet": 0.15,
            "middle_east_gulf": 0.4,
            "other": 0.3,
        },
        "share",
        "seed 001 (Russian-speakers hide in Eastern Europe and Central Asia), seed 004 "
        "(Turkey 900, Tunisia 800, Saudi Arabia 760 returned); values assumption",
        "Share of escaped foreigners who go straight home rather than hide abroad.",
    )
    theft_until: Month = param(
        "2014-12",
        "YYYY-MM",
        "seeds 001, 003 (early absconders stole funds for equipment or operations abroad)",
        "Last month in which leavers may take group funds.",
    )
    theft_share: float = param(
        0.3, "share", SEED_001, "Share of early leavers who take group funds.", ge=0, le=1
    )
    trauma_share: float = param(
        0.3,
        "share",
        "seed 000 (Deen: the disturbed, with trauma akin to PTSD); value assumption",
        "Share of leavers, not dedicated, who leave disturbed rather than disillusioned.",
        ge=0,
        le=1,
    )
    group_funds_usd: float = param(
        60000.0,
        "USD",
        "seed 003 (leaders and Amni left with large amounts of group money); value assumption",
        "Mean group money taken by a leader, an Amni member or an early thief who leaves.",
        ge=0,
        le=1e7,
    )


class Collapse(Strict):
    local_captured: float = param(
        0.45,
        "share",
        "seed 003 (locals surrendered or were taken alive and fill the prisons)",
        "Share of overrun locals captured alive.",
        ge=0,
        le=1,
    )
    foreign_captured: float = param(
        0.3, "share", SEED_003, "Share of overrun foreigners captured alive.", ge=0, le=1
    )
    die_fighting: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.8,
            "veteran": 0.6,
            "novice": 0.35,
            "settler": 0.15,
            "dissident": 0.3,
            "leader": 0.5,
            "amni": 0.1,
            "local_recruit": 0.1,
            "woman": 0.1,
            "minor": 0.1,
        },
        "share",
        "seed 003 (veterans fight to the last breath, leaders refuse to surrender alive); "
        "values assumption",
        "Share of overrun members of each role who die fighting.",
    )
    exposure: float = param(
        0.5,
        "factor",
        ASSUMPTION,
        "Share of members in a lost area who are overrun (per unit of territory lost).",
        ge=0,
        le=1,
    )


class Justice(Strict):
    """Return home, prosecution, monitoring."""

    repatriation: RegionFactors = table(
        RegionFactors,
        {
            "north_africa": 0.003,
            "europe_turkey": 0.003,
            "former_soviet": 0.005,
            "middle_east_gulf": 0.003,
            "other": 0.003,
        },
        "probability/month",
        "assumption (slow repatriation from camps and prisons in Iraq and Syria)",
        "Monthly probability a detained foreigner is sent home.",
    )
    deportation_months: float = param(
        12.0,
        "months",
        "seed 000 (border police in Turkey)",
        "Mean months before a foreigner caught leaving is deported home (many were held "
        "for long in Turkey, or by the forces that caught them).",
        ge=0.5,
        le=24,
    )
    prosecution: float = param(
        0.55,
        "share",
        "seed 004 ('most are imprisoned, or disappear from view'); seed 002 (almost all face "
        "proceedings)",
        "Share of returnees who are prosecuted and imprisoned.",
        ge=0,
        le=1,
    )
    monitored: float = param(
        0.6,
        "share",
        "seed 004 (returnees disappear from view); value assumption",
        "Share of free returnees the authorities monitor (the rest vanish from view).",
        ge=0,
        le=1,
    )
    camp_release: float = param(
        0.004,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a local held in a camp is released.",
        ge=0,
        le=1,
    )


class Prison(Strict):
    sentence_home_years: RangeIn(0, 50) = range_param(
        3,
        10,
        "years",
        "Europol TE-SAT 2017 and GLOBSEC 2018 (average EU terrorism sentence 5-8.6 years)",
        "Sentence at home (uniform).",
        ge=0,
        le=50,
    )
    sentence_region_years: RangeIn(0, 50) = range_param(
        5,
        20,
        "years",
        "seed 003 (low-level fighters released over the next decade); range assumption",
        "Sentence in Iraqi or Syrian prisons (uniform).",
        ge=0,
        le=50,
    )
    execution: float = param(
        0.001,
        "probability/month",
        "seed 003 (death sentences for leaders); value assumption",
        "Monthly probability a prisoner in the region is executed.",
        ge=0,
        le=1,
    )
    leader_execution_factor: float = param(
        5.0,
        "factor",
        "seed 003 (leaders face death sentences if caught); value assumption",
        "Execution risk of imprisoned leaders relative to other prisoners.",
        ge=0,
        le=100,
    )
    radicalisation: float = param(
        0.04,
        "commitment/month",
        "seed 003 (radicalisation and coordination in prisons, Camp Bucca)",
        "Monthly pull of a prisoner's commitment toward the most committed in the cell.",
        ge=0,
        le=1,
    )
    tie_formation: float = param(
        0.05,
        "probability/month",
        "seed 003 (coordination in prisons, Camp Bucca)",
        "Monthly probability a prisoner forms a tie with a cellmate.",
        ge=0,
        le=1,
    )
    isolation: float = param(
        0.1,
        "share",
        ASSUMPTION,
        "Baseline isolation of extremist prisoners: cuts radicalisation and tie formation.",
        ge=0,
        le=1,
    )
    cell_size: int = param(20, "persons", ASSUMPTION, "Prisoners per cell or block.", ge=2, le=500)


class Hiding(Strict):
    detection: float = param(
        0.01,
        "probability/month",
        "seed 003 (intelligence sharing to track down former fighters); value assumption",
        "Monthly probability that a known person in hiding is caught.",
        ge=0,
        le=1,
    )
    unknown_factor: float = param(
        0.2,
        "factor",
        "seed 003 (unknown Amni hide in towns)",
        "Detection of people unknown to the authorities, relative to known ones.",
        ge=0,
        le=1,
    )
    abroad_factor: float = param(
        0.6, "factor", ASSUMPTION, "Detection abroad relative to locally.", ge=0, le=5
    )
    living_cost_usd: float = param(
        250.0, "USD/month", ASSUMPTION, "Monthly cost of living in hiding.", ge=0, le=10000
    )
    crime_drift: float = param(
        0.03,
        "probability/month",
        "seed 003 (defectors without documents or means: easy prey for criminal networks)",
        "Monthly probability that someone without papers or funds turns to crime.",
        ge=0,
        le=1,
    )
    crime_income_usd: float = param(
        400.0,
        "USD/month",
        "seed 003 (debt collection, burglary); value assumption",
        "Monthly income in a criminal network.",
        ge=0,
        le=1e5,
    )
    commitment_decay: float = param(
        0.01,
        "commitment/month",
        "seed 003 (commitment decays unless reinforced); value assumption",
        "Monthly loss of commitment for the free without a committed tie.",
        ge=0,
        le=1,
    )
    insurgency_death: float = param(
        0.002,
        "probability/month",
        "seed 003 (some continue insurgency operations)",
        "Monthly death probability in local hiding (insurgency, raids).",
        ge=0,
        le=1,
    )
    go_home: float = param(
        0.005,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a foreigner hiding abroad with documents goes home.",
        ge=0,
        le=1,
    )


class Reintegration(Strict):
    base_rate: float = param(
        0.01,
        "probability/month",
        ASSUMPTION,
        "Monthly probability a returnee or released prisoner reintegrates without a programme.",
        ge=0,
        le=1,
    )
    programme_effect: float = param(
        0.04,
        "probability/month",
        "seed 003 (de-radicalisation and reintegration programmes)",
        "Extra monthly reintegration probability at full programme coverage.",
        ge=0,
        le=1,
    )
    deradicalisation: float = param(
        0.02,
        "commitment/month",
        SEED_003,
        "Monthly commitment loss at full programme coverage (not for the 'dangerous').",
        ge=0,
        le=1,
    )
    reintegrated_risk: float = param(
        0.3,
        "factor",
        "assumption (reintegration lowers reoffending)",
        "Reoffending risk of the reintegrated relative to other released people.",
        ge=0,
        le=1,
    )
    reoffending: float = param(
        0.0012,
        "probability/month",
        "Renard 2020; Hodwitz 2019 (terrorism reoffending 1.6-4.8%)",
        "Monthly probability a released person commits a terrorism offence, times commitment.",
        ge=0,
        le=1,
    )


class Recruitment(Strict):
    """Recruitment appeal (seeds 000, 002, 003) and remobilisation after territory is lost."""

    brand: float = param(
        0.7,
        "weight",
        "seed 003 (perceived effectiveness of the brand)",
        "Weight of territorial success in the appeal.",
        ge=0,
        le=5,
    )
    propaganda: float = param(
        0.1,
        "weight",
        "seed 000 (foreign fighters internationalised the group)",
        "Weight of the foreign fighters in territory in the appeal.",
        ge=0,
        le=5,
    )
    grievance: float = param(
        0.2,
        "weight",
        "seed 003 (quality of life and discrimination at home)",
        "Weight of grievances at home in the appeal.",
        ge=0,
        le=5,
    )
    counter_narrative: float = param(
        0.1,
        "weight",
        "seed 002, seed 003 (defectors very successful in explaining why the group failed)",
        "Weight of public defectors' counter-narrative (subtracted).",
        ge=0,
        le=5,
    )
    counter_half_saturation: float = param(
        1000.0,
        "persons",
        ASSUMPTION,
        "Public defectors at which the counter-narrative reaches half its weight.",
        ge=1,
        le=1e5,
    )
    speak_rate: float = param(
        0.025,
        "probability/month",
        "ICSR 2015 via seed 002 (58 public defections Jan 2014 - Aug 2015)",
        "Monthly probability that a disillusioned ex-member speaks publicly.",
        ge=0,
        le=1,
    )
    legal_deterrence: float = param(
        0.8,
        "share",
        "seed 002 (legal proceedings deter defectors from speaking)",
        "Share of would-be public defectors deterred by prosecution.",
        ge=0,
        le=1,
    )
    remobilise_rate: float = param(
        0.02,
        "probability/month",
        "seed 003 (experience and connections to re-establish the group)",
        "Monthly probability a dedicated member tied to a funded leader rejoins, times appeal.",
        ge=0,
        le=1,
    )
    training_gain: float = param(
        0.01,
        "skill/month",
        "seed 003 (experience needed to re-establish the group); value assumption",
        "Skill gained per month in a remobilised group.",
        ge=0,
        le=0.2,
    )
    new_recruits_per_month: float = param(
        30.0,
        "persons/month",
        "seed 003 (the brand may still attract new members with grievances)",
        "New recruits a month into a connected pool at full appeal, per critical mass.",
        ge=0,
        le=1e4,
    )


class Regroup(Strict):
    """Regrouping potential (seed 003: 'enough dedicated and qualified members')."""

    commitment_threshold: float = param(
        0.6, "0-1", SEED_003, "Commitment at or above which a member is dedicated.", ge=0, le=1
    )
    skill_threshold: float = param(
        0.3, "0-1", SEED_003, "Skill at or above which a member is qualified.", ge=0, le=1
    )
    leader_funds_usd: float = param(
        10000.0,
        "USD",
        "seed 003 (leaders with the group's money); value assumption",
        "Funds a leader or Amni member needs to anchor a pool.",
        ge=0,
        le=1e7,
    )
    critical_mass: float = param(
        1000.0,
        "persons",
        ASSUMPTION,
        "Connected pool size, with a funded leader, at which the group is deemed to regroup.",
        ge=1,
        le=1e6,
    )
    territory_lost_below: float = param(
        0.05,
        "share of territory",
        ASSUMPTION,
        "Territory below which the group counts as having lost it (regrouping can start).",
        ge=0,
        le=1,
    )


class Policy(Strict):
    """Policy levers of seed 003; 0 is today's baseline, 1 full implementation."""

    prison_measures: float = param(
        0.0,
        "0-1",
        "seed 003 (prevent prisoners from organising and radicalising others)",
        "Isolation and anti-organising measures in prisons.",
        ge=0,
        le=1,
    )
    intelligence_sharing: float = param(
        0.0,
        "0-1",
        "seed 003 (international cooperation and intelligence-sharing)",
        "Raises detection of those hiding locally and abroad.",
        ge=0,
        le=1,
    )
    intelligence_gain: float = param(
        2.0,
        "factor",
        ASSUMPTION,
        "Extra detection (relative) at full intelligence sharing.",
        ge=0,
        le=20,
    )
    reintegration: float = param(
        0.0,
        "0-1",
        "seed 003 (de-radicalisation and reintegration programmes)",
        "Coverage of programmes for returnees and released prisoners.",
        ge=0,
        le=1,
    )
    defector_voice: float = param(
        0.0,
        "0-1",
        "seed 002 (ICSR: remove legal obstacles to defectors speaking publicly)",
        "Removes the legal deterrence on public defectors.",
        ge=0,
        le=1,
    )
    grievances: float = param(
        0.0,
        "0-1",
        "seed 003 (address quality of life and discrimination)",
        "Reduces the grievance term of the appeal.",
        ge=0,
        le=1,
    )
    border_crackdown: float = param(
        0.0,
        "0-1",
        "model brief (counterfactual border control and smuggling crackdowns)",
        "Closes the remaining gap in border control and slows smugglers.",
        ge=0,
        le=1,
    )
    start: Month = param(
        "2017-10",
        "YYYY-MM",
        ASSUMPTION,
        "Month from which policy levers act (after the fall of Raqqa).",
    )


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = "baseline"
    description: str = ""
    time: Time = Field(default_factory=Time)
    schedules: Schedules = Field(default_factory=Schedules)
    population: Population = Field(default_factory=Population)
    attributes: Attributes = Field(default_factory=Attributes)
    combat: Combat = Field(default_factory=Combat)
    security: Security = Field(default_factory=Security)
    disillusionment: Disillusionment = Field(default_factory=Disillusionment)
    escape: Escape = Field(default_factory=Escape)
    collapse: Collapse = Field(default_factory=Collapse)
    justice: Justice = Field(default_factory=Justice)
    prison: Prison = Field(default_factory=Prison)
    hiding: Hiding = Field(default_factory=Hiding)
    reintegration: Reintegration = Field(default_factory=Reintegration)
    recruitment: Recruitment = Field(default_factory=Recruitment)
    regroup: Regroup = Field(default_factory=Regroup)
    policy: Policy = Field(default_factory=Policy)

    @model_validator(mode="after")
    def _foreign_roles(self) -> Scenario:
        if self.population.foreign_role_shares.local_recruit > 0:
            raise ValueError(
                "population.foreign_role_shares.local_recruit: must be 0 (local recruits are local)"
            )
        return self


def as_array(table: BaseModel):
    """A per-role or per-region table as a NumPy array in code order."""
    import numpy as np

    return np.array(list(table.model_dump().values()), dtype=float)
