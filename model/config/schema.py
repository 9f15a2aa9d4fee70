"""The scenario schema: the world's own parameter groups (time, schedules, population,
attributes, policy levers) and, one group each, the parameters that each mechanism module
declares. It is the one source of every parameter; docs/parameters.md is generated from it.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from regroup.config.fields import (
    ASSUMPTION,
    Month,
    RangeIn,
    RegionFactors,
    RegionShares,
    RoleFunds,
    RoleProbs,
    RoleShares,
    Schedule,
    Strict,
    month_index,
    param,
    range_param,
    schedule_param,
    table,
)
from regroup.mechanisms.collapse import Collapse
from regroup.mechanisms.combat import Combat
from regroup.mechanisms.disillusionment import Disillusionment
from regroup.mechanisms.escape import Escape
from regroup.mechanisms.hiding import Hiding
from regroup.mechanisms.justice import Justice
from regroup.mechanisms.prison import Prison
from regroup.mechanisms.recruitment import Recruitment
from regroup.mechanisms.regrouping import Regroup
from regroup.mechanisms.reintegration import Reintegration
from regroup.mechanisms.security import Security


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


POLICY_LEVERS = (
    "prison_measures",
    "intelligence_sharing",
    "reintegration",
    "defector_voice",
    "grievances",
    "border_crackdown",
)
"""The policy levers that act from ``policy.start`` (0 is today's baseline)."""


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

    @model_validator(mode="after")
    def _policy_in_time(self) -> Scenario:
        """With a lever set, ``policy.start`` must lie in the simulated window."""
        p, t = self.policy, self.time
        if not any(getattr(p, lever) > 0 for lever in POLICY_LEVERS):
            return self
        if month_index(p.start, t.start) < 0:
            raise ValueError(f"policy.start: {p.start} is before time.start ({t.start})")
        if month_index(p.start, t.end) > 0:
            raise ValueError(
                f"policy.start: {p.start} is after time.end ({t.end}): the levers would never act"
            )
        return self
