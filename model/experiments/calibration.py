"""ABC-SMC calibration with pyabc against the public figures of the targets file.

The fitted parameters are sampled on the unit scale (``u`` uniform on [0, 1]) and mapped
through their schema prior's quantile function, so pyabc's prior is exactly the schema's
prior whatever its kind (truncated log-normal, triangular, beta, uniform). A simulation runs
the scenario with those values at a seed it draws (and records), and returns every fitted
and held-out target. With ``others: prior`` (the default) every other parameter with a prior
is drawn from it in each simulation (from a generator derived from the seed), so the
posterior is marginal over what the figures do not constrain, and runs over it draw those
from their priors as well. The distance is the root mean square, over the fitted targets, of how
far each simulated value lies outside its public range, in units of the range's width
(0 inside the range; a missing value, e.g. a share of nobody, counts 1).

Output folder (``results/<name>`` unless ``--out``)::

    manifest.json         the calibration file, seeds, versions, git commit, status, totals
    calibration.yaml      the calibration file as given
    calibration.db        pyabc's database (one calibration per database; --resume continues it)
    simulations/*.jsonl   every simulation: its seed, parameters and targets (one file a process)
    posterior.parquet     the last generation's weighted particles, the format runs read with
                          ``parameters: {posterior: FILE}``
    particles.parquet     every generation's particles: t, weight, distance, seed, parameters,
                          targets
    generations.csv       epsilon, simulations, acceptance rate and effective sample size
    predictive.parquet    posterior predictive simulations (fresh seeds) of every target
    targets.csv           each target: public range, prior and posterior predictive intervals
    screening.csv         rank correlation of each parameter with each target over the prior
    figures/*.png, report.html

pyabc's multicore sampler reseeds its workers from OS entropy, so only the single-core
sampler (``--workers 1``) repeats a calibration exactly from its seed; every simulation's seed
is recorded either way.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from regroup.config.calibration import Calibration
from regroup.config.errors import ConfigError
from regroup.config.evidence import ParameterSpec, scenario_parameters
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.config.targets import Target
from regroup.experiments.draws import WEIGHT, from_prior, set_by
from regroup.results.files import (
    OutputError,
    read_manifest,
    write_json,
    write_parquet,
    write_text,
)

SEED = "seed"
OTHERS_STREAM = 0x07E5  # the generator of the others' prior draws: [seed, this]
DB = "calibration.db"
SIMULATIONS = "simulations"
OWNED = (
    "manifest.json",
    "calibration.yaml",
    DB,
    SIMULATIONS,
    "posterior.parquet",
    "particles.parquet",
    "generations.csv",
    "predictive.parquet",
    "targets.csv",
    "screening.csv",
    "figures",
    "report.html",
)
MISSING_PENALTY = 1.0


# ------------------------------------------------------------------------------ simulation


def parameter_values(specs: list[ParameterSpec], u: dict[str, float]) -> dict[str, float]:
    """Values on each prior's scale (the posterior file's columns) from unit-scale ``u``."""
    return {s.path: float(s.prior.ppf([float(u[s.path])])[0]) for s in specs}


def overrides(specs: list[ParameterSpec], x: dict[str, float]) -> dict[str, Any]:
    """Scenario overrides from values on the priors' scales."""
    return {s.path: s.at(x[s.path]) for s in specs}


def others_from_prior(scenario: Scenario, specs: list[ParameterSpec], seed: int) -> dict[str, Any]:
    """The parameters neither fitted nor set by the scenario, drawn from their priors with a
    generator derived from the simulation's ``seed`` (so a simulation is reproducible from
    its seed). Fitting with the others drawn makes the posterior marginal over them: runs
    over the posterior then draw the others from their priors too (``others: prior``)."""
    keep = {s.path for s in specs} | set_by(scenario)
    rng = np.random.default_rng([seed, OTHERS_STREAM])
    return from_prior(rng, scenario_parameters(), keep).overrides


