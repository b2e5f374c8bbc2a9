"""``facility-opt run``: the main job (for now: load, validate and summarise a ward)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, console


@app.command()
def run(
    data_dir: Path | None = typer.Argument(None, help="Ward data folder (default: the embedded Nerima data)."),
    out: Path = typer.Option(Path("out/nerima"), "--out", help="Folder for the results."),
) -> None:
    """Run the main job on a ward's data and write the results to --out."""
    console.print("facility-opt run: not implemented yet")
