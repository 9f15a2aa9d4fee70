"""Sweeps: every (design point, replicate) of an experiment, crash-safe and resumable.

Runs are numbered ``run_id = point_id * replicates + replicate`` and grouped in fixed batches
of ``batch_size`` consecutive run ids. A batch is written (time series, indicators, then
outcomes, each to a temporary name renamed into place) as soon as all its runs are back, so a
killed sweep loses only the batches in flight; ``resume`` reruns just the batches whose
outcomes part is missing. Layout of a results directory::

    manifest.json        experiment, seeds, versions, git commit, status
    experiment.yaml      the experiment file as given
    design.parquet       point_id, scenario, one column per parameter
    runs.parquet         run_id, point_id, scenario, replicate, seed
    outcomes/part-*.parquet, timeseries/part-*.parquet, indicators/part-*.parquet
    timeseries_by_place/, timeseries_by_origin/, indicators_by_place/, indicators_by_origin/
                         the same parts, by place and by region of origin (long format);
                         a folder comes with its first part (none for a table no run
                         wrote: ``timeseries: false``, every run failed)
    outcomes.parquet     all outcome rows, sorted by run_id (written when the sweep ends)

    outcomes.csv         the same without tracebacks, for spreadsheets

``regroup run`` writes the same layout (``kind: run`` in the manifest), through a hidden
temporary folder renamed into place when every run is done. Runs go to a local process pool,
or to a Dask distributed cluster given its address. A run that raises becomes a row with its
``error`` and NaN outcomes; the sweep goes on.

The output path is checked before any work (:func:`regroup.results.files.check_output`), and
names must be labels (:func:`regroup.results.files.check_name`). ``resume`` continues only a
sweep of the same experiment written by the same code (package version and a hash of the
model source, :func:`code_version`), unless ``force_resume`` says to mix code versions.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from regroup.config.experiment import KNOWN_OUTCOMES, Experiment, point_scenario, point_values
from regroup.config.scenario import ConfigError
from regroup.config.schema import Scenario
from regroup.experiments.designs import design_table, run_seeds
from regroup.experiments.draws import ParameterSet, parameter_sets, set_by
from regroup.experiments.runner import pool_context, run_replicate
from regroup.results.files import (
    OutputError,
    check_name,
    check_output,
    git_commit,
    read_manifest,
    staged,
    versions,
    write_atomic,
    write_json,
    write_parquet,
)
from regroup.results.outcomes import LABEL_OUTCOMES, MONTHLY

ID_COLUMNS = ["run_id", "point_id", "scenario", "replicate", "draw", "seed"]
TIMING_COLUMNS = ["seconds"]
PART_DIRS = (*MONTHLY, "outcomes")  # the outcomes part of a batch is written last


@dataclass(frozen=True)
class RunSpec:
    """One run: which design point and replicate, with its seed and its scenario."""

    run_id: int
    point_id: int
    replicate: int
    draw: int
    seed: int
    scenario: Scenario
    params: dict[str, Any]
    timeseries: bool = True


@dataclass
class RunOutput:
    """What a run sends back: its outcome row and (unless it failed) its monthly tables, by
    folder name."""

    run_id: int
    row: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.row.get("error") is not None


@dataclass
class SweepSummary:
    out: Path
    runs: int
    ran: int
    failed: int
    seconds: float


def _ids(spec: RunSpec) -> dict[str, Any]:
    ids = {
        "run_id": spec.run_id,
        "point_id": spec.point_id,
        "scenario": spec.scenario.name,
        "replicate": spec.replicate,
        "draw": spec.draw,
        "seed": spec.seed,
    }
    return {**ids, **spec.params}


def failure(spec: RunSpec, exc: BaseException, seconds: float = float("nan")) -> RunOutput:
    """The output of a run that raised: its ids, NaN outcomes, the error and traceback."""
    row = _ids(spec)
    row["error"] = "".join(traceback.format_exception_only(exc)).strip()
    row["traceback"] = "".join(traceback.format_exception(exc))
    row["seconds"] = seconds
    return RunOutput(spec.run_id, row)


def execute(spec: RunSpec) -> RunOutput:
    """Run one replicate; never raises (an exception becomes a failed RunOutput)."""
    start = time.perf_counter()
    try:
        result = run_replicate(spec.scenario, spec.seed, spec.replicate)
    except Exception as exc:  # recorded, and the sweep goes on
        return failure(spec, exc, time.perf_counter() - start)
    row = _ids(spec)
    row.update({k: v for k, v in result.outcomes.items() if k not in row})
    row["error"] = None
    row["traceback"] = None
    row["seconds"] = time.perf_counter() - start
    tables = {}
    for name, df in result.tables.items():
        if "timeseries" in name and not spec.timeseries:
            continue  # the tables of persons by state are left out on request
        df = df.drop(columns=["replicate"], errors="ignore")
        for i, col in enumerate(("run_id", "point_id", "scenario", "replicate")):
            df.insert(i, col, row[col])
        tables[name] = df
    return RunOutput(spec.run_id, row, tables)


# ----------------------------------------------------------------------------- executors


def _serial(specs: Iterator[RunSpec]) -> Iterator[RunOutput]:
    yield from map(execute, specs)


def _local_pool(specs: Iterator[RunSpec], workers: int) -> Iterator[RunOutput]:
    """A process pool with at most ``2 * workers`` runs submitted and not yet collected."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=pool_context())
    pending: set = set()
    try:
        for spec in specs:
            pending.add(pool.submit(execute, spec))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def connect(address: str):
    """A Dask distributed client for the scheduler at ``address``; ConfigError if unreachable."""
    from distributed import Client

    try:
        return Client(address)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler {address}: cannot connect: {exc}") from None