def simulate(
    scenario: Scenario,
    specs: list[ParameterSpec],
    targets: dict[str, Target],
    x: dict[str, float],
    seed: int,
    others: str = "fixed",
) -> dict[str, float]:
    """Run the scenario at ``x`` (priors' scales) with ``seed``; every target's value. With
    ``others="prior"`` the parameters not fitted are drawn from their priors
    (:func:`others_from_prior`); with ``"fixed"`` they keep the scenario's values."""
    from regroup.core.model import RegroupModel
    from regroup.results.targets import target_values

    drawn = others_from_prior(scenario, specs, seed) if others == "prior" else {}
    sc = with_overrides(scenario, {**drawn, **overrides(specs, x)}, "calibration")
    model = RegroupModel(sc, seed=seed).run()
    return {k: float(v) for k, v in target_values(model, targets).items()}


@dataclass
class Simulator:
    """pyabc's model: unit-scale parameters -> targets and the seed it drew.

    The seed comes from NumPy's global generator, which pyabc's single-core sampler leaves
    to :func:`run_calibration`'s seed and its multicore sampler reseeds per worker. Each
    simulation is appended to ``log_dir/<pid>.jsonl`` when ``log_dir`` exists.
    """

    scenario: Scenario
    specs: list[ParameterSpec]
    targets: dict[str, Target]
    log_dir: str | None = None
    others: str = "fixed"

    def __call__(self, u: dict[str, float]) -> dict[str, float]:
        # pyabc seeds (and its multicore sampler reseeds) NumPy's global generator
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
        x = parameter_values(self.specs, u)
        stats = simulate(self.scenario, self.specs, self.targets, x, seed, self.others)
        if self.log_dir is not None and os.path.isdir(self.log_dir):
            line = json.dumps({SEED: seed, **x, **stats}, allow_nan=True)
            with open(os.path.join(self.log_dir, f"{os.getpid()}.jsonl"), "a") as f:
                f.write(line + "\n")
        return {**stats, SEED: float(seed)}


def excess(value: float, target: Target) -> float:
    """How far ``value`` lies outside the target's range, in widths of the range (0 inside;
    :data:`MISSING_PENALTY` for a missing value). A point target (low = high) uses 1% of
    its value, or 1, as the width."""
    if value is None or not math.isfinite(value):
        return MISSING_PENALTY
    width = target.high - target.low
    if width <= 0:
        width = max(abs(target.high) * 0.01, 1e-12) if target.high else 1.0
    return max(0.0, target.low - value, value - target.high) / width


@dataclass
class RangeDistance:
    """Root mean square of the fitted targets' :func:`excess` (``x_0`` is not used: the
    observed data are the ranges themselves)."""

    targets: dict[str, Target]

    def __call__(self, x: dict[str, float], x_0: dict[str, float] | None = None) -> float:
        e = [excess(x.get(k, math.nan), t) for k, t in self.targets.items()]
        return float(math.sqrt(sum(v * v for v in e) / len(e)))


# ------------------------------------------------------------------------------ output folder


def check_calibration_output(path: Path, resume: bool) -> str:
    """``new`` or ``resume``; OutputError (nothing changed) for a folder regroup calibrate
    did not write, or for an existing calibration without ``resume``."""
    path = Path(path)
    full, here = path.resolve(), Path.cwd().resolve()
    if full == here or full in here.parents:
        raise OutputError(f"{path}: is the current folder or holds it; name a new folder")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another --out")
    entries = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    if not entries:
        if resume:
            raise OutputError(f"{path}: nothing to resume there; run without --resume")
        return "new"
    info = read_manifest(path)
    if info is None or info.get("kind") != "calibration":
        raise OutputError(
            f"{path}: exists and holds files regroup calibrate did not write; choose another "
            "--out (nothing was changed)"
        )
    foreign = [e for e in entries if e not in OWNED and not e.startswith(".")]
    if foreign:
        raise OutputError(
            f"{path}: holds files regroup did not write ({', '.join(foreign[:5])}); move "
            "them or choose another --out (nothing was changed)"
        )
    if not resume:
        raise OutputError(
            f"{path}: already holds a calibration; pass --resume to continue it, or choose "
            "another --out (one database per calibration)"
        )
    return "resume"


