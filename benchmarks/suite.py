"""The benchmark suite: every figure measured in one process run, so that they are comparable.

``python -m benchmarks`` (or ``make bench``) runs the full suite; ``--quick`` runs fewer
repeats and a smaller reference, in under a minute. The last four lines are the targets'
ratios (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from benchmarks.measure import (
    Timing,
    numpy_floor,
    time_model,
    time_reference,
    time_replicates,
)
from benchmarks.reference import MECHANISMS


@dataclass(frozen=True)
class Plan:
    repeats: int  # full-scale runs of the model and of the floor (the median is reported)
    size_repeats: int  # runs at each of the other sizes
    reference_agents: int  # size of the reference run (it is about 100x slower)
    replicates: int  # full-scale replicates for 1 and for 2 worker processes


QUICK = Plan(repeats=3, size_repeats=1, reference_agents=2_500, replicates=2)
FULL = Plan(repeats=5, size_repeats=3, reference_agents=10_000, replicates=8)
SIZES = (10_000, 50_000, 200_000)  # agents, besides full scale


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("mesa", "numpy", "scipy"))
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, {versions}; "
        f"load average {load}"
    )


def row(t: Timing, full: Timing | None = None) -> str:
    per = 1e9 / t.rate
    vs = f"{t.seconds / full.seconds * full.agent_steps / t.agent_steps:7.2f}" if full else ""
    return (
        f"  {t.name:22s} {t.scale:8.3g} {t.agents:9,d} {t.agent_steps:13,d} "
        f"{t.seconds:9.3f} {t.rate / 1e6:9.2f} {per:9.1f} {vs}"
    )


def growth_exponent(timings: list[Timing]) -> float:
    """Slope of log(time) against log(agent-steps): 1 is linear."""
    x = np.log([t.agent_steps for t in timings])
    y = np.log([t.seconds for t in timings])
    return float(np.polyfit(x, y, 1)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    plan = QUICK if parser.parse_args(argv).quick else FULL
    print(f"machine: {machine()}")
    print(f"plan: {plan}", flush=True)

    # replicates first, while this process is small (the children fork from it)
    reps = time_replicates(plan.replicates)

    full, months = time_model(1.0, plan.repeats, name="model, full scale")
    sizes = [full]
    for agents in SIZES:
        name = f"model, {agents // 1000}k agents"
        sizes.append(time_model(full.agents / agents, plan.size_repeats, name=name)[0])
    sizes.sort(key=lambda t: t.agents)
    floor = numpy_floor(months, plan.repeats)
    ref_scale = full.agents / plan.reference_agents
    reference = time_reference(ref_scale)
    same_rules = time_model(ref_scale, plan.size_repeats, MECHANISMS, "model, reference rules")[0]

    print()
    print(
        f"  {'':22s} {'scale':>8s} {'agents':>9s} {'agent-steps':>13s} {'seconds':>9s} "
        f"{'M a-s/s':>9s} {'ns/a-s':>9s} {'x full':>7s}"
    )
    for t in sizes:
        print(row(t, full))
    print(row(floor, full))
    print(row(reference, full))
    print(row(same_rules, full))
    print(f"  time grows as agent-steps^{growth_exponent(sizes):.2f} (1 = linear)")
    print(
        f"  same rules, same scale: the model is {reference.seconds / same_rules.seconds:.0f}x "
        f"faster than the reference"
    )

    per_min_1, per_min_2 = reps.per_minute(1), reps.per_minute(2)
    # memory left behind per run, from the second run on (the first two fill the allocator's
    # pools); the quick plan's two runs are too few to tell
    after = reps.rss_after[1:]
    growth = (
        f"{(after[-1] - after[0]) / (len(after) - 1):+.1f} MB left behind a run from the second"
        if len(after) > 1
        else "too few runs for a trend"
    )
    print(
        f"  replicates (full scale, run_replicates): {per_min_1:.0f}/min with 1 process, "
        f"{per_min_2:.0f}/min with 2; 1,000 on 2 cores: {1000 / per_min_2:.1f} min"
    )
    print(
        f"  memory: {reps.rss_before:.0f} MB before the runs, "
        f"{', '.join(f'{x:.0f}' for x in reps.rss_after)} MB after each; "
        f"peak {reps.peak_rss:.0f} MB; {growth}"
    )
    print()
    print(f"speedup_vs_mesa_reference={full.rate / reference.rate:.1f}")
    print(f"ratio_to_numpy_floor={full.seconds / floor.seconds:.2f}")
    print(f"parallel_speedup_2_workers={reps.seconds_1 / reps.seconds_2:.2f}")
    print(f"full_scale_run_seconds={full.seconds:.3f}")
    from benchmarks.demo import report as demo_report  # the classroom demo (issue 12)

    print(demo_report())
    return 0