def _dask(specs: Iterator[RunSpec], client) -> Iterator[RunOutput]:
    """The same runs on a Dask distributed cluster, two per worker thread in flight.

    The window follows the cluster's size, so workers that join later get work too.
    """
    from distributed import as_completed

    running: dict[str, RunSpec] = {}
    queue = as_completed()

    def top_up() -> None:
        window = 2 * max(1, sum(client.nthreads().values()))
        for spec in islice(specs, max(0, window - len(running))):
            future = client.submit(execute, spec, pure=False, key=f"regroup-run-{spec.run_id}")
            running[future.key] = spec
            queue.add(future)

    top_up()
    for future in queue:
        spec = running.pop(future.key)
        try:
            output = future.result()
        except Exception as exc:  # the task could not run (a worker died repeatedly, ...)
            output = failure(spec, exc)
        future.release()
        top_up()
        yield output


def execute_all(specs: Iterator[RunSpec], workers: int = 1, client=None) -> Iterator[RunOutput]:
    """Outputs of ``specs`` in the order they finish: on ``client`` (a Dask client) if given,
    else in this process (``workers`` 1) or a local process pool."""
    if client is not None:
        return _dask(specs, client)
    if workers <= 1:
        return _serial(specs)
    return _local_pool(specs, workers)


# ----------------------------------------------------------------------------- storage


def outcome_frame(rows: list[dict[str, Any]], params: list[str]) -> pd.DataFrame:
    """Outcome rows with a fixed column order and types, failed rows included."""
    df = pd.DataFrame(rows)
    extra = [c for c in df.columns if c not in {*ID_COLUMNS, *params, *KNOWN_OUTCOMES}]
    extra = [c for c in extra if c not in ("error", "traceback", *TIMING_COLUMNS)]
    columns = [*ID_COLUMNS, *params, *KNOWN_OUTCOMES, *extra, "error", "traceback"]
    df = df.reindex(columns=[*columns, *TIMING_COLUMNS])
    for col in (*KNOWN_OUTCOMES, *extra):
        if col == "regrouped":
            df[col] = df[col].astype("boolean")
        elif col in LABEL_OUTCOMES:
            df[col] = df[col].astype("string")
        else:
            df[col] = df[col].astype(float)
    for col in ("error", "traceback"):
        df[col] = df[col].astype("string")
    return df