def _manifest(cal: Calibration, status: str, extra: dict[str, Any]) -> dict[str, Any]:
    from regroup.experiments.sweep import code_version
    from regroup.results.files import git_commit, versions

    return {
        "kind": "calibration",
        "name": cal.name,
        "status": status,
        "calibration_file": str(cal.path),
        "calibration": cal.spec.model_dump(),
        "scenario": cal.scenario.model_dump(mode="json"),
        "parameters": {
            s.path: {"prior": s.prior.describe(), "on": s.target, "evidence": s.evidence}
            for s in cal.parameters
        },
        "fit": cal.spec.fit,
        "hold_out": cal.spec.hold_out,
        "command": " ".join(sys.argv),
        "git_commit": git_commit(),
        "code": code_version(),
        "versions": {**versions(), "pyabc": _pyabc_version()},
        **extra,
    }


def _pyabc_version() -> str:
    import pyabc

    return str(pyabc.__version__)


# ------------------------------------------------------------------------------ running


@dataclass
class Summary:
    """What a calibration did: generations, simulations, wall time, final epsilon."""

    generations: int
    simulations: int
    seconds: float
    epsilon: float
    ess: float
    out: Path


def _sampler(workers: int, scheduler: str | None):
    from pyabc.sampler import MulticoreEvalParallelSampler, SingleCoreSampler

    if scheduler:
        from distributed import Client
        from pyabc.sampler import DaskDistributedSampler

        return DaskDistributedSampler(dask_client=Client(scheduler), batch_size=1)
    if workers <= 1:
        return SingleCoreSampler()
    return MulticoreEvalParallelSampler(n_procs=workers)


def run_calibration(
    cal: Calibration,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    report: Callable[[str], None] | None = None,
) -> Summary:
    """Run (or continue) the calibration into ``out``; write every output; a Summary.

    The output folder is checked first (:func:`check_calibration_output`); the database and
    the simulation log are written as the calibration goes, so a killed calibration resumes
    from its last complete generation; every other file is written atomically at the end.
    """
    import pyabc
    from pyabc.epsilon import QuantileEpsilon

    out = Path(out)
    mode = check_calibration_output(out, resume)
    spec = cal.spec
    report = report or (lambda msg: None)
    out.mkdir(parents=True, exist_ok=True)
    (out / SIMULATIONS).mkdir(exist_ok=True)
    if mode == "new":
        write_text(cal.text(), out / "calibration.yaml")
        write_json(_manifest(cal, "running", {}), out / "manifest.json")
    else:
        given = (out / "calibration.yaml").read_text(encoding="utf-8")
        if given != cal.text():
            raise OutputError(
                f"{out}: holds a calibration of a different file; choose another --out"
            )
    sim = Simulator(cal.scenario, cal.parameters, cal.reported, str(out / SIMULATIONS), spec.others)
    prior = pyabc.Distribution(**{s.path: pyabc.RV("uniform", 0, 1) for s in cal.parameters})
    abc = pyabc.ABCSMC(
        sim,
        prior,
        RangeDistance(cal.fitted),
        population_size=spec.population_size,
        eps=QuantileEpsilon(initial_epsilon=1e9, alpha=0.5),
        sampler=_sampler(workers, scheduler),
    )
    db = "sqlite:///" + str((out / DB).resolve())
    started = time.time()
    # pyabc logs each generation (epsilon, acceptance, ESS, timing) to stderr: the progress
    logging.getLogger("ABC").setLevel(logging.INFO)
    if mode == "resume" and (out / DB).exists():
        history = abc.load(db, 1)
        done = history.max_t + 1
    else:
        (out / DB).unlink(missing_ok=True)
        abc.new(db, {k: (t.low + t.high) / 2 for k, t in cal.fitted.items()})
        done = 0
    remaining = spec.generations - done
    if remaining > 0:
        np.random.seed(spec.seed + done)  # noqa: NPY002 - pyabc draws from the global one
        abc.run(
            minimum_epsilon=spec.final_epsilon,
            max_nr_populations=remaining,
            min_acceptance_rate=spec.min_acceptance_rate,
            max_total_nr_simulations=spec.max_simulations,
            max_walltime=timedelta(minutes=spec.max_minutes) if spec.max_minutes else None,
        )
    else:
        report("all generations done: writing the outputs")
    report("writing the posterior, the predictive check, figures and report")
    history = pyabc.History(db)
    history.id = 1
    return write_outputs(cal, out, history, workers, scheduler, time.time() - started)


