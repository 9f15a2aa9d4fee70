"""The measurements: the model, the idiomatic-Mesa reference, the NumPy floor, replicates,
memory over many runs, and how outcomes change with ``population.scale``.

Times are the process's CPU time (``time.process_time``), which other work on a shared
machine disturbs far less than wall time; only the replicates' runs per minute, which are
about parallelism, are wall time. Throughput is in agent-steps per CPU second: the number of
agents that exist in each month, summed over the months, divided by the CPU time of the whole
run (set-up included).
"""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from regroup.config.scenario import with_overrides
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.experiments.runner import run_replicates
from regroup.results.outcomes import outcome_row

from benchmarks.reference import ReferenceModel


@dataclass
class Timing:
    """One implementation at one size: the median CPU time of ``repeats`` runs."""

    name: str
    scale: float
    agents: int  # agents at the end of the run
    agent_steps: int
    seconds: float

    @property
    def rate(self) -> float:
        """Agent-steps per second."""
        return self.agent_steps / self.seconds


def at_scale(scale: float) -> Scenario:
    """The default scenario with ``scale`` persons per agent."""
    return with_overrides(Scenario(), {"population.scale": scale})


def agents_per_month(model: RegroupModel) -> np.ndarray:
    """Agents existing in each month of a finished model run."""
    return model.agent_counts.sum(axis=(1, 2, 3)).astype(np.int64)


def timed(repeats: int, run: Callable[[int], object]) -> tuple[float, object]:
    """The median CPU time of ``run(seed)`` over seeds ``0..repeats-1``, and the last result."""
    times, out = [], None
    for seed in range(repeats):
        gc.collect()
        start = time.process_time()
        out = run(seed)
        times.append(time.process_time() - start)
    return float(np.median(times)), out


def time_model(
    scale: float, repeats: int, mechanisms: Sequence | None = None, name: str = "model"
) -> tuple[Timing, np.ndarray]:
    """The real model at ``scale`` (all mechanisms unless ``mechanisms``); set-up included."""
    scenario = at_scale(scale)
    kwargs = {} if mechanisms is None else {"mechanisms": mechanisms}
    seconds, model = timed(repeats, lambda s: RegroupModel(scenario, seed=s, **kwargs).run())
    months = agents_per_month(model)
    return Timing(name, scale, int(model.pop.n), int(months.sum()), seconds), months


def time_reference(scale: float) -> Timing:
    """The idiomatic-Mesa reference at ``scale`` (one run: it is slow)."""
    scenario = at_scale(scale)
    steps = 0

    def run(seed: int) -> ReferenceModel:
        nonlocal steps
        model = ReferenceModel(scenario, seed=seed)
        while model.running:
            model.step()
            steps += len(model.agents)
        return model

    seconds, model = timed(1, run)
    return Timing("mesa reference", scale, len(model.agents), steps, seconds)


# ---------------------------------------------------------------------------- the floor
N_STATES = 14  # as many states as the model has
BINS = 1 << 16  # resolution of the inverse-CDF table: probabilities to 1.5e-5


def transition_table(seed: int = 0) -> np.ndarray:
    """A random monthly transition matrix as an inverse-CDF lookup table, flattened."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(rng.dirichlet(np.full(N_STATES, 0.3), size=N_STATES), axis=1)
    grid = (np.arange(BINS) + 0.5) / BINS
    table = np.array([np.searchsorted(row, grid) for row in cumulative])
    return np.minimum(table, N_STATES - 1).astype(np.int8).ravel()


def numpy_floor(months: np.ndarray, repeats: int, seed: int = 0) -> Timing:
    """One categorical transition per agent per month, for ``months[t]`` agents in month t.

    Each month draws one uniform number per agent and looks the next state up in the
    inverse-CDF table of the agent's state: the least any implementation has to do.
    """
    table = transition_table(seed)
    total = int(months.max())

    def run(s: int) -> np.ndarray:
        rng = np.random.default_rng(s)
        state = np.zeros(total, dtype=np.int8)
        for n in months:
            u = rng.random(n, dtype=np.float32)
            row = state[:n].astype(np.intp) * BINS
            row += (u * np.float32(BINS)).astype(np.intp)
            state[:n] = table.take(row)
        return state

    seconds, _ = timed(repeats, run)
    return Timing("numpy floor", 1.0, total, int(months.sum()), seconds)


# ---------------------------------------------------------------------------- replicates
def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _replicates_in_child(scenario: Scenario, replicates: int, conn) -> None:
    """In a fresh process: replicates one after another (wall time)."""
    start = time.perf_counter()
    for _ in run_replicates(scenario, replicates, seed=1, workers=1):
        pass
    conn.send(time.perf_counter() - start)
    conn.close()


def _in_child(target, *args):
    """``target(*args, conn)`` in a forked process; what it sends back."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=target, args=(*args, send))
    child.start()
    out = receive.recv()
    child.join()
    return out