class ResultsDir:
    """The part files of a sweep's results directory, batch by batch."""

    def __init__(self, out: Path, batch_size: int, n_runs: int, params: list[str]) -> None:
        self.out, self.batch_size, self.n_runs, self.params = out, batch_size, n_runs, params

    def batch_runs(self, batch: int) -> range:
        start = batch * self.batch_size
        return range(start, min(start + self.batch_size, self.n_runs))

    def part_name(self, batch: int) -> str:
        runs = self.batch_runs(batch)
        return f"part-{runs[0]:06d}-{runs[-1]:06d}.parquet"

    @property
    def batches(self) -> int:
        return -(-self.n_runs // self.batch_size)

    def done_batches(self) -> set[int]:
        """Batches whose outcomes part exists (it is written last, so the batch is whole)."""
        names = {p.name for p in (self.out / "outcomes").glob("part-*.parquet")}
        return {b for b in range(self.batches) if self.part_name(b) in names}

    def failures(self, batches: set[int]) -> int:
        """Failed runs recorded in the outcomes parts of ``batches``."""
        total = 0
        for b in batches:
            part = pd.read_parquet(self.out / "outcomes" / self.part_name(b), columns=["error"])
            total += int(part["error"].notna().sum())
        return total

    def clean_temporaries(self) -> None:
        """Remove what a killed session left: temporary parts, temporary part folders, and
        part folders left empty (as earlier versions created every one up front)."""
        for sub in PART_DIRS:
            folder = self.out / sub
            for tmp in folder.glob(".*.tmp-*"):
                tmp.unlink(missing_ok=True)
            for tmp in self.out.glob(f".{sub}.tmp-*"):
                shutil.rmtree(tmp, ignore_errors=True)
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def write_part(self, sub: str, name: str, df: pd.DataFrame) -> None:
        """``df`` as the part ``name`` of the folder ``sub``. A folder is written with its
        first part (a temporary folder renamed into place), so that there is no folder
        without a part: none for a table no run wrote (``timeseries: false``, every run
        failed)."""
        folder = self.out / sub
        if folder.is_dir():
            write_parquet(df, folder / name)
            return
        with staged(folder, folder=True) as tmp:
            df.to_parquet(tmp / name, index=False)

    def write_batch(self, batch: int, outputs: list[RunOutput]) -> None:
        outputs = sorted(outputs, key=lambda o: o.run_id)
        name = self.part_name(batch)
        for sub in MONTHLY:
            tables = [o.tables[sub] for o in outputs if sub in o.tables]
            if tables:
                self.write_part(sub, name, pd.concat(tables, ignore_index=True))
        rows = outcome_frame([o.row for o in outputs], self.params)
        self.write_part("outcomes", name, rows)

    def consolidate(self) -> pd.DataFrame:
        """All outcome parts as one table sorted by run id, written to ``outcomes.parquet``
        and (without tracebacks) ``outcomes.csv``."""
        parts = [pd.read_parquet(p) for p in sorted((self.out / "outcomes").glob("part-*"))]
        table = pd.concat(parts, ignore_index=True).sort_values("run_id", ignore_index=True)
        write_parquet(table, self.out / "outcomes.parquet")
        csv = table.drop(columns=["traceback"])
        write_atomic(self.out / "outcomes.csv", lambda tmp: csv.to_csv(tmp, index=False))
        return table


class Batcher:
    """Collects outputs and writes each batch once all its runs are back."""

    def __init__(self, store: ResultsDir) -> None:
        self.store = store
        self.pending: dict[int, list[RunOutput]] = {}

    def add(self, output: RunOutput) -> None:
        batch = output.run_id // self.store.batch_size
        outputs = self.pending.setdefault(batch, [])
        outputs.append(output)
        if len(outputs) == len(self.store.batch_runs(batch)):
            self.store.write_batch(batch, self.pending.pop(batch))


# ----------------------------------------------------------------------------- sweep


def runs_table(exp: Experiment, design: pd.DataFrame) -> pd.DataFrame:
    """One row per run: ``run_id, point_id, scenario, replicate, draw, seed``.

    A run's seed depends on its design sample (its row within its scenario) and replicate,
    not on the scenario, so every scenario of a comparison runs with the same seeds (and the
    same parameter sets: ``draw`` is ``replicate // replicates_per_draw``).
    """
    reps = exp.spec.replicates
    rows = design.groupby("scenario", sort=False).cumcount().to_numpy()
    seeds = run_seeds(exp.spec.seed, int(rows.max()) + 1, reps)[rows]
    per_draw = -(-reps // exp.draws)
    return pd.DataFrame(
        {
            "run_id": np.arange(len(design) * reps, dtype=np.int64),
            "point_id": np.repeat(design["point_id"].to_numpy(), reps),
            "scenario": np.repeat(design["scenario"].to_numpy(), reps),
            "replicate": np.tile(np.arange(reps, dtype=np.int64), len(design)),
            "draw": np.tile(np.arange(reps, dtype=np.int64) // per_draw, len(design)),
            "seed": seeds.ravel(),
        }
    )


def parameter_draws(exp: Experiment) -> dict[str, list[ParameterSet]]:
    """Each scenario's parameter sets: the same draws for every scenario, less the
    parameters that the scenario or the design sets (see :mod:`regroup.experiments.draws`)."""
    u = exp.uncertainty
    design = set(exp.spec.parameters)
    cache: dict[frozenset[str], list[ParameterSet]] = {}
    out = {}
    for sc in exp.scenarios:
        keep = frozenset(design | set_by(sc)) if not u.fixed else frozenset()
        if keep not in cache:
            cache[keep] = parameter_sets(u.source, exp.draws, exp.spec.seed, keep, u.others)
        out[sc.name] = cache[keep]
    return out


def drawn_columns(draws: dict[str, list[ParameterSet]]) -> list[str]:
    """The drawn parameters' columns, in schema order."""
    return list(dict.fromkeys(k for sets in draws.values() for s in sets for k in s.record))


def fingerprint(
    exp: Experiment,
    design: pd.DataFrame,
    runs: pd.DataFrame,
    draws: dict[str, list[ParameterSet]],
) -> str:
    """A hash of everything that decides the runs' results and the part layout."""
    content = {
        "scenarios": [s.model_dump(mode="json") for s in exp.scenarios],
        "design": design.to_json(orient="split"),
        "runs": runs.to_json(orient="split"),
        "draws": {name: [s.record for s in sets] for name, sets in draws.items()},
        "batch_size": exp.spec.batch_size,
        "timeseries": exp.spec.timeseries,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _specs(
    exp: Experiment,
    design: pd.DataFrame,
    runs: pd.DataFrame,
    draws: dict[str, list[ParameterSet]],
    todo: set[int],
) -> Iterator[RunSpec]:
    """Specs of the runs in ``todo``, built lazily in run-id order."""
    bases = {s.name: s for s in exp.scenarios}
    points = {p["point_id"]: point_values(exp, p) for p in design.to_dict("records")}
    current: tuple[tuple[int, int], Scenario] | None = None
    for run in runs.itertuples(index=False):
        if run.run_id not in todo:
            continue
        drawn = draws[run.scenario][run.draw]
        if current is None or current[0] != (run.point_id, run.draw):
            values = {**drawn.overrides, **points[run.point_id]}
            current = ((run.point_id, run.draw), point_scenario(bases[run.scenario], values))
        yield RunSpec(
            int(run.run_id),
            int(run.point_id),
            int(run.replicate),
            int(run.draw),
            int(run.seed),
            current[1],
            {**points[run.point_id], **drawn.record},
            exp.spec.timeseries,
        )


# the code that decides a run's numbers (figures, report and command line do not)
MODEL_SOURCE = ("core", "mechanisms", "config", "experiments", "results/outcomes.py")


def code_version() -> dict[str, str | None]:
    """The package version, git commit and a SHA-256 of the model source (:data:`MODEL_SOURCE`)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for part in MODEL_SOURCE:
        path = root / part
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes())
    return {
        "regroup": versions()["regroup"],
        "git_commit": git_commit(),
        "source_sha256": digest.hexdigest(),
    }


def manifest(
    exp: Experiment, runs: pd.DataFrame, key: str, kind: str, **extra: Any
) -> dict[str, Any]:
    """The manifest of a results directory (one builder for ``regroup run`` and ``sweep``)."""
    samples = int(runs.groupby("scenario", sort=False)["point_id"].nunique().max())
    seeds = (
        "SeedSequence(seed).spawn(replicates)[replicate]"
        if samples == 1
        else "SeedSequence(seed).spawn(2)[1].spawn(samples)[sample].spawn(replicates)[replicate]"
        " (sample: the design point's row within its scenario)"
    )
    u = exp.uncertainty
    return {
        "kind": kind,
        "experiment": {
            "name": exp.name,
            "file": str(exp.path),
            "settings": exp.spec.model_dump(mode="json"),
            "baseline": exp.baseline,
        },
        "scenarios": {s.name: s.model_dump(mode="json") for s in exp.scenarios},
        "seed": exp.spec.seed,
        "seeds": f"{seeds}, as 63-bit integers; the same in every scenario",
        "uncertainty": {
            "parameters": u.source,
            "draws": exp.draws,
            "replicates_per_draw": -(-exp.spec.replicates // exp.draws),
            "draw_seeds": "SeedSequence(seed).spawn(3)[2].spawn(draws)[draw]",
        },
        "run_seeds": runs["seed"].tolist(),
        "runs": len(runs),
        "fingerprint": key,
        **extra,
        "code": code_version(),
        "versions": versions(),
        "git_commit": git_commit(),
        "command": " ".join(sys.argv),
    }


def _start(out: Path, exp: Experiment, design: pd.DataFrame, runs: pd.DataFrame, info: dict):
    """Create the results directory whole (or not at all) before any run starts."""
    with staged(out, folder=True) as tmp:  # the part folders come with their first parts
        (tmp / "experiment.yaml").write_text(exp.text(), encoding="utf-8")
        design.to_parquet(tmp / "design.parquet", index=False)
        runs.to_parquet(tmp / "runs.parquet", index=False)
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2))


def _code_text(code: dict) -> str:
    return (
        f"regroup {code.get('regroup')}, model source {str(code.get('source_sha256'))[:12]}, "
        f"commit {code.get('git_commit')}"
    )


def _check_resumable(out: Path, key: str, any_code: bool) -> dict[str, Any]:
    """The manifest of ``out`` if this sweep may finish it (written by the same code, unless
    ``any_code``); OutputError if not."""
    info = read_manifest(out)
    if info is None:
        raise OutputError(f"{out}: not a sweep results directory (no manifest.json)")
    if info.get("fingerprint") != key:
        raise OutputError(
            f"{out}: was written by another experiment file (its scenarios, design, seeds or "
            f"batch size differ; see {out / 'experiment.yaml'}); choose another --out"
        )
    old, new = info.get("code") or {}, code_version()
    fields = ("regroup", "source_sha256")
    if not any_code and any(old.get(f) != new[f] for f in fields):
        raise OutputError(
            f"{out}: was written by another version of the code ({_code_text(old)}; now "
            f"{_code_text(new)}): its runs and new ones would not be comparable. Sweep into "
            "another --out, or pass --force-resume to finish it with this code anyway"
        )
    return info


def check_names(exp: Experiment) -> None:
    """Every scenario's and the experiment's name must be a label (OutputError if not)."""
    check_name(exp.name, exp.path)
    for i, sc in enumerate(exp.scenarios):
        where = exp.path.parent / exp.spec.scenarios[i] if exp.spec.scenarios else exp.path
        check_name(sc.name, where)


def run_sweep(
    exp: Experiment,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    force_resume: bool = False,
    kind: Literal["run", "sweep"] = "sweep",
) -> SweepSummary:
    """Run (or, with ``resume``, finish) every run of ``exp``, writing into ``out``.

    ``kind="sweep"`` writes into ``out`` as batches finish, so that ``resume`` can finish an
    interrupted sweep; ``kind="run"`` (``regroup run``) writes into a hidden temporary folder
    renamed to ``out`` when all runs are done, replacing an earlier run's results there.
    ``progress(done, failed, total)`` is called at the start and after every run.
    Before any run, raises OutputError (a ConfigError) if a name is not a label, if ``out``
    cannot be used (see :func:`~regroup.results.files.check_output`), or if ``resume`` finds
    another experiment's results or, unless ``force_resume``, another code version's runs to
    finish (a finished sweep is reused whatever the code: nothing runs).
    """
    out = Path(out)
    check_names(exp)
    check_output(out, kind, resume)
    with ExitStack() as stack:
        client = stack.enter_context(connect(scheduler)) if scheduler else None
        if kind == "sweep":
            return _sweep(exp, out, workers, client, resume, progress, force_resume, kind)
        tmp = stack.enter_context(staged(out, folder=True))
        summary = _sweep(exp, tmp, workers, client, False, progress, False, kind)
        summary.out = out
        return summary


def _sweep(exp, out, workers, client, resume, progress, force_resume, kind) -> SweepSummary:
    started = time.perf_counter()
    scheduler = client.scheduler.address if client is not None else None
    design = design_table(exp)
    runs = runs_table(exp, design)
    draws = parameter_draws(exp)
    key = fingerprint(exp, design, runs, draws)
    params = [*exp.spec.parameters, *drawn_columns(draws)]
    store = ResultsDir(out, exp.spec.batch_size, len(runs), params)
    if resume and read_manifest(out) is not None:
        complete = store.done_batches() == set(range(store.batches))  # nothing would run
        info = _check_resumable(out, key, force_resume or complete)
        store.clean_temporaries()
    else:
        info = manifest(exp, runs, key, kind, status="running", started=time.strftime("%FT%T%z"))
        _start(out, exp, design, runs, info)
    done = store.done_batches()
    todo = {r for b in range(store.batches) if b not in done for r in store.batch_runs(b)}
    finished = len(runs) - len(todo)
    failed = store.failures(done)
    if progress:
        progress(finished, failed, len(runs))
    batcher = Batcher(store)
    for output in execute_all(_specs(exp, design, runs, draws, todo), workers, client):
        batcher.add(output)
        finished += 1
        failed += output.failed
        if progress:
            progress(finished, failed, len(runs))
    table = store.consolidate()
    failed = int(table["error"].notna().sum())
    elapsed = time.perf_counter() - started
    info.update(
        status="complete",
        finished=time.strftime("%FT%T%z"),
        runs_failed=failed,
        sessions=[
            *info.get("sessions", []),
            {
                "ran": len(todo),
                "seconds": round(elapsed, 3),
                "workers": workers,
                "scheduler": scheduler,
                "command": " ".join(sys.argv),
                "code": code_version(),
            },
        ],
    )
    write_json(info, out / "manifest.json")
    return SweepSummary(out, len(runs), len(todo), failed, elapsed)
