"""Codes for the categorical attributes of members: where they are, what they did, where from.

Codes are small integers so that the model can hold them in NumPy arrays; the names are
the ones used in the scenario files, the outputs and the docs.
"""

from __future__ import annotations

import functools
from enum import IntEnum

import numpy as np


class Code(IntEnum):
    """A small-integer code whose ``label`` is the name used in files and outputs."""

    @property
    def label(self) -> str:
        return self.name.lower()


class State(Code):
    """Where a person is (model brief, "States")."""

    PENDING = 0  # not yet joined, or not yet of fighting age: not counted as a person
    ACTIVE = 1  # in the group's territory
    GROUP_PRISON = 2  # imprisoned by the group itself
    DEAD = 3
    ESCAPING = 4  # smuggling under way
    HIDING_LOCAL = 5  # rural hiding, or in towns for Amni
    HIDING_ABROAD = 6  # Turkey, Eastern Europe, Central Asia
    DETAINED = 7  # held by states in the region: prisons, camps, border custody
    RETURNED = 8  # back home and free: monitored or vanished
    PRISON_HOME = 9  # imprisoned in the home country
    RELEASED = 10  # out of prison after a sentence
    REINTEGRATED = 11
    CRIMINAL = 12  # drifted into criminal networks
    REMOBILISED = 13  # back in an organised group after the loss of territory


class Role(Code):
    """The member categories of seeds 003, 000 and 001."""

    ZEALOT = 0
    VETERAN = 1
    NOVICE = 2
    SETTLER = 3
    DISSIDENT = 4
    LEADER = 5
    AMNI = 6
    LOCAL_RECRUIT = 7
    WOMAN = 8
    MINOR = 9


class Region(Code):
    """Where a person comes from; 0 is local (Iraq and Syria), the rest are foreign."""

    LOCAL = 0
    NORTH_AFRICA = 1
    EUROPE_TURKEY = 2
    FORMER_SOVIET = 3
    MIDDLE_EAST_GULF = 4
    OTHER = 5


class Place(Code):
    """Where a person is in the world (seed 003: the group can re-establish itself "in their
    new location", anywhere "from the Middle East to the Philippines")."""

    IRAQ = 0
    SYRIA = 1
    TURKEY = 2  # the usual way out, and where most who hide abroad are
    NORTH_AFRICA = 3
    EUROPE = 4  # home of the Europe & Turkey region of origin (Turkish nationals included)
    FORMER_SOVIET = 5
    MIDDLE_EAST_GULF = 6
    OTHER_COUNTRIES = 7
    LIBYA = 8  # other theatres, where affiliates hold ground
    AFGHANISTAN = 9


class Disposition(Code):
    """How a person leaves the group, after Adam Deen (seed 000)."""

    NONE = 0  # has not left
    DISILLUSIONED = 1
    DISTURBED = 2  # trauma
    DANGEROUS = 3  # pretends to have disavowed


class Custody(Code):
    """Kind of state custody for a DETAINED person."""

    NONE = 0
    PRISON = 1  # tried and sentenced in Iraq or Syria
    CAMP = 2  # women, children and settlers held in camps
    BORDER = 3  # caught at the border, awaiting deportation


FOREIGN_REGIONS = tuple(r for r in Region if r != Region.LOCAL)
FIGHTING_ROLES = (
    Role.ZEALOT,
    Role.VETERAN,
    Role.NOVICE,
    Role.DISSIDENT,
    Role.LEADER,
    Role.AMNI,
    Role.LOCAL_RECRUIT,
)
# Free: outside any prison or camp and out of the territory.
FREE_STATES = (
    State.HIDING_LOCAL,
    State.HIDING_ABROAD,
    State.RETURNED,
    State.RELEASED,
    State.CRIMINAL,
    State.REMOBILISED,
)
HIDING_STATES = (State.HIDING_LOCAL, State.HIDING_ABROAD)
HELD_BY_STATES = (State.DETAINED, State.PRISON_HOME)
# Civilians: no fighting role; when caught they go to camps, and the war pushes them to leave.
CIVILIAN_ROLES = (Role.SETTLER, Role.WOMAN, Role.MINOR)
FAMILY_ROLES = (Role.WOMAN, Role.MINOR)
# Command: leaders and Amni head units, and, with funds, anchor a regrouping pool.
COMMAND_ROLES = (Role.LEADER, Role.AMNI)
IN_TERRITORY = (State.ACTIVE, State.ESCAPING, State.GROUP_PRISON)


# The home place of each region of origin; locals' home (Iraq or Syria) is drawn on joining.
HOME_PLACE = {
    Region.NORTH_AFRICA: Place.NORTH_AFRICA,
    Region.EUROPE_TURKEY: Place.EUROPE,
    Region.FORMER_SOVIET: Place.FORMER_SOVIET,
    Region.MIDDLE_EAST_GULF: Place.MIDDLE_EAST_GULF,
    Region.OTHER: Place.OTHER_COUNTRIES,
}
THE_REGION = (Place.IRAQ, Place.SYRIA)  # where the territory was
OTHER_THEATRES = (Place.LIBYA, Place.AFGHANISTAN)
# Places where the region's levers act (conflict zones); home levers act in the others.
CONFLICT_PLACES = THE_REGION + OTHER_THEATRES


@functools.cache
def code_bits(*codes: int) -> int:
    """A set of codes as the bits of an integer (bit ``code`` set for each), for branch-free
    membership tests in compiled code: ``(bits >> code) & 1``. Remembered by the codes asked
    (selections ask for the same few sets every month)."""
    return sum(1 << int(c) for c in set(codes))


def membership(kind: type[IntEnum], *codes: int) -> np.ndarray:
    """Boolean per code of ``kind``, true for ``codes``.

    ``membership(kind, *codes).take(values)`` tests which ``values`` are among ``codes``; for
    the small arrays of a step it costs a fraction of ``np.isin``.
    """
    table = np.zeros(len(kind), dtype=bool)
    table[[int(c) for c in codes]] = True
    return table


# The sets above as tables by code (``membership``) and, for compiled bit tests, as bits.
FIGHTING = membership(Role, *FIGHTING_ROLES)
FIGHTING_BITS = code_bits(*FIGHTING_ROLES)  # the same as an integer's bits (compiled bit tests)
COMMANDING = membership(Role, *COMMAND_ROLES)
COMMAND_BITS = code_bits(*COMMAND_ROLES)
CIVILIAN = membership(Role, *CIVILIAN_ROLES)
FREE = membership(State, *FREE_STATES)
FREE_BITS = code_bits(*FREE_STATES)
IN_CONFLICT = membership(Place, *CONFLICT_PLACES)
IN_THE_REGION = membership(Place, *THE_REGION)
