"""``facility-opt compare RUN_DIR RUN_DIR``: two plans side by side (KPIs and the decisions that differ)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.table import Table

from ._app import app, console
from ._failures import invalid_option


def _read_plan(run: Path):
    from pydantic import ValidationError

    from ..portfolio.plan import Plan

    path = run if run.is_file() else run / "plan.json"
    if not path.is_file():
        what = "run folder" if not run.exists() else "file"
        raise invalid_option(
            f"{path} not found ({what} {run} has no plan.json; give a folder written by 'facility-opt run')"
        )
    try:
        return Plan.from_json(path)
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        raise invalid_option(f"{path} is not a plan written by facility_opt: {str(exc).splitlines()[0]}") from None


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return _clean(v.item())
    import pandas as pd

    return None if v is None or v is pd.NA else v


def comparison_dict(a_path: Path, b_path: Path, kpis, diff) -> dict:
    """The comparison as plain JSON-ready data (NaN and <NA> become null)."""
    return {
        "a": str(a_path),
        "b": str(b_path),
        "kpis": [{k: _clean(v) for k, v in r.items()} for r in kpis.to_dict("records")],
        "differences": [{k: _clean(v) for k, v in r.items()} for r in diff.to_dict("records")],
    }


def _fmt(metric: str, v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if metric.endswith("_yen"):
        return f"{v / 1e8:,.2f} 億円"
    if "share" in metric or metric.startswith("coverage") or metric in ("floor_reduction", "gap"):
        return f"{100 * v:.2f} %"
    return f"{v:,.1f}" if abs(v - round(v)) > 1e-9 else f"{v:,.0f}"


@app.command()
def compare(
    run_a: Path = typer.Argument(..., help="First run folder (with plan.json) or a plan.json."),
    run_b: Path = typer.Argument(..., help="Second run folder (with plan.json) or a plan.json."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Also write it to a file: .json (the --json output) or .csv (long table: part, id, field, a, b).",
    ),
) -> None:
    """Compare two plans: KPIs side by side and the facilities whose decision differs."""
    from ..atomic import atomic_write_text
    from ..compare import compare_plans

    a, b = _read_plan(run_a), _read_plan(run_b)
    kpis, diff = compare_plans(a, b)
    data = comparison_dict(run_a, run_b, kpis, diff)
    if out is not None:
        if out.suffix.lower() == ".csv":
            rows = [("kpi", r["metric"], "value", r["a"], r["b"]) for r in data["kpis"]]
            for r in data["differences"]:
                for f in ("decision", "year", "services_after"):
                    if r[f"{f}_a"] != r[f"{f}_b"]:
                        rows.append(("decision", r["facility_id"], f, r[f"{f}_a"], r[f"{f}_b"]))
            import pandas as pd

            text = pd.DataFrame(rows, columns=["part", "id", "field", "a", "b"]).to_csv(
                index=False, lineterminator="\n"
            )
        elif out.suffix.lower() == ".json":
            text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        else:
            raise invalid_option(f"--out {out}: use a .json or .csv file")
        atomic_write_text(out, text)
    if as_json:
        console.print_json(json.dumps(data, ensure_ascii=False, sort_keys=True))
        return
    t = Table(title=f"A = {run_a} ({a.name})   B = {run_b} ({b.name})")
    for col, just in (("metric", "left"), ("A", "right"), ("B", "right"), ("B - A", "right")):
        t.add_column(col, justify=just)
    for r in data["kpis"]:
        d = r["difference"]
        t.add_row(
            r["metric"],
            _fmt(r["metric"], r["a"]),
            _fmt(r["metric"], r["b"]),
            "-" if d is None else ("0" if d == 0 else ("+" if d > 0 else "") + _fmt(r["metric"], d)),
        )
    console.print(t)
    if not data["differences"]:
        console.print("[green]The two plans decide every facility the same way.[/]")
    else:
        d = Table(title=f"{len(diff)} facilities decided differently")
        for col in ("facility", "A", "B"):
            d.add_column(col, overflow="fold")
        for r in data["differences"]:
            side = [
                f"{r[f'decision_{x}']} {r[f'year_{x}'] or ''}".strip()
                + (f" [{r[f'services_after_{x}']}]" if r[f"services_after_{x}"] else "")
                for x in "ab"
            ]
            d.add_row(f"{r['facility_id']} {r['name'] or ''}", *side)
        console.print(d)
    if out is not None:
        console.print(f"written to [bold]{out}[/]")
