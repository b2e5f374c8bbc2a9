"""``facility-opt costs``: the life-cycle renewal-cost projection (table + renewal-cliff chart)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from ._app import app, console, setup_logging
from ._failures import failures, invalid_option


@app.command()
def costs(
    model: Path | None = typer.Argument(None, help="Planning model YAML (default: models/nerima.yaml)."),
    out: Path = typer.Option(Path("out/costs"), "--out", help="Folder for costs_by_year.csv, costs.csv, cliff.png."),
    stock: Path | None = typer.Option(
        None,
        "--stock",
        help="Project a type-level stock table (CSV) instead of the facility register; needs --age-profile.",
    ),
    age_profile: Path | None = typer.Option(
        None, "--age-profile", help="Age profile YAML for --stock (default: models/nerima_age_profile.yaml)."
    ),
    preset: str | None = typer.Option(
        None,
        "--preset",
        help="Renewal-cost preset of the model's cost file "
        "(default: the model's; e.g. soumu, tokyo_ward, tokyo_ward_calibrated).",
    ),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="Fit the preset to the ward's published total "
        "over a stock table (default: Nerima's 2013 stock, 6,450億円 from 2016).",
    ),
    start_year: int | None = typer.Option(
        None,
        "--start-year",
        help="With --calibrate: first year of the published total (default 2016, the plan's 今後30年間).",
    ),
    target_oku: float | None = typer.Option(
        None, "--target-oku", help="With --calibrate: the published total in 億円 (default 6,450, Nerima)."
    ),
    tolerance: float = typer.Option(0.05, "--tolerance", help="With --calibrate: accepted relative error."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Project renovation, rebuild and operation costs per year over the model's horizon
    (or, with --calibrate, fit a renewal-cost preset to the ward's published total)."""
    from ..planning import load_planning_model

    setup_logging(verbose)
    if not calibrate and (start_year is not None or target_oku is not None):
        raise invalid_option("--start-year and --target-oku go with --calibrate")
    with failures():
        m = load_planning_model(model)
        params, catalogue = m.renewal_params(), m.read_catalogue()
        if preset is not None:
            params = params.with_preset(preset)
        if calibrate:
            _calibrate(params, catalogue, stock, age_profile, start_year, target_oku, tolerance, out, json_out)
            return
        with console.status("projecting renewal costs"):
            detail, source = _project(m, params, catalogue, stock, age_profile)
    summary = _write_projection(m, params, detail, source, out)
    if json_out:
        console.print_json(data=summary)
        return
    t = Table(
        title=f"{m.name}: {summary['horizon_years']}-year costs from {summary['start_year']} ({source}; "
        f"preset {params.preset}), 億円"
    )
    t.add_column("kind")
    t.add_column("億円", justify="right")
    for k, v in summary["by_kind_oku_yen"].items():
        t.add_row(k, f"{v:,.1f}")
    t.add_row("[bold]total[/]", f"[bold]{summary['total_oku_yen']:,.1f}[/] ({summary['per_year_oku_yen']:,.1f}/yr)")
    console.print(t)
    console.print(f"written to [bold]{out}[/]: costs.csv, costs_by_year.csv, cliff.png, summary.json")


def _project(m, params, catalogue, stock: Path | None, age_profile: Path | None) -> tuple[pd.DataFrame, str]:
    """The cost lines per facility and year (from a stock table, or the ward's register) and their source."""
    from ..renewal import load_age_profile, project_renewal, project_stock, read_stock_table
    from ..resources import models_dir

    start = m.horizon.start_year
    if stock is not None:
        table = read_stock_table(stock, catalogue)
        profile = load_age_profile(age_profile or models_dir() / "nerima_age_profile.yaml")
        detail = project_stock(table, profile, start_year=start, params=params, catalogue=catalogue)
        return detail, f"stock table {stock.name}"
    ward = m.read_ward()
    # a room is renewed with its building (its floor is part of the host's): renewal from the
    # buildings and units, operation from every facility
    renew = project_renewal(
        ward.structures, start_year=start, params=params, catalogue=catalogue, include_operation=False
    )
    oper = project_renewal(ward.facilities, start_year=start, params=params, catalogue=catalogue)
    detail = (
        pd.concat([renew, oper[oper["kind"] == "operation"]], ignore_index=True)
        .sort_values(["facility_id", "year", "kind"], kind="mergesort")
        .reset_index(drop=True)
    )
    return detail, f"{len(ward.facilities)} facilities of {ward.meta.name} in {len(ward.structures)} buildings"