# ------------------------------------------------------------------------------ outputs


def particles_table(cal: Calibration, history) -> pd.DataFrame:
    """Every generation's particles: t, weight, distance, seed, parameters (priors' scales),
    targets."""
    frames = []
    for t in range(history.max_t + 1):
        pop = history.get_population(t)
        rows = []
        for p in pop.particles:
            x = parameter_values(cal.parameters, dict(p.parameter))
            # pyabc hands back a missing statistic (a share of nobody) as a 0-d array
            stats = {k: float(np.asarray(v)) for k, v in p.sum_stat.items()}
            rows.append({"t": t, WEIGHT: p.weight, "distance": p.distance, **x, **stats})
        frames.append(pd.DataFrame(rows))
    table = pd.concat(frames, ignore_index=True)
    table[SEED] = table[SEED].astype("int64")
    return table


def generations_table(history) -> pd.DataFrame:
    """Per generation: epsilon, simulations, particles, acceptance rate, effective sample
    size of the weights."""
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    ess = []
    for t in pops["t"]:
        _, w = history.get_distribution(m=0, t=int(t))
        ess.append(float(effective_sample_size(w)))
    return pd.DataFrame(
        {
            "t": pops["t"].astype(int),
            "epsilon": pops["epsilon"].astype(float),
            "simulations": pops["samples"].astype(int),
            "particles": pops["particles"].astype(int),
            "acceptance_rate": pops["particles"] / pops["samples"],
            "ess": ess,
        }
    )


def posterior_table(cal: Calibration, particles: pd.DataFrame) -> pd.DataFrame:
    """The last generation in the posterior file format: parameters and ``weight``."""
    last = particles[particles["t"] == particles["t"].max()]
    table = last[[s.path for s in cal.parameters]].copy()
    table[WEIGHT] = last[WEIGHT].to_numpy() / last[WEIGHT].sum()
    return table.reset_index(drop=True)


def _predict_one(job: tuple) -> dict[str, float]:
    scenario, specs, targets, x, seed, others = job
    try:
        return {**simulate(scenario, specs, targets, x, seed, others), SEED: seed}
    except Exception as exc:  # a failed run is reported, not fatal to the outputs
        return {SEED: seed, "error": repr(exc)}


def predictive(
    cal: Calibration, posterior: pd.DataFrame, n: int, workers: int, scheduler: str | None
) -> pd.DataFrame:
    """``n`` simulations at weighted draws of the posterior with fresh seeds (from the
    calibration's seed): every fitted and held-out target."""
    if n == 0:
        return pd.DataFrame()
    ss = np.random.SeedSequence(cal.spec.seed).spawn(2)
    rng = np.random.default_rng(ss[0])
    w = posterior[WEIGHT].to_numpy(float)
    rows = rng.choice(len(posterior), size=n, p=w / w.sum())
    seeds = [int(s.generate_state(1)[0]) for s in ss[1].spawn(n)]
    names = [s.path for s in cal.parameters]
    jobs = [
        (
            cal.scenario,
            cal.parameters,
            cal.reported,
            posterior.iloc[r][names].to_dict(),
            seed,
            cal.spec.others,
        )
        for r, seed in zip(rows, seeds, strict=True)
    ]
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            results = client.gather(client.map(_predict_one, jobs, pure=False))
    elif workers > 1:
        from regroup.experiments.runner import pool_context

        with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
            results = list(pool.map(_predict_one, jobs))
    else:
        results = [_predict_one(j) for j in jobs]
    table = pd.DataFrame(results)
    params = posterior.iloc[rows][names].reset_index(drop=True)
    return pd.concat([params, table], axis=1)


