"""Size limits of runs and sweeps, checked before anything is allocated or run.

They are documented in the README ("Limits") and named in every error that cites them. The
YAML limits (file size, nesting, expanded aliases) are in :mod:`regroup.config.yaml_loader`.
"""

from __future__ import annotations

MAX_REPLICATES = 10_000
"""Replicates of a ``run``, or per design point of a sweep."""
MAX_SAMPLES = 100_000
"""A design's ``samples`` (LHS points, Sobol' base samples, Morris trajectories)."""
MAX_LEVELS = 1_000
"""A design's ``levels`` (grid values per low/high range, Morris levels)."""
MAX_DESIGN_POINTS = 100_000
"""Design points of a sweep: scenarios x samples of the design."""
MAX_RUNS = 1_000_000
"""Runs of a sweep: design points x replicates."""
MAX_WORKERS = 1_024
"""Local worker processes."""

LARGE_SWEEP_RUNS = 1_000
"""From this many runs (or 10 minutes of estimated time) a sweep prints its estimated cost."""
LARGE_SWEEP_SECONDS = 600.0

# one run on the project machine (docs/performance.md): about 0.7 s of set-up and fixed monthly
# cost plus 2.9 s per full-scale population, for 240 months; about 100 MB for a worker process
# plus 110 MB per full-scale population
_RUN_FIXED_S, _RUN_AGENTS_S, _MONTHS = 0.7, 2.9, 240
_WORKER_MB, _RUN_AGENTS_MB = 100.0, 110.0


def run_seconds(scale: float, months: int) -> float:
    """Rough seconds of one run at ``population.scale`` over ``months`` months."""
    return (_RUN_FIXED_S + _RUN_AGENTS_S / scale) * months / _MONTHS


def worker_megabytes(scale: float) -> float:
    """Rough peak memory of one worker process running one run, in MB."""
    return _WORKER_MB + _RUN_AGENTS_MB / scale
