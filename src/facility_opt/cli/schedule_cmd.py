"""``facility-opt schedule``: level the renewal cliff under an annual budget."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._app import app, console
from ._failures import failures, invalid_option


@app.command("schedule")
def schedule(
    cap: float | None = typer.Option(None, "--cap", help="Annual cap in yen (e.g. 52e8 = 52億円/year)."),
    min_budget: bool = typer.Option(False, "--min-budget", help="Find the smallest level annual budget instead."),
    stock: bool = typer.Option(
        False,
        "--stock",
        help="Schedule the whole ward from the 2013 stock table "
        "(synthetic buildings) instead of the 271 embedded facilities.",
    ),
    ward: Path | None = typer.Option(None, "--ward", help="Ward folder (default: the embedded Nerima ward)."),
    params: Path | None = typer.Option(
        None, "--params", help="Scheduling YAML (default models/renewal_schedule.yaml)."
    ),
    model: Path | None = typer.Option(
        None,
        "--model",
        help="Planning model whose renewal costs (renewal_costs "
        "file and costs.preset) price the events (default: models/renewal_costs.yaml).",
    ),
    preset: str | None = typer.Option(None, "--preset", help="Renewal-cost preset (e.g. tokyo_ward_calibrated)."),
    ties: Path | None = typer.Option(None, "--ties", help="CSV building_id,host_building_id of co-location ties."),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="Report the renewal years a portfolio plan chose "
        "for the buildings it keeps (a run folder of `facility-opt run`, or its "
        "plan.json); no --cap or --min-budget.",
    ),
    start_year: int = typer.Option(2016, "--start-year"),
    horizon: int = typer.Option(30, "--horizon"),
    time_limit: float = typer.Option(120.0, "--time-limit", help="Seconds per solve."),
    out: Path = typer.Option(Path("out/schedule"), "--out", help="Folder for the CSV/JSON tables and schedule.png."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Place every renovation and rebuild in a year within the annual cap (or find the level budget)."""
    from ..atomic import atomic_write_with
    from ..renewal.plots import plot_schedule
    from ..solver import SolverOptions

    if plan is not None and (cap is not None or min_budget or stock or model or preset):
        raise invalid_option(
            "--plan reports the renewal years the portfolio model chose (under its own budget "
            "and costs: the planning model's policy.budget and renewal costs); drop --cap, "
            "--min-budget, --stock, --model and --preset"
        )
    if plan is None and (cap is None) == (not min_budget):
        raise invalid_option("give either --cap YEN or --min-budget")
    with failures():
        if plan is not None:
            result = _plan_schedule(plan)
        else:
            result = _level_schedule(
                cap,
                min_budget,
                stock,
                ward,
                params,
                model,
                preset,
                ties,
                start_year,
                horizon,
                SolverOptions(gap_rel=1e-3, time_limit=time_limit),
            )
        paths = result.to_files(out)
        fig = plot_schedule(result)
        paths["chart"] = atomic_write_with(
            out / "schedule.png", lambda tmp: fig.savefig(tmp, dpi=110, format="png"), suffix=".png"
        )
    if as_json:
        console.print_json(
            json.dumps(
                {
                    **result.summary,
                    "solver": result.info.to_dict(),
                    "files": {k: str(v) for k, v in sorted(paths.items())},
                }
            )
        )
        return
    console.print(_summary_table(result))
    console.print(f"wrote {', '.join(str(p) for p in paths.values())}")


def _plan_schedule(plan: Path):
    """The renewal years the portfolio model chose for the buildings a plan keeps."""
    from ..portfolio import Plan
    from ..renewal.schedule import plan_schedule

    return plan_schedule(Plan.from_json(plan / "plan.json" if plan.is_dir() else plan))


def _level_schedule(cap, min_budget, stock, ward, params, model, preset, ties, start_year, horizon, options):
    """Schedule a ward's (or the stock table's) renewals under an annual cap, or find the level budget."""
    import pandas as pd

    from ..loading import load_nerima, read_ward
    from ..planning import load_planning_model
    from ..renewal import default_renewal_params, load_age_profile, read_stock_table, stock_buildings
    from ..renewal.schedule import default_schedule_params, load_schedule_params, schedule_renewals
    from ..resources import models_dir, nerima_dir

    if stock:
        fac = stock_buildings(
            read_stock_table(nerima_dir() / "stock_2013.csv"),
            load_age_profile(models_dir() / "nerima_age_profile.yaml"),
        )
    else:
        fac = (read_ward(ward) if ward else load_nerima()).facilities
    p = load_schedule_params(params) if params else default_schedule_params()
    rp = load_planning_model(model).renewal_params() if model else default_renewal_params()
    if preset is not None:
        rp = rp.with_preset(preset)
    tie_map = pd.read_csv(ties, dtype=str) if ties is not None else None
    return schedule_renewals(
        fac,
        start_year=start_year,
        horizon_years=horizon,
        budget=cap,
        min_budget=min_budget,
        ties=tie_map,
        params=p,
        renewal_params=rp,
        options=options,
    )


def _summary_table(result) -> Table:
    """The schedule's headline figures (budget, peak before and after, delays) as a rich table."""
    s = result.summary
    t = Table(title="Renewal schedule")
    t.add_column("figure")
    t.add_column("value", justify="right")
    oku = lambda y: f"{y / 1e8:,.1f} oku-yen"  # noqa: E731
    if s["level_budget_yen"]:
        t.add_row("level annual budget", oku(s["level_budget_yen"]))
    elif s["mean_cap_yen"] is not None:
        t.add_row("mean annual cap", oku(s["mean_cap_yen"]))
    if result.mode == "plan":
        t.add_row(
            "events done / deferred / dropped (site closes)",
            f"{s['events_done']} / {s['events_deferred']} / {s['events_dropped']}",
        )
    t.add_row("peak year before / after", f"{oku(s['unlevelled_peak_yen'])} / {oku(s['spend_peak_yen'])}")
    t.add_row("total cost (capital + penalties)", oku(s["total_cost_yen"]))
    t.add_row("penalties (risk, early work)", oku(s["penalty_yen"]))
    t.add_row("buildings / events", f"{s['buildings']} / {s['events']}")
    t.add_row("buildings delayed by the schedule", str(s["buildings_delayed_by_schedule"]))
    t.add_row("events deferred beyond the horizon", str(s["events_deferred"]))
    t.add_row("mean added delay / max delay (years)", f"{s['mean_added_delay_years']} / {s['max_delay_years']}")
    t.add_row("solver", str(result.info))
    return t
