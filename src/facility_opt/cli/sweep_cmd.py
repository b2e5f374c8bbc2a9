"""``facility-opt sweep`` (uncertainty and scenario sweeps on Dask) and ``facility-opt alternatives``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ._app import DataOption, app, console, setup_logging
from ._failures import failures


@app.command()
def sweep(
    model: Path = typer.Argument(..., help="Planning model YAML with a 'sweep' section."),
    n: int | None = typer.Option(None, "--n", help="Number of variants (default: the sweep section's n)."),
    seed: int | None = typer.Option(None, "--seed", help="Seed (default: the sweep section's seed)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); default: a local cluster."
    ),
    workers: int | None = typer.Option(None, "--workers", help="Local cluster: worker processes (default: cores)."),
    serial: bool = typer.Option(False, "--serial", help="Solve in this process, without Dask."),
    out: Path = typer.Option(..., "--out", help="Folder for the summary files and the cache."),
    cache: Path | None = typer.Option(None, "--cache", help="Cache folder (default: OUT/cache)."),
    data: DataOption = None,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Re-plan N variants of a model (uncertain inputs, projections, policy grid) and summarise which
    decisions hold: decisions.csv, robust_core.csv, flips.csv, distributions.csv, sweep.html in OUT.

    Variants already in the cache are not solved again, so an interrupted sweep resumes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..planning import load_planning_model
    from ..robust import sweep as run_sweep

    setup_logging(verbose)
    if not verbose:  # the scheduler and workers log every connection at INFO
        import logging

        logging.getLogger("distributed").setLevel(logging.WARNING)
    with failures():
        m = load_planning_model(model)
        if data is not None:
            m = m.with_data(data)
        with Progress(
            TextColumn("[bold]sweep[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("sweep", total=None, note="")

            def progress(done: int, total: int, cached: int) -> None:
                bar.update(task, completed=done, total=total, note=f"({cached} from the cache)")

            result = run_sweep(
                m,
                n=n,
                seed=seed,
                client=scheduler,
                out=out,
                serial=serial,
                cache=cache,
                n_workers=workers,
                progress=progress,
            )
    s = result.summary
    c = s.counts
    console.print(
        f"{c['variants']} variants: {c['ok']} planned, {c['infeasible']} infeasible, {c['flagged']} flagged, "
        f"{c['error']} failed; {result.computed} solved now, {result.cached} from the cache"
    )
    t = Table(title="across variants")
    for col in ("metric", "P10", "P50", "P90"):
        t.add_column(col, justify="right" if col != "metric" else "left")
    from ..portfolio import format_yen

    for r in s.distributions.itertuples():
        f = format_yen if r.metric.endswith("_yen") else (lambda v: f"{v:,.3g}")
        t.add_row(r.metric, f(r.p10), f(r.p50), f(r.p90))
    console.print(t)
    console.print(
        f"{c['robust_decisions']} robust decisions, {c['unstable_decisions']} unstable; "
        f"files in [bold]{out}[/] (sweep.html)"
    )


@app.command()
def alternatives(
    model: Path | None = typer.Argument(None, help="Planning model YAML (default: models/nerima.yaml)."),
    k: int = typer.Option(3, "--k", help="Plans wanted, the best included."),
    within: float = typer.Option(
        0.02, "--within", help="Largest extra cost, as a share of the best plan's (0.02: 2 %)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for alternatives.csv, differences.csv and plan_<rank>/."),
    data: DataOption = None,
    gap: float | None = typer.Option(None, "--gap", help="Relative MIP gap of every solve."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Time limit of every solve (s)."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """K distinct plans (different end-of-horizon portfolios) within WITHIN of the best plan's cost."""
    from ..pipeline import portfolio_options
    from ..planning import load_planning_model
    from ..portfolio import format_yen
    from ..portfolio.build import problem_from_model
    from ..robust.alternatives import alternatives as find
    from ..robust.alternatives import write_alternatives

    setup_logging(verbose)
    with failures():
        m = load_planning_model(model)
        if data is not None:
            m = m.with_data(data)
        with console.status("building and solving the best plan"):
            alts = find(
                problem_from_model(m),
                k=k,
                within=within,
                options=portfolio_options(m, {"gap_rel": gap, "time_limit": time_limit}),
            )
        write_alternatives(alts, out)
    t = Table(title=f"{len(alts)} plan(s) within {100 * within:g} % of the best")
    for col in ("rank", "cost", "extra", "facilities differing", "closures", "new"):
        t.add_column(col, justify="right")
    for a in alts:
        t.add_row(
            str(a.rank),
            format_yen(a.cost_yen),
            f"{format_yen(a.extra_cost_yen)} ({100 * a.extra_share:.2f} %)",
            str(len(a.differences)),
            str(a.plan.kpis.closures),
            str(a.plan.kpis.new_buildings),
        )
    console.print(t)
    console.print(f"files in [bold]{out}[/]: alternatives.csv, differences.csv, plan_<rank>/")
