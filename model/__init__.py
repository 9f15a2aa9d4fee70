"""regroup: an agent-based Mesa model of what happened to ISIS members after the group lost
its territory, and of its regrouping potential. Prevention research on aggregate figures."""

from regroup.model import RegroupModel
from regroup.scenario import ConfigError, load_scenario
from regroup.schema import Scenario

__all__ = ["ConfigError", "RegroupModel", "Scenario", "load_scenario"]
