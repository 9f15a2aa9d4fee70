"""The reference: the real model's monthly rules written the way a Mesa user writes them first.

One :class:`Person` agent per member, with Enum states and a ``step()`` method that applies
the month's rules to that person; the model computes the month's shared quantities (appeal,
arrivals, fighter shortage, the share of fighters overrun), then calls
``self.agents.shuffle_do("step")``. Random draws are per agent from ``model.random``.

It covers the mechanisms of :data:`MECHANISMS` (recruitment's appeal and public defections,
arrivals, disillusionment, internal security, combat, escape, collapse, prison, and the
deportation home of :func:`regroup.mechanisms.justice.arrive_home`) and reads the same
:class:`~regroup.config.schema.Scenario` parameters, so re-tuning them keeps the two comparable.
Left out, because nothing in these mechanisms' outcomes depends on them: ties (units,
families, cellmates), members' children, remobilisation.

Where a rule of the real model depends on the whole population mid-month, the reference uses
the value at the start of the month, as a Mesa model computing it once before the agents act
would: the fighters counted for the shortage that sends group prisoners to the front, the
prison counts that size cells, and each cell's mix of views (which only changes ideology and
loyalty inside prison).
"""

from __future__ import annotations

import math
from collections import Counter
from enum import Enum, auto

import mesa
from regroup.config.fields import month_index
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.mechanisms import (
    arrivals,
    collapse,
    combat,
    disillusionment,
    escape,
    prison,
    recruitment,
    security,
)

# the real model's mechanisms whose rules this reference implements, in their monthly order
MECHANISMS = (
    recruitment,
    arrivals,
    disillusionment,
    security,
    combat,
    escape,
    collapse,
    prison,
)


class Status(Enum):
    """Where a person is (the names match :class:`regroup.core.states.State`)."""

    ACTIVE = auto()
    GROUP_PRISON = auto()
    DEAD = auto()
    ESCAPING = auto()
    HIDING_LOCAL = auto()
    HIDING_ABROAD = auto()
    DETAINED = auto()
    RETURNED = auto()
    PRISON_HOME = auto()
    RELEASED = auto()


class Role(Enum):
    ZEALOT = auto()
    VETERAN = auto()
    NOVICE = auto()
    SETTLER = auto()
    DISSIDENT = auto()
    LEADER = auto()
    AMNI = auto()
    LOCAL_RECRUIT = auto()
    WOMAN = auto()
    MINOR = auto()


class Region(Enum):
    LOCAL = auto()
    NORTH_AFRICA = auto()
    EUROPE_TURKEY = auto()
    FORMER_SOVIET = auto()
    MIDDLE_EAST_GULF = auto()
    OTHER = auto()


class Custody(Enum):
    NONE = auto()
    PRISON = auto()
    CAMP = auto()
    BORDER = auto()


class Disposition(Enum):
    NONE = auto()
    DISILLUSIONED = auto()
    DISTURBED = auto()
    DANGEROUS = auto()


FOREIGN = [r for r in Region if r is not Region.LOCAL]
FIGHTERS = {
    Role.ZEALOT,
    Role.VETERAN,
    Role.NOVICE,
    Role.DISSIDENT,
    Role.LEADER,
    Role.AMNI,
    Role.LOCAL_RECRUIT,
}
CIVILIANS = {Role.SETTLER, Role.WOMAN, Role.MINOR}
SPEAKERS = {
    Status.HIDING_ABROAD,
    Status.RETURNED,
    Status.RELEASED,
    Status.PRISON_HOME,
    Status.DETAINED,
}
HOME_FACILITY = 1_000_000


def value(table, key: Enum) -> float:
    """A per-role or per-region parameter (the schema's fields are the lower-case names)."""
    return getattr(table, key.name.lower())


def region_value(table, region: Region, local: float) -> float:
    return local if region is Region.LOCAL else value(table, region)


