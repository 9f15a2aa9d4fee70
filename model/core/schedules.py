"""Exogenous schedules, interpolated once into monthly arrays."""

from __future__ import annotations

import numpy as np
from regroup.config.fields import Schedule, month_index


def monthly(schedule: Schedule, start: str, months: int) -> np.ndarray:
    """Piecewise-linear values for months 0..months-1 after ``start``; flat beyond the ends."""
    x = np.array([month_index(d, start) for d, _ in schedule.points], dtype=float)
    y = np.array([v for _, v in schedule.points], dtype=float)
    return np.interp(np.arange(months, dtype=float), x, y)


def month_label(start: str, t: int | np.ndarray) -> np.ndarray:
    """``YYYY-MM`` labels for month offsets ``t`` from ``start``."""
    base = np.datetime64(start, "M")
    return np.datetime_as_string(base + np.asarray(t), unit="M")


def year_of(start: str, t: int) -> float:
    """Calendar year of month offset ``t``."""
    y0, m0 = (int(x) for x in start.split("-"))
    return float(y0 + (m0 - 1 + t) // 12)
