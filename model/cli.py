"""The ``regroup`` command line."""

from __future__ import annotations

from pathlib import Path

import typer
from regroup.config.limits import MAX_REPLICATES, MAX_WORKERS
from regroup.config.scenario import ConfigError, load_scenario
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # plain help text: Rich markup would eat the defaults written "[all cores]" in help strings
    rich_markup_mode=None,
    help="regroup: what happened to ISIS members after the loss of territory, and the "
    "group's regrouping potential (prevention research; aggregate public figures only).",
)
# no markup: names and paths from the user's files are printed as written; fail() and warn()
# ask for markup for their own label only
err = Console(stderr=True, markup=False)


def fail(message: str, code: int = 2) -> None:
    # the message quotes file names and the user's own keys: escape them so that rich does not
    # read "[...]" as markup, and do not wrap, so that file names and dotted paths stay whole
    err.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True, markup=True
    )
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print a warning (escaped, unwrapped) and carry on."""
    err.print(
        f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True, markup=True
    )


def loaded_or_fail(load, path: Path):
    """``load(path)``, its ConfigWarnings printed as warnings and its ConfigError as an error."""
    import warnings

    from regroup.config.errors import ConfigWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConfigWarning)
            loaded = load(path)
    except ConfigError as exc:
        fail(str(exc))
    for w in caught:
        if issubclass(w.category, ConfigWarning):
            warn(str(w.message))
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return loaded


def load_or_fail(path: Path):
    return loaded_or_fail(load_scenario, path)


def progress_bar() -> Progress:
    return Progress(
        # markup on here only: descriptions escape the user's names themselves
        TextColumn("[progress.description]{task.description}", markup=True),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )


PARAMETERS = typer.Option(
    None,
    "--parameters",
    help="Where each run's parameters come from: fixed, prior or a posterior file "
    "[the file's uncertainty.parameters].",
)
PER_DRAW = typer.Option(
    None,
    "--replicates-per-draw",
    min=1,
    max=MAX_REPLICATES,
    help="Runs (seeds) per parameter set [the file's uncertainty.replicates_per_draw].",
)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    replicates: int = typer.Option(
        20, "--replicates", "-n", min=1, max=MAX_REPLICATES, help="Monte Carlo replicates."
    ),
    seed: int = typer.Option(20181111, "--seed", min=0, help="Seed of the replicate seeds."),
    workers: int = typer.Option(
        1, "--workers", "-w", min=1, max=MAX_WORKERS, help="Worker processes."
    ),
    out: Path | None = typer.Option(None, "--out", help="Output directory [results/<name>]."),
    parameters: str | None = PARAMETERS,
    per_draw: int | None = PER_DRAW,
) -> None:
    """Run Monte Carlo replicates of a scenario (a sweep of one scenario): tables, manifest,
    figures. Replaces an earlier run's results in the same folder, never anything else."""
    from regroup.config.experiment import with_uncertainty
    from regroup.experiments.runner import scenario_experiment
    from regroup.results.figures import write_figures

    exp = or_fail(scenario_experiment, load_or_fail(scenario), scenario, replicates, seed)
    exp = or_fail(with_uncertainty, exp, parameters, per_draw)
    out = out or results_folder(exp)
    summary = sweep_or_fail(exp, out, workers, None, resume=False, kind="run")
    or_fail(write_figures, results_or_fail(out), out / "figures", workers)
    err.print(f"wrote {out}/figures/", highlight=False)
    if summary.failed:
        fail(f"{summary.failed} of {summary.runs} runs failed (see the error column)", code=1)


@app.command()
def validate(scenario: Path = typer.Argument(..., help="Scenario YAML file.")) -> None:
    """Check a scenario file; print the resolved scenario's name."""
    from regroup.results.files import check_name

    sc = load_or_fail(scenario)
    try:
        name = check_name(sc.name, scenario)
    except ConfigError as exc:  # valid, but run will need --out: say so, quote the name
        warn(str(exc))
        name = repr(sc.name)
    typer.echo(f"{scenario}: ok ({name})")


