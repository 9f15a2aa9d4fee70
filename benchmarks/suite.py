"""The benchmark suite: every figure measured in one process run, so that they are comparable.

``python -m benchmarks`` (or ``make bench``) runs the full suite; ``--quick`` runs fewer
repeats, a smaller reference, no other sizes, memory over 100 runs at scale 20 and 4
replicates a scale (about two minutes of CPU). The last lines are the targets' ratios (see
docs/performance.md); they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from benchmarks.measure import (
    Memory,
    Timing,
    memory_over_runs,
    numpy_floor,
    outcomes_by_scale,
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
    memory_runs: int  # runs in one process for the memory trend
    memory_scale: float  # ... at this scale
    scale_replicates: int  # replicates at each scale of the scale study
    sizes: tuple[int, ...]  # other sizes timed (agents), besides full scale


QUICK = Plan(3, 1, 2_500, 4, 100, 20.0, 4, ())
FULL = Plan(5, 3, 10_000, 8, 100, 1.0, 20, (10_000, 50_000, 200_000))
SCALES = (1.0, 5.0, 10.0, 20.0)  # the scale study
TARGETS = {  # name: (target, whether the value must be at most the target)
    "ratio_to_numpy_floor": (7.0, True),
    "speedup_vs_mesa_reference": (100.0, False),
    "parallel_speedup_2_workers": (1.8, False),
}


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


def scale_table(results: dict[float, dict[str, list]]) -> list[str]:
    """Median and spread (interquartile range) of each outcome at each scale; the other scales
    as the change of the median (in % of full scale's median) and the ratio of the spreads."""
    full = results[SCALES[0]]
    lines = [
        f"  {'outcome':20s} {'median (IQR) at scale 1':>26s} "
        + " ".join(f"{f'scale {s:g}: median, IQR':>26s}" for s in SCALES[1:])
    ]
    for name in full:
        base = np.asarray(full[name])
        q1, med, q3 = np.percentile(base, [25, 50, 75])
        cells = [f"{med:12,.0f} ({q3 - q1:10,.0f})"]
        if name == "regrouped":
            cells = [f"{'P = ' + format(base.mean(), '.2f'):>25s}"]
        for scale in SCALES[1:]:
            x = np.asarray(results[scale][name])
            if name == "regrouped":
                cells.append(f"{'P = ' + format(x.mean(), '.2f'):>26s}")
                continue
            xq1, xmed, xq3 = np.percentile(x, [25, 50, 75])
            change = (xmed - med) / med * 100 if med else float("nan")
            spread = (xq3 - xq1) / (q3 - q1) if q3 > q1 else float("nan")
            cells.append(f"{change:+10.1f}%, {spread:6.2f}x IQR   ")
        lines.append(f"  {name:20s} {cells[0]:>26s} " + " ".join(cells[1:]))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about 2 minutes)")
    plan = QUICK if parser.parse_args(argv).quick else FULL
    print(f"machine: {machine()}")
    print(f"plan: {plan}", flush=True)

    # the processes that fork first, while this one is small
    reps = time_replicates(plan.replicates)
    per_min_1, per_min_2 = reps.per_minute(1), reps.per_minute(2)
    print(
        f"  replicates (full scale, run_replicates, wall time): {per_min_1:.0f}/min with 1 "
        f"process, {per_min_2:.0f}/min with 2; 1,000 on 2 cores: {1000 / per_min_2:.1f} min "
        f"(after loading the compiled kernels once a process: {reps.warm_up:.2f} s)",
        flush=True,
    )
    memory = memory_over_runs(plan.memory_runs, plan.memory_scale)
    print(memory_line(memory), flush=True)

    full, months = time_model(1.0, plan.repeats, name="model, full scale")
    floor = numpy_floor(months, plan.repeats)
    ref_scale = full.agents / plan.reference_agents
    reference = time_reference(ref_scale)
    same_rules = time_model(ref_scale, plan.size_repeats, MECHANISMS, "model, reference rules")[0]
    sizes = [full]
    for agents in plan.sizes:
        name = f"model, {agents // 1000}k agents"
        sizes.append(time_model(full.agents / agents, plan.size_repeats, name=name)[0])
    sizes.sort(key=lambda t: t.agents)

    print()
    print(
        f"  {'CPU time':22s} {'scale':>8s} {'agents':>9s} {'agent-steps':>13s} {'seconds':>9s} "
        f"{'M a-s/s':>9s} {'ns/a-s':>9s} {'x full':>7s}"
    )
    for t in sizes:
        print(row(t, full))
    print(row(floor, full))
    print(row(reference, full))
    print(row(same_rules, full))
    if len(sizes) > 2:
        print(f"  time grows as agent-steps^{growth_exponent(sizes):.2f} (1 = linear)")
    print(
        f"  same rules, same scale: the model is {reference.seconds / same_rules.seconds:.0f}x "
        f"faster than the reference",
        flush=True,
    )

    print()
    print(f"  outcomes by population.scale ({plan.scale_replicates} replicates each, same seeds):")
    for line in scale_table(outcomes_by_scale(SCALES, plan.scale_replicates)):
        print(line)

    figures = {
        "ratio_to_numpy_floor": full.seconds / floor.seconds,
        "speedup_vs_mesa_reference": full.rate / reference.rate,
        "parallel_speedup_2_workers": reps.seconds_1 / reps.seconds_2,
    }
    print()
    print(f"full_scale_run_cpu_seconds={full.seconds:.3f}")
    for name, value in figures.items():
        target, at_most = TARGETS[name]
        met = value <= target if at_most else value >= target
        sign = "<=" if at_most else ">="
        print(f"{name}={value:.2f}  (target {sign} {target:g}: {'met' if met else 'not met'})")
    print(f"memory_growth_mb_per_run={memory.slope:+.2f}  (target: flat, about 0)")
    from benchmarks.demo import report as demo_report  # the classroom demo (issue 12)

    print(demo_report())
    return 0


def memory_line(m: Memory) -> str:
    after = m.after
    return (
        f"  memory over {len(after)} runs at scale {m.scale:g} in one process: "
        f"{m.before:.0f} MB before, {after[0]:.0f} after the first, "
        f"{after[len(after) // 2]:.0f} after run {len(after) // 2 + 1}, {after[-1]:.0f} after the "
        f"last; peak {m.peak:.0f} MB; {m.slope:+.2f} MB a run over the second half"
    )
