"""Scenario and experiment files: the parameter schema and the safe loaders."""
