"""regroup: an agent-based Mesa model of what happened to ISIS members after the group lost
its territory, and of its regrouping potential. Prevention research on aggregate figures."""

from regroup.config.scenario import ConfigError, load_scenario
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel

__all__ = ["ConfigError", "RegroupModel", "Scenario", "load_scenario"]
