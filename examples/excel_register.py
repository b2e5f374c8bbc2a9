"""A client's facility register in Excel: validate it, plan on it, hand back one workbook.

    python examples/excel_register.py [WARD_DIR] [--out out/example_register]

A ward folder may give its facilities as ``facilities.xlsx``, the export of the ward's register
(施設台帳) with its own Japanese headers, and ``facilities.mapping.yaml`` saying which header is which
field (see docs/planner_io.md). Without WARD_DIR this runs on ``examples/register/``: 23 Nerima
facilities around 石神井公園 station, exported with a title row, era years (昭和46年) and labels
(学童クラブ, 区有地). The script

1. validates the folder: each problem names the workbook, the sheet, the row as Excel shows it and
   the register's own header, and the script stops;
2. runs the default planning model (models/nerima.yaml, scaled to the sample by register/model.yaml) on it;
3. writes the run's KPIs and tables to one workbook for the client (``plan.xlsx`` in the run folder).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import facility_opt as fo
from facility_opt.workbook import write_workbook

SAMPLE = Path(__file__).resolve().parent / "register"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ward_dir", nargs="?", type=Path, default=SAMPLE)
    ap.add_argument("--out", type=Path, default=Path("out/example_register"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("facility_opt.register").setLevel(logging.INFO)  # says which register columns are ignored

    try:
        ward = fo.read_ward(args.ward_dir)
    except fo.DataValidationError as err:
        print(err, file=sys.stderr)  # every problem: workbook, sheet, Excel row, header (field)
        sys.exit(1)
    print(f"valid: {ward!r}")
    print(ward.summary().to_string())

    result = fo.run_model(args.ward_dir / "model.yaml", data_dir=args.ward_dir, out_dir=args.out)
    book = write_workbook(result.out_dir)
    k = result.plan.kpis
    print(f"{result.plan!r}")
    print(
        f"buildings {k.buildings_before} -> {k.buildings_after}; {k.horizon_years}-year cost "
        f"{k.cost_before_yen / 1e8:,.1f} -> {k.cost_after_yen / 1e8:,.1f} 億円"
    )
    print(f"workbook for the client: {book}")


if __name__ == "__main__":
    main()
