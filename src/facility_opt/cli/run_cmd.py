"""``facility-opt run`` and ``facility-opt validate``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..errors import DataValidationError
from ._app import ExitCode, app, console, err_console, setup_logging


def _load(data_dir: Path | None):
    from ..loading import load_nerima, read_ward

    return load_nerima() if data_dir is None else read_ward(data_dir)


def _print_issues(exc: DataValidationError) -> None:
    err_console.print(f"[bold red]{len(exc.issues)} problem(s) in the input data[/]")
    for issue in exc.issues:
        err_console.print(f"  - {issue}", markup=False, highlight=False)


@app.command()
def validate(
    data_dir: Path | None = typer.Argument(None, help="Ward data folder (default: the embedded Nerima data)."),
) -> None:
    """Check a ward's data; list every problem (file, row, field) and exit 1 when there is any."""
    try:
        ward = _load(data_dir)
    except DataValidationError as exc:
        _print_issues(exc)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    console.print(f"[green]valid[/]: {ward!r}")


@app.command()
def run(
    data_dir: Path | None = typer.Argument(None, help="Ward data folder (default: the embedded Nerima data)."),
    out: Path = typer.Option(Path("out/nerima"), "--out", help="Folder for the results."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """The main job: load and validate a ward, summarise it and write the results to --out."""
    import matplotlib.pyplot as plt

    from ..figures import plot_ward, save_figure
    from ..ward import atomic_write_text

    setup_logging(verbose)
    with console.status("loading and validating the ward data"):
        try:
            ward = _load(data_dir)
        except DataValidationError as exc:
            _print_issues(exc)
            raise typer.Exit(ExitCode.INVALID_INPUT) from None
    summary = ward.summary()
    table = Table(title=repr(ward))
    table.add_column("category")
    for c in summary.columns:
        table.add_column(c, justify="right")
    for cat, row in summary.iterrows():
        table.add_row(str(cat), *[f"{v:,}" if isinstance(v, (int, float)) else str(v) for v in row])
    console.print(table)
    atomic_write_text(out / "summary.csv", summary.to_csv(lineterminator="\n"))
    fig, ax = plt.subplots(figsize=(9, 8))
    plot_ward(ward, ax=ax)
    save_figure(fig, out / "map.png")
    console.print(f"results written to [bold]{out}[/] (summary.csv, map.png)")
