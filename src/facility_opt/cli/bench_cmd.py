"""``facility-opt bench``: solve OR-Library files and print objective, status, gap and times."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ._app import ExitCode, app, console, err_console
from ._failures import CAUGHT, failures, invalid_option, report_failure


def _write_json_atomic(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("bench")
def bench(
    paths: list[Path] = typer.Argument(..., help="OR-Library files (pmedN.txt, capNNN.txt, capa.txt...) or folders."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the records to this JSON file."),
    solver: str = typer.Option("highs", "--solver", help="highs or cbc."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds per instance."),
    gap: float | None = typer.Option(None, "--gap", help="Relative MIP gap to stop at."),
    threads: int | None = typer.Option(None, "--threads", help="Solver threads."),
    model: str = typer.Option(
        "auto",
        "--model",
        help="Warehouse files: auto, ufl, cfl or cfl-single; p-median files: auto (p-median) or pcenter.",
    ),
    capacity: float | None = typer.Option(None, "--capacity", help="Value for the 'capacity' token of capa/b/c."),
    method: str = typer.Option(
        "auto", "--method", help="p-median method: auto, benders, lagrangian, reduced, classic or sparse."
    ),
) -> None:
    """Solve OR-Library location instances (format read from each file) and report the figures."""
    from ..locate.bench import collect_files, solve_orlib_file
    from ..solver import SolverOptions

    opts = SolverOptions(solver=solver, time_limit=time_limit, gap_rel=gap, threads=threads)  # type: ignore[arg-type]
    with failures():
        files = collect_files(paths)
    if not files:
        raise invalid_option("no OR-Library files found in the given paths")
    table = Table()
    for col in ("instance", "model", "size", "objective", "status", "gap", "build s", "solve s"):
        left = col in ("instance", "model", "size", "status")
        table.add_column(col, no_wrap=True, justify="left" if left else "right")
    records = []
    code = ExitCode.OK
    for f in files:
        try:
            rec = solve_orlib_file(f, opts, model=model, capacity=capacity, method=method)  # type: ignore[arg-type]
        except CAUGHT as err:
            err_console.print(f"{f}:", highlight=False)
            code = report_failure(err)
            continue
        records.append(rec)
        size = f"{rec['n_demand']}x{rec['n_sites']}" + (f" p={rec['p']}" if rec["p"] is not None else "")
        table.add_row(
            rec["instance"],
            rec["model"],
            size,
            f"{rec['objective']:.10g}",
            rec["status"],
            "-" if rec["gap"] is None else f"{100 * rec['gap']:.4f}%",
            f"{rec['build_seconds']:.3f}",
            f"{rec['solve_seconds']:.3f}",
        )
        if rec["status"] != "optimal" and code == ExitCode.OK:
            code = ExitCode.SOLVER_LIMIT
    Console(width=max(console.width, 120)).print(table)  # wide enough for every column
    total = sum(r["total_seconds"] for r in records)
    console.print(f"{len(records)} instance(s), {total:.2f} s in total")
    if json_out is not None:
        _write_json_atomic(json_out, {"records": records, "total_seconds": round(total, 4)})
    raise typer.Exit(code)