def _write_projection(m, params, detail: pd.DataFrame, source: str, out: Path) -> dict:
    """costs.csv, costs_by_year.csv, cliff.png and summary.json in ``out``; returns the summary."""
    from ..atomic import atomic_write_text
    from ..figures import save_figure
    from ..renewal import plot_renewal_cliff, totals_by_year
    from ..units import OKU_YEN

    by_year = totals_by_year(detail, by="kind")
    atomic_write_text(out / "costs.csv", detail.to_csv(index=False, lineterminator="\n", float_format="%.0f"))
    atomic_write_text(out / "costs_by_year.csv", by_year.to_csv(lineterminator="\n", float_format="%.0f"))
    renewal = detail[detail["kind"] != "operation"]  # the cliff is about renewal; operation is flat
    save_figure(
        plot_renewal_cliff(
            renewal, by="kind", title=f"{m.name}: renewal costs per year (renovation and rebuild, {source})"
        ).figure,
        out / "cliff.png",
    )
    totals = detail.groupby("kind")["cost_yen"].sum().sort_index()
    years = params.horizon_years
    summary = {
        "model": m.name,
        "source": source,
        "preset": params.preset,
        "start_year": m.horizon.start_year,
        "horizon_years": years,
        "total_oku_yen": round(float(totals.sum()) / OKU_YEN, 1),
        "per_year_oku_yen": round(float(totals.sum()) / OKU_YEN / years, 1),
        "by_kind_oku_yen": {k: round(float(v) / OKU_YEN, 1) for k, v in totals.items()},
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return summary


def _calibrate(params, catalogue, stock, age_profile, start_year, target_oku, tolerance, out, json_out) -> None:
    """``--calibrate``: fit the active preset over a stock table; table + calibration.json/.csv."""
    from ..renewal import load_age_profile, read_stock_table
    from ..renewal.calibration import NERIMA_START_YEAR, NERIMA_TOTAL_YEN, calibrate_renewal
    from ..resources import models_dir, nerima_dir
    from ..units import OKU_YEN

    table = read_stock_table(stock or nerima_dir() / "stock_2013.csv", catalogue)
    profile = load_age_profile(age_profile or models_dir() / "nerima_age_profile.yaml")
    target = NERIMA_TOTAL_YEN if target_oku is None else target_oku * OKU_YEN
    with console.status(f"calibrating preset {params.preset}"):
        cal = calibrate_renewal(
            table,
            profile,
            params=params,
            catalogue=catalogue,
            tolerance=tolerance,
            start_year=NERIMA_START_YEAR if start_year is None else start_year,
            target_yen=target,
        )
    cal.write(out)
    if json_out:
        console.print_json(data=cal.to_dict())
        return
    t = Table(
        title=f"preset {cal.preset}: {cal.horizon_years}-year total from {cal.start_year} over "
        f"{cal.floor_area_m2:,.0f} m², target {cal.target_yen / OKU_YEN:,.0f}億円 "
        f"(±{cal.tolerance:.0%}); at the preset's values {cal.base_total_yen / OKU_YEN:,.1f}億円 "
        f"({cal.base_total_yen / cal.target_yen:.3f})"
    )
    for c in ("parameter", "preset", "elasticity", "bounds", "calibrated", "億円", "/ target"):
        t.add_column(c, justify="left" if c == "parameter" else "right")
    for f in cal.fits:
        fmt = (lambda v: f"{v:.4g}") if f.kind == "continuous" else (lambda v: f"{v:.0f}")
        t.add_row(
            f.parameter,
            fmt(f.preset_value),
            f"{f.elasticity:+.3f}",
            f"{fmt(f.lower)}-{fmt(f.upper)}",
            fmt(f.value) if f.value is not None else "not reachable",
            f"{f.total_yen / OKU_YEN:,.1f}",
            f"{f.ratio:.3f}",
        )
    console.print(t)
    best = cal.best
    if best is None:
        console.print("[yellow]no single parameter within its bounds reproduces the target[/]")
    else:
        console.print(
            f"most sensitive parameter that reproduces the target: [bold]{best.parameter} = "
            f"{best.value:.4g}[/] ({best.total_yen / OKU_YEN:,.1f}億円)"
        )
    console.print(f"[bold yellow]{cal.note}[/]")
    snippet = cal.preset_snippet()
    if snippet:
        console.print(
            "to use it, add under presets: in the renewal-cost file (then costs: {preset: ...} in the planning model):",
            highlight=False,
        )
        console.print(snippet, markup=False, highlight=False, soft_wrap=True)
    console.print(f"written to [bold]{out}[/]: calibration.json, calibration.csv")
