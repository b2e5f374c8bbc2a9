"""Revise usage fees: the illustrative Nerima fee model, or your own fee schedule from CSV.

    python examples/fee_revision.py [--csv FEES.csv [--costs COSTS.csv]] [--objective target|revenue] [--out DIR]

Without --csv it runs the shipped, ILLUSTRATIVE example (models/fees_nerima_example.yaml: real
booking rules and utilisation, invented yen figures). With --csv it reads a real fee table (UTF-8 or
Shift-JIS; columns as facility_opt.fees.FeeItem, costs inline or in --costs) under the example's
policy. It writes fee_table.csv, fee_summary.json and fees.png (who pays for one use: users or taxes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from facility_opt.fees import default_fee_model, load_fee_tariff_csv, optimise_fees, write_fee_outputs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path)
    ap.add_argument("--costs", type=Path)
    ap.add_argument("--objective", choices=["target", "revenue"], default="target")
    ap.add_argument("--out", type=Path, default=Path("out/example_fees"))
    args = ap.parse_args()

    example = default_fee_model()
    policy = example.policy.model_copy(update={"objective": args.objective})
    model = load_fee_tariff_csv(args.csv, args.costs) if args.csv else example.tariff
    result = optimise_fees(model, policy)
    s = result.summary
    print(result.table[["item_id", "current_fee", "proposed_fee", "reason"]].to_string(index=False))
    print(
        f"revenue {s['revenue_before']:,.0f} -> {s['revenue_after']:,.0f} yen; tax-funded share "
        f"{100 * s['tax_funded_share_before']:.1f}% -> {100 * s['tax_funded_share_after']:.1f}%"
    )
    files = write_fee_outputs(result, args.out)
    print("wrote", ", ".join(str(p) for p in files.values()))


if __name__ == "__main__":
    main()