@dataclass
class Replicates:
    seconds_1: float  # wall time of the replicates with one process
    seconds_2: float  # ... with two worker processes
    replicates: int
    warm_up: float  # wall time of loading the compiled kernels (one small run), before both

    def per_minute(self, workers: int) -> float:
        seconds = self.seconds_1 if workers == 1 else self.seconds_2
        return 60.0 * self.replicates / seconds


WARM_UP_SCALE = 5.0  # the largest scale whose run loads every kernel a full-scale run calls


def time_replicates(replicates: int, rounds: int = 2) -> Replicates:
    """Full-scale replicates through :func:`~regroup.experiments.runner.run_replicates`,
    1 and 2 workers (wall time: this is about parallelism).

    The modes alternate for ``rounds`` rounds and each keeps its shortest time: other work on
    the machine only ever slows a round down, and alternating spreads it over both modes.
    Each one-process round runs in a fresh forked process, as the workers do. Both modes
    fork from this process once it has loaded the compiled kernels (a run at scale
    ``WARM_UP_SCALE``, timed apart; a smaller one leaves kernels that only larger populations
    reach to be loaded in every child: the ties' index below scale 20, demography's merge of
    the children to come, 12-18 ms a process, at scale 10 and 20): a long sweep loads them
    once a worker, so their one-off cost (about a second) is not part of the steady
    throughput that the ratio compares.
    """
    start = time.perf_counter()
    RegroupModel(at_scale(WARM_UP_SCALE), seed=0).run()
    warm_up = time.perf_counter() - start
    scenario = Scenario()
    seconds_1, seconds_2 = float("inf"), float("inf")
    for _ in range(rounds):
        seconds_1 = min(seconds_1, _in_child(_replicates_in_child, scenario, replicates))
        start = time.perf_counter()
        for _ in run_replicates(scenario, replicates, seed=1, workers=2):
            pass
        seconds_2 = min(seconds_2, time.perf_counter() - start)
    return Replicates(seconds_1, seconds_2, replicates, warm_up)


# ---------------------------------------------------------------------------- memory
@dataclass
class Memory:
    scale: float
    before: float  # MB before the first run
    after: list[float]  # MB after each run, once its garbage is collected
    peak: float  # MB

    @property
    def slope(self) -> float:
        """MB left behind per run over the second half of the runs (0 is flat)."""
        half = np.asarray(self.after[len(self.after) // 2 :])
        if len(half) < 2:
            return float("nan")
        return float(np.polyfit(np.arange(len(half)), half, 1)[0])


def _memory_in_child(scenario: Scenario, runs: int, conn) -> None:
    before, after = rss_mb(), []
    for seed in range(runs):
        RegroupModel(scenario, seed=seed).run()
        gc.collect()
        after.append(rss_mb())
    conn.send((before, after, rss_mb("VmHWM")))
    conn.close()


def memory_over_runs(runs: int, scale: float) -> Memory:
    """Resident memory after each of ``runs`` runs in one fresh process."""
    before, after, peak = _in_child(_memory_in_child, at_scale(scale), runs)
    return Memory(scale, before, after, peak)


# ---------------------------------------------------------------------------- scale
SCALE_OUTCOMES = (
    "killed_total",
    "detained_end",
    "hiding_end",
    "released_total",
    "returned",
    "criminal_end",
    "regroup_pool_end",
    "regroup_pool_peak",
    "regrouped",
)


def outcomes_by_scale(scales: Sequence[float], replicates: int) -> dict[float, dict[str, list]]:
    """Outcomes (in persons) of ``replicates`` runs at each scale, seeds ``1..replicates``."""
    out: dict[float, dict[str, list]] = {}
    for scale in scales:
        scenario = at_scale(scale)
        rows = [
            outcome_row(RegroupModel(scenario, seed=seed).run())
            for seed in range(1, replicates + 1)
        ]
        out[scale] = {k: [float(r[k]) for r in rows] for k in SCALE_OUTCOMES}
    return out
