"""``facility-opt validate`` and ``facility-opt run`` (the main job)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._app import DataOption, LangOption, PublishOption, PublishSchemaOption, app, console, err_console, setup_logging
from ._failures import failures


@app.command()
def validate(
    data_dir: str | None = typer.Argument(
        None,
        help="Ward data folder (facilities as CSV, GeoPackage or an Excel "
        "register) or a postgresql:// URL (default: the embedded Nerima data).",
    ),
) -> None:
    """Check a ward's data; list every problem (file or table, sheet, row, field) and exit 1 when there is any."""
    from ..loading import load_nerima, read_ward

    with failures():
        ward = load_nerima() if data_dir is None else read_ward(data_dir)
    console.print(f"[green]valid[/]: {ward!r}")


def publish_or_exit(run_dir: Path, url: str, schema: str | None) -> dict:
    """Publish a run folder to PostGIS; on failure say so and exit 6 (the plan files stay written)."""
    from ..postgis import DEFAULT_SCHEMA, publish_run

    with failures():
        res = publish_run(run_dir, url, schema or DEFAULT_SCHEMA)
    return {"schema": res.schema, "tables": res.tables, "history_id": res.history_id, "run_sha": res.run_sha}


def kpi_table(plan) -> Table:
    """The plan's headline figures against keeping everything, as a rich table."""
    from ..portfolio import format_yen

    k = plan.kpis
    t = Table(
        title=f"{plan.name}: {k.horizon_years}-year plan from {plan.start_year} "
        f"({plan.solver.status}, gap {100 * (plan.solver.gap or 0):.2f}%)"
    )
    t.add_column("")
    t.add_column("keep everything", justify="right")
    t.add_column("plan", justify="right")
    t.add_row("buildings", f"{k.buildings_before:,}", f"{k.buildings_after:,}")
    t.add_row("floor area (m²)", f"{k.floor_before_m2:,.0f}", f"{k.floor_after_m2:,.0f}")
    t.add_row(f"{k.horizon_years}-year cost", format_yen(k.cost_before_yen), format_yen(k.cost_after_yen))
    t.add_row("cost per year", format_yen(k.cost_per_year_before_yen), format_yen(k.cost_per_year_after_yen))
    for s in k.services:
        t.add_row(f"coverage: {s.service_id}", f"{100 * s.coverage_before:.1f}%", f"{100 * s.coverage_after:.1f}%")
    t.add_row("[bold]saving[/]", "", f"[bold]{format_yen(k.saving_yen)} ({100 * k.saving_share:.1f}%)[/]")
    return t


@app.command()
def run(
    model: Path | None = typer.Argument(None, help="Planning model YAML (default: models/nerima.yaml)."),
    out: Path = typer.Option(Path("out/nerima"), "--out", help="Run folder (replaced when the run completes)."),
    data: DataOption = None,
    time_limit: float | None = typer.Option(None, "--time-limit", help="Solver time limit (s)."),
    gap: float | None = typer.Option(None, "--gap", help="Relative MIP gap to stop at (e.g. 0.005)."),
    threads: int | None = typer.Option(None, "--threads"),
    solver: str | None = typer.Option(None, "--solver", help="highs (default) or cbc."),
    tradeoff: int = typer.Option(0, "--tradeoff", help="Also trace the cost-access trade-off with N points."),
    xlsx: bool = typer.Option(
        False, "--xlsx", help="Also write plan.xlsx: the KPIs and every table of the run, one sheet each."
    ),
    publish: PublishOption = None,
    publish_schema: PublishSchemaOption = None,
    lang: LangOption = None,
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as JSON (for machines)."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """The full job: load and validate, optimise the portfolio, write the plan and report to --out."""
    from ..pipeline import run_model

    setup_logging(verbose)
    overrides = {"time_limit": time_limit, "gap_rel": gap, "threads": threads, "solver": solver}
    with console.status("starting") as status:

        def progress(step: str, detail: str) -> None:
            status.update(f"[bold]{step}[/]: {detail}")
            if verbose:
                err_console.log(f"{step}: {detail}")

        with failures():
            result = run_model(
                model,
                out,
                data_dir=data,
                solver=overrides,
                tradeoff_points=tradeoff,
                progress=progress,
                lang=lang.value if lang else None,
            )
    plan = result.plan
    files = list(result.files)
    if xlsx:
        from ..workbook import write_workbook

        files.append(write_workbook(out).name)
    published = publish_or_exit(out, publish, publish_schema) if publish else None
    if json_out:
        console.print_json(
            json.dumps(
                {
                    "out": str(out),
                    "model": result.model.name,
                    "solver": plan.solver.model_dump(),
                    "kpis": plan.kpis.model_dump(exclude={"services"}),
                    "valid": plan.valid,
                    "files": sorted(files),
                    "published": published,
                }
            )
        )
        return
    console.print(kpi_table(plan))
    if not plan.baseline_feasible:
        console.print(
            f"[yellow]note[/]: keeping everything misses the standards in {len(plan.baseline_issues)} "
            "place(s); see plan.json baseline_issues"
        )
    console.print(f"results written to [bold]{out}[/]: {', '.join(sorted(files))}")
    if published:
        console.print(
            f"published to schema [bold]{published['schema']}[/]: {', '.join(published['tables'])} "
            f"(run_history id {published['history_id']})"
        )


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run folder written by `facility-opt run`."),
    model: Path | None = typer.Argument(None, help="The run's planning model YAML (default: models/nerima.yaml)."),
    data: DataOption = None,
    out: Path | None = typer.Option(None, "--out", help="HTML file to write (default: RUN_DIR/report.html)."),
    lang: LangOption = None,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Write a run's report.html again (e.g. in the other language) from its saved plan, without solving."""
    from ..pipeline import report_from_run

    setup_logging(verbose)
    with failures():
        path = report_from_run(run_dir, model, data_dir=data, out=out, lang=lang.value if lang else None)
    console.print(f"report written to [bold]{path}[/]")
