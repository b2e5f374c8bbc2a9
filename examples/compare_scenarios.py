"""Compare the ward's scenarios side by side: keep everything, consolidation, co-location, stations.

    python examples/compare_scenarios.py [--scenarios baseline colocation stations] [--out out/example_scenarios]

Each scenario is a YAML file in models/scenarios/ that extends models/nerima.yaml and overrides some
of its parameters. Each run is written to its own folder; the table compares their headline figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import facility_opt as fo
from facility_opt.resources import models_dir

ALL = ["baseline", "consolidation", "colocation", "stations"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", nargs="+", default=ALL, choices=ALL + ["fees"])
    ap.add_argument("--out", type=Path, default=Path("out/example_scenarios"))
    args = ap.parse_args()

    rows = []
    for name in args.scenarios:
        result = fo.run_model(models_dir() / "scenarios" / f"{name}.yaml", args.out / name)
        k = result.plan.kpis
        rows.append(
            {
                "scenario": name,
                "buildings": k.buildings_after,
                "floor_m2": round(k.floor_after_m2),
                "cost_30y_oku_yen": round(k.cost_after_yen / 1e8, 1),
                "saving_oku_yen": round((k.cost_before_yen - k.cost_after_yen) / 1e8, 1),
                "new_buildings": k.new_buildings,
                "closures": k.closures,
                "min_coverage": round(min(s.coverage_after for s in k.services if s.service_id != "kindergarten"), 4),
                "station_front_share": round(k.station_front_share_after, 3),
                "gap": result.plan.solver.gap,
            }
        )
    table = pd.DataFrame(rows).set_index("scenario")
    print(table.to_string())
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "comparison.csv", lineterminator="\n")


if __name__ == "__main__":
    main()
