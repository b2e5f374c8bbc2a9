"""``facility-opt fees``: propose a usage-fee revision and show who pays for one use."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._app import app, console
from ._failures import failures


@app.command("fees")
def fees(
    model: Path | None = typer.Argument(
        None, help="Fee model YAML, or fee schedule CSV (default: the shipped ILLUSTRATIVE Nerima example)."
    ),
    out: Path = typer.Option(Path("out/fees"), "--out", help="Folder for fee_table.csv, fee_summary.json, fees.png."),
    costs: Path | None = typer.Option(None, "--costs", help="Cost CSV for a schedule CSV without cost columns."),
    policy: Path | None = typer.Option(None, "--policy", help="YAML with a 'policy' mapping (overrides the model's)."),
    objective: str | None = typer.Option(None, "--objective", help="'target' or 'revenue' (overrides the policy)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
) -> None:
    """Choose fees that bring each line's cost recovery to its target within the ward's limits."""
    import yaml

    from ..fees import FeeModel, FeePolicy, default_fee_model, load_fee_model, load_fee_tariff_csv, optimise_fees
    from ..fees.report import write_fee_outputs

    with failures():
        if model is None:
            fm = default_fee_model()
        elif model.suffix.lower() == ".csv":
            fm = FeeModel(tariff=load_fee_tariff_csv(model, costs))
        else:
            fm = load_fee_model(model)
        pol = fm.policy
        if policy is not None:
            data = yaml.safe_load(policy.read_text(encoding="utf-8")) or {}
            pol = FeePolicy.model_validate(data.get("policy", data))
        if objective is not None:
            pol = pol.model_copy(update={"objective": FeePolicy(objective=objective).objective})
        result = optimise_fees(fm, pol)
        paths = write_fee_outputs(result, out)

    s = result.summary_dict()
    if as_json:
        console.print_json(json.dumps({**s, "files": {k: str(v) for k, v in sorted(paths.items())}}))
        return
    if result.illustrative:
        console.print("[yellow]ILLUSTRATIVE model: fees and costs are invented (see the model file).[/yellow]")
    t = Table(title="Proposed usage fees", show_lines=False)
    for col, just in (
        ("line", "left"),
        ("now ¥", "right"),
        ("new ¥", "right"),
        ("cost ¥", "right"),
        ("target", "right"),
        ("recovery", "right"),
        ("use", "right"),
        ("reason", "left"),
    ):
        t.add_column(col, justify=just, overflow="fold")
    for r in result.table.itertuples(index=False):
        t.add_row(
            f"{r.facility_type}/{r.room_class}" + ("" if r.band == "all" else f"/{r.band}") + f" ({r.unit_label})",
            f"{r.current_fee:,.0f}",
            f"{r.proposed_fee:,.0f}",
            f"{r.unit_cost:,.0f}",
            f"{r.target_share:.0%}",
            f"{r.achieved_recovery:.0%}",
            f"{r.use_change_pct:+.1f}%",
            r.reason,
        )
    console.print(t)
    console.print(
        f"revenue ¥{s['revenue_before']:,} -> ¥{s['revenue_after']:,}; tax-funded share of the facilities' "
        f"cost {s['tax_funded_share_before']:.1%} -> {s['tax_funded_share_after']:.1%}"
    )
    console.print(f"wrote {', '.join(str(p) for p in paths.values())}")
