"""Run the default Nerima planning model and show what it proposes.

    python examples/nerima_default.py [--out out/example_nerima]

Loads models/nerima.yaml on the embedded data, optimises the portfolio (HiGHS, about 20 s), writes the
run folder and prints the headline figures and the ten largest changes with their reasons.
"""

from __future__ import annotations

import argparse

import facility_opt as fo
from facility_opt.portfolio import format_yen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="out/example_nerima")
    args = ap.parse_args()

    result = fo.run_model(out_dir=args.out)  # models/nerima.yaml
    plan = result.plan
    k = plan.kpis
    print(plan)
    print(
        f"buildings {k.buildings_before} -> {k.buildings_after}; floor {k.floor_before_m2:,.0f} -> "
        f"{k.floor_after_m2:,.0f} m2; {k.horizon_years}-year cost {format_yen(k.cost_before_yen)} -> "
        f"{format_yen(k.cost_after_yen)} (saves {format_yen(k.saving_yen)})"
    )
    for s in k.services:
        print(
            f"  {s.service_id:24s} coverage {100 * s.coverage_before:5.1f}% -> {100 * s.coverage_after:5.1f}%, "
            f"mean distance {s.mean_distance_before_m:,.0f} -> {s.mean_distance_after_m:,.0f} m"
        )
    changes = plan.changes()
    print(f"\n{len(changes)} facilities change; for example:")
    for r in changes.head(10).itertuples():
        print(f"  {r.facility_id} {r.name}: {r.decision} ({r.year}) - {r.reason}")
    print(f"\nfiles in {args.out}: {', '.join(result.files)}")


if __name__ == "__main__":
    main()
