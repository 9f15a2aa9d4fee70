"""The scenario schema: the world's own parameter groups (time, schedules, population,
attributes, policy levers) and, one group each, the parameters that each mechanism module
declares. It is the one source of every parameter; docs/parameters.md is generated from it.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, model_validator
from regroup.config.evidence import Prior
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
from regroup.config.uncertainty import Uncertainty
from regroup.mechanisms.allegiance import Allegiance
from regroup.mechanisms.camps import Camps
from regroup.mechanisms.collapse import Collapse
from regroup.mechanisms.combat import Combat
from regroup.mechanisms.disillusionment import Disillusionment
from regroup.mechanisms.escape import Escape
from regroup.mechanisms.hiding import Hiding
from regroup.mechanisms.insurgency import Insurgency
from regroup.mechanisms.justice import Justice
from regroup.mechanisms.prison import Prison
from regroup.mechanisms.recruitment import Recruitment
from regroup.mechanisms.regrouping import Regroup
from regroup.mechanisms.reintegration import Reintegration
from regroup.mechanisms.security import Security
from regroup.mechanisms.theatres import Theatres
from regroup.mechanisms.upbringing import Upbringing


class Time(Strict):
    start: Month = param(
        "2013-01",
        "YYYY-MM",
        "model brief (Time)",
        "First simulated month.",
        control=True,
    )
    end: Month = param(
        "2032-12",
        "YYYY-MM",
        "model brief (Time)",
        "Last simulated month.",
        control=True,
    )

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
        "dates of public events from the model brief (Time): rise 2013-14, apex 2014-15, Mosul "
        "2017-07, Raqqa 2017-10, last territory 2019-03; the values between them an assumption",
        "Territory the group holds, relative to its peak.",
        evidence="assumption",
        prior=Prior(kind="triangular", low=-3, mode=0, high=3),
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
        "model brief (Time): coalition campaign from 2015; shape and levels an assumption",
        "Intensity of fighting; scales combat death hazards.",
        evidence="assumption",
        prior=Prior(kind="triangular", low=-6, mode=0, high=6),
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
        "fitted to the new foreign recruits a month reported by US officials (1,500-2,000 in "
        "2014-15, about 200-500 in spring 2016, about 50 in autumn 2016; model brief); shape an "
        "assumption",
        "How closed the borders are to travellers and escapees.",
        evidence="fitted",
        prior=Prior(kind="triangular", low=-3, mode=0, high=3),
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
        "seed 003 supports the policy ('their policy was to kill, on the spot, anyone trying to "
        "escape'); levels and decline with territorial loss an assumption",
        "The group's capacity to enforce its kill-on-escape policy.",
        evidence="assumption",
        prior=Prior(kind="triangular", low=-6, mode=0, high=6),
    )


class Population(Strict):
    scale: float = param(
        1.0,
        "persons per agent",
        "model design",
        "Persons each agent stands for; 1 is full scale. Outcomes are reported in persons.",
        ge=0.1,
        le=1000.0,
        control=True,
    )
    foreign_peak_recruits_per_month: float = param(
        2450.0,
        "persons/month",
        "fitted to 1,500-2,000 new foreign recruits a month in 2014-15 (US officials, model "
        "brief), which arrived through partly closed borders; checked in "
        "tests/test_plausibility.py",
        "Foreign arrivals a month at full appeal with open borders.",
        ge=0.0,
        le=10000.0,
        evidence="fitted",
        prior=Prior(kind="triangular", low=1900, mode=2450, high=3000),
    )
    local_in_iraq: float = param(
        0.5,
        "share",
        "assumption; UN sanctions monitors (August 2018, in the model brief) found the "
        "members left in Iraq and Syria roughly equally split between the two countries, "
        "which supports an even split without giving one for the recruits",
        "Share of local recruits who are Iraqi (the rest Syrian); they fight where they live.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.35, high=0.65),
    )
    foreign_in_iraq: float = param(
        0.3,
        "share",
        ASSUMPTION,
        "Share of foreign recruits sent to Iraq (the rest stay in Syria, where they crossed).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    destination_control: float = param(
        0.3,
        "share of territory",
        "assumption (a small territory draws fewer travellers; none once it is gone)",
        "Territory below which foreign inflow falls in proportion to the territory held.",
        ge=0.01,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.5),
    )
    local_recruits_per_month: float = param(
        1300.0,
        "persons/month",
        "fitted to the 20,000-30,000 members remaining in Iraq and Syria in 2018 (UN Monitoring "
        "Team, model brief); seed 003 supports the motive (a local who joined because 'ISIS was "
        "paying him'); value fitted",
        "Local arrivals a month at full territorial control.",
        ge=0.0,
        le=10000.0,
        evidence="fitted",
        prior=Prior(kind="triangular", low=900, mode=1300, high=1700),
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
        "assumption reconciling seed 000 ('Half of those came from North Africa, with up to a "
        "quarter coming from Europe and Turkey'), seed 001 (Russian-speakers 'the largest group "
        "of foreigners') and ICSR 2018 (about 45% from the Middle East and North Africa); the "
        "sources conflict and none gives these shares",
        "Regions of origin of foreign affiliates.",
        evidence="assumption",
        prior=Prior(kind="dirichlet", concentration=50),
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
        "women 0.13 and minors 0.12 published (ICSR 2018, via the model brief); seeds 000, 001, "
        "003 describe the fighter categories; their shares an assumption",
        "Roles of foreign arrivals.",
        evidence="assumption",
        prior=Prior(kind="dirichlet", concentration=100),
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
        "seed 003 supports the direction (those in prison 'are mostly low-level local fighters'); "
        "shares assumption",
        "Roles of local arrivals.",
        evidence="assumption",
        prior=Prior(kind="dirichlet", concentration=50),
    )
    minor_age_years: RangeIn(0, 18) = range_param(
        3,
        15,
        "years",
        "assumption",
        "Age of arriving minors (uniform).",
        ge=0,
        le=18,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.8, high=1.2),
    )
    fighting_age_years: float = param(
        15.0,
        "years",
        "assumption",
        "Age at which minors become of fighting age.",
        ge=10,
        le=20,
        evidence="assumption",
        prior=Prior(kind="triangular", low=13, mode=15, high=18),
    )
    local_children_per_member: float = param(
        0.3,
        "children/member",
        "seed 003 supports the direction ('the children of ISIS fighters will be of fighting age "
        "by the time their fathers may be released'); count assumption",
        "Children of local members who come of age within the simulated period.",
        ge=0.0,
        le=3.0,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.6),
    )
    foreign_children_per_member: float = param(
        0.1,
        "children/member",
        "seeds 001, 003 support the direction ('the children of ISIS fighters will be of fighting "
        "age'; foreigners who 'simply wanted to live under the caliphate'); count assumption",
        "Children of foreign members, not counted among arriving minors, who come of age within "
        "the simulated period.",
        ge=0.0,
        le=3.0,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=0.3),
    )
    child_commitment: float = param(
        0.8,
        "factor",
        "seed 003 supports the direction (children 'could potentially add fresh blood to any "
        "reorganised group's manpower'); value assumption",
        "A child's ideology and loyalty on coming of age, relative to the parent's.",
        ge=0,
        le=1.5,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=1.2),
    )
    unit_size: int = param(
        12,
        "persons",
        "assumption",
        "Size of the fighting units that tie members.",
        ge=2,
        le=200,
        evidence="assumption",
        prior=Prior(kind="triangular", low=6, mode=12, high=30),
    )


class Attributes(Strict):
    """Initial attributes by role."""

    ideology: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.95,
            "veteran": 0.8,
            "novice": 0.65,
            "settler": 0.55,
            "dissident": 0.95,
            "leader": 0.65,
            "amni": 0.75,
            "local_recruit": 0.25,
            "woman": 0.6,
            "minor": 0.5,
        },
        "0-1",
        "seed 003 supports the order (those 'who joined to die for jihad and were the most "
        "passionate'; takfiri 'extremists' more radical than the group; a local who joined "
        "because 'ISIS was paying him'); seed 001 (foreign leaders 'joined mostly to seek "
        "power'); values assumption",
        "Mean ideology (how extreme) on arrival (individuals vary by +-0.1).",
        evidence="assumption",
        prior=Prior(kind="triangular", low=0.8, mode=1, high=1.05),
    )
    loyalty: RoleProbs = table(
        RoleProbs,
        {
            "zealot": 0.95,
            "veteran": 0.85,
            "novice": 0.65,
            "settler": 0.5,
            "dissident": 0.1,
            "leader": 0.85,
            "amni": 0.9,
            "local_recruit": 0.25,
            "woman": 0.6,
            "minor": 0.5,
        },
        "0-1",
        "seed 003 supports the order (experienced fighters 'highly dedicated'; dissidents "
        "'disagreed with the group's leadership' and accused it of unbelief; a local who "
        "joined for pay); values assumption",
        "Mean loyalty to the group (its leadership and brand) on arrival (individuals vary by "
        "+-0.1).",
        evidence="assumption",
        prior=Prior(kind="triangular", low=0.8, mode=1, high=1.05),
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
        "seed 003 supports the order ('Experienced fighters' against 'young, inexperienced group "
        "members'); seed 000 ('the quality of fighters ISIS attracted was not very high'); values "
        "assumption",
        "Mean skill on arrival (individuals vary by +-0.1).",
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.75, high=1.25),
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
        "seed 003 supports the direction (settlers 'trapped in a volatile environment with no "
        "connections and no money'; the smuggling fee of $7,000-10,000 out of their reach); "
        "values assumption",
        "Mean personal funds on arrival (exponentially distributed).",
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1, sigma=0.5, low=0.25, high=4),
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
        "seed 003 supports the direction (people arrested 'for sending money to relatives who "
        "were fighting in Syria'); values assumption",
        "Personal funds of foreigners relative to the role's mean.",
        evidence="assumption",
        prior=Prior(kind="lognormal", median=1, sigma=0.4, low=0.4, high=2.5),
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
        "seed 003 supports the direction (Amni members 'were not known to the anti-ISIS "
        "coalition' and 'often wore masks'); values assumption",
        "Share known to the authorities.",
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.75, high=1.25),
    )
    documents_share: float = param(
        0.6,
        "share",
        "seed 003 supports the direction (defectors 'in hiding without documents or any means to "
        "support themselves'); value assumption",
        "Share of foreigners who keep usable travel documents.",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.4, high=0.8),
    )


class Lever(Strict):
    """A policy lever: the coverage a government reaches, 0 (today's baseline) to 1 (every
    person it could act on), in the region (the conflict places: Iraq, Syria, Libya,
    Afghanistan) and at home (the home countries and Turkey), from ``start`` (``policy.start``
    when not set).

    A bare number is the same coverage in both from ``policy.start``:
    ``prison_measures: 0.5`` is ``prison_measures: {region: 0.5, home: 0.5}``. A mapping sets
    what it names; a value it leaves out is 0 (and ``start`` is ``policy.start``), except in a
    scenario that ``extends`` another: there it is the parent's (a parent's bare number read
    as above). A bare number replaces the whole lever, in a child scenario as in a design's
    overrides.
    """

    region: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Coverage in the conflict places (Iraq, Syria, Libya, Afghanistan).",
        json_schema_extra={"unit": "share"},
    )
    home: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Coverage in the home countries and Turkey.",
        json_schema_extra={"unit": "share"},
    )
    start: Month | None = Field(
        None,
        description="First month the lever acts; not set: policy.start.",
        json_schema_extra={"unit": "YYYY-MM"},
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        """A bare number is the coverage in both places (checked here, so that the error
        names the lever, not two values it was copied to)."""
        if isinstance(value, bool):
            raise ValueError(
                "Input should be a coverage (a number 0-1, or {region, home, start}), "
                "not true or false"
            )
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError("Input should be a finite number (a coverage, 0-1)")
            if value < 0:
                raise ValueError("Input should be greater than or equal to 0 (a coverage, 0-1)")
            if value > 1:
                raise ValueError("Input should be less than or equal to 1 (a coverage, 0-1)")
            return {"region": value, "home": value}
        return value

    @property
    def on(self) -> bool:
        """Whether the lever is pulled anywhere."""
        return self.region > 0 or self.home > 0


class OnePlaceLever(Lever):
    """A lever that acts on one thing shared by every place (the border crackdown: the
    territory's one border, with the region on one side and Turkey, a home-side country, on
    the other): a crackdown on either side closes the crossing, so it acts at the larger of
    its two values (:attr:`level`)."""

    @property
    def level(self) -> float:
        """The coverage the lever acts at: the larger of its region and home values."""
        return max(self.region, self.home)


def lever_param(source: str, doc: str, kind: type[Lever] = Lever) -> Any:
    """A policy lever field (a run-control setting: no evidence label or prior); off by
    default."""
    return Field(
        default_factory=kind,
        description=doc,
        json_schema_extra={"unit": "share", "source": source, "control": True},
    )


class Policy(Strict):
    """Policy levers (coverages by place from a start month) and what scales their effects.

    Each lever is a :class:`Lever`: 0 is today's baseline, 1 reaches everyone it could act on,
    with a value for the region (conflict places) and one for home (home countries, Turkey)."""

    prison_measures: Lever = lever_param(
        "seed 003 (prevent prisoners from organising and radicalising others)",
        "Share of prisoners under isolation and anti-organising measures, by the place of the "
        "prison.",
    )
    intelligence_sharing: Lever = lever_param(
        "seed 003 (international cooperation and intelligence-sharing)",
        "Reach of intelligence sharing between states, by place: detection of those in hiding, "
        "monitoring of released prisoners as of returnees, ties cut and funds seized on arrest.",
    )
    intelligence_gain: float = param(
        2.0,
        "factor",
        ASSUMPTION,
        "Extra detection (relative) at full intelligence sharing.",
        ge=0,
        le=20,
        evidence="assumption",
        prior=Prior(kind="uniform", low=1, high=4),
    )
    sharing_tie_cut: float = param(
        0.5,
        "share",
        "seed 003 supports the direction ('strengthening international cooperation and "
        "intelligence-sharing to track down former fighters'); value assumption",
        "Share of the ties an arrest leaves that full intelligence sharing also cuts (contacts "
        "identified and followed up).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.0, high=1.0),
    )
    sharing_seizure: float = param(
        0.5,
        "share",
        "seed 003 supports the direction (people arrested 'for sending money to relatives who "
        "were fighting in Syria': states follow the money); value assumption",
        "Share of the funds an arrest leaves that full intelligence sharing also seizes (money "
        "traced across borders).",
        ge=0,
        le=1,
        evidence="assumption",
        prior=Prior(kind="uniform", low=0.1, high=0.9),
    )
    reintegration: Lever = lever_param(
        "seed 003 (de-radicalisation and reintegration programmes)",
        "Share of returnees, prisoners and released prisoners that programmes reach, by place.",
    )
    defector_voice: Lever = lever_param(
        "seed 002 (ICSR: remove legal obstacles to defectors speaking publicly)",
        "Share of would-be public defectors, by where they are, freed of the legal deterrence.",
    )
    grievances: Lever = lever_param(
        "seed 003 (address quality of life and discrimination)",
        "How much of the grievance term of the appeal is addressed (one appeal: the values "
        "weighted by where the free members are).",
    )
    border_crackdown: OnePlaceLever = lever_param(
        "model brief (counterfactual border control and smuggling crackdowns)",
        "Closes this share of the remaining gap in border control and slows smugglers (one "
        "border: it acts at the larger of its region and home values).",
        OnePlaceLever,
    )
    start: Month = param(
        "2017-10",
        "YYYY-MM",
        ASSUMPTION,
        "Month from which the levers act unless they set their own start (after the fall of "
        "Raqqa).",
        control=True,
    )

    def start_of(self, lever: str) -> str:
        """The month from which ``lever`` acts: its own start, else ``policy.start``."""
        own = getattr(self, lever).start
        return self.start if own is None else own


POLICY_LEVERS = (
    "prison_measures",
    "intelligence_sharing",
    "reintegration",
    "defector_voice",
    "grievances",
    "border_crackdown",
)
"""The policy levers (each a :class:`Lever`: a coverage by place from a start month)."""
LEVER_TYPES = (Lever, OnePlaceLever)
"""Lever fields accept a bare number (a sweep may range over ``policy.<lever>``)."""


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
    insurgency: Insurgency = Field(default_factory=Insurgency)
    allegiance: Allegiance = Field(default_factory=Allegiance)
    camps: Camps = Field(default_factory=Camps)
    upbringing: Upbringing = Field(default_factory=Upbringing)
    reintegration: Reintegration = Field(default_factory=Reintegration)
    recruitment: Recruitment = Field(default_factory=Recruitment)
    theatres: Theatres = Field(default_factory=Theatres)
    regroup: Regroup = Field(default_factory=Regroup)
    policy: Policy = Field(default_factory=Policy)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)

    @model_validator(mode="after")
    def _foreign_roles(self) -> Scenario:
        if self.population.foreign_role_shares.local_recruit > 0:
            raise ValueError(
                "population.foreign_role_shares.local_recruit: must be 0 (local recruits are local)"
            )
        return self

    @model_validator(mode="after")
    def _policy_in_time(self) -> Scenario:
        """Each lever that is set must start inside the simulated window: its own ``start``
        (``policy.<lever>.start``), or ``policy.start`` for those without one."""
        p, t = self.policy, self.time
        on = [lever for lever in POLICY_LEVERS if getattr(p, lever).on]
        starts = {f"policy.{lever}.start": getattr(p, lever).start for lever in on}
        if any(start is None for start in starts.values()):
            starts = {"policy.start": p.start, **starts}
        for path, start in starts.items():
            if start is None:
                continue
            if month_index(start, t.start) < 0:
                raise ValueError(f"{path}: {start} is before time.start ({t.start})")
            if month_index(start, t.end) > 0:
                never = "the levers" if path == "policy.start" else "the lever"
                raise ValueError(
                    f"{path}: {start} is after time.end ({t.end}): {never} would never act"
                )
        return self
