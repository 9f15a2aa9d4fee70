"""The ``regroup`` command line."""

from __future__ import annotations

from pathlib import Path

import typer
from regroup.config.scenario import ConfigError, load_scenario
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="regroup: what happened to ISIS members after the loss of territory, and the "
    "group's regrouping potential (prevention research; aggregate public figures only).",
)
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    # the message quotes file names and the user's own keys: escape them so that rich does not
    # read "[...]" as markup, and do not wrap, so that file names and dotted paths stay whole
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_or_fail(path: Path):
    try:
        return load_scenario(path)
    except ConfigError as exc:
        fail(str(exc))


def progress_bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    replicates: int = typer.Option(20, "--replicates", "-n", min=1, help="Monte Carlo replicates."),
    seed: int = typer.Option(20181111, "--seed", min=0, help="Seed of the replicate seeds."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    out: Path | None = typer.Option(None, "--out", help="Output directory [results/<name>]."),
) -> None:
    """Run Monte Carlo replicates of a scenario; write Parquet tables, manifest and figures."""
    from regroup.experiments.runner import run_to_directory

    sc = load_or_fail(scenario)
    out = out or Path("results") / sc.name
    with progress_bar() as bar:
        task = bar.add_task(f"{sc.name}", total=replicates)
        run_to_directory(
            sc, out, replicates, seed, workers, progress=lambda k: bar.advance(task, k)
        )
    err.print(
        f"wrote {out}/ (outcomes.parquet, timeseries.parquet, indicators.parquet, "
        "manifest.json, figures)"
    )


@app.command()
def validate(scenario: Path = typer.Argument(..., help="Scenario YAML file.")) -> None:
    """Check a scenario file; print the resolved scenario's name."""
    sc = load_or_fail(scenario)
    typer.echo(f"{scenario}: ok ({sc.name})")


@app.command()
def params(
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
) -> None:
    """Print (or write) the parameter table generated from the schema."""
    from regroup.config.parameter_table import parameter_table

    text = parameter_table()
    if out is None:
        typer.echo(text, nl=False)
        return
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)


# ----------------------------------------------------------------------------- experiments


def load_experiment_or_fail(path: Path):
    from regroup.config.experiment import load_experiment

    try:
        return load_experiment(path)
    except ConfigError as exc:
        fail(str(exc))


def sweep_or_fail(exp, out: Path, workers: int | None, scheduler: str | None, resume: bool):
    """Run the sweep with a progress bar (runs done, failures, time left)."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from regroup.experiments.sweep import run_sweep

    workers = workers or exp.spec.executor.workers or os.cpu_count() or 1
    scheduler = scheduler or exp.spec.executor.scheduler
    with progress_bar() as bar:
        task = None

        def progress(done: int, failed: int, total: int) -> None:
            nonlocal task
            text = f"{exp.name} [red]{failed} failed[/]" if failed else exp.name
            if task is None:  # start at what a resumed sweep had done, for the time left
                task = bar.add_task(text, total=total, completed=done)
            bar.update(task, completed=done, description=text)

        try:
            summary = run_sweep(exp, out, workers, scheduler, resume, progress)
        except ConfigError as exc:
            fail(str(exc))
        except BrokenProcessPool:
            fail(f"a worker process died (out of memory?); finish with --resume --out {out}", 1)
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
        None, "--workers", "-w", min=1, help="Local worker processes [all cores]."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:port): run on that cluster."
    ),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted sweep."),
    out: Path | None = typer.Option(None, "--out", help="Results directory [results/<name>]."),
) -> None:
    """Run every design point x replicate of an experiment, writing results as they come.

    Exits 1 if any run failed (the failures are recorded in outcomes.parquet), 2 on bad input.
    """
    exp = load_experiment_or_fail(experiment)
    summary = sweep_or_fail(exp, out or Path("results") / exp.name, workers, scheduler, resume)
    if summary.failed:
        fail(f"{summary.failed} of {summary.runs} runs failed (see the error column)", code=1)


def results_or_fail(path: Path):
    from regroup.results.analysis import load_results

    try:
        return load_results(path)
    except ConfigError as exc:
        fail(str(exc))


@app.command()
def plot(
    results: Path = typer.Argument(..., help="Results directory of regroup sweep."),
    out: Path | None = typer.Option(None, "--out", help="Figures directory [RESULTS/figures]."),
) -> None:
    """Figures of a sweep: distributions, ECDFs, fan charts, P(regroup), effects; and CSV tables."""
    from regroup.results.figures import write_figures

    res = results_or_fail(results)
    paths = write_figures(res, out or results / "figures")
    err.print(f"wrote {len(paths)} figures and 3 tables to {out or results / 'figures'}/")


@app.command()
def sensitivity(
    experiment: Path = typer.Argument(..., help="Experiment file (sobol or morris design)."),
    outcome: str | None = typer.Option(None, "--outcome", help="Outcome [the file's outcome]."),
    workers: int | None = typer.Option(None, "--workers", "-w", min=1, help="Worker processes."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address."),
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
    out = out or Path("results") / exp.name
    summary = sweep_or_fail(exp, out, workers, scheduler, resume=True)
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
        Console().print(view)
    err.print(f"wrote {out}/sensitivity/")
    if summary.failed:
        fail(f"{summary.failed} of {summary.runs} runs failed (see the error column)", code=1)


@app.command()
def report(
    results: Path = typer.Argument(..., help="Results directory of regroup sweep."),
    out: Path | None = typer.Option(None, "--out", help="HTML file [RESULTS/report.html]."),
) -> None:
    """One self-contained HTML report: figures, tables, the experiment file and manifest."""
    from regroup.results.report import write_report

    path = write_report(results_or_fail(results), out)
    err.print(f"wrote {path}")


if __name__ == "__main__":
    app()
