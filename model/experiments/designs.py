"""Design points from parameter ranges: full grid, Latin hypercube, Sobol' or Morris.

Latin hypercubes come from ``scipy.stats.qmc``; Sobol' (Saltelli) and Morris samples from
SALib, so that ``regroup sensitivity`` can hand the same points back to SALib's analysers.
The design's randomness is the first child of ``SeedSequence(experiment seed)``; the runs'
seeds come from the second (see :func:`run_seeds`), except in an experiment of one design
point, whose replicates are seeded like ``regroup run``'s: the children of
``SeedSequence(seed)`` itself (see :func:`replicate_seeds`).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

if TYPE_CHECKING:
    from regroup.config.experiment import Experiment, ParamRange


def _streams(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    design, runs = np.random.SeedSequence(seed).spawn(2)
    return design, runs


def to_seed(seq: np.random.SeedSequence) -> int:
    """A non-negative 63-bit integer seed drawn from ``seq``."""
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replicate_seeds(seq: np.random.SeedSequence | int, replicates: int) -> list[int]:
    """One seed per replicate: child ``r`` of ``seq`` (``SeedSequence(seq)`` if an int).

    Replicate ``r``'s seed does not depend on how many replicates are asked for.
    """
    if not isinstance(seq, np.random.SeedSequence):
        seq = np.random.SeedSequence(seq)
    return [to_seed(child) for child in seq.spawn(replicates)]


def run_seeds(seed: int, points: int, replicates: int) -> np.ndarray:
    """``points x replicates`` seeds: :func:`replicate_seeds` of child ``p`` of the runs'
    stream for design point ``p``; with one design point, of ``SeedSequence(seed)`` itself, so
    that a one-scenario experiment has the seeds (and numbers) of ``regroup run``.

    A run's seed depends only on (experiment seed, design point, replicate), never on how
    many workers run it or when it finishes.
    """
    streams = [np.random.SeedSequence(seed)] if points == 1 else _streams(seed)[1].spawn(points)
    return np.array([replicate_seeds(s, replicates) for s in streams], dtype=np.int64).reshape(
        points, replicates
    )


def salib_problem(params: dict[str, ParamRange]) -> dict[str, Any]:
    """The SALib problem dict for ranged parameters, in the file's order."""
    return {
        "num_vars": len(params),
        "names": list(params),
        "bounds": [[r.low, r.high] for r in params.values()],
    }


def _grid(params: dict[str, ParamRange], levels: int, integer: dict[str, bool]) -> list[tuple]:
    axes = []
    for key, r in params.items():
        if r.values is not None:
            axes.append(list(r.values))
            continue
        axis = np.linspace(r.low, r.high, levels)
        axes.append(list(np.unique(np.round(axis))) if integer.get(key) else list(axis))
    return list(itertools.product(*axes))


def sample(exp: Experiment) -> pd.DataFrame:
    """The design's parameter values, one row per sample, one column per dotted path."""
    spec = exp.spec
    params, design = spec.parameters, spec.design
    names = list(params)
    if not params:
        return pd.DataFrame(index=range(1))
    rng_seed = to_seed(_streams(spec.seed)[0]) % 2**32
    if design.kind == "grid":
        return pd.DataFrame(_grid(params, design.n_levels, exp.integer), columns=names)
    if design.kind == "lhs":
        unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(rng_seed)).random(
            design.samples
        )
        prob = salib_problem(params)
        lows, highs = np.array(prob["bounds"]).T
        values = qmc.scale(unit, lows, highs)
    elif design.kind == "sobol":
        from SALib.sample import sobol

        values = sobol.sample(
            salib_problem(params),
            design.samples,
            calc_second_order=design.second_order,
            seed=rng_seed,
        )
    else:
        from SALib.sample import morris

        values = morris.sample(
            salib_problem(params), design.samples, num_levels=design.n_levels, seed=rng_seed
        )
    table = pd.DataFrame(values, columns=names)
    for key in names:
        if exp.integer.get(key):
            table[key] = table[key].round().astype(np.int64)
    return table


def design_table(exp: Experiment) -> pd.DataFrame:
    """Every design point: each scenario crossed with every sample of the design.

    Columns: ``point_id``, ``scenario``, then one column per parameter (dotted path).
    Point ids run scenario by scenario, samples in design order within a scenario.
    """
    samples = sample(exp)
    frames = []
    for sc in exp.scenarios:
        frame = samples.copy()
        frame.insert(0, "scenario", sc.name)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "point_id", np.arange(len(table), dtype=np.int64))
    return table
