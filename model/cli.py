"""The ``regroup`` command line."""

from __future__ import annotations

from pathlib import Path

import typer
from regroup.scenario import ConfigError, load_scenario
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
    from regroup.runner import run_to_directory

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
    from regroup.docs import parameter_table

    text = parameter_table()
    if out is None:
        typer.echo(text, nl=False)
        return
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)


if __name__ == "__main__":
    app()
