"""Whether a change of the random stream left the model's distributions as they were.

A speed change should keep results bit-identical for the same seed; when it cannot (drawing
the number of rare events and then who, instead of a uniform number for each person), the
outcomes must keep their distributions. Sample them before the change and check after:

    python -m benchmarks.stream save FILE [--runs N]   # on the code before the change
    python -m benchmarks.stream check FILE             # on the code after it

Each run gives, for every output (in agents): its sum over the run and its value in months
60, 120 and the last; the agents in each state at the end; the ties; the regroup month (-1:
none). Samples: the baseline at scale 10 (N runs, default 120), the maximal-policy scenario
at scale 10 (N/3) and the baseline at scale 2 (N/6; five times the agents). ``check`` runs
other seeds than ``save`` (independent samples) and compares each statistic by a two-sample
Kolmogorov-Smirnov test. It fails (exit 1) when a p-value is below 1% divided by the number
of statistics (Bonferroni), and prints the smallest p-values with both means, which show a
shift of a fraction of a standard deviation before it fails: read them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from regroup.config.scenario import load_scenario, with_overrides
from regroup.config.schema import Scenario
from regroup.core.model import RegroupModel
from regroup.results.files import write_json
from scipy.stats import ks_2samp

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
LEVEL = 0.01  # the chance of a false alarm for the whole check
CHECK_SEEDS = 100_000  # check's first seed (save's is 0)


def samples(runs: int, scale: float = 10.0) -> list[tuple[str, Scenario, int]]:
    """The three samples: name, scenario, runs."""
    base, maximal = Scenario(), load_scenario(SCENARIOS / "maximal.yaml")
    return [
        ("baseline", with_overrides(base, {"population.scale": scale}), runs),
        ("maximal", with_overrides(maximal, {"population.scale": scale}), max(runs // 3, 2)),
        ("baseline, larger", with_overrides(base, {"population.scale": scale / 5}), runs // 6 or 2),
    ]


def statistics(model: RegroupModel) -> dict[str, float]:
    """One run's statistics (see the module's docstring)."""
    out: dict[str, float] = {}
    for name, values in model.world.out.raw.items():
        monthly = np.asarray(values, dtype=float).reshape(len(values), -1).sum(axis=1)
        out[f"{name} (sum)"] = float(monthly.sum())
        for t in (60, 120, len(monthly) - 1):
            out[f"{name} (month {t})"] = float(monthly[t % len(monthly)])
    for code, count in enumerate(model.agent_counts[-1].sum(axis=(1, 2))):
        out[f"state {code} (end)"] = float(count)
    out["ties (end)"] = float(model.ties.m)
    month = model.regroup_month
    out["regroup month"] = float(-1 if month is None else month)
    return out


def sample(runs: int, first_seed: int, scale: float = 10.0) -> dict[str, dict[str, list[float]]]:
    """Every statistic of every run of the three samples, seeds from ``first_seed``."""
    data = {}
    for name, scenario, n in samples(runs, scale):
        rows = [statistics(RegroupModel(scenario, seed=first_seed + s).run()) for s in range(n)]
        data[name] = {key: [row[key] for row in rows] for key in rows[0]}
    return data


def compare(before: dict, after: dict) -> list[tuple[float, str, float, float]]:
    """(p-value, statistic, mean before, mean after) for each statistic, smallest p first."""
    found = []
    for name, stats in before.items():
        for key, a in stats.items():
            a, b = np.asarray(a), np.asarray(after[name][key])
            same = np.all(a == a[0]) and np.all(b == a[0])  # KS needs some spread
            p = 1.0 if same else float(ks_2samp(a, b).pvalue)
            found.append((p, f"{name}: {key}", float(a.mean()), float(b.mean())))
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stream", description=__doc__)
    parser.add_argument("mode", choices=["save", "check"])
    parser.add_argument("file", type=Path, help="the samples of the code before the change")
    parser.add_argument("--runs", type=int, default=120, help="runs of the main sample")
    parser.add_argument("--scale", type=float, default=10.0, help="scale of the main samples")
    args = parser.parse_args(argv)
    if args.runs < 2 or not args.scale > 0:
        parser.error(
            f"--runs must be at least 2 and --scale above 0 (got {args.runs}, {args.scale})"
        )
    if args.mode == "save":
        saved = {"runs": args.runs, "scale": args.scale, "data": sample(args.runs, 0, args.scale)}
        write_json(saved, args.file)
        return 0
    try:
        saved = json.loads(args.file.read_text())
        runs, scale, before = saved["runs"], saved["scale"], saved["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        parser.error(f"{args.file}: not samples written by 'save' ({type(exc).__name__}: {exc})")
    after = sample(runs, CHECK_SEEDS, scale)
    found = compare(before, after)
    level = LEVEL / len(found)
    print(f"{len(found)} statistics; each must have p >= {level:.2e}")
    for p, key, a, b in found[:12]:
        print(f"  p = {p:.2e}  {key:55s} mean before {a:14.2f}, after {b:14.2f}")
    differ = [f for f in found if f[0] < level]
    print("the same distributions" if not differ else f"{len(differ)} statistics differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
