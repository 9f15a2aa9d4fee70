"""The errors and warnings of scenario and experiment files."""

from __future__ import annotations


class ConfigError(Exception):
    """A bad scenario or experiment file; the message names the file and the field."""


class ConfigWarning(UserWarning):
    """A file that is valid but probably not what its author meant (an empty file)."""
