"""``facility-opt costs``: the life-cycle renewal-cost projection (table + renewal-cliff chart)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from ..errors import DataValidationError, ModelConfigError
from ._app import ExitCode, app, console, err_console, setup_logging


@app.command()
def costs(
    model: Path | None = typer.Argument(None, help="Planning model YAML (default: models/nerima.yaml)."),
    out: Path = typer.Option(Path("out/costs"), "--out", help="Folder for costs_by_year.csv, costs.csv, cliff.png."),
    stock: Path | None = typer.Option(None, "--stock", help="Project a type-level stock table (CSV) instead of "
                                      "the facility register; needs --age-profile."),
    age_profile: Path | None = typer.Option(None, "--age-profile", help="Age profile YAML for --stock "
                                            "(default: models/nerima_age_profile.yaml)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Project renovation, rebuild and operation costs per year over the model's horizon."""
    from ..atomic import atomic_write_text
    from ..costs import OKU_YEN, load_age_profile, plot_renewal_cliff, project_renewal, project_stock, \
        read_stock_table, totals_by_year
    from ..figures import save_figure
    from ..planning import load_planning_model
    from ..resources import models_dir

    setup_logging(verbose)
    try:
        m = load_planning_model(model)
        params, catalogue = m.renewal_params(), m.read_catalogue()
        start = m.horizon.start_year
        with console.status("projecting renewal costs"):
            if stock is not None:
                table = read_stock_table(stock, catalogue)
                profile = load_age_profile(age_profile or models_dir() / "nerima_age_profile.yaml")
                detail = project_stock(table, profile, start_year=start, params=params, catalogue=catalogue)
                source = f"stock table {stock.name}"
            else:
                ward = m.read_ward()
                # a room is renewed with its building (its floor is part of the host's): renewal from the
                # buildings and units, operation from every facility
                renew = project_renewal(ward.structures, start_year=start, params=params, catalogue=catalogue,
                                        include_operation=False)
                oper = project_renewal(ward.facilities, start_year=start, params=params, catalogue=catalogue)
                detail = (pd.concat([renew, oper[oper["kind"] == "operation"]], ignore_index=True)
                          .sort_values(["facility_id", "year", "kind"], kind="mergesort").reset_index(drop=True))
                source = f"{len(ward.facilities)} facilities of {ward.meta.name} in {len(ward.structures)} buildings"
    except (ModelConfigError, DataValidationError) as exc:
        err_console.print(f"[bold red]invalid input[/]\n{exc}", markup=True, highlight=False)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    by_year = totals_by_year(detail, by="kind")
    atomic_write_text(out / "costs.csv", detail.to_csv(index=False, lineterminator="\n", float_format="%.0f"))
    atomic_write_text(out / "costs_by_year.csv", by_year.to_csv(lineterminator="\n", float_format="%.0f"))
    renewal = detail[detail["kind"] != "operation"]  # the cliff is about renewal; operation is flat
    save_figure(plot_renewal_cliff(renewal, by="kind", title=f"{m.name}: renewal costs per year "
                                   f"(renovation and rebuild, {source})").figure, out / "cliff.png")
    totals = detail.groupby("kind")["cost_yen"].sum().sort_index()
    years = params.horizon_years
    summary = {
        "model": m.name, "source": source, "start_year": start, "horizon_years": years,
        "total_oku_yen": round(float(totals.sum()) / OKU_YEN, 1),
        "per_year_oku_yen": round(float(totals.sum()) / OKU_YEN / years, 1),
        "by_kind_oku_yen": {k: round(float(v) / OKU_YEN, 1) for k, v in totals.items()},
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    if json_out:
        console.print_json(data=summary)
        return
    t = Table(title=f"{m.name}: {years}-year costs from {start} ({source}), 億円")
    t.add_column("kind")
    t.add_column("億円", justify="right")
    for k, v in summary["by_kind_oku_yen"].items():
        t.add_row(k, f"{v:,.1f}")
    t.add_row("[bold]total[/]", f"[bold]{summary['total_oku_yen']:,.1f}[/] ({summary['per_year_oku_yen']:,.1f}/yr)")
    console.print(t)
    console.print(f"written to [bold]{out}[/]: costs.csv, costs_by_year.csv, cliff.png, summary.json")