def interval(values: pd.Series, weights: np.ndarray | None = None, level: float = 0.9):
    """(lower, median, upper) of the central ``level`` interval (weighted if given)."""
    v = np.asarray(values, float)
    keep = np.isfinite(v)
    v = v[keep]
    if len(v) == 0:
        return (math.nan, math.nan, math.nan)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, float)[keep]
    order = np.argsort(v)
    v, w = v[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    q = [(1 - level) / 2, 0.5, (1 + level) / 2]
    return tuple(float(np.interp(p, cdf, v)) for p in q)


def targets_table(cal: Calibration, particles: pd.DataFrame, pred: pd.DataFrame) -> pd.DataFrame:
    """Each fitted and held-out target: its range, the prior predictive 90% interval
    (generation 0) and the posterior predictive 90% interval, and the share in range."""
    prior = particles[particles["t"] == 0]
    rows = []
    for name, t in cal.reported.items():
        lo, mid, hi = interval(pred[name]) if name in pred else (math.nan,) * 3
        plo, pmid, phi = interval(prior[name])
        inside = (
            float(((pred[name] >= t.low) & (pred[name] <= t.high)).mean())
            if name in pred and len(pred)
            else math.nan
        )
        rows.append(
            {
                "target": name,
                "role": "fitted" if name in cal.spec.fit else "held out",
                "low": t.low,
                "high": t.high,
                "prior_5": plo,
                "prior_50": pmid,
                "prior_95": phi,
                "posterior_5": lo,
                "posterior_50": mid,
                "posterior_95": hi,
                "share_in_range": inside,
                "counts": t.counts,
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def screening_table(cal: Calibration, particles: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation of each parameter with each target over generation 0 (the
    prior): which parameters move which targets."""
    prior = particles[particles["t"] == 0]
    out = {}
    for s in cal.parameters:
        col = {}
        for name in cal.reported:
            pair = prior[[s.path, name]].dropna()
            col[name] = (
                float(pair[s.path].rank().corr(pair[name].rank())) if len(pair) > 2 else math.nan
            )
        out[s.path] = col
    table = pd.DataFrame(out).T
    table.index.name = "parameter"
    return table.reset_index()


def write_outputs(
    cal: Calibration, out: Path, history, workers: int, scheduler: str | None, seconds: float
) -> Summary:
    """Posterior, particles, generations, predictive check, figures, report, manifest."""
    from regroup.results.calibration_report import write_figures_and_report

    particles = particles_table(cal, history)
    gens = generations_table(history)
    posterior = posterior_table(cal, particles)
    pred = predictive(cal, posterior, cal.spec.predictive, workers, scheduler)
    targets = targets_table(cal, particles, pred)
    screening = screening_table(cal, particles)
    write_parquet(posterior, out / "posterior.parquet")
    write_parquet(particles, out / "particles.parquet")
    if len(pred):
        write_parquet(pred, out / "predictive.parquet")
    write_text(gens.to_csv(index=False), out / "generations.csv")
    write_text(targets.to_csv(index=False), out / "targets.csv")
    write_text(screening.to_csv(index=False), out / "screening.csv")
    simulations = int(history.total_nr_simulations)
    before = read_manifest(out) or {}
    wall = float(before.get("wall_seconds", 0.0)) + seconds
    last = gens.iloc[-1]
    totals = {
        "generations": int(len(gens)),
        "simulations": simulations,
        "predictive_simulations": int(len(pred)),
        "wall_seconds": wall,
        "workers": workers,
        "scheduler": scheduler,
        "final_epsilon": float(last["epsilon"]),
        "final_ess": float(last["ess"]),
        "seed": cal.spec.seed,
        "reproducible": workers <= 1 and not scheduler,
        "simulation_seeds": "simulations/*.jsonl (every simulation), particles.parquet",
    }
    write_json(_manifest(cal, "complete", totals), out / "manifest.json")
    write_figures_and_report(cal, out, particles, gens, posterior, targets, screening)
    return Summary(len(gens), simulations, wall, float(last["epsilon"]), float(last["ess"]), out)


def read_particles(out: Path) -> pd.DataFrame:
    """The particles table of a finished calibration folder."""
    path = Path(out) / "particles.parquet"
    if not path.is_file():
        raise ConfigError(f"{out}: no particles.parquet (not a finished calibration)")
    return pd.read_parquet(path)