class Person(mesa.Agent):
    """One member; ``step`` applies the month's rules in the real model's order."""

    def __init__(self, model: ReferenceModel, role: Role, region: Region) -> None:
        super().__init__(model)
        a, rnd, t = model.p.attributes, model.random, model.t
        self.role, self.region = role, region
        self.state, self.custody, self.disposition = Status.ACTIVE, Custody.NONE, Disposition.NONE
        self.entered = self.joined = t
        self.ideology = min(1.0, max(0.0, value(a.ideology, role) + rnd.uniform(-0.1, 0.1)))
        self.loyalty = min(1.0, max(0.0, value(a.loyalty, role) + rnd.uniform(-0.1, 0.1)))
        self.skill = min(1.0, max(0.0, value(a.skill, role) + rnd.uniform(-0.1, 0.1)))
        self.funds = (
            rnd.expovariate(1.0)
            * value(a.funds_usd, role)
            * region_value(a.region_funds, region, 1.0)
        )
        self.known = rnd.random() < value(a.known_share, role)
        self.documents = region is not Region.LOCAL and rnd.random() < a.documents_share
        ages = model.p.population.minor_age_years
        age = rnd.uniform(ages.low, ages.high) if role is Role.MINOR else 25.0
        self.birth = int(t - age * 12)
        self.wish = 0.0
        self.release = self.returned = -1
        self.cell = 0
        self.monitored = self.ever_released = self.spoke = False

    # ------------------------------------------------------------------ helpers
    @property
    def local(self) -> bool:
        return self.region is Region.LOCAL

    def chance(self, p: float) -> bool:
        return self.model.random.random() < p

    def move(self, state: Status, custody: Custody = Custody.NONE) -> None:
        self.state, self.custody, self.entered = state, custody, self.model.t

    def settled(self, state: Status) -> bool:
        """In ``state`` since before this month (people who moved this month wait)."""
        return self.state is state and self.entered < self.model.t

    def die(self, cause: str) -> None:
        self.move(Status.DEAD)
        self.model.tally[cause] += 1

    def wants_to_leave(self) -> bool:
        return self.wish >= self.model.p.disillusionment.leave_threshold

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        state = self.state
        if state is Status.DEAD:
            return
        if state is Status.ACTIVE:
            self.disillusion()
        if self.entered < self.model.t:  # people who moved this month wait
            if state is Status.ACTIVE or state is Status.GROUP_PRISON:
                self.in_territory()
            elif state is Status.ESCAPING:
                self.search_for_smuggler()
        if self.inmate():
            self.serve_sentence()
        self.speak_publicly()

    def disillusion(self) -> None:
        m = self.model
        d, s, t = m.p.disillusionment, m.schedule, m.t
        narratives = d.infighting + d.brutality + d.corruption + d.quality_of_life
        push = value(d.sensitivity, self.role) * (
            narratives * (1.0 - self.loyalty) + d.territorial_loss * s.loss[t]
        )
        if self.role in CIVILIANS:
            push += d.settler_war_push * s.intensity[t]
        if self.role is Role.LEADER and s.control[t] < d.leader_despair_control:
            push += d.leader_despair_push
        push *= region_value(d.region_leave_factor, self.region, 1.0)
        self.wish = min(1.0, self.wish + push)
        self.loyalty = max(0.0, self.loyalty - d.loyalty_loss * push)
        self.ideology = max(0.0, self.ideology - d.ideology_loss * push)

    def in_territory(self) -> None:
        """Internal security, combat, escape and collapse, for members still in territory."""
        m = self.model
        p, t, enforcement = m.p, m.t, m.schedule.enforcement[m.t]
        if self.state is Status.ACTIVE and self.wants_to_leave():
            if self.chance(p.security.detection * enforcement):
                if self.chance(p.security.execute_share):
                    self.die("killed_by_group")
                else:
                    self.move(Status.GROUP_PRISON)
                return
        if self.state is Status.GROUP_PRISON:
            if self.chance(p.security.prison_execution):
                self.die("killed_by_group")
            elif self.chance(p.combat.front_transfer_rate * m.shortage):
                self.move(Status.ACTIVE)
            else:
                self.overrun_in_group_prison()
            return
        hazard = value(p.combat.death_hazard, self.role) * m.schedule.intensity[t]
        if self.chance(hazard * region_value(p.combat.region_exposure, self.region, 1.0)):
            self.die("killed_in_combat")
            return
        if self.role in FIGHTERS:
            gain = p.combat.skill_gain_per_month * m.schedule.intensity[t]
            self.skill = min(1.0, self.skill + gain)
        if self.wants_to_leave():
            self.try_to_leave()
        if self.settled(Status.ACTIVE):
            self.overrun()

    def try_to_leave(self) -> None:
        m = self.model
        e, enforcement = m.p.escape, m.schedule.enforcement[m.t]
        if self.role is Role.AMNI:
            if self.chance(e.amni_walkaway):
                self.leave_territory()
                self.take_group_funds()
                self.move(Status.HIDING_LOCAL if self.local else Status.HIDING_ABROAD)
                self.documents = self.documents or not self.local
        elif self.role is Role.LEADER:
            if self.chance(e.leader_bribe_success):
                self.leave_territory()
                self.take_group_funds()
                self.move(Status.HIDING_LOCAL if self.local else Status.HIDING_ABROAD)
                if not self.local:
                    self.documents, self.known = True, False
        elif self.funds >= e.smuggler_fee_usd.low:
            self.move(Status.ESCAPING)
            self.leave_territory()
        elif self.chance(e.self_exit_rate * (1.0 - enforcement) + e.desperate_exit_rate):
            if self.chance(e.on_foot_detection * enforcement):
                self.die("killed_escaping")
            else:
                self.leave_territory()
                self.cross_border()

    def overrun(self) -> None:
        """Collapse: in a lost area, die fighting, be captured, or slip out."""
        m = self.model
        c = m.p.collapse
        if m.overrun == 0.0 or not self.chance(m.overrun):
            return
        exposure = region_value(m.p.combat.region_exposure, self.region, 1.0)
        if self.chance(value(c.die_fighting, self.role) * exposure):
            self.die("killed_at_collapse")
        elif self.chance(c.local_captured if self.local else c.foreign_captured):
            self.leave_territory()
            if self.role in CIVILIANS:
                self.move(Status.DETAINED, Custody.CAMP)
            else:
                self.admit(home=False)
            self.known = True
        else:
            self.leave_territory()
            self.move(Status.HIDING_LOCAL if self.local else Status.ESCAPING)

    def overrun_in_group_prison(self) -> None:
        m = self.model
        if m.overrun == 0.0 or not self.chance(m.overrun):
            return
        if self.chance(m.p.security.execute_share):
            self.die("killed_by_group")
        else:
            self.leave_territory()
            self.move(Status.HIDING_LOCAL)

    def search_for_smuggler(self) -> None:
        m = self.model
        e, s, t = m.p.escape, m.schedule, m.t
        if self.chance(m.p.security.detection * s.enforcement[t]):
            self.die("killed_escaping")
        elif self.chance((1.0 - e.crackdown_search_effect * s.crackdown[t]) / e.search_months):
            fee = m.random.uniform(e.smuggler_fee_usd.low, e.smuggler_fee_usd.high)
            if self.funds < fee:  # the fee has gone up, or funds were spent
                self.move(Status.ACTIVE if s.control[t] > 0 else Status.HIDING_LOCAL)
                return
            self.funds -= fee
            m.tally["smuggler_payments"] += 1
            if self.chance(e.amni_smuggler_share):
                self.die("killed_escaping")
            else:
                self.cross_border()

    def leave_territory(self) -> None:
        m = self.model
        g = m.p.regroup
        if self.ideology >= g.ideology_threshold and self.loyalty >= g.loyalty_threshold:
            self.disposition = Disposition.DANGEROUS
        elif self.chance(m.p.escape.trauma_share):
            self.disposition = Disposition.DISTURBED
        else:
            self.disposition = Disposition.DISILLUSIONED
        if m.t <= m.theft_until and self.chance(m.p.escape.theft_share):
            self.take_group_funds()

    def take_group_funds(self) -> None:
        mean = self.model.p.escape.group_funds_usd
        if mean > 0:
            self.funds += self.model.random.expovariate(1.0 / mean)

    def cross_border(self) -> None:
        m = self.model
        e = m.p.escape
        if self.chance(e.border_capture * m.schedule.border[m.t]):
            if self.local:
                self.admit(home=False)
            else:
                self.move(Status.DETAINED, Custody.BORDER)
            self.known = True
            m.tally["border_captures"] += 1
        elif not self.local and self.chance(value(e.go_home_share, self.region)):
            self.arrive_home()
        else:
            self.move(Status.HIDING_ABROAD)

    def arrive_home(self) -> None:
        m = self.model
        if self.returned < 0:
            self.returned = m.t
        if self.chance(m.p.justice.prosecution):
            self.admit(home=True)
        else:
            self.move(Status.RETURNED)
            self.monitored = self.chance(m.p.justice.monitored)
            self.known = self.known or self.monitored

    def admit(self, home: bool) -> None:
        """Imprisoned in the region or at home, with a sentence and a cell."""
        m = self.model
        years = m.p.prison.sentence_home_years if home else m.p.prison.sentence_region_years
        self.release = m.t + math.ceil(m.random.uniform(years.low, years.high) * 12)
        state = Status.PRISON_HOME if home else Status.DETAINED
        m.held[state] += 1
        cells = max(1, m.held[state] // m.p.prison.cell_size)
        facility = (list(Region).index(self.region) + 1) * HOME_FACILITY if home else 0
        self.cell = facility + m.random.randrange(cells)
        self.move(state, Custody.NONE if home else Custody.PRISON)
        self.known = True
        self.funds *= 1.0 - m.p.prison.seizure_share

    def inmate(self) -> bool:
        return self.state is Status.PRISON_HOME or (
            self.state is Status.DETAINED and self.custody is Custody.PRISON
        )

    def serve_sentence(self) -> None:
        """Release at the end of the sentence; execution in the region; radicalisation."""
        m = self.model
        p = m.p.prison
        if self.entered < m.t and self.release <= m.t:
            self.move(Status.RELEASED)
            self.ever_released = True
            return
        if self.settled(Status.DETAINED):
            risk = p.execution * (p.leader_execution_factor if self.role is Role.LEADER else 1.0)
            if self.chance(risk):
                self.die("executed_by_states")
                return
        total, ideology, loyalty = m.cell_mix.get(self.cell, (1.0, self.ideology, self.loyalty))
        pull = p.radicalisation * m.open_share
        moved = self.ideology + pull * (ideology / total - self.ideology) - p.disengagement
        self.loyalty += pull * (loyalty / total - self.loyalty) - p.disengagement
        self.ideology = min(1.0, max(0.0, moved))
        self.loyalty = min(1.0, max(0.0, self.loyalty))

    def speak_publicly(self) -> None:
        """Disillusioned former members out of the territory may speak out (counted next month)."""
        m = self.model
        if self.spoke or self.disposition is not Disposition.DISILLUSIONED:
            return
        if self.state not in SPEAKERS:
            return
        r = m.p.recruitment
        deterred = r.legal_deterrence * (1.0 - m.policy("defector_voice", m.t + 1))
        if self.chance(r.speak_rate * (1.0 - deterred)):
            self.spoke = True
            m.tally["public_defections"] += 1


class ReferenceModel(mesa.Model):
    """The reference model, monthly from ``time.start`` to ``time.end``."""

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.p = p = scenario if scenario is not None else Scenario()
        # the exogenous monthly inputs (schedules, policy start) are the real model's
        inputs = RegroupModel(p, seed=0, mechanisms=())
        self.schedule, self.months = inputs.schedule, inputs.months
        self.policy_from = inputs.policy_from
        self.theft_until = month_index(p.escape.theft_until, p.time.start)
        self.scale = p.population.scale
        self.t = -1
        self.tally: Counter[str] = Counter()
        self.peak_fighters = 0
        self.shortage = self.overrun = 0.0
        self.held: Counter[Status] = Counter()
        # per cell: the sum of weights and the weighted sums of ideology and loyalty
        self.cell_mix: dict[int, tuple[float, float, float]] = {}
        self.active = self.foreign_active = self.fighters = 0
        self.open_share = 1.0
        self.perceived = 0.0  # the brand's perceived effectiveness

    def policy(self, lever: str, t: int) -> float:
        # the reference has no places: a lever's region value, from policy.start
        return getattr(self.p.policy, lever).region if t >= self.policy_from else 0.0

    def step(self) -> None:
        self.t = t = self.steps - 1
        self.census()
        self.arrive(self.appeal())
        self.peak_fighters = max(self.peak_fighters, self.fighters)
        lack = 1.0 - self.fighters / self.peak_fighters if self.peak_fighters else 0.0
        self.shortage = lack * self.schedule.intensity[t]
        self.overrun = self.overrun_share()
        base = self.p.prison.isolation
        self.open_share = 1.0 - (base + self.policy("prison_measures", t) * (1.0 - base))
        self.agents.shuffle_do("step")
        if t + 1 >= self.months:
            self.running = False

    def census(self) -> None:
        """One pass over the agents for the month's shared quantities."""
        self.held = Counter()
        self.cell_mix = {}
        self.active = self.foreign_active = self.fighters = 0
        for a in self.agents:
            self.held[a.state] += 1
            if a.state is Status.ACTIVE:
                self.active += 1
                self.foreign_active += a.region is not Region.LOCAL
                self.fighters += a.role in FIGHTERS
            elif a.inmate():
                weight = 1.0 + self.p.prison.zeal_weight * a.ideology  # the committed set the tone
                total, ideology, loyalty = self.cell_mix.get(a.cell, (0.0, 0.0, 0.0))
                self.cell_mix[a.cell] = (
                    total + weight,
                    ideology + weight * a.ideology,
                    loyalty + weight * a.loyalty,
                )

    def appeal(self) -> float:
        r, t = self.p.recruitment, self.t
        foreign_share = self.foreign_active / max(1, self.active)
        grievance = r.grievance * (1.0 - self.policy("grievances", t))
        spoken = self.tally["public_defections"] * self.scale
        counter = r.counter_narrative * spoken / (spoken + r.counter_half_saturation)
        # the brand's perceived effectiveness: the territory, or its decaying memory (no
        # regrouping pool here to feed it)
        remembered = self.perceived * (1.0 - r.brand_decay)
        self.perceived = min(1.0, max(float(self.schedule.control[t]), remembered))
        raw = r.brand * self.perceived + r.propaganda * foreign_share + grievance
        peak = r.brand + r.propaganda * 0.5 + r.grievance
        return max(0.0, (raw - counter) / peak)

    def arrive(self, appeal: float) -> None:
        """Foreign and local recruits join (Poisson numbers; roles and regions by shares)."""
        p, s, t = self.p.population, self.schedule, self.t
        open_share = (1 - s.border[t]) * min(1.0, s.control[t] / p.destination_control)
        foreign_mean = p.foreign_peak_recruits_per_month * appeal * open_share
        n_foreign = int(self.rng.poisson(max(foreign_mean, 0.0) / self.scale))
        n_local = int(self.rng.poisson(p.local_recruits_per_month * s.control[t] / self.scale))
        roles = list(Role)
        region_w = [value(p.foreign_region_shares, r) for r in FOREIGN]
        foreign_w = [value(p.foreign_role_shares, r) for r in roles]
        local_w = [value(p.local_role_shares, r) for r in roles]
        new = [
            Person(self, self.random.choices(roles, foreign_w)[0], region)
            for region in self.random.choices(FOREIGN, region_w, k=n_foreign)
        ]
        new += [
            Person(self, role, Region.LOCAL)
            for role in self.random.choices(roles, local_w, k=n_local)
        ]
        self.fighters += sum(1 for person in new if person.role in FIGHTERS)
        self.tally["arrived_foreign"] += n_foreign
        self.tally["arrived_local"] += n_local

    def overrun_share(self) -> float:
        """The share of the remaining territory lost this month (all of it at the end)."""
        control, t = self.schedule.control, self.t
        if t == 0 or control[t - 1] <= 0:
            return 0.0
        if control[t] <= 0:
            return 1.0
        lost = max(0.0, control[t - 1] - control[t]) / control[t - 1]
        return min(1.0, self.p.collapse.exposure * lost)

    def run(self) -> ReferenceModel:
        while self.running:
            self.step()
        return self