@app.command()
def params(
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
) -> None:
    """Print (or write) the parameter table generated from the schema."""
    from regroup.config.parameter_table import parameter_table
    from regroup.results.files import check_output, write_text

    text = parameter_table()
    if out is None:
        typer.echo(text, nl=False)
        return
    or_fail(check_output, out, "file")
    or_fail(write_text, text, out)


# ----------------------------------------------------------------------------- experiments


def load_experiment_or_fail(path: Path):
    from regroup.config.experiment import load_experiment

    return loaded_or_fail(load_experiment, path)


def show_estimate(exp, workers: int, scheduler: str | None) -> None:
    """For a large sweep, print its runs and a rough time and memory before it starts."""
    from regroup.config.experiment import estimate

    cost = estimate(exp, 1 if scheduler else workers)
    if cost.large:
        where = " (one process; a Dask cluster divides the time)" if scheduler else ""
        err.print(f"{exp.name}: {cost.text()}{where}", highlight=False)


def results_folder(exp) -> Path:
    """``results/<name>``, if the experiment's name is a label (else exit 2)."""
    from regroup.results.files import check_name

    return Path("results") / or_fail(check_name, exp.name, exp.path)


def sweep_or_fail(
    exp,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    force_resume: bool = False,
    kind: str = "sweep",
):
    """Run the sweep with a progress bar (runs done, failures, time left)."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from regroup.experiments.sweep import run_sweep

    workers = workers or exp.spec.executor.workers or os.cpu_count() or 1
    scheduler = scheduler or exp.spec.executor.scheduler
    show_estimate(exp, workers, scheduler)
    with progress_bar() as bar:
        task = None

        def progress(done: int, failed: int, total: int) -> None:
            nonlocal task
            text = escape(exp.name) + (f" [red]{failed} failed[/]" if failed else "")
            if task is None:  # start at what a resumed sweep had done, for the time left
                task = bar.add_task(text, total=total, completed=done)
            bar.update(task, completed=done, description=text)

        try:
            summary = run_sweep(exp, out, workers, scheduler, resume, progress, force_resume, kind)
        except ConfigError as exc:
            fail(str(exc))
        except BrokenProcessPool:
            then = f"; finish with --resume --out {out}" if kind == "sweep" else ""
            fail(f"a worker process died (out of memory?){then}", 1)
    where = f"Dask scheduler {scheduler}" if scheduler else f"{workers} worker(s)"
    err.print(
        f"wrote {out}/: {summary.runs} runs ({summary.ran} run now on {where}, "
        f"{summary.seconds:.0f} s), {summary.failed} failed",
        highlight=False,
    )
    return summary


@app.command()
def sweep(
    experiment: Path = typer.Argument(..., help="Experiment YAML file."),
    workers: int | None = typer.Option(
        None, "--workers", "-w", min=1, max=MAX_WORKERS, help="Local worker processes [all cores]."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:port): run on that cluster."
    ),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted sweep."),
    force_resume: bool = typer.Option(
        False, "--force-resume", help="Finish it even if it was started by other code."
    ),
    out: Path | None = typer.Option(None, "--out", help="Results directory [results/<name>]."),
    parameters: str | None = PARAMETERS,
    per_draw: int | None = PER_DRAW,
) -> None:
    """Run every design point x replicate of an experiment, writing results as they come.

    Exits 1 if any run failed (the failures are recorded in outcomes.parquet), 2 on bad input.
    """
    from regroup.config.experiment import with_uncertainty

    exp = or_fail(with_uncertainty, load_experiment_or_fail(experiment), parameters, per_draw)
    out = out or results_folder(exp)
    resume = resume or force_resume
    summary = sweep_or_fail(exp, out, workers, scheduler, resume, force_resume)
    if summary.failed:
        fail(f"{summary.failed} of {summary.runs} runs failed (see the error column)", code=1)


def or_fail(call, *args):
    """``call(*args)``; its ConfigError (bad input, or an output path refused) is the error."""
    try:
        return call(*args)
    except ConfigError as exc:
        fail(str(exc))


def results_or_fail(path: Path):
    from regroup.results.analysis import load_results

    return or_fail(load_results, path)


@app.command()
def plot(
    results: Path = typer.Argument(..., help="Results directory of regroup run or sweep."),
    out: Path | None = typer.Option(None, "--out", help="Figures directory [RESULTS/figures]."),
    workers: int = typer.Option(
        1, "--workers", "-w", min=1, max=MAX_WORKERS, help="Processes drawing the figures."
    ),
) -> None:
    """Figures of a run or sweep: distributions, ECDFs, fan charts, P(regroup), effects; and CSV
    tables."""
    from regroup.results.figures import write_figures

    res = results_or_fail(results)
    out = out or results / "figures"
    paths = or_fail(write_figures, res, out, workers)
    err.print(f"wrote {len(paths)} figures and their tables (CSV) to {out}/", highlight=False)


@app.command()
def sensitivity(
    experiment: Path = typer.Argument(..., help="Experiment file (sobol or morris design)."),
    outcome: str | None = typer.Option(None, "--outcome", help="Outcome [the file's outcome]."),
    workers: int | None = typer.Option(
        None, "--workers", "-w", min=1, max=MAX_WORKERS, help="Worker processes [all cores]."
    ),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    force_resume: bool = typer.Option(
        False, "--force-resume", help="Finish its sweep even if started by other code."
    ),
    out: Path | None = typer.Option(None, "--out", help="Results directory [results/<name>]."),
) -> None:
    """Sobol' indices (S1, ST) or Morris mu*/sigma via SALib, with a ranked bar chart.

    Runs the sweep first, or finishes it if RESULTS holds part of it; a finished one is reused.
    """
    from regroup.config.experiment import KNOWN_OUTCOMES
    from regroup.experiments.sensitivity import SensitivityError, write_sensitivity
    from regroup.results.analysis import load_results
    from rich.table import Table

    exp = load_experiment_or_fail(experiment)
    if exp.spec.design.kind not in ("sobol", "morris"):
        fail(f"{experiment}: design.kind: sensitivity needs a sobol or morris design")
    if outcome is not None and outcome not in KNOWN_OUTCOMES:
        fail(f"--outcome: unknown outcome {outcome!r}")
    out = out or results_folder(exp)
    summary = sweep_or_fail(exp, out, workers, scheduler, True, force_resume)
    try:
        tables = write_sensitivity(load_results(out), outcome)
    except SensitivityError as exc:
        fail(str(exc), code=1)
    for scenario, table in tables.items():
        view = Table(title=f"{scenario}: {outcome or exp.spec.outcome}")
        for col in table.columns:
            view.add_column(col, justify="left" if col == "parameter" else "right")
        for row in table.itertuples(index=False):
            view.add_row(*(v if isinstance(v, str) else f"{v:.3g}" for v in row))
        Console(markup=False).print(view)
    err.print(f"wrote {out}/sensitivity/")
    if summary.failed:
        fail(f"{summary.failed} of {summary.runs} runs failed (see the error column)", code=1)


@app.command()
def report(
    results: Path = typer.Argument(..., help="Results directory of regroup run or sweep."),
    out: Path | None = typer.Option(None, "--out", help="HTML file [RESULTS/report.html]."),
) -> None:
    """One self-contained HTML report: figures, tables, the experiment file and manifest."""
    from regroup.results.report import write_report

    path = or_fail(write_report, results_or_fail(results), out)
    err.print(f"wrote {path}", highlight=False)


@app.command()
def calibrate(
    experiment: Path = typer.Argument(..., help="Calibration YAML file."),
    workers: int | None = typer.Option(
        None, "--workers", "-w", min=1, help="Local worker processes [the file's, or 1]."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:port): run on that cluster."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue it from its database."),
    out: Path | None = typer.Option(None, "--out", help="Output directory [results/<name>]."),
) -> None:
    """ABC-SMC calibration (pyabc) against the public figures of the targets file: posterior
    particles (Parquet), database, manifest, figures and an HTML report."""
    from regroup.config.calibration import load_calibration
    from regroup.experiments.calibration import run_calibration
    from regroup.results.files import check_name

    try:
        cal = load_calibration(experiment)
        out = out or Path("results") / check_name(cal.name, experiment)
    except ConfigError as exc:
        fail(str(exc))
    workers = workers or cal.spec.executor.workers or 1
    scheduler = scheduler or cal.spec.executor.scheduler
    try:
        summary = run_calibration(
            cal, out, workers, scheduler, resume, lambda msg: err.print(msg, highlight=False)
        )
    except ConfigError as exc:
        fail(str(exc))
    err.print(
        f"wrote {out}/: {summary.generations} generations, {summary.simulations:,} simulations, "
        f"{summary.seconds / 60:.1f} min, final epsilon {summary.epsilon:.3g}, "
        f"ESS {summary.ess:.0f}; posterior: {out}/posterior.parquet",
        highlight=False,
    )


@app.command()
def discover(
    results: Path = typer.Argument(..., help="Results directory of regroup run or sweep."),
    outcome: str = typer.Option("regrouped", "--outcome", help="Outcome to explain."),
    policy: str | None = typer.Option(
        None, "--policy", help="Explain where this policy fails to lower the outcome."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Baseline scenario (default: the experiment's baseline)."
    ),
    threshold: float = typer.Option(
        0.8, "--threshold", min=0.0, max=1.0, help="PRIM's density threshold."
    ),
    out: Path | None = typer.Option(None, "--out", help="Output folder [RESULTS/discovery]."),
) -> None:
    """Scenario discovery: PRIM boxes of drawn parameters in which the outcome happens."""
    import pandas as pd
    from regroup.results.discovery import DiscoveryError, discover, figures
    from regroup.results.files import check_output, figures_manifest, staged, write_json

    res = results_or_fail(results)
    out = out or results / "discovery"
    try:
        check_output(out, "figures")
        found = discover(
            res.outcomes, outcome, policy, baseline or res.baseline, threshold=threshold
        )
        with staged(out, folder=True) as tmp:
            found.trajectory.to_csv(tmp / "prim_trajectory.csv", index=False)
            found.box.to_csv(tmp / "prim_box.csv", index=False)
            for name, fig in figures(found).items():
                fig.savefig(tmp / f"{name}.png", dpi=110)
            info = figures_manifest(results, question=found.question, chosen_box=found.chosen)
            write_json(info, tmp / "manifest.json")
    except (ConfigError, DiscoveryError) as exc:
        fail(str(exc))
    chosen = found.trajectory.loc[found.chosen]
    err.print(
        f"{found.question}: {found.cases} of {found.runs} runs; box {found.chosen} covers "
        f"{chosen['coverage']:.0%} of them with density {chosen['density']:.0%}",
        highlight=False,
    )
    with pd.option_context("display.width", 120):
        typer.echo(found.box.to_string(index=False) if len(found.box) else "(no restriction)")
    chance = int((found.box["qp_value"] > 0.05).sum())
    if chance:
        warn(f"{chance} of {len(found.box)} restrictions have qp > 0.05: likely chance; more draws")
    err.print(f"wrote {out}/", highlight=False)


@app.command()
def demo(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML file [the baseline]."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on (localhost)."),
) -> None:
    """Classroom demo: a live Mesa SolaraViz page in the browser (offline, local only)."""
    from regroup.demo import serve
    from regroup.demo.assets import missing

    if scenario is not None:
        load_or_fail(scenario)
    gone = missing()
    if gone:
        err.print(
            f"warning: {len(gone)} front-end files missing (run: python -m regroup.demo.assets); "
            "offline the page would stay blank",
            highlight=False,
        )
    err.print(f"classroom demo on http://{host}:{port}/ (Ctrl-C stops it)", highlight=False)
    serve(scenario, host=host, port=port)


if __name__ == "__main__":
    app()
